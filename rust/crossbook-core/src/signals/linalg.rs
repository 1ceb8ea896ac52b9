//! Tiny dense linear algebra for the micro-price fit (matrices of a few dozen states).

/// Solve `A X = B` in place by Gaussian elimination with partial pivoting. `a` is n×n row-major and is
/// destroyed; `b` is n×m row-major and becomes X. Returns the first column whose pivot is below `eps`
/// (numerically singular) as an error.
pub(crate) fn solve_in_place(a: &mut [f64], b: &mut [f64], n: usize, m: usize, eps: f64) -> Result<(), usize> {
    debug_assert_eq!(a.len(), n * n);
    debug_assert_eq!(b.len(), n * m);
    for col in 0..n {
        let mut piv = col;
        for r in col + 1..n {
            if a[r * n + col].abs() > a[piv * n + col].abs() {
                piv = r;
            }
        }
        if a[piv * n + col].abs() < eps {
            return Err(col);
        }
        if piv != col {
            for c in 0..n {
                a.swap(piv * n + c, col * n + c);
            }
            for c in 0..m {
                b.swap(piv * m + c, col * m + c);
            }
        }
        let d = a[col * n + col];
        for r in 0..n {
            if r == col {
                continue;
            }
            let f = a[r * n + col] / d;
            if f == 0.0 {
                continue;
            }
            for c in col..n {
                a[r * n + c] -= f * a[col * n + c];
            }
            for c in 0..m {
                b[r * m + c] -= f * b[col * m + c];
            }
        }
    }
    for r in 0..n {
        let d = a[r * n + r];
        for c in 0..m {
            b[r * m + c] /= d;
        }
    }
    Ok(())
}

/// `y = A x` for n×n row-major `a`.
pub(crate) fn mat_vec(a: &[f64], x: &[f64], y: &mut [f64]) {
    let n = x.len();
    for (r, yr) in y.iter_mut().enumerate() {
        *yr = a[r * n..(r + 1) * n].iter().zip(x).map(|(p, q)| p * q).sum();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_with_pivoting() {
        // [[0, 2], [1, 1]] X = [[2, 4], [3, 5]] → X = [[2, 3], [1, 2]]
        let mut a = vec![0.0, 2.0, 1.0, 1.0];
        let mut b = vec![2.0, 4.0, 3.0, 5.0];
        solve_in_place(&mut a, &mut b, 2, 2, 1e-12).unwrap();
        assert_eq!(b, vec![2.0, 3.0, 1.0, 2.0]);
        let mut s = vec![1.0, 2.0, 2.0, 4.0];
        let mut rhs = vec![1.0, 1.0];
        assert_eq!(solve_in_place(&mut s, &mut rhs, 2, 1, 1e-12), Err(1));
        let mut y = vec![0.0; 2];
        mat_vec(&[1.0, 2.0, 3.0, 4.0], &[1.0, 1.0], &mut y);
        assert_eq!(y, vec![3.0, 7.0]);
    }
}

//! Sorting f64 values with their indices, on integer keys (faster than comparing floats with
//! `total_cmp`, and the same order).

/// An order-preserving map of f64 bits to u64: ascending keys are ascending `f64::total_cmp` order.
#[inline]
fn key(v: f64) -> u64 {
    let b = v.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// The values in ascending `total_cmp` order and the original index of each (equal values in an
/// unspecified but deterministic order).
#[must_use]
pub fn argsort(v: &[f64]) -> (Vec<f64>, Vec<u32>) {
    let mut p: Vec<(u64, u32)> = v.iter().enumerate().map(|(i, &e)| (key(e), i as u32)).collect();
    p.sort_unstable_by_key(|e| e.0);
    let sorted = p.iter().map(|e| v[e.1 as usize]).collect();
    (sorted, p.into_iter().map(|e| e.1).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_total_cmp_including_signs_zeros_and_duplicates() {
        let v = [3.5, -0.0, 0.0, -2.0, 1e-300, -1e300, 3.5, f64::INFINITY, f64::NEG_INFINITY, 7.0, -2.0, 1e300];
        let (s, idx) = argsort(&v);
        let mut want = v.to_vec();
        want.sort_by(f64::total_cmp);
        let bits = |x: &[f64]| x.iter().map(|e| e.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&s), bits(&want));
        for (e, &i) in s.iter().zip(&idx) {
            assert_eq!(e.to_bits(), v[i as usize].to_bits());
        }
        let mut seen = idx.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..v.len() as u32).collect::<Vec<_>>());
        assert_eq!(argsort(&[]), (vec![], vec![]));
    }
}

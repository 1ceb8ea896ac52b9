//! Small-dimension maximisation for the model fits: a Levenberg–Marquardt-damped Newton method.
//!
//! The objective returns its value and gradient (analytic where the model has one, central
//! differences otherwise) and, optionally, its Hessian; without one the Hessian is the central
//! difference of the gradient. Each iteration solves `(−H + λ·diag(|H|)) d = g` by Cholesky and
//! accepts the step only if the value increases (λ shrinks ×10 on success, grows ×10 on failure), so
//! the method never goes downhill, handles indefinite Hessians far from the optimum (the damped
//! system is then a scaled gradient step) and converges quadratically near it. Parameters are the
//! unconstrained ones of each model (logs of positive quantities): an invalid point is reported by
//! the objective as `None` and treated as −∞.

/// A function to maximise over `dim()` unconstrained parameters.
pub trait Objective {
    /// Number of parameters.
    fn dim(&self) -> usize;

    /// Value at `x`, or `None` where the model is undefined (a non-positive intensity, overflow).
    fn value(&self, x: &[f64]) -> Option<f64>;

    /// Value and gradient at `x`. Default: central differences of [`Objective::value`].
    fn value_grad(&self, x: &[f64]) -> Option<(f64, Vec<f64>)> {
        let f = self.value(x)?;
        let mut g = vec![0.0; x.len()];
        let mut y = x.to_vec();
        for i in 0..x.len() {
            let h = FD_STEP * (1.0 + x[i].abs());
            y[i] = x[i] + h;
            let fp = self.value(&y)?;
            y[i] = x[i] - h;
            let fm = self.value(&y)?;
            y[i] = x[i];
            g[i] = (fp - fm) / (2.0 * h);
        }
        Some((f, g))
    }

    /// Hessian at `x` (row-major `dim × dim`), or `None` to let the solver difference the gradient.
    fn hessian(&self, _x: &[f64]) -> Option<Vec<f64>> {
        None
    }

    /// Value, gradient and (when the model has it analytically) Hessian in one evaluation; the solver
    /// calls this at trial points so an accepted step needs no second pass over the data.
    fn value_grad_hess(&self, x: &[f64]) -> Option<(f64, Vec<f64>, Option<Vec<f64>>)> {
        let (f, g) = self.value_grad(x)?;
        Some((f, g, None))
    }
}

/// Relative step of the central differences.
const FD_STEP: f64 = 1e-5;

/// Options of [`maximize`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewtonOptions {
    /// iteration cap
    pub max_iter: usize,
    /// converged when the value improves by less than `ftol·(1 + |f|)` and the scaled step is below `xtol`
    pub ftol: f64,
    /// see `ftol`
    pub xtol: f64,
}

impl Default for NewtonOptions {
    fn default() -> Self {
        Self { max_iter: 200, ftol: 1e-12, xtol: 1e-7 }
    }
}

/// Result of [`maximize`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewtonResult {
    /// maximiser (unconstrained parameters)
    pub x: Vec<f64>,
    /// value at `x`
    pub f: f64,
    /// gradient at `x`
    pub grad: Vec<f64>,
    /// Hessian at `x` (row-major), for standard errors
    pub hess: Vec<f64>,
    /// Newton iterations done
    pub iterations: usize,
    /// the tolerances were met before the iteration cap
    pub converged: bool,
}

/// Hessian of `obj` at `x`: its own, or central differences of its gradient (symmetrised).
fn hessian_at(obj: &dyn Objective, x: &[f64]) -> Option<Vec<f64>> {
    if let Some(h) = obj.hessian(x) {
        return Some(h);
    }
    let p = x.len();
    let mut h = vec![0.0; p * p];
    let mut y = x.to_vec();
    for i in 0..p {
        let step = FD_STEP * (1.0 + x[i].abs());
        y[i] = x[i] + step;
        let (_, gp) = obj.value_grad(&y)?;
        y[i] = x[i] - step;
        let (_, gm) = obj.value_grad(&y)?;
        y[i] = x[i];
        for j in 0..p {
            h[i * p + j] = (gp[j] - gm[j]) / (2.0 * step);
        }
    }
    for i in 0..p {
        for j in 0..i {
            let m = 0.5 * (h[i * p + j] + h[j * p + i]);
            h[i * p + j] = m;
            h[j * p + i] = m;
        }
    }
    Some(h)
}

/// Solve `A x = b` for a symmetric positive-definite `A` (row-major `p × p`) by Cholesky; `None` when
/// `A` is not positive definite.
#[must_use]
pub fn cholesky_solve(a: &[f64], b: &[f64]) -> Option<Vec<f64>> {
    let p = b.len();
    let mut l = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..=i {
            let mut s = a[i * p + j];
            for k in 0..j {
                s -= l[i * p + k] * l[j * p + k];
            }
            if i == j {
                if !(s > 0.0 && s.is_finite()) {
                    return None;
                }
                l[i * p + i] = s.sqrt();
            } else {
                l[i * p + j] = s / l[j * p + j];
            }
        }
    }
    let mut y = vec![0.0; p];
    for i in 0..p {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * p + k] * y[k];
        }
        y[i] = s / l[i * p + i];
    }
    let mut x = vec![0.0; p];
    for i in (0..p).rev() {
        let mut s = y[i];
        for k in i + 1..p {
            s -= l[k * p + i] * x[k];
        }
        x[i] = s / l[i * p + i];
    }
    Some(x)
}

/// Maximise `obj` from `x0` (which must be a valid point). `None` when `x0` is invalid.
pub fn maximize(obj: &dyn Objective, x0: &[f64], opts: &NewtonOptions) -> Option<NewtonResult> {
    let p = x0.len();
    let mut x = x0.to_vec();
    let (mut f, mut g, mut h_next) = obj.value_grad_hess(&x)?;
    let mut lambda = 1e-3;
    let mut converged = false;
    let mut iterations = 0;
    while iterations < opts.max_iter {
        iterations += 1;
        let h = match h_next.take() {
            Some(h) => h,
            None => hessian_at(obj, &x)?,
        };
        let mut accepted = false;
        let mut small_step = false;
        for _ in 0..40 {
            // (−H + λ·diag(max(|H_ii|, 1e-12·scale))) d = g
            let scale = (0..p).map(|i| h[i * p + i].abs()).fold(0.0, f64::max).max(1e-300);
            let mut a: Vec<f64> = h.iter().map(|v| -v).collect();
            for i in 0..p {
                a[i * p + i] += lambda * h[i * p + i].abs().max(1e-12 * scale);
            }
            let Some(d) = cholesky_solve(&a, &g) else {
                lambda *= 10.0;
                continue;
            };
            let xn: Vec<f64> = x.iter().zip(&d).map(|(a, b)| a + b).collect();
            let step = d.iter().zip(&x).map(|(d, x)| d.abs() / (1.0 + x.abs())).fold(0.0, f64::max);
            match obj.value_grad_hess(&xn) {
                Some((fnew, gnew, hnew)) if fnew.is_finite() && fnew >= f => {
                    let gain = fnew - f;
                    x = xn;
                    f = fnew;
                    g = gnew;
                    h_next = hnew;
                    lambda = (lambda / 10.0).max(1e-12);
                    accepted = true;
                    small_step = gain <= opts.ftol * (1.0 + f.abs()) && step <= opts.xtol;
                    break;
                }
                _ => {
                    if step <= opts.xtol * 1e-3 {
                        // no representable improvement left
                        small_step = true;
                        break;
                    }
                    lambda *= 10.0;
                }
            }
        }
        if small_step {
            converged = true;
            break;
        }
        if !accepted {
            break;
        }
    }
    let hess = match h_next {
        Some(h) => h,
        None => hessian_at(obj, &x).unwrap_or_else(|| vec![f64::NAN; p * p]),
    };
    Some(NewtonResult { x, f, grad: g, hess, iterations, converged })
}

/// Standard errors of the unconstrained parameters from the observed information `−H`:
/// `sqrt(diag((−H)⁻¹))`; NaN where `−H` is not positive definite.
#[must_use]
pub fn standard_errors(hess: &[f64], p: usize) -> Vec<f64> {
    let a: Vec<f64> = hess.iter().map(|v| -v).collect();
    (0..p)
        .map(|i| {
            let mut e = vec![0.0; p];
            e[i] = 1.0;
            cholesky_solve(&a, &e).map_or(f64::NAN, |col| col[i].max(0.0).sqrt())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rosenbrock, negated: maximum 0 at (1, 1); numerical gradient and Hessian.
    struct Rosen;
    impl Objective for Rosen {
        fn dim(&self) -> usize {
            2
        }
        fn value(&self, x: &[f64]) -> Option<f64> {
            Some(-((1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)))
        }
    }

    #[test]
    fn newton_finds_the_rosenbrock_optimum() {
        let r = maximize(&Rosen, &[-1.2, 1.0], &NewtonOptions::default()).unwrap();
        assert!(r.converged);
        assert!((r.x[0] - 1.0).abs() < 1e-4 && (r.x[1] - 1.0).abs() < 1e-4, "{:?}", r.x);
    }

    #[test]
    fn cholesky_solves_and_rejects_indefinite() {
        let x = cholesky_solve(&[4.0, 2.0, 2.0, 3.0], &[2.0, 1.0]).unwrap();
        assert!((x[0] - 0.5).abs() < 1e-15 && x[1].abs() < 1e-15);
        assert!(cholesky_solve(&[1.0, 2.0, 2.0, 1.0], &[1.0, 1.0]).is_none());
        let se = standard_errors(&[-4.0, 0.0, 0.0, -1.0], 2);
        assert!((se[0] - 0.5).abs() < 1e-15 && (se[1] - 1.0).abs() < 1e-15);
    }
}

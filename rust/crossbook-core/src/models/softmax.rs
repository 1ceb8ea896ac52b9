//! Multinomial logistic regression (softmax) with L2, fitted by L-BFGS: the seed's
//! `P(type | features) = softmax(W·φ(features))` trade classifier (heatmap seed §3.4).
//!
//! Objective (the same as scikit-learn's `LogisticRegression(C=…)` with the multinomial loss divided
//! by `C·Σw`): `(1/Σw)·Σ_i w_i·(−ln p_{i,y_i}) + (λ/2)·‖W‖²`, the intercepts not penalised, so
//! `λ = 1/(C·n)` for unit weights. With `standardize` the features are centred and scaled by their
//! training mean and standard deviation first (a constant column is left at 0). L-BFGS (10 pairs) with
//! a backtracking Armijo line search; the gradient pass over rows runs in parallel.

use rayon::prelude::*;

use crate::error::{CoreError, Result};

/// Options of [`SoftmaxClassifier::fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct SoftmaxOptions {
    /// L2 strength λ on the weights (not the intercepts)
    pub l2: f64,
    /// centre and scale the features with the training statistics
    pub standardize: bool,
    /// weight of each class in the loss (None: 1 for all; "balanced" = n / (K·n_k) is computed by callers)
    pub class_weight: Option<Vec<f64>>,
    /// iteration cap of L-BFGS
    pub max_iter: usize,
    /// stop when the largest gradient component is below this
    pub gtol: f64,
}

impl Default for SoftmaxOptions {
    fn default() -> Self {
        Self { l2: 1e-4, standardize: true, class_weight: None, max_iter: 1000, gtol: 1e-7 }
    }
}

/// A fitted softmax classifier.
#[derive(Debug, Clone, PartialEq)]
pub struct SoftmaxClassifier {
    /// number of classes K
    pub n_classes: usize,
    /// number of features d
    pub n_features: usize,
    /// K × (d + 1) row-major: per class d weights then the intercept (on standardized features)
    pub coef: Vec<f64>,
    /// feature means used to standardize (0 without standardization)
    pub mean: Vec<f64>,
    /// feature scales used to standardize (1 without standardization)
    pub scale: Vec<f64>,
    /// final objective value
    pub objective: f64,
    /// L-BFGS iterations
    pub iterations: usize,
    /// the gradient tolerance was met
    pub converged: bool,
}

/// Per-row softmax of K logits into `p` (in place), returns ln Σ exp.
fn softmax_row(z: &mut [f64]) -> f64 {
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut s = 0.0;
    for v in z.iter_mut() {
        *v = (*v - m).exp();
        s += *v;
    }
    for v in z.iter_mut() {
        *v /= s;
    }
    m + s.ln()
}

struct Problem<'a> {
    x: &'a [f64],
    y: &'a [usize],
    w: Vec<f64>,
    wsum: f64,
    n: usize,
    d: usize,
    k: usize,
    l2: f64,
}

impl Problem<'_> {
    /// Objective and gradient at coefficients `c` (K × (d+1)).
    fn eval(&self, c: &[f64]) -> (f64, Vec<f64>) {
        let (d, k) = (self.d, self.k);
        let p1 = d + 1;
        let (f, mut g) = (0..self.n)
            .into_par_iter()
            .fold(
                || (0.0, vec![0.0; k * p1]),
                |(mut f, mut g), i| {
                    let row = &self.x[i * d..(i + 1) * d];
                    let mut z: Vec<f64> = (0..k)
                        .map(|j| {
                            let cj = &c[j * p1..(j + 1) * p1];
                            cj[d] + row.iter().zip(cj).map(|(a, b)| a * b).sum::<f64>()
                        })
                        .collect();
                    let zy = z[self.y[i]];
                    let lse = softmax_row(&mut z);
                    let wi = self.w[i];
                    f += wi * (lse - zy);
                    for j in 0..k {
                        let r = wi * (z[j] - if j == self.y[i] { 1.0 } else { 0.0 });
                        let gj = &mut g[j * p1..(j + 1) * p1];
                        for (ga, xa) in gj.iter_mut().zip(row) {
                            *ga += r * xa;
                        }
                        gj[d] += r;
                    }
                    (f, g)
                },
            )
            .reduce(
                || (0.0, vec![0.0; k * p1]),
                |(fa, mut ga), (fb, gb)| {
                    for (a, b) in ga.iter_mut().zip(&gb) {
                        *a += b;
                    }
                    (fa + fb, ga)
                },
            );
        let mut obj = f / self.wsum;
        for v in &mut g {
            *v /= self.wsum;
        }
        for j in 0..k {
            for a in 0..d {
                let cv = c[j * p1 + a];
                obj += 0.5 * self.l2 * cv * cv;
                g[j * p1 + a] += self.l2 * cv;
            }
        }
        (obj, g)
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Minimise by L-BFGS: returns (x, f, iterations, converged).
fn lbfgs(p: &Problem<'_>, x0: Vec<f64>, max_iter: usize, gtol: f64) -> (Vec<f64>, f64, usize, bool) {
    const M: usize = 10;
    let mut x = x0;
    let (mut f, mut g) = p.eval(&x);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut it = 0;
    let gmax = |g: &[f64]| g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    while it < max_iter {
        if gmax(&g) < gtol {
            return (x, f, it, true);
        }
        it += 1;
        // two-loop recursion: d = −H·g
        let mut q = g.clone();
        let mut alphas = vec![0.0; s_hist.len()];
        for i in (0..s_hist.len()).rev() {
            let rho = 1.0 / dot(&y_hist[i], &s_hist[i]);
            alphas[i] = rho * dot(&s_hist[i], &q);
            for (qv, yv) in q.iter_mut().zip(&y_hist[i]) {
                *qv -= alphas[i] * yv;
            }
        }
        let gamma = match (s_hist.last(), y_hist.last()) {
            (Some(s), Some(y)) => dot(s, y) / dot(y, y),
            _ => 1.0 / gmax(&g).max(1e-12),
        };
        for v in &mut q {
            *v *= gamma;
        }
        for i in 0..s_hist.len() {
            let rho = 1.0 / dot(&y_hist[i], &s_hist[i]);
            let beta = rho * dot(&y_hist[i], &q);
            for (qv, sv) in q.iter_mut().zip(&s_hist[i]) {
                *qv += (alphas[i] - beta) * sv;
            }
        }
        let mut dir: Vec<f64> = q.iter().map(|v| -v).collect();
        let mut slope = dot(&g, &dir);
        if slope >= 0.0 {
            // not a descent direction (numerical trouble): restart from steepest descent
            s_hist.clear();
            y_hist.clear();
            dir = g.iter().map(|v| -v / gmax(&g).max(1e-12)).collect();
            slope = dot(&g, &dir);
        }
        let mut step = 1.0;
        let mut accepted = None;
        for _ in 0..60 {
            let xn: Vec<f64> = x.iter().zip(&dir).map(|(a, b)| a + step * b).collect();
            let (fnew, gnew) = p.eval(&xn);
            if fnew.is_finite() && fnew <= f + 1e-4 * step * slope {
                accepted = Some((xn, fnew, gnew));
                break;
            }
            step *= 0.5;
        }
        let Some((xn, fnew, gnew)) = accepted else {
            return (x, f, it, gmax(&g) < gtol * 1e3);
        };
        let s: Vec<f64> = xn.iter().zip(&x).map(|(a, b)| a - b).collect();
        let yv: Vec<f64> = gnew.iter().zip(&g).map(|(a, b)| a - b).collect();
        if dot(&s, &yv) > 1e-16 * dot(&yv, &yv).sqrt() * dot(&s, &s).sqrt() {
            if s_hist.len() == M {
                s_hist.remove(0);
                y_hist.remove(0);
            }
            s_hist.push(s);
            y_hist.push(yv);
        }
        let small = (f - fnew).abs() <= 1e-15 * f.abs().max(1.0);
        x = xn;
        f = fnew;
        g = gnew;
        if small && gmax(&g) < gtol * 1e3 {
            return (x, f, it, true);
        }
    }
    let conv = gmax(&g) < gtol;
    (x, f, it, conv)
}

impl SoftmaxClassifier {
    /// Fit on `x` (n × d row-major) with labels `y` in `0..n_classes`.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for empty or mismatched input, NaN features, labels out of range,
    /// fewer than two classes, or bad options.
    pub fn fit(x: &[f64], d: usize, y: &[usize], n_classes: usize, opts: &SoftmaxOptions) -> Result<Self> {
        let n = y.len();
        if n == 0 || d == 0 || x.len() != n * d {
            return Err(CoreError::InvalidInput(format!(
                "softmax fit needs n × d features with n >= 1, d >= 1 (got {} values for n = {n}, d = {d})",
                x.len()
            )));
        }
        if n_classes < 2 {
            return Err(CoreError::InvalidInput("softmax fit needs at least two classes".into()));
        }
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(CoreError::InvalidInput(format!("feature {} of row {} is not finite", i % d, i / d)));
        }
        if let Some(i) = y.iter().position(|&c| c >= n_classes) {
            return Err(CoreError::InvalidInput(format!("label {} at row {i} is not below {n_classes}", y[i])));
        }
        if !(opts.l2.is_finite() && opts.l2 >= 0.0) {
            return Err(CoreError::InvalidInput(format!("l2 must be >= 0 (got {})", opts.l2)));
        }
        let cw = match &opts.class_weight {
            Some(w) if w.len() != n_classes || w.iter().any(|v| !(v.is_finite() && *v >= 0.0)) => {
                return Err(CoreError::InvalidInput(format!("class weights must be {n_classes} numbers >= 0")));
            }
            Some(w) => w.clone(),
            None => vec![1.0; n_classes],
        };
        let (mut mean, mut scale) = (vec![0.0; d], vec![1.0; d]);
        if opts.standardize {
            for a in 0..d {
                let m = (0..n).map(|i| x[i * d + a]).sum::<f64>() / n as f64;
                let v = (0..n).map(|i| (x[i * d + a] - m).powi(2)).sum::<f64>() / n as f64;
                mean[a] = m;
                scale[a] = if v > 0.0 { v.sqrt() } else { 1.0 };
            }
        }
        let xs: Vec<f64> = x.iter().enumerate().map(|(i, v)| (v - mean[i % d]) / scale[i % d]).collect();
        let w: Vec<f64> = y.iter().map(|&c| cw[c]).collect();
        let wsum: f64 = w.iter().sum();
        if wsum <= 0.0 {
            return Err(CoreError::InvalidInput("the class weights give every row weight 0".into()));
        }
        let prob = Problem { x: &xs, y, w, wsum, n, d, k: n_classes, l2: opts.l2 };
        let (coef, objective, iterations, converged) =
            lbfgs(&prob, vec![0.0; n_classes * (d + 1)], opts.max_iter, opts.gtol);
        Ok(Self { n_classes, n_features: d, coef, mean, scale, objective, iterations, converged })
    }

    /// Class probabilities of one feature row (length d).
    #[must_use]
    pub fn proba_row(&self, row: &[f64]) -> Vec<f64> {
        let d = self.n_features;
        let p1 = d + 1;
        let mut z: Vec<f64> = (0..self.n_classes)
            .map(|j| {
                let c = &self.coef[j * p1..(j + 1) * p1];
                c[d] + (0..d).map(|a| c[a] * (row[a] - self.mean[a]) / self.scale[a]).sum::<f64>()
            })
            .collect();
        softmax_row(&mut z);
        z
    }

    /// Class probabilities of every row of `x` (n × d), n × K row-major.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] when `x` is not a whole number of rows or holds NaN.
    pub fn predict_proba(&self, x: &[f64]) -> Result<Vec<f64>> {
        let d = self.n_features;
        if !x.len().is_multiple_of(d) {
            return Err(CoreError::InvalidInput(format!(
                "{} values is not a whole number of {d}-feature rows",
                x.len()
            )));
        }
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(CoreError::InvalidInput(format!("feature {} of row {} is not finite", i % d, i / d)));
        }
        Ok(x.par_chunks(d).flat_map_iter(|row| self.proba_row(row)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_classes_and_gradient_zero() {
        // three clusters on a line: x = −2, 0, 2 (with jitter)
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..300 {
            let c = i % 3;
            x.push(2.0 * (c as f64 - 1.0) + 0.3 * ((i as f64 * 0.37).sin()));
            y.push(c);
        }
        let m = SoftmaxClassifier::fit(&x, 1, &y, 3, &SoftmaxOptions { l2: 1e-3, ..Default::default() }).unwrap();
        assert!(m.converged, "{m:?}");
        let p = m.predict_proba(&[-2.0, 0.0, 2.0]).unwrap();
        assert!(p[0] > 0.9 && p[4] > 0.9 && p[8] > 0.9, "{p:?}");
        assert!((p[0] + p[1] + p[2] - 1.0).abs() < 1e-12);
        assert!(SoftmaxClassifier::fit(&x, 1, &y, 2, &SoftmaxOptions::default()).is_err());
        assert!(SoftmaxClassifier::fit(&[f64::NAN], 1, &[0], 2, &SoftmaxOptions::default()).is_err());
    }
}

//! The exponential Hawkes fit at a fixed decay β (what `tick`'s `HawkesExpKern(decays=β)` fits).
//!
//! With β fixed, `g_i = β·Σ_{j<i} e^(−β(t_i−t_j))` and `K = Σ_j (1 − e^(−β(T−t_j)))` are computed once
//! (one `exp` per event, by the recursion), and the log-likelihood
//! `L(μ, n) = Σ ln(μ + n·g_i) − μT − nK` is concave in (μ, n). Newton's method in these natural
//! parameters then needs only the gradient and Hessian — sums of `1/λ_i`, `g_i/λ_i`, `1/λ_i²`, … —
//! so an iteration is one pass of divisions and multiply-adds (no logarithm; in parallel for large
//! N). Steps keep μ > 0 and n >= 0 (at most 90 % of the way to the boundary), and a step is accepted
//! when the directional derivative at the new point has not turned below −½ of its value at the old
//! one (along a concave line this bounds the overshoot; such steps are halved). It stops when the
//! Newton decrement `g·(−H)⁻¹g` (twice the predicted gain in log-likelihood) is below 1e-9; the
//! log-likelihood itself is evaluated once, at the end.

use rayon::prelude::*;

/// Rows per parallel chunk; below two chunks the passes run serially.
const CHUNK: usize = 16_384;

/// Precomputed sums of one fixed-β fit.
pub(crate) struct FixedBeta {
    g: Vec<f64>,
    k: f64,
    horizon: f64,
}

/// Result of [`FixedBeta::fit`].
pub(crate) struct FixedFit {
    pub mu: f64,
    pub n: f64,
    pub loglik: f64,
    pub iterations: usize,
    pub converged: bool,
    /// standard errors of (μ, n) from the observed information (NaN if singular)
    pub se: [f64; 2],
}

/// Sums of one pass: gradient terms (Σ1/λ, Σg/λ) and Hessian terms (Σ1/λ², Σg/λ², Σg²/λ²).
fn sums(g: &[f64], mu: f64, n: f64) -> [f64; 5] {
    let mut s = [0.0; 5];
    for &gi in g {
        let inv = 1.0 / (mu + n * gi);
        let inv2 = inv * inv;
        s[0] += inv;
        s[1] += gi * inv;
        s[2] += inv2;
        s[3] += gi * inv2;
        s[4] += gi * gi * inv2;
    }
    s
}

impl FixedBeta {
    pub(crate) fn new(times: &[f64], horizon: f64, beta: f64) -> Self {
        let mut g = Vec::with_capacity(times.len());
        let mut r = 0.0;
        let mut prev = f64::NAN;
        for &t in times {
            if prev.is_finite() {
                r = (-beta * (t - prev)).exp() * (r + 1.0);
            }
            prev = t;
            g.push(beta * r);
        }
        // K = Σ (1 − e^(−β(T−t_j))) = N − e^(−β(T−t_last))·(R_last + 1)
        let k = if prev.is_finite() { times.len() as f64 - (-beta * (horizon - prev)).exp() * (r + 1.0) } else { 0.0 };
        Self { g, k, horizon }
    }

    /// Gradient and Hessian (h_μμ, h_μn, h_nn) at (μ, n) with μ > 0, n >= 0.
    fn grad_hess(&self, mu: f64, n: f64) -> ([f64; 2], [f64; 3]) {
        let s = if self.g.len() >= 2 * CHUNK {
            self.g.par_chunks(CHUNK).map(|c| sums(c, mu, n)).reduce(
                || [0.0; 5],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                    a
                },
            )
        } else {
            sums(&self.g, mu, n)
        };
        ([s[0] - self.horizon, s[1] - self.k], [-s[2], -s[3], -s[4]])
    }

    /// Log-likelihood at (μ, n).
    pub(crate) fn loglik(&self, mu: f64, n: f64) -> f64 {
        let ln = |c: &[f64]| c.iter().map(|&gi| (mu + n * gi).ln()).sum::<f64>();
        let s = if self.g.len() >= 2 * CHUNK { self.g.par_chunks(CHUNK).map(ln).sum() } else { ln(&self.g) };
        s - mu * self.horizon - n * self.k
    }

    /// Maximum-likelihood (μ, n) by the safeguarded Newton method of the module doc, from
    /// μ = rate/2, n = 1/2 (`rate` = events per second).
    pub(crate) fn fit(&self, rate: f64, max_iter: usize) -> FixedFit {
        let (mut mu, mut n) = (0.5 * rate, 0.5);
        let (mut g, mut h) = self.grad_hess(mu, n);
        let (mut iterations, mut converged) = (0, false);
        while iterations < max_iter {
            iterations += 1;
            // solve (−H) d = g (2 × 2, with a tiny ridge against a singular n-direction)
            let (a, b, c) = (-h[0], -h[1], -h[2]);
            let ridge = 1e-12 * (a + c).abs().max(1e-300);
            let (a, c) = (a + ridge, c + ridge);
            let det = a * c - b * b;
            let d = if det > 0.0 && det.is_finite() {
                [(c * g[0] - b * g[1]) / det, (a * g[1] - b * g[0]) / det]
            } else {
                [g[0] / a.max(1e-300), g[1] / c.max(1e-300)]
            };
            let slope = g[0] * d[0] + g[1] * d[1];
            if slope.is_nan() || slope <= 1e-9 {
                converged = slope.is_finite();
                break;
            }
            let mut s: f64 = 1.0;
            if d[0] < 0.0 {
                s = s.min(0.9 * mu / -d[0]);
            }
            if d[1] < 0.0 {
                s = s.min(0.9 * n / -d[1]);
            }
            let mut accepted = false;
            for _ in 0..40 {
                let (mu1, n1) = (mu + s * d[0], (n + s * d[1]).max(0.0));
                let (g1, h1) = self.grad_hess(mu1, n1);
                let slope1 = g1[0] * d[0] + g1[1] * d[1];
                if slope1.is_finite() && slope1 >= -0.5 * slope {
                    (mu, n, g, h) = (mu1, n1, g1, h1);
                    accepted = true;
                    break;
                }
                s *= 0.5;
            }
            if !accepted {
                break;
            }
        }
        let (a, b, c) = (-h[0], -h[1], -h[2]);
        let det = a * c - b * b;
        let se = if det > 0.0 { [(c / det).sqrt(), (a / det).sqrt()] } else { [f64::NAN; 2] };
        FixedFit { mu, n, loglik: self.loglik(mu, n), iterations, converged, se }
    }
}

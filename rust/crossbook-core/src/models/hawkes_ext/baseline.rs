//! Extension 1: state-dependent baseline `μ(t) = μ₀·exp(Σ_m w_m·z_m(t))` (seed: funding rate F,
//! OI change rate ΔOI and the settlement cycle τ), with the exponential self-excitation unchanged:
//!
//! ```text
//! λ(t) = μ₀·exp(w·z(t−)) + Σ_{t_j<t} n·β·e^(−β(t−t_j))
//! ```
//!
//! Covariates are piecewise constant: sample k (its d values) holds on `(times[k], times[k+1]]`, the
//! first sample also before `times[0]` (the value in force just before t, so the intensity is
//! predictable). The baseline's integral is exact over those segments. Parameters fitted: ln μ₀, the
//! weights w (per covariate unit), ln n, ln β, with the analytic gradient.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp1};

use super::super::hawkes::{check_no_ties, check_times, fit_hawkes_exp, too_few, MIN_EVENTS};
use super::super::hawkes_gof::ks_exp1;
use super::super::hawkes_sim::{check_horizon, runaway, MAX_SIM_EVENTS};
use super::super::optim::{maximize, NewtonOptions, Objective};
use super::{natural_se, ExtFit};
use crate::error::{CoreError, Result};

/// Piecewise-constant covariates (see the module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct Covariates {
    /// sample times, seconds from the window start, non-decreasing
    pub times: Vec<f64>,
    /// row-major `times.len() × names.len()` values
    pub values: Vec<f64>,
    /// one name per covariate (used for the fitted weights: `w_<name>`)
    pub names: Vec<String>,
}

impl Covariates {
    /// Validated covariates.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for no covariate or sample, mismatched sizes, non-finite values or
    /// decreasing times.
    pub fn new(times: Vec<f64>, values: Vec<f64>, names: Vec<String>) -> Result<Self> {
        let d = names.len();
        if d == 0 || times.is_empty() {
            return Err(CoreError::InvalidInput("covariates need at least one column and one sample".into()));
        }
        if values.len() != times.len() * d {
            return Err(CoreError::InvalidInput(format!(
                "covariate values: expected {} × {d} = {} numbers, got {}",
                times.len(),
                times.len() * d,
                values.len()
            )));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(CoreError::InvalidInput(format!(
                "covariate {:?} at sample {} is not finite ({})",
                names[i % d],
                i / d,
                values[i]
            )));
        }
        if let Some(k) = (1..times.len()).find(|&k| times[k].is_nan() || times[k] < times[k - 1]) {
            return Err(CoreError::InvalidInput(format!(
                "covariate times must be non-decreasing; sample {k} ({} s) is before the previous",
                times[k]
            )));
        }
        if !times[0].is_finite() || !times[times.len() - 1].is_finite() {
            return Err(CoreError::InvalidInput("covariate times must be finite".into()));
        }
        Ok(Self { times, values, names })
    }

    /// Number of covariates.
    #[must_use]
    pub fn d(&self) -> usize {
        self.names.len()
    }

    /// Values of sample `k`.
    #[must_use]
    pub fn row(&self, k: usize) -> &[f64] {
        &self.values[k * self.d()..(k + 1) * self.d()]
    }

    /// Sample in force just before `t`: the last with time < t (the first before any).
    #[must_use]
    pub fn row_before(&self, t: f64) -> usize {
        self.times.partition_point(|&x| x < t).saturating_sub(1)
    }

    /// Segments `(start, end, row)` covering `[0, horizon]`.
    fn segments(&self, horizon: f64) -> Vec<(f64, f64, usize)> {
        let mut cuts: Vec<f64> = self.times.iter().copied().filter(|&x| x > 0.0 && x < horizon).collect();
        cuts.dedup();
        let mut out = Vec::with_capacity(cuts.len() + 1);
        let mut a = 0.0;
        for b in cuts.into_iter().chain(std::iter::once(horizon)) {
            let row = self.times.partition_point(|&x| x <= a).saturating_sub(1);
            out.push((a, b, row));
            a = b;
        }
        out
    }
}

/// Parameters of the state-dependent-baseline Hawkes model.
#[derive(Debug, Clone, PartialEq)]
pub struct StateBaseline {
    /// μ₀, events per second at z = 0
    pub mu0: f64,
    /// one weight per covariate, per covariate unit
    pub weights: Vec<f64>,
    /// branching ratio n
    pub branching: f64,
    /// decay β, per second
    pub beta: f64,
}

impl StateBaseline {
    /// Baseline μ₀·exp(w·z) for covariate values `z`.
    #[must_use]
    pub fn baseline(&self, z: &[f64]) -> f64 {
        self.mu0 * self.weights.iter().zip(z).map(|(w, x)| w * x).sum::<f64>().exp()
    }
}

/// The data of a fit with per-event rows and segments precomputed.
struct Data<'a> {
    times: &'a [f64],
    horizon: f64,
    cov: &'a Covariates,
    ev_row: Vec<usize>,
    segs: Vec<(f64, f64, usize)>,
}

impl<'a> Data<'a> {
    fn new(times: &'a [f64], horizon: f64, cov: &'a Covariates) -> Self {
        let ev_row = times.iter().map(|&t| cov.row_before(t)).collect();
        Self { times, horizon, cov, ev_row, segs: cov.segments(horizon) }
    }

    fn params(&self, u: &[f64]) -> StateBaseline {
        let d = self.cov.d();
        StateBaseline { mu0: u[0].exp(), weights: u[1..=d].to_vec(), branching: u[d + 1].exp(), beta: u[d + 2].exp() }
    }

    /// Log-likelihood and its gradient in u = (ln μ₀, w, ln n, ln β).
    fn eval(&self, u: &[f64]) -> Option<(f64, Vec<f64>)> {
        let d = self.cov.d();
        let p = self.params(u);
        let (n, beta) = (p.branching, p.beta);
        let mu_row: Vec<f64> = (0..self.cov.times.len()).map(|k| p.baseline(self.cov.row(k))).collect();
        let mut grad = vec![0.0; d + 3];
        let mut f = 0.0;
        for &(a, b, k) in &self.segs {
            let m = mu_row[k] * (b - a);
            f -= m;
            grad[0] -= m;
            for (g, z) in grad[1..=d].iter_mut().zip(self.cov.row(k)) {
                *g -= m * z;
            }
        }
        let (mut r, mut bsum, mut prev) = (0.0, 0.0, f64::NAN);
        let (mut s_n, mut s_b, mut k0, mut k1) = (0.0, 0.0, 0.0, 0.0);
        for (&t, &k) in self.times.iter().zip(&self.ev_row) {
            if prev.is_finite() {
                let dt = t - prev;
                let e = (-beta * dt).exp();
                bsum = e * (bsum + dt * (r + 1.0));
                r = e * (r + 1.0);
            }
            prev = t;
            let mu = mu_row[k];
            let lam = mu + n * beta * r;
            if !(lam > 0.0 && lam.is_finite()) {
                return None;
            }
            f += lam.ln();
            let w = mu / lam;
            grad[0] += w;
            for (g, z) in grad[1..=d].iter_mut().zip(self.cov.row(k)) {
                *g += w * z;
            }
            s_n += beta * r / lam;
            s_b += (r - beta * bsum) / lam;
            let tau = self.horizon - t;
            let e = (-beta * tau).exp();
            k0 += 1.0 - e;
            k1 += tau * e;
        }
        f -= n * k0;
        grad[d + 1] = n * (s_n - k0);
        grad[d + 2] = beta * n * (s_b - k1);
        f.is_finite().then_some((f, grad))
    }

    /// Compensator increments between events under `p`.
    fn increments(&self, p: &StateBaseline) -> Vec<f64> {
        let mu_row: Vec<f64> = (0..self.cov.times.len()).map(|k| p.baseline(self.cov.row(k))).collect();
        // cumulative baseline integral at each segment start
        let mut cum = Vec::with_capacity(self.segs.len());
        let mut acc = 0.0;
        for &(a, b, k) in &self.segs {
            cum.push(acc);
            acc += mu_row[k] * (b - a);
        }
        let (mut r, mut prev, mut last) = (0.0, f64::NAN, 0.0);
        let mut out = Vec::with_capacity(self.times.len());
        for (i, &t) in self.times.iter().enumerate() {
            if prev.is_finite() {
                r = (-p.beta * (t - prev)).exp() * (r + 1.0);
            }
            prev = t;
            let s = self.segs.partition_point(|&(_, b, _)| b < t).min(self.segs.len() - 1);
            let (a, _, k) = self.segs[s];
            let big = cum[s] + mu_row[k] * (t - a) + p.branching * (i as f64 - r);
            out.push(big - last);
            last = big;
        }
        out
    }
}

impl Objective for Data<'_> {
    fn dim(&self) -> usize {
        self.cov.d() + 3
    }
    fn value(&self, u: &[f64]) -> Option<f64> {
        self.eval(u).map(|v| v.0)
    }
    fn value_grad(&self, u: &[f64]) -> Option<(f64, Vec<f64>)> {
        self.eval(u)
    }
}

/// Fit the state-dependent-baseline model. Parameter names: `mu0`, `w_<covariate>` for each, `alpha`
/// (branching ratio n), `beta`.
///
/// # Errors
/// [`CoreError::InvalidInput`] for bad times, fewer than [`MIN_EVENTS`] events, or a covariate that is
/// constant over the window (its weight would not be identifiable from μ₀).
pub fn fit_state_baseline(times: &[f64], horizon: f64, cov: &Covariates) -> Result<ExtFit> {
    check_times(times, horizon)?;
    if times.len() < MIN_EVENTS {
        return Err(too_few(times.len(), "a state-dependent-baseline Hawkes process"));
    }
    check_no_ties(times)?;
    let data = Data::new(times, horizon, cov);
    for m in 0..cov.d() {
        let mut used = data.segs.iter().filter(|s| s.1 > s.0).map(|s| cov.row(s.2)[m]);
        let first = used.next().unwrap_or(0.0);
        if used.all(|v| v == first) {
            return Err(CoreError::InvalidInput(format!(
                "covariate {:?} is constant over the window: its weight cannot be told from mu0",
                cov.names[m]
            )));
        }
    }
    let base = fit_hawkes_exp(times, horizon, None)?.params;
    let mut u0 = vec![base.mu.ln()];
    u0.extend(vec![0.0; cov.d()]);
    u0.extend([base.branching.max(1e-6).ln(), base.beta.ln()]);
    let r = maximize(&data, &u0, &NewtonOptions::default())
        .ok_or_else(|| CoreError::InvalidInput("state-baseline fit: likelihood undefined at the start".into()))?;
    let p = data.params(&r.x);
    let mut names = vec!["mu0".to_string()];
    names.extend(cov.names.iter().map(|n| format!("w_{n}")));
    names.extend(["alpha".to_string(), "beta".to_string()]);
    let mut values = vec![p.mu0];
    values.extend(&p.weights);
    values.extend([p.branching, p.beta]);
    let mut jac = vec![p.mu0];
    jac.extend(vec![1.0; cov.d()]);
    jac.extend([p.branching, p.beta]);
    let ks = ks_exp1(&data.increments(&p))?;
    Ok(ExtFit {
        names,
        values,
        std_err: natural_se(&r, &jac),
        loglik: r.f,
        n_events: times.len(),
        iterations: r.iterations,
        converged: r.converged,
        ks,
    })
}

/// Log-likelihood and compensator increments of given parameters (for goodness of fit).
///
/// # Errors
/// As [`fit_state_baseline`] for the times; [`CoreError::InvalidInput`] if the weights do not match.
pub fn state_baseline_increments(times: &[f64], horizon: f64, cov: &Covariates, p: &StateBaseline) -> Result<Vec<f64>> {
    check_times(times, horizon)?;
    if p.weights.len() != cov.d() {
        return Err(CoreError::InvalidInput(format!("{} weights for {} covariates", p.weights.len(), cov.d())));
    }
    Ok(Data::new(times, horizon, cov).increments(p))
}

/// Ogata thinning on `[0, horizon]` with the baseline constant on each covariate segment.
///
/// # Errors
/// Bad horizon, mismatched weights, or a runaway simulation.
pub fn simulate_state_baseline(p: &StateBaseline, cov: &Covariates, horizon: f64, seed: u64) -> Result<Vec<f64>> {
    check_horizon(horizon)?;
    if p.weights.len() != cov.d() {
        return Err(CoreError::InvalidInput(format!("{} weights for {} covariates", p.weights.len(), cov.d())));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let alpha = p.branching * p.beta;
    let mut out = Vec::new();
    let (mut t, mut x) = (0.0, 0.0);
    for (_, end, k) in cov.segments(horizon) {
        let mu = p.baseline(cov.row(k));
        loop {
            let bound = mu + x;
            let e: f64 = Exp1.sample(&mut rng);
            let cand = t + e / bound;
            if cand > end {
                x *= (-p.beta * (end - t)).exp();
                t = end;
                break;
            }
            x *= (-p.beta * (cand - t)).exp();
            t = cand;
            if rng.random::<f64>() * bound <= mu + x {
                out.push(t);
                x += alpha;
                if out.len() > MAX_SIM_EVENTS {
                    return Err(runaway());
                }
            }
        }
    }
    Ok(out)
}

//! Exponential-kernel Hawkes process for trade (fill) arrivals (heatmap seed §3.3).
//!
//! ```text
//! λ(t) = μ + Σ_{t_j < t} α·e^(−β(t − t_j)),      branching ratio n = α/β
//! ```
//!
//! We parametrise the kernel by the **branching ratio** `n` (the expected number of events each
//! event triggers; the process is stationary for n < 1): α = n·β, so the kernel is `n·β·e^(−βt)`,
//! which integrates to n. Units: times in seconds, μ in events per second, β per second.
//!
//! **Likelihood in O(N).** With `R_i = Σ_{j<i} e^(−β(t_i − t_j))`, computed by the recursion
//! `R_i = e^(−βΔ_i)(R_{i−1} + 1)` (Ozaki 1979), the log-likelihood on `[0, T]` is
//! `Σ ln(μ + nβR_i) − μT − n·Σ_j (1 − e^(−β(T − t_j)))`. The same recursion carries the sums
//! `B_i = Σ (t_i−t_j)e^(…)` and `C_i = Σ (t_i−t_j)²e^(…)` that give the exact gradient and Hessian
//! in the same pass.
//!
//! **Fit.** Maximum likelihood by the damped Newton method of [`super::optim`] on (ln μ, ln n, ln β)
//! with the exact Hessian. The start comes from a profile over a log-grid of β (μ and n fitted at
//! each β), so a poor local optimum in β is avoided. With a fixed β (`fit_hawkes_exp(.., Some(β))`,
//! what `tick`'s `HawkesExpKern` fits) the sums `R_i` are computed once and the likelihood is concave
//! in (μ, n): see [`super::hawkes_fixed`] (each Newton step is a pass without `exp` or `ln`).
//!
//! **Online intensity.** [`HawkesIntensity`] keeps `λ(t) − μ` at the last event: O(1) per event and
//! per query, and gives the expected number of events over a coming window in closed form.

use rayon::prelude::*;

use super::hawkes_fixed::FixedBeta;
use super::optim::{maximize, standard_errors, NewtonOptions, Objective};
use crate::error::{CoreError, Result};

/// Fewer events than this cannot identify three parameters: fits return [`CoreError::InvalidInput`].
pub const MIN_EVENTS: usize = 10;

/// Check event times (seconds from the start of the window): finite, non-decreasing, in `[0, horizon]`,
/// with a finite horizon > 0.
///
/// # Errors
/// [`CoreError::InvalidInput`] naming the first bad index.
pub fn check_times(times: &[f64], horizon: f64) -> Result<()> {
    if !(horizon.is_finite() && horizon > 0.0) {
        return Err(CoreError::InvalidInput(format!("horizon must be a finite number of seconds > 0 (got {horizon})")));
    }
    let mut prev = 0.0;
    for (i, &t) in times.iter().enumerate() {
        if !t.is_finite() || t < 0.0 || t > horizon {
            return Err(CoreError::InvalidInput(format!(
                "event time at index {i} must be in [0, horizon = {horizon}] seconds (got {t})"
            )));
        }
        if t < prev {
            return Err(CoreError::InvalidInput(format!(
                "event times must be non-decreasing; index {i} ({t} s) is before the previous ({prev} s)"
            )));
        }
        prev = t;
    }
    Ok(())
}

/// Check that no two events share a time. With ties the likelihood is unbounded (a kernel of vanishing
/// width, β → ∞, puts infinite intensity on the tied events), so fits refuse them: merge simultaneous
/// events (one aggressive order printed as several fills) or jitter them within the clock resolution
/// first (`crossbook.models.fit_hawkes_exp(..., ties="merge")` does the former).
///
/// # Errors
/// [`CoreError::InvalidInput`] with the number of tied events and the first one.
pub fn check_no_ties(times: &[f64]) -> Result<()> {
    let ties = times.windows(2).filter(|w| w[1] == w[0]).count();
    match times.windows(2).position(|w| w[1] == w[0]) {
        Some(i) => Err(CoreError::InvalidInput(format!(
            "{ties} events share their time with the previous one (first at index {}, {} s): the likelihood \
             is unbounded with ties; merge simultaneous events or jitter them",
            i + 1,
            times[i]
        ))),
        None => Ok(()),
    }
}

/// The error for too few events.
pub(crate) fn too_few(n: usize, what: &str) -> CoreError {
    CoreError::InvalidInput(format!(
        "too few events to fit {what}: need at least {MIN_EVENTS}, got {n} (use a longer window)"
    ))
}

/// Exponential-kernel Hawkes parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HawkesExp {
    /// baseline intensity μ, events per second
    pub mu: f64,
    /// branching ratio n = α/β (dimensionless; < 1 for a stationary process)
    pub branching: f64,
    /// decay β, per second (mean excitation lifetime 1/β seconds)
    pub beta: f64,
}

impl HawkesExp {
    /// Validated parameters: μ > 0, n >= 0, β > 0, all finite.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] otherwise.
    pub fn new(mu: f64, branching: f64, beta: f64) -> Result<Self> {
        if !(mu.is_finite() && mu > 0.0 && branching.is_finite() && branching >= 0.0 && beta.is_finite() && beta > 0.0)
        {
            return Err(CoreError::InvalidInput(format!(
                "Hawkes parameters need mu > 0, alpha (branching ratio) >= 0 and beta > 0, all finite \
                 (got mu={mu}, alpha={branching}, beta={beta})"
            )));
        }
        Ok(Self { mu, branching, beta })
    }

    /// The kernel's jump α = n·β (intensity added by one event, events per second).
    #[must_use]
    pub fn kernel_alpha(&self) -> f64 {
        self.branching * self.beta
    }

    /// Long-run mean intensity μ/(1 − n) (infinite for n >= 1).
    #[must_use]
    pub fn stationary_rate(&self) -> f64 {
        if self.branching < 1.0 {
            self.mu / (1.0 - self.branching)
        } else {
            f64::INFINITY
        }
    }

    /// Log-likelihood of `times` on `[0, horizon]` (times checked by the caller).
    #[must_use]
    pub fn loglik(&self, times: &[f64], horizon: f64) -> f64 {
        pass(times, horizon, self.mu, self.branching, self.beta, false).map_or(f64::NEG_INFINITY, |p| p.f)
    }

    /// Compensator increments Λ(t_{i−1}, t_i] (with t_{−1} = 0), one per event: i.i.d. Exp(1) under
    /// the model (time-rescaling theorem).
    #[must_use]
    pub fn compensator_increments(&self, times: &[f64]) -> Vec<f64> {
        let mut out = Vec::with_capacity(times.len());
        let a = self.kernel_alpha();
        let (mut prev, mut x) = (0.0, 0.0); // x = λ(prev+) − μ
        for &t in times {
            let dt = t - prev;
            let decay = (-self.beta * dt).exp();
            out.push(self.mu * dt + x * (1.0 - decay) / self.beta);
            x = x * decay + a;
            prev = t;
        }
        out
    }

    /// Expected number of events in the next `h` seconds when the excitation now is `x = λ(now) − μ`:
    /// `E N = (μ + x)·h·φ(κh) + μβh²·ψ(κh)`, κ = β(1 − n), φ(z) = (1 − e^(−z))/z,
    /// ψ(z) = (z − 1 + e^(−z))/z² (the mean-intensity ODE `dE/ds = βμ − β(1−n)E` integrated; exact for
    /// any n, including n >= 1).
    #[must_use]
    pub fn expected_count(&self, x: f64, h: f64) -> f64 {
        if h <= 0.0 {
            return 0.0;
        }
        let z = self.beta * (1.0 - self.branching) * h;
        (self.mu + x) * h * phi(z) + self.mu * self.beta * h * h * psi(z)
    }
}

/// (1 − e^(−z))/z, stable near 0.
fn phi(z: f64) -> f64 {
    if z.abs() < 1e-8 {
        1.0 - z / 2.0
    } else {
        -(-z).exp_m1() / z
    }
}

/// (z − 1 + e^(−z))/z², stable near 0.
fn psi(z: f64) -> f64 {
    if z.abs() < 1e-4 {
        0.5 - z / 6.0 + z * z / 24.0
    } else {
        (z + (-z).exp_m1()) / (z * z)
    }
}

/// Log-likelihood with its gradient and Hessian in (μ, n, β).
struct Pass {
    f: f64,
    g: [f64; 3],
    h: [f64; 9],
}

/// One O(N) pass: log-likelihood, exact gradient and (if `hess`) Hessian in (μ, n, β). `None` when an
/// intensity is not positive.
fn pass(times: &[f64], horizon: f64, mu: f64, n: f64, beta: f64, hess: bool) -> Option<Pass> {
    let (mut r, mut b, mut c) = (0.0, 0.0, 0.0);
    let (mut f, mut smu, mut sn, mut sb) = (0.0, 0.0, 0.0, 0.0);
    let mut hs = [0.0; 8]; // mumu, mun, mub, nn, nb1, nb2, bb1, bb2
    let mut prev = f64::NAN;
    for &t in times {
        if prev.is_finite() {
            let dt = t - prev;
            let d = (-beta * dt).exp();
            let rp = r + 1.0;
            if hess {
                c = d * (c + 2.0 * dt * b + dt * dt * rp);
            }
            b = d * (b + dt * rp);
            r = d * rp;
        }
        prev = t;
        let g = beta * r;
        let gp = r - beta * b;
        let lam = mu + n * g;
        if !(lam > 0.0 && lam.is_finite()) {
            return None;
        }
        let inv = 1.0 / lam;
        f += lam.ln();
        smu += inv;
        sn += g * inv;
        sb += gp * inv;
        if hess {
            let inv2 = inv * inv;
            let gpp = beta * c - 2.0 * b;
            hs[0] += inv2;
            hs[1] += g * inv2;
            hs[2] += gp * inv2;
            hs[3] += g * g * inv2;
            hs[4] += gp * inv;
            hs[5] += g * gp * inv2;
            hs[6] += gpp * inv;
            hs[7] += gp * gp * inv2;
        }
    }
    // Σ_j e^(−β(T−t_j)), Σ (T−t_j)e^(…), Σ (T−t_j)²e^(…): the recursion carried to a virtual event at T
    let (mut k0, mut k1, mut k2) = (0.0, 0.0, 0.0);
    if prev.is_finite() {
        let dt = horizon - prev;
        let d = (-beta * dt).exp();
        let rp = r + 1.0;
        k0 = times.len() as f64 - d * rp;
        k1 = d * (b + dt * rp);
        k2 = d * (c + 2.0 * dt * b + dt * dt * rp);
    }
    f -= mu * horizon + n * k0;
    let grad = [smu - horizon, sn - k0, n * (sb - k1)];
    let mut h = [0.0; 9];
    if hess {
        let hmn = -hs[1];
        let hmb = -n * hs[2];
        let hnb = hs[4] - n * hs[5] - k1;
        h = [-hs[0], hmn, hmb, hmn, -hs[3], hnb, hmb, hnb, n * hs[6] - n * n * hs[7] + n * k2];
    }
    Some(Pass { f, g: grad, h })
}

/// The three-parameter likelihood in u = (ln μ, ln n, ln β).
struct Full<'a> {
    times: &'a [f64],
    horizon: f64,
}

impl Full<'_> {
    fn at(&self, u: &[f64], hess: bool) -> Option<(Pass, [f64; 3])> {
        let th = [u[0].exp(), u[1].exp(), u[2].exp()];
        let p = pass(self.times, self.horizon, th[0], th[1], th[2], hess)?;
        p.f.is_finite().then_some((p, th))
    }
}

impl Objective for Full<'_> {
    fn dim(&self) -> usize {
        3
    }
    fn value(&self, u: &[f64]) -> Option<f64> {
        self.at(u, false).map(|(p, _)| p.f)
    }
    fn value_grad(&self, u: &[f64]) -> Option<(f64, Vec<f64>)> {
        let (p, th) = self.at(u, false)?;
        Some((p.f, (0..3).map(|i| p.g[i] * th[i]).collect()))
    }
    fn hessian(&self, u: &[f64]) -> Option<Vec<f64>> {
        let (p, th) = self.at(u, true)?;
        Some(log_hessian(&p.h, &p.g, &th))
    }
    fn value_grad_hess(&self, u: &[f64]) -> Option<(f64, Vec<f64>, Option<Vec<f64>>)> {
        let (p, th) = self.at(u, true)?;
        let h = log_hessian(&p.h, &p.g, &th);
        Some((p.f, (0..3).map(|i| p.g[i] * th[i]).collect(), Some(h)))
    }
}

/// Hessian in log-parameters: `D H D + diag(θ ∘ g)`, D = diag(θ).
fn log_hessian(h: &[f64], g: &[f64], th: &[f64]) -> Vec<f64> {
    let p = th.len();
    let mut out = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            out[i * p + j] = th[i] * h[i * p + j] * th[j];
        }
        out[i * p + i] += th[i] * g[i];
    }
    out
}

/// A fitted exponential Hawkes process.
#[derive(Debug, Clone, PartialEq)]
pub struct HawkesFit {
    /// the maximum-likelihood parameters
    pub params: HawkesExp,
    /// log-likelihood at the optimum
    pub loglik: f64,
    /// events used
    pub n_events: usize,
    /// observation window, seconds
    pub horizon: f64,
    /// Newton iterations of the final fit
    pub iterations: usize,
    /// the optimiser met its tolerances
    pub converged: bool,
    /// β was given, not fitted
    pub fixed_beta: bool,
    /// asymptotic standard errors of (μ, n, β) from the observed information (delta method from the
    /// log-parameters; 0 for a fixed β; NaN only if the information matrix is singular)
    pub std_err: [f64; 3],
}

/// Maximum-likelihood fit of an exponential Hawkes process to event times on `[0, horizon]` seconds;
/// with `beta = Some(β)` the decay is held fixed and only μ and n are fitted.
///
/// # Errors
/// [`CoreError::InvalidInput`] for bad times (see [`check_times`]), fewer than [`MIN_EVENTS`] events,
/// tied times (see [`check_no_ties`]), a non-positive fixed β, or a likelihood the optimiser cannot
/// evaluate at its start.
pub fn fit_hawkes_exp(times: &[f64], horizon: f64, beta: Option<f64>) -> Result<HawkesFit> {
    check_times(times, horizon)?;
    if times.len() < MIN_EVENTS {
        return Err(too_few(times.len(), "a Hawkes process"));
    }
    check_no_ties(times)?;
    let rate = times.len() as f64 / horizon;
    let opts = NewtonOptions::default();
    let fail = || CoreError::InvalidInput("Hawkes fit: the likelihood cannot be evaluated at the start".into());
    if let Some(b) = beta {
        if !(b.is_finite() && b > 0.0) {
            return Err(CoreError::InvalidInput(format!("fixed beta must be a finite rate > 0 per second (got {b})")));
        }
        let r = FixedBeta::new(times, horizon, b).fit(rate, 200);
        if !(r.mu.is_finite() && r.n.is_finite() && r.loglik.is_finite()) {
            return Err(fail());
        }
        return Ok(HawkesFit {
            params: HawkesExp { mu: r.mu, branching: r.n, beta: b },
            loglik: r.loglik,
            n_events: times.len(),
            horizon,
            iterations: r.iterations,
            converged: r.converged,
            fixed_beta: true,
            std_err: [r.se[0], r.se[1], 0.0],
        });
    }
    // profile over β on a log-grid (one point per decade, rate/100 … rate·10⁴; μ and n fitted at each,
    // the grid points in parallel), then the full Newton fit from the best
    let best = (-2..=4)
        .into_par_iter()
        .filter_map(|k| {
            let b = rate * 10f64.powi(k);
            let r = FixedBeta::new(times, horizon, b).fit(rate, 50);
            r.loglik.is_finite().then(|| (r.loglik, vec![r.mu.ln(), r.n.max(1e-8).ln(), b.ln()]))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let (_, x0) = best.ok_or_else(fail)?;
    let r = maximize(&Full { times, horizon }, &x0, &opts).ok_or_else(fail)?;
    let se = standard_errors(&r.hess, 3);
    let th = [r.x[0].exp(), r.x[1].exp(), r.x[2].exp()];
    Ok(HawkesFit {
        params: HawkesExp { mu: th[0], branching: th[1], beta: th[2] },
        loglik: r.f,
        n_events: times.len(),
        horizon,
        iterations: r.iterations,
        converged: r.converged,
        fixed_beta: false,
        std_err: [th[0] * se[0], th[1] * se[1], th[2] * se[2]],
    })
}

/// Homogeneous Poisson fit (μ = N/T): the null model of the goodness-of-fit comparison.
///
/// # Errors
/// As [`check_times`]; at least one event.
pub fn fit_poisson(times: &[f64], horizon: f64) -> Result<f64> {
    check_times(times, horizon)?;
    if times.is_empty() {
        return Err(CoreError::InvalidInput("a Poisson fit needs at least one event".into()));
    }
    Ok(times.len() as f64 / horizon)
}

/// O(1) online intensity of a fitted exponential Hawkes process: feed event times as they come.
#[derive(Debug, Clone, PartialEq)]
pub struct HawkesIntensity {
    params: HawkesExp,
    /// time of the last event, seconds (−∞ before any)
    last_t: f64,
    /// λ(last_t+) − μ: the excitation just after the last event
    excitation: f64,
    /// events seen
    count: u64,
}

impl HawkesIntensity {
    /// A fresh state (no events yet: λ = μ).
    #[must_use]
    pub fn new(params: HawkesExp) -> Self {
        Self { params, last_t: f64::NEG_INFINITY, excitation: 0.0, count: 0 }
    }

    /// The parameters.
    #[must_use]
    pub fn params(&self) -> HawkesExp {
        self.params
    }

    /// Events seen.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count
    }

    fn check(&self, t: f64) -> Result<()> {
        if t.is_finite() && t >= self.last_t {
            Ok(())
        } else {
            Err(CoreError::InvalidInput(format!(
                "time {t} s must be finite and not before the last event ({} s)",
                self.last_t
            )))
        }
    }

    /// Excitation λ(t) − μ at `t >= last event`.
    fn excitation_at(&self, t: f64) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.excitation * (-self.params.beta * (t - self.last_t)).exp()
        }
    }

    /// Record an event at `t` (seconds); returns λ(t−), the intensity just before it.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a non-finite time or one before the last event.
    pub fn update(&mut self, t: f64) -> Result<f64> {
        self.check(t)?;
        let x = self.excitation_at(t);
        self.excitation = x + self.params.kernel_alpha();
        self.last_t = t;
        self.count += 1;
        Ok(self.params.mu + x)
    }

    /// λ(t), events per second, at `t >= last event`.
    ///
    /// # Errors
    /// As [`HawkesIntensity::update`].
    pub fn intensity(&self, t: f64) -> Result<f64> {
        self.check(t)?;
        Ok(self.params.mu + self.excitation_at(t))
    }

    /// Expected number of events in `(t, t + h]` given the history so far (see
    /// [`HawkesExp::expected_count`]).
    ///
    /// # Errors
    /// As [`HawkesIntensity::update`].
    pub fn expected_count(&self, t: f64, h: f64) -> Result<f64> {
        self.check(t)?;
        Ok(self.params.expected_count(self.excitation_at(t), h))
    }
}

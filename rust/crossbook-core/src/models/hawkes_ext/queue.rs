//! Extension 3: queue-consumption kernel. An event's excitation grows with the queue consumed since it:
//!
//! ```text
//! λ(t) = μ + Σ_{t_j<t} n·β·e^(−β(t−t_j))·(1 + c·min((q(t−) − q(t_j−))/Q, 1))
//! ```
//!
//! q(t) is the cumulative queue consumption at our level (non-decreasing, piecewise constant between
//! samples; as-of the last sample strictly before t), Q the typical queue size (the seed's
//! `TYPICAL_QUEUE_SIZE`, held fixed) and c the seed's `beta_queue_sensitivity` (0.5 there).
//!
//! **Exact O(N + K) likelihood.** Because q is non-decreasing, the events whose multiplier has reached
//! its cap 1 + c are always the oldest ones: a pointer moves them from the "uncapped" to the "capped"
//! group as q grows. Within each group the sums `Σ e^(−β(t−t_j))` and `Σ q_j·e^(−β(t−t_j))` decay at
//! rate β, so the intensity `μ + nβ[(1+c)·R_cap + R_unc + (c/Q)(q·R_unc − S_unc)]` and its integral
//! between consecutive events or queue samples are closed-form. Fitted: ln μ, ln n, ln β and
//! γ = ln(1 + c) (so c > −1 and the multiplier stays positive), by Newton on central differences of
//! this exact likelihood.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp1};

use super::super::hawkes::{check_no_ties, check_times, fit_hawkes_exp, too_few, MIN_EVENTS};
use super::super::hawkes_gof::ks_exp1;
use super::super::hawkes_sim::{check_horizon, runaway, MAX_SIM_EVENTS};
use super::super::optim::{maximize, NewtonOptions, Objective};
use super::{natural_se, ExtFit};
use crate::error::{CoreError, Result};

/// Cumulative queue consumption q(t): samples (time s, value), non-decreasing in both.
#[derive(Debug, Clone, Copy)]
pub struct QueuePath<'a> {
    /// sample times, seconds from the window start
    pub times: &'a [f64],
    /// cumulative consumption at our level, size units, non-decreasing
    pub consumed: &'a [f64],
}

impl QueuePath<'_> {
    fn check(&self) -> Result<()> {
        if self.times.len() != self.consumed.len() || self.times.is_empty() {
            return Err(CoreError::InvalidInput(format!(
                "queue path: need as many (>= 1) times as values, got {} and {}",
                self.times.len(),
                self.consumed.len()
            )));
        }
        for k in 0..self.times.len() {
            let (t, q) = (self.times[k], self.consumed[k]);
            if !(t.is_finite() && q.is_finite()) {
                return Err(CoreError::InvalidInput(format!("queue sample {k} is not finite ({t} s, {q})")));
            }
            if k > 0 && (t < self.times[k - 1] || q < self.consumed[k - 1]) {
                return Err(CoreError::InvalidInput(format!(
                    "queue sample {k}: times and cumulative consumption must be non-decreasing"
                )));
            }
        }
        Ok(())
    }
}

/// Parameters of the queue-kernel model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueParams {
    /// baseline μ, events per second
    pub mu: f64,
    /// branching weight n before any queue consumption
    pub branching: f64,
    /// decay β, per second
    pub beta: f64,
    /// queue sensitivity c (> −1): the multiplier reaches 1 + c after Q consumed
    pub sensitivity: f64,
    /// typical queue size Q, size units (> 0)
    pub typical_queue: f64,
}

/// The sweep state: two groups of decaying sums at time `now`.
struct State {
    now: f64,
    q: f64,
    r_all: f64,
    r_unc: f64,
    s_unc: f64,
    /// uncapped events: (time, q at the event); the oldest first
    unc: std::collections::VecDeque<(f64, f64)>,
}

impl State {
    fn new(q0: f64) -> Self {
        Self { now: 0.0, q: q0, r_all: 0.0, r_unc: 0.0, s_unc: 0.0, unc: std::collections::VecDeque::new() }
    }

    /// Bracket E with λ = μ + nβE.
    fn excitation(&self, p: &QueueParams) -> f64 {
        let c = p.sensitivity;
        ((1.0 + c) * (self.r_all - self.r_unc) + self.r_unc + c / p.typical_queue * (self.q * self.r_unc - self.s_unc))
            .max(0.0)
    }

    /// Move to `t`: returns ∫_{now}^{t} (λ − μ) and decays the sums.
    fn advance(&mut self, t: f64, p: &QueueParams) -> f64 {
        let h = t - self.now;
        if h <= 0.0 {
            return 0.0;
        }
        let e = (-p.beta * h).exp();
        let integral = p.branching * self.excitation(p) * (1.0 - e);
        self.r_all *= e;
        self.r_unc *= e;
        self.s_unc *= e;
        self.now = t;
        integral
    }

    /// A new queue value: events with q_j <= q − Q reach their cap.
    fn set_q(&mut self, q: f64, p: &QueueParams) {
        self.q = q;
        while let Some(&(tj, qj)) = self.unc.front() {
            if qj > q - p.typical_queue {
                break;
            }
            let e = (-p.beta * (self.now - tj)).exp();
            self.r_unc = (self.r_unc - e).max(0.0);
            self.s_unc = (self.s_unc - qj * e).max(0.0);
            self.unc.pop_front();
        }
        if self.unc.is_empty() {
            self.r_unc = 0.0;
            self.s_unc = 0.0;
        }
    }

    fn add_event(&mut self) {
        self.r_all += 1.0;
        self.r_unc += 1.0;
        self.s_unc += self.q;
        self.unc.push_back((self.now, self.q));
    }
}

/// Sweep the events and queue samples: (log-likelihood, compensator increments if asked).
fn sweep(times: &[f64], horizon: f64, path: QueuePath<'_>, p: &QueueParams, incr: bool) -> Option<(f64, Vec<f64>)> {
    let mut st = State::new(path.consumed[0]);
    let (mut f, mut big, mut last) = (0.0, 0.0, 0.0);
    let mut out = Vec::with_capacity(if incr { times.len() } else { 0 });
    let mut k = 0;
    for &t in times {
        // queue samples strictly before the event
        while k < path.times.len() && path.times[k] < t {
            big += p.mu * (path.times[k].max(0.0) - st.now).max(0.0) + st.advance(path.times[k].max(0.0), p);
            st.set_q(path.consumed[k], p);
            k += 1;
        }
        big += p.mu * (t - st.now) + st.advance(t, p);
        let lam = p.mu + p.branching * p.beta * st.excitation(p);
        if !(lam > 0.0 && lam.is_finite()) {
            return None;
        }
        f += lam.ln();
        if incr {
            out.push(big - last);
            last = big;
        }
        st.add_event();
    }
    while k < path.times.len() && path.times[k] < horizon {
        big += p.mu * (path.times[k].max(0.0) - st.now).max(0.0) + st.advance(path.times[k].max(0.0), p);
        st.set_q(path.consumed[k], p);
        k += 1;
    }
    big += p.mu * (horizon - st.now) + st.advance(horizon, p);
    f -= big;
    f.is_finite().then_some((f, out))
}

struct Data<'a> {
    times: &'a [f64],
    horizon: f64,
    path: QueuePath<'a>,
    typical_queue: f64,
}

impl Data<'_> {
    fn params(&self, u: &[f64]) -> QueueParams {
        QueueParams {
            mu: u[0].exp(),
            branching: u[1].exp(),
            beta: u[2].exp(),
            sensitivity: u[3].exp_m1(),
            typical_queue: self.typical_queue,
        }
    }
}

impl Objective for Data<'_> {
    fn dim(&self) -> usize {
        4
    }
    fn value(&self, u: &[f64]) -> Option<f64> {
        sweep(self.times, self.horizon, self.path, &self.params(u), false).map(|v| v.0)
    }
}

fn check_queue(path: &QueuePath<'_>, typical_queue: f64) -> Result<()> {
    path.check()?;
    if typical_queue.is_finite() && typical_queue > 0.0 {
        Ok(())
    } else {
        Err(CoreError::InvalidInput(format!("typical queue size must be > 0 (got {typical_queue})")))
    }
}

/// Fit the queue-kernel model with Q = `typical_queue` held fixed. Parameter names: `mu`, `alpha`
/// (n), `beta`, `queue_sensitivity` (c), then the fixed `typical_queue`.
///
/// # Errors
/// [`CoreError::InvalidInput`] for bad times or queue path, Q <= 0, or too few events.
pub fn fit_queue(times: &[f64], horizon: f64, path: QueuePath<'_>, typical_queue: f64) -> Result<ExtFit> {
    check_times(times, horizon)?;
    check_queue(&path, typical_queue)?;
    if times.len() < MIN_EVENTS {
        return Err(too_few(times.len(), "a queue-kernel Hawkes process"));
    }
    check_no_ties(times)?;
    let base = fit_hawkes_exp(times, horizon, None)?.params;
    let data = Data { times, horizon, path, typical_queue };
    let u0 = [base.mu.ln(), base.branching.max(1e-6).ln(), base.beta.ln(), 0.0];
    let r = maximize(&data, &u0, &NewtonOptions::default())
        .ok_or_else(|| CoreError::InvalidInput("queue fit: likelihood undefined at the start".into()))?;
    let p = data.params(&r.x);
    let jac = [p.mu, p.branching, p.beta, 1.0 + p.sensitivity];
    let mut std_err = natural_se(&r, &jac);
    std_err.push(0.0);
    let (_, incr) = sweep(times, horizon, path, &p, true)
        .ok_or_else(|| CoreError::InvalidInput("queue fit: likelihood undefined at the optimum".into()))?;
    Ok(ExtFit {
        names: ["mu", "alpha", "beta", "queue_sensitivity", "typical_queue"].map(String::from).to_vec(),
        values: vec![p.mu, p.branching, p.beta, p.sensitivity, typical_queue],
        std_err,
        loglik: r.f,
        n_events: times.len(),
        iterations: r.iterations,
        converged: r.converged,
        ks: ks_exp1(&incr)?,
    })
}

/// Log-likelihood and compensator increments of given parameters.
///
/// # Errors
/// Bad times, path or parameters.
pub fn queue_loglik(times: &[f64], horizon: f64, path: QueuePath<'_>, p: &QueueParams) -> Result<(f64, Vec<f64>)> {
    check_times(times, horizon)?;
    check_queue(&path, p.typical_queue)?;
    sweep(times, horizon, path, p, true)
        .ok_or_else(|| CoreError::InvalidInput("queue model: a non-positive or infinite intensity".into()))
}

/// Ogata thinning of the queue-kernel model along a given queue path.
///
/// # Errors
/// Bad horizon, path or parameters, or a runaway simulation.
pub fn simulate_queue(p: &QueueParams, path: QueuePath<'_>, horizon: f64, seed: u64) -> Result<Vec<f64>> {
    check_horizon(horizon)?;
    check_queue(&path, p.typical_queue)?;
    if p.sensitivity.is_nan() || p.sensitivity <= -1.0 {
        return Err(CoreError::InvalidInput(format!("queue sensitivity must be > -1 (got {})", p.sensitivity)));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut st = State::new(path.consumed[0]);
    let mut out = Vec::new();
    let mut k = 0;
    let cap = 1.0 + p.sensitivity.max(0.0);
    loop {
        // the multipliers never exceed `cap` and the sums only decay until the next event
        let bound = p.mu + p.branching * p.beta * cap * st.r_all;
        let e: f64 = Exp1.sample(&mut rng);
        let cand = st.now + e / bound;
        if cand > horizon {
            break;
        }
        while k < path.times.len() && path.times[k] < cand {
            st.advance(path.times[k].max(st.now), p);
            st.set_q(path.consumed[k], p);
            k += 1;
        }
        st.advance(cand, p);
        let lam = p.mu + p.branching * p.beta * st.excitation(p);
        if rng.random::<f64>() * bound <= lam {
            out.push(cand);
            st.add_event();
            if out.len() > MAX_SIM_EVENTS {
                return Err(runaway());
            }
        }
    }
    Ok(out)
}

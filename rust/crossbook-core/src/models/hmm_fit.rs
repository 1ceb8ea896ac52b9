//! Baum–Welch (EM with forward–backward) for the diagonal-Gaussian HMM of [`super::hmm`], on past data.
//!
//! - **Initialisation.** Restart 0 is deterministic: observations sorted by the ordering feature
//!   (volatility) are cut into K consecutive groups whose sizes follow the stationary distribution of the
//!   initial transition matrix (the seed's for K = 4: ≈ 69 % quiet, 20 % trending, 9 % volatile, 1 %
//!   cascade); each state starts at its group's means and variances. Restarts 1.. pick K centres by
//!   k-means++ on the standardised features (seeded ChaCha8), with the overall variances. Every restart
//!   starts from the same transition matrix (the seed's for K = 4, otherwise 0.9 on the diagonal) and
//!   uniform start probabilities; restarts run in parallel and the best final log-likelihood wins (the
//!   lowest restart index on ties), so the result depends only on the data and `seed`.
//! - **E-step.** Scaled forward–backward (emissions shifted by their per-step maximum); if a scale
//!   factor underflows or a backward variable overflows, that iteration is redone in log space.
//! - **M-step.** Start probabilities = γ₀; transitions = Σξ / Σγ; means and variances weighted by γ.
//!   **Degenerate states**: each variance is floored at `var_floor × (that feature's overall variance)`
//!   (a constant feature: `1e-12 · max(1, mean²)`), so no state collapses onto a point; a state whose
//!   occupancy Σγ falls below `max(2, 1e-4·n)` observations is **re-initialised** at the worst-explained
//!   observation (lowest `max_j ln b_j`) with the overall variances and its initial transition row, and
//!   EM continues (at most `4·K` re-initialisations per restart; after that the state keeps its last
//!   parameters). A transition row with no mass keeps its previous values. Nothing here produces NaN.
//! - **Zero-mean features.** Features flagged in `zero_mean` (a signed flow imbalance: its sign is the
//!   direction, not the regime) keep emission mean 0 in every state; only their variance is estimated
//!   (`Σγx² / Σγ`), so states cannot split on the sign of the flow.
//! - **Stopping.** When the log-likelihood gains less than `tol` per observation, or after `n_iter`
//!   M-steps.
//! - **Ordering.** States are finally sorted by the mean of feature `order_by` (ascending), so with the
//!   volatility feature first the labels are Quiet < Trending < Volatile < Cascade by volatility and do not
//!   permute between fits.

// The recursions index several K×K and n×K arrays with the same (t, i, j); iterators would hide that.
#![allow(clippy::needless_range_loop)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::hmm::{check_obs, GaussianHmm, SEED_TRANSMAT};
use super::hmm_estep::Workspace;
use crate::error::{CoreError, Result};

/// Settings of [`fit`]. `Default` is the four-regime fit.
#[derive(Debug, Clone, PartialEq)]
pub struct FitConfig {
    /// number of states K (>= 1)
    pub n_states: usize,
    /// maximum EM iterations (M-steps) per restart (>= 1)
    pub n_iter: usize,
    /// stop when the log-likelihood gains less than this per observation (>= 0)
    pub tol: f64,
    /// restarts (>= 1); restart 0 is the quantile initialisation
    pub n_restarts: usize,
    /// seed of the k-means++ restarts
    pub seed: u64,
    /// variance floor as a fraction of each feature's overall variance (> 0)
    pub var_floor: f64,
    /// the feature whose state means order the states (the volatility column)
    pub order_by: usize,
    /// initial transition matrix K×K (default: the seed's for K = 4, else 0.9 on the diagonal)
    pub transmat_init: Option<Vec<f64>>,
    /// features whose emission mean is fixed at 0 in every state (empty: none; else one flag per feature)
    pub zero_mean: Vec<bool>,
}

impl Default for FitConfig {
    fn default() -> Self {
        Self {
            n_states: 4,
            n_iter: 100,
            tol: 1e-6,
            n_restarts: 4,
            seed: 0,
            var_floor: 1e-3,
            order_by: 0,
            transmat_init: None,
            zero_mean: Vec::new(),
        }
    }
}

/// What [`fit`] returns.
#[derive(Debug, Clone)]
pub struct FitResult {
    /// the fitted model, states ordered by the mean of feature `order_by`
    pub model: GaussianHmm,
    /// log-likelihood of the data under `model`
    pub loglik: f64,
    /// M-steps of the winning restart
    pub n_iter: usize,
    /// whether the winning restart met `tol` before `n_iter`
    pub converged: bool,
    /// final log-likelihood of every restart (restart order)
    pub restart_logliks: Vec<f64>,
    /// index of the winning restart
    pub best_restart: usize,
    /// degenerate-state re-initialisations in the winning restart
    pub n_reinit: usize,
    /// E-steps of the winning restart that fell back to log space
    pub n_log_space: usize,
    /// the absolute variance floor per feature
    pub var_floor: Vec<f64>,
}

/// Fit a K-state diagonal-Gaussian HMM to `x` (n×d, row-major) by Baum–Welch; see the module doc.
///
/// # Errors
/// [`CoreError::InvalidInput`] for non-finite observations, fewer than `max(2, K)` rows, `order_by >= d`,
/// a bad setting, or an initial transition matrix that is not K×K stochastic.
pub fn fit(x: &[f64], d: usize, cfg: &FitConfig) -> Result<FitResult> {
    let n = check_obs(x, d)?;
    let k = cfg.n_states;
    if k == 0 {
        return Err(CoreError::InvalidInput("n_states must be at least 1".into()));
    }
    if n < k.max(2) {
        return Err(CoreError::InvalidInput(format!("fit needs at least {} observations (got {n})", k.max(2))));
    }
    if cfg.n_iter == 0 || cfg.n_restarts == 0 {
        return Err(CoreError::InvalidInput("n_iter and n_restarts must be at least 1".into()));
    }
    if !(cfg.tol.is_finite() && cfg.tol >= 0.0 && cfg.var_floor.is_finite() && cfg.var_floor > 0.0) {
        return Err(CoreError::InvalidInput(format!(
            "tol must be >= 0 and var_floor > 0 (got tol={}, var_floor={})",
            cfg.tol, cfg.var_floor
        )));
    }
    if cfg.order_by >= d {
        return Err(CoreError::InvalidInput(format!("order_by={} but the data has {d} features", cfg.order_by)));
    }
    let trans0 = match &cfg.transmat_init {
        Some(t) => t.clone(),
        None if k == 4 => SEED_TRANSMAT.concat(),
        None => default_transmat(k),
    };
    // validates the initial transition matrix (and nothing else matters yet)
    GaussianHmm::new(vec![1.0 / k as f64; k], trans0.clone(), vec![0.0; k], vec![1.0; k])?;
    if !(cfg.zero_mean.is_empty() || cfg.zero_mean.len() == d) {
        return Err(CoreError::InvalidInput(format!(
            "zero_mean needs one flag per feature ({d}), got {}",
            cfg.zero_mean.len()
        )));
    }
    let zero = if cfg.zero_mean.is_empty() { vec![false; d] } else { cfg.zero_mean.clone() };
    let data = Data::new(x, n, d, cfg.var_floor, zero);
    let runs: Vec<Run> = (0..cfg.n_restarts)
        .into_par_iter()
        .map(|r| {
            let init = if r == 0 {
                quantile_init(&data, k, &trans0, cfg.order_by)
            } else {
                kmeanspp_init(&data, k, &trans0, cfg.seed, r)
            };
            em(&data, k, init, &trans0, cfg)
        })
        .collect();
    let restart_logliks: Vec<f64> = runs.iter().map(|r| r.loglik).collect();
    let mut best = 0;
    for (i, r) in runs.iter().enumerate() {
        if r.loglik > runs[best].loglik {
            best = i;
        }
    }
    let run = runs.into_iter().nth(best).ok_or_else(|| CoreError::InvalidInput("no restart ran".into()))?;
    let model = order_states(&run.params, d, cfg.order_by)?;
    Ok(FitResult {
        model,
        loglik: run.loglik,
        n_iter: run.n_iter,
        converged: run.converged,
        restart_logliks,
        best_restart: best,
        n_reinit: run.n_reinit,
        n_log_space: run.n_log_space,
        var_floor: data.floor,
    })
}

/// 0.9 on the diagonal, the rest spread evenly (1 for K = 1).
fn default_transmat(k: usize) -> Vec<f64> {
    if k == 1 {
        return vec![1.0];
    }
    let off = 0.1 / (k - 1) as f64;
    (0..k * k).map(|i| if i / k == i % k { 0.9 } else { off }).collect()
}

/// Stationary distribution of a row-stochastic matrix by power iteration from uniform.
pub fn stationary(trans: &[f64], k: usize) -> Vec<f64> {
    let mut p = vec![1.0 / k as f64; k];
    let mut q = vec![0.0; k];
    for _ in 0..10_000 {
        q.iter_mut().for_each(|v| *v = 0.0);
        for i in 0..k {
            for j in 0..k {
                q[j] += p[i] * trans[i * k + j];
            }
        }
        let s: f64 = q.iter().sum();
        let diff: f64 = p.iter().zip(&q).map(|(a, b)| (a - b / s).abs()).sum();
        for (a, b) in p.iter_mut().zip(&q) {
            *a = b / s;
        }
        if diff < 1e-15 {
            break;
        }
    }
    p
}

/// The observations with their overall moments and the variance floor.
pub(super) struct Data<'a> {
    pub(super) x: &'a [f64],
    pub(super) n: usize,
    pub(super) d: usize,
    /// overall variance per feature (second moment for zero-mean features)
    var: Vec<f64>,
    pub(super) floor: Vec<f64>,
    /// features with emission means fixed at 0
    pub(super) zero: Vec<bool>,
}

impl<'a> Data<'a> {
    fn new(x: &'a [f64], n: usize, d: usize, frac: f64, zero: Vec<bool>) -> Self {
        let mut mean = vec![0.0; d];
        for row in x.chunks_exact(d) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        for (m, &z) in mean.iter_mut().zip(&zero) {
            if z {
                *m = 0.0;
            }
        }
        let mut var = vec![0.0; d];
        for row in x.chunks_exact(d) {
            for c in 0..d {
                let z = row[c] - mean[c];
                var[c] += z * z;
            }
        }
        var.iter_mut().for_each(|v| *v /= n as f64);
        let floor = (0..d).map(|c| (frac * var[c]).max(1e-12 * mean[c].powi(2).max(1.0))).collect();
        Self { x, n, d, var, floor, zero }
    }

    pub(super) fn row(&self, t: usize) -> &[f64] {
        &self.x[t * self.d..(t + 1) * self.d]
    }

    /// observation t as a state centre (zero-mean features at 0)
    pub(super) fn centre(&self, t: usize) -> Vec<f64> {
        self.row(t).iter().zip(&self.zero).map(|(&v, &z)| if z { 0.0 } else { v }).collect()
    }

    /// overall variance, floored
    pub(super) fn var_floored(&self) -> Vec<f64> {
        self.var.iter().zip(&self.floor).map(|(v, f)| v.max(*f)).collect()
    }
}

/// Parameters during EM (plain vectors; validity is kept by construction).
#[derive(Debug, Clone)]
pub(super) struct Params {
    pub(super) start: Vec<f64>,
    pub(super) trans: Vec<f64>,
    pub(super) means: Vec<f64>,
    pub(super) vars: Vec<f64>,
}

fn quantile_init(data: &Data<'_>, k: usize, trans0: &[f64], order_by: usize) -> Params {
    let (n, d) = (data.n, data.d);
    let shares = stationary(trans0, k);
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| data.x[a * d + order_by].total_cmp(&data.x[b * d + order_by]));
    let mut means = vec![0.0; k * d];
    let mut vars = vec![0.0; k * d];
    let mut lo = 0usize;
    let mut cum = 0.0;
    for j in 0..k {
        cum += shares[j];
        // every group gets at least one row and leaves one for each later group
        let hi = if j + 1 == k { n } else { ((cum * n as f64).round() as usize).clamp(lo + 1, n - (k - j - 1)) };
        let rows = &idx[lo..hi];
        let cnt = rows.len() as f64;
        for c in 0..d {
            let m = if data.zero[c] { 0.0 } else { rows.iter().map(|&t| data.x[t * d + c]).sum::<f64>() / cnt };
            let v = rows.iter().map(|&t| (data.x[t * d + c] - m).powi(2)).sum::<f64>() / cnt;
            means[j * d + c] = m;
            vars[j * d + c] = v.max(data.floor[c]);
        }
        lo = hi;
    }
    Params { start: vec![1.0 / k as f64; k], trans: trans0.to_vec(), means, vars }
}

fn kmeanspp_init(data: &Data<'_>, k: usize, trans0: &[f64], seed: u64, restart: usize) -> Params {
    let n = data.n;
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(restart as u64));
    let scale: Vec<f64> = data.var_floored().iter().map(|v| 1.0 / v).collect();
    let dist2 = |a: &[f64], b: &[f64]| a.iter().zip(b).zip(&scale).map(|((x, y), s)| (x - y).powi(2) * s).sum::<f64>();
    let mut centres: Vec<usize> = vec![rng.random_range(0..n)];
    let mut best = vec![f64::INFINITY; n];
    while centres.len() < k {
        let last = data.row(centres[centres.len() - 1]);
        let mut total = 0.0;
        for (t, b) in best.iter_mut().enumerate() {
            *b = b.min(dist2(data.row(t), last));
            total += *b;
        }
        let pick = if total > 0.0 {
            let mut u = rng.random::<f64>() * total;
            let mut chosen = n - 1;
            for (t, b) in best.iter().enumerate() {
                u -= b;
                if u <= 0.0 && *b > 0.0 {
                    chosen = t;
                    break;
                }
            }
            chosen
        } else {
            rng.random_range(0..n) // every row coincides with a centre: any row will do
        };
        centres.push(pick);
    }
    let means = centres.iter().flat_map(|&t| data.centre(t)).collect();
    let vars = (0..k).flat_map(|_| data.var_floored()).collect();
    Params { start: vec![1.0 / k as f64; k], trans: trans0.to_vec(), means, vars }
}

/// One restart's outcome.
struct Run {
    params: Params,
    loglik: f64,
    n_iter: usize,
    converged: bool,
    n_reinit: usize,
    n_log_space: usize,
}

fn em(data: &Data<'_>, k: usize, mut p: Params, trans0: &[f64], cfg: &FitConfig) -> Run {
    let mut ws = Workspace::new(data.n, k);
    let mut prev = f64::NEG_INFINITY;
    let (mut n_reinit, mut n_log_space, mut n_iter) = (0usize, 0usize, 0usize);
    let mut converged = false;
    let mut reinit_last = false;
    let ll = loop {
        let (ll, log_space) = ws.estep(data, &p);
        n_log_space += usize::from(log_space);
        if n_iter > 0 && !reinit_last && ll - prev < cfg.tol * data.n as f64 {
            converged = true;
            break ll;
        }
        if n_iter == cfg.n_iter {
            break ll;
        }
        let reinit = ws.mstep(data, &mut p, trans0, n_reinit < 4 * k);
        n_reinit += reinit;
        reinit_last = reinit > 0;
        prev = ll;
        n_iter += 1;
    };
    Run { params: p, loglik: ll, n_iter, converged, n_reinit, n_log_space }
}

fn order_states(p: &Params, d: usize, order_by: usize) -> Result<GaussianHmm> {
    let k = p.start.len();
    let mut ord: Vec<usize> = (0..k).collect();
    ord.sort_by(|&a, &b| p.means[a * d + order_by].total_cmp(&p.means[b * d + order_by]));
    let start = ord.iter().map(|&i| p.start[i]).collect();
    let trans = ord.iter().flat_map(|&i| ord.iter().map(move |&j| p.trans[i * k + j])).collect();
    let means = ord.iter().flat_map(|&i| p.means[i * d..(i + 1) * d].to_vec()).collect();
    let vars = ord.iter().flat_map(|&i| p.vars[i * d..(i + 1) * d].to_vec()).collect();
    GaussianHmm::new(start, trans, means, vars)
}

/// Draw one state sequence and observations from `model` (n rows), for tests and benchmarks.
pub fn sample(model: &GaussianHmm, n: usize, seed: u64) -> (Vec<usize>, Vec<f64>) {
    use rand_distr::{Distribution, StandardNormal};
    let (k, d) = (model.n_states(), model.n_features());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let draw = |p: &[f64], rng: &mut ChaCha8Rng| {
        let mut u: f64 = rng.random();
        for (i, &v) in p.iter().enumerate() {
            u -= v;
            if u < 0.0 {
                return i;
            }
        }
        p.len() - 1
    };
    let mut states = Vec::with_capacity(n);
    let mut x = Vec::with_capacity(n * d);
    let mut s = draw(model.startprob(), &mut rng);
    for t in 0..n {
        if t > 0 {
            s = draw(&model.transmat()[s * k..(s + 1) * k], &mut rng);
        }
        states.push(s);
        for c in 0..d {
            let z: f64 = StandardNormal.sample(&mut rng);
            x.push(model.means()[s * d + c] + z * model.variances()[s * d + c].sqrt());
        }
    }
    (states, x)
}

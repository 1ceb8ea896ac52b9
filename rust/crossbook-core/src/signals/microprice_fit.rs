//! Fitting Stoikov's micro-price (Stoikov 2018, § 3 "Estimation"; our own implementation).
//!
//! The state is `x = (s, b)`: spread `s` = 1..=n_spread ticks and imbalance bucket `b = ⌊I·n_imb⌋`.
//! From samples on a fixed time step we count, for consecutive samples `x → y` with mid change `ΔM`
//! (ticks, rounded to half ticks):
//!
//! - `Q[x, y]`: `ΔM = 0` (the mid did not move: transient step),
//! - `T[x, y]`: `ΔM ≠ 0` (the mid moved and the new state is `y`),
//! - `R·K[x]`: the sum of `ΔM` over the moves out of `x` (R is the absorbing "mid moves by k" matrix and
//!   K the vector of moves; we only ever need their product),
//!
//! each divided by the number of transitions out of `x`. Then, per the paper,
//!
//! ```text
//! G1 = (I − Q)⁻¹ R K      expected mid change at the next mid move
//! B  = (I − Q)⁻¹ T        state distribution just after the next mid move
//! G* = Σ_{k≥0} Bᵏ G1      micro-price adjustment: P_micro = M + G*(I, s)
//! ```
//!
//! The series converges when `B^∞ G1 = 0` (Stoikov's convergence condition), which symmetrisation
//! guarantees: every transition `(s, b) → (s', b')` with move `ΔM` is also counted mirrored as
//! `(s, n−1−b) → (s', n−1−b')` with move `−ΔM` (the paper's `(I, ΔM) → (1 − I, −ΔM)`), which makes
//! `g(I) = −g(1 − I)`. Like the paper, transitions whose mid moves by more than `max_move_ticks` (default
//! 1 tick) or that leave 1..=n_spread are dropped. A state never seen as the origin of a transition has
//! no row: it reads NaN in the table, and counts as `g = 0` for the states that move into it.
//!
//! Large- vs small-tick: the construction assumes the mid moves by at most about a tick per step (true
//! for the paper's large-tick stocks). On small-tick crypto books (BTCUSDT perp: 0.1 USDT at 60 000) pick
//! a short step so that few moves are dropped; `n_dropped` says how many were. The paper's notebook truncates the sum after a few
//! terms; by default we sum to convergence (terms below 1e-12 ticks), and `n_terms > 0` truncates.

use super::linalg::{mat_vec, solve_in_place};
use super::microprice::{check_bbo, imbalance, MicropriceModel};
use super::{check_lengths, GridClock};
use crate::error::{CoreError, Result};

const TOL_TICKS: f64 = 1e-12;
const MAX_TERMS: usize = 100_000;
const PIVOT_EPS: f64 = 1e-10;

/// Discretisation and estimation choices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MicropriceConfig {
    /// imbalance buckets over [0, 1] (>= 2)
    pub n_imb: usize,
    /// spread states: 1..=n_spread ticks (>= 1)
    pub n_spread: usize,
    /// add the mirror image of every transition (needed for the sum to converge)
    pub symmetrise: bool,
    /// drop transitions whose mid moves more than this (ticks)
    pub max_move_ticks: f64,
    /// 0 = sum Bᵏ G1 to convergence; n > 0 = the first n terms (the paper's notebook uses 6)
    pub n_terms: usize,
}

impl Default for MicropriceConfig {
    fn default() -> Self {
        Self { n_imb: 10, n_spread: 2, symmetrise: true, max_move_ticks: 1.0, n_terms: 0 }
    }
}

impl MicropriceModel {
    /// Fit from samples on a fixed time step: mid and spread in price units, imbalance in [0, 1]
    /// (NaN = unknown state, skipped). Spreads must be multiples of `tick`.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for bad settings, length mismatches, non-finite mids or spreads, an
    /// imbalance outside [0, 1], a spread that is not a multiple of the tick, no usable transition, a
    /// chain that can stay forever without a mid move (singular I − Q), or a sum that does not converge.
    pub fn fit(mid: &[f64], spread: &[f64], imb: &[f64], tick: f64, cfg: &MicropriceConfig) -> Result<Self> {
        check_lengths(&["mid", "spread", "imbalance"], &[mid.len(), spread.len(), imb.len()])?;
        let mut model = Self::from_table(tick, cfg.n_imb, cfg.n_spread, vec![0.0; cfg.n_imb * cfg.n_spread])?;
        if cfg.max_move_ticks.is_nan() || cfg.max_move_ticks < 0.0 {
            return Err(CoreError::InvalidInput(format!("max_move_ticks must be >= 0 (got {})", cfg.max_move_ticks)));
        }
        let (ni, ns) = (cfg.n_imb, cfg.n_spread);
        let n = ni * ns;
        let states = states(mid, spread, imb, tick, ni, ns)?;
        let (mut q, mut t, mut rk, mut tot) = (vec![0.0; n * n], vec![0.0; n * n], vec![0.0; n], vec![0.0; n]);
        let mut add = |x: usize, y: usize, dm: f64| {
            tot[x] += 1.0;
            if dm == 0.0 {
                q[x * n + y] += 1.0;
            } else {
                t[x * n + y] += 1.0;
                rk[x] += dm;
            }
        };
        let mirror = |x: usize| (x / ni) * ni + (ni - 1 - x % ni);
        for k in 1..states.len() {
            let (Some(x), Some(y)) = (states[k - 1], states[k]) else { continue };
            let dm = (2.0 * (mid[k] - mid[k - 1]) / tick).round() / 2.0;
            if dm.abs() > cfg.max_move_ticks {
                model.n_dropped += 1;
                continue;
            }
            model.n_transitions += 1;
            add(x, y, dm);
            if cfg.symmetrise {
                add(mirror(x), mirror(y), -dm);
            }
        }
        if model.n_transitions == 0 {
            return Err(CoreError::InvalidInput(format!(
                "micro-price fit: no usable transition among {} samples (spreads within 1..={ns} ticks, \
                 moves within {} ticks)",
                mid.len(),
                cfg.max_move_ticks
            )));
        }
        // A = I − Q, rhs = [RK | T], rows divided by the transitions out of each state
        let m = n + 1;
        let mut a = vec![0.0; n * n];
        let mut rhs = vec![0.0; n * m];
        for x in 0..n {
            a[x * n + x] = 1.0;
            if tot[x] > 0.0 {
                for y in 0..n {
                    a[x * n + y] -= q[x * n + y] / tot[x];
                    rhs[x * m + 1 + y] = t[x * n + y] / tot[x];
                }
                rhs[x * m] = rk[x] / tot[x];
            }
        }
        solve_in_place(&mut a, &mut rhs, n, m, PIVOT_EPS).map_err(|col| {
            CoreError::InvalidInput(format!(
                "micro-price fit: the chain can stay forever without a mid move (near spread {} ticks, \
                 imbalance bucket {}); use more data, a longer step or fewer buckets",
                col / ni + 1,
                col % ni
            ))
        })?;
        let g1: Vec<f64> = (0..n).map(|x| rhs[x * m]).collect();
        let b: Vec<f64> = (0..n).flat_map(|x| rhs[x * m + 1..(x + 1) * m].to_vec()).collect();
        let (g, terms) = sum_terms(&b, &g1, cfg.n_terms)?;
        let seen =
            |v: &[f64]| -> Vec<f64> { v.iter().zip(&tot).map(|(&g, &c)| if c > 0.0 { g } else { f64::NAN }).collect() };
        model.table = seen(&g);
        model.g1 = seen(&g1);
        model.counts = tot;
        model.terms = terms;
        model.symmetrised = cfg.symmetrise;
        Ok(model)
    }

    /// Fit from BBO updates: sample the last-known BBO every `step_ns` (epoch-aligned grid, see
    /// [`GridClock`]), then [`Self::fit`]. Prices and sizes decoded to `f64`; times in ns.
    ///
    /// # Errors
    /// As [`Self::fit`], plus bad BBO rows (NaN, non-positive prices, negative sizes) and times going
    /// backwards.
    #[allow(clippy::too_many_arguments)] // the five BBO columns, the tick, the step and the settings
    pub fn fit_bbo(
        t_ns: &[i64],
        bid_px: &[f64],
        bid_qty: &[f64],
        ask_px: &[f64],
        ask_qty: &[f64],
        tick: f64,
        step_ns: i64,
        cfg: &MicropriceConfig,
    ) -> Result<Self> {
        check_lengths(
            &["t_ns", "bid_px", "bid_qty", "ask_px", "ask_qty"],
            &[t_ns.len(), bid_px.len(), bid_qty.len(), ask_px.len(), ask_qty.len()],
        )?;
        let mut clock = GridClock::new(step_ns)?;
        let (mut mid, mut spread, mut imb) = (Vec::new(), Vec::new(), Vec::new());
        for k in 0..t_ns.len() {
            check_bbo(k, bid_px[k], bid_qty[k], ask_px[k], ask_qty[k])?;
            let (_, count) = clock.advance("bbo", t_ns[k])?;
            if count > 0 {
                let j = k - 1; // the state before this update holds at the completed grid points
                let c = usize::try_from(count).unwrap_or(usize::MAX);
                mid.resize(mid.len() + c, 0.5 * (bid_px[j] + ask_px[j]));
                spread.resize(spread.len() + c, ask_px[j] - bid_px[j]);
                imb.resize(imb.len() + c, imbalance(bid_qty[j], ask_qty[j]));
            }
        }
        Self::fit(&mid, &spread, &imb, tick, cfg)
    }
}

/// State index of each sample, `None` when the spread is outside 1..=ns ticks or the imbalance is NaN.
fn states(mid: &[f64], spread: &[f64], imb: &[f64], tick: f64, ni: usize, ns: usize) -> Result<Vec<Option<usize>>> {
    (0..mid.len())
        .map(|k| {
            if !mid[k].is_finite() || !spread[k].is_finite() {
                return Err(CoreError::InvalidInput(format!(
                    "sample {k}: mid and spread must be finite (got {}, {})",
                    mid[k], spread[k]
                )));
            }
            let i = imb[k];
            if !i.is_nan() && !(0.0..=1.0).contains(&i) {
                return Err(CoreError::InvalidInput(format!("sample {k}: imbalance must lie in [0, 1] (got {i})")));
            }
            let s = spread[k] / tick;
            let sr = s.round();
            if (s - sr).abs() > 1e-6 * sr.abs().max(1.0) {
                return Err(CoreError::InvalidInput(format!(
                    "sample {k}: spread {} is not a multiple of the tick {tick}",
                    spread[k]
                )));
            }
            if i.is_nan() || sr < 1.0 || sr > ns as f64 {
                return Ok(None);
            }
            let b = ((i * ni as f64) as usize).min(ni - 1);
            Ok(Some((sr as usize - 1) * ni + b))
        })
        .collect()
}

/// `Σ_{k<terms} Bᵏ G1`: to convergence when `n_terms == 0`, else exactly `n_terms` terms.
fn sum_terms(b: &[f64], g1: &[f64], n_terms: usize) -> Result<(Vec<f64>, usize)> {
    let mut g = g1.to_vec();
    let mut term = g1.to_vec();
    let mut next = vec![0.0; g1.len()];
    let limit = if n_terms > 0 { n_terms } else { MAX_TERMS };
    let mut terms = 1;
    let small = |v: &[f64]| v.iter().all(|x| x.abs() < TOL_TICKS);
    while terms < limit && !(n_terms == 0 && small(&term)) {
        mat_vec(b, &term, &mut next);
        std::mem::swap(&mut term, &mut next);
        for (gi, ti) in g.iter_mut().zip(&term) {
            *gi += ti;
        }
        terms += 1;
    }
    if n_terms == 0 && !small(&term) {
        return Err(CoreError::InvalidInput(format!(
            "micro-price fit: Σ Bᵏ G1 did not converge in {MAX_TERMS} terms (the fitted chain drifts); \
             symmetrise, or truncate with n_terms (the paper's notebook uses 6)"
        )));
    }
    Ok((g, terms))
}

#[cfg(test)]
#[path = "microprice_fit_tests.rs"]
mod tests;

//! Calibration of the fill intensity λ(δ) = A·exp(−k·δ) from trade-arrival depths.
//!
//! **Method.** (1) [`arrival_depths`]: for each market order (trade), its depth is the distance from
//! the mid in force *before* it to the trade price, in ticks, signed so that a buy above the mid and a
//! sell below it are positive: `buy: (px − mid)/tick`, `sell: (mid − px)/tick` (unknown aggressor: the
//! side is read from the sign of `px − mid`). With `step_ns > 0` the market is looked at as a quoting
//! loop that re-quotes every step (as hftbacktest's tutorial does at 100 ms): per step and side, the
//! deepest trade of the step, measured from the mid at the start of the step. (2) [`fit_intensity`]: on
//! a grid of hypothetical quote depths δⱼ = j·w (w = half a tick by default), the empirical arrival rate
//! is λ̂(δⱼ) = #{arrivals with depth > δⱼ} / exposure (a quote at δⱼ is filled by a market order that
//! trades *through* its price; `at_price_fills` counts trades at the price too); then ordinary least
//! squares of ln λ̂(δⱼ) on δⱼ over the points with at least `min_count` arrivals and δⱼ <= `max_ticks`
//! gives ln A (intercept) and −k (slope). `exposure` is the observed time in seconds times the number of
//! sides pooled, so A is per side per second.
//!
//! **The half-tick pitfall.** Depths from the mid are offset by half a tick at the touch: with a
//! one-tick spread the best bid and ask sit at δ = 0.5 ticks, one tick further out at 1.5, and with a
//! two-tick spread the touch is at δ = 1. hftbacktest's GLFT tutorial bins depths in half ticks
//! (`round(depth / 0.5) − 1`: 0.5 → bin 0, 1.0 → bin 1, 1.5 → bin 2, …) but then regresses on
//! `ticks = arange(n) + 0.5`, i.e. labels bin i as i + 0.5 ticks while it holds depth (i + 1)/2 ticks;
//! the depth axis is stretched ×2 past the first bin, so k comes out halved per tick and A shifted. We
//! keep one unit everywhere: the regressor is the actual mid-to-quote distance δⱼ in ticks of each grid
//! point (δ = 0, 0.5, 1, 1.5, … for w = 0.5), the same distance from the mid that the quote engine
//! uses for its quote depths, so k is per tick of distance from the mid. Convert it to the engine's κ
//! (per bp of the quote centre) with [`IntensityFit::kappa_per_bp`].

use super::super::signals::check_lengths;
use crate::error::{CoreError, Result};

/// Trade-arrival depths measured from the mid.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArrivalDepths {
    /// time of the trade (per trade) or the end of the step (per step), ns
    pub t_ns: Vec<i64>,
    /// depth from the mid, ticks (>= 0)
    pub depth_ticks: Vec<f64>,
    /// +1 buy (lifted the ask side), −1 sell, 0 at the mid with unknown aggressor
    pub side: Vec<i8>,
    /// observed time, seconds: from the first mid to the last trade (per trade), or the number of
    /// steps with a known mid up to the last trade times the step (per step)
    pub duration_s: f64,
    /// trades (or steps) before the first mid: no depth
    pub n_before_mid: usize,
    /// trades (or per-step maxima) on the wrong side of the mid (a buy below it), dropped
    pub n_negative: usize,
}

fn check_sorted(name: &str, t: &[i64]) -> Result<()> {
    match t.windows(2).position(|w| w[1] < w[0]) {
        Some(k) => Err(CoreError::InvalidInput(format!(
            "{name}: times must be non-decreasing; index {} ({} ns) is before the previous ({} ns)",
            k + 1,
            t[k + 1],
            t[k]
        ))),
        None => Ok(()),
    }
}

fn check_positive(name: &str, v: &[f64]) -> Result<()> {
    match v.iter().position(|x| !(x.is_finite() && *x > 0.0)) {
        Some(k) => Err(CoreError::InvalidInput(format!("{name}: value at index {k} is not a number > 0 ({})", v[k]))),
        None => Ok(()),
    }
}

/// Signed depth (ticks) and side of a trade against `mid`.
#[inline]
fn signed_depth(px: f64, side: i8, mid: f64, tick: f64) -> (f64, i8) {
    let d = (px - mid) / tick;
    // `+ 0.0` turns the −0.0 of a sell exactly at the mid into 0.0
    match side.signum() {
        1 => (d + 0.0, 1),
        -1 => (-d + 0.0, -1),
        _ => (
            d.abs(),
            if d > 0.0 {
                1
            } else if d < 0.0 {
                -1
            } else {
                0
            },
        ),
    }
}

/// Depths of trade arrivals from the mid, per trade (`step_ns == 0`) or per step and side
/// (`step_ns > 0`; a step is the half-open interval (g − step, g] and its mid the last one at or before
/// g − step). Trade sides: +1 buy aggressor, −1 sell, 0 unknown.
///
/// # Errors
/// [`CoreError::InvalidInput`] for mismatched lengths, unsorted times, non-positive or NaN prices or
/// mids, `tick <= 0` or `step_ns < 0`.
pub fn arrival_depths(
    trade_t: &[i64],
    trade_px: &[f64],
    trade_side: &[i8],
    mid_t: &[i64],
    mid: &[f64],
    tick: f64,
    step_ns: i64,
) -> Result<ArrivalDepths> {
    check_lengths(&["trade_t", "trade_px", "trade_side"], &[trade_t.len(), trade_px.len(), trade_side.len()])?;
    check_lengths(&["mid_t", "mid"], &[mid_t.len(), mid.len()])?;
    if !(tick.is_finite() && tick > 0.0) {
        return Err(CoreError::InvalidInput(format!("tick must be a finite number > 0 (got {tick})")));
    }
    if step_ns < 0 {
        return Err(CoreError::InvalidInput(format!("step_ns must be >= 0 (got {step_ns})")));
    }
    check_sorted("trade_t", trade_t)?;
    check_sorted("mid_t", mid_t)?;
    check_positive("trade_px", trade_px)?;
    check_positive("mid", mid)?;
    if step_ns == 0 {
        Ok(per_trade(trade_t, trade_px, trade_side, mid_t, mid, tick))
    } else {
        Ok(per_step(trade_t, trade_px, trade_side, mid_t, mid, tick, step_ns))
    }
}

fn per_trade(trade_t: &[i64], px: &[f64], side: &[i8], mid_t: &[i64], mid: &[f64], tick: f64) -> ArrivalDepths {
    let mut out = ArrivalDepths::default();
    let mut j = 0; // mids strictly before the trade: mid_t[..j]
    for k in 0..trade_t.len() {
        while j < mid_t.len() && mid_t[j] < trade_t[k] {
            j += 1;
        }
        if j == 0 {
            out.n_before_mid += 1;
            continue;
        }
        let (d, s) = signed_depth(px[k], side[k], mid[j - 1], tick);
        if d < 0.0 {
            out.n_negative += 1;
            continue;
        }
        out.t_ns.push(trade_t[k]);
        out.depth_ticks.push(d);
        out.side.push(s);
    }
    if let (Some(&t0), Some(&t1)) = (mid_t.first(), trade_t.last()) {
        out.duration_s = (t1 - t0).max(0) as f64 * 1e-9;
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn per_step(
    trade_t: &[i64],
    px: &[f64],
    side: &[i8],
    mid_t: &[i64],
    mid: &[f64],
    tick: f64,
    step: i64,
) -> ArrivalDepths {
    let mut out = ArrivalDepths::default();
    // the step end g of a trade at t: the smallest multiple of `step` >= t
    let end_of = |t: i64| t.div_euclid(step) * step + if t.rem_euclid(step) == 0 { 0 } else { step };
    let mut j = 0; // mids at or before the step start: mid_t[..j]
    let mut k = 0;
    let mut last_end: Option<i64> = None;
    while k < trade_t.len() {
        let g = end_of(trade_t[k]);
        let start = g - step;
        while j < mid_t.len() && mid_t[j] <= start {
            j += 1;
        }
        // the deepest buy and sell of this step
        let (mut best_buy, mut best_sell) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        let mut n = 0;
        while k < trade_t.len() && trade_t[k] <= g {
            if j > 0 {
                let (d, s) = signed_depth(px[k], side[k], mid[j - 1], tick);
                if s >= 0 {
                    best_buy = best_buy.max(d);
                }
                if s <= 0 {
                    best_sell = best_sell.max(d);
                }
            }
            n += 1;
            k += 1;
        }
        if j == 0 {
            out.n_before_mid += n;
            continue;
        }
        last_end = Some(g);
        for (d, s) in [(best_buy, 1i8), (best_sell, -1i8)] {
            if d == f64::NEG_INFINITY {
                continue;
            }
            if d < 0.0 {
                out.n_negative += 1;
                continue;
            }
            out.t_ns.push(g);
            out.depth_ticks.push(d);
            out.side.push(if d == 0.0 { 0 } else { s });
        }
    }
    if let (Some(g), Some(&t0)) = (last_end, mid_t.first()) {
        // steps with a known mid: from the first step start at or after the first mid to the last step
        out.duration_s = (g - end_of(t0)).max(0) as f64 * 1e-9;
    }
    out
}

/// The grid of hypothetical quote depths and the fit window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntensityGrid {
    /// grid spacing w, ticks (0.5: every reachable distance from a mid on a tick or half-tick)
    pub step_ticks: f64,
    /// deepest grid point used in the fit, ticks (hftbacktest refits on the shallow 70 ticks, where
    /// quotes sit, because one exponential does not fit the deep tail)
    pub max_ticks: f64,
    /// grid points with fewer arrivals beyond them are left out of the fit (log of small counts is noisy)
    pub min_count: usize,
    /// count a trade exactly at the quote's price as a fill (front of the queue); default false: only
    /// trades through the price fill (back of the queue, the conservative assumption)
    pub at_price_fills: bool,
}

impl Default for IntensityGrid {
    fn default() -> Self {
        Self { step_ticks: 0.5, max_ticks: 70.0, min_count: 10, at_price_fills: false }
    }
}

/// A fitted λ(δ) = A·exp(−k·δ) with δ in ticks from the mid.
#[derive(Debug, Clone, PartialEq)]
pub struct IntensityFit {
    /// arrivals per second per side at δ = 0
    pub a: f64,
    /// decay per tick of distance from the mid
    pub k: f64,
    /// R² of the log-linear regression
    pub r2: f64,
    /// grid points used in the fit
    pub n_points: usize,
    /// grid depths δⱼ (ticks), all of them up to `max_ticks`
    pub depth_ticks: Vec<f64>,
    /// arrivals beyond each δⱼ
    pub counts: Vec<f64>,
    /// empirical rate λ̂(δⱼ) per second per side
    pub rate: Vec<f64>,
    /// whether each point entered the fit
    pub used: Vec<bool>,
}

impl IntensityFit {
    /// λ(δ) of the fit (per second per side), δ in ticks.
    #[must_use]
    pub fn rate_at(&self, depth_ticks: f64) -> f64 {
        self.a * (-self.k * depth_ticks).exp()
    }

    /// The decay per bp of the quote centre (the engine's κ): one bp at price `mid` is `mid·10⁻⁴/tick`
    /// ticks, so κ = k·mid·10⁻⁴/tick.
    #[must_use]
    pub fn kappa_per_bp(&self, mid: f64, tick: f64) -> f64 {
        self.k * mid * 1e-4 / tick
    }
}

/// Fit λ(δ) = A·exp(−k·δ) to arrival depths (ticks, >= 0) observed over `exposure_s` seconds·sides.
///
/// # Errors
/// [`CoreError::InvalidInput`] for NaN or negative depths, a non-positive exposure or grid step, or
/// fewer than two grid points with `min_count` arrivals.
pub fn fit_intensity(depth_ticks: &[f64], exposure_s: f64, grid: &IntensityGrid) -> Result<IntensityFit> {
    if !(exposure_s.is_finite() && exposure_s > 0.0) {
        return Err(CoreError::InvalidInput(format!(
            "exposure must be a finite number of seconds > 0 (got {exposure_s})"
        )));
    }
    if !(grid.step_ticks.is_finite() && grid.step_ticks > 0.0 && grid.max_ticks.is_finite() && grid.max_ticks >= 0.0) {
        return Err(CoreError::InvalidInput(format!(
            "grid step must be > 0 and max depth >= 0 ticks (got step {}, max {})",
            grid.step_ticks, grid.max_ticks
        )));
    }
    if let Some(k) = depth_ticks.iter().position(|d| !(d.is_finite() && *d >= 0.0)) {
        return Err(CoreError::InvalidInput(format!(
            "depth at index {k} must be a finite number of ticks >= 0 (got {})",
            depth_ticks[k]
        )));
    }
    let mut sorted = depth_ticks.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n_grid = (grid.max_ticks / grid.step_ticks + 1e-9).floor() as usize + 1;
    let mut fit = IntensityFit {
        a: f64::NAN,
        k: f64::NAN,
        r2: f64::NAN,
        n_points: 0,
        depth_ticks: Vec::with_capacity(n_grid),
        counts: Vec::with_capacity(n_grid),
        rate: Vec::with_capacity(n_grid),
        used: Vec::with_capacity(n_grid),
    };
    // tolerance so that depths computed as (px − mid)/tick land on their grid point
    let eps = 1e-9 * grid.step_ticks;
    let (mut sx, mut sy, mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for j in 0..n_grid {
        let delta = j as f64 * grid.step_ticks;
        let below = if grid.at_price_fills {
            sorted.partition_point(|&d| d < delta - eps)
        } else {
            sorted.partition_point(|&d| d <= delta + eps)
        };
        let count = (sorted.len() - below) as f64;
        let used = count >= grid.min_count.max(1) as f64;
        fit.depth_ticks.push(delta);
        fit.counts.push(count);
        fit.rate.push(count / exposure_s);
        fit.used.push(used);
        if used {
            let y = (count / exposure_s).ln();
            fit.n_points += 1;
            sx += delta;
            sy += y;
            sxx += delta * delta;
            sxy += delta * y;
            syy += y * y;
        }
    }
    let n = fit.n_points as f64;
    let var_x = sxx - sx * sx / n;
    if fit.n_points < 2 || var_x <= 0.0 {
        return Err(CoreError::InvalidInput(format!(
            "intensity fit needs at least 2 grid points with >= {} arrivals; got {} ({} arrivals in total)",
            grid.min_count,
            fit.n_points,
            depth_ticks.len()
        )));
    }
    let cov = sxy - sx * sy / n;
    let slope = cov / var_x;
    let intercept = (sy - slope * sx) / n;
    let var_y = syy - sy * sy / n;
    fit.k = -slope;
    fit.a = intercept.exp();
    fit.r2 = if var_y > 0.0 { (cov * cov / (var_x * var_y)).min(1.0) } else { 1.0 };
    Ok(fit)
}

#[cfg(test)]
#[path = "calibrate_tests.rs"]
mod tests;

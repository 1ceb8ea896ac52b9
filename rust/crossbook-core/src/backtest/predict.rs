//! The model's predictions for each quote (what the calibration layer checks later) and the
//! counterfactual spread multiplier.
//!
//! - Fill probability: λ(δ) = A·exp(−k·δ) with δ the quote's distance from the mid in ticks (the
//!   calibration of [`crate::quote::calibrate`]); P(fill within h) = 1 − exp(−λ·h).
//! - Direction: the lead-lag predicted move μ (bps) against the bipower σ over 1 s (bps):
//!   P(mid up within 1 s) = Φ(μ/σ), P(adverse | fill) = Φ(−s·μ/σ) for side s; 0.5 without a signal.

use super::records::SidePrediction;
use crate::quote::records::{CLAMP_ASK, CLAMP_BID};
use crate::quote::{QuoteRecord, SkipReason};

const BPS: f64 = 1e4;

/// Standard normal CDF (Abramowitz & Stegun 26.2.17, absolute error < 7.5e-8).
#[must_use]
pub fn norm_cdf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.231_641_9 * z);
    let poly =
        t * (0.319_381_530 + t * (-0.356_563_782 + t * (1.781_477_937 + t * (-1.821_255_978 + t * 1.330_274_429))));
    let pdf = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let upper = pdf * poly;
    if x >= 0.0 {
        1.0 - upper
    } else {
        upper
    }
}

/// P(move of sign `s` is positive) for a predicted move `mu_bps` and 1 s σ `sigma_bps`.
#[must_use]
pub fn p_positive(mu_bps: f64, sigma_bps: f64) -> f64 {
    if mu_bps == 0.0 {
        0.5
    } else if sigma_bps.is_finite() && sigma_bps > 0.0 && mu_bps.is_finite() {
        norm_cdf(mu_bps / sigma_bps)
    } else if mu_bps.is_finite() {
        if mu_bps > 0.0 {
            1.0
        } else {
            0.0
        }
    } else {
        0.5
    }
}

/// Inputs of the side predictions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Model {
    pub mid: f64,
    pub tick: f64,
    pub a: f64,
    pub k_per_tick: f64,
    /// predicted move of the mid, bps
    pub mu_bps: f64,
    /// σ over 1 s, bps
    pub sigma_1s_bps: f64,
    pub maker_fee_bps: f64,
}

impl Model {
    /// Fill intensity of a quote at `px` on side `s` (+1 bid, −1 ask), per second.
    pub(crate) fn intensity(&self, s: f64, px: f64) -> f64 {
        let delta = (s * (self.mid - px) / self.tick).max(0.0);
        self.a * (-self.k_per_tick * delta).exp()
    }

    /// Predictions for a quote at `px` of `size` on side `s`; queue estimates given (base units).
    pub(crate) fn side(&self, s: f64, px: f64, size: f64, queue: (f64, f64)) -> SidePrediction {
        if !(size > 0.0 && px.is_finite() && self.mid.is_finite() && self.mid > 0.0) {
            return SidePrediction::NONE;
        }
        let lam = self.intensity(s, px);
        let p = |h: f64| 1.0 - (-lam * h).exp();
        let depth = s * (self.mid - px) / self.mid * BPS;
        let mu = if self.mu_bps.is_finite() { self.mu_bps } else { 0.0 };
        SidePrediction {
            depth_from_mid_bps: depth,
            p_fill_100ms: p(0.1),
            p_fill_1s: p(1.0),
            p_fill_10s: p(10.0),
            p_adverse_given_fill: p_positive(-s * mu, self.sigma_1s_bps),
            expected_pnl_given_fill: depth + s * mu - self.maker_fee_bps,
            estimated_queue_position: queue.0,
            estimated_queue_total: queue.1,
        }
    }
}

/// Apply a spread multiplier `m` to a quoted record: half-spread × m, the engine's skews, prices
/// rounded away from the centre to the tick grid, then kept off the other side of the book (bid <=
/// best ask − tick, ask >= best bid + tick), as the engine does. A result that cannot be placed
/// marks the cycle skipped (`bad_output`).
pub(crate) fn rescale(rec: &mut QuoteRecord, m: f64) {
    if !rec.quoted() || m == 1.0 {
        return;
    }
    let inp = rec.inputs;
    let tick = inp.tick;
    let half = rec.half_spread_bps * m;
    let bid_depth = half + rec.inventory_skew_bps - rec.directional_skew_bps;
    let ask_depth = half - rec.inventory_skew_bps + rec.directional_skew_bps;
    let c = rec.centre_px;
    let mut bt = (c * (1.0 - bid_depth / BPS) / tick + 1e-6).floor();
    let mut at = (c * (1.0 + ask_depth / BPS) / tick - 1e-6).ceil();
    let (bb, ba) = ((inp.best_bid / tick).round(), (inp.best_ask / tick).round());
    rec.clamped = 0;
    if bt > ba - 1.0 {
        bt = ba - 1.0;
        rec.clamped |= CLAMP_BID;
    }
    if at < bb + 1.0 {
        at = bb + 1.0;
        rec.clamped |= CLAMP_ASK;
    }
    if !(bt.is_finite() && at.is_finite() && bt >= 1.0 && bt < at) {
        rec.skip = SkipReason::BadOutput as u8;
        rec.skip_field = crate::quote::Field::Output as u8;
        (rec.bid_px, rec.ask_px, rec.bid_size, rec.ask_size) = (f64::NAN, f64::NAN, 0.0, 0.0);
        return;
    }
    rec.half_spread_bps = half;
    rec.bid_depth_bps = bid_depth;
    rec.ask_depth_bps = ask_depth;
    rec.spread_bps = bid_depth + ask_depth;
    rec.bid_px = bt * tick;
    rec.ask_px = at * tick;
    rec.quoted_spread_bps = (rec.ask_px - rec.bid_px) / c * BPS;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_known_values() {
        assert!((norm_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((norm_cdf(1.0) - 0.841_344_746).abs() < 1e-7);
        assert!((norm_cdf(-1.959_963_985) - 0.025).abs() < 1e-7);
        assert_eq!(p_positive(0.0, f64::NAN), 0.5);
        assert_eq!(p_positive(1.0, 0.0), 1.0);
    }

    #[test]
    fn fill_probability_from_the_intensity() {
        let m = Model {
            mid: 100.0,
            tick: 1.0,
            a: 2.0,
            k_per_tick: 0.5,
            mu_bps: 0.0,
            sigma_1s_bps: 1.0,
            maker_fee_bps: 1.0,
        };
        // bid at 98: δ = 2 ticks, λ = 2·e^{-1}
        let p = m.side(1.0, 98.0, 1.0, (0.0, 0.0));
        let lam = 2.0 * (-1.0f64).exp();
        assert!((p.p_fill_1s - (1.0 - (-lam).exp())).abs() < 1e-12);
        assert!((p.depth_from_mid_bps - 200.0).abs() < 1e-9);
        assert_eq!(p.p_adverse_given_fill, 0.5);
        assert!((p.expected_pnl_given_fill - 199.0).abs() < 1e-9);
        assert!(m.side(1.0, 98.0, 0.0, (0.0, 0.0)).p_fill_1s.is_nan());
        // a predicted rise of 1 σ: a bid fill is less likely adverse, an ask fill more
        let up = Model { mu_bps: 1.0, ..m };
        assert!((up.side(1.0, 98.0, 1.0, (0.0, 0.0)).p_adverse_given_fill - norm_cdf(-1.0)).abs() < 1e-12);
        assert!((up.side(-1.0, 102.0, 1.0, (0.0, 0.0)).p_adverse_given_fill - norm_cdf(1.0)).abs() < 1e-12);
    }
}

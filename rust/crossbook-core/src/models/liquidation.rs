//! The seed's `LiquidationDetector` (heatmap seed §3.4): open-interest drop and funding percentile →
//! a liquidation-cascade probability.
//!
//! On each update (OI, funding, time) the detector keeps rings of both, reads the OI one look-back
//! (60 s) earlier (as-of; the oldest sample until the ring reaches back that far), and the funding's
//! percentile rank among the held funding values. The seed leaves `compute_liquidation_probability`
//! open; ours is a logistic score
//!
//! ```text
//! drop    = −ΔOI% / cascade_threshold_oi_drop_pct        (1 at the threshold)
//! extreme = |2·percentile − 1|                            (0 at the median, 1 at either extreme)
//! p       = σ( slope·(drop − 1) + funding_weight·(extreme − funding_extreme_level) )
//! ```
//!
//! so an OI drop exactly at the threshold with funding at the `funding_extreme_level` extremeness
//! (0.9 ⇔ the 5th/95th percentile) gives p = 0.5, and [`LiquidationDetector::is_cascade_active`] is
//! `p > 0.5`. Timestamps are ns (the seed used ms).

use crate::error::{CoreError, Result};
use crate::ring::RingBuffer;

/// Parameters of the detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiquidationParams {
    /// OI drop over the look-back that counts as a cascade, % (> 0)
    pub cascade_threshold_oi_drop_pct: f64,
    /// OI look-back, ns (seed: 60 s)
    pub lookback_ns: i64,
    /// steepness of the logistic in units of the threshold
    pub slope: f64,
    /// weight of the funding extremeness
    pub funding_weight: f64,
    /// extremeness that is neutral (0.9: the 5th / 95th percentile)
    pub funding_extreme_level: f64,
    /// samples kept in each ring
    pub capacity: usize,
}

impl Default for LiquidationParams {
    fn default() -> Self {
        Self {
            cascade_threshold_oi_drop_pct: 0.5,
            lookback_ns: 60_000_000_000,
            slope: 4.0,
            funding_weight: 2.0,
            funding_extreme_level: 0.9,
            capacity: 100_000,
        }
    }
}

/// Streaming liquidation-cascade detector.
#[derive(Debug, Clone, PartialEq)]
pub struct LiquidationDetector {
    params: LiquidationParams,
    oi_history: RingBuffer<(i64, f64)>,
    funding_history: RingBuffer<(i64, f64)>,
    liquidation_probability: f64,
    oi_change_pct: f64,
    funding_percentile: f64,
}

impl LiquidationDetector {
    /// A detector with no history (probability 0).
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a non-positive threshold, look-back or slope.
    pub fn new(params: LiquidationParams) -> Result<Self> {
        if !(params.cascade_threshold_oi_drop_pct > 0.0
            && params.lookback_ns > 0
            && params.slope > 0.0
            && params.funding_weight.is_finite()
            && params.funding_extreme_level.is_finite())
        {
            return Err(CoreError::InvalidInput(format!("invalid liquidation detector parameters {params:?}")));
        }
        Ok(Self {
            params,
            oi_history: RingBuffer::new(params.capacity),
            funding_history: RingBuffer::new(params.capacity),
            liquidation_probability: 0.0,
            oi_change_pct: 0.0,
            funding_percentile: 0.5,
        })
    }

    /// The seed's `update(current_oi, current_funding, timestamp)`; returns the new probability.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a non-finite or non-positive OI, a non-finite funding rate, or a
    /// timestamp before the previous one.
    pub fn update(&mut self, current_oi: f64, current_funding: f64, timestamp_ns: i64) -> Result<f64> {
        if !(current_oi.is_finite() && current_oi > 0.0 && current_funding.is_finite()) {
            return Err(CoreError::InvalidInput(format!(
                "open interest must be > 0 and funding finite (got {current_oi}, {current_funding})"
            )));
        }
        if let Some(&(last, _)) = self.oi_history.latest() {
            if timestamp_ns < last {
                return Err(CoreError::InvalidInput(format!(
                    "timestamp {timestamp_ns} ns is before the previous update ({last} ns)"
                )));
            }
        }
        self.oi_history.push((timestamp_ns, current_oi));
        self.funding_history.push((timestamp_ns, current_funding));
        let oi_then = self
            .oi_history
            .as_of(timestamp_ns - self.params.lookback_ns)
            .or_else(|| self.oi_history.oldest().map(|x| x.1))
            .unwrap_or(current_oi);
        self.oi_change_pct = (current_oi - oi_then) / oi_then * 100.0;
        self.funding_percentile = self.funding_history.percentile_rank(current_funding).unwrap_or(0.5);
        self.liquidation_probability =
            self.compute_liquidation_probability(self.oi_change_pct, self.funding_percentile);
        Ok(self.liquidation_probability)
    }

    /// The logistic score of the module doc.
    #[must_use]
    pub fn compute_liquidation_probability(&self, oi_change_pct: f64, funding_percentile: f64) -> f64 {
        let p = &self.params;
        let drop = -oi_change_pct / p.cascade_threshold_oi_drop_pct;
        let extreme = (2.0 * funding_percentile - 1.0).abs();
        let z = p.slope * (drop - 1.0) + p.funding_weight * (extreme - p.funding_extreme_level);
        1.0 / (1.0 + (-z).exp())
    }

    /// Probability of an active cascade after the last update.
    #[must_use]
    pub fn liquidation_probability(&self) -> f64 {
        self.liquidation_probability
    }

    /// OI change over the look-back at the last update, %.
    #[must_use]
    pub fn oi_change_pct(&self) -> f64 {
        self.oi_change_pct
    }

    /// Percentile rank of the last funding rate among the held ones.
    #[must_use]
    pub fn funding_percentile(&self) -> f64 {
        self.funding_percentile
    }

    /// The seed's `is_cascade_active`: probability > 0.5.
    #[must_use]
    pub fn is_cascade_active(&self) -> bool {
        self.liquidation_probability > 0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_drop_at_extreme_funding_is_even() {
        let mut d = LiquidationDetector::new(LiquidationParams::default()).unwrap();
        let s = 1_000_000_000;
        // funding rising over 20 samples: the last is the highest (percentile 0.975, extremeness 0.95)
        for k in 0..20 {
            d.update(100.0, f64::from(k), k64(k) * 5 * s).unwrap();
        }
        assert!(d.liquidation_probability() < 0.05);
        // OI −0.5 % against 60 s earlier (t = 95 s vs 35 s), funding the highest so far
        let p = d.update(99.5, 100.0, 95 * s).unwrap();
        assert!((d.oi_change_pct() + 0.5).abs() < 1e-12);
        let extreme: f64 = (2.0 * (20.5 / 21.0) - 1.0f64).abs();
        let want = 1.0 / (1.0 + (-(2.0 * (extreme - 0.9))).exp());
        assert!((p - want).abs() < 1e-12, "{p} {want}");
        assert!(d.is_cascade_active());
        // a −1.5 % drop: active even at median funding
        assert!(d.update(98.5, 10.0, 96 * s).unwrap() > 0.9);
        assert!(d.update(98.5, 10.0, 1).is_err());
        assert!(d.update(f64::NAN, 0.0, 97 * s).is_err());
    }

    fn k64(k: i32) -> i64 {
        i64::from(k)
    }
}

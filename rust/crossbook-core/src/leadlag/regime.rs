//! Regime-conditioned lead-lag (seeds/lead-lag-skill.md `RegimeConditionedLeadLag`): one
//! streaming estimator per volatility regime, because arbitrage is faster when volatility is high.
//!
//! The caller classifies the regime from a volatility it measures ([`RegimeConditionedLeadLag::update_regime`],
//! e.g. the leader's return std over 100 ms): below `vol_thresholds[0]` Low, below
//! `vol_thresholds[1]` Medium, else High (the seed's defaults 1 bp and 3 bp per 100 ms; the seed's
//! third value, 10 bp, is not used by its own classifier and is dropped here).
//!
//! Differences from the seed, on purpose: leader ticks go to **every** regime's estimator (the
//! leader's path must be known at `t − lag` whatever the regime was then); follower ticks go to
//! the current regime's estimator only, and an estimator that becomes current again restarts its
//! follower returns, so no return spans time spent in another regime.

use super::skew;
use super::streaming::{check_time, log_price, CurrentEstimate, LeadLagConfig, LeadLagEstimator};
use crate::error::{CoreError, Result};

/// Volatility regime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VolatilityRegime {
    /// below the first threshold (the seed: bottom quartile)
    Low,
    /// between the thresholds (the seed: middle two quartiles)
    Medium,
    /// at or above the second threshold (the seed: top quartile)
    High,
}

impl VolatilityRegime {
    /// All regimes in storage order.
    pub const ALL: [VolatilityRegime; 3] = [Self::Low, Self::Medium, Self::High];

    /// Position in per-regime arrays.
    #[must_use]
    pub fn index(self) -> usize {
        match self {
            Self::Low => 0,
            Self::Medium => 1,
            Self::High => 2,
        }
    }

    /// Lower-case name ("low", "medium", "high").
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }

    /// Parse "low" / "medium" / "high".
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "low" => Some(Self::Low),
            "medium" => Some(Self::Medium),
            "high" => Some(Self::High),
            _ => None,
        }
    }
}

/// The seed's regime boundaries: 1 bp and 3 bp volatility per 100 ms (fractions).
pub const DEFAULT_VOL_THRESHOLDS: [f64; 2] = [1e-4, 3e-4];

/// One [`LeadLagEstimator`] per [`VolatilityRegime`].
#[derive(Debug, Clone)]
pub struct RegimeConditionedLeadLag {
    estimators: [LeadLagEstimator; 3],
    current_regime: VolatilityRegime,
    vol_thresholds: [f64; 2],
    last_leader_ts: Option<i64>,
    last_follower_ts: Option<i64>,
}

impl RegimeConditionedLeadLag {
    /// Three estimators with the same configuration; the regime starts Medium (as the seed).
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for thresholds that are negative, non-finite or decreasing, or
    /// a bad configuration (see [`LeadLagEstimator::new`]).
    pub fn new(cfg: LeadLagConfig, vol_thresholds: [f64; 2]) -> Result<Self> {
        let [lo, hi] = vol_thresholds;
        if !(lo.is_finite() && hi.is_finite() && lo >= 0.0 && lo <= hi) {
            return Err(CoreError::InvalidInput(format!(
                "vol_thresholds must be finite with 0 <= low <= high, got [{lo}, {hi}]"
            )));
        }
        let e = LeadLagEstimator::new(cfg)?;
        Ok(Self {
            estimators: [e.clone(), e.clone(), e],
            current_regime: VolatilityRegime::Medium,
            vol_thresholds,
            last_leader_ts: None,
            last_follower_ts: None,
        })
    }

    /// The regime a volatility falls in (no state change).
    #[must_use]
    pub fn classify(&self, volatility: f64) -> VolatilityRegime {
        if volatility < self.vol_thresholds[0] {
            VolatilityRegime::Low
        } else if volatility < self.vol_thresholds[1] {
            VolatilityRegime::Medium
        } else {
            VolatilityRegime::High
        }
    }

    /// Set the current regime from a volatility (fraction per 100 ms by default thresholds).
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a NaN or negative volatility (the regime is unchanged).
    pub fn update_regime(&mut self, current_volatility: f64) -> Result<VolatilityRegime> {
        if current_volatility.is_nan() || current_volatility < 0.0 {
            return Err(CoreError::InvalidInput(format!("volatility must be >= 0, got {current_volatility}")));
        }
        self.set_regime(self.classify(current_volatility));
        Ok(self.current_regime)
    }

    /// Set the current regime directly (e.g. from an HMM).
    pub fn set_regime(&mut self, regime: VolatilityRegime) {
        if regime != self.current_regime {
            self.current_regime = regime;
            self.estimators[regime.index()].reset_follower();
        }
    }

    /// A leader price at `ts_ns`, to every regime's estimator.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a bad price or a timestamp going backwards.
    pub fn on_leader_price(&mut self, price: f64, ts_ns: i64) -> Result<()> {
        log_price("leader", price)?;
        check_time("leader", self.last_leader_ts, ts_ns)?;
        self.last_leader_ts = Some(ts_ns);
        for e in &mut self.estimators {
            e.on_leader_price(price, ts_ns)?;
        }
        Ok(())
    }

    /// A follower price at `ts_ns`, to the current regime's estimator.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a bad price or a timestamp going backwards.
    pub fn on_follower_price(&mut self, price: f64, ts_ns: i64) -> Result<()> {
        log_price("follower", price)?;
        check_time("follower", self.last_follower_ts, ts_ns)?;
        self.last_follower_ts = Some(ts_ns);
        self.estimators[self.current_regime.index()].on_follower_price(price, ts_ns)
    }

    /// Both prices at one time (the seed's `on_prices`): leader first, then follower. Both are
    /// validated before either is applied.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a bad price or a timestamp going backwards.
    pub fn on_prices(&mut self, leader_price: f64, follower_price: f64, ts_ns: i64) -> Result<()> {
        log_price("leader", leader_price)?;
        log_price("follower", follower_price)?;
        check_time("leader", self.last_leader_ts, ts_ns)?;
        check_time("follower", self.last_follower_ts, ts_ns)?;
        self.on_leader_price(leader_price, ts_ns)?;
        self.on_follower_price(follower_price, ts_ns)
    }

    /// Feed arrays merged by time: at equal times the volatility first (the regime as of that
    /// time), then the leader, then the follower. Each stream must be sorted.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for mismatched lengths or the first bad tick (named with its
    /// index); ticks before it have been applied.
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &mut self,
        leader_ts: &[i64],
        leader_px: &[f64],
        follower_ts: &[i64],
        follower_px: &[f64],
        vol_ts: &[i64],
        vol: &[f64],
    ) -> Result<()> {
        if leader_ts.len() != leader_px.len() || follower_ts.len() != follower_px.len() || vol_ts.len() != vol.len() {
            return Err(CoreError::InvalidInput(format!(
                "lengths differ: leader {}/{}, follower {}/{}, volatility {}/{}",
                leader_ts.len(),
                leader_px.len(),
                follower_ts.len(),
                follower_px.len(),
                vol_ts.len(),
                vol.len()
            )));
        }
        let (mut i, mut j, mut v) = (0, 0, 0);
        let mut last_vol_ts: Option<i64> = None;
        loop {
            let tl = leader_ts.get(i).copied().unwrap_or(i64::MAX);
            let tf = follower_ts.get(j).copied().unwrap_or(i64::MAX);
            let tv = vol_ts.get(v).copied().unwrap_or(i64::MAX);
            let at = |what: &str, k: usize, e: CoreError| CoreError::InvalidInput(format!("{what} tick {k}: {e}"));
            if v < vol.len() && tv <= tl && tv <= tf {
                check_time("volatility", last_vol_ts, tv).map_err(|e| at("volatility", v, e))?;
                last_vol_ts = Some(tv);
                self.update_regime(vol[v]).map_err(|e| at("volatility", v, e))?;
                v += 1;
            } else if i < leader_ts.len() && tl <= tf {
                self.on_leader_price(leader_px[i], tl).map_err(|e| at("leader", i, e))?;
                i += 1;
            } else if j < follower_ts.len() {
                self.on_follower_price(follower_px[j], tf).map_err(|e| at("follower", j, e))?;
                j += 1;
            } else {
                return Ok(());
            }
        }
    }

    /// The current regime.
    #[must_use]
    pub fn current_regime(&self) -> VolatilityRegime {
        self.current_regime
    }

    /// The regime boundaries.
    #[must_use]
    pub fn vol_thresholds(&self) -> [f64; 2] {
        self.vol_thresholds
    }

    /// The estimator of a regime.
    #[must_use]
    pub fn estimator(&self, regime: VolatilityRegime) -> &LeadLagEstimator {
        &self.estimators[regime.index()]
    }

    /// (lag ms, β, R²) of the current regime's estimator, all moves.
    #[must_use]
    pub fn get_current_estimate(&self) -> CurrentEstimate {
        self.estimators[self.current_regime.index()].current()
    }

    /// Follower move still to come after a leader move, from the current regime's estimate
    /// (see [`skew::predict_remaining_move`]).
    ///
    /// # Errors
    /// As [`skew::predict_remaining_move`].
    pub fn predict_remaining_move(&self, leader_return: f64, time_since_leader_move_ms: f64) -> Result<f64> {
        skew::predict_remaining_move(&self.get_current_estimate(), leader_return, time_since_leader_move_ms)
    }
}

#[cfg(test)]
#[path = "regime_tests.rs"]
mod tests;

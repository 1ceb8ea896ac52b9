//! Configuration and small types of the streaming lead-lag estimator ([`super::streaming`]).

use super::lagfit::LagEstimate;
use crate::error::{CoreError, Result};

/// The seed's 11 candidate lags (ms).
pub const SEED_LAGS_MS: [i64; 11] = [-100, -50, 0, 50, 100, 150, 200, 250, 300, 400, 500];

/// The infrastructure seed's grid: −100..=500 ms every 10 ms (61 lags).
#[must_use]
pub fn fine_lags_ms() -> Vec<i64> {
    (-10..=50).map(|k| k * 10).collect()
}

/// Configuration of [`super::streaming::LeadLagEstimator`]; defaults are the seed's.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadLagConfig {
    /// candidate lags (ms; positive = leader leads); sorted and de-duplicated on use
    pub lags_ms: Vec<i64>,
    /// minimum span of a follower return (ms), default 100
    pub return_window_ms: i64,
    /// re-estimate when the newest sample is more than this after the last estimation (ms), 1000
    pub estimation_interval_ms: i64,
    /// rows needed before estimating, default 100
    pub min_samples: usize,
    /// pairs needed for one lag's regression (per direction), default 50
    pub min_pairs: usize,
    /// rows kept (the regression window, in samples), default 10 000
    pub window_samples: usize,
    /// leader price changes kept, default 65 536
    pub leader_capacity: usize,
    /// smoothing weight of a new estimate, default 0.1
    pub alpha: f64,
    /// prior lag (ms), default 200
    pub initial_lag_ms: f64,
    /// prior lag spread (ms), default 100
    pub initial_lag_std_ms: f64,
    /// prior β, default 0.8
    pub initial_beta: f64,
    /// prior standard error of β, default 0.2
    pub initial_beta_std: f64,
}

impl Default for LeadLagConfig {
    fn default() -> Self {
        Self {
            lags_ms: SEED_LAGS_MS.to_vec(),
            return_window_ms: 100,
            estimation_interval_ms: 1000,
            min_samples: 100,
            min_pairs: 50,
            window_samples: 10_000,
            leader_capacity: 65_536,
            alpha: 0.1,
            initial_lag_ms: 200.0,
            initial_lag_std_ms: 100.0,
            initial_beta: 0.8,
            initial_beta_std: 0.2,
        }
    }
}

impl LeadLagConfig {
    /// The defaults with the 10 ms grid −100..=500 ms.
    #[must_use]
    pub fn fine() -> Self {
        Self { lags_ms: fine_lags_ms(), ..Self::default() }
    }

    /// Check the values (see [`super::streaming::LeadLagEstimator::new`]).
    pub(crate) fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(CoreError::InvalidInput(m));
        if self.lags_ms.is_empty() {
            return bad("lags_ms must not be empty".into());
        }
        if let Some(&l) = self.lags_ms.iter().find(|l| l.unsigned_abs() > 86_400_000) {
            return bad(format!("lag {l} ms is beyond one day"));
        }
        if self.return_window_ms <= 0 {
            return bad(format!("return_window_ms must be > 0, got {}", self.return_window_ms));
        }
        if self.estimation_interval_ms < 0 {
            return bad(format!("estimation_interval_ms must be >= 0, got {}", self.estimation_interval_ms));
        }
        if self.window_samples == 0 || self.leader_capacity < 2 {
            return bad("window_samples must be >= 1 and leader_capacity >= 2".into());
        }
        // rows × (lags + 1) numbers of 8 bytes: refuse windows beyond 16 GiB outright
        let cells = self.window_samples.checked_mul(self.lags_ms.len() + 1);
        if cells.is_none_or(|c| c > 1 << 31) {
            return bad(format!(
                "window_samples × (lags + 1) must be <= 2^31 numbers, got {} × {}",
                self.window_samples,
                self.lags_ms.len() + 1
            ));
        }
        if self.return_window_ms > 86_400_000 {
            return bad(format!("return_window_ms must be <= one day, got {}", self.return_window_ms));
        }
        if !(self.alpha > 0.0 && self.alpha <= 1.0) {
            return bad(format!("alpha must be in (0, 1], got {}", self.alpha));
        }
        let priors = [self.initial_lag_ms, self.initial_lag_std_ms, self.initial_beta, self.initial_beta_std];
        if priors.iter().any(|p| !p.is_finite()) {
            return bad("initial values must be finite".into());
        }
        Ok(())
    }
}

/// The estimate the quote-side functions use (see [`crate::leadlag::skew`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurrentEstimate {
    /// lag (ms)
    pub lag_ms: f64,
    /// transmission coefficient
    pub beta: f64,
    /// R² of the regression
    pub r_squared: f64,
}

impl From<&LagEstimate> for CurrentEstimate {
    fn from(e: &LagEstimate) -> Self {
        Self { lag_ms: e.lag_ms, beta: e.beta, r_squared: e.r_squared }
    }
}

/// One re-estimation, for a rolling record (enable with [`super::streaming::LeadLagEstimator::set_record`]).
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateRecord {
    /// time of the sample that triggered it (ns)
    pub ts_ns: i64,
    /// rows in the window
    pub n_samples: usize,
    /// smoothed estimates after the update, by direction (all, up, down)
    pub estimates: [LagEstimate; 3],
}

/// Validate a price and return its natural log.
pub(crate) fn log_price(stream: &str, price: f64) -> Result<f64> {
    if price.is_finite() && price > 0.0 {
        Ok(price.ln())
    } else {
        Err(CoreError::InvalidInput(format!("{stream} price must be finite and > 0, got {price}")))
    }
}

/// Reject a timestamp earlier than the previous one of the same stream.
pub(crate) fn check_time(stream: &str, prev: Option<i64>, ts_ns: i64) -> Result<()> {
    match prev {
        Some(p) if ts_ns < p => {
            Err(CoreError::InvalidInput(format!("{stream} timestamp going backwards: {ts_ns} ns < previous {p} ns")))
        }
        _ => Ok(()),
    }
}

//! Backtest runner: a market maker quoting one instrument (the *quoted* venue) while watching another
//! (the *leader*), replayed over the time-merged multi-venue stream, with realistic fills, run records
//! and an exact PnL attribution.
//!
//! # The loop ([`runner`])
//! market events (time-merged by `ts_local`, [`stream`]) → signals (weighted mid, bipower σ, trade
//! flow, the rebuilt book of the quoted venue) → streaming lead-lag estimator (leader mid vs quoted
//! mid) → quote engine cycle ([`crate::quote::EnhancedQuoteEngine`]) on a fixed cycle interval and on
//! quoted-venue BBO changes (and on significant leader moves) → order management on the exchange
//! simulator ([`crate::exchange::ExchangeSim`]): cancel/replace when the quote moves by at least
//! `requote_ticks` ticks → records ([`records`]).
//!
//! # Two clocks
//! The strategy lives on the local clock (`ts_local`, the recorder's clock both venues share): it sees
//! market events at their `ts_local` and learns of its own orders and fills only through
//! [`crate::exchange::ExchangeSim::poll`]. The simulated venue matches on the quoted venue's exchange
//! clock: its events (book rows, trades, the BBO as touch updates, tickers) are fed in `ts_exchange`
//! order, every event with exchange time `<= L` before the strategy acts at local time `L`, as the
//! exchange simulator requires. When the venue's exchange clock runs ahead of the local clock (the
//! shared Binance captures: `E − local ≈ +1.27 s`), exchange times are shifted back per table by
//! `max(0, max(ts_exchange − ts_local))` so no message is received before it was sent (hftbacktest's
//! `correct_local_timestamp` does the same shift on the other clock); the shift is reported.
//!
//! # Accounting ([`attribution`])
//! Everything is marked at the quoted venue's mid as the strategy saw it (local clock); a fill sits at
//! its (shifted) exchange time. With a fill of side `s` (+1 buy), size `x`, price `p` at `t`, mid
//! `m(·)`, attribution horizon `h` (default 1 s) and end of data `T`:
//! - spread capture `s·x·(m(t) − p)`: the edge against the mid at the fill;
//! - adverse selection `s·x·(m(min(t + h, T)) − m(t))`: the mid move over the horizon after the fill;
//! - inventory `s·x·(m(T) − m(min(t + h, T)))`: the rest of the mark-to-market of holding it;
//! - fees (−fee, rebates positive) and funding (received positive) as the exchange simulator charged.
//!
//! The first three telescope to `s·x·(m(T) − p)`, so with fees and funding they sum to the
//! mark-to-market PnL `cash + q·m(T)`. They are computed in exact integer arithmetic (scaled prices and
//! sizes, `i128`), converted once each, and `total` is defined as their sum, so the identity holds
//! to the last bit; the independent mark-to-market is reported next to it.

pub mod attribution;
pub mod columns;
mod context;
mod cycle;
pub mod metrics;
mod orders;
pub mod predict;
pub mod records;
mod runner;
pub mod stream;
mod table;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::exchange::{Fees, FundingSchedule, LatencyModel, LatencySeries, QueueModel, SimConfig};
use crate::leadlag::streaming::{fine_lags_ms, LeadLagConfig, SEED_LAGS_MS};

pub use metrics::Summary;
pub use records::{CycleRow, DayRow, EquityRow, FillRow};
pub use runner::{run, BacktestOutput};
pub use stream::{BboSlices, MarketData, TickerSlices, TradeSlices};
pub use table::{Column, Table};

/// ns per ms
pub(crate) const MS: i64 = 1_000_000;

/// Settings of the simulated venue (see [`crate::exchange`] for each model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExchangeParams {
    /// queue model: `risk_averse`, `power`, `power2`, `power3`, `log`, `log2`, `inferred`
    pub queue: String,
    /// exponent of the power models
    pub power_n: f64,
    /// window of the `inferred` model, ns
    pub recent_ns: i64,
    /// latency model: `constant`, `feed` or `interpolated`
    pub latency: String,
    /// constant entry latency (or the `feed` model's offset), ns
    pub entry_ns: i64,
    /// constant response latency (or the `feed` model's offset), ns
    pub response_ns: i64,
    /// `interpolated`: request times, ns
    pub latency_ts: Vec<i64>,
    /// `interpolated`: entry latencies, ns
    pub latency_entry: Vec<i64>,
    /// `interpolated`: response latencies, ns
    pub latency_response: Vec<i64>,
    /// `feed`: entry = mul · feed latency + `entry_ns`
    pub feed_entry_mul: f64,
    /// `feed`: response = mul · feed latency + `response_ns`
    pub feed_response_mul: f64,
    /// maker fee, bps of notional (negative: rebate)
    pub maker_fee_bps: f64,
    /// taker fee, bps of notional
    pub taker_fee_bps: f64,
    /// funding settles every this many ns from `funding_offset_ns` (0: no funding)
    pub funding_interval_ns: i64,
    /// offset of the settlement grid, ns since the epoch
    pub funding_offset_ns: i64,
    /// feed the quoted BBO to the venue as touch updates (set the best level, delete better ones);
    /// matters where book snapshots are sparse (Hyperliquid)
    pub match_bbo: bool,
}

impl Default for ExchangeParams {
    fn default() -> Self {
        Self {
            queue: "risk_averse".into(),
            power_n: 2.0,
            recent_ns: 1_000 * MS,
            latency: "constant".into(),
            entry_ns: 10 * MS,
            response_ns: 10 * MS,
            latency_ts: Vec::new(),
            latency_entry: Vec::new(),
            latency_response: Vec::new(),
            feed_entry_mul: 1.0,
            feed_response_mul: 1.0,
            maker_fee_bps: 0.0,
            taker_fee_bps: 0.0,
            funding_interval_ns: 0,
            funding_offset_ns: 0,
            match_bbo: true,
        }
    }
}

impl ExchangeParams {
    /// The exchange simulator's configuration.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for an unknown model name or an unusable series.
    pub fn sim_config(&self) -> Result<SimConfig> {
        let queue = match self.queue.as_str() {
            "risk_averse" => QueueModel::RiskAverse,
            "power" => QueueModel::PowerProb { n: self.power_n },
            "power2" => QueueModel::PowerProb2 { n: self.power_n },
            "power3" => QueueModel::PowerProb3 { n: self.power_n },
            "log" => QueueModel::LogProb,
            "log2" => QueueModel::LogProb2,
            "inferred" => QueueModel::Inferred { recent_ns: self.recent_ns },
            q => {
                return Err(bad(format!(
                    "queue must be risk_averse, power, power2, power3, log, log2 or inferred, got {q:?}"
                )))
            }
        };
        let latency = match self.latency.as_str() {
            "constant" => LatencyModel::Constant { entry_ns: self.entry_ns, response_ns: self.response_ns },
            "feed" => LatencyModel::FeedScaled {
                entry_mul: self.feed_entry_mul,
                entry_offset_ns: self.entry_ns,
                response_mul: self.feed_response_mul,
                response_offset_ns: self.response_ns,
            },
            "interpolated" => LatencyModel::Interpolated(LatencySeries::new(
                self.latency_ts.clone(),
                self.latency_entry.clone(),
                self.latency_response.clone(),
            )?),
            l => return Err(bad(format!("latency must be constant, feed or interpolated, got {l:?}"))),
        };
        let funding = if self.funding_interval_ns > 0 {
            FundingSchedule::Every { interval_ns: self.funding_interval_ns, offset_ns: self.funding_offset_ns }
        } else {
            FundingSchedule::None
        };
        Ok(SimConfig {
            queue,
            latency,
            fees: Fees { maker_bps: self.maker_fee_bps, taker_bps: self.taker_fee_bps },
            funding,
            ..SimConfig::default()
        })
    }
}

/// Settings of the streaming lead-lag estimator inside the backtest (the seed's defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeadLagParams {
    /// candidate lags: `seed` (11 lags, −100..500 ms) or `fine` (10 ms grid, −100..500 ms)
    pub grid: String,
    /// minimum span of a follower return, ms
    pub return_window_ms: i64,
    /// re-estimation interval, ms
    pub estimation_interval_ms: i64,
    /// rows needed before estimating
    pub min_samples: usize,
    /// rows kept
    pub window_samples: usize,
    /// smoothing weight of a new estimate
    pub alpha: f64,
    /// the leader move used is the as-of log return over the last min(lag, this) ms
    pub max_lookback_ms: f64,
}

impl Default for LeadLagParams {
    fn default() -> Self {
        let d = LeadLagConfig::default();
        Self {
            grid: "seed".into(),
            return_window_ms: d.return_window_ms,
            estimation_interval_ms: d.estimation_interval_ms,
            min_samples: d.min_samples,
            window_samples: d.window_samples,
            alpha: d.alpha,
            max_lookback_ms: 1_000.0,
        }
    }
}

impl LeadLagParams {
    /// The estimator's configuration.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for an unknown grid.
    pub fn config(&self) -> Result<LeadLagConfig> {
        let lags_ms = match self.grid.as_str() {
            "seed" => SEED_LAGS_MS.to_vec(),
            "fine" => fine_lags_ms(),
            g => return Err(bad(format!("lead-lag grid must be 'seed' or 'fine', got {g:?}"))),
        };
        Ok(LeadLagConfig {
            lags_ms,
            return_window_ms: self.return_window_ms,
            estimation_interval_ms: self.estimation_interval_ms,
            min_samples: self.min_samples,
            window_samples: self.window_samples,
            alpha: self.alpha,
            ..LeadLagConfig::default()
        })
    }
}

/// Every setting of the runner. Times in ns, prices in quote currency, sizes in base units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BacktestParams {
    /// price tick of the quoted instrument (quote currency)
    pub tick: f64,
    /// fill intensity at zero depth A, per second per side (λ(δ) = A·exp(−k·δ))
    pub intensity_a: f64,
    /// fill-intensity decay k per tick of distance from the mid
    pub intensity_k_per_tick: f64,
    /// quote cycle interval on the local clock, ns (cycles at multiples of it)
    pub cycle_ns: i64,
    /// also run a cycle at every change of the quoted best bid or ask price
    pub requote_on_bbo: bool,
    /// also run a cycle when the leader mid moved by at least this since the last cycle, bps (0: off)
    pub leader_trigger_bps: f64,
    /// lead-lag on: centre on the lead-lag adjusted micro-price and add the directional skew (the
    /// quote config's components decide which); off: both off, everything else equal
    pub leadlag: bool,
    /// the streaming estimator
    pub leadlag_estimator: LeadLagParams,
    /// bipower volatility grid step, ns
    pub vol_step_ns: i64,
    /// bipower volatility window, returns
    pub vol_window: usize,
    /// regime probabilities given to the engine (quiet, trending, volatile, cascade)
    pub regime_probs: [f64; 4],
    /// replace an order when the target price moved by at least this many ticks
    pub requote_ticks: f64,
    /// replace an order when the target size differs from its open size by more than this fraction
    pub size_tolerance: f64,
    /// at most this many of our orders per side alive (including ones being canceled)
    pub max_orders_per_side: usize,
    /// stop quoting when the quoted BBO is older than this, ns
    pub stale_quoted_ns: i64,
    /// stop quoting when the leader is older than this (lead-lag on only), ns
    pub stale_leader_ns: i64,
    /// equity curve sampling interval, ns
    pub equity_interval_ns: i64,
    /// attribution horizon h (adverse selection = mid move over h after the fill), ns
    pub adverse_horizon_ns: i64,
    /// post-only orders (rejected instead of taking when they would cross on arrival)
    pub post_only: bool,
    /// multiplier on the engine's half-spread (counterfactuals); 1 leaves the engine's quote alone
    pub spread_mult: f64,
    /// book levels per side recorded in each prediction record
    pub book_levels: usize,
    /// band around the mid for depth, asymmetry, density and migration, bps
    pub context_band_bps: f64,
    /// a wall is a level of at least this many times the median level size
    pub wall_k: f64,
    /// walls are looked for within this distance of the mid, bps
    pub wall_band_bps: f64,
    /// levels per side whose sizes define the median
    pub wall_levels: usize,
    /// window of the flicker rate (appear/disappear events per second), ns
    pub flicker_window_ns: i64,
    /// the exchange simulator
    pub exchange: ExchangeParams,
}

impl Default for BacktestParams {
    fn default() -> Self {
        Self {
            tick: 0.0,
            intensity_a: 1.0,
            intensity_k_per_tick: 0.5,
            cycle_ns: 100 * MS,
            requote_on_bbo: true,
            leader_trigger_bps: 1.0,
            leadlag: true,
            leadlag_estimator: LeadLagParams::default(),
            vol_step_ns: 1_000 * MS,
            vol_window: 60,
            regime_probs: [1.0, 0.0, 0.0, 0.0],
            requote_ticks: 1.0,
            size_tolerance: 0.5,
            max_orders_per_side: 3,
            stale_quoted_ns: 5_000 * MS,
            stale_leader_ns: 5_000 * MS,
            equity_interval_ns: 1_000 * MS,
            adverse_horizon_ns: 1_000 * MS,
            post_only: true,
            spread_mult: 1.0,
            book_levels: 5,
            context_band_bps: 10.0,
            wall_k: 5.0,
            wall_band_bps: 25.0,
            wall_levels: 20,
            flicker_window_ns: 10_000 * MS,
            exchange: ExchangeParams::default(),
        }
    }
}

fn bad(msg: String) -> CoreError {
    CoreError::InvalidInput(msg)
}

fn need(name: &str, ok: bool, v: impl std::fmt::Display, what: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(bad(format!("backtest config: {name} must be {what} (got {v})")))
    }
}

impl BacktestParams {
    /// Parse from JSON (unknown keys are errors; missing keys take the defaults) and validate.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] with serde's message or the first invalid value.
    pub fn from_json(text: &str) -> Result<Self> {
        let p: Self = serde_json::from_str(text).map_err(|e| bad(format!("backtest config: {e}")))?;
        p.validate()?;
        Ok(p)
    }

    /// Serialise to JSON (the form [`Self::from_json`] reads).
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] if serde fails (it cannot for these plain fields).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| bad(format!("backtest config: {e}")))
    }

    /// Check every value's range.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] naming the first bad value.
    pub fn validate(&self) -> Result<()> {
        let p = self;
        need("tick", p.tick.is_finite() && p.tick > 0.0, p.tick, "a finite number > 0")?;
        need("intensity_a", p.intensity_a.is_finite() && p.intensity_a > 0.0, p.intensity_a, "> 0")?;
        let k = p.intensity_k_per_tick;
        need("intensity_k_per_tick", k.is_finite() && k > 0.0, k, "> 0")?;
        need("cycle_ns", p.cycle_ns > 0, p.cycle_ns, "> 0")?;
        let lt = p.leader_trigger_bps;
        need("leader_trigger_bps", lt.is_finite() && lt >= 0.0, lt, ">= 0")?;
        need("vol_step_ns", p.vol_step_ns > 0, p.vol_step_ns, "> 0")?;
        need("vol_window", p.vol_window >= 2, p.vol_window, ">= 2")?;
        let probs_ok =
            p.regime_probs.iter().all(|x| x.is_finite() && *x >= 0.0) && p.regime_probs.iter().sum::<f64>() > 0.0;
        need("regime_probs", probs_ok, format!("{:?}", p.regime_probs), "finite, >= 0, not all 0")?;
        need("requote_ticks", p.requote_ticks.is_finite() && p.requote_ticks >= 0.0, p.requote_ticks, ">= 0")?;
        need("size_tolerance", p.size_tolerance.is_finite() && p.size_tolerance >= 0.0, p.size_tolerance, ">= 0")?;
        need("max_orders_per_side", p.max_orders_per_side >= 1, p.max_orders_per_side, ">= 1")?;
        need("stale_quoted_ns", p.stale_quoted_ns > 0, p.stale_quoted_ns, "> 0")?;
        need("stale_leader_ns", p.stale_leader_ns > 0, p.stale_leader_ns, "> 0")?;
        need("equity_interval_ns", p.equity_interval_ns > 0, p.equity_interval_ns, "> 0")?;
        need("adverse_horizon_ns", p.adverse_horizon_ns > 0, p.adverse_horizon_ns, "> 0")?;
        need("spread_mult", p.spread_mult.is_finite() && p.spread_mult > 0.0, p.spread_mult, "> 0")?;
        need("book_levels", (1..=50).contains(&p.book_levels), p.book_levels, "in 1..=50")?;
        let cb = p.context_band_bps;
        need("context_band_bps", cb.is_finite() && cb > 0.0, cb, "> 0")?;
        need("wall_k", p.wall_k.is_finite() && p.wall_k > 0.0, p.wall_k, "> 0")?;
        need("wall_band_bps", p.wall_band_bps.is_finite() && p.wall_band_bps > 0.0, p.wall_band_bps, "> 0")?;
        need("wall_levels", p.wall_levels >= 1, p.wall_levels, ">= 1")?;
        need("flicker_window_ns", p.flicker_window_ns > 0, p.flicker_window_ns, "> 0")?;
        let lb = p.leadlag_estimator.max_lookback_ms;
        need("leadlag_estimator.max_lookback_ms", lb.is_finite() && lb > 0.0, lb, "> 0")?;
        p.leadlag_estimator.config()?.validate()?;
        p.exchange.sim_config().and_then(|c| {
            c.queue.validate()?;
            c.latency.validate()?;
            c.fees.validate()
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;

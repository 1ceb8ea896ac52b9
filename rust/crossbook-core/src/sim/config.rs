//! Simulator configuration: every parameter with its unit and default.
//!
//! The Python model `crossbook.sim.SimConfig` mirrors this struct field for field (a test checks
//! that both give the same defaults); Python hands the config over as JSON.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::error::{CoreError, Result};

pub(crate) fn bad(msg: String) -> CoreError {
    CoreError::InvalidInput(msg)
}

/// Market regime of the latent price (heatmap seed §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Regime {
    Quiet = 0,
    Trending = 1,
    Volatile = 2,
    Cascade = 3,
}

impl Regime {
    /// All regimes in index order.
    pub const ALL: [Regime; 4] = [Regime::Quiet, Regime::Trending, Regime::Volatile, Regime::Cascade];

    /// Lowercase name (`quiet`, `trending`, `volatile`, `cascade`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Regime::Quiet => "quiet",
            Regime::Trending => "trending",
            Regime::Volatile => "volatile",
            Regime::Cascade => "cascade",
        }
    }

    /// Index 0..4 (the row/column of the transition matrix).
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }

    /// Regime of an index (anything ≥ 3 is `Cascade`).
    #[must_use]
    pub fn from_index(i: usize) -> Regime {
        match i {
            0 => Regime::Quiet,
            1 => Regime::Trending,
            2 => Regime::Volatile,
            _ => Regime::Cascade,
        }
    }

    /// Regime of a lowercase name.
    #[must_use]
    pub fn from_name(s: &str) -> Option<Regime> {
        Regime::ALL.into_iter().find(|r| r.name() == s)
    }
}

/// Parameters that change with the regime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegimeParams {
    /// diffusion volatility of the latent log price, bp per √s
    pub vol_bps: f64,
    /// |drift| of the latent log price, bp per s (its sign is drawn per segment)
    pub drift_bps: f64,
    /// probability that a segment's drift points down
    pub down_prob: f64,
    /// latent price jumps per s
    pub jump_hz: f64,
    /// mean |jump| in bp (exponentially distributed; sign follows the drift sign when there is one)
    pub jump_bps: f64,
    /// leader quote refreshes per s: the leader mid snaps to the latent price (jumps refresh at once)
    pub refresh_hz: f64,
    /// leader noise trades per s
    pub trade_hz: f64,
    /// probability that a leader mid move is preceded by informed trades sweeping the touch
    pub informed_prob: f64,
    /// liquidation bursts per s (leader; the follower gets half this rate)
    pub liquidation_hz: f64,
    /// follower trades per s (noise and informed)
    pub follower_trade_hz: f64,
    /// follower quoted spread in follower ticks
    pub follower_spread_ticks: u32,
    /// idle gaps (50–100 ms with no leader market message) per s
    pub idle_gap_hz: f64,
}

impl Default for RegimeParams {
    fn default() -> Self {
        Self::quiet()
    }
}

impl RegimeParams {
    /// Defaults of the quiet regime.
    #[must_use]
    pub fn quiet() -> Self {
        Self {
            vol_bps: 0.8,
            drift_bps: 0.0,
            down_prob: 0.5,
            jump_hz: 0.02,
            jump_bps: 3.0,
            refresh_hz: 6.0,
            trade_hz: 25.0,
            informed_prob: 0.1,
            liquidation_hz: 0.0,
            follower_trade_hz: 2.0,
            follower_spread_ticks: 1,
            idle_gap_hz: 0.5,
        }
    }

    /// Defaults of the trending regime.
    #[must_use]
    pub fn trending() -> Self {
        Self {
            vol_bps: 1.2,
            drift_bps: 0.5,
            jump_hz: 0.05,
            jump_bps: 4.0,
            refresh_hz: 10.0,
            trade_hz: 40.0,
            informed_prob: 0.35,
            liquidation_hz: 0.005,
            follower_trade_hz: 4.0,
            idle_gap_hz: 0.2,
            ..Self::quiet()
        }
    }

    /// Defaults of the volatile regime.
    #[must_use]
    pub fn volatile() -> Self {
        Self {
            vol_bps: 3.0,
            jump_hz: 0.15,
            jump_bps: 6.0,
            refresh_hz: 20.0,
            trade_hz: 80.0,
            informed_prob: 0.2,
            liquidation_hz: 0.05,
            follower_trade_hz: 8.0,
            follower_spread_ticks: 2,
            idle_gap_hz: 0.1,
            ..Self::quiet()
        }
    }

    /// Defaults of the cascade regime.
    #[must_use]
    pub fn cascade() -> Self {
        Self {
            vol_bps: 6.0,
            drift_bps: 4.0,
            down_prob: 0.8,
            jump_hz: 0.5,
            jump_bps: 10.0,
            refresh_hz: 40.0,
            trade_hz: 150.0,
            informed_prob: 0.3,
            liquidation_hz: 2.0,
            follower_trade_hz: 15.0,
            follower_spread_ticks: 3,
            idle_gap_hz: 0.0,
        }
    }
}

/// One [`RegimeParams`] per regime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegimeSet {
    pub quiet: RegimeParams,
    pub trending: RegimeParams,
    pub volatile: RegimeParams,
    pub cascade: RegimeParams,
}

impl Default for RegimeSet {
    fn default() -> Self {
        Self {
            quiet: RegimeParams::quiet(),
            trending: RegimeParams::trending(),
            volatile: RegimeParams::volatile(),
            cascade: RegimeParams::cascade(),
        }
    }
}

impl RegimeSet {
    /// Parameters of `r`.
    #[must_use]
    pub fn get(&self, r: Regime) -> &RegimeParams {
        match r {
            Regime::Quiet => &self.quiet,
            Regime::Trending => &self.trending,
            Regime::Volatile => &self.volatile,
            Regime::Cascade => &self.cascade,
        }
    }
}

/// The whole simulator configuration. Times are true (simulated) time unless said otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// simulated duration, minutes
    pub minutes: f64,
    /// seed of every random stream (ChaCha8)
    pub seed: u64,
    /// true time of the first event, ns UTC (default 2024-08-08T00:00:00Z)
    pub start_ns: i64,
    /// causal lag of the follower mid behind the leader mid, ms (every regime and direction
    /// unless overridden below)
    pub lag_ms: f64,
    /// lag of up-moves, ms (default `lag_ms`); adds `lag_ms_up − lag_ms` to every regime's lag
    pub lag_ms_up: Option<f64>,
    /// lag of down-moves, ms (default `lag_ms`); adds `lag_ms_down − lag_ms` to every regime's lag
    pub lag_ms_down: Option<f64>,
    /// lag per regime name, ms (missing regimes use `lag_ms`)
    pub lag_by_regime: Option<BTreeMap<String, f64>>,
    /// transmission coefficient: follower log-mid move = β × leader log-mid move
    pub beta: f64,
    /// follower mid premium over the leader mid at the start, bp
    pub follower_basis_bps: f64,
    /// std of the follower's idiosyncratic (Ornstein–Uhlenbeck) log-mid noise, bp
    pub follower_noise_bps: f64,
    /// mean-reversion time of that noise, s
    pub follower_noise_tau_s: f64,
    /// initial leader mid, quote currency
    pub price: f64,
    /// multiplier of every regime's `vol_bps`
    pub vol_scale: f64,
    /// time step of the regime transition matrix, s
    pub regime_step_s: f64,
    /// regime transition probabilities per `regime_step_s` (rows: from quiet, trending, volatile, cascade)
    pub transition: [[f64; 4]; 4],
    /// regime at the start
    pub initial_regime: Regime,
    /// per-regime parameters
    pub regimes: RegimeSet,
    /// leader exchange clock minus true time, ms
    pub leader_clock_offset_ms: f64,
    /// follower exchange clock minus leader exchange clock, ms
    pub clock_offset_ms: f64,
    /// mean leader feed latency (exchange → our recorder), ms
    pub leader_latency_ms: f64,
    /// std of the leader feed latency (gamma distributed), ms
    pub leader_latency_jitter_ms: f64,
    /// mean follower feed latency, ms
    pub follower_latency_ms: f64,
    /// std of the follower feed latency (gamma distributed), ms
    pub follower_latency_jitter_ms: f64,
    /// leader tick size, quote currency
    pub leader_tick: f64,
    /// leader lot size, base units
    pub leader_lot: f64,
    /// leader depth range kept on each side of the touch, ticks
    pub leader_book_ticks: u32,
    /// mean size at the leader touch, base units (deeper levels are larger)
    pub leader_touch_qty: f64,
    /// leader order events (add / cancel / amend at a level) per s
    pub leader_churn_hz: f64,
    /// leader diff-depth message interval, ms
    pub leader_depth_interval_ms: f64,
    /// large resting walls placed per minute (leader)
    pub walls_per_min: f64,
    /// mean wall size, base units
    pub wall_qty: f64,
    /// mean wall lifetime, s
    pub wall_life_s: f64,
    /// probability that a wall is pulled when the touch comes within 5 ticks (else it is filled)
    pub wall_pull_prob: f64,
    /// spoofing episodes per minute (leader): a large order flickering near the touch
    pub spoofs_per_min: f64,
    /// mean spoof order size, base units
    pub spoof_qty: f64,
    /// follower tick size, quote currency
    pub follower_tick: f64,
    /// follower lot size, base units
    pub follower_lot: f64,
    /// mean follower block interval, ms (bbo and trades are block-timed)
    pub follower_block_ms: f64,
    /// block interval jitter, as a fraction of `follower_block_ms` (uniform ±)
    pub follower_block_jitter: f64,
    /// follower full book snapshots: on the first block at least this long after the last one, ms
    pub follower_book_interval_ms: f64,
    /// levels per side in a follower book snapshot
    pub follower_levels: u32,
    /// mean size at the follower touch, base units
    pub follower_touch_qty: f64,
    /// pending (not yet transmitted) leader move that triggers arbitrage on the follower, bp
    pub arb_threshold_bps: f64,
    /// probability per follower block that arbitrageurs act on such a pending move
    pub arb_prob: f64,
    /// interval of ticker rows (leader markPrice, follower activeAssetCtx), ms
    pub ticker_interval_ms: f64,
    /// leader open interest at the start, base units
    pub open_interest: f64,
    /// follower open interest at the start, base units
    pub follower_open_interest: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            minutes: 30.0,
            seed: 7,
            start_ns: 1_723_075_200_000_000_000,
            lag_ms: 150.0,
            lag_ms_up: None,
            lag_ms_down: None,
            lag_by_regime: None,
            beta: 1.0,
            follower_basis_bps: 1.5,
            follower_noise_bps: 0.3,
            follower_noise_tau_s: 5.0,
            price: 60_000.0,
            vol_scale: 1.0,
            regime_step_s: 5.0,
            transition: [
                [0.95, 0.03, 0.019, 0.001],
                [0.10, 0.85, 0.04, 0.01],
                [0.15, 0.10, 0.70, 0.05],
                [0.05, 0.05, 0.60, 0.30],
            ],
            initial_regime: Regime::Quiet,
            regimes: RegimeSet::default(),
            leader_clock_offset_ms: 0.0,
            clock_offset_ms: -20.0,
            leader_latency_ms: 5.0,
            leader_latency_jitter_ms: 1.0,
            follower_latency_ms: 40.0,
            follower_latency_jitter_ms: 8.0,
            leader_tick: 0.1,
            leader_lot: 0.001,
            leader_book_ticks: 1000,
            leader_touch_qty: 2.5,
            leader_churn_hz: 150.0,
            leader_depth_interval_ms: 50.0,
            walls_per_min: 1.5,
            wall_qty: 40.0,
            wall_life_s: 240.0,
            wall_pull_prob: 0.6,
            spoofs_per_min: 3.0,
            spoof_qty: 15.0,
            follower_tick: 1.0,
            follower_lot: 0.00001,
            follower_block_ms: 80.0,
            follower_block_jitter: 0.25,
            follower_book_interval_ms: 500.0,
            follower_levels: 20,
            follower_touch_qty: 0.5,
            arb_threshold_bps: 1.5,
            arb_prob: 0.6,
            ticker_interval_ms: 1000.0,
            open_interest: 80_000.0,
            follower_open_interest: 10_000.0,
        }
    }
}

/// Causal lags resolved per (regime, direction), in ns: `[regime][0 = up, 1 = down]`.
pub type LagTable = [[i64; 2]; 4];

impl SimConfig {
    /// Parse a JSON object of overrides on top of the defaults.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for bad JSON, unknown fields, or values [`SimConfig::validate`] rejects.
    pub fn from_json(text: &str) -> Result<SimConfig> {
        let cfg: SimConfig = serde_json::from_str(text).map_err(|e| bad(format!("simulator config: {e}")))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The defaults as a JSON object (Python checks its model against it).
    #[must_use]
    pub fn default_json() -> String {
        serde_json::to_string(&SimConfig::default()).unwrap_or_default()
    }

    /// Lag in ms of (regime, up) and (regime, down).
    #[must_use]
    pub fn lag_ms_for(&self, r: Regime) -> (f64, f64) {
        let base = self.lag_by_regime.as_ref().and_then(|m| m.get(r.name()).copied()).unwrap_or(self.lag_ms);
        let up = self.lag_ms_up.unwrap_or(self.lag_ms) - self.lag_ms;
        let down = self.lag_ms_down.unwrap_or(self.lag_ms) - self.lag_ms;
        (base + up, base + down)
    }

    /// The lag table in ns.
    #[must_use]
    pub fn lag_table_ns(&self) -> LagTable {
        let mut t = [[0i64; 2]; 4];
        for r in Regime::ALL {
            let (u, d) = self.lag_ms_for(r);
            t[r.index()] = [ms_to_ns(u), ms_to_ns(d)];
        }
        t
    }

    /// Number of simulated 1 ms steps.
    #[must_use]
    pub fn steps(&self) -> i64 {
        ms_to_ns(self.minutes * 60_000.0) / 1_000_000
    }
}

/// ms (f64) → ns (i64), rounded.
#[must_use]
pub fn ms_to_ns(ms: f64) -> i64 {
    // lags and intervals are validated to be far inside the i64 range
    (ms * 1e6).round() as i64
}

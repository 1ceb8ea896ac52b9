//! The ground-truth record of a run (serialized to JSON for Python's `SimResult.truth`).
//!
//! Lags on each clock, for an estimator that pairs leader and follower mid moves:
//! - causal (true time): `lag_ms` (and the per regime / direction table);
//! - exchange clocks: every true time `t` (whole ms) is printed as `floor_ms(t + offset)`, so a
//!   follower print minus a leader print is the causal lag plus
//!   `floor_ms(follower offset) − floor_ms(leader offset)` exactly;
//! - local clock: plus the mean follower feed latency minus the mean leader feed latency, both
//!   measured on the emitted bbo rows (`ts_local − true time`; configured means in `feed_latency_ms`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::config::{ms_to_ns, Regime, SimConfig};
use super::output::{Label, Out};
use super::price::Segment;

/// Latency of one feed, ms.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Latency {
    pub mean: f64,
    pub jitter: f64,
    /// mean of `ts_local − true time` over the venue's bbo rows
    pub realized: f64,
}

/// Up / down lag pair, ms.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UpDown {
    pub up: f64,
    pub down: f64,
}

/// Ground truth of one run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Truth {
    pub leader_venue: String,
    pub follower_venue: String,
    pub leader_symbol: String,
    pub follower_symbol: String,
    /// causal lag, ms (true time)
    pub lag_ms: f64,
    /// lag an estimator should find on `ts_local`, ms
    pub lag_ms_local: f64,
    /// lag an estimator should find on `ts_exchange`, ms
    pub lag_ms_exchange: f64,
    /// `lag_ms_local − lag_ms`, ms (add to any causal lag below)
    pub local_minus_causal_ms: f64,
    /// `lag_ms_exchange − lag_ms`, ms
    pub exchange_minus_causal_ms: f64,
    pub lag_ms_up: f64,
    pub lag_ms_down: f64,
    /// direction-neutral causal lag per regime, ms
    pub lag_ms_by_regime: BTreeMap<String, f64>,
    /// causal lag per regime and direction, ms: `lag_by_regime + (lag_ms_up|down − lag_ms)`
    pub lag_ms_table: BTreeMap<String, UpDown>,
    pub beta: f64,
    pub follower_basis_bps: f64,
    pub follower_noise_bps: f64,
    /// follower exchange clock − leader exchange clock, ms
    pub clock_offset_ms: f64,
    /// each exchange clock − true time, ms
    pub leader_clock_offset_ms: f64,
    pub follower_clock_offset_ms: f64,
    pub feed_latency_ms: BTreeMap<String, Latency>,
    pub follower_block_ms: f64,
    pub follower_book_interval_ms: f64,
    /// fraction of simulated time spent in each regime
    pub regime_share: BTreeMap<String, f64>,
    /// number of segments of each regime
    pub regime_segments: BTreeMap<String, u64>,
    /// number of trades of each class, both venues
    pub label_counts: BTreeMap<String, u64>,
    /// rows per table
    pub rows: BTreeMap<String, u64>,
    pub leader_mid_start: f64,
    pub leader_mid_end: f64,
    pub start_ns: i64,
    pub end_ns: i64,
    pub seed: u64,
    pub minutes: f64,
}

fn floor_ms(ns: i64) -> i64 {
    ns.div_euclid(1_000_000)
}

/// Assemble the truth record after the run.
#[must_use]
pub fn build(cfg: &SimConfig, out: &Out, segments: &[Segment], mids: (f64, f64), end_ns: i64) -> Truth {
    let t = &out.tables;
    let follower_offset_ms = cfg.leader_clock_offset_ms + cfg.clock_offset_ms;
    let exchange_shift =
        (floor_ms(ms_to_ns(follower_offset_ms)) - floor_ms(ms_to_ns(cfg.leader_clock_offset_ms))) as f64;
    let realized = |i: usize, mean: f64| {
        let (sum, n) = out.bbo_latency[i];
        if n == 0 {
            mean
        } else {
            sum / n as f64 / 1e6
        }
    };
    let lat_l = Latency {
        mean: cfg.leader_latency_ms,
        jitter: cfg.leader_latency_jitter_ms,
        realized: realized(0, cfg.leader_latency_ms),
    };
    let lat_f = Latency {
        mean: cfg.follower_latency_ms,
        jitter: cfg.follower_latency_jitter_ms,
        realized: realized(1, cfg.follower_latency_ms),
    };
    let local_shift = lat_f.realized - lat_l.realized;
    let total_ms: i64 = segments.iter().map(|s| s.end_ms - s.start_ms).sum::<i64>().max(1);
    let mut share = BTreeMap::new();
    let mut nseg = BTreeMap::new();
    let mut by_regime = BTreeMap::new();
    let mut table = BTreeMap::new();
    for r in Regime::ALL {
        let ms: i64 = segments.iter().filter(|s| s.regime == r).map(|s| s.end_ms - s.start_ms).sum();
        share.insert(r.name().to_owned(), ms as f64 / total_ms as f64);
        nseg.insert(r.name().to_owned(), segments.iter().filter(|s| s.regime == r).count() as u64);
        let base = cfg.lag_by_regime.as_ref().and_then(|m| m.get(r.name()).copied()).unwrap_or(cfg.lag_ms);
        by_regime.insert(r.name().to_owned(), base);
        let (up, down) = cfg.lag_ms_for(r);
        table.insert(r.name().to_owned(), UpDown { up, down });
    }
    let mut labels = BTreeMap::new();
    for (i, name) in Label::NAMES.iter().enumerate() {
        labels.insert((*name).to_owned(), out.labels.iter().filter(|&&l| usize::from(l) == i).count() as u64);
    }
    let rows = BTreeMap::from([
        ("bbo".to_owned(), t.bbo.ts_local.len() as u64),
        ("book".to_owned(), t.book.ts_local.len() as u64),
        ("trade".to_owned(), t.trade.ts_local.len() as u64),
        ("ticker".to_owned(), t.ticker.ts_local.len() as u64),
        ("liquidation".to_owned(), t.liquidation.ts_local.len() as u64),
    ]);
    let venue = |i: usize| t.venues.get(i).cloned().unwrap_or_default();
    let symbol = |i: usize| t.symbols.get(i).cloned().unwrap_or_default();
    Truth {
        leader_venue: venue(0),
        follower_venue: venue(1),
        leader_symbol: symbol(0),
        follower_symbol: symbol(1),
        lag_ms: cfg.lag_ms,
        lag_ms_local: cfg.lag_ms + local_shift,
        lag_ms_exchange: cfg.lag_ms + exchange_shift,
        local_minus_causal_ms: local_shift,
        exchange_minus_causal_ms: exchange_shift,
        lag_ms_up: cfg.lag_ms_up.unwrap_or(cfg.lag_ms),
        lag_ms_down: cfg.lag_ms_down.unwrap_or(cfg.lag_ms),
        lag_ms_by_regime: by_regime,
        lag_ms_table: table,
        beta: cfg.beta,
        follower_basis_bps: cfg.follower_basis_bps,
        follower_noise_bps: cfg.follower_noise_bps,
        clock_offset_ms: cfg.clock_offset_ms,
        leader_clock_offset_ms: cfg.leader_clock_offset_ms,
        follower_clock_offset_ms: follower_offset_ms,
        feed_latency_ms: BTreeMap::from([("leader".to_owned(), lat_l), ("follower".to_owned(), lat_f)]),
        follower_block_ms: cfg.follower_block_ms,
        follower_book_interval_ms: cfg.follower_book_interval_ms,
        regime_share: share,
        regime_segments: nseg,
        label_counts: labels,
        rows,
        leader_mid_start: mids.0,
        leader_mid_end: mids.1,
        start_ns: cfg.start_ns,
        end_ns,
        seed: cfg.seed,
        minutes: cfg.minutes,
    }
}

impl Truth {
    /// The record as a JSON object.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

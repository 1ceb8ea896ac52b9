//! The run summary: PnL statistics, fills, markouts, inventory, counters, attribution.
//!
//! - `sharpe` / `sortino`: mean of the equity curve's PnL changes per `equity_interval` (the last,
//!   partial interval excluded) over their standard deviation (sample, n − 1) / downside deviation
//!   (`sqrt(mean(min(ΔPnL, 0)²))`), annualised by `sqrt(intervals per 365-day year)`; NaN (null in
//!   JSON) without variation.
//! - `max_drawdown`: largest fall of the PnL from a previous peak, quote currency (>= 0).
//! - `fill_rate`: orders with at least one fill / orders submitted.
//! - `spread_capture_bps`, `markouts_bps`, `adverse_selection_bps`: size-weighted means over fills;
//!   markouts skip fills whose horizon passes the end of data.
//! - `adverse_selection_rate`: share of fills after which the mid moved against us over the
//!   attribution horizon.
//! - inventory statistics over the equity points (base units).

use std::collections::BTreeMap;

use serde::Serialize;

use super::attribution::{Totals, MARKOUT_HORIZONS_NS};
use super::orders::OrderCounters;
use super::records::{EquityRow, FillRow, STATUS_NAMES};
use super::runner::RunCounts;
use super::stream::ClockShifts;
use super::BacktestParams;
use crate::book::SyncStats;
use crate::exchange::ExchangeSim;
use crate::leadlag::streaming::LeadLagEstimator;
use crate::units::{PX_EXP, QTY_EXP};

/// Inventory statistics, base units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct InventoryStats {
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub max: f64,
    pub mean_abs: f64,
    pub max_abs: f64,
    pub last: f64,
    /// share of equity points with no position
    pub time_flat: f64,
}

/// The attribution of the run, quote currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct AttributionSummary {
    pub total: f64,
    pub spread_capture: f64,
    pub adverse_selection: f64,
    pub inventory: f64,
    pub fees: f64,
    pub funding: f64,
    /// the horizon h of adverse selection, ms
    pub horizon_ms: f64,
    /// cash + position × final mid, as the exchange simulator accounts it (f64)
    pub mark_to_market: f64,
    /// total − mark_to_market (rounding of the simulator's f64 cash only)
    pub identity_error: f64,
}

/// Quote cycles.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CycleStats {
    pub total: u64,
    pub quoted: u64,
    /// timer ticks before the first quoted BBO (not recorded)
    pub before_data: u64,
    /// by status: quoted, engine_skip, stale_quoted, stale_leader, leadlag_invalid
    pub by_status: BTreeMap<String, u64>,
    /// engine skips by `reason:input`
    pub engine_skips: BTreeMap<String, u64>,
    /// quotes the engine moved to stay off the other side of the book (would have crossed)
    pub clamped_bid: u64,
    pub clamped_ask: u64,
    /// sides not quoted because the size was zero (inventory limit, lot rounding)
    pub zero_size_sides: u64,
    /// lead-lag outputs that were not finite
    pub leadlag_errors: u64,
}

/// Orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct OrderStats {
    pub submitted: u64,
    pub cancels: u64,
    pub recancels: u64,
    pub throttled: u64,
    pub post_only_rejects: u64,
    pub cancel_rejects: u64,
    pub taker_remainders: u64,
    pub trades_unattributed: u64,
    pub funding_skipped: u64,
}

/// The lead-lag estimator at the end of the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LeadLagStats {
    pub enabled: bool,
    pub lag_ms: f64,
    pub beta: f64,
    pub r_squared: f64,
    pub samples: u64,
}

/// What was replayed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DataStats {
    /// local-stream events per source
    pub events: BTreeMap<String, u64>,
    pub events_total: u64,
    /// events fed to the exchange simulator (book levels, clears, trades, tickers, touches)
    pub venue_events: u64,
    pub book_messages_applied: u64,
    pub book_gaps: u64,
    pub book_dropped: u64,
    pub bbo_incomplete: u64,
    /// exchange-time shifts of the quoted venue's tables, ns
    pub clock_shift_ns: BTreeMap<String, i64>,
}

/// The run summary (`summary.json` → `backtest`, `attribution`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub pnl: f64,
    pub sharpe: f64,
    pub sortino: f64,
    pub max_drawdown: f64,
    pub fills: u64,
    pub orders: u64,
    pub fill_rate: f64,
    /// base units
    pub volume: f64,
    /// quote currency
    pub notional: f64,
    pub spread_capture: f64,
    pub spread_capture_bps: f64,
    pub adverse_selection_rate: f64,
    pub adverse_selection_bps: f64,
    pub markouts_bps: BTreeMap<String, f64>,
    pub markout_fills: BTreeMap<String, u64>,
    pub inventory: InventoryStats,
    pub fees: f64,
    pub funding: f64,
    pub start_ns: i64,
    pub end_ns: i64,
    pub duration_s: f64,
    pub cycles: CycleStats,
    pub order_stats: OrderStats,
    pub leadlag: LeadLagStats,
    pub data: DataStats,
    pub attribution: AttributionSummary,
}

impl Summary {
    /// JSON text (NaN as null).
    ///
    /// # Errors
    /// [`crate::CoreError::InvalidInput`] if serde fails (it cannot for these plain fields).
    pub fn to_json(&self) -> crate::error::Result<String> {
        serde_json::to_string(self).map_err(|e| crate::CoreError::InvalidInput(format!("summary: {e}")))
    }
}

/// Everything [`summarize`] reads.
pub(crate) struct SummaryInput<'a> {
    pub params: &'a BacktestParams,
    pub fills: &'a [FillRow],
    pub equity: &'a [EquityRow],
    pub totals: &'a Totals,
    pub mtm: f64,
    pub sim: &'a ExchangeSim,
    pub orders: &'a OrderCounters,
    pub counts: &'a RunCounts,
    pub sync: &'a SyncStats,
    pub shifts: ClockShifts,
    pub estimator: &'a LeadLagEstimator,
    pub t_start: i64,
    pub end: i64,
}

/// Size-weighted mean of `f` over the fills where it is finite, and the count.
fn weighted(fills: &[FillRow], f: impl Fn(&FillRow) -> f64) -> (f64, u64) {
    let (mut num, mut den, mut n) = (0.0, 0.0, 0u64);
    for r in fills {
        let v = f(r);
        if v.is_finite() {
            num += v * r.size;
            den += r.size;
            n += 1;
        }
    }
    (if den > 0.0 { num / den } else { f64::NAN }, n)
}

/// Annualised ratios of the PnL changes: (sharpe, sortino).
fn ratios(equity: &[EquityRow], interval_ns: i64) -> (f64, f64) {
    // regular points only: the last one may close a partial interval
    let regular = equity.len().saturating_sub(1);
    let d: Vec<f64> = equity[..regular].windows(2).map(|w| w[1].pnl - w[0].pnl).collect();
    if d.len() < 2 {
        return (f64::NAN, f64::NAN);
    }
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let down = (d.iter().map(|x| x.min(0.0).powi(2)).sum::<f64>() / n).sqrt();
    let ann = (365.0 * 86_400e9 / interval_ns as f64).sqrt();
    let sharpe = if var > 0.0 { mean / var.sqrt() * ann } else { f64::NAN };
    let sortino = if down > 0.0 { mean / down * ann } else { f64::NAN };
    (sharpe, sortino)
}

fn inventory_stats(equity: &[EquityRow]) -> InventoryStats {
    let q: Vec<f64> = equity.iter().map(|e| e.inventory).collect();
    if q.is_empty() {
        return InventoryStats::default();
    }
    let n = q.len() as f64;
    let mean = q.iter().sum::<f64>() / n;
    let std = if q.len() > 1 { (q.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt() } else { 0.0 };
    InventoryStats {
        mean,
        std,
        min: q.iter().copied().fold(f64::INFINITY, f64::min),
        max: q.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        mean_abs: q.iter().map(|x| x.abs()).sum::<f64>() / n,
        max_abs: q.iter().map(|x| x.abs()).fold(0.0, f64::max),
        last: q[q.len() - 1],
        time_flat: q.iter().filter(|x| **x == 0.0).count() as f64 / n,
    }
}

const SOURCE_NAMES: [&str; 5] = ["quoted_book", "quoted_bbo", "quoted_trade", "quoted_ticker", "leader_bbo"];
const HORIZON_NAMES: [&str; 4] = ["100ms", "1s", "10s", "60s"];

/// Build the summary.
pub(crate) fn summarize(s: &SummaryInput<'_>) -> Summary {
    let units = (10f64.powi(PX_EXP as i32), 10f64.powi(QTY_EXP as i32));
    let c = s.totals.components(units);
    let (sharpe, sortino) = ratios(s.equity, s.params.equity_interval_ns);
    let mut peak = f64::NEG_INFINITY;
    let mut mdd: f64 = 0.0;
    for e in s.equity {
        peak = peak.max(e.pnl);
        mdd = mdd.max(peak - e.pnl);
    }
    let mut filled_orders: Vec<u64> = s.fills.iter().map(|f| f.order_id).collect();
    filled_orders.sort_unstable();
    filled_orders.dedup();
    let (sc_bps, _) = weighted(s.fills, |f| f.spread_capture_bps);
    let (adv_bps, _) = weighted(s.fills, |f| f.adverse_move_bps);
    let judged: Vec<bool> = s.fills.iter().filter_map(|f| f.adverse_selection).collect();
    let mut markouts = BTreeMap::new();
    let mut markout_n = BTreeMap::new();
    for (k, name) in HORIZON_NAMES.iter().enumerate() {
        let (m, n) = weighted(s.fills, |f| f.markout_bps[k]);
        markouts.insert((*name).to_string(), m);
        markout_n.insert((*name).to_string(), n);
    }
    debug_assert_eq!(MARKOUT_HORIZONS_NS.len(), HORIZON_NAMES.len());
    let k = &s.counts;
    let sim_c = s.sim.counters();
    let by_status: BTreeMap<String, u64> =
        STATUS_NAMES.iter().zip(k.by_status.iter()).map(|(n, v)| ((*n).to_string(), *v)).collect();
    let est = s.estimator.current();
    let events: BTreeMap<String, u64> =
        SOURCE_NAMES.iter().zip(k.events.iter()).map(|(n, v)| ((*n).to_string(), *v)).collect();
    let shifts =
        [("book", s.shifts.book), ("bbo", s.shifts.bbo), ("trade", s.shifts.trade), ("ticker", s.shifts.ticker)]
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect();
    Summary {
        pnl: c[5],
        sharpe,
        sortino,
        max_drawdown: mdd,
        fills: s.fills.len() as u64,
        orders: s.orders.submitted,
        fill_rate: if s.orders.submitted > 0 {
            filled_orders.len() as f64 / s.orders.submitted as f64
        } else {
            f64::NAN
        },
        volume: s.fills.iter().map(|f| f.size).sum(),
        notional: s.fills.iter().map(|f| f.size * f.price).sum(),
        spread_capture: c[0],
        spread_capture_bps: sc_bps,
        adverse_selection_rate: if judged.is_empty() {
            f64::NAN
        } else {
            judged.iter().filter(|a| **a).count() as f64 / judged.len() as f64
        },
        adverse_selection_bps: adv_bps,
        markouts_bps: markouts,
        markout_fills: markout_n,
        inventory: inventory_stats(s.equity),
        fees: c[3],
        funding: c[4],
        start_ns: s.t_start,
        end_ns: s.end,
        duration_s: (s.end - s.t_start) as f64 * 1e-9,
        cycles: CycleStats {
            total: k.by_status.iter().sum(),
            quoted: k.by_status[0],
            before_data: k.cycles_before_data,
            by_status,
            engine_skips: k.engine_skips.clone(),
            clamped_bid: k.clamped_bid,
            clamped_ask: k.clamped_ask,
            zero_size_sides: s.orders.zero_size_sides,
            leadlag_errors: k.leadlag_errors,
        },
        order_stats: OrderStats {
            submitted: s.orders.submitted,
            cancels: s.orders.cancels,
            recancels: s.orders.recancels,
            throttled: s.orders.throttled,
            post_only_rejects: sim_c.post_only_rejects,
            cancel_rejects: sim_c.cancel_rejects,
            taker_remainders: sim_c.taker_remainders,
            trades_unattributed: sim_c.trades_unattributed,
            funding_skipped: sim_c.funding_skipped,
        },
        leadlag: LeadLagStats {
            enabled: s.params.leadlag,
            lag_ms: est.lag_ms,
            beta: est.beta,
            r_squared: est.r_squared,
            samples: s.estimator.sample_count(),
        },
        data: DataStats {
            events_total: k.events.iter().sum(),
            events,
            venue_events: k.venue_events,
            book_messages_applied: s.sync.applied,
            book_gaps: s.sync.gaps,
            book_dropped: s.sync.dropped,
            bbo_incomplete: k.bbo_incomplete,
            clock_shift_ns: shifts,
        },
        attribution: AttributionSummary {
            total: c[5],
            spread_capture: c[0],
            adverse_selection: c[1],
            inventory: c[2],
            fees: c[3],
            funding: c[4],
            horizon_ms: s.params.adverse_horizon_ns as f64 / 1e6,
            mark_to_market: s.mtm,
            identity_error: c[5] - s.mtm,
        },
    }
}

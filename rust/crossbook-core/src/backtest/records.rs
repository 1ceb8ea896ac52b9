//! The run records and their column layout.
//!
//! - [`CycleRow`]: one quote cycle, the seed's `PredictionRecord` flattened (market state, the
//!   engine's record with its inputs, the model's predictions per side, and the realised outcomes
//!   filled in after the run);
//! - [`FillRow`]: one of our fills, the seed's `EnrichedFill` with its `BookContext` and
//!   `WallContext`, markouts and the model state of the cycle that placed the order;
//! - [`EquityRow`]: the equity curve with the cumulative attribution components;
//! - [`DayRow`]: the attribution per UTC day.
//!
//! Column names are the seed's field names in snake_case; units are in the Python module docs
//! (`crossbook.backtest`) and on each field here. NaN means "not available" (null in Parquet).

use crate::quote::{QuoteRecord, N_REGIMES};

/// Why a cycle was run.
pub const TRIGGER_NAMES: [&str; 3] = ["timer", "bbo", "leader"];
/// What a cycle did.
pub const STATUS_NAMES: [&str; 5] = ["quoted", "engine_skip", "stale_quoted", "stale_leader", "leadlag_invalid"];
/// Skip reasons of the engine, by code (as `crate::quote::SkipReason::name`).
pub const SKIP_NAMES: [&str; 7] =
    ["", "non_finite", "out_of_range", "crossed_book", "off_tick", "time_backwards", "bad_output"];
/// Inputs a skip is about, by code (as `crate::quote::Field::name`).
pub const FIELD_NAMES: [&str; 17] = [
    "",
    "t_ns",
    "mid",
    "microprice",
    "ll_microprice",
    "ll_skew_bps",
    "best_bid",
    "best_ask",
    "tick",
    "inventory",
    "regime_probs",
    "sigma2_per_s",
    "kappa",
    "a",
    "informed_fraction",
    "kappa_cv",
    "output",
];
/// Regime names in index order.
pub const REGIME_NAMES: [&str; N_REGIMES] = crate::quote::REGIME_NAMES;
/// How a fill happened (as `crate::exchange::FillKind::name`).
pub const FILL_KIND_NAMES: [&str; 4] = ["queue", "trade_through", "book_cross", "taker"];
/// Our order relative to the nearest wall on its side (see [`WallContext`]).
pub const WALL_POSITION_NAMES: [&str; 4] = ["none", "inside", "at", "outside"];

/// Trigger codes.
pub(crate) const TRIGGER_TIMER: u8 = 0;
pub(crate) const TRIGGER_BBO: u8 = 1;
pub(crate) const TRIGGER_LEADER: u8 = 2;
/// Status codes.
pub(crate) const STATUS_QUOTED: u8 = 0;
pub(crate) const STATUS_ENGINE_SKIP: u8 = 1;
pub(crate) const STATUS_STALE_QUOTED: u8 = 2;
pub(crate) const STATUS_STALE_LEADER: u8 = 3;
pub(crate) const STATUS_LEADLAG_INVALID: u8 = 4;

/// The model's predictions for one of our quotes (seed `LevelPrediction`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SidePrediction {
    /// distance of the quote from the mid, bps (> 0 away from the mid)
    pub depth_from_mid_bps: f64,
    /// P(filled within 100 ms / 1 s / 10 s) = 1 − exp(−λ(δ)·h), λ(δ) = A·exp(−k·δ), δ in ticks
    pub p_fill_100ms: f64,
    pub p_fill_1s: f64,
    pub p_fill_10s: f64,
    /// P(mid moves against the fill within 1 s | filled) = Φ(−s·μ/σ₁ₛ): μ the lead-lag predicted
    /// move, σ₁ₛ the bipower σ over 1 s; 0.5 without a signal
    pub p_adverse_given_fill: f64,
    /// depth + s·μ − maker fee, bps of the mid
    pub expected_pnl_given_fill: f64,
    /// visible size ahead of our order (the simulator's queue estimate while it rests; else the
    /// visible size at the price, which a new order joins behind), base units
    pub estimated_queue_position: f64,
    /// visible size at the quote's price, base units
    pub estimated_queue_total: f64,
}

impl SidePrediction {
    pub(crate) const NONE: Self = Self {
        depth_from_mid_bps: f64::NAN,
        p_fill_100ms: f64::NAN,
        p_fill_1s: f64::NAN,
        p_fill_10s: f64::NAN,
        p_adverse_given_fill: f64::NAN,
        expected_pnl_given_fill: f64::NAN,
        estimated_queue_position: f64::NAN,
        estimated_queue_total: f64::NAN,
    };
}

/// What happened after a cycle to one side's quote (filled in after the run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SideOutcome {
    /// a fill of this side within (t, t + h] (None: no fill and the horizon passes the end of data)
    pub filled_100ms: Option<bool>,
    pub filled_1s: Option<bool>,
    pub filled_10s: Option<bool>,
    /// the first such fill within 1 s was adversely selected (None: no fill, or its horizon passed
    /// the end of data)
    pub adverse: Option<bool>,
}

/// One quote cycle (seed `PredictionRecord`).
#[derive(Debug, Clone, PartialEq)]
pub struct CycleRow {
    /// cycle time on the local clock, ns
    pub t_ns: i64,
    /// index of the cycle in the run
    pub cycle: u64,
    /// [`TRIGGER_NAMES`] code
    pub trigger: u8,
    /// [`STATUS_NAMES`] code
    pub status: u8,
    /// the engine's record (prices, sizes, intermediates, inputs); empty when the engine did not run
    pub q: QuoteRecord,
    /// bipower σ, bps per √s
    pub sigma_bipower: f64,
    /// realised σ over the last minute of 1 s returns, bps per √s
    pub sigma_realized_1m: f64,
    /// funding rate of the quoted perp (fraction per interval), NaN when none seen
    pub funding_rate: f64,
    /// seconds to the next settlement (ticker `next_funding_ts`, else the schedule), NaN when unknown
    pub time_to_funding_settlement_s: f64,
    /// open interest, base units (NaN when none seen)
    pub open_interest: f64,
    /// change of open interest over the last minute, base units
    pub open_interest_delta_1m: f64,
    /// leader mid (the seed's `binance_mid`)
    pub binance_mid: f64,
    /// (quoted mid − leader mid) / leader mid, bps (the seed's `binance_hl_spread`)
    pub binance_hl_spread: f64,
    /// leader log move over the last 100 ms, bps
    pub binance_delta_100ms: f64,
    /// leader log move over the lead-lag lookback (min(lag, max lookback)), bps
    pub leader_return_bps: f64,
    /// lead-lag predicted remaining move of the quoted mid, bps
    pub predicted_move_bps: f64,
    /// lead-lag estimate used: lag ms, β, R²
    pub leadlag_lag_ms: f64,
    pub leadlag_beta: f64,
    pub leadlag_r_squared: f64,
    /// seconds since the inventory last left zero (0 when flat)
    pub inventory_age_s: f64,
    /// trade imbalance of the quoted venue over 1 s and 10 s, and trades per second over 1 s
    pub trade_imbalance_1s: f64,
    pub trade_imbalance_10s: f64,
    pub trade_rate_1s: f64,
    /// resting size within the context band of the mid, base units
    pub bid_depth_band: f64,
    pub ask_depth_band: f64,
    pub bid: SidePrediction,
    pub ask: SidePrediction,
    /// expected number of our fills within 1 s / 10 s if the quotes stood (λ_bid + λ_ask)·h
    pub expected_fill_rate_1s: f64,
    pub expected_fill_rate_10s: f64,
    /// expected mid move against a fill over 1 s, bps, averaged over the quoted sides
    pub expected_adverse_selection_bps: f64,
    /// P(mid up within 1 s) = Φ(μ/σ₁ₛ)
    pub p_mid_up_1s: f64,
    // ---- outcomes, filled in after the run
    /// quoted mid 1 s / 10 s / 60 s after the cycle (NaN past the end of data)
    pub price_1s_later: f64,
    pub price_10s_later: f64,
    pub price_60s_later: f64,
    pub bid_outcome: SideOutcome,
    pub ask_outcome: SideOutcome,
    /// size-weighted mid move against our fills within 1 s after the cycle, bps (NaN: no fill)
    pub adverse_selection_realized_bps: f64,
    /// the mid rose within 1 s (None: unchanged is false; past the end of data: None)
    pub mid_up_1s: Option<bool>,
}

/// Book state around a fill (seed `BookContext`), from the strategy's rebuilt book of the quoted
/// venue at the first replay step at or after the fill.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BookContext {
    pub mid_price: f64,
    /// (ask − bid) / mid, bps
    pub spread_bps: f64,
    /// resting size within the context band (10 bps) of the mid, base units
    pub bid_depth_10bps: f64,
    pub ask_depth_10bps: f64,
    /// (ask size − bid size) / (ask size + bid size) within the band
    pub liquidity_asymmetry: f64,
    /// occupied price levels / tick slots within the band, both sides
    pub band_density: f64,
    /// change of the size-weighted price of the band over the last second, bps of mid per second
    pub migration_velocity: f64,
}

impl BookContext {
    pub(crate) const NONE: Self = Self {
        mid_price: f64::NAN,
        spread_bps: f64::NAN,
        bid_depth_10bps: f64::NAN,
        ask_depth_10bps: f64::NAN,
        liquidity_asymmetry: f64::NAN,
        band_density: f64::NAN,
        migration_velocity: f64::NAN,
    };
}

/// The nearest wall on our order's side (seed `WallContext`): a level of at least `wall_k` × the
/// median level size (top `wall_levels` per side) within `wall_band_bps` of the mid. Position of our
/// price: `inside` = between the touch and the wall (the wall behind us), `at` = on it, `outside` =
/// beyond it (the wall between us and the touch), `none` = no wall.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WallContext {
    pub nearest_wall_distance_bps: f64,
    /// base units
    pub nearest_wall_size: f64,
    /// [`WALL_POSITION_NAMES`] code
    pub position_relative_to_wall: u8,
    /// time since the wall's level last appeared, ms
    pub wall_age_ms: f64,
    /// appear/disappear events of the wall's level per second over the flicker window
    pub wall_flicker_rate: f64,
}

impl WallContext {
    pub(crate) const NONE: Self = Self {
        nearest_wall_distance_bps: f64::NAN,
        nearest_wall_size: f64::NAN,
        position_relative_to_wall: 0,
        wall_age_ms: f64::NAN,
        wall_flicker_rate: f64::NAN,
    };
}

/// Context captured by the runner when the simulator produces a fill (leader mid and its 100 ms move
/// in bps, the lead-lag lag estimate in ms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FillContext {
    pub book: BookContext,
    pub wall: WallContext,
    pub binance_mid: f64,
    pub binance_delta_100ms: f64,
    pub lead_lag_estimate_ms: f64,
}

/// One of our fills (seed `EnrichedFill`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FillRow {
    /// fill time (shifted exchange time), ns
    pub ts_exchange: i64,
    /// when the strategy learned of it, ns
    pub ts_local: i64,
    pub order_id: u64,
    /// the cycle that placed the order
    pub quote_cycle_id: u64,
    /// +1 buy, −1 sell
    pub side: i8,
    pub price: f64,
    /// base units
    pub size: f64,
    /// quote currency, + paid
    pub fee: f64,
    pub maker: bool,
    /// [`FILL_KIND_NAMES`] code
    pub kind: u8,
    /// base units
    pub queue_ahead: f64,
    /// quoted mid (strategy's view) at the fill
    pub mid_at_fill: f64,
    /// s·x·(m(t) − p), quote currency
    pub spread_capture: f64,
    /// s·(m(t) − p)/m(t), bps
    pub spread_capture_bps: f64,
    /// s·(m(t + h) − p)/m(t), bps, at 100 ms, 1 s, 10 s, 60 s (NaN past the end of data)
    pub markout_bps: [f64; 4],
    /// s·x·(m(t + h) − p), quote currency, at 1 s, 10 s, 60 s (seed `pnl_1s` …; fees excluded)
    pub pnl_1s: f64,
    pub pnl_10s: f64,
    pub pnl_60s: f64,
    /// the mid moved against us over the attribution horizon (None past the end of data)
    pub adverse_selection: Option<bool>,
    /// −s·(m(t + h) − m(t))/m(t) over the attribution horizon, bps (> 0 adverse)
    pub adverse_move_bps: f64,
    pub ctx: FillContext,
    /// regime probabilities of the placing cycle
    pub regime_probs: [f64; N_REGIMES],
    pub regime: u8,
    /// the placing cycle's P(fill within 1 s) and P(adverse | fill) for the order's side
    pub fill_prob_prediction: f64,
    pub adverse_prob_prediction: f64,
    /// κ (per bp) and γ the placing cycle used
    pub kappa_estimate: f64,
    pub gamma_used: f64,
}

/// A point of the equity curve; components are cumulative since the start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EquityRow {
    pub ts: i64,
    /// spread_capture + adverse_selection + inventory_pnl + fees + funding
    pub pnl: f64,
    /// position, base units
    pub inventory: f64,
    /// quoted mid (NaN before the first BBO)
    pub mid: f64,
    pub spread_capture: f64,
    pub adverse_selection: f64,
    pub inventory_pnl: f64,
    /// −fees paid (rebates positive)
    pub fees: f64,
    pub funding: f64,
}

/// Attribution of one UTC day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayRow {
    /// day start, ns UTC
    pub day_start_ns: i64,
    pub total: f64,
    pub spread_capture: f64,
    pub adverse_selection: f64,
    pub inventory: f64,
    pub fees: f64,
    pub funding: f64,
    pub fills: u64,
    /// base units
    pub volume: f64,
}

"""Type stubs of the Rust extension `crossbook._core` (import through `crossbook.*`, not directly)."""

from typing import Any, ClassVar, Self, final

import numpy as np
import numpy.typing as npt

__all__ = [
    "AdverseSelectionAdjuster",
    "BipowerVol",
    "CrossbookError",
    "ExchangeSim",
    "FillIntensityModel",
    "HawkesIntensity",
    "HmmFilter",
    "InvalidInputError",
    "InvalidValueError",
    "LeadLagEstimator",
    "LeadLagMonitor",
    "LiquidationDetector",
    "MalformedLineError",
    "MicropriceModel",
    "OrderBook",
    "ParseError",
    "QuoteEngine",
    "RegimeConditionedLeadLag",
    "SequenceGapError",
    "SignalHealth",
    "SoftmaxClassifier",
    "TimestampOrderError",
    "TradeRateEwma",
    "TradeWindow",
    "TruncatedFileError",
    "UnknownFormatError",
    "UnknownMessageError",
    "__version__",
    "backtest_default_params",
    "bipower_series",
    "book_at",
    "book_sample_grid",
    "book_top_of_book",
    "brier_binned",
    "brier_score",
    "compute_adjusted_microprice",
    "compute_directional_skew",
    "compute_lead_lag_skew_bps",
    "corp_decomposition",
    "depth_levels",
    "depth_snapshots",
    "glft_coefficients",
    "hawkes_fit_exp",
    "hawkes_fit_marked",
    "hawkes_fit_queue",
    "hawkes_fit_state_baseline",
    "hawkes_gof",
    "hawkes_loglik",
    "hawkes_simulate_exp",
    "hawkes_simulate_marked",
    "hawkes_simulate_queue",
    "hawkes_simulate_state_baseline",
    "head_lines",
    "hmm_filter",
    "hmm_filter_into",
    "hmm_fit",
    "hmm_loglik",
    "hy_contrast",
    "hy_contrast_blocks",
    "jump_study",
    "ksg_mi",
    "ksg_mi_shuffled",
    "obi_levels",
    "obi_snapshots",
    "parse_source",
    "predict_remaining_move",
    "quote_arrival_depths",
    "quote_codes",
    "quote_fit_intensity",
    "run_backtest",
    "sim_default_config",
    "simulate_market",
    "toxicity_feature_names",
    "toxicity_features",
    "toxicity_labels",
    "trade_rate_ewma",
    "trade_window",
    "weighted_mid",
    "xcorr_aligned",
    "xcorr_grid",
]

__version__: str

class CrossbookError(Exception): ...
class ParseError(CrossbookError): ...
class MalformedLineError(ParseError): ...
class UnknownMessageError(ParseError): ...
class InvalidValueError(ParseError): ...
class TimestampOrderError(ParseError): ...
class TruncatedFileError(ParseError): ...
class UnknownFormatError(ParseError): ...
class SequenceGapError(CrossbookError): ...
class InvalidInputError(CrossbookError): ...

def parse_source(
    data: bytes,
    format: str,
    source: str = "",
    errors: str = "raise",
    kind: str | None = None,
    venue: str | None = None,
    symbol: str | None = None,
) -> dict[str, Any]: ...
def head_lines(data: bytes, n: int = 5) -> list[bytes]: ...
def hy_contrast(
    t_x: npt.NDArray[np.int64],
    x: npt.NDArray[np.float64],
    t_y: npt.NDArray[np.int64],
    y: npt.NDArray[np.float64],
    lags_ns: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]: ...
def hy_contrast_blocks(
    t_x: npt.NDArray[np.int64],
    x: npt.NDArray[np.float64],
    t_y: npt.NDArray[np.int64],
    y: npt.NDArray[np.float64],
    lags_ns: npt.NDArray[np.int64],
    n_blocks: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def jump_study(
    t_a: npt.NDArray[np.int64],
    p_a: npt.NDArray[np.float64],
    t_b: npt.NDArray[np.int64],
    p_b: npt.NDArray[np.float64],
    threshold: float,
    window_ns: int,
    grid_ns: int | None = None,
    span: int = 1,
    shifts_ns: npt.NDArray[np.int64] | None = None,
    n_shifts: int = 20,
) -> dict[str, Any]: ...
def xcorr_grid(
    t_a: npt.NDArray[np.int64],
    p_a: npt.NDArray[np.float64],
    t_b: npt.NDArray[np.int64],
    p_b: npt.NDArray[np.float64],
    grid_ns: int,
    lags: npt.NDArray[np.int64],
) -> dict[str, Any]: ...
def xcorr_aligned(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], lags: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]: ...

# signals (crossbook.signals)
def weighted_mid(
    bid_px: npt.NDArray[np.float64],
    bid_qty: npt.NDArray[np.float64],
    ask_px: npt.NDArray[np.float64],
    ask_qty: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]: ...
def bipower_series(
    t_ns: npt.NDArray[np.int64], mid: npt.NDArray[np.float64], step_ns: int, window: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def trade_window(
    t_ns: npt.NDArray[np.int64], qty: npt.NDArray[np.float64], aggressor: npt.NDArray[np.int8], window_ns: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def trade_rate_ewma(t_ns: npt.NDArray[np.int64], tau_ns: int) -> npt.NDArray[np.float64]: ...
def obi_levels(
    bid_px: npt.NDArray[np.float64],
    bid_qty: npt.NDArray[np.float64],
    ask_px: npt.NDArray[np.float64],
    ask_qty: npt.NDArray[np.float64],
    delta_bps: float,
    half_life_bps: float,
    notional: bool,
) -> float: ...
def obi_snapshots(
    key: npt.NDArray[np.int64],
    side: npt.NDArray[np.int8],
    px: npt.NDArray[np.float64],
    qty: npt.NDArray[np.float64],
    delta_bps: float,
    half_life_bps: float,
    notional: bool,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
def depth_levels(
    bid_px: npt.NDArray[np.float64],
    bid_qty: npt.NDArray[np.float64],
    ask_px: npt.NDArray[np.float64],
    ask_qty: npt.NDArray[np.float64],
    bands_bps: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def depth_snapshots(
    key: npt.NDArray[np.int64],
    side: npt.NDArray[np.int8],
    px: npt.NDArray[np.float64],
    qty: npt.NDArray[np.float64],
    bands_bps: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...

@final
class MicropriceModel:
    @staticmethod
    def fit_samples(
        mid: npt.NDArray[np.float64],
        spread: npt.NDArray[np.float64],
        imbalance: npt.NDArray[np.float64],
        tick: float,
        n_imb: int = 10,
        n_spread: int = 2,
        symmetrise: bool = True,
        max_move_ticks: float = 1.0,
        n_terms: int = 0,
    ) -> MicropriceModel: ...
    @staticmethod
    def fit_bbo(
        t_ns: npt.NDArray[np.int64],
        bid_px: npt.NDArray[np.float64],
        bid_qty: npt.NDArray[np.float64],
        ask_px: npt.NDArray[np.float64],
        ask_qty: npt.NDArray[np.float64],
        tick: float,
        step_ns: int,
        n_imb: int = 10,
        n_spread: int = 2,
        symmetrise: bool = True,
        max_move_ticks: float = 1.0,
        n_terms: int = 0,
    ) -> MicropriceModel: ...
    @staticmethod
    def from_table(tick: float, table: npt.NDArray[np.float64]) -> MicropriceModel: ...
    def adjust(self, imbalance: float, spread_ticks: float) -> float: ...
    def adjust_step_ticks(self, imbalance: float, spread_ticks: float) -> float: ...
    def adjust_many(
        self, imbalance: npt.NDArray[np.float64], spread_ticks: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]: ...
    def micro_price(self, bid_px: float, bid_qty: float, ask_px: float, ask_qty: float) -> float: ...
    def micro_price_many(
        self,
        bid_px: npt.NDArray[np.float64],
        bid_qty: npt.NDArray[np.float64],
        ask_px: npt.NDArray[np.float64],
        ask_qty: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.float64]: ...
    @property
    def tick(self) -> float: ...
    @property
    def n_imb(self) -> int: ...
    @property
    def n_spread(self) -> int: ...
    @property
    def table(self) -> npt.NDArray[np.float64]: ...
    @property
    def g1(self) -> npt.NDArray[np.float64]: ...
    @property
    def counts(self) -> npt.NDArray[np.float64]: ...
    @property
    def terms(self) -> int: ...
    @property
    def symmetrised(self) -> bool: ...
    @property
    def n_transitions(self) -> int: ...
    @property
    def n_dropped(self) -> int: ...

@final
class BipowerVol:
    def __new__(cls, step_ms: float, window: int) -> Self: ...
    def update(self, t_ns: int, mid: float) -> None: ...
    @property
    def bv(self) -> float: ...
    @property
    def rv(self) -> float: ...
    @property
    def step_ns(self) -> int: ...
    @property
    def window(self) -> int: ...
    def __len__(self) -> int: ...
    def per_second(self, variance_per_window: float) -> float: ...
    def annualised_vol(self, variance_per_window: float) -> float: ...

@final
class TradeWindow:
    def __new__(cls, window_ms: float) -> Self: ...
    def update(self, t_ns: int, qty: float, aggressor: int) -> None: ...
    def advance(self, t_ns: int) -> None: ...
    @property
    def imbalance(self) -> float: ...
    @property
    def rate_per_s(self) -> float: ...
    @property
    def buy_volume(self) -> float: ...
    @property
    def sell_volume(self) -> float: ...
    @property
    def count(self) -> int: ...
    @property
    def window_ns(self) -> int: ...

@final
class TradeRateEwma:
    def __new__(cls, tau_ms: float) -> Self: ...
    def update(self, t_ns: int) -> None: ...
    @property
    def value(self) -> float: ...
    def value_at(self, t_ns: int) -> float: ...
    @property
    def tau_ns(self) -> int: ...

# simulator (crossbook.sim)
def simulate_market(config_json: str) -> dict[str, Any]: ...
def sim_default_config() -> str: ...

# --- streaming lead-lag (crossbook.leadlag_stream) ---

@final
class LeadLagEstimator:
    def __new__(
        cls,
        grid: str = "seed",
        *,
        lags_ms: list[int] | None = None,
        return_window_ms: int = 100,
        estimation_interval_ms: int = 1000,
        min_samples: int = 100,
        min_pairs: int = 50,
        window_samples: int = 10_000,
        leader_capacity: int = 65_536,
        alpha: float = 0.1,
        initial_lag_ms: float = 200.0,
        initial_lag_std_ms: float = 100.0,
        initial_beta: float = 0.8,
        initial_beta_std: float = 0.2,
    ) -> Self: ...
    def on_leader_price(self, price: float, ts_ns: int) -> None: ...
    def on_follower_price(self, price: float, ts_ns: int) -> None: ...
    def update(
        self,
        leader_ts: npt.NDArray[np.int64],
        leader_px: npt.NDArray[np.float64],
        follower_ts: npt.NDArray[np.int64],
        follower_px: npt.NDArray[np.float64],
    ) -> dict[str, npt.NDArray[Any]]: ...
    def estimate(self) -> bool: ...
    def reset_follower(self) -> None: ...
    def get_current_estimate(self) -> tuple[float, float, float]: ...
    def current_estimate(self, direction: str = "all") -> dict[str, float]: ...
    def curve(self, direction: str = "all") -> dict[str, npt.NDArray[Any]]: ...
    @property
    def lags_ms(self) -> list[int]: ...
    @property
    def lag_estimate_ms(self) -> float: ...
    @property
    def lag_estimate_std(self) -> float: ...
    @property
    def beta_estimate(self) -> float: ...
    @property
    def beta_estimate_std(self) -> float: ...
    @property
    def r_squared(self) -> float: ...
    @property
    def sample_count(self) -> int: ...
    @property
    def window_len(self) -> int: ...
    @property
    def dropped(self) -> int: ...
    @property
    def pending(self) -> int: ...

@final
class RegimeConditionedLeadLag:
    def __new__(
        cls,
        vol_thresholds: tuple[float, float] = ...,  # (1e-4, 3e-4): 1 bp and 3 bp per 100 ms
        grid: str = "seed",
        *,
        lags_ms: list[int] | None = None,
        return_window_ms: int = 100,
        estimation_interval_ms: int = 1000,
        min_samples: int = 100,
        min_pairs: int = 50,
        window_samples: int = 10_000,
        leader_capacity: int = 65_536,
        alpha: float = 0.1,
        initial_lag_ms: float = 200.0,
        initial_lag_std_ms: float = 100.0,
        initial_beta: float = 0.8,
        initial_beta_std: float = 0.2,
    ) -> Self: ...
    def update_regime(self, current_volatility: float) -> str: ...
    def set_regime(self, name: str) -> None: ...
    def on_leader_price(self, price: float, ts_ns: int) -> None: ...
    def on_follower_price(self, price: float, ts_ns: int) -> None: ...
    def on_prices(self, leader_price: float, follower_price: float, ts_ns: int) -> None: ...
    def update(
        self,
        leader_ts: npt.NDArray[np.int64],
        leader_px: npt.NDArray[np.float64],
        follower_ts: npt.NDArray[np.int64],
        follower_px: npt.NDArray[np.float64],
        vol_ts: npt.NDArray[np.int64],
        vol: npt.NDArray[np.float64],
    ) -> None: ...
    @property
    def current_regime(self) -> str: ...
    @property
    def vol_thresholds(self) -> tuple[float, float]: ...
    def get_current_estimate(self) -> tuple[float, float, float]: ...
    def current_estimate(self, regime: str | None = None, direction: str = "all") -> dict[str, float]: ...
    def curve(self, regime: str | None = None, direction: str = "all") -> dict[str, npt.NDArray[Any]]: ...
    def sample_count(self, regime: str | None = None) -> int: ...
    def predict_remaining_move(self, leader_return: float, time_since_leader_move_ms: float) -> float: ...

@final
class SignalHealth:
    OK: ClassVar[SignalHealth]
    WARNING: ClassVar[SignalHealth]
    CRITICAL: ClassVar[SignalHealth]
    def __int__(self) -> int: ...

@final
class LeadLagMonitor:
    def __new__(
        cls,
        min_r2_warning: float = 0.15,
        min_r2_critical: float = 0.10,
        decay_rate_warning: float = 0.10,
        decay_window_ns: int = 86_400_000_000_000,
        record_interval_ns: int = 60_000_000_000,
        history_capacity: int = 4096,
    ) -> Self: ...
    def record(self, ts_ns: int, r2: float) -> bool: ...
    def check_health(self, current_r2: float) -> tuple[SignalHealth, str]: ...
    def decay_rate(self) -> float | None: ...
    def history(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...

_Estimate = LeadLagEstimator | RegimeConditionedLeadLag | tuple[float, float, float]

def predict_remaining_move(
    estimate: _Estimate, leader_return: float, time_since_leader_move_ms: float, directional: bool = False
) -> float: ...
def compute_adjusted_microprice(
    local_microprice: float,
    estimate: _Estimate,
    leader_return: float,
    time_since_leader_move_ms: float,
    directional: bool = False,
) -> float: ...
def compute_lead_lag_skew_bps(
    estimate: _Estimate,
    leader_return: float,
    time_since_leader_move_ms: float,
    max_skew_bps: float = 5.0,
    directional: bool = False,
) -> float: ...
def compute_directional_skew(
    estimate: _Estimate,
    leader_move: float,
    time_since_leader_move_ms: float,
    base_skew_bps: float = 0.0,
    full_confidence_bps: float = 2.0,
    directional: bool = False,
) -> float: ...

# --- L2 order book (crossbook.book) ---

from typing import final  # noqa: E402

@final
class OrderBook:
    """L2 book with integer prices/sizes scaled by 10**px_exp / 10**qty_exp (repr decodes them)."""

    def __new__(cls, px_exp: int = 8, qty_exp: int = 8) -> OrderBook: ...
    def apply_snapshot(
        self,
        bid_px: npt.NDArray[np.int64],
        bid_qty: npt.NDArray[np.int64],
        ask_px: npt.NDArray[np.int64],
        ask_qty: npt.NDArray[np.int64],
    ) -> None: ...
    def apply_levels(
        self, side: npt.NDArray[np.int8], px: npt.NDArray[np.int64], qty: npt.NDArray[np.int64]
    ) -> None: ...
    def set_level(self, side: int, px: int, qty: int) -> bool: ...
    def clear(self) -> None: ...
    def best_bid(self) -> tuple[int, int] | None: ...
    def best_ask(self) -> tuple[int, int] | None: ...
    def mid(self) -> float | None: ...
    def spread(self) -> int | None: ...
    def is_crossed(self) -> bool: ...
    def top(self, n: int = 10) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
    def depth_within_bps(self, bps: float) -> tuple[int, int] | None: ...
    def queue_at(self, px: int, side: int | None = None) -> int: ...
    @property
    def n_bids(self) -> int: ...
    @property
    def n_asks(self) -> int: ...
    @property
    def px_exp(self) -> int: ...
    @property
    def qty_exp(self) -> int: ...
    def __len__(self) -> int: ...

def book_top_of_book(
    cols: dict[str, npt.NDArray[Any]], names: list[str], on_gap: str = "raise"
) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]: ...
def book_sample_grid(
    cols: dict[str, npt.NDArray[Any]],
    names: list[str],
    interval_ns: int,
    levels: int,
    on_gap: str = "raise",
) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]: ...
def book_at(
    cols: dict[str, npt.NDArray[Any]],
    names: list[str],
    group: int,
    until_ns: int,
    on_gap: str = "raise",
    px_exp: int = 8,
    qty_exp: int = 8,
) -> tuple[OrderBook, dict[str, Any], bool]: ...

@final
class ExchangeSim:
    """The simulated venue for our orders (wrapped by ``crossbook.exchange.ExchangeSim``)."""

    def __new__(
        cls,
        *,
        queue: str = "risk_averse",
        power_n: float = 2.0,
        recent_ns: int = 1_000_000_000,
        latency: str = "constant",
        entry_ns: int = 0,
        response_ns: int = 0,
        latency_ts: list[int] | None = None,
        latency_entry: list[int] | None = None,
        latency_response: list[int] | None = None,
        feed_entry_mul: float = 1.0,
        feed_response_mul: float = 1.0,
        maker_fee_bps: float = 0.0,
        taker_fee_bps: float = 0.0,
        funding_interval_ns: int | None = None,
        funding_offset_ns: int = 0,
        funding_times: list[int] | None = None,
        px_exp: int = 8,
        qty_exp: int = 8,
    ) -> ExchangeSim: ...
    def on_book_level(self, ts_exchange: int, ts_local: int, side: int, px: float, qty: float) -> None: ...
    def on_book_clear(self, ts_exchange: int, ts_local: int, side: int = 0) -> None: ...
    def on_trade(self, ts_exchange: int, ts_local: int, px: float, qty: float, aggressor: int) -> None: ...
    def on_ticker(
        self, ts_exchange: int, ts_local: int, mark_px: float | None = None, funding_rate: float | None = None
    ) -> None: ...
    def feed(
        self,
        kind: npt.NDArray[np.int8],
        ts_exchange: npt.NDArray[np.int64],
        ts_local: npt.NDArray[np.int64],
        side: npt.NDArray[np.int8],
        px: npt.NDArray[np.int64],
        qty: npt.NDArray[np.int64],
    ) -> None: ...
    def advance_to(self, ts_exchange: int) -> None: ...
    def submit(
        self, ts_local: int, side: int, px: float, qty: float, post_only: bool = True, client_id: int = 0
    ) -> int: ...
    def cancel(self, ts_local: int, order_id: int) -> None: ...
    def poll(self, ts_local: int) -> list[tuple[int, str, int]]: ...
    def fills(self) -> dict[str, Any]: ...
    def order_events(self) -> dict[str, Any]: ...
    def funding_payments(self) -> dict[str, Any]: ...
    def counters(self) -> dict[str, int]: ...
    def queue_ahead(self, order_id: int) -> float | None: ...
    def leaves(self, order_id: int) -> float | None: ...
    def order_status(self, order_id: int) -> str | None: ...
    def open_orders(self) -> list[int]: ...
    def best_bid(self) -> tuple[float, float] | None: ...
    def best_ask(self) -> tuple[float, float] | None: ...
    @property
    def position(self) -> float: ...
    @property
    def cash(self) -> float: ...
    @property
    def fees_paid(self) -> float: ...
    @property
    def funding_received(self) -> float: ...
    @property
    def clock(self) -> int | None: ...
    @property
    def feed_latency_ns(self) -> int: ...
    @staticmethod
    def order_states() -> list[str]: ...

# ---------------------------------------------------------------- quote engine

def quote_codes() -> tuple[list[str], list[str]]: ...
def glft_coefficients(gamma: float, kappa: float, a: float, sigma_bps: float) -> tuple[float, float, float, float]: ...
def quote_arrival_depths(
    trade_t: npt.NDArray[np.int64],
    trade_px: npt.NDArray[np.float64],
    trade_side: npt.NDArray[np.int8],
    mid_t: npt.NDArray[np.int64],
    mid: npt.NDArray[np.float64],
    tick: float,
    step_ns: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int8], float, int, int]: ...
def quote_fit_intensity(
    depth_ticks: npt.NDArray[np.float64],
    exposure_s: float,
    step_ticks: float = 0.5,
    max_ticks: float = 70.0,
    min_count: int = 10,
    at_price_fills: bool = False,
) -> dict[str, Any]: ...

@final
class QuoteEngine:
    def __new__(cls, config_json: str) -> Self: ...
    def cycle(
        self,
        *,
        t_ns: int,
        mid: float,
        microprice: float,
        ll_microprice: float,
        ll_skew_bps: float,
        best_bid: float,
        best_ask: float,
        tick: float,
        inventory: float,
        regime_probs: list[float] | tuple[float, ...],
        sigma2_per_s: float,
        kappa: float,
        a: float,
        informed_fraction: float,
        kappa_cv: float,
        cascade: bool,
    ) -> dict[str, Any]: ...
    def run(self, columns: dict[str, npt.NDArray[Any]]) -> dict[str, npt.NDArray[Any]]: ...
    @property
    def counts(self) -> dict[str, int]: ...
    @property
    def cycles(self) -> int: ...
    @property
    def config_json(self) -> str: ...
    def reset(self) -> None: ...

# ---- backtest (crossbook.backtest)

def run_backtest(
    params_json: str,
    quote_json: str,
    quoted_bbo: dict[str, npt.NDArray[Any]],
    quoted_trade: dict[str, npt.NDArray[Any]],
    quoted_ticker: dict[str, npt.NDArray[Any]],
    leader_bbo: dict[str, npt.NDArray[Any]],
    quoted_book: dict[str, npt.NDArray[Any]] | None = None,
) -> dict[str, Any]: ...
def backtest_default_params() -> str: ...

# ---- models: Hawkes fill intensity (crossbook.models.hawkes)

def hawkes_fit_exp(
    times_s: npt.NDArray[np.float64], horizon_s: float, beta: float | None = None, gof: bool = True
) -> dict[str, Any]: ...
def hawkes_loglik(
    times_s: npt.NDArray[np.float64], horizon_s: float, mu: float, alpha: float, beta: float
) -> float: ...
def hawkes_gof(
    times_s: npt.NDArray[np.float64], horizon_s: float, mu: float, alpha: float, beta: float
) -> tuple[float, float, npt.NDArray[np.float64]]: ...
def hawkes_simulate_exp(
    mu: float, alpha: float, beta: float, horizon_s: float, seed: int
) -> npt.NDArray[np.float64]: ...
def hawkes_fit_state_baseline(
    times_s: npt.NDArray[np.float64],
    horizon_s: float,
    cov_times_s: npt.NDArray[np.float64],
    cov_values: npt.NDArray[np.float64],
    names: list[str],
) -> dict[str, Any]: ...
def hawkes_simulate_state_baseline(
    mu0: float,
    weights: list[float],
    alpha: float,
    beta: float,
    cov_times_s: npt.NDArray[np.float64],
    cov_values: npt.NDArray[np.float64],
    horizon_s: float,
    seed: int,
) -> npt.NDArray[np.float64]: ...
def hawkes_fit_marked(
    times_s: npt.NDArray[np.float64],
    horizon_s: float,
    size: npt.NDArray[np.float64],
    same_side: npt.NDArray[np.bool_],
    aggressor: npt.NDArray[np.bool_],
    median_size: float | None = None,
    size_cap: float = 3.0,
) -> dict[str, Any]: ...
def hawkes_simulate_marked(
    mu: float,
    alpha: float,
    beta: float,
    horizon_s: float,
    seed: int,
    size_power: float = 0.5,
    same_side_mult: float = 1.875,
    aggressor_mult: float = 1.2,
    median_size: float = 1.0,
    size_cap: float = 3.0,
    size_sigma: float = 0.8,
    p_same_side: float = 0.5,
    p_aggressor: float = 0.5,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]: ...
def hawkes_fit_queue(
    times_s: npt.NDArray[np.float64],
    horizon_s: float,
    queue_times_s: npt.NDArray[np.float64],
    queue_consumed: npt.NDArray[np.float64],
    typical_queue: float,
) -> dict[str, Any]: ...
def hawkes_simulate_queue(
    mu: float,
    alpha: float,
    beta: float,
    queue_sensitivity: float,
    typical_queue: float,
    queue_times_s: npt.NDArray[np.float64],
    queue_consumed: npt.NDArray[np.float64],
    horizon_s: float,
    seed: int,
) -> npt.NDArray[np.float64]: ...

@final
class HawkesIntensity:
    def __new__(cls, mu: float, alpha: float, beta: float) -> Self: ...
    def update(self, t: float) -> float: ...
    def update_many(self, times_s: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
    def intensity(self, t: float) -> float: ...
    def expected_count(self, t: float, h: float) -> float: ...
    @property
    def count(self) -> int: ...
    @property
    def mu(self) -> float: ...
    @property
    def alpha(self) -> float: ...
    @property
    def beta(self) -> float: ...

@final
class FillIntensityModel:
    def __new__(
        cls,
        *,
        mu_0: float = 1.0,
        w_funding: float = 0.0,
        w_oi_change: float = 0.0,
        w_time_to_settlement: float = 0.0,
        settlement_period_h: float = 8.0,
        alpha_base: float = 0.3,
        alpha_size_power: float = 0.5,
        alpha_same_side_mult: float = 1.875,
        alpha_aggressor_mult: float = 1.2,
        size_cap: float = 3.0,
        median_trade_size: float = 1.0,
        mean_mark_multiplier: float = 1.0,
        beta_time: float = 1.0,
        beta_queue_sensitivity: float = 0.5,
        typical_queue: float = 1.0,
        regime_multipliers: list[float] = ...,
        depth_decay_per_bp: float = 0.5,
    ) -> Self: ...
    def baseline(
        self,
        funding_rate: float = 0.0,
        oi_change_rate: float = 0.0,
        time_to_settlement_h: float = 0.0,
        regime: int = 0,
    ) -> float: ...
    def excitation_at(
        self,
        t: float,
        trade_t: npt.NDArray[np.float64],
        size: npt.NDArray[np.float64],
        same_side: npt.NDArray[np.bool_],
        aggressor: npt.NDArray[np.bool_],
        queue_consumed_since: npt.NDArray[np.float64],
    ) -> float: ...
    def expected_fills_in_window(
        self,
        t0: float,
        t1: float,
        depth_bps: float,
        excitation: float = 0.0,
        funding_rate: float = 0.0,
        oi_change_rate: float = 0.0,
        time_to_settlement_h: float = 0.0,
        regime: int = 0,
    ) -> float: ...
    def kappa(
        self,
        reference_depth_bps: float,
        excitation: float = 0.0,
        funding_rate: float = 0.0,
        oi_change_rate: float = 0.0,
        time_to_settlement_h: float = 0.0,
        regime: int = 0,
    ) -> float: ...
    def params(self) -> dict[str, Any]: ...

# ---- models: toxicity (crossbook.models.toxicity)

def toxicity_feature_names() -> list[str]: ...
def toxicity_features(
    trades: dict[str, npt.NDArray[Any]],
    own: dict[str, npt.NDArray[Any]],
    reference: dict[str, npt.NDArray[Any]] | None = None,
    ticker: dict[str, npt.NDArray[Any]] | None = None,
    liquidations: npt.NDArray[np.int64] | None = None,
    size_window: int = 500,
    ref_change_ms: float = 100.0,
    basis_ewma_s: float = 60.0,
    oi_window_s: float = 60.0,
    liq_window_ms: float = 1000.0,
    time_since_cap_ms: float = 60000.0,
) -> npt.NDArray[np.float64]: ...
def toxicity_labels(
    trades: dict[str, npt.NDArray[Any]],
    own: dict[str, npt.NDArray[Any]],
    reference: dict[str, npt.NDArray[Any]] | None = None,
    ticker: dict[str, npt.NDArray[Any]] | None = None,
    informed_bps: float = 5.0,
    horizon_ms: float = 10000.0,
    arb_window_ms: float = 500.0,
    arb_min_gap_bps: float = 1.0,
    arb_close_frac: float = 0.5,
    basis_ewma_s: float = 60.0,
    oi_drop_pct: float = 0.05,
    oi_window_s: float = 60.0,
    funding_pct: float = 0.9,
    funding_history: int = 10000,
    require_funding_extreme: bool = True,
) -> npt.NDArray[np.uint8]: ...

@final
class SoftmaxClassifier:
    @staticmethod
    def fit(
        x: npt.NDArray[np.float64],
        y: npt.NDArray[np.int64],
        n_classes: int,
        l2: float = 1e-4,
        standardize: bool = True,
        class_weight: list[float] | None = None,
        max_iter: int = 1000,
        gtol: float = 1e-7,
    ) -> SoftmaxClassifier: ...
    def predict_proba(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
    @property
    def coef(self) -> npt.NDArray[np.float64]: ...
    @property
    def mean(self) -> npt.NDArray[np.float64]: ...
    @property
    def scale(self) -> npt.NDArray[np.float64]: ...
    @property
    def n_classes(self) -> int: ...
    @property
    def n_features(self) -> int: ...
    @property
    def objective(self) -> float: ...
    @property
    def iterations(self) -> int: ...
    @property
    def converged(self) -> bool: ...

@final
class AdverseSelectionAdjuster:
    def __new__(
        cls,
        classifier: SoftmaxClassifier | None = None,
        informed_class: int = 1,
        ema_alpha: float = 0.05,
        kappa_discount_per_informed_pct: float = 0.01,
        spread_premium_per_informed_pct: float = 0.02,
        kappa_floor: float = 0.3,
    ) -> Self: ...
    def on_trade(self, features: npt.NDArray[np.float64]) -> float: ...
    def on_informed_probability(self, p: float) -> None: ...
    def run(
        self, x: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
    @property
    def informed_fraction(self) -> float: ...
    def get_kappa_adjustment(self) -> float: ...
    def get_spread_adjustment_bps(self) -> float: ...

@final
class LiquidationDetector:
    def __new__(
        cls,
        cascade_threshold_oi_drop_pct: float = 0.5,
        lookback_s: float = 60.0,
        slope: float = 4.0,
        funding_weight: float = 2.0,
        funding_extreme_level: float = 0.9,
        capacity: int = 100000,
    ) -> Self: ...
    def update(self, current_oi: float, current_funding: float, timestamp_ns: int) -> float: ...
    def run(
        self, oi: npt.NDArray[np.float64], funding: npt.NDArray[np.float64], t_ns: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float64]: ...
    def is_cascade_active(self) -> bool: ...
    @property
    def liquidation_probability(self) -> float: ...
    @property
    def oi_change_pct(self) -> float: ...
    @property
    def funding_percentile(self) -> float: ...

# ---------------------------------------------------------------- regime HMM (crossbook.models)

def hmm_filter(
    x: npt.NDArray[np.float64],
    startprob: npt.NDArray[np.float64],
    transmat: npt.NDArray[np.float64],
    means: npt.NDArray[np.float64],
    variances: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], float]: ...
def hmm_filter_into(
    x: npt.NDArray[np.float64],
    startprob: npt.NDArray[np.float64],
    transmat: npt.NDArray[np.float64],
    means: npt.NDArray[np.float64],
    variances: npt.NDArray[np.float64],
    out: npt.NDArray[np.float64],
) -> float: ...
def hmm_loglik(
    x: npt.NDArray[np.float64],
    startprob: npt.NDArray[np.float64],
    transmat: npt.NDArray[np.float64],
    means: npt.NDArray[np.float64],
    variances: npt.NDArray[np.float64],
) -> float: ...
def hmm_fit(
    x: npt.NDArray[np.float64],
    n_states: int = 4,
    n_iter: int = 100,
    tol: float = 1e-6,
    n_restarts: int = 4,
    seed: int = 0,
    var_floor: float = 1e-3,
    order_by: int = 0,
    transmat_init: npt.NDArray[np.float64] | None = None,
    zero_mean: list[bool] | None = None,
) -> dict[str, Any]: ...

@final
class HmmFilter:
    def __new__(
        cls,
        startprob: npt.NDArray[np.float64],
        transmat: npt.NDArray[np.float64],
        means: npt.NDArray[np.float64],
        variances: npt.NDArray[np.float64],
    ) -> Self: ...
    def update(self, x: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def update_many(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
    @property
    def probs(self) -> npt.NDArray[np.float64]: ...
    def predicted(self) -> npt.NDArray[np.float64]: ...
    @property
    def most_likely(self) -> int: ...
    @property
    def loglik(self) -> float: ...
    @property
    def n_updates(self) -> int: ...
    @property
    def n_states(self) -> int: ...
    @property
    def n_features(self) -> int: ...
    @property
    def startprob(self) -> npt.NDArray[np.float64]: ...
    @property
    def transmat(self) -> npt.NDArray[np.float64]: ...
    @property
    def means(self) -> npt.NDArray[np.float64]: ...
    @property
    def variances(self) -> npt.NDArray[np.float64]: ...
    def reset(self) -> None: ...

# ---- stats (crossbook.research.calibration / crossbook.research.audit)

def ksg_mi(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    k: int = 3,
    standardize: bool = True,
    skip_if_tied: bool = False,
) -> dict[str, Any]: ...
def ksg_mi_shuffled(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    k: int = 3,
    standardize: bool = True,
    n_shuffles: int = 20,
    seed: int = 0,
) -> npt.NDArray[np.float64]: ...
def brier_score(p: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float: ...
def brier_binned(
    p: npt.NDArray[np.float64], y: npt.NDArray[np.float64], inner_edges: npt.NDArray[np.float64]
) -> dict[str, Any]: ...
def corp_decomposition(
    p: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
) -> tuple[dict[str, float], npt.NDArray[np.float64]]: ...

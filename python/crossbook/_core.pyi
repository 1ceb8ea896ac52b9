"""Type stubs of the Rust extension `crossbook._core` (import through `crossbook.*`, not directly)."""

from typing import Any, ClassVar, Self, final

import numpy as np
import numpy.typing as npt

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

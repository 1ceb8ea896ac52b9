"""Type stubs of the Rust extension `crossbook._core` (import through `crossbook.*`, not directly)."""

from typing import Any, Self, final

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

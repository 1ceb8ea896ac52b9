"""Streaming microstructure signals with a Rust core: micro-price, volatility, imbalance, flow, depth.

Two ways in:

- **vectorised** functions over polars frames of the data model (``bbo``, ``trade``, ``book`` tables:
  int64 scaled prices/sizes are decoded here) or numpy arrays; the work runs in Rust with the GIL released;
- **streaming** classes for event loops (:class:`BipowerVol`, :class:`TradeWindow`,
  :class:`TradeRateEwma`, :class:`MicropriceModel` lookups), each update O(1).

Times are int64 ns (``ts_local`` by default: the clock a trading system acts on); windows and steps are
given in milliseconds. Bad input raises :class:`crossbook.InvalidInputError` (NaN or null prices and
sizes, negative sizes, unsorted times, mismatched lengths). Empty input gives empty arrays for the
per-row functions and NaN for the per-snapshot ones (:func:`obi`, :func:`depth`).

References: Stoikov (2018) for the micro-price; Barndorff-Nielsen & Shephard (2004) for bipower
variation; the seed ``spot-anchored-perp-1h-signals.md`` for the distance-weighted order-book imbalance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl

from crossbook import _core
from crossbook._core import BipowerVol, InvalidInputError, TradeRateEwma, TradeWindow
from crossbook.data.instruments import PX_SCALE, QTY_SCALE, instrument

__all__ = [
    "DEPTH_BPS",
    "OBI_TIER1",
    "OBI_TIER2",
    "SECONDS_PER_YEAR",
    "BipowerVol",
    "MicropriceModel",
    "TradeRateEwma",
    "TradeWindow",
    "VolSeries",
    "bipower_vol",
    "depth",
    "depth_series",
    "obi",
    "obi_series",
    "trade_flow",
    "trade_imbalance",
    "trade_rate",
    "trade_rate_ewma",
    "weighted_mid",
]

#: default depth bands (bps of mid)
DEPTH_BPS: tuple[float, ...] = (1.0, 5.0, 10.0)
#: OIB defaults of the seed: Tier 1 (BTC/ETH, high liquidity) and Tier 2 (thin alts)
OBI_TIER1 = {"delta_bps": 25.0, "half_life_bps": 25.0}
OBI_TIER2 = {"delta_bps": 50.0, "half_life_bps": 50.0}
#: a 365-day year (crypto trades every day), for annualising per-second variances
SECONDS_PER_YEAR = 365.0 * 86_400.0

F64 = npt.NDArray[np.float64]


# ---------------------------------------------------------------- frame helpers


def _decoded(df: pl.DataFrame, col: str, scale: int) -> F64:
    """A price or size column as float64: int64 scaled columns are divided by ``scale``; nulls become NaN
    (and are then rejected by the core)."""
    if col not in df.columns:
        raise InvalidInputError(f"frame has no column {col!r} (columns: {df.columns})")
    s = df[col]
    v = s.cast(pl.Float64).to_numpy()
    if s.dtype.is_integer():
        v = v / scale
    return np.ascontiguousarray(v, dtype=np.float64)


def _times(df: pl.DataFrame, col: str) -> npt.NDArray[np.int64]:
    if col not in df.columns:
        raise InvalidInputError(f"frame has no column {col!r} (columns: {df.columns})")
    s = df[col]
    if s.null_count():
        raise InvalidInputError(f"{col} has {s.null_count()} null values")
    return np.ascontiguousarray(s.cast(pl.Int64).to_numpy(), dtype=np.int64)


def _one_instrument(df: pl.DataFrame, what: str) -> tuple[str, str] | None:
    """The (venue, symbol) of a frame that must hold one instrument, if the frame says."""
    if "venue" not in df.columns or "symbol" not in df.columns or df.height == 0:
        return None
    pairs = df.select("venue", "symbol").unique()
    if pairs.height > 1:
        raise InvalidInputError(f"{what} needs one instrument; the frame holds {pairs.height}: {pairs.rows()[:5]}")
    venue, symbol = pairs.row(0)
    return str(venue), str(symbol)


def _ms_to_ns(name: str, ms: float) -> int:
    ns = round(float(ms) * 1e6) if math.isfinite(ms) else 0
    if ns < 1:
        raise InvalidInputError(f"{name} must be a positive number of milliseconds (got {ms})")
    return ns


def _f64(x: npt.ArrayLike) -> F64:
    return np.ascontiguousarray(x, dtype=np.float64)


def _bbo_arrays(bbo: pl.DataFrame) -> tuple[F64, F64, F64, F64]:
    return (
        _decoded(bbo, "bid_px", PX_SCALE),
        _decoded(bbo, "bid_qty", QTY_SCALE),
        _decoded(bbo, "ask_px", PX_SCALE),
        _decoded(bbo, "ask_qty", QTY_SCALE),
    )


# ---------------------------------------------------------------- micro-price


def weighted_mid(bbo: pl.DataFrame) -> F64:
    """Size-weighted mid ``(bid·ask_qty + ask·bid_qty) / (bid_qty + ask_qty)`` of each BBO row (price units).

    NaN where both sizes are 0. ``bbo`` holds ``bid_px, bid_qty, ask_px, ask_qty`` (int64 scaled as in the
    data model, or floats).
    """
    return _core.weighted_mid(*_bbo_arrays(bbo))


class MicropriceModel:
    """Stoikov's (2018) micro-price ``M + g(I, s)``: a Markov fit over (imbalance bucket, spread in ticks).

    Fit with :meth:`fit` (a ``bbo`` frame) or :meth:`fit_samples`; look up with :meth:`adjust` (O(1)).
    ``g`` is interpolated linearly in imbalance between bucket centres (the paper uses the step function:
    :meth:`adjust_step_ticks`), and is NaN for a spread outside ``1..n_spread`` ticks or a state the fit
    never saw. ``table`` holds G* in ticks, shape ``(n_spread, n_imb)``.
    """

    def __init__(self, core: _core.MicropriceModel) -> None:
        self._m = core

    @classmethod
    def fit(
        cls,
        bbo: pl.DataFrame,
        *,
        tick: float | None = None,
        step_ms: float = 100.0,
        n_imb: int = 10,
        n_spread: int = 2,
        symmetrise: bool = True,
        max_move_ticks: float = 1.0,
        n_terms: int = 0,
        time_col: str = "ts_local",
    ) -> MicropriceModel:
        """Fit from a ``bbo`` frame of one instrument, sampled every ``step_ms`` (last-known BBO).

        ``tick`` defaults to the instrument registry's. States are spreads of 1..``n_spread`` ticks ×
        ``n_imb`` imbalance buckets; transitions whose mid moves more than ``max_move_ticks`` are dropped (as
        in the paper); ``symmetrise`` adds the mirror image of every transition (needed for convergence);
        ``n_terms`` = 0 sums Σ Bᵏ G1 to convergence, n > 0 truncates. Raises
        :class:`crossbook.InvalidInputError` for bad rows, an unknown tick, or data that cannot be fitted
        (no usable transition, a state the chain never leaves without a mid move).
        """
        who = _one_instrument(bbo, "MicropriceModel.fit")
        if tick is None:
            inst = instrument(*who) if who else None
            if inst is None or inst.tick <= 0:
                raise InvalidInputError(f"tick unknown for {who}; pass tick=")
            tick = inst.tick
        core = _core.MicropriceModel.fit_bbo(
            _times(bbo, time_col),
            *_bbo_arrays(bbo),
            float(tick),
            _ms_to_ns("step_ms", step_ms),
            n_imb,
            n_spread,
            symmetrise,
            max_move_ticks,
            n_terms,
        )
        return cls(core)

    @classmethod
    def fit_samples(
        cls,
        mid: npt.ArrayLike,
        spread: npt.ArrayLike,
        imbalance: npt.ArrayLike,
        tick: float,
        *,
        n_imb: int = 10,
        n_spread: int = 2,
        symmetrise: bool = True,
        max_move_ticks: float = 1.0,
        n_terms: int = 0,
    ) -> MicropriceModel:
        """Fit from samples already on a fixed time step (mid and spread in price units, imbalance in [0, 1];
        NaN imbalance = unknown state, skipped)."""
        core = _core.MicropriceModel.fit_samples(
            _f64(mid), _f64(spread), _f64(imbalance), float(tick), n_imb, n_spread, symmetrise, max_move_ticks, n_terms
        )
        return cls(core)

    @classmethod
    def from_table(cls, tick: float, table: npt.ArrayLike) -> MicropriceModel:
        """A model from a table ``g[spread − 1, bucket]`` in ticks (e.g. a saved ``.table``)."""
        return cls(_core.MicropriceModel.from_table(float(tick), np.ascontiguousarray(table, dtype=np.float64)))

    def adjust(self, imbalance: npt.ArrayLike, spread_ticks: npt.ArrayLike) -> float | F64:
        """``g(I, s)`` in price units; a float for scalars, an array for arrays (broadcast)."""
        if np.ndim(imbalance) == 0 and np.ndim(spread_ticks) == 0:
            return self._m.adjust(float(imbalance), float(spread_ticks))  # type: ignore[arg-type]
        i, s = np.broadcast_arrays(np.asarray(imbalance, dtype=np.float64), np.asarray(spread_ticks, dtype=np.float64))
        out = self._m.adjust_many(_f64(i.ravel()), _f64(s.ravel()))
        return out.reshape(i.shape)

    def adjust_ticks(self, imbalance: npt.ArrayLike, spread_ticks: npt.ArrayLike) -> float | F64:
        """``g(I, s)`` in ticks."""
        return self.adjust(imbalance, spread_ticks) / self.tick

    def adjust_step_ticks(self, imbalance: float, spread_ticks: float) -> float:
        """``g`` in ticks from the bucket holding ``I`` (the paper's piecewise-constant lookup)."""
        return self._m.adjust_step_ticks(float(imbalance), float(spread_ticks))

    def micro_price(self, bbo: pl.DataFrame) -> F64:
        """Micro-price of each BBO row (price units); NaN where the state is outside the fitted table."""
        return self._m.micro_price_many(*_bbo_arrays(bbo))

    @property
    def tick(self) -> float:
        return self._m.tick

    @property
    def n_imb(self) -> int:
        return self._m.n_imb

    @property
    def n_spread(self) -> int:
        return self._m.n_spread

    @property
    def table(self) -> F64:
        """G* in ticks, shape (n_spread, n_imb); NaN = state never seen."""
        return self._m.table

    @property
    def g1(self) -> F64:
        """G1 (expected mid change at the next mid move) in ticks, shape (n_spread, n_imb)."""
        return self._m.g1

    @property
    def counts(self) -> F64:
        """Transitions out of each state (mirrored ones included), shape (n_spread, n_imb)."""
        return self._m.counts

    @property
    def terms(self) -> int:
        return self._m.terms

    @property
    def symmetrised(self) -> bool:
        return self._m.symmetrised

    @property
    def n_transitions(self) -> int:
        return self._m.n_transitions

    @property
    def n_dropped(self) -> int:
        return self._m.n_dropped

    @property
    def core(self) -> _core.MicropriceModel:
        """The Rust object, for O(1) lookups in a Python loop without the wrapper's overhead."""
        return self._m

    def __repr__(self) -> str:
        return repr(self._m)


# ---------------------------------------------------------------- volatility


class VolSeries(NamedTuple):
    """Bipower variation and realised variance on a time grid; both are log-return variances **per
    window** (``window`` returns of ``step_ns``), NaN until the window is full."""

    t_ns: npt.NDArray[np.int64]
    bv: F64
    rv: F64
    step_ns: int
    window: int

    def per_second(self, which: str = "bv") -> F64:
        """The chosen series (``"bv"`` or ``"rv"``) as variance per second."""
        return getattr(self, which) / (self.window * self.step_ns * 1e-9)

    def annualised_vol(self, which: str = "bv") -> F64:
        """Annualised volatility (365-day year) of the chosen series."""
        return np.sqrt(self.per_second(which) * SECONDS_PER_YEAR)


def bipower_vol(t_ns: npt.ArrayLike, mid: npt.ArrayLike, step_ms: float, window: int) -> VolSeries:
    """Bipower variation (Barndorff-Nielsen & Shephard 2004) and realised variance of log mid returns.

    The mid is sampled every ``step_ms`` on an epoch-aligned grid with its last-known value; over the last
    ``window`` returns ``BV = (π/2) Σ |r_i||r_{i−1}|`` and ``RV = Σ r_i²``. One row per grid point from the
    first time up to (not including) the last; NaN until ``window`` returns exist. Identical to feeding
    :class:`BipowerVol` the same updates.
    """
    step_ns = _ms_to_ns("step_ms", step_ms)
    t, bv, rv = _core.bipower_series(np.ascontiguousarray(t_ns, dtype=np.int64), _f64(mid), step_ns, int(window))
    return VolSeries(t, bv, rv, step_ns, int(window))


# ---------------------------------------------------------------- trade flow


def _trade_arrays(trades: pl.DataFrame, time_col: str) -> tuple[npt.NDArray[np.int64], F64, npt.NDArray[np.int8]]:
    _one_instrument(trades, "trade flow")
    if "aggressor" not in trades.columns:
        raise InvalidInputError(f"frame has no column 'aggressor' (columns: {trades.columns})")
    agg = trades["aggressor"]
    if agg.null_count():
        raise InvalidInputError(f"aggressor has {agg.null_count()} null values")
    return (
        _times(trades, time_col),
        _decoded(trades, "qty", QTY_SCALE),
        np.ascontiguousarray(agg.cast(pl.Int8).to_numpy(), dtype=np.int8),
    )


def trade_imbalance(trades: pl.DataFrame, window_ms: float = 1000.0, *, time_col: str = "ts_local") -> F64:
    """Signed-volume imbalance ``(V_buy − V_sell) / (V_buy + V_sell)`` over ``(t − window, t]`` after each
    trade (by aggressor; unknown aggressors are left out; NaN with no signed volume in the window)."""
    t, q, a = _trade_arrays(trades, time_col)
    return _core.trade_window(t, q, a, _ms_to_ns("window_ms", window_ms))[0]


def trade_rate(trades: pl.DataFrame, window_ms: float = 1000.0, *, time_col: str = "ts_local") -> F64:
    """Trade arrival rate (trades per second) over ``(t − window, t]`` after each trade."""
    t, q, a = _trade_arrays(trades, time_col)
    return _core.trade_window(t, q, a, _ms_to_ns("window_ms", window_ms))[1]


def trade_rate_ewma(trades: pl.DataFrame, tau_ms: float = 10_000.0, *, time_col: str = "ts_local") -> F64:
    """Exponentially weighted arrival rate (trades/s, time constant ``tau_ms``) after each trade:
    ``Σ exp(−(t − t_i)/τ) / τ``. Biased low during the first few τ."""
    return _core.trade_rate_ewma(_times(trades, time_col), _ms_to_ns("tau_ms", tau_ms))


def trade_flow(
    trades: pl.DataFrame,
    windows_ms: Sequence[float] = (1000.0, 10_000.0),
    *,
    tau_ms: float = 10_000.0,
    time_col: str = "ts_local",
) -> pl.DataFrame:
    """The flow signals after each trade: ``ts``, ``imbalance_<w>ms`` and ``rate_<w>ms`` per window (default
    1 s and 10 s) and ``rate_ewma`` (trades/s)."""
    t, q, a = _trade_arrays(trades, time_col)
    cols: dict[str, npt.NDArray[np.generic]] = {time_col: t}
    for w in windows_ms:
        imb, rate = _core.trade_window(t, q, a, _ms_to_ns("windows_ms", w))
        cols[f"imbalance_{w:g}ms"] = imb
        cols[f"rate_{w:g}ms"] = rate
    cols["rate_ewma"] = _core.trade_rate_ewma(t, _ms_to_ns("tau_ms", tau_ms))
    return pl.DataFrame(cols)


# ---------------------------------------------------------------- book snapshots


def obi(
    bid_px: npt.ArrayLike,
    bid_qty: npt.ArrayLike,
    ask_px: npt.ArrayLike,
    ask_qty: npt.ArrayLike,
    *,
    delta_bps: float = 25.0,
    half_life_bps: float = 25.0,
    notional: bool = True,
) -> float:
    """Distance-weighted order-book imbalance of one snapshot (the seed's OIB), in [−1, 1].

    Levels within ``delta_bps`` of mid count with weight ``exp(−λ|p/m − 1|)``, ``λ = ln 2 / (h·1e-4)``;
    ``notional=True`` weighs size·price as the seed does. Sides sorted best first (bids descending, asks
    ascending); levels of size 0 are skipped. NaN for an empty side, a crossed book, or nothing in the band.
    Defaults are Tier 1 (:data:`OBI_TIER1`); Tier 2 is ``obi(..., **OBI_TIER2)``.
    """
    return _core.obi_levels(
        _f64(bid_px), _f64(bid_qty), _f64(ask_px), _f64(ask_qty), float(delta_bps), float(half_life_bps), notional
    )


def _levels_arrays(levels: pl.DataFrame, key: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int8], F64, F64]:
    _one_instrument(levels, "book snapshot signals")
    if "side" not in levels.columns:
        raise InvalidInputError(f"frame has no column 'side' (columns: {levels.columns})")
    side = levels["side"]
    if side.null_count():
        raise InvalidInputError(f"side has {side.null_count()} null values")
    return (
        _times(levels, key),
        np.ascontiguousarray(side.cast(pl.Int8).to_numpy(), dtype=np.int8),
        _decoded(levels, "px", PX_SCALE),
        _decoded(levels, "qty", QTY_SCALE),
    )


def obi_series(
    levels: pl.DataFrame,
    *,
    key: str = "ts_local",
    delta_bps: float = 25.0,
    half_life_bps: float = 25.0,
    notional: bool = True,
) -> pl.DataFrame:
    """:func:`obi` of each snapshot of a long-format level frame (``key, side, px, qty``: one row per level,
    rows of a snapshot share ``key``, keys non-decreasing; side +1 bid / −1 ask, 0 rows skipped).
    Returns ``key, obi``."""
    k, s, p, q = _levels_arrays(levels, key)
    keys, v = _core.obi_snapshots(k, s, p, q, float(delta_bps), float(half_life_bps), notional)
    return pl.DataFrame({key: keys, "obi": v})


def depth(
    bid_px: npt.ArrayLike,
    bid_qty: npt.ArrayLike,
    ask_px: npt.ArrayLike,
    ask_qty: npt.ArrayLike,
    bands_bps: Sequence[float] = DEPTH_BPS,
) -> tuple[F64, F64]:
    """Resting size within each band of mid for one snapshot: ``(bid_depth, ask_depth)``, one value per
    band (cumulative; bands inclusive). NaN for an empty side or a crossed book."""
    return _core.depth_levels(_f64(bid_px), _f64(bid_qty), _f64(ask_px), _f64(ask_qty), _f64(bands_bps))


def depth_series(
    levels: pl.DataFrame, *, key: str = "ts_local", bands_bps: Sequence[float] = DEPTH_BPS
) -> pl.DataFrame:
    """:func:`depth` of each snapshot of a long-format level frame (as :func:`obi_series`). Returns ``key``
    and ``bid_<b>bps`` / ``ask_<b>bps`` per band."""
    k, s, p, q = _levels_arrays(levels, key)
    keys, bid, ask = _core.depth_snapshots(k, s, p, q, _f64(bands_bps))
    cols: dict[str, npt.NDArray[np.generic]] = {key: keys}
    for j, b in enumerate(bands_bps):
        cols[f"bid_{b:g}bps"] = bid[:, j]
        cols[f"ask_{b:g}bps"] = ask[:, j]
    return pl.DataFrame(cols)

"""The regime model's four observation features on a time grid, built causally from the data model.

For one instrument and grid times ``g = k · step`` (epoch-aligned, ``ts_local`` by default), with ``W`` the
window and ``h`` the markout horizon, each feature at ``g`` uses only rows with time ``<= g``:

- ``volatility`` = ``ln σ``, σ = bipower volatility (Barndorff-Nielsen & Shephard; :func:`crossbook.signals.
  bipower_vol`) of the log mid sampled every ``vol_step_ms`` over the last ``W``, in bps per √s, floored at
  ``vol_floor_bps`` (a mid that did not move gives ``ln(vol_floor_bps)``, not −∞);
- ``trade_intensity`` = ``ln(1 + trades per second in (g − W, g])``;
- ``imbalance`` = trade-sign imbalance ``(N_buy − N_sell) / (N_buy + N_sell)`` of the trades in
  ``(g − W, g]`` by aggressor; 0 when none has a known aggressor (no flow is balanced flow). Trades are
  counted, not weighted by size as :func:`crossbook.signals.trade_imbalance` does: trade sizes are so
  heavy-tailed (simulator: 99th percentile ≈ 500× the median) that the volume-weighted version is set by a
  few prints and wanders within a regime, which a Gaussian HMM then mistakes for regime changes;
- ``adverse_selection`` = size-weighted markout, in bps, of the trades of ``(g − h − W, g − h]``: for a
  trade at ``t`` with aggressor ``a``, ``a · ln(mid(t + h) / mid(t⁻)) · 1e4``, with ``mid(t⁻)`` the last mid
  strictly before the trade and ``mid(t + h)`` the last mid at or before ``t + h <= g``. Positive = the
  aggressors were right (makers were picked off). Only trades whose horizon has elapsed count, so the
  feature is causal (a "future-free" markout); 0 when no such trade.

The mid is ``(bid + ask) / 2`` of the ``bbo`` table, or of the top of book rebuilt from the ``book`` table
(:func:`crossbook.book.top_of_book`) when the instrument has no ``bbo`` rows. Rows run from the first grid
time at least ``W`` after the first mid (plus the bipower warm-up) to the last grid time the volatility
series reaches; every value is finite.

Windows and steps: with the default 1 s step and 10 s window consecutive rows share 90 % of their data, so
the features are strongly autocorrelated, which the HMM (observations independent given the state) can
only explain by extra state switches. On the simulator, non-overlapping windows (``step_ms = window_ms =
5000``, the simulator's regime clock) identify the true regimes better (see ``tests/models/test_hmm.py``
for the measured agreement of both settings).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from crossbook._core import InvalidInputError
from crossbook.data.instruments import PX_SCALE, QTY_SCALE
from crossbook.signals import bipower_vol

__all__ = ["FEATURES", "regime_features"]

#: the feature columns, in model column order (volatility first: it orders the states)
FEATURES: tuple[str, ...] = ("volatility", "trade_intensity", "imbalance", "adverse_selection")

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


def _tables(source: Any, venue: str, symbol: str) -> dict[str, pl.DataFrame]:
    """bbo, trade and book rows of one instrument from tables, a simulator result or a store."""
    from crossbook.store import Store

    want = ("bbo", "trade", "book")
    if isinstance(source, Store):
        out = {}
        for t in want:
            lf = source.scan(t).filter((pl.col("venue") == venue) & (pl.col("symbol") == symbol))
            out[t] = lf.drop("date").collect()
        return out
    tables = getattr(source, "tables", source)  # a SimResult holds its tables
    if not isinstance(tables, Mapping):
        raise InvalidInputError(f"regime_features needs tables, a SimResult or a Store, got {type(source).__name__}")
    out = {}
    for t in want:
        df = tables.get(t)
        if df is None or df.height == 0:
            out[t] = pl.DataFrame()
            continue
        out[t] = df.filter((pl.col("venue") == venue) & (pl.col("symbol") == symbol))
    return out


def _mid(frames: dict[str, pl.DataFrame], time_col: str) -> tuple[I64, F64]:
    bbo = frames["bbo"]
    if bbo.height == 0 and frames["book"].height:
        from crossbook.book import top_of_book

        bbo = top_of_book(frames["book"], on_gap="resync")
    if bbo.height == 0:
        raise InvalidInputError("no bbo or book rows for this instrument: the features need a mid price")
    bbo = bbo.sort(time_col, maintain_order=True)
    t = bbo[time_col].cast(pl.Int64).to_numpy()
    bid = bbo["bid_px"].cast(pl.Float64).to_numpy() / PX_SCALE
    ask = bbo["ask_px"].cast(pl.Float64).to_numpy() / PX_SCALE
    mid = 0.5 * (bid + ask)
    ok = np.isfinite(mid) & (bid > 0) & (ask > 0)
    return np.ascontiguousarray(t[ok]), np.ascontiguousarray(mid[ok])


def _trades(trade: pl.DataFrame, time_col: str) -> tuple[I64, F64, F64]:
    if trade.height == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    trade = trade.sort(time_col, maintain_order=True)
    t = trade[time_col].cast(pl.Int64).to_numpy()
    q = trade["qty"].cast(pl.Float64).fill_null(0.0).to_numpy() / QTY_SCALE
    a = trade["aggressor"].cast(pl.Float64).fill_null(0.0).to_numpy()
    return t, q, a


def _window_sum(cum: F64, lo: npt.NDArray[np.intp], hi: npt.NDArray[np.intp]) -> F64:
    """Σ v over rows lo..hi (exclusive) from ``cum`` = [0, v0, v0+v1, ...]."""
    return cum[hi] - cum[lo]


def regime_features(
    source: Any,
    venue: str,
    symbol: str,
    step_ms: float = 1000.0,
    *,
    window_ms: float = 10_000.0,
    markout_ms: float = 1_000.0,
    vol_step_ms: float = 100.0,
    vol_floor_bps: float = 0.01,
    time_col: str = "ts_local",
) -> pl.DataFrame:
    """The four regime features of ``venue``/``symbol`` every ``step_ms`` (see the module doc).

    ``source``: a tables mapping (:func:`crossbook.data.read`), a :class:`crossbook.sim.SimResult`, or a
    :class:`crossbook.store.Store`. Returns ``t_ns`` (the grid time, on ``time_col``'s clock) and the
    :data:`FEATURES` columns. Raises :class:`crossbook.InvalidInputError` when the instrument has no mid,
    for non-positive steps or windows, or when the data is shorter than the warm-up (no row).
    """
    for name, v in (("step_ms", step_ms), ("window_ms", window_ms), ("vol_step_ms", vol_step_ms)):
        if not (math.isfinite(v) and v > 0):
            raise InvalidInputError(f"{name} must be a positive number of milliseconds (got {v})")
    if not (math.isfinite(markout_ms) and markout_ms >= 0) or not (math.isfinite(vol_floor_bps) and vol_floor_bps > 0):
        raise InvalidInputError(f"markout_ms must be >= 0 and vol_floor_bps > 0 (got {markout_ms}, {vol_floor_bps})")
    step, win, h = round(step_ms * 1e6), round(window_ms * 1e6), round(markout_ms * 1e6)
    frames = _tables(source, venue, symbol)
    t_mid, mid = _mid(frames, time_col)
    if t_mid.size < 2:
        raise InvalidInputError(f"{venue}/{symbol}: {t_mid.size} usable mid(s); the features need a price series")

    vol_window = max(2, round(window_ms / vol_step_ms))
    vs = bipower_vol(t_mid, mid, vol_step_ms, vol_window)
    ok = np.isfinite(vs.bv)
    if not ok.any():
        raise InvalidInputError(f"{venue}/{symbol}: the data is shorter than the volatility window ({window_ms} ms)")
    first = max(int(vs.t_ns[ok][0]), int(t_mid[0]) + win)
    g = np.arange(-(-first // step) * step, int(vs.t_ns[-1]) + 1, step, dtype=np.int64)
    if g.size == 0:
        raise InvalidInputError(f"{venue}/{symbol}: no grid time after the {window_ms} ms warm-up")
    iv = np.searchsorted(vs.t_ns, g, side="right") - 1  # last volatility row at or before g
    sigma_bps = np.sqrt(np.maximum(vs.per_second("bv")[iv], 0.0)) * 1e4
    volatility = np.log(np.maximum(sigma_bps, vol_floor_bps))

    t_tr, q, a = _trades(frames["trade"], time_col)
    hi = np.searchsorted(t_tr, g, side="right")
    lo = np.searchsorted(t_tr, g - win, side="right")
    intensity = np.log1p((hi - lo) / (win * 1e-9))
    signed = np.concatenate([[0.0], np.cumsum(np.sign(a))])
    total = np.concatenate([[0.0], np.cumsum((a != 0).astype(np.float64))])
    net, known = _window_sum(signed, lo, hi), _window_sum(total, lo, hi)
    imbalance = np.divide(net, known, out=np.zeros_like(net), where=known > 0)

    # markouts of every trade (0 weight without a pre-trade mid), then summed over the elapsed window
    i0 = np.searchsorted(t_mid, t_tr, side="left") - 1
    i1 = np.searchsorted(t_mid, t_tr + h, side="right") - 1
    valid = (i0 >= 0) & (a != 0)
    mk = np.zeros(t_tr.size)
    mk[valid] = np.sign(a[valid]) * np.log(mid[i1[valid]] / mid[i0[valid]]) * 1e4
    w = np.where(valid, q, 0.0)
    cw = np.concatenate([[0.0], np.cumsum(w * mk)])
    cq = np.concatenate([[0.0], np.cumsum(w)])
    hi2 = np.searchsorted(t_tr, g - h, side="right")
    lo2 = np.searchsorted(t_tr, g - h - win, side="right")
    num, den = _window_sum(cw, lo2, hi2), _window_sum(cq, lo2, hi2)
    adverse = np.divide(num, den, out=np.zeros_like(num), where=den > 0)

    return pl.DataFrame(
        {
            "t_ns": g,
            "volatility": volatility,
            "trade_intensity": intensity,
            "imbalance": imbalance,
            "adverse_selection": adverse,
        }
    )

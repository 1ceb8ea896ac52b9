"""The seed's ``SignalCatalog`` (``heatmap-overlay-and-model-infrastructure.md`` § 3.2) evaluated at any
times, and the audit targets, from the normalized tables of a store.

:class:`SignalCatalog` holds one quoted instrument (the *target*) and optionally a *leader* on another
venue, and evaluates every signal causally at given times (``ts_local``, ns): each value uses only data
received at or before that time (as-of the last event; windows end at the time). Signals:

=========================== ==================================================================================
``microprice_imbalance``    (bid_qty − ask_qty) / (bid_qty + ask_qty) at the top of book (seed name)
``microprice_deviation_bps`` size-weighted mid (the first-order micro-price) minus mid, bps of mid
``spread_bps``              (ask − bid) / mid, bps
``book_pressure``           distance-weighted order-book imbalance (:func:`crossbook.signals.obi`, Tier-1
                            defaults) of the rebuilt book (:func:`crossbook.book.sample_grid`), in [−1, 1]
``depth_at_1bps``           bid + ask size resting within 1 bp of mid (:func:`crossbook.signals.depth`)
``depth_at_5bps``           likewise within 5 bps
``trade_imbalance_1s``      (V_buy − V_sell) / (V_buy + V_sell) over (t − 1 s, t] by aggressor; 0 with no
                            signed volume in the window (the definition of
                            :func:`crossbook.signals.trade_imbalance`, evaluated at t instead of at trades)
``trade_imbalance_10s``     likewise over 10 s
``trade_arrival_rate``      trades per second over (t − 1 s, t]
``sigma_bipower``           bipower volatility of the mid (:func:`crossbook.signals.bipower_vol`, 100 ms
                            returns over 5 s), bps per √s
``leader_return_bps``       the leader's log mid return over (t − lag, t], bps — the seed's
                            ``binance_lead_indicator`` for any leader; ``lag`` is the lead-lag estimate
``leader_spread_bps``       (leader mid / target mid − 1), bps — the seed's ``binance_hl_spread``
=========================== ==================================================================================

Book signals are read from the book rebuilt on a 100 ms grid (the value at t is the book at the last grid
time ≤ t; the grid ends at the last book message, so right at the end of the data a value can be up to
one interval staler — never later). Book signals need a ``book`` table and trade signals a ``trade``
table for the target; leader signals need a leader. What cannot be computed is listed in
:attr:`SignalCatalog.unavailable` with the reason.

Targets: :meth:`SignalCatalog.price_direction` (``PriceDirection1s``: the sign of the target mid's move
over the next second, −1 / 0 / +1) and :func:`adverse_on_next_fill` (``AdverseSelectionOnNextFill``: one
row per fill of a backtest, 1 when the fill was adversely selected).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from crossbook._core import InvalidInputError
from crossbook.data.instruments import PX_SCALE, QTY_SCALE

__all__ = ["SIGNALS", "SignalCatalog", "adverse_on_next_fill", "load_fills"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
NS_PER_MS = 1_000_000

#: every signal of the catalog, in report order
SIGNALS: tuple[str, ...] = (
    "leader_return_bps",
    "leader_spread_bps",
    "trade_imbalance_1s",
    "trade_imbalance_10s",
    "trade_arrival_rate",
    "microprice_imbalance",
    "microprice_deviation_bps",
    "book_pressure",
    "spread_bps",
    "depth_at_1bps",
    "depth_at_5bps",
    "sigma_bipower",
)


def _floats(df: pl.DataFrame, col: str, scale: int) -> F64:
    s = df[col]
    v = s.cast(pl.Float64).to_numpy().astype(np.float64)
    return v / scale if s.dtype.is_integer() else v


def _asof(t_events: I64, values: F64, t: I64) -> F64:
    """Value of the last event at or before each t (NaN before the first)."""
    i = np.searchsorted(t_events, t, side="right") - 1
    out = np.full(t.shape, np.nan)
    ok = i >= 0
    out[ok] = values[i[ok]]
    return out


@dataclass
class _Quotes:
    t: I64
    bid: F64
    ask: F64
    bid_qty: F64
    ask_qty: F64

    @classmethod
    def of(cls, bbo: pl.DataFrame) -> _Quotes:
        d = bbo.filter((pl.col("bid_px") > 0) & (pl.col("ask_px") > 0)).sort("ts_local", maintain_order=True)
        if d.height == 0:
            raise InvalidInputError("signal catalog: no two-sided quotes in the bbo table")
        return cls(
            d["ts_local"].to_numpy().astype(np.int64),
            _floats(d, "bid_px", PX_SCALE),
            _floats(d, "ask_px", PX_SCALE),
            _floats(d, "bid_qty", QTY_SCALE),
            _floats(d, "ask_qty", QTY_SCALE),
        )

    def mid(self, t: I64) -> F64:
        return (_asof(self.t, self.bid, t) + _asof(self.t, self.ask, t)) / 2


def _one(df: pl.DataFrame | None, venue: str, symbol: str) -> pl.DataFrame | None:
    if df is None or df.height == 0:
        return None
    d = df.filter((pl.col("venue") == venue) & (pl.col("symbol") == symbol))
    return d if d.height else None


def _split(inst: str) -> tuple[str, str]:
    venue, sep, symbol = inst.partition(":")
    if not sep or not venue or not symbol:
        raise InvalidInputError(f"instrument {inst!r} is not VENUE:SYMBOL")
    return venue, symbol


@dataclass
class SignalCatalog:
    """Signals of one quoted instrument (``target``, ``VENUE:SYMBOL``) and an optional ``leader``.

    Build with :meth:`from_tables`; evaluate with :meth:`at`. ``lag_ms`` is the lead-lag used by
    ``leader_return_bps`` (estimated by Hayashi–Yoshida on the same data when not given).
    """

    target: str
    leader: str | None
    lag_ms: float | None
    quotes: _Quotes
    leader_quotes: _Quotes | None = None
    book: pl.DataFrame | None = None  # ts, book_pressure, depth_at_1bps, depth_at_5bps
    trades: tuple[I64, F64, F64, I64] | None = None  # t, cum buy qty, cum sell qty, cum count
    vol: tuple[I64, F64] | None = None
    unavailable: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_tables(
        cls,
        tables: dict[str, pl.DataFrame],
        target: str,
        leader: str | None = None,
        *,
        lag_ms: float | None = None,
        book_interval_ms: int = 100,
    ) -> SignalCatalog:
        """Prepare the signals of ``target`` (and ``leader``) from normalized tables (``bbo`` required;
        ``book``, ``trade`` optional). Raises :class:`crossbook.InvalidInputError` when the target has
        no quotes."""
        v, s = _split(target)
        bbo = _one(tables.get("bbo"), v, s)
        if bbo is None:
            raise InvalidInputError(f"signal catalog: no bbo rows for {target}")
        cat = cls(target, leader, lag_ms, _Quotes.of(bbo))
        cat._with_leader(tables)
        cat._with_book(_one(tables.get("book"), v, s), book_interval_ms)
        cat._with_trades(_one(tables.get("trade"), v, s))
        cat._with_vol()
        return cat

    # ------------------------------------------------------------ preparation

    def _with_leader(self, tables: dict[str, pl.DataFrame]) -> None:
        if self.leader is None:
            for name in ("leader_return_bps", "leader_spread_bps"):
                self.unavailable[name] = "no leader instrument"
            return
        lbbo = _one(tables.get("bbo"), *_split(self.leader))
        if lbbo is None:
            for name in ("leader_return_bps", "leader_spread_bps"):
                self.unavailable[name] = f"no bbo rows for the leader {self.leader}"
            return
        self.leader_quotes = _Quotes.of(lbbo)
        if self.lag_ms is None:
            self.lag_ms = self._estimate_lag()

    def _estimate_lag(self) -> float:
        from crossbook.leadlag import hy_contrast

        lq, q = self.leader_quotes, self.quotes
        assert lq is not None
        lm = np.log((lq.bid + lq.ask) / 2)
        tm = np.log((q.bid + q.ask) / 2)
        lags_ms = np.arange(0, 1001, 5, dtype=np.int64)
        c = np.abs(hy_contrast(lq.t, lm, q.t, tm, lags_ms * NS_PER_MS))
        lag = float(lags_ms[int(np.nanargmax(c))]) if np.isfinite(c).any() else 0.0
        self.notes.append(f"leader_return_bps: lag {lag:g} ms (Hayashi–Yoshida argmax over 0–1000 ms)")
        return float(lag)

    def _with_book(self, book: pl.DataFrame | None, interval_ms: int) -> None:
        names = ("book_pressure", "depth_at_1bps", "depth_at_5bps")
        if book is None:
            for n in names:
                self.unavailable[n] = "no book table for the target"
            return
        from crossbook.book import sample_grid
        from crossbook.signals import depth_series, obi_series

        try:
            grid = sample_grid(book, interval_ms=interval_ms, levels=50, on_gap="resync")
        except Exception as e:  # noqa: BLE001 - any book failure only removes these signals
            for n in names:
                self.unavailable[n] = f"book could not be rebuilt ({type(e).__name__}: {e})"
            return
        if grid.height == 0:
            for n in names:
                self.unavailable[n] = "book never synced"
            return
        levels = grid.drop("level")
        o = obi_series(levels, key="ts")
        d = depth_series(levels, key="ts", bands_bps=(1.0, 5.0))
        self.book = o.join(d, on="ts", how="inner").select(
            "ts",
            pl.col("obi").alias("book_pressure"),
            (pl.col("bid_1bps") + pl.col("ask_1bps")).alias("depth_at_1bps"),
            (pl.col("bid_5bps") + pl.col("ask_5bps")).alias("depth_at_5bps"),
        )

    def _with_trades(self, trades: pl.DataFrame | None) -> None:
        names = ("trade_imbalance_1s", "trade_imbalance_10s", "trade_arrival_rate")
        if trades is None:
            for n in names:
                self.unavailable[n] = "no trade table for the target"
            return
        d = trades.sort("ts_local", maintain_order=True)
        t = d["ts_local"].to_numpy().astype(np.int64)
        q = _floats(d, "qty", QTY_SCALE)
        a = d["aggressor"].fill_null(0).to_numpy()
        self.trades = (
            t,
            np.cumsum(np.where(a > 0, q, 0.0)),
            np.cumsum(np.where(a < 0, q, 0.0)),
            np.arange(1, t.size + 1),
        )

    def _with_vol(self) -> None:
        from crossbook.signals import bipower_vol

        q = self.quotes
        try:
            v = bipower_vol(q.t, np.log((q.bid + q.ask) / 2), step_ms=100.0, window=50)
        except Exception as e:  # noqa: BLE001 - too little data for a volatility estimate
            self.unavailable["sigma_bipower"] = f"bipower volatility unavailable ({type(e).__name__}: {e})"
            return
        # log-return variance per second → bps per √s
        self.vol = (v.t_ns, np.sqrt(v.per_second("bv")) * 1e4)

    # ------------------------------------------------------------ evaluation

    @property
    def signals(self) -> list[str]:
        """The signals this catalog can compute, in report order."""
        return [s for s in SIGNALS if s not in self.unavailable]

    @property
    def span(self) -> tuple[int, int]:
        """First and last quote time of the target (ns)."""
        return int(self.quotes.t[0]), int(self.quotes.t[-1])

    def _window(self, t: I64, w_ns: int) -> tuple[F64, F64, F64]:
        assert self.trades is not None
        tt, buy, sell, cnt = self.trades

        def cum(x: F64 | I64, at: I64) -> F64:
            i = np.searchsorted(tt, at, side="right") - 1
            return np.where(i >= 0, x[np.maximum(i, 0)], 0.0).astype(np.float64)

        b = cum(buy, t) - cum(buy, t - w_ns)
        s = cum(sell, t) - cum(sell, t - w_ns)
        c = cum(cnt, t) - cum(cnt, t - w_ns)
        return b, s, c

    def at(self, t: npt.ArrayLike, names: list[str] | None = None) -> dict[str, F64]:
        """Each requested signal (default: all available) at times ``t`` (ns), NaN where not yet defined."""
        t = np.asarray(t, dtype=np.int64)
        want = names or self.signals
        out: dict[str, F64] = {}
        q = self.quotes
        bid, ask = _asof(q.t, q.bid, t), _asof(q.t, q.ask, t)
        bq, aq = _asof(q.t, q.bid_qty, t), _asof(q.t, q.ask_qty, t)
        mid = (bid + ask) / 2
        with np.errstate(invalid="ignore", divide="ignore"):
            if "microprice_imbalance" in want:
                out["microprice_imbalance"] = (bq - aq) / (bq + aq)
            if "microprice_deviation_bps" in want:
                wmid = (bid * aq + ask * bq) / (bq + aq)
                out["microprice_deviation_bps"] = (wmid / mid - 1) * 1e4
            if "spread_bps" in want:
                out["spread_bps"] = (ask - bid) / mid * 1e4
            if self.book is not None:
                bt = self.book["ts"].to_numpy().astype(np.int64)
                for c in ("book_pressure", "depth_at_1bps", "depth_at_5bps"):
                    if c in want:
                        out[c] = _asof(bt, self.book[c].to_numpy().astype(np.float64), t)
            if self.trades is not None:
                for name, w in (("trade_imbalance_1s", 1000), ("trade_imbalance_10s", 10_000)):
                    if name in want:
                        b, s, _ = self._window(t, w * NS_PER_MS)
                        tot = b + s
                        out[name] = np.where(tot > 0, (b - s) / np.where(tot > 0, tot, 1), 0.0)
                if "trade_arrival_rate" in want:
                    out["trade_arrival_rate"] = self._window(t, 1000 * NS_PER_MS)[2]
            if self.vol is not None and "sigma_bipower" in want:
                out["sigma_bipower"] = _asof(self.vol[0], self.vol[1], t)
            lq = self.leader_quotes
            if lq is not None:
                lmid = lq.mid(t)
                if "leader_return_bps" in want:
                    lag_ns = int(round((self.lag_ms or 0.0) * NS_PER_MS))
                    out["leader_return_bps"] = np.log(lmid / lq.mid(t - lag_ns)) * 1e4
                if "leader_spread_bps" in want:
                    out["leader_spread_bps"] = (lmid / mid - 1) * 1e4
        return {k: out[k] for k in want if k in out}

    def price_direction(self, t: npt.ArrayLike, horizon_ms: float = 1000.0) -> F64:
        """``PriceDirection1s``: sign of the target mid's move from t to t + horizon (−1, 0, +1; NaN past
        the data)."""
        t = np.asarray(t, dtype=np.int64)
        h = int(round(horizon_ms * NS_PER_MS))
        now, later = self.quotes.mid(t), self.quotes.mid(t + h)
        d = np.sign(later - now)
        d[t + h > self.quotes.t[-1]] = np.nan
        return d

    def grid(self, step_ms: float = 100.0, warmup_s: float = 10.0, horizon_ms: float = 1000.0) -> I64:
        """Decision times every ``step_ms`` from ``warmup_s`` after the first quote (so windows are full)
        to ``horizon_ms`` before the last."""
        t0, t1 = self.span
        start = t0 + int(warmup_s * 1e9)
        stop = t1 - int(horizon_ms * NS_PER_MS)
        step = int(round(step_ms * NS_PER_MS))
        if stop <= start:
            raise InvalidInputError(
                f"signal catalog: {(t1 - t0) / 1e9:.1f} s of quotes for {self.target}, "
                f"need more than {warmup_s + horizon_ms / 1000:g} s"
            )
        return np.arange(start, stop, step, dtype=np.int64)

    def describe(self) -> dict[str, Any]:
        return {"target": self.target, "leader": self.leader, "lag_ms": self.lag_ms, "unavailable": self.unavailable}


# ---------------------------------------------------------------- fills target


_FILL_TIME = (("timestamp_ns", 1), ("fill_timestamp_ns", 1), ("ts_local", 1), ("timestamp_us", 1000), ("ts", 1))


def load_fills(run: str | Path) -> pl.DataFrame | None:
    """``RUN/fills.parquet`` if it exists."""
    path = Path(run) / "fills.parquet"
    return pl.read_parquet(path) if path.is_file() else None


def adverse_on_next_fill(fills: pl.DataFrame) -> tuple[I64, F64] | str:
    """``AdverseSelectionOnNextFill`` rows: (fill times ns, 1.0 if adversely selected else 0.0), or the
    reason it cannot be built. The outcome is the fill's ``adverse_selection`` (seed ``EnrichedFill``) or
    ``adverse`` flag, else ``pnl_1s < 0``; the time is ``timestamp_ns`` / ``fill_timestamp_ns`` /
    ``ts_local`` / ``timestamp_us`` (× 1000) / ``ts``."""
    tcol = next(((c, m) for c, m in _FILL_TIME if c in fills.columns), None)
    if tcol is None:
        return f"fills have no time column (one of {[c for c, _ in _FILL_TIME]})"
    col = next((c for c in ("adverse_selection", "adverse") if c in fills.columns), None)
    if col is not None and fills.schema[col] == pl.Boolean:
        y = fills[col].cast(pl.Float64)
    elif col is not None and fills.schema[col].is_numeric():
        y = (fills[col].cast(pl.Float64) != 0).cast(pl.Float64)
    elif "pnl_1s" in fills.columns:
        y = (fills["pnl_1s"].cast(pl.Float64) < 0).cast(pl.Float64)
    else:
        return "fills have no adverse_selection / adverse flag and no pnl_1s"
    d = pl.DataFrame({"t": fills[tcol[0]].cast(pl.Int64) * tcol[1], "y": y}).drop_nulls().sort("t")
    if d.height == 0:
        return "no fill has both a time and an outcome"
    return d["t"].to_numpy().astype(np.int64), d["y"].to_numpy().astype(np.float64)

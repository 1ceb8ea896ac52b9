"""Exchange simulator for our own orders on the quoted venue: the backtester's fill engine.

The venue replays one market (book level updates and trades, each with ``ts_exchange`` and
``ts_local``) and holds our limit orders. Everything runs in the Rust core
(``crossbook_core::exchange``); this module makes it convenient from Python: sides as ``"buy"`` /
``"sell"`` or ±1, prices and sizes as floats in instrument units, records as polars frames.

**Clocks.** The venue matches on the exchange clock; we decide on the local clock. An order or cancel
sent at local ``t`` reaches the venue at ``t + entry latency``; anything the venue does at exchange
time ``e`` (ack, fill, cancel, rejection, funding) reaches us at ``e + response latency`` (the record's
``ts_local``). Feed latency is ``ts_local − ts_exchange`` of the market events. Latency models follow
hftbacktest's (https://hftbacktest.readthedocs.io/en/latest/latency_models.html): ``"constant"``,
``"interpolated"`` (recorded ``(ts, entry, response)`` rows, linear in time, clamped at the ends) and
``"feed"`` (``mul · feed latency + offset``, hftbacktest's ``BackwardFeedLatency``).

**Driving it.** Feed market events in ``ts_exchange`` order; before the strategy acts at local time
``L`` feed every event with ``ts_exchange ≤ L``, then :meth:`ExchangeSim.submit` / :meth:`cancel` at
``L``; call :meth:`advance_to` to let requests land without a market event. A market event stamped at
the same ns as a request's arrival is applied first.

**Queue position** (``queue=``): our order joins behind the visible size at its price; trades at our
price eat the size ahead first, then fill us (partial fills); a trade through our price or the book
crossing it fills the rest at our price as a maker. Level decreases without trades are attributed by
the model: ``"risk_averse"`` (never ahead of us), ``"power"`` / ``"log"`` (hftbacktest's
``ProbQueueModel``: a fraction ``f(front)/(f(front)+f(back))`` of the decrease comes from ahead, with
``f(x) = x**power_n`` or ``log(1 + x)``; ``"power2"`` / ``"power3"`` / ``"log2"`` are its
``PowerProbQueueFunc2`` / ``PowerProbQueueFunc3`` / ``LogProbQueueFunc2``), ``"inferred"`` (ours: size
that joined behind us within ``recent_ns`` is canceled first, the rest split in proportion to the sizes
ahead and behind; see ``crossbook_core::exchange::queue`` for the exact rules).

**Other rules.** Post-only orders that would cross on arrival are rejected and counted; a crossing
non-post-only order takes the visible levels up to its limit (taker fee) and drops the rest. Fees are
bps of notional (negative = rebate), linear contracts only (COIN-M inverse contracts are charged as
linear). Funding: at each settlement time (``funding_interval_ns``, e.g. 8 h from 00:00 UTC, or
``funding_times``) the position held before it pays ``position × mark × rate`` (received when the
sign is favourable). Bad input (zero / negative size, non-positive or NaN price, unknown order id,
time going backwards) raises :class:`crossbook.InvalidInputError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from crossbook import _core
from crossbook.data.instruments import PX_SCALE, QTY_SCALE

#: Funding interval of Binance perpetuals: 8 h, settling at 00:00, 08:00, 16:00 UTC.
EIGHT_HOURS_NS = 8 * 3600 * 1_000_000_000

_SIDES = {"buy": 1, "sell": -1, "bid": 1, "ask": -1, 1: 1, -1: -1}


def _side(side: str | int) -> int:
    key = side.lower() if isinstance(side, str) else side
    if key not in _SIDES:
        raise _core.InvalidInputError(f"side must be 'buy'/'sell' or +1/-1, got {side!r}")
    return _SIDES[key]


def _aggressor(side: str | int) -> int:
    return 0 if side in (0, "unknown") else _side(side)


class ExchangeSim:
    """A simulated venue holding our orders (see the module docs for the rules).

    Args:
        queue: ``"risk_averse"`` | ``"power"`` | ``"power2"`` | ``"power3"`` | ``"log"`` | ``"log2"`` | ``"inferred"``.
        power_n: exponent of the power model (2 = hftbacktest's ``SquareProbQueueModel``).
        recent_ns: ``"inferred"`` model window, ns (default 1 s).
        latency: ``"constant"`` | ``"interpolated"`` | ``"feed"``.
        entry_ns, response_ns: constant latencies, or the offsets of the feed model, ns.
        latency_ts, latency_entry, latency_response: the recorded series of the interpolated model, ns.
        feed_entry_mul, feed_response_mul: multipliers of the feed model.
        maker_fee_bps, taker_fee_bps: fees in bps of notional; negative = rebate.
        funding_interval_ns, funding_offset_ns: settle every interval from the offset (ns UTC).
        funding_times: explicit settlement times, ns UTC (instead of an interval).
    """

    def __init__(
        self,
        *,
        queue: str = "risk_averse",
        power_n: float = 2.0,
        recent_ns: int = 1_000_000_000,
        latency: str = "constant",
        entry_ns: int = 0,
        response_ns: int = 0,
        latency_ts: Sequence[int] | None = None,
        latency_entry: Sequence[int] | None = None,
        latency_response: Sequence[int] | None = None,
        feed_entry_mul: float = 1.0,
        feed_response_mul: float = 1.0,
        maker_fee_bps: float = 0.0,
        taker_fee_bps: float = 0.0,
        funding_interval_ns: int | None = None,
        funding_offset_ns: int = 0,
        funding_times: Sequence[int] | None = None,
    ) -> None:
        self._sim = _core.ExchangeSim(
            queue=queue,
            power_n=power_n,
            recent_ns=recent_ns,
            latency=latency,
            entry_ns=entry_ns,
            response_ns=response_ns,
            latency_ts=None if latency_ts is None else [int(x) for x in latency_ts],
            latency_entry=None if latency_entry is None else [int(x) for x in latency_entry],
            latency_response=None if latency_response is None else [int(x) for x in latency_response],
            feed_entry_mul=feed_entry_mul,
            feed_response_mul=feed_response_mul,
            maker_fee_bps=maker_fee_bps,
            taker_fee_bps=taker_fee_bps,
            funding_interval_ns=funding_interval_ns,
            funding_offset_ns=funding_offset_ns,
            funding_times=None if funding_times is None else [int(x) for x in funding_times],
        )

    # market events (exchange clock)
    def book(self, ts_exchange: int, side: str | int, px: float, qty: float, ts_local: int | None = None) -> None:
        """Book level ``side`` now holds ``qty`` at ``px`` (0 deletes); ``ts_local`` defaults to ``ts_exchange``."""
        t_loc = ts_exchange if ts_local is None else ts_local
        self._sim.on_book_level(ts_exchange, t_loc, _side(side), px, qty)

    def clear(self, ts_exchange: int, side: str | int = 0, ts_local: int | None = None) -> None:
        """Empty one side (or both, ``side=0``) of the replayed book before a snapshot."""
        t_loc = ts_exchange if ts_local is None else ts_local
        self._sim.on_book_clear(ts_exchange, t_loc, 0 if side == 0 else _side(side))

    def trade(self, ts_exchange: int, px: float, qty: float, aggressor: str | int, ts_local: int | None = None) -> None:
        """A trade print; ``aggressor`` is the taker's side (``"buy"`` lifts asks, ``"sell"`` hits bids, 0 unknown)."""
        t_loc = ts_exchange if ts_local is None else ts_local
        self._sim.on_trade(ts_exchange, t_loc, px, qty, _aggressor(aggressor))

    def ticker(
        self,
        ts_exchange: int,
        mark_px: float | None = None,
        funding_rate: float | None = None,
        ts_local: int | None = None,
    ) -> None:
        """Mark price and funding rate (fraction per interval) for the next settlement."""
        t_loc = ts_exchange if ts_local is None else ts_local
        self._sim.on_ticker(ts_exchange, t_loc, mark_px, funding_rate)

    def feed(self, events: pl.DataFrame) -> None:
        """Feed a table of market events (from :func:`market_events`) in row order, in one call into the core."""
        cols = {
            "kind": np.int8,
            "ts_exchange": np.int64,
            "ts_local": np.int64,
            "side": np.int8,
            "px": np.int64,
            "qty": np.int64,
        }
        arrays = [np.ascontiguousarray(events[c].to_numpy(), dtype=t) for c, t in cols.items()]
        self._sim.feed(*arrays)

    def advance_to(self, ts_exchange: int) -> None:
        """Let requests arriving at or before ``ts_exchange`` land (and funding due by then settle)."""
        self._sim.advance_to(ts_exchange)

    # our requests (local clock)
    def submit(
        self, ts_local: int, side: str | int, px: float, qty: float, *, post_only: bool = True, client_id: int = 0
    ) -> int:
        """Send a limit order at local time ``ts_local``; returns its order id."""
        return self._sim.submit(ts_local, _side(side), px, qty, post_only, client_id)

    def cancel(self, ts_local: int, order_id: int) -> None:
        """Send a cancel at local time ``ts_local``."""
        self._sim.cancel(ts_local, order_id)

    def poll(self, ts_local: int) -> list[tuple[int, str, int]]:
        """Records reaching us by ``ts_local`` not polled before: ``(ts_local, "order"|"fill"|"funding", row)``."""
        return self._sim.poll(ts_local)

    # records
    def fills(self) -> pl.DataFrame:
        """Our fills: times, order, side, ``px``/``qty``/``queue_ahead``/``leaves`` in instrument units,
        ``fee`` (quote, + paid), ``maker``, ``kind`` (queue / trade_through / book_cross / taker)."""
        d = self._sim.fills()
        return _frame(d, px=("px",), qty=("qty", "queue_ahead", "leaves"))

    def order_events(self) -> pl.DataFrame:
        """Order state transitions (submitted, accepted, rejected, partially_filled, filled,
        cancel_requested, canceled, cancel_rejected, expired) with ``reason``."""
        return _frame(self._sim.order_events(), px=("px",), qty=("qty", "leaves"))

    def funding_payments(self) -> pl.DataFrame:
        """Funding settlements: ``position``, ``mark_px`` (instrument units), ``rate``, ``payment`` (+ received)."""
        return _frame(self._sim.funding_payments(), px=("mark_px",), qty=("position",))

    def counters(self) -> dict[str, int]:
        """Counted non-error events (post-only rejects, cancel rejects, ...)."""
        return self._sim.counters()

    # state
    def queue_ahead(self, order_id: int) -> float | None:
        """Estimated visible size ahead of a resting order; None unless it rests."""
        return self._sim.queue_ahead(order_id)

    def leaves(self, order_id: int) -> float | None:
        """Open size of a live order."""
        return self._sim.leaves(order_id)

    def order_status(self, order_id: int) -> str | None:
        """``"in_flight"`` | ``"open"`` | ``"done"``."""
        return self._sim.order_status(order_id)

    def open_orders(self) -> list[int]:
        return self._sim.open_orders()

    def best_bid(self) -> tuple[float, float] | None:
        return self._sim.best_bid()

    def best_ask(self) -> tuple[float, float] | None:
        return self._sim.best_ask()

    @property
    def position(self) -> float:
        return self._sim.position

    @property
    def cash(self) -> float:
        """Sell notional − buy notional − fees + funding, quote currency."""
        return self._sim.cash

    @property
    def fees_paid(self) -> float:
        return self._sim.fees_paid

    @property
    def funding_received(self) -> float:
        return self._sim.funding_received

    @property
    def clock(self) -> int | None:
        return self._sim.clock

    @property
    def feed_latency_ns(self) -> int:
        return self._sim.feed_latency_ns

    def __repr__(self) -> str:
        return repr(self._sim)


def market_events(book: pl.DataFrame | None = None, trade: pl.DataFrame | None = None) -> pl.DataFrame:
    """Merge the ``book`` and ``trade`` tables (data model, one venue and symbol, prices and sizes scaled
    int64) into the event table :meth:`ExchangeSim.feed` takes: ``kind`` (0 book level, 1 trade, 2 clear),
    ``ts_exchange``, ``ts_local``, ``side`` (book side, or trade aggressor), ``px``, ``qty``.

    Sorted by ``ts_exchange``; at equal times trades go before book rows (a depth update reflects the
    trades before it), then input order. Each run of snapshot rows (``is_snapshot``, one ``ts_local`` and
    ``seq_last``) is preceded by a clear of both sides. The book must already be in sync (sequence gaps
    are the book module's business, not the simulator's).
    """
    cols = ["kind", "ts_exchange", "ts_local", "side", "px", "qty", "_prio", "_row"]
    parts: list[pl.DataFrame] = []
    if book is not None and book.height:
        b = book.with_row_index("_r").with_columns((pl.col("_r").cast(pl.Int64) * 2).alias("_row"))
        snap = pl.col("is_snapshot") if "is_snapshot" in b.columns else pl.lit(False)
        key_changed = (pl.col("ts_local") != pl.col("ts_local").shift(1)) | (
            pl.col("seq_last") != pl.col("seq_last").shift(1) if "seq_last" in b.columns else pl.lit(False)
        )
        start = snap & (~snap.shift(1).fill_null(False) | key_changed.fill_null(True))
        b = b.with_columns(_start=start)
        rows = b.select(
            kind=pl.lit(0, pl.Int8),
            ts_exchange="ts_exchange",
            ts_local="ts_local",
            side=pl.col("side").cast(pl.Int8),
            px="px",
            qty="qty",
            _prio=pl.lit(1, pl.Int8),
            _row="_row",
        )
        clears = b.filter(pl.col("_start")).select(
            kind=pl.lit(2, pl.Int8),
            ts_exchange="ts_exchange",
            ts_local="ts_local",
            side=pl.lit(0, pl.Int8),
            px=pl.lit(0, pl.Int64),
            qty=pl.lit(0, pl.Int64),
            _prio=pl.lit(1, pl.Int8),
            _row=pl.col("_row") - 1,
        )
        parts += [rows, clears]
    if trade is not None and trade.height:
        t = trade.with_row_index("_r")
        parts.append(
            t.select(
                kind=pl.lit(1, pl.Int8),
                ts_exchange="ts_exchange",
                ts_local="ts_local",
                side=pl.col("aggressor").cast(pl.Int8),
                px="px",
                qty="qty",
                _prio=pl.lit(0, pl.Int8),
                _row=pl.col("_r").cast(pl.Int64) * 2,
            )
        )
    if not parts:
        return pl.DataFrame(schema=dict.fromkeys(cols[:6], pl.Int64)).with_columns(pl.col("kind", "side").cast(pl.Int8))
    ev = pl.concat([p.select(cols) for p in parts], how="vertical_relaxed")
    return ev.sort(["ts_exchange", "_prio", "_row"], maintain_order=True).drop("_prio", "_row")


def _frame(d: dict[str, Any], *, px: Sequence[str], qty: Sequence[str]) -> pl.DataFrame:
    df = pl.DataFrame(
        [pl.Series(k, v, dtype=pl.String) if isinstance(v, list) else pl.Series(k, v) for k, v in d.items()]
    )
    return df.with_columns(
        *[(pl.col(c).cast(pl.Float64) / PX_SCALE).alias(c) for c in px],
        *[(pl.col(c).cast(pl.Float64) / QTY_SCALE).alias(c) for c in qty],
    )


__all__ = ["EIGHT_HOURS_NS", "ExchangeSim", "market_events"]

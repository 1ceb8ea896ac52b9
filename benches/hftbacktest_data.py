"""Our normalized tables → hftbacktest 2.x feed events (the peer's input for bench_backtest.py).

hftbacktest (https://hftbacktest.readthedocs.io, PyPI 2.4.4) replays a numpy structured array of
``event_dtype`` rows (64 bytes, ``align=True``): ``ev`` (u8 flags), ``exch_ts`` / ``local_ts`` (i8 ns),
``px`` / ``qty`` (f8), ``order_id`` (u8), ``ival`` (i8), ``fval`` (f8). ``ev`` = an event kind in the
low bits (``DEPTH_EVENT`` 1, ``TRADE_EVENT`` 2, ``DEPTH_CLEAR_EVENT`` 3, ``DEPTH_SNAPSHOT_EVENT`` 4) |
a side (``BUY_EVENT`` 1<<29 = bid side / buyer-initiated trade, ``SELL_EVENT`` 1<<28) | who processes it
(``EXCH_EVENT`` 1<<31 at ``exch_ts`` by the exchange model, ``LOCAL_EVENT`` 1<<30 at ``local_ts`` by the
strategy side). The constants are restated here so the conversion runs without hftbacktest installed
(it pins numpy < 2.3, so it lives in its own venv, see ``make bench-peers``); the tests check them
against the installed package.

What one book of one ``(venue, symbol)`` becomes (see :func:`to_events`):

- the book is synced with the rules of :mod:`crossbook.book` so both backtesters see the same book:
  a snapshot message replaces the book (one ``DEPTH_CLEAR_EVENT`` without a side = clear both sides,
  then one ``DEPTH_SNAPSHOT_EVENT`` per level); diffs received before the first snapshot are buffered
  and replayed right after it at the snapshot's ``ts_local`` unless stale (``u < L`` with ``pu``,
  ``u <= L`` for spot, all of them for venues without ids), later diffs at or below the last applied
  id are dropped; each remaining level row is one ``DEPTH_EVENT`` (qty 0 deletes the level);
- sequence-only rows (``side == 0``: a depth update with no levels) carry no level: no event;
- each trade is one ``TRADE_EVENT`` with ``BUY_EVENT`` for aggressor +1, ``SELL_EVENT`` for -1, no
  side flag for an unknown aggressor;
- prices and sizes: scaled int64 / 1e8 → float64 (exact to the nearest double; ``round(x * 1e8)``
  gives the int back); timestamps stay int64 ns;
- feed latency: hftbacktest needs ``local_ts >= exch_ts``; recorders whose clock lags the venue (the
  shared Binance captures: local ≈ exchange − 1.27 s) get every ``ts_local`` shifted by
  :func:`local_shift_ns` (the same shift must be applied to our tables with :func:`shift_local`
  before running our backtester, so both see the same feed latency);
- order: rows are sorted by ``ts_local`` (stable; book rows before trades at equal ``ts_local``). A
  row whose ``exch_ts`` is below an earlier row's (exchange and local order disagree) is split as
  hftbacktest's ``correct_event_order`` does: a ``LOCAL_EVENT`` copy at its local position and an
  ``EXCH_EVENT`` copy placed where the exchange order wants it; every other row carries both flags.
  So every source row is processed exactly once by each side, EXCH rows have non-decreasing
  ``exch_ts`` and LOCAL rows non-decreasing ``local_ts`` (what ``validate_event_order`` checks).

Compared with hftbacktest's own ``hftbacktest.data.utils.binancefutures.convert`` of the raw capture:
it stamps depth updates with ``T`` where our reader keeps ``E`` (≈ 1 ms later), so its latency shift
is ≈ 0.27 ms smaller on the USDT-M capture; it clears only the snapshot's price range (one
``DEPTH_CLEAR_EVENT`` per side up to the deepest snapshot level) and applies pre-snapshot diffs as they
come (259 level rows of 4 stale messages that we drop); it places split copies differently (the
array layout differs, what each processor sees in order does not). Replayed by hftbacktest, the two
conversions of the capture give the same top of book at 342 of 343 one-second probes (the other one
falls between two messages because of the 0.27 ms shift difference).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from crossbook.data.instruments import PX_SCALE, QTY_SCALE, instrument

#: hftbacktest.types.event_dtype (2.x): 64-byte aligned records.
EVENT_DTYPE = np.dtype(
    [
        ("ev", "u8"),
        ("exch_ts", "i8"),
        ("local_ts", "i8"),
        ("px", "f8"),
        ("qty", "f8"),
        ("order_id", "u8"),
        ("ival", "i8"),
        ("fval", "f8"),
    ],
    align=True,
)

DEPTH_EVENT = 1
TRADE_EVENT = 2
DEPTH_CLEAR_EVENT = 3
DEPTH_SNAPSHOT_EVENT = 4
EXCH_EVENT = 1 << 31
LOCAL_EVENT = 1 << 30
BUY_EVENT = 1 << 29
SELL_EVENT = 1 << 28

_SIDE_FLAG = {1: BUY_EVENT, -1: SELL_EVENT, 0: 0}


@dataclass
class Converted:
    """The events of one book plus what the conversion did (counts are source rows, not array rows)."""

    events: np.ndarray
    venue: str
    symbol: str
    tick: float
    lot: float
    local_shift_ns: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Source rows converted: each is processed once by the exchange side and once locally."""
        return self.counts["depth"] + self.counts["snapshot"] + self.counts["clear"] + self.counts["trade"]


def local_shift_ns(tables: dict[str, pl.DataFrame], venue: str, symbol: str, base_latency_ns: int = 0) -> int:
    """The ns to add to every ``ts_local`` so that the smallest feed latency (``ts_local − ts_exchange``
    over the book and trade rows of this instrument) becomes at least ``base_latency_ns``; 0 if it
    already is. (hftbacktest's ``correct_local_timestamp`` does the same for negative latencies.)"""
    lows = []
    for t in ("book", "trade"):
        df = _one(tables[t], venue, symbol)
        if df.height:
            lows.append(int(df.select((pl.col("ts_local") - pl.col("ts_exchange")).min()).item()))
    if not lows:
        return 0
    return max(0, base_latency_ns - min(lows))


def shift_local(tables: dict[str, pl.DataFrame], shift_ns: int) -> dict[str, pl.DataFrame]:
    """A copy of ``tables`` (same class, same ``sources``) with ``shift_ns`` added to every ``ts_local``."""
    out = tables.__class__()
    for name, df in tables.items():
        out[name] = df.with_columns(pl.col("ts_local") + shift_ns) if shift_ns and "ts_local" in df.columns else df
    for attr in ("skipped", "sources"):
        if hasattr(tables, attr):
            setattr(out, attr, getattr(tables, attr))
    return out


def _one(df: pl.DataFrame, venue: str, symbol: str) -> pl.DataFrame:
    return df.filter((pl.col("venue") == venue) & (pl.col("symbol") == symbol))


def _sync_book(book: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """Which book rows to replay, at which ``ts_local``, and whether each starts a snapshot.

    Returns ``(row_index, ts_local, snapshot_start)`` in replay order plus counts. Messages are runs
    of rows with equal ``(ts_local, is_snapshot, seq_first, seq_last)``, as in :mod:`crossbook.book`.
    """
    n = book.height
    counts = {"messages": 0, "stale_dropped": 0, "presync_dropped": 0, "replayed_from_buffer": 0}
    if n == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, bool), counts
    key = book.select(
        pl.col("ts_local"),
        pl.col("is_snapshot").fill_null(False),
        pl.col("seq_first").fill_null(-1),
        pl.col("seq_last").fill_null(-1),
    )
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for c in key.columns:
        a = key[c].to_numpy()
        change[1:] |= a[1:] != a[:-1]
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], n)
    counts["messages"] = int(starts.size)
    snap = key["is_snapshot"].to_numpy()[starts]
    last = key["seq_last"].to_numpy()[starts]  # -1 when the venue has no ids
    has_ids = bool(book["seq_last"].null_count() < n)
    pu_rule = bool(book["seq_prev"].null_count() < n)
    ts_local = key["ts_local"].to_numpy()

    rows: list[np.ndarray] = []
    ts: list[np.ndarray] = []
    first: list[np.ndarray] = []
    synced = False
    last_applied: int | None = None
    buffered: list[int] = []

    def emit(m: int, at: int, is_snap: bool) -> None:
        idx = np.arange(starts[m], ends[m])
        rows.append(idx)
        ts.append(np.full(idx.size, at, dtype=np.int64))
        f = np.zeros(idx.size, dtype=bool)
        f[0] = is_snap
        first.append(f)

    def stale(u: int, ref: int) -> bool:
        return u < ref if pu_rule else u <= ref

    for m in range(starts.size):
        if snap[m]:
            at = int(ts_local[starts[m]])
            emit(m, at, True)
            last_applied = int(last[m]) if has_ids else None
            for b in buffered:
                if last_applied is None or stale(int(last[b]), last_applied):
                    counts["presync_dropped"] += 1
                    continue
                emit(b, at, False)
                counts["replayed_from_buffer"] += 1
                last_applied = int(last[b])
            buffered = []
            synced = True
        elif not synced:
            buffered.append(m)
        elif last_applied is not None and stale(int(last[m]), last_applied):
            counts["stale_dropped"] += 1
        else:
            emit(m, int(ts_local[starts[m]]), False)
            if has_ids:
                last_applied = int(last[m])
    counts["presync_dropped"] += len(buffered)  # never bridged by a snapshot
    if not rows:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, bool), counts
    return np.concatenate(rows), np.concatenate(ts), np.concatenate(first), counts


def order_flags(exch_ts: np.ndarray, local_ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Layout of rows already sorted by ``local_ts``: ``(source_row, who)`` per output event.

    ``who`` is ``EXCH_EVENT | LOCAL_EVENT`` for a row whose ``exch_ts`` is at least every earlier
    row's, else the row is split into a ``LOCAL_EVENT`` copy in place and an ``EXCH_EVENT`` copy just
    before the first combined row with a larger ``exch_ts``.
    """
    n = exch_ts.size
    if n and np.any(np.diff(local_ts) < 0):
        raise ValueError("rows must be sorted by local_ts")
    running = np.maximum.accumulate(exch_ts) if n else exch_ts
    combined = exch_ts == running
    comb_pos = np.flatnonzero(combined)
    late = np.flatnonzero(~combined)
    # placement keys: (position, rank, exch_ts, row); combined/local rows sit at their own position
    pos = np.arange(n, dtype=np.int64)
    rank = np.ones(n, dtype=np.int64)
    who = np.where(combined, EXCH_EVENT | LOCAL_EVENT, LOCAL_EVENT).astype(np.uint64)
    k = np.searchsorted(exch_ts[comb_pos], exch_ts[late], side="right")
    late_pos = comb_pos[k]  # exists: a late row has an earlier combined row with a larger exch_ts
    all_pos = np.concatenate([pos, late_pos])
    all_rank = np.concatenate([rank, np.zeros(late.size, dtype=np.int64)])
    all_exch = np.concatenate([np.zeros(n, dtype=np.int64), exch_ts[late]])
    all_row = np.concatenate([pos, late])
    all_who = np.concatenate([who, np.full(late.size, EXCH_EVENT, dtype=np.uint64)])
    order = np.lexsort((all_row, all_exch, all_rank, all_pos))
    return all_row[order], all_who[order]


def to_events(
    tables: dict[str, pl.DataFrame],
    venue: str,
    symbol: str,
    *,
    base_latency_ns: int = 0,
    shift_ns: int | None = None,
) -> Converted:
    """Convert the book and trades of ``(venue, symbol)`` (see the module doc for every rule).

    ``shift_ns`` overrides the ``ts_local`` shift (default :func:`local_shift_ns` with
    ``base_latency_ns``).
    """
    shift = local_shift_ns(tables, venue, symbol, base_latency_ns) if shift_ns is None else int(shift_ns)
    book = _one(tables["book"], venue, symbol)
    trade = _one(tables["trade"], venue, symbol)
    rows, ts_loc, snap_start, counts = _sync_book(book)

    side = book["side"].to_numpy()[rows].astype(np.int64)
    level = side != 0
    counts["seq_only_skipped"] = int((~level).sum())
    is_snap = book["is_snapshot"].fill_null(False).to_numpy()[rows]
    n_clear = int(snap_start.sum())
    # book part: one clear per snapshot message (before its levels), then the level rows
    clear_at = np.flatnonzero(snap_start)
    b_exch = book["ts_exchange"].to_numpy()[rows]
    b_px = book["px"].to_numpy()[rows]
    b_qty = book["qty"].to_numpy()[rows]
    kind = np.where(is_snap, DEPTH_SNAPSHOT_EVENT, DEPTH_EVENT).astype(np.uint64)
    side_flag = np.select([side == 1, side == -1], [BUY_EVENT, SELL_EVENT], 0).astype(np.uint64)

    lv = np.flatnonzero(level)
    # order key within the book part: clear of message m sorts just before the message's first row
    bk_order = np.concatenate([clear_at * 2, lv * 2 + 1])
    bk_ev = np.concatenate([np.full(n_clear, DEPTH_CLEAR_EVENT, np.uint64), kind[lv] | side_flag[lv]])
    bk_exch = np.concatenate([b_exch[clear_at], b_exch[lv]])
    bk_local = np.concatenate([ts_loc[clear_at], ts_loc[lv]])
    bk_px = np.concatenate([np.zeros(n_clear), b_px[lv] / PX_SCALE])
    bk_qty = np.concatenate([np.zeros(n_clear), b_qty[lv] / QTY_SCALE])
    o = np.argsort(bk_order, kind="stable")
    bk_ev, bk_exch, bk_local, bk_px, bk_qty = bk_ev[o], bk_exch[o], bk_local[o], bk_px[o], bk_qty[o]

    agg = trade["aggressor"].fill_null(0).to_numpy().astype(np.int64)
    tr_ev = TRADE_EVENT | np.select([agg == 1, agg == -1], [BUY_EVENT, SELL_EVENT], 0).astype(np.uint64)

    ev = np.concatenate([bk_ev, tr_ev.astype(np.uint64)])
    exch = np.concatenate([bk_exch, trade["ts_exchange"].to_numpy()]).astype(np.int64)
    local = np.concatenate([bk_local, trade["ts_local"].to_numpy()]).astype(np.int64) + shift
    px = np.concatenate([bk_px, trade["px"].to_numpy() / PX_SCALE])
    qty = np.concatenate([bk_qty, trade["qty"].to_numpy() / QTY_SCALE])
    src = np.concatenate([np.zeros(bk_ev.size, np.int8), np.ones(trade.height, np.int8)])
    # by ts_local, book before trade on ties, input order otherwise
    o = np.lexsort((np.arange(ev.size), src, local))
    ev, exch, local, px, qty = ev[o], exch[o], local[o], px[o], qty[o]

    row, who = order_flags(exch, local)
    out = np.zeros(row.size, dtype=EVENT_DTYPE)
    out["ev"] = ev[row] | who
    out["exch_ts"] = exch[row]
    out["local_ts"] = local[row]
    out["px"] = px[row]
    out["qty"] = qty[row]

    counts.update(
        {
            "depth": int((kind[lv] == DEPTH_EVENT).sum()),
            "snapshot": int((kind[lv] == DEPTH_SNAPSHOT_EVENT).sum()),
            "clear": n_clear,
            "trade": int(trade.height),
            "split": int(row.size - ev.size),
            "array_rows": int(row.size),
        }
    )
    inst = instrument(venue, symbol)
    return Converted(out, venue, symbol, inst.tick, inst.lot, shift, counts)


def save_npz(path: str | Path, events: np.ndarray) -> Path:
    """Write ``events`` as hftbacktest loads them (``np.load(path)['data']``; ``BacktestAsset.data(path)``)."""
    p = Path(path)
    np.savez(p, data=events)
    return p

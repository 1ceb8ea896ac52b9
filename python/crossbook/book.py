"""L2 order books rebuilt from a ``book`` table (DESIGN.md § Data model), in Rust.

A *message* is a maximal run of consecutive rows of one ``(venue, symbol)`` with equal
``(ts_local, is_snapshot, seq_first, seq_last)``; rows with ``side == 0`` carry no level but keep
the update-id chain. The sequence rule comes from the data, never from the venue name:

- ``seq_prev`` present (Binance USDT-M / COIN-M ``pu``): after a snapshot with ``lastUpdateId`` L,
  updates with ``u < L`` are dropped; the first applied needs ``U <= L <= u`` (or ``pu == L``, an
  exact chain); each later one ``pu ==`` the previous ``u``.
- ids present but no ``seq_prev`` (Binance spot): drop ``u <= L``; the first applied needs
  ``U <= L + 1 <= u``; each later one ``U ==`` previous ``u + 1``.
- no ids (Hyperliquid snapshots, Tardis ``incremental_book_L2``): each snapshot message replaces
  the book; updates before the first snapshot are dropped.

Updates received while not synced are buffered and replayed when a snapshot arrives (real Binance
captures write the REST snapshot a few lines in, after the updates that bridge it); replayed
updates take the snapshot's ``ts_local``. Updates at or below the last applied id are dropped as
stale. ``on_gap="raise"`` raises :class:`crossbook.SequenceGapError` on a broken chain (the
message names the symbol, the book-table row where the message starts, the rule, and the ids);
``on_gap="resync"`` counts the gap and resumes at the next snapshot (see :func:`book_stats`).

Prices and sizes stay the tables' scaled integers (``value * 10**8``); decode them with
``crossbook.data.instruments`` at the analysis edge.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import polars as pl

from crossbook import _core
from crossbook._core import OrderBook
from crossbook.data.schema import SCHEMAS

OnGap = Literal["raise", "resync"]

MISSING_I64 = int(np.iinfo(np.int64).min)
_KEYS = ["venue", "symbol"]
_NULLABLE = ("seq_first", "seq_last", "seq_prev")

TOP_OF_BOOK_SCHEMA: dict[str, pl.DataType] = dict(SCHEMAS["bbo"])
GRID_SCHEMA: dict[str, pl.DataType] = {
    "venue": pl.String(),
    "symbol": pl.String(),
    "ts": pl.Int64(),
    "side": pl.Int8(),
    "level": pl.Int32(),
    "px": pl.Int64(),
    "qty": pl.Int64(),
}
STATS_SCHEMA: dict[str, pl.DataType] = {
    "venue": pl.String(),
    "symbol": pl.String(),
    "rule": pl.String(),
    "messages": pl.Int64(),
    "applied": pl.Int64(),
    "snapshots": pl.Int64(),
    "dropped": pl.Int64(),
    "gaps": pl.Int64(),
    "crossed": pl.Int64(),
    "level_rows": pl.Int64(),
}


def _groups(df: pl.DataFrame) -> tuple[np.ndarray, pl.DataFrame]:
    """Dense group id per row, numbered by first appearance of ``(venue, symbol)``.

    Rows of one book come in long runs (a capture holds one or a few books), so keys are looked
    up once per run, not per row.
    """
    change = df.select(
        ((pl.col("venue") != pl.col("venue").shift(1)) | (pl.col("symbol") != pl.col("symbol").shift(1)))
        .fill_null(True)
        .alias("c")
    )["c"]
    starts = change.arg_true().to_numpy()
    run_keys = df.select(_KEYS)[pl.Series(starts)].rows()
    ids: dict[tuple[str, str], int] = {}
    run_ids = np.fromiter((ids.setdefault(k, len(ids)) for k in run_keys), dtype=np.uint32, count=len(run_keys))
    lengths = np.diff(np.append(starts, df.height))
    group = np.repeat(run_ids, lengths)
    keys = pl.DataFrame(
        {"group": list(ids.values()), "venue": [k[0] for k in ids], "symbol": [k[1] for k in ids]},
        schema={"group": pl.UInt32, "venue": pl.String, "symbol": pl.String},
    )
    return np.ascontiguousarray(group, dtype=np.uint32), keys


def _prepare(book_table: pl.DataFrame) -> tuple[dict[str, np.ndarray], pl.DataFrame, list[str]]:
    """Numpy columns for the core (nulls → int64 min), the ``(venue, symbol)`` groups in order of
    first appearance, and their display names."""
    schema = SCHEMAS["book"]
    missing = [c for c in schema if c not in book_table.columns]
    if missing:
        raise ValueError(f"book table is missing columns {missing}")
    df = book_table.select(
        [pl.col(c).cast(pl.String).fill_null("") for c in _KEYS]
        + [pl.col(c) if book_table.schema[c] == t else pl.col(c).cast(t) for c, t in schema.items() if c not in _KEYS]
    )
    group, keys = _groups(df)
    cols: dict[str, np.ndarray] = {"group": group}
    for c in schema:
        if c in _KEYS:
            continue
        s = df[c]
        if s.null_count():
            if c in _NULLABLE:
                s = s.fill_null(MISSING_I64)
            elif c == "is_snapshot":
                s = s.fill_null(False)
            else:
                raise ValueError(f"book table column {c!r} has {s.null_count()} nulls")
        cols[c] = np.ascontiguousarray(s.to_numpy())
    names = [f"{sym} ({ven})" for ven, sym in keys.select(_KEYS).iter_rows()]
    return cols, keys, names


def _null_missing(df: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    return df.with_columns(pl.when(pl.col(c) != MISSING_I64).then(pl.col(c)).alias(c) for c in columns)


def _with_keys(keys: pl.DataFrame, group: np.ndarray) -> list[pl.Series]:
    idx = pl.Series(group).cast(pl.UInt32)
    return [keys["venue"].gather(idx), keys["symbol"].gather(idx)]


def _stats_frame(keys: pl.DataFrame, stats: dict[str, Any]) -> pl.DataFrame:
    data: dict[str, Any] = {"venue": keys["venue"], "symbol": keys["symbol"], "rule": stats["rule"]}
    for c in STATS_SCHEMA:
        if c not in data:
            data[c] = pl.Series(c, stats[c]).cast(pl.Int64)
    return pl.DataFrame(data, schema=STATS_SCHEMA)


def _rebuild(book_table: pl.DataFrame, on_gap: OnGap) -> tuple[pl.DataFrame, pl.DataFrame]:
    if book_table.height == 0:
        return pl.DataFrame(schema=TOP_OF_BOOK_SCHEMA), pl.DataFrame(schema=STATS_SCHEMA)
    cols, keys, names = _prepare(book_table)
    out, stats = _core.book_top_of_book(cols, names, on_gap=on_gap)
    venue, symbol = _with_keys(keys, out["group"])
    data = {"venue": venue, "symbol": symbol}
    data.update({c: pl.Series(c, out[c]) for c in TOP_OF_BOOK_SCHEMA if c not in data})
    tob = _null_missing(pl.DataFrame(data), ["seq", "bid_px", "bid_qty", "ask_px", "ask_qty"])
    return tob.select([pl.col(c).cast(t) for c, t in TOP_OF_BOOK_SCHEMA.items()]), _stats_frame(keys, stats)


def top_of_book(book_table: pl.DataFrame, on_gap: OnGap = "raise") -> pl.DataFrame:
    """Best bid and ask after each applied message of each ``(venue, symbol)`` book.

    One row per applied message (a snapshot, or an update; not per level row), grouped per
    ``(venue, symbol)`` in order of first appearance, input order within a group. The frame has
    the ``bbo`` table's schema: ``venue, symbol, ts_exchange, ts_local, bid_px, bid_qty, ask_px,
    ask_qty, seq``; ``seq`` is the last applied update id (null for venues without ids), an empty
    side gives nulls, ``ts_local`` of updates replayed from the pre-snapshot buffer is the
    snapshot's. Raises :class:`crossbook.SequenceGapError` on a gap unless ``on_gap="resync"``.
    """
    return _rebuild(book_table, on_gap)[0]


def book_stats(book_table: pl.DataFrame, on_gap: OnGap = "raise") -> pl.DataFrame:
    """Per ``(venue, symbol)``: the rule seen (``pu``, ``U=u+1``, ``none``), messages, applied,
    snapshots, dropped (stale, or never bridged by a snapshot), gaps (under ``resync``), crossed
    (applied messages leaving best bid >= best ask) and level rows applied. Rebuilds the books."""
    return _rebuild(book_table, on_gap)[1]


def sample_grid(
    book_table: pl.DataFrame,
    interval_ms: int = 100,
    levels: int = 20,
    *,
    on_gap: OnGap = "raise",
) -> pl.DataFrame:
    """The rebuilt books on a time grid, long format (the heatmap input).

    Columns ``venue, symbol, ts, side, level, px, qty``: ``ts`` is the grid time (ns UTC, a multiple
    of ``interval_ms``, so grids of different venues line up), ``side`` +1 bid / -1 ask, ``level``
    0 = best, up to ``levels`` per side. The state at ``ts`` is the book after every message with
    ``ts_local <= ts``. The grid runs from the first synced time to the last message time of each
    book; grid times while a book is not synced (after a gap, under ``resync``) have no rows.
    """
    if interval_ms <= 0:
        raise ValueError(f"interval_ms must be positive, got {interval_ms}")
    if book_table.height == 0:
        return pl.DataFrame(schema=GRID_SCHEMA)
    cols, keys, names = _prepare(book_table)
    out, _ = _core.book_sample_grid(cols, names, int(interval_ms) * 1_000_000, levels, on_gap=on_gap)
    venue, symbol = _with_keys(keys, out["group"])
    data = {"venue": venue, "symbol": symbol}
    data.update({c: pl.Series(c, out[c]) for c in GRID_SCHEMA if c not in data})
    return pl.DataFrame(data).select([pl.col(c).cast(t) for c, t in GRID_SCHEMA.items()])


def book_at(
    book_table: pl.DataFrame,
    ts: int,
    *,
    venue: str | None = None,
    symbol: str | None = None,
    on_gap: OnGap = "raise",
) -> OrderBook:
    """The :class:`OrderBook` of one ``(venue, symbol)`` after every message received at or
    before ``ts`` (ns UTC). ``venue``/``symbol`` may be omitted when the table holds one book.
    Raises :class:`crossbook.InvalidInputError` when the book is not synced at ``ts``."""
    from crossbook.data.instruments import instrument

    if book_table.height == 0:
        raise _core.InvalidInputError("book_at: the book table is empty")
    cols, keys, names = _prepare(book_table)
    sel = keys
    if venue is not None:
        sel = sel.filter(pl.col("venue") == venue)
    if symbol is not None:
        sel = sel.filter(pl.col("symbol") == symbol)
    if sel.height != 1:
        have = ", ".join(names)
        raise _core.InvalidInputError(f"book_at: choose one book with venue=/symbol= (the table holds {have})")
    group, ven, sym = sel.row(0)
    inst = instrument(ven, sym)
    ob, stats, synced = _core.book_at(
        cols, names, group, int(ts), on_gap=on_gap, px_exp=inst.px_exp, qty_exp=inst.qty_exp
    )
    if not synced:
        raise _core.InvalidInputError(
            f"book_at: {names[group]} has no synced book at {ts} "
            f"({int(stats['snapshots'][0])} snapshots and {int(stats['gaps'][0])} gaps before it)"
        )
    return ob


__all__ = [
    "GRID_SCHEMA",
    "STATS_SCHEMA",
    "TOP_OF_BOOK_SCHEMA",
    "OnGap",
    "OrderBook",
    "book_at",
    "book_stats",
    "sample_grid",
    "top_of_book",
]

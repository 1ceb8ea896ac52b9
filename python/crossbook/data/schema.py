"""Column names and dtypes of the normalized tables (DESIGN.md § Data model).

Every table starts with ``venue, symbol, ts_exchange, ts_local`` (int64 ns UTC). Prices and sizes are
int64 scaled integers (see :mod:`crossbook.data.instruments`); use ``instruments.to_float`` at the
analysis edge. When a venue gives no exchange time, ``ts_exchange == ts_local`` (Tardis convention).
"""

from __future__ import annotations

import polars as pl

_KEYS = {"venue": pl.String, "symbol": pl.String, "ts_exchange": pl.Int64, "ts_local": pl.Int64}

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "bbo": {
        **_KEYS,
        "bid_px": pl.Int64,
        "bid_qty": pl.Int64,
        "ask_px": pl.Int64,
        "ask_qty": pl.Int64,
        "seq": pl.Int64,
    },
    "book": {
        **_KEYS,
        "side": pl.Int8,
        "px": pl.Int64,
        "qty": pl.Int64,
        "is_snapshot": pl.Boolean,
        "seq_first": pl.Int64,
        "seq_last": pl.Int64,
        "seq_prev": pl.Int64,
    },
    "trade": {
        **_KEYS,
        "px": pl.Int64,
        "qty": pl.Int64,
        "aggressor": pl.Int8,
        "trade_id": pl.Int64,
    },
    "ticker": {
        **_KEYS,
        "mark_px": pl.Int64,
        "index_px": pl.Int64,
        "oracle_px": pl.Int64,
        "funding_rate": pl.Float64,
        "predicted_funding_rate": pl.Float64,
        "next_funding_ts": pl.Int64,
        "open_interest": pl.Int64,
    },
    "liquidation": {
        **_KEYS,
        "side": pl.Int8,
        "px": pl.Int64,
        "qty": pl.Int64,
    },
}

TABLES = tuple(SCHEMAS)


def empty_table(table: str) -> pl.DataFrame:
    """An empty frame with the table's schema."""
    return pl.DataFrame(schema=SCHEMAS[table])


def conform(table: str, df: pl.DataFrame) -> pl.DataFrame:
    """Select and cast ``df`` to the table's schema (raises if a column is missing)."""
    schema = SCHEMAS[table]
    missing = [c for c in schema if c not in df.columns]
    if missing:
        raise ValueError(f"{table} table is missing columns {missing}")
    return df.select([pl.col(c).cast(t) for c, t in schema.items()])

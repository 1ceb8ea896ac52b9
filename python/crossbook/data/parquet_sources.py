"""Parquet sources that are already tables: NautilusTrader's Binance spot fixtures.

Two schemas are known (found by their columns, never the file name):

- quotes: ``timestamp[ms, UTC], symbol, ask_size, ask, bid_size, bid`` → ``bbo`` (``seq`` null);
- trades: ``timestamp[ms, UTC], trade_id, price, quantity, buyer_maker`` → ``trade``
  (``buyer_maker`` True → aggressor -1: the seller was the taker).

These files hold prices and sizes as float64 already, so the exact decimal-text path of the CSV and
JSON readers is not available: each value is scaled by ``10**8`` and rounded to the nearest integer
(exact for every value printed with at most 8 decimals, which float64 carries to ~1e-7 relative
precision at these magnitudes). The files carry one time column, used for both ``ts_exchange`` and
``ts_local`` (ns UTC). Defaults: venue ``binance`` (the fixtures are spot), symbol from the file's
``symbol`` column with the ``/`` removed (``BTC/USDT`` → ``BTCUSDT``), else from the file name
(``btcusdt-trades.parquet`` → ``BTCUSDT``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crossbook import _core
from crossbook.data.instruments import PX_SCALE, QTY_SCALE
from crossbook.data.schema import SCHEMAS

if TYPE_CHECKING:
    from crossbook.data.readers import Tables

_QUOTES = ("timestamp", "ask_size", "ask", "bid_size", "bid")
_TRADES = ("timestamp", "trade_id", "price", "quantity", "buyer_maker")


def read_parquet_source(path: str | Path, *, venue: str | None = None, symbol: str | None = None) -> Tables:
    """Read a NautilusTrader-style quotes or trades Parquet file into normalized tables.

    Raises :class:`crossbook.UnknownFormatError` (naming the file and its columns) for any other
    schema, and :class:`crossbook.InvalidValueError` (naming file, column and 1-based row) for a
    NaN, infinite, non-positive price or negative size.
    """
    from crossbook.data.readers import Tables  # readers imports this module lazily too

    p = Path(path)
    table = pq.read_table(p)
    cols = set(table.column_names)
    if not (set(_QUOTES) <= cols or set(_TRADES) <= cols):
        raise _core.UnknownFormatError(
            f"{p}: unknown Parquet schema; columns: {', '.join(table.column_names)}. Supported: quotes "
            f"({', '.join(_QUOTES)}) and trades ({', '.join(_TRADES)})"
        )
    venue = venue or "binance"
    symbol = symbol or _symbol(table, p)
    out = Tables()
    n = table.num_rows
    if set(_QUOTES) <= cols:
        ts = _ns(table["timestamp"], p)
        data = {
            "bid_px": _scaled(table["bid"], PX_SCALE, p, "bid", price=True),
            "bid_qty": _scaled(table["bid_size"], QTY_SCALE, p, "bid_size", price=False),
            "ask_px": _scaled(table["ask"], PX_SCALE, p, "ask", price=True),
            "ask_qty": _scaled(table["ask_size"], QTY_SCALE, p, "ask_size", price=False),
            "seq": pl.Series([None] * n, dtype=pl.Int64),
        }
        out["bbo"] = _frame("bbo", venue, symbol, ts, data)
    else:
        ts = _ns(table["timestamp"], p)
        maker = _bools(table["buyer_maker"], p)
        data = {
            "px": _scaled(table["price"], PX_SCALE, p, "price", price=True),
            "qty": _scaled(table["quantity"], QTY_SCALE, p, "quantity", price=False),
            "aggressor": pl.Series(np.where(maker, -1, 1).astype(np.int8)),
            "trade_id": pl.Series(table["trade_id"].to_numpy().astype(np.int64)),
        }
        out["trade"] = _frame("trade", venue, symbol, ts, data)
    return out


def _frame(table: str, venue: str, symbol: str, ts: np.ndarray, data: dict[str, pl.Series]) -> pl.DataFrame:
    n = len(ts)
    cols = {
        "venue": pl.repeat(venue, n, dtype=pl.String, eager=True),
        "symbol": pl.repeat(symbol, n, dtype=pl.String, eager=True),
        "ts_exchange": pl.Series(ts),
        "ts_local": pl.Series(ts),
        **data,
    }
    return pl.DataFrame({name: cols[name].cast(dtype).alias(name) for name, dtype in SCHEMAS[table].items()})


def _symbol(table: pa.Table, p: Path) -> str:
    if "symbol" in table.column_names and table.num_rows:
        uniq = pc.unique(table["symbol"]).to_pylist()
        if len(uniq) == 1 and uniq[0]:
            return str(uniq[0]).replace("/", "")
    m = re.match(r"^([A-Za-z0-9]+)[-_]", p.name)
    if m:
        return m.group(1).upper()
    raise _core.InvalidInputError(f"{p}: no symbol in the file or its name; pass symbol=")


def _ns(col: pa.ChunkedArray, p: Path) -> np.ndarray:
    """A time column → int64 ns UTC (Arrow timestamps of any unit; integers by magnitude)."""
    if pa.types.is_timestamp(col.type):
        return pc.cast(col, pa.timestamp("ns", tz=col.type.tz)).cast(pa.int64()).to_numpy()
    if pa.types.is_integer(col.type):
        v = col.to_numpy().astype(np.int64)
        a = np.abs(v)
        mult = np.select([a >= 10**17, a >= 10**14, a >= 10**11], [1, 1_000, 1_000_000], 1_000_000_000)
        return v * mult
    raise _core.UnknownFormatError(f"{p}: column 'timestamp' has type {col.type}, expected a timestamp")


def _scaled(col: pa.ChunkedArray, scale: int, p: Path, name: str, *, price: bool) -> pl.Series:
    """Float values → int64 ``round(value * scale)``; rejects NaN, inf, negatives (and 0 prices)."""
    v = col.to_numpy(zero_copy_only=False).astype(np.float64)
    bad = ~np.isfinite(v) | ((v <= 0) if price else (v < 0))
    if bad.any():
        i = int(np.argmax(bad))
        what = (
            "NaN or infinite value"
            if not np.isfinite(v[i])
            else ("price must be positive" if price else "negative size")
        )
        raise _core.InvalidValueError(f"{p}: row {i + 1}: field {name!r}: {what} (got {v[i]!r})")
    return pl.Series(np.rint(v * scale).astype(np.int64))


def _bools(col: pa.ChunkedArray, p: Path) -> np.ndarray:
    """``buyer_maker`` as stored (bool, or the text 'True'/'False' of the Nautilus fixture)."""
    if pa.types.is_boolean(col.type):
        return col.to_numpy(zero_copy_only=False).astype(bool)
    text = np.array([str(x).lower() for x in col.to_pylist()])
    ok = (text == "true") | (text == "false")
    if not ok.all():
        i = int(np.argmax(~ok))
        raise _core.InvalidValueError(
            f"{p}: row {i + 1}: field 'buyer_maker': expected True or False (got {text[i]!r})"
        )
    return text == "true"


__all__ = ["read_parquet_source"]

"""Readers: any supported file → normalized polars tables.

The format is detected from the content (never the file name); the hot path (JSON lines and CSV rows
into columns) runs in Rust. File names are used only for metadata the content does not carry:
the symbol of a Binance public-data CSV, and spot/USDT-M/COIN-M for those CSVs (override both with
``venue=`` / ``symbol=``).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from crossbook import _core
from crossbook.data.detect import Detected, detect
from crossbook.data.schema import SCHEMAS, TABLES, empty_table

Errors = Literal["raise", "skip"]
MISSING_I64 = np.iinfo(np.int64).min


class Tables(dict[str, pl.DataFrame]):
    """``{table: DataFrame}`` for one or more sources, with what was skipped.

    Keys are always all of ``bbo``, ``book``, ``trade``, ``ticker``, ``liquidation`` (empty frames
    where a source has none). ``skipped`` lists ``(path, line, kind, message)`` of lines dropped
    under ``errors="skip"``; ``sources`` maps each path to its detected format.
    """

    def __init__(self) -> None:
        super().__init__({t: empty_table(t) for t in TABLES})
        self.skipped: list[tuple[str, int, str, str]] = []
        self.sources: dict[str, str] = {}

    def counts(self) -> dict[str, int]:
        return {t: self[t].height for t in TABLES}

    def extend(self, other: Tables) -> None:
        for t in TABLES:
            if other[t].height:
                self[t] = pl.concat([self[t], other[t]]) if self[t].height else other[t]
        self.skipped.extend(other.skipped)
        self.sources.update(other.sources)

    def __repr__(self) -> str:
        counts = ", ".join(f"{t}={n:,}" for t, n in self.counts().items() if n)
        skipped = f", skipped={len(self.skipped)}" if self.skipped else ""
        return f"Tables({counts or 'empty'}{skipped})"


def read(
    path: str | Path,
    *,
    errors: Errors = "raise",
    venue: str | None = None,
    symbol: str | None = None,
) -> Tables:
    """Read one file (capture, archive, vendor CSV, public CSV; plain, gzip, lz4 or zip).

    Raises a subclass of :class:`crossbook.ParseError` naming the file and line on bad input; with
    ``errors="skip"`` bad lines are dropped and listed in ``Tables.skipped`` instead.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    raw = p.read_bytes()
    if raw[:4] == b"PK\x03\x04":
        return _read_zip(p, raw, errors=errors, venue=venue, symbol=symbol)
    if raw[:4] == b"PAR1":
        return _read_parquet(p, venue=venue, symbol=symbol)
    return _read_bytes(p, str(p), raw, errors=errors, venue=venue, symbol=symbol)


def read_many(paths: list[str | Path], *, errors: Errors = "raise") -> Tables:
    """Read several files into one set of tables (rows concatenated, per-file order kept)."""
    out = Tables()
    for p in paths:
        out.extend(read(p, errors=errors))
    return out


def _read_zip(p: Path, raw: bytes, *, errors: Errors, venue: str | None, symbol: str | None) -> Tables:
    out = Tables()
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        members = [m for m in zf.namelist() if not m.endswith("/")]
    except zipfile.BadZipFile as e:
        raise _core.TruncatedFileError(f"{p}: unreadable zip archive: {e}") from e
    for m in members:
        try:
            data = zf.read(m)
        except (zipfile.BadZipFile, EOFError, OSError) as e:
            raise _core.TruncatedFileError(f"{p}!{m}: unreadable zip member: {e}") from e
        out.extend(_read_bytes(Path(m), f"{p}!{m}", data, errors=errors, venue=venue, symbol=symbol, parent=p))
    return out


def _read_bytes(
    name: Path,
    source: str,
    data: bytes,
    *,
    errors: Errors,
    venue: str | None,
    symbol: str | None,
    parent: Path | None = None,
) -> Tables:
    lines = _core.head_lines(data, 3)
    det = detect(lines, source)
    if det.format == "tardis_csv" and det.kind == "trades" and "liquidations" in name.name.lower():
        det = Detected("tardis_csv", "liquidations")  # same columns as trades; Tardis names the file
    if det.format == "binance_csv":
        hint_path = str(parent / name.name) if parent else str(name)
        symbol = symbol or _symbol_from_name(name.name)
        venue = venue or _binance_csv_venue(hint_path)
    raw = _core.parse_source(data, det.format, source=source, errors=errors, kind=det.kind, venue=venue, symbol=symbol)
    out = _to_tables(raw)
    out.sources[source] = det.describe()
    out.skipped = [(source, int(line), kind, msg) for line, kind, msg in raw["skipped"]]
    return out


def _to_tables(raw: dict) -> Tables:
    out = Tables()
    symbols = pl.Series("symbol", raw["symbols"], dtype=pl.String)
    venues = raw["venues"]
    for t in TABLES:
        cols = raw[t]
        n = len(cols["ts_local"])
        if n == 0:
            continue
        idx = pl.Series(cols["symbol"]).cast(pl.UInt32)
        data: dict[str, pl.Series] = {}
        if len(venues) <= 1:
            data["venue"] = pl.repeat(venues[0] if venues else "", n, dtype=pl.String, eager=True)
        else:
            data["venue"] = pl.Series("venue", venues, dtype=pl.String).gather(idx)
        data["symbol"] = symbols.gather(idx)
        for name, dtype in SCHEMAS[t].items():
            if name in ("venue", "symbol"):
                continue
            s = pl.Series(name, cols[name])
            if dtype == pl.Int64 and s.dtype == pl.Int64:
                s = s.set(s == MISSING_I64, None) if (s == MISSING_I64).any() else s
            elif dtype == pl.Float64:
                s = s.fill_nan(None)
            data[name] = s.cast(dtype)
        out[t] = pl.DataFrame(data)
    return out


def _read_parquet(p: Path, *, venue: str | None, symbol: str | None) -> Tables:
    """Parquet quotes/trades as written by NautilusTrader's Binance fixtures (float columns)."""
    from crossbook.data.parquet_sources import read_parquet_source

    out = read_parquet_source(p, venue=venue, symbol=symbol)
    out.sources[str(p)] = "parquet"
    return out


_SYMBOL_RE = re.compile(r"^([A-Z0-9]+(?:_[A-Z0-9]+)?)-")


def _symbol_from_name(name: str) -> str | None:
    m = _SYMBOL_RE.match(name)
    return m.group(1) if m else None


def _binance_csv_venue(path: str) -> str:
    s = path.replace("\\", "/").lower()
    if "/futures/cm/" in s or re.search(r"_perp|usd_\d{6}", s):
        return "binance-delivery"
    if "/spot/" in s:
        return "binance"
    return "binance-futures"


__all__ = ["Detected", "Tables", "read", "read_many", "SCHEMAS"]

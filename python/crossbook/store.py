"""The store: hive-partitioned Parquet of the normalized tables.

Layout (DESIGN.md): ``STORE/<table>/venue=<v>/symbol=<s>/date=<YYYY-MM-DD>/part-<id>.parquet``, where
``date`` is the UTC date of ``ts_local`` and ``<id>`` is derived from the content of the source (a
SHA-256 of the file's bytes, or of an in-memory table). Hence:

- **idempotent**: re-ingesting the same file finds its parts already present and writes nothing;
- **atomic**: each part is written to a temporary file in the same folder and renamed into place, so a
  reader never sees a half-written part, and an interrupted ingest leaves only complete parts (running
  it again completes the rest);
- **readable by anything**: files carry their own ``venue``/``symbol`` columns too, so a part read on
  its own is self-describing; polars ``scan_parquet`` and DuckDB ``read_parquet`` (both with hive
  partitioning) read the whole store.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from crossbook._atomic import atomic_write, atomic_write_text
from crossbook.data.readers import Errors, Tables, read
from crossbook.data.schema import SCHEMAS, TABLES

MANIFEST = "_manifest.jsonl"


@dataclass
class IngestReport:
    """What one ingest call did."""

    files: int = 0
    files_skipped: int = 0  # already in the store
    parts_written: int = 0
    rows_written: dict[str, int] = field(default_factory=lambda: {t: 0 for t in TABLES})
    skipped_lines: list[tuple[str, int, str, str]] = field(default_factory=list)

    def __repr__(self) -> str:
        rows = ", ".join(f"{t}={n:,}" for t, n in self.rows_written.items() if n)
        return (
            f"IngestReport(files={self.files}, already_present={self.files_skipped}, "
            f"parts={self.parts_written}, rows: {rows or 'none'}, skipped_lines={len(self.skipped_lines)})"
        )


def file_id(path: str | Path) -> str:
    """Content id of a source file: first 16 hex digits of its SHA-256."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def ingest(
    paths: Iterable[str | Path],
    store: str | Path,
    *,
    errors: Errors = "raise",
    progress: Callable[[str], None] | None = None,
) -> IngestReport:
    """Read each file and write its tables into ``store``. Files already ingested are skipped.

    A file that fails to parse raises before anything of it is written (with ``errors="raise"``).
    """
    store = Path(store)
    store.mkdir(parents=True, exist_ok=True)
    done = _manifest_ids(store)
    rep = IngestReport()
    for p in paths:
        p = Path(p)
        if progress:
            progress(str(p))
        fid = file_id(p)
        rep.files += 1
        if fid in done:
            rep.files_skipped += 1
            continue
        tables = read(p, errors=errors)
        rep.skipped_lines.extend(tables.skipped)
        _write(tables, store, fid, rep)
        _append_manifest(store, {"id": fid, "source": str(p), "rows": tables.counts(), "at": time.time()})
        done.add(fid)
    return rep


def write_tables(tables: Tables | dict[str, pl.DataFrame], store: str | Path, source_id: str) -> IngestReport:
    """Write in-memory tables (e.g. a simulation) under ``source_id``; idempotent per id."""
    store = Path(store)
    store.mkdir(parents=True, exist_ok=True)
    rep = IngestReport(files=1)
    fid = hashlib.sha256(source_id.encode()).hexdigest()[:16]
    if fid in _manifest_ids(store):
        rep.files_skipped = 1
        return rep
    _write(tables, store, fid, rep)
    counts = {t: tables[t].height for t in TABLES if t in tables}
    _append_manifest(store, {"id": fid, "source": source_id, "rows": counts, "at": time.time()})
    return rep


def _write(tables: Tables | dict[str, pl.DataFrame], store: Path, fid: str, rep: IngestReport) -> None:
    for t in TABLES:
        df = tables.get(t)
        if df is None or df.height == 0:
            continue
        df = df.select(list(SCHEMAS[t])).with_columns(
            pl.from_epoch(pl.col("ts_local"), time_unit="ns").dt.date().alias("_date")
        )
        for (venue, symbol, date), part in df.group_by(["venue", "symbol", "_date"], maintain_order=True):
            d = store / t / f"venue={venue}" / f"symbol={symbol}" / f"date={date}"
            target = d / f"part-{fid}.parquet"
            if target.exists():
                continue
            d.mkdir(parents=True, exist_ok=True)
            _atomic_parquet(part.drop("_date"), target)
            rep.parts_written += 1
            rep.rows_written[t] += part.height


def _atomic_parquet(df: pl.DataFrame, target: Path) -> None:
    atomic_write(target, lambda tmp: df.write_parquet(tmp, compression="zstd", statistics=True))


def _manifest_ids(store: Path) -> set[str]:
    m = store / MANIFEST
    if not m.exists():
        return set()
    ids = set()
    for line in m.read_text().splitlines():
        line = line.strip()
        if line:
            try:
                ids.add(json.loads(line)["id"])
            except (json.JSONDecodeError, KeyError):
                continue  # a torn last line from a crash: its parts are re-checked on the next ingest
    return ids


def _append_manifest(store: Path, entry: dict) -> None:
    """Rewrite the manifest atomically with one more entry."""
    m = store / MANIFEST
    old = m.read_text() if m.exists() else ""
    if old and not old.endswith("\n"):
        old += "\n"
    atomic_write_text(m, old + json.dumps(entry) + "\n")


class Store:
    """A store opened for reading: one lazy polars frame per table.

    ``store.bbo``, ``store.book``, ... are ``pl.LazyFrame`` over all partitions (hive columns
    ``venue``, ``symbol``, ``date``); filters on them prune folders. ``store.sql(query)`` runs DuckDB over
    views of the same files.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"{self.root}: no such store (run `crossbook ingest ... --store {root}`)")

    def tables(self) -> list[str]:
        return [t for t in TABLES if any((self.root / t).rglob("*.parquet"))]

    def scan(self, table: str) -> pl.LazyFrame:
        if table not in SCHEMAS:
            raise KeyError(f"unknown table {table!r}; tables are {list(TABLES)}")
        if not any((self.root / table).rglob("*.parquet")):
            return pl.LazyFrame(schema={**SCHEMAS[table], "date": pl.Date})
        glob = str(self.root / table / "**" / "*.parquet")
        return pl.scan_parquet(glob, hive_partitioning=True).select(list(SCHEMAS[table]) + ["date"])

    def __getattr__(self, name: str) -> pl.LazyFrame:
        if name in SCHEMAS:
            return self.scan(name)
        raise AttributeError(name)

    def instruments(self) -> pl.DataFrame:
        """(venue, symbol) pairs present, with row counts per table."""
        frames = []
        for t in self.tables():
            frames.append(self.scan(t).group_by(["venue", "symbol"]).agg(pl.len().alias(t)).collect())
        if not frames:
            return pl.DataFrame(schema={"venue": pl.String, "symbol": pl.String})
        out = frames[0]
        for f in frames[1:]:
            out = out.join(f, on=["venue", "symbol"], how="full", coalesce=True)
        return out.sort(["venue", "symbol"]).fill_null(0)

    def sql(self, query: str):  # noqa: ANN201 - duckdb relation
        """Run DuckDB SQL with one view per table (``bbo``, ``book``, ...)."""
        import duckdb

        con = duckdb.connect()
        for t in self.tables():
            glob = str(self.root / t / "**" / "*.parquet")
            con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{glob}', hive_partitioning=true)")
        return con.sql(query)

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r}, tables={self.tables()})"


def open(store: str | Path) -> Store:  # noqa: A001 - the public name in DESIGN.md
    """Open a store for reading (lazy polars frames per table)."""
    return Store(store)

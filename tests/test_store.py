"""Store: hive-partitioned Parquet, atomic and idempotent, readable by polars and DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from crossbook import store
from crossbook.data.schema import SCHEMAS, empty_table

DAY = 86_400 * 10**9
T0 = 1_723_161_255_088_169_167  # 2024-08-08 23:54:15 UTC


def _tables() -> dict[str, pl.DataFrame]:
    trade = pl.DataFrame(
        {
            "venue": ["binance-futures"] * 3 + ["binance"] * 2,
            "symbol": ["BTCUSDT"] * 5,
            "ts_exchange": [T0, T0 + 1, T0 + DAY, T0, T0 + 5],
            "ts_local": [T0, T0 + 1, T0 + DAY, T0, T0 + 5],
            "px": [6_180_030_000_000, 6_180_040_000_000, 6_190_000_000_000, 6_183_763_000_000, 6_183_764_000_000],
            "qty": [600_000, 100_000, 1, 2, 3],
            "aggressor": [1, -1, 1, 0, 1],
            "trade_id": [1, 2, 3, 4, 5],
        },
        schema=SCHEMAS["trade"],
    )
    return {"trade": trade, "bbo": empty_table("bbo")}


def test_layout_roundtrip_and_duckdb(tmp_path: Path) -> None:
    rep = store.write_tables(_tables(), tmp_path, source_id="unit")
    assert rep.rows_written["trade"] == 5
    parts = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.parquet"))
    assert [p.rsplit("/", 1)[0] for p in parts] == [
        "trade/venue=binance-futures/symbol=BTCUSDT/date=2024-08-08",
        "trade/venue=binance-futures/symbol=BTCUSDT/date=2024-08-09",
        "trade/venue=binance/symbol=BTCUSDT/date=2024-08-08",
    ]
    st = store.open(tmp_path)
    got = st.trade.sort(["venue", "ts_local"]).collect()
    assert got.height == 5
    assert got.filter(pl.col("venue") == "binance")["px"].to_list() == [6_183_763_000_000, 6_183_764_000_000]
    # the same files through DuckDB
    glob = str(tmp_path / "trade" / "**" / "*.parquet")
    n, px_sum = duckdb.sql(
        f"SELECT count(*), sum(px) FROM read_parquet('{glob}', hive_partitioning=true) WHERE venue='binance-futures'"
    ).fetchall()[0]
    assert (n, int(px_sum)) == (3, 6_180_030_000_000 + 6_180_040_000_000 + 6_190_000_000_000)
    assert st.sql("SELECT count(*) FROM trade WHERE date = DATE '2024-08-09'").fetchall() == [(1,)]


def test_reingest_is_idempotent(tmp_path: Path) -> None:
    store.write_tables(_tables(), tmp_path, source_id="unit")
    before = sorted(tmp_path.rglob("*.parquet"))
    rep = store.write_tables(_tables(), tmp_path, source_id="unit")
    assert rep.files_skipped == 1 and rep.parts_written == 0
    assert sorted(tmp_path.rglob("*.parquet")) == before
    assert store.open(tmp_path).trade.collect().height == 5


def test_failed_write_leaves_no_partial_file_and_keeps_old_data(tmp_path: Path, monkeypatch) -> None:
    store.write_tables(_tables(), tmp_path, source_id="first")
    calls = {"n": 0}
    real = pl.DataFrame.write_parquet

    def flaky(self, path, *a, **k):  # fails on the second part of the second source
        calls["n"] += 1
        if calls["n"] == 2:
            Path(path).write_bytes(b"PAR1 half")  # a half-written temp file
            raise OSError("disk full")
        return real(self, path, *a, **k)

    monkeypatch.setattr(pl.DataFrame, "write_parquet", flaky)
    with pytest.raises(OSError, match="disk full"):
        store.write_tables(_tables(), tmp_path, source_id="second")
    monkeypatch.undo()
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    # old data intact, the completed part of the failed source is whole, and re-running completes it
    st = store.open(tmp_path)
    assert st.trade.collect().height == 5 + 2  # first source + the one part (2 rows) written before the failure
    rep = store.write_tables(_tables(), tmp_path, source_id="second")
    assert rep.parts_written == 2
    assert store.open(tmp_path).trade.collect().height == 10


def test_open_missing_store_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope"):
        store.open(tmp_path / "nope")

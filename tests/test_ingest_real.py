"""`crossbook ingest` on real captures: counts equal the reader's, re-ingest adds nothing, DuckDB agrees."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl

from crossbook import data, store


def test_ingest_real_captures_idempotent_and_duckdb(real_file, tmp_path: Path) -> None:
    files = [
        real_file("binance-spot-usdm-coinm-20240808", "usdm", "btcusdt_20240808.gz"),
        real_file("hyperliquid-ws-20250126", "hyperliquid", "btcusd_20250126.gz"),
        real_file("nautilus-tardis-binance-fixtures", "test_kit", "tardis_trades.csv"),
    ]
    want = data.read_many(files).counts()
    st_dir = tmp_path / "st"
    rep = store.ingest(files, st_dir)
    assert rep.rows_written == want
    assert rep.rows_written["bbo"] == 66089 and rep.rows_written["trade"] == 21313 + 64 + 9999
    # re-ingesting the same files writes nothing and changes nothing
    before = sorted(p.name for p in st_dir.rglob("*.parquet"))
    rep2 = store.ingest(files, st_dir)
    assert rep2.files_skipped == 3 and rep2.parts_written == 0
    assert sorted(p.name for p in st_dir.rglob("*.parquet")) == before
    st = store.open(st_dir)
    trades = st.trade.collect()
    assert trades.height == want["trade"]
    by_venue = dict(trades.group_by("venue").agg(pl.len()).rows())
    assert by_venue == {"binance-futures": 21313 + 9999, "hyperliquid": 64}
    glob = str(st_dir / "trade" / "**" / "*.parquet")
    rows = duckdb.sql(
        f"SELECT venue, date, count(*), sum(qty) FROM read_parquet('{glob}', hive_partitioning=true) "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    pl_rows = trades.group_by("venue", "date").agg(pl.len(), pl.col("qty").sum()).sort("venue", "date").rows()
    assert [(v, d, n, int(q)) for v, d, n, q in rows] == [(v, d, n, int(q)) for v, d, n, q in pl_rows]


def test_ingest_cli_reports_and_names_bad_files(real_file, tmp_path: Path) -> None:
    f = real_file("hyperliquid-ws-20250126", "hyperliquid", "btcusd_20250126.gz")
    cmd = [sys.executable, "-m", "crossbook.cli", "ingest", str(f), "--store", str(tmp_path / "st")]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["rows"]["book"] == 1840 and summary["rows"]["trade"] == 64
    bad = tmp_path / "bad.txt"
    bad.write_text(
        '1737918843893903000 {"channel":"l2Book","data":{"coin":"BTC",'
        '"levels":[[{"px":"1","sz":"-2","n":1}],[]],"time":1}}\n'
    )
    out = subprocess.run(cmd[:4] + [str(bad), "--store", str(tmp_path / "st")], capture_output=True, text=True)
    assert out.returncode == 2
    assert "InvalidValueError" in out.stderr and "bad.txt" in out.stderr and "line 1" in out.stderr

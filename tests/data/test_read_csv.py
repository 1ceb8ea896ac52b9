"""Tardis CSV, data.binance.vision CSV and the Nautilus Parquet fixtures through crossbook.data.read.

Counts are pinned against ../shared/data/real/nautilus-tardis-binance-fixtures/SOURCES.md; first-row
values are hand-converted from the CSV text (price × 1e8, size × 1e8, µs × 1000).
"""

from __future__ import annotations

import gzip
import math
import zipfile
from pathlib import Path

import polars as pl
import pytest

from crossbook.data import readers
from crossbook.data.schema import TABLES

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real" / "nautilus-tardis-binance-fixtures"
needs_fixtures = pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"real data folder {FIXTURES} is absent")

# file → (table, rows); SOURCES.md: test_kit 9999 each, tardis 10–15 rows (snapshots: rows × levels),
# depth snap/update 100 rows, parquets 451 and 2001.
EXPECTED = {
    "test_kit/tardis_quotes.csv": ("bbo", 9999),
    "test_kit/tardis_trades.csv": ("trade", 9999),
    "tardis/binance-futures_book_snapshot_25_BTCUSDT.csv": ("book", 10 * 50),
    "tardis/binance-futures_book_snapshot_5_BTCUSDT.csv": ("book", 10 * 10),
    "tardis/bitmex_trades_XBTUSD.csv": ("trade", 10),
    "tardis/deribit_incremental_book_L2_BTC-PERPETUAL.csv": ("book", 15),
    "tardis/huobi-dm-swap_quotes_BTC-USD.csv": ("bbo", 10),
    "binance/btcusdt-depth-snap.csv": ("book", 100),
    "binance/btcusdt-depth-update.csv": ("book", 100),
    "binance/btcusdt-quotes.parquet": ("bbo", 451),
    "binance/btcusdt-trades.parquet": ("trade", 2001),
}

US = 1_000  # ns per µs
MS = 1_000_000  # ns per ms


def fnv_hash(text: bytes) -> int:
    """The core's hash_id (63-bit FNV-1a), recomputed independently."""
    h = 0xCBF29CE484222325
    for b in text:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h >> 1


@needs_fixtures
def test_every_fixture_file_is_pinned() -> None:
    files = {str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*") if p.is_file() and p.suffix != ".md"}
    assert files == set(EXPECTED)


@needs_fixtures
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_loads_with_pinned_count(name: str) -> None:
    table, rows = EXPECTED[name]
    t = readers.read(FIXTURES / name)
    assert t.counts() == {k: (rows if k == table else 0) for k in TABLES}
    df = t[table]
    assert df["ts_local"].is_sorted()
    assert df["venue"].null_count() == 0 and df["symbol"].null_count() == 0
    assert not t.skipped


@needs_fixtures
def test_tardis_quotes_first_and_last_rows() -> None:
    df = readers.read(FIXTURES / "test_kit/tardis_quotes.csv")["bbo"]
    # binance-futures,BTCUSDT,1582329601096000,1582329603502092,0.84,9682,9681.92,0.67
    assert df.row(0, named=True) == {
        "venue": "binance-futures",
        "symbol": "BTCUSDT",
        "ts_exchange": 1582329601096000 * US,
        "ts_local": 1582329603502092 * US,
        "bid_px": 968_192_000_000,
        "bid_qty": 67_000_000,
        "ask_px": 968_200_000_000,
        "ask_qty": 84_000_000,
        "seq": None,
    }
    # SOURCES.md exchange-time span: 2020-02-22 00:00:01.096 → 00:03:47.061
    ts = pl.from_epoch(pl.col("ts_exchange"), "ns")
    span = df.select(ts.min().alias("first"), ts.max().alias("last"))
    assert [str(v) for v in span.row(0)] == ["2020-02-22 00:00:01.096000", "2020-02-22 00:03:47.061000"]


@needs_fixtures
def test_tardis_trades_values_and_sides() -> None:
    df = readers.read(FIXTURES / "test_kit/tardis_trades.csv")["trade"]
    # binance-futures,BTCUSDT,1582329602111000,1582329602418379,42377944,buy,9682,0.132
    assert df.row(0) == (
        "binance-futures",
        "BTCUSDT",
        1582329602111000 * US,
        1582329602418379 * US,
        968_200_000_000,
        13_200_000,
        1,
        42377944,
    )
    # last row: ...,1582337147728000,1582337147852384,42387942,sell,9666.84,0.07
    assert df.row(-1)[2:] == (
        1582337147728000 * US,
        1582337147852384 * US,
        966_684_000_000,
        7_000_000,
        -1,
        42387942,
    )
    # side column counted with `cut -d, -f6 | sort | uniq -c`: 5267 buy, 4732 sell
    assert df["aggressor"].value_counts().sort("aggressor").rows() == [(-1, 4732), (1, 5267)]


@needs_fixtures
def test_tardis_book_snapshot_25_is_ten_full_snapshots() -> None:
    df = readers.read(FIXTURES / "tardis/binance-futures_book_snapshot_25_BTCUSDT.csv")["book"]
    per_msg = df.group_by("ts_local", maintain_order=True).agg(
        n=pl.len(), bids=(pl.col("side") == 1).sum(), asks=(pl.col("side") == -1).sum()
    )
    assert per_msg.height == 10
    assert per_msg["n"].to_list() == [50] * 10  # no empty levels in this file
    assert per_msg["bids"].to_list() == [25] * 10 and per_msg["asks"].to_list() == [25] * 10
    assert df["is_snapshot"].all()
    assert df.select(pl.col("seq_first", "seq_last", "seq_prev").null_count()).row(0) == (500, 500, 500)
    # first row: asks[0] 11657.08 × 1.714, bids[0] 11657.07 × 10.896, ..., bids[24] 11653.25 × 1.003
    first = df.head(50)
    assert first.row(0, named=True)["ts_exchange"] == 1598918403696000 * US
    assert first.select("side", "px", "qty").row(0) == (-1, 1_165_708_000_000, 171_400_000)
    assert first.select("side", "px", "qty").row(1) == (1, 1_165_707_000_000, 1_089_600_000)
    assert first.select("side", "px", "qty").row(49) == (1, 1_165_325_000_000, 100_300_000)


@needs_fixtures
def test_tardis_small_fixtures_values() -> None:
    snap5 = readers.read(FIXTURES / "tardis/binance-futures_book_snapshot_5_BTCUSDT.csv")["book"]
    assert snap5["ts_local"].n_unique() == 10
    # bids[4] of the first row: 11655.68 × 0.111
    assert snap5.select("side", "px", "qty").row(9) == (1, 1_165_568_000_000, 11_100_000)

    l2 = readers.read(FIXTURES / "tardis/deribit_incremental_book_L2_BTC-PERPETUAL.csv")["book"]
    # deribit,BTC-PERPETUAL,1585699200245000,1585699200355684,true,ask,6421.5,18640 (contracts)
    assert l2.row(0) == (
        "deribit",
        "BTC-PERPETUAL",
        1585699200245000 * US,
        1585699200355684 * US,
        -1,
        642_150_000_000,
        1_864_000_000_000,
        True,
        None,
        None,
        None,
    )
    assert l2["is_snapshot"].all() and (l2["side"] == -1).all()
    assert l2["px"][-1] == 642_850_000_000 and l2["qty"][-1] == 3_995_000_000_000

    q = readers.read(FIXTURES / "tardis/huobi-dm-swap_quotes_BTC-USD.csv")["bbo"]
    # huobi-dm-swap,BTC-USD,1588291201099000,1588291201234268,5494,8629.3,8629.2,806
    assert q.row(0) == (
        "huobi-dm-swap",
        "BTC-USD",
        1588291201099000 * US,
        1588291201234268 * US,
        862_920_000_000,
        80_600_000_000,
        862_930_000_000,
        549_400_000_000,
        None,
    )

    tr = readers.read(FIXTURES / "tardis/bitmex_trades_XBTUSD.csv")["trade"]
    # bitmex,XBTUSD,1583020803145000,1583020803307160,ccc3c1fa-212c-e8b0-1706-9b9c4f3d5ecf,sell,8531.5,2152
    assert tr.row(0) == (
        "bitmex",
        "XBTUSD",
        1583020803145000 * US,
        1583020803307160 * US,
        853_150_000_000,
        215_200_000_000,
        -1,
        fnv_hash(b"ccc3c1fa-212c-e8b0-1706-9b9c4f3d5ecf"),
    )
    assert (tr["aggressor"] == -1).all()
    assert tr["trade_id"].n_unique() == 10


@needs_fixtures
def test_binance_depth_csv_rows() -> None:
    snap = readers.read(FIXTURES / "binance/btcusdt-depth-snap.csv")["book"]
    # BTCUSDT,1667346579146,2098021528332,2098021528332,b,snap,20377.00,1.770,-1
    assert snap.row(0) == (
        "binance-futures",
        "BTCUSDT",
        1667346579146 * MS,
        1667346579146 * MS,
        1,
        2_037_700_000_000,
        177_000_000,
        True,
        2098021528332,
        2098021528332,
        None,
    )
    assert snap["is_snapshot"].all() and snap["seq_prev"].null_count() == 100
    upd = readers.read(FIXTURES / "binance/btcusdt-depth-update.csv")["book"]
    # BTCUSDT,1667347199939,2098041693435,2098041696700,a,set,20472.80,0.000,2098041693400
    assert upd.row(0)[4:] == (-1, 2_047_280_000_000, 0, False, 2098041693435, 2098041696700, 2098041693400)
    assert not upd["is_snapshot"].any()
    assert upd["side"].value_counts().sort("side").rows() == [(-1, 77), (1, 23)]


@needs_fixtures
def test_parquet_fixtures() -> None:
    q = readers.read(FIXTURES / "binance/btcusdt-quotes.parquet")
    assert q.sources == {str(FIXTURES / "binance/btcusdt-quotes.parquet"): "parquet"}
    # 2021-01-08 00:00:01.076 UTC, BTC/USDT, ask_size 0.066851, ask 39433.62, bid_size 0.0031, bid 39432.99
    assert q["bbo"].row(0) == (
        "binance",
        "BTCUSDT",
        1610064001076 * MS,
        1610064001076 * MS,
        3_943_299_000_000,
        310_000,
        3_943_362_000_000,
        6_685_100,
        None,
    )
    assert q["bbo"]["ts_exchange"][-1] == 1610064046674 * MS  # 00:00:46.674
    t = readers.read(FIXTURES / "binance/btcusdt-trades.parquet", venue="binance", symbol="BTCUSDT")["trade"]
    # 00:00:00.278, trade_id 553287559, price 39432.48, quantity 0.000263, buyer_maker 'True'
    assert t.row(0) == (
        "binance",
        "BTCUSDT",
        1610064000278 * MS,
        1610064000278 * MS,
        3_943_248_000_000,
        26_300,
        -1,
        553287559,
    )
    assert t.row(-1)[2] == 1610064046355 * MS and t.row(-1)[-1] == 553289559
    # quantity 0.00031099999999999997 (float) rounds back to the printed 0.000311
    assert t["qty"][2] == 31_100


@needs_fixtures
@pytest.mark.parametrize("name", [n for n in EXPECTED if n.endswith(".csv")])
def test_gzipped_csv_gives_identical_tables(tmp_path: Path, name: str) -> None:
    src = FIXTURES / name
    gz = tmp_path / (src.name + ".gz")
    gz.write_bytes(gzip.compress(src.read_bytes()))
    plain, zipped = readers.read(src), readers.read(gz)
    for table in TABLES:
        assert plain[table].equals(zipped[table]), table


# ---- data.binance.vision CSVs, written in each documented shape (exchange-formats.md §1.5) ----

HEADERS = {
    "bookTicker": "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time",
    "aggTrades": "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker",
    "trades": "id,price,qty,quote_qty,time,is_buyer_maker",
    "metrics": "create_time,symbol,sum_open_interest,sum_open_interest_value,"
    "count_toptrader_long_short_ratio,sum_toptrader_long_short_ratio,count_long_short_ratio,"
    "sum_taker_long_short_vol_ratio",
    "fundingRate": "calc_time,funding_interval_hours,last_funding_rate",
}
ROWS = {
    "bookTicker": "1,27077.3,19.35,27077.4,8.6,1684237787209,1684237787214",
    "aggTrades": "100,50000.5,0.010,200,201,1687392000123,true",
    "trades": "4004030402,42283.90,0.005,211.41950,1704067200015,true",  # illustrative, per the header
    "metrics": "2025-10-07 00:00:00,BTCUSDT,100243.058,12494186585.40,0.69,1.82,0.56,1.15",
    "fundingRate": "1780272000001,8,0.00005703",
}
# kind → (table, {column: decoded value}) hand-converted from ROWS
DECODED: dict[str, tuple[str, dict[str, object]]] = {
    "bookTicker": (
        "bbo",
        {
            "ts_exchange": 1684237787209 * MS,
            "ts_local": 1684237787214 * MS,
            "bid_px": 2_707_730_000_000,
            "bid_qty": 1_935_000_000,
            "ask_px": 2_707_740_000_000,
            "ask_qty": 860_000_000,
            "seq": 1,
        },
    ),
    "aggTrades": (
        "trade",
        {
            "ts_local": 1687392000123 * MS,
            "px": 5_000_050_000_000,
            "qty": 1_000_000,
            "aggressor": -1,
            "trade_id": 100,
        },
    ),
    "trades": (
        "trade",
        {
            "ts_local": 1704067200015 * MS,
            "px": 4_228_390_000_000,
            "qty": 500_000,
            "aggressor": -1,
            "trade_id": 4004030402,
        },
    ),
    "metrics": (
        "ticker",
        {
            "ts_exchange": 1759795200 * 10**9,
            "open_interest": 10_024_305_800_000,
            "funding_rate": None,
            "mark_px": None,
        },
    ),
    "fundingRate": (
        "ticker",
        {
            "ts_local": 1780272000001 * MS,
            "funding_rate": 0.00005703,
            "open_interest": None,
            "next_funding_ts": None,
        },
    ),
}


def _write(path: Path, text: str, container: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if container == "csv":
        path.write_text(text)
        return path
    zpath = path.with_suffix(".zip")
    with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(path.name, text)
    return zpath


@pytest.mark.parametrize("container", ["csv", "zip"])
@pytest.mark.parametrize("header", [True, False], ids=["header", "headerless"])
@pytest.mark.parametrize("kind", sorted(ROWS))
def test_binance_vision_csv_shapes(tmp_path: Path, kind: str, header: bool, container: str) -> None:
    text = (HEADERS[kind] + "\n" if header else "") + ROWS[kind] + "\n"
    folder = tmp_path / "data" / "futures" / "um" / "daily" / kind / "BTCUSDT"
    p = _write(folder / f"BTCUSDT-{kind}-2024-01-01.csv", text, container)
    t = readers.read(p)
    table, want = DECODED[kind]
    assert t.counts() == {k: (1 if k == table else 0) for k in TABLES}
    row = t[table].row(0, named=True)
    assert (row["venue"], row["symbol"]) == ("binance-futures", "BTCUSDT")
    for col, value in want.items():
        if isinstance(value, float):
            assert math.isclose(row[col], value, rel_tol=1e-12), col
        else:
            assert row[col] == value, col
    if table != "bbo":
        assert row["ts_exchange"] == row["ts_local"]
    assert list(t.sources.values()) == [f"binance_csv:{kind}"]


def test_binance_spot_agg_trades_with_best_match_and_microseconds(tmp_path: Path) -> None:
    # spot archives: 8th is_best_match column; µs timestamps since 2025-01-01
    p = _write(
        tmp_path / "data" / "spot" / "daily" / "aggTrades" / "BTCUSDT" / "BTCUSDT-aggTrades-2025-01-01.csv",
        "3000,93500.01,0.00100000,4000,4001,1735689600123456,False,True\n",
        "zip",
    )
    df = readers.read(p)["trade"]
    assert df.row(0) == (
        "binance",
        "BTCUSDT",
        1735689600123456 * US,
        1735689600123456 * US,
        9_350_001_000_000,
        100_000,
        1,
        3000,
    )


def test_binance_coin_m_venue_and_symbol_override(tmp_path: Path) -> None:
    p = _write(
        tmp_path / "futures" / "cm" / "daily" / "aggTrades" / "BTCUSD_PERP-aggTrades-2024-01-01.csv",
        HEADERS["aggTrades"] + "\n" + "5,42000.1,3,9,9,1704067200000,false\n",
        "csv",
    )
    assert readers.read(p)["trade"].select("venue", "symbol", "qty").row(0) == (
        "binance-delivery",
        "BTCUSD_PERP",
        300_000_000,
    )
    over = readers.read(p, venue="binance", symbol="XYZ")["trade"]
    assert over.select("venue", "symbol").row(0) == ("binance", "XYZ")


# ---- Tardis data types without a real fixture ----


def test_tardis_derivative_ticker(tmp_path: Path) -> None:
    p = tmp_path / "binance-futures_derivative_ticker_2020-09-01_BTCUSDT.csv"
    p.write_text(
        "exchange,symbol,timestamp,local_timestamp,funding_timestamp,funding_rate,predicted_funding_rate,"
        "open_interest,last_price,index_price,mark_price\n"
        "binance-futures,BTCUSDT,1598918400000000,1598918400100000,1598947200000000,0.0001,,40000.5,11650,"
        "11649.92,11651.01\n"
        "binance-futures,BTCUSDT,1598918401000000,1598918401100000,,,,,,,\n"
    )
    t = readers.read(p)
    assert t.sources == {str(p): "tardis_csv:derivative_ticker"}
    df = t["ticker"]
    assert df.row(0, named=True) == {
        "venue": "binance-futures",
        "symbol": "BTCUSDT",
        "ts_exchange": 1598918400000000 * US,
        "ts_local": 1598918400100000 * US,
        "mark_px": 1_165_101_000_000,
        "index_px": 1_164_992_000_000,
        "oracle_px": None,
        "funding_rate": 0.0001,
        "predicted_funding_rate": None,
        "next_funding_ts": 1598947200000000 * US,
        "open_interest": 4_000_050_000_000,
    }
    assert df.row(1)[4:] == (None,) * 7


def test_tardis_liquidations_by_file_name(tmp_path: Path) -> None:
    text = (
        "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
        "binance-futures,BTCUSDT,1598918400000000,1598918400100000,,sell,11600.5,0.25\n"
        "binance-futures,BTCUSDT,1598918401000000,1598918401100000,,buy,11700,1.5\n"
    )
    p = tmp_path / "binance-futures_liquidations_2020-09-01_BTCUSDT.csv"
    p.write_text(text)
    t = readers.read(p)
    assert t.counts()["liquidation"] == 2 and t.counts()["trade"] == 0
    assert t["liquidation"].select("side", "px", "qty").rows() == [
        (-1, 1_160_050_000_000, 25_000_000),
        (1, 1_170_000_000_000, 150_000_000),
    ]
    # the same content under a trades-like name reads as trades (the columns are the same)
    q = tmp_path / "export.csv"
    q.write_text(text)
    assert readers.read(q).counts()["trade"] == 2


def test_tardis_mixed_exchanges_and_other_units(tmp_path: Path) -> None:
    # grouped export: two exchanges in one file, ms timestamps (another vendor's export)
    p = tmp_path / "mixed.csv"
    p.write_text(
        "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
        "binance-futures,BTCUSDT,1598918400000,1598918400100,1,buy,11600.5,0.25\n"
        "bitmex,XBTUSD,1598918400050,1598918400150,abc,sell,11601,100\n"
        "binance-futures,BTCUSDT,1598918400060,1598918400160,2,unknown,11600,1\n"
    )
    df = readers.read(p)["trade"]
    assert df.select("venue", "symbol", "ts_local", "aggressor").rows() == [
        ("binance-futures", "BTCUSDT", 1598918400100 * MS, 1),
        ("bitmex", "XBTUSD", 1598918400150 * MS, -1),
        ("binance-futures", "BTCUSDT", 1598918400160 * MS, 0),
    ]
    one = tmp_path / "one.csv"
    one.write_text(
        "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
        "deribit,BTC-PERPETUAL,1598918400000000000,1598918400100000000,1,buy,11600.5,10\n"
    )
    assert readers.read(one)["trade"].select("venue", "ts_local").row(0) == ("deribit", 1598918400100000000)


def test_tardis_crlf_and_quoted_cells(tmp_path: Path) -> None:
    p = tmp_path / "q.csv"
    p.write_bytes(
        b"exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount\r\n"
        b'"huobi-dm-swap","BTC-USD",1588291201099000,1588291201234268,"5494",8629.3,8629.2,806\r\n'
    )
    df = readers.read(p)["bbo"]
    assert df.row(0)[:2] == ("huobi-dm-swap", "BTC-USD")
    assert df["ask_qty"][0] == 549_400_000_000 and df["bid_qty"][0] == 80_600_000_000

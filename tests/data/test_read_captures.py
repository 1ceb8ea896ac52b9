"""Binance and Hyperliquid websocket captures and the Hyperliquid archive, read through
``crossbook.data.read``, checked against the SOURCES.md tables of ../shared/data/real and against
values read by hand from the first lines of each file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl
import pytest

from crossbook.data.readers import read

BINANCE = "binance-spot-usdm-coinm-20240808"
E8 = 100_000_000  # scale of prices and sizes
MS = 1_000_000  # ns per ms


@dataclass(frozen=True)
class Capture:
    path: tuple[str, str]
    venue: str
    symbol: str
    # per-stream line counts from SOURCES.md
    book_ticker: int
    trade: int
    depth: int
    lines: int
    # local time span from SOURCES.md (UTC, as printed there)
    span: tuple[str, str]
    # exact values computed from the file (rows of the book table outside the snapshot, first and
    # last receive time in ns)
    depth_rows: int
    first_ts: int
    last_ts: int


CAPTURES = [
    Capture(("usdm", "btcusdt_20240808.gz"), "binance-futures", "BTCUSDT", 66089, 21313, 6551, 93954,
            ("23:54:15.03", "23:59:59.83"), 443_521, 1723161255030314667, 1723161599833492584),
    Capture(("usdm", "ethusdt_20240808.gz"), "binance-futures", "ETHUSDT", 53992, 14076, 6586, 74655,
            ("23:54:15.09", "23:59:59.88"), 428_662, 1723161255088156767, 1723161599881488984),
    Capture(("spot", "btcusdt_20240808.gz"), "binance", "BTCUSDT", 28040, 9757, 3451, 41249,
            ("23:54:13.94", "23:59:59.999"), 124_090, 1723161253937085768, 1723161599999231384),
    Capture(("spot", "ethusdt_20240808.gz"), "binance", "ETHUSDT", 24077, 6106, 3434, 33618,
            ("23:54:14.02", "23:59:59.90"), 106_814, 1723161254024619568, 1723161599900862584),
    Capture(("cm", "btcusd_perp_20240808.gz"), "binance-delivery", "BTCUSD_PERP", 19136, 2286, 26847, 48270,
            ("23:54:16.17", "23:59:59.99"), 296_013, 1723161256172216566, 1723161599994891784),
    Capture(("cm", "ethusd_perp_20240808.gz"), "binance-delivery", "ETHUSD_PERP", 15812, 1732, 22909, 40454,
            ("23:54:16.17", "23:59:59.99"), 193_753, 1723161256172210766, 1723161599988365384),
]  # fmt: skip


def _clock_ns(hms: str) -> tuple[int, int]:
    """'23:54:15.03' on 2024-08-08 → (ns, tolerance ns: half a unit of the last printed digit)."""
    whole, frac = hms.split(".")
    t = datetime.strptime(f"2024-08-08 {whole}", "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    ns = int(t.timestamp()) * 10**9 + int(frac.ljust(9, "0"))
    return ns, 10 ** (9 - len(frac)) // 2


@pytest.mark.parametrize("cap", CAPTURES, ids=lambda c: "/".join(c.path))
def test_binance_capture_counts(real_file, cap: Capture) -> None:
    t = read(real_file(BINANCE, *cap.path))
    assert t.sources == {str(real_file(BINANCE, *cap.path)): "binance_ws"}
    assert t.skipped == []
    bbo, book, trade = t["bbo"], t["book"], t["trade"]
    # one bbo row per bookTicker line, one trade row per trade line, nothing else
    assert bbo.height == cap.book_ticker
    assert trade.height == cap.trade
    assert t["ticker"].height == 0 and t["liquidation"].height == 0
    # book: the depth messages, each a distinct (ts_local, U, u), plus one 1000 + 1000 level snapshot
    updates = book.filter(~pl.col("is_snapshot"))
    snap = book.filter(pl.col("is_snapshot"))
    assert updates.height == cap.depth_rows
    assert updates.select(pl.struct("ts_local", "seq_first", "seq_last").n_unique()).item() == cap.depth
    assert snap.height == 2000
    assert snap["side"].value_counts().sort("side").rows() == [(-1, 1000), (1, 1000)]
    assert snap["seq_first"].n_unique() == 1 and snap["ts_local"].n_unique() == 1
    assert snap["seq_prev"].null_count() == 2000
    assert cap.book_ticker + cap.trade + cap.depth + 1 == cap.lines
    # venue and symbol of every row of every table
    for df in (bbo, book, trade):
        assert df["venue"].unique().to_list() == [cap.venue]
        assert df["symbol"].unique().to_list() == [cap.symbol]
    # receive-time span, exactly, and as SOURCES.md prints it
    all_ts = pl.concat([df["ts_local"] for df in (bbo, book, trade)])
    assert (all_ts.min(), all_ts.max()) == (cap.first_ts, cap.last_ts)
    for got, printed in zip((cap.first_ts, cap.last_ts), cap.span, strict=True):
        want, tol = _clock_ns(printed)
        assert abs(got - want) <= tol, (got, printed)
    # the recorder's clock never goes backwards inside a table
    for df in (bbo, book, trade):
        assert df["ts_local"].is_sorted()
    # spot has no previous-update id; futures chain pu → previous u (the file is gap-free)
    if cap.venue == "binance":
        assert updates["seq_prev"].null_count() == updates.height
        assert (bbo["ts_exchange"] == bbo["ts_local"]).all()
    else:
        msgs = updates.unique(["ts_local", "seq_first"], keep="first", maintain_order=True)
        assert (msgs["seq_prev"].slice(1) == msgs["seq_last"].slice(0, msgs.height - 1)).all()
        assert (bbo["ts_exchange"] > bbo["ts_local"]).mean() > 0.99  # local clock ~1.27 s behind


def test_usdm_first_lines_by_hand(real_file) -> None:
    t = read(real_file(BINANCE, "usdm", "btcusdt_20240808.gz"))
    # 1723161255088169167 {"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5123107839020,
    #   "s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"2.510",
    #   "T":1723161256313,"E":1723161256313}}
    assert t["bbo"].row(0) == (
        "binance-futures", "BTCUSDT", 1723161256313 * MS, 1723161255088169167,
        6180020 * E8 // 100, 2507 * E8 // 1000, 6180030 * E8 // 100, 2510 * E8 // 1000, 5123107839020,
    )  # fmt: skip
    # {"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61800.30",
    #   "q":"0.006","X":"MARKET","m":false} → buyer took
    assert t["trade"].row(0) == (
        "binance-futures", "BTCUSDT", 1723161256322 * MS, 1723161255088176367,
        6180030 * E8 // 100, 6 * E8 // 1000, 1, 5266583935,
    )  # fmt: skip
    # first line: depthUpdate E=1723161256299 U=5123107832006 u=5123107837557 pu=5123107831937,
    #   first bid ["58710.20","0.014"]
    assert t["book"].row(0) == (
        "binance-futures", "BTCUSDT", 1723161256299 * MS, 1723161255030314667,
        1, 5871020 * E8 // 100, 14 * E8 // 1000, False, 5123107832006, 5123107837557, 5123107831937,
    )  # fmt: skip
    # REST snapshot {"lastUpdateId":5123107852948,"E":1723161256501,"T":1723161256493,
    #   "bids":[["61800.20","2.909"],...,["61653.40","0.068"]],
    #   "asks":[["61800.30","1.072"],...,["61976.20","0.002"]]}
    snap = t["book"].filter(pl.col("is_snapshot"))
    assert snap["ts_local"][0] == 1723161255319702566
    assert snap["ts_exchange"][0] == 1723161256501 * MS
    assert snap["seq_first"][0] == snap["seq_last"][0] == 5123107852948
    bids, asks = snap.filter(pl.col("side") == 1), snap.filter(pl.col("side") == -1)
    assert (bids["px"][0], bids["qty"][0]) == (61800_20 * E8 // 100, 2909 * E8 // 1000)
    assert (bids["px"][-1], bids["qty"][-1]) == (61653_40 * E8 // 100, 68 * E8 // 1000)
    assert (asks["px"][0], asks["qty"][0]) == (61800_30 * E8 // 100, 1072 * E8 // 1000)
    assert (asks["px"][-1], asks["qty"][-1]) == (61976_20 * E8 // 100, 2 * E8 // 1000)


def test_spot_first_lines_by_hand(real_file) -> None:
    t = read(real_file(BINANCE, "spot", "btcusdt_20240808.gz"))
    # {"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000",
    #   "A":"1.54698000"}: no exchange time → ts_exchange = ts_local
    assert t["bbo"].row(0) == (
        "binance", "BTCUSDT", 1723161254087891268, 1723161254087891268,
        6183763 * E8 // 100, 378826000, 6183764 * E8 // 100, 154698000, 50093239212,
    )  # fmt: skip
    # {"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000",
    #   "q":"0.02000000","T":1723161255342,"m":true,"M":true} → buyer is maker: seller took
    assert t["trade"].row(0) == (
        "binance", "BTCUSDT", 1723161255342 * MS, 1723161254087896568,
        6183763 * E8 // 100, 2_000_000, -1, 3735683259,
    )  # fmt: skip
    # {"lastUpdateId":50093239218,"bids":[["61837.63000000","3.78826000"],...]} with no E/T
    snap = t["book"].filter(pl.col("is_snapshot"))
    assert snap.row(0) == (
        "binance", "BTCUSDT", 1723161254206652067, 1723161254206652067,
        1, 6183763 * E8 // 100, 378826000, True, 50093239218, 50093239218, None,
    )  # fmt: skip


def test_coinm_first_lines_by_hand(real_file) -> None:
    t = read(real_file(BINANCE, "cm", "btcusd_perp_20240808.gz"))
    # {"u":1007198632021,"e":"bookTicker","s":"BTCUSD_PERP","ps":"BTCUSD","b":"61804.7","B":"35",
    #   "a":"61804.8","A":"1645","T":1723161257465,"E":1723161257476}: sizes in contracts
    assert t["bbo"].row(0) == (
        "binance-delivery", "BTCUSD_PERP", 1723161257465 * MS, 1723161256207640365,
        618047 * E8 // 10, 35 * E8, 618048 * E8 // 10, 1645 * E8, 1007198632021,
    )  # fmt: skip
    # {"lastUpdateId":1007198635033,"E":1723161257835,"T":1723161257823,"symbol":"BTCUSD_PERP",...}
    snap = t["book"].filter(pl.col("is_snapshot"))
    assert snap.row(0)[:9] == (
        "binance-delivery", "BTCUSD_PERP", 1723161257835 * MS, 1723161256609369665,
        1, 618047 * E8 // 10, 35 * E8, True, 1007198635033,
    )  # fmt: skip


def test_venue_override(real_file) -> None:
    t = read(real_file(BINANCE, "spot", "ethusdt_20240808.gz"), venue="binance-us", symbol="ETH-USD")
    assert t["bbo"]["venue"].unique().to_list() == ["binance-us"]
    assert t["book"]["symbol"].unique().to_list() == ["ETH-USD"]


def test_hyperliquid_ws_capture(real_file) -> None:
    path = real_file("hyperliquid-ws-20250126", "hyperliquid", "btcusd_20250126.gz")
    t = read(path)
    book, trade = t["book"], t["trade"]
    # 46 l2Book messages of 20 + 20 levels; 9 trades messages holding 64 trades (23 B, 41 A)
    assert book.height == 46 * 40
    assert book["ts_local"].n_unique() == 46
    assert book["is_snapshot"].all()
    assert book.select(pl.col("seq_first", "seq_last", "seq_prev").null_count()).row(0) == (1840, 1840, 1840)
    assert trade.height == 64
    assert trade["ts_local"].n_unique() == 9
    assert trade["aggressor"].value_counts().sort("aggressor").rows() == [(-1, 41), (1, 23)]
    assert t["bbo"].height == t["ticker"].height == 0
    for df in (book, trade):
        assert df["venue"].unique().to_list() == ["hyperliquid"]
        assert df["symbol"].unique().to_list() == ["BTC"]
    # 1737918843893903000 {"channel":"l2Book","data":{"coin":"BTC","levels":[[{"n":5,"px":"105055.0",
    #   "sz":"3.03622"},...],[{"n":13,"px":"105056.0","sz":"6.34472"},...]],"time":1737918843542}}
    first = book.filter(pl.col("ts_local") == book["ts_local"][0])
    assert first["ts_exchange"].unique().to_list() == [1737918843542 * MS]
    bid = first.filter(pl.col("side") == 1).row(0)
    ask = first.filter(pl.col("side") == -1).row(0)
    assert (bid[5], bid[6]) == (105055 * E8, 303622000)
    assert (ask[5], ask[6]) == (105056 * E8, 634472000)
    # {"coin":"BTC","px":"105056.0","side":"B","sz":"0.00219","tid":121451470284048,"time":1737918794873}
    assert trade.row(0) == (
        "hyperliquid", "BTC", 1737918794873 * MS, 1737918844167767000,
        105056 * E8, 219000, 1, 121451470284048,
    )  # fmt: skip


def test_hyperliquid_archive_lz4(real_file) -> None:
    path = real_file("hyperliquid-archive-l2book-20240101", "market_data", "20240101", "12", "l2Book", "BTC.lz4")
    t = read(path)
    assert t.sources == {str(path): "hyperliquid_archive"}
    book = t["book"]
    # 5587 lines, each a 20 + 20 level snapshot
    assert book.height == 5587 * 40 == 223_480
    assert book["side"].value_counts().sort("side").rows() == [(-1, 111_740), (1, 111_740)]
    assert book["ts_local"].n_unique() == 5587
    assert book["is_snapshot"].all()
    assert book["venue"].unique().to_list() == ["hyperliquid"]
    assert book["symbol"].unique().to_list() == ["BTC"]
    # first line: {"time":"2024-01-01T12:00:01.138942031",...,"data":{"coin":"BTC","time":1704110399915,
    #   "levels":[[{"px":"42727.0","sz":"0.02265","n":1},...],[{"px":"42729.0","sz":"3.83257","n":2},...]]}}
    first = book.head(40)
    assert first["ts_local"].unique().to_list() == [1704110401138942031]
    assert first["ts_exchange"].unique().to_list() == [1704110399915 * MS]
    assert first.filter(pl.col("side") == 1).row(0)[5:7] == (42727 * E8, 2265000)
    assert first.filter(pl.col("side") == -1).row(0)[5:7] == (42729 * E8, 383257000)
    # exchange-time span 11:59:59.915 → 12:59:59.268 (SOURCES.md); last local time from the last line
    assert (book["ts_exchange"].min(), book["ts_exchange"].max()) == (1704110399915 * MS, 1704113999268 * MS)
    assert book["ts_local"].max() == 1704113999800198746
    # snapshots: bids descending, asks ascending, best bid below best ask in every one
    tops = book.group_by("ts_local").agg(
        pl.col("px").filter(pl.col("side") == 1).max().alias("bid"),
        pl.col("px").filter(pl.col("side") == -1).min().alias("ask"),
    )
    assert (tops["bid"] < tops["ask"]).all()

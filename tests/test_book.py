"""crossbook.book: sequence rules on hand-built book tables, grid sampling, OrderBook queries, and the
rebuild of the shared real captures (Binance spot / USDT-M / COIN-M, Hyperliquid archive)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

import crossbook
from crossbook.book import OrderBook, book_at, book_stats, sample_grid, top_of_book
from crossbook.data.schema import SCHEMAS

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
BINANCE = REAL / "binance-spot-usdm-coinm-20240808"
HL_ARCHIVE = REAL / "hyperliquid-archive-l2book-20240101" / "market_data" / "20240101" / "12" / "l2Book" / "BTC.lz4"

NA = None
S = 100_000_000  # 10**8: scaled units


def table(*msgs: tuple, venue: str = "binance-futures", symbol: str = "BTCUSDT") -> pl.DataFrame:
    """A book table from messages ``(ts_local, is_snapshot, U, u, pu, [(side, px, qty), ...])``;
    a message without levels becomes one sequence-only row (side 0, px 0, qty 0). ``venue`` /
    ``symbol`` may be overridden per message with a trailing ``(venue, symbol)`` element."""
    rows = []
    for m in msgs:
        ts, snap, first, last, prev, levels = m[:6]
        ven, sym = m[6] if len(m) > 6 else (venue, symbol)
        for side, px, qty in levels or [(0, 0, 0)]:
            rows.append((ven, sym, ts - 1, ts, side, px, qty, snap, first, last, prev))
    return pl.DataFrame(rows, schema=SCHEMAS["book"], orient="row")


SNAP = [(1, 100, 5), (1, 99, 6), (-1, 101, 7), (-1, 102, 8)]


def tob_rows(tob: pl.DataFrame) -> list[tuple]:
    return tob.select("ts_local", "seq", "bid_px", "bid_qty", "ask_px", "ask_qty").rows()


def stats_row(book: pl.DataFrame, on_gap: str = "raise") -> dict:
    st = book_stats(book, on_gap=on_gap)
    assert st.height == 1
    return st.row(0, named=True)


# ---- Binance futures: pu chaining ----


def test_futures_buffered_updates_bridge_the_snapshot_then_pu_chain():
    book = table(
        (10, False, 1, 5, 0, [(1, 100, 1)]),  # received before the snapshot, u < L: stale
        (20, False, 6, 10, 5, [(1, 100, 9)]),  # received before the snapshot, U <= L <= u: bridges
        (30, True, 8, 8, NA, SNAP),  # REST snapshot, lastUpdateId 8
        (40, False, 11, 12, 10, [(-1, 101, 0)]),  # pu == previous u
        (50, False, 13, 15, 12, []),  # sequence-only update (no levels)
    )
    tob = top_of_book(book)
    assert tob.schema == pl.Schema(SCHEMAS["bbo"])
    assert tob_rows(tob) == [
        (30, 8, 100, 5, 101, 7),
        (30, 10, 100, 9, 101, 7),  # replayed: takes the snapshot's receive time
        (40, 12, 100, 9, 102, 8),
        (50, 15, 100, 9, 102, 8),
    ]
    assert tob["ts_exchange"].to_list() == [29, 19, 39, 49]
    assert tob["venue"].unique().to_list() == ["binance-futures"]
    st = stats_row(book)
    assert {k: st[k] for k in ("rule", "messages", "applied", "snapshots", "dropped", "gaps", "crossed")} == {
        "rule": "pu",
        "messages": 5,
        "applied": 4,
        "snapshots": 1,
        "dropped": 1,
        "gaps": 0,
        "crossed": 0,
    }
    assert st["level_rows"] == 4 + 1 + 1


def test_futures_update_chaining_exactly_on_the_snapshot_id_bridges():
    # futures ids are not consecutive: U may exceed L when pu == L (the update right after)
    book = table((1, True, 8, 8, NA, SNAP), (2, False, 12, 14, 8, [(1, 100, 2)]))
    assert tob_rows(top_of_book(book)) == [(1, 8, 100, 5, 101, 7), (1 + 1, 14, 100, 2, 101, 7)]


def test_futures_gap_raises_sequence_gap_error_with_ids():
    book = table(
        (1, True, 8, 8, NA, SNAP),
        (2, False, 7, 9, 6, [(1, 100, 1)]),
        (3, False, 12, 14, 11, [(1, 100, 2), (1, 98, 1)]),  # pu 11 != previous u 9
    )
    with pytest.raises(crossbook.SequenceGapError) as ei:
        top_of_book(book)
    assert str(ei.value) == (
        "sequence gap in BTCUSDT (binance-futures) at update 5: expected pu == previous u, "
        "got first=12 prev=11 (last applied update id 9)"
    )
    assert isinstance(ei.value, crossbook.CrossbookError)
    assert ei.value.kind == "sequence_gap"
    assert book[5, "seq_first"] == 12  # "update 5" is the book-table row where the message starts


def test_snapshot_older_than_buffered_updates_raises():
    book = table((1, False, 10, 12, 9, [(1, 100, 1)]), (2, True, 8, 8, NA, SNAP))
    with pytest.raises(crossbook.SequenceGapError, match=r"expected U <= lastUpdateId <= u \(first update"):
        top_of_book(book)


# ---- Binance spot: U == previous u + 1 ----


def test_spot_drops_at_or_below_snapshot_id_and_chains_consecutively():
    book = table(
        (1, False, 5, 10, NA, [(1, 100, 1)]),  # u <= L: dropped
        (2, False, 11, 14, NA, [(1, 100, 2)]),  # U <= L + 1 <= u
        (3, True, 10, 10, NA, SNAP),
        (4, False, 15, 20, NA, [(-1, 101, 3)]),  # U == 14 + 1
        (5, False, 18, 20, NA, [(-1, 101, 99)]),  # stale duplicate: dropped
        (6, False, 21, 21, NA, [(1, 100, 4)]),
        venue="binance",
    )
    assert tob_rows(top_of_book(book)) == [
        (3, 10, 100, 5, 101, 7),
        (3, 14, 100, 2, 101, 7),
        (4, 20, 100, 2, 101, 3),
        (6, 21, 100, 4, 101, 3),
    ]
    st = stats_row(book)
    assert (st["rule"], st["dropped"], st["applied"]) == ("U=u+1", 2, 4)


def test_spot_gap_message():
    book = table((1, True, 10, 10, NA, SNAP), (2, False, 11, 12, NA, []), (3, False, 14, 15, NA, []), venue="binance")
    with pytest.raises(crossbook.SequenceGapError) as ei:
        top_of_book(book)
    msg = str(ei.value)
    assert msg.startswith("sequence gap in BTCUSDT (binance) at update 5: expected U == previous u + 1, got first=14")
    assert msg.endswith("(last applied update id 12)")


# ---- resync ----


def test_resync_counts_the_gap_and_resumes_at_the_next_snapshot():
    book = table(
        (1, True, 10, 10, NA, SNAP),
        (2, False, 9, 11, 10, [(1, 100, 1)]),
        (3, False, 15, 16, 14, [(1, 100, 2)]),  # gap: pu 14 != 11
        (4, False, 17, 18, 16, [(1, 100, 3)]),  # unsynced: buffered, stale at the next snapshot
        (5, False, 19, 20, 18, [(1, 100, 4)]),  # buffered, bridges the next snapshot (19)
        (6, True, 19, 19, NA, [(1, 100, 50), (-1, 101, 60)]),
        (7, False, 21, 22, 20, [(-1, 101, 61)]),
    )
    with pytest.raises(crossbook.SequenceGapError):
        top_of_book(book)
    tob = top_of_book(book, on_gap="resync")
    assert tob_rows(tob) == [
        (1, 10, 100, 5, 101, 7),
        (2, 11, 100, 1, 101, 7),
        (6, 19, 100, 50, 101, 60),
        (6, 20, 100, 4, 101, 60),
        (7, 22, 100, 4, 101, 61),
    ]
    st = stats_row(book, on_gap="resync")
    assert (st["gaps"], st["dropped"], st["applied"], st["snapshots"], st["messages"]) == (1, 2, 5, 2, 7)


def test_resync_without_a_later_snapshot_drops_the_rest():
    book = table(
        (1, True, 10, 10, NA, SNAP),
        (2, False, 12, 13, 12, [(1, 100, 1)]),
        (3, False, 14, 15, 13, [(1, 100, 1)]),
    )
    assert top_of_book(book, on_gap="resync").height == 1
    st = stats_row(book, on_gap="resync")
    assert (st["gaps"], st["dropped"]) == (1, 2)


def test_unknown_on_gap_is_rejected():
    with pytest.raises(crossbook.InvalidInputError, match="on_gap must be 'raise' or 'resync', got \"skip\""):
        top_of_book(table((1, True, 1, 1, NA, SNAP)), on_gap="skip")  # type: ignore[arg-type]


# ---- venues without ids ----


def test_tardis_incremental_skips_until_snapshot_and_snapshot_clears():
    book = table(
        (1, False, NA, NA, NA, [(1, 50, 1)]),  # before the first snapshot: skipped
        (2, True, NA, NA, NA, SNAP),
        (3, False, NA, NA, NA, [(1, 100, 0), (-1, 100, 2)]),
        (4, True, NA, NA, NA, [(1, 90, 1), (-1, 95, 1)]),  # after updates: clear, then load
        (5, True, NA, NA, NA, []),  # an emptied book (level-less snapshot row)
        venue="deribit",
        symbol="BTC-PERPETUAL",
    )
    tob = top_of_book(book)
    assert tob_rows(tob) == [
        (2, NA, 100, 5, 101, 7),
        (3, NA, 99, 6, 100, 2),
        (4, NA, 90, 1, 95, 1),
        (5, NA, NA, NA, NA, NA),
    ]
    st = stats_row(book)
    assert (st["rule"], st["dropped"], st["snapshots"], st["applied"]) == ("none", 1, 3, 4)


def test_hyperliquid_each_snapshot_replaces_the_book():
    book = table(
        (1, True, NA, NA, NA, [(1, 42_000 * S, 3 * S), (1, 41_999 * S, 1 * S), (-1, 42_001 * S, 2 * S)]),
        (2, True, NA, NA, NA, [(1, 41_990 * S, 4 * S), (-1, 41_995 * S, 5 * S), (-1, 42_001 * S, 1 * S)]),
        venue="hyperliquid",
        symbol="BTC",
    )
    assert tob_rows(top_of_book(book)) == [
        (1, NA, 42_000 * S, 3 * S, 42_001 * S, 2 * S),
        (2, NA, 41_990 * S, 4 * S, 41_995 * S, 5 * S),
    ]
    ob = book_at(book, 2)
    assert (ob.n_bids, ob.n_asks) == (1, 2)  # the old 42 000 / 41 999 bids are gone


def test_deleting_an_absent_level_is_normal():
    book = table((1, True, 8, 8, NA, SNAP), (2, False, 9, 9, 8, [(1, 97, 0), (-1, 150, 0)]))
    tob = top_of_book(book)
    assert tob_rows(tob)[1] == (2, 9, 100, 5, 101, 7)
    assert len(book_at(book, 2)) == 4


def test_crossed_book_is_counted_not_fatal():
    book = table(
        (1, True, NA, NA, NA, SNAP),
        (2, False, NA, NA, NA, [(1, 101, 1)]),
        (3, False, NA, NA, NA, [(-1, 101, 0)]),
    )
    assert top_of_book(book).height == 3
    assert stats_row(book)["crossed"] == 1


def test_books_are_grouped_in_order_of_first_appearance():
    book = table(
        (1, True, NA, NA, NA, [(1, 10, 1)], ("hyperliquid", "BTC")),
        (2, True, 5, 5, NA, [(1, 20, 1)], ("binance-futures", "BTCUSDT")),
        (3, False, NA, NA, NA, [(1, 11, 1)], ("hyperliquid", "BTC")),
        (4, False, 6, 6, 5, [(1, 21, 1)], ("binance-futures", "BTCUSDT")),
    )
    tob = top_of_book(book)
    assert tob.select("venue", "ts_local", "bid_px", "seq").rows() == [
        ("hyperliquid", 1, 10, NA),
        ("hyperliquid", 3, 11, NA),
        ("binance-futures", 2, 20, 5),
        ("binance-futures", 4, 21, 6),
    ]
    st = book_stats(book)
    assert st.select("venue", "symbol", "rule", "applied").rows() == [
        ("hyperliquid", "BTC", "none", 2),
        ("binance-futures", "BTCUSDT", "pu", 2),
    ]


def test_empty_and_malformed_tables():
    empty = pl.DataFrame(schema=SCHEMAS["book"])
    assert top_of_book(empty).schema == pl.Schema(SCHEMAS["bbo"])
    assert top_of_book(empty).height == 0
    assert sample_grid(empty).height == 0
    with pytest.raises(ValueError, match=r"book table is missing columns \['seq_prev'\]"):
        top_of_book(table((1, True, 1, 1, NA, SNAP)).drop("seq_prev"))


# ---- grid sampling ----


def test_sample_grid_state_as_of_each_grid_time():
    ms = 1_000_000
    book = table(
        (5 * ms, False, 1, 2, 0, [(1, 100, 1)]),  # buffered, stale at the snapshot
        (12 * ms, True, 3, 3, NA, SNAP),  # first synced time: the grid starts at 20 ms
        (20 * ms, False, 4, 4, 3, [(1, 100, 9)]),  # at exactly 20 ms: part of the 20 ms sample
        (35 * ms, False, 5, 5, 4, [(-1, 101, 0)]),
        (60 * ms, False, 6, 6, 5, [(1, 99, 0)]),  # the last message: the grid ends at 60 ms
    )
    g = sample_grid(book, interval_ms=10, levels=2)
    assert g.columns == ["venue", "symbol", "ts", "side", "level", "px", "qty"]
    want = []
    for t in (20, 30):
        want += [(t, 1, 0, 100, 9), (t, 1, 1, 99, 6), (t, -1, 0, 101, 7), (t, -1, 1, 102, 8)]
    for t in (40, 50):
        want += [(t, 1, 0, 100, 9), (t, 1, 1, 99, 6), (t, -1, 0, 102, 8)]
    want += [(60, 1, 0, 100, 9), (60, -1, 0, 102, 8)]
    got = [(ts // ms, side, lvl, px, q) for ts, side, lvl, px, q in g.select("ts", "side", "level", "px", "qty").rows()]
    assert got == want
    with pytest.raises(ValueError, match="interval_ms must be positive"):
        sample_grid(book, interval_ms=0)
    with pytest.raises(crossbook.InvalidInputError, match="levels must be in 1..=65535, got 0"):
        sample_grid(book, levels=0)


def test_sample_grid_skips_the_unsynced_stretch_after_a_gap():
    ms = 1_000_000
    book = table(
        (0, True, 10, 10, NA, [(1, 100, 1)]),
        (15 * ms, False, 12, 12, 11, [(1, 100, 2)]),  # gap: samples at 0 and 10 ms kept
        (32 * ms, True, 20, 20, NA, [(1, 100, 3)]),
        (41 * ms, False, 21, 21, 20, []),
    )
    g = sample_grid(book, interval_ms=10, levels=5, on_gap="resync")
    assert g.select("ts", "qty").rows() == [(0, 1), (10 * ms, 1), (40 * ms, 3)]


# ---- OrderBook queries ----


def test_order_book_queries():
    ob = OrderBook()
    assert repr(ob) == "OrderBook(bids=0, asks=0, best_bid=None, best_ask=None, spread=None)"
    px = lambda v: int(round(v * S))  # noqa: E731
    ob.apply_snapshot(
        np.array([px(99.9), px(99.8), px(99.0)]),
        np.array([px(1), px(2), px(4)]),
        np.array([px(100.1), px(100.2), px(102)]),
        np.array([px(3), px(5), px(7)]),
    )
    assert ob.best_bid() == (px(99.9), px(1))
    assert ob.best_ask() == (px(100.1), px(3))
    assert ob.mid() == px(100.0)
    assert ob.spread() == px(0.2)
    # 20 bps of mid 100 = 0.2: bids >= 99.8, asks <= 100.2 (inclusive)
    assert ob.depth_within_bps(20.0) == (px(3), px(8))
    assert ob.depth_within_bps(5.0) == (0, 0)
    assert ob.queue_at(px(99.8)) == px(2)
    assert ob.queue_at(px(102)) == px(7)
    assert ob.queue_at(px(101)) == 0
    assert ob.queue_at(px(99.8), side=-1) == 0
    bids, asks = ob.top(2)
    assert bids.tolist() == [[px(99.9), px(1)], [px(99.8), px(2)]]
    assert asks.shape == (2, 2)
    assert ob.set_level(1, px(99.95), px(0.5)) is True
    assert ob.set_level(1, px(98), 0) is False  # deleting an absent level
    ob.apply_levels(np.array([-1, 0, -1], dtype=np.int8), np.array([px(100.1), 0, px(100.05)]), np.array([0, 0, 9]))
    assert ob.best_ask() == (px(100.05), 9)
    assert (ob.n_bids, ob.n_asks, len(ob)) == (4, 3, 7)
    assert repr(ob) == "OrderBook(bids=4, asks=3, best_bid=99.95 x 0.5, best_ask=100.05 x 0.00000009, spread=0.1)"
    assert not ob.is_crossed()
    ob.set_level(1, px(100.05), 1)
    assert ob.is_crossed()
    with pytest.raises(crossbook.InvalidInputError, match="side must be"):
        ob.set_level(2, 1, 1)
    with pytest.raises(crossbook.InvalidInputError, match="bids: 1 prices but 2 sizes"):
        ob.apply_snapshot(np.array([1]), np.array([1, 2]), np.array([3]), np.array([1]))
    ob.clear()
    assert ob.best_bid() is None and ob.depth_within_bps(10) is None
    empty_bids, _ = ob.top(5)
    assert empty_bids.shape == (0, 2)


def test_book_at_time():
    book = table(
        (1, False, 9, 9, 8, [(1, 100, 2)]),
        (2, True, 8, 8, NA, SNAP),
        (3, False, 10, 10, 9, [(-1, 101, 1)]),
    )
    with pytest.raises(crossbook.InvalidInputError, match=r"BTCUSDT \(binance-futures\) has no synced book at 1"):
        book_at(book, 1)
    ob = book_at(book, 2)
    assert (ob.best_bid(), ob.best_ask()) == ((100, 2), (101, 7))
    assert book_at(book, 10**18).best_ask() == (101, 1)
    two = pl.concat(
        [book, book.with_columns(pl.lit("binance").alias("venue"), pl.lit(None, pl.Int64).alias("seq_prev"))]
    )
    with pytest.raises(crossbook.InvalidInputError, match="choose one book"):
        book_at(two, 3)
    assert book_at(two, 3, venue="binance-futures").best_ask() == (101, 1)


# ---- real captures (need crossbook.data.read for Binance / Hyperliquid captures) ----


def _read(path: Path):
    from crossbook.data import read

    return read(path)


# Share of top-of-book rows, joined to bookTicker rows with the same update id, whose best bid/ask
# prices and sizes both agree. Measured on the six files below before the readers were merged (with a
# throwaway reader): 1.0 in every file (551–1345 matched ids per file). The lead recalibrates after merge.
BBO_AGREEMENT_FLOOR = 0.999

BINANCE_FILES = [
    "usdm/btcusdt_20240808.gz",
    "usdm/ethusdt_20240808.gz",
    "spot/btcusdt_20240808.gz",
    "spot/ethusdt_20240808.gz",
    "cm/btcusd_perp_20240808.gz",
    "cm/ethusd_perp_20240808.gz",
]
# depth messages per file from SOURCES.md (depth@… streams + the REST snapshot line)
DEPTH_MESSAGES = {
    "usdm/btcusdt_20240808.gz": 6551 + 1,
    "usdm/ethusdt_20240808.gz": 6586 + 1,
    "spot/btcusdt_20240808.gz": 3451 + 1,
    "spot/ethusdt_20240808.gz": 3434 + 1,
    "cm/btcusd_perp_20240808.gz": 26847 + 1,
    "cm/ethusd_perp_20240808.gz": 22909 + 1,
}
# updates received before the REST snapshot whose u is already in it (u < L futures, u <= L spot):
# measured with the throwaway reader; a property of the capture, not of the reader
STALE_BEFORE_SNAPSHOT = {
    "usdm/btcusdt_20240808.gz": 4,
    "usdm/ethusdt_20240808.gz": 5,
    "spot/btcusdt_20240808.gz": 2,
    "spot/ethusdt_20240808.gz": 2,
    "cm/btcusd_perp_20240808.gz": 23,
    "cm/ethusd_perp_20240808.gz": 22,
}


@pytest.mark.skipif(not BINANCE.is_dir(), reason=f"real data folder {BINANCE} is absent")
@pytest.mark.parametrize("name", BINANCE_FILES)
def test_real_binance_rebuild_has_no_gaps_and_agrees_with_book_ticker(name: str):
    tables = _read(BINANCE / name)
    book, bbo = tables["book"], tables["bbo"]
    tob = top_of_book(book)  # raises SequenceGapError on any gap
    st = book_stats(book)
    assert st.height == 1
    s = st.row(0, named=True)
    assert s["gaps"] == 0
    assert s["snapshots"] == 1
    assert s["messages"] == DEPTH_MESSAGES[name]
    assert s["rule"] == ("U=u+1" if name.startswith("spot/") else "pu")
    assert s["dropped"] == STALE_BEFORE_SNAPSHOT[name]
    assert s["applied"] + s["dropped"] == s["messages"]
    assert tob.height == s["applied"]
    assert tob["seq"].is_sorted() and tob["seq"].null_count() == 0
    j = tob.join(bbo.select("seq", "bid_px", "bid_qty", "ask_px", "ask_qty"), on="seq", suffix="_bbo")
    px_ok = (j["bid_px"] == j["bid_px_bbo"]) & (j["ask_px"] == j["ask_px_bbo"])
    all_ok = px_ok & (j["bid_qty"] == j["bid_qty_bbo"]) & (j["ask_qty"] == j["ask_qty_bbo"])
    rate_px, rate_all = px_ok.mean(), all_ok.mean()
    print(
        f"{name}: {tob.height} applied, {s['dropped']} dropped, {s['crossed']} crossed; "
        f"{j.height} update ids shared with bookTicker; agreement px {rate_px:.4f}, px+qty {rate_all:.4f}"
    )
    assert j.height > 100
    assert rate_all >= BBO_AGREEMENT_FLOOR

    # the 100 ms heatmap grid's level 0 is the top of book as of each grid time
    g = sample_grid(book, interval_ms=100, levels=20)
    assert g.group_by("ts").len()["len"].min() == 40  # 20 levels per side everywhere (books hold 1000+)
    top = g.filter(pl.col("level") == 0).pivot(on="side", index="ts", values=["px", "qty"]).sort("ts")
    assert top["ts"][0] == -(-tob["ts_local"][0] // 100_000_000) * 100_000_000  # first grid time after sync
    asof = top.join_asof(tob, left_on="ts", right_on="ts_local", strategy="backward")
    assert asof.select(
        (pl.col("px_1") == pl.col("bid_px")).all(),
        (pl.col("qty_1") == pl.col("bid_qty")).all(),
        (pl.col("px_-1") == pl.col("ask_px")).all(),
        (pl.col("qty_-1") == pl.col("ask_qty")).all(),
    ).row(0) == (True, True, True, True)


@pytest.mark.skipif(not HL_ARCHIVE.is_file(), reason=f"real file {HL_ARCHIVE} is absent")
def test_real_hyperliquid_archive_top_of_book_is_each_snapshots_first_level():
    book = _read(HL_ARCHIVE)["book"]
    tob = top_of_book(book)
    assert tob.height == 5587  # one snapshot per line (SOURCES.md)
    assert tob["seq"].null_count() == tob.height
    first = (
        book.group_by("ts_local", "side", maintain_order=True)
        .agg(pl.col("px").first(), pl.col("qty").first())
        .pivot(on="side", index="ts_local", values=["px", "qty"])
    )
    # levels are published best first: the first bid row is the best bid, the first ask row the best ask
    want = first.select(
        "ts_local",
        pl.col("px_1").alias("bid_px"),
        pl.col("qty_1").alias("bid_qty"),
        pl.col("px_-1").alias("ask_px"),
        pl.col("qty_-1").alias("ask_qty"),
    )
    got = tob.select("ts_local", "bid_px", "bid_qty", "ask_px", "ask_qty")
    assert got.equals(want)
    st = book_stats(book).row(0, named=True)
    assert (st["snapshots"], st["dropped"], st["gaps"], st["crossed"]) == (5587, 0, 0, 0)


FIXTURES = REAL / "nautilus-tardis-binance-fixtures"


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"real data folder {FIXTURES} is absent")
def test_real_binance_depth_csv_update_not_bridging_the_snapshot_is_a_gap():
    # SOURCES.md: btcusdt-depth-update.csv "does NOT chain to the snapshot (ids differ)"
    snap = _read(FIXTURES / "binance" / "btcusdt-depth-snap.csv")["book"]
    upd = _read(FIXTURES / "binance" / "btcusdt-depth-update.csv")["book"]
    assert (snap.height, upd.height) == (100, 100)
    book = pl.concat([snap, upd])
    ven, sym = book.row(0, named=True)["venue"], book.row(0, named=True)["symbol"]
    with pytest.raises(crossbook.SequenceGapError) as ei:
        top_of_book(book)
    assert str(ei.value) == (
        f"sequence gap in {sym} ({ven}) at update 100: expected U <= lastUpdateId <= u (first update after the "
        "snapshot), got first=2098041693435 prev=2098041693400 (last applied update id 2098021528332)"
    )
    tob = top_of_book(book, on_gap="resync")
    # the snapshot file holds 100 bid levels and no ask: best bid 20377.00, no ask
    assert tob.select("seq", "bid_px", "ask_px").rows() == [(2098021528332, 2_037_700_000_000, None)]
    st = book_stats(book, on_gap="resync").row(0, named=True)
    assert (st["messages"], st["applied"], st["gaps"], st["dropped"]) == (2, 1, 1, 1)


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"real data folder {FIXTURES} is absent")
def test_real_tardis_incremental_snapshot_rows_are_one_message():
    # 15 snapshot rows sharing one local_timestamp, asks only: one applied message, no bid
    book = _read(FIXTURES / "tardis" / "deribit_incremental_book_L2_BTC-PERPETUAL.csv")["book"]
    tob = top_of_book(book)
    assert tob.select("venue", "symbol", "ts_local", "seq", "bid_px", "bid_qty", "ask_px", "ask_qty").rows() == [
        ("deribit", "BTC-PERPETUAL", 1585699200355684 * 1000, None, None, None, 642_150_000_000, 1_864_000_000_000)
    ]
    ob = book_at(book, 1585699200355684 * 1000)
    assert (ob.n_bids, ob.n_asks) == (0, 15)

"""benches/hftbacktest_data.py: our tables → hftbacktest 2.x events.

The conversion itself needs only numpy, so its checks always run: a hand-built case with every rule
(stale and bridging pre-snapshot diffs, snapshot clear, delete, sequence-only row, trades of each
aggressor, an exchange/local order inversion that must be split, the feed-latency shift), the
shared USDT-M capture (counts against SOURCES.md and ``crossbook.book.book_stats``, exact round trip
of prices / sizes / timestamps, and the replayed book equal to ``crossbook.book.top_of_book`` after
every message), and a short simulation (Binance diff book and Hyperliquid snapshot-only book).
The checks against hftbacktest itself (its ``event_dtype`` and flag constants, its
``validate_event_order``, and its own book after replaying our events) skip, saying so, when
hftbacktest 2.4.4 is not installed (``make bench-peers`` installs it into ``.venv/peers``; it pins
numpy < 2.3, so it cannot share our venv).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from crossbook.book import book_stats, top_of_book
from crossbook.data import read
from crossbook.data.readers import Tables
from crossbook.data.schema import SCHEMAS

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("hftbacktest_data", REPO / "benches" / "hftbacktest_data.py")
assert _spec is not None and _spec.loader is not None
hd = importlib.util.module_from_spec(_spec)
sys.modules["hftbacktest_data"] = hd  # dataclasses look their module up there
_spec.loader.exec_module(hd)

S = 100_000_000  # scale of prices and sizes
BOTH = hd.EXCH_EVENT | hd.LOCAL_EVENT


def _peer_python() -> str | None:
    """A Python that imports hftbacktest: this one, or the peer venv's."""
    if importlib.util.find_spec("hftbacktest") is not None:
        return sys.executable
    peer = REPO / ".venv" / "peers" / "bin" / "python"
    if peer.exists() and subprocess.run([str(peer), "-c", "import hftbacktest"], check=False).returncode == 0:
        return str(peer)
    return None


PEER = _peer_python()
needs_peer = pytest.mark.skipif(
    PEER is None,
    reason="hftbacktest 2.4.4 is not installed (in this venv or .venv/peers): run `make bench-peers`",
)


def _run_peer(code: str, *args: str) -> dict:
    assert PEER is not None
    r = subprocess.run([PEER, "-c", code, *args], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the hand-built case


def _book_row(ts_ex, ts_loc, side, px, qty, snap, first, last, prev):
    return {
        "venue": "binance-futures",
        "symbol": "BTCUSDT",
        "ts_exchange": ts_ex,
        "ts_local": ts_loc,
        "side": side,
        "px": round(px * S),
        "qty": round(qty * S),
        "is_snapshot": snap,
        "seq_first": first,
        "seq_last": last,
        "seq_prev": prev,
    }


def _trade_row(ts_ex, ts_loc, px, qty, aggressor, tid):
    return {
        "venue": "binance-futures",
        "symbol": "BTCUSDT",
        "ts_exchange": ts_ex,
        "ts_local": ts_loc,
        "px": round(px * S),
        "qty": round(qty * S),
        "aggressor": aggressor,
        "trade_id": tid,
    }


def tiny_tables() -> Tables:
    """M0 stale diff (u=8 < L=10), M1 bridging diff (U=9 ≤ 10 ≤ u=12), M2 snapshot L=10 (2 bids, 2
    asks), M3 diff (delete bid 100.0, ask 100.2 → 0.5), M4 sequence-only; trades T0 (buy, exchange
    time 1400 below the snapshot's 1500 → split), T1 (sell), T2 (unknown aggressor)."""
    book = [
        _book_row(900, 1000, 1, 100.0, 1.0, False, 5, 8, 4),
        _book_row(1900, 2000, -1, 100.5, 2.0, False, 9, 12, 8),
        _book_row(1500, 3000, 1, 100.0, 1.5, True, 10, 10, None),
        _book_row(1500, 3000, 1, 99.9, 2.0, True, 10, 10, None),
        _book_row(1500, 3000, -1, 100.2, 1.0, True, 10, 10, None),
        _book_row(1500, 3000, -1, 100.3, 3.0, True, 10, 10, None),
        _book_row(3900, 4000, 1, 100.0, 0.0, False, 13, 15, 12),
        _book_row(3900, 4000, -1, 100.2, 0.5, False, 13, 15, 12),
        _book_row(4900, 5000, 0, 0.0, 0.0, False, 16, 16, 15),
    ]
    trade = [
        _trade_row(1400, 3500, 100.2, 0.25, 1, 1),
        _trade_row(4400, 4500, 100.0, 0.1, -1, 2),
        _trade_row(5900, 6000, 100.1, 0.05, 0, 3),
    ]
    t = Tables()
    t["book"] = pl.DataFrame(book, schema=SCHEMAS["book"])
    t["trade"] = pl.DataFrame(trade, schema=SCHEMAS["trade"])
    return t


#: (ev, exch_ts, local_ts, px, qty), worked out by hand from the module's rules
TINY_EXPECTED = [
    (hd.TRADE_EVENT | hd.BUY_EVENT | hd.EXCH_EVENT, 1400, 3500, 100.2, 0.25),  # T0's exchange copy
    (hd.DEPTH_CLEAR_EVENT | BOTH, 1500, 3000, 0.0, 0.0),
    (hd.DEPTH_SNAPSHOT_EVENT | hd.BUY_EVENT | BOTH, 1500, 3000, 100.0, 1.5),
    (hd.DEPTH_SNAPSHOT_EVENT | hd.BUY_EVENT | BOTH, 1500, 3000, 99.9, 2.0),
    (hd.DEPTH_SNAPSHOT_EVENT | hd.SELL_EVENT | BOTH, 1500, 3000, 100.2, 1.0),
    (hd.DEPTH_SNAPSHOT_EVENT | hd.SELL_EVENT | BOTH, 1500, 3000, 100.3, 3.0),
    (hd.DEPTH_EVENT | hd.SELL_EVENT | BOTH, 1900, 3000, 100.5, 2.0),  # M1 replayed at the snapshot
    (hd.TRADE_EVENT | hd.BUY_EVENT | hd.LOCAL_EVENT, 1400, 3500, 100.2, 0.25),  # T0's local copy
    (hd.DEPTH_EVENT | hd.BUY_EVENT | BOTH, 3900, 4000, 100.0, 0.0),
    (hd.DEPTH_EVENT | hd.SELL_EVENT | BOTH, 3900, 4000, 100.2, 0.5),
    (hd.TRADE_EVENT | hd.SELL_EVENT | BOTH, 4400, 4500, 100.0, 0.1),
    (hd.TRADE_EVENT | BOTH, 5900, 6000, 100.1, 0.05),
]


def test_dtype_and_flag_values() -> None:
    assert hd.EVENT_DTYPE.itemsize == 64
    assert hd.EVENT_DTYPE.names == ("ev", "exch_ts", "local_ts", "px", "qty", "order_id", "ival", "fval")
    assert [hd.EVENT_DTYPE.fields[n][1] for n in hd.EVENT_DTYPE.names] == [0, 8, 16, 24, 32, 40, 48, 56]
    assert (hd.DEPTH_EVENT, hd.TRADE_EVENT, hd.DEPTH_CLEAR_EVENT, hd.DEPTH_SNAPSHOT_EVENT) == (1, 2, 3, 4)
    assert (hd.EXCH_EVENT, hd.LOCAL_EVENT, hd.BUY_EVENT, hd.SELL_EVENT) == (2**31, 2**30, 2**29, 2**28)


def test_tiny_case_events_exactly() -> None:
    c = hd.to_events(tiny_tables(), "binance-futures", "BTCUSDT")
    got = [(int(e["ev"]), int(e["exch_ts"]), int(e["local_ts"]), float(e["px"]), float(e["qty"])) for e in c.events]
    assert got == TINY_EXPECTED
    assert c.local_shift_ns == 0  # smallest feed latency is +100 ns
    assert c.counts == {
        "messages": 5,
        "stale_dropped": 0,
        "presync_dropped": 1,
        "replayed_from_buffer": 1,
        "seq_only_skipped": 1,
        "depth": 3,
        "snapshot": 4,
        "clear": 1,
        "trade": 3,
        "split": 1,
        "array_rows": 12,
    }
    assert c.rows == 11
    assert (c.tick, c.lot) == (0.1, 0.001)


def test_tiny_case_latency_shift() -> None:
    tables = tiny_tables()
    assert hd.local_shift_ns(tables, "binance-futures", "BTCUSDT", base_latency_ns=250) == 150
    c = hd.to_events(tables, "binance-futures", "BTCUSDT", base_latency_ns=250)
    assert c.local_shift_ns == 150
    assert c.events["local_ts"].tolist() == [r[2] + 150 for r in TINY_EXPECTED]
    shifted = hd.shift_local(tables, 150)
    assert isinstance(shifted, Tables)
    assert (shifted["trade"]["ts_local"] - tables["trade"]["ts_local"]).to_list() == [150, 150, 150]
    assert shifted["trade"]["ts_exchange"].to_list() == tables["trade"]["ts_exchange"].to_list()


def test_order_flags_rejects_unsorted_local() -> None:
    with pytest.raises(ValueError, match="sorted by local_ts"):
        hd.order_flags(np.array([1, 2], np.int64), np.array([5, 4], np.int64))


# ---------------------------------------------------------------- real capture and simulator


def _check_order(ev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    exch = (ev["ev"] & hd.EXCH_EVENT) != 0
    loc = (ev["ev"] & hd.LOCAL_EVENT) != 0
    assert np.all(exch | loc)
    assert np.all(np.diff(ev["exch_ts"][exch]) >= 0)
    assert np.all(np.diff(ev["local_ts"][loc]) >= 0)
    return exch, loc


def _replayed_tops(ev: np.ndarray) -> dict[int, tuple[int, int, int, int]]:
    """Replay the LOCAL book events; the top of book (scaled ints) after the last event of each local_ts."""
    loc = ev[(ev["ev"] & hd.LOCAL_EVENT) != 0]
    kind = (loc["ev"] & 0xFF).tolist()
    bid = ((loc["ev"] & hd.BUY_EVENT) != 0).tolist()
    px = np.rint(loc["px"] * S).astype(np.int64).tolist()
    qty = np.rint(loc["qty"] * S).astype(np.int64).tolist()
    ts = loc["local_ts"].tolist()
    books: tuple[dict[int, int], dict[int, int]] = ({}, {})
    tops: dict[int, tuple[int, int, int, int]] = {}
    n = len(kind)
    touched = False
    for i in range(n):
        k = kind[i]
        if k == hd.DEPTH_CLEAR_EVENT:
            books[0].clear()
            books[1].clear()
            touched = True
        elif k in (hd.DEPTH_EVENT, hd.DEPTH_SNAPSHOT_EVENT):
            side = books[0] if bid[i] else books[1]
            if qty[i] == 0:
                side.pop(px[i], None)
            else:
                side[px[i]] = qty[i]
            touched = True
        if touched and (i + 1 == n or ts[i + 1] != ts[i]):
            bb, ba = max(books[0]), min(books[1])
            tops[ts[i]] = (bb, books[0][bb], ba, books[1][ba])
            touched = False
    return tops


def _expected_tops(book: pl.DataFrame, venue: str, symbol: str) -> dict[int, tuple[int, int, int, int]]:
    tob = top_of_book(book.filter((pl.col("venue") == venue) & (pl.col("symbol") == symbol)))
    last = tob.group_by("ts_local", maintain_order=True).last()
    return {r[0]: r[1:] for r in last.select("ts_local", "bid_px", "bid_qty", "ask_px", "ask_qty").iter_rows()}


@pytest.fixture(scope="module")
def usdm(request: pytest.FixtureRequest):
    p = REPO / ".." / "shared" / "data" / "real" / "binance-spot-usdm-coinm-20240808" / "usdm" / "btcusdt_20240808.gz"
    if not p.exists():
        pytest.skip(f"real data not available: {p.resolve()} is absent")
    tables = read(p)
    return tables, hd.to_events(tables, "binance-futures", "BTCUSDT")


def test_usdm_counts(usdm) -> None:
    tables, c = usdm
    stats = book_stats(tables["book"]).row(0, named=True)
    # SOURCES.md: trade 21313 lines, one REST snapshot of 1000 + 1000 levels
    assert c.counts["trade"] == 21313 == tables["trade"].height
    assert c.counts["snapshot"] == 2000
    assert c.counts["clear"] == 1
    assert c.counts["messages"] == stats["messages"] == 6552
    assert c.counts["presync_dropped"] + c.counts["stale_dropped"] == stats["dropped"] == 4
    assert c.counts["depth"] + c.counts["snapshot"] == stats["level_rows"]
    exch, loc = _check_order(c.events)
    # every source row is processed once by each side
    assert int(exch.sum()) == int(loc.sum()) == c.rows == c.counts["depth"] + 2000 + 1 + 21313
    assert c.events.size == c.rows + c.counts["split"]


def test_usdm_feed_latency_shift(usdm) -> None:
    tables, c = usdm
    lat = tables["book"]["ts_local"] - tables["book"]["ts_exchange"]
    lat_t = tables["trade"]["ts_local"] - tables["trade"]["ts_exchange"]
    assert c.local_shift_ns == -min(lat.min(), lat_t.min()) > 1_200_000_000  # recorder ≈ 1.27 s behind
    _, loc = _check_order(c.events)
    assert int((c.events["local_ts"] - c.events["exch_ts"])[loc].min()) == 0


def test_usdm_trades_round_trip(usdm) -> None:
    tables, c = usdm
    ev = c.events
    tr = ev[((ev["ev"] & 0xFF) == hd.TRADE_EVENT) & ((ev["ev"] & hd.LOCAL_EVENT) != 0)]
    t = tables["trade"].sort("ts_local", maintain_order=True)
    assert np.array_equal(np.rint(tr["px"] * S).astype(np.int64), t["px"].to_numpy())
    assert np.array_equal(np.rint(tr["qty"] * S).astype(np.int64), t["qty"].to_numpy())
    assert np.array_equal(tr["exch_ts"], t["ts_exchange"].to_numpy())
    assert np.array_equal(tr["local_ts"], t["ts_local"].to_numpy() + c.local_shift_ns)
    assert np.all(tr["exch_ts"] % 1_000_000 == 0)  # Binance ms times, in ns
    side = np.where((tr["ev"] & hd.BUY_EVENT) != 0, 1, np.where((tr["ev"] & hd.SELL_EVENT) != 0, -1, 0))
    assert np.array_equal(side, t["aggressor"].to_numpy())


def test_usdm_book_replay_matches_crossbook_book(usdm) -> None:
    tables, _ = usdm
    c = hd.to_events(tables, "binance-futures", "BTCUSDT", shift_ns=0)  # top_of_book is on unshifted ts_local
    got = _replayed_tops(c.events)
    want = _expected_tops(tables["book"], "binance-futures", "BTCUSDT")
    assert len(want) > 6000
    assert got == want


@pytest.mark.parametrize(("venue", "symbol"), [("binance-futures", "BTCUSDT"), ("hyperliquid", "BTC")])
def test_sim_book_replay_matches_crossbook_book(venue: str, symbol: str) -> None:
    from crossbook.sim import simulate

    tables = simulate(minutes=2, seed=3).tables
    c = hd.to_events(tables, venue, symbol, shift_ns=0)
    _check_order(c.events)
    book = tables["book"].filter((pl.col("venue") == venue) & (pl.col("symbol") == symbol))
    trades = tables["trade"].filter((pl.col("venue") == venue) & (pl.col("symbol") == symbol))
    assert c.counts["trade"] == trades.height
    assert c.counts["depth"] + c.counts["snapshot"] == book_stats(book).row(0, named=True)["level_rows"]
    assert _replayed_tops(c.events) == _expected_tops(tables["book"], venue, symbol)


# ---------------------------------------------------------------- against hftbacktest itself

_PEER_CHECK = r"""
import json, sys
import numpy as np
import hftbacktest as h
from hftbacktest.data import validate_event_order
tiny = np.load(sys.argv[1])["data"]
assert tiny.dtype == h.event_dtype, (tiny.dtype, h.event_dtype)
consts = [h.DEPTH_EVENT, h.TRADE_EVENT, h.DEPTH_CLEAR_EVENT, h.DEPTH_SNAPSHOT_EVENT,
          h.EXCH_EVENT, h.LOCAL_EVENT, h.BUY_EVENT, h.SELL_EVENT]
validate_event_order(tiny)
asset = (h.BacktestAsset().data(tiny).linear_asset(1.0).constant_order_latency(0, 0)
         .risk_adverse_queue_model().no_partial_fill_exchange().trading_value_fee_model(0.0, 0.0)
         .tick_size(0.1).lot_size(0.001).last_trades_capacity(100))
hbt = h.HashMapMarketDepthBacktest([asset])
seen = []
while True:
    code = hbt.elapse(250)
    d = hbt.depth(0)
    seen.append([int(hbt.current_timestamp), float(d.best_bid), float(d.best_ask),
                 float(d.bid_qty_at_tick(999)), float(d.ask_qty_at_tick(1002)), len(hbt.last_trades(0))])
    hbt.clear_last_trades(0)
    if code != 0:
        break
print(json.dumps({"version": h.__version__, "consts": consts, "seen": seen, "end": code}))
"""


@needs_peer
def test_peer_loads_tiny_case(tmp_path: Path) -> None:
    c = hd.to_events(tiny_tables(), "binance-futures", "BTCUSDT")
    npz = hd.save_npz(tmp_path / "tiny.npz", c.events)
    out = _run_peer(_PEER_CHECK, str(npz))
    assert out["version"] == "2.4.4"
    assert out["consts"] == [1, 2, 3, 4, 2**31, 2**30, 2**29, 2**28]
    assert out["end"] == 1
    by_ts = {s[0]: s[1:] for s in out["seen"]}
    # after the snapshot (local 3000) and before M3 (local 4000): best 100.0 / 100.2, 2 lots at 99.9
    mid = [v for t, v in by_ts.items() if 3000 <= t < 4000]
    assert mid and all(v[0] == pytest.approx(100.0) and v[1] == pytest.approx(100.2) for v in mid)
    assert all(v[2] == 2.0 for v in mid)
    # at the end: bid 100.0 deleted → 99.9; ask 100.2 left with 0.5
    last = out["seen"][-1]
    assert last[1] == pytest.approx(99.9) and last[2] == pytest.approx(100.2) and last[4] == 0.5
    # the three trades reach the strategy (last_trades), each once
    assert sum(v[4] for v in by_ts.values()) == 3


_PEER_USDM = r"""
import json, sys
import numpy as np
import hftbacktest as h
from hftbacktest.data import validate_event_order
data = np.load(sys.argv[1])["data"]
validate_event_order(data)
asset = (h.BacktestAsset().data(data).linear_asset(1.0).constant_order_latency(0, 0)
         .risk_adverse_queue_model().no_partial_fill_exchange().trading_value_fee_model(0.0, 0.0)
         .tick_size(0.1).lot_size(0.001))
hbt = h.HashMapMarketDepthBacktest([asset])
hbt.elapse(1)  # starts the clock at the first event
tops = []
for t in [int(x) for x in sys.argv[2].split(",")]:
    code = hbt.elapse(t - hbt.current_timestamp)
    d = hbt.depth(0)
    tops.append([int(hbt.current_timestamp), d.best_bid_tick, d.best_ask_tick, d.best_bid_qty, d.best_ask_qty, code])
print(json.dumps(tops))
"""


@needs_peer
def test_peer_book_matches_ours_on_usdm(usdm, tmp_path: Path) -> None:
    tables, c = usdm
    npz = hd.save_npz(tmp_path / "usdm.npz", c.events)
    want = _expected_tops(tables["book"], "binance-futures", "BTCUSDT")
    stamps = sorted(want)
    # probe at 20 message times (shifted like the events), after everything at that local time
    probes = [stamps[i] for i in np.linspace(len(stamps) // 10, len(stamps) - 1, 20).astype(int)]
    got = _run_peer(_PEER_USDM, str(npz), ",".join(str(t + c.local_shift_ns) for t in probes))
    for t, (ts, bid_t, ask_t, bid_q, ask_q, code) in zip(probes, got, strict=True):
        assert code in (0, 1)  # 1: the probe reached the end of the data (the clock then stays put)
        assert code == 1 or ts == t + c.local_shift_ns
        bb, bq, ba, aq = want[max(s for s in stamps if s <= t)]
        assert (bid_t, ask_t) == (bb // (S // 10), ba // (S // 10))
        assert (round(bid_q * S), round(ask_q * S)) == (bq, aq)

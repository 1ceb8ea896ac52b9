"""Exchange simulator for our orders: hand-built books and prints with exact, hand-computed results."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

import crossbook
from crossbook.exchange import EIGHT_HOURS_NS, ExchangeSim, market_events

MS = 1_000_000
UNIT = 100_000_000  # sizes are exact to 1e-8 instrument units


def units(x: float) -> float:
    """A size rounded to the simulator's 1e-8 grid (round half up), as the core does."""
    return math.floor(x * UNIT + 0.5) / UNIT


def seeded(**kw: object) -> ExchangeSim:
    """Book at t=0: bid 99 × 10, ask 101 × 10."""
    s = ExchangeSim(**kw)  # type: ignore[arg-type]
    s.book(0, "bid", 99.0, 10.0)
    s.book(0, "ask", 101.0, 10.0)
    return s


def test_risk_averse_queue_then_partial_then_full_fill() -> None:
    s = seeded()
    oid = s.submit(1, "buy", 99.0, 2.0, client_id=7)
    s.advance_to(1)
    assert s.queue_ahead(oid) == 10.0  # joined behind the visible 10
    s.book(2, "bid", 99.0, 12.0)  # 2 join behind us
    s.book(3, "bid", 99.0, 11.0)  # a cancel: risk-averse never counts it as ahead of us
    assert s.queue_ahead(oid) == 10.0
    s.trade(4, 99.0, 6.0, "sell")
    assert s.queue_ahead(oid) == 4.0 and s.fills().is_empty()
    s.trade(5, 101.0, 3.0, "buy")  # buyer lifting asks: irrelevant to our bid
    s.trade(6, 99.0, 5.0, "sell")  # 4 ahead, then 1 of ours
    assert s.queue_ahead(oid) == 0.0 and s.leaves(oid) == 1.0
    s.trade(7, 99.0, 3.0, "sell")  # the rest
    f = s.fills()
    assert f["qty"].to_list() == [1.0, 1.0]
    assert f["leaves"].to_list() == [1.0, 0.0]
    assert f["px"].to_list() == [99.0, 99.0]
    assert f["kind"].to_list() == ["queue", "queue"]
    assert f["maker"].to_list() == [True, True]
    assert f["client_id"].to_list() == [7, 7]
    assert f["ts_exchange"].to_list() == [6, 7]
    ev = s.order_events()
    assert ev["state"].to_list() == ["submitted", "accepted", "partially_filled", "filled"]
    assert s.position == 2.0 and s.cash == -198.0 and s.order_status(oid) == "done"


def _after_cancel(queue: str, cancel_at: int, **kw: object) -> float | None:
    """Join a level of 10, 30 join behind at t=100 ms, 8 cancel at `cancel_at`: the size left ahead."""
    s = seeded(queue=queue, **kw)
    oid = s.submit(1, "buy", 99.0, 1.0)
    s.advance_to(1)
    s.book(100 * MS, "bid", 99.0, 40.0)
    s.book(cancel_at, "bid", 99.0, 32.0)
    return s.queue_ahead(oid)


def test_cancels_under_each_queue_model() -> None:
    # front 10, back 30, a decrease of 8 with no trade
    assert _after_cancel("risk_averse", 200 * MS) == 10.0
    # hftbacktest ProbQueueModel: fraction f(front)/(f(front)+f(back)) of the 8 is taken from ahead
    # power n=2: 100 / (100 + 900) = 0.1 → 10 − 0.8 = 9.2
    assert _after_cancel("power", 200 * MS, power_n=2.0) == 9.2
    # power n=3: 1000 / 28000 → 10 − 8/28
    assert _after_cancel("power", 200 * MS, power_n=3.0) == units(10 - 8 / 28)
    # log: ln(11) / (ln(11) + ln(31)) of 8, sizes in instrument units
    assert _after_cancel("log", 200 * MS) == units(10 - 8 * math.log(11) / (math.log(11) + math.log(31)))
    assert _after_cancel("log", 200 * MS) == 6.71063979
    # hftbacktest's other functions, p = probability the decrease was behind us; 10 − (1 − p)·8
    assert _after_cancel("power2", 200 * MS, power_n=2.0) == 6.5  # p = (30/40)² = 0.5625
    assert _after_cancel("power3", 200 * MS, power_n=3.0) == 9.875  # p = 1 − (10/40)³ = 63/64
    assert _after_cancel("log2", 200 * MS) == units(10 - 8 * (1 - math.log(31) / math.log(41)))
    # inferred: within recent_ns of the 30 joining, the cancel is theirs; after it, proportional 8·10/40
    assert _after_cancel("inferred", 600 * MS, recent_ns=1_000 * MS) == 10.0
    assert _after_cancel("inferred", 1_200 * MS, recent_ns=1_000 * MS) == 8.0


@pytest.mark.parametrize(
    ("queue", "kw", "expected"),
    [
        # hftbacktest's formula: back = previous level − front = 40 − 6 (the traded 4 still counted behind)
        ("power", {"power_n": 1.0}, units(6 - 4 * 6 / 40)),
        # ours measures back after removing the traded size: 40 − 4 − 6 = 30
        ("inferred", {"recent_ns": 0}, units(6 - 4 * 6 / 36)),
        ("risk_averse", {}, 6.0),
    ],
)
def test_trades_are_netted_out_of_the_level_decrease(queue: str, kw: dict[str, float], expected: float) -> None:
    s = seeded(queue=queue, **kw)
    oid = s.submit(1, "buy", 99.0, 1.0)
    s.advance_to(1)
    s.book(2, "bid", 99.0, 40.0)  # front 10, back 30
    s.trade(3, 99.0, 4.0, "sell")  # eats 4 ahead → 6
    s.book(4, "bid", 99.0, 32.0)  # 8 less = 4 traded + 4 canceled
    assert s.queue_ahead(oid) == expected


def test_trade_through_and_book_cross_fill_fully_at_our_price() -> None:
    s = seeded()
    bid = s.submit(1, "buy", 99.0, 3.0)
    ask = s.submit(1, "sell", 101.0, 3.0)
    s.advance_to(1)
    s.trade(2, 98.5, 0.1, "sell")  # printed below our bid: we would have been hit first
    s.book(3, "bid", 101.0, 1.0)  # a bid at our ask: the book crosses us
    f = s.fills()
    assert f.select("order_id", "px", "qty", "kind", "maker", "queue_ahead").rows() == [
        (bid, 99.0, 3.0, "trade_through", True, 10.0),
        (ask, 101.0, 3.0, "book_cross", True, 10.0),
    ]
    assert s.position == 0.0 and s.cash == 6.0


def test_post_only_rejected_when_crossing_at_arrival() -> None:
    s = seeded(entry_ns=5 * MS)
    crossing = s.submit(0, "buy", 101.0, 1.0)  # crosses the 101 ask
    moved = s.submit(0, "sell", 100.0, 1.0)  # fine now, but the bid moves to 100 before it lands
    fine = s.submit(0, "sell", 102.0, 1.0)
    s.book(3 * MS, "bid", 100.0, 2.0)
    s.advance_to(5 * MS)
    ev = s.order_events().filter(pl.col("state").is_in(["rejected", "accepted"]))
    assert ev.select("order_id", "state", "reason", "ts_exchange").rows() == [
        (crossing, "rejected", "post_only_cross", 5 * MS),
        (moved, "rejected", "post_only_cross", 5 * MS),
        (fine, "accepted", "", 5 * MS),
    ]
    assert s.counters()["post_only_rejects"] == 2
    assert s.fills().is_empty() and s.open_orders() == [fine]


def test_entry_latency_delays_arrival() -> None:
    def run(entry_ns: int) -> int:
        s = seeded(entry_ns=entry_ns)
        s.book(0, "bid", 99.0, 0.0)  # our level empty: we would be first in line
        s.submit(0, "buy", 99.0, 1.0)
        s.trade(4 * MS, 99.0, 1.0, "sell")
        s.trade(5 * MS, 99.0, 0.5, "sell")  # same ns as a 5 ms arrival: the market goes first
        s.advance_to(6 * MS)
        return s.fills().height

    assert run(0) == 1  # resting from 0: the 4 ms print fills it
    assert run(5 * MS) == 0  # lands at 5 ms: the 4 ms print is gone, the 5 ms one is applied before it


def test_cancel_latency_lets_a_fill_land_first() -> None:
    s = seeded(entry_ns=5 * MS, response_ns=2 * MS)
    s.book(0, "bid", 99.0, 0.0)
    oid = s.submit(0, "buy", 99.0, 1.0)  # lands at 5 ms
    s.cancel(6 * MS, oid)  # lands at 11 ms
    s.trade(8 * MS, 99.0, 1.0, "sell")
    s.advance_to(20 * MS)
    f = s.fills()
    assert f.select("ts_exchange", "ts_local", "qty").rows() == [(8 * MS, 10 * MS, 1.0)]
    ev = s.order_events()
    assert ev.select("state", "ts_exchange", "ts_local").rows() == [
        ("submitted", 5 * MS, 0),
        ("cancel_requested", 11 * MS, 6 * MS),
        ("accepted", 5 * MS, 7 * MS),
        ("filled", 8 * MS, 10 * MS),
        ("cancel_rejected", 11 * MS, 13 * MS),
    ]
    assert s.counters()["cancel_rejects"] == 1
    # what the strategy sees, in local time
    assert [k for _, k, _ in s.poll(9 * MS)] == ["order", "order", "order"]
    assert s.poll(10 * MS) == [(10 * MS, "fill", 0), (10 * MS, "order", 3)]
    assert s.poll(10**18) == [(13 * MS, "order", 4)]


def test_cancel_landing_before_the_print_saves_the_order() -> None:
    s = seeded(entry_ns=1 * MS)
    s.book(0, "bid", 99.0, 0.0)
    oid = s.submit(0, "buy", 99.0, 1.0)
    s.cancel(2 * MS, oid)  # lands at 3 ms
    s.trade(4 * MS, 99.0, 1.0, "sell")
    assert s.fills().is_empty() and s.order_events()["state"][-1] == "canceled"


def test_interpolated_latency_values() -> None:
    s = seeded(
        latency="interpolated",
        latency_ts=[1_000, 2_000, 4_000],
        latency_entry=[100, 300, 300],
        latency_response=[50, 50, 150],
    )
    for t in (500, 1_500, 3_000, 5_000):
        s.submit(t, "buy", 98.0, 1.0)
        s.advance_to(t + 400)
    ev = s.order_events()
    sub = ev.filter(pl.col("state") == "submitted")
    acc = ev.filter(pl.col("state") == "accepted")
    # entry: before the series → first row (100); 1500 → 200; 3000 → 300; after → last (300)
    assert (sub["ts_exchange"] - sub["ts_local"]).to_list() == [100, 200, 300, 300]
    # response at the arrival time: 600 → 50; 1700 → 50; 3300 → 50 + 100·1300/2000 = 115; 5300 → 150
    assert (acc["ts_local"] - acc["ts_exchange"]).to_list() == [50, 50, 115, 150]


def test_feed_latency_scales_order_latency() -> None:
    s = ExchangeSim(latency="feed", feed_entry_mul=2.0, entry_ns=10, feed_response_mul=1.0)
    s.book(1_000, "ask", 101.0, 1.0, ts_local=1_400)  # feed latency 400 ns
    assert s.feed_latency_ns == 400
    s.submit(1_400, "buy", 100.0, 1.0)
    s.advance_to(10_000)
    ev = s.order_events()
    assert ev["ts_exchange"].to_list() == [2_210, 2_210]  # 1400 + 2·400 + 10
    assert ev["ts_local"].to_list() == [1_400, 2_610]


def test_maker_rebate_and_taker_fee() -> None:
    s = seeded(maker_fee_bps=-1.0, taker_fee_bps=5.0)
    s.book(0, "ask", 102.0, 10.0)
    maker = s.submit(1, "buy", 99.0, 2.0)
    taker = s.submit(1, "buy", 102.0, 12.0, post_only=False)  # 10 at 101 then 2 at 102
    s.advance_to(1)
    s.trade(2, 99.0, 12.0, "sell")
    f = s.fills()
    assert f.select("order_id", "px", "qty", "maker", "kind").rows() == [
        (taker, 101.0, 10.0, False, "taker"),
        (taker, 102.0, 2.0, False, "taker"),
        (maker, 99.0, 2.0, True, "queue"),
    ]
    assert f["fee"].to_list() == [1010.0 * 5.0 / 10_000, 204.0 * 5.0 / 10_000, 198.0 * -1.0 / 10_000]
    assert f["fee"].to_list() == pytest.approx([0.505, 0.102, -0.0198], abs=1e-15)
    assert s.fees_paid == pytest.approx(0.5872, abs=1e-12)
    assert s.cash == pytest.approx(-(1010.0 + 204.0 + 198.0) - 0.5872, abs=1e-9)


def test_taker_remainder_expires() -> None:
    s = seeded(taker_fee_bps=5.0)
    oid = s.submit(1, "sell", 98.0, 15.0, post_only=False)  # only 10 bid at 99 down to 98
    s.advance_to(1)
    assert s.fills()["qty"].to_list() == [10.0]
    assert s.order_events()["state"].to_list()[-1] == "expired"
    assert s.order_events()["reason"].to_list()[-1] == "taker_remainder"
    assert s.counters()["taker_remainders"] == 1 and s.order_status(oid) == "done"


def test_funding_payment_sign_and_size() -> None:
    h8 = EIGHT_HOURS_NS
    s = seeded(funding_interval_ns=h8, response_ns=1_000)
    s.ticker(1, mark_px=50_000.0, funding_rate=0.0001)
    s.submit(1, "buy", 101.0, 2.0, post_only=False)  # long 2
    s.advance_to(h8 - 1)
    s.trade(h8, 101.0, 1.0, "buy")  # the 8 h settlement happens before this event
    s.ticker(h8 + 1, mark_px=40_000.0, funding_rate=0.0003)
    s.submit(h8 + 1, "sell", 99.0, 4.0, post_only=False)  # short 2 (takes the 10 bid)
    s.advance_to(2 * h8)
    p = s.funding_payments()
    assert p.select("ts_exchange", "ts_local", "position", "mark_px", "rate", "payment").rows() == [
        (h8, h8 + 1_000, 2.0, 50_000.0, 0.0001, -10.0),  # long pays 2 × 50 000 × 1 bp
        # short receives 2 × 40 000 × 3 bp (= 24 up to the rate's binary rounding)
        (2 * h8, 2 * h8 + 1_000, -2.0, 40_000.0, 0.0003, 80_000.0 * 0.0003),
    ]
    assert p["payment"][1] == pytest.approx(24.0, rel=1e-15)
    assert s.funding_received == -10.0 + 80_000.0 * 0.0003


def test_funding_at_explicit_times_and_skips_without_rate() -> None:
    s = seeded(funding_times=[10, 20])
    s.submit(1, "buy", 101.0, 1.0, post_only=False)
    s.advance_to(15)  # no rate known at 10: skipped and counted
    s.ticker(16, funding_rate=-0.0001)  # no mark: the book mid (100) is used
    s.advance_to(30)
    assert s.counters()["funding_skipped"] == 1
    assert s.funding_payments().select("ts_exchange", "mark_px", "payment").rows() == [(20, 100.0, 0.01)]


def test_bad_inputs_raise_typed_errors() -> None:
    s = seeded()
    with pytest.raises(crossbook.InvalidInputError, match="order size must be > 0"):
        s.submit(1, "buy", 99.0, 0.0)
    with pytest.raises(crossbook.InvalidInputError, match="order size must be > 0"):
        s.submit(1, "buy", 99.0, -1.0)
    with pytest.raises(crossbook.InvalidInputError, match="order price must be a finite number"):
        s.submit(1, "buy", float("nan"), 1.0)
    with pytest.raises(crossbook.InvalidInputError, match="order price must be > 0"):
        s.submit(1, "buy", 0.0, 1.0)
    with pytest.raises(crossbook.InvalidInputError, match="cancel of unknown order id 5"):
        s.cancel(1, 5)
    with pytest.raises(crossbook.InvalidInputError, match="side must be"):
        s.submit(1, "up", 99.0, 1.0)
    with pytest.raises(crossbook.InvalidInputError, match="trade size"):
        s.trade(1, 99.0, float("inf"), "sell")
    s.book(10, "bid", 99.0, 1.0)
    with pytest.raises(crossbook.InvalidInputError, match="before the venue clock 10 ns"):
        s.book(9, "bid", 99.0, 1.0)
    with pytest.raises(crossbook.InvalidInputError, match="would reach the venue at 5 ns"):
        s.submit(5, "buy", 99.0, 1.0)
    assert s.order_events().is_empty()
    with pytest.raises(crossbook.InvalidInputError, match="queue must be"):
        ExchangeSim(queue="fifo")
    with pytest.raises(crossbook.InvalidInputError, match="power n must be finite and > 0"):
        ExchangeSim(queue="power", power_n=float("nan"))
    with pytest.raises(crossbook.InvalidInputError, match="constant latency must be >= 0"):
        ExchangeSim(entry_ns=-1)
    with pytest.raises(crossbook.InvalidInputError, match="strictly increasing"):
        ExchangeSim(latency="interpolated", latency_ts=[2, 1], latency_entry=[0, 0], latency_response=[0, 0])


def _random_market(seed: int) -> pl.DataFrame:
    """A synthetic one-level book (bid mid−1, ask mid+1) and prints at or through the touch, every 1 ms."""
    rng = np.random.default_rng(seed)
    rows = []
    mid = 100
    for i in range(3_000):
        t, tl = i * MS, i * MS + 300_000
        new_mid = min(max(mid + int(rng.integers(-1, 2)) * int(rng.random() < 0.05), 90), 110)
        if new_mid != mid:  # the old touch levels disappear
            rows += [(0, t, tl, 1, (mid - 1) * UNIT, 0), (0, t, tl, -1, (mid + 1) * UNIT, 0)]
            mid = new_mid
        rows.append((0, t, tl, 1, (mid - 1) * UNIT, int(rng.integers(1, 20)) * UNIT // 2))
        rows.append((0, t, tl, -1, (mid + 1) * UNIT, int(rng.integers(1, 20)) * UNIT // 2))
        if rng.random() < 0.3:
            side = 1 if rng.random() < 0.5 else -1  # +1: a buyer lifts the ask
            px = mid + side if rng.random() < 0.9 else mid + 2 * side
            rows.append((1, t, tl, side, px * UNIT, int(rng.integers(1, 8)) * UNIT // 4))
    return pl.DataFrame(rows, schema=["kind", "ts_exchange", "ts_local", "side", "px", "qty"], orient="row")


def _quote_run(queue: str, market: pl.DataFrame) -> ExchangeSim:
    """Join the touch on both sides every 50 ms (one order per side: the previous one is canceled)."""
    s = ExchangeSim(queue=queue, entry_ns=2 * MS, response_ns=1 * MS, maker_fee_bps=-0.5)
    ts = market["ts_exchange"].to_numpy()
    live: dict[str, int] = {}
    start = 0
    for t in range(10 * MS, 3_000 * MS, 50 * MS):
        stop = int(np.searchsorted(ts, t, side="right"))
        s.feed(market.slice(start, stop - start))
        start = stop
        bid, ask = s.best_bid(), s.best_ask()
        for side, best in (("buy", bid), ("sell", ask)):
            if side in live and s.order_status(live[side]) != "done":
                s.cancel(t, live[side])
            if best is not None:
                live[side] = s.submit(t, side, best[0], 1.0)
    s.feed(market.slice(start))
    return s


def test_same_inputs_give_identical_records() -> None:
    market = _random_market(7)
    for queue in ("risk_averse", "log", "inferred"):
        a, b = _quote_run(queue, market), _quote_run(queue, market)
        assert a.fills().height > 20
        assert a.fills().equals(b.fills()) and a.order_events().equals(b.order_events())
        assert a.cash == b.cash and a.position == b.position


def test_probabilistic_models_never_fill_less_than_risk_averse() -> None:
    # with one order per side, the size ahead under any cancel model is ≤ the risk-averse one at all times
    market = _random_market(11)
    filled = {q: _quote_run(q, market).fills()["qty"].sum() for q in ("risk_averse", "power", "log", "inferred")}
    assert filled["power"] >= filled["risk_averse"]
    assert filled["log"] >= filled["risk_averse"]
    assert filled["inferred"] >= filled["risk_averse"]
    assert filled["power"] > filled["risk_averse"]  # cancels do happen in this market


def test_market_events_merges_and_clears_before_snapshots() -> None:
    book = pl.DataFrame(
        {
            "ts_exchange": [5, 5, 9, 12, 12],
            "ts_local": [6, 6, 10, 13, 13],
            "side": [1, -1, 1, 1, -1],
            "px": [99 * UNIT, 101 * UNIT, 99 * UNIT, 98 * UNIT, 100 * UNIT],
            "qty": [UNIT, UNIT, 2 * UNIT, UNIT, UNIT],
            "is_snapshot": [True, True, False, True, True],
            "seq_last": [1, 1, 2, 3, 3],
        }
    )
    trade = pl.DataFrame(
        {"ts_exchange": [9], "ts_local": [10], "px": [99 * UNIT], "qty": [UNIT], "aggressor": [-1]},
    )
    ev = market_events(book, trade)
    assert ev.select("kind", "ts_exchange", "side").rows() == [
        (2, 5, 0),
        (0, 5, 1),
        (0, 5, -1),
        (1, 9, -1),
        (0, 9, 1),
        (2, 12, 0),
        (0, 12, 1),
        (0, 12, -1),
    ]
    s = ExchangeSim()
    s.feed(ev)
    assert s.best_bid() == (98.0, 1.0) and s.best_ask() == (100.0, 1.0)  # the second snapshot replaced the book
    with pytest.raises(crossbook.InvalidInputError, match="feed row 1"):
        ExchangeSim().feed(ev.with_columns(pl.when(pl.int_range(pl.len()) == 1).then(-5).otherwise("qty").alias("qty")))


def test_fills_on_a_random_market_are_explained_by_prints() -> None:
    market = _random_market(3)
    s = _quote_run("log", market)
    f = s.fills()
    trades = market.filter(pl.col("kind") == 1).select(
        pl.col("ts_exchange"), pl.col("px").cast(pl.Float64) / UNIT, aggressor=pl.col("side")
    )
    # every queue fill has a print at its time and price by an aggressor on the other side
    q = f.filter(pl.col("kind") == "queue").join(trades, on=["ts_exchange", "px"], how="left")
    assert q.height >= 20 and (q["aggressor"] == -q["side"]).all()
    # every trade-through fill has a print strictly through its price at its time
    through = f.filter(pl.col("kind") == "trade_through")
    for ts, px, side in through.select("ts_exchange", "px", "side").rows():
        at = trades.filter(pl.col("ts_exchange") == ts, pl.col("aggressor") == -side)
        assert ((at["px"] - px) * side < 0).any()
    # no order fills more than its size; the position is the signed sum of fills
    assert f.group_by("order_id").agg(pl.col("qty").sum())["qty"].max() <= 1.0 + 1e-12
    assert s.position == pytest.approx((f["qty"] * f["side"]).sum(), abs=1e-9)

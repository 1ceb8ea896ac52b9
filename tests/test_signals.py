"""crossbook.signals: hand-computed cases, numpy references, a synthetic Markov chain, bad input."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import crossbook
from crossbook import signals

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "real" / "binance-spot-usdm-coinm-20240808"
SCALE = 10**8
S = 1_000_000_000


def bbo_frame(t, bid, bq, ask, aq, venue="binance-futures", symbol="BTCUSDT") -> pl.DataFrame:
    n = len(t)
    return pl.DataFrame(
        {
            "venue": [venue] * n,
            "symbol": [symbol] * n,
            "ts_exchange": np.asarray(t, dtype=np.int64),
            "ts_local": np.asarray(t, dtype=np.int64),
            "bid_px": np.round(np.asarray(bid, dtype=float) * SCALE).astype(np.int64),
            "bid_qty": np.round(np.asarray(bq, dtype=float) * SCALE).astype(np.int64),
            "ask_px": np.round(np.asarray(ask, dtype=float) * SCALE).astype(np.int64),
            "ask_qty": np.round(np.asarray(aq, dtype=float) * SCALE).astype(np.int64),
            "seq": np.arange(n, dtype=np.int64),
        }
    )


def trade_frame(t, qty, aggressor) -> pl.DataFrame:
    n = len(t)
    return pl.DataFrame(
        {
            "venue": ["binance-futures"] * n,
            "symbol": ["BTCUSDT"] * n,
            "ts_exchange": np.asarray(t, dtype=np.int64),
            "ts_local": np.asarray(t, dtype=np.int64),
            "px": np.full(n, 60_000 * SCALE, dtype=np.int64),
            "qty": np.round(np.asarray(qty, dtype=float) * SCALE).astype(np.int64),
            "aggressor": np.asarray(aggressor, dtype=np.int8),
            "trade_id": np.arange(n, dtype=np.int64),
        }
    )


# ---------------------------------------------------------------- weighted mid


def test_weighted_mid_hand_case_and_bad_rows():
    df = bbo_frame([1, 2], [100.0, 10.0], [3.0, 1.0], [101.0, 12.0], [1.0, 1.0])
    # I = 0.75 → 100·0.25 + 101·0.75
    np.testing.assert_array_equal(signals.weighted_mid(df), [100.75, 11.0])
    assert signals.weighted_mid(df.clear()).shape == (0,)
    zero = bbo_frame([1], [100.0], [0.0], [101.0], [0.0])
    assert math.isnan(signals.weighted_mid(zero)[0])
    neg = df.with_columns(pl.Series("ask_qty", [1 * SCALE, -2 * SCALE]))
    with pytest.raises(
        crossbook.InvalidInputError, match=r"ask_qty: size at index 1 must be a finite number >= 0 \(got -2\)"
    ):
        signals.weighted_mid(neg)
    null = df.with_columns(pl.Series("bid_px", [None, 10 * SCALE], dtype=pl.Int64))
    with pytest.raises(
        crossbook.InvalidInputError, match=r"bid_px: price at index 0 must be a finite number > 0 \(got NaN\)"
    ):
        signals.weighted_mid(null)
    with pytest.raises(crossbook.InvalidInputError, match="no column 'ask_px'"):
        signals.weighted_mid(df.drop("ask_px"))


# ---------------------------------------------------------------- micro-price

N_IMB = 6


def markov_chain(steps: int, tick: float, slope: float, seed: int):
    """Mid moves ±1 tick with prob 0.3 per step, up with prob 0.5 + slope·(b + 0.5 − n/2)/n in imbalance
    bucket b (a known drift towards the heavier side); the spread flips between 1 and 2 ticks."""
    rng = np.random.default_rng(seed)
    u = rng.random((steps, 5))
    steps_walk = rng.integers(-1, 2, steps)
    new_b = rng.integers(0, N_IMB, steps)
    b, s, mid = N_IMB // 2, 1, 60_000.0
    mids, spreads, imbs = np.empty(steps), np.empty(steps), np.empty(steps)
    for k in range(steps):
        mids[k], spreads[k], imbs[k] = mid, s * tick, (b + u[k, 0]) / N_IMB
        s_next = 3 - s if u[k, 1] < 0.1 else s
        if u[k, 2] < 0.3:
            mid += tick if u[k, 3] < 0.5 + slope * (b + 0.5 - N_IMB / 2) / N_IMB else -tick
            b = int(new_b[k])
        else:
            b = min(max(b + int(steps_walk[k]), 0), N_IMB - 1)
        s = s_next
    return mids, spreads, imbs


def chain_bbo(steps: int, tick: float, slope: float, seed: int, step_ns: int = 100_000_000) -> pl.DataFrame:
    mids, spreads, imbs = markov_chain(steps, tick, slope, seed)
    t = np.arange(steps, dtype=np.int64) * step_ns + step_ns // 3  # one update inside each grid step
    size = 5.0
    return bbo_frame(t, mids - spreads / 2, imbs * size, mids + spreads / 2, (1 - imbs) * size)


def test_micro_price_fit_recovers_the_drift():
    tick = 0.1
    bbo = chain_bbo(60_000, tick, slope=0.9, seed=1)
    model = signals.MicropriceModel.fit(bbo, step_ms=100, n_imb=N_IMB, n_spread=2)  # tick from the registry
    assert model.tick == tick
    assert model.symmetrised and model.terms > 1
    assert model.n_transitions == 60_000 - 2  # grid points 1..59_999 (the last update completes none after it)
    g = model.table
    assert g.shape == (2, N_IMB)
    assert np.all(np.diff(g, axis=1) > 0), g  # monotonic in imbalance
    assert np.all(g[:, 0] < -0.1) and np.all(g[:, -1] > 0.1), g  # heavier bid → price goes up
    np.testing.assert_allclose(g, -g[:, ::-1], atol=1e-12)  # symmetrised
    # the chain's true first-move drift in the top bucket: 0.3·(2u − 1)/(1 − 0.7·stay) is about +0.3 ticks;
    # check the order of magnitude, not the exact figure
    assert 0.15 < g[0, -1] < 0.8
    for s in (1, 2):
        assert abs(model.adjust(0.5, s)) < 1e-12
        x = np.linspace(0, 1, 21)
        np.testing.assert_allclose(model.adjust(x, s), -model.adjust(1 - x, s), atol=1e-12)
    # price units = ticks × tick; arrays broadcast
    assert model.adjust(0.9, 1) == pytest.approx(tick * model.adjust_ticks(0.9, 1))
    assert model.adjust(np.array([[0.1, 0.9]]), 1).shape == (1, 2)
    assert math.isnan(model.adjust(0.5, 3))  # spread outside the fitted states
    assert model.adjust_step_ticks(0.99, 1) == pytest.approx(g[0, -1])
    head = bbo.head(1000)
    micro = model.micro_price(head)
    bid, ask = head["bid_px"].to_numpy() / SCALE, head["ask_px"].to_numpy() / SCALE
    bq, aq = head["bid_qty"].to_numpy() / SCALE, head["ask_qty"].to_numpy() / SCALE
    np.testing.assert_allclose(micro, (bid + ask) / 2 + model.adjust(bq / (bq + aq), (ask - bid) / tick), rtol=1e-13)
    assert np.corrcoef(micro - (bid + ask) / 2, bq / (bq + aq))[0, 1] > 0.9
    assert "MicropriceModel(tick=0.1, n_imb=6, n_spread=2, symmetrised=true" in repr(model)
    # a saved table gives the same lookups
    again = signals.MicropriceModel.from_table(tick, model.table)
    assert again.adjust(0.8, 2) == model.adjust(0.8, 2)


def test_micro_price_fit_samples_and_truncation():
    mids, spreads, imbs = markov_chain(20_000, 1.0, slope=0.0, seed=2)
    drifting = np.round(mids + 0.2 * np.arange(mids.size))
    with pytest.raises(crossbook.InvalidInputError, match="did not converge"):
        signals.MicropriceModel.fit_samples(drifting, spreads, imbs, 1.0, n_imb=N_IMB, symmetrise=False)
    six = signals.MicropriceModel.fit_samples(drifting, spreads, imbs, 1.0, n_imb=N_IMB, symmetrise=False, n_terms=6)
    assert six.terms == 6 and not six.symmetrised
    assert six.counts.sum() == six.n_transitions


def test_micro_price_bad_input():
    bbo = chain_bbo(2_000, 0.1, slope=0.5, seed=3)
    with pytest.raises(crossbook.InvalidInputError, match=r"tick unknown for \('binance', 'XYZUSDT'\)"):
        signals.MicropriceModel.fit(bbo.with_columns(venue=pl.lit("binance"), symbol=pl.lit("XYZUSDT")))
    with pytest.raises(crossbook.InvalidInputError, match="needs one instrument; the frame holds 2"):
        mixed = pl.concat([bbo.head(5), bbo.tail(5).with_columns(symbol=pl.lit("ETHUSDT"))])
        signals.MicropriceModel.fit(mixed)
    shuffled = bbo.with_columns(pl.Series("ts_local", bbo["ts_local"].to_numpy()[::-1]))
    with pytest.raises(crossbook.InvalidInputError, match="bbo: timestamps must be non-decreasing; update 1"):
        signals.MicropriceModel.fit(shuffled, tick=0.1)
    with pytest.raises(crossbook.InvalidInputError, match="no usable transition among 0 samples"):
        signals.MicropriceModel.fit(bbo.clear(), tick=0.1)
    with pytest.raises(crossbook.InvalidInputError, match="spread 0.15 is not a multiple of the tick 0.1"):
        signals.MicropriceModel.fit_samples([1.0, 1.0], [0.15, 0.15], [0.5, 0.5], 0.1)
    with pytest.raises(crossbook.InvalidInputError, match="step_ms must be a positive number"):
        signals.MicropriceModel.fit(bbo, step_ms=0)


# ---------------------------------------------------------------- volatility


def grid_reference(t, mid, step_ns, window):
    """numpy: last-known mid on the epoch grid (points ≥ first time, < last time), then window sums."""
    g0 = -(-t[0] // step_ns) * step_ns
    grid = np.arange(g0, t[-1], step_ns)
    idx = np.searchsorted(t, grid, side="right") - 1
    r = np.diff(np.log(mid[idx]))
    bv = np.full(grid.size, np.nan)
    rv = np.full(grid.size, np.nan)
    for end in range(window, r.size + 1):
        w = r[end - window : end]
        rv[end] = np.sum(w**2)
        bv[end] = np.pi / 2 * np.sum(np.abs(w[1:] * w[:-1]))
    return grid, bv, rv


def test_bipower_vol_matches_numpy_and_streaming():
    rng = np.random.default_rng(5)
    t = np.cumsum(rng.integers(1, 400, 3000)) * 1_000_000 + 1_700_000_000_000_000_123  # ms-ish gaps
    mid = 60_000 * np.exp(np.cumsum(rng.normal(0, 2e-4, t.size)))
    res = signals.bipower_vol(t, mid, step_ms=250, window=40)
    grid, bv, rv = grid_reference(t, mid, 250_000_000, 40)
    np.testing.assert_array_equal(res.t_ns, grid)
    np.testing.assert_allclose(res.bv, bv, rtol=1e-10, atol=1e-18)
    np.testing.assert_allclose(res.rv, rv, rtol=1e-10, atol=1e-18)
    assert np.isnan(res.bv[:40]).all() and np.isfinite(res.bv[40:]).all()
    v = signals.BipowerVol(step_ms=250, window=40)
    for ti, mi in zip(t.tolist(), mid.tolist(), strict=True):
        v.update(ti, mi)
    assert v.bv == pytest.approx(res.bv[-1], rel=1e-12)
    assert v.rv == pytest.approx(res.rv[-1], rel=1e-12)
    assert len(v) == 40
    assert v.per_second(v.rv) == pytest.approx(v.rv / 10.0)  # 40 × 250 ms = 10 s
    assert res.annualised_vol("rv")[-1] == pytest.approx(math.sqrt(v.rv / 10.0 * signals.SECONDS_PER_YEAR))
    assert repr(v).startswith("BipowerVol(step=250 ms, window=40, returns=40, bv=")


def test_a_jump_inflates_rv_not_bv():
    rng = np.random.default_rng(6)
    n = 2001
    r = rng.normal(0, 1e-4, n - 1)
    t = np.arange(n, dtype=np.int64) * 1_000_000 + 500_000

    def last(returns):
        mid = 100 * np.exp(np.concatenate([[0.0], np.cumsum(returns)]))
        res = signals.bipower_vol(t, mid, step_ms=1, window=1999)
        return res.bv[-1], res.rv[-1]

    bv0, rv0 = last(r)
    jumped = r.copy()
    jumped[1000] += 0.01  # one 1 % jump among 1 bp moves
    bv1, rv1 = last(jumped)
    assert bv0 == pytest.approx(1998e-8, rel=0.1) and rv0 == pytest.approx(1999e-8, rel=0.1)
    assert rv1 - rv0 == pytest.approx(1e-4, rel=0.05)  # RV takes the jump's square
    assert bv1 - bv0 < 0.1 * (rv1 - rv0)  # BV only the jump times its small neighbours


def test_bipower_vol_bad_input():
    with pytest.raises(crossbook.InvalidInputError, match="mid: timestamps must be non-decreasing; update 2 at 5 ns"):
        signals.bipower_vol(np.array([1, 10, 5]), np.array([1.0, 1.0, 1.0]), 1, 2)
    with pytest.raises(
        crossbook.InvalidInputError, match=r"mid: price at index 1 must be a finite number > 0 \(got NaN\)"
    ):
        signals.bipower_vol(np.array([1, 2]), np.array([1.0, np.nan]), 1, 2)
    with pytest.raises(crossbook.InvalidInputError, match="window must hold at least 2 returns"):
        signals.BipowerVol(1, 1)
    with pytest.raises(crossbook.InvalidInputError, match="array lengths differ: t_ns=2, mid=1"):
        signals.bipower_vol(np.array([1, 2]), np.array([1.0]), 1, 2)
    empty = signals.bipower_vol(np.array([], dtype=np.int64), np.array([]), 1, 2)
    assert empty.t_ns.size == 0 and empty.bv.size == 0


# ---------------------------------------------------------------- trade flow


def random_trades(n: int, seed: int):
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.choice([0, 1, 5, 50, 300, 2000], n)) * 1_000_000  # ties and gaps, ms steps
    qty = rng.exponential(0.5, n).round(3)
    agg = rng.choice([1, -1, 1, -1, 0], n).astype(np.int8)
    return t, qty, agg


def flow_reference(t, qty, agg, window_ns):
    imb, rate = np.empty(t.size), np.empty(t.size)
    for i in range(t.size):
        m = t[: i + 1] > t[i] - window_ns
        buy = qty[: i + 1][m & (agg[: i + 1] == 1)].sum()
        sell = qty[: i + 1][m & (agg[: i + 1] == -1)].sum()
        imb[i] = (buy - sell) / (buy + sell) if buy + sell > 0 else np.nan
        rate[i] = m.sum() / (window_ns / 1e9)
    return imb, rate


def test_trade_flow_matches_numpy():
    t, qty, agg = random_trades(3000, 7)
    df = trade_frame(t, qty, agg)
    for window_ms in (1000, 10_000):
        want_imb, want_rate = flow_reference(t, qty, agg, window_ms * 1_000_000)
        np.testing.assert_allclose(signals.trade_imbalance(df, window_ms), want_imb, atol=1e-9)
        np.testing.assert_array_equal(signals.trade_rate(df, window_ms), want_rate)
    tau = 2.0
    ewma = signals.trade_rate_ewma(df, tau_ms=2000)
    want = np.array([np.exp(-(t[i] - t[: i + 1]) / 1e9 / tau).sum() / tau for i in range(t.size)])
    np.testing.assert_allclose(ewma, want, rtol=1e-9)
    flow = signals.trade_flow(df)
    assert flow.columns == [
        "ts_local",
        "imbalance_1000ms",
        "rate_1000ms",
        "imbalance_10000ms",
        "rate_10000ms",
        "rate_ewma",
    ]
    np.testing.assert_allclose(flow["imbalance_10000ms"].to_numpy(), flow_reference(t, qty, agg, 10 * S)[0], atol=1e-9)
    # streaming classes agree with the vectorised path
    w = signals.TradeWindow(window_ms=1000)
    r = signals.TradeRateEwma(tau_ms=2000)
    for ti, qi, ai in zip(t.tolist(), qty.tolist(), agg.tolist(), strict=True):
        w.update(ti, qi, ai)
        r.update(ti)
    assert w.imbalance == pytest.approx(signals.trade_imbalance(df, 1000)[-1], abs=1e-12)
    assert r.value == pytest.approx(ewma[-1])
    assert r.value_at(int(t[-1]) + 2 * S) == pytest.approx(ewma[-1] * math.exp(-1))
    w.advance(int(t[-1]) + S)
    assert w.count == 0 and math.isnan(w.imbalance) and w.rate_per_s == 0.0
    assert repr(w) == "TradeWindow(window=1000 ms, trades=0, imbalance=NaN, rate=0.000/s)"


def test_trade_flow_bad_input():
    t, qty, agg = random_trades(10, 8)
    df = trade_frame(t, qty, agg)
    with pytest.raises(crossbook.InvalidInputError, match=r"trade 3: size must be a finite number >= 0 \(got -1\)"):
        signals.trade_imbalance(df.with_columns(pl.Series("qty", [1, 1, 1, -SCALE] + [1] * 6)))
    unsorted = df.with_columns(pl.Series("ts_local", t[::-1].copy()))
    with pytest.raises(crossbook.InvalidInputError, match="trades: timestamps must be non-decreasing; update 1"):
        signals.trade_imbalance(unsorted)
    with pytest.raises(crossbook.InvalidInputError, match="trades: timestamps must be non-decreasing"):
        signals.trade_rate_ewma(unsorted)
    with pytest.raises(crossbook.InvalidInputError, match="aggressor must be"):
        signals.TradeWindow(1000).update(1, 1.0, 2)
    with pytest.raises(crossbook.InvalidInputError, match="window_ms must be a positive number of milliseconds"):
        signals.trade_imbalance(df, window_ms=-5)
    assert signals.trade_imbalance(df.clear()).shape == (0,)
    assert signals.trade_flow(df.clear()).height == 0


# ---------------------------------------------------------------- book snapshots


def test_obi_hand_case():
    # mid = 100, band 25 bps = [99.75, 100.25]; 99.7 and 100.3 fall outside
    bids = ([99.9, 99.8, 99.7], [2.0, 1.0, 50.0])
    asks = ([100.1, 100.2, 100.3], [1.0, 3.0, 50.0])
    # λ = ln2 / 0.0025: w(10 bps) = 2^-0.4 = 0.757858, w(20 bps) = 2^-0.8 = 0.574349
    # D_bid = 199.8·0.757858 + 99.8·0.574349 = 208.7401; D_ask = 100.1·0.757858 + 300.6·0.574349 = 248.5110
    assert signals.obi(*bids, *asks) == pytest.approx((208.7401 - 248.5110) / (208.7401 + 248.5110), abs=1e-6)
    # size only: (2·0.757858 + 0.574349 − 0.757858 − 3·0.574349) / (sum)
    assert signals.obi(*bids, *asks, notional=False) == pytest.approx(
        (0.757858 - 2 * 0.574349) / (3 * 0.757858 + 4 * 0.574349), abs=1e-6
    )
    # Tier 2 (δ = 50 bps): the outer levels count, with w(30 bps) = 2^-0.6 at λ = ln2/0.005
    w1, w2, w3 = 2**-0.2, 2**-0.4, 2**-0.6
    db = 2 * 99.9 * w1 + 99.8 * w2 + 50 * 99.7 * w3
    da = 100.1 * w1 + 3 * 100.2 * w2 + 50 * 100.3 * w3
    assert signals.obi(*bids, *asks, **signals.OBI_TIER2) == pytest.approx((db - da) / (db + da), rel=1e-12)
    assert math.isnan(signals.obi([], [], [100.1], [1.0]))


def test_obi_bad_levels():
    with pytest.raises(
        crossbook.InvalidInputError, match=r"bids: prices must be strictly descending \(best first\); level 1"
    ):
        signals.obi([99.0, 99.5], [1, 1], [100.0], [1])
    with pytest.raises(
        crossbook.InvalidInputError, match=r"asks: size at index 0 must be a finite number >= 0 \(got -1\)"
    ):
        signals.obi([99.0], [1], [100.0], [-1])
    with pytest.raises(crossbook.InvalidInputError, match="asks: 1 prices but 2 sizes"):
        signals.obi([99.0], [1], [100.0], [1, 2])
    with pytest.raises(crossbook.InvalidInputError, match="half_life_bps must be > 0"):
        signals.obi([99.0], [1], [100.0], [1], half_life_bps=0)


def levels_frame(rows) -> pl.DataFrame:
    key, side, px, qty = zip(*rows, strict=True)
    return pl.DataFrame(
        {
            "ts_local": np.array(key, dtype=np.int64),
            "side": np.array(side, dtype=np.int8),
            "px": np.round(np.array(px) * SCALE).astype(np.int64),
            "qty": np.round(np.array(qty) * SCALE).astype(np.int64),
        }
    )


def test_depth_hand_case_and_series():
    # mid = 1000: 1 bps = 0.1, 5 bps = 0.5, 10 bps = 1.0 away
    bids = ([999.95, 999.7, 999.3, 998.9], [1.0, 2.0, 4.0, 8.0])
    asks = ([1000.05, 1000.2, 1000.45, 1000.8, 1001.5], [0.5, 0.0, 3.0, 5.0, 9.0])
    b, a = signals.depth(*bids, *asks)
    np.testing.assert_array_equal(b, [1.0, 3.0, 7.0])
    np.testing.assert_array_equal(a, [0.5, 3.5, 8.5])
    rows = [(1, 1, p, q) for p, q in zip(*bids, strict=True)] + [(1, -1, p, q) for p, q in zip(*asks, strict=True)]
    rows += [(2, 1, 99.0, 3.0), (2, -1, 101.0, 1.0), (2, 0, 0.0, 0.0)]
    frame = levels_frame(rows).sample(fraction=1.0, shuffle=True, seed=1).sort("ts_local")  # any order in a snapshot
    d = signals.depth_series(frame)
    assert d.columns == ["ts_local", "bid_1bps", "ask_1bps", "bid_5bps", "ask_5bps", "bid_10bps", "ask_10bps"]
    assert d.row(0) == (1, 1.0, 0.5, 3.0, 3.5, 7.0, 8.5)
    assert d.row(1) == (2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)  # mid 100: nothing within 10 bps
    o = signals.obi_series(frame, delta_bps=200, half_life_bps=math.inf, notional=False)
    assert o["obi"].to_list()[1] == pytest.approx(0.5)  # (3 − 1)/(3 + 1)
    assert o["obi"][0] == pytest.approx(
        signals.obi(*bids, *asks, delta_bps=200, half_life_bps=math.inf, notional=False)
    )
    b, a = signals.depth([], [], [1.0], [1.0])
    assert np.isnan(b).all() and np.isnan(a).all()
    with pytest.raises(crossbook.InvalidInputError, match="key must be non-decreasing; index 1"):
        signals.depth_series(levels_frame([(2, 1, 99.0, 1.0), (1, -1, 101.0, 1.0)]))
    with pytest.raises(crossbook.InvalidInputError, match="duplicate bid price 99 in snapshot 1"):
        signals.obi_series(levels_frame([(1, 1, 99.0, 1.0), (1, 1, 99.0, 2.0)]))
    with pytest.raises(crossbook.InvalidInputError, match=r"depth bands must be finite and >= 0 bps \(got -1\)"):
        signals.depth(*bids, *asks, bands_bps=[-1.0])


# ---------------------------------------------------------------- real capture


def _capture_lines(path: Path):
    with gzip.open(path, "rt") as f:
        for line in f:
            ts, _, payload = line.partition(" ")
            yield int(ts), json.loads(payload)


@pytest.fixture(scope="module")
def usdm_btc():
    path = REAL / "usdm" / "btcusdt_20240808.gz"
    if not path.exists():
        pytest.skip(f"real capture not found at {path}")
    bbo, trades, snapshot = [], [], None
    for ts, msg in _capture_lines(path):
        if "lastUpdateId" in msg:
            snapshot = msg
            continue
        d = msg["data"]
        if d.get("e") == "bookTicker":
            bbo.append((ts, d["b"], d["B"], d["a"], d["A"]))
        elif d.get("e") == "trade":
            trades.append((ts, d["q"], -1 if d["m"] else 1))
    return bbo, trades, snapshot


def test_real_capture_signals(usdm_btc):
    bbo_rows, trade_rows, snapshot = usdm_btc
    assert (len(bbo_rows), len(trade_rows)) == (66089, 21313)  # SOURCES.md line counts
    t, b, bq, a, aq = (np.array(c) for c in zip(*bbo_rows, strict=True))
    bbo = bbo_frame(t, b.astype(float), bq.astype(float), a.astype(float), aq.astype(float))
    model = signals.MicropriceModel.fit(bbo, step_ms=100)  # the paper's defaults: moves of at most 1 tick
    # 3 444 grid points, 3 412 of them with a 1-tick spread; 327 steps moved the mid by more than a tick
    # (0.1 USDT) and are dropped, the rest of the 3 443 steps touch a spread outside 1..2 ticks
    assert (model.n_transitions, model.n_dropped) == (3070, 327)
    assert model.counts[0].sum() == model.counts.sum()  # no usable step starts from a 2-tick spread
    assert np.isnan(model.table[1]).all()
    row = model.table[0]
    assert np.all(np.diff(row) > 0), row  # imbalance predicts the next move here too
    assert -0.1 < row[0] < 0 < row[-1] < 0.1, row  # a small adjustment: under a tenth of a tick
    tt, q, side = (np.array(c) for c in zip(*trade_rows, strict=True))
    flow = signals.trade_flow(trade_frame(tt, q.astype(float), side))
    assert flow.height == 21313
    imb = flow["imbalance_1000ms"].to_numpy()
    assert np.nanmin(imb) >= -1 and np.nanmax(imb) <= 1
    # a trade is always inside its own window: rate ≥ 1 trade per window
    assert flow["rate_1000ms"].min() >= 1.0 and flow["rate_10000ms"].min() >= 0.1
    # the REST snapshot: 1000 levels a side, sorted best first
    bids = np.array(snapshot["bids"], dtype=float)
    asks = np.array(snapshot["asks"], dtype=float)
    assert len(bids) == len(asks) == 1000
    oib = signals.obi(bids[:, 0], bids[:, 1], asks[:, 0], asks[:, 1])
    assert -1 < oib < 1
    d_bid, d_ask = signals.depth(bids[:, 0], bids[:, 1], asks[:, 0], asks[:, 1])
    assert np.all(np.diff(d_bid) >= 0) and np.all(np.diff(d_ask) >= 0)
    mid = (bids[0, 0] + asks[0, 0]) / 2
    assert d_bid[2] == pytest.approx(bids[bids[:, 0] >= mid * (1 - 1e-3), 1].sum())

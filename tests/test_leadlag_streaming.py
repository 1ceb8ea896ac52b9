"""Streaming lead-lag estimator, regimes, monitor and skew functions against known truth."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import crossbook
from crossbook.leadlag_stream import (
    FINE_LAGS_MS,
    SEED_LAGS_MS,
    LeadLagEstimator,
    LeadLagMonitor,
    RegimeConditionedLeadLag,
    SignalHealth,
    compute_adjusted_microprice,
    compute_directional_skew,
    compute_lead_lag_skew_bps,
    predict_remaining_move,
    streaming_estimates,
    with_health,
)

T0 = 1_700_000_000 * 10**9
MS = 1_000_000
HOUR = 3600 * 10**9


def _clock(rng: np.random.Generator, mean_ms: float, seconds: float) -> np.ndarray:
    n = int(seconds * 1000 / mean_ms * 1.3) + 10
    t = T0 + np.cumsum(1 + rng.exponential(mean_ms * MS, n)).astype(np.int64)
    return t[t < T0 + int(seconds * 1e9)]


def _as_of(t: np.ndarray, v: np.ndarray, at: np.ndarray) -> np.ndarray:
    i = np.searchsorted(t, at, side="right") - 1
    return np.where(i >= 0, v[np.maximum(i, 0)], 0.0)


def market(
    seed: int,
    lag_ms: float,
    beta: float,
    *,
    lag_down_ms: float | None = None,
    seconds: float = 180.0,
    move_prob: float = 0.5,
    noise: float = 3e-5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Leader ticks every ~20 ms (irregular), moving by N(0, 1 bp) at half of them; the follower
    (ticks every ~30 ms) copies β × the leader's log-price path `lag_ms` earlier (down moves
    `lag_down_ms` earlier if given) plus N(0, `noise`) per tick."""
    rng = np.random.default_rng(seed)
    lt = _clock(rng, 20.0, seconds)
    moves = rng.normal(0.0, 1e-4, lt.size) * (rng.random(lt.size) < move_prob)
    up, down = np.cumsum(np.maximum(moves, 0.0)), np.cumsum(np.minimum(moves, 0.0))
    ft = _clock(rng, 30.0, seconds)
    lag_down = lag_ms if lag_down_ms is None else lag_down_ms
    path = _as_of(lt, up, ft - int(lag_ms * MS)) + _as_of(lt, down, ft - int(lag_down * MS))
    x0 = math.log(60_000.0)
    fp = np.exp(x0 + beta * path + rng.normal(0.0, noise, ft.size))
    return lt, np.exp(x0 + up + down), ft, fp


@pytest.mark.parametrize("lag_ms", [50, 150, 300])
@pytest.mark.parametrize("beta", [0.7, 1.0])
def test_fine_grid_recovers_lag_and_beta(lag_ms: int, beta: float) -> None:
    est = LeadLagEstimator("fine")
    rec = est.update(*market(lag_ms + int(beta * 10), lag_ms, beta))
    assert len(rec["ts_ns"]) > 150
    best = est.current_estimate()
    assert abs(best["best_lag_ms"] - lag_ms) <= 10
    assert abs(est.lag_estimate_ms - lag_ms) <= 10  # smoothed from the prior of 200 ms
    assert abs(est.beta_estimate - beta) < 0.05 * beta
    assert best["best_r_squared"] > 0.6
    assert 0 < best["best_beta_se"] < 0.05
    curve = est.curve()
    np.testing.assert_array_equal(curve["lag_ms"], FINE_LAGS_MS)
    assert curve["lag_ms"][np.nanargmax(curve["r_squared"])] == best["best_lag_ms"]


@pytest.mark.parametrize(("lag_ms", "nearest"), [(50, 50), (150, 150), (300, 300), (130, 150), (330, 300)])
def test_seed_grid_picks_the_nearest_point(lag_ms: int, nearest: int) -> None:
    est = LeadLagEstimator()  # the seed's 11-point grid
    est.update(*market(lag_ms, lag_ms, 0.8))
    assert est.lags_ms == list(SEED_LAGS_MS)
    assert est.current_estimate()["best_lag_ms"] == nearest
    assert abs(est.lag_estimate_ms - nearest) < 5


def test_up_and_down_moves_have_separate_lags() -> None:
    data = market(21, 100, 1.0, lag_down_ms=250, seconds=400, move_prob=0.1)
    frame = streaming_estimates(*data, grid="fine")
    last = frame.row(-1, named=True)
    assert abs(last["up_best_lag_ms"] - 100) <= 10
    assert abs(last["down_best_lag_ms"] - 250) <= 10
    assert abs(last["up_lag_ms"] - 100) <= 10
    assert abs(last["down_lag_ms"] - 250) <= 10
    assert last["up_best_r_squared"] > 0.3 and last["down_best_r_squared"] > 0.3
    est = LeadLagEstimator("fine")
    est.update(*data)
    # directional quote functions use the estimate of the move's sign
    up = est.current_estimate("up")
    assert predict_remaining_move(est, 1e-3, 0.0, directional=True) == pytest.approx(
        up["beta"] * 1e-3 * math.sqrt(up["r_squared"])
    )
    down = est.current_estimate("down")
    assert compute_lead_lag_skew_bps(est, -1e-3, 175.0, directional=True) < 0  # down lag 250 not yet over
    assert compute_lead_lag_skew_bps(est, 1e-3, 175.0, directional=True) == 0.0  # up lag 100 is over
    assert down["lag_ms"] > up["lag_ms"] + 100


def _regime_market(seed: int, periods: int = 8, period_s: float = 25.0):
    """Calm periods (0.5 bp per 100 ms, follower lag 300 ms) alternate with volatile ones (5 bp per
    100 ms, lag 50 ms); the volatility series gives each period's true std per 100 ms."""
    rng = np.random.default_rng(seed)
    seconds = periods * period_s
    period = int(period_s * 1e9)
    lt = _clock(rng, 20.0, seconds)
    volatile = ((lt - T0) // period) % 2 == 1
    moves = rng.normal(0.0, 1.0, lt.size) * np.where(volatile, 3e-4, 3e-5) * (rng.random(lt.size) < 0.5)
    x = np.cumsum(moves)
    ft = _clock(rng, 30.0, seconds)
    lag = np.where(((ft - T0) // period) % 2 == 1, 50 * MS, 300 * MS)
    fp = 100.0 * np.exp(_as_of(lt, x, ft - lag) + rng.normal(0.0, 5e-6, ft.size))
    vt = T0 + np.arange(periods, dtype=np.int64) * period
    vol = np.where(np.arange(periods) % 2 == 1, 3e-4, 3e-5) * math.sqrt(2.5)
    return lt, 100.0 * np.exp(x), ft, fp, vt, vol


def test_regimes_learn_their_own_lags() -> None:
    r = RegimeConditionedLeadLag(grid="fine")
    r.update(*_regime_market(3))
    low = r.current_estimate("low")
    high = r.current_estimate("high")
    assert abs(low["lag_ms"] - 300) <= 10 and abs(low["best_lag_ms"] - 300) <= 10
    assert abs(high["lag_ms"] - 50) <= 10 and abs(high["best_lag_ms"] - 50) <= 10
    assert r.sample_count("medium") == 0  # never the current regime
    assert r.current_estimate("medium")["lag_ms"] == 200.0  # the prior
    assert r.current_regime == "high"
    assert r.get_current_estimate() == (high["lag_ms"], high["beta"], high["r_squared"])
    # one estimator over everything mixes the two lags and explains less
    mixed = LeadLagEstimator("fine")
    lt, lp, ft, fp, _, _ = _regime_market(3)
    mixed.update(lt, lp, ft, fp)
    assert mixed.r_squared < min(low["r_squared"], high["r_squared"])


def test_regime_thresholds() -> None:
    r = RegimeConditionedLeadLag()
    assert r.vol_thresholds == (1e-4, 3e-4)
    assert r.current_regime == "medium"
    assert [r.update_regime(v) for v in (0.5e-4, 1e-4, 2.9e-4, 3e-4, 1e-2)] == [
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]
    with pytest.raises(crossbook.InvalidInputError, match=r"^volatility must be >= 0, got NaN$"):
        r.update_regime(float("nan"))
    with pytest.raises(crossbook.InvalidInputError, match="low <= high"):
        RegimeConditionedLeadLag((3e-4, 1e-4))


def test_tick_by_tick_equals_batch() -> None:
    lt, lp, ft, fp = market(5, 150, 1.0, seconds=40)
    batch = LeadLagEstimator("fine")
    batch.update(lt, lp, ft, fp)
    ticks = LeadLagEstimator("fine")
    events = sorted([(t, 0, p) for t, p in zip(lt, lp, strict=True)] + [(t, 1, p) for t, p in zip(ft, fp, strict=True)])
    for t, is_follower, p in events:
        if is_follower:
            ticks.on_follower_price(p, t)
        else:
            ticks.on_leader_price(p, t)
    assert ticks.sample_count == batch.sample_count
    assert ticks.get_current_estimate() == batch.get_current_estimate()
    assert ticks.current_estimate("down") == batch.current_estimate("down")


def test_monitor_healthy_warning_critical() -> None:
    m = LeadLagMonitor()
    levels = []
    for h, r2 in enumerate([0.35, 0.25, 0.16, 0.14, 0.11, 0.09, 0.02]):
        m.record(h * HOUR, r2)
        levels.append(m.check_health(r2)[0])
    ok, warn, crit = SignalHealth.OK, SignalHealth.WARNING, SignalHealth.CRITICAL
    assert levels == [ok, ok, ok, warn, warn, crit, crit]
    assert m.check_health(0.14) == (warn, "Lead-lag R² 0.140 below warning threshold 0.150")
    assert m.check_health(0.09) == (crit, "Lead-lag R² 0.090 below critical threshold 0.100")
    assert m.decay_rate() is None  # less than 24 h of history


def test_monitor_decay_warning() -> None:
    m = LeadLagMonitor()
    for h in range(49):  # flat 0.40 for a day, then down to 0.30 over the next day
        m.record(h * HOUR, 0.40 if h <= 24 else 0.40 - 0.1 * (h - 24) / 24)
    assert m.decay_rate() == pytest.approx(0.25)
    assert m.check_health(0.30) == (SignalHealth.WARNING, "Lead-lag R² decaying at 25.0% per day")
    flat = LeadLagMonitor()
    for h in range(25):
        flat.record(h * HOUR, 0.40 - 0.02 * h / 24)  # 5 % per day: below the 10 % warning
    assert flat.decay_rate() == pytest.approx(0.05)
    assert flat.check_health(0.38) == (SignalHealth.OK, "")
    ts, r2 = flat.history()
    assert ts.dtype == np.int64 and len(r2) == 25


def test_with_health_on_rolling_estimates() -> None:
    frame = streaming_estimates(*market(8, 150, 1.0, seconds=60), grid="seed")
    out = with_health(frame, LeadLagMonitor(record_interval_ns=0))
    assert out.columns[-3:] == ["health", "health_message", "decay_rate"]
    assert out["health"].dtype == pl.String
    # R² is smoothed up from the prior of 0: critical first, then ok once it passes 0.15
    assert out["health"][0] == "critical"
    assert out["health"][-1] == "ok"
    assert out["decay_rate"].null_count() == len(out)  # one minute is no day
    assert (out["ts_ns"].diff().drop_nulls() > 1_000 * MS).all()


def test_skew_functions_by_hand() -> None:
    e = (200.0, 0.8, 0.25)  # lag ms, beta, R²
    # 0.8 · 1e-3 · (1 − 50/200) · sqrt(0.25)
    assert predict_remaining_move(e, 1e-3, 50.0) == pytest.approx(3e-4, rel=1e-12)
    assert predict_remaining_move(e, 1e-3, 200.0) == 0.0
    assert predict_remaining_move((200.0, 0.8, 0.09), 1e-3, 0.0) == 0.0  # R² < 0.1
    assert compute_adjusted_microprice(100.0, e, 1e-3, 50.0) == pytest.approx(100.03, rel=1e-12)
    # 10 bp · sqrt(0.25) · 0.75 · 0.5 = 1.875 bp, capped by max_skew_bps
    assert compute_lead_lag_skew_bps(e, 1e-3, 50.0) == pytest.approx(1.875, rel=1e-12)
    assert compute_lead_lag_skew_bps(e, 1e-3, 50.0, max_skew_bps=1.0) == 1.0
    assert compute_lead_lag_skew_bps(e, -1e-2, 0.0) == -5.0
    assert compute_lead_lag_skew_bps((200.0, 0.8, 0.19), 1e-3, 0.0) == 0.0  # R² < 0.2
    # base + sign · R² · 2 bp inside the lag, base after it
    assert compute_directional_skew(e, 1e-4, 10.0, base_skew_bps=0.5) == pytest.approx(1.0)
    assert compute_directional_skew(e, -1e-4, 10.0, base_skew_bps=0.5) == pytest.approx(0.0)
    assert compute_directional_skew(e, 0.0, 10.0, base_skew_bps=0.5) == 0.5
    assert compute_directional_skew(e, 1e-4, 300.0, base_skew_bps=0.5) == 0.5
    # from a regime-conditioned estimator: its current regime's estimate (the prior here, R² 0)
    r = RegimeConditionedLeadLag()
    assert r.predict_remaining_move(1e-3, 0.0) == 0.0
    assert compute_directional_skew(r, 1e-3, 0.0, base_skew_bps=1.0) == 1.0


def test_bad_inputs() -> None:
    est = LeadLagEstimator()
    est.on_leader_price(100.0, T0)
    est.on_follower_price(100.0, T0)
    for bad in (float("nan"), float("inf"), 0.0, -5.0):
        with pytest.raises(crossbook.InvalidInputError, match="^leader price must be finite and > 0"):
            est.on_leader_price(bad, T0 + 1)
    with pytest.raises(crossbook.InvalidInputError, match="^follower price must be finite and > 0, got NaN$"):
        est.on_follower_price(float("nan"), T0 + 1)
    with pytest.raises(
        crossbook.InvalidInputError, match=rf"^follower timestamp going backwards: {T0 - 1} ns < previous {T0} ns$"
    ):
        est.on_follower_price(100.0, T0 - 1)
    with pytest.raises(crossbook.InvalidInputError, match=r"^leader tick 1: leader timestamp going backwards"):
        est.update(np.array([T0 + 9, T0 + 2]), np.array([1.0, 1.0]), np.array([], np.int64), np.array([]))
    with pytest.raises(crossbook.InvalidInputError, match="lengths differ"):
        est.update(np.array([T0 + 20]), np.array([]), np.array([], np.int64), np.array([]))
    with pytest.raises(crossbook.InvalidInputError, match="grid must be 'seed' or 'fine'"):
        LeadLagEstimator("coarse")
    with pytest.raises(crossbook.InvalidInputError, match="lags_ms must not be empty"):
        LeadLagEstimator(lags_ms=[])
    with pytest.raises(crossbook.InvalidInputError, match=r"alpha must be in \(0, 1\]"):
        LeadLagEstimator(alpha=1.5)
    with pytest.raises(crossbook.InvalidInputError, match=r"window_samples × \(lags \+ 1\) must be <= 2\^31"):
        LeadLagEstimator(window_samples=10**12)
    LeadLagEstimator(estimation_interval_ms=10**18, leader_capacity=10**15)  # memory is taken as used
    with pytest.raises(crossbook.InvalidInputError, match="direction must be 'all', 'up' or 'down'"):
        est.curve("sideways")
    with pytest.raises(crossbook.InvalidInputError, match="regime must be 'low', 'medium' or 'high'"):
        RegimeConditionedLeadLag().current_estimate("extreme")
    with pytest.raises(crossbook.InvalidInputError, match=r"^time since the leader's move must be >= 0 ms, got -1$"):
        predict_remaining_move((200.0, 0.8, 0.5), 1e-3, -1.0)
    with pytest.raises(crossbook.InvalidInputError, match="local microprice must be finite and > 0"):
        compute_adjusted_microprice(float("nan"), (200.0, 0.8, 0.5), 1e-3, 0.0)
    with pytest.raises(crossbook.InvalidInputError, match="estimate must be a LeadLagEstimator"):
        compute_lead_lag_skew_bps("fast", 1e-3, 0.0)  # type: ignore[arg-type]
    with pytest.raises(crossbook.InvalidInputError, match="min_r2_critical <= min_r2_warning"):
        LeadLagMonitor(min_r2_warning=0.1, min_r2_critical=0.2)
    with pytest.raises(crossbook.InvalidInputError, match="R² history timestamp going backwards"):
        m = LeadLagMonitor()
        m.record(HOUR, 0.3)
        m.record(0, 0.3)
    # nothing was estimated from the rejected ticks and no sample was formed
    assert est.sample_count == 0 and est.window_len == 0


def test_before_the_leader_starts_samples_are_dropped() -> None:
    est = LeadLagEstimator()
    for i in range(10):
        est.on_follower_price(100.0 + i, T0 + i * 110 * MS)
    # the latest sample waits until either clock passes its time + 100 ms (the −100 ms lag); the
    # earlier ones were completed by the follower's clock and dropped: the leader had no price yet
    assert (est.pending, est.dropped) == (1, 8)
    est.on_leader_price(100.0, T0 + 2_000 * MS)
    assert (est.sample_count, est.dropped, est.window_len, est.pending) == (9, 9, 0, 0)


def test_repr_is_readable() -> None:
    est = LeadLagEstimator("fine")
    est.update(*market(9, 150, 1.0, seconds=60))
    text = repr(est)
    assert text.startswith("LeadLagEstimator(lags 61 in [-100, 500] ms, window ")
    assert "R² " in text and "up lag" in text
    assert repr(RegimeConditionedLeadLag()).startswith("RegimeConditionedLeadLag(current medium")
    assert repr(LeadLagMonitor()).startswith("LeadLagMonitor(points 0")


REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "real" / "binance-spot-usdm-coinm-20240808"


def _book_ticker_mids(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(ts_local ns, mid) of a capture's bookTicker stream. Parsed here, independently of
    crossbook.data, so this test pins the estimator alone."""
    ts, mid = [], []
    with gzip.open(REAL / name, "rt") as f:
        for line in f:
            t, _, payload = line.partition(" ")
            if "@bookTicker" in payload[:60]:
                d = json.loads(payload)["data"]
                ts.append(int(t))
                mid.append((float(d["b"]) + float(d["a"])) / 2)
    return np.array(ts, dtype=np.int64), np.array(mid)


@pytest.mark.skipif(not REAL.is_dir(), reason=f"real captures not found at {REAL}")
def test_real_binance_usdm_perp_leads_spot_and_coinm() -> None:
    """5.7 min of BTC and ETH captured by one recorder (local clock shared). On the local clock the
    USDT-M perp leads spot BTC by ~20-30 ms and COIN-M BTC by ~30-40 ms; ETH perp and spot move
    together within a 10 ms step. Pinned loosely: the sign and the rough size."""
    usdm = _book_ticker_mids("usdm/btcusdt_20240808.gz")
    spot = _book_ticker_mids("spot/btcusdt_20240808.gz")
    coinm = _book_ticker_mids("cm/btcusd_perp_20240808.gz")
    assert (len(usdm[0]), len(spot[0]), len(coinm[0])) == (66089, 28040, 19136)  # SOURCES.md

    def best(leader: tuple, follower: tuple) -> dict[str, float]:
        est = LeadLagEstimator("fine")
        est.update(*leader, *follower)
        assert est.window_len > 1500
        return est.current_estimate()

    perp_spot = best(usdm, spot)
    assert 10 <= perp_spot["best_lag_ms"] <= 50
    assert perp_spot["best_r_squared"] > 0.3
    assert 0.3 < perp_spot["best_beta"] < 0.9
    spot_perp = best(spot, usdm)  # the same relation seen from the other side
    assert -50 <= spot_perp["best_lag_ms"] <= -10
    perp_coinm = best(usdm, coinm)
    assert 10 <= perp_coinm["best_lag_ms"] <= 60
    eth = best(_book_ticker_mids("usdm/ethusdt_20240808.gz"), _book_ticker_mids("spot/ethusdt_20240808.gz"))
    assert abs(eth["best_lag_ms"]) <= 20


def test_degenerate_series_leave_the_prior() -> None:
    empty = np.array([], dtype=np.int64)
    frame = streaming_estimates(empty, np.array([]), empty, np.array([]))
    assert frame.height == 0 and "all_lag_ms" in frame.columns
    # constant leader: no lag has a regressor that varies, so nothing is fitted
    lt, _, ft, fp = market(12, 150, 1.0, seconds=60)
    est = LeadLagEstimator("fine")
    rec = est.update(lt, np.full(lt.size, 60_000.0), ft, fp)
    assert est.window_len > 300 and len(rec["ts_ns"]) > 40  # re-estimations ran ...
    assert np.isnan(est.curve()["r_squared"]).all()  # ... and found no fit
    assert est.current_estimate()["n_estimates"] == 0
    assert est.get_current_estimate() == (200.0, 0.8, 0.0)
    # a single tick each, or data shorter than the lag span: no sample completes
    one = LeadLagEstimator()
    one.update(np.array([T0]), np.array([1.0]), np.array([T0]), np.array([1.0]))
    assert (one.sample_count, one.window_len) == (0, 0)

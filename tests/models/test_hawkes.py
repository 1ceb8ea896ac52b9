"""crossbook.models.hawkes against simulated truth, hand-computed values and scipy's KS test."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats

import crossbook
from crossbook.models import (
    FillIntensityModel,
    HawkesIntensity,
    fill_intensity_model,
    fit_hawkes_exp,
    fit_hawkes_marked,
    fit_hawkes_queue,
    fit_hawkes_state_baseline,
    fit_poisson,
    hawkes_loglik,
    intensity_to_kappa,
    simulate_hawkes_exp,
    simulate_hawkes_marked,
    simulate_hawkes_queue,
    simulate_hawkes_state_baseline,
    state_covariates,
    time_rescaling_test,
    trade_times,
)


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


@pytest.fixture(scope="module")
def long_sample() -> np.ndarray:
    # μ = 0.5/s, branching 0.6, β = 3/s over 80 000 s: N pinned by the seed
    return simulate_hawkes_exp(0.5, 0.6, 3.0, 80_000.0, seed=11)


def test_recovers_parameters_within_5_percent(long_sample: np.ndarray) -> None:
    assert len(long_sample) == 99_631
    fit = fit_hawkes_exp(long_sample, 80_000.0)
    assert set(fit) >= {"mu", "alpha", "beta", "loglik", "std_err", "ks_stat", "ks_pvalue"}
    assert rel(fit["mu"], 0.5) < 0.05
    assert rel(fit["alpha"], 0.6) < 0.05
    assert rel(fit["beta"], 3.0) < 0.05
    assert fit["converged"] and not fit["fixed_beta"]
    assert fit["kernel_alpha"] == pytest.approx(fit["alpha"] * fit["beta"], rel=1e-15)
    # MLE: no other parameter scores higher, in particular not the truth
    assert fit["loglik"] >= hawkes_loglik(long_sample, 80_000.0, 0.5, 0.6, 3.0)
    assert fit["loglik"] == pytest.approx(
        hawkes_loglik(long_sample, 80_000.0, fit["mu"], fit["alpha"], fit["beta"]), rel=1e-12
    )


def test_fixed_decay_fit(long_sample: np.ndarray) -> None:
    fit = fit_hawkes_exp(long_sample, 80_000.0, beta=3.0)
    assert fit["fixed_beta"] and fit["beta"] == 3.0 and fit["std_err"]["beta"] == 0.0
    assert rel(fit["mu"], 0.5) < 0.05 and rel(fit["alpha"], 0.6) < 0.05
    # the score in (mu, alpha) vanishes at the optimum: nudging either lowers the likelihood
    ll = fit["loglik"]
    for dmu, da in [(1e-3, 0), (-1e-3, 0), (0, 1e-3), (0, -1e-3)]:
        assert hawkes_loglik(long_sample, 80_000.0, fit["mu"] + dmu, fit["alpha"] + da, 3.0) < ll


def test_loglik_hand_computed() -> None:
    # events at 1, 2 on [0, 3]; μ = 0.5, branching 0.5, β = 1
    e1 = math.exp(-1.0)
    want = math.log(0.5) + math.log(0.5 + 0.5 * e1) - (1.5 + 0.5 * (1 - math.exp(-2.0)) + 0.5 * (1 - e1))
    assert hawkes_loglik([1.0, 2.0], 3.0, 0.5, 0.5, 1.0) == pytest.approx(want, abs=1e-14)


def test_time_rescaling_passes_truth_and_rejects_poisson() -> None:
    t = simulate_hawkes_exp(0.5, 0.6, 3.0, 8_000.0, seed=3)
    fit = fit_hawkes_exp(t, 8_000.0)
    g = time_rescaling_test(t, 8_000.0, fit["mu"], fit["alpha"], fit["beta"])
    assert g.ks_stat == pytest.approx(fit["ks_stat"], abs=1e-15)
    assert g.p_value > 0.05
    # the same statistic as scipy's one-sample KS test of the increments against Exp(1)
    ref = stats.kstest(g.rescaled, "expon")
    assert g.ks_stat == pytest.approx(ref.statistic, abs=1e-12)
    assert g.p_value == pytest.approx(ref.pvalue, abs=0.01)
    truth = time_rescaling_test(t, 8_000.0, 0.5, 0.6, 3.0)
    assert truth.p_value > 0.05
    pois = fit_poisson(t, 8_000.0)
    assert pois["mu"] == len(t) / 8_000.0
    assert pois["ks_pvalue"] < 1e-6
    assert pois["loglik"] < fit["loglik"]


def test_too_few_events_and_bad_input_raise() -> None:
    with pytest.raises(crossbook.InvalidInputError, match=r"too few events .* need at least 10, got 3"):
        fit_hawkes_exp([0.1, 0.2, 0.3], 1.0)
    with pytest.raises(crossbook.InvalidInputError, match="index 1"):
        fit_hawkes_exp(np.r_[0.5, 0.2, np.linspace(0.3, 0.9, 20)], 1.0)
    with pytest.raises(crossbook.InvalidInputError, match=r"must be in \[0, horizon"):
        fit_hawkes_exp(np.linspace(0, 2, 20), 1.0)
    with pytest.raises(crossbook.InvalidInputError, match="index 3"):
        fit_hawkes_exp(np.r_[0.1, 0.2, 0.3, np.nan, np.linspace(0.4, 0.9, 20)], 1.0)
    with pytest.raises(crossbook.InvalidInputError, match="horizon"):
        fit_hawkes_exp(np.linspace(0, 1, 20), 0.0)
    with pytest.raises(crossbook.InvalidInputError, match="fixed beta"):
        fit_hawkes_exp(np.linspace(0, 1, 20), 1.0, beta=-2.0)
    with pytest.raises(crossbook.InvalidInputError, match="at least one event"):
        fit_poisson([], 1.0)
    # Poisson data: a finite fit with a branching ratio near 0, never NaN
    t = simulate_hawkes_exp(2.0, 0.0, 1.0, 2_000.0, seed=2)
    fit = fit_hawkes_exp(t, 2_000.0)
    assert fit["alpha"] < 0.03
    assert all(math.isfinite(fit[k]) for k in ("mu", "alpha", "beta", "loglik", "ks_stat", "ks_pvalue"))


def test_online_intensity_matches_direct_sum() -> None:
    t = simulate_hawkes_exp(0.5, 0.6, 3.0, 100.0, seed=4)
    h = HawkesIntensity(0.5, 0.6, 3.0)
    lam = h.update_many(t)
    direct = np.array([0.5 + np.sum(1.8 * np.exp(-3.0 * (ti - t[:i]))) for i, ti in enumerate(t)])
    np.testing.assert_allclose(lam, direct, rtol=1e-10)
    assert h.count == len(t)
    later = t[-1] + 0.5
    assert h.intensity(later) == pytest.approx(0.5 + np.sum(1.8 * np.exp(-3.0 * (later - t))), rel=1e-10)
    with pytest.raises(crossbook.InvalidInputError, match="not before the last event"):
        h.update(t[-1] - 1.0)
    # from the stationary excitation the expected count over h seconds is μ/(1 − n)·h
    fresh = HawkesIntensity(0.5, 0.6, 3.0)
    assert fresh.expected_count(0.0, 10.0) == pytest.approx(
        1.25 * 10.0 - 0.75 * (1 - math.exp(-1.2 * 10.0)) / 1.2, rel=1e-12
    )


def test_state_baseline_extension_recovers_weights() -> None:
    rng = np.random.default_rng(5)
    ct = np.arange(0.0, 30_000.0, 10.0)
    cov = {"funding": np.cumsum(rng.normal(0, 0.3, len(ct))) * 0.1, "oi_change": rng.normal(0, 1, len(ct))}
    t = simulate_hawkes_state_baseline(0.5, {"funding": 0.5, "oi_change": -0.3}, 0.4, 2.0, ct, cov, 30_000.0, 6)
    fit = fit_hawkes_state_baseline(t, 30_000.0, ct, cov)
    assert abs(fit["w_funding"] - 0.5) < 4 * fit["std_err"]["w_funding"]
    assert abs(fit["w_oi_change"] + 0.3) < 4 * fit["std_err"]["w_oi_change"]
    assert rel(fit["alpha"], 0.4) < 0.1 and rel(fit["beta"], 2.0) < 0.1
    assert fit["ks_pvalue"] > 0.05


def test_marked_and_queue_extensions_round_trip() -> None:
    t, s, same, aggr = simulate_hawkes_marked(0.5, 0.2, 3.0, 40_000.0, seed=7, p_aggressor=0.6)
    fit = fit_hawkes_marked(t, 40_000.0, s, same, aggr, median_size=1.0)
    assert abs(fit["same_side_mult"] - 1.875) < 4 * fit["std_err"]["same_side_mult"]
    assert abs(fit["size_power"] - 0.5) < 4 * fit["std_err"]["size_power"]
    assert 0 < fit["branching"] < 1 and fit["ks_pvalue"] > 0.05
    with pytest.raises(crossbook.InvalidInputError, match="one value per event"):
        fit_hawkes_marked(t, 40_000.0, s[:-1], same, aggr)
    rng = np.random.default_rng(8)
    qt = np.cumsum(rng.exponential(0.2, 200_000))
    qv = np.cumsum(rng.exponential(1.0, 200_000))
    ev = simulate_hawkes_queue(0.5, 0.4, 1.0, 0.5, 10.0, qt, qv, 30_000.0, seed=9)
    q = fit_hawkes_queue(ev, 30_000.0, qt, qv, 10.0)
    assert abs(q["queue_sensitivity"] - 0.5) < 4 * q["std_err"]["queue_sensitivity"]
    assert q["typical_queue"] == 10.0 and q["ks_pvalue"] > 0.05


def test_intensity_to_kappa_hand_computed_and_floor() -> None:
    m = FillIntensityModel(mu_0=2.0, alpha_base=0.3, beta_time=1.0, depth_decay_per_bp=0.5)
    # no excitation: E N[0,1] for μ = 2, n = 0.3, β = 1 from the mean-intensity ODE
    kap = 1.0 * (1 - 0.3)
    en = 2.0 / 0.7 * 1.0 + (2.0 - 2.0 / 0.7) * (1 - math.exp(-kap)) / kap
    f = en * math.exp(-0.5 * 2.0)
    want = f * (math.exp(0.5 * 0.1) - 1) / 1e-5
    assert intensity_to_kappa(m, 2.0) == pytest.approx(want, rel=1e-12)
    assert m.expected_fills_in_window(0.0, 1.0, 2.0) == pytest.approx(f, rel=1e-12)
    assert intensity_to_kappa(FillIntensityModel(depth_decay_per_bp=0.0), 2.0) == 100.0
    with pytest.raises(crossbook.InvalidInputError, match="beta_time"):
        FillIntensityModel(beta_time=0.0)
    with pytest.raises(crossbook.InvalidInputError, match="depth_bps must be finite"):
        m.expected_fills_in_window(0.0, 1.0, float("nan"))
    with pytest.raises(crossbook.InvalidInputError, match="funding_rate must be finite"):
        intensity_to_kappa(m, 2.0, funding_rate=float("inf"))


def test_trade_times_and_state_covariates_from_frames() -> None:
    s = 1_000_000_000
    trade = pl.DataFrame({"venue": ["a", "b", "a"], "symbol": ["X", "X", "X"], "ts_local": [5 * s, 6 * s, 7 * s]})
    t, horizon, t0 = trade_times(trade, venue="a")
    assert t.tolist() == [0.0, 2.0] and horizon == 2.0 and t0 == 5 * s
    h = 3600 * s
    ticker = pl.DataFrame(
        {
            "ts_local": [0, 30 * s, 60 * s, 90 * s],
            "funding_rate": [1e-4, 2e-4, None, 1e-4],
            "open_interest": [100.0, 101.0, 102.0, 99.0],
            "next_funding_ts": [2 * h, 2 * h, None, 2 * h],
        }
    )
    ct, cov = state_covariates(ticker, 0)
    assert ct.tolist() == [0.0, 30.0, 60.0, 90.0]
    np.testing.assert_allclose(cov["funding"], [1.0, 2.0, 0.0, 1.0])
    # OI change over 60 s, as-of: rows at 60 s and 90 s compare with 0 s and 30 s
    np.testing.assert_allclose(cov["oi_change"], [0.0, 0.0, 2.0, (99 - 101) / 101 * 100])
    # 2 h to settlement: sin(2π·2/8) = 1; the null row falls back to the next 8 h boundary (8 h − 60 s)
    assert cov["settlement"][0] == pytest.approx(1.0)
    assert cov["settlement"][2] == pytest.approx(math.sin(2 * math.pi * (8 - 60 / 3600) / 8))


def test_ties_are_merged_or_refused() -> None:
    t = simulate_hawkes_exp(1.0, 0.5, 2.0, 2_000.0, seed=12)
    tied = np.sort(np.r_[t, t[:50]])  # 50 events duplicated exactly
    with pytest.raises(crossbook.InvalidInputError, match=r"50 events share their time .* unbounded with ties"):
        fit_hawkes_exp(tied, 2_000.0, ties="error")
    merged = fit_hawkes_exp(tied, 2_000.0)
    plain = fit_hawkes_exp(t, 2_000.0)
    assert merged["n_merged"] == 50 and merged["n_events"] == len(t)
    assert merged["mu"] == pytest.approx(plain["mu"], rel=1e-9)
    # gof=False skips the time-rescaling test
    quick = fit_hawkes_exp(t, 2_000.0, gof=False)
    assert "ks_stat" not in quick and quick["alpha"] == pytest.approx(plain["alpha"], rel=1e-9)
    # marks of merged events: sizes add up, aggressor if any
    sizes = np.ones(len(tied))
    fit = fit_hawkes_marked(tied, 2_000.0, sizes, np.zeros(len(tied), bool), np.ones(len(tied), bool))
    assert fit["n_merged"] == 50 and fit["n_events"] == len(t)


def test_real_binance_trades(real_file: object) -> None:
    """Binance USDT-M BTCUSDT, 344.8 s, 21 313 trades (SOURCES.md) on 5 260 distinct exchange ms."""
    from crossbook.data import read

    path = real_file("binance-spot-usdm-coinm-20240808", "usdm", "btcusdt_20240808.gz")  # type: ignore[operator]
    trade = read(path)["trade"]
    assert trade.height == 21_313
    t, horizon, _ = trade_times(trade, ts="ts_exchange")
    fit = fit_hawkes_exp(t, horizon)
    assert fit["n_events"] == 5_260 and fit["n_merged"] == 16_053
    assert 0.3 < fit["alpha"] < 0.7 and fit["converged"]
    pois = fit_poisson(np.unique(t), horizon)
    # clustered arrivals: the Hawkes fit is far better than Poisson, yet a single exponential kernel
    # on a millisecond clock is still rejected by the time-rescaling test (KS ≈ 0.04 vs 0.21)
    assert fit["loglik"] > pois["loglik"] + 1_000
    assert fit["ks_stat"] < pois["ks_stat"] / 3
    assert fit["ks_pvalue"] < 0.01


def test_fill_intensity_model_from_fits() -> None:
    t, s, same, aggr = simulate_hawkes_marked(0.5, 0.2, 3.0, 5_000.0, seed=7)
    mk = fit_hawkes_marked(t, 5_000.0, s, same, aggr, median_size=1.0)
    q = {"queue_sensitivity": 0.4, "typical_queue": 12.0}
    m = fill_intensity_model(marks=mk, queue=q, depth_decay_per_bp=0.3)
    p = m.params()
    assert p["alpha_base"] == mk["alpha"] and p["mu_0"] == mk["mu"] and p["beta_time"] == mk["beta"]
    assert p["mean_mark_multiplier"] == pytest.approx(mk["branching"] / mk["alpha"], rel=1e-12)
    assert (p["beta_queue_sensitivity"], p["typical_queue"], p["depth_decay_per_bp"]) == (0.4, 12.0, 0.3)
    # over a long window the expected count approaches the stationary rate μ/(1 − branching)
    n = mk["branching"]
    assert m.expected_fills_in_window(0.0, 1_000.0, 0.0) == pytest.approx(mk["mu"] / (1 - n) * 1_000.0, rel=0.01)
    # 1 bp deeper: e^(−0.3) fewer fills
    assert m.expected_fills_in_window(0.0, 1.0, 1.0) == pytest.approx(
        m.expected_fills_in_window(0.0, 1.0, 0.0) * math.exp(-0.3), rel=1e-12
    )


def test_state_baseline_on_simulator_tickers() -> None:
    """End to end on the simulator: trade times and the seed's covariates from its ticker rows."""
    from crossbook.sim import simulate

    r = simulate(minutes=20, seed=4)
    t, horizon, t0 = trade_times(r.tables["trade"], venue="hyperliquid")
    ct, cov = state_covariates(r.tables["ticker"], t0, venue="hyperliquid", settlement_period_h=1.0)
    assert len(ct) == r.tables["ticker"].filter(pl.col("venue") == "hyperliquid").height
    fit = fit_hawkes_state_baseline(t, horizon, ct, cov)
    assert set(fit) >= {"mu0", "w_funding", "w_oi_change", "w_settlement", "alpha", "beta", "ks_pvalue"}
    assert fit["n_merged"] > 0  # the simulator stamps a venue's messages of one ms alike
    assert all(math.isfinite(fit[k]) for k in ("mu0", "w_funding", "w_oi_change", "w_settlement", "alpha", "beta"))
    plain = fit_hawkes_exp(t, horizon)
    assert fit["loglik"] >= plain["loglik"] - 1e-6  # nested model: never worse

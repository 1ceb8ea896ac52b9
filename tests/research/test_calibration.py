"""Calibration: Brier score, equal-count calibration curves (scikit-learn conventions), the exact binned
decomposition, CORP, model health, and the prediction-log pipeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.calibration import calibration_curve as sk_curve
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss

from crossbook import InvalidInputError
from crossbook.research.calibration import (
    HealthThresholds,
    brier_decomposition,
    brier_score,
    calibrate_predictions,
    calibrate_run,
    calibration_curve,
    conditional_calibration,
    corp_decomposition,
    health_status,
    isotonic_recalibration,
    quantile_edges,
)


def _forecasts(n: int, seed: int, decimals: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.random(n)
    if decimals is not None:
        p = np.round(p, decimals)  # tied forecasts, some exactly on bin edges
    y = rng.random(n) < p**1.5  # informative but miscalibrated (over-forecasts)
    return p, y


@pytest.mark.parametrize(("n", "seed", "decimals", "n_bins"), [(5000, 1, None, 10), (3001, 2, 2, 20), (777, 3, 1, 7)])
def test_brier_and_curve_equal_scikit_learn(n: int, seed: int, decimals: int | None, n_bins: int) -> None:
    p, y = _forecasts(n, seed, decimals)
    assert abs(brier_score(p, y) - brier_score_loss(y, p)) < 1e-12
    curve = calibration_curve(p, y, n_bins)
    prob_true, prob_pred = sk_curve(y, p, n_bins=n_bins, strategy="quantile")
    assert curve.height == prob_true.size
    np.testing.assert_allclose(curve["frequency"].to_numpy(), prob_true, rtol=0, atol=1e-12)
    np.testing.assert_allclose(curve["mean_predicted"].to_numpy(), prob_pred, rtol=0, atol=1e-12)
    assert int(curve["count"].sum()) == n
    # (a mean of equal forecasts may differ from them in the last bit)
    assert (curve["p_min"] - 1e-12 <= curve["mean_predicted"]).all()
    assert (curve["mean_predicted"] <= curve["p_max"] + 1e-12).all()


def test_ties_make_empty_bins_that_are_dropped_like_scikit_learn() -> None:
    # half the forecasts are exactly 0.3: several quantile edges coincide and some bins stay empty
    p = np.r_[np.full(500, 0.3), np.linspace(0.31, 0.9, 500)]
    y = np.r_[np.zeros(350), np.ones(150), (np.arange(500) % 3 == 0)].astype(float)
    curve = calibration_curve(p, y, 10)
    prob_true, prob_pred = sk_curve(y, p, n_bins=10, strategy="quantile")
    assert curve.height == prob_true.size < 10
    np.testing.assert_allclose(curve["frequency"].to_numpy(), prob_true, atol=1e-12, rtol=0)
    np.testing.assert_allclose(curve["mean_predicted"].to_numpy(), prob_pred, atol=1e-12, rtol=0)
    # 0.3 sits on the edges: every tied forecast goes to the lowest of the coinciding bins
    first = curve.row(0, named=True)
    assert (first["count"], first["p_max"], first["frequency"]) == (500, 0.3, 0.3)
    edges = quantile_edges(p, 10)
    assert (edges[:5] == 0.3).all() and edges[5] == pytest.approx(0.305)


def test_decomposition_identity_is_exact_with_the_within_bin_terms() -> None:
    for seed, decimals, n_bins in [(4, None, 10), (5, 2, 15), (6, 1, 4)]:
        p, y = _forecasts(4000, seed, decimals)
        d = brier_decomposition(p, y, n_bins)
        rebuilt = (
            d["reliability"]
            - d["resolution"]
            + d["uncertainty"]
            + d["within_bin_variance"]
            - 2 * d["within_bin_covariance"]
        )
        assert abs(d["brier"] - rebuilt) < 1e-14
        # the three-term identity alone is off by the within-bin terms (not zero with spread-out forecasts)
        assert abs(d["brier"] - (d["reliability"] - d["resolution"] + d["uncertainty"])) > 1e-5
        assert d["information_ratio"] == pytest.approx(d["resolution"] / d["uncertainty"], abs=0)
        assert 0 <= d["information_ratio"] <= 1
        assert d["uncertainty"] == pytest.approx(y.mean() * (1 - y.mean()), abs=1e-15)


def test_hand_computed_decomposition() -> None:
    # one forecast value per bin (the within-bin terms vanish): p = 0.2 ×3 (y 0,1,0), 0.8 ×2 (y 1,1);
    # the median edge is 0.2, and a forecast on an edge goes to the lower bin
    p = [0.2, 0.2, 0.2, 0.8, 0.8]
    y = [0, 1, 0, 1, 1]
    d = brier_decomposition(p, y, n_bins=2)
    assert d["brier"] == pytest.approx((0.04 + 0.64 + 0.04 + 0.04 + 0.04) / 5, abs=1e-15)
    assert d["reliability"] == pytest.approx((3 * (0.2 - 1 / 3) ** 2 + 2 * 0.2**2) / 5, abs=1e-15)
    assert d["resolution"] == pytest.approx((3 * (1 / 3 - 0.6) ** 2 + 2 * 0.4**2) / 5, abs=1e-15)
    assert d["uncertainty"] == pytest.approx(0.24, abs=1e-15)
    assert abs(d["within_bin_variance"]) < 1e-30 and abs(d["within_bin_covariance"]) < 1e-30
    assert (d["n"], d["bins_used"], d["base_rate"]) == (5, 2, 0.6)
    assert d["brier"] == pytest.approx(d["reliability"] - d["resolution"] + d["uncertainty"], abs=1e-15)


def test_no_outcome_variation_gives_zero_information_ratio_not_nan() -> None:
    d = brier_decomposition([0.1, 0.5, 0.9], [1, 1, 1], 2)
    assert (d["uncertainty"], d["resolution"], d["information_ratio"]) == (0.0, 0.0, 0.0)
    c = corp_decomposition([0.1, 0.5, 0.9], [0, 0, 0])
    assert (c["unc"], c["information_ratio"]) == (0.0, 0.0)


def test_corp_against_scikit_learn_isotonic_regression() -> None:
    for decimals in (None, 2):
        p, y = _forecasts(3000, 7, decimals)
        rec = isotonic_recalibration(p, y)
        want = IsotonicRegression(out_of_bounds="clip").fit_transform(p, y.astype(float))
        np.testing.assert_allclose(rec, want, atol=1e-12, rtol=0)
        c = corp_decomposition(p, y)
        assert abs(c["brier"] - (c["mcb"] - c["dsc"] + c["unc"])) < 1e-15
        assert c["mcb"] > 0 and c["dsc"] > 0
        s_rec = np.mean((want - y) ** 2)
        assert c["mcb"] == pytest.approx(brier_score_loss(y, p) - s_rec, abs=1e-12)
        # the recalibrated forecasts are calibrated: no miscalibration left, same discrimination
        c2 = corp_decomposition(rec, y)
        assert abs(c2["mcb"]) < 1e-15 and c2["dsc"] == pytest.approx(c["dsc"], abs=1e-15)


@pytest.mark.parametrize(
    ("p", "y", "message"),
    [
        ([0.5, 1.2], [0, 1], "calibration: forecast p[1] = 1.2 is not a probability in [0, 1]"),
        ([0.5, np.nan], [0, 1], "calibration: forecast p[1] = NaN is not a probability in [0, 1]"),
        ([0.5, 0.5], [0, 2], "calibration: outcome y[1] = 2 is not 0 or 1"),
        ([0.5], [0, 1], "calibration: 1 forecasts but 2 outcomes"),
        ([], [], "calibration: no forecasts"),
    ],
)
def test_bad_forecasts_raise_with_the_index(p: list[float], y: list[int], message: str) -> None:
    with pytest.raises(InvalidInputError) as e:
        brier_decomposition(np.asarray(p, dtype=float), np.asarray(y, dtype=float), 5)
    assert str(e.value) == message
    with pytest.raises(InvalidInputError, match="n_bins must be at least 1"):
        quantile_edges([0.5], 0)


def _scores(p: np.ndarray, y: np.ndarray) -> dict:
    return {**brier_decomposition(p, y, 10), **{"mcb": corp_decomposition(p, y)["mcb"]}}


def test_health_status_rules() -> None:
    rng = np.random.default_rng(8)
    p = rng.random(20_000)
    y = rng.random(20_000) < p  # calibrated and informative
    assert health_status(_scores(p, y))[0] == "OK"
    base = np.full_like(p, y.mean())  # the base rate: no skill at all
    status, reason = health_status(_scores(base, y))
    assert status == "FAIL" and "no better than the base rate" in reason
    shrunk = 0.5 + 0.8 * (p - 0.5) ** 3 / 0.125 * 0.5  # informative, badly miscalibrated
    status, reason = health_status(_scores(np.clip(shrunk, 0, 1), y))
    assert status == "WARN" and reason.startswith("miscalibrated")
    assert health_status(_scores(p[:50], y[:50])) == ("INSUFFICIENT", "50 forecasts < 200")
    assert health_status(_scores(p[:50], y[:50]), HealthThresholds(min_samples=10))[0] != "INSUFFICIENT"


def test_conditional_calibration_finds_the_miscalibrated_slice() -> None:
    rng = np.random.default_rng(9)
    n = 20_000
    vol = np.where(rng.random(n) < 0.5, "low", "high")
    p = rng.random(n)
    truth = np.where(vol == "low", p, p**3)  # calibrated when quiet, over-confident when volatile
    y = rng.random(n) < truth
    c = conditional_calibration(p, y, {"volatility": pl.Series(vol), "tiny": pl.Series(["a"] * 10 + [None] * (n - 10))})
    low = c.filter(pl.col("slice") == "low").row(0, named=True)
    high = c.filter(pl.col("slice") == "high").row(0, named=True)
    assert low["mcb"] < 0.002 < 0.02 < high["mcb"]
    assert low["n"] + high["n"] == n
    tiny = c.filter(pl.col("variable") == "tiny").row(0, named=True)
    assert tiny["n"] == 10 and tiny["brier"] is None  # too few to score, but counted


# ---------------------------------------------------------------- the prediction log


def _prediction_log(n_cycles: int, seed: int) -> tuple[pl.DataFrame, dict]:
    """A flat log (two levels per cycle) with outcomes drawn from known probabilities: fills are drawn
    from the forecast itself (calibrated); adverse outcomes from p² (miscalibrated)."""
    rng = np.random.default_rng(seed)
    t0 = 1_700_000_000_000_000_000
    rows = 2 * n_cycles
    ts = t0 + np.repeat(np.arange(n_cycles), 2) * 250_000_000
    p1 = rng.uniform(0.02, 0.9, rows)
    # a fill time: within 1 s with probability p1, else 1.5–20 s later or never
    u = rng.random(rows)
    delay = np.where(
        u < p1, rng.uniform(0, 1e9, rows), np.where(rng.random(rows) < 0.5, rng.uniform(1.5e9, 2e10, rows), np.nan)
    )
    fill_ts = pl.Series(np.where(np.isnan(delay), 0, ts + np.nan_to_num(delay)).astype(np.int64))
    fill_ts = pl.select(pl.when(pl.Series(~np.isnan(delay))).then(fill_ts)).to_series()
    pa = rng.uniform(0.1, 0.9, rows)
    side = np.tile([1, -1], n_cycles)
    adverse = rng.random(rows) < pa**2
    mark0 = np.full(rows, 100.0)
    mark1 = mark0 - side * np.where(adverse, 0.05, -0.05)
    df = pl.DataFrame(
        {
            "timestamp_ns": ts,
            "quote_cycle_id": np.repeat(np.arange(n_cycles), 2),
            "level_index": np.tile([0, 1], n_cycles),
            "side": np.where(side > 0, "bid", "ask"),
            "p_fill_1s": p1,
            "p_adverse_given_fill": pa,
            "fill_timestamp_ns": fill_ts,
            "mark_price_at_fill": mark0,
            "mark_price_1s_later": mark1,
            "price_1s_later": np.full(rows, 100.0),
            "sigma_bipower": np.repeat(rng.lognormal(0, 0.5, n_cycles), 2),
            "inventory": np.repeat(rng.integers(-2, 3, n_cycles).astype(float), 2),
            "funding_rate": np.repeat(rng.normal(0, 1e-4, n_cycles), 2),
        }
    )
    return df, {"adverse": adverse, "filled_1s": u < p1}


def test_prediction_log_pipeline_scores_fill_and_adverse_models() -> None:
    df, truth = _prediction_log(6000, 10)
    rep = calibrate_predictions(df)
    assert set(rep.models) == {"fill_1s", "adverse"}
    assert rep.missing["fill_100ms"] == "no column p_fill_100ms"
    assert rep.missing["regime_hmm"] == "no p_<regime> columns"
    fill = rep.models["fill_1s"]
    assert fill["n"] == df.height
    y = truth["filled_1s"]
    assert fill["brier"] == pytest.approx(brier_score_loss(y, df["p_fill_1s"].to_numpy()), abs=1e-12)
    adv = rep.models["adverse"]
    filled = df["fill_timestamp_ns"].is_not_null().to_numpy()
    assert adv["n"] == int(filled.sum())
    want = brier_score_loss(truth["adverse"][filled], df["p_adverse_given_fill"].to_numpy()[filled])
    assert adv["brier"] == pytest.approx(want, abs=1e-12)
    health = dict(zip(rep.health["model"], rep.health["status"], strict=True))
    assert health == {"fill_1s": "OK", "adverse": "WARN"}
    s = rep.summary()
    assert set(s["fill_1s"]) >= {"brier", "reliability", "resolution", "uncertainty", "information_ratio", "status"}
    assert all(np.isfinite(v) for m in s.values() for v in m.values() if isinstance(v, float))
    variables = set(rep.conditional["variable"].unique())
    assert {"volatility", "inventory", "funding", "fill_activity"} <= variables
    assert "settlement" in rep.slices_missing and "cross_exchange" in rep.slices_missing
    vol = rep.conditional.filter((pl.col("model") == "fill_1s") & (pl.col("variable") == "volatility"))
    assert vol["slice"].to_list() == ["Q1 (low)", "Q2", "Q3", "Q4 (high)"]
    assert int(vol["n"].sum()) == df.height


def test_nested_layout_gives_the_same_scores() -> None:
    df, _ = _prediction_log(1500, 11)
    flat = calibrate_predictions(df).models
    level_cols = ["side", "p_fill_1s", "p_adverse_given_fill"]
    fill_cols = ["level_index", "fill_timestamp_ns", "mark_price_at_fill", "mark_price_1s_later"]
    nested = df.group_by("quote_cycle_id", maintain_order=True).agg(
        pl.col("timestamp_ns").first(),
        pl.col("price_1s_later").first(),
        pl.col("sigma_bipower").first(),
        pl.struct(level_cols).alias("levels"),
        pl.struct(fill_cols).filter(pl.col("fill_timestamp_ns").is_not_null()).alias("fills"),
    )
    rep = calibrate_predictions(nested)
    assert any("nested levels exploded" in n for n in rep.notes)
    for m in ("fill_1s", "adverse"):
        assert rep.models[m]["n"] == flat[m]["n"]
        assert rep.models[m]["brier"] == pytest.approx(flat[m]["brier"], abs=1e-15)


def test_regime_model_one_vs_rest_against_simulated_truth() -> None:
    rng = np.random.default_rng(12)
    n = 3000
    probs = rng.dirichlet([2, 2, 2, 2], n)
    true = np.array([rng.choice(4, p=pr) for pr in probs])
    df = pl.DataFrame({f"p_{r}": probs[:, i] for i, r in enumerate(("quiet", "trending", "volatile", "cascade"))})
    df = df.with_columns(pl.Series("true_regime", true), pl.Series("quote_cycle_id", np.arange(n)))
    rep = calibrate_predictions(df)
    m = rep.models["regime_hmm"]
    assert m["n"] == 4 * n
    onehot = np.eye(4)[true]
    assert m["brier"] == pytest.approx(np.mean((probs - onehot) ** 2), abs=1e-12)
    assert rep.health.filter(pl.col("model") == "regime_hmm")["status"][0] == "OK"


def test_calibrate_run_without_a_log_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no prediction log: .*predictions\.parquet does not exist"):
        calibrate_run(tmp_path)

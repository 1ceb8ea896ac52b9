"""crossbook.models HMM: the forward filter against hmmlearn and brute force, the online filter, causality,
Baum–Welch recovery and ordering, degenerate data, the regime features, and agreement with the simulator's
true regimes."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import polars as pl
import pytest

from crossbook import InvalidInputError
from crossbook.models import (
    FEATURES,
    REGIMES,
    SEED_TRANSMAT,
    HmmFilter,
    HmmModel,
    fit_hmm,
    hmm_filter,
    regime_features,
    regime_probs,
)
from crossbook.signals import bipower_vol

S = 1_000_000_000  # ns per second
T0 = 1_700_000_000 * S


def _model(k: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    start = rng.dirichlet(np.ones(k))
    trans = rng.dirichlet(np.ones(k), size=k) * 0.3 + np.eye(k) * 0.7
    means = rng.normal(size=(k, d)) * 2.0
    variances = rng.uniform(0.3, 2.0, size=(k, d))
    return start, trans, means, variances


def _sample(start, trans, means, variances, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    k, d = means.shape
    z = np.empty(n, dtype=np.int64)
    z[0] = rng.choice(k, p=start)
    u = rng.random(n)
    cum = np.cumsum(trans, axis=1)
    for t in range(1, n):
        z[t] = min(int(np.searchsorted(cum[z[t - 1]], u[t], side="right")), k - 1)
    x = means[z] + rng.normal(size=(n, d)) * np.sqrt(variances[z])
    return np.ascontiguousarray(x), z


def _hmmlearn(start, trans, means, variances):
    hmm = pytest.importorskip("hmmlearn.hmm", reason="hmmlearn is the reference (installed by `make setup`)")
    k, d = means.shape
    m = hmm.GaussianHMM(n_components=k, covariance_type="diag")
    m.n_features = d
    m.startprob_, m.transmat_, m.means_, m.covars_ = start, trans, means, variances
    return m


# ---------------------------------------------------------------- the forward filter


@pytest.mark.parametrize(("k", "d"), [(4, 4), (3, 2), (7, 3)])  # specialised kernels and the general path
def test_loglik_equals_hmmlearn_score(k: int, d: int) -> None:
    params = _model(k, d, seed=k * 10 + d)
    x, _ = _sample(*params, n=2000, seed=1)
    ref = _hmmlearn(*params)
    probs, ll = hmm_filter(x, *params)
    assert abs(ll - ref.score(x)) <= 1e-8
    assert probs.shape == (2000, k)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    # filtered = smoothed at the last observation of every prefix
    for t in (0, 1, 17, 999, 1999):
        np.testing.assert_allclose(probs[t], ref.predict_proba(x[: t + 1])[-1], rtol=0, atol=1e-10)


def test_long_sequence_is_more_accurate_than_the_reference() -> None:
    """At n = 20 000 hmmlearn's own rounding (log-space forward over a log-likelihood of ~1e5) is ~1e-8;
    an extended-precision forward pass shows ours is the one within 1e-10."""
    params = _model(4, 4, seed=3)
    x, _ = _sample(*params, n=20_000, seed=2)
    _, ll = hmm_filter(x, *params)
    ref = _hmmlearn(*params).score(x)
    assert abs(ll - ref) <= 1e-12 * abs(ref)
    start, trans, means, variances = (a.astype(np.longdouble) for a in params)
    xl = x.astype(np.longdouble)
    lb = -0.5 * (
        np.log(2 * np.longdouble(np.pi) * variances).sum(1)[None, :]
        + (((xl[:, None, :] - means[None]) ** 2) / variances[None]).sum(2)
    )
    alpha, total = start, np.longdouble(0)
    for t in range(len(x)):
        pred = start if t == 0 else alpha @ trans
        mx = lb[t].max()
        u = pred * np.exp(lb[t] - mx)
        total += mx + np.log(u.sum())
        alpha = u / u.sum()
    assert abs(np.longdouble(ll) - total) < 1e-10


def test_two_state_path_enumeration() -> None:
    start, trans = np.array([0.6, 0.4]), np.array([[0.9, 0.1], [0.3, 0.7]])
    means, variances = np.array([[0.0], [2.0]]), np.array([[1.0], [0.5]])
    x = np.array([[0.1], [1.9], [2.2], [-0.4]])

    def dens(v: float, j: int) -> float:
        return math.exp(-0.5 * (v - means[j, 0]) ** 2 / variances[j, 0]) / math.sqrt(2 * math.pi * variances[j, 0])

    total, last = 0.0, np.zeros(2)
    for path in itertools.product((0, 1), repeat=4):
        p = start[path[0]] * dens(x[0, 0], path[0])
        for t in range(1, 4):
            p *= trans[path[t - 1], path[t]] * dens(x[t, 0], path[t])
        total += p
        last[path[-1]] += p
    probs, ll = hmm_filter(x, start, trans, means, variances)
    assert ll == pytest.approx(math.log(total), abs=1e-13)
    np.testing.assert_allclose(probs[-1], last / total, atol=1e-14)
    empty, ll0 = hmm_filter(np.zeros((0, 1)), start, trans, means, variances)
    assert empty.shape == (0, 2) and ll0 == 0.0


def test_long_input_takes_the_segmented_pass_and_agrees_with_the_online_filter() -> None:
    """From 4 096 rows the batch filter runs segments side by side (SIMD lanes, two threads from 65 536
    rows) and merges them exactly: agreement with the row-by-row online filter to 1e-12, causality kept."""
    from crossbook import _core

    params = _model(4, 4, seed=21)
    x, _ = _sample(*params, n=70_000, seed=22)
    probs, ll = hmm_filter(x, *params)
    f = HmmFilter(*params)
    online = f.update_many(x)
    np.testing.assert_allclose(probs, online, rtol=0, atol=1e-12)
    assert ll == pytest.approx(f.loglik, rel=1e-12)
    assert _core.hmm_loglik(x, *params) == ll
    p2, ll2 = _core.hmm_filter(x, *params)
    np.testing.assert_array_equal(p2, probs)
    assert ll2 == ll
    y = x.copy()
    y[40_000:] = -3.0 * y[40_000:] + 5.0
    probs2, _ = hmm_filter(y, *params)
    np.testing.assert_array_equal(probs2[:40_000], probs[:40_000])
    # the output buffer of the binding: shape and layout are checked
    with pytest.raises(InvalidInputError, match="out must have shape"):
        _core.hmm_filter_into(x, *params, np.empty((70_000, 3)))
    with pytest.raises(InvalidInputError, match="C-contiguous"):
        _core.hmm_filter_into(x, *params, np.empty((4, 70_000)).T)
    with pytest.raises(InvalidInputError, match="X must be a C-contiguous"):
        _core.hmm_loglik(np.asfortranarray(x), *params)  # would be read as the transpose


def test_online_filter_is_the_batch_filter_and_causal() -> None:
    params = _model(4, 4, seed=9)
    x, _ = _sample(*params, n=300, seed=4)
    probs, ll = hmm_filter(x, *params)
    f = HmmFilter(*params)
    np.testing.assert_array_equal(f.probs, params[0])
    np.testing.assert_array_equal(f.predicted(), params[0])
    for t in range(300):
        row = x[t] if t % 2 else x[t].tolist()  # arrays and plain sequences
        np.testing.assert_array_equal(f.update(row), probs[t])
    assert f.loglik == ll and f.n_updates == 300
    assert f.most_likely == int(np.argmax(probs[-1]))
    np.testing.assert_allclose(f.predicted(), probs[-1] @ params[1], atol=1e-15)
    assert repr(f).startswith("HmmFilter(states=4, features=4, updates=300, probs=[")
    f.reset()
    assert f.n_updates == 0 and f.loglik == 0.0
    np.testing.assert_array_equal(f.update_many(x), probs)
    # causality: rewriting everything after t = 149 leaves rows 0..149 bit-identical
    y = x.copy()
    y[150:] = -3.0 * y[150:] + 5.0
    probs2, _ = hmm_filter(y, *params)
    np.testing.assert_array_equal(probs2[:150], probs[:150])
    assert not np.array_equal(probs2[150:], probs[150:])


def test_bad_input_raises_named_errors() -> None:
    start, trans, means, variances = _model(4, 4, seed=1)
    x = np.zeros((5, 4))
    with pytest.raises(InvalidInputError, match=r"^startprob must sum to 1 \(sums to 1\.5\)$"):
        hmm_filter(x, np.array([0.5, 0.5, 0.25, 0.25]), trans, means, variances)
    with pytest.raises(InvalidInputError, match=r"^transmat must have shape \(4, 4\) for 4 states, got \[3, 3\]$"):
        hmm_filter(x, start, trans[:3, :3], means, variances)
    bad = variances.copy()
    bad[2, 1] = 0.0
    with pytest.raises(InvalidInputError, match=r"^variances\[2, 1\] must be positive and finite \(0\)$"):
        hmm_filter(x, start, trans, means, bad)
    with pytest.raises(InvalidInputError, match=r"^X must have shape \(n, 4\) like the means, got \[5, 3\]$"):
        hmm_filter(np.zeros((5, 3)), start, trans, means, variances)
    x[3, 2] = np.nan
    with pytest.raises(InvalidInputError, match=r"^observations: row 3 feature 2 is not finite \(NaN\)$"):
        hmm_filter(x, start, trans, means, variances)
    f = HmmFilter(start, trans, means, variances)
    with pytest.raises(InvalidInputError, match=r"^observation has 3 features, the model 4$"):
        f.update([0.0, 0.0, 0.0])
    assert f.n_updates == 0


# ---------------------------------------------------------------- Baum–Welch


def _regime_truth() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    means = np.array(
        [[-1.0, 3.3, 0.0, 0.2], [-0.2, 3.9, 0.0, 0.4], [0.9, 4.4, 0.0, 0.6], [1.7, 4.9, 0.0, 2.0]]
    )  # volatility, intensity, imbalance (zero-mean), adverse selection
    variances = np.array(
        [[0.05, 0.02, 0.01, 0.1], [0.06, 0.03, 0.02, 0.1], [0.1, 0.05, 0.01, 0.3], [0.2, 0.1, 0.005, 1.0]]
    )
    return np.array([0.7, 0.1, 0.15, 0.05]), SEED_TRANSMAT.copy(), means, variances


def test_fit_recovers_a_known_model_in_volatility_order() -> None:
    start, trans, means, variances = _regime_truth()
    x, z = _sample(start, trans, means, variances, n=12_000, seed=5)
    m = fit_hmm(x, seed=3)
    assert m.states == REGIMES and m.features == FEATURES and m.converged
    counts = np.bincount(z, minlength=4)
    # within 4 standard errors of the truth, given how often each state occurs
    se_mean = np.sqrt(variances / counts[:, None])
    assert np.all(np.abs(m.means - means) < 4 * se_mean + 0.01), m.means
    assert np.all(m.means[:, 2] == 0.0)  # imbalance is zero-mean by default
    assert np.all(np.abs(m.variances / variances - 1) < 4 * np.sqrt(2 / counts[:, None]) + 0.02)
    se_t = np.sqrt(trans * (1 - trans) / counts[:, None])
    assert np.all(np.abs(m.transmat - trans) < 4 * se_t + 0.005), m.transmat
    assert np.all(np.diff(m.means[:, 0]) > 0)
    probs, ll = m.filter(x)
    assert ll == pytest.approx(m.loglik, rel=1e-9)
    assert (np.argmax(probs, axis=1) == z).mean() > 0.97
    # another seed: the same labels (no permutation)
    m2 = fit_hmm(x, seed=11, n_restarts=2)
    np.testing.assert_allclose(m2.means[:, 0], m.means[:, 0], atol=0.05)


def test_fit_degenerate_data_stays_finite() -> None:
    # two exact points, a constant column, four states
    x = np.column_stack([np.where(np.arange(400) % 100 < 50, 1.0, 5.0), np.full(400, 3.0)])
    m = fit_hmm(x, n_states=4, features=("a", "b"))
    assert m.states == REGIMES
    for a in (m.startprob, m.transmat, m.means, m.variances):
        assert np.all(np.isfinite(a))
    assert np.all(m.variances >= m.var_floor[None, :])
    assert m.var_floor[1] == pytest.approx(9e-12)  # 1e-12 · max(1, mean²) for the constant column
    m2 = fit_hmm(x, n_states=2, features=("a", "b"))
    assert list(m2.means[:, 0]) == [1.0, 5.0]
    assert m2.states == ("state0", "state1")
    with pytest.raises(InvalidInputError, match=r"^fit needs at least 4 observations \(got 3\)$"):
        fit_hmm(np.ones((3, 2)), features=("a", "b"))
    with pytest.raises(InvalidInputError, match=r"zero_mean: 'x' is not a feature"):
        fit_hmm(x, features=("a", "b"), zero_mean=("x",))
    with pytest.raises(InvalidInputError, match=r"^observations: row 0 feature 0 is not finite \(inf\)$"):
        fit_hmm(np.full((10, 2), np.inf), features=("a", "b"))


def test_model_roundtrip_and_probs_frame() -> None:
    start, trans, means, variances = _regime_truth()
    x, _ = _sample(start, trans, means, variances, n=1000, seed=8)
    m = fit_hmm(x, seed=0, n_restarts=1)
    back = HmmModel.from_dict(m.to_dict())
    for name in ("startprob", "transmat", "means", "variances"):
        np.testing.assert_array_equal(getattr(back, name), getattr(m, name))
    frame = pl.DataFrame({"t_ns": np.arange(1000) * S, **{f: x[:, j] for j, f in enumerate(FEATURES)}})
    p = regime_probs(frame, m)
    assert p.columns == ["t_ns", "p_quiet", "p_trending", "p_volatile", "p_cascade", "regime"]
    probs, _ = m.filter(x)
    np.testing.assert_array_equal(p.select("p_quiet", "p_trending", "p_volatile", "p_cascade").to_numpy(), probs)
    assert p["regime"].to_list() == [REGIMES[i] for i in np.argmax(probs, axis=1)]
    tab = m.table()
    assert tab["state"].to_list() == list(REGIMES)
    assert tab["stationary"].sum() == pytest.approx(1.0)
    assert "HmmModel(4 states × 4 features" in repr(m)


# ---------------------------------------------------------------- features


def _synthetic_tables() -> dict[str, pl.DataFrame]:
    """Mid 100 until 1.6 s, 101 until 2.5 s, 100.5 until 3.6 s, 102 after (a bbo row every 50 ms for 10 s);
    trades at 1.2 buy 1, 1.5 sell 2, 2.0 buy 3, 2.7 buy 1, 3.1 buy 5, 3.5 unknown 1."""
    t = np.arange(200) * 50_000_000
    mid = np.select([t < 1_600_000_000, t < 2_500_000_000, t < 3_600_000_000], [100.0, 101.0, 100.5], 102.0)
    bbo = pl.DataFrame(
        {
            "venue": "v",
            "symbol": "s",
            "ts_local": T0 + t,
            "bid_px": np.round((mid - 0.05) * 1e8).astype(np.int64),
            "ask_px": np.round((mid + 0.05) * 1e8).astype(np.int64),
        }
    )
    tt = np.array([1.2, 1.5, 2.0, 2.7, 3.1, 3.5])
    trade = pl.DataFrame(
        {
            "venue": "v",
            "symbol": "s",
            "ts_local": T0 + np.round(tt * S).astype(np.int64),
            "qty": (np.array([1, 2, 3, 1, 5, 1]) * 10**8).astype(np.int64),
            "aggressor": np.array([1, -1, 1, 1, 1, 0], dtype=np.int8),
        }
    )
    other = trade.with_columns(pl.lit("w").alias("venue"))  # another venue: must be ignored
    return {"bbo": bbo, "trade": pl.concat([trade, other]), "book": pl.DataFrame()}


def test_regime_features_by_hand() -> None:
    tables = _synthetic_tables()
    f = regime_features(tables, "v", "s", window_ms=2000, markout_ms=1000, vol_step_ms=100)
    assert f.columns == ["t_ns", *FEATURES]
    # volatility warm-up: 20 returns of 100 ms → first at 2 s; the bipower series ends before 9.95 s
    assert (f["t_ns"] - T0).to_list() == [k * S for k in range(2, 10)]
    row = {int((r["t_ns"] - T0) // S): r for r in f.iter_rows(named=True)}
    # g = 3 s, window (1, 3]: trades 1.2 B, 1.5 S, 2.0 B, 2.7 B → 2 trades/s, (3 − 1)/4
    assert row[3]["trade_intensity"] == pytest.approx(math.log(3.0))
    assert row[3]["imbalance"] == pytest.approx(0.5)
    # g = 4 s, window (2, 4]: 2.7 B, 3.1 B, 3.5 unknown → 1.5/s, imbalance (2 − 0)/2; 2.0 s is excluded
    assert row[4]["trade_intensity"] == pytest.approx(math.log(2.5))
    assert row[4]["imbalance"] == pytest.approx(1.0)
    # adverse selection at g = 4 s: trades in (1, 3], marked out 1 s later against the pre-trade mid
    mk = np.array(
        [
            math.log(101 / 100),  # 1.2 buy: 100 → mid(2.2) = 101
            -math.log(100.5 / 100),  # 1.5 sell: 100 → mid(2.5) = 100.5 (the update at 2.5 s counts)
            math.log(100.5 / 101),  # 2.0 buy: 101 → mid(3.0) = 100.5
            math.log(102 / 100.5),  # 2.7 buy: 100.5 → mid(3.7) = 102
        ]
    )
    want = float(np.dot([1, 2, 3, 1], mk) / 7 * 1e4)
    assert row[4]["adverse_selection"] == pytest.approx(want, rel=1e-12)
    # at g = 2 s no trade has a full markout horizon yet: (−1, 1] is empty
    assert row[2]["adverse_selection"] == 0.0
    # g = 9 s: no trade in (7, 9]
    assert row[9]["trade_intensity"] == 0.0 and row[9]["imbalance"] == 0.0
    # volatility is ln of the bipower volatility (bps/√s) from crossbook.signals at the grid time
    bbo = tables["bbo"]
    m = (bbo["bid_px"] + bbo["ask_px"]).to_numpy() / 2e8
    vs = bipower_vol(bbo["ts_local"].to_numpy(), m, 100.0, 20)
    i = int(np.searchsorted(vs.t_ns, T0 + 5 * S))
    sigma = math.sqrt(vs.per_second("bv")[i]) * 1e4
    assert vs.t_ns[i] == T0 + 5 * S
    assert row[5]["volatility"] == pytest.approx(math.log(max(sigma, 0.01)), rel=1e-12)
    # at g = 9 s the mid has not moved for 5 s: the floor (0.01 bps/√s), not −∞
    assert row[9]["volatility"] == pytest.approx(math.log(0.01))


def test_regime_features_are_causal() -> None:
    from crossbook.sim import simulate

    r = simulate(minutes=3, seed=5)
    venue, symbol = "binance-futures", "BTCUSDT"
    f = regime_features(r, venue, symbol)
    cut = int(f["t_ns"][f.height // 2])
    changed = {
        "bbo": r.tables["bbo"].with_columns(
            pl.when(pl.col("ts_local") > cut).then(pl.col("bid_px") - 50_000_000_000).otherwise(pl.col("bid_px")),
            pl.when(pl.col("ts_local") > cut).then(pl.col("ask_px") + 30_000_000_000).otherwise(pl.col("ask_px")),
        ),
        "trade": r.tables["trade"].filter((pl.col("ts_local") <= cut) | (pl.col("ts_local") % 3 == 0)),
        "book": r.tables["book"],
    }
    g = regime_features(changed, venue, symbol)
    before = f.filter(pl.col("t_ns") <= cut)
    assert before.height > 60
    assert g.filter(pl.col("t_ns") <= cut).equals(before)
    assert not g.filter(pl.col("t_ns") > cut).equals(f.filter(pl.col("t_ns") > cut))
    # and the regime probabilities built on them
    m = fit_hmm(before, seed=0, n_restarts=1)
    p_f, p_g = regime_probs(f, m), regime_probs(g, m)
    assert p_g.filter(pl.col("t_ns") <= cut).equals(p_f.filter(pl.col("t_ns") <= cut))


def test_regime_features_from_a_store_and_from_the_book(tmp_path) -> None:
    from crossbook import store
    from crossbook.sim import simulate

    r = simulate(minutes=3, seed=4)
    want = regime_features(r, "binance-futures", "BTCUSDT")
    store.write_tables(r.tables, tmp_path / "s", "sim-3min-seed4")
    got = regime_features(store.open(tmp_path / "s"), "binance-futures", "BTCUSDT")
    assert got.equals(want)
    # no bbo rows: the mid comes from the top of book rebuilt from the book table
    no_bbo = {"bbo": r.tables["bbo"].clear(), "trade": r.tables["trade"], "book": r.tables["book"]}
    book = regime_features(no_bbo, "binance-futures", "BTCUSDT")
    both = want.join(book, on="t_ns", suffix="_book")
    assert both.height >= want.height - 2
    for c in ("trade_intensity", "imbalance"):
        np.testing.assert_array_equal(both[c].to_numpy(), both[f"{c}_book"].to_numpy())
    # the book's top moves on 50 ms diff messages, the bbo on every refresh: close, not equal
    assert abs(both["volatility"].mean() - both["volatility_book"].mean()) < 0.1
    assert np.corrcoef(both["volatility"], both["volatility_book"])[0, 1] > 0.6
    assert np.corrcoef(both["adverse_selection"], both["adverse_selection_book"])[0, 1] > 0.95


def test_regime_features_errors() -> None:
    tables = _synthetic_tables()
    with pytest.raises(InvalidInputError, match=r"^no bbo or book rows for this instrument"):
        regime_features(tables, "nope", "s")
    with pytest.raises(InvalidInputError, match=r"^step_ms must be a positive number of milliseconds \(got 0\)$"):
        regime_features(tables, "v", "s", step_ms=0)
    with pytest.raises(InvalidInputError, match=r"shorter than the volatility window"):
        regime_features(tables, "v", "s", window_ms=60_000)


# ---------------------------------------------------------------- simulator truth and real data


def _agreement(r, **kw) -> dict[str, float]:
    f = regime_features(r, "binance-futures", "BTCUSDT", **kw)
    cut = int(f.height * 0.75)
    model = fit_hmm(f[:cut], seed=0)  # past data only
    p = regime_probs(f[cut:], model)
    seg = r.regimes
    names = np.array(seg["regime"].to_list())
    truth = names[np.searchsorted(seg["start_ns"].to_numpy(), p["t_ns"].to_numpy(), side="right") - 1]
    pred = p["regime"].to_numpy()
    out = {
        "accuracy": float((truth == pred).mean()),
        "baseline": float((truth == "quiet").mean()),
        "quiet_vs_rest": float(((truth == "quiet") == (pred == "quiet")).mean()),
    }
    for g in REGIMES:
        out[f"recall_{g}"] = float(((pred == g) & (truth == g)).sum() / max(1, (truth == g).sum()))
    return out


def test_agreement_with_simulator_regimes() -> None:
    """Fit on the first 90 min of a 2-hour simulation (seed 7), filter the last 30 min, compare the most
    probable state with the simulator's true regime (true time; ``ts_local`` is ~5 ms later).

    Measured (pinned below with a little slack): non-overlapping 5 s windows on a 5 s step (the simulator's
    regime clock) agree 90.3 % of the time (majority-class baseline "always quiet": 60.8 %; recall quiet
    95 %, trending 86 %, volatile 74 %, cascade 100 % of its few rows). The defaults (1 s step, 10 s windows)
    agree only 49.4 % — below the baseline: the overlapping windows make the features autocorrelated and the
    fit spends states on within-regime wander (quiet vs not-quiet is still right 84.7 % of the time).
    Across seeds 1, 2, 3, 7, 11 the 5 s setting gave 0.86 / 0.53 / 0.89 / 0.90 / 0.85 and the defaults
    0.79 / 0.50 / 0.86 / 0.49 / 0.75: useful, not reliable — seed 2 splits the quiet regime in both."""
    from crossbook.sim import simulate

    r = simulate(minutes=120, seed=7)
    five = _agreement(r, step_ms=5000, window_ms=5000)
    assert five["accuracy"] >= 0.88, five
    assert five["accuracy"] > five["baseline"] + 0.25, five
    assert five["recall_quiet"] >= 0.92 and five["recall_trending"] >= 0.8, five
    default = _agreement(r)
    assert 0.45 <= default["accuracy"] <= 0.55, default
    assert default["quiet_vs_rest"] >= 0.82, default


def test_real_capture_features_and_filter(real_file) -> None:
    from crossbook.data import read

    path = real_file("binance-spot-usdm-coinm-20240808", "usdm", "btcusdt_20240808.gz")
    tables = read(path)
    f = regime_features(tables, "binance-futures", "BTCUSDT")
    # 344.8 s of data, 10 s warm-up, 1 s grid
    assert 325 <= f.height <= 335
    assert np.all(np.diff(f["t_ns"].to_numpy()) == S)
    x = f.select(FEATURES).to_numpy()
    assert np.all(np.isfinite(x))
    assert np.all(np.abs(f["imbalance"].to_numpy()) <= 1.0)
    # trade intensity against a direct count of the trade table at a few grid times
    tr = tables["trade"]["ts_local"].to_numpy()
    for g in f["t_ns"].to_numpy()[::50]:
        n = int(((tr > g - 10 * S) & (tr <= g)).sum())
        got = f.filter(pl.col("t_ns") == g)["trade_intensity"][0]
        assert got == pytest.approx(math.log1p(n / 10.0), rel=1e-12)
    cut = f.height * 2 // 3
    m = fit_hmm(f[:cut], seed=0)
    p = regime_probs(f[cut:], m)
    probs = p.select([f"p_{s}" for s in REGIMES]).to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(np.diff(m.means[:, 0]) >= 0)


def test_probabilities_feed_the_quote_engine() -> None:
    """Regime probabilities joined onto quote inputs (the last grid time strictly before each quote) reach
    the engine's blend: its records carry them (renormalised, so equal to rounding)."""
    from crossbook.quote import QuoteEngine, market_inputs
    from crossbook.sim import simulate

    r = simulate(minutes=4, seed=2)
    f = regime_features(r, "binance-futures", "BTCUSDT")
    m = fit_hmm(f, seed=0, n_restarts=1)
    probs = regime_probs(f, m).with_columns((pl.col("t_ns") + 1).alias("t_ns"))
    bbo = r.tables["bbo"].filter(pl.col("venue") == "binance-futures")
    inputs = market_inputs(bbo, tick=0.1, kappa=0.5, a=1.0).join_asof(probs.drop("regime"), on="t_ns")
    inputs = inputs.filter(pl.col("p_quiet").is_not_null())
    rec = QuoteEngine().run(inputs)
    quoted = (rec["skip_reason"] == "").to_numpy()
    assert quoted.sum() > 1000  # the rest wait for the volatility warm-up
    for s in REGIMES:
        # the engine renormalises the vector: equal to rounding
        np.testing.assert_allclose(rec[f"p_{s}"].to_numpy()[quoted], inputs[f"p_{s}"].to_numpy()[quoted], atol=1e-15)
    assert rec.filter(pl.col("skip_reason") == "")["regime_name"].n_unique() >= 2


def test_model_replace_keeps_online_consistent() -> None:
    start, trans, means, variances = _regime_truth()
    m = HmmModel(start, trans, means, variances)
    m2 = dataclasses.replace(m, transmat=np.eye(4))
    f = m2.online()
    p = f.update(means[2])
    assert int(np.argmax(p)) == 2
    np.testing.assert_array_equal(f.transmat, np.eye(4))

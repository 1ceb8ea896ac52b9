"""Signal audit: KSG mutual information against scikit-learn and closed forms, ties / constants / bad
input, the signal catalog's causality, and the audit on the simulator (where the lead is real)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.feature_selection import mutual_info_regression

from crossbook import InvalidInputError
from crossbook.research.audit import audit, mi_null, mutual_information, mutual_information_detail, signal_audit
from crossbook.research.signal_catalog import SIGNALS, SignalCatalog, adverse_on_next_fill
from crossbook.sim import simulate

LEADER, FOLLOWER = "binance-futures:BTCUSDT", "hyperliquid:BTC"


class _NoNoise(np.random.RandomState):
    """A RandomState whose normal draws are zero: scikit-learn's MI noise switched off."""

    def standard_normal(self, size=None, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        return np.zeros(size)


def _sk_bits(x: np.ndarray, y: np.ndarray, k: int, random_state: object) -> float:
    return float(mutual_info_regression(x.reshape(-1, 1), y, n_neighbors=k, random_state=random_state)[0]) / math.log(2)


def _gauss(n: int, rho: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    return x, rho * x + math.sqrt(1 - rho * rho) * rng.standard_normal(n)


@pytest.mark.parametrize(("n", "rho", "k"), [(500, 0.5, 3), (5000, 0.8, 3), (5000, 0.2, 5), (20_000, -0.6, 3)])
def test_equals_scikit_learn_without_noise(n: int, rho: float, k: int) -> None:
    x, y = _gauss(n, rho, n + k)
    x = x * 3.0 + 7.0  # scale and offset: both estimators standardise by the std only
    ours = mutual_information(x, y, k)
    assert abs(ours - _sk_bits(x, y, k, _NoNoise(0))) < 1e-9
    assert mutual_information_detail(x, y, k).jittered is False


@pytest.mark.parametrize("rho", [0.3, 0.6, 0.9])
def test_gaussian_pairs_match_the_closed_form(rho: float) -> None:
    x, y = _gauss(20_000, rho, 11)
    truth = -0.5 * math.log2(1 - rho * rho)
    assert abs(mutual_information(x, y) - truth) < 0.02


def test_independent_pair_is_near_zero_and_below_its_null() -> None:
    x, y = _gauss(5000, 0.0, 12)
    mi = mutual_information(x, y)
    null = mi_null(x, y, n_shuffles=20, seed=1)
    assert mi < 0.03 and null.shape == (20,) and (null >= 0).all() and null.max() < 0.04
    assert np.array_equal(null, mi_null(x, y, n_shuffles=20, seed=1))  # deterministic
    x2, y2 = _gauss(5000, 0.7, 13)
    assert mutual_information(x2, y2) > 10 * mi_null(x2, y2, n_shuffles=20).max()


def test_ties_are_jittered_exactly_like_scikit_learn() -> None:
    rng = np.random.default_rng(14)
    n = 4000
    ret = np.where(rng.random(n) < 0.5, 0.0, rng.standard_normal(n))  # half zero returns
    direction = np.sign(0.5 * ret + rng.standard_normal(n))  # a discrete target
    for seed in (0, 3):
        d = mutual_information_detail(ret, direction, seed=seed)
        assert d.jittered and d.ties_x > n // 3 and d.ties_y == n - 2  # two distinct directions
        assert abs(d.bits - _sk_bits(ret, direction, 3, seed)) < 1e-9
    with pytest.raises(InvalidInputError) as e:
        mutual_information(ret, direction, ties="raise")
    assert str(e.value).startswith("mutual information: tied values (") and "use ties='jitter' or 'ignore'" in str(
        e.value
    )
    assert math.isfinite(mutual_information(ret, direction, ties="ignore"))


def test_constant_columns_carry_no_information() -> None:
    x, _ = _gauss(1000, 0.0, 15)
    d = mutual_information_detail(x, np.full(1000, 2.5))
    assert (d.bits, d.constant) == (0.0, True)
    assert mutual_information(np.zeros(1000), x) == 0.0
    assert (mi_null(x, np.ones(1000), n_shuffles=4) == 0).all()


@pytest.mark.parametrize(
    ("x", "y", "k", "message"),
    [
        ([1.0, 2.0, np.nan, 4.0, 5.0], [1.0, 2.0, 3.0, 4.0, 5.0], 1, "mutual information: x[2] = NaN is not finite"),
        ([1.0, 2.0, 3.0], [1.0, np.inf, 3.0], 1, "mutual information: y[1] = inf is not finite"),
        ([1.0, 2.0, 3.0], [1.0, 2.0], 1, "mutual information: x has 3 values but y has 2"),
        ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], 3, "mutual information: 3 pairs, need more than k = 3"),
        ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], 0, "mutual information: k must be at least 1"),
    ],
)
def test_bad_input_raises(x: list[float], y: list[float], k: int, message: str) -> None:
    with pytest.raises(InvalidInputError) as e:
        mutual_information(np.asarray(x), np.asarray(y), k)
    assert str(e.value) == message


# ---------------------------------------------------------------- catalog and audit on the simulator


@pytest.fixture(scope="module")
def sim() -> object:
    return simulate(minutes=20, seed=7)


def test_catalog_signals_are_causal(sim: object) -> None:
    tables = sim.tables  # type: ignore[attr-defined]
    full = SignalCatalog.from_tables(tables, FOLLOWER, LEADER, lag_ms=185.0)
    t = full.grid(step_ms=1000.0)
    cut = int(t[len(t) // 2])
    early = {k: v.filter(pl.col("ts_local") <= cut) for k, v in tables.items()}
    part = SignalCatalog.from_tables(early, FOLLOWER, LEADER, lag_ms=185.0)
    assert set(full.signals) == set(SIGNALS) and part.signals == full.signals
    # book signals are read from the rebuilt book on a 100 ms grid that ends at the last message, so the
    # final grid interval before the cut is left out (a staler value there, never a later one)
    tt = t[t <= cut - 1_000_000_000]
    a, b = full.at(tt), part.at(tt)
    for name in full.signals:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    # the target looks ahead by design: the direction over the next second
    d = full.price_direction(tt)
    assert set(np.unique(d[np.isfinite(d)])) <= {-1.0, 0.0, 1.0}


def test_lag_estimate_matches_the_simulated_lead(sim: object) -> None:
    cat = SignalCatalog.from_tables(sim.tables, FOLLOWER, LEADER)  # type: ignore[attr-defined]
    assert cat.lag_ms is not None
    assert abs(cat.lag_ms - sim.truth["lag_ms_local"]) <= 20  # type: ignore[attr-defined]


def test_audit_finds_the_leader_on_the_simulator(sim: object) -> None:
    res = signal_audit(sim.tables, FOLLOWER, LEADER, n_shuffles=20)  # type: ignore[attr-defined]
    rows = {r["signal"]: r for r in res.summary() if r["target"] == "PriceDirection1s"}
    assert set(rows) == set(SIGNALS)
    top = max(rows.values(), key=lambda r: r["mi_bits"])
    assert top["signal"] in ("leader_return_bps", "leader_spread_bps")
    for s in ("leader_return_bps", "leader_spread_bps"):
        assert rows[s]["significant"] and rows[s]["mi_bits"] > 1.5 * rows[s]["null_p95_bits"]
        assert rows[s]["corr"] > 0.1
    for r in rows.values():
        assert set(r) >= {"signal", "target", "mi_bits", "corr", "lag_ms"}
        assert all(math.isfinite(v) for v in r.values() if isinstance(v, float))
        assert r["lag_ms"] <= 0 and r["n"] >= 1000
    text = res.text()
    assert text.startswith("=== Signal Audit Report: 2024-08-08 ===\n\nTarget: PriceDirection1s\n")
    assert "Signal                      MI (bits)  Corr    Opt Lag   Regime Var" in text
    assert "AdverseSelectionOnNextFill\n  unavailable: no backtest fills" in text
    assert "ACTIONABLE INSIGHTS:\n1. leader_" in text
    again = signal_audit(sim.tables, FOLLOWER, LEADER, n_shuffles=20)  # type: ignore[attr-defined]
    assert again.summary() == res.summary()


def test_adverse_selection_target_from_fills(sim: object) -> None:
    cat = SignalCatalog.from_tables(sim.tables, FOLLOWER, LEADER, lag_ms=185.0)  # type: ignore[attr-defined]
    t = cat.grid(step_ms=700.0)
    lead = cat.at(t - 1, ["leader_return_bps"])["leader_return_bps"]
    # a market maker's bid is picked off when the leader just fell: adverse iff the leader return < 0
    fills = pl.DataFrame({"timestamp_ns": t, "side": "bid", "adverse_selection": lead < 0})
    res = audit(cat, fills=fills, signals=["leader_return_bps", "trade_arrival_rate"], lags_ms=(0.0, 100.0))
    rows = {(r["signal"], r["target"]): r for r in res.rows}
    adv = rows[("leader_return_bps", "AdverseSelectionOnNextFill")]
    assert adv["significant"] and adv["mi_bits"] > 0.3 and adv["lag_ms"] == 0.0 and adv["corr"] < -0.2
    assert not rows[("trade_arrival_rate", "AdverseSelectionOnNextFill")]["significant"]
    assert adverse_on_next_fill(fills.drop("adverse_selection")) == (
        "fills have no adverse_selection / adverse flag and no pnl_1s"
    )
    pnl = adverse_on_next_fill(pl.DataFrame({"timestamp_us": [3, 1], "pnl_1s": [-1.0, 2.0]}))
    assert not isinstance(pnl, str)
    assert pnl[0].tolist() == [1000, 3000] and pnl[1].tolist() == [0.0, 1.0]


def test_catalog_without_book_trades_or_leader_says_why(sim: object) -> None:
    tables = {"bbo": sim.tables["bbo"]}  # type: ignore[attr-defined]
    cat = SignalCatalog.from_tables(tables, FOLLOWER)
    assert cat.signals == ["microprice_imbalance", "microprice_deviation_bps", "spread_bps", "sigma_bipower"]
    assert cat.unavailable["leader_return_bps"] == "no leader instrument"
    assert cat.unavailable["book_pressure"] == "no book table for the target"
    assert cat.unavailable["trade_imbalance_1s"] == "no trade table for the target"
    with pytest.raises(InvalidInputError, match="no bbo rows for binance:ETHUSDT"):
        SignalCatalog.from_tables(tables, "binance:ETHUSDT")


# ---------------------------------------------------------------- crossbook audit --run


def test_cli_audit_on_a_run_folder(sim: object, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from crossbook import store
    from crossbook.cli import app

    root = tmp_path / "store"
    store.write_tables(sim.tables, root, source_id="sim")  # type: ignore[attr-defined]
    run = tmp_path / "run"
    run.mkdir()
    cat = SignalCatalog.from_tables(sim.tables, FOLLOWER, LEADER, lag_ms=185.0)  # type: ignore[attr-defined]
    t = cat.grid(step_ms=900.0)
    lead = cat.at(t - 1, ["leader_return_bps"])["leader_return_bps"]
    pl.DataFrame(
        {"timestamp_ns": t, "venue": "hyperliquid", "symbol": "BTC", "adverse_selection": lead < 0}
    ).write_parquet(run / "fills.parquet")
    rng = np.random.default_rng(0)
    p = rng.uniform(0.05, 0.95, t.size)
    pl.DataFrame(
        {"timestamp_ns": t, "p_fill_1s": p, "filled_1s": rng.random(t.size) < p, "p_fill_10s": p}
    ).write_parquet(run / "predictions.parquet")
    pl.DataFrame(
        {
            "date": ["2024-08-08"],
            "total": [-3.0],
            "spread_capture": [5.0],
            "adverse_selection": [-6.0],
            "inventory": [-1.0],
            "fees": [-1.0],
            "funding": [0.0],
        }
    ).write_parquet(run / "attribution.parquet")
    out = tmp_path / "out"
    r = CliRunner(env={"COLUMNS": "400"}).invoke(
        app, ["audit", "--run", str(run), "--store", str(root), "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) == {"calibration", "audit", "messages"}
    assert set(summary["calibration"]) == {"fill_1s"}
    assert summary["calibration"]["fill_1s"]["status"] == "OK"
    assert any("fill_10s not scored — outcome unavailable" in m for m in summary["messages"])
    targets = {row["target"] for row in summary["audit"]}
    assert targets == {"PriceDirection1s", "AdverseSelectionOnNextFill"}
    adv = next(
        x
        for x in summary["audit"]
        if x["target"] == "AdverseSelectionOnNextFill" and x["signal"] == "leader_return_bps"
    )
    assert adv["significant"]
    assert "signal audit: hyperliquid:BTC with leader binance-futures:BTCUSDT" in summary["messages"]
    html = (out / "report.html").read_text()
    assert "Model Health Monitor" in html and "Signal audit" in html and "PnL Attribution: 2024-08-08" in html
    assert (out / "audit.txt").read_text().startswith("=== Signal Audit Report: 2024-08-08 ===")
    assert "THIS IS THE PROBLEM" in (out / "attribution.txt").read_text()


def test_cli_audit_degrades_clearly(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from crossbook.cli import app

    run = tmp_path / "run"
    run.mkdir()
    out = tmp_path / "out"
    r = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["audit", "--run", str(run), "--out", str(out)])
    assert r.exit_code == 2
    assert "predictions.parquet not found" in r.output and "nothing to audit" in r.output
    pl.DataFrame({"timestamp_ns": [1, 2], "p_fill_1s": [0.2, 0.4]}).write_parquet(run / "predictions.parquet")
    r = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["audit", "--run", str(run), "--out", str(out)])
    assert r.exit_code == 2
    assert "fill_1s not scored — outcome unavailable: needs filled_1s, or fill_timestamp_ns" in r.output
    assert "signal audit skipped: no store (pass --store DIR)" in r.output

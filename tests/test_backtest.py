"""crossbook.backtest: run folder schema, exact attribution, determinism, the with/without lead-lag result
on the simulator (where the lead is real by construction) and on the real Binance capture, the
counterfactual grid, bad input, the CLI.

Hand-built queue/latency cases (a trade through our bid before/after the entry latency, the book
crossing our bid only when the BBO reaches the venue, what the strategy knows after the response
latency, the attribution by hand) are Rust unit tests in ``rust/crossbook-core/src/backtest/tests.rs``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from crossbook import InvalidInputError
from crossbook.backtest import (
    RUN_FILES,
    BacktestConfig,
    compare_leadlag,
    counterfactual,
    load_run,
    run_backtest,
)
from crossbook.quote import QuoteConfig
from crossbook.sim import simulate

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "real"
BINANCE = REAL / "binance-spot-usdm-coinm-20240808"
COMPONENTS = ("spread_capture", "adverse_selection", "inventory", "fees", "funding")


def quote_config(floor_bps: float = 1.0, order_size: float = 0.01) -> QuoteConfig:
    """The default engine with a 1 bp half-spread floor in every regime, no fee in the spread, no warm-up."""
    regimes = {k: {**row, "spread_floor_bps": floor_bps} for k, row in QuoteConfig().regimes.model_dump().items()}
    return QuoteConfig.model_validate(
        {"regimes": regimes, "maker_fee_bps": 0.0, "warmup_s": 0.0, "order_size": order_size}
    )


CFG = BacktestConfig(quote=quote_config())


@pytest.fixture(scope="module")
def sim():
    return simulate(minutes=4, seed=1)


@pytest.fixture(scope="module")
def result(sim):
    return run_backtest(sim, CFG)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- run folder and attribution


def test_run_folder_schema(sim, tmp_path: Path) -> None:
    res = run_backtest(sim, CFG, out=tmp_path / "run")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == sorted(RUN_FILES)
    s = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert set(s) == {"backtest", "attribution", "config", "inputs"}
    b = s["backtest"]
    for k in ("pnl", "sharpe", "sortino", "max_drawdown", "fills", "fill_rate", "spread_capture"):
        assert k in b
    assert set(b["markouts_bps"]) == {"100ms", "1s", "10s", "60s"}
    assert set(b["inventory"]) >= {"mean", "std", "min", "max", "mean_abs", "max_abs", "last", "time_flat"}
    assert set(s["attribution"]) >= {"total", *COMPONENTS}
    # the simulator's tick and the in-sample intensity fit are recorded
    assert s["inputs"]["tick"] == 1.0 and s["inputs"]["intensity_fit"]["n_points"] > 3
    eq = pl.read_parquet(tmp_path / "run" / "equity.parquet")
    assert eq.columns[:4] == ["ts", "pnl", "inventory", "mid"]
    fills = pl.read_parquet(tmp_path / "run" / "fills.parquet")
    # EnrichedFill, BookContext and WallContext field names of the seed
    seed_fields = [
        "timestamp_us", "side", "price", "size", "pnl_1s", "pnl_10s", "pnl_60s", "adverse_selection",
        "mid_price", "spread_bps", "bid_depth_10bps", "ask_depth_10bps", "liquidity_asymmetry", "band_density",
        "migration_velocity", "nearest_wall_distance_bps", "nearest_wall_size", "position_relative_to_wall",
        "wall_age_ms", "wall_flicker_rate", "binance_mid", "binance_delta_100ms", "lead_lag_estimate_ms",
        "fill_prob_prediction", "adverse_prob_prediction", "kappa_estimate", "gamma_used",
    ]  # fmt: skip
    assert [c for c in seed_fields if c not in fills.columns] == []
    assert fills.height == b["fills"] == res.fills.height > 20
    assert set(fills["position_relative_to_wall"].unique()) <= {"none", "inside", "at", "outside"}
    assert fills["mid_price"].null_count() == 0  # the simulated quoted venue has a book
    p = fills["fill_prob_prediction"].drop_nulls().to_numpy()
    assert len(p) == fills.height and ((p > 0) & (p < 1)).all()
    pred = pl.read_parquet(tmp_path / "run" / "predictions.parquet")
    seed_fields = [
        "timestamp_ns", "quote_cycle_id", "bid_levels", "ask_levels", "microprice", "kappa_final",
        "sigma_bipower", "gamma_effective", "funding_rate", "binance_mid", "inventory", "inventory_age_s",
        "bid_p_fill_100ms", "bid_p_fill_1s", "bid_p_fill_10s", "ask_p_adverse_given_fill",
        "expected_fill_rate_1s", "expected_adverse_selection_bps", "p_quiet", "price_1s_later",
        "price_60s_later", "adverse_selection_realized_bps", "bid_filled_1s", "bid_adverse_realized",
        "bid_price", "ask_price", "bid_size", "ask_size", "kappa", "gamma", "spread_bps",
    ]  # fmt: skip
    assert [c for c in seed_fields if c not in pred.columns] == []
    assert pred.schema["bid_levels"] == pl.Array(pl.Array(pl.Float64, 2), 5)
    assert pred.height == b["cycles"]["total"]
    days = pl.read_parquet(tmp_path / "run" / "attribution.parquet")
    assert days.height == 1 and days["fills"][0] == b["fills"]
    back = load_run(tmp_path / "run")
    assert back.fills.equals(res.fills) and back.predictions.equals(res.predictions)


def test_attribution_sums_exactly_to_total(result) -> None:
    a = result.summary["attribution"]
    assert a["spread_capture"] + a["adverse_selection"] + a["inventory"] + a["fees"] + a["funding"] == a["total"]
    assert a["total"] == result.backtest["pnl"]
    # the simulator's own cash + position × last mid agrees up to f64 rounding of its cash
    assert abs(a["identity_error"]) < 1e-9 * max(1.0, result.backtest["notional"])
    # each equity point sums its components, the last one is the total
    e = result.equity
    parts = e["spread_capture"] + e["adverse_selection"] + e["inventory_pnl"] + e["fees"] + e["funding"]
    assert (parts == e["pnl"]).all()
    assert e["pnl"][-1] == a["total"]
    d = result.attribution.row(0, named=True)
    assert d["spread_capture"] + d["adverse_selection"] + d["inventory"] + d["fees"] + d["funding"] == d["total"]
    # spread capture per fill, recomputed from the fill rows
    f = result.fills
    sc = (f["side"].cast(pl.Float64) * f["size"] * (f["mid_at_fill"] - f["price"])).sum()
    assert sc == pytest.approx(a["spread_capture"], abs=1e-9)


def test_markouts_and_outcomes_are_consistent(result) -> None:
    f = result.fills
    # 1 s markout = spread capture + adverse move (both in bps of the mid at the fill)
    both = f.filter(pl.col("markout_1s_bps").is_not_null())
    lhs = both["markout_1s_bps"].to_numpy()
    rhs = both["spread_capture_bps"].to_numpy() - both["adverse_move_bps"].to_numpy()
    assert np.allclose(lhs, rhs, atol=1e-9)
    assert ((both["adverse_move_bps"] > 0) == both["adverse_selection"]).all()
    rate = both["adverse_selection"].mean()
    assert result.backtest["adverse_selection_rate"] == pytest.approx(rate)
    # outcomes are null only when their horizon passes the end of data
    p = result.predictions
    end = result.backtest["end_ns"]
    late = p.filter(pl.col("timestamp_ns") + 10_000_000_000 > end)
    assert p.filter(pl.col("price_10s_later").is_null()).height == late.height


def test_quotes_never_cross_and_clamps_are_counted(result) -> None:
    q = result.predictions.filter(pl.col("status") == "quoted")
    assert (q["bid_price"] < q["best_ask"]).all() and (q["ask_price"] > q["best_bid"]).all()
    c = result.backtest["cycles"]
    assert c["clamped_bid"] == q.filter((pl.col("clamped") & 1) != 0).height
    assert c["clamped_ask"] == q.filter((pl.col("clamped") & 2) != 0).height
    # σ is NaN until the 60 one-second returns of the bipower window exist: those cycles are skipped
    skips = c["engine_skips"]
    assert skips["non_finite:sigma2_per_s"] == result.predictions.filter(pl.col("skip_input") == "sigma2_per_s").height
    first = result.predictions.filter(pl.col("status") == "quoted")["timestamp_ns"][0]
    assert first - result.backtest["start_ns"] >= 60 * 10**9


def test_outputs_are_bit_identical(sim, tmp_path: Path) -> None:
    run_backtest(sim, CFG, out=tmp_path / "a")
    run_backtest(simulate(minutes=4, seed=1), CFG, out=tmp_path / "b")
    for name in RUN_FILES:
        assert _sha(tmp_path / "a" / name) == _sha(tmp_path / "b" / name), name


# ---------------------------------------------------------------- with vs without lead-lag


# Measured on 4-minute simulations with CFG (with / without lead-lag): PnL, fills, adverse-selection
# rate, adverse-selection component, spread capture, 1 s markout (bps):
#   seed 1: 11.435, 216, 0.403, +10.237, 2.719, +0.997  /  -8.511, 208, 0.618, -16.096, 7.899, -0.653
#   seed 2:  0.357,   8, 0.125,  +0.767, 0.040, +1.679  /  -0.298,  19, 0.947,  -2.319, 1.035, -1.125
#   seed 3:  3.290, 119, 0.462,  +0.941, 2.115, +0.432  /  -5.213, 128, 0.641, -10.117, 4.532, -0.728
# Lead-lag moves the quote centre to where the quoted mid is going: fewer fills are picked off (lower
# adverse-selection rate, the mid moves our way after fills), PnL and the 1 s markout improve. Spread
# capture against the mid at the fill is *lower* with lead-lag: the skewed quote sits closer to the
# current mid on the side the price moves towards (the seed's "10-30 % better spread capture" holds for
# the realised spread, the 1 s markout, not for the edge against the instantaneous mid).
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_leadlag_lowers_adverse_selection_on_the_simulator(seed: int) -> None:
    c = compare_leadlag(simulate(minutes=4, seed=seed), CFG)
    w, wo = c["with_leadlag"], c["without_leadlag"]
    assert w["adverse_selection_rate"] < wo["adverse_selection_rate"] - 0.15
    assert w["attribution"]["adverse_selection"] > 0 > wo["attribution"]["adverse_selection"]
    assert w["markouts_bps"]["1s"] > 0 > wo["markouts_bps"]["1s"]
    assert w["pnl"] > wo["pnl"]
    assert w["attribution"]["spread_capture"] < wo["attribution"]["spread_capture"]
    assert c["change"]["pnl"] == w["pnl"] - wo["pnl"]


def test_comparison_folder(sim, tmp_path: Path) -> None:
    c = compare_leadlag(sim, CFG, out=tmp_path)
    for name in ("with_leadlag", "without_leadlag"):
        assert sorted(p.name for p in (tmp_path / name).iterdir()) == sorted(RUN_FILES)
    saved = json.loads((tmp_path / "comparison.json").read_text())
    assert saved["with_leadlag"]["pnl"] == c["with_leadlag"]["pnl"]
    assert json.loads((tmp_path / "without_leadlag" / "summary.json").read_text())["config"]["leadlag"] is False


# ---------------------------------------------------------------- counterfactual


def test_counterfactual_grid(sim, result) -> None:
    t = counterfactual(sim, CFG, spread_mults=(0.5, 1.0, 2.0), gammas=(None, 1.0))
    assert t.height == 6
    actual = t.filter((pl.col("spread_mult") == 1.0) & pl.col("gamma_is_config"))
    assert actual["pnl"][0] == result.backtest["pnl"] and actual["pnl_vs_actual"][0] == 0.0
    for g in (True, False):
        s = t.filter(pl.col("gamma_is_config") == g).sort("spread_mult")["mean_quoted_spread_bps"].to_list()
        assert s[0] < s[1] < s[2], s
    assert set(t.filter(~pl.col("gamma_is_config"))["gamma"]) == {1.0}


# ---------------------------------------------------------------- bad input


def test_bad_rows_are_typed_errors(sim) -> None:
    tables = dict(sim.tables)
    bbo = tables["bbo"]
    row = bbo.with_row_index().filter(pl.col("venue") == "hyperliquid")["index"][5]
    tables["bbo"] = bbo.with_columns(
        pl.when(pl.int_range(pl.len()) == row).then(-1).otherwise(pl.col("bid_qty")).alias("bid_qty")
    )
    with pytest.raises(InvalidInputError, match=r"quoted bbo: row 5: bid price must be > 0 and size >= 0"):
        run_backtest(tables, CFG)
    with pytest.raises(InvalidInputError, match="must be VENUE:SYMBOL"):
        run_backtest(sim, CFG.with_(quoted="BTC"))
    # too few trades away from the touch to fit the fill intensity: say which config keys to set
    with pytest.raises(
        InvalidInputError, match="fill-intensity fit failed .* set intensity_a and intensity_k_per_tick"
    ):
        run_backtest(simulate(minutes=3, seed=2), CFG)
    with pytest.raises(InvalidInputError, match="nowhere:BTC: no bbo or book rows"):
        run_backtest(sim, CFG.with_(quoted="nowhere:BTC", tick=1.0, intensity_a=1.0, intensity_k_per_tick=0.5))


def test_stale_quoted_data_stops_quoting(sim) -> None:
    tables = dict(sim.tables)
    t0 = int(tables["bbo"]["ts_local"].min())  # type: ignore[arg-type]
    gap = (t0 + 120 * 10**9, t0 + 150 * 10**9)
    quiet = (pl.col("venue") == "hyperliquid") & pl.col("ts_local").is_between(*gap)
    for t in ("bbo", "book", "trade", "ticker"):
        tables[t] = tables[t].filter(~quiet)
    res = run_backtest(tables, CFG.with_(stale_quoted_ms=2000.0))
    p = res.predictions
    stale = p.filter(pl.col("status") == "stale_quoted")
    assert stale.height == res.backtest["cycles"]["by_status"]["stale_quoted"] > 250
    assert stale["timestamp_ns"].min() > gap[0] + 2 * 10**9 and stale["timestamp_ns"].max() < gap[1] + 10**9
    assert stale["bid_size"].max() == 0 and stale["ask_size"].max() == 0
    # no fill while the quoted venue was silent
    assert res.fills.filter(pl.col("ts_exchange").is_between(gap[0] + 2 * 10**9, gap[1])).height == 0


def test_config_toml(tmp_path: Path) -> None:
    f = tmp_path / "bt.toml"
    f.write_text(
        'leader = "binance-futures:BTCUSDT"\nquoted = "hyperliquid:BTC"\ncycle_ms = 50\n'
        '[quote]\norder_size = 0.02\n[exchange]\nqueue = "power"\nentry_ms = 25\n'
    )
    c = BacktestConfig.from_toml(f)
    assert (c.cycle_ms, c.quote.order_size, c.exchange.queue, c.exchange.entry_ms) == (50, 0.02, "power", 25)
    f.write_text("cycle_msec = 50\n")
    with pytest.raises(ValueError, match="cycle_msec"):
        BacktestConfig.from_toml(f)


def test_cli_backtest_on_a_store(sim, tmp_path: Path) -> None:
    from crossbook.cli import app
    from crossbook.store import write_tables

    write_tables(sim.tables, tmp_path / "store", "sim-4min-seed1")
    cfg = tmp_path / "bt.toml"
    cfg.write_text("[quote]\norder_size = 0.01\nmaker_fee_bps = 0.0\nwarmup_s = 0.0\n")
    out = tmp_path / "out"
    r = CliRunner().invoke(
        app, ["backtest", "--store", str(tmp_path / "store"), "--config", str(cfg), "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == sorted([*RUN_FILES, "report.html"])
    direct = run_backtest(sim, BacktestConfig.from_toml(cfg))
    assert json.loads((out / "summary.json").read_text())["backtest"]["fills"] == direct.backtest["fills"]


def test_funding_is_attributed(sim) -> None:
    # settle every minute at the simulator's funding rate (the 4-minute run starts at 00:00 UTC)
    res = run_backtest(sim, CFG.with_(exchange={"funding_interval_h": 1 / 60}))
    a = res.summary["attribution"]
    assert a["funding"] != 0.0
    assert a["spread_capture"] + a["adverse_selection"] + a["inventory"] + a["fees"] + a["funding"] == a["total"]
    assert abs(a["identity_error"]) < 1e-9 * max(1.0, res.backtest["notional"])
    assert res.equity["funding"][-1] == a["funding"]


def test_report_sections(sim, result) -> None:
    from crossbook.book import sample_grid
    from crossbook.report import Report
    from crossbook.report.sections_backtest import backtest_section, backtest_summary, counterfactual_rows

    c = compare_leadlag(sim, CFG)
    s = backtest_summary(c)
    # the demo's summary.json keys (DESIGN.md)
    for name in ("with_leadlag", "without_leadlag"):
        assert {"pnl", "sharpe", "fills", "spread_capture", "adverse_selection_rate"} <= set(s["backtest"][name])
        att = s["attribution"][name]
        assert att["total"] == sum(att[k] for k in COMPONENTS)
    book = sim.tables["book"].filter(pl.col("venue") == "hyperliquid")
    grid = sample_grid(book, interval_ms=500, levels=10)
    t0 = int(grid["ts"].min())  # type: ignore[arg-type]
    cf = counterfactual(sim, CFG, spread_mults=(1.0, 2.0), gammas=(None,))
    sec = backtest_section(c, counterfactual=cf, grid=grid, window_ns=(t0 + 60 * 10**9, t0 + 120 * 10**9))
    html = Report("bt").add(sec).render()
    assert html.count("plotly-graph-div") == 5  # PnL, 2 waterfalls, markouts, quotes over the book
    assert "our bid" in html and "fill, adverse" in html and "Counterfactual" in html
    assert len(counterfactual_rows(cf)) == 2


# ---------------------------------------------------------------- the real Binance capture


@pytest.fixture(scope="module")
def binance():
    if not BINANCE.is_dir():
        pytest.skip(f"real data not available: {BINANCE.resolve()} is absent")
    from crossbook.data import read

    tabs = [read(BINANCE / "usdm" / "btcusdt_20240808.gz"), read(BINANCE / "spot" / "btcusdt_20240808.gz")]
    tabs.append(read(BINANCE / "cm" / "btcusd_perp_20240808.gz"))
    return {
        k: pl.concat([t[k] for t in tabs], how="vertical_relaxed").sort("ts_local", maintain_order=True)
        for k in ("bbo", "trade", "book")
    }


def _real_cfg(quoted: str, order_size: float) -> BacktestConfig:
    return BacktestConfig(
        leader="binance-futures:BTCUSDT",
        quoted=quoted,
        quote=quote_config(order_size=order_size),
        vol_window=30,
        leadlag_estimator={"grid": "fine"},
    )


# Measured on the shared 2024-08-08 capture (5.7 min; USDT-M leads by ≈30 ms on the local clock, R² ≈ 0.5):
#   spot BTCUSDT quoted:  with lead-lag PnL -5.445, 52 fills, adverse rate 0.827 / without -5.874, 53, 0.849
#   COIN-M BTCUSD_PERP:   with lead-lag PnL -335.45, 20 fills, adverse rate 0.950 / without -283.05, 21, 0.952
# (COIN-M PnL is in contracts × USD: inverse contracts are accounted as linear.) The 30 ms lead is shorter
# than our 10 ms + 10 ms order round trip plus the cycle; lead-lag helps a little on spot and hurts on
# COIN-M, on 20-50 fills: no significant effect either way on this capture.
def test_real_binance_capture_spot_and_coinm(binance) -> None:
    spot = compare_leadlag(binance, _real_cfg("binance:BTCUSDT", 0.01))
    w, wo = spot["with_leadlag"], spot["without_leadlag"]
    assert 40 <= w["fills"] <= 70 and 40 <= wo["fills"] <= 70
    # the sign found: lead-lag helps a little on spot (PnL and adverse-selection rate), within 20 % of PnL
    assert wo["pnl"] < w["pnl"] < 0 and w["pnl"] - wo["pnl"] < 0.2 * abs(wo["pnl"])
    assert w["adverse_selection_rate"] < wo["adverse_selection_rate"]
    res = spot["results"]["with_leadlag"]
    assert res.backtest["leadlag"]["lag_ms"] == pytest.approx(30, abs=5)
    # the capture's exchange clock runs ≈1.27 s ahead of the recorder's: the venue times were shifted
    shift = res.backtest["data"]["clock_shift_ns"]
    assert 1.2e9 < shift["trade"] < 1.35e9 and 1.2e9 < shift["book"] < 1.35e9 and shift["bbo"] == 0
    assert res.fills["mid_price"].null_count() == 0
    cents = res.fills["price"].to_numpy() * 100  # spot tick 0.01
    assert np.abs(cents - np.round(cents)).max() < 1e-6
    # COIN-M quoted: lead-lag hurts
    cm = compare_leadlag(binance, _real_cfg("binance-delivery:BTCUSD_PERP", 10.0))
    w, wo = cm["with_leadlag"], cm["without_leadlag"]
    assert 10 <= w["fills"] <= 35 and 10 <= wo["fills"] <= 35
    assert w["pnl"] < wo["pnl"] < 0
    assert w["markouts_bps"]["1s"] < wo["markouts_bps"]["1s"]

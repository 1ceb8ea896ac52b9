"""crossbook.quote: GLFT closed forms, regime blend, calibration, the quote cycle, config, real capture."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from pydantic import ValidationError

import crossbook
from crossbook import _core, quote, signals

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "real" / "binance-spot-usdm-coinm-20240808"
SCALE = 10**8
S = 1_000_000_000

# a BTC-like book: tick 0.1, one-tick spread, σ = 1 bp/√s, κ = 1/bp, A = 1/s, 10 % informed flow
BASE = {
    "t_ns": 0,
    "mid": 60_000.05,
    "microprice": 60_000.06,
    "ll_microprice": 60_000.08,
    "ll_skew_bps": 1.0,
    "best_bid": 60_000.0,
    "best_ask": 60_000.1,
    "tick": 0.1,
    "inventory": 0.05,
    "regime_probs": (1.0, 0.0, 0.0, 0.0),
    "sigma2_per_s": 1e-8,
    "kappa": 1.0,
    "a": 1.0,
    "informed_fraction": 0.1,
    "kappa_cv": 0.0,
}


def engine(**overrides) -> quote.QuoteEngine:
    """Defaults without the warm-up multiplier, with overrides."""
    return quote.QuoteEngine(quote.QuoteConfig(**{"warmup_s": 0.0, **overrides}))


def frame(rows: list[dict]) -> pl.DataFrame:
    out = []
    for r in rows:
        r = dict(r)
        for name, p in zip(quote.REGIMES, r.pop("regime_probs", quote.FIXED_REGIME), strict=True):
            r[f"p_{name}"] = p
        out.append(r)
    return pl.DataFrame(out)


# ---------------------------------------------------------------- GLFT


def test_glft_coefficients_by_hand():
    c = quote.glft_coefficients(0.3, 1.0, 1.0, 2.0)
    assert c.c1 == pytest.approx(math.log(1.3) / 0.3, rel=1e-14)
    c2 = math.sqrt(0.3 / 2.0 * 1.3 ** (1.0 / 0.3 + 1.0))
    assert c.c2 == pytest.approx(c2, rel=1e-13)
    assert c.half_spread == pytest.approx(math.log(1.3) / 0.3 + 0.5 * 2.0 * c2, rel=1e-13)
    assert c.skew_per_lot == pytest.approx(2.0 * c2, rel=1e-13)
    with pytest.raises(crossbook.InvalidInputError, match="gamma must be a finite number > 0"):
        quote.glft_coefficients(0.0, 1.0, 1.0, 1.0)


# ---------------------------------------------------------------- the cycle


def test_cycle_by_hand():
    e = quote.QuoteEngine(quote.QuoteConfig(warmup_s=0.0, components=quote.Components(spread_floor=False)))
    r = e.cycle(**BASE)
    assert r["skip_reason"] == "" and r["regime_name"] == "quiet"
    kappa = 0.9  # 1 × (1 − 10 % × 0.01/pct)
    c1 = math.log1p(0.3 / kappa) / 0.3
    c2 = math.sqrt(0.3 / (2 * kappa) * (1 + 0.3 / kappa) ** (kappa / 0.3 + 1))
    assert r["kappa"] == pytest.approx(kappa, rel=1e-15)
    assert r["c1_bps"] == pytest.approx(c1, rel=1e-13)
    half = c1 + 0.5 * c2 + 2.0  # + σc2/2 + maker fee
    assert r["half_spread_bps"] == pytest.approx(half, rel=1e-13)
    assert r["inventory_skew_bps"] == pytest.approx(0.5 * c2, rel=1e-13)  # half a lot long
    bid = 60_000.08 * (1 - (half + 0.5 * c2 - 1.0) / 1e4)
    ask = 60_000.08 * (1 + (half - 0.5 * c2 + 1.0) / 1e4)
    assert r["bid_px"] == pytest.approx(math.floor(bid / 0.1) * 0.1, abs=1e-9) == pytest.approx(59_983.9)
    assert r["ask_px"] == pytest.approx(math.ceil(ask / 0.1) * 0.1, abs=1e-9) == pytest.approx(60_023.9)
    assert (r["bid_size"], r["ask_size"]) == (pytest.approx(0.095), 0.1)
    assert r["spread_bps"] == pytest.approx(2 * half)
    assert r["gamma"] == 0.3 and r["p_quiet"] == 1.0


def test_regime_blend_by_hand():
    r = engine().cycle(**{**BASE, "regime_probs": (2.0, 1.0, 0.0, 1.0)})  # → 0.5 / 0.25 / 0 / 0.25
    assert (r["p_quiet"], r["p_trending"], r["p_volatile"], r["p_cascade"]) == (0.5, 0.25, 0.0, 0.25)
    assert r["gamma"] == pytest.approx(0.5 * 0.3 + 0.25 * 0.5 + 0.25 * 2.0)
    assert r["kappa_multiplier"] == pytest.approx(0.5 * 1.0 + 0.25 * 0.7 + 0.25 * 5.0)
    assert r["spread_floor_bps"] == pytest.approx(0.5 * 5 + 0.25 * 10 + 0.25 * 50)
    assert r["max_inventory"] == pytest.approx(0.5 * 1.0 + 0.25 * 0.5 + 0.25 * 0.1)
    hard = engine(components=quote.Components(regime_blend=False)).cycle(**{**BASE, "regime_probs": (0.2, 0.5, 0.3, 0)})
    assert (hard["gamma"], hard["regime_name"]) == (0.5, "trending")


def test_floor_and_uncertainty_multiplier():
    e = quote.QuoteEngine()  # warm-up 60 s from the first cycle, multiplier 2 → 1
    r = e.cycle(**BASE)
    assert r["uncertainty_mult"] == 2.0 and r["half_spread_bps"] == pytest.approx(10.0)  # max(3.3, 5) × 2
    r = e.cycle(**{**BASE, "t_ns": 45 * S})
    assert r["uncertainty_mult"] == pytest.approx(1.25)
    r = e.cycle(**{**BASE, "t_ns": 61 * S, "kappa_cv": 0.5})
    assert r["uncertainty_mult"] == pytest.approx(1.25)  # 1 + 0.5 × 0.5
    r = e.cycle(**{**BASE, "t_ns": 62 * S, "regime_probs": (0.25,) * 4})
    assert r["uncertainty_mult"] == pytest.approx(1.5)  # maximal regime entropy
    assert r["half_spread_bps"] == pytest.approx(1.5 * max(r["glft_half_spread_bps"], 20.0))


def test_inventory_limits_zero_the_right_side():
    e = engine(lot_size=0.001)
    sizes = {
        q: (r["bid_size"], r["ask_size"])
        for q in (-1.0, -0.5, 0.0, 0.5, 1.0, 2.0)
        for r in [e.cycle(**{**BASE, "inventory": q})]
    }
    assert sizes[1.0] == (0.0, 0.1) and sizes[2.0] == (0.0, 0.1)
    assert sizes[-1.0] == (0.1, 0.0)
    assert sizes[0.0] == (0.1, 0.1)
    assert sizes[0.5] == (pytest.approx(0.05), 0.1) and sizes[-0.5] == (0.1, pytest.approx(0.05))


def test_cascade_gives_defensive_quotes():
    e = engine()
    normal = e.cycle(**{**BASE, "inventory": 0.3})
    r = e.cycle(**{**BASE, "inventory": 0.3, "cascade": True})
    assert r["defensive"] == 1 and r["half_spread_bps"] == pytest.approx(75.0)  # max(5, 50) × 1.5
    assert r["bid_px"] < normal["bid_px"] and r["ask_px"] > normal["ask_px"]
    assert (r["bid_size"], r["ask_size"]) == (0.0, pytest.approx(0.05))  # long: reduce only, half size
    off = engine(components=quote.Components(defensive=False)).cycle(**{**BASE, "inventory": 0.3, "cascade": True})
    assert off["defensive"] == 0 and off["bid_px"] == normal["bid_px"]


def test_never_crosses_on_a_tight_book():
    rng = np.random.default_rng(5)
    n = 3000
    bid_t = np.round(rng.uniform(1e4, 1e6, n))
    spread = rng.integers(1, 3, n)
    rows = frame(
        [
            {
                **BASE,
                "t_ns": k,
                "best_bid": bid_t[k] * 0.1,
                "best_ask": (bid_t[k] + spread[k]) * 0.1,
                "ll_microprice": bid_t[k] * 0.1 * (1 + rng.uniform(-3e-3, 3e-3)),
                "ll_skew_bps": rng.uniform(-30, 30),
                "inventory": rng.uniform(-3, 3),
            }
            for k in range(n)
        ]
    ).drop("mid", "microprice")
    out = engine(maker_fee_bps=-2.0).run(rows)
    assert (out["skip_reason"] == "").all()
    assert (out["bid_px"] < out["best_ask"]).all() and (out["ask_px"] > out["best_bid"]).all()
    assert (out["bid_px"] < out["ask_px"]).all()
    ticks = out["bid_px"].to_numpy() / 0.1
    assert np.allclose(ticks, np.round(ticks), atol=1e-6)
    assert out["clamped"].to_numpy().astype(bool).any()  # the clamp did work here


def test_bad_inputs_skip_with_a_reason():
    e = engine()
    r = e.cycle(**{**BASE, "ll_microprice": float("nan")})
    assert (r["skip_reason"], r["skip_input"]) == ("non_finite", "ll_microprice")
    assert math.isnan(r["bid_px"]) and r["bid_size"] == 0.0 == r["ask_size"]
    r = e.cycle(**{**BASE, "best_bid": 60_000.1})
    assert r["skip_reason"] == "crossed_book"
    r = e.cycle(**{**BASE, "kappa": float("inf")})
    assert (r["skip_reason"], r["skip_input"]) == ("non_finite", "kappa")
    r = e.cycle(**{**BASE, "regime_probs": (0, 0, 0, 0)})
    assert (r["skip_reason"], r["skip_input"]) == ("out_of_range", "regime_probs")
    assert e.cycle(**{**BASE, "t_ns": 5})["skip_reason"] == ""
    assert e.cycle(**BASE)["skip_reason"] == "time_backwards"
    assert e.counts == {
        "quoted": 1,
        "non_finite": 2,
        "out_of_range": 1,
        "crossed_book": 1,
        "off_tick": 0,
        "time_backwards": 1,
        "bad_output": 0,
    }
    assert e.cycles == 6
    # a disabled component's input is not used: NaN there quotes
    off = engine(components=quote.Components(leadlag_center=False)).cycle(**{**BASE, "ll_microprice": float("nan")})
    assert off["skip_reason"] == "" and off["centre_px"] == 60_000.06


def test_switches_move_only_their_part():
    base = engine().cycle(**BASE)
    r = engine(components=quote.Components(leadlag_skew=False)).cycle(**BASE)
    assert r["directional_skew_bps"] == 0.0 and base["directional_skew_bps"] == 1.0
    assert r["half_spread_bps"] == base["half_spread_bps"] and r["kappa"] == base["kappa"]
    assert r["bid_depth_bps"] == pytest.approx(base["bid_depth_bps"] + 1.0)
    r = engine(components=quote.Components(inventory_skew=False)).cycle(**BASE)
    assert r["inventory_skew_bps"] == 0.0 and r["half_spread_bps"] == base["half_spread_bps"]
    r = engine(components=quote.Components(leadlag_center=False, microprice=False)).cycle(**BASE)
    assert r["centre_px"] == 60_000.05
    r = engine(components=quote.Components(adverse_selection=False)).cycle(**BASE)
    assert r["kappa"] == 1.0 and r["gamma"] == base["gamma"]
    r = engine(components=quote.Components(maker_fee=False)).cycle(**BASE)
    assert r["glft_half_spread_bps"] == pytest.approx(base["glft_half_spread_bps"] - 2.0)


def test_run_matches_cycles_and_is_deterministic():
    rng = np.random.default_rng(1)
    rows = [
        {
            **BASE,
            "t_ns": k * 100_000_000,
            "inventory": float(rng.uniform(-1.2, 1.2)),
            "ll_skew_bps": float(rng.uniform(-6, 6)),
            "regime_probs": tuple(rng.dirichlet(np.ones(4))),
            "cascade": bool(rng.random() < 0.1),
            "kappa": float("nan") if k % 37 == 0 else float(rng.uniform(0.2, 4)),
        }
        for k in range(300)
    ]
    cfg = quote.QuoteConfig(lot_size=0.001)
    out1 = quote.QuoteEngine(cfg).run(frame(rows))
    out2 = quote.QuoteEngine(cfg).run(frame(rows))
    for col in out1.columns:
        a, b = out1[col].to_numpy(), out2[col].to_numpy()
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), col
    e = quote.QuoteEngine(cfg)
    single = [e.cycle(**r) for r in rows]
    for col in ("bid_px", "ask_px", "bid_size", "ask_size", "kappa", "gamma", "spread_bps", "reservation_px"):
        assert np.array_equal(out1[col].to_numpy(), np.array([s[col] for s in single]), equal_nan=True), col
    assert out1["skip_reason"].to_list() == [s["skip_reason"] for s in single]
    assert (out1["skip_input"] == "kappa").sum() == 9  # k = 0, 37, …, 296
    # defensive where the cascade flag is set and the cycle quoted (a skipped cycle quotes nothing)
    assert out1["defensive"].to_list() == [
        int(r["cascade"] and s["skip_reason"] == "") for r, s in zip(rows, single, strict=True)
    ]
    assert out1["defensive"].sum() > 0


# ---------------------------------------------------------------- config


def test_config_from_toml(tmp_path):
    p = tmp_path / "run.toml"
    p.write_text(
        "[quote]\norder_size = 0.5\nmaker_fee_bps = -0.5\n"
        "[quote.components]\nleadlag_skew = false\n"
        "[quote.regimes.quiet]\ngamma = 0.9\nkappa_multiplier = 2.0\nspread_floor_bps = 1.0\nmax_inventory = 4.0\n"
    )
    cfg = quote.QuoteConfig.from_toml(p)
    assert cfg.order_size == 0.5 and not cfg.components.leadlag_skew and cfg.components.defensive
    assert cfg.regimes.quiet.gamma == 0.9 and cfg.regimes.cascade.gamma == 2.0
    e = quote.QuoteEngine(cfg)
    assert e.core_config["regimes"]["quiet"]["max_inventory"] == 4.0
    r = e.cycle(**BASE)
    assert (r["gamma"], r["max_inventory"], r["directional_skew_bps"]) == (0.9, 4.0, 0.0)
    p.write_text("[quote]\norder_sise = 1\n")
    with pytest.raises(ValidationError, match="order_sise"):
        quote.QuoteConfig.from_toml(p)
    with pytest.raises(crossbook.InvalidInputError, match=r"no \[quote2\] table"):
        quote.QuoteConfig.from_toml(p, table="quote2")
    with pytest.raises(ValidationError, match="greater than 0"):
        quote.QuoteConfig(order_size=0)


def test_python_and_rust_defaults_agree():
    rust = json.loads(_core.QuoteEngine("{}").config_json)
    assert rust == json.loads(quote.QuoteConfig().model_dump_json())


# ---------------------------------------------------------------- calibration


def test_fit_recovers_a_and_k_from_poisson_arrivals():
    rng = np.random.default_rng(2024)
    a, k, horizon = 3.0, 0.35, 2000.0
    n = rng.poisson(a * horizon)
    depths = rng.exponential(1 / k, n)
    fit = quote.fit_intensity(depths, horizon, max_ticks=10.0, min_count=50)
    assert fit.a == pytest.approx(a, rel=0.08)
    assert fit.k == pytest.approx(k, rel=0.05)
    assert fit.grid.height == 21 and fit.n_points == int(fit.grid["used"].sum())
    assert fit.grid["rate"][0] == pytest.approx(n / horizon)


def bbo_frame(t, bid, ask) -> pl.DataFrame:
    n = len(t)
    return pl.DataFrame(
        {
            "ts_local": np.asarray(t, dtype=np.int64),
            "bid_px": np.round(np.asarray(bid) * SCALE).astype(np.int64),
            "bid_qty": np.full(n, SCALE, dtype=np.int64),
            "ask_px": np.round(np.asarray(ask) * SCALE).astype(np.int64),
            "ask_qty": np.full(n, SCALE, dtype=np.int64),
        }
    )


def trade_frame(t, px, side) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ts_local": np.asarray(t, dtype=np.int64),
            "px": np.round(np.asarray(px) * SCALE).astype(np.int64),
            "qty": np.full(len(t), SCALE, dtype=np.int64),
            "aggressor": np.asarray(side, dtype=np.int8),
        }
    )


def test_arrival_depths_and_calibration_on_a_built_market():
    # mid 100.05 (tick 0.1) from t = 0; buys and sells at known depths every 10 ms, for 10 s
    bbo = bbo_frame([0], [100.0], [100.1])
    t = np.arange(1, 1001) * 10_000_000
    depth = np.array([0.5, 1.5, 2.5, 0.5, 3.5, 0.5, 1.5, 0.5, 0.5, 4.5] * 100)
    side = np.tile([1, -1], 500)
    px = 100.05 + side * depth * 0.1
    ad = quote.arrival_depths(trade_frame(t, px, side), bbo, 0.1)
    assert ad.depths.height == 1000 and (ad.n_before_mid, ad.n_negative) == (0, 0)
    assert np.allclose(ad.depths["depth_ticks"].to_numpy(), depth)
    assert ad.depths["side"].to_list() == side.tolist()
    assert ad.duration_s == pytest.approx(10.0)
    fit = quote.calibrate_intensity(trade_frame(t, px, side), bbo, 0.1, step_ms=0.0, min_count=1, max_ticks=4.0)
    # exposure 2 sides × 10 s; arrivals beyond δ = 0: 1000, beyond 0.5: 500, beyond 1.5: 300, 2.5: 200, 3.5: 100
    assert fit.grid["counts"].to_list()[:9] == [1000, 500, 500, 300, 300, 200, 200, 100, 100]
    assert fit.grid["rate"][0] == pytest.approx(50.0)


@pytest.fixture(scope="module")
def usdm_btc():
    path = REAL / "usdm" / "btcusdt_20240808.gz"
    if not path.exists():
        pytest.skip(f"real capture not found at {path}")
    bbo, trades = [], []
    with gzip.open(path, "rt") as f:
        for line in f:
            ts, _, payload = line.partition(" ")
            msg = json.loads(payload)
            d = msg.get("data", {})
            if d.get("e") == "bookTicker":
                bbo.append((int(ts), float(d["b"]), float(d["B"]), float(d["a"]), float(d["A"])))
            elif d.get("e") == "trade":
                trades.append((int(ts), float(d["p"]), float(d["q"]), -1 if d["m"] else 1))
    bbo_df = pl.DataFrame(bbo, schema=["ts_local", "bid_px", "bid_qty", "ask_px", "ask_qty"], orient="row")
    trade_df = pl.DataFrame(trades, schema=["ts_local", "px", "qty", "aggressor"], orient="row")
    return bbo_df, trade_df


def test_real_capture_calibration_and_quotes(usdm_btc):
    bbo, trades = usdm_btc
    assert (bbo.height, trades.height) == (66089, 21313)  # SOURCES.md line counts
    per_trade = quote.arrival_depths(trades, bbo, 0.1)
    # every trade is either measured, before the first quote, or on the wrong side of the stale mid
    assert per_trade.depths.height + per_trade.n_before_mid + per_trade.n_negative == 21313
    d = per_trade.depths["depth_ticks"].to_numpy()
    assert (d >= 0).all() and np.median(d) == pytest.approx(0.5)  # most trades hit the touch of a one-tick book
    ad = quote.arrival_depths(trades, bbo, 0.1, step_ms=100.0)
    steps = round(ad.duration_s / 0.1)
    assert ad.duration_s == pytest.approx(343.3) and ad.depths.height <= 2 * steps
    fit = quote.calibrate_intensity(trades, bbo, 0.1, step_ms=100.0)
    assert fit.k > 0 and 0 < fit.a < 10 and fit.n_points >= 2
    # λ̂(0): arrivals strictly beyond the mid, per side and second
    beyond = int((ad.depths["depth_ticks"] > 0).sum())
    assert fit.grid["rate"][0] == pytest.approx(beyond / (2 * ad.duration_s))
    kappa = float(fit.kappa_per_bp(61_700.0, 0.1))
    inputs = quote.market_inputs(bbo, tick=0.1, kappa=kappa, a=fit.a, vol_step_ms=1000.0, vol_window=60)
    e = quote.QuoteEngine()
    out = e.run(inputs)
    assert out.height == 66089 and sum(e.counts.values()) == 66089
    skipped = out.filter(pl.col("skip") != 0)
    quoted = out.filter(pl.col("skip") == 0)
    # the only skips: σ not warm yet during the first 60 one-second returns
    assert set(skipped["skip_input"].to_list()) == {"sigma2_per_s"}
    assert skipped["t_ns"].max() < quoted["t_ns"].min()
    assert quoted["t_ns"].min() >= bbo["ts_local"].min() + 60 * S
    assert (quoted["bid_px"] < quoted["best_ask"]).all() and (quoted["ask_px"] > quoted["best_bid"]).all()
    assert (quoted["half_spread_bps"] >= 5.0 - 1e-12).all()  # the quiet floor
    assert quoted["bid_px"].is_not_nan().all() and quoted["ask_px"].is_not_nan().all()
    # with Stoikov's micro-price as the centre: states the fit never saw (2-tick spreads here) give NaN
    # micro-prices, and those cycles skip on the centre input instead of quoting around NaN
    micro = signals.MicropriceModel.fit(bbo, tick=0.1, step_ms=100.0)
    inputs = quote.market_inputs(bbo, tick=0.1, kappa=kappa, a=fit.a, micro=micro, vol_window=60)
    out = quote.QuoteEngine().run(inputs)
    warm = out.filter(pl.col("sigma2_per_s").is_not_nan())
    no_centre = int(warm["microprice"].is_nan().sum())
    assert no_centre > 0
    assert int((warm["skip_input"] == "ll_microprice").sum()) == no_centre
    quoted = out.filter(pl.col("skip") == 0)
    assert (quoted["centre_px"] >= quoted["best_bid"]).all() and (quoted["centre_px"] <= quoted["best_ask"]).all()

"""crossbook.sim: determinism, data model, clocks, and the ground truth measured back from the output.

The lag tests measure the follower's lag from the emitted bbo rows only (no access to the simulator's
internals): leader mid moves are cut by regime (from ``SimResult.regimes``) and direction; the
follower log mid at its bbo rows is fitted as ``a + β · Σ_cells S_cell(t − lag_cell)`` (S = cumulative
leader log moves of the cell) by least squares over a 1 ms lag grid, cell by cell until nothing
changes. On true times (ts_exchange minus the venue's clock offset) the fit must find the configured
lags; on ts_exchange and ts_local it must find them shifted by truth's clock terms.
"""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

import crossbook
from crossbook import _core
from crossbook.data.readers import Tables
from crossbook.data.schema import SCHEMAS, TABLES
from crossbook.sim import LABELS, REGIMES, SimConfig, SimResult, simulate

MS = 1_000_000
LEADER, FOLLOWER = "binance-futures", "hyperliquid"
# a transition matrix that visits every regime often (dwell ≈ 11 s at a 1 s step)
BALANCED = [
    [0.91, 0.03, 0.03, 0.03],
    [0.03, 0.91, 0.03, 0.03],
    [0.03, 0.03, 0.91, 0.03],
    [0.03, 0.03, 0.03, 0.91],
]


# --- measuring the lag from the output -------------------------------------------------------------


def mid_series(res: SimResult, venue: str, clock: str) -> tuple[np.ndarray, np.ndarray]:
    """(time ns, log mid) at the venue's bbo rows where the mid changed; clock "true" = exchange time
    minus the venue's clock offset (exact: true times are whole ms, exchange clocks print floor(ms))."""
    b = res.tables["bbo"].filter(pl.col("venue") == venue)
    if clock == "true":
        off = res.truth["leader_clock_offset_ms" if venue == LEADER else "follower_clock_offset_ms"]
        t = b["ts_exchange"].to_numpy() - int(np.floor(off)) * MS
    else:
        t = b[clock].to_numpy()
    lm = np.log((b["bid_px"].to_numpy() + b["ask_px"].to_numpy()) / 2.0)
    keep = np.r_[True, np.diff(lm) != 0]
    return t[keep], lm[keep]


def regime_at(res: SimResult, t_true: np.ndarray) -> np.ndarray:
    r = res.regimes
    i = np.searchsorted(r["start_ns"].to_numpy(), t_true, side="right") - 1
    return np.asarray(r["regime"].to_list())[i]


def _center_of_min(grid: np.ndarray, sse: np.ndarray) -> float:
    i = int(np.argmin(sse))
    m = sse[i] * (1 + 1e-9)
    lo, hi = i, i
    while lo > 0 and sse[lo - 1] <= m:
        lo -= 1
    while hi < len(sse) - 1 and sse[hi + 1] <= m:
        hi += 1
    return float(grid[lo] + grid[hi]) / 2


def fit_lags(
    res: SimResult,
    clock: str,
    by_cell: bool,
    windows: dict[tuple[str, str], tuple[float, float]] | None = None,
) -> tuple[dict[tuple[str, str], float], float]:
    """Least-squares lags (ms) per (regime, direction) cell, or one ("all", "all") lag, and β."""
    lt, llm = mid_series(res, LEADER, clock)
    lt_true, _ = mid_series(res, LEADER, "true")
    b, y = mid_series(res, FOLLOWER, clock)
    dl, tm = np.diff(llm), lt[1:]
    if by_cell:
        names = [(r, d) for r in REGIMES for d in ("up", "down")]
        reg = regime_at(res, lt_true[1:])
        cid = np.array([names.index((r, "up" if x > 0 else "down")) for r, x in zip(reg, dl, strict=True)])
    else:
        names, cid = [("all", "all")], np.zeros(len(dl), dtype=int)
    cells = [(tm[cid == c], np.r_[0.0, np.cumsum(dl[cid == c])]) for c in range(len(names))]

    def s_at(c: int, lag_ms: float) -> np.ndarray:
        t_c, cum = cells[c]
        return cum[np.searchsorted(t_c, b - round(lag_ms * MS), side="right")]

    def ols(x: np.ndarray) -> tuple[float, float, float]:
        a = np.c_[np.ones_like(x), x]
        coef, *_ = np.linalg.lstsq(a, y, rcond=None)
        return float(coef[0]), float(coef[1]), float(((y - a @ coef) ** 2).sum())

    full = np.arange(0.0, 901.0)
    # one common lag first (all moves), then cell by cell until nothing changes
    all_t, all_cum = tm, np.r_[0.0, np.cumsum(dl)]
    m_all = all_cum[np.searchsorted(all_t, b[None, :] - np.round(full * MS).astype(np.int64)[:, None], side="right")]
    xc, yc = m_all - m_all.mean(axis=1, keepdims=True), y - y.mean()
    sxx = (xc**2).sum(axis=1)
    sse0 = (yc**2).sum() - np.where(sxx > 0, (xc @ yc) ** 2 / np.where(sxx > 0, sxx, 1.0), 0.0)
    common = _center_of_min(full, sse0)
    lags = {c: common for c in range(len(names))}
    if windows:
        lags = {c: sum(windows[names[c]]) / 2 for c in range(len(names))}
    for _ in range(12):
        before = dict(lags)
        x = sum(s_at(c, lags[c]) for c in lags)
        a0, beta, _ = ols(x)
        for c in lags:
            grid = full if not windows else np.arange(*windows[names[c]])
            rest = y - a0 - beta * (x - s_at(c, lags[c]))
            t_c, cum = cells[c]
            m = cum[np.searchsorted(t_c, b[None, :] - np.round(grid * MS).astype(np.int64)[:, None], side="right")]
            old = s_at(c, lags[c])
            lags[c] = _center_of_min(grid, ((rest[None, :] - beta * m) ** 2).sum(axis=1))
            x = x - old + s_at(c, lags[c])
        if lags == before:
            break
    _, beta, _ = ols(sum(s_at(c, lags[c]) for c in lags))
    return {names[c]: lags[c] for c in lags}, beta


# --- determinism and the data model ----------------------------------------------------------------


def test_same_seed_same_frames_other_seed_other_frames() -> None:
    a, b, c = simulate(minutes=1, seed=5), simulate(minutes=1, seed=5), simulate(minutes=1, seed=6)
    for t in TABLES:
        assert a.tables[t].equals(b.tables[t]), t
    assert a.labels.equals(b.labels) and a.regimes.equals(b.regimes) and a.book_events.equals(b.book_events)
    assert a.truth == b.truth
    assert not a.tables["bbo"].equals(c.tables["bbo"])
    assert not a.tables["trade"].equals(c.tables["trade"])


def test_tables_have_the_readers_schema_and_two_venues() -> None:
    r = simulate(minutes=2, seed=1, regime_step_s=1.0, transition=BALANCED)
    assert isinstance(r.tables, Tables)
    for t in TABLES:
        df = r.tables[t]
        assert df.height > 0, t
        assert df.schema == pl.Schema(SCHEMAS[t]), t
        pairs = set(df.select("venue", "symbol").unique().rows())
        assert pairs <= {(LEADER, "BTCUSDT"), (FOLLOWER, "BTC")}, (t, pairs)
    assert set(r.tables["bbo"]["venue"].unique()) == {LEADER, FOLLOWER}
    # the follower book is snapshot-only without sequence ids; the leader's chains update ids
    fb = r.tables["book"].filter(pl.col("venue") == FOLLOWER)
    assert fb["is_snapshot"].all() and fb["seq_last"].null_count() == fb.height
    lb = r.tables["book"].filter(pl.col("venue") == LEADER)
    assert lb["seq_last"].null_count() == 0
    snap = lb.filter(pl.col("is_snapshot"))
    assert snap.height > 500 and snap["seq_prev"].null_count() == snap.height
    # absent values are nulls, not sentinels
    k = r.tables["ticker"]
    assert (
        k.filter(pl.col("venue") == FOLLOWER)["index_px"].null_count() == k.filter(pl.col("venue") == FOLLOWER).height
    )
    assert k["predicted_funding_rate"].null_count() == k.height
    assert k.filter(pl.col("venue") == LEADER)["next_funding_ts"].null_count() == 0


def test_ts_local_monotonic_per_venue_exchange_ms_bursts_and_idle_gaps() -> None:
    r = simulate(minutes=3, seed=2)
    for t in TABLES:
        for v in (LEADER, FOLLOWER):
            ts = r.tables[t].filter(pl.col("venue") == v)["ts_local"].to_numpy()
            assert (np.diff(ts) >= 0).all(), (t, v)
    assert (r.tables["bbo"]["ts_exchange"].to_numpy() % MS == 0).all()
    # bursts: several messages of one venue share one timestamp (exchange ms and packet receive time)
    lead = pl.concat(
        [
            r.tables[t].filter(pl.col("venue") == LEADER).select("ts_exchange", "ts_local")
            for t in ("bbo", "book", "trade")
        ]
    )
    per_local = lead.group_by("ts_local").len()
    assert per_local.filter(pl.col("len") >= 3).height > 100
    # idle gaps: 50–100 ms without any leader market message (true time = exchange time here)
    ex = np.unique(lead["ts_exchange"].to_numpy())
    gaps = np.diff(ex) / MS
    assert ((gaps >= 50) & (gaps <= 101)).sum() >= 10
    # the follower's activeAssetCtx has no exchange time: ts_exchange = ts_local
    fk = r.tables["ticker"].filter(pl.col("venue") == FOLLOWER)
    assert fk.height >= 170 and (fk["ts_exchange"] == fk["ts_local"]).all()


def test_leader_diff_stream_chains_and_follower_snapshots_match_its_bbo() -> None:
    r = simulate(minutes=2, seed=8)
    lb = r.tables["book"].filter((pl.col("venue") == LEADER) & ~pl.col("is_snapshot"))
    msgs = lb.group_by("seq_last", maintain_order=True).agg(pl.col("seq_first").first(), pl.col("seq_prev").first())
    snap_id = r.tables["book"].filter(pl.col("is_snapshot") & (pl.col("venue") == LEADER))["seq_last"][0]
    first, last, prev = (msgs[c].to_numpy() for c in ("seq_first", "seq_last", "seq_prev"))
    assert first[0] <= snap_id <= last[0]
    assert (prev[1:] == last[:-1]).all() and (first[1:] > last[:-1]).all() and (first <= last).all()
    fb = r.tables["book"].filter(pl.col("venue") == FOLLOWER)
    tops = fb.group_by("ts_exchange", maintain_order=True).agg(
        pl.col("px").filter(pl.col("side") == 1).max().alias("bid"),
        pl.col("px").filter(pl.col("side") == -1).min().alias("ask"),
        pl.len().alias("rows"),
    )
    assert (tops["rows"] == 40).all()
    fq = r.tables["bbo"].filter(pl.col("venue") == FOLLOWER).select("ts_exchange", "bid_px", "ask_px")
    j = tops.join_asof(fq, on="ts_exchange")
    assert (j["bid"] == j["bid_px"]).all() and (j["ask"] == j["ask_px"]).all()


def test_book_engine_rebuilds_the_leader_book() -> None:
    """Runs once crossbook.book (written in parallel) is merged: top of book after every applied
    update equals the leader bbo at the same update id, with zero gaps."""
    from crossbook import book

    r = simulate(minutes=2, seed=4)
    tob = book.top_of_book(r.tables["book"].filter(pl.col("venue") == LEADER), on_gap="raise")
    bbo = (
        r.tables["bbo"]
        .filter(pl.col("venue") == LEADER)
        .select(
            pl.col("seq"),
            pl.col("bid_px").alias("want_bid"),
            pl.col("ask_px").alias("want_ask"),
            pl.col("bid_qty").alias("want_bq"),
            pl.col("ask_qty").alias("want_aq"),
        )
    )
    j = tob.sort("seq").join_asof(bbo.sort("seq"), on="seq")
    assert j.height > 1000
    agree = (
        (j["bid_px"] == j["want_bid"])
        & (j["ask_px"] == j["want_ask"])
        & (j["bid_qty"] == j["want_bq"])
        & (j["ask_qty"] == j["want_aq"])
    )
    assert agree.all()


# --- ground truth measured back from the output ------------------------------------------------------


@pytest.mark.parametrize(
    ("lag_ms", "beta", "seed"),
    [(50, 1.0, 1), (150, 0.7, 2), (500, 1.3, 3), (150, 1.0, 4)],
)
def test_uniform_lag_and_beta_are_recovered_on_every_clock(lag_ms: float, beta: float, seed: int) -> None:
    r = simulate(minutes=3, seed=seed, lag_ms=lag_ms, beta=beta)
    t = r.truth
    block = t["follower_block_ms"]
    for clock, want, tol in [
        ("true", t["lag_ms"], 2.0),
        ("ts_exchange", t["lag_ms_exchange"], 2.0),
        # the receive clock adds gamma-distributed jitter (8 ms std): a handful of large leader moves
        # dominate the least-squares fit, so the measurement is only as good as a fraction of a block
        ("ts_local", t["lag_ms_local"], 0.25 * block),
    ]:
        lags, b = fit_lags(r, clock, by_cell=False)
        got = lags[("all", "all")]
        print(f"lag {lag_ms} beta {beta} seed {seed} {clock}: measured {got} ms, truth {want:.2f} ms, beta {b:.4f}")
        assert abs(got - want) <= tol, f"{clock}: measured {got} ms, truth {want} ms"
        assert abs(b - beta) <= 0.02 * beta, f"{clock}: beta {b} vs {beta}"
    assert t["lag_ms_exchange"] == lag_ms + t["clock_offset_ms"]
    lat = t["feed_latency_ms"]
    assert t["lag_ms_local"] == pytest.approx(lag_ms + lat["follower"]["realized"] - lat["leader"]["realized"])


LAG_CONFIG = dict(
    lag_ms=150,
    lag_ms_up=120,
    lag_ms_down=200,
    lag_by_regime={"quiet": 250, "trending": 150, "volatile": 100, "cascade": 60},
    beta=0.8,
    regime_step_s=1.0,
    transition=BALANCED,
    regimes={r: {"jump_hz": 1.5} for r in REGIMES},
)


@pytest.mark.parametrize("seed", [1, 2])
def test_lag_per_regime_and_direction_is_recovered(seed: int) -> None:
    r = simulate(minutes=4, seed=seed, **LAG_CONFIG)
    t = r.truth
    block = t["follower_block_ms"]
    table = t["lag_ms_table"]
    assert table["quiet"] == {"up": 220.0, "down": 300.0} and table["cascade"] == {"up": 30.0, "down": 110.0}
    true_lags, beta = fit_lags(r, "true", by_cell=True)
    err = {k: v - table[k[0]][k[1]] for k, v in true_lags.items()}
    print("true-time lag errors (ms):", err)
    assert max(abs(e) for e in err.values()) <= 0.2 * block, err
    assert float(np.median([abs(e) for e in err.values()])) <= 2.0, err
    assert abs(beta - 0.8) <= 0.02
    # ts_local: searched in a window after the true-time estimate (the local clock only adds delay)
    shift = t["local_minus_causal_ms"]
    windows = {k: (v - 20.0, v + 100.0) for k, v in true_lags.items()}
    local, _ = fit_lags(r, "ts_local", by_cell=True, windows=windows)
    err_local = {k: v - table[k[0]][k[1]] - shift for k, v in local.items()}
    print("ts_local lag errors (ms):", err_local)
    assert max(abs(e) for e in err_local.values()) <= 0.3 * block, err_local
    assert abs(float(np.mean(list(err_local.values())))) <= 0.1 * block, err_local


def test_regime_shares_follow_the_transition_matrix() -> None:
    cfg = SimConfig(regime_step_s=0.5)
    p = np.array(cfg.transition)
    w, v = np.linalg.eig(p.T)
    pi = np.real(v[:, np.argmax(np.real(w))])
    pi /= pi.sum()
    r = simulate(minutes=20, seed=3, regime_step_s=0.5)
    share = r.truth["regime_share"]
    for i, name in enumerate(REGIMES):
        assert abs(share[name] - pi[i]) < 0.06, (name, share[name], pi[i])
    seg = r.regimes
    assert seg["start_ns"][0] == r.truth["start_ns"] and seg["end_ns"][-1] == r.truth["end_ns"]
    assert (seg["start_ns"][1:].to_numpy() == seg["end_ns"][:-1].to_numpy()).all()
    # volatility per regime ranks as configured: cascade > volatile > trending > quiet (leader 1 s returns)
    lt, lm = mid_series(r, LEADER, "true")
    grid = np.arange(lt[0], lt[-1], 1000 * MS)
    x = lm[np.searchsorted(lt, grid, side="right") - 1]
    reg = regime_at(r, grid[1:])
    vol = {g: float(np.std(np.diff(x)[reg == g])) for g in REGIMES}
    assert vol["quiet"] < vol["trending"] < vol["volatile"] < vol["cascade"], vol


def test_trade_labels_all_present_aligned_and_meaningful() -> None:
    r = simulate(minutes=3, seed=4, regime_step_s=1.0, transition=BALANCED)
    trade, labels = r.tables["trade"], r.labels
    assert labels.height == trade.height
    assert (labels["trade_id"] == trade["trade_id"]).all() and (labels["venue"] == trade["venue"]).all()
    for v in (LEADER, FOLLOWER):
        got = set(labels.filter(pl.col("venue") == v)["label"].unique())
        assert got == set(LABELS), (v, got)
    counts = r.truth["label_counts"]
    assert sum(counts.values()) == trade.height
    assert counts["noise"] > counts["informed"] > 0
    # leader liquidation trades come with forceOrder-like rows on the same exchange ms and side
    liq = r.tables["liquidation"]
    assert liq.height > 0 and set(liq["venue"].unique()) == {LEADER}
    lt = trade.with_columns(labels["label"]).filter((pl.col("venue") == LEADER) & (pl.col("label") == "liquidation"))
    pairs = liq.join(lt, on=["ts_exchange"], how="inner")
    assert pairs.height >= liq.height and (pairs["side"] == pairs["aggressor"]).all()
    # follower arbitrage trades point the way the leader moved within the last lag
    lag = r.truth["lag_ms"]
    lt_, lm = mid_series(r, LEADER, "true")
    arb = trade.with_columns(labels["label"]).filter((pl.col("venue") == FOLLOWER) & (pl.col("label") == "arbitrage"))
    tb = arb["ts_exchange"].to_numpy() - int(np.floor(r.truth["follower_clock_offset_ms"])) * MS
    now = lm[np.searchsorted(lt_, tb, side="right") - 1]
    then = lm[np.searchsorted(lt_, tb - round(lag * MS), side="right") - 1]
    agree = np.mean(np.sign(now - then) == arb["aggressor"].to_numpy())
    assert arb.height > 20 and agree > 0.9, (arb.height, agree)


def test_walls_and_spoofs_are_recorded() -> None:
    r = simulate(minutes=6, seed=2)
    ev = r.book_events
    walls, spoofs = ev.filter(pl.col("kind") == "wall"), ev.filter(pl.col("kind") == "spoof")
    assert walls.height > 0 and spoofs.height > 0
    assert set(spoofs["end_reason"].unique()) <= {"flicker", "pulled", "end"}  # never filled
    assert set(walls["end_reason"].unique()) <= {"expired", "pulled", "filled", "end"}
    flick = spoofs.filter(pl.col("end_reason") == "flicker")
    on_ms = ((flick["end_ns"] - flick["start_ns"]) / MS).to_numpy()
    assert ((on_ms >= 150) & (on_ms <= 1500)).all()
    mean_touch = r.tables["bbo"].filter(pl.col("venue") == LEADER)["bid_qty"].mean()
    assert walls["qty"].mean() > 5 * mean_touch


# --- the API --------------------------------------------------------------------------------------


def test_truth_keys_defaults_and_repr() -> None:
    r = simulate(minutes=0.5, seed=9)
    for k in (
        "leader_venue",
        "follower_venue",
        "leader_symbol",
        "follower_symbol",
        "lag_ms",
        "lag_ms_local",
        "lag_ms_exchange",
        "beta",
        "lag_ms_by_regime",
        "lag_ms_up",
        "lag_ms_down",
        "lag_ms_table",
        "clock_offset_ms",
        "leader_clock_offset_ms",
        "follower_clock_offset_ms",
        "feed_latency_ms",
        "regime_share",
        "seed",
        "minutes",
    ):
        assert k in r.truth, k
    assert set(r.truth["lag_ms_by_regime"]) == set(REGIMES)
    assert (r.truth["leader_venue"], r.truth["follower_venue"]) == (LEADER, FOLLOWER)
    assert json.loads(_core.sim_default_config()) == json.loads(SimConfig().model_dump_json())
    text = repr(r)
    assert text.startswith("SimResult(0.5 min, seed=9: binance-futures/BTCUSDT leads hyperliquid/BTC by 150 ms")
    assert "130 ms on ts_exchange" in text


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match=r"unknown simulator parameter\(s\) lagms; valid: .*lag_ms_up"):
        simulate(minutes=1, lagms=3)
    for kwargs, needle in [
        ({"lag_ms": -1}, "lag_ms"),
        ({"beta": 0}, "beta"),
        ({"minutes": 0}, "minutes"),
        ({"lag_by_regime": {"calm": 10}}, "lag_by_regime"),
        ({"transition": [[1.0, 0, 0, 0]] * 3}, "transition"),
    ]:
        with pytest.raises(crossbook.InvalidInputError, match=needle):
            simulate(**kwargs)
    # a resolved per-regime/direction lag below zero is caught by the core
    with pytest.raises(crossbook.InvalidInputError, match="resolved lag of cascade moves"):
        simulate(minutes=1, lag_ms=100, lag_ms_down=0, lag_by_regime={"cascade": 50})

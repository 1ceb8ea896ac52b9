"""Jump pairing, chance baseline and grid cross-correlation (the asynchronous study's Tables 1–2)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import crossbook
from crossbook.leadlag_study import jump_pairing, jump_table, mid_series, xcorr_aligned, xcorr_table

MS = 1_000_000


def _path(steps: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Prices from (time ms, log return) steps starting at 100."""
    t = np.array([s[0] for s in steps], dtype=np.float64) * MS
    p = 100.0 * np.exp(np.cumsum([s[1] for s in steps]))
    return t.astype(np.int64), p


def _hand_built() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    ta, pa = _path([(0, 0), (10, 8e-4), (150, 1e-4), (300, -2e-3), (500, 6e-4), (1030, 7e-4), (2000, 1e-4)])
    tb, pb = _path([(0, 0), (90, 8e-4), (380, -2e-3), (450, -1e-4), (700, -9e-4), (1000, 5e-4), (2000, 0)])
    return ta, pa, tb, pb


def test_hand_built_table_one() -> None:
    # A jumps at 10 (+), 300 (−), 500 (+), 1030 (+); B at 90 (+), 380 (−), 700 (−), 1000 (+).
    # Pairs: 10→90 and 300→380 (A leads by 80 ms), 1000→1030 (B leads by 30 ms); A@500, B@700 noise.
    res = jump_pairing(*_hand_built(), threshold_bps=5, window_ms=100, names=("spot", "perp"))
    t = dict(zip(res.table()["metric"], res.table()["value"], strict=True))
    assert t["total_spot_jumps"] == 4 and t["total_perp_jumps"] == 4
    assert t["paired_events"] == 3 and t["noise_events"] == 2
    assert t["noise_spot_jumps"] == 1 and t["noise_perp_jumps"] == 1
    assert t["spot_leads_perp"] == 2 and t["perp_leads_spot"] == 1 and t["simultaneous"] == 0
    assert t["median_delay_spot_leads_ms"] == pytest.approx(80.0)
    assert t["median_delay_perp_leads_ms"] == pytest.approx(30.0)
    assert res.jumps_a["role"].to_list() == ["leads", "leads", "noise", "follows"]
    assert res.jumps_a["delay_ms"].to_list()[:2] == pytest.approx([80.0, 80.0])
    assert res.jumps_b["partner"].to_list() == [0, 1, -1, 3]
    assert res.jumps_a["ret_bps"].to_list() == pytest.approx([8.0, -20.0, 6.0, 7.0])
    assert "spot_leads_perp" in repr(res) and res.to_dict()["summary"]["paired"] == 3
    # a 10 ms window pairs nothing: every true delay is ≥ 30 ms
    assert jump_pairing(*_hand_built(), threshold_bps=5, window_ms=10).summary["paired"] == 0


def _copied(seed: int, copy: bool, delay_ms: int = 80, n: int = 400):
    """A leader with n jumps of ±10 bps every 0.3–3 s; B echoes each after ``delay_ms`` if ``copy``;
    B also has n independent ±20 bps noise jumps 100–150 ms after each leader jump."""
    rng = np.random.default_rng(seed)
    ta_ms = np.cumsum(rng.integers(300, 3000, n))
    ra = rng.choice([-1e-3, 1e-3], n)
    noise_ms = ta_ms + rng.integers(100, 150, n)
    b_steps = [(float(t), float(r)) for t, r in zip(noise_ms, rng.choice([-2e-3, 2e-3], n), strict=True)]
    if copy:
        b_steps += [(float(t + delay_ms), float(r)) for t, r in zip(ta_ms, ra, strict=True)]
    b_steps.sort()
    ta, pa = _path([(0, 0), *zip(ta_ms.tolist(), ra.tolist(), strict=True)])
    tb, pb = _path([(0, 0), *b_steps])
    return ta, pa, tb, pb


def test_copies_are_paired_and_chance_is_small() -> None:
    res = jump_pairing(*_copied(1, copy=True), threshold_bps=5, window_ms=100, n_shifts=20)
    s = res.summary
    assert (s["jumps_a"], s["jumps_b"]) == (400, 800)
    assert (s["a_leads_b"], s["b_leads_a"], s["noise_a"], s["noise_b"]) == (400, 0, 0, 400)
    assert s["a_leads_median_ms"] == pytest.approx(80.0) and s["a_leads_mean_ms"] == pytest.approx(80.0)
    assert res.baseline.height == 20 and res.baseline["shift_ms"].min() >= 1000.0  # ≥ 10·W
    chance = res.table().row(2, named=True)  # paired_events
    assert chance["metric"] == "paired_events"
    assert chance["chance_mean"] < 0.15 * chance["value"]  # coincidences ≪ the 400 true pairs
    assert chance["chance_sd"] > 0


def test_chance_baseline_near_zero_for_independent_series() -> None:
    res = jump_pairing(*_copied(2, copy=False), threshold_bps=5, window_ms=5)
    assert res.summary["jumps_b"] == 400 and res.summary["paired"] == 0
    assert res.baseline["paired"].mean() < 3.0  # expected ≈ 400 × 400/660 s × 10 ms × ½ ≈ 1.2


def test_grid_pairing_equals_native_when_ticks_fall_on_the_grid() -> None:
    ta, pa, tb, pb = _copied(3, copy=True)
    native = jump_pairing(ta, pa, tb, pb, threshold_bps=5, window_ms=100)
    grid = jump_pairing(ta, pa, tb, pb, threshold_bps=5, window_ms=100, grid_ms=1.0)
    assert repr(native.summary) == repr(grid.summary)  # (NaN delays: no B-leads pairs)
    assert native.jumps_a.equals(grid.jumps_a) and native.jumps_b.equals(grid.jumps_b)
    # a 15 ms grid moves each jump to its cell's right edge: the 80 ms delay becomes 75 or 90 ms
    # (echo and the B noise ≥ 100 ms after the A jump never share a cell)
    coarse = jump_pairing(ta, pa, tb, pb, threshold_bps=5, window_ms=100, grid_ms=15.0)
    assert coarse.summary["a_leads_b"] == 400
    assert set(coarse.jumps_a["delay_ms"].unique().to_list()) == {75.0, 90.0}


def test_grid_span_three_counts_a_step_once() -> None:
    # three +3 bp ticks 1 ms apart: no 1-step jump; the 3-step change reaches 5 bp once
    ta, pa = _path([(0, 0), (10, 3e-4), (11, 3e-4), (12, 3e-4), (20, 0)])
    one = jump_pairing(ta, pa, ta, pa, threshold_bps=5, window_ms=5, grid_ms=1, span=1)
    three = jump_pairing(ta, pa, ta, pa, threshold_bps=5, window_ms=5, grid_ms=1, span=3)
    assert one.summary["jumps_a"] == 0
    assert three.jumps_a["ts"].to_list() == [11 * MS]
    assert three.summary["simultaneous"] == 1  # the same series against itself


def test_xcorr_peaks_at_known_lag_on_dense_grid() -> None:
    rng = np.random.default_rng(4)
    t = np.arange(0, 20_000) * MS  # a tick every ms
    p = 100 * np.exp(np.cumsum(rng.normal(0, 1e-4, t.size)))
    tab = xcorr_table(t, p, t + 40 * MS, p, grid_ms=1, max_lag=60)
    best = tab.row(int(np.argmax(tab["corr"].to_numpy())), named=True)
    assert best["lag_ms"] == 40.0 and best["corr"] > 0.99
    assert tab.filter(tab["lag"] == 0)["corr"][0] == pytest.approx(0, abs=0.05)
    assert tab["n"][0] == tab["n"][-1]  # lags ±60 leave the same number of pairs


def test_xcorr_forward_fill_bias_with_a_sparse_follower() -> None:
    # B sees A's price 40 ms late but updates only every 50 ms (A ticks every ms). Forward-filled
    # B returns carry each A move at B's next update, 40 to 89 ms after it. With A returns of
    # variance σ² per ms, B's return is non-zero on 1 grid point in 50 with variance 50σ², so
    # corr(r_A(t), r_B(t+τ)) = (σ²/50)/σ² = 0.02 at every τ in 40..89 and ≈ 0 elsewhere: the
    # correlation mass (≈ 1 on dense data, one peak at 40) is smeared into a flat band of 50 lags,
    # and the argmax lands anywhere in it (observed 0.0095..0.029 with sampling noise ≈ 0.004).
    rng = np.random.default_rng(5)
    t = np.arange(0, 60_000) * MS
    p = 100 * np.exp(np.cumsum(rng.normal(0, 1e-4, t.size)))
    tb = np.arange(0, 60_000, 50) * MS + 7 * MS
    pb = p[np.searchsorted(t, tb - 40 * MS, side="right") - 1]
    tb, pb = tb[tb >= 40 * MS], pb[tb >= 40 * MS]
    tab = xcorr_table(t, p, tb, pb, grid_ms=1, max_lag=120)
    c = dict(zip(tab["lag"].to_list(), tab["corr"].to_list(), strict=True))
    band = np.array([c[k] for k in range(40, 90)])
    assert 40 <= tab["lag"][int(np.argmax(tab["corr"].to_numpy()))] <= 89
    assert 0.016 < band.mean() < 0.024 and band.max() < 0.04  # flat band, no sharp peak
    assert band.sum() == pytest.approx(1.0, abs=0.15)  # the dense peak's mass, spread out
    assert abs(c[30]) < 0.02 and abs(c[100]) < 0.02 and abs(c[-40]) < 0.02
    # the seed's Table 2 shape: positive lags 1..5 only
    assert xcorr_table(t, p, tb, pb, lags=[1, 2, 3, 4, 5])["lag_ms"].to_list() == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_bad_inputs_raise_clear_errors() -> None:
    ta, pa, tb, pb = _hand_built()
    with pytest.raises(crossbook.InvalidInputError, match=r"^a: empty series \(no ticks\)$"):
        jump_pairing([], [], tb, pb)
    with pytest.raises(crossbook.InvalidInputError, match="b: timestamps must be sorted; index 1"):
        jump_pairing(ta, pa, [5, 1], [1.0, 2.0])
    with pytest.raises(crossbook.InvalidInputError, match="price at index 0 must be finite and positive"):
        xcorr_table([1, 2], [0.0, 1.0], tb, pb)
    with pytest.raises(crossbook.InvalidInputError, match="3 timestamps but 2 values"):
        jump_pairing([1, 2, 3], [1.0, 2.0], tb, pb)
    with pytest.raises(crossbook.InvalidInputError, match="threshold_bps must be finite and > 0"):
        jump_pairing(ta, pa, tb, pb, threshold_bps=0)
    with pytest.raises(crossbook.InvalidInputError, match="window_ms must be"):
        jump_pairing(ta, pa, tb, pb, window_ms=-1)
    with pytest.raises(crossbook.InvalidInputError, match="grid_ms must be > 0"):
        xcorr_table(ta, pa, tb, pb, grid_ms=0)
    with pytest.raises(crossbook.InvalidInputError, match="equal lengths"):
        xcorr_aligned([1.0, 2.0], [1.0], [0])


def test_degenerate_inputs_give_zero_counts_or_nan() -> None:
    ta, pa, tb, pb = _hand_built()
    single = jump_pairing([5 * MS], [100.0], tb, pb, threshold_bps=5, window_ms=100)
    assert single.summary["jumps_a"] == 0 and single.summary["jumps_b"] == 4 and single.summary["paired"] == 0
    assert np.isnan(single.summary["a_leads_median_ms"])
    flat = jump_table(ta, np.full(ta.size, 100.0), tb, pb, threshold_bps=5, window_ms=5)
    assert flat.row(0) == ("total_a_jumps", 0.0, 0.0, 0.0)
    # too little data to shift by ≥ 10 windows: an empty baseline, NaN chance columns
    short = jump_pairing(ta, pa, tb, pb, threshold_bps=5, window_ms=1000)
    assert short.baseline.height == 0 and np.isnan(short.table()["chance_mean"][2])
    assert xcorr_table(ta, np.full(ta.size, 100.0), tb, pb)["corr"].is_nan().all()
    assert xcorr_table([0, MS], [1.0, 2.0], [5 * MS, 6 * MS], [1.0, 2.0])["n"].to_list() == [0] * 11
    wide = xcorr_table(ta, pa, tb, pb, grid_ms=1, lags=[0, 1999, 2000])
    assert wide["n"].to_list() == [2000, 1, 0] and wide["corr"].is_nan().to_list() == [False, True, True]


def test_mid_series_decodes_scaled_integers() -> None:
    bbo = pl.DataFrame(
        {"ts_local": [3, 1, 2], "bid_px": [100_00000000, 99_00000000, 0], "ask_px": [102_00000000, 101_00000000, 5]}
    )
    t, mid = mid_series(bbo)
    assert t.tolist() == [1, 3] and mid.tolist() == [100.0, 101.0]


REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real" / "binance-spot-usdm-coinm-20240808"


def _book_ticker_mids(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(local receive ns, mid) of every bookTicker line of a capture (the recorder's clock)."""
    t, m = [], []
    with gzip.open(path, "rt") as f:
        for line in f:
            if "@bookTicker" in line:
                ts, raw = line.split(" ", 1)
                d = json.loads(raw)["data"]
                t.append(int(ts))
                m.append((float(d["b"]) + float(d["a"])) / 2)
    return np.array(t, dtype=np.int64), np.array(m)


@pytest.mark.skipif(not REAL.exists(), reason=f"real captures absent: {REAL}")
def test_real_binance_btc_spot_vs_usdm() -> None:
    ts, ms = _book_ticker_mids(REAL / "spot" / "btcusdt_20240808.gz")
    tu, mu = _book_ticker_mids(REAL / "usdm" / "btcusdt_20240808.gz")
    assert (ts.size, tu.size) == (28040, 66089)  # bookTicker line counts in SOURCES.md
    # Table 1 at ±0.5 bps / 20 ms on native ticks (BTC rarely moves 7 bps between two updates)
    res = jump_pairing(ts, ms, tu, mu, threshold_bps=0.5, window_ms=20, names=("spot", "perp"))
    s = res.summary
    assert (s["jumps_a"], s["jumps_b"], s["paired"]) == (110, 151, 14)
    assert (s["a_leads_b"], s["b_leads_a"]) == (9, 5)  # big moves: spot first more often
    chance = res.table().row(2, named=True)
    assert chance["chance_mean"] < 1.0 and s["paired"] > 10 * chance["chance_mean"]
    # Table 2: on the 1 ms grid the strongest correlation within ±20 ms is at −9 ms: the perp
    # leads spot (as Hayashi–Yoshida finds, ≈ 11 ms) — the opposite of the seed's claim, on this capture
    tab = xcorr_table(ts, ms, tu, mu, grid_ms=1, max_lag=20)
    best = tab.row(int(np.argmax(tab["corr"].to_numpy())), named=True)
    assert best["lag_ms"] == -9.0 and 0.05 < best["corr"] < 0.2
    assert tab.filter(pl.col("lag").is_between(1, 5))["corr"].max() < 0.05

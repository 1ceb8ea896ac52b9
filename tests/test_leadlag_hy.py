"""Hayashi–Yoshida contrast: against a brute-force O(n·m) reference and a known lead."""

from __future__ import annotations

import numpy as np
import pytest

import crossbook
from crossbook.leadlag import hy_contrast


def _brute(tx, x, ty, y, lag):
    dx, dy = np.diff(x), np.diff(y)
    a, b = tx[:-1][:, None], tx[1:][:, None]
    c, d = (ty[:-1] - lag)[None, :], (ty[1:] - lag)[None, :]
    overlap = (a < d) & (c < b)
    return float((dx[:, None] * dy[None, :] * overlap).sum() / np.sqrt((dx**2).sum() * (dy**2).sum()))


def test_matches_brute_force_on_random_async_ticks() -> None:
    rng = np.random.default_rng(5)
    tx = np.cumsum(rng.integers(1, 50, 400))
    ty = np.cumsum(rng.integers(1, 90, 250))
    x, y = rng.normal(size=400).cumsum(), rng.normal(size=250).cumsum()
    lags = np.arange(-500, 501, 13)
    got = hy_contrast(tx, x, ty, y, lags)
    want = [_brute(tx, x, ty, y, lag) for lag in lags]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_recovers_a_known_lead_in_ms() -> None:
    rng = np.random.default_rng(9)
    t = np.cumsum(rng.integers(1, 30, 20_000)) * 1_000_000  # leader ticks, ns
    p = np.cumsum(rng.normal(size=t.size)) * 1e-4
    lag = 150_000_000  # 150 ms
    ty = np.cumsum(rng.integers(20, 120, 4_000)) * 1_000_000 + t[0]
    ty = ty[ty < t[-1]]
    y = p[np.searchsorted(t, ty - lag, side="right") - 1]
    lags = np.arange(-300, 301, 1) * 1_000_000
    c = hy_contrast(t, p, ty, y, lags)
    assert abs(lags[np.argmax(c)] - lag) <= 30_000_000
    assert c.max() > 0.5


def test_bad_and_degenerate_inputs() -> None:
    with pytest.raises(crossbook.InvalidInputError, match="sorted"):
        hy_contrast([2, 1], [0.0, 1.0], [1, 2], [0.0, 1.0], [0])
    with pytest.raises(crossbook.InvalidInputError, match="not finite"):
        hy_contrast([1, 2], [0.0, np.nan], [1, 2], [0.0, 1.0], [0])
    assert np.isnan(hy_contrast([1], [1.0], [1, 2], [0.0, 1.0], [0, 5])).all()  # a single tick
    assert np.isnan(hy_contrast([1, 2, 3], [1.0, 1.0, 1.0], [1, 2], [0.0, 1.0], [0])).all()  # constant prices
    assert np.isnan(hy_contrast([], [], [], [], [0])).all()  # empty series


def test_bootstrap_band_and_ratio_on_a_known_lead() -> None:
    from crossbook.leadlag import hy_lead_lag

    rng = np.random.default_rng(21)
    t = np.cumsum(rng.integers(1, 30, 30_000)) * 1_000_000
    p = np.cumsum(rng.normal(size=t.size)) * 1e-4
    lag = 80_000_000
    ty = np.cumsum(rng.integers(20, 100, 6_000)) * 1_000_000 + t[0]
    ty = ty[ty < t[-1]]
    y = p[np.searchsorted(t, ty - lag, side="right") - 1] + rng.normal(size=ty.size) * 2e-4
    lags = np.arange(-200, 201, 2) * 1_000_000
    r = hy_lead_lag(t, p, ty, y, lags, n_boot=100, n_blocks=30)
    assert abs(r.lag_ns - lag) <= 20_000_000
    assert r.lag_ci_ns[0] <= r.lag_ns <= r.lag_ci_ns[1]
    assert (r.band_lo <= r.contrast + 1e-12).mean() > 0.95 and (r.contrast <= r.band_hi + 1e-12).mean() > 0.95
    assert r.lead_lag_ratio > 2.0  # x leads: more squared contrast at positive lags
    assert "HYResult(lag=" in repr(r)
    # swapping the roles flips the sign of the lag and inverts the ratio
    s = hy_lead_lag(ty, y, t, p, lags, n_boot=50, n_blocks=30)
    assert abs(s.lag_ns + lag) <= 20_000_000 and s.lead_lag_ratio < 0.5


def test_lags_wider_than_the_data_span_give_zero_contrast() -> None:
    # documented: with no overlapping intervals at a lag the contrast is exactly 0 (not NaN)
    t = np.array([0, 10, 20, 30], dtype=np.int64)
    c = hy_contrast(t, [0.0, 1.0, 0.0, 1.0], t, [0.0, 1.0, 0.0, 1.0], [-1000, 0, 1000])
    assert c[0] == 0.0 and c[2] == 0.0 and c[1] > 0.99

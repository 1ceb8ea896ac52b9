"""Cross-asset LeadLagTracker: seed lag sign convention, known lead, alignment, bad input."""

from __future__ import annotations

import numpy as np
import pytest

import crossbook
from crossbook.research.cross_asset import LeadLagTracker, PriceData


def _pair(lead: int, n: int = 400, seed: int = 0, noise: float = 0.3) -> tuple[PriceData, PriceData]:
    """Follower returns = leader returns ``lead`` periods earlier (+ noise); lead < 0: follower first."""
    rng = np.random.default_rng(seed)
    r = rng.normal(0, 0.01, n + 40)
    f = np.roll(r, lead) + noise * rng.normal(0, 0.01, n + 40)
    ts = list(range(1_000, 1_000 + n))
    lp = 100 * np.exp(np.cumsum(r[20 : 20 + n]))
    fp = 50 * np.exp(np.cumsum(f[20 : 20 + n]))
    return PriceData(ts, lp), PriceData(ts, fp)


def test_leader_leading_by_two_periods_gives_lag_minus_two() -> None:
    btc, sol = _pair(lead=2)
    m = LeadLagTracker().calculate(btc, sol, "BTC", "SOL")
    assert m.optimal_lag == -2 and m.lead_periods == 2
    assert m.correlation > 0.9 and m.significant
    assert m.describe().startswith("BTC leads SOL by 2 periods")
    assert set(m.correlations) == set(range(-10, 11))
    assert abs(m.correlations[0]) < 0.15 and abs(m.correlations[2]) < 0.15
    assert m.n_obs == 399 and m.to_dict()["optimal_lag"] == -2


def test_follower_leading_and_synchronous() -> None:
    a, b = _pair(lead=-3, seed=1)
    assert LeadLagTracker().calculate(a, b).optimal_lag == 3  # follower leads: positive lag
    a, b = _pair(lead=0, seed=2)
    m = LeadLagTracker().calculate(a, b, "ETH", "BTC")
    assert m.optimal_lag == 0 and m.describe().startswith("ETH and BTC move together")


def test_negative_correlation_counts_by_magnitude() -> None:
    a, b = _pair(lead=4, seed=3)
    inv = PriceData(b.timestamps, 1.0 / np.asarray(b.prices))  # returns negated
    m = LeadLagTracker().calculate(a, inv)
    assert m.optimal_lag == -4 and m.correlation < -0.9


def test_alignment_on_common_timestamps() -> None:
    a, b = _pair(lead=1, seed=4)
    # drop every 7th follower bar: the inner join leaves 400 − 58 bars; the lag still shows
    keep = [i for i in range(400) if i % 7]
    b_sparse = PriceData([b.timestamps[i] for i in keep], np.asarray(b.prices)[keep])
    m = LeadLagTracker(max_lag=5).calculate(a, b_sparse)
    assert m.n_obs == len(keep) - 1 and set(m.correlations) == set(range(-5, 6))
    assert m.optimal_lag == -1


def test_bad_inputs() -> None:
    a, b = _pair(lead=1)
    short = PriceData(a.timestamps[:15], np.asarray(a.prices)[:15])
    with pytest.raises(crossbook.InvalidInputError, match="14 aligned returns, need at least 20"):
        LeadLagTracker().calculate(short, b)
    with pytest.raises(crossbook.InvalidInputError, match="0 aligned returns"):
        LeadLagTracker().calculate(PriceData([], []), b)
    with pytest.raises(crossbook.InvalidInputError, match="prices must be finite and positive"):
        LeadLagTracker().calculate(PriceData([1, 2], [1.0, -1.0]), b)
    with pytest.raises(crossbook.InvalidInputError, match="duplicate timestamps"):
        LeadLagTracker().calculate(PriceData([1, 1], [1.0, 2.0]), b)
    with pytest.raises(crossbook.InvalidInputError, match="correlations undefined"):
        LeadLagTracker().calculate(PriceData(a.timestamps, np.full(400, 5.0)), b)
    with pytest.raises(crossbook.InvalidInputError, match="max_lag must be >= 0"):
        LeadLagTracker(max_lag=-1)

"""Cross-asset lead-lag: which asset moves first, from the cross-correlation of period returns.

The ``LeadLagTracker`` of the cross-asset influence plan (seeds/cross-asset-influence-status.md): align
two price series on their common timestamps (bars, periods), take log returns, and correlate them at
lags −10..+10 periods. The sign convention is the seed's:

- ``lag < 0``: the leader leads — ``corr(leader[t − |lag|], follower[t])`` (e.g. lag −2: "BTC leads SOL
  by 2 periods");
- ``lag > 0``: the follower leads — ``corr(leader[t], follower[t − lag])``;
- ``lag = 0``: they move together.

The optimal lag is the lag with the largest ``|corr|`` (ties: the smaller ``|lag|``). The correlations
come from the Rust core (:func:`crossbook.leadlag_study.xcorr_aligned`), skipping pairs where either
return is missing. Fewer than ``min_obs`` aligned returns raise :class:`crossbook.InvalidInputError`
rather than returning a default (the seed's minimum is 20 data points, 60+ recommended).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from crossbook import _core
from crossbook.leadlag_study import xcorr_aligned


@dataclass(frozen=True)
class PriceData:
    """A price series: timestamps (any sortable type: int ns, datetimes) and prices (> 0)."""

    timestamps: Sequence[Any]
    prices: Sequence[float] | npt.ArrayLike

    @classmethod
    def from_frame(cls, df: pl.DataFrame, ts: str = "ts", price: str = "close") -> PriceData:
        """Take the ``ts`` and ``price`` columns of a polars frame."""
        return cls(df[ts].to_list(), df[price].to_numpy())


@dataclass(frozen=True)
class LeadLagMetrics:
    """The lead-lag relationship of ``follower`` to ``leader`` (see the module docs for the lag sign)."""

    leader: str
    follower: str
    optimal_lag: int
    correlation: float
    n_obs: int
    correlations: dict[int, float] = field(repr=False)

    @property
    def lead_periods(self) -> int:
        """Periods by which the leader leads (negative: the follower leads)."""
        return -self.optimal_lag

    @property
    def significant(self) -> bool:
        """``|correlation|`` beyond the ±1.96/√n band of a zero correlation (5%, one lag; the search
        over 21 lags makes a chance crossing likelier than 5%)."""
        return bool(abs(self.correlation) > 1.96 / np.sqrt(max(self.n_obs, 1)))

    def describe(self) -> str:
        """One sentence, e.g. ``"BTC leads SOL by 2 periods (corr 0.41)"``."""
        k = self.optimal_lag
        if k < 0:
            what = f"{self.leader} leads {self.follower} by {-k} period{'s' if k != -1 else ''}"
        elif k > 0:
            what = f"{self.follower} leads {self.leader} by {k} period{'s' if k != 1 else ''}"
        else:
            what = f"{self.leader} and {self.follower} move together"
        return f"{what} (corr {self.correlation:.2f})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "leader": self.leader,
            "follower": self.follower,
            "optimal_lag": self.optimal_lag,
            "lead_periods": self.lead_periods,
            "correlation": self.correlation,
            "n_obs": self.n_obs,
            "significant": self.significant,
            "correlations": {str(k): v for k, v in self.correlations.items()},
        }


class LeadLagTracker:
    """Detects which asset leads via cross-correlation of period returns at lags −max_lag..+max_lag.

    ``max_lag``: largest lag tested (periods, default 10); ``min_obs``: fewest aligned returns accepted
    (default 20).
    """

    def __init__(self, max_lag: int = 10, min_obs: int = 20) -> None:
        if max_lag < 0:
            raise _core.InvalidInputError(f"max_lag must be >= 0 (got {max_lag})")
        if min_obs < 3:
            raise _core.InvalidInputError(f"min_obs must be >= 3 (got {min_obs})")
        self.max_lag = max_lag
        self.min_obs = min_obs

    def __repr__(self) -> str:
        return f"LeadLagTracker(max_lag={self.max_lag}, min_obs={self.min_obs})"

    @staticmethod
    def _aligned(leader: PriceData, follower: PriceData) -> tuple[np.ndarray, np.ndarray]:
        frames = []
        for name, d in (("leader", leader), ("follower", follower)):
            ts, px = list(d.timestamps), np.asarray(d.prices, dtype=np.float64)
            if len(ts) != px.size:
                raise _core.InvalidInputError(f"{name}: {len(ts)} timestamps but {px.size} prices")
            if px.size and not (np.isfinite(px) & (px > 0)).all():
                raise _core.InvalidInputError(f"{name}: prices must be finite and positive")
            if not ts:
                return np.empty(0), np.empty(0)
            df = pl.DataFrame({"ts": ts, name: px})
            if df["ts"].n_unique() != df.height:
                raise _core.InvalidInputError(f"{name}: duplicate timestamps")
            frames.append(df)
        joined = frames[0].join(frames[1], on="ts", how="inner").sort("ts")
        return joined["leader"].to_numpy(), joined["follower"].to_numpy()

    def calculate(
        self,
        leader: PriceData,
        follower: PriceData,
        leader_name: str = "leader",
        follower_name: str = "follower",
    ) -> LeadLagMetrics:
        """Lead-lag of ``follower`` against ``leader``, aligned on their common timestamps.

        Raises :class:`crossbook.InvalidInputError` for bad prices, duplicate timestamps or fewer than
        ``min_obs`` aligned returns. A constant series gives NaN correlations and also raises (no lag
        can be chosen).
        """
        lp, fp = self._aligned(leader, follower)
        n_obs = max(lp.size - 1, 0)
        if n_obs < self.min_obs:
            raise _core.InvalidInputError(
                f"{leader_name}/{follower_name}: {n_obs} aligned returns, need at least {self.min_obs}"
            )
        lr, fr = np.diff(np.log(lp)), np.diff(np.log(fp))
        lags = np.arange(-self.max_lag, self.max_lag + 1, dtype=np.int64)  # seed convention
        # seed lag L ↔ corr(leader_t, follower_{t−L}), i.e. the core's positive-leads lag τ = −L
        corr = xcorr_aligned(lr, fr, -lags)
        if np.isnan(corr).all():
            raise _core.InvalidInputError(
                f"{leader_name}/{follower_name}: correlations undefined (a constant price series?)"
            )
        order = sorted(
            (k for k in range(lags.size) if not np.isnan(corr[k])), key=lambda k: (-abs(corr[k]), abs(lags[k]))
        )
        best = order[0]
        return LeadLagMetrics(
            leader=leader_name,
            follower=follower_name,
            optimal_lag=int(lags[best]),
            correlation=float(corr[best]),
            n_obs=n_obs,
            correlations={int(k): float(c) for k, c in zip(lags, corr, strict=True)},
        )

"""Lead-lag estimators. Positive lag = x (the leader) leads y (the follower).

Times are int64 ns (``ts_local`` by default, the clock both venues share in a capture); values are
usually log mid prices. This module holds the Hayashi–Yoshida contrast and re-exports the rest of the
suite: the streaming estimator family (:mod:`crossbook.leadlag_stream`), the asynchronous study's jump
pairing and grid cross-correlation (:mod:`crossbook.leadlag_study`); the per-pair pipeline with every
method, its summary and report section is :func:`crossbook.leadlag_analysis.analyze`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from crossbook import _core
from crossbook.leadlag_stream import (  # noqa: F401 - re-exported
    LeadLagEstimator,
    LeadLagMonitor,
    RegimeConditionedLeadLag,
    SignalHealth,
    compute_adjusted_microprice,
    compute_directional_skew,
    compute_lead_lag_skew_bps,
    predict_remaining_move,
    streaming_estimates,
)
from crossbook.leadlag_study import jump_pairing, jump_table, xcorr_table  # noqa: F401 - re-exported


def hy_contrast(
    t_x: npt.ArrayLike, x: npt.ArrayLike, t_y: npt.ArrayLike, y: npt.ArrayLike, lags_ns: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Hayashi–Yoshida shifted contrast (Hoffmann, Rosenbaum & Yoshida 2013) on native ticks.

    For each lag θ (ns), the sum of products of x and y increments whose observation intervals overlap
    once y's clock is shifted back by θ, normalised by sqrt(Σdx²·Σdy²). No time grid; duplicate
    timestamps keep the last value. The argmax over θ estimates how far x leads y. Returns NaN at every
    lag when either series has fewer than two distinct times or does not move (empty series, a single
    tick, constant prices); a lag wider than the data span has no overlapping intervals and gives 0.

    Raises :class:`crossbook.InvalidInputError` for unsorted times, non-finite values or length mismatches.
    """
    return _core.hy_contrast(
        np.ascontiguousarray(t_x, dtype=np.int64),
        np.ascontiguousarray(x, dtype=np.float64),
        np.ascontiguousarray(t_y, dtype=np.int64),
        np.ascontiguousarray(y, dtype=np.float64),
        np.ascontiguousarray(lags_ns, dtype=np.int64),
    )


@dataclass
class HYResult:
    """A Hayashi–Yoshida lead-lag estimate with its block-bootstrap uncertainty.

    ``lag_ns`` maximises |contrast| over the lag grid (positive = x leads y). ``band_lo``/``band_hi``
    bound the contrast curve pointwise (``ci`` level) and ``lag_ci_ns`` the argmax, both from a block
    bootstrap over time blocks (which keeps the intraday dependence inside each block).
    ``lead_lag_ratio`` is Σ_{θ>0} ρ(θ)² / Σ_{θ<0} ρ(θ)² (Huth & Abergel 2014): > 1 when x leads.
    """

    lags_ns: npt.NDArray[np.int64]
    contrast: npt.NDArray[np.float64]
    band_lo: npt.NDArray[np.float64]
    band_hi: npt.NDArray[np.float64]
    lag_ns: int
    lag_ci_ns: tuple[int, int]
    peak: float
    lead_lag_ratio: float
    n_x: int
    n_y: int
    ci: float = 0.9

    @property
    def lag_ms(self) -> float:
        return self.lag_ns / 1e6

    def to_dict(self) -> dict:
        return {
            "lag_ms": self.lag_ms,
            "lag_ci_ms": [self.lag_ci_ns[0] / 1e6, self.lag_ci_ns[1] / 1e6],
            "peak_contrast": self.peak,
            "lead_lag_ratio": self.lead_lag_ratio,
            "n_x": self.n_x,
            "n_y": self.n_y,
            "ci": self.ci,
        }

    def __repr__(self) -> str:
        lo, hi = (v / 1e6 for v in self.lag_ci_ns)
        return (
            f"HYResult(lag={self.lag_ms:.1f} ms [{lo:.1f}, {hi:.1f}] at {self.ci:.0%}, peak={self.peak:.3f}, "
            f"LLR={self.lead_lag_ratio:.2f}, ticks x={self.n_x:,} y={self.n_y:,})"
        )


def hy_lead_lag(
    t_x: npt.ArrayLike,
    x: npt.ArrayLike,
    t_y: npt.ArrayLike,
    y: npt.ArrayLike,
    lags_ns: npt.ArrayLike,
    *,
    n_boot: int = 200,
    n_blocks: int = 40,
    ci: float = 0.9,
    seed: int = 0,
) -> HYResult:
    """HY contrast over ``lags_ns`` with argmax lag, lead/lag ratio and a block-bootstrap band.

    Time is cut into ``n_blocks`` equal blocks; each bootstrap draw resamples blocks with replacement
    and recomputes the normalised curve from the per-block sums (no re-sweep), so ``n_boot`` is cheap.
    """
    tx = np.ascontiguousarray(t_x, dtype=np.int64)
    xv = np.ascontiguousarray(x, dtype=np.float64)
    ty = np.ascontiguousarray(t_y, dtype=np.int64)
    yv = np.ascontiguousarray(y, dtype=np.float64)
    lags = np.ascontiguousarray(lags_ns, dtype=np.int64)
    if lags.size == 0:
        raise _core.InvalidInputError("lags_ns is empty")
    raw, nx, ny = _core.hy_contrast_blocks(tx, xv, ty, yv, lags, n_blocks)
    total = raw.sum(axis=1)
    norm = np.sqrt(nx.sum() * ny.sum())
    n_x, n_y = int(np.unique(tx).size), int(np.unique(ty).size)
    if not np.isfinite(norm) or norm == 0.0:
        nan = np.full(lags.size, np.nan)
        return HYResult(lags, nan, nan, nan, 0, (0, 0), float("nan"), float("nan"), n_x, n_y, ci)
    curve = total / norm
    rng = np.random.default_rng(seed)
    w = rng.multinomial(n_blocks, np.full(n_blocks, 1.0 / n_blocks), size=n_boot).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = (raw @ w.T) / np.sqrt((w @ nx) * (w @ ny))[None, :]
    q = (1 - ci) / 2
    lo, hi = np.nanquantile(boot, [q, 1 - q], axis=1)
    k = int(np.nanargmax(np.abs(curve)))
    ks = np.nanargmax(np.abs(np.nan_to_num(boot, nan=0.0)), axis=0)
    lag_lo, lag_hi = np.quantile(lags[ks], [q, 1 - q])
    pos, neg = (curve[lags > 0] ** 2).sum(), (curve[lags < 0] ** 2).sum()
    llr = float(pos / neg) if neg > 0 else float("inf")
    return HYResult(lags, curve, lo, hi, int(lags[k]), (int(lag_lo), int(lag_hi)), float(curve[k]), llr, n_x, n_y, ci)

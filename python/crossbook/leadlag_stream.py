"""Streaming lead-lag estimation (``seeds/lead-lag-skill.md``), Rust core.

Model: ``follower_return(t) = a + β · leader_return(t − lag) + ε``; positive lag = the leader leads.

- A follower tick at least ``return_window_ms`` (100) after the previous sample point makes a sample:
  the follower's log return over (previous sample time, this time].
- Its regressor at a candidate lag L is the leader's log return over the *same window shifted back by
  L*, with the leader's log price taken **as of** each end (the last leader price at or before it —
  what a live observer knew; no interpolation, which would smear the leader's steps and bias the lag).
- Candidate lags: the seed's 11-point grid (``grid="seed"``: −100, −50, 0, 50, …, 300, 400, 500 ms) or
  the infrastructure seed's 10 ms grid −100..500 ms (``grid="fine"``, 61 lags), or ``lags_ms=[...]``.
- Every ``estimation_interval_ms`` (1000) of sample time, once ``min_samples`` (100) samples are held in
  the ``window_samples`` (10 000) window, OLS per lag gives β, R² and the standard error of β; the
  best-R² lag, its β, standard error and R² are smoothed in with α = 0.1 (the seed's priors: lag
  200 ± 100 ms, β 0.8 ± 0.2, R² 0). Up and down leader moves (the sign of the leader's return over the
  lagged window) are estimated separately as well: the seed's "common mistake 5".

Units: times int64 ns (``ts_local`` by default); prices any positive unit (logs are taken); lags and the
"time since the leader's move" in ms (as the seed); returns as fractions; skews in basis points.

Bad input (NaN / infinite / non-positive price, a timestamp earlier than the previous one of the same
stream, unknown grid or direction names) raises :class:`crossbook.InvalidInputError`; the estimator's
state is unchanged by the rejected tick. Feed both streams in time order (``update`` merges arrays).

Quote side (from the current estimate of an estimator, a regime-conditioned estimator's current regime,
or a ``(lag_ms, beta, r_squared)`` tuple):

- ``predict_remaining_move(est, r, t_ms)`` = β·r·(1 − t/lag)·sqrt(R²) while t < lag, 0 when R² < 0.1;
- ``compute_adjusted_microprice(mp, est, r, t_ms)`` = mp·(1 + predicted move);
- ``compute_lead_lag_skew_bps(est, r, t_ms, max_skew_bps=5)`` = sign(r)·|r|·1e4·sqrt(R²)·(1 − t/lag)·0.5,
  capped, 0 when R² < 0.2 or t ≥ lag (positive = lean quotes up);
- ``compute_directional_skew(est, move, t_ms, base_skew_bps=0, full_confidence_bps=2)`` =
  base + sign(move)·R²·2 bp while t < lag.

``directional=True`` uses the up- or down-move estimate for the sign of the leader's move.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from crossbook._core import (
    LeadLagEstimator,
    LeadLagMonitor,
    RegimeConditionedLeadLag,
    SignalHealth,
    compute_adjusted_microprice,
    compute_directional_skew,
    compute_lead_lag_skew_bps,
    predict_remaining_move,
)

__all__ = [
    "FINE_LAGS_MS",
    "SEED_LAGS_MS",
    "LeadLagEstimator",
    "LeadLagMonitor",
    "RegimeConditionedLeadLag",
    "SignalHealth",
    "compute_adjusted_microprice",
    "compute_directional_skew",
    "compute_lead_lag_skew_bps",
    "predict_remaining_move",
    "streaming_estimates",
    "with_health",
]

SEED_LAGS_MS: tuple[int, ...] = (-100, -50, 0, 50, 100, 150, 200, 250, 300, 400, 500)
"""The seed's 11 candidate lags (ms)."""

FINE_LAGS_MS: tuple[int, ...] = tuple(range(-100, 501, 10))
"""The infrastructure seed's grid: −100..500 ms every 10 ms (61 lags)."""

_HEALTH_NAMES = {SignalHealth.OK: "ok", SignalHealth.WARNING: "warning", SignalHealth.CRITICAL: "critical"}


def streaming_estimates(
    t_leader: npt.ArrayLike,
    p_leader: npt.ArrayLike,
    t_follower: npt.ArrayLike,
    p_follower: npt.ArrayLike,
    *,
    grid: str = "fine",
    **config: object,
) -> pl.DataFrame:
    """Run a fresh :class:`LeadLagEstimator` over two price series and return its rolling estimates.

    One row per re-estimation: ``ts_ns`` (time of the sample that triggered it), ``n_samples`` (window
    rows), then for ``all``, ``up`` and ``down`` moves the smoothed ``*_lag_ms``, ``*_lag_std_ms``,
    ``*_beta``, ``*_beta_std``, ``*_r_squared`` and the unsmoothed ``*_best_lag_ms``,
    ``*_best_r_squared`` of that re-estimation (NaN before a direction's first fit). ``config`` takes
    the estimator's keywords (``return_window_ms``, ``estimation_interval_ms``, ``min_samples``, …).
    """
    est = LeadLagEstimator(grid, **config)  # type: ignore[arg-type]
    cols = est.update(
        np.ascontiguousarray(t_leader, dtype=np.int64),
        np.ascontiguousarray(p_leader, dtype=np.float64),
        np.ascontiguousarray(t_follower, dtype=np.int64),
        np.ascontiguousarray(p_follower, dtype=np.float64),
    )
    return pl.DataFrame(cols)


def with_health(estimates: pl.DataFrame, monitor: LeadLagMonitor | None = None) -> pl.DataFrame:
    """Add the monitor's verdict after each re-estimation: ``health`` ("ok" / "warning" / "critical"),
    ``health_message`` and ``decay_rate`` (R² decay per day, null until a full window is recorded).

    Feeds ``all_r_squared`` at ``ts_ns`` of each row of :func:`streaming_estimates` into ``monitor``
    (default: the seed's thresholds, R² warning < 0.15, critical < 0.10, decay warning > 10 %/day).
    """
    mon = monitor if monitor is not None else LeadLagMonitor()
    health: list[str] = []
    messages: list[str] = []
    decay: list[float | None] = []
    for ts, r2 in zip(estimates["ts_ns"].to_list(), estimates["all_r_squared"].to_list(), strict=True):
        mon.record(ts, r2)
        level, msg = mon.check_health(r2)
        health.append(_HEALTH_NAMES[level])
        messages.append(msg)
        decay.append(mon.decay_rate())
    return estimates.with_columns(
        pl.Series("health", health, dtype=pl.String),
        pl.Series("health_message", messages, dtype=pl.String),
        pl.Series("decay_rate", decay, dtype=pl.Float64),
    )

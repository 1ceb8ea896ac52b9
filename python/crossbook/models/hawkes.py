"""Hawkes fill intensity (heatmap seed § 3.3), Rust core.

Exponential kernel, parametrised by the **branching ratio**::

    λ(t) = μ + Σ_{t_j < t} α·β·e^(−β(t − t_j))

so ``alpha`` is the expected number of events each event triggers (the seed's and ``tick``'s kernel
``α'·e^(−βt)`` has ``α' = alpha·β``, returned as ``kernel_alpha``); the process is stationary for
``alpha < 1``. Times are seconds from the start of the observation window ``[0, horizon_s]``; μ is in
events per second, β per second.

- :func:`fit_hawkes_exp`: exact maximum likelihood with an O(N) recursive likelihood, maximised by a
  damped Newton method with the exact Hessian (a profile over a β grid gives the start), or with β
  held fixed (the likelihood is then concave in μ, α). Returns ``mu``, ``alpha``, ``beta`` plus
  ``loglik``, ``std_err``, ``ks_stat`` / ``ks_pvalue`` (time-rescaling test of the fit), ….
- :class:`HawkesIntensity`: O(1) online intensity (``update(t)``, ``intensity(t)``,
  ``expected_count(t, h)``).
- :func:`time_rescaling_test`: compensator increments between events are i.i.d. Exp(1) under the
  right model; KS statistic and p-value (Stephens' approximation of the Kolmogorov law).
- The seed's three extensions, each a model with its own fit: :func:`fit_hawkes_state_baseline`
  (μ(t) = μ₀·exp(w·z(t)) on funding, OI change and the settlement cycle), :func:`fit_hawkes_marked`
  (excitation by size, side and aggressor), :func:`fit_hawkes_queue` (queue-consumption kernel);
  simulators for each (Ogata thinning) give ground truth.
- :class:`FillIntensityModel` (the seed's ``HyperliquidFillIntensityModel``) and
  :func:`intensity_to_kappa` (0.1 bp perturbation, floor 100 per unit of relative price; divide by
  10⁴ for the per-bp κ of :mod:`crossbook.quote`).

Too few events (< 10), unsorted or out-of-window times, NaN raise :class:`crossbook.InvalidInputError`;
no fit returns NaN (a Poisson sample gives ``alpha`` ≈ 0 with finite numbers).

Example::

    >>> from crossbook.models import fit_hawkes_exp, simulate_hawkes_exp
    >>> t = simulate_hawkes_exp(mu=0.5, alpha=0.6, beta=3.0, horizon_s=10_000, seed=1)
    >>> fit_hawkes_exp(t, 10_000)["alpha"]   # ≈ 0.6
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl

from crossbook import _core
from crossbook._core import FillIntensityModel, HawkesIntensity, InvalidInputError

__all__ = [
    "FillIntensityModel",
    "GofResult",
    "HawkesIntensity",
    "fit_hawkes_exp",
    "fit_hawkes_marked",
    "fit_hawkes_queue",
    "fit_hawkes_state_baseline",
    "fill_intensity_model",
    "fit_poisson",
    "hawkes_loglik",
    "intensity_to_kappa",
    "simulate_hawkes_exp",
    "simulate_hawkes_marked",
    "simulate_hawkes_queue",
    "simulate_hawkes_state_baseline",
    "state_covariates",
    "time_rescaling_test",
    "trade_times",
]

F64 = npt.NDArray[np.float64]
NS_PER_S = 1_000_000_000


def _f64(x: Any, name: str) -> F64:
    a = np.ascontiguousarray(x, dtype=np.float64)
    if a.ndim != 1:
        raise InvalidInputError(f"{name} must be one-dimensional (got shape {a.shape})")
    return a


def _bool(x: Any, name: str, n: int) -> npt.NDArray[np.bool_]:
    a = np.ascontiguousarray(x, dtype=np.bool_)
    if a.ndim != 1 or len(a) != n:
        raise InvalidInputError(f"{name} must be one value per event ({n}), got shape {a.shape}")
    return a


Ties = Literal["merge", "error"]


def _ties(t: F64, ties: str) -> tuple[F64, npt.NDArray[np.intp], int]:
    """Merge events that share a time (the first of each group is kept): (times, first index, merged)."""
    if ties not in ("merge", "error"):
        raise InvalidInputError(f"ties must be 'merge' or 'error' (got {ties!r})")
    if ties == "error" or len(t) < 2 or not np.any(np.diff(t) == 0):
        return t, np.arange(len(t)), 0
    keep = np.r_[True, np.diff(t) != 0]
    idx = np.flatnonzero(keep)
    return np.ascontiguousarray(t[idx]), idx, int(len(t) - len(idx))


def _clean(d: dict[str, Any], merged: int) -> dict[str, Any]:
    """NaN standard errors (a singular information matrix) become None; record the merged ties."""
    d["std_err"] = {k: (None if v != v else v) for k, v in d["std_err"].items()}
    d["n_merged"] = merged
    return d


def fit_hawkes_exp(
    times_s: npt.ArrayLike,
    horizon_s: float,
    *,
    beta: float | None = None,
    gof: bool = True,
    ties: Ties = "merge",
) -> dict[str, Any]:
    """Maximum-likelihood exponential Hawkes fit on ``[0, horizon_s]``.

    Returns a dict with ``mu`` (events/s), ``alpha`` (branching ratio), ``beta`` (1/s), ``kernel_alpha``
    (α·β, the jump of λ per event), ``loglik``, ``n_events``, ``horizon_s``, ``iterations``,
    ``converged``, ``fixed_beta``, ``std_err`` (dict of asymptotic standard errors) and ``ks_stat`` /
    ``ks_pvalue`` (time-rescaling test of the fitted model). With ``beta`` given only μ and α are
    fitted (``tick``'s ``HawkesExpKern(decays=beta)``). ``gof=False`` skips the time-rescaling test
    (an O(N log N) sort; the ``ks_*`` keys are then absent).

    Ties: with events at the same time the likelihood is unbounded (β → ∞). ``ties="merge"`` (default)
    keeps one event per distinct time — one aggressive order printed as several fills in one message
    is one arrival — and reports ``n_merged``; ``ties="error"`` raises :class:`crossbook.InvalidInputError`.
    Exchange clocks in ms tie often (a 6-minute Binance USDT-M capture: 21 313 trades on 5 260 distinct
    exchange times). A standard error that cannot be computed is ``None``.
    """
    t, _, merged = _ties(_f64(times_s, "times_s"), ties)
    return _clean(dict(_core.hawkes_fit_exp(t, float(horizon_s), beta, gof)), merged)


def fit_poisson(times_s: npt.ArrayLike, horizon_s: float) -> dict[str, Any]:
    """Homogeneous Poisson fit (``mu = N / horizon``) with its log-likelihood and time-rescaling test —
    the null model a Hawkes fit is compared with."""
    t = _f64(times_s, "times_s")
    if len(t) == 0:
        raise InvalidInputError("a Poisson fit needs at least one event")
    mu = len(t) / float(horizon_s)
    g = time_rescaling_test(t, horizon_s, mu, 0.0, 1.0)
    return {
        "mu": mu,
        "loglik": hawkes_loglik(t, horizon_s, mu, 0.0, 1.0),
        "n_events": len(t),
        "ks_stat": g.ks_stat,
        "ks_pvalue": g.p_value,
    }


def hawkes_loglik(times_s: npt.ArrayLike, horizon_s: float, mu: float, alpha: float, beta: float) -> float:
    """Log-likelihood of the parameters (``alpha`` = branching ratio) on ``[0, horizon_s]``."""
    return float(_core.hawkes_loglik(_f64(times_s, "times_s"), float(horizon_s), mu, alpha, beta))


class GofResult(NamedTuple):
    """Time-rescaling goodness of fit."""

    ks_stat: float
    """KS distance of the rescaled increments from Exp(1)"""
    p_value: float
    """P(KS >= ks_stat) under the model; the model passes at level 0.05 when > 0.05"""
    rescaled: F64
    """compensator increments Λ(t_{i−1}, t_i], one per event"""


def time_rescaling_test(times_s: npt.ArrayLike, horizon_s: float, mu: float, alpha: float, beta: float) -> GofResult:
    """Time-rescaling KS test of exponential Hawkes parameters (``alpha = 0`` tests a Poisson rate ``mu``)."""
    d, p, r = _core.hawkes_gof(_f64(times_s, "times_s"), float(horizon_s), mu, alpha, beta)
    return GofResult(float(d), float(p), r)


def simulate_hawkes_exp(mu: float, alpha: float, beta: float, horizon_s: float, seed: int = 0) -> F64:
    """Event times of an exponential Hawkes process on ``[0, horizon_s]`` (Ogata thinning, seeded)."""
    return _core.hawkes_simulate_exp(mu, alpha, beta, float(horizon_s), int(seed))


# ---------------------------------------------------------------- extensions


def _cov_matrix(covariates: Mapping[str, npt.ArrayLike], n: int) -> tuple[list[str], F64]:
    if not covariates:
        raise InvalidInputError("give at least one covariate")
    names = list(covariates)
    cols = [_f64(covariates[k], k) for k in names]
    if any(len(c) != n for c in cols):
        raise InvalidInputError(f"every covariate needs one value per covariate time ({n})")
    return names, np.ascontiguousarray(np.column_stack(cols), dtype=np.float64)


def fit_hawkes_state_baseline(
    times_s: npt.ArrayLike,
    horizon_s: float,
    cov_times_s: npt.ArrayLike,
    covariates: Mapping[str, npt.ArrayLike],
    *,
    ties: Ties = "merge",
) -> dict[str, Any]:
    """Extension 1: ``μ(t) = μ₀·exp(Σ w_name·z_name(t))`` with piecewise-constant covariates (sample k
    holds from ``cov_times_s[k]`` to the next; the value in force just before t is used). Returns
    ``mu0``, ``w_<name>`` per covariate, ``alpha``, ``beta``, ``std_err``, ``loglik``, ``ks_stat``,
    ``ks_pvalue``, …. :func:`state_covariates` builds the seed's three covariates from a ticker frame.
    A covariate constant over the window is an error (its weight is not identifiable)."""
    ct = _f64(cov_times_s, "cov_times_s")
    names, m = _cov_matrix(covariates, len(ct))
    t, _, merged = _ties(_f64(times_s, "times_s"), ties)
    return _clean(dict(_core.hawkes_fit_state_baseline(t, float(horizon_s), ct, m, names)), merged)


def simulate_hawkes_state_baseline(
    mu0: float,
    weights: Mapping[str, float],
    alpha: float,
    beta: float,
    cov_times_s: npt.ArrayLike,
    covariates: Mapping[str, npt.ArrayLike],
    horizon_s: float,
    seed: int = 0,
) -> F64:
    """Simulate Extension 1 along given covariates (``weights`` keyed like ``covariates``)."""
    ct = _f64(cov_times_s, "cov_times_s")
    names, m = _cov_matrix(covariates, len(ct))
    if set(weights) != set(names):
        raise InvalidInputError(f"weights {sorted(weights)} must match the covariates {sorted(names)}")
    w = [float(weights[k]) for k in names]
    return _core.hawkes_simulate_state_baseline(mu0, w, alpha, beta, ct, m, float(horizon_s), int(seed))


def fit_hawkes_marked(
    times_s: npt.ArrayLike,
    horizon_s: float,
    size: npt.ArrayLike,
    same_side: npt.ArrayLike,
    aggressor: npt.ArrayLike,
    *,
    median_size: float | None = None,
    size_cap: float = 3.0,
    ties: Ties = "merge",
) -> dict[str, Any]:
    """Extension 2: event j excites with ``alpha·min((size/median)^size_power, size_cap)·
    same_side_mult^[same side]·aggressor_mult^[aggressor]``. The seed's (1.5 same, 0.8 opposite) is
    ``same_side_mult = 1.875`` with 0.8 absorbed in ``alpha``. Returns those parameters, ``mu``,
    ``beta``, the process's ``branching`` (alpha × mean multiplier), ``median_size``, ``size_cap``,
    ``std_err``, ``loglik``, ``ks_stat``, ``ks_pvalue``. A flag that never varies holds its multiplier
    at 1. ``ties="merge"``: events at one time become one event with the summed size, the first
    event's side and ``aggressor`` if any of them was."""
    t0 = _f64(times_s, "times_s")
    sz, ss, ag = _f64(size, "size"), _bool(same_side, "same_side", len(t0)), _bool(aggressor, "aggressor", len(t0))
    if len(sz) != len(t0):
        raise InvalidInputError(f"marks must have one value per event: {len(t0)} times, {len(sz)} sizes")
    t, idx, merged = _ties(t0, ties)
    if merged:
        sz = np.ascontiguousarray(np.add.reduceat(sz, idx))
        ag = np.ascontiguousarray(np.logical_or.reduceat(ag, idx))
        ss = np.ascontiguousarray(ss[idx])
    fit = _core.hawkes_fit_marked(t, float(horizon_s), sz, ss, ag, median_size, float(size_cap))
    return _clean(dict(fit), merged)


def simulate_hawkes_marked(
    mu: float,
    alpha: float,
    beta: float,
    horizon_s: float,
    seed: int = 0,
    **marks: float,
) -> tuple[F64, F64, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Simulate Extension 2 with i.i.d. marks: (times, sizes, same_side, aggressor). ``marks``:
    ``size_power`` (0.5), ``same_side_mult`` (1.875), ``aggressor_mult`` (1.2), ``median_size`` (1),
    ``size_cap`` (3), ``size_sigma`` (0.8, lognormal sizes), ``p_same_side`` (0.5), ``p_aggressor`` (0.5)."""
    return _core.hawkes_simulate_marked(mu, alpha, beta, float(horizon_s), int(seed), **marks)


def fit_hawkes_queue(
    times_s: npt.ArrayLike,
    horizon_s: float,
    queue_times_s: npt.ArrayLike,
    queue_consumed: npt.ArrayLike,
    typical_queue: float,
    *,
    ties: Ties = "merge",
) -> dict[str, Any]:
    """Extension 3: kernel ``β·e^(−β(t−t_j))·(1 + c·min(ΔQ_j(t)/Q, 1))`` with ΔQ_j(t) the queue consumed
    since event j (``queue_consumed``: cumulative, non-decreasing, sampled at ``queue_times_s``) and
    ``Q = typical_queue`` held fixed. Returns ``mu``, ``alpha``, ``beta``, ``queue_sensitivity`` (c),
    ``typical_queue``, ``std_err``, ``loglik``, ``ks_stat``, ``ks_pvalue``."""
    t, _, merged = _ties(_f64(times_s, "times_s"), ties)
    qt, qv = _f64(queue_times_s, "queue_times_s"), _f64(queue_consumed, "queue_consumed")
    return _clean(dict(_core.hawkes_fit_queue(t, float(horizon_s), qt, qv, float(typical_queue))), merged)


def simulate_hawkes_queue(
    mu: float,
    alpha: float,
    beta: float,
    queue_sensitivity: float,
    typical_queue: float,
    queue_times_s: npt.ArrayLike,
    queue_consumed: npt.ArrayLike,
    horizon_s: float,
    seed: int = 0,
) -> F64:
    """Simulate Extension 3 along a given cumulative queue-consumption path."""
    qt, qv = _f64(queue_times_s, "queue_times_s"), _f64(queue_consumed, "queue_consumed")
    return _core.hawkes_simulate_queue(mu, alpha, beta, queue_sensitivity, typical_queue, qt, qv, horizon_s, seed)


def fill_intensity_model(
    *,
    hawkes: Mapping[str, Any] | None = None,
    state: Mapping[str, Any] | None = None,
    marks: Mapping[str, Any] | None = None,
    queue: Mapping[str, Any] | None = None,
    **overrides: Any,
) -> FillIntensityModel:
    """The seed's full :class:`FillIntensityModel` from fitted variants (dicts of the ``fit_hawkes_*``
    functions), later ones taking precedence for shared parameters: ``hawkes`` (μ₀, α, β), ``state``
    (μ₀, ``w_funding`` / ``w_oi_change`` / ``w_settlement`` as named by :func:`state_covariates`, α, β),
    ``marks`` (α, size power, multipliers, cap, median size and the mean multiplier = branching / α),
    ``queue`` (c and Q). ``overrides``: any constructor argument (``depth_decay_per_bp``,
    ``regime_multipliers``, …)."""
    kw: dict[str, Any] = {}
    if hawkes is not None:
        kw |= {"mu_0": hawkes["mu"], "alpha_base": hawkes["alpha"], "beta_time": hawkes["beta"]}
    if state is not None:
        kw |= {"mu_0": state["mu0"], "alpha_base": state["alpha"], "beta_time": state["beta"]}
        for src, dst in (
            ("w_funding", "w_funding"),
            ("w_oi_change", "w_oi_change"),
            ("w_settlement", "w_time_to_settlement"),
        ):
            if src in state:
                kw[dst] = state[src]
    if marks is not None:
        kw |= {
            "mu_0": marks["mu"] if state is None else kw["mu_0"],
            "alpha_base": marks["alpha"],
            "beta_time": marks["beta"],
            "alpha_size_power": marks["size_power"],
            "alpha_same_side_mult": marks["same_side_mult"],
            "alpha_aggressor_mult": marks["aggressor_mult"],
            "size_cap": marks["size_cap"],
            "median_trade_size": marks["median_size"],
            "mean_mark_multiplier": marks["branching"] / marks["alpha"] if marks["alpha"] > 0 else 1.0,
        }
    if queue is not None:
        kw |= {"beta_queue_sensitivity": queue["queue_sensitivity"], "typical_queue": queue["typical_queue"]}
    kw |= overrides
    return FillIntensityModel(**kw)


def intensity_to_kappa(
    model: FillIntensityModel,
    reference_depth_bps: float,
    *,
    excitation: float = 0.0,
    funding_rate: float = 0.0,
    oi_change_rate: float = 0.0,
    time_to_settlement_h: float = 0.0,
    regime: int = 0,
) -> float:
    """The seed's ``intensity_to_kappa``: ``(F(δ − 0.1 bp) − F(δ)) / (0.1·10⁻⁴)`` with ``F`` the
    model's expected fills over the next second at depth δ = ``reference_depth_bps``, floored at 100.
    Units: fills per second per unit of relative price (÷ 10⁴ for per bp). ``excitation``: the current
    self-excitation (``FillIntensityModel.excitation_at``), trades/s; the state arguments feed the
    baseline and the regime multiplier (regime 0 quiet … 3 cascade)."""
    return float(
        model.kappa(
            reference_depth_bps,
            excitation=excitation,
            funding_rate=funding_rate,
            oi_change_rate=oi_change_rate,
            time_to_settlement_h=time_to_settlement_h,
            regime=regime,
        )
    )


# ---------------------------------------------------------------- from the data model


def trade_times(
    trade: pl.DataFrame, *, venue: str | None = None, symbol: str | None = None, ts: str = "ts_local"
) -> tuple[F64, float, int]:
    """Event times of a ``trade`` frame (optionally one venue / symbol) as seconds from the first trade:
    ``(times_s, horizon_s, t0_ns)``, horizon = last − first trade (at least 1 ns)."""
    df = trade
    if venue is not None:
        df = df.filter(pl.col("venue") == venue)
    if symbol is not None:
        df = df.filter(pl.col("symbol") == symbol)
    if df.height == 0:
        raise InvalidInputError(f"no trades for venue={venue!r} symbol={symbol!r}")
    t = df[ts].to_numpy().astype(np.int64)
    if np.any(np.diff(t) < 0):
        t = np.sort(t)
    t0 = int(t[0])
    rel = (t - t0).astype(np.float64) / NS_PER_S
    return rel, max(float(rel[-1]), 1e-9), t0


def state_covariates(
    ticker: pl.DataFrame,
    t0_ns: int,
    *,
    venue: str | None = None,
    symbol: str | None = None,
    oi_window_s: float = 60.0,
    settlement_period_h: float = 8.0,
) -> tuple[F64, dict[str, F64]]:
    """The seed's Extension-1 covariates from a ``ticker`` frame, sampled at its rows (seconds from
    ``t0_ns``): ``funding`` = funding rate in bps; ``oi_change`` = open-interest change over the last
    ``oi_window_s`` seconds, % (as-of, 0 until the window is filled); ``settlement`` = sin(2π·τ/P) with τ
    the hours to ``next_funding_ts`` (or to the next multiple of P hours UTC where it is null)."""
    df = ticker
    if venue is not None:
        df = df.filter(pl.col("venue") == venue)
    if symbol is not None:
        df = df.filter(pl.col("symbol") == symbol)
    df = df.sort("ts_local")
    if df.height < 2:
        raise InvalidInputError("state covariates need at least two ticker rows")
    ts = df["ts_local"].to_numpy().astype(np.int64)
    funding = df["funding_rate"].cast(pl.Float64).fill_null(0.0).fill_nan(0.0).to_numpy() * 1e4
    oi = df["open_interest"].cast(pl.Float64).fill_null(strategy="forward").to_numpy()
    win = int(oi_window_s * NS_PER_S)
    k = np.searchsorted(ts, ts - win, side="right") - 1
    base = np.where(k >= 0, oi[np.clip(k, 0, None)], np.nan)
    oi_change = np.where((k >= 0) & (base > 0), (oi - base) / np.where(base > 0, base, 1.0) * 100.0, 0.0)
    oi_change = np.nan_to_num(oi_change, nan=0.0)
    period_ns = int(settlement_period_h * 3600 * NS_PER_S)
    nxt = df["next_funding_ts"].cast(pl.Int64).to_numpy() if "next_funding_ts" in df.columns else None
    fallback = (ts // period_ns + 1) * period_ns
    if nxt is None:
        nxt_ns = fallback
    else:
        nxt_ns = np.where(np.isnan(nxt.astype(np.float64)), fallback, nxt).astype(np.int64)
    tau_h = (nxt_ns - ts) / (3600 * NS_PER_S)
    settle = np.sin(2 * np.pi * tau_h / settlement_period_h)
    cov_t = (ts - t0_ns).astype(np.float64) / NS_PER_S
    return cov_t, {"funding": funding, "oi_change": oi_change, "settlement": settle}

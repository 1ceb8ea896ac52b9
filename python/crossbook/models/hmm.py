"""Market regimes: a hidden Markov model with diagonal Gaussian emissions (Rust core, GIL released).

Seed ``heatmap-overlay-and-model-infrastructure.md`` § 3.5: four states — Quiet, Trending, Volatile,
Cascade — observed through four features (volatility, trade intensity, imbalance, adverse selection).

- :func:`hmm_filter`: the forward filter over a whole array: ``P(state_t | x_0..x_t)`` for every row and
  the total log-likelihood (equal to hmmlearn's ``GaussianHMM(covariance_type="diag").score``);
- :class:`HmmFilter`: the same recursion one observation at a time (``update(x) -> probs``, O(K²));
- :func:`fit_hmm`: Baum–Welch on past data, several restarts, variance floor and re-initialisation of
  empty states; states are **ordered by the mean of the volatility feature**, so with four states the
  labels are always Quiet < Trending < Volatile < Cascade by volatility (the names are a convention of the
  ordering: what a state means is read off its emission means);
- :func:`regime_features`: the four features on a time grid from the data model (tables, a store, or a
  simulator result), each computed from data at or before the grid time only;
- :func:`regime_probs`: filtered probabilities as ``p_quiet, p_trending, p_volatile, p_cascade`` columns,
  the input of the quote engine's regime blend (:meth:`crossbook.quote.QuoteEngine.run`).

Filtering is causal: the probabilities at ``t`` use no observation after ``t`` (there is no smoother here).
Transitions are per grid step; the seed's initial matrix (:data:`SEED_TRANSMAT`) starts every fit.

Example::

    >>> from crossbook.sim import simulate
    >>> from crossbook.models import regime_features, fit_hmm, regime_probs
    >>> r = simulate(minutes=60, seed=3)
    >>> f = regime_features(r, "binance-futures", "BTCUSDT")
    >>> past, live = f[: len(f) // 2], f[len(f) // 2 :]
    >>> model = fit_hmm(past, seed=0)                  # fit on the past only
    >>> probs = regime_probs(live, model)               # t_ns, p_quiet, ..., regime
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from crossbook import _core
from crossbook._core import HmmFilter, InvalidInputError
from crossbook.models.hmm_features import FEATURES, regime_features

__all__ = [
    "FEATURES",
    "REGIMES",
    "SEED_TRANSMAT",
    "HmmFilter",
    "HmmModel",
    "fit_hmm",
    "hmm_filter",
    "regime_features",
    "regime_probs",
]

F64 = npt.NDArray[np.float64]

#: state names in index order for a four-state model (ordered by volatility)
REGIMES: tuple[str, ...] = ("quiet", "trending", "volatile", "cascade")
#: the seed's transition initialisation (row = from, column = to), per observation step
SEED_TRANSMAT: F64 = np.array(
    [
        [0.95, 0.03, 0.019, 0.001],
        [0.10, 0.85, 0.04, 0.01],
        [0.15, 0.10, 0.70, 0.05],
        [0.05, 0.05, 0.60, 0.30],
    ]
)


def _c64(a: npt.ArrayLike, ndim: int, name: str) -> F64:
    arr = np.ascontiguousarray(a, dtype=np.float64)
    if arr.ndim != ndim:
        raise InvalidInputError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    return arr


def hmm_filter(
    X: npt.ArrayLike,  # noqa: N803 - the contract's name
    startprob: npt.ArrayLike,
    transmat: npt.ArrayLike,
    means: npt.ArrayLike,
    variances: npt.ArrayLike,
) -> tuple[F64, float]:
    """Forward filter of a diagonal-Gaussian HMM: ``(filtered_probs, loglik)``.

    ``X`` (n, d) float64; ``startprob`` (K,); ``transmat`` (K, K), row = from; ``means`` and ``variances``
    (K, d). Returns ``filtered_probs`` (n, K) with row t = ``P(state_t | x_0..x_t)`` and the total
    log-likelihood ``ln P(x_0..x_{n−1})`` (natural log; 0.0 for n = 0). Scaled recursion, O(K² + K·d) per
    row, GIL released. Raises :class:`crossbook.InvalidInputError` for mismatched shapes, probabilities
    that do not sum to 1 (±1e-6), non-positive variances or non-finite values.
    """
    x = _c64(X, 2, "X")
    start = _c64(startprob, 1, "startprob")
    # np.empty: the filter writes every value, so the buffer needs no zeroing pass
    out = np.empty((x.shape[0], start.shape[0]))
    ll = _core.hmm_filter_into(
        x, start, _c64(transmat, 2, "transmat"), _c64(means, 2, "means"), _c64(variances, 2, "variances"), out
    )
    return out, ll


# ---------------------------------------------------------------- the model


@dataclass(frozen=True, repr=False)
class HmmModel:
    """A fitted (or hand-made) regime model. Arrays are float64: ``startprob`` (K,), ``transmat`` (K, K),
    ``means`` and ``variances`` (K, d); ``features`` names the d columns, ``states`` the K states.
    Fit diagnostics: ``loglik`` (of the fitting data), ``n_iter``, ``converged``, ``restart_logliks``,
    ``n_reinit`` (degenerate-state re-initialisations), ``var_floor`` (absolute, per feature), ``n_obs``."""

    startprob: F64
    transmat: F64
    means: F64
    variances: F64
    features: tuple[str, ...] = FEATURES
    states: tuple[str, ...] = REGIMES
    loglik: float = math.nan
    n_iter: int = 0
    converged: bool = False
    restart_logliks: F64 = field(default_factory=lambda: np.zeros(0))
    n_reinit: int = 0
    var_floor: F64 = field(default_factory=lambda: np.zeros(0))
    n_obs: int = 0

    def _columns(self, X: npt.ArrayLike | pl.DataFrame) -> F64:  # noqa: N803
        if isinstance(X, pl.DataFrame):
            missing = [c for c in self.features if c not in X.columns]
            if missing:
                raise InvalidInputError(f"frame lacks feature column(s) {missing} (columns: {X.columns})")
            return np.ascontiguousarray(X.select(self.features).cast(pl.Float64).to_numpy(), dtype=np.float64)
        return _c64(X, 2, "X")

    def filter(self, X: npt.ArrayLike | pl.DataFrame) -> tuple[F64, float]:  # noqa: N803
        """:func:`hmm_filter` with this model; ``X`` an array (n, d) or a frame holding :attr:`features`."""
        return hmm_filter(self._columns(X), self.startprob, self.transmat, self.means, self.variances)

    def online(self) -> HmmFilter:
        """A fresh :class:`HmmFilter` for this model (belief = ``startprob``)."""
        return HmmFilter(self.startprob, self.transmat, self.means, self.variances)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters and diagnostics."""
        return {
            "states": list(self.states),
            "features": list(self.features),
            "startprob": self.startprob.tolist(),
            "transmat": self.transmat.tolist(),
            "means": self.means.tolist(),
            "variances": self.variances.tolist(),
            "loglik": self.loglik,
            "n_iter": self.n_iter,
            "converged": self.converged,
            "restart_logliks": self.restart_logliks.tolist(),
            "n_reinit": self.n_reinit,
            "var_floor": self.var_floor.tolist(),
            "n_obs": self.n_obs,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HmmModel:
        """Inverse of :meth:`to_dict` (diagnostics optional)."""
        arr = np.asarray
        return cls(
            startprob=arr(d["startprob"], dtype=np.float64),
            transmat=arr(d["transmat"], dtype=np.float64),
            means=arr(d["means"], dtype=np.float64),
            variances=arr(d["variances"], dtype=np.float64),
            features=tuple(d.get("features", FEATURES)),
            states=tuple(d.get("states", REGIMES)),
            loglik=float(d.get("loglik", math.nan)),
            n_iter=int(d.get("n_iter", 0)),
            converged=bool(d.get("converged", False)),
            restart_logliks=arr(d.get("restart_logliks", []), dtype=np.float64),
            n_reinit=int(d.get("n_reinit", 0)),
            var_floor=arr(d.get("var_floor", []), dtype=np.float64),
            n_obs=int(d.get("n_obs", 0)),
        )

    def table(self) -> pl.DataFrame:
        """One row per state: name, stationary share, expected duration (steps), and the mean and standard
        deviation of each feature."""
        k = len(self.states)
        w, v = np.linalg.eig(self.transmat.T)
        pi = np.real(v[:, np.argmin(np.abs(w - 1.0))])
        pi = pi / pi.sum()
        stay = np.diag(self.transmat)
        cols: dict[str, Any] = {
            "state": list(self.states),
            "stationary": pi,
            "duration_steps": np.where(stay < 1.0, 1.0 / np.maximum(1.0 - stay, 1e-300), np.inf),
        }
        for c, name in enumerate(self.features):
            cols[f"{name}_mean"] = self.means[:, c]
            cols[f"{name}_std"] = np.sqrt(self.variances[:, c])
        return (
            pl.DataFrame(cols, strict=False).with_columns(pl.Series("index", range(k))).select(["index", *cols.keys()])
        )

    def __repr__(self) -> str:
        vol = ", ".join(f"{s}={m:.3g}" for s, m in zip(self.states, self.means[:, 0], strict=True))
        conv = "converged" if self.converged else "not converged"
        return (
            f"HmmModel({len(self.states)} states × {len(self.features)} features, {self.features[0]} means: "
            f"{vol}; loglik={self.loglik:.6g} on {self.n_obs:,} obs, {self.n_iter} iterations, {conv}, "
            f"{self.n_reinit} re-inits)"
        )

    def _repr_html_(self) -> str:
        return f"<p>{self!r}</p>" + self.table()._repr_html_()


def fit_hmm(
    X: npt.ArrayLike | pl.DataFrame,  # noqa: N803
    n_states: int = 4,
    n_iter: int = 100,
    seed: int = 0,
    *,
    n_restarts: int = 4,
    tol: float = 1e-6,
    var_floor: float = 1e-3,
    order_by: int | str = 0,
    transmat_init: npt.ArrayLike | None = None,
    features: Sequence[str] | None = None,
    zero_mean: Sequence[str | int] | None = None,
) -> HmmModel:
    """Baum–Welch fit of a diagonal-Gaussian HMM on past observations.

    ``X``: an array (n, d) or a frame; from a frame the columns ``features`` are used (default
    :data:`FEATURES`, the output of :func:`regime_features`). ``n_iter`` bounds the EM iterations of each of
    ``n_restarts`` restarts (restart 0: observations split by quantiles of the ordering feature, in the
    stationary shares of the initial transition matrix; the others: k-means++ seeded by ``seed``); EM stops
    when the log-likelihood gains less than ``tol`` per observation; the best restart wins.
    ``transmat_init`` defaults to :data:`SEED_TRANSMAT` for four states (0.9 on the diagonal otherwise).

    Degenerate states: variances are floored at ``var_floor`` × the feature's overall variance
    (``1e-12·max(1, mean²)`` for a constant feature); a state with fewer than ``max(2, 1e-4·n)`` expected
    observations is re-initialised at the worst-explained observation (counted in ``n_reinit``). The
    result never holds NaN. States are sorted by the mean of ``order_by`` (index or feature name; default
    the first column, volatility). ``zero_mean`` lists features whose emission mean is fixed at 0 in every
    state (only the variance is fitted); the default is ``("imbalance",)`` when such a feature exists: the
    sign of the flow is its direction, not the regime, and a free mean lets EM split one regime into a
    buy-side and a sell-side state. Pass ``()`` to fit every mean.

    Raises :class:`crossbook.InvalidInputError` for non-finite values, fewer than ``max(2, n_states)`` rows,
    or bad settings.
    """
    if isinstance(X, pl.DataFrame):
        names = tuple(features) if features is not None else FEATURES
        missing = [c for c in names if c not in X.columns]
        if missing:
            raise InvalidInputError(f"frame lacks feature column(s) {missing} (columns: {X.columns})")
        x = np.ascontiguousarray(X.select(names).cast(pl.Float64).to_numpy(), dtype=np.float64)
    else:
        x = _c64(X, 2, "X")
        names = tuple(features) if features is not None else (FEATURES if x.shape[1] == 4 else ())
        if not names:
            names = tuple(f"x{c}" for c in range(x.shape[1]))
    if len(names) != x.shape[1]:
        raise InvalidInputError(f"{len(names)} feature names for {x.shape[1]} columns")
    if isinstance(order_by, str):
        if order_by not in names:
            raise InvalidInputError(f"order_by={order_by!r} is not a feature ({list(names)})")
        order_by = names.index(order_by)
    if n_states < 1 or n_iter < 1 or n_restarts < 1:
        raise InvalidInputError(
            f"n_states, n_iter and n_restarts must be >= 1 (got {n_states}, {n_iter}, {n_restarts})"
        )
    if seed < 0:
        raise InvalidInputError(f"seed must be >= 0 (got {seed})")
    if zero_mean is None:
        zero_mean = ("imbalance",) if "imbalance" in names else ()
    flags = [False] * len(names)
    for z in zero_mean:
        if isinstance(z, str):
            if z not in names:
                raise InvalidInputError(f"zero_mean: {z!r} is not a feature ({list(names)})")
            z = names.index(z)
        if not 0 <= int(z) < len(names):
            raise InvalidInputError(f"zero_mean: column {z} out of range for {len(names)} features")
        flags[int(z)] = True
    t0 = None if transmat_init is None else _c64(transmat_init, 2, "transmat_init")
    r = _core.hmm_fit(x, n_states, n_iter, float(tol), n_restarts, seed, float(var_floor), int(order_by), t0, flags)
    states = REGIMES if n_states == 4 else tuple(f"state{j}" for j in range(n_states))
    return HmmModel(
        startprob=r["startprob"],
        transmat=r["transmat"],
        means=r["means"],
        variances=r["variances"],
        features=names,
        states=states,
        loglik=float(r["loglik"]),
        n_iter=int(r["n_iter"]),
        converged=bool(r["converged"]),
        restart_logliks=r["restart_logliks"],
        n_reinit=int(r["n_reinit"]),
        var_floor=r["var_floor"],
        n_obs=int(x.shape[0]),
    )


def regime_probs(features: pl.DataFrame, model: HmmModel, *, time_col: str = "t_ns") -> pl.DataFrame:
    """Filtered state probabilities of each row of ``features`` (a :func:`regime_features` frame):
    ``t_ns``, ``p_<state>`` per state (``p_quiet, p_trending, p_volatile, p_cascade`` for four states — the
    quote engine's input columns) and ``regime`` (the most probable state's name). The filter starts from
    ``model.startprob`` at the first row; row t uses rows 0..t only.

    To feed :meth:`crossbook.quote.QuoteEngine.run`, attach to each quote row the probabilities of the last
    grid time strictly before it (a grid time's features include messages stamped at that time)::

        probs = regime_probs(features, model).with_columns(pl.col("t_ns") + 1).drop("regime")
        inputs = inputs.join_asof(probs, on="t_ns")
    """
    probs, _ = model.filter(features)
    cols: dict[str, Any] = {}
    if time_col in features.columns:
        cols[time_col] = features[time_col]
    for j, s in enumerate(model.states):
        cols[f"p_{s}"] = probs[:, j]
    names = pl.Series("regime", list(model.states), dtype=pl.String)
    idx = pl.Series(np.argmax(probs, axis=1) if len(probs) else np.zeros(0, dtype=np.int64)).cast(pl.UInt32)
    cols["regime"] = names.gather(idx)
    return pl.DataFrame(cols)

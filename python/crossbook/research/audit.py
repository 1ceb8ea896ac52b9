"""Information source audit: which signals carry information about what we need to predict (seed
``heatmap-overlay-and-model-infrastructure.md`` § 3.2).

**Mutual information.** :func:`mutual_information` is the KSG estimator 1 (Kraskov, Stögbauer &
Grassberger 2004) with max-norm k-nearest neighbours, in Rust (O(n) on continuous data, parallel), in **bits**. It
follows scikit-learn's ``mutual_info_regression`` exactly — each variable divided by its population
standard deviation, its neighbour-count convention (radius ``nextafter(ε, 0)``), ``ψ(n) + ψ(k) −
⟨ψ(n_x + 1)⟩ − ⟨ψ(n_y + 1)⟩``, negative estimates clipped to 0 — so on continuous data the number equals
``mutual_info_regression(x.reshape(-1, 1), y, n_neighbors=k)`` with its noise switched off, divided by
ln 2. (scikit-learn always adds noise of 1e-10·max(1, mean|x|)·N(0, 1) to the scaled data; it has no
switch: pass a ``numpy.random.RandomState`` whose ``standard_normal`` returns zeros to turn it off.)

**Ties** (many zero returns, a discrete target such as a price direction) break the estimator's
assumption of continuous data: with k identical neighbours ε = 0. Handling, by ``ties=``:

- ``"jitter"`` (default): when x or y has tied values, add the same tiny noise scikit-learn adds, drawn from
  ``numpy.random.RandomState(seed)`` in the same order — deterministic, and then the result equals
  ``mutual_info_regression(..., random_state=seed)``. For a discrete y this makes the estimator behave
  like Ross's (2014) discrete–continuous estimator (neighbours are found within the same class);
- ``"raise"``: :class:`crossbook.InvalidInputError` naming the tie counts;
- ``"ignore"``: estimate on the tied data as is (still scikit-learn's number with its noise off: the
  scaling by the standard deviation is NumPy's to the last bit, so tied distances tie alike).

A **constant** x or y carries no information: the result is exactly 0.0 (flagged in
:class:`MIEstimate`). **NaN or infinite** values raise :class:`crossbook.InvalidInputError` (the audit
drops incomplete rows first). Nothing here returns NaN.

**The audit** (:func:`audit`, :func:`signal_audit`): for each (signal, target) pair — MI at each lag of a
small grid (the signal's value ``lag`` ms before the decision time) and the *optimal lag* (largest MI);
a **shuffle baseline**: mean and 95th percentile of the same statistic — the largest MI over the lags —
with the target permuted (the same permutations at every lag), i.e. the estimator's noise floor at this
sample size including the choice of lag; a signal is *significant* when its MI exceeds that 95th
percentile. Pearson correlation at the optimal lag. **Regime variation** of significant signals: MI
within volatility terciles (``sigma_bipower`` at the decision time), the ratio of the largest to the
smallest, a tercile below the noise floor counting as the noise floor ("High" ≥ 2×, "Medium" ≥ 1.3×).

The decision grid steps by the target's horizon (1 s for ``PriceDirection1s``) by default, so targets do
not overlap: with overlapping windows (say a 1 s move sampled every 100 ms) neighbours in signal space are
neighbours in time that share their target, the k-NN estimator counts that as information, and the
permutation baseline — which assumes independent rows — does not see it. Only rows complete at every lag
are used, so all lags are compared on the same rows.

:meth:`AuditResult.text` is the seed's report; :meth:`AuditResult.summary` the rows of summary.json["audit"]
(``signal, target, mi_bits, corr, lag_ms`` and more).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl

from crossbook import _core
from crossbook._core import InvalidInputError

__all__ = [
    "AUDIT_K",
    "DEFAULT_LAGS_MS",
    "AuditResult",
    "MIEstimate",
    "audit",
    "mi_null",
    "mutual_information",
    "mutual_information_detail",
    "signal_audit",
]

F64 = npt.NDArray[np.float64]
Ties = Literal["jitter", "raise", "ignore"]
LN2 = math.log(2.0)
#: lags of the optimal-lag search, ms (the signal's value this long before the decision time)
DEFAULT_LAGS_MS: tuple[float, ...] = (0.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
#: neighbours of the audit's estimates: more than the estimator's usual 3 to lower the variance at the
#: thousand-odd rows of a short run (its bias is shared by the shuffle baseline the MI is compared with)
AUDIT_K = 10
#: MI floor (bits) of the regime-variation ratio
REGIME_FLOOR_BITS = 0.001


class MIEstimate(NamedTuple):
    """One KSG estimate: ``bits`` (clipped at 0 unless asked not to), ``nats`` (unclipped), the pairs
    used, tie counts of x and y, whether jitter was added, and whether x or y was constant."""

    bits: float
    nats: float
    n: int
    ties_x: int
    ties_y: int
    jittered: bool
    constant: bool


def _vec(name: str, v: npt.ArrayLike) -> F64:
    a = np.asarray(v, dtype=np.float64)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise InvalidInputError(f"mutual information: {name} must be 1-D (got shape {a.shape})")
    return np.ascontiguousarray(a)


def _jittered(x: F64, y: F64, seed: int) -> tuple[F64, F64]:
    """x and y scaled and jittered exactly as scikit-learn's ``_estimate_mi`` does with
    ``random_state=seed`` (same operations, same draw order)."""
    rng = np.random.RandomState(seed)
    n = x.size
    xs = x.reshape(-1, 1).copy()
    sx = np.nanstd(xs, axis=0)
    sx[sx < 10 * np.finfo(sx.dtype).eps] = 1.0
    xs /= sx
    xs += 1e-10 * np.maximum(1, np.mean(np.abs(xs), axis=0)) * rng.standard_normal(size=(n, 1))
    ys = y.copy()
    sy = np.nanstd(ys, axis=0)
    ys /= sy if sy != 0 else 1.0
    ys += 1e-10 * np.maximum(1, np.mean(np.abs(ys))) * rng.standard_normal(size=n)
    return np.ascontiguousarray(xs[:, 0]), ys


def _prepared(x: F64, y: F64, k: int, ties: Ties, seed: int) -> tuple[F64, F64, bool, dict[str, Any]]:
    """(x, y, standardize, first estimate) after the tie policy."""
    if ties not in ("jitter", "raise", "ignore"):
        raise InvalidInputError(f"mutual information: ties must be 'jitter', 'raise' or 'ignore' (got {ties!r})")
    est = _core.ksg_mi(x, y, k, True, ties != "ignore")
    if est["mi_nats"] is not None or est["constant"]:
        return x, y, True, est
    if ties == "raise":
        raise InvalidInputError(
            f"mutual information: tied values ({est['ties_x']} in x, {est['ties_y']} in y); "
            "use ties='jitter' or 'ignore'"
        )
    xj, yj = _jittered(x, y, seed)
    return xj, yj, False, {**est, "jittered": True}


def mutual_information_detail(
    x: npt.ArrayLike, y: npt.ArrayLike, k: int = 3, *, ties: Ties = "jitter", seed: int = 0, clip: bool = True
) -> MIEstimate:
    """:func:`mutual_information` with the details of the estimate (see :class:`MIEstimate`)."""
    xa, ya = _vec("x", x), _vec("y", y)
    xp, yp, std, est = _prepared(xa, ya, int(k), ties, int(seed))
    jittered = bool(est.get("jittered", False))
    if jittered:
        est = {**_core.ksg_mi(xp, yp, int(k), std, False), "ties_x": est["ties_x"], "ties_y": est["ties_y"]}
    nats = float(est["mi_nats"])
    bits = (max(0.0, nats) if clip else nats) / LN2
    return MIEstimate(
        bits, nats, int(est["n"]), int(est["ties_x"]), int(est["ties_y"]), jittered, bool(est["constant"])
    )


def mutual_information(
    x: npt.ArrayLike, y: npt.ArrayLike, k: int = 3, *, ties: Ties = "jitter", seed: int = 0
) -> float:
    """Mutual information I(X; Y) in bits by the KSG estimator 1 with ``k`` neighbours (see the module
    docs for the conventions, ties and constants). Equals scikit-learn's ``mutual_info_regression`` / ln 2
    with its noise disabled on continuous data, and with ``random_state=seed`` on tied data."""
    return mutual_information_detail(x, y, k, ties=ties, seed=seed).bits


def mi_null(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    k: int = 3,
    *,
    n_shuffles: int = 20,
    seed: int = 0,
    ties: Ties = "jitter",
) -> F64:
    """MI (bits, clipped at 0 like the estimate) of x against ``n_shuffles`` random permutations of y:
    the estimator's null distribution at this sample size. Deterministic for a given ``seed``."""
    xa, ya = _vec("x", x), _vec("y", y)
    xp, yp, std, est = _prepared(xa, ya, int(k), ties, int(seed))
    if est["constant"]:
        return np.zeros(int(n_shuffles))
    nats = _core.ksg_mi_shuffled(xp, yp, int(k), std, int(n_shuffles), int(seed))
    return np.maximum(nats, 0.0) / LN2


# ---------------------------------------------------------------- the audit


def _corr(x: F64, y: F64) -> float:
    if x.size < 2 or np.std(x) == 0 or np.std(y) == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def _pairs(x: F64, y: F64) -> tuple[F64, F64]:
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok], y[ok]


@dataclass
class AuditResult:
    """Audit rows (one per signal and target; see :meth:`summary` for the fields), the report date, the
    signals that could not be computed, targets that could not be built, and notes."""

    rows: list[dict[str, Any]]
    date: str = ""
    unavailable_signals: dict[str, str] = field(default_factory=dict)
    unavailable_targets: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def frame(self) -> pl.DataFrame:
        """The rows as a frame (lists of per-lag MI dropped)."""
        return pl.DataFrame([{k: v for k, v in r.items() if not isinstance(v, (list, dict))} for r in self.rows])

    def summary(self) -> list[dict[str, Any]]:
        """summary.json["audit"]: per row ``signal, target, mi_bits`` (at the optimal lag), ``corr`` (at it),
        ``lag_ms`` (≤ 0: the signal's value that many ms before the decision), ``mi_bits_lag0``,
        ``null_mean_bits``, ``null_p95_bits``, ``significant`` (mi_bits > null_p95_bits), ``n``,
        ``regime_ratio``, ``regime_peak``. All finite."""
        keys = (
            "signal",
            "target",
            "mi_bits",
            "corr",
            "lag_ms",
            "mi_bits_lag0",
            "null_mean_bits",
            "null_p95_bits",
            "significant",
            "n",
            "regime_ratio",
            "regime_peak",
        )
        return [{k: r[k] for k in keys} for r in self.rows]

    def text(self) -> str:
        """The seed's "Signal Audit Report" (plus a null-p95 column and actionable insights)."""
        lines = [f"=== Signal Audit Report: {self.date} ===", ""]
        targets = list(dict.fromkeys(r["target"] for r in self.rows))
        for tgt in targets:
            rows = sorted((r for r in self.rows if r["target"] == tgt), key=lambda r: -r["mi_bits"])
            lines += [f"Target: {tgt}", ""]
            head = f"{'Signal':<28}{'MI (bits)':<11}{'Corr':<8}{'Opt Lag':<10}{'Regime Var':<30}Null p95"
            lines += [head, "─" * len(head)]
            for r in rows:
                lag = f"{r['lag_ms']:g}ms"
                star = "" if r["significant"] else "  (≤ null)"
                lines.append(
                    f"{r['signal']:<28}{r['mi_bits']:<11.3f}{r['corr']:<8.2f}{lag:<10}{r['regime_text']:<30}"
                    f"{r['null_p95_bits']:.3f}{star}"
                )
            lines.append("")
        for tgt, why in self.unavailable_targets.items():
            lines += [f"Target: {tgt}", f"  unavailable: {why}", ""]
        if self.unavailable_signals:
            lines.append(
                "Signals not computed: " + "; ".join(f"{k} ({v})" for k, v in self.unavailable_signals.items())
            )
            lines.append("")
        lines.append("ACTIONABLE INSIGHTS:")
        lines += [f"{i}. {s}" for i, s in enumerate(self.insights(), 1)] or ["(none)"]
        return "\n".join(lines) + "\n"

    def insights(self) -> list[str]:
        """Short conclusions: the strongest signal per target, signals indistinguishable from noise, the
        most regime-dependent signal."""
        out: list[str] = []
        for tgt in dict.fromkeys(r["target"] for r in self.rows):
            rows = [r for r in self.rows if r["target"] == tgt]
            sig = sorted((r for r in rows if r["significant"]), key=lambda r: -r["mi_bits"])
            if sig:
                b = sig[0]
                out.append(
                    f"{b['signal']} carries the most information about {tgt}: {b['mi_bits']:.3f} bits at "
                    f"{b['lag_ms']:g} ms (null p95 {b['null_p95_bits']:.3f})"
                )
            noise = [r["signal"] for r in rows if not r["significant"]]
            if noise:
                out.append(f"no information about {tgt} above the shuffle baseline: {', '.join(noise)}")
        var = sorted(
            (r for r in self.rows if r["significant"] and r["regime_ratio"] >= 2), key=lambda r: -r["regime_ratio"]
        )
        if var:
            v = var[0]
            out.append(
                f"{v['signal']} has {v['regime_ratio']:.1f}x more MI about {v['target']} in {v['regime_peak']} "
                "volatility — regime-condition this"
            )
        return out

    def __repr__(self) -> str:
        return (
            f"AuditResult({len(self.rows)} rows, date {self.date}, targets {sorted({r['target'] for r in self.rows})})"
        )


def _regime_text(ratio: float, peak: str) -> str:
    if ratio >= 2:
        return f"High ({ratio:.1f}x in {peak} vol)"
    if ratio >= 1.3:
        return f"Medium ({ratio:.1f}x in {peak} vol)"
    return "Low"


def _audit_pair(
    signal: str,
    target: str,
    x_by_lag: Mapping[float, F64],
    y: F64,
    regime: F64 | None,
    *,
    k: int,
    n_shuffles: int,
    seed: int,
    min_samples: int,
) -> dict[str, Any] | None:
    # rows complete at every lag, so all lags (and their nulls) see the same rows
    ok = np.isfinite(y)
    for x in x_by_lag.values():
        ok &= np.isfinite(x)
    n = int(ok.sum())
    if n < min_samples:
        return None
    yv = y[ok]
    lags = sorted(x_by_lag)
    mi = {lag: mutual_information(x_by_lag[lag][ok], yv, k, seed=seed) for lag in lags}
    best = max(lags, key=lambda lag: (mi[lag], -lag))
    # null of the statistic reported (the maximum over lags): the same permutations at every lag
    null = np.max([mi_null(x_by_lag[lag][ok], yv, k, n_shuffles=n_shuffles, seed=seed) for lag in lags], axis=0)
    p95 = float(np.quantile(null, 0.95))
    significant = bool(mi[best] > p95)
    xb = x_by_lag[best][ok]
    by_regime: dict[str, float] = {}
    if regime is not None and significant:
        r = regime[ok]
        fin = np.isfinite(r)
        if fin.sum() >= 3 * min_samples:
            cuts = np.quantile(r[fin], [1 / 3, 2 / 3])
            for name, m in (("low", r <= cuts[0]), ("mid", (r > cuts[0]) & (r <= cuts[1])), ("high", r > cuts[1])):
                if m.sum() >= min_samples:
                    by_regime[name] = mutual_information(xb[m], yv[m], k, seed=seed)
    if len(by_regime) >= 2:
        peak = max(by_regime, key=lambda name: by_regime[name])
        # a tercile below the noise floor counts as the noise floor
        ratio = by_regime[peak] / max(min(by_regime.values()), p95, REGIME_FLOOR_BITS)
        ratio = max(ratio, 1.0)
    else:
        peak, ratio = "", 1.0
    return {
        "signal": signal,
        "target": target,
        "mi_bits": mi[best],
        "corr": _corr(xb, yv),
        "lag_ms": -float(best) if best else 0.0,
        "mi_bits_lag0": mi.get(0.0, mi[best]),
        "null_mean_bits": float(null.mean()),
        "null_p95_bits": p95,
        "significant": significant,
        "n": n,
        "regime_ratio": float(ratio),
        "regime_peak": peak,
        "regime_text": _regime_text(ratio, peak) if by_regime else "–",
        "mi_by_lag": [{"lag_ms": -float(lag) if lag else 0.0, "mi_bits": mi[lag]} for lag in lags],
        "mi_by_regime": by_regime,
    }


def audit(
    catalog: Any,
    *,
    fills: pl.DataFrame | None = None,
    step_ms: float = 1000.0,
    lags_ms: Sequence[float] = DEFAULT_LAGS_MS,
    k: int = AUDIT_K,
    n_shuffles: int = 20,
    seed: int = 0,
    min_samples: int = 200,
    signals: Sequence[str] | None = None,
) -> AuditResult:
    """Audit the signals of a :class:`~crossbook.research.signal_catalog.SignalCatalog` against
    ``PriceDirection1s`` (on a decision grid every ``step_ms``, by default the 1 s horizon: see the module
    docs) and, when ``fills`` (a backtest's ``fills.parquet``) are given, ``AdverseSelectionOnNextFill``
    (one row per fill, signals just before it). ``lags_ms`` ≥ 0 is the grid of the optimal-lag search;
    pairs with fewer than ``min_samples`` complete rows are skipped (and noted)."""
    from crossbook.research.signal_catalog import adverse_on_next_fill

    names = [s for s in (signals or catalog.signals) if s in catalog.signals]
    res = AuditResult(rows=[], unavailable_signals=dict(catalog.unavailable), notes=list(catalog.notes))
    grid = catalog.grid(step_ms=step_ms)
    res.date = datetime.fromtimestamp(int(grid[0]) / 1e9, UTC).strftime("%Y-%m-%d")
    targets: list[tuple[str, npt.NDArray[np.int64], F64]] = [("PriceDirection1s", grid, catalog.price_direction(grid))]
    if fills is None:
        res.unavailable_targets["AdverseSelectionOnNextFill"] = "no backtest fills (RUN/fills.parquet) given"
    else:
        got = adverse_on_next_fill(fills)
        if isinstance(got, str):
            res.unavailable_targets["AdverseSelectionOnNextFill"] = got
        else:
            # signals just before each fill: the state the quote was exposed to
            targets.append(("AdverseSelectionOnNextFill", got[0] - 1, got[1]))
    for tgt, t, y in targets:
        regime = catalog.at(t, ["sigma_bipower"]).get("sigma_bipower") if "sigma_bipower" in catalog.signals else None
        by_lag = {float(lag): catalog.at(t - int(round(lag * 1e6)), names) for lag in lags_ms}
        for s in names:
            row = _audit_pair(
                s,
                tgt,
                {lag: v[s] for lag, v in by_lag.items()},
                y,
                regime,
                k=k,
                n_shuffles=n_shuffles,
                seed=seed,
                min_samples=min_samples,
            )
            if row is None:
                res.notes.append(f"{s} × {tgt}: fewer than {min_samples} complete rows, skipped")
            else:
                res.rows.append(row)
    return res


def signal_audit(
    tables: Mapping[str, pl.DataFrame],
    target: str,
    leader: str | None = None,
    *,
    fills: pl.DataFrame | None = None,
    lag_ms: float | None = None,
    **kwargs: Any,
) -> AuditResult:
    """Build the :class:`~crossbook.research.signal_catalog.SignalCatalog` of ``target`` (``VENUE:SYMBOL``,
    with an optional ``leader``) from normalized tables and run :func:`audit` on it."""
    from crossbook.research.signal_catalog import SignalCatalog

    cat = SignalCatalog.from_tables(dict(tables), target, leader, lag_ms=lag_ms)
    return audit(cat, fills=fills, **kwargs)


def write_text(result: AuditResult, path: str | Path) -> Path:
    """Write :meth:`AuditResult.text` to ``path`` (atomically)."""
    from crossbook._atomic import atomic_write_text

    return atomic_write_text(Path(path), result.text())

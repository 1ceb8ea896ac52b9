"""Calibration of probability forecasts: how wrong are the models, and in what way (seed
``heatmap-overlay-and-model-infrastructure.md`` § 3.1, "Calibration Analysis Pipeline").

Scores (Rust core, GIL released; forecasts ``p`` in [0, 1], outcomes ``y`` in {0, 1} or bool):

- :func:`brier_score` — mean of (p − y)²; equals scikit-learn's ``brier_score_loss``.
- :func:`calibration_curve` — equal-count bins with scikit-learn's ``calibration_curve(...,
  strategy="quantile")`` conventions exactly: edges ``np.percentile(p, linspace(0, 1, n_bins + 1)·100)``,
  a forecast goes to bin ``searchsorted(inner edges, p, side="left")`` (a forecast equal to an edge goes to
  the lower bin), empty bins (possible with tied forecasts) are dropped. Per bin: count, mean forecast,
  observed frequency, forecast range.
- :func:`brier_decomposition` — Murphy's ``BS = REL − RES + UNC`` over those bins *plus* the two terms that
  binning adds (Stephenson, Coelho & Jolliffe 2008), so that, exactly (to rounding),
  ``brier == reliability − resolution + uncertainty + within_bin_variance − 2·within_bin_covariance``,
  and the information ratio ``resolution / uncertainty``.
- :func:`corp_decomposition` — the bin-free CORP decomposition (Dimitriadis, Gneiting & Jordan 2021):
  ``BS = MCB − DSC + UNC`` with the PAV (isotonic) recalibrated forecast (:func:`isotonic_recalibration`).

**Information ratio.** The seed defines ``IR = Resolution / Uncertainty`` and reads IR > 1 as "useful".
Resolution can never exceed uncertainty (the law of total variance), so IR lies in [0, 1]: 0 is a
forecast that separates nothing (the base rate), 1 a perfect one. The seed's "IR > 1" cannot happen; the
health thresholds below are ours and documented. With no outcome variation (uncertainty 0) IR is reported
as 0.0 and the model flagged, never NaN.

**Run-level pipeline** (:func:`calibrate_predictions`, :func:`calibrate_run`): reads the backtester's
``RUN/predictions.parquet`` (the seed's ``PredictionRecord`` in snake_case; see
:mod:`crossbook.research.predictions` for the accepted layouts and how each outcome is derived), scores
every model whose forecast and outcome are present, slices calibration by the seed's conditioning
variables (:func:`conditional_calibration`), and builds the Model Health Monitor table
(:func:`model_health`). Models whose columns are missing are listed with the reason, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from crossbook import _core
from crossbook._core import InvalidInputError

__all__ = [
    "CalibrationReport",
    "HealthThresholds",
    "brier_decomposition",
    "brier_score",
    "calibrate_predictions",
    "calibrate_run",
    "calibration_curve",
    "conditional_calibration",
    "corp_decomposition",
    "health_status",
    "isotonic_recalibration",
    "model_health",
    "quantile_edges",
]

F64 = npt.NDArray[np.float64]

#: default number of equal-count bins (the seed's pipeline uses 20 for long logs; 10 suits short runs)
N_BINS = 10


# ---------------------------------------------------------------- scores of one forecast set


def _arrays(p: npt.ArrayLike, y: npt.ArrayLike) -> tuple[F64, F64]:
    pa = np.asarray(p)
    ya = np.asarray(y)
    if pa.ndim != 1 or ya.ndim != 1:
        raise InvalidInputError(f"calibration: p and y must be 1-D (got shapes {pa.shape} and {ya.shape})")
    pa = np.ascontiguousarray(pa, dtype=np.float64)
    ya = np.ascontiguousarray(ya.astype(np.float64) if ya.dtype == np.bool_ else ya, dtype=np.float64)
    # values (p finite in [0, 1], y in {0, 1}, equal non-zero lengths) are checked by each core function
    return pa, ya


def brier_score(p: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Mean squared error of probability forecasts ``p`` for binary outcomes ``y``.

    Raises :class:`crossbook.InvalidInputError` for forecasts outside [0, 1] or NaN, outcomes other than
    0/1, empty or mismatched input (the message names the first bad index).
    """
    pa, ya = _arrays(p, y)
    return float(_core.brier_score(pa, ya))


def quantile_edges(p: npt.ArrayLike, n_bins: int = N_BINS) -> F64:
    """The ``n_bins + 1`` equal-count bin edges of scikit-learn's ``strategy="quantile"`` (same expression,
    so the same floating-point values)."""
    if int(n_bins) < 1:
        raise InvalidInputError(f"calibration: n_bins must be at least 1 (got {n_bins})")
    pa = np.asarray(p, dtype=np.float64)
    if pa.size == 0:
        raise InvalidInputError("calibration: no forecasts")
    return np.percentile(pa, np.linspace(0, 1, int(n_bins) + 1) * 100)


def _binned(p: F64, y: F64, n_bins: int) -> dict[str, Any]:
    edges = quantile_edges(p, n_bins)
    return _core.brier_binned(p, y, np.ascontiguousarray(edges[1:-1], dtype=np.float64))


def calibration_curve(p: npt.ArrayLike, y: npt.ArrayLike, n_bins: int = N_BINS) -> pl.DataFrame:
    """Reliability diagram data over equal-count bins (the seed's ``BuildCalibrationCurve``).

    Columns: ``bin`` (index among the ``n_bins``; empty bins are dropped), ``count``, ``mean_predicted``,
    ``frequency`` (observed outcome rate), ``p_min``, ``p_max``. ``frequency`` and ``mean_predicted`` equal
    scikit-learn's ``calibration_curve(y, p, n_bins=n_bins, strategy="quantile")`` (``prob_true``,
    ``prob_pred``).
    """
    pa, ya = _arrays(p, y)
    b = _binned(pa, ya, n_bins)["bins"]
    return pl.DataFrame(
        {
            "bin": b["index"],
            "count": b["count"],
            "mean_predicted": b["mean_predicted"],
            "frequency": b["frequency"],
            "p_min": b["p_min"],
            "p_max": b["p_max"],
        }
    )


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else 0.0


def brier_decomposition(p: npt.ArrayLike, y: npt.ArrayLike, n_bins: int = N_BINS) -> dict[str, Any]:
    """Brier score with Murphy's decomposition over ``n_bins`` equal-count bins (see the module docs).

    Keys: ``brier``, ``reliability`` (lower is better), ``resolution`` (higher is better), ``uncertainty``
    (``ō(1 − ō)``), ``within_bin_variance`` and ``within_bin_covariance`` (the terms binning adds:
    ``brier = reliability − resolution + uncertainty + within_bin_variance − 2·within_bin_covariance``
    exactly), ``information_ratio`` (``resolution / uncertainty`` in [0, 1]; 0.0 when uncertainty is 0),
    ``base_rate`` (ō), ``n``, ``n_bins`` (requested) and ``bins_used`` (non-empty bins).
    """
    pa, ya = _arrays(p, y)
    d = _binned(pa, ya, n_bins)
    return {
        "brier": d["brier"],
        "reliability": d["reliability"],
        "resolution": d["resolution"],
        "uncertainty": d["uncertainty"],
        "within_bin_variance": d["within_bin_variance"],
        "within_bin_covariance": d["within_bin_covariance"],
        "information_ratio": _ratio(d["resolution"], d["uncertainty"]),
        "base_rate": d["base_rate"],
        "n": int(d["n"]),
        "n_bins": int(n_bins),
        "bins_used": len(d["bins"]["count"]),
    }


def isotonic_recalibration(p: npt.ArrayLike, y: npt.ArrayLike) -> F64:
    """The PAV (isotonic, non-decreasing) recalibration of ``p`` against ``y``, in input order; equal
    forecasts get equal values (scikit-learn's ``IsotonicRegression`` convention)."""
    pa, ya = _arrays(p, y)
    return _core.corp_decomposition(pa, ya)[1]


def corp_decomposition(p: npt.ArrayLike, y: npt.ArrayLike) -> dict[str, Any]:
    """The bin-free CORP decomposition ``brier = mcb − dsc + unc`` (exact by construction).

    ``mcb`` (miscalibration, ≥ 0) is the score lost to miscalibration (``S(p) − S(ĉ)`` with ĉ the PAV
    recalibration), ``dsc`` (discrimination, ≥ 0) what the recalibrated forecast gains over the base rate
    (``S(ō) − S(ĉ)``), ``unc`` = ``S(ō)``. Also ``information_ratio`` = ``dsc / unc`` (the bin-free analogue
    of resolution / uncertainty; 0.0 when unc is 0) and ``n``.
    """
    pa, ya = _arrays(p, y)
    d, _ = _core.corp_decomposition(pa, ya)
    return {**d, "information_ratio": _ratio(d["dsc"], d["unc"]), "n": int(pa.size)}


# ---------------------------------------------------------------- model health


class HealthThresholds(BaseModel):
    """Status rules of the Model Health Monitor table (ours: the seed's "IR > 1" cannot occur, see the
    module docs). Checked in order: ``INSUFFICIENT`` below ``min_samples`` forecasts or with no outcome
    variation; ``FAIL`` when the Brier skill ``1 − BS/UNC`` is ≤ ``min_skill`` (no better than always
    forecasting the base rate); ``WARN`` when miscalibration ``MCB/UNC`` exceeds ``max_mcb_share`` or the
    information ratio is below ``min_information_ratio``; otherwise ``OK``."""

    model_config = ConfigDict(extra="forbid")

    min_samples: int = Field(default=200, ge=1, description="forecasts needed to judge a model")
    min_skill: float = Field(default=0.0, description="Brier skill score 1 − BS/UNC at or below this fails")
    max_mcb_share: float = Field(default=0.10, ge=0, description="CORP miscalibration / uncertainty above this warns")
    min_information_ratio: float = Field(default=0.01, ge=0, description="resolution / uncertainty below this warns")


def health_status(scores: Mapping[str, Any], thresholds: HealthThresholds | None = None) -> tuple[str, str]:
    """``(status, reason)`` of one model from its scores (keys ``n``, ``brier``, ``uncertainty``,
    ``information_ratio`` and ``mcb``), by :class:`HealthThresholds`."""
    th = thresholds or HealthThresholds()
    n, unc = int(scores["n"]), float(scores["uncertainty"])
    if n < th.min_samples:
        return "INSUFFICIENT", f"{n} forecasts < {th.min_samples}"
    if unc <= 0:
        return "INSUFFICIENT", "outcomes never vary"
    skill = 1.0 - float(scores["brier"]) / unc
    if skill <= th.min_skill:
        return "FAIL", f"Brier skill {skill:.3f}: no better than the base rate"
    mcb_share = float(scores["mcb"]) / unc
    if mcb_share > th.max_mcb_share:
        return "WARN", f"miscalibrated: MCB is {mcb_share:.0%} of UNC"
    if float(scores["information_ratio"]) < th.min_information_ratio:
        return "WARN", f"little information: IR {float(scores['information_ratio']):.3f}"
    return "OK", f"skill {skill:.3f}"


def model_health(models: Mapping[str, Mapping[str, Any]], thresholds: HealthThresholds | None = None) -> pl.DataFrame:
    """The Model Health Monitor table: one row per model with ``model, n, brier, information_ratio,
    reliability, mcb, skill, status, reason``. ``models`` maps a model name to its scores (the
    :meth:`CalibrationReport.summary` entries)."""
    rows = []
    for name, s in models.items():
        status, reason = health_status(s, thresholds)
        unc = float(s["uncertainty"])
        rows.append(
            {
                "model": name,
                "n": int(s["n"]),
                "brier": float(s["brier"]),
                "information_ratio": float(s["information_ratio"]),
                "reliability": float(s["reliability"]),
                "mcb": float(s["mcb"]),
                "skill": 1.0 - float(s["brier"]) / unc if unc > 0 else 0.0,
                "status": status,
                "reason": reason,
            }
        )
    schema = {
        "model": pl.String,
        "n": pl.Int64,
        "brier": pl.Float64,
        "information_ratio": pl.Float64,
        "reliability": pl.Float64,
        "mcb": pl.Float64,
        "skill": pl.Float64,
        "status": pl.String,
        "reason": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def _scores(p: F64, y: F64, n_bins: int) -> dict[str, Any]:
    d = brier_decomposition(p, y, n_bins)
    c = corp_decomposition(p, y)
    return {**d, "mcb": c["mcb"], "dsc": c["dsc"], "corp_information_ratio": c["information_ratio"]}


# ---------------------------------------------------------------- conditional calibration


def conditional_calibration(
    p: npt.ArrayLike,
    y: npt.ArrayLike,
    slices: Mapping[str, pl.Series | npt.ArrayLike],
    *,
    n_bins: int = N_BINS,
    min_samples: int = 30,
) -> pl.DataFrame:
    """Calibration within each slice of each conditioning variable (seed Step 4).

    ``slices`` maps a variable name (e.g. ``"volatility"``) to one label per forecast (null labels are
    left out). One row per (variable, slice) with ``variable, slice, n, base_rate, mean_predicted, brier,
    reliability, resolution, uncertainty, information_ratio, mcb``; slices with fewer than
    ``min_samples`` forecasts keep their count and mean values but get null scores (too few to score).
    """
    pa, ya = _arrays(p, y)
    rows: list[dict[str, Any]] = []
    for var, labels in slices.items():
        lab = (labels if isinstance(labels, pl.Series) else pl.Series(np.asarray(labels))).cast(pl.String)
        if lab.len() != pa.size:
            raise InvalidInputError(f"conditional calibration: {var!r} has {lab.len()} labels for {pa.size} forecasts")
        for name in sorted(lab.drop_nulls().unique().to_list()):
            m = (lab == name).fill_null(False).to_numpy()
            ps, ys = pa[m], ya[m]
            row: dict[str, Any] = {
                "variable": var,
                "slice": name,
                "n": int(m.sum()),
                "base_rate": float(ys.mean()),
                "mean_predicted": float(ps.mean()),
            }
            if ps.size >= min_samples:
                s = _scores(ps, ys, n_bins)
                row.update({k: s[k] for k in _SCORE_KEYS})
            else:
                row.update({k: None for k in _SCORE_KEYS})
            rows.append(row)
    schema: dict[str, Any] = {
        "variable": pl.String,
        "slice": pl.String,
        "n": pl.Int64,
        "base_rate": pl.Float64,
        "mean_predicted": pl.Float64,
    }
    schema.update({k: pl.Float64 for k in _SCORE_KEYS})
    return pl.DataFrame(rows, schema=schema)


_SCORE_KEYS = ("brier", "reliability", "resolution", "uncertainty", "information_ratio", "mcb")


# ---------------------------------------------------------------- run-level pipeline


@dataclass
class CalibrationReport:
    """Calibration of every model found in a prediction log.

    ``models``: per model, the scores of :func:`brier_decomposition` plus ``mcb``, ``dsc`` and
    ``corp_information_ratio`` of :func:`corp_decomposition`; ``curves``: per model, the
    :func:`calibration_curve` frame; ``conditional``: :func:`conditional_calibration` rows of all models
    (column ``model`` first); ``health``: the :func:`model_health` table; ``missing``: model → why it could
    not be scored; ``slices_missing``: conditioning variable → why it is unavailable; ``notes``: how
    outcomes were derived and rows dropped.
    """

    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    curves: dict[str, pl.DataFrame] = field(default_factory=dict)
    conditional: pl.DataFrame = field(default_factory=pl.DataFrame)
    health: pl.DataFrame = field(default_factory=pl.DataFrame)
    missing: dict[str, str] = field(default_factory=dict)
    slices_missing: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, dict[str, Any]]:
        """summary.json["calibration"]: per model ``brier, reliability, resolution, uncertainty,
        information_ratio`` (DESIGN.md) plus the within-bin terms, CORP terms, ``n`` and health
        ``status``. Floats are finite (no NaN reaches the file)."""
        status = dict(zip(self.health["model"].to_list(), self.health["status"].to_list(), strict=True))
        keys = (
            "brier",
            "reliability",
            "resolution",
            "uncertainty",
            "information_ratio",
            "within_bin_variance",
            "within_bin_covariance",
            "mcb",
            "dsc",
            "base_rate",
            "n",
        )
        out: dict[str, dict[str, Any]] = {}
        for name, s in self.models.items():
            out[name] = {k: s[k] for k in keys}
            out[name]["status"] = status.get(name, "")
        return out

    def __repr__(self) -> str:
        parts = [f"{m}: BS={s['brier']:.4f} IR={s['information_ratio']:.3f} n={s['n']}" for m, s in self.models.items()]
        miss = f"; missing {sorted(self.missing)}" if self.missing else ""
        return f"CalibrationReport({'; '.join(parts) or 'no models'}{miss})"


def calibrate_predictions(
    predictions: pl.DataFrame,
    *,
    n_bins: int = N_BINS,
    thresholds: HealthThresholds | None = None,
    min_slice_samples: int = 30,
) -> CalibrationReport:
    """Score every model of a prediction log (see :mod:`crossbook.research.predictions` for the layout).

    Rows whose forecast or outcome is null are dropped per model (counted in ``notes``). Raises
    :class:`crossbook.InvalidInputError` only for unusable values (forecasts outside [0, 1]); a model
    whose columns are absent lands in ``missing``.
    """
    from crossbook.research.predictions import conditioning_slices, model_outcomes

    outcomes, missing, notes = model_outcomes(predictions)
    rep = CalibrationReport(missing=missing, notes=notes)
    cond_frames = []
    for name, frame in outcomes.items():
        if frame.height == 0:
            rep.missing[name] = "no rows with both a forecast and an outcome"
            continue
        p = frame["p"].to_numpy().astype(np.float64)
        y = frame["y"].to_numpy().astype(np.float64)
        rep.models[name] = _scores(p, y, n_bins)
        rep.curves[name] = calibration_curve(p, y, n_bins)
        slices, unavailable = conditioning_slices(frame)
        rep.slices_missing.update(unavailable)
        if slices:
            c = conditional_calibration(p, y, slices, n_bins=n_bins, min_samples=min_slice_samples)
            cond_frames.append(c.select(pl.lit(name).alias("model"), pl.all()))
    rep.conditional = pl.concat(cond_frames) if cond_frames else pl.DataFrame()
    rep.health = model_health(rep.models, thresholds)
    return rep


def calibrate_run(run: str | Path, **kwargs: Any) -> CalibrationReport:
    """:func:`calibrate_predictions` on ``RUN/predictions.parquet``. Raises ``FileNotFoundError`` naming
    the file when the run has no prediction log."""
    path = Path(run) / "predictions.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"no prediction log: {path} does not exist (the backtester writes it)")
    return calibrate_predictions(pl.read_parquet(path), **kwargs)

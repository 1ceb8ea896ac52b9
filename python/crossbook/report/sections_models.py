"""Report sections of the measurement layer: calibration curves and scores, the Model Health Monitor,
the signal audit, and the PnL attribution text report. Each builder returns a :class:`Section`; the
figures are plain plotly figures usable in notebooks.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import plotly.graph_objects as go
import polars as pl

from crossbook.report.page import Section

__all__ = [
    "attribution_text_section",
    "audit_figure",
    "audit_section",
    "calibration_figure",
    "calibration_section",
    "model_health_section",
    "regime_probability_figure",
]

_COLORS = ["#2f5fb3", "#d9822b", "#3a9d5d", "#b33f62", "#7a5cc7", "#5b6575"]
_REGIME_COLORS = {"quiet": "#3a9d5d", "trending": "#2f5fb3", "volatile": "#d9822b", "cascade": "#b33f62"}


def _pre(text: str) -> str:
    return f'<pre style="font-size:12px;background:#f6f7f9;padding:10px;overflow-x:auto">{html.escape(text)}</pre>'


# ---------------------------------------------------------------- calibration


def calibration_figure(curves: dict[str, pl.DataFrame]) -> go.Figure:
    """Reliability diagram: observed frequency against mean forecast per equal-count bin, one trace per
    model (marker area ∝ forecasts in the bin), with the diagonal of perfect calibration."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect", line={"color": "#9aa6b8", "dash": "dash"})
    )
    for i, (name, c) in enumerate(curves.items()):
        if c.height == 0:
            continue
        counts = c["count"].to_numpy().astype(float)
        size = 6 + 14 * np.sqrt(counts / counts.max())
        fig.add_trace(
            go.Scatter(
                x=c["mean_predicted"].to_numpy(),
                y=c["frequency"].to_numpy(),
                mode="lines+markers",
                name=name,
                marker={"size": size, "color": _COLORS[i % len(_COLORS)]},
                line={"color": _COLORS[i % len(_COLORS)]},
                customdata=counts,
                hovertemplate="forecast %{x:.3f}<br>observed %{y:.3f}<br>n %{customdata:.0f}",
            )
        )
    fig.update_layout(
        title="Calibration curves (equal-count bins)",
        xaxis_title="mean forecast probability",
        yaxis_title="observed frequency",
        xaxis={"range": [0, 1]},
        yaxis={"range": [0, 1]},
        height=420,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
    )
    return fig


def calibration_section(report: Any) -> Section:
    """Calibration curves, the Brier decomposition of every model, conditional calibration and what
    could not be scored (``report``: a :class:`crossbook.research.calibration.CalibrationReport`)."""
    s = Section("calibration", "Model calibration")
    s.note(
        "Predicted probabilities from the prediction log against what happened. Bins hold equal numbers of "
        "forecasts. Brier = reliability − resolution + uncertainty + WBV − 2·WBC exactly (the last two are the "
        "within-bin terms binning adds); MCB / DSC are the bin-free CORP miscalibration and discrimination "
        "(Brier = MCB − DSC + UNC). The information ratio is resolution / uncertainty, between 0 (no better "
        "than the base rate) and 1 (perfect)."
    )
    if report.curves:
        s.figure(calibration_figure(report.curves))
    rows = []
    for name, m in report.models.items():
        rows.append(
            {
                "model": name,
                "n": m["n"],
                "base rate": m["base_rate"],
                "Brier": m["brier"],
                "reliability": m["reliability"],
                "resolution": m["resolution"],
                "uncertainty": m["uncertainty"],
                "WBV": m["within_bin_variance"],
                "WBC": m["within_bin_covariance"],
                "IR": m["information_ratio"],
                "MCB": m["mcb"],
                "DSC": m["dsc"],
            }
        )
    s.table(rows, caption="Brier score decomposition")
    if report.missing:
        s.table([{"model": k, "not scored because": v} for k, v in report.missing.items()], caption="Not scored")
    cond = report.conditional
    if isinstance(cond, pl.DataFrame) and cond.height:
        show = cond.select(
            "model", "variable", "slice", "n", "base_rate", "mean_predicted", "brier", "information_ratio", "mcb"
        )
        s.table(show.to_dicts(), caption="Conditional calibration (slices with too few forecasts are not scored)")
    if report.slices_missing:
        s.note(
            "Conditioning variables not available: "
            + html.escape("; ".join(f"{k} ({v})" for k, v in report.slices_missing.items()))
        )
    return s


# ---------------------------------------------------------------- model health


def regime_probability_figure(t_ns: npt.ArrayLike, probs: npt.ArrayLike, names: Sequence[str]) -> go.Figure:
    """Stacked area of regime probabilities over time (``probs``: rows × regimes)."""
    p = np.asarray(probs, dtype=float)
    t = np.asarray(t_ns, dtype="datetime64[ns]")
    fig = go.Figure()
    for j, name in enumerate(names):
        fig.add_trace(
            go.Scatter(
                x=t,
                y=p[:, j],
                mode="lines",
                stackgroup="regime",
                name=name,
                line={"width": 0.5, "color": _REGIME_COLORS.get(name, _COLORS[j % len(_COLORS)])},
            )
        )
    fig.update_layout(
        title="Regime probabilities", yaxis={"range": [0, 1], "title": "probability"}, height=300, margin={"t": 40}
    )
    return fig


def model_health_section(health: pl.DataFrame, regimes: pl.DataFrame | None = None) -> Section:
    """The Model Health Monitor: one row per model with Brier, IR and status (``health``: the
    :func:`crossbook.research.calibration.model_health` table); optionally the regime probabilities over
    time (``regimes``: ``ts`` (ns) and one ``p_<regime>`` column per regime)."""
    s = Section("model-health", "Model health")
    s.note(
        "Status rules: INSUFFICIENT below the minimum number of forecasts or with no outcome variation; FAIL "
        "when the Brier skill 1 − BS/UNC is not positive (no better than forecasting the base rate); WARN when "
        "miscalibration (CORP MCB) exceeds 10 % of the uncertainty or IR < 0.01; otherwise OK."
    )
    if regimes is not None and regimes.height:
        cols = [c for c in regimes.columns if c.startswith("p_")]
        s.figure(
            regime_probability_figure(regimes["ts"].to_numpy(), regimes.select(cols).to_numpy(), [c[2:] for c in cols])
        )
    rows = [
        {
            "model": r["model"],
            "n": r["n"],
            "Brier": r["brier"],
            "IR": r["information_ratio"],
            "skill": r["skill"],
            "status": f"[{r['status']}]",
            "why": r["reason"],
        }
        for r in health.iter_rows(named=True)
    ]
    s.table(rows, caption="Model Health Monitor")
    return s


# ---------------------------------------------------------------- signal audit


def audit_figure(result: Any, target: str) -> go.Figure:
    """MI (bits) of each signal about ``target`` at its optimal lag, with the shuffle baseline's 95th
    percentile marked."""
    rows = sorted((r for r in result.rows if r["target"] == target), key=lambda r: r["mi_bits"])
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=[r["signal"] for r in rows],
            x=[r["mi_bits"] for r in rows],
            orientation="h",
            name="MI at optimal lag",
            marker={"color": ["#2f5fb3" if r["significant"] else "#9aa6b8" for r in rows]},
        )
    )
    fig.add_trace(
        go.Scatter(
            y=[r["signal"] for r in rows],
            x=[r["null_p95_bits"] for r in rows],
            mode="markers",
            name="shuffle p95",
            marker={"symbol": "line-ns-open", "size": 14, "color": "#b33f62"},
        )
    )
    fig.update_layout(
        title=f"Signal audit: {target}",
        xaxis_title="mutual information (bits)",
        height=80 + 26 * max(len(rows), 1),
        margin={"l": 180, "t": 40},
    )
    return fig


def audit_section(result: Any) -> Section:
    """The signal audit (``result``: a :class:`crossbook.research.audit.AuditResult`): a chart per
    target, the table of rows and the report text."""
    s = Section("audit", "Signal audit")
    s.note(
        "Mutual information (KSG, bits) between each signal and each target, at the lag (signal value that many "
        "ms before the decision) where it is largest; the shuffle baseline is the same statistic with the target "
        "permuted — grey bars do not beat its 95th percentile. Regime variation compares MI across volatility "
        "terciles."
    )
    for tgt in dict.fromkeys(r["target"] for r in result.rows):
        s.figure(audit_figure(result, tgt))
    rows = [
        {
            "target": r["target"],
            "signal": r["signal"],
            "MI (bits)": r["mi_bits"],
            "null p95": r["null_p95_bits"],
            "corr": r["corr"],
            "opt lag (ms)": r["lag_ms"],
            "regime var": r["regime_text"],
            "n": r["n"],
        }
        for r in result.rows
    ]
    s.table(rows, caption="Audit table")
    s.html(_pre(result.text()))
    return s


def attribution_text_section(text: str) -> Section:
    """The daily attribution report, verbatim."""
    s = Section("attribution-report", "Daily PnL attribution")
    s.html(_pre(text))
    return s

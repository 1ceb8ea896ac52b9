"""Report section of the regime model: HMM regime probabilities over time beside the simulator's truth."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
import polars as pl

from crossbook.models import REGIMES, fit_hmm, regime_features, regime_probs
from crossbook.report.page import Section

_COLORS = {"quiet": "#9fc5e8", "trending": "#3a9d5d", "volatile": "#d9822b", "cascade": "#b33f62"}


def regime_analysis(
    tables: dict[str, pl.DataFrame], venue: str, symbol: str, *, step_ms: float = 5000.0, train_frac: float = 0.5
) -> dict[str, Any]:
    """Features on ``step_ms`` bars (windows of the same length), HMM fitted on the first ``train_frac``
    of the bars only (past data), then filtered over all of them (causal)."""
    feats = regime_features(tables, venue, symbol, step_ms=step_ms, window_ms=step_ms)
    n_fit = max(20, int(feats.height * train_frac))
    model = fit_hmm(feats.head(n_fit), n_states=4, seed=0)
    probs = regime_probs(feats, model)
    return {"features": feats, "model": model, "probs": probs, "n_fit": n_fit, "step_ms": step_ms}


def _truth_at(t_ns: np.ndarray, segments: list[dict[str, Any]]) -> np.ndarray:
    out = np.full(t_ns.size, "", dtype=object)
    for seg in segments:
        m = (t_ns >= seg["start_ns"]) & (t_ns < seg["end_ns"])
        out[m] = seg["regime"]
    return out


def regimes_section(
    ra: dict[str, Any], venue: str, symbol: str, segments: list[dict[str, Any]] | None = None
) -> Section:
    """The section; ``segments`` are the simulator's true regimes (``SimResult.regimes.to_dicts()``)."""
    s = Section("regimes", f"Regimes: four-state HMM on {venue}:{symbol}")
    probs: pl.DataFrame = ra["probs"]
    t = probs["t_ns"].to_numpy()
    x = pl.Series(t).cast(pl.Datetime("ns")).to_numpy()
    fig = go.Figure()
    for r in REGIMES:
        fig.add_trace(
            go.Scatter(
                x=x, y=probs[f"p_{r}"].to_numpy(), name=r, stackgroup="p", line={"width": 0.5, "color": _COLORS[r]}
            )
        )
    fit_end = x[min(ra["n_fit"], len(x) - 1)]
    fig.add_vline(x=fit_end, line={"dash": "dot", "color": "#333"})
    fig.update_layout(
        title="Filtered regime probabilities (fit on the bars left of the dotted line; filtered causally)",
        yaxis_title="probability",
        height=340,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
    )
    s.note(
        f"Features on {ra['step_ms'] / 1000:g} s bars: log bipower volatility, log trade intensity, trade-count "
        "imbalance and the markout of trades whose horizon has passed (all causal). Baum–Welch on the first "
        f"{ra['n_fit']} bars, states ordered by volatility so the labels cannot permute."
    )
    s.figure(fig)
    if segments:
        true = _truth_at(t, segments)
        pred = probs["regime"].to_numpy()
        test = np.arange(t.size) >= ra["n_fit"]
        agree = float(np.mean(pred[test] == true[test])) if test.any() else float("nan")
        base = float(np.mean(true[test] == "quiet")) if test.any() else float("nan")
        s.kv({"agreement with true regime (out of sample)": agree, "always-quiet baseline": base})
    s.table(ra["model"].table().to_dicts(), caption="Fitted states (means per feature)")
    return s

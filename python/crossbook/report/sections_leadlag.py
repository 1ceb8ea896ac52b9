"""Report section of the lead-lag suite."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from crossbook.report.page import Section

if TYPE_CHECKING:
    from crossbook.leadlag import HYResult
    from crossbook.leadlag_analysis import LeadLagAnalysis


def hy_figure(hy: HYResult, truth_ms: float | None = None, title: str = "Hayashi–Yoshida contrast") -> go.Figure:
    """Contrast curve with its bootstrap band, the argmax and (if known) the true lag."""
    x = hy.lags_ns / 1e6
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=hy.band_hi, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"))
    fig.add_trace(
        go.Scatter(
            x=x,
            y=hy.band_lo,
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(47,95,179,0.2)",
            name=f"{hy.ci:.0%} bootstrap band",
        )
    )
    fig.add_trace(go.Scatter(x=x, y=hy.contrast, mode="lines", name="contrast", line={"color": "#2f5fb3"}))
    fig.add_vline(x=hy.lag_ms, line={"color": "#2f5fb3", "dash": "dot"}, annotation_text=f"argmax {hy.lag_ms:.0f} ms")
    if truth_ms is not None and np.isfinite(truth_ms):
        fig.add_vline(
            x=truth_ms,
            line={"color": "#d9822b", "dash": "dash"},
            annotation_text=f"truth {truth_ms:.0f} ms",
            annotation_position="bottom right",
        )
    fig.update_layout(
        title=title,
        xaxis_title="lag (ms; positive = leader leads)",
        yaxis_title="normalised contrast",
        height=380,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
    )
    return fig


def leadlag_section(an: LeadLagAnalysis) -> Section:
    s = Section("leadlag", f"Lead-lag: {an.leader.name} → {an.follower.name}")
    truth_key = "lag_ms_local" if an.clock == "local" else "lag_ms_exchange"
    truth_ms = float(an.truth[truth_key]) if an.truth and truth_key in an.truth else None
    s.note(
        f"Clock: <b>{an.clock}</b> timestamps. Leader {an.leader.name}: {an.leader.t.size:,} mid changes "
        f"(median gap {an.leader.median_dt_ms:.1f} ms); follower {an.follower.name}: {an.follower.t.size:,} "
        f"(median gap {an.follower.median_dt_ms:.1f} ms). Positive lags mean the leader moves first."
    )
    rows = []
    for method, r in an.methods.items():
        ci = r.get("lag_ci_ms")
        rows.append(
            {
                "method": method,
                "lag ms": r.get("lag_ms", float("nan")),
                "interval ms": f"[{ci[0]:.0f}, {ci[1]:.0f}]" if ci else "",
                "truth ms": truth_ms if truth_ms is not None else "–",
            }
        )
    s.table(rows, caption="Estimated lag by method")
    if an.hy is not None:
        s.figure(hy_figure(an.hy, truth_ms))
        s.note(
            "Hayashi–Yoshida pairs every leader increment with every follower increment whose observation "
            "interval overlaps it once the follower's clock is shifted back by the lag: no time grid, so no "
            "Epps-effect bias from forward filling. The band is a block bootstrap over time. "
            f"Lead/lag ratio Σρ²(θ>0)/Σρ²(θ<0) = {an.hy.lead_lag_ratio:.2f}."
        )
    if an.offsets is not None and an.offsets.height:
        s.table(an.offsets.to_dicts(), caption="Median (exchange − local) clock offset per venue, ms")
        s.note(
            "On the local clock every venue's feed latency is part of what is measured: the estimated lag is "
            "the causal lag plus the difference of the two feeds' latencies. On exchange clocks, a constant "
            "offset between the venues' clocks adds to the estimate instead; compare the offsets above."
        )
    return s

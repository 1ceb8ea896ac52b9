"""Report sections for backtests: PnL curves with and without lead-lag, the attribution waterfall,
markout curves, the counterfactual table, and our quotes over the quoted venue's book heatmap with
fills marked favourable / adverse (the core picture of the heatmap seed).

Inputs are :class:`crossbook.backtest.BacktestResult` objects (or the dict :func:`crossbook.backtest.
compare_leadlag` returns); every builder returns a plotly figure or a :class:`Section`, so a notebook
can use them one by one. :func:`backtest_summary` gives the demo's ``summary.json`` keys
(``backtest.with_leadlag`` / ``without_leadlag``, ``attribution.with_leadlag``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go
import polars as pl

from crossbook.backtest import COMPARE_KEYS, BacktestResult
from crossbook.report.figures import _COLORS, book_heatmap
from crossbook.report.page import Section

__all__ = [
    "attribution_waterfall",
    "backtest_section",
    "backtest_summary",
    "counterfactual_rows",
    "markout_figure",
    "pnl_figure",
    "quotes_heatmap",
]

_COMPONENTS = ("spread_capture", "adverse_selection", "inventory", "fees", "funding")
_HORIZONS = (("100ms", 0.1), ("1s", 1.0), ("10s", 10.0), ("60s", 60.0))
_LABELS = {"with_leadlag": "with lead-lag", "without_leadlag": "without lead-lag"}


def _results(runs: BacktestResult | Mapping[str, Any]) -> dict[str, BacktestResult]:
    if isinstance(runs, BacktestResult):
        return {"with_leadlag" if runs.config.leadlag else "without_leadlag": runs}
    if "results" in runs:
        return dict(runs["results"])
    return {k: v for k, v in runs.items() if isinstance(v, BacktestResult)}


def backtest_summary(runs: BacktestResult | Mapping[str, Any]) -> dict[str, Any]:
    """``{"backtest": {name: {pnl, sharpe, fills, spread_capture, adverse_selection_rate, ...}},
    "attribution": {name: {total, spread_capture, adverse_selection, inventory, fees, funding}}}``
    for each run (``with_leadlag`` / ``without_leadlag``)."""
    bt: dict[str, Any] = {}
    att: dict[str, Any] = {}
    for name, r in _results(runs).items():
        b = r.backtest
        bt[name] = {k: b[k] for k in COMPARE_KEYS}
        bt[name]["markouts_bps"] = dict(b["markouts_bps"])
        a = r.summary["attribution"]
        att[name] = {k: a[k] for k in ("total", *_COMPONENTS)}
    return {"backtest": bt, "attribution": att}


def _dt(ns: np.ndarray) -> np.ndarray:
    return pl.Series(ns).cast(pl.Datetime("ns")).to_numpy()


def pnl_figure(runs: BacktestResult | Mapping[str, Any]) -> go.Figure:
    """Equity curves (PnL marked at the quoted mid) of each run, and the inventory of the first."""
    fig = go.Figure()
    res = _results(runs)
    for i, (name, r) in enumerate(res.items()):
        e = r.equity
        fig.add_trace(
            go.Scattergl(
                x=_dt(e["ts"].to_numpy()),
                y=e["pnl"].to_numpy(),
                mode="lines",
                name=f"PnL {_LABELS.get(name, name)}",
                line={"width": 1.5, "color": _COLORS[i % len(_COLORS)]},
            )
        )
    if res:
        first = next(iter(res.values())).equity
        fig.add_trace(
            go.Scattergl(
                x=_dt(first["ts"].to_numpy()),
                y=first["inventory"].to_numpy(),
                mode="lines",
                name="inventory (first run)",
                yaxis="y2",
                line={"width": 1, "color": "#9aa6b8", "dash": "dot"},
            )
        )
    fig.update_layout(
        title="PnL with and without lead-lag",
        xaxis_title="time (local clock, UTC)",
        yaxis_title="PnL (quote currency)",
        yaxis2={"title": "inventory", "overlaying": "y", "side": "right", "showgrid": False},
        height=380,
        margin={"l": 60, "r": 60, "t": 50, "b": 40},
        legend={"orientation": "h", "y": 1.1},
    )
    return fig


def attribution_waterfall(result: BacktestResult, title: str | None = None) -> go.Figure:
    """Spread capture → adverse selection → inventory → fees → funding → total."""
    a = result.summary["attribution"]
    names = ["spread capture", "adverse selection", "inventory", "fees", "funding", "total"]
    values = [a[k] for k in _COMPONENTS] + [a["total"]]
    fig = go.Figure(
        go.Waterfall(
            x=names,
            y=values,
            measure=["relative"] * 5 + ["total"],
            text=[f"{v:+.4g}" for v in values],
            connector={"line": {"color": "#9aa6b8"}},
        )
    )
    label = _LABELS.get("with_leadlag" if result.config.leadlag else "without_leadlag", "")
    fig.update_layout(
        title=title or f"PnL attribution ({label})",
        yaxis_title="quote currency",
        height=360,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
    )
    return fig


def _markouts(fills: pl.DataFrame) -> list[float]:
    out = []
    for h, _ in _HORIZONS:
        col = f"markout_{h}_bps"
        d = fills.filter(pl.col(col).is_not_null())
        w = d["size"].to_numpy()
        out.append(float(np.average(d[col].to_numpy(), weights=w)) if d.height and w.sum() > 0 else float("nan"))
    return out


def markout_figure(runs: BacktestResult | Mapping[str, Any]) -> go.Figure:
    """Size-weighted markout (bps of the mid at the fill, spread included) after 100 ms … 60 s."""
    fig = go.Figure()
    for i, (name, r) in enumerate(_results(runs).items()):
        fig.add_trace(
            go.Scatter(
                x=[h for h, _ in _HORIZONS],
                y=_markouts(r.fills),
                mode="lines+markers",
                name=_LABELS.get(name, name),
                line={"color": _COLORS[i % len(_COLORS)]},
            )
        )
    fig.add_hline(y=0, line={"color": "#9aa6b8", "dash": "dot"})
    fig.update_layout(
        title="Markouts: s·(mid(t+h) − fill price) / mid(t)",
        xaxis_title="horizon h",
        yaxis_title="bps",
        height=340,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
    )
    return fig


def counterfactual_rows(table: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows of :func:`crossbook.backtest.counterfactual` for a report table."""
    cols = ["spread_mult", "gamma", "pnl", "pnl_vs_actual", "fills", "spread_capture", "adverse_selection"]
    cols += ["adverse_selection_rate", "mean_quoted_spread_bps"]
    return table.select([c for c in cols if c in table.columns]).to_dicts()


def quotes_heatmap(
    result: BacktestResult,
    grid: pl.DataFrame,
    *,
    bbo: pl.DataFrame | None = None,
    window_ns: tuple[int, int] | None = None,
) -> go.Figure:
    """Our bid and ask over the quoted venue's book heatmap (``grid`` from
    :func:`crossbook.book.sample_grid`), with our fills marked favourable (the mid moved our way over
    the attribution horizon, green) or adverse (red)."""
    if window_ns is not None:
        lo, hi = window_ns
        grid = grid.filter(pl.col("ts").is_between(lo, hi))
        if bbo is not None:
            bbo = bbo.filter(pl.col("ts_local").is_between(lo, hi))
    fig = book_heatmap(grid, bbo=bbo, title=f"Our quotes on {result.config.quoted} over its book")
    if grid.height == 0:
        return fig
    t0, t1 = int(grid["ts"].min()), int(grid["ts"].max())  # type: ignore[arg-type]
    q = result.predictions.filter(pl.col("timestamp_ns").is_between(t0, t1))
    if q.height > 8_000:
        q = q.gather_every(int(np.ceil(q.height / 8_000)))
    x = _dt(q["timestamp_ns"].to_numpy())
    for col, name, color in (("bid_price", "our bid", "#ffffff"), ("ask_price", "our ask", "#ffd166")):
        fig.add_trace(
            go.Scattergl(
                x=x,
                y=q[col].to_numpy(),
                mode="lines",
                name=name,
                line={"color": color, "width": 1.2, "shape": "hv"},
                connectgaps=False,
            )
        )
    f = result.fills.filter(pl.col("ts_exchange").is_between(t0, t1))
    for adverse, name, color in ((False, "fill, favourable", "#2ee66b"), (True, "fill, adverse", "#ff3b3b")):
        d = f.filter(pl.col("adverse_selection") == adverse)
        if d.height == 0:
            continue
        fig.add_trace(
            go.Scattergl(
                x=_dt(d["ts_exchange"].to_numpy()),
                y=d["price"].to_numpy(),
                mode="markers",
                name=name,
                marker={
                    "symbol": np.where(d["side"].to_numpy() > 0, "triangle-up", "triangle-down"),
                    "size": 11,
                    "color": color,
                    "line": {"width": 1, "color": "#111"},
                },
            )
        )
    return fig


def backtest_section(
    runs: BacktestResult | Mapping[str, Any],
    *,
    counterfactual: pl.DataFrame | None = None,
    grid: pl.DataFrame | None = None,
    bbo: pl.DataFrame | None = None,
    window_ns: tuple[int, int] | None = None,
    title: str = "Backtest: market making with and without lead-lag",
) -> Section:
    """The backtest section: headline table, PnL curves, attribution waterfall, markouts, the
    counterfactual table (if given) and our quotes over the book (if ``grid`` is given)."""
    res = _results(runs)
    s = Section("backtest", title)
    first = next(iter(res.values()))
    cfg = first.config
    s.note(
        f"Quoting <b>{cfg.quoted}</b> with <b>{cfg.leader}</b> as the leader; cycles every {cfg.cycle_ms:g} ms "
        f"and on quoted BBO changes; fills from the exchange simulator ({cfg.exchange.queue} queue, "
        f"{cfg.exchange.entry_ms:g} ms entry / {cfg.exchange.response_ms:g} ms response latency). "
        "With lead-lag the quote centre is the lead-lag adjusted micro-price and the directional skew is on; "
        "without it both are off and everything else is equal."
    )
    rows = []
    for name, r in res.items():
        b, a = r.backtest, r.summary["attribution"]
        rows.append(
            {
                "run": _LABELS.get(name, name),
                "PnL": b["pnl"],
                "Sharpe": b["sharpe"] if b["sharpe"] is not None else float("nan"),
                "fills": b["fills"],
                "fill rate": b["fill_rate"] if b["fill_rate"] is not None else float("nan"),
                "spread capture": a["spread_capture"],
                "adverse selection": a["adverse_selection"],
                "inventory": a["inventory"],
                "fees": a["fees"],
                "adverse rate": b["adverse_selection_rate"]
                if b["adverse_selection_rate"] is not None
                else float("nan"),
                "markout 1 s bps": b["markouts_bps"].get("1s") or float("nan"),
            }
        )
    s.table(rows, caption="Runs (PnL and components in quote currency)")
    s.figure(pnl_figure(res))
    for r in res.values():
        s.figure(attribution_waterfall(r))
    s.note(
        f"Attribution per fill against the quoted mid m: spread capture s·x·(m(t) − p); adverse selection "
        f"s·x·(m(t+h) − m(t)) with h = {cfg.adverse_horizon_ms:g} ms; inventory the rest of the mark-to-market "
        "to the end; fees and funding as charged. The components sum exactly to the total."
    )
    s.figure(markout_figure(res))
    if counterfactual is not None and counterfactual.height:
        s.table(counterfactual_rows(counterfactual), caption="Counterfactual: spread multiplier × γ on the same data")
    if grid is not None and grid.height:
        s.figure(quotes_heatmap(first, grid, bbo=bbo, window_ns=window_ns))
    return s

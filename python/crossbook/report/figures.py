"""Plotly figures over the normalized tables; each returns a ``plotly.graph_objects.Figure``.

Inputs are the frames of the data model (scaled-integer prices); figures decode to floats themselves.
Long series are reduced to at most ``max_points`` per trace (last value per time bucket), so a report
of an hour of tick data stays light.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import polars as pl

from crossbook.data.instruments import PX_SCALE, QTY_SCALE

_COLORS = ["#2f5fb3", "#d9822b", "#3a9d5d", "#b33f62", "#7a5cc7", "#5b6575"]


def _dt(ns: pl.Expr) -> pl.Expr:
    return pl.from_epoch(ns, time_unit="ns")


def _bucket_last(df: pl.DataFrame, ts: str, max_points: int) -> pl.DataFrame:
    if df.height <= max_points:
        return df
    span = int(df[ts].max()) - int(df[ts].min())  # type: ignore[arg-type]
    every = max(1, span // max_points)
    return df.with_columns((pl.col(ts) // every).alias("_b")).group_by("_b", maintain_order=True).last().drop("_b")


def mid_prices(
    bbo: pl.DataFrame, *, ts: str = "ts_local", max_points: int = 6_000, normalize: bool = False
) -> go.Figure:
    """Mid price of every (venue, symbol) in ``bbo`` over time (optionally rebased to 0 bps at start)."""
    fig = go.Figure()
    keys = bbo.select("venue", "symbol").unique(maintain_order=True).rows()
    for i, (venue, symbol) in enumerate(keys):
        d = (
            bbo.filter((pl.col("venue") == venue) & (pl.col("symbol") == symbol))
            .filter(pl.col("bid_px").is_not_null() & pl.col("ask_px").is_not_null())
            .select(ts, ((pl.col("bid_px") + pl.col("ask_px")).cast(pl.Float64) / (2 * PX_SCALE)).alias("mid"))
        )
        d = _bucket_last(d, ts, max_points)
        y = d["mid"].to_numpy()
        if normalize and len(y):
            y = (y / y[0] - 1.0) * 1e4
        fig.add_trace(
            go.Scatter(
                x=d.select(_dt(pl.col(ts))).to_series().to_numpy(),
                y=y,
                mode="lines",
                name=f"{venue}:{symbol}",
                line={"width": 1.2, "color": _COLORS[i % len(_COLORS)]},
            )
        )
    fig.update_layout(
        title="Mid price by venue" + (" (bps from start)" if normalize else ""),
        xaxis_title=f"time ({ts}, UTC)",
        yaxis_title="bps" if normalize else "price",
        height=380,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": 1.08},
    )
    return fig


def book_heatmap(
    grid: pl.DataFrame,
    *,
    bbo: pl.DataFrame | None = None,
    trades: pl.DataFrame | None = None,
    price_bins: int = 160,
    max_times: int = 1_200,
    title: str = "Order-book heatmap",
) -> go.Figure:
    """Resting size by price and time (from ``crossbook.book.sample_grid``), with best bid/ask lines and
    trade prints (buys ▲, sells ▼) over it: the core picture of the heatmap seed.

    ``grid`` must hold one (venue, symbol). Colour is log10(1 + size).
    """
    fig = go.Figure()
    if grid.height == 0:
        fig.update_layout(title=f"{title} (no book data)")
        return fig
    times = np.unique(grid["ts"].to_numpy())
    if len(times) > max_times:
        keep = times[:: int(np.ceil(len(times) / max_times))]
        grid = grid.filter(pl.col("ts").is_in(keep))
        times = keep
    px = grid["px"].to_numpy().astype(np.float64) / PX_SCALE
    qty = grid["qty"].to_numpy().astype(np.float64) / QTY_SCALE
    lo, hi = np.quantile(px, [0.002, 0.998])
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, price_bins + 1)
    ti = np.searchsorted(times, grid["ts"].to_numpy())
    pi = np.clip(np.searchsorted(edges, px, side="right") - 1, 0, price_bins - 1)
    inside = (px >= lo) & (px <= hi)
    z = np.zeros((price_bins, len(times)))
    np.add.at(z, (pi[inside], ti[inside]), qty[inside])
    x = pl.Series(times).cast(pl.Datetime("ns")).to_numpy()
    centers = 0.5 * (edges[:-1] + edges[1:])
    fig.add_trace(
        go.Heatmap(
            x=x,
            y=centers,
            z=np.log10(1.0 + z),
            colorscale="Viridis",
            colorbar={"title": "log10(1+size)"},
            hovertemplate="%{x}<br>px %{y:.2f}<br>log10(1+size) %{z:.2f}<extra></extra>",
            name="resting size",
        )
    )
    t0, t1 = int(times[0]), int(times[-1])
    if bbo is not None and bbo.height:
        b = bbo.filter(pl.col("ts_local").is_between(t0, t1)).select(
            "ts_local",
            (pl.col("bid_px").cast(pl.Float64) / PX_SCALE).alias("bid"),
            (pl.col("ask_px").cast(pl.Float64) / PX_SCALE).alias("ask"),
        )
        b = _bucket_last(b, "ts_local", 3_000)
        bx = b.select(_dt(pl.col("ts_local"))).to_series().to_numpy()
        fig.add_trace(
            go.Scatter(
                x=bx, y=b["bid"].to_numpy(), mode="lines", name="best bid", line={"color": "#3ad17a", "width": 1}
            )
        )
        fig.add_trace(
            go.Scatter(
                x=bx, y=b["ask"].to_numpy(), mode="lines", name="best ask", line={"color": "#ff5c5c", "width": 1}
            )
        )
    if trades is not None and trades.height:
        tr = trades.filter(pl.col("ts_local").is_between(t0, t1))
        if tr.height > 4_000:
            tr = tr.sort("qty", descending=True).head(4_000).sort("ts_local")
        for side, name, sym, col in (
            (1, "buy prints", "triangle-up", "#b6ff9e"),
            (-1, "sell prints", "triangle-down", "#ffb3b3"),
        ):
            s = tr.filter(pl.col("aggressor") == side)
            if s.height == 0:
                continue
            q = s["qty"].to_numpy().astype(np.float64) / QTY_SCALE
            size = 4 + 10 * np.sqrt(q / max(q.max(), 1e-12))
            fig.add_trace(
                go.Scatter(
                    x=s.select(_dt(pl.col("ts_local"))).to_series().to_numpy(),
                    y=s["px"].to_numpy().astype(np.float64) / PX_SCALE,
                    mode="markers",
                    name=name,
                    marker={"symbol": sym, "size": size, "color": col, "line": {"width": 0.5, "color": "#222"}},
                )
            )
    fig.update_layout(
        title=title,
        xaxis_title="time (ts_local, UTC)",
        yaxis_title="price",
        height=520,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": 1.06},
    )
    return fig

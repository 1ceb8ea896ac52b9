"""Report sections of the foundation: ground truth, data inventory, market picture."""

from __future__ import annotations

from typing import Any

import polars as pl

from crossbook.data.schema import TABLES
from crossbook.report import figures
from crossbook.report.page import Section


def data_summary(tables: dict[str, pl.DataFrame]) -> dict[str, Any]:
    """Counts per table and per (venue, symbol), with time spans: summary.json["data"]."""
    per: dict[tuple[str, str], dict[str, Any]] = {}
    for t in TABLES:
        df = tables.get(t)
        if df is None or df.height == 0:
            continue
        agg = df.group_by(["venue", "symbol"], maintain_order=True).agg(
            pl.len().alias("n"), pl.col("ts_local").min().alias("t0"), pl.col("ts_local").max().alias("t1")
        )
        for venue, symbol, n, t0, t1 in agg.rows():
            row = per.setdefault((venue, symbol), {"venue": venue, "symbol": symbol, **{k: 0 for k in TABLES}})
            row[t] = int(n)
            row["start_ns"] = min(int(t0), row.get("start_ns", int(t0)))
            row["end_ns"] = max(int(t1), row.get("end_ns", int(t1)))
    instruments = list(per.values())
    for r in instruments:
        r["span_s"] = round((r["end_ns"] - r["start_ns"]) / 1e9, 3)
    return {
        "tables": {t: int(tables[t].height) if t in tables else 0 for t in TABLES},
        "instruments": instruments,
    }


def truth_section(truth: dict[str, Any]) -> Section:
    s = Section("truth", "Simulated market: ground truth")
    s.note(
        "The demo runs on crossbook's simulator, whose lead-lag structure is known by construction: every "
        "estimate later in this report can be checked against these numbers. <i>lag_ms</i> is the causal lag "
        "of the follower's mid behind the leader's; <i>lag_ms_local</i> / <i>lag_ms_exchange</i> are the lags an "
        "estimator should find on the receive clock and on the venues' own clocks (feed latencies and clock "
        "offsets add to the causal lag)."
    )
    keys = [
        "leader_venue",
        "follower_venue",
        "lag_ms",
        "lag_ms_local",
        "lag_ms_exchange",
        "beta",
        "lag_ms_up",
        "lag_ms_down",
    ]
    s.kv({k: truth[k] for k in keys if k in truth})
    by_regime = truth.get("lag_ms_by_regime")
    if isinstance(by_regime, dict):
        shares = truth.get("regime_share", {}) if isinstance(truth.get("regime_share"), dict) else {}
        s.table(
            [{"regime": r, "lag_ms": v, "time share": shares.get(r, float("nan"))} for r, v in by_regime.items()],
            caption="Lag by regime",
        )
    return s


def data_section(summary: dict[str, Any], store: str | None = None) -> Section:
    s = Section("data", "Data")
    where = f" Stored as hive-partitioned Parquet in <code>{store}</code>." if store else ""
    s.note(
        "Rows per normalized table and instrument. Prices and sizes are exact scaled integers (1e-8 units); "
        f"timestamps are int64 ns UTC.{where}"
    )
    rows = []
    for r in summary["instruments"]:
        rows.append(
            {
                "venue": r["venue"],
                "symbol": r["symbol"],
                **{t: r.get(t, 0) for t in TABLES},
                "span s": r["span_s"],
                "bbo/s": r.get("bbo", 0) / r["span_s"] if r["span_s"] else float("nan"),
            }
        )
    s.table(rows)
    return s


def market_section(
    tables: dict[str, pl.DataFrame], grids: dict[tuple[str, str], pl.DataFrame], *, normalize: bool = True
) -> Section:
    s = Section("market", "Market: mid prices and book heatmaps")
    s.note(
        "Mid prices of every venue (bps from the first mid, so venues at different price levels share one "
        "axis), then for each venue the resting size by price level over time sampled from the rebuilt L2 book, "
        "with best bid/ask and trade prints (▲ buyer-initiated, ▼ seller-initiated; marker area ∝ size)."
    )
    s.figure(figures.mid_prices(tables["bbo"], normalize=normalize))
    for (venue, symbol), grid in grids.items():
        sel = (pl.col("venue") == venue) & (pl.col("symbol") == symbol)
        s.figure(
            figures.book_heatmap(
                grid,
                bbo=tables["bbo"].filter(sel),
                trades=tables["trade"].filter(sel),
                title=f"{venue}:{symbol} — book heatmap",
            )
        )
    return s

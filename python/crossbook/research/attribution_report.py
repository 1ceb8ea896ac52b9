"""The daily PnL attribution report in the seed's text format (``heatmap-overlay-and-model-infrastructure.md``
§ 3.1, "Daily Attribution Report"): where the money went, how accurate the models were, which regime
lost it.

Input: the backtester's attribution table (``RUN/attribution.parquet``), one row per day — or per day and
regime — with the columns ``total, spread_capture, adverse_selection, inventory, fees, funding`` (quote
currency; components sum to ``total``) and a day column (``date`` or ``day``; a ``ts``/``timestamp_ns``
column is turned into UTC dates). Optional: ``regime`` (rows per regime, summed for the day) with a time
share (``time_share`` in [0, 1], or ``seconds`` / ``duration_s`` normalised within the day).

Comments next to each line follow fixed rules (so they can be tested and trusted):

- the most negative component of a losing day is "THIS IS THE PROBLEM";
- spread capture: "working correctly" when positive, else "NOT EARNING THE SPREAD";
- adverse selection and inventory: "material" when the loss exceeds 25 % of the spread captured, else
  "acceptable";
- fees: "fixed cost" (paid) or "rebate"; funding: "paid", "received" or "none";
- model accuracy from the calibration health status: OK → good, WARN → NEEDS WORK, FAIL → NOT USEFUL,
  INSUFFICIENT → too few forecasts (the information ratio is resolution / uncertainty, in [0, 1]);
- regime breakdown: the regime with the most negative PnL on a losing day is "INVESTIGATE".

A day whose components do not sum to its total gets a line saying by how much.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from crossbook._core import InvalidInputError

__all__ = ["COMPONENTS", "attribution_report", "daily_totals", "read_attribution"]

#: attribution components in report order (they sum to ``total``)
COMPONENTS: tuple[str, ...] = ("spread_capture", "adverse_selection", "inventory", "fees", "funding")
_LABELS = {
    "spread_capture": "Spread Capture",
    "adverse_selection": "Adverse Selection",
    "inventory": "Inventory Cost",
    "fees": "Fees",
    "funding": "Funding",
}
#: calibration models shown under "Model Accuracy", with their labels
MODEL_LABELS = {
    "fill_100ms": "Fill Prediction 100ms",
    "fill_1s": "Fill Prediction",
    "fill_10s": "Fill Prediction 10s",
    "adverse": "Adverse Selection",
    "regime_hmm": "Regime HMM",
}
_STATUS_WORDS = {"OK": "good", "WARN": "NEEDS WORK", "FAIL": "NOT USEFUL", "INSUFFICIENT": "too few forecasts"}


def read_attribution(run: str | Path) -> pl.DataFrame:
    """``RUN/attribution.parquet``; ``FileNotFoundError`` naming the file when absent."""
    path = Path(run) / "attribution.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"no attribution table: {path} does not exist (the backtester writes it)")
    return pl.read_parquet(path)


def _with_day(table: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in ("total", *COMPONENTS) if c not in table.columns]
    if missing:
        raise InvalidInputError(f"attribution table lacks column(s) {missing} (has {table.columns})")
    if "date" in table.columns:
        return table.with_columns(pl.col("date").cast(pl.String).alias("_day"))
    if "day" in table.columns:
        return table.with_columns(pl.col("day").cast(pl.String).alias("_day"))
    for c in ("ts", "timestamp_ns", "ts_local"):
        if c in table.columns:
            return table.with_columns(pl.from_epoch(pl.col(c), time_unit="ns").dt.strftime("%Y-%m-%d").alias("_day"))
    if table.height == 1:
        return table.with_columns(pl.lit("run").alias("_day"))
    raise InvalidInputError("attribution table has several rows but no date / day / ts column")


def daily_totals(table: pl.DataFrame) -> pl.DataFrame:
    """Per day (column ``date``): ``total`` and each component, summed over regimes when rows are per
    regime."""
    d = _with_day(table)
    return (
        d.group_by("_day", maintain_order=True)
        .agg([pl.col(c).cast(pl.Float64).sum() for c in ("total", *COMPONENTS)])
        .rename({"_day": "date"})
        .sort("date")
    )


def _money(v: float, cur: str) -> str:
    return f"{'+' if v >= 0 else '-'}{cur}{abs(v):,.2f}"


def _comment(name: str, v: float, row: Mapping[str, float]) -> str:
    worst = min(COMPONENTS, key=lambda c: row[c])
    if row["total"] < 0 and name == worst and v < 0:
        return "THIS IS THE PROBLEM"
    spread = row["spread_capture"]
    if name == "spread_capture":
        return "working correctly" if v > 0 else "NOT EARNING THE SPREAD"
    if name in ("adverse_selection", "inventory"):
        if v >= 0:
            return "gain"
        return "material" if (spread <= 0 or -v > 0.25 * spread) else "acceptable"
    if name == "fees":
        return "fixed cost" if v <= 0 else "rebate"
    return "paid" if v < 0 else ("received" if v > 0 else "none")


def _tree(items: list[tuple[str, str, str]], width: int) -> list[str]:
    out = []
    for i, (label, value, note) in enumerate(items):
        branch = "└──" if i == len(items) - 1 else "├──"
        head = f"{branch} {label}:"
        line = f"{head:<{width}}{value}"
        out.append(f"{line:<{max(width + 10, len(line) + 2)}}({note})" if note else line)
    return out


def _model_lines(calibration: Mapping[str, Mapping[str, Any]], volatility_rmse: float | None) -> list[str]:
    items = []
    for model, label in MODEL_LABELS.items():
        s = calibration.get(model)
        if not s:
            continue
        note = _STATUS_WORDS.get(str(s.get("status", "")), str(s.get("status", "")))
        items.append((label, f"Brier={s['brier']:.2f}, IR={s['information_ratio']:.2f}", note))
    if volatility_rmse is not None:
        v = f"{volatility_rmse:.10f}".rstrip("0").rstrip(".") if abs(volatility_rmse) < 1 else f"{volatility_rmse:.4g}"
        items.append(("Volatility", f"RMSE={v}", ""))
    return _tree(items, 24) if items else []


def _time_share(rows: pl.DataFrame) -> pl.Series | None:
    if "time_share" in rows.columns:
        return rows["time_share"].cast(pl.Float64)
    for c in ("seconds", "duration_s"):
        if c in rows.columns:
            s = rows[c].cast(pl.Float64)
            return s / s.sum() if s.sum() > 0 else None
    return None


def _regime_lines(rows: pl.DataFrame, day_total: float, cur: str) -> list[str]:
    share = _time_share(rows)
    names = rows["regime"].cast(pl.String).to_list()
    pnl = rows["total"].cast(pl.Float64).to_list()
    worst = min(range(len(pnl)), key=lambda i: pnl[i])
    items = []
    for i, (name, v) in enumerate(zip(names, pnl, strict=True)):
        label = str(name).capitalize() + (f" ({share[i]:.0%} of time)" if share is not None else "")
        note = "INVESTIGATE" if day_total < 0 and i == worst and v < 0 else ""
        items.append((label, _money(v, cur), note))
    return _tree(items, 28)


def attribution_report(
    table: pl.DataFrame,
    *,
    calibration: Mapping[str, Mapping[str, Any]] | None = None,
    volatility_rmse: float | None = None,
    currency: str = "$",
) -> str:
    """The report for every day of ``table`` (see the module docs). ``calibration`` is
    :meth:`crossbook.research.calibration.CalibrationReport.summary` (or summary.json["calibration"]);
    ``volatility_rmse`` the volatility forecast's RMSE when known. Amounts are in the quote currency,
    printed with ``currency``."""
    d = _with_day(table)
    days = daily_totals(table)
    blocks: list[str] = []
    for row in days.iter_rows(named=True):
        lines = [f"=== PnL Attribution: {row['date']} ===", ""]
        lines.append(f"{'Gross PnL:':<24}{_money(row['total'], currency)}")
        items = [(_LABELS[c], _money(row[c], currency), _comment(c, row[c], row)) for c in COMPONENTS]
        lines += _tree(items, 24)
        resid = row["total"] - sum(row[c] for c in COMPONENTS)
        if abs(resid) > 1e-9 * max(1.0, abs(row["total"])):
            lines.append(f"(components do not sum to the total: residual {_money(resid, currency)})")
        model = _model_lines(calibration or {}, volatility_rmse)
        if model:
            lines += ["", "Model Accuracy:", *model]
        if "regime" in d.columns:
            rows = d.filter(pl.col("_day") == row["date"])
            rows = rows.group_by("regime", maintain_order=True).agg(
                pl.col("total").cast(pl.Float64).sum(),
                *[pl.col(c).cast(pl.Float64).sum() for c in ("time_share", "seconds", "duration_s") if c in d.columns],
            )
            lines += ["", "Regime Breakdown:", *_regime_lines(rows, row["total"], currency)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"

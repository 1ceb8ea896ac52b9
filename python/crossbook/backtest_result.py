"""A backtest's result and its run folder: :class:`BacktestResult` (``write``) and :func:`load_run`.
Split from :mod:`crossbook.backtest`, which re-exports everything here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from crossbook._atomic import atomic_write, atomic_write_json
from crossbook.backtest_config import BacktestConfig

__all__ = ["COMPARE_KEYS", "RUN_FILES", "BacktestResult", "load_run"]

#: files of a run folder
RUN_FILES: tuple[str, ...] = (
    "summary.json",
    "equity.parquet",
    "fills.parquet",
    "predictions.parquet",
    "attribution.parquet",
)
#: the metrics compared across runs
COMPARE_KEYS: tuple[str, ...] = (
    "pnl",
    "sharpe",
    "fills",
    "fill_rate",
    "spread_capture",
    "spread_capture_bps",
    "adverse_selection_rate",
    "adverse_selection_bps",
)


@dataclass(repr=False)
class BacktestResult:
    """One backtest: ``summary`` (``backtest``, ``attribution``, ``config``, ``inputs``), and the frames
    ``predictions`` (per cycle), ``fills`` (enriched), ``equity`` and ``attribution`` (per UTC day).
    ``elapsed_s`` / ``events_per_s`` time the core run (not written to the run folder)."""

    config: BacktestConfig
    summary: dict[str, Any]
    predictions: pl.DataFrame
    fills: pl.DataFrame
    equity: pl.DataFrame
    attribution: pl.DataFrame
    elapsed_s: float = 0.0
    out: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def backtest(self) -> dict[str, Any]:
        return self.summary["backtest"]

    @property
    def events_per_s(self) -> float:
        n = self.backtest["data"]["events_total"] + self.backtest["data"]["venue_events"]
        return n / self.elapsed_s if self.elapsed_s > 0 else float("nan")

    def metrics(self) -> dict[str, Any]:
        """The comparison metrics (:data:`COMPARE_KEYS`) plus the attribution components."""
        b = self.backtest
        m = {k: b[k] for k in COMPARE_KEYS}
        m["markouts_bps"] = dict(b["markouts_bps"])
        m["attribution"] = dict(self.summary["attribution"])
        return m

    def write(self, out: str | Path) -> Path:
        """Write the run folder (atomically, file by file)."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out / "summary.json", self.summary, sort_keys=True)

        def parquet(df: pl.DataFrame) -> Callable[[str], None]:
            return lambda tmp: df.write_parquet(tmp, statistics=False)

        for name, df in (
            ("equity", self.equity),
            ("fills", self.fills),
            ("predictions", self.predictions),
            ("attribution", self.attribution),
        ):
            atomic_write(out / f"{name}.parquet", parquet(df))
        self.out = out
        return out

    def __repr__(self) -> str:
        b, a = self.backtest, self.summary["attribution"]
        return (
            f"BacktestResult({self.config.quoted} led by {self.config.leader}, leadlag={self.config.leadlag}: "
            f"pnl={b['pnl']:.4f}, fills={b['fills']}, sharpe={b['sharpe']}, "
            f"spread_capture={a['spread_capture']:.4f}, adverse_selection={a['adverse_selection']:.4f}, "
            f"inventory={a['inventory']:.4f}, fees={a['fees']:.4f}, funding={a['funding']:.4f}; "
            f"{len(self.predictions)} cycles)"
        )


def load_run(folder: str | Path) -> BacktestResult:
    """Read a run folder written by :meth:`BacktestResult.write`."""
    folder = Path(folder)
    missing = [f for f in RUN_FILES if not (folder / f).exists()]
    if missing:
        raise FileNotFoundError(f"{folder}: not a run folder (missing {', '.join(missing)})")
    summary = json.loads((folder / "summary.json").read_text())
    cfg = BacktestConfig.model_validate(summary["config"])
    return BacktestResult(
        config=cfg,
        summary=summary,
        predictions=pl.read_parquet(folder / "predictions.parquet"),
        fills=pl.read_parquet(folder / "fills.parquet"),
        equity=pl.read_parquet(folder / "equity.parquet"),
        attribution=pl.read_parquet(folder / "attribution.parquet"),
        out=folder,
    )

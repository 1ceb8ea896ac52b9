"""`crossbook demo`: simulate → store → report, on the embedded default (the simulator).

Each capability contributes report sections and summary.json keys through the step list below, so
later issues extend the demo by adding a step, not by editing the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from crossbook._atomic import atomic_write_json
from crossbook.data.schema import TABLES
from crossbook.report import Report
from crossbook.report.sections_data import data_section, data_summary, market_section, truth_section


@dataclass
class DemoContext:
    """What the steps share: the output folder, the run's tables and truth, the report and summary."""

    out: Path
    minutes: float
    seed: int
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    truth: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    report: Report = field(default_factory=lambda: Report("crossbook demo"))
    extra: dict[str, Any] = field(default_factory=dict)


Step = tuple[str, Callable[[DemoContext], None]]


def _simulate(ctx: DemoContext) -> None:
    from crossbook.sim import simulate

    res = simulate(minutes=ctx.minutes, seed=ctx.seed)
    ctx.extra["sim"] = res
    ctx.truth = dict(res.truth)
    ctx.summary["truth"] = ctx.truth
    ctx.report.add(truth_section(ctx.truth))
    ctx.extra["sim_tables"] = res.tables


def _store(ctx: DemoContext) -> None:
    from crossbook import store

    root = ctx.out / "store"
    store.write_tables(ctx.extra["sim_tables"], root, source_id=f"sim:seed={ctx.seed}:minutes={ctx.minutes}")
    st = store.open(root)
    # everything downstream reads back from the store, as a user's own pipeline would
    ctx.tables = {t: st.scan(t).drop("date").sort("ts_local", maintain_order=True).collect() for t in TABLES}
    ctx.summary["data"] = {**data_summary(ctx.tables), "store": str(root)}
    ctx.report.add(data_section(ctx.summary["data"], str(root)))


def _market(ctx: DemoContext) -> None:
    from crossbook.book import sample_grid

    interval = 250 if ctx.minutes <= 10 else 1000
    book = ctx.tables["book"]
    grids = {}
    for venue, symbol in book.select("venue", "symbol").unique(maintain_order=True).rows():
        part = book.filter((pl.col("venue") == venue) & (pl.col("symbol") == symbol))
        grids[(venue, symbol)] = sample_grid(part, interval_ms=interval, levels=20)
    ctx.extra["grids"] = grids
    ctx.report.add(market_section(ctx.tables, grids))


def _leadlag(ctx: DemoContext) -> None:
    from crossbook.leadlag_analysis import analyze
    from crossbook.report.sections_leadlag import leadlag_section

    tr = ctx.truth
    an = analyze(
        ctx.tables,
        f"{tr['leader_venue']}:{tr['leader_symbol']}",
        f"{tr['follower_venue']}:{tr['follower_symbol']}",
        truth=tr,
    )
    ctx.extra["leadlag"] = an
    ctx.summary["leadlag"] = an.summary()
    ctx.report.add(leadlag_section(an))


def demo_backtest_config(leader: str, quoted: str):  # noqa: ANN201 - BacktestConfig
    """The demo's market maker: the engine's defaults with a 1 bp half-spread floor in every regime and
    no warm-up, so a short simulated session produces enough fills to compare; fees stay charged."""
    from crossbook.backtest import BacktestConfig
    from crossbook.quote import QuoteConfig

    regimes = {k: {**row, "spread_floor_bps": 1.0} for k, row in QuoteConfig().regimes.model_dump().items()}
    quote = QuoteConfig.model_validate({"regimes": regimes, "warmup_s": 0.0, "order_size": 0.01})
    return BacktestConfig(leader=leader, quoted=quoted, quote=quote)


def _backtest(ctx: DemoContext) -> None:
    from crossbook.backtest import compare_leadlag, counterfactual
    from crossbook.report.sections_backtest import backtest_section, backtest_summary

    tr = ctx.truth
    leader = f"{tr['leader_venue']}:{tr['leader_symbol']}"
    quoted = f"{tr['follower_venue']}:{tr['follower_symbol']}"
    cfg = demo_backtest_config(leader, quoted)
    runs = compare_leadlag(ctx.tables, cfg, out=ctx.out / "backtest")
    cf = counterfactual(ctx.tables, cfg)
    ctx.summary.update(backtest_summary(runs))
    sel = (pl.col("venue") == tr["follower_venue"]) & (pl.col("symbol") == tr["follower_symbol"])
    grid = ctx.extra.get("grids", {}).get((tr["follower_venue"], tr["follower_symbol"]))
    ctx.report.add(backtest_section(runs, counterfactual=cf, grid=grid, bbo=ctx.tables["bbo"].filter(sel)))


def _regimes(ctx: DemoContext) -> None:
    from crossbook.report.sections_regimes import regime_analysis, regimes_section

    tr = ctx.truth
    ra = regime_analysis(ctx.tables, tr["leader_venue"], tr["leader_symbol"])
    segments = ctx.extra["sim"].regimes.to_dicts() if "sim" in ctx.extra else None
    ctx.report.add(regimes_section(ra, tr["leader_venue"], tr["leader_symbol"], segments))


def _audit(ctx: DemoContext) -> None:
    from crossbook.report.sections_models import (
        attribution_text_section,
        audit_section,
        calibration_section,
        model_health_section,
    )
    from crossbook.research.run_audit import audit_run

    res = audit_run(ctx.out / "backtest" / "with_leadlag", ctx.out / "store")
    summ = res.summary()
    for key in ("calibration", "audit"):
        if key in summ:
            ctx.summary[key] = summ[key]
    if res.calibration is not None:
        ctx.report.add(model_health_section(res.calibration.health)).add(calibration_section(res.calibration))
    if res.attribution_text is not None:
        ctx.report.add(attribution_text_section(res.attribution_text))
    if res.audit is not None:
        ctx.report.add(audit_section(res.audit))


STEPS: list[Step] = [
    ("simulate the market", _simulate),
    ("ingest into the store", _store),
    ("rebuild books and draw the market", _market),
    ("measure lead-lag", _leadlag),
    ("backtest with and without lead-lag", _backtest),
    ("fit the regime model", _regimes),
    ("calibration and signal audit", _audit),
]


def run_demo(
    out: str | Path = "demo-out",
    minutes: float = 30.0,
    seed: int = 7,
    *,
    on_step: Callable[[str], None] | None = None,
    steps: list[Step] | None = None,
) -> DemoContext:
    """Run the demo pipeline and write ``out/report.html`` and ``out/summary.json``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(out=out, minutes=minutes, seed=seed)
    ctx.report.subtitle = f"simulated market, {minutes:g} minutes, seed {seed}"
    for name, fn in steps if steps is not None else STEPS:
        if on_step:
            on_step(name)
        fn(ctx)
    ctx.report.write(out / "report.html")
    write_json(out / "summary.json", ctx.summary)
    return ctx


def write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically (temp file + rename); NaN becomes null."""
    atomic_write_json(path, obj)

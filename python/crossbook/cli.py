"""The `crossbook` command line (typer): demo, ingest."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from crossbook import CrossbookError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="crossbook: cross-venue market microstructure.")
console = Console(stderr=True)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="output folder for report.html, summary.json and the store")] = Path(
        "demo-out"
    ),
    minutes: Annotated[float, typer.Option(help="simulated minutes")] = 30.0,
    seed: Annotated[int, typer.Option(help="random seed of the simulator")] = 7,
) -> None:
    """Simulate a two-venue market with known ground truth, store it, and write a report."""
    from crossbook.demo import STEPS, run_demo

    t0 = time.perf_counter()
    with _progress() as prog:
        task = prog.add_task("demo", total=len(STEPS))
        seen: list[str] = []

        def on_step(name: str) -> None:
            if seen:
                prog.advance(task)
            seen.append(name)
            prog.update(task, description=name)

        ctx = run_demo(out, minutes=minutes, seed=seed, on_step=on_step)
        prog.update(task, completed=len(STEPS), description="done")
    _print_summary(ctx.summary, out, time.perf_counter() - t0)


def _print_summary(summary: dict, out: Path, secs: float) -> None:
    t = Table(title="crossbook demo", show_header=True)
    t.add_column("key")
    t.add_column("value")
    truth = summary.get("truth", {})
    for k in ("leader_venue", "follower_venue", "lag_ms", "lag_ms_local", "beta"):
        if k in truth:
            t.add_row(f"truth.{k}", str(truth[k]))
    for k, v in summary.get("data", {}).get("tables", {}).items():
        t.add_row(f"rows.{k}", f"{v:,}")
    for method, res in summary.get("leadlag", {}).items():
        if isinstance(res, dict) and "lag_ms" in res:
            t.add_row(f"leadlag.{method}.lag_ms", f"{res['lag_ms']}")
    console.print(t)
    console.print(f"report:  {out / 'report.html'}\nsummary: {out / 'summary.json'}\n({secs:.1f} s)")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="capture / CSV / archive files (any supported format)")],
    store: Annotated[Path, typer.Option("--store", help="store folder (created if absent)")],
    skip_bad_lines: Annotated[
        bool, typer.Option("--skip-bad-lines", help="count and skip bad lines instead of stopping")
    ] = False,
) -> None:
    """Read files (format detected from content) into a hive-partitioned Parquet store."""
    from crossbook import store as store_mod

    files = [p for p in paths]
    with _progress() as prog:
        task = prog.add_task("ingest", total=len(files))

        def on_file(name: str) -> None:
            prog.update(task, description=f"ingest {Path(name).name}")

        rep = None
        try:
            rep = store_mod.ingest(
                files, store, errors="skip" if skip_bad_lines else "raise", progress=lambda n: on_file(n)
            )
        finally:
            prog.update(task, completed=rep.files if rep else 0)
    console.print(rep)
    for src, line, kind, msg in rep.skipped_lines[:20]:
        console.print(f"[yellow]skipped[/] {src}:{line} [{kind}] {msg}")
    if len(rep.skipped_lines) > 20:
        console.print(f"[yellow]... {len(rep.skipped_lines) - 20} more skipped lines[/]")
    print(json.dumps({"files": rep.files, "already_present": rep.files_skipped, "rows": rep.rows_written}))


def _time_ns(text: str | None) -> int | None:
    """ns since epoch from an integer (s/ms/µs/ns by magnitude) or an ISO-8601 UTC time."""
    if text is None:
        return None
    if text.lstrip("-").isdigit():
        v = int(text)
        for unit in (10**9, 10**6, 10**3, 1):
            if abs(v) * unit >= 10**17 or unit == 1:
                return v * unit
    import datetime as dt

    try:
        d = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as e:
        raise typer.BadParameter(f"{text!r} is neither an epoch integer nor an ISO-8601 time") from e
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.UTC)
    return int(d.timestamp() * 1e9)


@app.command()
def leadlag(
    store: Annotated[Path, typer.Option("--store", help="store folder written by `crossbook ingest`")],
    leader: Annotated[str, typer.Option(help="VENUE:SYMBOL of the leader, e.g. binance-futures:BTCUSDT")],
    follower: Annotated[str, typer.Option(help="VENUE:SYMBOL of the follower, e.g. binance:BTCUSDT")],
    out: Annotated[Path, typer.Option(help="output folder for report.html and summary.json")] = Path("leadlag-out"),
    start: Annotated[str | None, typer.Option(help="start time (ISO-8601 UTC or epoch)")] = None,
    end: Annotated[str | None, typer.Option(help="end time (ISO-8601 UTC or epoch)")] = None,
    clock: Annotated[str, typer.Option(help="local (receive time) or exchange")] = "local",
    max_lag_ms: Annotated[float, typer.Option(help="lag grid half-width, ms")] = 1000.0,
    step_ms: Annotated[float, typer.Option(help="lag grid step, ms")] = 1.0,
    price: Annotated[str, typer.Option(help="weighted_mid (size-weighted) or mid")] = "weighted_mid",
) -> None:
    """Who leads whom, by how much and how reliably: every lead-lag estimator on one pair."""
    import polars as pl

    from crossbook import store as store_mod
    from crossbook.demo import write_json
    from crossbook.leadlag_analysis import analyze, parse_instrument
    from crossbook.report import Report
    from crossbook.report.sections_data import data_section, data_summary
    from crossbook.report.sections_leadlag import leadlag_section

    if clock not in ("local", "exchange"):
        raise typer.BadParameter("--clock must be 'local' or 'exchange'")
    t0, t1 = _time_ns(start), _time_ns(end)
    st = store_mod.open(store)
    pairs = [parse_instrument(leader), parse_instrument(follower)]
    sel = pl.any_horizontal([(pl.col("venue") == v) & (pl.col("symbol") == s) for v, s in pairs])
    ts = "ts_local" if clock == "local" else "ts_exchange"
    with _progress() as prog:
        task = prog.add_task("load from store", total=2)
        tables = {}
        for t in ("bbo", "trade", "book", "ticker"):
            q = st.scan(t).filter(sel)
            if t0 is not None:
                q = q.filter(pl.col(ts) >= t0)
            if t1 is not None:
                q = q.filter(pl.col(ts) < t1)
            tables[t] = q.drop("date").sort("ts_local", maintain_order=True).collect()
        prog.update(task, advance=1, description="run estimators")
        an = analyze(
            tables,
            leader,
            follower,
            clock=clock,  # type: ignore[arg-type]
            max_lag_ms=max_lag_ms,
            step_ms=step_ms,
            price=price,  # type: ignore[arg-type]
        )
        prog.update(task, advance=1, description="done")
    out.mkdir(parents=True, exist_ok=True)
    summary = {"data": data_summary(tables), "leadlag": an.summary()}
    rep = Report(f"crossbook lead-lag: {leader} → {follower}", f"store {store}")
    rep.add(leadlag_section(an)).add(data_section(summary["data"], str(store)))
    rep.write(out / "report.html")
    write_json(out / "summary.json", summary)
    console.print(repr(an))
    console.print(f"report:  {out / 'report.html'}\nsummary: {out / 'summary.json'}")


@app.command()
def backtest(
    store: Annotated[Path, typer.Option("--store", help="store folder written by `crossbook ingest`")],
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML file of a BacktestConfig (defaults when omitted)")
    ] = None,
    out: Annotated[Path, typer.Option(help="run folder (summary.json, *.parquet, report.html)")] = Path("backtest-out"),
    compare: Annotated[
        bool, typer.Option("--compare/--no-compare", help="also run without lead-lag (out/with_leadlag, ...)")
    ] = False,
    start: Annotated[str | None, typer.Option(help="start time (ISO-8601 UTC or epoch)")] = None,
    end: Annotated[str | None, typer.Option(help="end time (ISO-8601 UTC or epoch)")] = None,
) -> None:
    """Backtest the quote engine on the store: fills, PnL, attribution, records in the run folder."""
    from crossbook.backtest import BacktestConfig, compare_leadlag, run_backtest
    from crossbook.report import Report
    from crossbook.report.sections_backtest import backtest_section

    cfg = BacktestConfig.from_toml(config) if config is not None else BacktestConfig()
    changes = {k: v for k, v in (("start", _time_ns(start)), ("end", _time_ns(end))) if v is not None}
    if changes:
        cfg = cfg.with_(**changes)
    t0 = time.perf_counter()
    if compare:
        cmp = compare_leadlag(store, cfg, out=out)
        runs = cmp["results"]
    else:
        res = run_backtest(store, cfg, out=out)
        runs = {"with_leadlag" if cfg.leadlag else "without_leadlag": res}
    rep = Report(f"crossbook backtest: {cfg.quoted} led by {cfg.leader}", f"store {store}")
    rep.add(backtest_section(runs))
    rep.write(out / "report.html")
    t = Table(title="crossbook backtest", show_header=True)
    t.add_column("run")
    for col in ("pnl", "sharpe", "fills", "spread capture", "adverse sel.", "inventory", "fees", "events/s"):
        t.add_column(col, justify="right")
    for name, r in runs.items():
        b, a = r.backtest, r.summary["attribution"]
        t.add_row(
            name,
            f"{b['pnl']:.4f}",
            f"{b['sharpe']:.2f}" if b["sharpe"] is not None else "-",
            f"{b['fills']:,}",
            f"{a['spread_capture']:.4f}",
            f"{a['adverse_selection']:.4f}",
            f"{a['inventory']:.4f}",
            f"{a['fees']:.4f}",
            f"{r.events_per_s:,.0f}",
        )
    console.print(t)
    console.print(f"run folder: {out}  ({time.perf_counter() - t0:.1f} s)")


@app.command()
def audit(
    run: Annotated[Path, typer.Option("--run", help="backtest run folder (predictions, fills, attribution)")],
    out: Annotated[Path, typer.Option("--out", help="output folder for report.html, summary.json and texts")],
    store: Annotated[
        Path | None, typer.Option("--store", help="store with the market data (default: found from the run)")
    ] = None,
) -> None:
    """Calibration, PnL attribution report and signal audit of a backtest run."""
    from crossbook.demo import write_json
    from crossbook.report import Report
    from crossbook.report.sections_models import (
        attribution_text_section,
        audit_section,
        calibration_section,
        model_health_section,
    )
    from crossbook.research.run_audit import audit_run

    with _progress() as prog:
        task = prog.add_task("audit", total=1)
        res = audit_run(run, store)
        prog.update(task, completed=1, description="done")
    for m in res.messages:
        console.print(f"[yellow]•[/] {m}" if "skipped" in m or "not scored" in m else f"• {m}")
    if res.calibration is None and res.audit is None and res.attribution_text is None:
        console.print(f"[red]error:[/] nothing to audit in {run}")
        raise typer.Exit(2)
    out.mkdir(parents=True, exist_ok=True)
    rep = Report(f"crossbook audit: {run}", "calibration, attribution, signal audit")
    if res.calibration is not None:
        rep.add(model_health_section(res.calibration.health)).add(calibration_section(res.calibration))
        _print_health(res.calibration.health)
    if res.attribution_text is not None:
        rep.add(attribution_text_section(res.attribution_text))
        (out / "attribution.txt").write_text(res.attribution_text, encoding="utf-8")
        console.print(res.attribution_text)
    if res.audit is not None:
        rep.add(audit_section(res.audit))
        (out / "audit.txt").write_text(res.audit.text(), encoding="utf-8")
        console.print(res.audit.text())
    rep.write(out / "report.html")
    write_json(out / "summary.json", res.summary())
    console.print(f"report:  {out / 'report.html'}\nsummary: {out / 'summary.json'}")


def _print_health(health) -> None:  # noqa: ANN001 - polars frame
    t = Table(title="Model Health Monitor", show_header=True)
    for c in ("model", "n", "Brier", "IR", "status"):
        t.add_column(c)
    for r in health.iter_rows(named=True):
        t.add_row(r["model"], f"{r['n']:,}", f"{r['brier']:.3f}", f"{r['information_ratio']:.3f}", f"[{r['status']}]")
    console.print(t)


def main() -> None:
    try:
        app()
    except CrossbookError as e:
        console.print(f"[red]error:[/] {type(e).__name__}: {e}")
        sys.exit(2)
    except FileNotFoundError as e:
        console.print(f"[red]error:[/] {e}")
        sys.exit(2)


if __name__ == "__main__":
    main()

"""``crossbook audit --run DIR``: the measurement layer on a backtest run folder.

Reads what the run folder holds and does what it can, saying why for the rest:

- ``RUN/predictions.parquet`` → calibration (:func:`crossbook.research.calibration.calibrate_predictions`);
  models whose columns are missing are listed with the reason;
- ``RUN/attribution.parquet`` → the daily PnL attribution report
  (:func:`crossbook.research.attribution_report.attribution_report`);
- the market data → the signal audit (:func:`crossbook.research.audit.audit`), with
  ``RUN/fills.parquet`` (if present) for the ``AdverseSelectionOnNextFill`` target.

The store is ``--store``, else the ``store`` entry of ``RUN/run.json``, else ``RUN/store`` or
``RUN/../store`` (the demo's layout). The audited (quoted) instrument is ``instrument`` in ``run.json``,
else the ``venue``/``symbol`` of the fills or predictions, else the store's only instrument; the leader is
``leader`` in ``run.json``, else the store's other instrument with the most quotes (none if there is no
other).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

__all__ = ["RunAudit", "audit_run"]


@dataclass
class RunAudit:
    """What :func:`audit_run` produced: the calibration report, the attribution text, the audit result
    (each None when not produced) and messages saying what was skipped and why."""

    calibration: Any = None
    attribution_text: str | None = None
    audit: Any = None
    messages: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """summary.json of ``crossbook audit``: ``calibration`` and ``audit`` (DESIGN.md) when produced, and
        ``messages``."""
        out: dict[str, Any] = {}
        if self.calibration is not None:
            out["calibration"] = self.calibration.summary()
        if self.audit is not None:
            out["audit"] = self.audit.summary()
        out["messages"] = self.messages
        return out


def _run_json(run: Path) -> dict[str, Any]:
    """``RUN/run.json``, else the instruments of a ``crossbook.backtest`` run's ``summary.json`` config."""
    for name in ("run.json", "summary.json"):
        p = run / name
        if not p.is_file():
            continue
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if not isinstance(d, dict):
            continue
        if name == "summary.json":
            cfg = d.get("config") if isinstance(d.get("config"), dict) else {}
            return {k: v for k, v in (("instrument", cfg.get("quoted")), ("leader", cfg.get("leader"))) if v}
        return d
    return {}


def _find_store(run: Path, store: Path | None, meta: dict[str, Any]) -> Path | None:
    cands = [store] if store is not None else []
    if isinstance(meta.get("store"), str):
        cands.append(Path(meta["store"]))
    cands += [run / "store", run.parent / "store"]
    return next((c for c in cands if c is not None and c.is_dir()), None)


def _instrument_of(df: pl.DataFrame | None) -> str | None:
    if df is None or not {"venue", "symbol"} <= set(df.columns):
        return None
    pairs = df.select("venue", "symbol").unique().rows()
    return f"{pairs[0][0]}:{pairs[0][1]}" if len(pairs) == 1 else None


def _load(st: Any, instruments: list[str]) -> dict[str, pl.DataFrame]:
    sel = pl.any_horizontal(
        [(pl.col("venue") == i.split(":", 1)[0]) & (pl.col("symbol") == i.split(":", 1)[1]) for i in instruments]
    )
    out = {}
    have = st.tables()
    for t in ("bbo", "book", "trade"):
        if t in have:
            df = st.scan(t).filter(sel).collect()
            out[t] = df.drop("date", strict=False).sort("ts_local", maintain_order=True)
    return out


def audit_run(run: str | Path, store: str | Path | None = None, **audit_kwargs: Any) -> RunAudit:
    """Calibration, attribution report and signal audit of a run folder (see the module docs)."""
    from crossbook import store as store_mod
    from crossbook.research.attribution_report import attribution_report, read_attribution
    from crossbook.research.audit import audit
    from crossbook.research.calibration import calibrate_predictions
    from crossbook.research.signal_catalog import SignalCatalog, load_fills

    run = Path(run)
    if not run.is_dir():
        raise FileNotFoundError(f"run folder {run} does not exist")
    res = RunAudit()
    meta = _run_json(run)
    preds_path = run / "predictions.parquet"
    preds = pl.read_parquet(preds_path) if preds_path.is_file() else None
    if preds is None:
        res.messages.append(f"calibration skipped: {preds_path} not found")
    else:
        rep = calibrate_predictions(preds)
        if rep.models:
            res.calibration = rep
        else:
            res.messages.append(f"calibration: no model could be scored from {preds_path} (columns: {preds.columns})")
        for m, why in rep.missing.items():
            res.messages.append(f"calibration: {m} not scored — {why}")
    try:
        table = read_attribution(run)
        cal = res.calibration.summary() if res.calibration is not None else None
        res.attribution_text = attribution_report(table, calibration=cal)
    except FileNotFoundError as e:
        res.messages.append(f"attribution report skipped: {e}")
    except Exception as e:  # noqa: BLE001 - a bad table only skips this part, with the reason
        res.messages.append(f"attribution report skipped: {type(e).__name__}: {e}")
    fills = load_fills(run)
    root = _find_store(run, Path(store) if store is not None else None, meta)
    if root is None:
        res.messages.append("signal audit skipped: no store (pass --store DIR)")
        return res
    st = store_mod.open(root)
    if "bbo" not in st.tables():
        res.messages.append(f"signal audit skipped: the store {root} has no bbo table")
        return res
    counts = st.scan("bbo").group_by("venue", "symbol").agg(pl.len().alias("n")).sort("n", descending=True).collect()
    names = [f"{v}:{s}" for v, s, _ in counts.rows()]
    target = meta.get("instrument") or _instrument_of(fills) or _instrument_of(preds)
    if target is None and len(names) == 1:
        target = names[0]
    if target is None or target not in names:
        res.messages.append(
            f"signal audit skipped: cannot tell which instrument the run quoted (store holds {names}); "
            'put "instrument": "VENUE:SYMBOL" in RUN/run.json or use crossbook.research.audit.signal_audit'
        )
        return res
    leader = meta.get("leader") or next((n for n in names if n != target), None)
    tables = _load(st, [target] + ([leader] if leader else []))
    cat = SignalCatalog.from_tables(tables, target, leader)
    res.audit = audit(cat, fills=fills, **audit_kwargs)
    res.messages.append(f"signal audit: {target}" + (f" with leader {leader}" if leader else " (no leader)"))
    return res

"""`crossbook demo` end to end: both files written, summary keys per the public contract, report offline."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path


def test_demo_writes_report_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    cmd = [sys.executable, "-m", "crossbook.cli", "demo", "--out", str(out), "--minutes", "3", "--seed", "5"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert {"truth", "data", "leadlag", "backtest", "attribution", "calibration", "audit"} <= set(summary)
    for model in summary["calibration"].values():
        assert {"brier", "reliability", "resolution", "uncertainty", "information_ratio"} <= set(model)
    assert all({"signal", "target", "mi_bits", "corr", "lag_ms"} <= set(r) for r in summary["audit"])
    for run in ("with_leadlag", "without_leadlag"):
        b = summary["backtest"][run]
        assert {"pnl", "sharpe", "fills", "spread_capture", "adverse_selection_rate"} <= set(b)
        a = summary["attribution"][run]
        parts = ("spread_capture", "adverse_selection", "inventory", "fees", "funding")
        assert abs(sum(a[k] for k in parts) - a["total"]) <= 1e-9 * max(1.0, abs(a["total"]))
        assert abs(a["total"] - b["pnl"]) <= 1e-9 * max(1.0, abs(b["pnl"]))
    truth = summary["truth"]
    for k in ("leader_venue", "follower_venue", "lag_ms", "lag_ms_local", "lag_ms_exchange", "beta"):
        assert k in truth
    assert truth["seed"] == 5 and truth["minutes"] == 3
    tables = summary["data"]["tables"]
    assert tables["bbo"] > 1000 and tables["book"] > 10_000 and tables["trade"] > 100
    # the store the demo wrote holds exactly what the summary counts
    import crossbook.store

    st = crossbook.store.open(out / "store")
    assert st.bbo.collect().height == tables["bbo"]
    for method in ("hayashi_yoshida", "jumps_native", "jumps_grid", "xcorr_grid", "streaming"):
        assert isinstance(summary["leadlag"][method]["lag_ms"], float)
    assert abs(summary["leadlag"]["hayashi_yoshida"]["lag_ms"] - truth["lag_ms_local"]) <= truth["follower_block_ms"]
    html = (out / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "src=" not in html.split("<script", 1)[0]  # no external resources before the inlined plotly.js
    assert "<script src=" not in html and "<link " not in html  # everything inlined
    for anchor in (
        'id="truth"',
        'id="data"',
        'id="market"',
        'id="leadlag"',
        'id="backtest"',
        'id="regimes"',
        "book heatmap",
    ):
        assert anchor in html
    mode = stat.S_IMODE((out / "report.html").stat().st_mode)
    assert mode & stat.S_IRGRP  # readable by others, not mkstemp's 0600

"""Simulator throughput from Python: events (rows over all tables) per second for 30 simulated minutes.

Times `crossbook.sim.simulate` end to end (Rust core, GIL released, numpy hand-over, polars frames)
and the core alone (`_core.simulate_market`, no frame building). No peer: nothing else simulates this
market; the row is the "Simulator events per second" line of benches/RESULTS.md.

Writes benches/results/sim.json and prints a markdown row.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from crossbook import _core
    from crossbook.sim import make_config, simulate

    cfg_json = make_config(minutes=args.minutes, seed=args.seed).model_dump_json()
    full, core = [], []
    res = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        res = simulate(minutes=args.minutes, seed=args.seed)
        full.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        _core.simulate_market(cfg_json)
        core.append(time.perf_counter() - t0)
    assert res is not None
    events = sum(res.tables.counts().values())
    t_full, t_core = float(np.median(full)), float(np.median(core))
    row = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "command": f"python benches/bench_sim.py --minutes {args.minutes:g} --seed {args.seed}",
        "minutes": args.minutes,
        "events": events,
        "rows": res.tables.counts(),
        "simulate_s": t_full,
        "core_s": t_core,
        "events_per_s": events / t_full,
        "core_events_per_s": events / t_core,
        "sim_minutes_per_wall_s": args.minutes / t_full,
    }
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "sim.json").write_text(json.dumps(row, indent=2))
    print(json.dumps(row, indent=2))
    print(
        f"| Simulator, {args.minutes:g} simulated min, {events:,} events | "
        f"simulate() {t_full:.2f} s = {row['events_per_s'] / 1e6:.2f} M events/s | "
        f"core {t_core:.2f} s = {row['core_events_per_s'] / 1e6:.2f} M events/s |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""HY lead-lag contrast: crossbook vs PyPI `lead-lag` 2.3 on the same simulated hour.

Data: one simulated hour from `crossbook.sim.simulate` (leader binance-futures:BTCUSDT, follower
hyperliquid:BTC), mid changes only, on ts_local. Lags: 2001 at 1 ms (−1000..1000 ms).

`lead-lag` floors timestamps to its precision (1 ms here), prunes ticks closer than that precision to their
successor (about 1 % of ticks here), adds 1e-8 to each norm, and returns |contrast|. Curves are compared
twice: on the peer's own pre-processed ticks (identical input: the curves must agree to the 1e-8 norm guard)
and on our floored native ticks (the difference is the peer's pruning). Both run single-call, in this process;
`lead-lag` uses one thread (`slow_inference`), we use rayon over the machine's cores — the row says how many.

Install the peer: `pip install cython wheel setuptools pandas && pip install --no-build-isolation lead-lag`.
Writes benches/results/hy.json and prints a markdown row.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _series(minutes: float, seed: int):
    from crossbook.leadlag_analysis import price_series
    from crossbook.sim import simulate

    r = simulate(minutes=minutes, seed=seed)
    tr = r.truth
    a = price_series(r.tables["bbo"], tr["leader_venue"], tr["leader_symbol"])
    b = price_series(r.tables["bbo"], tr["follower_venue"], tr["follower_symbol"])
    return a, b, tr


def _floor_first(t: np.ndarray, v: np.ndarray, unit_ns: int) -> tuple[np.ndarray, np.ndarray]:
    tf = (t // unit_ns) * unit_ns
    keep = np.ones(tf.size, dtype=bool)
    keep[1:] = tf[1:] != tf[:-1]  # first of equal floored times, as lead-lag does
    return tf[keep], v[keep]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--max-lag-ms", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from crossbook.leadlag import hy_contrast

    a, b, truth = _series(args.minutes, args.seed)
    lags_ms = np.arange(-args.max_lag_ms, args.max_lag_ms + 1)
    lags_ns = lags_ms * 1_000_000
    tx, x = _floor_first(a.t, a.logmid, 1_000_000)
    ty, y = _floor_first(b.t, b.logmid, 1_000_000)

    ours = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        c_ours = hy_contrast(tx, x, ty, y, lags_ns)
        ours.append(time.perf_counter() - t0)
    t_ours = float(np.median(ours))
    c_raw = hy_contrast(a.t, a.logmid, b.t, b.logmid, lags_ns)

    row = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores",
        "leader_ticks": int(a.t.size),
        "follower_ticks": int(b.t.size),
        "lags": int(lags_ns.size),
        "crossbook_s": t_ours,
        "crossbook_lag_ms_floored": float(lags_ms[np.argmax(np.abs(c_ours))]),
        "crossbook_lag_ms_native": float(lags_ms[np.argmax(np.abs(c_raw))]),
        "truth_lag_ms_local": truth.get("lag_ms_local"),
    }
    try:
        import pandas as pd
        from lead_lag import LeadLag
    except ImportError as e:
        row["peer"] = f"lead-lag not installed ({e})"
    else:
        s1 = pd.Series(a.logmid, index=pd.to_datetime(a.t, unit="ns"))
        s2 = pd.Series(b.logmid, index=pd.to_datetime(b.t, unit="ns"))
        ll = LeadLag(s1, s2, max_lag=args.max_lag_ms / 1000, min_precision=0.001)
        t0 = time.perf_counter()
        ll.run_inference(num_threads=1)
        t_peer = time.perf_counter() - t0
        peer = np.asarray(ll.contrasts)
        ours_abs = np.abs(c_ours)
        px, py = np.asarray(ll.t_x, dtype=np.int64), np.asarray(ll.t_y, dtype=np.int64)
        same = np.abs(hy_contrast(px * 1_000_000, ll.x[px], py * 1_000_000, ll.y[py], lags_ns))
        row.update(
            {
                "peer": "lead-lag 2.3 (slow_inference, 1 thread)",
                "peer_s": t_peer,
                "peer_lag_ms": float(ll.lead_lag * 1000) if ll.lead_lag is not None else None,
                "speedup": t_peer / t_ours,
                "max_rel_curve_diff_same_input": float(np.max(np.abs(same - peer)) / np.max(peer)),
                "max_rel_curve_diff_native_floored": float(np.max(np.abs(ours_abs - peer)) / np.max(peer)),
            }
        )
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "hy.json").write_text(json.dumps(row, indent=2))
    print(json.dumps(row, indent=2))
    if "peer_s" in row:
        print(
            f"| HY contrast, {row['leader_ticks']:,}+{row['follower_ticks']:,} ticks, {row['lags']} lags | "
            f"crossbook {row['crossbook_s'] * 1e3:.1f} ms | lead-lag {row['peer_s']:.2f} s | "
            f"{row['speedup']:.0f}× | curve max rel. diff {row['max_rel_curve_diff_same_input']:.1e} (same input) |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

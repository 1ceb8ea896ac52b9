"""KSG mutual information: crossbook vs scikit-learn's ``mutual_info_regression`` on the same data.

Data: a correlated Gaussian pair (ρ = 0.6, closed form −½·log₂(1 − ρ²) = 0.3219 bits) at n = 10 000,
100 000 (the budget row: at least 20× faster, single-threaded too) and 1 000 000, k = 3. scikit-learn adds
noise to the scaled data and has no switch for it: it is disabled by passing a ``RandomState`` whose
normal draws are zero, so both estimators see identical input and must agree to 1e-9 bits (checked and
recorded). Timing is the median of repeated single calls — crossbook's public ``mutual_information``
(Python checks included; Rust, rayon) and scikit-learn's (single-threaded for one feature; ``n_jobs``
only parallelises over features). crossbook keeps its working buffers between calls, so its first call
at a size (recorded too) pays for fresh memory that the repeated calls do not.

crossbook runs once per rayon thread count of ``--threads`` (default 1 and 2), each in a child process
started with ``RAYON_NUM_THREADS`` set (rayon sizes its pool once per process); scikit-learn runs in this
process between them. ``--busy`` keeps one core busy with a spinning process while crossbook is timed
(the other core's load on a shared machine). The machine is shared: the load average is recorded at the
start and the end, and both sides are measured in the same run.

Writes benches/results/mi.json (one row per size and thread count) and prints a markdown row for each.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


class _NoNoise(np.random.RandomState):
    def standard_normal(self, size=None, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        return np.zeros(size)


def _median_time(fn, repeat: int) -> tuple[float, float, object]:  # noqa: ANN001
    ts, v = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        v = fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)), float(min(ts)), v


def _pair(n: int, rho: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n)
    return x, rho * x + math.sqrt(1 - rho**2) * rng.standard_normal(n)


def _child(n: int, k: int, rho: float, repeat: int) -> None:
    """Time crossbook alone (this process's rayon pool has the size the parent asked for)."""
    from crossbook.research.audit import mutual_information

    x, y = _pair(n, rho)
    mutual_information(x[:1000], y[:1000], k)  # start the thread pool
    t0 = time.perf_counter()
    mutual_information(x, y, k)  # the first call at this size also allocates the working buffers
    first = time.perf_counter() - t0
    t, t_min, v = _median_time(lambda: mutual_information(x, y, k), repeat)
    print(json.dumps({"s": t, "min_s": t_min, "first_s": first, "mi_bits": v}))


def _ours(n: int, args: argparse.Namespace, threads: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", "--sizes", str(n), "--k", str(args.k), "--rho", str(args.rho)]
    cmd += ["--repeat", str(args.repeat)]
    env = {**os.environ, "RAYON_NUM_THREADS": str(threads)}
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--rho", type=float, default=0.6)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--peer-repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="rayon thread counts for crossbook")
    ap.add_argument("--busy", action="store_true", help="keep one core busy while crossbook is timed")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.sizes[0], args.k, args.rho, args.repeat)
        return 0

    import sklearn
    from sklearn.feature_selection import mutual_info_regression

    load_start = os.getloadavg()
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
    rows = []
    try:
        for n in args.sizes:
            x, y = _pair(n, args.rho)
            X = x.reshape(-1, 1)

            def peer() -> float:
                nats = mutual_info_regression(X, y, n_neighbors=args.k, random_state=_NoNoise(0))[0]  # noqa: B023
                return float(nats) / math.log(2)

            ours = {}
            for i, threads in enumerate(args.threads):
                ours[threads] = _ours(n, args, threads)
                if i == 0:  # the peer between crossbook's runs
                    t_peer, t_peer_min, theirs = _median_time(peer, args.peer_repeat)
            for threads, o in ours.items():
                row = {
                    "n": n,
                    "k": args.k,
                    "threads": threads,
                    "crossbook_s": o["s"],
                    "crossbook_min_s": o["min_s"],
                    "crossbook_first_call_s": o["first_s"],
                    "peer_s": t_peer,
                    "peer_min_s": t_peer_min,
                    "speedup": t_peer / o["s"],
                    "mi_bits": o["mi_bits"],
                    "peer_mi_bits": theirs,
                    "abs_diff_bits": abs(float(o["mi_bits"]) - float(theirs)),  # type: ignore[arg-type]
                    "closed_form_bits": -0.5 * math.log2(1 - args.rho**2),
                }
                rows.append(row)
                print(
                    f"| KSG MI, n = {n:,}, k = {args.k}, {threads} thread{'s' if threads > 1 else ''} | crossbook "
                    f"{o['s'] * 1e3:.1f} ms | scikit-learn {sklearn.__version__} {t_peer * 1e3:.0f} ms | "
                    f"**{row['speedup']:.1f}×** | |Δ| = {row['abs_diff_bits']:.1e} bits |",
                    flush=True,
                )
    finally:
        if spinner is not None:
            spinner.kill()
    out = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores",
        "load_avg_at_start": load_start[0],
        "load_avg_at_end": os.getloadavg()[0],
        "peer": f"scikit-learn {sklearn.__version__} mutual_info_regression (noise disabled)",
        "threads": args.threads,
        "busy_core": args.busy,
        "rows": rows,
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "mi.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0 if all(r["abs_diff_bits"] < 1e-9 for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

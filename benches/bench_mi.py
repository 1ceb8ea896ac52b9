"""KSG mutual information: crossbook vs scikit-learn's ``mutual_info_regression`` on the same data.

Data: a correlated Gaussian pair (ρ = 0.6, closed form −½·log₂(1 − ρ²) = 0.3219 bits) at n = 10 000,
100 000 (the budget row: at least 20× faster) and 1 000 000, k = 3. scikit-learn adds noise to the scaled
data and has no switch for it: it is disabled by passing a ``RandomState`` whose normal draws are zero, so
both estimators see identical input and must agree to 1e-9 bits (checked and recorded). Timing is the
median of repeated single calls in this process — crossbook's public ``mutual_information`` (Python
checks included; Rust, rayon over the machine's cores) and scikit-learn's (single-threaded for one
feature; ``n_jobs`` only parallelises over features). The load average at the start is recorded: the
machine is shared, and both sides are measured alternately in the same run.

Writes benches/results/mi.json and prints a markdown row per size.
"""

from __future__ import annotations

import argparse
import json
import math
import os
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--rho", type=float, default=0.6)
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--peer-repeat", type=int, default=3)
    args = ap.parse_args()

    import sklearn
    from sklearn.feature_selection import mutual_info_regression

    from crossbook.research.audit import mutual_information

    rows = []
    for n in args.sizes:
        rng = np.random.default_rng(n)
        x = rng.standard_normal(n)
        y = args.rho * x + math.sqrt(1 - args.rho**2) * rng.standard_normal(n)
        mutual_information(x[:1000], y[:1000], args.k)  # warm the thread pool
        t_ours, t_ours_min, ours = _median_time(lambda: mutual_information(x, y, args.k), args.repeat)  # noqa: B023
        X = x.reshape(-1, 1)

        def peer() -> float:
            return float(mutual_info_regression(X, y, n_neighbors=args.k, random_state=_NoNoise(0))[0]) / math.log(2)  # noqa: B023

        t_peer, t_peer_min, theirs = _median_time(peer, args.peer_repeat)
        row = {
            "n": n,
            "k": args.k,
            "crossbook_s": t_ours,
            "crossbook_min_s": t_ours_min,
            "peer_s": t_peer,
            "peer_min_s": t_peer_min,
            "speedup": t_peer / t_ours,
            "mi_bits": ours,
            "peer_mi_bits": theirs,
            "abs_diff_bits": abs(float(ours) - float(theirs)),  # type: ignore[arg-type]
            "closed_form_bits": -0.5 * math.log2(1 - args.rho**2),
        }
        rows.append(row)
        print(
            f"| KSG MI, n = {n:,}, k = {args.k} | crossbook {t_ours * 1e3:.1f} ms | scikit-learn "
            f"{sklearn.__version__} {t_peer * 1e3:.0f} ms | **{row['speedup']:.1f}×** | "
            f"|Δ| = {row['abs_diff_bits']:.1e} bits |",
            flush=True,
        )
    out = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores",
        "load_avg_at_start": os.getloadavg()[0],
        "peer": f"scikit-learn {sklearn.__version__} mutual_info_regression (noise disabled)",
        "threads": os.environ.get("RAYON_NUM_THREADS", str(os.cpu_count())),
        "rows": rows,
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "mi.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0 if all(r["abs_diff_bits"] < 1e-9 for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

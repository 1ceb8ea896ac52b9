"""Hawkes fit time vs PyPI ``tick``'s ``HawkesExpKern`` at the same fixed decay.

Data: event times from our Ogata simulator (μ = 0.5/s, branching 0.6, β = 3/s), N ≈ 10 k, 100 k, 1 M.
Timed (median and best of ``--repeat`` runs, wall clock; the machine is shared, so the best run is the
less noisy figure; crossbook's passes over the data use both cores above 32 768 events, tick runs
single-threaded):

- ``crossbook.models.fit_hawkes_exp(t, T, beta=3, gof=False)`` — exact MLE of (μ, α) at fixed β
  (Newton, exact Hessian; the O(N) recursion is computed once); also timed with the default
  ``gof=True`` (adds the time-rescaling KS test, which tick does not do);
- ``tick.hawkes.HawkesExpKern(decays=3, gofit="likelihood", solver="bfgs")`` — the same estimator
  (maximum likelihood at a fixed decay); tick's default likelihood solver ``agd`` fails on this data
  ("the sum of the influence on someone cannot be negative"), BFGS is the one that runs;
- ``HawkesExpKern(decays=3)`` — tick's default ``gofit="least-squares"`` (a different, cheaper
  contrast; listed for completeness);
- ``fit_hawkes_exp(t, T)`` — our full 3-parameter fit (β too), which ``HawkesExpKern`` cannot do.

Every fit observes ``[0, last event]`` (tick's window). The estimates of both likelihood fits are
recorded so the comparison is on equal answers. tick
0.8.0.2 imports ``numpydoc`` and ``six`` without declaring them: ``pip install tick numpydoc six``.
If tick cannot be imported the JSON says so and only our timings are written.

Writes benches/results/hawkes.json and prints markdown rows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
MU, ALPHA, BETA = 0.5, 0.6, 3.0


BEST: dict[int, float] = {}


def timed(f: Any, repeat: int) -> tuple[float, Any]:
    """Median wall time of ``repeat`` runs (the best run is kept in ``BEST[id(result)]``)."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    BEST[id(out)] = float(np.min(times))
    return float(np.median(times)), out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10000,100000,1000000", help="target event counts")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from crossbook.models import fit_hawkes_exp, hawkes_loglik, simulate_hawkes_exp

    tick_info: dict[str, Any] = {"available": False}
    try:
        import tick  # type: ignore[import-not-found]
        from tick.hawkes import HawkesExpKern  # type: ignore[import-not-found]

        tick_info = {"available": True, "version": getattr(tick, "__version__", "?")}
    except Exception as e:  # an import failure is a result to report, not a crash
        tick_info = {"available": False, "error": f"{type(e).__name__}: {e}"}
        HawkesExpKern = None

    rate = MU / (1 - ALPHA)
    rows = []
    for n_target in (int(x) for x in args.sizes.split(",")):
        horizon = n_target / rate
        t = simulate_hawkes_exp(MU, ALPHA, BETA, horizon, seed=1)
        # tick ends the observation window at the last event: use the same window for every fit
        horizon = float(t[-1])
        rep = args.repeat if n_target <= 100_000 else max(1, args.repeat // 2)
        ours_s, ours = timed(lambda t=t, h=horizon: fit_hawkes_exp(t, h, beta=BETA, gof=False), rep)
        gof_s, _ = timed(lambda t=t, h=horizon: fit_hawkes_exp(t, h, beta=BETA), rep)
        full_s, full = timed(lambda t=t, h=horizon: fit_hawkes_exp(t, h, gof=False), rep)
        row: dict[str, Any] = {
            "n_events": len(t),
            "horizon_s": horizon,
            "crossbook_fixed_beta_s": ours_s,
            "crossbook_fixed_beta_best_s": BEST[id(ours)],
            "crossbook_fixed_beta": {"mu": ours["mu"], "alpha": ours["alpha"], "loglik": ours["loglik"]},
            "crossbook_fixed_beta_with_gof_s": gof_s,
            "crossbook_full_s": full_s,
            "crossbook_full": {"mu": full["mu"], "alpha": full["alpha"], "beta": full["beta"]},
        }
        if HawkesExpKern is not None:

            def tick_fit(gofit: str, t: np.ndarray = t) -> Any:
                kw = {"gofit": "likelihood", "solver": "bfgs"} if gofit == "likelihood" else {}
                learner = HawkesExpKern(decays=BETA, max_iter=1000, tol=1e-10, **kw)
                learner.fit([t])
                return learner

            tl_s, tl = timed(lambda: tick_fit("likelihood"), rep)
            tq_s, tq = timed(lambda: tick_fit("least-squares"), rep)
            mu_t, a_t = float(tl.baseline[0]), float(tl.adjacency[0][0])
            row["tick_likelihood_s"] = tl_s
            row["tick_likelihood_best_s"] = BEST[id(tl)]
            row["tick_likelihood"] = {
                "mu": mu_t,
                "alpha": a_t,
                "loglik": hawkes_loglik(t, horizon, mu_t, a_t, BETA),
            }
            row["tick_least_squares_s"] = tq_s
            row["tick_least_squares_best_s"] = BEST[id(tq)]
            row["tick_least_squares"] = {"mu": float(tq.baseline[0]), "alpha": float(tq.adjacency[0][0])}
            row["speedup_vs_tick_likelihood"] = tl_s / ours_s
            row["speedup_vs_tick_least_squares"] = tq_s / ours_s
            row["speedup_best_vs_tick_likelihood"] = BEST[id(tl)] / BEST[id(ours)]
            row["speedup_best_vs_tick_least_squares"] = BEST[id(tq)] / BEST[id(ours)]
        rows.append(row)

    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_1m_at_end": os.getloadavg()[0],
        "command": f"python benches/bench_hawkes.py --sizes {args.sizes} --repeat {args.repeat}",
        "truth": {"mu": MU, "alpha": ALPHA, "beta": BETA},
        "tick": tick_info,
        "rows": rows,
    }
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "hawkes.json").write_text(json.dumps(result, indent=2) + "\n")

    print(
        "| events | crossbook fixed β | tick likelihood (BFGS) | tick least-squares | "
        "× vs tick likelihood | × vs tick least-squares | crossbook full fit |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:

        def ms(k: str, r: dict[str, Any] = r) -> str:
            return f"{r[k] * 1e3:.1f} ms" if k in r else "n/a"

        def x(k: str, r: dict[str, Any] = r) -> str:
            return f"{r[k]:.1f}×" if k in r else "n/a"

        print(
            f"| {r['n_events']:,} | {ms('crossbook_fixed_beta_s')} | {ms('tick_likelihood_s')} | "
            f"{ms('tick_least_squares_s')} | {x('speedup_vs_tick_likelihood')} | "
            f"{x('speedup_vs_tick_least_squares')} | {ms('crossbook_full_s')} |"
        )
    print("(medians; best-of-runs times and ratios are in the JSON)")
    if not tick_info["available"]:
        print(f"tick unavailable: {tick_info.get('error')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

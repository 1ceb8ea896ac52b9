"""HMM forward pass: crossbook vs hmmlearn's ``GaussianHMM(covariance_type="diag").score`` on 1 M observations.

Data: 1 000 000 observations (K = 4 states, d = 4 features) drawn from a fixed regime-like model (the seed's
transition matrix, well separated diagonal Gaussians), seed 0. Both libraries get the same parameters
(hmmlearn's ``startprob_``, ``transmat_``, ``means_``, ``covars_`` set directly) and the same float64 array.

Timed (wall clock, median and best of ``--repeat`` single calls; CPU time of the process beside it):
- ``crossbook.models.hmm_filter`` — filtered probabilities (n, K) *and* the log-likelihood (the contract);
- ``crossbook._core.hmm_loglik`` — the same pass without keeping the probabilities (what ``score`` returns);
- ``hmmlearn`` ``score`` — log-space forward pass (its C++ ``forward_log``) plus its numpy emission densities
  (numpy's BLAS may use several threads).
crossbook cuts the sequence into segments advanced side by side in SIMD lanes (AVX2 + FMA when the CPU has
them), on two threads from 65 536 rows, and merges them exactly (a short sequential re-run per segment); on a
machine whose other core is busy the second thread's share is lost, which the CPU-time columns show.

Accuracy: |crossbook − hmmlearn| in absolute and relative terms, and both against an extended-precision
(``np.longdouble``) forward pass over the same data (``--no-reference`` skips it: ~20 s of numpy loop), which
shows which side carries the difference. Writes benches/results/hmm.json and prints a markdown row.
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

TRANS = np.array(
    [[0.95, 0.03, 0.019, 0.001], [0.10, 0.85, 0.04, 0.01], [0.15, 0.10, 0.70, 0.05], [0.05, 0.05, 0.60, 0.30]]
)
START = np.array([0.7, 0.1, 0.15, 0.05])
MEANS = np.array([[-1.0, 3.3, 0.0, 0.2], [-0.2, 3.9, 0.0, 0.4], [0.9, 4.4, 0.0, 0.6], [1.7, 4.9, 0.0, 2.0]])
VARS = np.array([[0.05, 0.02, 0.01, 0.1], [0.06, 0.03, 0.02, 0.1], [0.1, 0.05, 0.01, 0.3], [0.2, 0.1, 0.005, 1.0]])


def sample(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    u = rng.random(n)
    cum = np.cumsum(TRANS, axis=1)
    z = np.empty(n, dtype=np.int64)
    s = int(np.searchsorted(np.cumsum(START), u[0], side="right"))
    for t in range(n):
        if t:
            s = min(int(np.searchsorted(cum[s], u[t], side="right")), 3)
        z[t] = s
    return np.ascontiguousarray(MEANS[z] + rng.normal(size=(n, 4)) * np.sqrt(VARS[z]))


def reference(x: np.ndarray) -> np.longdouble:
    """Scaled forward pass in extended precision (x87 80-bit on x86-64: 64-bit mantissa)."""
    L = np.longdouble
    means, variances, trans = MEANS.astype(L), VARS.astype(L), TRANS.astype(L)
    cst = -0.5 * np.log(2 * L(np.pi) * variances).sum(1)
    alpha, total = START.astype(L), L(0)
    for lo in range(0, len(x), 100_000):
        xl = x[lo : lo + 100_000].astype(L)
        lb = cst[None, :] - 0.5 * (((xl[:, None, :] - means[None]) ** 2) / variances[None]).sum(2)
        for t in range(len(xl)):
            pred = alpha if (lo == 0 and t == 0) else alpha @ trans
            mx = lb[t].max()
            u = pred * np.exp(lb[t] - mx)
            s = u.sum()
            total += mx + np.log(s)
            alpha = u / s
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--peer-repeat", type=int, default=3)
    ap.add_argument("--no-reference", action="store_true")
    args = ap.parse_args()

    from crossbook import _core
    from crossbook.models import hmm_filter

    x = sample(args.n, 0)

    cpu_s: dict[str, float] = {}
    best_s: dict[str, float] = {}

    def timed(name: str, fn, repeat: int) -> tuple[float, object]:
        times, cpus, out = [], [], None
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            out = fn()
            times.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        cpu_s[name], best_s[name] = float(np.median(cpus)), float(min(times))
        return float(np.median(times)), out

    load_before = os.getloadavg()[0]
    t_filter, (probs, ll) = timed("filter", lambda: hmm_filter(x, START, TRANS, MEANS, VARS), args.repeat)
    t_ll, ll2 = timed("loglik", lambda: _core.hmm_loglik(x, START, TRANS, MEANS, VARS), args.repeat)
    assert ll == ll2
    row: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()} {platform.processor() or ''}".strip(),
        "load_avg_1min": load_before,
        "n": args.n,
        "states": 4,
        "features": 4,
        "crossbook_filter_s": t_filter,
        "crossbook_filter_best_s": best_s["filter"],
        "crossbook_filter_cpu_s": cpu_s["filter"],
        "crossbook_loglik_s": t_ll,
        "crossbook_loglik_best_s": best_s["loglik"],
        "crossbook_loglik_cpu_s": cpu_s["loglik"],
        "crossbook_loglik": ll,
    }
    try:
        import hmmlearn
        from hmmlearn.hmm import GaussianHMM
    except ImportError as e:
        row["peer"] = f"hmmlearn not installed ({e})"
    else:
        m = GaussianHMM(n_components=4, covariance_type="diag")
        m.n_features = 4
        m.startprob_, m.transmat_, m.means_, m.covars_ = START, TRANS, MEANS, VARS
        t_peer, ref = timed("peer", lambda: m.score(x), args.peer_repeat)
        row.update(
            {
                "peer": f"hmmlearn {hmmlearn.__version__} GaussianHMM(diag).score",
                "peer_s": t_peer,
                "peer_best_s": best_s["peer"],
                "peer_cpu_s": cpu_s["peer"],
                "peer_loglik": float(ref),
                "speedup_filter": t_peer / t_filter,
                "speedup_loglik": t_peer / t_ll,
                "speedup_loglik_cpu": cpu_s["peer"] / cpu_s["loglik"],
                "max_abs_loglik_diff": abs(ll - float(ref)),
                "rel_loglik_diff": abs(ll - float(ref)) / abs(float(ref)),
            }
        )
        if not args.no_reference:
            exact = reference(x)
            row["reference"] = "np.longdouble scaled forward pass"
            row["crossbook_err_vs_reference"] = float(abs(np.longdouble(ll) - exact))
            row["peer_err_vs_reference"] = float(abs(np.longdouble(ref) - exact))
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "hmm.json").write_text(json.dumps(row, indent=2))
    print(json.dumps(row, indent=2))
    if "peer_s" in row:
        ref_note = ""
        if "peer_err_vs_reference" in row:
            ref_note = (
                f" (vs extended precision: crossbook {row['crossbook_err_vs_reference']:.1e}, "
                f"hmmlearn {row['peer_err_vs_reference']:.1e})"
            )
        print(
            f"| HMM forward pass, {args.n:,} obs, K=4, d=4 | crossbook {t_filter * 1e3:.0f} ms (probs + loglik), "
            f"{t_ll * 1e3:.0f} ms (loglik) | hmmlearn score {row['peer_s']:.2f} s | "
            f"{row['speedup_filter']:.0f}× / {row['speedup_loglik']:.0f}× "
            f"(CPU time {row['speedup_loglik_cpu']:.0f}×) | "
            f"max |Δ loglik| {row['max_abs_loglik_diff']:.1e} (rel. {row['rel_loglik_diff']:.1e}){ref_note} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

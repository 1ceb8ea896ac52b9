"""Brier score, calibration curve and isotonic recalibration: crossbook vs scikit-learn on the same forecasts.

Data: n = 1 000 000 forecasts (uniform, rounded to 3 decimals so bins see ties) with outcomes drawn from
p^1.5 (informative, miscalibrated); 20 equal-count bins. Compared, same inputs, single calls in this
process (median of repeats):

- ``brier_score`` vs ``sklearn.metrics.brier_score_loss``;
- ``calibration_curve(p, y, 20)`` vs ``sklearn.calibration.calibration_curve(y, p, n_bins=20,
  strategy="quantile")`` — crossbook also returns counts and forecast ranges per bin;
- ``brier_decomposition`` (binned Murphy decomposition with the within-bin terms; no scikit-learn
  equivalent, timed for reference);
- ``isotonic_recalibration`` vs ``IsotonicRegression().fit_transform`` (the PAV step of CORP).

Agreement is checked (1e-12) and recorded. Writes benches/results/calibration.json and prints markdown rows.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _median(fn, repeat: int) -> tuple[float, object]:  # noqa: ANN001
    ts, v = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        v = fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)), v


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--bins", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()

    import sklearn
    from sklearn.calibration import calibration_curve as sk_curve
    from sklearn.isotonic import IsotonicRegression
    from sklearn.metrics import brier_score_loss

    from crossbook.research.calibration import (
        brier_decomposition,
        brier_score,
        calibration_curve,
        isotonic_recalibration,
    )

    rng = np.random.default_rng(0)
    p = np.round(rng.random(args.n), 3)
    y = (rng.random(args.n) < p**1.5).astype(np.float64)
    rows = []

    def row(name: str, ours: float, peer: float | None, diff: float | None) -> None:
        r = {"what": name, "crossbook_s": ours, "peer_s": peer, "speedup": (peer / ours) if peer else None}
        r["max_abs_diff"] = diff
        rows.append(r)
        peer_txt = f"{peer * 1e3:.1f} ms" if peer else "–"
        sp = f"**{peer / ours:.1f}×**" if peer else "–"
        print(
            f"| {name}, n = {args.n:,} | crossbook {ours * 1e3:.1f} ms | scikit-learn {peer_txt} | {sp} |", flush=True
        )

    t_o, b_o = _median(lambda: brier_score(p, y), args.repeat)
    t_p, b_p = _median(lambda: brier_score_loss(y, p), args.repeat)
    row("Brier score", t_o, t_p, abs(float(b_o) - float(b_p)))  # type: ignore[arg-type]

    t_o, c_o = _median(lambda: calibration_curve(p, y, args.bins), args.repeat)
    t_p, c_p = _median(lambda: sk_curve(y, p, n_bins=args.bins, strategy="quantile"), args.repeat)
    diff = max(
        float(np.max(np.abs(c_o["frequency"].to_numpy() - c_p[0]))),  # type: ignore[index]
        float(np.max(np.abs(c_o["mean_predicted"].to_numpy() - c_p[1]))),  # type: ignore[index]
    )
    row(f"calibration curve ({args.bins} equal-count bins)", t_o, t_p, diff)

    t_o, _ = _median(lambda: brier_decomposition(p, y, args.bins), args.repeat)
    row("Brier decomposition with within-bin terms", t_o, None, None)

    t_o, r_o = _median(lambda: isotonic_recalibration(p, y), max(3, args.repeat // 2))
    t_p, r_p = _median(lambda: IsotonicRegression(out_of_bounds="clip").fit_transform(p, y), max(3, args.repeat // 2))
    row("isotonic (PAV) recalibration", t_o, t_p, float(np.max(np.abs(np.asarray(r_o) - np.asarray(r_p)))))

    out = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores",
        "load_avg_at_start": os.getloadavg()[0],
        "peer": f"scikit-learn {sklearn.__version__}",
        "n": args.n,
        "bins": args.bins,
        "rows": rows,
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "calibration.json").write_text(json.dumps(out, indent=2) + "\n")
    ok = all(r["max_abs_diff"] is None or r["max_abs_diff"] < 1e-12 for r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

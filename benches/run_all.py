"""Run every Python peer benchmark in benches/ and print their markdown rows.

Each bench_*.py is standalone (argparse) and writes benches/results/<name>.json; this script runs
them in turn so `make bench-py` reproduces the Python rows of benches/RESULTS.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    failed = 0
    for s in scripts:
        print(f"## {s.name}", flush=True)
        r = subprocess.run([sys.executable, str(s)], check=False)
        failed += r.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

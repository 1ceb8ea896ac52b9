"""L2 book rebuild speed on the shared Binance USDT-M BTCUSDT capture (issue #2: ≥ 20 M level updates/s).

Reads the capture once with `crossbook.data.read` (not timed), then times:
- `crossbook.book.top_of_book(book)`: the whole call (Python column preparation + Rust rebuild);
- the Rust rebuild alone (`_core.book_top_of_book` on prepared numpy columns, GIL released);
- `crossbook.book.sample_grid(book, 100, 20)`: the heatmap grid.
Rates are level rows applied (book_stats.level_rows) per second; medians of --repeat runs, one core.

Writes benches/results/book.json and prints a markdown row.
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
DEFAULT = (
    HERE.parent.parent
    / "shared"
    / "data"
    / "real"
    / "binance-spot-usdm-coinm-20240808"
    / "usdm"
    / "btcusdt_20240808.gz"
)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _median_s(fn, repeat: int) -> float:
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--path", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--note", default="", help="free text stored in the result (e.g. build profile)")
    args = ap.parse_args()

    from crossbook import _core
    from crossbook import book as B
    from crossbook.data import readers

    if not args.path.is_file():
        print(f"bench_book: {args.path} is absent")
        return 1
    t0 = time.perf_counter()
    tables = readers.read(args.path)
    t_read = time.perf_counter() - t0
    book = tables["book"]
    stats = B.book_stats(book).row(0, named=True)
    level_rows = int(stats["level_rows"])

    t_tob = _median_s(lambda: B.top_of_book(book), args.repeat)
    cols, _, names = B._prepare(book)
    t_core = _median_s(lambda: _core.book_top_of_book(cols, names), args.repeat)
    t_grid = _median_s(lambda: B.sample_grid(book, 100, 20), max(3, args.repeat // 3))

    row = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{_cpu()}, {os.cpu_count()} cores (rebuild is single-threaded)",
        "file": str(args.path.name),
        "book_rows": book.height,
        "level_rows": level_rows,
        "messages": int(stats["messages"]),
        "applied": int(stats["applied"]),
        "gaps": int(stats["gaps"]),
        "read_s": t_read,
        "top_of_book_s": t_tob,
        "top_of_book_level_rows_per_s": level_rows / t_tob,
        "core_rebuild_s": t_core,
        "core_level_rows_per_s": level_rows / t_core,
        "sample_grid_100ms_20lv_s": t_grid,
        "note": args.note,
    }
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "book.json").write_text(json.dumps(row, indent=2) + "\n")
    print(json.dumps(row, indent=2))
    print(
        f"| L2 book rebuild, {row['file']} ({level_rows:,} level rows, {row['applied']:,} messages) | "
        f"core {row['core_level_rows_per_s'] / 1e6:.1f} M level updates/s | "
        f"top_of_book() {row['top_of_book_level_rows_per_s'] / 1e6:.1f} M/s incl. Python | "
        f"grid 100 ms × 20 levels {t_grid * 1e3:.0f} ms |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

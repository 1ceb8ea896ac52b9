"""Capture parsing, lines/s: crossbook's Binance reader vs ``polars.read_ndjson`` on the same lines.

The capture (default: the real USDT-M BTCUSDT file, 93,954 lines of bookTicker, trade and depth
messages) is decompressed once in Python. Then, on the same machine in the same run:

- ``crossbook``: ``_core.parse_source`` on the plain ``<local_ts> <json>`` bytes — JSON decoded,
  prices and sizes parsed into scaled integers, rows split into the bbo / book / trade tables
  (one row per depth level), returned as numpy columns;
- ``crossbook read()``: the public ``crossbook.data.readers.read`` on the plain file (file IO,
  format detection, polars frames included);
- ``polars``: ``pl.read_ndjson`` on the same JSON with the timestamp prefix already stripped (it
  builds one frame of nested structs; decimals stay strings, depth levels are not exploded);
- ``polars + strip``: the same, with the prefix stripping done in Python inside the timing.

Each is the median of ``--runs`` interleaved runs (lines/s = lines / median wall seconds); CPU
seconds over all threads are recorded too, as a measure of work that a busy machine distorts less.
Prints a markdown row and writes ``benches/results/parse.json``.
Usage: ``python benches/bench_parse.py [--runs 7]``.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

import crossbook
from crossbook import _core
from crossbook.data.readers import read

HERE = Path(__file__).resolve().parent
DEFAULT_FILE = HERE.parent / ".." / "shared" / "data" / "real" / "binance-spot-usdm-coinm-20240808" / "usdm"
DEFAULT_FILE = DEFAULT_FILE / "btcusdt_20240808.gz"


def timed(contenders: dict[str, Callable[[], object]], runs: int) -> tuple[dict, dict]:
    """Wall and CPU seconds of each contender per run. Runs are interleaved (one of each per
    round), so a change in machine load hits every contender alike."""
    for fn in contenders.values():
        fn()  # warm-up (page cache, allocator, thread pools)
    wall: dict[str, list[float]] = {k: [] for k in contenders}
    cpu: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(runs):
        for name, fn in contenders.items():
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    return wall, cpu


def strip_prefix(plain: bytes) -> bytes:
    """``<local_ts> <json>`` lines → the JSON lines (what polars can read)."""
    return b"\n".join(line.split(b" ", 1)[1] for line in plain.splitlines() if line)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path, default=DEFAULT_FILE, help="a Binance capture (.gz or plain)")
    ap.add_argument("--runs", type=int, default=7, help="timed runs per contender (median reported)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "parse.json")
    args = ap.parse_args()
    if args.runs < 5:
        ap.error("--runs must be at least 5")

    raw = args.file.read_bytes()
    plain = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    stripped = strip_prefix(plain)
    lines = stripped.count(b"\n") + 1

    # sanity: both sides see every line
    ours = _core.parse_source(plain, "binance_ws")
    assert ours["lines"] == lines, (ours["lines"], lines)
    df = pl.read_ndjson(io.BytesIO(stripped))
    assert df.height == lines, (df.height, lines)
    rows = {t: len(ours[t]["ts_local"]) for t in ("bbo", "book", "trade")}

    with tempfile.TemporaryDirectory() as tmp:
        plain_path = Path(tmp) / "capture.txt"
        plain_path.write_bytes(plain)
        wall, cpu = timed(
            {
                "crossbook": lambda: _core.parse_source(plain, "binance_ws"),
                "crossbook_gzip": lambda: _core.parse_source(raw, "binance_ws"),
                "crossbook_read": lambda: read(plain_path),
                "polars": lambda: pl.read_ndjson(io.BytesIO(stripped)),
                "polars_strip": lambda: pl.read_ndjson(io.BytesIO(strip_prefix(plain))),
            },
            args.runs,
        )
    median = {k: statistics.median(v) for k, v in wall.items()}
    cpu_median = {k: statistics.median(v) for k, v in cpu.items()}
    rate = {k: lines / v for k, v in median.items()}
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{cpu_model()}, {os.cpu_count()} cpus, {platform.system()} {platform.release()}",
        "load_avg_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "command": f"python benches/bench_parse.py --runs {args.runs}",
        "file": str(args.file.name),
        "bytes_plain": len(plain),
        "lines": lines,
        "rows": rows,
        "versions": {"crossbook": crossbook.__version__, "polars": pl.__version__},
        "polars_threads": pl.thread_pool_size(),
        "runs": args.runs,
        "median_s": median,
        "median_cpu_s": cpu_median,
        "lines_per_s": rate,
        "ratio_vs_polars": rate["crossbook"] / rate["polars"],
        "ratio_vs_polars_strip": rate["crossbook"] / rate["polars_strip"],
        "cpu_ratio_polars_over_crossbook": cpu_median["polars"] / cpu_median["crossbook"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")

    print("| date | machine | file | lines | crossbook lines/s | crossbook gzip | crossbook read() "
          "| polars read_ndjson | polars + strip | ratio (vs polars / vs +strip) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {result['date']} | {result['machine']} | {result['file']} | {lines:,} "
        f"| {rate['crossbook']:,.0f} | {rate['crossbook_gzip']:,.0f} | {rate['crossbook_read']:,.0f} "
        f"| {rate['polars']:,.0f} | {rate['polars_strip']:,.0f} "
        f"| {result['ratio_vs_polars']:.2f}× / {result['ratio_vs_polars_strip']:.2f}× |"
    )
    cpu_txt = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in cpu_median.items())
    print(f"CPU time per run (all threads): {cpu_txt}")
    load = result["load_avg_1m"]
    print(f"(median of {args.runs} interleaved runs; 1-min load average {load:.1f}; JSON: {args.out})")


if __name__ == "__main__":
    main()

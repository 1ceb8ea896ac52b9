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

Each is the median of ``--runs`` runs (lines/s = lines / median seconds). Prints a markdown row and
writes ``benches/results/parse.json``. Usage: ``python benches/bench_parse.py [--runs 7]``.
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

import crossbook
import polars as pl
from crossbook import _core
from crossbook.data.readers import read

HERE = Path(__file__).resolve().parent
DEFAULT_FILE = HERE.parent / ".." / "shared" / "data" / "real" / "binance-spot-usdm-coinm-20240808" / "usdm"
DEFAULT_FILE = DEFAULT_FILE / "btcusdt_20240808.gz"


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm-up (page cache, allocator, thread pools)
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


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
        times = {
            "crossbook": timed(lambda: _core.parse_source(plain, "binance_ws"), args.runs),
            "crossbook_gzip": timed(lambda: _core.parse_source(raw, "binance_ws"), args.runs),
            "crossbook_read": timed(lambda: read(plain_path), args.runs),
            "polars": timed(lambda: pl.read_ndjson(io.BytesIO(stripped)), args.runs),
            "polars_strip": timed(lambda: pl.read_ndjson(io.BytesIO(strip_prefix(plain))), args.runs),
        }
    median = {k: statistics.median(v) for k, v in times.items()}
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
        "lines_per_s": rate,
        "ratio_vs_polars": rate["crossbook"] / rate["polars"],
        "ratio_vs_polars_strip": rate["crossbook"] / rate["polars_strip"],
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
    print(f"(median of {args.runs} runs; 1-min load average {result['load_avg_1m']}; JSON: {args.out})")


if __name__ == "__main__":
    main()

"""Backtest throughput and memory: crossbook vs PyPI hftbacktest 2.4.4 on the same data.

Data (converted by benches/hftbacktest_data.py, which documents every rule):
- ``usdm``: the shared Binance USDT-M BTCUSDT capture (2024-08-08, 5.7 min), ``ts_local`` shifted so
  the smallest feed latency is ``--base-latency-ms`` (the recorder clock lags Binance by ≈ 1.27 s);
- ``sim``: ``crossbook.sim.simulate(minutes=--sim-minutes, seed=--seed)``, quoted venue
  ``--sim-venue`` (default the leader ``binance-futures:BTCUSDT``, the venue with an L2 diff book).

Peer rows (each in a fresh subprocess of the peer venv ``.venv/peers``, built by ``make bench-peers``,
because hftbacktest 2.4.4 pins numpy < 2.3): ``HashMapMarketDepthBacktest``,
``no_partial_fill_exchange`` (its example's choice; ``--peer-exchange partial`` selects
``partial_fill_exchange``, which in 2.4.4 stops with ``InvalidOrderStatus`` (14) when a fill exactly
exhausts an order, hftbacktest issues #301 / #312 — it does on the USDT-M capture),
``constant_order_latency(--latency-ms, --latency-ms)``, ``trading_value_fee_model`` with the venue's
maker/taker fees, and
- ``replay``: no strategy, ``elapse(100 ms)`` to the end (the engine's cost alone);
- ``glft+risk_averse`` / ``glft+power2``: our numba implementation of hftbacktest's GLFT example
  (100 ms cycle; arrival depths of trades from the previous mid; A, k fitted on the hftbacktest
  half-tick grid over a ``--window-s`` window, refitted every 5 s; σ from mid changes; c1, c2 of
  Guéant 2017 with ξ = γ, Δ = 1; half-spread ``(c1 + σ c2 / 2) · adj1``; skew ``σ c2 · adj2 · q`` with q in
  lots; one GTX quote per side, never through the touch; position limit; the Recorder every cycle),
  with ``risk_adverse_queue_model()`` or ``power_prob_queue_model(2.0)``.

Measured per row: wall time of the run (median of ``--repeat`` runs, each a fresh backtest on the same
input; numba compile time excluded and reported apart, from a run on the first 1 % of the events),
events/s over the source rows (book level rows + snapshot clears + trades: each processed once by
the exchange side and once by the local side), and memory from
``/proc/self/status`` in the row's process: RSS after imports (and JIT warm-up), the input held in
memory (the event array for hftbacktest — it replays it in place —, the Parquet-loaded tables for
ours), the run's peak above that (``VmHWM`` reset through ``/proc/self/clear_refs``), and
``(peak − RSS after imports) / million events``. Ours (``crossbook.backtest.run_backtest``) runs in a
subprocess of this venv on the same tables with the same ``ts_local`` shift when it is importable;
otherwise its rows say ``pending``. Our quote-cycle latency percentiles come from the output of
``cargo bench -p crossbook-benches --bench quote`` (``--run-quote-bench`` runs it; ``--quote-log`` reads
a saved output; by default the last one saved in target/bench_backtest/). Writes benches/results/backtest.json
and prints markdown rows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PEER_PY = REPO / ".venv" / "peers" / "bin" / "python"
WORK = REPO / "target" / "bench_backtest"
USDM = REPO / ".." / "shared" / "data" / "real" / "binance-spot-usdm-coinm-20240808" / "usdm" / "btcusdt_20240808.gz"

#: maker / taker fees, bps of notional (VIP 0 at the time of the captures; negative = rebate)
FEES_BPS = {"binance-futures": (2.0, 5.0), "binance": (10.0, 10.0), "hyperliquid": (1.5, 4.5)}

STEP_NS = 100_000_000

# ------------------------------------------------------------------ peer side (numba, .venv/peers)

try:  # the peer venv has numba + hftbacktest; ours does not
    import hftbacktest as _hbt
    from numba import njit

    HAVE_PEER = True
except ImportError:  # pragma: no cover - depends on the venv
    HAVE_PEER = False

if HAVE_PEER:
    _BUY_EV = _hbt.BUY_EVENT
    _SELL_EV = _hbt.SELL_EVENT
    _BUY = _hbt.BUY
    _SELL = _hbt.SELL
    _GTX = _hbt.GTX
    _LIMIT = _hbt.LIMIT

    @njit
    def _glft_coeff(xi, gamma, delta, a, k):
        """c1, c2 of Guéant (2017) eq. 4.6/4.7 with the volatility factored out of c2."""
        inv_k = 1.0 / k
        c1 = 1.0 / (xi * delta) * np.log(1.0 + xi * delta * inv_k)
        c2 = np.sqrt(gamma / (2.0 * a * delta * k) * (1.0 + xi * delta * inv_k) ** (k / (xi * delta) + 1.0))
        return c1, c2

    @njit
    def _fit_intensity(depths, n_bins, window_s):
        """A, k of λ(δ) = A exp(−kδ) from arrival depths (ticks from the mid) on hftbacktest's grid:
        a trade at depth d fills every quote at half-tick bins 0 .. round(d / 0.5) − 2 (strictly inside);
        bin i sits at δ = i + 0.5 ticks. Least squares of log λ on δ over bins with λ > 0."""
        counts = np.zeros(n_bins)
        top = 0
        for d in depths:
            if not np.isfinite(d):
                continue
            b = int(round(d / 0.5)) - 1
            if b < 0 or b >= n_bins:
                continue
            counts[:b] += 1.0
            top = max(top, b)
        sx = sy = sxx = sxy = 0.0
        m = 0
        for i in range(top):
            if counts[i] > 0:
                x = i + 0.5
                y = np.log(counts[i] / window_s)
                sx += x
                sy += y
                sxx += x * x
                sxy += x * y
                m += 1
        if m < 3:
            return np.nan, np.nan
        slope = (m * sxy - sx * sy) / (m * sxx - sx * sx)
        return np.exp((sy - slope * sx) / m), -slope

    @njit
    def _replay(hbt, step_ns, out):
        while True:
            code = hbt.elapse(step_ns)
            if code != 0:
                out[4] = code
                break
            out[0] += 1

    @njit
    def _glft(hbt, rec, step_ns, max_steps, window, refit_every, gamma, adj1, adj2, order_qty, max_pos, out):
        """One 100 ms cycle per step; out = [steps, quoting steps, submits, cancels, last elapse code]."""
        arrival = np.full(max_steps, np.nan)
        dmid = np.full(max_steps, np.nan)
        mid = np.nan
        a = np.nan
        k = np.nan
        vol = np.nan
        window_s = window * step_ns / 1e9
        vol_scale = np.sqrt(1e9 / step_ns)
        t = 0
        while t < max_steps:
            code = hbt.elapse(step_ns)
            if code != 0:
                out[4] = code
                break
            hbt.clear_inactive_orders(0)
            depth = hbt.depth(0)
            tick = depth.tick_size
            trades = hbt.last_trades(0)
            if np.isfinite(mid):
                d = -np.inf
                for i in range(len(trades)):
                    p = trades[i].px / tick
                    if trades[i].ev & _BUY_EV == _BUY_EV:
                        d = max(d, p - mid)
                    elif trades[i].ev & _SELL_EV == _SELL_EV:
                        d = max(d, mid - p)
                if np.isfinite(d):
                    arrival[t] = d
            hbt.clear_last_trades(0)
            bb = depth.best_bid
            ba = depth.best_ask
            if not (np.isfinite(bb) and np.isfinite(ba)) or bb >= ba:
                t += 1
                rec.record(hbt)
                continue
            bid_t = depth.best_bid_tick
            ask_t = depth.best_ask_tick
            prev = mid
            mid = (bid_t + ask_t) / 2.0
            dmid[t] = mid - prev
            if t % refit_every == 0 and t >= window - 1:
                a, k = _fit_intensity(arrival[t + 1 - window : t + 1], 70, window_s)
                vol = np.nanstd(dmid[t + 1 - window : t + 1]) * vol_scale
            t += 1
            if not (np.isfinite(a) and np.isfinite(k) and np.isfinite(vol)) or k <= 0 or a <= 0:
                rec.record(hbt)
                continue
            out[1] += 1
            c1, c2 = _glft_coeff(gamma, gamma, 1.0, a, k)
            half = (c1 + 0.5 * c2 * vol) * adj1
            skew = c2 * vol * adj2
            pos = hbt.position(0)
            r = mid - skew * pos / order_qty
            new_bid = min(int(np.round(r - half)), bid_t)
            new_ask = max(int(np.round(r + half)), ask_t)
            orders = hbt.orders(0)
            it = orders.values()
            while it.has_next():
                o = it.get()
                if o.cancellable:
                    stale_bid = o.side == _BUY and (o.price_tick != new_bid or pos >= max_pos)
                    stale_ask = o.side == _SELL and (o.price_tick != new_ask or pos <= -max_pos)
                    if stale_bid or stale_ask:
                        hbt.cancel(0, o.order_id, False)
                        out[3] += 1
            if pos < max_pos and np.uint64(new_bid) not in orders:
                hbt.submit_buy_order(0, np.uint64(new_bid), new_bid * tick, order_qty, _GTX, _LIMIT, False)
                out[2] += 1
            if pos > -max_pos and np.uint64(new_ask) not in orders:
                hbt.submit_sell_order(0, np.uint64(new_ask), new_ask * tick, order_qty, _GTX, _LIMIT, False)
                out[2] += 1
            rec.record(hbt)
        out[0] = t


def _rss_kib() -> tuple[int, int]:
    """(VmRSS, VmHWM) of this process in KiB."""
    vals = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            vals[line.split(":")[0]] = int(line.split()[1])
    return vals["VmRSS"], vals["VmHWM"]


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peer_asset(data: np.ndarray, meta: dict, queue: str):
    maker, taker = meta["fees_bps"]
    a = (
        _hbt.BacktestAsset()
        .data(data)
        .linear_asset(1.0)
        .constant_order_latency(meta["latency_ns"], meta["latency_ns"])
        .trading_value_fee_model(maker / 1e4, taker / 1e4)
        .tick_size(meta["tick"])
        .lot_size(meta["lot"])
        .last_trades_capacity(100_000)
    )
    a = a.partial_fill_exchange() if meta["exchange"] == "partial" else a.no_partial_fill_exchange()
    if queue == "risk_averse":
        a = a.risk_adverse_queue_model()
    elif queue == "power2":
        a = a.power_prob_queue_model(2.0)
    else:
        raise ValueError(queue)
    return a


def _peer_run(data: np.ndarray, meta: dict, mode: str) -> dict:
    queue = "risk_averse" if mode == "replay" else mode.split("+")[1]
    span = int(data["local_ts"].max() - data["local_ts"].min())
    max_steps = span // STEP_NS + 10
    t0 = time.perf_counter()
    hbt = _hbt.HashMapMarketDepthBacktest([_peer_asset(data, meta, queue)])
    t_build = time.perf_counter() - t0
    out = np.zeros(5, np.int64)
    rec = _hbt.Recorder(1, max_steps + 10)
    t0 = time.perf_counter()
    if mode == "replay":
        _replay(hbt, STEP_NS, out)
    else:
        p = meta["glft"]
        _glft(
            hbt,
            rec.recorder,
            STEP_NS,
            max_steps,
            p["window"],
            p["refit_every"],
            p["gamma"],
            p["adj1"],
            p["adj2"],
            p["order_qty"],
            p["max_pos"],
            out,
        )
    t_run = time.perf_counter() - t0
    sv = hbt.state_values(0)
    depth = hbt.depth(0)
    mid = (depth.best_bid + depth.best_ask) / 2.0
    res = {
        "build_s": t_build,
        "run_s": t_run,
        "steps": int(out[0]),
        "quoting_steps": int(out[1]),
        "submits": int(out[2]),
        "cancels": int(out[3]),
        "end_code": int(out[4]),  # 1 = end of data; anything else is an hftbacktest error
        "fills": int(sv.num_trades),
        "position": float(sv.position),
        "equity": float(sv.balance + sv.position * mid - sv.fee),
        "fees": float(sv.fee),
        "traded_value": float(sv.trading_value),
    }
    hbt.close()
    return res


def _memory(rss_imports: int, rss_loaded: int, hwm: int, reset: bool) -> dict:
    """Memory fields of a row, MiB: input held in memory, working set of the run above it, total."""
    return {
        "rss_after_imports_mib": rss_imports / 1024,
        "input_mib": (rss_loaded - rss_imports) / 1024,
        "run_peak_over_input_mib": (hwm - rss_loaded) / 1024 if reset else None,
        "peak_rss_mib": hwm / 1024,
        "peak_over_imports_mib": (hwm - rss_imports) / 1024 if reset else None,
        "peak_reset": reset,
    }


def _timed_runs(run, repeat: int) -> dict:
    """Call ``run()`` ``repeat`` times; its last result plus the median and min of its ``run_s``."""
    results = [run() for _ in range(max(1, repeat))]
    times = sorted(r["run_s"] for r in results)
    res = dict(results[-1])
    res.update({"run_s": float(np.median(times)), "run_s_min": times[0], "run_s_all": times, "repeat": len(times)})
    if all("core_s" in r for r in results):
        res["core_s"] = float(np.median([r["core_s"] for r in results]))
    return res


def peer_main(npz: str, meta_path: str, mode: str, repeat: int) -> None:
    """Subprocess entry (peer venv): warm up numba on 1 % of the data, then load and time the full run
    ``repeat`` times (a fresh backtest each time, same array)."""
    meta = json.loads(Path(meta_path).read_text())
    t0 = time.perf_counter()
    data = np.load(npz)["data"]
    warm = data[: max(1000, data.size // 100)].copy()
    del data
    _peer_run(warm, meta, mode)
    compile_s = time.perf_counter() - t0
    del warm
    rss_imports, _ = _rss_kib()
    t0 = time.perf_counter()
    data = np.load(npz)["data"]
    t_load = time.perf_counter() - t0
    rss_loaded, _ = _rss_kib()
    reset = _reset_peak()
    res = _timed_runs(lambda: _peer_run(data, meta, mode), repeat)
    _, hwm = _rss_kib()
    res.update({"load_s": t_load, "compile_s": compile_s, "array_rows": int(data.size)})
    res.update(_memory(rss_imports, rss_loaded, hwm, reset))
    print("RESULT " + json.dumps(res))


# ------------------------------------------------------------------ our side (.venv, crossbook)


def _tables(dataset: str, args: argparse.Namespace):
    """(tables with ts_local shifted, venue, symbol, shift_ns) of a dataset, identical for both sides."""
    sys.path.insert(0, str(HERE))
    import hftbacktest_data as hd

    if dataset == "usdm":
        from crossbook.data import read

        tables = read(USDM)
        venue, symbol = "binance-futures", "BTCUSDT"
    else:
        from crossbook.sim import simulate

        tables = simulate(minutes=args.sim_minutes, seed=args.seed).tables
        venue, symbol = args.sim_venue.split(":")
    shift = hd.local_shift_ns(tables, venue, symbol, int(args.base_latency_ms * 1e6))
    return hd.shift_local(tables, shift), venue, symbol, shift


def _ours_config(venue: str, symbol: str, queue: str, args: argparse.Namespace) -> dict:
    """Our settings equivalent to the peer row, as a crossbook.backtest.BacktestConfig dict: same
    instrument, 100 ms cycles (and only those, as the peer), queue model, constant entry/response
    latency, maker/taker fees, order size. The full engine (regime table, floors, micro-price,
    volatility, order management) stays on; lead-lag needs a second venue, which these single-venue
    datasets do not have, so it is off."""
    maker, taker = FEES_BPS[venue]
    spec = f"{venue}:{symbol}"
    return {
        "leader": spec,
        "quoted": spec,
        "leadlag": False,
        "cycle_ms": STEP_NS / 1_000_000,
        # the peer decides every 100 ms only: no extra cycles on BBO changes or leader moves
        "requote_on_bbo": False,
        "leader_trigger_bps": 0.0,
        "order_size": args.order_qty,
        "exchange": {
            "queue": {"power2": "power"}.get(queue, queue),
            "power_n": 2.0,
            "latency": "constant",
            "entry_ms": args.latency_ms,
            "response_ms": args.latency_ms,
            "maker_fee_bps": maker,
            "taker_fee_bps": taker,
        },
    }


def ours_main(dataset: str, queue: str, args: argparse.Namespace, repeat: int) -> None:
    """Subprocess entry (our venv): load the dataset's shifted tables (Parquet written by the
    orchestrator), then time run_backtest on them."""
    import polars as pl

    from crossbook import backtest as bt
    from crossbook.data.readers import Tables

    meta = json.loads((WORK / f"{dataset}.meta.json").read_text())
    cfg_dict = _ours_config(meta["venue"], meta["symbol"], queue, args)
    cfg_cls = getattr(bt, "BacktestConfig", None)
    cfg = cfg_cls.model_validate(cfg_dict) if cfg_cls is not None and hasattr(cfg_cls, "model_validate") else cfg_dict
    rss_imports, _ = _rss_kib()
    t0 = time.perf_counter()
    tables = Tables()
    for name in list(tables):
        tables[name] = pl.read_parquet(WORK / f"{dataset}.{name}.parquet")
    t_load = time.perf_counter() - t0
    rss_loaded, _ = _rss_kib()
    reset = _reset_peak()

    def run() -> dict:
        t0 = time.perf_counter()
        result = bt.run_backtest(tables, cfg, out=None)
        t_run = time.perf_counter() - t0
        s = result.summary["backtest"]
        summary = {k: s[k] for k in ("pnl", "fills", "fill_rate", "sharpe") if isinstance(s.get(k), int | float)}
        summary["cycles"] = s.get("cycles", {}).get("total")
        # core_s: the Rust run alone (run_s also has table preparation and the result frames)
        return {"run_s": t_run, "core_s": result.elapsed_s, "summary": summary}

    res = _timed_runs(run, repeat)
    _, hwm = _rss_kib()
    res["load_s"] = t_load
    res.update(_memory(rss_imports, rss_loaded, hwm, reset))
    print("RESULT " + json.dumps(res))


# ------------------------------------------------------------------ orchestration


def _sub(cmd: list[str]) -> dict:
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    for line in r.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    tail = (r.stderr or r.stdout).strip().splitlines()[-5:]
    return {"error": f"exit {r.returncode}: " + " | ".join(tail)}


def _per_event(r: dict, events: int) -> dict:
    """Add events/s and MiB per million events (input + run peak over the post-import RSS)."""
    if "run_s" in r:
        r["events_per_s"] = events / r["run_s"]
        if r.get("peak_over_imports_mib") is not None:
            r["mib_per_million_events"] = r["peak_over_imports_mib"] / (events / 1e6)
    return r


def _ours_available() -> str | None:
    """None if crossbook.backtest.run_backtest is importable, else why not."""
    r = subprocess.run(
        [sys.executable, "-c", "from crossbook.backtest import run_backtest"], capture_output=True, text=True
    )
    if r.returncode == 0:
        return None
    return (r.stderr.strip().splitlines() or ["import failed"])[-1]


QUOTE_LOG = WORK / "quote_bench.log"


def _quote_latency(log: str | None, run: bool) -> dict | None:
    """p50/p99 of our quote cycle from the criterion bench's printed line (benches/benches/quote.rs):
    from ``log``, else from a fresh ``cargo bench`` when ``run``, else from the last saved log."""
    if run:
        r = subprocess.run(
            ["cargo", "bench", "-p", "crossbook-benches", "--bench", "quote"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        QUOTE_LOG.write_text(r.stdout + r.stderr)
        log = str(QUOTE_LOG)
    elif log is None and QUOTE_LOG.exists():
        log = str(QUOTE_LOG)
    if log is None:
        return None
    text = Path(log).read_text()
    m = re.search(
        r"quote cycle latency over (\d+) cycles .*?p50 (\d+) ns, p99 (\d+) ns, p99\.9 (\d+) ns, max (\d+) ns"
        r" \(timer pair alone: p50 (\d+) ns, p99 (\d+) ns\)",
        text,
    )
    if not m:
        return None
    g = [int(x) for x in m.groups()]
    out = {
        "cycles": g[0],
        "p50_ns": g[1],
        "p99_ns": g[2],
        "p999_ns": g[3],
        "max_ns": g[4],
        "timer_p50_ns": g[5],
        "timer_p99_ns": g[6],
        "source": "cargo bench -p crossbook-benches --bench quote",
        "log": log,
        "log_date": time.strftime("%Y-%m-%d %H:%M", time.localtime(Path(log).stat().st_mtime)),
    }
    m2 = re.search(r"quote/generate_quotes\s+time:\s+\[([^\]]+)\]", text)
    if m2:
        out["criterion_time_per_10k_cycles"] = m2.group(1)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="usdm,sim", help="comma list of usdm, sim")
    ap.add_argument("--modes", default="replay,glft+risk_averse,glft+power2")
    ap.add_argument("--sim-minutes", type=float, default=60.0, help="simulated minutes (1440 = a day)")
    ap.add_argument("--sim-venue", default="binance-futures:BTCUSDT", help="quoted venue:symbol in the simulation")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--latency-ms", type=float, default=10.0, help="constant order entry and response latency")
    ap.add_argument("--base-latency-ms", type=float, default=0.0, help="smallest feed latency after the shift")
    ap.add_argument("--window-s", type=float, default=60.0, help="GLFT calibration window (peer example: 600)")
    ap.add_argument("--gamma", type=float, default=0.05)
    ap.add_argument("--adj1", type=float, default=1.0, help="half-spread multiplier (peer example: 1)")
    ap.add_argument("--adj2", type=float, default=0.05, help="skew multiplier (peer example: 0.05)")
    ap.add_argument("--order-qty", type=float, default=0.1)
    ap.add_argument("--max-lots", type=float, default=10.0)
    ap.add_argument(
        "--peer-exchange",
        choices=["no_partial", "partial"],
        default="no_partial",
        help="hftbacktest exchange model; partial_fill_exchange of 2.4.4 stops with InvalidOrderStatus (14) on "
        "exact fills (hftbacktest issues #301, #312)",
    )
    ap.add_argument("--quote-log", help="output of `cargo bench -p crossbook-benches --bench quote` to report")
    ap.add_argument("--run-quote-bench", action="store_true", help="run that cargo bench now (saved to target/)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per row (median reported, min kept)")
    ap.add_argument("--out", default=str(HERE / "results" / "backtest.json"))
    # subprocess entries
    ap.add_argument("--peer-npz", help=argparse.SUPPRESS)
    ap.add_argument("--peer-meta", help=argparse.SUPPRESS)
    ap.add_argument("--ours-dataset", help=argparse.SUPPRESS)
    ap.add_argument("--mode", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.peer_npz:
        peer_main(args.peer_npz, args.peer_meta, args.mode, args.repeat)
        return 0
    if args.ours_dataset:
        ours_main(args.ours_dataset, args.mode, args, args.repeat)
        return 0

    sys.path.insert(0, str(HERE))
    import hftbacktest_data as hd

    WORK.mkdir(parents=True, exist_ok=True)
    peer_ok = PEER_PY.exists() and subprocess.run([str(PEER_PY), "-c", "import hftbacktest"]).returncode == 0
    peer_version = None
    if peer_ok:
        peer_version = subprocess.run(
            [
                str(PEER_PY),
                "-c",
                "import hftbacktest, numba, numpy; print(hftbacktest.__version__, numba.__version__,"
                " numpy.__version__)",
            ],
            capture_output=True,
            text=True,
        ).stdout.split()
    ours_missing = _ours_available()
    load_start = os.getloadavg()
    modes = [m for m in args.modes.split(",") if m]
    rows = []
    datasets = {}
    print("| data | mode | events | crossbook | hftbacktest 2.4.4 | crossbook speedup |\n|---|---|---|---|---|---|")
    for ds in [d for d in args.datasets.split(",") if d]:
        t0 = time.perf_counter()
        tables, venue, symbol, shift = _tables(ds, args)
        t_tables = time.perf_counter() - t0
        t0 = time.perf_counter()
        conv = hd.to_events(tables, venue, symbol, shift_ns=0)  # tables are already shifted
        t_conv = time.perf_counter() - t0
        npz = hd.save_npz(WORK / f"{ds}.npz", conv.events)
        maker, taker = FEES_BPS[venue]
        meta = {
            "tick": conv.tick,
            "lot": conv.lot,
            "latency_ns": int(args.latency_ms * 1e6),
            "fees_bps": [maker, taker],
            "exchange": args.peer_exchange,
            "glft": {
                "window": int(args.window_s * 1e9 // STEP_NS),
                "refit_every": 50,
                "gamma": args.gamma,
                "adj1": args.adj1,
                "adj2": args.adj2,
                "order_qty": args.order_qty,
                "max_pos": args.order_qty * args.max_lots,
            },
        }
        meta["venue"], meta["symbol"] = venue, symbol
        # our input: the quoted instrument's rows (the peer's converted events hold that instrument only)
        import polars as pl

        for name, df in tables.items():
            if {"venue", "symbol"} <= set(df.columns):
                df = df.filter((pl.col("venue") == venue) & (pl.col("symbol") == symbol))
            df.write_parquet(WORK / f"{ds}.{name}.parquet")
        meta_path = WORK / f"{ds}.meta.json"
        meta_path.write_text(json.dumps(meta))
        span_s = float(conv.events["local_ts"].max() - conv.events["local_ts"].min()) / 1e9
        datasets[ds] = {
            "venue": venue,
            "symbol": symbol,
            "source": str(USDM.resolve())
            if ds == "usdm"
            else f"crossbook.sim.simulate(minutes={args.sim_minutes:g}, seed={args.seed})",
            "span_s": span_s,
            "local_shift_ns": shift,
            "table_rows": {k: int(v.height) for k, v in tables.items()},
            "conversion": conv.counts,
            "events": conv.rows,
            "tables_s": t_tables,
            "convert_s": t_conv,
        }
        print(f"# {ds}: {venue}:{symbol}, {conv.rows:,} events over {span_s:.0f} s ({conv.counts})", flush=True)
        for mode in modes:
            row = {"dataset": ds, "mode": mode, "events": conv.rows}
            if peer_ok:
                cmd = [str(PEER_PY), __file__, "--peer-npz", str(npz), "--peer-meta", str(meta_path), "--mode", mode]
                cmd += ["--repeat", str(args.repeat)]
                row["hftbacktest"] = _per_event(_sub(cmd), conv.rows)
            else:
                row["hftbacktest"] = {"error": f"not installed in {PEER_PY} (run `make bench-peers`)"}
            if mode == "replay":
                row["crossbook"] = {"status": "no replay-only mode in run_backtest; compare the glft rows"}
            elif ours_missing is None:
                cmd = [sys.executable, __file__, "--ours-dataset", ds, "--mode", mode.split("+")[1]]
                cmd += ["--latency-ms", str(args.latency_ms), "--order-qty", str(args.order_qty)]
                cmd += ["--repeat", str(args.repeat)]
                row["crossbook"] = _per_event(_sub(cmd), conv.rows)
            else:
                row["crossbook"] = {
                    "status": f"pending: crossbook.backtest.run_backtest not importable ({ours_missing})"
                }
            rows.append(row)
            print(_markdown(row), flush=True)

    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_1_5_15": {"start": load_start, "end": os.getloadavg()},
        "command": "python benches/bench_backtest.py " + " ".join(sys.argv[1:]),
        "peer": {"python": str(PEER_PY), "hftbacktest_numba_numpy": peer_version},
        "settings": {
            "step_ms": STEP_NS // 1_000_000,
            "order_latency_ms": args.latency_ms,
            "fees_bps_maker_taker": FEES_BPS,
            "exchange_model": f"{args.peer_exchange}_fill_exchange",
            "depth": "HashMapMarketDepthBacktest",
            "args": dict(vars(args)),
            "glft_fixed": {"refit_every_steps": 50, "intensity_bins": 70, "xi": "gamma", "delta": 1},
        },
        "datasets": datasets,
        "rows": rows,
        "quote_cycle": _quote_latency(args.quote_log, args.run_quote_bench),
    }
    for k in ("peer_npz", "peer_meta", "ours_dataset", "mode", "out"):
        result["settings"]["args"].pop(k, None)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")
    return 0


def _markdown(row: dict) -> str:
    def cell(r: dict) -> str:
        if "run_s" not in r:
            return r.get("status") or r.get("error", "?")
        mem = r.get("mib_per_million_events")
        mem_s = f", {mem:.0f} MiB/M ev" if mem is not None else ""
        early = "" if r.get("end_code", 1) == 1 else f", STOPPED EARLY: code {r['end_code']}"
        best = f", best {r['run_s_min']:.2f} s" if "run_s_min" in r else ""
        return f"{r['events_per_s'] / 1e6:.2f} M ev/s (median {r['run_s']:.2f} s{best}{mem_s}{early})"

    peer, ours = row["hftbacktest"], row["crossbook"]
    ratio = ""
    if "run_s" in peer and "run_s" in ours:
        ratio = f" | {peer['run_s'] / ours['run_s']:.1f}×"
    return f"| {row['dataset']} | {row['mode']} | {row['events']:,} | {cell(ours)} | {cell(peer)}{ratio} |"


if __name__ == "__main__":
    raise SystemExit(main())

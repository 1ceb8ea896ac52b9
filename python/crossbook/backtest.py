"""Backtests of the quote engine over the time-merged multi-venue stream, with realistic fills, run
records and an exact PnL attribution (Rust core: ``crossbook_core::backtest``).

**The loop.** Market events of the leader (``binance-futures:BTCUSDT``) and the quoted instrument
(``hyperliquid:BTC``) are replayed in ``ts_local`` order: signals (weighted mid, bipower σ, trade flow,
the rebuilt book of the quoted venue) → the streaming lead-lag estimator (leader mid vs quoted mid)
→ a quote-engine cycle (:class:`crossbook.quote.QuoteEngine`'s core) every ``cycle_ms`` on the local
clock, at every change of the quoted best bid/ask and when the leader moved ``leader_trigger_bps``
since the last cycle → order management on the exchange simulator (:mod:`crossbook.exchange`):
one post-only order per side, cancel/replace when the quote moves by ``requote_ticks`` ticks. The
strategy knows only what the simulator's ``poll`` returned (acks, fills, cancels after the response
latency); the venue matches on the quoted venue's exchange clock (book rows through the sequence
rules, trades, tickers, the BBO as touch updates). Exchange times running ahead of the local clock
(the shared Binance captures, ≈ +1.27 s) are shifted back per table by ``max(ts_exchange − ts_local)``.

**Lead-lag.** The leader's as-of log move ``r`` over the last ``min(lag, 1 s)`` has not reached the
quoted venue yet; with the estimator's lag, β and R² (for that move's direction) the cycle uses
``predict_remaining_move(r, 0)`` for the lead-lag adjusted micro-price and
``compute_lead_lag_skew_bps(r, 0)`` for the directional skew (:mod:`crossbook.leadlag_stream`).
``leadlag=False`` switches both off and leaves everything else equal (same cycles, same data).

**Model inputs not built yet.** Regime probabilities are fixed (``regime_probs``, certainly quiet),
the informed fraction and κ's CV are 0 and the cascade flag is off until the HMM / toxicity /
liquidation models land; the fill intensity (A, k) is fitted once on the quoted venue's trades of
the replayed data (in-sample, recorded in ``summary["inputs"]``) unless given. ``sharpe`` and
``sortino`` annualise the per-``equity_interval_ms`` PnL changes (365-day year), which gives large
numbers for second-level HFT PnL; ``max_drawdown`` is in quote currency.

**Attribution** (``summary["attribution"]``, ``attribution.parquet`` per UTC day, cumulative
columns in ``equity.parquet``). A fill of side ``s`` (+1 buy), size ``x`` at price ``p`` and time
``t``, marked at the quoted mid ``m`` as the strategy saw it, horizon ``h`` (``adverse_horizon_ms``,
1 s), end of data ``T``::

    spread_capture     s·x·(m(t) − p)
    adverse_selection  s·x·(m(min(t + h, T)) − m(t))
    inventory          s·x·(m(T) − m(min(t + h, T)))
    fees               −fees paid (rebates positive)
    funding            funding received (paid negative)
    total              = their sum = cash + position·m(T)

The price components are exact integers in the core (scaled prices and sizes), converted once, and
``total`` is defined as the sum of the five, so the components add up to it exactly;
``mark_to_market`` is the simulator's own cash + position·m(T) and ``identity_error`` their difference.
The final position is marked at the last mid (no closing trade). COIN-M inverse contracts are
accounted as linear (contracts × price), as the exchange simulator charges them.

**Run folder** (``out``): ``summary.json`` (``backtest``, ``attribution``, ``config``, ``inputs``),
``equity.parquet`` (ts, pnl, inventory, mid, cumulative components), ``fills.parquet`` (the
seed's ``EnrichedFill`` with ``BookContext`` / ``WallContext``), ``predictions.parquet`` (the seed's
``PredictionRecord`` per cycle with realised outcomes), ``attribution.parquet`` (per UTC day). See
:data:`RUN_FILES`. Outputs are deterministic: the same inputs and config give bit-identical files.
Null fields: ``microprice_std``, ``kappa_robust``, ``kappa_own`` (no such models yet); book and wall
context without a quoted book table; outcomes whose horizon passes the end of data.

**Config file** (``crossbook backtest --store DIR --config FILE --out DIR``; every key optional)::

    leader = "binance-futures:BTCUSDT"
    quoted = "hyperliquid:BTC"
    cycle_ms = 100
    leadlag = true
    intensity_a = 0.3            # omit both to fit λ(δ) = A·exp(−kδ) on the quoted trades (in-sample)
    intensity_k_per_tick = 0.4
    [quote]                      # crossbook.quote.QuoteConfig
    order_size = 0.01
    [quote.regimes.quiet]
    gamma = 0.3
    kappa_multiplier = 1.0
    spread_floor_bps = 1.0
    max_inventory = 1.0
    [exchange]                   # ExchangeConfig
    queue = "power"
    entry_ms = 10
    response_ms = 10
    maker_fee_bps = 1.5

Units: prices in quote currency, sizes in base units (contracts for COIN-M), PnL in quote currency,
depths/spreads/markouts in bps of the mid, times int64 ns (config times in ms).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from crossbook import _core
from crossbook._atomic import atomic_write_json
from crossbook._core import InvalidInputError
from crossbook.backtest_config import BacktestConfig, ExchangeConfig, LeadLagEstimatorConfig
from crossbook.backtest_result import COMPARE_KEYS, RUN_FILES, BacktestResult, load_run
from crossbook.data.instruments import PX_SCALE, instrument
from crossbook.quote import QuoteConfig, calibrate_intensity

__all__ = [
    "COMPARE_KEYS",
    "RUN_FILES",
    "BacktestConfig",
    "BacktestResult",
    "ExchangeConfig",
    "LeadLagEstimatorConfig",
    "compare_leadlag",
    "counterfactual",
    "load_run",
    "run_backtest",
]

MS = 1_000_000


def _instrument_spec(spec: str) -> tuple[str, str]:
    if ":" not in spec:
        raise InvalidInputError(f"instrument {spec!r} must be VENUE:SYMBOL, e.g. binance-futures:BTCUSDT")
    v, s = spec.split(":", 1)
    return v, s


# ---------------------------------------------------------------- data preparation


@dataclass
class _Prepared:
    """The numpy columns the core replays, and what was derived from the data."""

    arrays: dict[str, Any]
    tick: float
    a: float
    k_per_tick: float
    lot: float
    inputs: dict[str, Any]
    quoted_bbo: pl.DataFrame
    quoted_trade: pl.DataFrame


_BBO = ("ts_local", "ts_exchange", "bid_px", "bid_qty", "ask_px", "ask_qty")
_MISSING = np.iinfo(np.int64).min


def _i64(df: pl.DataFrame, col: str) -> np.ndarray:
    """An int64 numpy column (nulls → the core's missing marker); zero-copy when it already is one."""
    s = df[col]
    if s.dtype != pl.Int64 or s.null_count():
        s = s.cast(pl.Int64).fill_null(_MISSING)
    return np.ascontiguousarray(s.to_numpy(), dtype=np.int64)


def _select(
    tables: Mapping[str, pl.DataFrame], table: str, venue: str, symbol: str, cfg: BacktestConfig
) -> pl.DataFrame:
    df = tables.get(table)
    if df is None or df.height == 0:
        return pl.DataFrame()
    mine = df.select((pl.col("venue") == venue) & (pl.col("symbol") == symbol)).to_series()
    if not mine.all():  # a single-instrument table is used as is (no copy)
        df = df.filter(mine)
    if cfg.start is not None:
        df = df.filter(pl.col("ts_local") >= cfg.start)
    if cfg.end is not None:
        df = df.filter(pl.col("ts_local") < cfg.end)
    return df


def _bbo_of(tables: Mapping[str, pl.DataFrame], venue: str, symbol: str, cfg: BacktestConfig) -> pl.DataFrame:
    """The BBO rows of one instrument, or the top of its rebuilt book when it has none."""
    bbo = _select(tables, "bbo", venue, symbol, cfg)
    if bbo.height:
        return bbo
    book = _select(tables, "book", venue, symbol, cfg)
    if book.height == 0:
        raise InvalidInputError(f"{venue}:{symbol}: no bbo or book rows to replay")
    from crossbook.book import top_of_book

    return top_of_book(book, on_gap="resync")


def _infer_tick(bbo: pl.DataFrame) -> float:
    px = np.concatenate([bbo["bid_px"].drop_nulls().to_numpy(), bbo["ask_px"].drop_nulls().to_numpy()])
    px = px[px > 0].astype(np.int64)
    if len(px) == 0:
        raise InvalidInputError("cannot infer the tick: no prices; set `tick` in the config")
    return float(np.gcd.reduce(px)) / PX_SCALE


def _load(source: Any, cfg: BacktestConfig) -> Mapping[str, pl.DataFrame]:
    """A dict of tables from tables, a SimResult, or a store folder."""
    if hasattr(source, "tables") and isinstance(source.tables, Mapping):
        return source.tables
    if isinstance(source, Mapping):
        return source
    if isinstance(source, str | Path):
        from crossbook import store as store_mod

        st = store_mod.open(source)
        pairs = [_instrument_spec(cfg.leader), _instrument_spec(cfg.quoted)]
        sel = pl.any_horizontal([(pl.col("venue") == v) & (pl.col("symbol") == s) for v, s in pairs])
        out = {}
        for t in ("bbo", "trade", "book", "ticker"):
            q = st.scan(t).filter(sel)
            if cfg.start is not None:
                q = q.filter(pl.col("ts_local") >= cfg.start)
            if cfg.end is not None:
                q = q.filter(pl.col("ts_local") < cfg.end)
            out[t] = q.drop("date").sort("ts_local", maintain_order=True).collect()
        return out
    raise InvalidInputError(f"run_backtest needs tables, a SimResult or a store folder, got {type(source).__name__}")


def _prepare(source: Any, cfg: BacktestConfig) -> _Prepared:
    tables = _load(source, cfg)
    lv, ls = _instrument_spec(cfg.leader)
    qv, qs = _instrument_spec(cfg.quoted)
    qbbo = _bbo_of(tables, qv, qs, cfg)
    lbbo = _bbo_of(tables, lv, ls, cfg)
    trade = _select(tables, "trade", qv, qs, cfg)
    book = _select(tables, "book", qv, qs, cfg)
    ticker = _select(tables, "ticker", qv, qs, cfg)
    inst = instrument(qv, qs)
    tick = cfg.tick or inst.tick or _infer_tick(qbbo)
    a, k, fitted = cfg.intensity_a, cfg.intensity_k_per_tick, None
    if a is None or k is None:
        if trade.height < 20:
            raise InvalidInputError(
                f"{cfg.quoted}: {trade.height} trades are too few to fit the fill intensity; "
                "set intensity_a and intensity_k_per_tick in the config"
            )
        try:
            fit = calibrate_intensity(trade, qbbo, tick, step_ms=cfg.cycle_ms)
        except InvalidInputError as e:
            raise InvalidInputError(
                f"{cfg.quoted}: the fill-intensity fit failed ({e}); set intensity_a and intensity_k_per_tick "
                "in the config"
            ) from None
        if not (math.isfinite(fit.a) and math.isfinite(fit.k) and fit.a > 0 and fit.k > 0):
            raise InvalidInputError(
                f"{cfg.quoted}: the fill-intensity fit failed (A={fit.a}, k={fit.k}, {fit.n_points} points); "
                "set intensity_a and intensity_k_per_tick in the config"
            )
        fitted = {"a": fit.a, "k_per_tick": fit.k, "r2": fit.r2, "n_points": fit.n_points}
        a = a if a is not None else fit.a
        k = k if k is not None else fit.k

    def bbo_cols(df: pl.DataFrame) -> dict[str, np.ndarray]:
        return {c: _i64(df, c) if c in df.columns else _i64(df, "ts_local") for c in _BBO}

    n_tk = ticker.height
    arrays: dict[str, Any] = {
        "quoted_bbo": bbo_cols(qbbo),
        "leader_bbo": bbo_cols(lbbo),
        "quoted_trade": {
            **{c: _i64(trade, c) for c in ("ts_local", "ts_exchange", "px", "qty")},
            "aggressor": np.ascontiguousarray(trade["aggressor"].fill_null(0).to_numpy(), dtype=np.int8),
        }
        if trade.height
        else {
            **{c: np.zeros(0, np.int64) for c in ("ts_local", "ts_exchange", "px", "qty")},
            "aggressor": np.zeros(0, np.int8),
        },
        "quoted_ticker": {
            **{c: _i64(ticker, c) for c in ("ts_local", "ts_exchange", "mark_px", "next_funding_ts", "open_interest")},
            "funding_rate": np.ascontiguousarray(ticker["funding_rate"].cast(pl.Float64).fill_null(np.nan).to_numpy()),
        }
        if n_tk
        else {
            **{
                c: np.zeros(0, np.int64)
                for c in ("ts_local", "ts_exchange", "mark_px", "next_funding_ts", "open_interest")
            },
            "funding_rate": np.zeros(0),
        },
        "quoted_book": None,
    }
    if book.height:
        arrays["quoted_book"] = {
            **{c: _i64(book, c) for c in ("ts_local", "ts_exchange", "px", "qty", "seq_first", "seq_last", "seq_prev")},
            "side": np.ascontiguousarray(book["side"].to_numpy(), dtype=np.int8),
            "is_snapshot": np.ascontiguousarray(book["is_snapshot"].fill_null(False).to_numpy(), dtype=np.bool_),
        }
    inputs = {
        "tick": tick,
        "intensity_a": a,
        "intensity_k_per_tick": k,
        "intensity_fit": fitted,
        "lot": inst.lot,
        "rows": {
            "quoted_bbo": qbbo.height,
            "leader_bbo": lbbo.height,
            "quoted_trade": trade.height,
            "quoted_book": book.height,
            "quoted_ticker": n_tk,
        },
        "quoted_bbo_from_book": "bbo" not in tables or _select(tables, "bbo", qv, qs, cfg).height == 0,
    }
    return _Prepared(arrays, float(tick), float(a), float(k), inst.lot, inputs, qbbo, trade)


def _core_params(cfg: BacktestConfig, prep: _Prepared) -> tuple[str, str]:
    ex = cfg.exchange
    q = cfg.quote
    qd = q.model_dump()
    if cfg.order_size is not None:
        qd["order_size"] = cfg.order_size
    if qd["lot_size"] == 0 and prep.lot > 0:
        qd["lot_size"] = prep.lot
    ms = lambda x: round(x * MS)  # noqa: E731
    core = {
        "tick": prep.tick,
        "intensity_a": prep.a,
        "intensity_k_per_tick": prep.k_per_tick,
        "cycle_ns": ms(cfg.cycle_ms),
        "requote_on_bbo": cfg.requote_on_bbo,
        "leader_trigger_bps": cfg.leader_trigger_bps,
        "leadlag": cfg.leadlag,
        "leadlag_estimator": cfg.leadlag_estimator.model_dump(),
        "vol_step_ns": ms(cfg.vol_step_ms),
        "vol_window": cfg.vol_window,
        "regime_probs": list(cfg.regime_probs),
        "requote_ticks": cfg.requote_ticks,
        "size_tolerance": cfg.size_tolerance,
        "max_orders_per_side": cfg.max_orders_per_side,
        "stale_quoted_ns": ms(cfg.stale_quoted_ms),
        "stale_leader_ns": ms(cfg.stale_leader_ms),
        "equity_interval_ns": ms(cfg.equity_interval_ms),
        "adverse_horizon_ns": ms(cfg.adverse_horizon_ms),
        "post_only": cfg.post_only,
        "spread_mult": cfg.spread_mult,
        "book_levels": cfg.book_levels,
        "context_band_bps": cfg.context_band_bps,
        "wall_k": cfg.wall_k,
        "wall_band_bps": cfg.wall_band_bps,
        "wall_levels": cfg.wall_levels,
        "flicker_window_ns": ms(cfg.flicker_window_ms),
        "exchange": {
            "queue": ex.queue,
            "power_n": ex.power_n,
            "recent_ns": ms(ex.recent_ms),
            "latency": ex.latency,
            "entry_ns": ms(ex.entry_ms),
            "response_ns": ms(ex.response_ms),
            "latency_ts": [int(x) for x in ex.latency_ts],
            "latency_entry": [ms(x) for x in ex.latency_entry_ms],
            "latency_response": [ms(x) for x in ex.latency_response_ms],
            "feed_entry_mul": ex.feed_entry_mul,
            "feed_response_mul": ex.feed_response_mul,
            "maker_fee_bps": q.maker_fee_bps if ex.maker_fee_bps is None else ex.maker_fee_bps,
            "taker_fee_bps": ex.taker_fee_bps,
            "funding_interval_ns": 0 if ex.funding_interval_h is None else round(ex.funding_interval_h * 3.6e12),
            "funding_offset_ns": round(ex.funding_offset_h * 3.6e12),
            "match_bbo": ex.match_bbo,
        },
    }
    return json.dumps(core), json.dumps(qd)


# ---------------------------------------------------------------- results


def _frame(cols: dict[str, Any]) -> pl.DataFrame:
    """A polars frame from the core's column dict (NaN → null), built in one pass: numeric columns
    are taken from numpy without copying, categorical codes are gathered from their names, and the
    NaN → null and optional-bool conversions run as one ``with_columns``."""
    series: list[pl.Series] = []
    fixes: list[pl.Expr] = []
    for name, v in cols.items():
        if isinstance(v, tuple) and v[0] == "cat":
            series.append(pl.Series(name, v[2], dtype=pl.String).gather(np.asarray(v[1], dtype=np.uint32)))
        elif isinstance(v, tuple) and v[0] == "optbool":
            series.append(pl.Series(name, np.asarray(v[1], dtype=np.int8)))
            fixes.append(pl.when(pl.col(name) >= 0).then(pl.col(name) == 1).otherwise(None).alias(name))
        elif isinstance(v, tuple) and v[0] == "matrix":
            m = np.asarray(v[1], dtype=np.float64)
            pairs = m.reshape(m.shape[0], m.shape[1] // 2, 2)
            series.append(pl.Series(name, pairs).cast(pl.Array(pl.Array(pl.Float64, 2), m.shape[1] // 2)))
        else:
            series.append(pl.Series(name, v))
    df = pl.DataFrame(series)
    return df.with_columns(pl.col(pl.Float64).fill_nan(None), *fixes)


def _run(prep: _Prepared, cfg: BacktestConfig) -> BacktestResult:
    params, quote = _core_params(cfg, prep)
    a = prep.arrays
    t0 = time.perf_counter()
    raw = _core.run_backtest(
        params, quote, a["quoted_bbo"], a["quoted_trade"], a["quoted_ticker"], a["leader_bbo"], a["quoted_book"]
    )
    elapsed = time.perf_counter() - t0
    s = json.loads(raw["summary"])
    att = s.pop("attribution")
    summary = {
        "backtest": s,
        "attribution": att,
        "config": json.loads(cfg.model_dump_json()),
        "inputs": prep.inputs,
    }
    # each column dict is dropped once its frame exists (peak memory)
    predictions, fills, equity = _frame(raw.pop("cycles")), _frame(raw.pop("fills")), _frame(raw.pop("equity"))
    days = _frame(raw.pop("days"))
    days = days.with_columns(pl.from_epoch("day_start_ns", time_unit="ns").dt.date().alias("date")).select(
        "date", pl.exclude("date")
    )
    return BacktestResult(
        config=cfg,
        summary=summary,
        predictions=predictions,
        fills=fills,
        equity=equity,
        attribution=days,
        elapsed_s=elapsed,
    )


def run_backtest(
    tables_or_store: Any, config: BacktestConfig | None = None, out: str | Path | None = None
) -> BacktestResult:
    """Backtest ``config`` (default :class:`BacktestConfig`) on ``tables_or_store``: a dict of tables
    (``crossbook.data.read``, ``SimResult.tables``), a :class:`crossbook.sim.SimResult`, or a store
    folder. Writes the run folder when ``out`` is given. Raises :class:`crossbook.InvalidInputError`
    for bad configs and bad rows (the message names the table and row)."""
    cfg = config if config is not None else BacktestConfig()
    res = _run(_prepare(tables_or_store, cfg), cfg)
    if out is not None:
        res.write(out)
    return res


def compare_leadlag(
    tables_or_store: Any, config: BacktestConfig | None = None, out: str | Path | None = None
) -> dict[str, Any]:
    """The same backtest with and without lead-lag (adjusted micro-price and directional skew on / off,
    everything else equal). Returns ``{"with_leadlag": metrics, "without_leadlag": metrics, "change":
    {...}, "results": {...}}`` (metrics: :data:`COMPARE_KEYS` plus ``attribution``; ``change``:
    with − without, and the relative change of spread capture). With ``out``: ``out/with_leadlag/``,
    ``out/without_leadlag/`` run folders and ``out/comparison.json``."""
    cfg = config if config is not None else BacktestConfig()
    prep = _prepare(tables_or_store, cfg)
    res = {name: _run(prep, cfg.with_(leadlag=on)) for name, on in (("with_leadlag", True), ("without_leadlag", False))}
    w, wo = res["with_leadlag"].metrics(), res["without_leadlag"].metrics()
    change = {k: _diff(w[k], wo[k]) for k in COMPARE_KEYS}
    sc_w, sc_wo = w["attribution"]["spread_capture"], wo["attribution"]["spread_capture"]
    change["spread_capture_rel"] = (sc_w - sc_wo) / abs(sc_wo) if sc_wo else None
    change["adverse_selection"] = w["attribution"]["adverse_selection"] - wo["attribution"]["adverse_selection"]
    change["markout_1s_bps"] = _diff(w["markouts_bps"]["1s"], wo["markouts_bps"]["1s"])
    out_d = {"with_leadlag": w, "without_leadlag": wo, "change": change, "results": res}
    if out is not None:
        out = Path(out)
        for name, r in res.items():
            r.write(out / name)
        payload = {k: v for k, v in out_d.items() if k != "results"}
        atomic_write_json(out / "comparison.json", payload, sort_keys=True)
    return out_d


def _diff(a: Any, b: Any) -> float | None:
    if a is None or b is None:
        return None
    return float(a) - float(b)


def counterfactual(
    tables_or_store: Any,
    config: BacktestConfig | None = None,
    *,
    spread_mults: Sequence[float] = (0.5, 0.75, 1.0, 1.5, 2.0),
    gammas: Sequence[float | None] = (None, 0.1, 1.0),
) -> pl.DataFrame:
    """The seed's § 2.3 sensitivity table: the same data re-run for every spread multiplier (on the
    engine's half-spread) × γ (set for every regime; ``None`` keeps the config's). One row per run:
    ``spread_mult, gamma`` (quiet-regime γ used), ``pnl, sharpe, fills, fill_rate, spread_capture,
    adverse_selection, inventory, fees, adverse_selection_rate, mean_quoted_spread_bps`` and
    ``pnl_vs_actual`` (against multiplier 1 with the config's γ)."""
    cfg = config if config is not None else BacktestConfig()
    prep = _prepare(tables_or_store, cfg)
    rows = []
    for g in gammas:
        qc = cfg.quote
        if g is not None:
            regimes = {name: {**row, "gamma": float(g)} for name, row in qc.regimes.model_dump().items()}
            qc = QuoteConfig.model_validate({**qc.model_dump(), "regimes": regimes})
        for m in spread_mults:
            r = _run(prep, cfg.with_(spread_mult=float(m), quote=qc.model_dump()))
            b, a = r.backtest, r.summary["attribution"]
            quoted = r.predictions.filter(pl.col("status") == "quoted")
            rows.append(
                {
                    "spread_mult": float(m),
                    "gamma": qc.regimes.quiet.gamma,
                    "gamma_is_config": g is None,
                    "pnl": b["pnl"],
                    "sharpe": b["sharpe"],
                    "fills": b["fills"],
                    "fill_rate": b["fill_rate"],
                    "spread_capture": a["spread_capture"],
                    "adverse_selection": a["adverse_selection"],
                    "inventory": a["inventory"],
                    "fees": a["fees"],
                    "adverse_selection_rate": b["adverse_selection_rate"],
                    "mean_quoted_spread_bps": quoted["quoted_spread_bps"].mean() if quoted.height else None,
                }
            )
    df = pl.DataFrame(rows, infer_schema_length=None)
    base = df.filter((pl.col("spread_mult") == 1.0) & pl.col("gamma_is_config"))
    ref = base["pnl"][0] if base.height else None
    return df.with_columns(
        (pl.col("pnl") - ref).alias("pnl_vs_actual") if ref is not None else pl.lit(None).alias("pnl_vs_actual")
    )

"""Lead-lag analysis of one (leader, follower) pair from normalized tables or a store.

``analyze`` extracts each instrument's mid-price ticks (changes only, on the chosen clock), runs every
estimator available and returns one :class:`LeadLagAnalysis` whose ``summary()`` is
``summary.json["leadlag"]`` (``{method: {"lag_ms": ..., ...}}``) and whose ``section()`` is the report
section. Clocks: ``ts_local`` (receive time, shared by all venues of one recorder) by default;
``clock="exchange"`` uses each venue's own clock, where a constant offset between the venues' clocks
adds to the estimated lag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from crossbook import _core
from crossbook.data.instruments import PX_SCALE
from crossbook.leadlag import HYResult, hy_lead_lag
from crossbook.leadlag_study import JumpPairing, jump_pairing, xcorr_table

Clock = Literal["local", "exchange"]
Price = Literal["mid", "weighted_mid"]


@dataclass
class MidSeries:
    """Mid-price ticks of one instrument: times (ns) where the mid changed, and log mids."""

    venue: str
    symbol: str
    t: npt.NDArray[np.int64]
    logmid: npt.NDArray[np.float64]

    @property
    def name(self) -> str:
        return f"{self.venue}:{self.symbol}"

    @property
    def median_dt_ms(self) -> float:
        return float(np.median(np.diff(self.t)) / 1e6) if self.t.size > 1 else float("nan")


def parse_instrument(spec: str) -> tuple[str, str]:
    """``"VENUE:SYMBOL"`` → (venue, symbol)."""
    if ":" not in spec:
        raise ValueError(f"instrument {spec!r} must be VENUE:SYMBOL, e.g. binance-futures:BTCUSDT")
    venue, symbol = spec.split(":", 1)
    return venue, symbol


def price_series(
    bbo: pl.DataFrame,
    venue: str,
    symbol: str,
    *,
    clock: Clock = "local",
    start: int | None = None,
    end: int | None = None,
    price: Price = "mid",
) -> MidSeries:
    """Price ticks of (venue, symbol) from the bbo table: rows with both sides, changes only, sorted by
    the chosen clock (duplicate times keep the last value).

    ``price="mid"`` is (bid+ask)/2; ``"weighted_mid"`` is the size-weighted mid
    (bid·ask_qty + ask·bid_qty)/(bid_qty + ask_qty), which moves with the queue sizes between price
    changes — on large-tick instruments (BTCUSDT perp: 0.1 on ~60 000) the plain mid changes rarely and
    each change carries stale information, so the weighted mid is the better efficient-price proxy.
    """
    ts = "ts_local" if clock == "local" else "ts_exchange"
    d = bbo.filter(
        (pl.col("venue") == venue)
        & (pl.col("symbol") == symbol)
        & pl.col("bid_px").is_not_null()
        & pl.col("ask_px").is_not_null()
    )
    if d.height == 0:
        avail = bbo.select("venue", "symbol").unique().sort("venue", "symbol").rows()
        raise ValueError(f"no bbo rows for {venue}:{symbol}; available: {[f'{v}:{s}' for v, s in avail]}")
    if start is not None:
        d = d.filter(pl.col(ts) >= start)
    if end is not None:
        d = d.filter(pl.col(ts) < end)
    if price == "mid":
        value = (pl.col("bid_px") + pl.col("ask_px")).cast(pl.Float64) / (2 * PX_SCALE)
    elif price == "weighted_mid":
        bq, aq = pl.col("bid_qty").cast(pl.Float64), pl.col("ask_qty").cast(pl.Float64)
        value = (pl.col("bid_px").cast(pl.Float64) * aq + pl.col("ask_px").cast(pl.Float64) * bq) / (
            (bq + aq) * PX_SCALE
        )
        d = d.filter((pl.col("bid_qty") > 0) & (pl.col("ask_qty") > 0))
    else:
        raise ValueError(f"price must be 'mid' or 'weighted_mid', got {price!r}")
    d = (
        d.select(pl.col(ts).alias("t"), value.alias("p"))
        .sort("t", maintain_order=True)
        .unique("t", keep="last", maintain_order=True)
        .filter(pl.col("p") != pl.col("p").shift(1).fill_null(-1.0))
    )
    logmid = np.log(d["p"].to_numpy())
    return MidSeries(venue, symbol, d["t"].to_numpy().astype(np.int64), logmid)


def clock_offsets(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Median (ts_exchange − ts_local) in ms per venue, symbol and table, over rows that carry an
    exchange time (rows where the venue gave none have ts_exchange == ts_local and are excluded)."""
    frames = []
    for t in ("bbo", "trade", "book", "ticker"):
        df = tables.get(t)
        if df is None or df.height == 0:
            continue
        frames.append(
            df.filter(pl.col("ts_exchange") != pl.col("ts_local"))
            .group_by("venue", "symbol")
            .agg(
                ((pl.col("ts_exchange") - pl.col("ts_local")).median() / 1e6).alias("median_offset_ms"),
                pl.len().alias("rows"),
            )
            .with_columns(pl.lit(t).alias("table"))
        )
    if not frames:
        return pl.DataFrame(schema={"venue": pl.String, "symbol": pl.String, "median_offset_ms": pl.Float64})
    return pl.concat(frames).sort("venue", "symbol", "table")


@dataclass
class LeadLagAnalysis:
    """Every estimator's result for one pair; ``summary()`` is ``summary.json["leadlag"]``."""

    leader: MidSeries
    follower: MidSeries
    clock: Clock
    price: Price = "mid"
    hy: HYResult | None = None
    jumps_native: JumpPairing | None = None
    jumps_grid: JumpPairing | None = None
    xcorr: pl.DataFrame | None = None
    classifier: Any = None
    streaming: pl.DataFrame | None = None
    regimes: dict[str, dict[str, float]] | None = None
    offsets: pl.DataFrame | None = None
    methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    truth: dict[str, Any] | None = None

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "leader": self.leader.name,
            "follower": self.follower.name,
            "clock": self.clock,
            "price": self.price,
        }
        out.update(self.methods)
        return out

    def __repr__(self) -> str:
        lags = ", ".join(f"{m}={r.get('lag_ms', float('nan')):.1f} ms" for m, r in self.methods.items())
        return f"LeadLagAnalysis({self.leader.name} → {self.follower.name}, clock={self.clock}: {lags})"


def analyze(
    tables: dict[str, pl.DataFrame],
    leader: str,
    follower: str,
    *,
    clock: Clock = "local",
    start: int | None = None,
    end: int | None = None,
    max_lag_ms: float = 1000.0,
    step_ms: float = 1.0,
    n_boot: int = 200,
    price: Price = "weighted_mid",
    jump_threshold_bps: float | None = None,
    jump_window_ms: float | None = None,
    grid_ms: float | None = None,
    classifier: bool = True,
    truth: dict[str, Any] | None = None,
) -> LeadLagAnalysis:
    """Run the lead-lag estimators on ``leader`` → ``follower`` (``VENUE:SYMBOL`` each).

    Prices: the size-weighted mid by default (see :func:`price_series`; on the shared Binance captures the
    plain mid of the large-tick USDT-M perp changes so rarely that HY's argmax wanders to 120 ms).

    - ``hayashi_yoshida``: HY contrast on native ticks, lags ±``max_lag_ms`` every ``step_ms``;
    - ``jumps_native`` / ``jumps_grid``: the asynchronous study's jump pairing (threshold
      ``jump_threshold_bps``, default: the 99th percentile of the leader's absolute mid-change
      returns; window ``jump_window_ms``, default 2·|HY lag| + 2·(follower's median update gap), at
      least 5 ms (the study's window) and at most ``max_lag_ms``; grid ``grid_ms`` with the study's
      3-step span; ``grid_ms`` default 1 ms when the window is under 50 ms, else 10 ms) — its ``lag_ms`` is the median
      delay of the leader-leads pairs;
    - ``xcorr_grid``: Pearson cross-correlation of forward-filled ``grid_ms`` log returns — biased
      towards the follower's update interval (Epps effect), reported as such;
    - the leader-vs-noise classifier (XGBoost) when the leader has trades and both classes occur.
    """
    lv, ls = parse_instrument(leader)
    fv, fs = parse_instrument(follower)
    a = price_series(tables["bbo"], lv, ls, clock=clock, start=start, end=end, price=price)
    b = price_series(tables["bbo"], fv, fs, clock=clock, start=start, end=end, price=price)
    res = LeadLagAnalysis(a, b, clock, truth=truth, offsets=clock_offsets(tables), price=price)
    step = max(1, int(round(step_ms * 1e6)))
    lags = np.arange(-int(max_lag_ms * 1e6), int(max_lag_ms * 1e6) + 1, step, dtype=np.int64)
    res.hy = hy_lead_lag(a.t, a.logmid, b.t, b.logmid, lags, n_boot=n_boot)
    res.methods["hayashi_yoshida"] = res.hy.to_dict()

    if jump_threshold_bps is None:
        r = np.abs(np.diff(a.logmid))
        jump_threshold_bps = float(max(np.quantile(r, 0.99) * 1e4, 0.01)) if r.size else 1.0
    if jump_window_ms is None:
        gap = b.median_dt_ms if np.isfinite(b.median_dt_ms) else 0.0
        jump_window_ms = float(np.clip(2 * abs(res.hy.lag_ms) + 2 * gap, 5.0, max_lag_ms))
    if grid_ms is None:
        grid_ms = 1.0 if jump_window_ms < 50 else 10.0
    names = (a.name, b.name)
    pa, pb = np.exp(a.logmid), np.exp(b.logmid)
    for key, grid in (("jumps_native", None), ("jumps_grid", grid_ms)):
        jp = jump_pairing(
            a.t,
            pa,
            b.t,
            pb,
            threshold_bps=jump_threshold_bps,
            window_ms=jump_window_ms,
            grid_ms=grid,
            span=1 if grid is None else 3,
            names=names,
        )
        setattr(res, key, jp)
        sm = jp.summary
        res.methods[key] = {
            "lag_ms": float(sm["a_leads_median_ms"]),
            "mean_delay_ms": float(sm["a_leads_mean_ms"]),
            "threshold_bps": float(jump_threshold_bps),
            "window_ms": float(jump_window_ms),
            **{k: int(sm[k]) for k in ("jumps_a", "jumps_b", "paired", "a_leads_b", "b_leads_a") if k in sm},
            "chance_paired": jp.to_dict()["chance"].get("paired_events", {}).get("mean"),
        }

    max_steps = int(max_lag_ms // grid_ms)
    res.xcorr = xcorr_table(a.t, pa, b.t, pb, grid_ms=grid_ms, max_lag=max_steps)
    xc = res.xcorr.filter(pl.col("corr").is_not_nan())
    if xc.height:
        best = xc.sort("corr", descending=True).row(0, named=True)
        res.methods["xcorr_grid"] = {"lag_ms": float(best["lag_ms"]), "corr": float(best["corr"]), "grid_ms": grid_ms}

    _streaming(res, a, b, pa, pb)
    _cross_asset(res, a, b)

    if classifier and tables.get("trade") is not None:
        res.classifier = _classifier(tables, a, b, lv, ls, fv, fs, clock, jump_threshold_bps, jump_window_ms, grid_ms)
        if isinstance(res.classifier, dict):
            res.methods["classifier"] = res.classifier
        elif res.classifier is not None:
            res.methods["classifier"] = {
                k: v for k, v in res.classifier.to_dict().items() if isinstance(v, int | float | str)
            }
    return res


def _leader_vol(a: MidSeries, step_ms: float = 100.0, window: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """Rolling std of the leader's ``step_ms`` log returns over ``window`` steps (fraction per step),
    sampled once per second: the volatility input of the regime-conditioned estimator."""
    step = int(step_ms * 1e6)
    grid = np.arange(a.t[0], a.t[-1] + 1, step, dtype=np.int64)
    idx = np.searchsorted(a.t, grid, side="right") - 1
    r = np.diff(a.logmid[idx])
    vol = pl.Series(r).rolling_std(window, min_samples=max(10, window // 4)).to_numpy()
    every = max(1, int(1000 / step_ms))
    t = grid[1:][::every]
    v = vol[::every]
    ok = np.isfinite(v)
    return t[ok], v[ok]


def _streaming(res: LeadLagAnalysis, a: MidSeries, b: MidSeries, pa: np.ndarray, pb: np.ndarray) -> None:
    """The seed's streaming estimator (fine 10 ms grid, up/down split) with its monitor, and the
    regime-conditioned estimator with volatility thresholds at the terciles of the leader's rolling vol
    (the seed's fixed 1 bp / 3 bp per 100 ms would put a calm BTC hour entirely in one regime)."""
    from crossbook.leadlag_stream import RegimeConditionedLeadLag, streaming_estimates, with_health

    est = streaming_estimates(a.t, pa, b.t, pb, grid="fine")
    if est.height:
        est = with_health(est)
        res.streaming = est
        last = est.row(-1, named=True)
        res.methods["streaming"] = {
            "lag_ms": float(last["all_lag_ms"]),
            "beta": float(last["all_beta"]),
            "r_squared": float(last["all_r_squared"]),
            "lag_ms_up": float(last["up_lag_ms"]),
            "lag_ms_down": float(last["down_lag_ms"]),
            "health": last["health"],
            "estimations": est.height,
        }
    vt, vol = _leader_vol(a)
    if vol.size >= 3:
        lo, hi = np.quantile(vol, [1 / 3, 2 / 3])
        if hi > lo > 0:
            rc = RegimeConditionedLeadLag((float(lo), float(hi)), grid="fine")
            rc.update(a.t, pa, b.t, pb, vt, vol)
            res.regimes = {}
            for name in ("low", "medium", "high"):
                e = rc.current_estimate(name)
                res.regimes[name] = {**{k: float(v) for k, v in e.items()}, "samples": rc.sample_count(name)}
            res.methods["regime_conditioned"] = {
                "lag_ms": float(np.nanmean([r.get("lag_ms", np.nan) for r in res.regimes.values()])),
                "thresholds": [float(lo), float(hi)],
                "by_regime": res.regimes,
            }


def _cross_asset(res: LeadLagAnalysis, a: MidSeries, b: MidSeries, period_ms: float = 100.0) -> None:
    """The cross-asset plan's LeadLagTracker (±10 periods of returns, optimal lag = max |corr|) on
    ``period_ms`` bars — its usual use is BTC → alts on minute bars; here its resolution is one period."""
    from crossbook.research.cross_asset import LeadLagTracker, PriceData

    step = int(period_ms * 1e6)
    t0, t1 = max(a.t[0], b.t[0]), min(a.t[-1], b.t[-1])
    if t1 - t0 < 30 * step:
        return
    grid = np.arange(t0, t1, step, dtype=np.int64)
    pa = np.exp(a.logmid[np.searchsorted(a.t, grid, side="right") - 1])
    pb = np.exp(b.logmid[np.searchsorted(b.t, grid, side="right") - 1])
    try:
        m = LeadLagTracker(max_lag=10).calculate(
            PriceData(grid.tolist(), pa), PriceData(grid.tolist(), pb), a.name, b.name
        )
    except _core.CrossbookError:
        return
    res.methods["cross_asset_tracker"] = {
        "lag_ms": float(m.lead_periods * period_ms),
        "period_ms": period_ms,
        "correlation": float(m.correlation),
        "n_obs": int(m.n_obs),
    }


def _classifier(tables, a, b, lv, ls, fv, fs, clock, threshold_bps, window_ms, grid_ms):  # noqa: ANN001, ANN202
    """The leader-vs-noise classifier on the leader's jumps; a dict with ``error`` when it cannot run."""
    from crossbook.research.leader_classifier import leader_classifier

    ts = "ts_local" if clock == "local" else "ts_exchange"
    sel = lambda df, v, s: df.filter((pl.col("venue") == v) & (pl.col("symbol") == s))  # noqa: E731
    trades = sel(tables["trade"], lv, ls)
    try:
        return leader_classifier(
            sel(tables["bbo"], lv, ls),
            sel(tables["bbo"], fv, fs),
            trades if trades.height else None,
            clock=ts,
            threshold_bps=threshold_bps,
            window_ms=window_ms,
            # feature windows scaled to a cross-venue window (the study's 3/20/20 ms suit a 5 ms window)
            return_ms=max(3.0, window_ms / 20),
            vol_ms=max(20.0, window_ms / 2),
            flow_ms=max(20.0, window_ms / 2),
        )
    except (_core.CrossbookError, ValueError) as e:
        return {"error": str(e)}

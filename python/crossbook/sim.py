"""Multi-venue market simulator with known ground truth (core in Rust).

A latent efficient price switches between four regimes (quiet / trending / volatile / cascade). A
leader venue (``binance-futures`` / ``BTCUSDT``) quotes it at once: bbo updates, an L2 book (one
snapshot, then Binance USDⓈ-M diff messages chained by ``U``/``u``/``pu``) with a depth profile,
walls that persist or get pulled and flickering spoof orders, labelled trades, mark / index /
funding / open-interest tickers. A follower venue (``hyperliquid`` / ``BTC``) quotes on blocks and
its log mid follows the leader's with a known causal lag (per regime and per move direction) and
transmission β::

    follower_logmid(t) = base + β · (leader_logmid(t − lag) − leader_logmid(0)) + OU noise

Every venue has its own exchange clock (``ts_exchange`` = true time + offset, printed in ms) and
feed latency to our recorder (``ts_local`` = true time + gamma-distributed latency, never going
backwards per venue; a venue's messages of one ms share a timestamp). :func:`simulate` returns the
normalized tables exactly as :func:`crossbook.data.readers.read` builds them, plus the truth.

Example::

    >>> from crossbook.sim import simulate
    >>> r = simulate(minutes=5, seed=1, lag_ms=120)
    >>> r.truth["lag_ms_local"]          # what an estimator should find on ts_local
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from crossbook import _core
from crossbook.data.readers import Tables, _to_tables

RegimeName = Literal["quiet", "trending", "volatile", "cascade"]
REGIMES: tuple[str, ...] = ("quiet", "trending", "volatile", "cascade")
LABELS: tuple[str, ...] = ("noise", "informed", "liquidation", "arbitrage")


class RegimeParams(BaseModel):
    """Parameters that change with the regime (defaults differ per regime, see :data:`REGIME_DEFAULTS`)."""

    model_config = ConfigDict(extra="forbid")

    vol_bps: float = Field(0.8, ge=0, description="latent diffusion volatility, bp per √s")
    drift_bps: float = Field(0.0, ge=0, description="|drift|, bp per s; sign drawn per segment")
    down_prob: float = Field(0.5, ge=0, le=1, description="probability a segment's drift points down")
    jump_hz: float = Field(0.02, ge=0, description="latent price jumps per s")
    jump_bps: float = Field(3.0, ge=0, description="mean |jump|, bp (exponential)")
    refresh_hz: float = Field(6.0, ge=0, description="leader quote refreshes per s (jumps refresh at once)")
    trade_hz: float = Field(25.0, ge=0, description="leader noise trades per s")
    informed_prob: float = Field(
        0.1, ge=0, le=1, description="probability a leader mid move is preceded by informed sweeps"
    )
    liquidation_hz: float = Field(0.0, ge=0, description="leader liquidation bursts per s (follower: half)")
    follower_trade_hz: float = Field(2.0, ge=0, description="follower noise/informed trades per s")
    follower_spread_ticks: int = Field(1, ge=1, description="follower quoted spread, follower ticks")
    idle_gap_hz: float = Field(0.5, ge=0, description="leader idle gaps (50–100 ms, no message) per s")


REGIME_DEFAULTS: dict[str, dict[str, float]] = {
    "quiet": {},
    "trending": {
        "vol_bps": 1.2,
        "drift_bps": 0.5,
        "jump_hz": 0.05,
        "jump_bps": 4.0,
        "refresh_hz": 10.0,
        "trade_hz": 40.0,
        "informed_prob": 0.35,
        "liquidation_hz": 0.005,
        "follower_trade_hz": 4.0,
        "idle_gap_hz": 0.2,
    },
    "volatile": {
        "vol_bps": 3.0,
        "jump_hz": 0.15,
        "jump_bps": 6.0,
        "refresh_hz": 20.0,
        "trade_hz": 80.0,
        "informed_prob": 0.2,
        "liquidation_hz": 0.05,
        "follower_trade_hz": 8.0,
        "follower_spread_ticks": 2,
        "idle_gap_hz": 0.1,
    },
    "cascade": {
        "vol_bps": 6.0,
        "drift_bps": 4.0,
        "down_prob": 0.8,
        "jump_hz": 0.5,
        "jump_bps": 10.0,
        "refresh_hz": 40.0,
        "trade_hz": 150.0,
        "informed_prob": 0.3,
        "liquidation_hz": 2.0,
        "follower_trade_hz": 15.0,
        "follower_spread_ticks": 3,
        "idle_gap_hz": 0.0,
    },
}


class RegimeSet(BaseModel):
    """One :class:`RegimeParams` per regime."""

    model_config = ConfigDict(extra="forbid")

    quiet: RegimeParams = Field(default_factory=lambda: RegimeParams(**REGIME_DEFAULTS["quiet"]))
    trending: RegimeParams = Field(default_factory=lambda: RegimeParams(**REGIME_DEFAULTS["trending"]))
    volatile: RegimeParams = Field(default_factory=lambda: RegimeParams(**REGIME_DEFAULTS["volatile"]))
    cascade: RegimeParams = Field(default_factory=lambda: RegimeParams(**REGIME_DEFAULTS["cascade"]))


_TRANSITION = [
    [0.95, 0.03, 0.019, 0.001],
    [0.10, 0.85, 0.04, 0.01],
    [0.15, 0.10, 0.70, 0.05],
    [0.05, 0.05, 0.60, 0.30],
]


class SimConfig(BaseModel):
    """Every simulator parameter, with its unit and default (mirrors the Rust ``SimConfig``).

    Lags: a leader move in regime ``r`` going up reaches the follower after
    ``lag_by_regime[r] + (lag_ms_up − lag_ms)`` ms (down: ``lag_ms_down``); by default every
    regime and direction uses ``lag_ms``. Times are true (simulated) time unless said otherwise.
    """

    model_config = ConfigDict(extra="forbid")

    minutes: float = Field(30.0, gt=0, le=10080, description="simulated duration, minutes")
    seed: int = Field(7, ge=0, lt=2**64, description="seed of every random stream")
    start_ns: int = Field(1_723_075_200_000_000_000, ge=0, description="true time of the start, ns UTC")
    lag_ms: float = Field(150.0, ge=0, le=60_000, description="causal lag of the follower mid, ms")
    lag_ms_up: float | None = Field(None, ge=0, le=60_000, description="lag of up-moves, ms (default lag_ms)")
    lag_ms_down: float | None = Field(None, ge=0, le=60_000, description="lag of down-moves, ms (default lag_ms)")
    lag_by_regime: dict[RegimeName, float] | None = Field(
        None, description="lag per regime, ms (missing regimes use lag_ms)"
    )
    beta: float = Field(1.0, gt=0, le=10, description="transmission: follower log move = β × leader log move")
    follower_basis_bps: float = Field(1.5, description="follower mid premium over the leader at the start, bp")
    follower_noise_bps: float = Field(0.3, ge=0, description="std of the follower's OU log-mid noise, bp")
    follower_noise_tau_s: float = Field(5.0, gt=0, description="mean reversion time of that noise, s")
    price: float = Field(60_000.0, gt=0, description="initial leader mid, quote currency")
    vol_scale: float = Field(1.0, ge=0, description="multiplier of every regime's vol_bps")
    regime_step_s: float = Field(5.0, gt=0, description="time step of the transition matrix, s")
    transition: list[list[float]] = Field(
        default_factory=lambda: [row[:] for row in _TRANSITION],
        description="4×4 regime transition probabilities per regime_step_s (rows sum to 1)",
    )
    initial_regime: RegimeName = Field("quiet", description="regime at the start")
    regimes: RegimeSet = Field(default_factory=RegimeSet, description="per-regime parameters")
    leader_clock_offset_ms: float = Field(0.0, description="leader exchange clock − true time, ms")
    clock_offset_ms: float = Field(-20.0, description="follower exchange clock − leader exchange clock, ms")
    leader_latency_ms: float = Field(5.0, ge=0, description="mean leader feed latency, ms")
    leader_latency_jitter_ms: float = Field(1.0, ge=0, description="std of the leader feed latency, ms")
    follower_latency_ms: float = Field(40.0, ge=0, description="mean follower feed latency, ms")
    follower_latency_jitter_ms: float = Field(8.0, ge=0, description="std of the follower feed latency, ms")
    leader_tick: float = Field(0.1, gt=0, description="leader tick size, quote currency")
    leader_lot: float = Field(0.001, gt=0, description="leader lot size, base units")
    leader_book_ticks: int = Field(1000, ge=1, le=5000, description="leader depth kept per side, ticks")
    leader_touch_qty: float = Field(2.5, gt=0, description="mean leader touch size, base units")
    leader_churn_hz: float = Field(150.0, ge=0, description="leader order events per s")
    leader_depth_interval_ms: float = Field(50.0, ge=1, description="leader diff-depth message interval, ms")
    walls_per_min: float = Field(1.5, ge=0, description="walls placed per minute (leader)")
    wall_qty: float = Field(40.0, gt=0, description="mean wall size, base units")
    wall_life_s: float = Field(240.0, gt=0, description="mean wall lifetime, s")
    wall_pull_prob: float = Field(0.6, ge=0, le=1, description="probability a wall is pulled on approach")
    spoofs_per_min: float = Field(3.0, ge=0, description="spoofing episodes per minute (leader)")
    spoof_qty: float = Field(15.0, gt=0, description="mean spoof order size, base units")
    follower_tick: float = Field(1.0, gt=0, description="follower tick size, quote currency")
    follower_lot: float = Field(0.00001, gt=0, description="follower lot size, base units")
    follower_block_ms: float = Field(80.0, ge=1, description="mean follower block interval, ms")
    follower_block_jitter: float = Field(0.25, ge=0, lt=1, description="block interval jitter, fraction (±)")
    follower_book_interval_ms: float = Field(500.0, ge=1, description="min time between follower snapshots, ms")
    follower_levels: int = Field(20, ge=1, le=100, description="levels per side in follower snapshots")
    follower_touch_qty: float = Field(0.5, gt=0, description="mean follower touch size, base units")
    arb_threshold_bps: float = Field(1.5, ge=0, description="in-flight leader move that draws arbitrage, bp")
    arb_prob: float = Field(0.6, ge=0, le=1, description="probability per block that arbitrageurs act")
    ticker_interval_ms: float = Field(1000.0, ge=1, description="interval of ticker rows, ms")
    open_interest: float = Field(80_000.0, ge=0, description="leader open interest at the start, base units")
    follower_open_interest: float = Field(10_000.0, ge=0, description="follower open interest at the start, base units")

    @field_validator("transition")
    @classmethod
    def _stochastic_4x4(cls, m: list[list[float]]) -> list[list[float]]:
        if len(m) != 4 or any(len(row) != 4 for row in m):
            raise ValueError("transition must be a 4×4 matrix (quiet, trending, volatile, cascade)")
        for name, row in zip(REGIMES, m, strict=True):
            if any(p < 0 or p > 1 for p in row) or abs(sum(row) - 1) > 1e-6:
                raise ValueError(f"transition row {name!r} must hold probabilities summing to 1, got {row}")
        return m

    def lag_table(self) -> dict[str, dict[str, float]]:
        """Causal lag in ms per regime and direction (``{"quiet": {"up": .., "down": ..}, ...}``)."""
        by = self.lag_by_regime or {}
        up = (self.lag_ms_up if self.lag_ms_up is not None else self.lag_ms) - self.lag_ms
        down = (self.lag_ms_down if self.lag_ms_down is not None else self.lag_ms) - self.lag_ms
        return {r: {"up": by.get(r, self.lag_ms) + up, "down": by.get(r, self.lag_ms) + down} for r in REGIMES}


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if k != "lag_by_regime" and isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def make_config(**overrides: Any) -> SimConfig:
    """A :class:`SimConfig` from the defaults with ``overrides`` (nested dicts such as
    ``regimes={"cascade": {"vol_bps": 9}}`` are merged into the defaults, not replacing them).

    Raises ``TypeError`` for unknown keywords and :class:`crossbook.InvalidInputError` for values
    the model rejects.
    """
    unknown = sorted(set(overrides) - set(SimConfig.model_fields))
    if unknown:
        valid = ", ".join(sorted(SimConfig.model_fields))
        raise TypeError(f"unknown simulator parameter(s) {', '.join(unknown)}; valid: {valid}")
    try:
        return SimConfig.model_validate(_merge(SimConfig().model_dump(), overrides))
    except ValidationError as e:
        raise _core.InvalidInputError(f"invalid simulator config: {e}") from None


@dataclass(frozen=True, repr=False)
class SimResult:
    """What :func:`simulate` returns.

    - ``tables``: ``{bbo, book, trade, ticker, liquidation}`` polars frames, exactly as the readers
      build them (rows in ``ts_local`` order; venue ``binance-futures``/``BTCUSDT`` and
      ``hyperliquid``/``BTC``);
    - ``truth``: the ground truth (lags on each clock, β, clocks, latencies, regime shares, ...);
    - ``labels``: one row per trade row, same order: venue, symbol, trade_id, ts_local, label
      (noise / informed / liquidation / arbitrage);
    - ``regimes``: regime segments in true time: regime, start_ns, end_ns, direction (+1/-1 drift);
    - ``book_events``: wall and spoof lifetimes on the leader book, in true time;
    - ``config``: the :class:`SimConfig` that produced it.
    """

    tables: Tables
    truth: dict[str, Any]
    labels: pl.DataFrame
    regimes: pl.DataFrame
    book_events: pl.DataFrame
    config: SimConfig = field(default_factory=SimConfig)

    def __repr__(self) -> str:
        t = self.truth
        shares = " ".join(f"{r} {t['regime_share'][r]:.0%}" for r in REGIMES)
        rows = ", ".join(f"{k}={v:,}" for k, v in self.tables.counts().items())
        return (
            f"SimResult({t['minutes']:g} min, seed={t['seed']}: "
            f"{t['leader_venue']}/{t['leader_symbol']} leads "
            f"{t['follower_venue']}/{t['follower_symbol']} by {t['lag_ms']:g} ms causal, "
            f"{t['lag_ms_local']:.1f} ms on ts_local, {t['lag_ms_exchange']:g} ms on ts_exchange, "
            f"beta={t['beta']:g}; regimes {shares}; rows {rows})"
        )


def simulate(minutes: float = 30, seed: int = 7, lag_ms: float = 150, beta: float = 1.0, **more: Any) -> SimResult:
    """Simulate a leader and a follower venue with known lead-lag; see the module doc.

    ``more`` overrides any other :class:`SimConfig` field, e.g. ``lag_ms_up=100, lag_ms_down=200``,
    ``lag_by_regime={"cascade": 40}``, ``clock_offset_ms=-35``, ``follower_latency_ms=60``,
    ``follower_block_ms=70``, ``vol_scale=2``, ``regimes={"quiet": {"vol_bps": 1.0}}``.

    Raises ``TypeError`` for unknown keywords (listing the valid ones) and
    :class:`crossbook.InvalidInputError` for invalid values (negative lags, ``beta <= 0``,
    ``minutes <= 0``, ...).
    """
    cfg = make_config(minutes=minutes, seed=seed, lag_ms=lag_ms, beta=beta, **more)
    raw = _core.simulate_market(cfg.model_dump_json())
    tables = _to_tables(raw["tables"])
    tables.sources["crossbook.sim"] = f"simulator seed={cfg.seed} minutes={cfg.minutes:g}"
    trade = tables["trade"]
    labels = pl.DataFrame(
        {
            "venue": trade["venue"],
            "symbol": trade["symbol"],
            "trade_id": trade["trade_id"],
            "ts_local": trade["ts_local"],
            "label": pl.Series("label", LABELS, dtype=pl.String).gather(pl.Series(raw["labels"]).cast(pl.UInt32)),
        }
    )
    seg = raw["segments"]
    ms = 1_000_000
    regimes = pl.DataFrame(
        {
            "regime": pl.Series(seg["regime"], dtype=pl.String),
            "start_ns": pl.Series(seg["start_ms"]) * ms + cfg.start_ns,
            "end_ns": pl.Series(seg["end_ms"]) * ms + cfg.start_ns,
            "direction": pl.Series(seg["dir"], dtype=pl.Int8),
        }
    )
    ev = raw["book_events"]
    book_events = pl.DataFrame(
        {
            "kind": pl.Series(ev["kind"], dtype=pl.String),
            "side": pl.Series(ev["side"], dtype=pl.Int8),
            "px": pl.Series(ev["px"], dtype=pl.Int64),
            "qty": pl.Series(ev["qty"], dtype=pl.Int64),
            "start_ns": pl.Series(ev["start_ns"], dtype=pl.Int64),
            "end_ns": pl.Series(ev["end_ns"], dtype=pl.Int64),
            "end_reason": pl.Series(ev["end_reason"], dtype=pl.String),
        }
    )
    return SimResult(
        tables=tables,
        truth=json.loads(raw["truth"]),
        labels=labels,
        regimes=regimes,
        book_events=book_events,
        config=cfg,
    )


__all__ = [
    "LABELS",
    "REGIMES",
    "RegimeParams",
    "RegimeSet",
    "SimConfig",
    "SimResult",
    "make_config",
    "simulate",
]

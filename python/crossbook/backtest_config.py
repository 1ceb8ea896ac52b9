"""Configuration of a backtest (:class:`BacktestConfig`, TOML-loadable), split from
:mod:`crossbook.backtest`, which re-exports everything here. Every field has a default and a unit.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crossbook.quote import FIXED_REGIME, QuoteConfig

__all__ = ["BacktestConfig", "ExchangeConfig", "LeadLagEstimatorConfig"]

_Strict = ConfigDict(extra="forbid", frozen=True)

# ---------------------------------------------------------------- configuration


class ExchangeConfig(BaseModel):
    """The simulated venue (see :mod:`crossbook.exchange` for each model)."""

    model_config = _Strict
    queue: Literal["risk_averse", "power", "power2", "power3", "log", "log2", "inferred"] = Field(
        default="risk_averse", description="queue-position model"
    )
    power_n: float = Field(default=2.0, gt=0, description="exponent of the power models")
    recent_ms: float = Field(default=1000.0, ge=0, description="window of the inferred model, ms")
    latency: Literal["constant", "feed", "interpolated"] = Field(default="constant", description="latency model")
    entry_ms: float = Field(default=10.0, ge=0, description="order entry latency (feed model: offset), ms")
    response_ms: float = Field(default=10.0, ge=0, description="response latency (feed model: offset), ms")
    latency_ts: list[int] = Field(default_factory=list, description="interpolated model: request times, ns")
    latency_entry_ms: list[float] = Field(default_factory=list, description="interpolated model: entry, ms")
    latency_response_ms: list[float] = Field(default_factory=list, description="interpolated model: response, ms")
    feed_entry_mul: float = Field(default=1.0, ge=0, description="feed model: entry = mul · feed latency + entry_ms")
    feed_response_mul: float = Field(default=1.0, ge=0, description="feed model: response multiplier")
    maker_fee_bps: float | None = Field(
        default=None, description="maker fee charged, bps of notional (None: the quote config's maker_fee_bps)"
    )
    taker_fee_bps: float = Field(default=5.0, description="taker fee, bps of notional")
    funding_interval_h: float | None = Field(
        default=None, gt=0, description="funding settles every this many hours (None: no funding)"
    )
    funding_offset_h: float = Field(default=0.0, description="offset of the settlement grid from 00:00 UTC, hours")
    match_bbo: bool = Field(default=True, description="feed the quoted BBO to the venue as touch updates")


class LeadLagEstimatorConfig(BaseModel):
    """The streaming lead-lag estimator inside the backtest (the seed's defaults)."""

    model_config = _Strict
    grid: Literal["seed", "fine"] = Field(default="seed", description="candidate lags: seed (11) or 10 ms grid")
    return_window_ms: int = Field(default=100, gt=0, description="minimum span of a follower return, ms")
    estimation_interval_ms: int = Field(default=1000, ge=0, description="re-estimation interval, ms")
    min_samples: int = Field(default=100, ge=1, description="rows needed before estimating")
    window_samples: int = Field(default=10_000, ge=1, description="rows kept")
    alpha: float = Field(default=0.1, gt=0, le=1, description="smoothing weight of a new estimate")
    max_lookback_ms: float = Field(default=1000.0, gt=0, description="cap of the leader-move lookback (the lag), ms")


class BacktestConfig(BaseModel):
    """Every setting of a backtest, with its default and unit. Load from TOML with :meth:`from_toml`
    (top-level keys, and ``[quote]``, ``[exchange]``, ``[leadlag_estimator]`` tables)."""

    model_config = _Strict
    leader: str = Field(default="binance-futures:BTCUSDT", description="VENUE:SYMBOL of the leader")
    quoted: str = Field(default="hyperliquid:BTC", description="VENUE:SYMBOL we quote")
    leadlag: bool = Field(default=True, description="lead-lag adjusted micro-price and directional skew on")
    quote: QuoteConfig = QuoteConfig()
    exchange: ExchangeConfig = ExchangeConfig()
    leadlag_estimator: LeadLagEstimatorConfig = LeadLagEstimatorConfig()
    cycle_ms: float = Field(default=100.0, gt=0, description="quote cycle interval (local clock), ms")
    requote_on_bbo: bool = Field(default=True, description="also cycle on every quoted best bid/ask price change")
    leader_trigger_bps: float = Field(
        default=1.0, ge=0, description="also cycle when the leader moved this much since the last cycle, bps (0 off)"
    )
    order_size: float | None = Field(default=None, gt=0, description="quote size, base units (None: quote.order_size)")
    tick: float | None = Field(default=None, gt=0, description="price tick (None: registry, else inferred)")
    intensity_a: float | None = Field(
        default=None, gt=0, description="λ(δ)=A·exp(−kδ): A per s per side (None: fitted on the quoted trades)"
    )
    intensity_k_per_tick: float | None = Field(default=None, gt=0, description="k per tick (None: fitted)")
    vol_step_ms: float = Field(default=1000.0, gt=0, description="bipower volatility grid step, ms")
    vol_window: int = Field(default=60, ge=2, description="bipower volatility window, returns")
    regime_probs: tuple[float, float, float, float] = Field(
        default=FIXED_REGIME, description="P(quiet, trending, volatile, cascade) given to the engine"
    )
    requote_ticks: float = Field(default=1.0, ge=0, description="replace an order when its price moves this many ticks")
    size_tolerance: float = Field(default=0.5, ge=0, description="replace when the size changes by more (fraction)")
    max_orders_per_side: int = Field(default=3, ge=1, description="orders alive per side, canceling ones included")
    stale_quoted_ms: float = Field(default=5000.0, gt=0, description="stop quoting when the quoted BBO is older, ms")
    stale_leader_ms: float = Field(
        default=5000.0, gt=0, description="stop quoting when the leader is older (lead-lag on), ms"
    )
    equity_interval_ms: float = Field(default=1000.0, gt=0, description="equity curve sampling, ms")
    adverse_horizon_ms: float = Field(default=1000.0, gt=0, description="attribution horizon h, ms")
    post_only: bool = Field(default=True, description="post-only orders")
    spread_mult: float = Field(default=1.0, gt=0, description="multiplier on the engine's half-spread")
    book_levels: int = Field(default=5, ge=1, le=50, description="book levels per side in each prediction record")
    context_band_bps: float = Field(default=10.0, gt=0, description="band of the book context, bps")
    wall_k: float = Field(default=5.0, gt=0, description="a wall is ≥ this × the median level size")
    wall_band_bps: float = Field(default=25.0, gt=0, description="walls within this of the mid, bps")
    wall_levels: int = Field(default=20, ge=1, description="levels per side defining the median")
    flicker_window_ms: float = Field(default=10_000.0, gt=0, description="window of the flicker rate, ms")
    start: int | None = Field(default=None, description="first ts_local replayed, ns (None: all)")
    end: int | None = Field(default=None, description="ts_local replayed up to (exclusive), ns (None: all)")

    @classmethod
    def from_toml(cls, path: str | Path) -> BacktestConfig:
        """Read a TOML file: top-level keys and the ``[quote]``, ``[exchange]``, ``[leadlag_estimator]``
        tables (a ``[backtest]`` table, if present, holds the top-level keys instead). Missing keys
        take the defaults; unknown keys are errors."""
        with open(path, "rb") as f:
            data: dict[str, Any] = tomllib.load(f)
        if "backtest" in data:
            inner = dict(data.pop("backtest"))
            data = {**inner, **data}
        return cls.model_validate(data)

    def with_(self, **changes: Any) -> BacktestConfig:
        """A copy with top-level fields changed (``quote=...`` replaces the quote config)."""
        return self.model_validate({**self.model_dump(), **changes})

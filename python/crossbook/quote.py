"""The quote engine: GLFT quotes with regime-blended parameters, lead-lag centre and skew, defensive mode,
inventory limits — seed ``heatmap-overlay-and-model-infrastructure.md`` § 3.7 ``EnhancedQuoteEngine``.

- :class:`QuoteConfig`: every parameter with its default and unit (pydantic; :meth:`QuoteConfig.from_toml`);
- :class:`QuoteEngine`: one cycle per :meth:`~QuoteEngine.cycle` call, or a whole frame of cycles with
  :meth:`~QuoteEngine.run` (Rust, GIL released); every cycle returns a record — prices, sizes, regime
  probabilities, κ, γ, spread_bps, reservation price, each intermediate and each input, and the skip
  reason of a cycle that could not quote;
- :func:`calibrate_intensity` / :func:`fit_intensity` / :func:`arrival_depths`: A and k of
  ``λ(δ) = A·exp(−kδ)`` from trade-arrival depths (δ in ticks from the mid; see the Rust
  ``quote::calibrate`` docs for the method and hftbacktest's half-tick pitfall);
- :func:`market_inputs`: engine inputs from a ``bbo`` frame using :mod:`crossbook.signals` (weighted mid
  or Stoikov micro-price, bipower volatility).

Units: depths, spreads and skews in bps of the quote centre; κ per bp (``λ`` falls by e per 1/κ bps); A in
fills per second; σ² in log-return variance per second; γ per bp per lot (lot = ``order_size``); sizes and
inventory in base units (contracts for COIN-M); times int64 ns.
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from crossbook import _core
from crossbook._core import InvalidInputError
from crossbook.data.instruments import PX_SCALE
from crossbook.signals import MicropriceModel, _decoded, _times, bipower_vol, weighted_mid

__all__ = [
    "FIXED_REGIME",
    "REGIMES",
    "Components",
    "GlftCoefficients",
    "IntensityFit",
    "QuoteConfig",
    "QuoteEngine",
    "RegimeRow",
    "RegimeTable",
    "arrival_depths",
    "calibrate_intensity",
    "fit_intensity",
    "glft_coefficients",
    "market_inputs",
]

#: regime names in index order (probability vectors, record columns ``p_<name>``)
REGIMES: tuple[str, ...] = ("quiet", "trending", "volatile", "cascade")
#: the regime probabilities used until the HMM lands: certainly quiet
FIXED_REGIME: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)

_SKIP_NAMES, _FIELD_NAMES = _core.quote_codes()
F64 = npt.NDArray[np.float64]
_Strict = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- configuration


class RegimeRow(BaseModel):
    """One row of the § 3.5 table."""

    model_config = _Strict
    gamma: float = Field(gt=0, description="risk aversion γ, per bp per lot")
    kappa_multiplier: float = Field(gt=0, description="factor on the fill-intensity decay κ")
    spread_floor_bps: float = Field(ge=0, description="minimum half-spread, bps")
    max_inventory: float = Field(gt=0, description="inventory limit, in units of inventory_scale")


class RegimeTable(BaseModel):
    """The seed's ``get_regime_params`` values (quiet, trending, volatile, cascade)."""

    model_config = _Strict
    quiet: RegimeRow = RegimeRow(gamma=0.3, kappa_multiplier=1.0, spread_floor_bps=5.0, max_inventory=1.0)
    trending: RegimeRow = RegimeRow(gamma=0.5, kappa_multiplier=0.7, spread_floor_bps=10.0, max_inventory=0.5)
    volatile: RegimeRow = RegimeRow(gamma=0.8, kappa_multiplier=1.5, spread_floor_bps=15.0, max_inventory=0.3)
    cascade: RegimeRow = RegimeRow(gamma=2.0, kappa_multiplier=5.0, spread_floor_bps=50.0, max_inventory=0.1)


class Components(BaseModel):
    """Switches; each component can be turned off (what "off" means is in each description)."""

    model_config = _Strict
    regime_blend: bool = Field(default=True, description="off: parameters of the most likely regime, no blend")
    adverse_selection: bool = Field(default=True, description="off: no κ adjustment and no informed-flow premium")
    uncertainty: bool = Field(default=True, description="off: uncertainty multiplier 1")
    spread_floor: bool = Field(default=True, description="off: no half-spread floor")
    maker_fee: bool = Field(default=True, description="off: fee not added to the half-spread")
    glft_vol_term: bool = Field(default=True, description="off: half-spread c1 alone (the seed's step 8), no σc2/2")
    inventory_skew: bool = Field(default=True, description="off: no GLFT inventory skew")
    microprice: bool = Field(default=True, description="off: centre on the mid instead of the micro-price")
    leadlag_center: bool = Field(default=True, description="off: centre not on the lead-lag adjusted micro-price")
    leadlag_skew: bool = Field(default=True, description="off: no lead-lag directional skew")
    defensive: bool = Field(default=True, description="off: the cascade flag is ignored")
    size_limits: bool = Field(default=True, description="off: fixed order size on both sides")


class QuoteConfig(BaseModel):
    """Every constant of the quote cycle, with its default and unit. Load from TOML with :meth:`from_toml`."""

    model_config = _Strict
    regimes: RegimeTable = RegimeTable()
    components: Components = Components()
    kappa_floor: float = Field(
        default=0.01,
        gt=0,
        description="floor on the input κ, per bp (the seed's kappa.max(100) per unit relative price)",
    )
    maker_fee_bps: float = Field(default=2.0, description="maker fee added to the half-spread, bps (negative: rebate)")
    as_kappa_discount_per_pct: float = Field(default=0.01, ge=0, description="κ discount per % of informed flow")
    as_kappa_min: float = Field(default=0.3, gt=0, le=1, description="lowest κ adjustment (seed: 0.3)")
    as_spread_premium_bps_per_pct: float = Field(
        default=0.0, ge=0, description="half-spread premium per % informed, bps"
    )
    warmup_s: float = Field(default=60.0, ge=0, description="warm-up after the first valid cycle, seconds")
    warmup_mult: float = Field(default=2.0, ge=1, description="uncertainty multiplier at the first cycle")
    kappa_cv_weight: float = Field(default=0.5, ge=0, description="multiplier added per unit of κ's σ/μ (capped at 1)")
    entropy_weight: float = Field(default=0.5, ge=0, description="multiplier added at uniform regime probabilities")
    max_uncertainty_mult: float = Field(default=3.0, ge=1, description="cap on the uncertainty multiplier")
    max_directional_skew_bps: float = Field(default=5.0, ge=0, description="cap on |lead-lag skew|, bps")
    defensive_floor_bps: float = Field(default=50.0, ge=0, description="defensive half-spread floor, bps")
    defensive_widen: float = Field(default=1.5, ge=1, description="defensive half-spread multiplier")
    defensive_size_mult: float = Field(default=0.5, ge=0, le=1, description="defensive size multiplier")
    defensive_reduce_only: bool = Field(
        default=True, description="defensive: with inventory, quote only the reducing side"
    )
    order_size: float = Field(default=0.1, gt=0, description="quote size and GLFT lot, base units")
    inventory_scale: float = Field(default=1.0, gt=0, description="base units per 1.0 of the table's max_inventory")
    lot_size: float = Field(
        default=0.0, ge=0, description="sizes round down to multiples of this, base units (0: none)"
    )

    @classmethod
    def from_toml(cls, path: str | Path, table: str | None = "quote") -> QuoteConfig:
        """Read a TOML file; the parameters live under ``[table]`` (``[quote]``), or at the top level when
        ``table`` is None. Missing keys take the defaults; unknown keys are errors."""
        with open(path, "rb") as f:
            data: dict[str, Any] = tomllib.load(f)
        if table is not None:
            if table not in data:
                raise InvalidInputError(f"{path}: no [{table}] table (tables: {sorted(data)})")
            data = data[table]
        return cls.model_validate(data)

    def to_core_json(self) -> str:
        """The JSON the Rust engine reads (the same keys)."""
        return self.model_dump_json()


# ---------------------------------------------------------------- engine


_F64_INPUTS = (
    "mid",
    "microprice",
    "ll_microprice",
    "ll_skew_bps",
    "best_bid",
    "best_ask",
    "tick",
    "inventory",
    "sigma2_per_s",
    "kappa",
    "a",
    "informed_fraction",
    "kappa_cv",
)


def _named(rec: dict[str, Any]) -> dict[str, Any]:
    rec["skip_reason"] = _SKIP_NAMES[rec["skip"]]
    rec["skip_input"] = _FIELD_NAMES[rec["skip_field"]]
    rec["regime_name"] = REGIMES[rec["regime"]]
    return rec


class QuoteEngine:
    """``EnhancedQuoteEngine``: one quote cycle per call. Stateful only in its counters, the warm-up start
    and the last cycle time; the same inputs give the same records."""

    def __init__(self, config: QuoteConfig | None = None) -> None:
        self.config = config if config is not None else QuoteConfig()
        self._e = _core.QuoteEngine(self.config.to_core_json())

    def cycle(
        self,
        *,
        t_ns: int,
        best_bid: float,
        best_ask: float,
        tick: float,
        inventory: float,
        sigma2_per_s: float,
        kappa: float,
        a: float,
        mid: float | None = None,
        microprice: float | None = None,
        ll_microprice: float | None = None,
        ll_skew_bps: float = 0.0,
        regime_probs: tuple[float, float, float, float] | list[float] = FIXED_REGIME,
        informed_fraction: float = 0.0,
        kappa_cv: float = 0.0,
        cascade: bool = False,
    ) -> dict[str, Any]:
        """One cycle. ``mid`` defaults to the book mid, ``microprice`` to the mid, ``ll_microprice`` to the
        micro-price (no lead-lag signal). Returns the record (see :meth:`run` for the columns); a skipped
        cycle has ``skip_reason != ""``, NaN prices and zero sizes."""
        if len(regime_probs) != 4:
            raise InvalidInputError(
                f"regime_probs needs 4 values (quiet, trending, volatile, cascade), got {regime_probs}"
            )
        m = 0.5 * (best_bid + best_ask) if mid is None else mid
        mp = m if microprice is None else microprice
        rec = self._e.cycle(
            t_ns=int(t_ns),
            mid=float(m),
            microprice=float(mp),
            ll_microprice=float(mp if ll_microprice is None else ll_microprice),
            ll_skew_bps=float(ll_skew_bps),
            best_bid=float(best_bid),
            best_ask=float(best_ask),
            tick=float(tick),
            inventory=float(inventory),
            regime_probs=[float(p) for p in regime_probs],
            sigma2_per_s=float(sigma2_per_s),
            kappa=float(kappa),
            a=float(a),
            informed_fraction=float(informed_fraction),
            kappa_cv=float(kappa_cv),
            cascade=bool(cascade),
        )
        return _named(rec)

    def run(self, inputs: pl.DataFrame) -> pl.DataFrame:
        """Cycles over the rows of ``inputs`` (float prices). Required columns: ``t_ns, best_bid, best_ask,
        tick, sigma2_per_s, kappa, a``; optional (default): ``mid`` (book mid), ``microprice`` (mid),
        ``ll_microprice`` (micro-price), ``ll_skew_bps`` (0), ``inventory`` (0), ``p_quiet, p_trending,
        p_volatile, p_cascade`` (certainly quiet), ``informed_fraction`` (0), ``kappa_cv`` (0), ``cascade``
        (false). Returns one record row per input row: ``cycle, t_ns``, the quote (``bid_px, ask_px,
        bid_size, ask_size``), ``centre_px, reservation_px``, depths and spreads in bps, ``kappa, gamma``,
        the blended parameters, ``p_*``, the inputs used, ``regime``/``regime_name``, ``skip``/
        ``skip_reason``/``skip_input``, ``defensive``, ``clamped``."""
        n = inputs.height
        for col in ("t_ns", "best_bid", "best_ask", "tick", "sigma2_per_s", "kappa", "a"):
            if col not in inputs.columns:
                raise InvalidInputError(f"quote inputs: missing column {col!r} (columns: {inputs.columns})")

        def f64(col: str, default: Any) -> F64:
            if col in inputs.columns:
                return np.ascontiguousarray(inputs[col].cast(pl.Float64).fill_null(np.nan).to_numpy(), dtype=np.float64)
            return np.ascontiguousarray(np.broadcast_to(np.asarray(default, dtype=np.float64), (n,)))

        bid, ask = f64("best_bid", np.nan), f64("best_ask", np.nan)
        cols: dict[str, Any] = {"t_ns": np.ascontiguousarray(inputs["t_ns"].cast(pl.Int64).to_numpy(), dtype=np.int64)}
        cols["mid"] = f64("mid", 0.5 * (bid + ask))
        cols["microprice"] = f64("microprice", cols["mid"])
        cols["ll_microprice"] = f64("ll_microprice", cols["microprice"])
        defaults = {"ll_skew_bps": 0.0, "inventory": 0.0, "informed_fraction": 0.0, "kappa_cv": 0.0}
        for name in _F64_INPUTS:
            if name not in cols:
                cols[name] = f64(name, defaults.get(name, np.nan))
        cols["regime_probs"] = np.ascontiguousarray(
            np.column_stack([f64(f"p_{r}", FIXED_REGIME[k]) for k, r in enumerate(REGIMES)]).reshape(n, 4)
        )
        cascade = inputs["cascade"].fill_null(False).to_numpy() if "cascade" in inputs.columns else np.zeros(n)
        cols["cascade"] = np.ascontiguousarray(cascade, dtype=np.bool_)
        out = pl.DataFrame(self._e.run(cols))
        return out.with_columns(
            pl.col("skip")
            .cast(pl.Int64)
            .replace_strict(list(range(len(_SKIP_NAMES))), _SKIP_NAMES)
            .alias("skip_reason"),
            pl.col("skip_field")
            .cast(pl.Int64)
            .replace_strict(list(range(len(_FIELD_NAMES))), _FIELD_NAMES)
            .alias("skip_input"),
            pl.col("regime").cast(pl.Int64).replace_strict(list(range(4)), list(REGIMES)).alias("regime_name"),
            pl.col("cascade").cast(pl.Boolean),
        )

    @property
    def counts(self) -> dict[str, int]:
        """Cycles per outcome: ``quoted`` and each skip reason."""
        return dict(self._e.counts)

    @property
    def cycles(self) -> int:
        return self._e.cycles

    @property
    def core_config(self) -> dict[str, Any]:
        """The parameters as the Rust engine holds them."""
        return dict(json.loads(self._e.config_json))

    def reset(self) -> None:
        """Forget the counters, the warm-up start and the clock."""
        self._e.reset()

    def __repr__(self) -> str:
        skipped = {k: v for k, v in self.counts.items() if k != "quoted" and v}
        return f"QuoteEngine(cycles={self.cycles}, quoted={self.counts['quoted']}, skipped={skipped})"


# ---------------------------------------------------------------- GLFT and calibration


class GlftCoefficients(NamedTuple):
    """Guéant (2017) eqs. 4.6–4.7 with ξ = γ, Δ = 1 lot, in bps: bid depth = half_spread + q·skew_per_lot,
    ask depth = half_spread − q·skew_per_lot."""

    c1: float
    c2: float
    half_spread: float
    skew_per_lot: float


def glft_coefficients(gamma: float, kappa: float, a: float, sigma_bps: float) -> GlftCoefficients:
    """``c1 = ln(1 + γ/κ)/γ``, ``c2 = sqrt(γ/(2Aκ)·(1 + γ/κ)^(κ/γ + 1))``, half-spread ``c1 + σc2/2`` and
    skew ``σc2`` per lot (γ per bp per lot, κ per bp, A per second, σ in bps per √s)."""
    return GlftCoefficients(*_core.glft_coefficients(float(gamma), float(kappa), float(a), float(sigma_bps)))


class IntensityFit(NamedTuple):
    """A fitted ``λ(δ) = A·exp(−kδ)``, δ in ticks from the mid; ``grid`` holds the empirical rates."""

    a: float
    """arrivals per second per side at δ = 0"""
    k: float
    """decay per tick"""
    r2: float
    n_points: int
    grid: pl.DataFrame
    """depth_ticks, counts (arrivals beyond δ), rate (per second per side), used (in the fit)"""

    def rate_at(self, depth_ticks: float | F64) -> float | F64:
        return self.a * np.exp(-self.k * np.asarray(depth_ticks))

    def kappa_per_bp(self, mid: float | F64, tick: float) -> float | F64:
        """The engine's κ (per bp of the quote centre): ``k·mid·1e-4/tick``."""
        return self.k * np.asarray(mid) * 1e-4 / tick


def fit_intensity(
    depth_ticks: npt.ArrayLike,
    exposure_s: float,
    *,
    step_ticks: float = 0.5,
    max_ticks: float = 70.0,
    min_count: int = 10,
    at_price_fills: bool = False,
) -> IntensityFit:
    """Log-linear fit of ``λ(δ) = A·exp(−kδ)``: on the grid ``δ_j = j·step_ticks`` up to ``max_ticks``,
    ``λ̂(δ_j)`` = arrivals with depth > δ_j (>= with ``at_price_fills``) / ``exposure_s`` (seconds × sides
    pooled); OLS of ``ln λ̂`` on ``δ_j`` over the points with at least ``min_count`` arrivals."""
    d = np.ascontiguousarray(depth_ticks, dtype=np.float64)
    r = _core.quote_fit_intensity(
        d, float(exposure_s), float(step_ticks), float(max_ticks), int(min_count), at_price_fills
    )
    grid = pl.DataFrame({k: r[k] for k in ("depth_ticks", "counts", "rate", "used")})
    return IntensityFit(r["a"], r["k"], r["r2"], r["n_points"], grid)


class ArrivalDepths(NamedTuple):
    depths: pl.DataFrame
    """t_ns, depth_ticks (from the mid), side (+1 buy, −1 sell)"""
    duration_s: float
    n_before_mid: int
    n_negative: int


def arrival_depths(
    trades: pl.DataFrame,
    bbo: pl.DataFrame,
    tick: float,
    *,
    step_ms: float = 0.0,
    time_col: str = "ts_local",
) -> ArrivalDepths:
    """Depth of each market order from the mid in force before it (``step_ms = 0``), or — as a quoting loop
    that re-quotes every ``step_ms`` sees it — the deepest trade per step and side from the mid at the start
    of the step. Depths are in ticks; a touch trade with a one-tick spread is at 0.5."""
    tt = _times(trades, time_col)
    px = _decoded(trades, "px", PX_SCALE)
    side = np.ascontiguousarray(trades["aggressor"].fill_null(0).to_numpy(), dtype=np.int8)
    bt = _times(bbo, time_col)
    mid = 0.5 * (_decoded(bbo, "bid_px", PX_SCALE) + _decoded(bbo, "ask_px", PX_SCALE))
    step_ns = round(step_ms * 1e6) if math.isfinite(step_ms) else -1
    t, d, s, dur, before, neg = _core.quote_arrival_depths(tt, px, side, bt, mid, float(tick), step_ns)
    return ArrivalDepths(pl.DataFrame({"t_ns": t, "depth_ticks": d, "side": s}), dur, before, neg)


def calibrate_intensity(
    trades: pl.DataFrame,
    bbo: pl.DataFrame,
    tick: float,
    *,
    step_ms: float = 100.0,
    time_col: str = "ts_local",
    **grid: Any,
) -> IntensityFit:
    """A and k from a capture: :func:`arrival_depths` (both sides pooled, so the exposure is twice the
    observed time and A is per side) then :func:`fit_intensity` (``grid``: its keyword arguments)."""
    ad = arrival_depths(trades, bbo, tick, step_ms=step_ms, time_col=time_col)
    return fit_intensity(ad.depths["depth_ticks"].to_numpy(), 2.0 * ad.duration_s, **grid)


def market_inputs(
    bbo: pl.DataFrame,
    *,
    tick: float,
    kappa: float,
    a: float,
    micro: MicropriceModel | None = None,
    vol_step_ms: float = 1000.0,
    vol_window: int = 60,
    time_col: str = "ts_local",
) -> pl.DataFrame:
    """Engine inputs for each ``bbo`` row, built with :mod:`crossbook.signals`: ``mid``, ``microprice``
    (Stoikov's from ``micro``, else the weighted mid), ``sigma2_per_s`` (bipower variation per second on a
    ``vol_step_ms`` grid over ``vol_window`` returns, as of the last grid point at or before the row; NaN
    until warm, and those cycles skip), constant ``kappa`` (per bp) and ``a``. Add ``inventory``,
    ``ll_microprice``/``ll_skew_bps``, ``p_*``, ``cascade`` columns as the backtest knows them."""
    t = _times(bbo, time_col)
    bid, ask = _decoded(bbo, "bid_px", PX_SCALE), _decoded(bbo, "ask_px", PX_SCALE)
    mid = 0.5 * (bid + ask)
    mp = micro.micro_price(bbo) if micro is not None else weighted_mid(bbo)
    vol = bipower_vol(t, mid, vol_step_ms, vol_window)
    per_s = vol.per_second("bv")
    sigma2 = np.full(len(t), np.nan)
    if len(per_s):
        # the last grid point strictly before the row (a grid point's value is final once time passes it)
        idx = np.searchsorted(vol.t_ns, t, side="left") - 1
        sigma2 = np.where(idx >= 0, per_s[np.maximum(idx, 0)], np.nan)
    return pl.DataFrame(
        {
            "t_ns": t,
            "best_bid": bid,
            "best_ask": ask,
            "tick": np.full(len(t), float(tick)),
            "mid": mid,
            "microprice": mp,
            "sigma2_per_s": sigma2,
            "kappa": np.full(len(t), float(kappa)),
            "a": np.full(len(t), float(a)),
        }
    )

"""The asynchronous spot–perp study's methods: jump pairing (Table 1) and grid cross-correlation (Table 2).

Inputs are two tick series, A and B: times as int64 ns (``ts_local`` by default, the clock both venues
share in a capture) and prices as floats. Everything heavy runs in the Rust core with the GIL released.

**Jumps.** A jump is a log-price move with ``|log return| ≥ threshold_bps · 1e-4`` (7 bps ≈ the study's
0.07%). On native ticks the return is between consecutive distinct timestamps (duplicate timestamps
collapse to the last price); with ``grid_ms`` set, both series are forward-filled (last observation
carried forward) onto a grid of that step and the return is over ``span`` grid steps (the study uses
a 1 ms grid and 3 steps); with ``span > 1`` a run of consecutive grid points with same-sign jumps is
one jump, at its first point.

**Pairing** (one-to-one, causal). Jumps of both markets are visited in time order (A first at equal
times). A visited jump pairs with the *earliest* still-unpaired same-sign jump of the other market
at most ``window_ms`` before it (inclusive); the earlier jump leads, the visited one follows, and both
are used up. Otherwise it stays open and may lead a later jump of the other market. So each jump is
in at most one pair, a jump that followed cannot also lead, an order-preserving echo with a constant
delay is matched exactly, and a pair at equal times is *simultaneous* (neither leads). Invariants:
``paired = a_leads_b + b_leads_a + simultaneous`` and ``noise_x = jumps_x − paired``.

**Chance baseline.** B's jump times are shifted circularly (over the span of all ticks) by offsets of
at least 10 windows in both directions, and the pairing is rerun; the pairs still found are
coincidences. Default: ``n_shifts`` offsets spread evenly over the span (fewer if the span is too
short; none → NaN baseline).

**Cross-correlation** (:func:`xcorr_table`): Pearson correlation of log returns on the forward-filled
grid, ``corr(r_A(t), r_B(t + τ))``, τ > 0 meaning A leads. Forward filling biases it when ticks are
sparser than the grid (Epps effect): a follower that updates every 50 ms shows a leader's move at its
next update, so the correlation is smeared over τ from the true lag to the true lag plus the follower's
gap and the peak is lower. The Hayashi–Yoshida contrast (:func:`crossbook.leadlag.hy_contrast`) has no
such bias.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from crossbook import _core
from crossbook.data.instruments import PX_SCALE

NS_PER_MS = 1_000_000


def _ns(ms: float, what: str) -> int:
    if not np.isfinite(ms) or ms < 0:
        raise _core.InvalidInputError(f"{what} must be a finite number of ms >= 0 (got {ms})")
    return round(ms * NS_PER_MS)


def _series(t: npt.ArrayLike, p: npt.ArrayLike) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    return np.ascontiguousarray(t, dtype=np.int64), np.ascontiguousarray(p, dtype=np.float64)


def mid_series(bbo: pl.DataFrame, clock: str = "ts_local") -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Times (``clock``, ns) and mid prices of a ``bbo`` frame, sorted by time (stable).

    Prices may be the data model's scaled integers (decoded here) or floats. Rows with a missing or
    non-positive side are dropped.
    """
    scale = float(PX_SCALE) if bbo.schema["bid_px"].is_integer() else 1.0
    df = (
        bbo.select(
            pl.col(clock).alias("t"),
            ((pl.col("bid_px").cast(pl.Float64) + pl.col("ask_px").cast(pl.Float64)) / (2.0 * scale)).alias("mid"),
            pl.col("bid_px").cast(pl.Float64).alias("bid"),
            pl.col("ask_px").cast(pl.Float64).alias("ask"),
        )
        .filter((pl.col("bid") > 0) & (pl.col("ask") > 0) & pl.col("t").is_not_null())
        .sort("t", maintain_order=True)
    )
    return df["t"].to_numpy().astype(np.int64), df["mid"].to_numpy().astype(np.float64)


@dataclass(frozen=True)
class JumpPairing:
    """Result of :func:`jump_pairing`: summary counts, per-jump frames and the chance baseline."""

    names: tuple[str, str]
    params: dict[str, Any]
    summary: dict[str, Any]
    jumps_a: pl.DataFrame = field(repr=False)
    jumps_b: pl.DataFrame = field(repr=False)
    baseline: pl.DataFrame = field(repr=False)

    def table(self) -> pl.DataFrame:
        """The study's Table 1 with the chance baseline: ``metric, value, chance_mean, chance_sd``.

        Delays are in ms (median and mean over the pairs of that direction; NaN without pairs).
        """
        a, b = self.names
        s, base = self.summary, self.baseline
        ja, jb = s["jumps_a"], s["jumps_b"]

        def stat(col: npt.NDArray[np.float64]) -> tuple[float, float]:
            if col.size == 0:
                return float("nan"), float("nan")
            return float(col.mean()), float(col.std(ddof=1)) if col.size > 1 else float("nan")

        paired = base["paired"].to_numpy().astype(np.float64)
        ab = base["a_leads_b"].to_numpy().astype(np.float64)
        ba = base["b_leads_a"].to_numpy().astype(np.float64)
        sim = base["simultaneous"].to_numpy().astype(np.float64)
        rows: list[tuple[str, float, tuple[float, float]]] = [
            (f"total_{a}_jumps", ja, (float(ja), 0.0) if paired.size else (np.nan, np.nan)),
            (f"total_{b}_jumps", jb, (float(jb), 0.0) if paired.size else (np.nan, np.nan)),
            ("paired_events", s["paired"], stat(paired)),
            ("noise_events", s["noise_a"] + s["noise_b"], stat(ja + jb - 2 * paired)),
            (f"noise_{a}_jumps", s["noise_a"], stat(ja - paired)),
            (f"noise_{b}_jumps", s["noise_b"], stat(jb - paired)),
            (f"{a}_leads_{b}", s["a_leads_b"], stat(ab)),
            (f"{b}_leads_{a}", s["b_leads_a"], stat(ba)),
            ("simultaneous", s["simultaneous"], stat(sim)),
            (f"median_delay_{a}_leads_ms", s["a_leads_median_ms"], (np.nan, np.nan)),
            (f"mean_delay_{a}_leads_ms", s["a_leads_mean_ms"], (np.nan, np.nan)),
            (f"median_delay_{b}_leads_ms", s["b_leads_median_ms"], (np.nan, np.nan)),
            (f"mean_delay_{b}_leads_ms", s["b_leads_mean_ms"], (np.nan, np.nan)),
        ]
        return pl.DataFrame(
            {
                "metric": [r[0] for r in rows],
                "value": [float(r[1]) for r in rows],
                "chance_mean": [r[2][0] for r in rows],
                "chance_sd": [r[2][1] for r in rows],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: names, parameters, counts, delays (ms) and the baseline mean/sd."""
        t = self.table()
        return {
            "names": list(self.names),
            "params": dict(self.params),
            "summary": dict(self.summary),
            "chance": {
                m: {"mean": mu, "sd": sd}
                for m, mu, sd in zip(t["metric"], t["chance_mean"], t["chance_sd"], strict=True)
                if not np.isnan(mu)
            },
            "n_shifts": self.baseline.height,
        }

    def __repr__(self) -> str:
        p = self.params
        where = "native ticks" if p["grid_ms"] is None else f"{p['grid_ms']:g} ms grid, span {p['span']}"
        head = (
            f"JumpPairing({self.names[0]} vs {self.names[1]}: ±{p['threshold_bps']:g} bps, "
            f"window {p['window_ms']:g} ms, {where}; chance over {self.baseline.height} shifts)"
        )
        lines = [head, f"  {'metric':<28} {'value':>10} {'chance':>18}"]
        for m, v, mu, sd in self.table().iter_rows():
            chance = "" if np.isnan(mu) else f"{mu:10.1f} ± {sd:<6.1f}"
            lines.append(f"  {m:<28} {v:>10.4g} {chance:>18}")
        return "\n".join(lines)


def _jump_frame(d: dict[str, Any], other_t: npt.NDArray[np.int64]) -> pl.DataFrame:
    t = d["t"]
    partner = d["partner"]
    has = partner >= 0
    pt = np.where(has, other_t[np.where(has, partner, 0)] if other_t.size else 0, 0)
    delay = np.where(has, (pt - t) / NS_PER_MS, np.nan)
    role = np.where(~has, "noise", np.where(delay > 0, "leads", np.where(delay < 0, "follows", "simultaneous")))
    return pl.DataFrame(
        {
            "ts": t,
            "sign": d["sign"],
            "ret_bps": d["ret"] * 1e4,
            "partner": partner,
            "role": role.astype(str),
            "delay_ms": delay,
        },
        schema={
            "ts": pl.Int64,
            "sign": pl.Int8,
            "ret_bps": pl.Float64,
            "partner": pl.Int64,
            "role": pl.String,
            "delay_ms": pl.Float64,
        },
    )


def jump_pairing(
    t_a: npt.ArrayLike,
    p_a: npt.ArrayLike,
    t_b: npt.ArrayLike,
    p_b: npt.ArrayLike,
    *,
    threshold_bps: float = 7.0,
    window_ms: float = 5.0,
    grid_ms: float | None = None,
    span: int = 1,
    n_shifts: int = 20,
    shifts_ms: npt.ArrayLike | None = None,
    names: tuple[str, str] = ("a", "b"),
) -> JumpPairing:
    """Find jumps in A and B, pair them within ``window_ms`` and measure the chance baseline.

    ``threshold_bps``: jump size as a log return in bps (> 0); ``window_ms``: pairing window W;
    ``grid_ms``: ``None`` for native ticks, else the forward-fill grid step; ``span``: grid return span
    in grid steps (≥ 1; the study uses 3); ``n_shifts``/``shifts_ms``: the chance baseline's circular
    shifts of B (default: ``n_shifts`` offsets spread over the data span, each ≥ 10·W from zero).
    ``jumps_a``/``jumps_b`` hold one row per jump: ``ts`` (ns), ``sign``, ``ret_bps``, ``partner`` (row
    in the other frame, −1 if unpaired), ``role`` (leads / follows / simultaneous / noise) and
    ``delay_ms`` (partner time − own time). A single tick or a constant series has no jumps (counts 0,
    delays NaN).

    Raises :class:`crossbook.InvalidInputError` for an empty series, unsorted times, non-positive or
    non-finite prices, mismatched lengths, a threshold ≤ 0, a negative window or a grid step ≤ 0.
    """
    if not (np.isfinite(threshold_bps) and threshold_bps > 0):
        raise _core.InvalidInputError(f"threshold_bps must be finite and > 0 (got {threshold_bps})")
    if span < 1:
        raise _core.InvalidInputError(f"span must be >= 1 grid step (got {span})")
    if n_shifts < 0:
        raise _core.InvalidInputError(f"n_shifts must be >= 0 (got {n_shifts})")
    grid_ns = None if grid_ms is None else _ns(grid_ms, "grid_ms")
    if grid_ns is not None and grid_ns <= 0:
        raise _core.InvalidInputError(f"grid_ms must be > 0 (got {grid_ms})")
    window_ns = _ns(window_ms, "window_ms")
    shifts = None
    if shifts_ms is not None:
        shifts = np.ascontiguousarray(np.round(np.asarray(shifts_ms, dtype=np.float64) * NS_PER_MS), dtype=np.int64)
    ta, pa = _series(t_a, p_a)
    tb, pb = _series(t_b, p_b)
    r = _core.jump_study(ta, pa, tb, pb, threshold_bps * 1e-4, window_ns, grid_ns, int(span), shifts, int(n_shifts))
    s = dict(r["summary"])
    for k in ("a_leads_median", "a_leads_mean", "b_leads_median", "b_leads_mean"):
        s[f"{k}_ms"] = s.pop(f"{k}_ns") / NS_PER_MS
    base = r["baseline"]
    baseline = pl.DataFrame(
        {
            "shift_ms": r["shifts_ns"] / NS_PER_MS,
            "paired": base["paired"],
            "a_leads_b": base["a_leads_b"],
            "b_leads_a": base["b_leads_a"],
            "simultaneous": base["simultaneous"],
        },
        schema={
            "shift_ms": pl.Float64,
            "paired": pl.Int64,
            "a_leads_b": pl.Int64,
            "b_leads_a": pl.Int64,
            "simultaneous": pl.Int64,
        },
    )
    params = {
        "threshold_bps": float(threshold_bps),
        "window_ms": float(window_ms),
        "grid_ms": None if grid_ms is None else float(grid_ms),
        "span": int(span),
    }
    return JumpPairing(
        names=names,
        params=params,
        summary=s,
        jumps_a=_jump_frame(r["a"], r["b"]["t"]),
        jumps_b=_jump_frame(r["b"], r["a"]["t"]),
        baseline=baseline,
    )


def jump_table(
    t_a: npt.ArrayLike, p_a: npt.ArrayLike, t_b: npt.ArrayLike, p_b: npt.ArrayLike, **kwargs: Any
) -> pl.DataFrame:
    """The study's Table 1 (with chance baseline) for A vs B; keyword arguments as :func:`jump_pairing`."""
    return jump_pairing(t_a, p_a, t_b, p_b, **kwargs).table()


def xcorr_table(
    t_a: npt.ArrayLike,
    p_a: npt.ArrayLike,
    t_b: npt.ArrayLike,
    p_b: npt.ArrayLike,
    *,
    grid_ms: float = 1.0,
    max_lag: int = 5,
    lags: npt.ArrayLike | None = None,
) -> pl.DataFrame:
    """The study's Table 2: Pearson correlation of forward-filled grid log returns at each lag.

    Columns ``lag`` (grid steps), ``lag_ms``, ``corr`` = corr(r_A(t), r_B(t + lag)) (positive lag = A
    leads B) and ``n`` (return pairs). Default lags −max_lag..max_lag. The grid covers the span both
    series have data for; lags as wide as that span, a constant series or series that do not overlap
    give NaN (n may be 0). See the module docs for the forward-fill (Epps) bias.
    """
    grid_ns = _ns(grid_ms, "grid_ms")
    if grid_ns <= 0:
        raise _core.InvalidInputError(f"grid_ms must be > 0 (got {grid_ms})")
    lag_arr = np.arange(-max_lag, max_lag + 1, dtype=np.int64) if lags is None else np.asarray(lags, dtype=np.int64)
    lag_arr = np.ascontiguousarray(lag_arr)
    ta, pa = _series(t_a, p_a)
    tb, pb = _series(t_b, p_b)
    r = _core.xcorr_grid(ta, pa, tb, pb, grid_ns, lag_arr)
    return pl.DataFrame(
        {"lag": lag_arr, "lag_ms": lag_arr * (grid_ns / NS_PER_MS), "corr": r["corr"], "n": r["n"]},
        schema={"lag": pl.Int64, "lag_ms": pl.Float64, "corr": pl.Float64, "n": pl.Int64},
    )


def xcorr_aligned(x: npt.ArrayLike, y: npt.ArrayLike, lags: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Pearson corr(x_t, y_{t+lag}) of two aligned, equally long series at each lag (positive = x leads).

    Pairs where either value is not finite are skipped; NaN at a lag with fewer than 3 pairs or a
    constant side. Raises :class:`crossbook.InvalidInputError` when the lengths differ.
    """
    return _core.xcorr_aligned(
        np.ascontiguousarray(x, dtype=np.float64),
        np.ascontiguousarray(y, dtype=np.float64),
        np.ascontiguousarray(lags, dtype=np.int64),
    )

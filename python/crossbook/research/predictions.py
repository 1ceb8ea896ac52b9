"""The prediction log → (forecast, outcome) pairs per model, and the seed's conditioning variables.

The backtester writes ``RUN/predictions.parquet``: the seed's ``PredictionRecord`` in snake_case
(``heatmap-overlay-and-model-infrastructure.md`` § 3.1). Two layouts are read:

- **flat** (one row per quote level and cycle): the ``MarketStateSnapshot`` fields, the
  ``LevelPrediction`` fields and the outcome fields as columns;
- **per side** (``crossbook.backtest``'s layout, one row per cycle): ``bid_<field>`` / ``ask_<field>``
  columns (:data:`SIDE_FIELDS`), stacked to one row per quoted side;
- **nested**: a ``levels`` column (list of ``LevelPrediction`` structs) and optionally a ``fills`` column
  (list of ``FillOutcome`` structs, matched to levels by ``level_index``); they are exploded to the flat
  layout (``level_index`` = position in ``levels``; a level's earliest fill counts).

Time of a record: ``timestamp_ns`` (seed), else ``ts_local``. Regime probabilities: ``p_<regime>`` columns
for the quote engine's regimes (``p_quiet, p_trending, p_volatile, p_cascade``), or a
``regime_probabilities`` struct with those fields.

Models and how each outcome is found (the first rule whose columns exist wins; rows whose forecast or
outcome is null are dropped, and rows whose outcomes were never observed — ``price_1s_later`` null, when
that column exists — count as unobserved):

============== ======================= =====================================================================
model          forecast                outcome (1 = happened)
============== ======================= =====================================================================
fill_100ms     ``p_fill_100ms``        ``filled_100ms``; else a ``fill_timestamp_ns`` within 100 ms
fill_1s        ``p_fill_1s``           ``filled_1s``; else a fill within 1 s
fill_10s       ``p_fill_10s``          ``filled_10s``; else a fill within 10 s
adverse        ``p_adverse_given_fill`` on filled levels only: ``adverse_given_fill`` / ``adverse_selection``;
                                       else ``side`` × (``mark_price_1s_later`` − ``mark_price_at_fill``) < 0;
                                       else ``adverse_selection_realized_bps`` > 0
regime_hmm     ``p_<regime>``          ``true_regime`` (name or index; the simulator's truth), one-vs-rest
                                       over the four regimes (one row per cycle and regime)
============== ======================= =====================================================================

Conditioning variables (seed Step 4), each a label per row; a variable whose inputs are absent is
reported as unavailable with the reason:

- ``volatility``: quartiles of ``sigma_bipower`` (else ``sigma_realized_1m``);
- ``funding``: ``funding_rate`` negative / positive, and "extreme" for the top decile of |rate|;
- ``settlement``: ``time_to_funding_settlement_s`` ≤ 300 s ("near settlement") or not;
- ``inventory``: ``inventory`` long / flat (|q| < 1e-9) / short;
- ``fill_activity``: fills of the whole log in the 60 s before the record, above the median ("active")
  or not ("quiet"); needs fill times;
- ``book_imbalance``: ``book_imbalance``, else top-level sizes of ``bid_levels`` / ``ask_levels``
  ((b − a)/(b + a)): bid-heavy > 1/3, ask-heavy < −1/3, balanced between;
- ``cross_exchange``: ``binance_hl_spread`` (bps), else (``binance_mid`` / ``microprice`` − 1)·1e4:
  "binance above" > 1 bp, "binance below" < −1 bp, "synced" between. (The seed's "HL leading / lagging"
  needs a lead-lag estimate per record, which the record does not carry; the sign of the gap is what
  is measurable here.)
"""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = ["HORIZONS_NS", "MODELS", "REGIMES", "conditioning_slices", "flatten", "model_outcomes"]

#: regimes of the quote engine, in index order
REGIMES: tuple[str, ...] = ("quiet", "trending", "volatile", "cascade")
#: fill-probability horizons, ns
HORIZONS_NS: dict[str, int] = {"100ms": 100_000_000, "1s": 1_000_000_000, "10s": 10_000_000_000}
#: model name → forecast column (regime_hmm: the p_<regime> columns)
MODELS: dict[str, str] = {
    "fill_100ms": "p_fill_100ms",
    "fill_1s": "p_fill_1s",
    "fill_10s": "p_fill_10s",
    "adverse": "p_adverse_given_fill",
    "regime_hmm": "p_<regime>",
}
#: window of the fill_activity conditioning variable, ns
ACTIVITY_WINDOW_NS = 60_000_000_000


def _time_col(df: pl.DataFrame) -> str | None:
    return next((c for c in ("timestamp_ns", "ts_local") if c in df.columns), None)


def _is_struct_list(df: pl.DataFrame, col: str) -> bool:
    dt = df.schema.get(col)
    return isinstance(dt, pl.List) and isinstance(dt.inner, pl.Struct)


#: per-side columns of the backtester's layout (``bid_<name>`` / ``ask_<name>``) → flat level columns
SIDE_FIELDS: dict[str, str] = {
    "depth_from_mid_bps": "depth_from_mid_bps",
    "p_fill_100ms": "p_fill_100ms",
    "p_fill_1s": "p_fill_1s",
    "p_fill_10s": "p_fill_10s",
    "p_adverse_given_fill": "p_adverse_given_fill",
    "expected_pnl_given_fill": "expected_pnl_given_fill",
    "estimated_queue_position": "estimated_queue_position",
    "filled_100ms": "filled_100ms",
    "filled_1s": "filled_1s",
    "filled_10s": "filled_10s",
    "adverse_realized": "adverse_given_fill",
}


def _stack_sides(df: pl.DataFrame) -> pl.DataFrame | None:
    """``crossbook.backtest``'s per-cycle layout (one row per cycle, ``bid_p_fill_1s`` / ``ask_p_fill_1s`` …)
    → one row per quoted side with flat level columns and ``side`` ("bid" / "ask")."""
    names = [n for n in SIDE_FIELDS if f"bid_{n}" in df.columns and f"ask_{n}" in df.columns]
    if "p_fill_1s" in df.columns or not names:
        return None
    side_cols = {f"{side}_{n}" for side in ("bid", "ask") for n in names}
    shared = [c for c in df.columns if c not in side_cols and c not in SIDE_FIELDS.values()]
    parts = [
        df.select(*shared, *[pl.col(f"{side}_{n}").alias(SIDE_FIELDS[n]) for n in names], pl.lit(side).alias("side"))
        for side in ("bid", "ask")
    ]
    return pl.concat(parts, how="vertical_relaxed")


def flatten(df: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The nested layout exploded to one row per level, or the backtester's per-side layout stacked to one
    row per side (see the module docs); a flat frame is returned as is. Returns the frame and notes on
    what was done."""
    notes: list[str] = []
    stacked = _stack_sides(df)
    if stacked is not None:
        notes.append(f"per-side columns stacked: {df.height} cycles → {stacked.height} side rows")
        df = stacked
    rp = df.schema.get("regime_probabilities")
    if isinstance(rp, pl.Struct):
        fields = [f.name for f in rp.fields]
        df = df.with_columns(
            [pl.col("regime_probabilities").struct.field(r).alias(f"p_{r}") for r in REGIMES if r in fields]
        )
    if not _is_struct_list(df, "levels"):
        return df, notes
    key = "quote_cycle_id" if "quote_cycle_id" in df.columns else None
    if key is None:
        df = df.with_row_index("quote_cycle_id")
        key = "quote_cycle_id"
    lv = (
        df.with_columns(pl.int_ranges(0, pl.col("levels").list.len()).alias("level_index"))
        .explode(["levels", "level_index"])
        .filter(pl.col("levels").is_not_null())
        .unnest("levels")
    )
    notes.append(f"nested levels exploded: {df.height} records → {lv.height} level rows")
    if _is_struct_list(lv, "fills"):
        fills = (
            df.select(key, "fills")
            .explode("fills")
            .filter(pl.col("fills").is_not_null())
            .unnest("fills")
            .sort("fill_timestamp_ns")
            .group_by([key, "level_index"], maintain_order=True)
            .first()
        )
        lv = lv.drop("fills").join(fills, on=[key, "level_index"], how="left")
    return lv, notes


def _side_sign(s: pl.Series) -> pl.Series:
    if s.dtype == pl.String or s.dtype == pl.Categorical or isinstance(s.dtype, pl.Enum):
        low = s.cast(pl.String).str.to_lowercase()
        return (
            pl.select(
                pl.when(low.is_in(["bid", "buy", "b", "long"]))
                .then(1.0)
                .when(low.is_in(["ask", "sell", "a", "s", "short"]))
                .then(-1.0)
                .otherwise(None)
            )
            .to_series()
            .alias("side")
        )
    return s.cast(pl.Float64).sign()


def _fill_outcome(df: pl.DataFrame, horizon: str, tcol: str | None) -> tuple[pl.Expr | None, str]:
    explicit = f"filled_{horizon}"
    if explicit in df.columns:
        return pl.col(explicit).cast(pl.Float64), f"column {explicit}"
    if "fill_timestamp_ns" in df.columns and tcol is not None:
        h = HORIZONS_NS[horizon]
        dt = pl.col("fill_timestamp_ns") - pl.col(tcol)
        return (pl.col("fill_timestamp_ns").is_not_null() & (dt <= h)).cast(pl.Float64), (
            f"fill_timestamp_ns − {tcol} ≤ {horizon}"
        )
    return None, f"needs {explicit}, or fill_timestamp_ns and a record time"


def _adverse_outcome(df: pl.DataFrame) -> tuple[pl.Expr | None, pl.Expr | None, str]:
    """(outcome, filled-row mask, how)."""
    if "fill_timestamp_ns" in df.columns:
        filled: pl.Expr | None = pl.col("fill_timestamp_ns").is_not_null()
    elif "filled_10s" in df.columns:
        filled = pl.col("filled_10s").cast(pl.Boolean)
    else:
        filled = None
    for c in ("adverse_given_fill", "adverse_selection"):
        if c in df.columns and df.schema[c] in (pl.Boolean, pl.Int8, pl.Int32, pl.Int64, pl.UInt8):
            return pl.col(c).cast(pl.Float64), filled, f"column {c}"
    if {"side", "mark_price_at_fill", "mark_price_1s_later"} <= set(df.columns):
        move = (pl.col("mark_price_1s_later") - pl.col("mark_price_at_fill")) * pl.col("_side")
        return (move < 0).cast(pl.Float64), filled, "side × (mark_price_1s_later − mark_price_at_fill) < 0"
    if "adverse_selection_realized_bps" in df.columns:
        return (
            (pl.col("adverse_selection_realized_bps") > 0).cast(pl.Float64),
            filled,
            ("adverse_selection_realized_bps > 0"),
        )
    return None, None, "needs adverse_given_fill, or side + mark_price_at_fill + mark_price_1s_later"


def _pairs(df: pl.DataFrame, p: str, y: pl.Expr, keep: pl.Expr | None = None) -> pl.DataFrame:
    out = df.with_columns(pl.col(p).cast(pl.Float64).alias("p"), y.alias("y"))
    if keep is not None:
        out = out.filter(keep)
    return out.filter(pl.col("p").is_not_null() & pl.col("y").is_not_null() & pl.col("p").is_not_nan())


def _recent_fills(df: pl.DataFrame, tcol: str | None) -> pl.DataFrame:
    if tcol is None or "fill_timestamp_ns" not in df.columns:
        return df
    fills = np.sort(df["fill_timestamp_ns"].drop_nulls().unique().to_numpy().astype(np.int64))
    t = df[tcol].to_numpy().astype(np.int64)
    n = np.searchsorted(fills, t, side="left") - np.searchsorted(fills, t - ACTIVITY_WINDOW_NS, side="right")
    return df.with_columns(pl.Series("_recent_fills", n.astype(np.int64)))


def model_outcomes(df: pl.DataFrame) -> tuple[dict[str, pl.DataFrame], dict[str, str], list[str]]:
    """Per model, the rows with a forecast ``p`` and an outcome ``y`` (0/1) plus every context column;
    the models that cannot be scored with the reason; notes (layout, derivations, dropped rows)."""
    df, notes = flatten(df)
    tcol = _time_col(df)
    if "side" in df.columns:
        df = df.with_columns(_side_sign(df["side"]).alias("_side"))
    df = _recent_fills(df, tcol)
    observed = pl.col("price_1s_later").is_not_null() if "price_1s_later" in df.columns else None
    out: dict[str, pl.DataFrame] = {}
    missing: dict[str, str] = {}
    for h in HORIZONS_NS:
        name, pcol = f"fill_{h}", f"p_fill_{h}"
        if pcol not in df.columns:
            missing[name] = f"no column {pcol}"
            continue
        y, how = _fill_outcome(df, h, tcol)
        if y is None:
            missing[name] = f"outcome unavailable: {how}"
            continue
        out[name] = _pairs(df, pcol, y, observed)
        notes.append(f"{name}: outcome from {how}; {df.height - out[name].height} of {df.height} rows dropped")
    if "p_adverse_given_fill" not in df.columns:
        missing["adverse"] = "no column p_adverse_given_fill"
    else:
        y, filled, how = _adverse_outcome(df)
        if y is None:
            missing["adverse"] = f"outcome unavailable: {how}"
        else:
            out["adverse"] = _pairs(df, "p_adverse_given_fill", y, filled)
            notes.append(f"adverse: outcome from {how} on filled levels; {out['adverse'].height} rows")
    out_regime, why = _regime_pairs(df)
    if out_regime is None:
        missing["regime_hmm"] = why
    else:
        out["regime_hmm"] = out_regime
        notes.append(f"regime_hmm: {why}")
    return out, missing, notes


def _regime_pairs(df: pl.DataFrame) -> tuple[pl.DataFrame | None, str]:
    cols = [f"p_{r}" for r in REGIMES]
    have = [c for c in cols if c in df.columns]
    if not have:
        return None, "no p_<regime> columns"
    truth = next((c for c in ("true_regime", "regime_true") if c in df.columns), None)
    if truth is None:
        return None, "no true_regime column (the realised regime is only known on simulated data)"
    if "quote_cycle_id" in df.columns:
        df = df.unique("quote_cycle_id", keep="first", maintain_order=True)
    t = df[truth]
    names = (
        t.cast(pl.String)
        if t.dtype == pl.String
        else t.cast(pl.Int64).map_elements(
            lambda i: REGIMES[i] if 0 <= i < len(REGIMES) else None, return_dtype=pl.String
        )
    )
    df = df.with_columns(names.alias("_truth"))
    parts = [
        df.with_columns(
            pl.col(f"p_{r}").cast(pl.Float64).alias("p"), (pl.col("_truth") == r).cast(pl.Float64).alias("y")
        )
        for r in REGIMES
        if f"p_{r}" in have
    ]
    out = pl.concat(parts).filter(pl.col("p").is_not_null() & pl.col("y").is_not_null())
    return out, f"one-vs-rest over {len(parts)} regimes against {truth} ({df.height} records)"


# ---------------------------------------------------------------- conditioning variables


def _first_col(df: pl.DataFrame, names: tuple[str, ...]) -> str | None:
    return next((c for c in names if c in df.columns and df[c].null_count() < df.height), None)


def _quartiles(v: pl.Series) -> pl.Series | None:
    x = v.cast(pl.Float64)
    if x.drop_nulls().n_unique() < 4:
        return None
    q = np.nanquantile(x.to_numpy(), [0.25, 0.5, 0.75])
    arr = x.to_numpy()
    lab = np.select([arr <= q[0], arr <= q[1], arr <= q[2], arr > q[2]], ["Q1 (low)", "Q2", "Q3", "Q4 (high)"], "")
    return pl.Series(lab).replace("", None)


def _top_level_size(s: pl.Series) -> pl.Series:
    """Size of the first (best) level of a list of (price, size) pairs or structs."""
    inner = s.dtype.inner if isinstance(s.dtype, pl.List) else None  # type: ignore[union-attr]
    first = s.list.first()
    if isinstance(inner, pl.Struct):
        names = [f.name for f in inner.fields]
        return first.struct.field("size" if "size" in names else names[-1]).cast(pl.Float64)
    if isinstance(inner, (pl.List, pl.Array)):
        return first.list.get(1).cast(pl.Float64) if isinstance(inner, pl.List) else first.arr.get(1).cast(pl.Float64)
    raise TypeError(f"unsupported level type {s.dtype}")


def conditioning_slices(df: pl.DataFrame) -> tuple[dict[str, pl.Series], dict[str, str]]:
    """Labels per row for each conditioning variable that can be computed, and the reasons for the rest
    (see the module docs for the rules)."""
    out: dict[str, pl.Series] = {}
    missing: dict[str, str] = {}
    n = df.height

    def band(v: pl.Series, lo: float, hi: float, names: tuple[str, str, str]) -> pl.Series:
        return pl.select(
            pl.when(v > hi)
            .then(pl.lit(names[0]))
            .when(v < lo)
            .then(pl.lit(names[2]))
            .when(v.is_not_null())
            .then(pl.lit(names[1]))
        ).to_series()

    c = _first_col(df, ("sigma_bipower", "sigma_realized_1m"))
    q = _quartiles(df[c]) if c else None
    if q is None:
        missing["volatility"] = "no sigma_bipower / sigma_realized_1m values" if c is None else f"{c} nearly constant"
    else:
        out["volatility"] = q
    if (c := _first_col(df, ("funding_rate",))) is not None:
        f = df[c].cast(pl.Float64)
        cut = float(np.nanquantile(np.abs(f.to_numpy()), 0.9))
        lab = pl.select(
            pl.when((f.abs() >= cut) & (cut > 0))
            .then(pl.lit("extreme"))
            .when(f > 0)
            .then(pl.lit("positive"))
            .when(f < 0)
            .then(pl.lit("negative"))
            .when(f == 0)
            .then(pl.lit("zero"))
        ).to_series()
        out["funding"] = lab
    else:
        missing["funding"] = "no funding_rate column"
    if (c := _first_col(df, ("time_to_funding_settlement_s",))) is not None:
        t = df[c].cast(pl.Float64)
        out["settlement"] = pl.select(
            pl.when(t <= 300).then(pl.lit("≤5 min to settlement")).when(t.is_not_null()).then(pl.lit(">5 min"))
        ).to_series()
    else:
        missing["settlement"] = "no time_to_funding_settlement_s column"
    if (c := _first_col(df, ("inventory",))) is not None:
        out["inventory"] = band(df[c].cast(pl.Float64), -1e-9, 1e-9, ("long", "flat", "short"))
    else:
        missing["inventory"] = "no inventory column"
    if "_recent_fills" in df.columns:
        r = df["_recent_fills"]
        med = float(np.median(r.to_numpy())) if r.len() else 0.0
        active = r > med if med > 0 else r > 0
        out["fill_activity"] = pl.select(pl.when(active).then(pl.lit("active")).otherwise(pl.lit("quiet"))).to_series()
    else:
        missing["fill_activity"] = "no fill times (fill_timestamp_ns) and record times"
    imb: pl.Series | None = None
    if (c := _first_col(df, ("book_imbalance",))) is not None:
        imb = df[c].cast(pl.Float64)
    elif {"bid_levels", "ask_levels"} <= set(df.columns):
        try:
            b, a = _top_level_size(df["bid_levels"]), _top_level_size(df["ask_levels"])
            imb = (b - a) / (b + a)
        except (TypeError, pl.exceptions.PolarsError) as e:
            missing["book_imbalance"] = f"bid_levels / ask_levels unreadable ({e})"
    if imb is not None:
        out["book_imbalance"] = band(imb, -1 / 3, 1 / 3, ("bid-heavy", "balanced", "ask-heavy"))
    elif "book_imbalance" not in missing:
        missing["book_imbalance"] = "no book_imbalance or bid_levels / ask_levels"
    gap: pl.Series | None = None
    if (c := _first_col(df, ("binance_hl_spread",))) is not None:
        gap = df[c].cast(pl.Float64)
    elif {"binance_mid", "microprice"} <= set(df.columns) and df["binance_mid"].null_count() < n:
        gap = (df["binance_mid"].cast(pl.Float64) / df["microprice"].cast(pl.Float64) - 1.0) * 1e4
    if gap is not None:
        out["cross_exchange"] = band(gap, -1.0, 1.0, ("binance above", "synced", "binance below"))
    else:
        missing["cross_exchange"] = "no binance_hl_spread or binance_mid + microprice"
    return {k: v.alias(k) for k, v in out.items()}, missing

"""Leader-vs-noise classifier: the asynchronous spot–perp study's supervised pipeline (Tables 3–4).

Question: when the leader market jumps, will the follower echo it within the window, or is the jump
noise? Pipeline:

1. **Trade side** (:func:`infer_trade_side`): the trade's aggressor where the venue gives it (±1);
   otherwise an as-of merge of the trade to the prevailing leader quote (the last quote at or before
   it, polars ``join_asof``): +1 if price ≥ ask, −1 if price ≤ bid, 0 inside the spread or before the
   first quote.
2. **Triggers and labels** (:func:`leader_dataset`): the leader's jumps from
   :func:`crossbook.leadlag_study.jump_pairing` between leader and follower mids; label 1 when the
   pairing makes the jump a leader (a same-sign follower jump strictly after it within the window),
   0 otherwise (noise, or the follower moved first).
3. **Features at each trigger** t, from leader data at or before t only: ``ret_bps`` (log mid return
   over ``return_ms``, the study's 3 ms), ``vol_bps`` (realised volatility, √Σ of squared tick log
   returns in ``(t − vol_ms, t]``, the study's 20 ms), ``spread_bps`` (prevailing quote), and, with
   trades, ``net_signed_volume`` (Σ side·qty) and ``trade_count`` in ``(t − flow_ms, t]``.
4. **Model** (:func:`fit_leader_classifier`): XGBoost; rows in time order, the first ``train_frac``
   for training and the rest for test (no shuffling across time). ``sampling="weighted"`` (Table 3)
   keeps every trigger and balances classes with ``scale_pos_weight = n_neg / n_pos``;
   ``sampling="balanced"`` (Table 4) undersamples the majority class to equal counts first.
5. **Evaluation**: PR-AUC (``average_precision_score``) on test beside the test base rate; the
   threshold reaching ``target_recall`` — the largest score threshold whose recall on the calibration
   set is ≥ the target. ``threshold_on="validation"`` (default, honest) fits on the first part of the
   training period and picks the threshold on its last ``validation_frac``; ``"test"`` picks it on
   the test set as the study did (its recall is then met by construction and its precision is
   optimistic). Precision / recall / F1 / support per class at that threshold and at 0.5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from crossbook import _core
from crossbook.data.instruments import PX_SCALE, QTY_SCALE
from crossbook.leadlag_study import NS_PER_MS, jump_pairing, mid_series

QUOTE_FEATURES = ["ret_bps", "vol_bps", "spread_bps"]
TRADE_FEATURES = ["net_signed_volume", "trade_count"]


def _floats(df: pl.DataFrame, col: str, scale: int) -> pl.Expr:
    div = float(scale) if df.schema[col].is_integer() else 1.0
    return pl.col(col).cast(pl.Float64) / div


def _quotes(quotes: pl.DataFrame, clock: str) -> pl.DataFrame:
    """``t, bid, ask`` as floats, sorted by time, rows with a missing or non-positive side dropped."""
    return (
        quotes.select(
            pl.col(clock).cast(pl.Int64).alias("t"),
            _floats(quotes, "bid_px", PX_SCALE).alias("bid"),
            _floats(quotes, "ask_px", PX_SCALE).alias("ask"),
        )
        .filter(pl.col("t").is_not_null() & (pl.col("bid") > 0) & (pl.col("ask") > 0))
        .sort("t", maintain_order=True)
    )


def infer_trade_side(trades: pl.DataFrame, quotes: pl.DataFrame, *, clock: str = "ts_local") -> pl.DataFrame:
    """Trades sorted by ``clock`` with a ``side`` column (Int8): the aggressor where known, else the
    quote rule against the prevailing quote (see the module docs). Prices and sizes may be the data
    model's scaled integers or floats; the output has float ``px`` and ``qty``."""
    tr = trades.select(
        pl.col(clock).cast(pl.Int64).alias("t"),
        _floats(trades, "px", PX_SCALE).alias("px"),
        _floats(trades, "qty", QTY_SCALE).alias("qty"),
        (pl.col("aggressor").cast(pl.Int8) if "aggressor" in trades.columns else pl.lit(0, pl.Int8)).alias("aggr"),
    ).sort("t", maintain_order=True)
    q = _quotes(quotes, clock)
    merged = tr.join_asof(q, on="t", strategy="backward")
    quote_rule = (
        pl.when(pl.col("ask").is_not_null() & (pl.col("px") >= pl.col("ask")))
        .then(1)
        .when(pl.col("bid").is_not_null() & (pl.col("px") <= pl.col("bid")))
        .then(-1)
        .otherwise(0)
    )
    side = pl.when(pl.col("aggr").fill_null(0) != 0).then(pl.col("aggr")).otherwise(quote_rule).cast(pl.Int8)
    return merged.select(pl.col("t").alias(clock), "px", "qty", side.alias("side"))


def _window_sum(t: np.ndarray, cs: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Σ over entries with lo < t ≤ hi, from the prefix sums ``cs`` (len(t) + 1)."""
    return cs[np.searchsorted(t, hi, side="right")] - cs[np.searchsorted(t, lo, side="right")]


def trigger_features(
    trigger_ts: npt.ArrayLike,
    quotes: pl.DataFrame,
    trades: pl.DataFrame | None = None,
    *,
    clock: str = "ts_local",
    return_ms: float = 3.0,
    vol_ms: float = 20.0,
    flow_ms: float = 20.0,
) -> pl.DataFrame:
    """Features at each trigger time (ns) from the leader's quotes (and trades, if given).

    Columns ``ts`` and :data:`QUOTE_FEATURES` (+ :data:`TRADE_FEATURES` with trades); NaN where a
    window reaches before the first quote. Trades get their side from :func:`infer_trade_side`.
    """
    ts = np.asarray(trigger_ts, dtype=np.int64)
    q = _quotes(quotes, clock)
    t = q["t"].to_numpy()
    bid, ask = q["bid"].to_numpy(), q["ask"].to_numpy()
    lmid = np.log((bid + ask) / 2)

    def at(x: np.ndarray) -> np.ndarray:
        i = np.searchsorted(t, x, side="right") - 1
        return np.where(i >= 0, lmid[np.maximum(i, 0)], np.nan)

    vol_ns = round(vol_ms * NS_PER_MS)
    first = t[0] if t.size else np.iinfo(np.int64).max
    # realised volatility: √Σ squared tick log returns of the mid in (ts − vol, ts]
    cs = np.concatenate([[0.0], np.cumsum(np.concatenate([[0.0], np.diff(lmid) ** 2]))]) if t.size else np.zeros(1)
    vol = np.sqrt(_window_sum(t, cs, ts - vol_ns, ts))
    i_now = np.searchsorted(t, ts, side="right") - 1
    now = np.maximum(i_now, 0)
    spread = (ask[now] - bid[now]) / ((ask[now] + bid[now]) / 2) if t.size else np.zeros(ts.size)
    out: dict[str, Any] = {
        "ts": ts,
        "ret_bps": (at(ts) - at(ts - round(return_ms * NS_PER_MS))) * 1e4,
        "vol_bps": np.where(ts - vol_ns >= first, vol * 1e4, np.nan),
        "spread_bps": np.where(i_now >= 0, spread * 1e4, np.nan),
    }
    if trades is not None:
        tr = infer_trade_side(trades, quotes, clock=clock)
        tt = tr[clock].to_numpy()
        signed = (tr["side"].cast(pl.Float64) * tr["qty"]).to_numpy()
        flow_ns = round(flow_ms * NS_PER_MS)
        out["net_signed_volume"] = _window_sum(tt, np.concatenate([[0.0], np.cumsum(signed)]), ts - flow_ns, ts)
        out["trade_count"] = _window_sum(tt, np.arange(tt.size + 1, dtype=np.float64), ts - flow_ns, ts)
    return pl.DataFrame(out)


def leader_dataset(
    leader_quotes: pl.DataFrame,
    follower_quotes: pl.DataFrame,
    leader_trades: pl.DataFrame | None = None,
    *,
    clock: str = "ts_local",
    threshold_bps: float = 7.0,
    window_ms: float = 5.0,
    grid_ms: float | None = None,
    span: int = 1,
    return_ms: float = 3.0,
    vol_ms: float = 20.0,
    flow_ms: float = 20.0,
) -> pl.DataFrame:
    """One row per leader jump: ``ts``, ``jump_bps`` (the jump's own return), features, ``label``.

    Jumps and pairing as :func:`crossbook.leadlag_study.jump_pairing` on the two mids (bbo frames with
    ``clock``, ``bid_px``, ``ask_px``); features as :func:`trigger_features`.
    """
    ta, ma = mid_series(leader_quotes, clock)
    tb, mb = mid_series(follower_quotes, clock)
    pairing = jump_pairing(
        ta, ma, tb, mb, threshold_bps=threshold_bps, window_ms=window_ms, grid_ms=grid_ms, span=span, n_shifts=0
    )
    j = pairing.jumps_a
    feats = trigger_features(
        j["ts"].to_numpy(),
        leader_quotes,
        leader_trades,
        clock=clock,
        return_ms=return_ms,
        vol_ms=vol_ms,
        flow_ms=flow_ms,
    )
    return feats.with_columns(
        pl.Series("jump_bps", j["ret_bps"].to_numpy()),
        pl.Series("label", (j["role"] == "leads").cast(pl.Int8).to_numpy()),
    ).select("ts", "jump_bps", *[c for c in feats.columns if c != "ts"], "label")


@dataclass(frozen=True)
class LeaderClassifierResult:
    """Outcome of :func:`fit_leader_classifier` (Tables 3–4 of the study)."""

    sampling: str
    threshold_on: str
    features: list[str]
    n_fit: int
    n_validation: int
    n_test: int
    base_rate: float
    average_precision: float
    target_recall: float
    threshold: float
    report: pl.DataFrame
    accuracy: float
    report_default: pl.DataFrame
    accuracy_default: float
    feature_importance: dict[str, float]
    model: Any = field(repr=False, compare=False)

    @property
    def recall_at_threshold(self) -> float:
        """Recall of the lead class on test at the chosen threshold."""
        return float(self.report["recall"][1])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready numbers (no model)."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in ("model", "report", "report_default")}
        d["report"] = self.report.to_dicts()
        d["report_default"] = self.report_default.to_dicts()
        d["recall_at_threshold"] = self.recall_at_threshold
        return d

    def __repr__(self) -> str:
        lines = [
            f"LeaderClassifierResult(XGBoost, sampling={self.sampling!r}, threshold chosen on {self.threshold_on})",
            f"  rows: fit {self.n_fit}, validation {self.n_validation}, test {self.n_test}; "
            f"test base rate {self.base_rate:.4f}",
            f"  average precision (PR-AUC) {self.average_precision:.4f}",
            f"  threshold for recall >= {self.target_recall:.2f}: {self.threshold:.4f}",
        ]
        for title, rep, acc in (
            (f"at threshold {self.threshold:.4f}", self.report, self.accuracy),
            ("at threshold 0.5", self.report_default, self.accuracy_default),
        ):
            lines.append(f"  {title}:  {'precision':>9} {'recall':>7} {'f1':>7} {'support':>8}")
            for r in rep.iter_rows(named=True):
                lines.append(
                    f"    {r['class']:<12} {r['precision']:>9.4f} {r['recall']:>7.4f} {r['f1']:>7.4f} {r['support']:>8}"
                )
            lines.append(f"    accuracy {acc:.4f} (n={self.n_test})")
        return "\n".join(lines)


def _report(y: np.ndarray, pred: np.ndarray) -> tuple[pl.DataFrame, float]:
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(y, pred, labels=[0, 1], zero_division=0)
    rep = pl.DataFrame(
        {
            "class": ["no-lead (0)", "lead (1)"],
            "precision": p.astype(float),
            "recall": r.astype(float),
            "f1": f.astype(float),
            "support": s.astype(np.int64),
        }
    )
    return rep, float(accuracy_score(y, pred))


def _threshold_for_recall(scores: np.ndarray, y: np.ndarray, target: float) -> float:
    """The largest t with recall(score ≥ t) ≥ target on (scores, y)."""
    pos = np.sort(scores[y == 1])[::-1]
    k = max(1, math.ceil(target * pos.size - 1e-9))
    return float(pos[k - 1])


def _need_both(y: np.ndarray, where: str) -> None:
    n1 = int(y.sum())
    if n1 == 0 or n1 == y.size:
        cls = "1 (follower echo)" if n1 else "0 (no follower echo)"
        raise _core.InvalidInputError(
            f"{where}: all {y.size} triggers are class {cls}; the classifier needs both classes"
        )


def fit_leader_classifier(
    dataset: pl.DataFrame,
    *,
    features: list[str] | None = None,
    target_recall: float = 0.5,
    train_frac: float = 0.7,
    sampling: Literal["weighted", "balanced"] = "weighted",
    threshold_on: Literal["validation", "test"] = "validation",
    validation_frac: float = 0.25,
    seed: int = 0,
    xgb_params: dict[str, Any] | None = None,
) -> LeaderClassifierResult:
    """Train and evaluate the leader-vs-noise XGBoost classifier on a :func:`leader_dataset` frame.

    ``features``: columns used (default: the feature columns present); ``target_recall`` in (0, 1];
    ``train_frac``: leading share of rows (in time) for training; ``validation_frac``: trailing share
    of the training rows used to pick the threshold when ``threshold_on="validation"``; ``xgb_params``
    override the defaults (200 trees, depth 3, learning rate 0.1, ``tree_method="hist"``, 1 thread).

    Raises :class:`crossbook.InvalidInputError` when a split (or the whole set) holds one class only,
    or for parameters out of range.
    """
    from sklearn.metrics import average_precision_score
    from xgboost import XGBClassifier

    if not 0 < target_recall <= 1:
        raise _core.InvalidInputError(f"target_recall must be in (0, 1] (got {target_recall})")
    if not 0 < train_frac < 1 or not 0 < validation_frac < 1:
        raise _core.InvalidInputError("train_frac and validation_frac must be in (0, 1)")
    if sampling not in ("weighted", "balanced") or threshold_on not in ("validation", "test"):
        raise _core.InvalidInputError(f"unknown sampling {sampling!r} or threshold_on {threshold_on!r}")
    feats = features or [c for c in QUOTE_FEATURES + TRADE_FEATURES if c in dataset.columns]
    df = dataset.sort("ts", maintain_order=True)
    y_all = df["label"].to_numpy().astype(np.int64)
    if y_all.size == 0:
        raise _core.InvalidInputError("no triggers (no leader jumps at this threshold)")
    _need_both(y_all, "dataset")
    if sampling == "balanced":
        rng = np.random.default_rng(seed)
        pos, neg = np.flatnonzero(y_all == 1), np.flatnonzero(y_all == 0)
        n = min(pos.size, neg.size)
        keep = np.sort(np.concatenate([rng.choice(pos, n, replace=False), rng.choice(neg, n, replace=False)]))
        df, y_all = df[keep], y_all[keep]
    X_all = df.select(feats).to_numpy().astype(np.float64)
    n_train = round(train_frac * y_all.size)
    X_tr, y_tr, X_te, y_te = X_all[:n_train], y_all[:n_train], X_all[n_train:], y_all[n_train:]
    _need_both(y_tr, "training period")
    _need_both(y_te, "test period")
    if threshold_on == "validation":
        n_fit = round((1 - validation_frac) * n_train)
        X_fit, y_fit, X_cal, y_cal = X_tr[:n_fit], y_tr[:n_fit], X_tr[n_fit:], y_tr[n_fit:]
        _need_both(y_fit, "fitting part of the training period")
        if y_cal.sum() == 0:
            raise _core.InvalidInputError("validation part of the training period has no class-1 triggers")
    else:
        X_fit, y_fit = X_tr, y_tr
    n_neg, n_pos = int((y_fit == 0).sum()), int((y_fit == 1).sum())
    params: dict[str, Any] = {
        "n_estimators": 200,
        "max_depth": 3,
        "learning_rate": 0.1,
        "tree_method": "hist",
        "n_jobs": 1,
        "random_state": seed,
        "scale_pos_weight": n_neg / n_pos if sampling == "weighted" else 1.0,
    }
    params.update(xgb_params or {})
    model = XGBClassifier(**params)
    model.fit(X_fit, y_fit)
    s_te = model.predict_proba(X_te)[:, 1]
    if threshold_on == "validation":
        thr = _threshold_for_recall(model.predict_proba(X_cal)[:, 1], y_cal, target_recall)
    else:
        thr = _threshold_for_recall(s_te, y_te, target_recall)
    rep, acc = _report(y_te, (s_te >= thr).astype(np.int64))
    rep05, acc05 = _report(y_te, (s_te >= 0.5).astype(np.int64))
    imp = model.feature_importances_
    return LeaderClassifierResult(
        sampling=sampling,
        threshold_on=threshold_on,
        features=list(feats),
        n_fit=int(y_fit.size),
        n_validation=int(y_tr.size - y_fit.size),
        n_test=int(y_te.size),
        base_rate=float(y_te.mean()),
        average_precision=float(average_precision_score(y_te, s_te)),
        target_recall=float(target_recall),
        threshold=thr,
        report=rep,
        accuracy=acc,
        report_default=rep05,
        accuracy_default=acc05,
        feature_importance={f: float(v) for f, v in zip(feats, imp, strict=True)},
        model=model,
    )


def leader_classifier(
    leader_quotes: pl.DataFrame,
    follower_quotes: pl.DataFrame,
    leader_trades: pl.DataFrame | None = None,
    **kwargs: Any,
) -> LeaderClassifierResult:
    """:func:`leader_dataset` then :func:`fit_leader_classifier`; keyword arguments go to whichever
    accepts them."""
    import inspect

    ds_keys = set(inspect.signature(leader_dataset).parameters)
    ds_kw = {k: v for k, v in kwargs.items() if k in ds_keys}
    fit_kw = {k: v for k, v in kwargs.items() if k not in ds_keys}
    return fit_leader_classifier(leader_dataset(leader_quotes, follower_quotes, leader_trades, **ds_kw), **fit_kw)

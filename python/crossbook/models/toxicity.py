"""Trade toxicity (heatmap seed § 3.4), Rust core: who is on the other side of each trade.

- :func:`label_trades` — the seed's **training labels** (informed / noise / liquidation / arbitrage)
  from *future* prices and context: informed = the mid 10 s later moved > 5 bps in the trade's
  direction; arbitrage = the cross-venue gap the trade pushes against closes within 500 ms;
  liquidation = open interest drops around the trade **and** funding is extreme (its percentile among
  the past ticker rows; the seed's AND — ``require_funding_extreme=False`` drops the funding half).
  **It reads the future: use it to train and to evaluate, never as a live input.**
- :func:`trade_features` — the seed's 17 ``TradeFeatures`` per trade, **causal** (only data received
  before the trade; see ``FEATURE_NAMES`` and the Rust ``toxicity_features`` docs for each definition;
  directional features are signed by the trade's direction).
- :class:`TradeClassifier` — multinomial logistic regression (softmax, L2, L-BFGS in Rust) with
  ``predict_proba``; its objective is scikit-learn's ``LogisticRegression(C=1/(l2·n))``.
- :class:`AdverseSelectionAdjuster` — EMA of the informed probability → κ multiplier
  ``max(1 − informed%·discount, 0.3)`` and a spread premium ``informed%·premium`` bps (feed
  ``informed_fraction`` to :mod:`crossbook.quote`).
- :class:`LiquidationDetector` — OI drop over 60 s and funding percentile → cascade probability.
- :func:`confusion_matrix` — counts of (true, predicted) classes.

Class order everywhere: ``LABELS = ("noise", "informed", "liquidation", "arbitrage")`` (that of
:data:`crossbook.sim.LABELS`, so ``simulate(...).labels`` is the ground truth).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from crossbook import _core
from crossbook._core import InvalidInputError, LiquidationDetector, SoftmaxClassifier
from crossbook.data.instruments import PX_SCALE, QTY_SCALE

__all__ = [
    "FEATURE_NAMES",
    "LABELS",
    "AdverseSelectionAdjuster",
    "LiquidationDetector",
    "SoftmaxClassifier",
    "TradeClassifier",
    "confusion_matrix",
    "label_trades",
    "trade_features",
]

LABELS: tuple[str, ...] = ("noise", "informed", "liquidation", "arbitrage")
FEATURE_NAMES: tuple[str, ...] = tuple(_core.toxicity_feature_names())
F64 = npt.NDArray[np.float64]


def _pick(df: pl.DataFrame, venue: str, symbol: str | None) -> pl.DataFrame:
    out = df.filter(pl.col("venue") == venue)
    if symbol is not None:
        out = out.filter(pl.col("symbol") == symbol)
    return out


def _f(df: pl.DataFrame, col: str, scale: int | None) -> F64:
    s = df[col].cast(pl.Float64)
    v = s.to_numpy().astype(np.float64)
    if scale is not None:
        v = v / scale
    return np.ascontiguousarray(v)


def _t(df: pl.DataFrame, ts: str) -> npt.NDArray[np.int64]:
    return np.ascontiguousarray(df[ts].cast(pl.Int64).to_numpy(), dtype=np.int64)


def _inputs(
    tables: Any,
    venue: str,
    symbol: str | None,
    reference_venue: str | None,
    reference_symbol: str | None,
    ts: str,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    trade = _pick(tables["trade"], venue, symbol)
    if trade.height == 0:
        raise InvalidInputError(f"no trades for venue={venue!r} symbol={symbol!r}")
    bbo = _pick(tables["bbo"], venue, symbol).sort(ts, maintain_order=True)
    trades = {
        "t_ns": _t(trade, ts),
        "px": _f(trade, "px", PX_SCALE),
        "qty": _f(trade, "qty", QTY_SCALE),
        "aggressor": np.ascontiguousarray(trade["aggressor"].fill_null(0).cast(pl.Int8).to_numpy(), dtype=np.int8),
    }
    own = {
        "t_ns": _t(bbo, ts),
        "bid": _f(bbo, "bid_px", PX_SCALE),
        "bid_qty": _f(bbo, "bid_qty", QTY_SCALE),
        "ask": _f(bbo, "ask_px", PX_SCALE),
        "ask_qty": _f(bbo, "ask_qty", QTY_SCALE),
    }
    args: dict[str, Any] = {"trades": trades, "own": own}
    if reference_venue is not None:
        rb = _pick(tables["bbo"], reference_venue, reference_symbol).sort(ts, maintain_order=True)
        args["reference"] = {"t_ns": _t(rb, ts), "bid": _f(rb, "bid_px", PX_SCALE), "ask": _f(rb, "ask_px", PX_SCALE)}
    if "ticker" in tables and tables["ticker"].height:
        tk = _pick(tables["ticker"], venue, symbol).sort(ts, maintain_order=True)
        if tk.height:
            args["ticker"] = {
                "t_ns": _t(tk, ts),
                "funding": _f(tk, "funding_rate", None),
                "oi": _f(tk, "open_interest", QTY_SCALE),
            }
    if "liquidation" in tables and tables["liquidation"].height:
        lq = _pick(tables["liquidation"], venue, symbol)
        args["liquidations"] = np.sort(_t(lq, ts))
    return trade, args


def _default_reference(tables: Any, venue: str) -> str | None:
    venues = [v for v in tables["bbo"]["venue"].unique().sort().to_list() if v != venue]
    return venues[0] if len(venues) == 1 else None


def trade_features(
    tables: Any,
    venue: str,
    *,
    symbol: str | None = None,
    reference_venue: str | None = "auto",
    reference_symbol: str | None = None,
    ts: str = "ts_local",
    **config: Any,
) -> pl.DataFrame:
    """The seed's ``TradeFeatures`` for every trade of ``venue`` (one row per trade, table order):
    ``ts_local``, ``trade_id`` and the 17 ``FEATURE_NAMES`` columns (floats; booleans as 0/1).

    ``tables``: the data-model tables (``crossbook.data.read``, ``simulate(...).tables``) with ``trade``
    and ``bbo`` (and optionally ``ticker``, ``liquidation``). ``reference_venue``: the other venue of the
    cross-venue features (``"auto"``: the only other venue in ``bbo``; ``None``: none, those features
    are 0). ``config``: ``size_window`` (500 trades), ``ref_change_ms`` (100), ``basis_ewma_s`` (60),
    ``oi_window_s`` (60), ``liq_window_ms`` (1000), ``time_since_cap_ms`` (60 000)."""
    ref = _default_reference(tables, venue) if reference_venue == "auto" else reference_venue
    trade, args = _inputs(tables, venue, symbol, ref, reference_symbol, ts)
    m = _core.toxicity_features(**args, **config)
    df = pl.DataFrame(m, schema=list(FEATURE_NAMES), orient="row")
    return pl.concat([trade.select(ts, "trade_id"), df], how="horizontal")


def label_trades(
    tables: Any,
    venue: str,
    *,
    symbol: str | None = None,
    reference_venue: str | None = "auto",
    reference_symbol: str | None = None,
    ts: str = "ts_local",
    **thresholds: Any,
) -> pl.Series:
    """The seed's training label of every trade of ``venue`` (``LABELS`` strings, table order).

    **Uses the future** (prices ``horizon_ms`` later, the gap ``arb_window_ms`` later, OI half a window
    later): for training and evaluation only. ``thresholds`` (defaults): ``informed_bps`` (5),
    ``horizon_ms`` (10 000), ``arb_window_ms`` (500), ``arb_min_gap_bps`` (1), ``arb_close_frac`` (0.5),
    ``basis_ewma_s`` (60), ``oi_drop_pct`` (0.05 % over ``oi_window_s`` = 60 s centred on the trade),
    ``funding_pct`` (0.9), ``funding_history`` (10 000 rows), ``require_funding_extreme`` (True: the
    seed's rule)."""
    ref = _default_reference(tables, venue) if reference_venue == "auto" else reference_venue
    _, args = _inputs(tables, venue, symbol, ref, reference_symbol, ts)
    args.pop("liquidations", None)
    codes = _core.toxicity_labels(**args, **thresholds)
    return pl.Series("label", LABELS, dtype=pl.String).gather(pl.Series(codes).cast(pl.UInt32)).alias("label")


def _matrix(x: Any) -> F64:
    if isinstance(x, pl.DataFrame):
        cols = [c for c in FEATURE_NAMES if c in x.columns] if set(FEATURE_NAMES) <= set(x.columns) else x.columns
        x = x.select(cols).to_numpy()
    a = np.ascontiguousarray(x, dtype=np.float64)
    if a.ndim != 2:
        raise InvalidInputError(f"features must be a 2-D matrix (got shape {a.shape})")
    return a


def _codes(y: Any, labels: Sequence[str]) -> npt.NDArray[np.int64]:
    if isinstance(y, pl.Series):
        y = y.to_list()
    arr = np.asarray(y)
    if arr.dtype.kind in "iu":
        return np.ascontiguousarray(arr, dtype=np.int64)
    index = {name: i for i, name in enumerate(labels)}
    try:
        return np.array([index[str(v)] for v in arr], dtype=np.int64)
    except KeyError as e:
        raise InvalidInputError(f"unknown label {e.args[0]!r}; known: {list(labels)}") from None


class TradeClassifier:
    """The seed's ``P(type | features) = softmax(W·φ(features))``: multinomial logistic regression with
    L2 (``l2`` on the mean loss; scikit-learn's ``C = 1/(l2·n)``), features standardized with the
    training statistics, fitted in Rust by L-BFGS."""

    def __init__(self, model: SoftmaxClassifier, labels: Sequence[str] = LABELS) -> None:
        self.model = model
        self.labels = tuple(labels)

    @classmethod
    def fit(
        cls,
        x: Any,
        y: Any,
        *,
        labels: Sequence[str] = LABELS,
        l2: float = 1e-4,
        class_weight: str | Sequence[float] | None = None,
        standardize: bool = True,
        max_iter: int = 1000,
        gtol: float = 1e-7,
    ) -> TradeClassifier:
        """Fit on features ``x`` (frame from :func:`trade_features` or n × d array) and labels ``y``
        (strings of ``labels`` or integer codes). ``class_weight="balanced"`` weighs class k by
        n / (K·n_k) (absent classes get weight 0)."""
        xm, yc = _matrix(x), _codes(y, labels)
        if len(yc) != xm.shape[0]:
            raise InvalidInputError(f"{xm.shape[0]} feature rows but {len(yc)} labels")
        k = len(labels)
        cw: list[float] | None
        if class_weight == "balanced":
            counts = np.bincount(yc, minlength=k).astype(np.float64)
            cw = [len(yc) / (k * c) if c > 0 else 0.0 for c in counts]
        elif class_weight is None:
            cw = None
        elif isinstance(class_weight, str):
            raise InvalidInputError(f"class_weight must be None, 'balanced' or {k} numbers")
        else:
            cw = [float(v) for v in class_weight]
        m = SoftmaxClassifier.fit(xm, yc, k, l2, standardize, cw, max_iter, gtol)
        return cls(m, labels)

    def predict_proba(self, x: Any) -> F64:
        """Class probabilities, n × K (columns in ``labels`` order)."""
        return self.model.predict_proba(_matrix(x))

    def predict(self, x: Any) -> pl.Series:
        """Most probable class of each row."""
        p = self.predict_proba(x)
        return pl.Series("predicted", [self.labels[i] for i in p.argmax(axis=1)], dtype=pl.String)

    def informed_probability(self, x: Any) -> F64:
        """P(informed) of each row."""
        return self.predict_proba(x)[:, self.labels.index("informed")]

    def __repr__(self) -> str:
        m = self.model
        return (
            f"TradeClassifier(classes={list(self.labels)}, features={m.n_features}, "
            f"objective={m.objective:.6f}, converged={m.converged})"
        )


class AdverseSelectionAdjuster:
    """The seed's ``AdverseSelectionAdjuster``: per trade, the classifier's informed probability feeds
    an EMA (weight ``ema_alpha`` per trade); ``get_kappa_adjustment() = max(1 − informed%·
    kappa_discount_per_informed_pct, kappa_floor)`` and ``get_spread_adjustment_bps() = informed%·
    spread_premium_per_informed_pct``. Defaults: discount 0.01 per % (crossbook.quote's), floor 0.3
    (the seed's), premium 0.02 bps per % (the seed gives no number)."""

    def __init__(
        self,
        classifier: TradeClassifier | SoftmaxClassifier | None = None,
        *,
        ema_alpha: float = 0.05,
        kappa_discount_per_informed_pct: float = 0.01,
        spread_premium_per_informed_pct: float = 0.02,
        kappa_floor: float = 0.3,
    ) -> None:
        core = classifier.model if isinstance(classifier, TradeClassifier) else classifier
        informed = classifier.labels.index("informed") if isinstance(classifier, TradeClassifier) else 1
        self._inner = _core.AdverseSelectionAdjuster(
            core, informed, ema_alpha, kappa_discount_per_informed_pct, spread_premium_per_informed_pct, kappa_floor
        )

    def on_trade(self, features: npt.ArrayLike) -> float:
        """Score one feature row (``FEATURE_NAMES`` order) and update; returns its informed probability."""
        return float(self._inner.on_trade(np.ascontiguousarray(features, dtype=np.float64)))

    def on_informed_probability(self, p: float) -> None:
        """Update with an informed probability computed elsewhere."""
        self._inner.on_informed_probability(p)

    def run(self, x: Any) -> pl.DataFrame:
        """Feed every row of ``x``: per trade ``informed_probability``, ``kappa_adjustment``,
        ``spread_premium_bps`` after it."""
        p, k, s = self._inner.run(_matrix(x))
        return pl.DataFrame({"informed_probability": p, "kappa_adjustment": k, "spread_premium_bps": s})

    @property
    def informed_fraction(self) -> float:
        """EMA of the informed probability (0 before any trade)."""
        return float(self._inner.informed_fraction)

    def get_kappa_adjustment(self) -> float:
        return float(self._inner.get_kappa_adjustment())

    def get_spread_adjustment_bps(self) -> float:
        return float(self._inner.get_spread_adjustment_bps())

    def __repr__(self) -> str:
        return repr(self._inner)


def confusion_matrix(true: Any, predicted: Any, labels: Sequence[str] = LABELS) -> pl.DataFrame:
    """Counts of (true, predicted) classes: one row per true class, one column per predicted class."""
    t, p = _codes(true, labels), _codes(predicted, labels)
    if len(t) != len(p):
        raise InvalidInputError(f"{len(t)} true labels but {len(p)} predictions")
    k = len(labels)
    m = np.zeros((k, k), dtype=np.int64)
    np.add.at(m, (t, p), 1)
    return pl.DataFrame({"true": list(labels), **{name: m[:, j] for j, name in enumerate(labels)}})

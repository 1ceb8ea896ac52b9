"""Leader-vs-noise classifier: trade side, features, labels from the pairing, XGBoost evaluation."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import crossbook
from crossbook.research.leader_classifier import (
    fit_leader_classifier,
    infer_trade_side,
    leader_classifier,
    leader_dataset,
    trigger_features,
)

MS = 1_000_000
PX = 100_000_000  # scaled-integer price unit (1e8)


def _bbo(t: np.ndarray, mid: np.ndarray, half_spread: float = 0.5e-4) -> pl.DataFrame:
    """A bbo frame in the data model's scaled integers."""
    return pl.DataFrame(
        {
            "ts_local": t.astype(np.int64),
            "bid_px": np.round(mid * (1 - half_spread) * PX).astype(np.int64),
            "ask_px": np.round(mid * (1 + half_spread) * PX).astype(np.int64),
        }
    )


def test_trade_side_uses_aggressor_else_prevailing_quote() -> None:
    quotes = pl.DataFrame({"ts_local": [10, 20], "bid_px": [99.0, 100.0], "ask_px": [101.0, 102.0]})
    trades = pl.DataFrame(
        {
            "ts_local": [25, 5, 12, 15, 20, 30],
            "px": [100.0, 100.0, 101.0, 99.0, 100.5, 102.0],
            "qty": [1.0, 1.0, 2.0, 3.0, 4.0, 5.0],
            "aggressor": [0, 0, 0, 0, 0, -1],
        }
    )
    out = infer_trade_side(trades, quotes)
    # t=5 before any quote → 0; t=12 at ask 101 → +1; t=15 at bid 99 → −1; t=20 (quote at 20 is
    # prevailing: 100/102) inside → 0; t=25 at bid 100 → −1; t=30 known seller at the ask → −1
    assert out["ts_local"].to_list() == [5, 12, 15, 20, 25, 30]
    assert out["side"].to_list() == [0, 1, -1, 0, -1, -1]
    no_aggr = infer_trade_side(trades.drop("aggressor"), quotes)
    assert no_aggr["side"].to_list()[-1] == 1


def test_trigger_features_hand_computed() -> None:
    t = np.array([0, 10, 12, 14, 30]) * MS
    mid = np.array([100.0, 100.0, 100.1, 100.2, 100.2])
    quotes = _bbo(t, mid)
    trades = pl.DataFrame(
        {"ts_local": np.array([5, 11, 13, 14]) * MS, "px": [1.0, 1.0, 1.0, 1.0], "qty": [1.0, 2.0, 3.0, 4.0]}
    ).with_columns(aggressor=pl.Series([1, 1, -1, 1], dtype=pl.Int8))
    f = trigger_features([14 * MS, 2 * MS], quotes, trades, return_ms=3, vol_ms=10, flow_ms=10)
    r1, r2 = np.log(100.1 / 100.0), np.log(100.2 / 100.1)
    row = f.row(0, named=True)
    assert row["ret_bps"] == pytest.approx(np.log(100.2 / 100.0) * 1e4)  # mid(14) vs mid(11) = 100.0
    assert row["vol_bps"] == pytest.approx(np.sqrt(r1**2 + r2**2) * 1e4)  # ticks in (4, 14] ms
    assert row["spread_bps"] == pytest.approx(1.0, rel=1e-6)
    assert row["net_signed_volume"] == pytest.approx(1 + 2 - 3 + 4)  # trades in (4, 14] ms
    assert row["trade_count"] == 4
    early = f.row(1, named=True)  # t = 2 ms: windows reach before the first quote
    assert np.isnan(early["ret_bps"]) and np.isnan(early["vol_bps"]) and early["trade_count"] == 0


def _market(seed: int, n: int = 2500) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, np.ndarray]:
    """Leader jumps of ±10 bps every 200–400 ms; 30% are 'informed': the 5 trades in the 20 ms before
    them all push in the jump's direction, and the follower echoes them 1–4 ms later with
    probability 0.7 (else 0.05). Half the trades carry no aggressor and hit the quote; the rest
    carry it and print at the mid. Background ticks move the mids by ~0.2 bp."""
    rng = np.random.default_rng(seed)
    t_ev = np.cumsum(rng.integers(200, 400, n)) * MS
    sign = rng.choice([-1.0, 1.0], n)
    informed = rng.random(n) < 0.3
    echo = rng.random(n) < np.where(informed, 0.7, 0.05)
    end = int(t_ev[-1] + 500 * MS)

    def mids(jump_t: np.ndarray, jump_r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        bg = rng.integers(0, end, end // (10 * MS))
        t = np.concatenate([bg, jump_t])
        r = np.concatenate([rng.normal(0, 0.2e-4, bg.size), jump_r])
        o = np.argsort(t, kind="stable")
        return t[o], 100 * np.exp(np.cumsum(r[o]))

    tl, ml = mids(t_ev, sign * 1e-3)
    tf, mf = mids(t_ev[echo] + rng.integers(1, 5, echo.sum()) * MS, sign[echo] * 1e-3)
    tt = (t_ev[:, None] - rng.integers(1, 19, (n, 5)) * MS).ravel()
    side = np.where(informed[:, None], sign[:, None], rng.choice([-1.0, 1.0], (n, 5))).ravel()
    known = rng.random(tt.size) < 0.5
    m_at = ml[np.searchsorted(tl, tt, side="right") - 1]
    px = np.where(known, m_at, m_at * (1 + side * 0.5e-4))  # unknown aggressor: at the ask / bid
    trades = pl.DataFrame(
        {
            "ts_local": tt,
            "px": np.round(px * PX).astype(np.int64),
            "qty": np.full(tt.size, PX, dtype=np.int64),  # 1.0
            "aggressor": np.where(known, side, 0).astype(np.int8),
        }
    )
    return _bbo(tl, ml), _bbo(tf, mf), trades, echo


def test_dataset_labels_come_from_the_pairing() -> None:
    lq, fq, tr, echo = _market(1, n=600)
    ds = leader_dataset(lq, fq, tr, threshold_bps=7, window_ms=5)
    assert ds.height == 600 and ds["jump_bps"].abs().min() == pytest.approx(10, abs=0.2)
    assert ds["label"].to_list() == echo.astype(int).tolist()
    assert (ds["trade_count"] == 5).all()


def test_classifier_beats_the_base_rate_and_meets_the_recall_target() -> None:
    lq, fq, tr, _ = _market(2)
    res = leader_classifier(lq, fq, tr, threshold_bps=7, window_ms=5, target_recall=0.5, seed=0)
    assert res.n_test == 750 and res.n_fit + res.n_validation == 1750
    assert 0.15 < res.base_rate < 0.35
    assert res.average_precision > 2 * res.base_rate  # the signal is in net signed volume × sign
    assert res.recall_at_threshold >= 0.5  # threshold picked on validation, met on test
    assert res.report["precision"][1] > 2 * res.base_rate
    assert res.report["support"].to_list() == [
        res.n_test - round(res.base_rate * res.n_test),
        round(res.base_rate * res.n_test),
    ]
    assert max(res.feature_importance, key=res.feature_importance.__getitem__) == "net_signed_volume"
    text = repr(res)
    assert "average precision (PR-AUC)" in text and "lead (1)" in text
    d = res.to_dict()
    assert d["n_test"] == 750 and d["report"][1]["class"] == "lead (1)" and "model" not in d


def test_threshold_on_test_and_balanced_sampling() -> None:
    lq, fq, tr, _ = _market(3, n=1500)
    ds = leader_dataset(lq, fq, tr)
    on_test = fit_leader_classifier(ds, threshold_on="test", target_recall=0.8)
    assert on_test.recall_at_threshold >= 0.8 and on_test.n_validation == 0
    bal = fit_leader_classifier(ds, sampling="balanced")
    n_pos = int(ds["label"].sum())
    assert bal.n_fit + bal.n_validation + bal.n_test == 2 * n_pos
    assert 0.35 < bal.base_rate < 0.65  # Table 4: balanced classes in the test period too
    assert bal.average_precision > bal.base_rate + 0.2


def test_degenerate_sets_raise_clear_errors() -> None:
    ds = pl.DataFrame({"ts": np.arange(100), "ret_bps": np.linspace(-1, 1, 100), "label": np.zeros(100, np.int8)})
    with pytest.raises(
        crossbook.InvalidInputError,
        match=r"^dataset: all 100 triggers are class 0 \(no follower echo\); the classifier needs both classes$",
    ):
        fit_leader_classifier(ds)
    late = ds.with_columns(label=(pl.col("ts") >= 90).cast(pl.Int8))  # positives only in the test period
    with pytest.raises(crossbook.InvalidInputError, match="training period: all 70 triggers are class 0"):
        fit_leader_classifier(late)
    with pytest.raises(crossbook.InvalidInputError, match="no triggers"):
        fit_leader_classifier(ds.head(0))
    with pytest.raises(crossbook.InvalidInputError, match="target_recall"):
        fit_leader_classifier(ds, target_recall=0)
    flat = _bbo(np.arange(10) * MS, np.full(10, 100.0))
    assert leader_dataset(flat, flat).height == 0  # constant prices: no triggers, an empty set

"""The daily PnL attribution report: the seed's example reproduced line for line, and its rules."""

from __future__ import annotations

import polars as pl
import pytest

from crossbook import InvalidInputError
from crossbook.research.attribution_report import attribution_report, daily_totals


def _seed_day() -> pl.DataFrame:
    """The seed's example day, split over three regimes (per-regime components sum to its totals)."""
    return pl.DataFrame(
        {
            "date": ["2026-01-13"] * 3,
            "regime": ["quiet", "active", "extreme"],
            "time_share": [0.68, 0.28, 0.04],
            "total": [89.20, -45.60, -171.05],
            "spread_capture": [200.0, 60.0, 24.30],
            "adverse_selection": [-80.0, -90.0, -142.80],
            "inventory": [-10.0, -5.0, -30.20],
            "fees": [-20.80, -10.60, -22.35],
            "funding": [0.0, 0.0, 0.0],
        }
    )


SEED_REPORT = """\
=== PnL Attribution: 2026-01-13 ===

Gross PnL:              -$127.45
├── Spread Capture:     +$284.30  (working correctly)
├── Adverse Selection:  -$312.80  (THIS IS THE PROBLEM)
├── Inventory Cost:     -$45.20   (acceptable)
├── Fees:               -$53.75   (fixed cost)
└── Funding:            +$0.00    (none)

Model Accuracy:
├── Fill Prediction:    Brier=0.18, IR=0.34  (good)
├── Adverse Selection:  Brier=0.31, IR=0.09  (NEEDS WORK)
└── Volatility:         RMSE=0.000012

Regime Breakdown:
├── Quiet (68% of time):    +$89.20
├── Active (28% of time):   -$45.60
└── Extreme (4% of time):   -$171.05  (INVESTIGATE)
"""


def test_reproduces_the_seed_example() -> None:
    calibration = {
        "fill_1s": {"brier": 0.18, "information_ratio": 0.34, "status": "OK"},
        "adverse": {"brier": 0.31, "information_ratio": 0.09, "status": "WARN"},
    }
    assert attribution_report(_seed_day(), calibration=calibration, volatility_rmse=0.000012) == SEED_REPORT


def test_days_rules_and_residuals() -> None:
    t = pl.DataFrame(
        {
            "ts": [1_700_000_000_000_000_000, 1_700_086_400_000_000_000],
            "total": [50.0, -10.0],
            "spread_capture": [80.0, -2.0],
            "adverse_selection": [-10.0, -1.0],
            "inventory": [-25.0, -3.0],
            "fees": [5.0, -2.0],
            "funding": [0.0, -1.0],
        }
    )
    text = attribution_report(t)
    days = text.split("\n\n=== ")
    assert len(days) == 2 and days[0].startswith("=== PnL Attribution: 2023-11-14 ===")
    assert "├── Inventory Cost:     -$25.00   (material)" in days[0]  # 25 > 25 % of 80
    assert "├── Adverse Selection:  -$10.00   (acceptable)" in days[0]
    assert "├── Fees:               +$5.00    (rebate)" in days[0]
    assert "THIS IS THE PROBLEM" not in days[0]  # a winning day has no problem line
    assert "├── Spread Capture:     -$2.00    (NOT EARNING THE SPREAD)" in days[1]
    assert "├── Inventory Cost:     -$3.00    (THIS IS THE PROBLEM)" in days[1]
    assert "└── Funding:            -$1.00    (paid)" in days[1]
    assert "(components do not sum to the total: residual -$1.00)" in days[1]  # −10 vs −9
    assert "Model Accuracy" not in text and "Regime Breakdown" not in text
    totals = daily_totals(_seed_day())
    assert totals.row(0, named=True)["total"] == pytest.approx(-127.45)


def test_missing_columns_are_named() -> None:
    with pytest.raises(InvalidInputError) as e:
        attribution_report(pl.DataFrame({"date": ["d"], "total": [1.0], "fees": [0.0]}))
    assert str(e.value).startswith(
        "attribution table lacks column(s) ['spread_capture', 'adverse_selection', 'inventory', 'funding']"
    )

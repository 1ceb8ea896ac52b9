"""Shared pytest fixtures.

Real captures live outside the repository, in ``../shared/data/real`` relative to the repo root (the
same relative path in every worktree and in CI). Tests that need them take the ``real_data`` fixture
(the folder) or the ``real_file`` fixture (``real_file("hyperliquid-ws-20250126", "hyperliquid",
"btcusd_20250126.gz")``); both skip the test, naming the missing path, when the data is absent.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL = REPO / ".." / "shared" / "data" / "real"


def _real_file(*parts: str) -> Path:
    p = REAL.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"real data not available: {p.resolve()} is absent")
    return p


@pytest.fixture
def real_data() -> Path:
    """The real-data folder (``REPO/../shared/data/real``); skips the test if it is absent."""
    if not REAL.is_dir():
        pytest.skip(f"real data not available: {REAL.resolve()} is absent")
    return REAL


@pytest.fixture
def real_file() -> Callable[..., Path]:
    """``real_file(*parts)`` → path of a file under the real-data folder; skips the test if absent."""
    return _real_file

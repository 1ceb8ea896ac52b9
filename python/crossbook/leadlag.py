"""Lead-lag estimators. Positive lag = x (the leader) leads y (the follower).

Times are int64 ns (``ts_local`` by default, the clock both venues share in a capture); values are
usually log mid prices.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from crossbook import _core


def hy_contrast(
    t_x: npt.ArrayLike, x: npt.ArrayLike, t_y: npt.ArrayLike, y: npt.ArrayLike, lags_ns: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Hayashi–Yoshida shifted contrast (Hoffmann, Rosenbaum & Yoshida 2013) on native ticks.

    For each lag θ (ns), the sum of products of x and y increments whose observation intervals overlap
    once y's clock is shifted back by θ, normalised by sqrt(Σdx²·Σdy²). No time grid; duplicate
    timestamps keep the last value. The argmax over θ estimates how far x leads y. Returns NaN at every
    lag when either series has fewer than two distinct times or does not move.

    Raises :class:`crossbook.InvalidInputError` for unsorted times, non-finite values or length mismatches.
    """
    return _core.hy_contrast(
        np.ascontiguousarray(t_x, dtype=np.int64),
        np.ascontiguousarray(x, dtype=np.float64),
        np.ascontiguousarray(t_y, dtype=np.int64),
        np.ascontiguousarray(y, dtype=np.float64),
        np.ascontiguousarray(lags_ns, dtype=np.int64),
    )

"""Vectorised first-crossing search used by the simulators.

Given a boolean condition evaluated at per-replica times, find for every replica the
first time on a grid where it holds, then refine the bracket by bisection with the
exact trajectory (so the located time is exact up to ``rtol`` of the bracket).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = ["first_crossing"]


def first_crossing(cond_grid: NDArray[np.bool_], grid: NDArray[np.float64],
                   cond_at: Callable[[NDArray[np.float64], NDArray[np.intp]], NDArray[np.bool_]],
                   n_bisect: int = 60) -> NDArray[np.float64]:
    """First time each replica's condition holds.

    ``cond_grid`` ``(R, T)``: the condition on the per-replica grid ``grid`` ``(R, T)``
    (increasing along T). ``cond_at(t, rows)`` evaluates the condition for replicas
    ``rows`` at times ``t`` (one per row). Returns ``(R,)``: ``grid[:, 0]`` where it holds
    at the start, ``inf`` where it never holds on the grid.
    """
    R, T = cond_grid.shape
    any_ = cond_grid.any(axis=1)
    k = np.argmax(cond_grid, axis=1)
    out = np.full(R, np.inf)
    at0 = any_ & (k == 0)
    out[at0] = grid[at0, 0]
    rows = np.flatnonzero(any_ & (k > 0))
    if rows.size:
        lo = grid[rows, k[rows] - 1].copy()
        hi = grid[rows, k[rows]].copy()
        for _ in range(n_bisect):
            mid = 0.5 * (lo + hi)
            c = cond_at(mid, rows)
            hi = np.where(c, mid, hi)
            lo = np.where(c, lo, mid)
            if np.all(hi - lo <= 1e-14 * np.maximum(hi, 1e-300)):
                break
        out[rows] = hi
    return out

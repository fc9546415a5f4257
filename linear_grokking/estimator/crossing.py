"""First time a per-run loss falls to a target: a dense log bracket, then bisection (real or integer t).

Examples
--------
>>> import numpy as np
>>> f = lambda t: np.exp(-t * np.array([[1.0], [2.0]]))    # two runs, L = e^{-k t}
>>> np.round(first_crossing(f, 0.5, n_runs=2, t_lo=1e-3, t_hi=10.0), 6)
array([0.693147, 0.346574])
>>> first_crossing(f, 0.5, n_runs=2, t_lo=1e-3, t_hi=10.0, integer=True)
array([1., 1.])
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["first_crossing", "first_index_crossing"]


def _bracket(f: Callable[[np.ndarray], np.ndarray], target: float, grid: np.ndarray,
             r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    L = f(np.broadcast_to(grid, (r, grid.size)))
    below = L <= target
    has = below.any(1)
    idx = np.argmax(below, axis=1)
    hi = grid[idx]
    lo = np.where(idx > 0, grid[np.maximum(idx - 1, 0)], 0.0)
    return has, lo, hi


def first_crossing(f: Callable[[np.ndarray], np.ndarray], target: float, *, n_runs: int, t_lo: float, t_hi: float,
                   n_dense: int = 256, integer: bool = False, extend: float = 1e12,
                   n_iter: int = 64) -> np.ndarray:
    """Per run, the first ``t >= 0`` with ``f(t) <= target`` (``inf`` if none up to ``t_hi * extend``).

    ``f`` maps per-run times ``(n_runs, n)`` to losses ``(n_runs, n)``. The bracket is the first point of a
    log grid on ``[t_lo, t_hi]`` (then ``[t_hi, t_hi * extend]``) at or below the target; between the
    bracket ends ``f`` is bisected (to machine precision, or to one step when ``integer``). A loss
    that dips below the target between two grid points and comes back can be missed (the grid has
    ``n_dense`` points per range).
    """
    r = n_runs
    grid = np.concatenate([[0.0], np.geomspace(t_lo, t_hi, n_dense)])
    if integer:
        grid = np.unique(np.ceil(grid))
    has, lo, hi = _bracket(f, target, grid, r)
    if not has.all():
        far = np.geomspace(t_hi, t_hi * extend, n_dense)
        far = np.unique(np.ceil(far)) if integer else far
        has2, lo2, hi2 = _bracket(f, target, far, r)
        lo2 = np.where(lo2 == 0.0, t_hi, lo2)
        lo, hi = np.where(has, lo, lo2), np.where(has, hi, hi2)
        has = has | has2
    at_zero = hi == 0.0
    for _ in range(n_iter):
        if integer and np.all(hi - lo <= 1):
            break
        mid = np.floor((lo + hi) / 2) if integer else 0.5 * (lo + hi)
        ok = f(mid[:, None])[:, 0] <= target
        hi, lo = np.where(ok, mid, hi), np.where(ok, lo, mid)
    return np.where(has, np.where(at_zero, 0.0, hi), np.inf)


def first_index_crossing(L: np.ndarray, target: float) -> np.ndarray:
    """First column (a step count) at which each row of ``L`` is at or below ``target``; ``inf`` if none.

    >>> first_index_crossing(np.array([[3.0, 2.0, 1.0], [3.0, 3.0, 3.0]]), 2.0)
    array([ 1., inf])
    """
    below = L <= target
    return np.where(below.any(1), np.argmax(below, axis=1).astype(float), np.inf)

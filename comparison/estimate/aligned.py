"""The aligned average's inputs, all runs at once: the aligned matrix, the grid step, t_eps refinement.

The aligned average is the object the paper fits the critical exponent on
(sec. 4.3.1 "Empirical quantities"; Eqs. 9-10 and 23): every run is shifted to
its own t_eps and the test error is averaged at equal ``tau = t_eps - t``.

Every function sorts the table once by (run, t) (not at all when it is already in
that order), finds each run's block of rows, and answers every (run, tau) or
(run, t_eps) question by one vectorised bisection inside the blocks: the same values,
bit for bit, as the run-by-run loops they replace (tests/comparison/test_aligned_matrix.py).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .transitions import sorted_by_run_t

__all__ = ["aligned_matrix", "grid_step_at_transition", "refine_grid_t_eps"]


def grid_step_at_transition(curves: pd.DataFrame, t_eps: pd.Series) -> float:
    """Median over runs of ``t_eps`` minus the run's last sample strictly before it.

    This is the time resolution of the aligned average near the transition:
    closer to t_eps than this the curve is not sampled at all. (All runs at once.)

    >>> c = pd.DataFrame({"run": [0, 0, 1, 1, 1], "t": [0., 4., 0., 1., 2.], "test_error": 0.})
    >>> grid_step_at_transition(c, pd.Series({0: 4.0, 1: 2.0}))
    2.5
    """
    ids, start, end, t, _ = _run_blocks(curves, "t")
    te = _t_eps_of(t_eps, ids)
    b = _search_blocks(t, start, end, np.where(np.isfinite(te), te, -np.inf), right=False)
    ok = np.isfinite(te) & (b > start)
    steps = te[ok] - t[b[ok] - 1]
    return float(np.median(steps)) if steps.size else float("nan")


def _t_eps_of(t_eps: pd.Series, ids: Any) -> NDArray[np.float64]:
    """Each run's t_eps (NaN where it has none), in the order of ``ids``."""
    te_all = pd.Series(t_eps, dtype=float) if len(t_eps) else pd.Series(dtype=float)
    if te_all.index.is_unique:
        return te_all.reindex(ids).to_numpy(dtype=float)
    return np.array([te_all.get(r, np.nan) for r in ids], dtype=float)


def aligned_matrix(curves: pd.DataFrame, t_eps: pd.Series, tau: ArrayLike,
                   column: str = "test_error", *, loglog: bool = True
                   ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Each run's ``column`` at ``t = t_eps - tau``, linearly interpolated.

    With ``loglog=True`` (default) the interpolation is linear in
    ``(log tau, log E)`` between samples where both are positive (exact for a
    power law, so the interpolation does not bias ν), else linear in t.

    Returns ``(M, runs)`` with ``M[i, k]`` the value of run ``runs[i]`` at
    ``tau[k]`` (NaN where the run's curve does not reach back that far, and for
    τ closer to t_eps than the run's last sample before t_eps, where the curve
    is not sampled). Only
    runs with a finite ``t_eps`` are included.

    All runs at once: one sort of the table, a binary search of every (run, τ) pair inside
    its run's block, and the interpolation formulas of ``np.interp`` (the same values, bit
    for bit, as interpolating run by run).

    Examples
    --------
    >>> c = pd.DataFrame({"run": [0, 0, 0, 1, 1, 1], "t": [0., 1., 2., 0., 3., 4.],
    ...                   "test_error": [.4, .1, 0., .8, .2, 0.]})
    >>> M, runs = aligned_matrix(c, pd.Series({0: 2.0, 1: 4.0}), [0.5, 1.5, 2.0], loglog=False)
    >>> runs.tolist(), M.round(3).tolist()
    ([0, 1], [[nan, 0.25, 0.4], [nan, 0.3, 0.4]])
    """
    tau = np.asarray(tau, dtype=float)
    ids, start, end, t, y = _run_blocks(curves, column)
    te = _t_eps_of(t_eps, ids)
    keep = np.isfinite(te)
    if not keep.any():
        return np.empty((0, tau.size)), np.empty(0, dtype=np.int64)
    ids, start, end, te = ids[keep], start[keep], end[keep], te[keep]
    x = te[:, None] - tau[None, :]
    k = _search_blocks(t, start[:, None], end[:, None], x, right=True)   # global: t[k-1] <= x < t[k]
    lin = _interp_like_numpy(t, y, start[:, None], end[:, None], k, x)
    vals = _loglog(t, y, start[:, None], end[:, None], k, te[:, None], tau[None, :], lin) if loglog else lin
    # closer to t_eps than the run's last sample before it there is no data: mask
    b = _search_blocks(t, start, end, te, right=False)   # first sample at or after t_eps
    last = np.where(b > start, t[np.maximum(b - 1, 0)], -np.inf)
    vals = np.where(tau[None, :] < (te - last)[:, None], np.nan, vals)
    return vals, np.asarray([int(r) for r in ids], dtype=np.int64)


def _run_blocks(curves: pd.DataFrame, column: str) -> tuple[Any, NDArray[np.int64], NDArray[np.int64],
                                                          NDArray[np.float64], NDArray[np.float64]]:
    """Run ids in sorted order, each run's [start, end) in one (run, t)-sorted copy of t and ``column``."""
    run_codes, run_ids = pd.factorize(curves["run"], sort=True)
    t_all = curves["t"].to_numpy(dtype=float)
    y_all = curves[column].to_numpy(dtype=float)
    if run_codes.size and run_codes.min() >= 0 and sorted_by_run_t(curves):
        codes, t_s, y_s = run_codes, t_all, y_all   # already in (run, t) order: the same stable sort, no copy
    else:
        order = np.lexsort((t_all, run_codes))
        order = order[run_codes[order] >= 0]   # rows without a run id belong to no run (as in groupby)
        codes, t_s, y_s = run_codes[order], t_all[order], y_all[order]
    first = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if codes.size else np.empty(0, dtype=np.int64)
    present = codes[first]
    end = np.r_[first[1:], codes.size].astype(np.int64)
    return np.asarray(run_ids)[present], first.astype(np.int64), end, t_s, y_s


def _search_blocks(t: NDArray[np.float64], lo: NDArray[np.int64], hi: NDArray[np.int64], x: NDArray[np.float64],
                   *, right: bool) -> NDArray[np.int64]:
    """``np.searchsorted(t[lo:hi], x, side) + lo`` for every element at once (broadcast), by bisection."""
    lo = np.broadcast_to(lo, x.shape).copy()
    hi = np.broadcast_to(hi, x.shape).copy()
    while True:
        active = lo < hi
        if not active.any():
            return lo
        mid = (lo + hi) // 2
        tm = t[np.where(active, mid, 0)]
        go_right = active & ((tm <= x) if right else (tm < x))
        lo = np.where(go_right, mid + 1, lo)
        hi = np.where(active & ~go_right, mid, hi)


def _interp_like_numpy(t: NDArray[np.float64], y: NDArray[np.float64], start: NDArray[np.int64],
                       end: NDArray[np.int64], k: NDArray[np.int64], x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``np.interp(x, t_run, y_run, left=nan, right=nan)`` per element, with numpy's own formula
    (slope from the left sample; the NaN fall-backs of numpy's C loop)."""
    j = np.clip(k - 1, start, np.maximum(end - 2, start))   # left sample of the bracketing interval
    j1 = np.minimum(j + 1, end - 1)
    tj, tj1, yj, yj1 = t[j], t[j1], y[j], y[j1]
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (yj1 - yj) / (tj1 - tj)
        v = slope * (x - tj) + yj
        v2 = slope * (x - tj1) + yj1
    v = np.where(np.isnan(v), np.where(np.isnan(v2) & (yj == yj1), yj, v2), v)
    v = np.where(tj == x, yj, v)
    last = t[end - 1]
    v = np.where(x == last, y[end - 1], v)
    return np.where((k == start) | (x > last), np.nan, v)


def _loglog(t: NDArray[np.float64], y: NDArray[np.float64], start: NDArray[np.int64], end: NDArray[np.int64],
            k: NDArray[np.int64], te: NDArray[np.float64], tau: NDArray[np.float64],
            lin: NDArray[np.float64]) -> NDArray[np.float64]:
    """Linear in (log tau, log E) between the two samples around ``te - tau`` where both are positive."""
    inside = (k > start) & (k < end)
    kk = np.clip(k, start + 1, np.maximum(end - 1, start + 1))
    kk = np.minimum(kk, t.size - 1)
    t0, t1 = t[kk - 1], t[kk]
    y0, y1 = y[kk - 1], y[kk]
    u0, u1 = te - t0, te - t1  # tau at the two samples (u0 > u1)
    ok = inside & (y0 > 0) & (y1 > 0) & (u1 > 0) & (u0 > u1)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.log(tau / u1) / np.log(u0 / u1)
        logv = np.log(y1) + w * (np.log(y0) - np.log(y1))
    return np.where(ok, np.exp(logv), lin)


def refine_grid_t_eps(curves: pd.DataFrame, t_eps: pd.Series) -> tuple[pd.Series, float]:
    """Where a run's t_eps sits on one of its own samples (it was read off the
    time grid), move it to the midpoint between that sample and the previous one:
    the true crossing lies in between, and the midpoint removes the one-sided
    bias of the first-zero time on the aligned power law.

    Returns the refined series and the fraction of runs that were refined. (All runs at once.)

    >>> c = pd.DataFrame({"run": [0, 0, 1, 1], "t": [0., 4., 0., 2.], "test_error": 0.})
    >>> s, frac = refine_grid_t_eps(c, pd.Series({0: 4.0, 1: 1.5}))
    >>> s.tolist(), frac
    ([2.0, 1.5], 0.5)
    """
    out = t_eps.copy().astype(float)
    ids, start, end, t, _ = _run_blocks(curves, "t")
    te = _t_eps_of(out, ids)
    fin = np.isfinite(te)
    n_tot = int(fin.sum())
    b = _search_blocks(t, start, end, np.where(fin, te, -np.inf), right=False)   # first sample >= t_eps
    bb = np.minimum(b, t.size - 1)
    on_grid = fin & (b > start) & (b < end) & (np.abs(t[bb] - te) <= 1e-12 * np.maximum(1.0, np.abs(te)))
    if on_grid.any():
        out.loc[list(ids[on_grid])] = 0.5 * (t[bb[on_grid]] + t[bb[on_grid] - 1])
    return out, (int(on_grid.sum()) / n_tot if n_tot else 0.0)

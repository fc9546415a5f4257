"""Eq. (S1) of :mod:`comparison.estimate.scurve` fitted to many runs at once (no I/O).

One Levenberg-Marquardt iteration advances every run of a chunk together: the runs are
padded into a (runs x points) array with a mask, the 4 x 4 normal equations
J^T J + lambda diag(J^T J) of each run are solved with one batched ``np.linalg.solve``,
and each run keeps its own damping lambda (accept a step that lowers its cost and divide
lambda by 3, else multiply it by 2). The parameters, bounds, rescaling of time to [0, 1]
and starting point are those of :func:`~comparison.estimate.scurve.fit_scurve`, so both
converge to the same least-squares optimum; the onset's standard error is the same
sqrt(sigma^2 (J^T J)^-1)_{t*} at the optimum.

Chunks hold at most :data:`CHUNK_POINTS` padded points (runs sorted by length first, so
little is padded), which bounds the memory whatever the number of runs.

>>> import numpy as np
>>> from scipy.special import erf
>>> t = np.arange(0., 200.)
>>> runs = [(t, 0.5 - 0.5 * erf(0.05 * (t - o))) for o in (80., 120.)]
>>> f = fit_scurve_batch(runs)
>>> [round(float(x), 3) for x in f["onset"]], [round(float(x), 4) for x in f["sharpness"]]
([80.0, 120.0], [0.05, 0.05])
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import erf

__all__ = ["fit_scurve_batch", "prepare_curve", "to_time_units", "BOUNDS", "CHUNK_POINTS", "MAX_ITER"]

CHUNK_POINTS = 200_000   # padded points per chunk (1.6 MB per float64 array, 6.4 MB for J)
MAX_ITER = 200
_LO = np.array([-0.5, 1e-3, -np.inf, -np.inf])
_HI = np.array([1.5, 1e4, np.inf, np.inf])
BOUNDS = (_LO, _HI)   # (onset u, sharpness in 1/u, a, b): shared with the per-run fit_scurve
_C = 2.0 / np.sqrt(np.pi)


def prepare_curve(t: NDArray[np.float64], y: NDArray[np.float64], min_jump: float,
                  log_time: bool) -> tuple[str | None, Any]:
    """``(None, (u, y, p0, lo, span, n))`` of one curve ready for a fit, or ``(reason, n)``.

    NaNs dropped, sorted by t, time rescaled to u in [0, 1] (``log10 t`` with ``log_time``);
    ``p0`` = (u at the midpoint crossing, 10, half the jump, the midpoint level). Reasons:
    ``too_few_points`` (< 5 points or no time span), ``no_transition`` (|last - first| <
    ``min_jump``, first and last the means of the first and last tenth).

    >>> prepare_curve(np.arange(4.0), np.arange(4.0), 0.05, False)
    ('too_few_points', 4)
    """
    t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(t) & np.isfinite(y) & ((t > 0) if log_time else True)
    t, y = t[ok], y[ok]
    order = np.argsort(t, kind="stable")
    t, y = t[order], y[order]
    n = int(t.size)
    if n < 5:
        return "too_few_points", n
    x = np.log10(t) if log_time else t
    lo, span = float(x[0]), float(x[-1] - x[0])
    if span <= 0:
        return "too_few_points", n
    k = max(1, n // 10)
    first, last = float(np.mean(y[:k])), float(np.mean(y[-k:]))
    if abs(last - first) < min_jump:
        return "no_transition", n
    u = (x - lo) / span
    mid = 0.5 * (first + last)
    crossed = np.nonzero((y - mid) * np.sign(last - first) >= 0)[0]
    u0 = float(u[crossed[0]]) if crossed.size else 0.5
    return None, (u, y, np.array([u0, 10.0, 0.5 * (last - first), mid]), lo, span, n)


def _cost(U, Y, W, P):
    """Cost (sum of squared residuals) per run, the residuals and erf(z), z = s (u - u0)."""
    e = erf(P[:, 1:2] * (U - P[:, 0:1]))
    r = (P[:, 2:3] * e + P[:, 3:4] - Y) * W
    return (r * r).sum(axis=1), r, e


def _jacobian(U, W, P, e):
    """d residual / d (u0, s, a, b) per run and point (runs x points x 4), given erf(z) ``e``."""
    a, s, du = P[:, 2:3], P[:, 1:2], U - P[:, 0:1]
    z = s * du
    g = _C * np.exp(-z * z)
    return np.stack([-a * s * g * W, a * g * du * W, e * W, W], axis=2)


def _lm(U: NDArray[np.float64], Y: NDArray[np.float64], W: NDArray[np.float64],
        P: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.float64],
                                         NDArray[np.float64]]:
    """Batched Levenberg-Marquardt; returns parameters, converged flags, J and cost at the optimum.

    Each iteration works on the runs not yet converged only (converged ones leave the batch)."""
    P = P.copy()
    lam = np.full(P.shape[0], 1e-3)
    cost, r, E = _cost(U, Y, W, P)
    done = cost <= 1e-30
    act = np.nonzero(~done)[0]
    for _ in range(MAX_ITER):
        if act.size == 0:
            break
        u, yv, w, p, c, rr, la = U[act], Y[act], W[act], P[act], cost[act], r[act], lam[act]
        J = _jacobian(u, w, p, E[act])
        Jt = J.transpose(0, 2, 1)
        A = Jt @ J
        g = (Jt @ rr[:, :, None])[:, :, 0]
        D = A + la[:, None, None] * (np.eye(4) * np.maximum(np.diagonal(A, axis1=1, axis2=2), 1e-12)[:, None, :])
        try:
            step = -np.linalg.solve(D, g[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            step = -np.stack([np.linalg.lstsq(d, v, rcond=None)[0] for d, v in zip(D, g)])
        pn = np.clip(p + step, _LO, _HI)
        cn, rn, en = _cost(u, yv, w, pn)
        better = cn < c
        change = np.abs(c - cn)
        tiny = np.all(np.abs(pn - p) <= 1e-12 * (np.abs(p) + 1e-12), axis=1)
        fin = (better & (change <= 1e-12 * c)) | (~better & (tiny | (change <= 1e-15 * c))) | (cn <= 1e-30)
        keep = better[:, None]
        P[act], r[act], E[act] = np.where(keep, pn, p), np.where(keep, rn, rr), np.where(keep, en, E[act])
        cost[act] = np.where(better, cn, c)
        lam[act] = la = np.where(better, la / 3.0, la * 2.0)
        fin |= la > 1e12
        done[act] = fin
        act = act[~fin]
    return P, done & np.isfinite(cost), _jacobian(U, W, P, E), cost


def _inv00(A: NDArray[np.float64]) -> NDArray[np.float64]:
    """(A^-1)[0, 0] of each 4 x 4 matrix (inf where singular)."""
    try:
        return np.linalg.inv(A)[:, 0, 0]
    except np.linalg.LinAlgError:
        out = np.full(A.shape[0], np.inf)
        for i, a in enumerate(A):
            try:
                out[i] = np.linalg.inv(a)[0, 0]
            except np.linalg.LinAlgError:
                pass
        return out


def _finish(P, conv, inv00, cost_n, item):
    """The result row of one run from its parameters (fit_scurve's units, s.e. and reasons)."""
    u, y, _, lo, span, n = item
    if not conv or not np.all(np.isfinite(P)):
        return _fail("fit_failed", n)
    uo, su, a, b = (float(v) for v in P)
    if not 0.0 <= uo <= 1.0:
        return _fail("onset_outside_log", n)
    sigma2 = float(cost_n) / max(n - 4, 1)
    se_u = float(np.sqrt(max(sigma2 * inv00, 0.0))) if np.isfinite(inv00) else float("inf")
    return dict(uo=uo, lo=lo, span=span, su=su, a=a, b=b, se_u=se_u, rmse=float(np.sqrt(sigma2)), n_points=n,
                reason=None)


def _fail(reason: str, n: int) -> dict[str, Any]:
    return dict(reason=reason, n_points=n)


def to_time_units(uo: float, su: float, se_u: float, lo: float, span: float,
                  log_time: bool) -> tuple[float, float, float]:
    """``(onset, sharpness, onset_se)`` in the curve's own time from the fit on u in [0, 1]
    (u = (x - lo) / span, x = t or log10 t).

    >>> to_time_units(0.5, 10.0, 0.01, 0.0, 200.0, False)
    (100.0, 0.05, 2.0)
    """
    xo = lo + uo * span
    onset = float(10 ** xo) if log_time else xo
    return onset, su / span, se_u * span * (onset * np.log(10) if log_time else 1.0)


def fit_scurve_batch(curves: Sequence[tuple[NDArray[np.float64], NDArray[np.float64]]], *,
                     min_jump: float = 0.05, log_time: bool = False) -> dict[str, NDArray[Any]]:
    """Eq. (S1) fitted to every ``(t, y)`` curve; arrays ``onset, sharpness, a, b, onset_se, rmse,
    n_points, reason`` (reason None for a good fit), in the order of ``curves``.

    Parameters
    ----------
    curves : one ``(t, y)`` pair per run (NaNs dropped; at least 5 finite points needed).
    min_jump : smallest |y_last - y_first| counted as a transition, >= 0.
    log_time : fit in log10 t (t > 0 only) instead of t.
    """
    if not min_jump >= 0:
        raise ValueError(f"min_jump must be >= 0, got {min_jump!r}")
    prepared = [prepare_curve(t, y, min_jump, log_time) for t, y in curves]
    rows: list[dict[str, Any]] = [{} for _ in prepared]
    todo = [i for i, (why, _) in enumerate(prepared) if why is None]
    for i, (why, n) in enumerate(prepared):
        if why is not None:
            rows[i] = _fail(why, n)
    todo.sort(key=lambda i: prepared[i][1][5])
    k = 0
    while k < len(todo):
        width = prepared[todo[k]][1][5]
        m = k + 1
        while m < len(todo) and (m - k + 1) * prepared[todo[m]][1][5] <= max(CHUNK_POINTS, width):
            m += 1
        _fit_chunk([prepared[i][1] for i in todo[k:m]], [rows, todo[k:m]])
        k = m
    return _columns(rows, log_time)


def _fit_chunk(items: list[Any], where: list[Any]) -> None:
    rows, idx = where
    L = max(it[5] for it in items)
    U = np.zeros((len(items), L))
    Y = np.zeros((len(items), L))
    W = np.zeros((len(items), L))
    for j, it in enumerate(items):
        U[j, :it[5]], Y[j, :it[5]], W[j, :it[5]] = it[0], it[1], 1.0
    P, conv, J, cost = _lm(U, Y, W, np.stack([it[2] for it in items]))
    inv00 = _inv00(J.transpose(0, 2, 1) @ J)   # padded points have zero rows in J
    for j, it in enumerate(items):
        rows[idx[j]] = _finish(P[j], bool(conv[j]), float(inv00[j]), cost[j], it)


def _columns(rows: list[dict[str, Any]], log_time: bool) -> dict[str, NDArray[Any]]:
    out: dict[str, list[Any]] = {k: [] for k in ("onset", "sharpness", "a", "b", "onset_se", "rmse", "n_points",
                                                 "reason")}
    for r in rows:
        if r.get("reason") is not None:
            for k in ("onset", "sharpness", "a", "b", "onset_se", "rmse"):
                out[k].append(np.nan)
        else:
            onset, sharpness, onset_se = to_time_units(r["uo"], r["su"], r["se_u"], r["lo"], r["span"], log_time)
            out["onset"].append(onset)
            out["sharpness"].append(sharpness)
            out["a"].append(r["a"])
            out["b"].append(r["b"])
            out["onset_se"].append(onset_se)
            out["rmse"].append(r["rmse"])
        out["n_points"].append(int(r["n_points"]))
        out["reason"].append(r.get("reason"))
    return {k: np.asarray(v, dtype=object if k == "reason" else (int if k == "n_points" else float))
            for k, v in out.items()}

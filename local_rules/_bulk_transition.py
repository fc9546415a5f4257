r"""Scenario B on the bulk population: t_eps and the aligned test error on stationary contexts,
on the same sample (issue 25).

ξ and D_eff are measured on the bulk (stationary) contexts of long inputs; for a like-with-like
test of Eq. 50 (ν = (D+1)/2 − ξ) the transition exponent ν must be measured on the same
population.  Here the test error of each classifier initialisation is the fraction of a bulk
sample (:func:`local_rules.bulk_contexts`) with :math:`\mathrm{sgn}(w(t)\cdot z)\ne y`, t_eps is
the first time it is zero on that same sample (grid + bisection), and the error is evaluated at
:math:`t = t_\varepsilon - \tau` on a log grid of τ.  The runs (``w0``) are those of
:func:`local_rules.run_scenario_b` with the same seed, so both populations are compared run by run.

Sample-size rule (:func:`bulk_sample_size`): a finite sample resolves error levels down to about
``n_min`` points; the mean aligned error at the smallest τ of the fit window, ``e_min``, is
resolved when ``N ≥ n_min / e_min`` (default ``n_min = 20``: a relative counting error ≤ 1/√20 per
run, and the average over runs is smoother still).

Fit window (:func:`resolved_window`): from the smallest τ above which the mean aligned error stays
≥ max(n_min/N, 2 × its value at the smallest τ of the grid) — the second term keeps the window off
the floor left by the sample's last misclassified context(s) — up to a fixed ``tau_hi``.
The corner at which each run's boundary leaves the support is :mod:`local_rules._corner_study`.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._checks import check_int, check_real
from ._contexts import Contexts, bulk_contexts, circle_distance
from ._data import make_dataset
from ._scenario_b import ReplicaFlow, error_fraction, refine_first_zero, scenario_b_problem
from ._tensors import resolve_A

__all__ = ["bulk_sample_size", "bulk_transition", "resolved_window", "assign_corner", "last_wrong"]


def bulk_sample_size(e_min: float, *, n_min: int = 20) -> int:
    """Bulk sample size that resolves an error level ``e_min``: ``ceil(n_min / e_min)``.

    Examples
    --------
    >>> bulk_sample_size(1e-3)
    20000
    """
    e_min = check_real("e_min", e_min, 0.0, 1.0, lo_open=True)
    return int(math.ceil(check_int("n_min", n_min, 1) / e_min))


def _t_eps_on(flow: ReplicaFlow, Z: NDArray[np.float64], y: NDArray[np.int8], wt: NDArray[np.float64],
              grid: NDArray[np.float64]) -> NDArray[np.float64]:
    """First zero of the error on (Z, y, wt) per replica: grid scan, then bisection (NaN: never)."""
    E = np.stack([error_fraction(flow.at(np.full(flow.w0.shape[0], t)), Z, y, wt) for t in grid], axis=1)
    zero = E <= 0
    has = zero.any(axis=1)
    k = np.argmax(zero, axis=1)
    out = np.full(E.shape[0], np.nan)
    out[has & (k == 0)] = grid[0]
    ref = np.nonzero(has & (k > 0))[0]
    if ref.size:
        sub = ReplicaFlow(flow.G, flow.a, flow.w0[ref], flow.lam1)
        out[ref] = refine_first_zero(sub, Z, y, wt, grid[k[ref] - 1], grid[k[ref]])[0]
    return out


def bulk_transition(A: Any, *, lam1: float = 0.0, lam2: float = 0.0, n_init: int = 200, seed: int = 0,
                    contexts: Contexts | None = None, taus: Any = None, n_times: int = 120,
                    rule: int = 30, K: int = 1) -> dict[str, Any]:
    """t_eps and the aligned test error ``E[run, tau]`` on a bulk population (module docstring).

    ``contexts``: the population (default ``bulk_contexts(A, seed=seed)``); ``taus``: the τ grid
    (default 61 points log-spaced over 1e-6 … 10).  Returns ``t_eps`` (n_init; NaN: never zero),
    ``groks``, ``taus``, ``E`` (grokking runs × τ; NaN where τ ≥ t_eps), ``runs``, ``w0``,
    ``contexts``, ``flow`` (for corner identification) and ``n_contexts``.

    Examples
    --------
    >>> import local_rules as lr
    >>> c = lr.bulk_contexts("example3", n_seq=2, length=256, lo=32, hi=224)
    >>> r = lr.bulk_transition("example3", n_init=4, contexts=c, n_times=40)
    >>> r["E"].shape[1], bool(np.all(r["E"][np.isfinite(r["E"])] >= 0))
    (61, True)
    """
    A_arr = resolve_A(A)[0]
    lam1 = check_real("lam1", lam1, 0.0)
    lam2 = check_real("lam2", lam2, 0.0)
    n_init = check_int("n_init", n_init, 1)
    seed = check_int("seed", seed, 0)
    train = make_dataset(rule, K, 2 * K + 1)
    _, G, a = scenario_b_problem(A_arr, train, lam2)
    w0 = np.random.default_rng(seed).standard_normal((n_init, G.shape[0]))  # as run_scenario_b
    c = contexts if contexts is not None else bulk_contexts(A_arr, rule=rule, K=K, seed=seed)
    Z, y, wt = c.features(), c.labels, c.weights
    ev = np.linalg.eigvalsh(G)
    pos = ev[ev > 1e-12 * ev.max()]
    grid = np.concatenate([[0.0], np.logspace(np.log10(0.01 / pos.max()), np.log10(50 / pos.min()),
                                              check_int("n_times", n_times, 2))])
    flow = ReplicaFlow(G, a, w0, lam1)
    t_eps = _t_eps_on(flow, Z, y, wt, grid)
    taus = np.logspace(-6, 1, 61) if taus is None else np.asarray(taus, float)
    gi = np.nonzero(np.isfinite(t_eps) & (t_eps > 0))[0]
    E = np.full((gi.size, taus.size), np.nan)
    if gi.size:
        tm = t_eps[gi][:, None] - taus[None, :]
        sub = ReplicaFlow(G, a, w0[gi], lam1)
        W = sub.at_matrix(np.clip(tm, 0.0, None))
        E = np.where(tm > 0, error_fraction(W, Z, y, wt), np.nan)
    return {"t_eps": t_eps, "groks": np.isfinite(t_eps), "taus": taus, "E": E, "runs": gi, "w0": w0,
            "contexts": c, "flow": ReplicaFlow(G, a, w0[gi], lam1) if gi.size else None, "n_contexts": int(Z.shape[0]),
            "t_eps_grid": grid}


def assign_corner(left_angle: float, right_angle: float, left_edges: dict[str, Any],
                  right_edges: dict[str, Any]) -> tuple[str, str]:
    """Names of the nearest left and right edge (``edges``: name -> {"angle": …}) to the angles.

    Examples
    --------
    >>> assign_corner(0.11, 1.39, {"low": {"angle": 0.1}, "high": {"angle": 0.5}},
    ...               {"low": {"angle": 1.0}, "high": {"angle": 1.4}})
    ('low', 'high')
    """
    pick = lambda th, ed: min(ed, key=lambda k: float(circle_distance(th, ed[k]["angle"])))  # noqa: E731
    return pick(left_angle, left_edges), pick(right_angle, right_edges)


def last_wrong(W: NDArray[np.float64], Z: NDArray[np.float64], y: NDArray[np.int8]) -> NDArray[np.int64]:
    """Per replica: index of the misclassified point with the largest (least negative) margin."""
    M = (W @ Z.T) * y[None, :]
    M = np.where(M <= 0, M, -np.inf)
    return np.argmax(M, axis=1)


def resolved_window(taus: Any, E: Any, n_contexts: int, *, n_min: int = 20, tau_hi: float = 1.0,
                    floor_factor: float = 2.0) -> dict[str, Any]:
    """Fit window ``[lo, tau_hi]`` of an aligned error ``E[run, tau]`` on ``n_contexts`` equal-weight points.

    ``lo`` is the smallest grid τ such that the mean over runs stays ≥ ``e_min`` = max(n_min / N,
    floor_factor × mean at the smallest τ) at every grid τ up to ``tau_hi`` (module docstring);
    ``lo = None`` when not even ``tau_hi`` is resolved.

    Examples
    --------
    >>> tau = np.logspace(-4, 0, 5)
    >>> resolved_window(tau, np.array([[1e-4, 1e-4, 1e-3, 1e-2, 1e-1]]), 1000, n_min=1)["lo"]
    0.01
    """
    taus = np.asarray(taus, float)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: NaN mean
        m = np.nanmean(np.atleast_2d(np.asarray(E, float)), axis=0)
    n_contexts = check_int("n_contexts", n_contexts, 1)
    tau_hi = check_real("tau_hi", tau_hi, 0.0, lo_open=True)
    floor = float(m[np.argmin(taus)]) if np.isfinite(m[np.argmin(taus)]) else 0.0
    e_min = max(check_int("n_min", n_min, 1) / n_contexts, check_real("floor_factor", floor_factor, 0.0) * floor)
    sel = np.nonzero(taus <= tau_hi * (1 + 1e-9))[0]
    sel = sel[np.argsort(taus[sel])]
    ok = np.isfinite(m[sel]) & (m[sel] >= e_min)
    bad = np.nonzero(~ok)[0]
    k = bad.max() + 1 if bad.size else 0
    lo = float(taus[sel[k]]) if k < sel.size else None
    return {"lo": lo, "hi": float(taus[sel[-1]]) if sel.size else None, "e_min": e_min, "floor": floor,
            "n_min": n_min, "n_contexts": n_contexts,
            "rule": f"mean aligned error >= max(n_min/N, {floor_factor:g} x floor) from lo up to tau_hi"}

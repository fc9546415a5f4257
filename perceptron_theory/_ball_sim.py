r"""Building blocks of :func:`~perceptron_theory.simulate.simulate_ball`.

A replica's weight trajectory is one of three objects with the same small interface
(``w_final``, ``diverged``, ``w_at``, ``w_grid``, ``margins_at``, ``margins_grid``):

* :class:`ExactTrajectory`: the real finite-N flow, λ1 = 0 (Eq. 21, over the public
  :class:`~perceptron_theory.flow.LinearFlow` methods);
* :class:`L1Trajectory`: the real flow with λ1 > 0 (event-driven :class:`~perceptron_theory.flow.L1Flow`);
* :class:`ZerothOrderTrajectory`: the paper's zeroth-order dynamics (Eqs. 38-39),
  :math:`w_1(t) = 1/\epsilon + (w_1(0) - 1/\epsilon)e^{-\epsilon^2 t}`,
  :math:`w_j(t) = w_j(0)e^{-\lambda_{2,D} t}` for j >= 2.

:func:`final_state` gives the summary of the final state only; :func:`crossings` the
first-passage times (t_train, t_eps) of a trajectory; :func:`curves` the recorded error
curves. Nothing here draws random numbers.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import ball as _ball
from ._crossing import first_crossing
from .flow import L1Flow, LinearFlow, l1_stationary

__all__ = ["T_TRAIN_RULES", "DYNAMICS", "ExactTrajectory", "L1Trajectory", "ZerothOrderTrajectory",
           "make_trajectory", "time_grid", "final_state", "crossings", "curves_arrays", "SUMMARY_KEYS"]

T_TRAIN_RULES = ("samples", "threshold")
DYNAMICS = ("exact", "zeroth_order")
SUMMARY_KEYS = ("run", "t_train", "t_eps", "t_G", "groks", "status", "diverged", "h_final", "r0",
                "fast_branch", "g_min", "g_max", "generalised_at_init")
Array = NDArray[np.float64]


class ExactTrajectory:
    """The exact λ1 = 0 flow of a chunk of replicas (Eq. 21); margins in the eigenbasis."""

    def __init__(self, G: Array, a: Array, w0: Array, yx: Array):
        self.flow = LinearFlow(G, a, w0)
        self.w_final, self.diverged = self.flow.w_inf_, self.flow.diverged_
        self.Pm = np.einsum("rni,rij->rnj", yx, self.flow.eigvecs_)  # margins in the eigenbasis

    def w_at(self, t: Array, rows: Array) -> Array:
        return self.flow.weights_at(t, rows)

    def margins_at(self, t: Array, rows: Array) -> Array:
        return np.einsum("rnj,rj->rn", self.Pm[rows], self.flow.coefficients_at(t, rows))

    def w_grid(self, tg: Array) -> tuple[Array, Any]:
        c = self.flow.coefficients_grid(tg)
        return np.einsum("rij,rtj->rti", self.flow.eigvecs_, c), c

    def margins_grid(self, W: Array, C: Any) -> Array:
        return np.einsum("rnj,rtj->rtn", self.Pm, C)


class _DirectMargins:
    yx: Array

    def margins_at(self, t: Array, rows: Array) -> Array:
        return np.einsum("rni,ri->rn", self.yx[rows], self.w_at(t, rows))  # type: ignore[attr-defined]

    def margins_grid(self, W: Array, C: Any) -> Array:
        return np.einsum("rni,rti->rtn", self.yx, W)


class L1Trajectory(_DirectMargins):
    """The exact event-driven λ1 > 0 flow (:class:`~perceptron_theory.flow.L1Flow`)."""

    def __init__(self, G: Array, a: Array, w0: Array, yx: Array, lam1: float):
        self.flow = L1Flow(G, a, w0, lam1)
        self.yx, self.r = yx, w0.shape[0]
        self.w_final = self.flow.w_inf_
        self.diverged = self.flow.diverged_ | self.flow.chattering_

    def w_at(self, t: Array, rows: Array) -> Array:
        full = np.zeros(self.r)
        full[rows] = t
        return self.flow.at(full)[rows]

    def w_grid(self, tg: Array) -> tuple[Array, Any]:
        return self.flow.at(tg), None


class ZerothOrderTrajectory(_DirectMargins):
    r"""Eqs. 38-39: :math:`w_1 \to 1/\epsilon` at rate :math:`\epsilon^2`, the other components
    decay at rate :math:`\lambda_{2,D}`; the final state is :math:`e_1/\epsilon` (zero test error)."""

    def __init__(self, w0: Array, yx: Array, eps: float, lam_D: float):
        self.w0, self.yx, self.eps, self.lam_D = w0, yx, eps, lam_D
        self.w_final = np.zeros_like(w0)
        self.w_final[:, 0] = 1.0 / eps
        self.diverged = np.zeros(w0.shape[0], dtype=bool)

    def _weights(self, w0: Array, t: Array) -> Array:
        # w0 (..., D), t broadcastable to w0[..., 0]
        out = w0 * np.exp(-self.lam_D * t)[..., None]
        out[..., 0] = 1.0 / self.eps + (w0[..., 0] - 1.0 / self.eps) * np.exp(-self.eps**2 * t)
        return out

    def w_at(self, t: Array, rows: Array) -> Array:
        return self._weights(self.w0[rows], np.asarray(t, dtype=float))

    def w_grid(self, tg: Array) -> tuple[Array, Any]:
        return self._weights(self.w0[:, None, :], np.asarray(tg, dtype=float)), None


def make_trajectory(dynamics: str, G: Array, a: Array, w0: Array, yx: Array, lam1: float,
                    eps: float, lam_D: float):
    """The trajectory object for ``dynamics`` ("exact" or "zeroth_order")."""
    if dynamics == "zeroth_order":
        return ZerothOrderTrajectory(w0, yx, eps, lam_D)
    if lam1 == 0:
        return ExactTrajectory(G, a, w0, yx)
    return L1Trajectory(G, a, w0, yx, lam1)


def rates(dynamics: str, gl: Array, eps: float, lam_D: float) -> tuple[Array, Array]:
    """(slowest positive, fastest) relaxation rate per replica: the eigenvalues of G for the
    real flow, (λ_{2,D}, ε²) for the zeroth-order dynamics."""
    if dynamics == "zeroth_order":
        r = gl.shape[0]
        return np.full(r, min(lam_D, eps**2)), np.full(r, max(lam_D, eps**2))
    return np.where(gl > 1e-12 * gl[:, -1:], gl, np.inf).min(1), gl[:, -1]


def time_grid(lam_pos: Array, lam_max: Array, n_grid: int) -> Array:
    """Per-replica search grid: 0, then log-spaced from 1e-4 / fastest rate to 60 / slowest rate."""
    horizon = 60.0 / lam_pos
    return np.concatenate([np.zeros((lam_pos.size, 1)),
                           np.geomspace(1e-4 / lam_max, horizon, n_grid - 1).T], 1)


def _test_ok(w: Array, eps: float) -> Array:
    # zero test error needs eps w_1 >= |w| > 0: a zero weight vector classifies nothing
    nrm = np.linalg.norm(w, axis=-1)
    return (eps * w[..., 0] >= nrm) & (nrm > 0)


def _h_final(w_fin: Array, eps: float) -> Array:
    nf = np.linalg.norm(w_fin, axis=-1)
    return eps * w_fin[:, 0] / np.where(nf > 0, nf, 1.0)


def _common(w0: Array, eps: float, gl: Array) -> dict[str, Array]:
    r0 = np.sum(w0[:, 1:] ** 2, axis=1)
    e2 = np.float64(eps) ** 2  # r0 <= 1 - 1/eps^2, without dividing by eps^2 (eps may be 1e-300)
    return {"r0": r0, "fast_branch": r0 * e2 <= e2 - 1.0, "g_min": gl[:, 0], "g_max": gl[:, -1],
            "generalised_at_init": _test_ok(w0, eps)}


def final_state(dynamics: str, G: Array, a: Array, w0: Array, gl: Array, lam1: float,
                eps: float) -> tuple[dict[str, Array], Array]:
    """Summary columns (times NaN) and final weights of a chunk, without the trajectory:
    :math:`G^+a` for λ1 = 0, the L1 minimiser otherwise, :math:`e_1/\\epsilon` at zeroth order."""
    r = w0.shape[0]
    if dynamics == "zeroth_order":
        w_fin = np.zeros_like(w0)
        w_fin[:, 0] = 1.0 / eps
        diverged = np.zeros(r, dtype=bool)
    elif lam1 == 0:
        fl = LinearFlow(G, a, w0)
        w_fin, diverged = fl.w_inf_, fl.diverged_
    else:
        w_fin, conv = l1_stationary(G, a, lam1)
        diverged = ~conv
    groks = _test_ok(w_fin, eps) & ~diverged
    nan = np.full(r, np.nan)
    cols = {"t_train": nan, "t_eps": nan, "t_G": nan, "groks": groks,
            "status": np.where(groks, "groks", "no_grok"), "diverged": diverged,
            "h_final": _h_final(w_fin, eps), **_common(w0, eps, gl)}
    return cols, w_fin


def status(t_eps: Array, groks_final: Array) -> NDArray:
    reached = np.isfinite(t_eps)
    return np.where(groks_final & reached, "groks",
                    np.where(groks_final, "not_reached", np.where(reached, "transient", "no_grok")))


def grok_time(te: Array, tt: Array, st: NDArray) -> tuple[Array, NDArray]:
    """t_G = t_eps - t_train on grokking runs (NaN elsewhere). A run whose training error
    never reaches zero within the horizon is ``not_reached``: t_G is never returned as ±inf."""
    st = np.where((st == "groks") & ~np.isfinite(tt), "not_reached", st)
    with np.errstate(invalid="ignore"):
        tG = np.where(st == "groks", te - tt, np.nan)
    return tG, st


def crossings(traj: Any, grid: Array, w0: Array, gl: Array, eps: float,
              t_train: str) -> dict[str, Array]:
    """Summary columns of a chunk from its trajectory: t_eps (first zero test error), t_train
    (first zero training error: every sample classified, or the threshold
    :math:`w_1/\\|w\\| \\ge 1/\\sqrt{1+\\epsilon^2}`), t_G, status and the final state."""
    Wg, Cg = traj.w_grid(grid)
    te = first_crossing(_test_ok(Wg, eps), grid, lambda t, rr: _test_ok(traj.w_at(t, rr), eps))
    if t_train == "threshold":
        k = np.sqrt(1.0 + eps**2)

        def train_ok(w: Array) -> Array:
            return k * w[..., 0] >= np.linalg.norm(w, axis=-1)

        tt = first_crossing(train_ok(Wg), grid, lambda t, rr: train_ok(traj.w_at(t, rr)))
    else:
        mg = traj.margins_grid(Wg, Cg)
        tt = first_crossing(np.all(mg > 0, axis=-1), grid,
                            lambda t, rr: np.all(traj.margins_at(t, rr) > 0, axis=-1))
    groks = _test_ok(traj.w_final, eps) & ~traj.diverged
    tG, st = grok_time(te, tt, status(te, groks))
    return {"t_train": tt, "t_eps": te, "t_G": tG, "groks": groks, "status": st,
            "diverged": traj.diverged, "h_final": _h_final(traj.w_final, eps), **_common(w0, eps, gl)}


def curves_arrays(traj: Any, times: Array, eps: float, D: int) -> tuple[Array, Array]:
    """Test error (Eq. 22 of the current w) and training error (fraction of training samples
    with margin <= 0) at per-replica ``times`` (NaN-free)."""
    Wc, Cc = traj.w_grid(times)
    nrm = np.linalg.norm(Wc, axis=-1)
    h = eps * Wc[..., 0] / np.where(nrm > 0, nrm, 1.0)
    test_err = _ball.test_error(np.clip(h, -1.0, 1.0), D)
    test_err = np.where(_test_ok(Wc, eps), 0.0, test_err)
    train_err = np.mean(traj.margins_grid(Wc, Cc) <= 0, axis=-1)
    return test_err, train_err

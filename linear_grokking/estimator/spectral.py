r"""Exact trajectories of the linear student from one eigendecomposition of :math:`\Sigma_{tr}`.

With :math:`D = S - T`, :math:`\kappa = \eta / d_{out}` and :math:`\mu = \nu + \gamma/2`, Eq. 3 of
Levi, Beck & Bar-Sinai (ICLR 2024) reads, in the eigenbasis :math:`\Sigma_{tr} = P\,\mathrm{diag}(\nu)P^T`
(:math:`\bar D = P^T D`, :math:`\bar T = P^T T`, row k of :math:`\bar D` evolves with its own eigenvalue),

* discrete GD (Eq. 3, Eq. 14 at :math:`d_{out}=1`):
  :math:`\bar D_k(t) = (1 - 2\kappa\mu_k)^t\,(\bar D_k(0) + c_k \bar T_k) - c_k \bar T_k`, integer t;
* gradient flow (Eq. 4-5 generalised, Eq. 31): the same with :math:`e^{-2\kappa\mu_k t}` for the power,

where :math:`c_k = (\gamma/2)/\mu_k` (zero when :math:`\gamma = 0`). Both are exact for the sampled
:math:`\Sigma_{tr}` (no large-d approximation). With :math:`A_k(t)` the power/exponential,
:math:`\|\bar D_k(t)\|^2 = A_k^2 a_k - 2 A_k b_k + c'_k` with three per-eigenvalue weights, so
:math:`L_{gen}(t) = \sum_k \|\bar D_k\|^2 / d_{out}` (Eq. 2) and
:math:`L_{tr}(t) = \sum_k \nu_k \|\bar D_k\|^2 / d_{out}` (Eq. 1) cost O(d_in) per time.

Eigenvalues below ``d_in * machine-eps * nu_max`` are set to 0 exactly (the null space when
:math:`\lambda > 1`), so a flat direction stays flat at any t.

Examples
--------
>>> import numpy as np
>>> from linear_grokking.estimator.backend import get_backend
>>> rng = np.random.default_rng(0)
>>> X = rng.standard_normal((1, 20, 5)); T = rng.standard_normal((1, 5, 1)); S0 = np.zeros((1, 5, 1))
>>> st = spectral_state(get_backend(None), X, T, S0, eta=0.01, gamma=0.0, dynamics="flow")
>>> L_tr, L_gen = losses_at(st, np.array([[0.0]]))
>>> bool(np.isclose(L_gen[0, 0], (T ** 2).sum()))
True
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .backend import Backend

__all__ = ["spectral_state", "amplitude", "losses_at", "limit_losses", "dbar_at"]


def spectral_state(bk: Backend, X: np.ndarray, T: np.ndarray, S0: np.ndarray, *, eta: float, gamma: float,
                   dynamics: str) -> dict[str, Any]:
    """Eigendecompose every run's :math:`\\Sigma_{tr} = X^T X / N` and precompute the trajectory weights.

    ``X`` is ``(r, N, d)``, ``T`` and ``S0`` are ``(r, d, d_out)``; ``dynamics`` is ``"flow"`` or ``"gd"``.
    Returned arrays with a leading run axis: ``nu`` (numpy), ``P``, ``u``, ``v`` (backend) and the
    numpy weights ``a, b, c`` plus ``rate`` (flow) or ``base`` (GD).
    """
    d_out = T.shape[-1]
    Xb = bk.asarray(X)
    sigma = bk.swap(Xb) @ Xb / X.shape[1]
    nu_b, P = bk.eigh(sigma)
    nu = bk.to_numpy(nu_b).copy()
    tol = X.shape[2] * np.finfo(float).eps * np.abs(nu).max(axis=1, keepdims=True)
    nu[nu <= tol] = 0.0
    Tb = bk.swap(P) @ bk.asarray(T)
    Db0 = bk.swap(P) @ bk.asarray(S0 - T)
    mu = nu + gamma / 2.0
    c = np.where(mu > 0, (gamma / 2.0) / np.where(mu > 0, mu, 1.0), 0.0) if gamma > 0 else np.zeros_like(nu)
    cb = bk.asarray(c)[..., None]
    u = Db0 + cb * Tb
    v = cb * Tb
    weights = {k: bk.to_numpy(w.sum(-1)) / d_out for k, w in (("a", u * u), ("b", u * v), ("c", v * v))}
    kappa = eta / d_out
    st: dict[str, Any] = {"bk": bk, "nu": nu, "P": P, "u": u, "v": v, "dynamics": dynamics, **weights}
    if dynamics == "flow":
        st["rate"] = 2.0 * kappa * mu
    else:
        st["base"] = 1.0 - 2.0 * kappa * mu
    return st


def amplitude(st: dict[str, Any], t: np.ndarray) -> np.ndarray:
    """:math:`A_k(t)` for per-run times ``t`` of shape ``(r, n_t)``: returns ``(r, d, n_t)``."""
    t = np.asarray(t, dtype=float)[:, None, :]
    if st["dynamics"] == "flow":
        return np.exp(-st["rate"][:, :, None] * t)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.power(st["base"][:, :, None], t)


def losses_at(st: dict[str, Any], t: np.ndarray, block: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``(L_tr, L_gen)`` (Eqs. 1-2) at per-run times ``t`` ``(r, n_t)``, each ``(r, n_t)``."""
    t = np.asarray(t, dtype=float)
    out_tr, out_gen = np.empty(t.shape), np.empty(t.shape)
    for j in range(0, t.shape[1], block):
        A = amplitude(st, t[:, j:j + block])
        with np.errstate(over="ignore", invalid="ignore"):
            q = A * A * st["a"][:, :, None] - 2.0 * A * st["b"][:, :, None] + st["c"][:, :, None]
        out_gen[:, j:j + block] = q.sum(1)
        out_tr[:, j:j + block] = (st["nu"][:, :, None] * q).sum(1)
    return out_tr, out_gen


def limit_losses(st: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``(L_tr, L_gen)`` as t -> infinity per run (``inf`` for an unstable GD step)."""
    if st["dynamics"] == "flow":
        A = np.where(st["rate"] > 0, 0.0, 1.0)
        unstable = np.zeros(A.shape[0], dtype=bool)
    else:
        base = st["base"]
        A = np.where(base == 1.0, 1.0, 0.0)
        unstable = (np.abs(base) >= 1.0) & (base != 1.0)
        unstable = unstable.any(1)
    q = A * A * st["a"] - 2.0 * A * st["b"] + st["c"]
    L_gen, L_tr = q.sum(1), (st["nu"] * q).sum(1)
    return np.where(unstable, np.inf, L_tr), np.where(unstable, np.inf, L_gen)


def dbar_at(st: dict[str, Any], t: float) -> Any:
    """:math:`\\bar D(t)` on the backend, shape ``(r, d, d_out)`` (one common time ``t``)."""
    A = amplitude(st, np.full((st["nu"].shape[0], 1), float(t)))[:, :, 0]
    return st["bk"].asarray(A)[..., None] * st["u"] - st["v"]

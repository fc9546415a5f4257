"""Input gradients and the average gradient outer product (AGOP).

Mallinar et al. 2024, sec. 2, RFM steps 2–5.  For a kernel machine
``f_c(x) = Σ_i α_ic k(x_i, x)`` the input gradient at a training point is
(see :mod:`modular_rfm._kernels` for the weights ``w·W``)

* radial kernels: ``∇f_c(x_j) = w M Σ_i α_ic W_ij (x_i − x_j)``
  (Gaussian: ``(1/L²) M Σ_i α_ic k(x_i, x_j)(x_i − x_j)`` with ``β = 2L²``);
* quadratic kernel: ``∇f_c(x_j) = 2 M Σ_i α_ic (x_iᵀ M x_j) x_i``.

Write ``∇f_c(x_j) = M u_cj``.  Then, with optional centring over the training
points, ``AGOP = (1/n) Σ_j Σ_c ∇f_c(x_j) ∇f_c(x_j)ᵀ = M R M`` with
``R = (1/n) Σ_{j,c} u_cj u_cjᵀ − Σ_c ū_c ū_cᵀ`` (the last term only when centred).

Two interchangeable paths compute ``R``:

* :func:`agop_onehot` uses that every input has exactly two non-zeros: the
  component of ``Σ_i α_ic W_ij x_i`` on input coordinate ``k`` is a sum over
  the training points whose ``a`` or ``p + b`` equals ``k`` (a group-by), so
  the ``u`` are built ``2p`` small products at a time, in chunks of training
  points, and never as an ``(n, p, 2p)`` Jacobian.  Cost ``O(n²p + np³)``.
* :func:`agop_dense` is the straightforward path of the reference code: a dense
  ``(n × n)·(n × p·2p)`` product and the full Jacobian.  Cost ``O(n²p²)``,
  memory several ``n·p·2p`` arrays.  Kept as the reference for tests and the
  benchmark.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "agop_onehot",
    "agop_dense",
    "agop_from_gradients",
    "input_gradients_onehot",
    "input_gradients_dense",
    "matrix_power_psd",
    "DEFAULT_CHUNK_BYTES",
]

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Default size of one chunk of ``u`` vectors in the one-hot path (16 MiB).
DEFAULT_CHUNK_BYTES: int = 16 * 2**20


def _groups(cols: IntArray, d: int) -> list[IntArray]:
    """For each input coordinate ``k < d`` the training rows with a non-zero at ``k``."""
    flat = cols.ravel()
    order = np.argsort(flat, kind="stable")
    bounds = np.searchsorted(flat[order], np.arange(d + 1))
    rows = order // cols.shape[1]
    return [rows[bounds[k]:bounds[k + 1]] for k in range(d)]


def _u_chunk(
    groups: list[IntArray], cols: IntArray, alpha: Array, W: Array, j0: int, j1: int, radial: bool,
) -> Array:
    """``u`` for training points ``j0 ≤ j < j1`` laid out as ``(d, j1 − j0, c)``."""
    d, nc, c = len(groups), j1 - j0, alpha.shape[1]
    U = np.empty((d, nc, c))
    for k, g in enumerate(groups):
        if g.size:
            np.matmul(W[g, j0:j1].T, alpha[g], out=U[k])
        else:
            U[k] = 0.0
    if radial:
        s = W[:, j0:j1].T @ alpha  # (nc, c): Σ_i α_ic W_ij
        jj = np.arange(nc)
        U[cols[j0:j1, 0], jj, :] -= s
        U[cols[j0:j1, 1], jj, :] -= s
    return U


def _check_shapes(M: Array, n: int, alpha: Array, W: Array) -> None:
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"M must be a square matrix, got shape {M.shape}")
    if alpha.ndim != 2 or alpha.shape[0] != n:
        raise ValueError(f"alpha must have shape (n={n}, c), got {alpha.shape}")
    if W.shape != (n, n):
        raise ValueError(f"W must have shape ({n}, {n}), got {W.shape}")


def agop_onehot(
    M: Array, cols: IntArray, alpha: Array, W: Array, *, scale: float = 1.0, radial: bool = True,
    centre: bool = True, chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> Array:
    """AGOP of the kernel machine at its one-hot training inputs (group-by path).

    Parameters
    ----------
    M: ``(d, d)`` symmetric feature matrix, ``d = 2p``.
    cols: ``(n, 2)`` non-zero column positions ``(a, p + b)`` of the training inputs.
    alpha: ``(n, c)`` kernel coefficients.
    W, scale: gradient weights ``scale · W`` (``(n, n)``; see :mod:`modular_rfm._kernels`).
    radial: include the ``− x_j`` term (Gaussian, Laplace); False for the quadratic kernel.
    centre: subtract the mean gradient over training points (per output) first.
    chunk_bytes: memory for one chunk of ``u`` vectors.
    """
    n, d = cols.shape[0], M.shape[0]
    _check_shapes(M, n, alpha, W)
    a = alpha * scale
    groups = _groups(cols, d)
    per_point = d * a.shape[1] * 8
    step = max(1, min(n, int(chunk_bytes) // per_point))
    R = np.zeros((d, d))
    usum = np.zeros((d, a.shape[1]))
    for j0 in range(0, n, step):
        j1 = min(n, j0 + step)
        U = _u_chunk(groups, cols, a, W, j0, j1, radial)
        Uf = U.reshape(d, -1)
        R += Uf @ Uf.T
        usum += U.sum(axis=1)
        del U, Uf
    R /= n
    if centre:
        ubar = usum / n
        R -= ubar @ ubar.T
    G = M @ R @ M
    return 0.5 * (G + G.T)


def input_gradients_onehot(
    M: Array, cols: IntArray, alpha: Array, W: Array, *, scale: float = 1.0, radial: bool = True,
) -> Array:
    """All input gradients ``∇f_c(x_j)`` as an ``(n, c, d)`` array, by the group-by path
    (un-chunked; for tests and small problems)."""
    n, d = cols.shape[0], M.shape[0]
    _check_shapes(M, n, alpha, W)
    U = _u_chunk(_groups(cols, d), cols, alpha * scale, W, 0, n, radial)  # (d, n, c)
    return np.einsum("kjc,kl->jcl", U, M)


def input_gradients_dense(
    M: Array, X: Array, alpha: Array, W: Array, *, scale: float = 1.0, radial: bool = True,
) -> Array:
    """All input gradients ``∇f_c(x_j)`` as an ``(n, c, d)`` Jacobian, the straightforward
    way: a dense ``(n × n)·(n × c·d)`` product (reference path; any real inputs)."""
    n, d = X.shape
    _check_shapes(M, n, alpha, W)
    c = alpha.shape[1]
    A = (alpha[:, :, None] * X[:, None, :]).reshape(n, c * d)
    T = (W.T @ A).reshape(n, c, d)
    del A
    T *= scale
    if radial:
        s = (W.T @ alpha) * scale
        T -= s[:, :, None] * X[:, None, :]
    return T @ M


def agop_from_gradients(J: Array, *, centre: bool = True) -> Array:
    """``(1/n) Σ_j Σ_c g_cj g_cjᵀ`` from an ``(n, c, d)`` Jacobian, optionally centred over ``j``."""
    if J.ndim != 3:
        raise ValueError(f"J must have shape (n, c, d), got {J.shape}")
    n, _, d = J.shape
    if centre:
        J = J - J.mean(axis=0, keepdims=True)
    Jf = J.reshape(-1, d)
    G = Jf.T @ Jf / n
    return 0.5 * (G + G.T)


def agop_dense(
    M: Array, X: Array, alpha: Array, W: Array, *, scale: float = 1.0, radial: bool = True,
    centre: bool = True,
) -> Array:
    """AGOP through the full dense Jacobian (reference path, see module docstring)."""
    J = input_gradients_dense(M, X, alpha, W, scale=scale, radial=radial)
    return agop_from_gradients(J, centre=centre)


def matrix_power_psd(A: Array, s: float) -> Array:
    """``A^s`` of a symmetric PSD matrix by a symmetric eigendecomposition (RFM step 5).

    Eigenvalues below 0 (round-off) are clipped to 0 before the power.
    """
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square matrix, got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ValueError("A must be finite")
    if not (np.isfinite(s) and s > 0.0):
        raise ValueError(f"s must be a finite real number in (0, inf), got {s!r}")
    lam, V = np.linalg.eigh(0.5 * (A + A.T))
    lam = np.clip(lam, 0.0, None)
    P = (V * lam**s) @ V.T
    return 0.5 * (P + P.T)

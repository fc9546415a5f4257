"""Kernels with a learned Mahalanobis metric (Mallinar et al. 2024, sec. 2).

``d²_M(x, z) = (x − z)ᵀ M (x − z)``.  Kernels:

* Gaussian ``k = exp(−d²_M / (2L²))`` as the reference code computes it
  (``bandwidth_scaling="2L2"``, default), or ``exp(−d²_M / L)`` as the paper's
  text writes it (``bandwidth_scaling="L"``); the choice is recorded in the run
  config;
* Laplace ``k = exp(−d_M / L)``;
* quadratic ``k = (xᵀ M z)²`` (no bandwidth).

Besides ``K`` every evaluation returns the *gradient weights* ``w·W`` (a matrix
``W`` and a scalar ``w``; for the Gaussian ``W`` *is* ``K``, so no second
``n × n`` array is allocated) with which the input gradient of ``k(x_i, ·)`` at
``x_j`` is written

* radial kernels: ``∇_x k(x_i, x)|_{x_j} = w W_ij · M (x_i − x_j)``
  (Gaussian ``w W = (2/β) K`` with ``β = 2L²`` or ``L``; Laplace
  ``W = K / (L d)``, set to 0 where ``d = 0``, the convention of the reference
  implementation and the value a central finite difference gives);
* quadratic: ``∇_x k(x_i, x)|_{x_j} = w W_ij · M x_i`` with ``W = xᵢᵀ M x_j``,
  ``w = 2``.

For one-hot inputs the Gram matrix ``X₁ M X₂ᵀ`` is a pure gather:
``G_ij = M[a_i,a_j] + M[a_i,p+b_j] + M[p+b_i,a_j] + M[p+b_i,p+b_j]``, O(n₁n₂).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._validation import check_choice, check_real

__all__ = [
    "KERNELS",
    "BANDWIDTH_SCALINGS",
    "BANDWIDTH_RANGE",
    "Kernel",
    "onehot_gram",
    "onehot_quad",
    "dense_gram",
]

KERNELS: tuple[str, ...] = ("gaussian", "laplace", "quadratic")
BANDWIDTH_SCALINGS: tuple[str, ...] = ("2L2", "L")

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]


def onehot_gram(M: Array, cols1: IntArray, cols2: IntArray, *, block: int = 256) -> Array:
    """``X₁ M X₂ᵀ`` for one-hot inputs given by their non-zero columns, by gathers only
    (the second gather is added ``block`` rows at a time, so no second full-size array)."""
    rows = M[cols1[:, 0]] + M[cols1[:, 1]]  # (n1, 2p) = X1 M
    G = rows[:, cols2[:, 0]]
    for i in range(0, G.shape[0], block):
        G[i:i + block] += rows[i:i + block][:, cols2[:, 1]]
    return G


def onehot_quad(M: Array, cols: IntArray) -> Array:
    """Diagonal ``xᵢᵀ M xᵢ`` for one-hot inputs (``M`` symmetric)."""
    a, b = cols[:, 0], cols[:, 1]
    return M[a, a] + M[b, b] + M[a, b] + M[b, a]


def dense_gram(M: Array, X1: Array, X2: Array) -> Array:
    """``X₁ M X₂ᵀ`` for arbitrary real inputs (reference path, finite differences)."""
    return (X1 @ M) @ X2.T


#: the supported bandwidths: 2 L^2 and 1 / (2 L^2) stay normal floating-point numbers
BANDWIDTH_RANGE = (1e-100, 1e100)


@dataclass(frozen=True)
class Kernel:
    """A kernel with Mahalanobis metric ``M``.

    Parameters
    ----------
    name:
        ``"gaussian"``, ``"laplace"`` or ``"quadratic"``.
    bandwidth:
        ``L`` in :data:`BANDWIDTH_RANGE` = [1e-100, 1e100] (ignored by the quadratic kernel;
        default 2.5 as in the paper). Below it ``2L²`` underflows to 0 (a division by zero).
    bandwidth_scaling:
        Gaussian only: ``"2L2"`` for ``exp(−d²/(2L²))`` (reference code) or
        ``"L"`` for ``exp(−d²/L)`` (paper text).
    """

    name: str = "gaussian"
    bandwidth: float = 2.5
    bandwidth_scaling: str = "2L2"

    def __post_init__(self) -> None:
        check_choice("kernel", self.name, KERNELS)
        object.__setattr__(self, "bandwidth",
                           check_real("bandwidth", self.bandwidth, BANDWIDTH_RANGE[0], BANDWIDTH_RANGE[1]))
        check_choice("bandwidth_scaling", self.bandwidth_scaling, BANDWIDTH_SCALINGS)

    @property
    def radial(self) -> bool:
        """True for kernels of ``d_M(x, z)`` (Gaussian, Laplace)."""
        return self.name != "quadratic"

    @property
    def beta(self) -> float:
        """Gaussian denominator ``β`` in ``exp(−d²/β)``: ``2L²`` or ``L``."""
        L = self.bandwidth
        return 2.0 * L * L if self.bandwidth_scaling == "2L2" else L

    def from_gram(
        self, G: Array, q1: Array, q2: Array, *, zero_diagonal: bool = False, weights: bool = True,
    ) -> tuple[Array, Array | None, float]:
        """``(K, W, w)`` from ``G = X₁MX₂ᵀ`` and the self-products ``q1 = diag(X₁MX₁ᵀ)``,
        ``q2 = diag(X₂MX₂ᵀ)``; the gradient weights are ``w·W`` (``W`` is ``None``
        when ``weights=False``).

        ``zero_diagonal=True`` (both sets equal) sets the diagonal ``d²`` to 0
        exactly instead of a cancellation residue.  For the radial kernels ``G`` is
        overwritten (it becomes ``d²``) to save an ``n₁ × n₂`` array.
        """
        if self.name == "quadratic":
            return G * G, (G if weights else None), 2.0
        D2 = G
        D2 *= -2.0
        D2 += q1[:, None]
        D2 += q2[None, :]
        np.maximum(D2, 0.0, out=D2)
        if zero_diagonal:
            np.fill_diagonal(D2, 0.0)
        if self.name == "gaussian":
            K = np.exp(np.multiply(D2, -1.0 / self.beta, out=D2), out=D2)
            return K, (K if weights else None), 2.0 / self.beta
        D = np.sqrt(D2, out=D2)
        K = np.exp(D * (-1.0 / self.bandwidth))
        if not weights:
            return K, None, 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            W = np.divide(K, D, out=D, where=D > 0.0)
        return K, W, 1.0 / self.bandwidth

    def onehot(self, M: Array, cols1: IntArray, cols2: IntArray, *, same: bool = False,
               weights: bool = True) -> tuple[Array, Array | None, float]:
        """``(K, W, w)`` between one-hot inputs; ``same=True`` when ``cols1 is cols2``
        (the diagonal distance is then exactly 0)."""
        G = onehot_gram(M, cols1, cols2)
        q1 = onehot_quad(M, cols1)
        q2 = q1 if same else onehot_quad(M, cols2)
        return self.from_gram(G, q1, q2, zero_diagonal=same, weights=weights)

    def dense(self, M: Array, X1: Array, X2: Array, *, weights: bool = True) -> tuple[Array, Array | None, float]:
        """``(K, W, w)`` between arbitrary real inputs; distances from explicit differences."""
        G = dense_gram(M, X1, X2)
        if self.name == "quadratic":
            return self.from_gram(G, np.empty(0), np.empty(0), weights=weights)
        diff = X1[:, None, :] - X2[None, :, :]
        D2 = np.einsum("ijk,kl,ijl->ij", diff, M, diff)
        zeros = np.zeros(X1.shape[0])
        return self.from_gram(-0.5 * D2, zeros, np.zeros(X2.shape[0]), weights=weights)

    def to_config(self) -> dict[str, object]:
        """JSON-serialisable description."""
        return {"kernel": self.name, "bandwidth": self.bandwidth, "bandwidth_scaling": self.bandwidth_scaling}

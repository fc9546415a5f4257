r"""Exact gradient flow of the quadratic perceptron loss (Eqs. 20-21).

For the loss :math:`R = \tfrac12 w^\top G w - w^\top a + \mathrm{const}` (Eq. 19) the
gradient flow :math:`\dot w = -G w + a` (Eq. 20) is solved exactly,

.. math:: w(t) = w^\lambda - e^{-G t}\,(w^\lambda - w(0)),\qquad w^\lambda = G^{+} a

(Eq. 21), through the symmetric eigendecomposition :math:`G = V \Lambda V^\top`.
Directions with a (numerically) zero eigenvalue are treated exactly as well:
there the flow is :math:`c_k(t) = c_k(0) + a_k t` (constant when :math:`a` has no
component along them, which is the case for data-generated :math:`G, a`).

Everything is batched: ``G`` may be ``(D, D)`` or ``(..., D, D)`` and broadcasts
against the replicas of ``w0`` (``(..., D)``). The same object serves the
perceptron models and the tensor-network scenario B, whose classifier obeys the
same flow in the feature space (paper Eq. 67).
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["LinearFlow", "exact_flow"]


class LinearFlow:
    """Exact solution of :math:`\\dot w = -G w + a` for a batch of replicas.

    Parameters
    ----------
    G : array ``(..., D, D)``, symmetric positive semi-definite.
    a : array ``(..., D)``.
    w0 : array ``(..., D)``, initial weights.
    zero_tol : eigenvalues below ``zero_tol * max|eigenvalue|`` count as zero.

    Attributes
    ----------
    eigvals_ : ``(..., D)`` eigenvalues of G (ascending).
    eigvecs_ : ``(..., D, D)`` eigenvectors (columns).
    w_inf_ : ``(..., D)`` the stationary point :math:`G^{+} a` plus the conserved
        null-space part of ``w0`` (the :math:`t\\to\\infty` limit when ``a`` has no
        null-space component).
    """

    def __init__(self, G: ArrayLike, a: ArrayLike, w0: ArrayLike, *, zero_tol: float = 1e-12):
        G = np.asarray(G, dtype=float)
        a = np.asarray(a, dtype=float)
        w0 = np.asarray(w0, dtype=float)
        if G.ndim < 2 or G.shape[-1] != G.shape[-2]:
            raise ValueError(f"G must have shape (..., D, D), got {G.shape}")
        D = G.shape[-1]
        if a.shape[-1:] != (D,) or w0.shape[-1:] != (D,):
            raise ValueError(
                f"a and w0 must end in the dimension D={D} of G, got {a.shape} and {w0.shape}"
            )
        for name, arr in (("G", G), ("a", a), ("w0", w0)):
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} must be finite")
        lam, V = np.linalg.eigh(0.5 * (G + np.swapaxes(G, -1, -2)))
        scale = np.max(np.abs(lam), axis=-1, keepdims=True)
        self.zero_ = lam <= zero_tol * np.maximum(scale, 1e-300)
        lam = np.where(self.zero_, 0.0, lam)
        self.eigvals_ = lam
        self.eigvecs_ = V
        # Coordinates in the eigenbasis (broadcast over the batch).
        self._a = np.einsum("...ji,...j->...i", V, a)
        self._c0 = np.einsum("...ji,...j->...i", V, w0)
        safe = np.where(self.zero_, 1.0, lam)
        self._cinf = np.where(self.zero_, 0.0, self._a / safe)
        self.batch_shape_ = np.broadcast_shapes(lam.shape, self._c0.shape)[:-1]
        cinf = np.where(self.zero_, self._c0, self._cinf)
        self.w_inf_ = np.einsum("...ij,...j->...i", V, np.broadcast_to(cinf, self.batch_shape_ + (D,)))

    def coefficients(self, t: ArrayLike) -> NDArray[np.float64]:
        """Eigenbasis coordinates at times ``t``.

        ``t`` of shape ``(T,)`` gives ``(..., T, D)``; ``t`` of the batch shape
        (one time per replica) gives ``(..., D)``.
        """
        t = np.asarray(t, dtype=float)
        per_replica = t.shape == self.batch_shape_ and t.ndim > 0 and t.ndim == len(self.batch_shape_)
        if per_replica:
            tt = t[..., None]
            lam, a, c0, cinf, zero = self.eigvals_, self._a, self._c0, self._cinf, self.zero_
        else:
            if t.ndim > 1:
                raise ValueError("t must be 1-d (a shared time grid) or have the batch shape")
            tt = t.reshape(-1)[:, None]
            lam, a, c0, cinf, zero = (x[..., None, :] for x in
                                      (self.eigvals_, self._a, self._c0, self._cinf, self.zero_))
        decay = np.exp(-lam * tt)
        return np.where(zero, c0 + a * tt, cinf + (c0 - cinf) * decay)

    def __call__(self, t: ArrayLike) -> NDArray[np.float64]:
        """Weights at times ``t`` (see :meth:`coefficients` for the shapes)."""
        t_arr = np.asarray(t, dtype=float)
        c = self.coefficients(t_arr)
        if c.ndim == len(self.batch_shape_) + 1:  # one time per replica
            return np.einsum("...ij,...j->...i", self.eigvecs_, c)
        return np.einsum("...ij,...tj->...ti", self.eigvecs_, c)

    def velocity(self, t: ArrayLike) -> NDArray[np.float64]:
        """dw/dt at times ``t`` (same shapes as :meth:`__call__`)."""
        t_arr = np.asarray(t, dtype=float)
        per_replica = t_arr.shape == self.batch_shape_ and t_arr.ndim > 0
        lam = self.eigvals_ if per_replica else self.eigvals_[..., None, :]
        c = self.coefficients(t_arr)
        a = self._a if per_replica else self._a[..., None, :]
        dc = a - lam * c
        if per_replica:
            return np.einsum("...ij,...j->...i", self.eigvecs_, dc)
        return np.einsum("...ij,...tj->...ti", self.eigvecs_, dc)


def exact_flow(G: ArrayLike, a: ArrayLike, w0: ArrayLike) -> LinearFlow:
    """Exact gradient flow :math:`\\dot w = -Gw + a` (Eq. 21); see :class:`LinearFlow`."""
    return LinearFlow(G, a, w0)

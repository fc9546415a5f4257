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

__all__ = ["LinearFlow", "exact_flow", "L1Flow", "l1_flow", "l1_stationary"]


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
    diverged_ : ``(...)`` True where ``a`` drives a null direction of G, i.e. the weights
        grow linearly without bound (``w_inf_`` is then not a limit).
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
        self.diverged_ = np.broadcast_to(np.any(self.zero_ & (np.abs(self._a) > 1e-12), axis=-1),
                                         self.batch_shape_)
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

    def coefficients_at(self, t: ArrayLike, index: ArrayLike) -> NDArray[np.float64]:
        """Eigenbasis coordinates of the replicas ``index`` (``(K,)`` integer indices into a
        1-d batch), each at its own time ``t`` (``(K,)``) -> ``(K, D)``.

        This is what a per-replica root search (bisection on a subset of replicas) needs.

        Examples
        --------
        >>> import numpy as np
        >>> fl = LinearFlow(np.eye(2)[None].repeat(3, 0), np.ones((3, 2)), np.zeros((3, 2)))
        >>> fl.coefficients_at(np.array([0.0, np.log(2.0)]), np.array([0, 2])).round(3).tolist()
        [[0.0, 0.0], [0.5, 0.5]]
        """
        if len(self.batch_shape_) != 1:
            raise ValueError(f"coefficients_at needs a 1-d batch of replicas, got batch shape {self.batch_shape_}")
        idx = np.asarray(index)
        if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"index must be a 1-d integer array, got {index!r}")
        tt = np.asarray(t, dtype=float)
        if tt.shape != idx.shape:
            raise ValueError(f"t must have the shape {idx.shape} of index, got {tt.shape}")
        lam, a, c0, ci, z = (np.broadcast_to(q, self.batch_shape_ + q.shape[-1:])[idx] for q in
                             (self.eigvals_, self._a, self._c0, self._cinf, self.zero_))
        tt = tt[:, None]
        return np.where(z, c0 + a * tt, ci + (c0 - ci) * np.exp(-lam * tt))

    def weights_at(self, t: ArrayLike, index: ArrayLike) -> NDArray[np.float64]:
        """Weights of the replicas ``index`` at one time each (see :meth:`coefficients_at`): ``(K, D)``."""
        idx = np.asarray(index)
        c = self.coefficients_at(t, idx)
        V = np.broadcast_to(self.eigvecs_, self.batch_shape_ + self.eigvecs_.shape[-2:])[idx]
        return np.einsum("rij,rj->ri", V, c)

    def coefficients_grid(self, t: ArrayLike) -> NDArray[np.float64]:
        """Eigenbasis coordinates on per-replica grids ``t`` of shape ``batch + (T,)`` -> ``batch + (T, D)``."""
        t = np.asarray(t, dtype=float)
        if t.shape[:-1] != self.batch_shape_:
            raise ValueError(f"t must have shape {self.batch_shape_} + (T,), got {t.shape}")
        tt = t[..., None]
        lam, a, c0, cinf, zero = (x[..., None, :] for x in
                                  (self.eigvals_, self._a, self._c0, self._cinf, self.zero_))
        return np.where(zero, c0 + a * tt, cinf + (c0 - cinf) * np.exp(-lam * tt))

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


class L1Flow:
    r"""Exact solution of the L1-regularised flow :math:`\dot w = -Gw + a - \lambda_1\,\mathrm{sgn}(w)`.

    The right-hand side is discontinuous where a component vanishes; the solution is the
    Filippov one (the gradient flow of the convex loss): a component that reaches 0 stays
    there while its "force" :math:`f_j = a_j - (Gw)_j` satisfies :math:`|f_j| \le \lambda_1`, and
    leaves with the sign of :math:`f_j` once :math:`|f_j| > \lambda_1`. Between such events the
    flow is linear in the active components, with constant drive :math:`a_A - \lambda_1 s_A`, and
    is solved exactly by an eigendecomposition (as Eq. 21). Events are located on a
    log-spaced grid of the segment and refined with Brent's method (``xtol`` relative 1e-13).

    Parameters: ``G`` ``(D, D)`` or ``(R, D, D)``, ``a`` ``(D,)`` or ``(R, D)``, ``w0`` ``(R, D)``,
    ``lam1 >= 0``. Attributes: ``w_inf_`` ``(R, D)`` (the final state, a minimiser of the
    LASSO-type loss), ``n_segments_`` ``(R,)``, ``diverged_`` ``(R,)`` (a drive along a null
    direction of G, i.e. unbounded growth), ``chattering_`` ``(R,)`` (segment cap hit).
    """

    def __init__(self, G: ArrayLike, a: ArrayLike, w0: ArrayLike, lam1: float,
                 *, max_segments: int = 500, zero_tol: float = 1e-12):
        w0 = np.atleast_2d(np.asarray(w0, dtype=float))
        R, D = w0.shape
        G = np.broadcast_to(np.asarray(G, dtype=float), (R, D, D))
        a = np.broadcast_to(np.asarray(a, dtype=float), (R, D))
        if not (np.all(np.isfinite(G)) and np.all(np.isfinite(a)) and np.all(np.isfinite(w0))):
            raise ValueError("G, a and w0 must be finite")
        lam1 = float(lam1)
        if not np.isfinite(lam1) or lam1 < 0:
            raise ValueError(f"lam1 must be in [0, inf), got {lam1!r}")
        self.G, self.a, self.w0, self.lam1 = G, a, w0, lam1
        self.zero_tol = zero_tol
        self.max_segments = max_segments
        self.segments_: list[list[tuple]] = []
        self.w_inf_ = np.empty((R, D))
        self.n_segments_ = np.zeros(R, dtype=int)
        self.diverged_ = np.zeros(R, dtype=bool)
        self.chattering_ = np.zeros(R, dtype=bool)
        for r in range(R):
            segs, w_inf, div, chat = self._integrate(G[r], a[r], w0[r])
            self.segments_.append(segs)
            self.w_inf_[r] = w_inf
            self.n_segments_[r] = len(segs)
            self.diverged_[r] = div
            self.chattering_[r] = chat

    # -- one segment: linear flow of the active block
    def _segment(self, G: NDArray, a: NDArray, w: NDArray, active: NDArray, s: NDArray, t0: float):
        idx = np.flatnonzero(active)
        GA = G[np.ix_(idx, idx)]
        lam, V = np.linalg.eigh(0.5 * (GA + GA.T)) if idx.size else (np.zeros(0), np.zeros((0, 0)))
        scale = np.max(np.abs(lam)) if lam.size else 1.0
        zero = lam <= self.zero_tol * max(scale, 1e-300)
        lam = np.where(zero, 0.0, lam)
        drive = V.T @ (a[idx] - self.lam1 * s[idx]) if idx.size else np.zeros(0)
        c0 = V.T @ w[idx] if idx.size else np.zeros(0)
        cinf = np.where(zero, 0.0, drive / np.where(zero, 1.0, lam))
        return (t0, idx, s.copy(), lam, V, c0, cinf, drive, zero)

    @staticmethod
    def _eval_segment(seg: tuple, tau: NDArray, D: int) -> NDArray:
        """Weights at times t0 + tau (tau >= 0): shape (len(tau), D)."""
        _, idx, _, lam, V, c0, cinf, drive, zero = seg
        out = np.zeros((tau.size, D))
        if idx.size:
            tt = tau[:, None]
            c = np.where(zero, c0 + drive * tt, cinf + (c0 - cinf) * np.exp(-lam * tt))
            out[:, idx] = c @ V.T
        return out

    def _integrate(self, G: NDArray, a: NDArray, w0: NDArray):
        from scipy.optimize import brentq

        D = w0.size
        lam1 = self.lam1
        w = w0.copy()
        t = 0.0
        active = w != 0
        s = np.sign(w)
        # components starting at exactly 0: decide from the force
        f = a - G @ w
        leave = (~active) & (np.abs(f) > lam1)
        active |= leave
        s = np.where(leave, np.sign(f), s)
        segs: list[tuple] = []
        tol = 1e-12 * (1.0 + lam1)
        for _ in range(self.max_segments):
            seg = self._segment(G, a, w, active, s, t)
            segs.append(seg)
            lam = seg[3]
            pos = lam[lam > 0]
            horizon = 60.0 / (pos.min() if pos.size else 1.0)
            fast = 1.0 / (pos.max() if pos.size else 1.0)
            tau = np.concatenate([[0.0], np.geomspace(1e-9 * fast, horizon, 400)])
            W = self._eval_segment(seg, tau, D)
            inactive = ~active
            wtol = 1e-11 * (1.0 + float(np.abs(W).max()))

            def violation(Wt: NDArray) -> NDArray:
                v = np.zeros(Wt.shape)
                v[:, active] = -s[active] * Wt[:, active] - wtol   # > 0: crossed zero
                F = a - Wt @ G.T
                v[:, inactive] = np.abs(F[:, inactive]) - lam1 - tol  # > 0: leaves zero
                return v

            V = violation(W)
            V[0] = np.minimum(V[0], 0.0)
            hit = np.any(V[1:] > 0, axis=1)
            if not np.any(hit):
                w_inf = self._eval_segment(seg, np.array([horizon * 1e3]), D)[0]
                diverged = bool(np.any(seg[8] & (np.abs(seg[7]) > 1e-12)))
                return segs, w_inf, diverged, False
            k = int(np.argmax(hit)) + 1
            lo, hi = tau[k - 1], tau[k]
            cands = np.flatnonzero(V[k] > 0)
            best, best_j = hi, int(cands[0])
            for j in cands:
                def g(x: float, j: int = int(j)) -> float:
                    return float(violation(self._eval_segment(seg, np.array([x]), D))[0, j])
                if g(lo) > 0:
                    root = lo
                elif g(hi) <= 0:  # rounding: not a genuine crossing in this bracket
                    continue
                else:
                    root = brentq(g, lo, hi, xtol=1e-13 * max(hi, 1e-300), rtol=1e-15)
                if root < best:
                    best, best_j = root, int(j)
            t = t + best
            w = self._eval_segment(seg, np.array([best]), D)[0]
            j = best_j
            if active[j]:
                w[j] = 0.0
                fj = a[j] - G[j] @ w
                if abs(fj) <= lam1:
                    active[j] = False
                    s[j] = 0.0
                else:
                    s[j] = np.sign(fj)
            else:
                fj = a[j] - G[j] @ w
                active[j] = True
                s[j] = np.sign(fj)
        w_inf = w
        return segs, w_inf, False, True

    def at(self, t: ArrayLike) -> NDArray[np.float64]:
        """Weights at per-replica times: ``t`` of shape ``(R,)`` (one time per replica)
        -> ``(R, D)``, or ``(R, T)`` (a grid per replica) -> ``(R, T, D)``. For a shared
        grid use :func:`l1_flow`."""
        t = np.asarray(t, dtype=float)
        R, D = self.w0.shape
        squeeze = False
        if t.ndim == 1 and t.shape[0] == R:
            t = t[:, None]
            squeeze = True
        elif t.ndim != 2 or t.shape[0] != R:
            raise ValueError(f"t must have shape ({R},) or ({R}, T), got {t.shape}")
        out = np.empty(t.shape + (D,))
        for r in range(R):
            segs = self.segments_[r]
            starts = np.array([sg[0] for sg in segs])
            which = np.clip(np.searchsorted(starts, t[r], side="right") - 1, 0, len(segs) - 1)
            for k in np.unique(which):
                m = which == k
                out[r, m] = self._eval_segment(segs[k], t[r, m] - starts[k], D)
        return out[:, 0] if squeeze else out


def l1_flow(G: ArrayLike, a: ArrayLike, w0: ArrayLike, lam1: float, times: ArrayLike) -> NDArray[np.float64]:
    """Weights of the L1-regularised flow on a shared time grid ``times`` (``(T,)`` or a
    scalar): always ``(R, T, D)`` (see :class:`L1Flow`)."""
    flow = L1Flow(G, a, w0, lam1)
    t = np.atleast_1d(np.asarray(times, dtype=float))
    if t.ndim != 1:
        raise ValueError(f"times must be a scalar or 1-d, got shape {t.shape}")
    R = flow.w0.shape[0]
    return flow.at(np.broadcast_to(t, (R, t.size)))


def l1_stationary(G: ArrayLike, a: ArrayLike, lam1: float, *, tol: float = 1e-13,
                  max_iter: int = 200_000) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    r"""Minimiser of :math:`\tfrac12 w^\top G w - a^\top w + \lambda_1\|w\|_1` for a batch,
    i.e. the :math:`t\to\infty` limit of :class:`L1Flow` (the stationary point of Eq. 20
    with L1), by proximal gradient descent (step 1/λ_max(G)), vectorised over replicas.

    Returns ``(w, converged)`` with shapes ``(R, D)`` and ``(R,)``.
    """
    G = np.asarray(G, dtype=float)
    a = np.atleast_2d(np.asarray(a, dtype=float))
    R, D = a.shape
    G = np.broadcast_to(G, (R, D, D))
    L = np.linalg.eigvalsh(G)[:, -1][:, None]
    step = 1.0 / L
    w = np.zeros((R, D))
    done = np.zeros(R, dtype=bool)
    for _ in range(max_iter):
        z = w - step * (np.einsum("rij,rj->ri", G, w) - a)
        new = np.sign(z) * np.maximum(np.abs(z) - step * lam1, 0.0)
        delta = np.max(np.abs(new - w), axis=1)
        w = new
        done = delta <= tol * (1.0 + np.max(np.abs(w), axis=1))
        if np.all(done):
            break
    return w, done

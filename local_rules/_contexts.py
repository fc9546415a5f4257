r"""Context vectors per position, on the test distribution and in the bulk (paper sec. 4.2.2, 4.3.1).

With open boundaries every position i of an input has a normalised left context
:math:`\ell_i \propto (v^L)^\top A(x_1)\cdots A(x_{i-1})` and right context
:math:`r_i \propto A(x_{i+1})\cdots A(x_M)\, v^R` (Eqs. 60–62); the feature of
Eq. 66 is :math:`z_i = \ell_i r_i^\top \otimes \phi(x_i)`.

* :func:`position_contexts` -- contexts of every position of a :class:`PositionSet`.
* :func:`contexts_of_test_set` -- the same on the test distribution (weighted), with the
  *boundary lump* flagged: positions whose prefix (suffix) is all −1 have a context
  exactly at the boundary eigenvector ±v^{L,R}, a point mass that is not part of the
  stationary distribution's edge.
* :func:`bulk_contexts` -- positions far from both ends of long random inputs, which
  sample the stationary distribution of the random context maps
  :math:`\ell \mapsto \ell A(x)/\|\cdot\|`, :math:`r \mapsto A(x) r/\|\cdot\|` (x uniform).

All return a :class:`Contexts` record (one row per position).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._checks import check_int, check_real
from ._data import PositionSet, make_test_set
from ._network import boundary_states, context_states, leading_eigenvectors
from ._rules import apply_rule, random_inputs
from ._tensors import resolve_A

__all__ = ["Contexts", "position_contexts", "contexts_of_test_set", "bulk_contexts", "xi_closed_form"]


@dataclass
class Contexts:
    """Per-position context vectors of one tensor ``A`` (open boundaries).

    ``left``/``right`` ``(N, d)`` unit vectors, ``center`` 0/1 (x_i = −1/+1), ``labels`` ±1,
    ``weights`` (sum 1), ``groups`` (input index, the unit of the bootstrap), ``strata``
    (input length: the bootstrap resamples inputs within a stratum), ``lump_left`` /
    ``lump_right`` (context at ±boundary eigenvector), ``info`` (how it was made).
    """

    left: NDArray[np.float64]
    right: NDArray[np.float64]
    center: NDArray[np.int64]
    labels: NDArray[np.int8]
    weights: NDArray[np.float64]
    groups: NDArray[np.int64]
    strata: NDArray[np.int64]
    lump_left: NDArray[np.bool_]
    lump_right: NDArray[np.bool_]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def lump(self) -> NDArray[np.bool_]:
        """Positions with either context in the boundary lump."""
        return self.lump_left | self.lump_right

    def features(self) -> NDArray[np.float64]:
        r"""Tensor-network features :math:`z_i = \ell_i r_i^\top \otimes \phi(x_i)` (Eq. 66), ``(N, 2d^2)``
        in the C-order of ``B[a, b, j]`` (as :func:`local_rules.features_numpy`)."""
        zab = self.left[:, :, None] * self.right[:, None, :]
        phi = np.eye(2)[self.center]
        return (zab[..., None] * phi[:, None, None, :]).reshape(self.left.shape[0], -1)

    def subset(self, mask: NDArray[np.bool_]) -> "Contexts":
        """Rows where ``mask`` holds (weights renormalised to sum 1)."""
        m = np.asarray(mask, bool)
        w = self.weights[m]
        if w.sum() <= 0:
            raise ValueError("mask selects no position with positive weight")
        return Contexts(self.left[m], self.right[m], self.center[m], self.labels[m], w / w.sum(),
                        self.groups[m], self.strata[m], self.lump_left[m], self.lump_right[m], dict(self.info))


def position_contexts(A: Any, pset: PositionSet, boundary: str = "eigen", *, n_pad: int = 32
                      ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Normalised left and right context of every position of ``pset``.

    ``A``: ``(d, d, 2)`` (or a name, see :func:`local_rules.resolve_A`) or a batch ``(R, d, d, 2)``.
    Returns ``(left, right)``: for open boundaries (``"eigen"``, ``"pad"``) unit vectors of shape
    ``(N, d)`` (``(R, N, d)`` for a batch); for ``"closed"`` the normalised context matrices
    ``H^L_N(i)`` and ``H^R_N(i)``, ``(N, d, d)``.  Positions are in ``pset`` order.

    Examples
    --------
    >>> import local_rules as lr
    >>> L, R = lr.position_contexts("example2", lr.make_dataset(30, 1, 3))
    >>> L.shape, R.shape
    ((24, 2), (24, 2))
    """
    import torch
    if boundary == "trainable":
        raise ValueError("boundary must be 'eigen', 'pad' or 'closed' (trainable vectors are not stored)")
    if isinstance(A, str):
        A = resolve_A(A)[0]
    arr = np.asarray(A, dtype=float)
    single = arr.ndim == 3
    At = torch.as_tensor(arr[None] if single else arr, dtype=torch.float64)
    initL, initR = boundary_states(At, boundary, n_pad=n_pad)
    Ls = context_states(At, pset.left, initL, "left")[:, torch.as_tensor(pset.pos_left)]
    RTs = context_states(At, pset.right, initR, "right")[:, torch.as_tensor(pset.pos_right)]
    if boundary == "closed":  # (k, d) = (d, d) matrices; right states are stored transposed
        left, right = Ls.numpy(), RTs.transpose(-1, -2).numpy()
    else:  # k = 1: row vector l, and r^T stored as a row
        left, right = Ls[:, :, 0, :].numpy(), RTs[:, :, 0, :].numpy()
    return (left[0], right[0]) if single else (left, right)


def _lump(V: NDArray[np.float64], v: NDArray[np.float64], tol: float) -> NDArray[np.bool_]:
    return np.abs(V @ v) >= 1.0 - tol


def contexts_of_test_set(A: Any, test_set: PositionSet | None = None, *, rule: int = 30, K: int = 1,
                  lump_tol: float = 1e-10) -> Contexts:
    """Weighted contexts of the test distribution (``make_test_set(rule, K)`` by default), with the
    boundary lump flagged (``|ℓ·v^L| ≥ 1 − lump_tol``, resp. for r and v^R).

    Examples
    --------
    >>> import local_rules as lr
    >>> c = lr.contexts_of_test_set("example2", lr.make_test_set(30, 1, max_len=6, n_long=4, long_len=32))
    >>> c.left.shape[1], bool(c.lump_left.any())
    (2, True)
    """
    A_arr = resolve_A(A)[0]
    lump_tol = check_real("lump_tol", lump_tol, 0.0, 1.0)
    test = test_set if test_set is not None else make_test_set(rule, K)
    left, right = position_contexts(A_arr, test)
    vL, vR, ok = leading_eigenvectors(A_arr[None])
    if not ok[0]:
        raise ValueError("A: A[..., 0] has no real, strictly dominant leading eigenvalue")
    lengths = np.bincount(test.pos_sequence, minlength=int(test.pos_sequence.max()) + 1)
    info = {"kind": "test", "test_set": dict(test.info), "lump_tol": lump_tol}
    return Contexts(left, right, test.pos_center.astype(np.int64), test.labels, test.weights / test.weights.sum(),
                    test.pos_sequence.astype(np.int64), lengths[test.pos_sequence].astype(np.int64),
                    _lump(left, vL[0], lump_tol), _lump(right, vR[0], lump_tol), info)


def bulk_contexts(A: Any, *, n_seq: int = 64, length: int = 4096, lo: int = 512, hi: int = 3584,
                  rule: int = 30, K: int = 1, seed: int = 0, lump_tol: float = 1e-10) -> Contexts:
    """Contexts of positions ``lo … hi-1`` (0-based) of ``n_seq`` uniform random inputs of length
    ``length`` (drawn with ``numpy.random.default_rng(seed)``), open boundaries with the leading
    eigenvectors of A_0.  Far from both ends they sample the stationary distribution of the
    context maps (the memory of the boundary decays like :math:`|\\lambda_2/\\lambda_1|^{k}`).
    Equal weights; ``groups`` = input index (one stratum).  Computed by direct iteration
    (normalised after every step), independently of the trie code.

    Examples
    --------
    >>> import local_rules as lr
    >>> c = lr.bulk_contexts("example2", n_seq=2, length=64, lo=16, hi=48)
    >>> c.left.shape, c.labels.shape
    ((64, 2), (64,))
    """
    A_arr = resolve_A(A)[0]
    n_seq = check_int("n_seq", n_seq, 1)
    length = check_int("length", length, 3)
    lo = check_int("lo", lo, 0, length - 1)
    hi = check_int("hi", hi, lo + 1, length)
    seed = check_int("seed", seed, 0)
    vL, vR, ok = leading_eigenvectors(A_arr[None])
    if not ok[0]:
        raise ValueError("A: A[..., 0] has no real, strictly dominant leading eigenvalue")
    x = random_inputs(n_seq, length, np.random.default_rng(seed))
    y = apply_rule(x, rule, K, "open")
    c = ((x + 1) // 2).astype(np.int64)
    mats = np.moveaxis(A_arr, -1, 0)  # (2, d, d)
    d = A_arr.shape[0]
    L = np.empty((n_seq, length, d))
    R = np.empty((n_seq, length, d))
    cur = np.broadcast_to(vL[0], (n_seq, d)).copy()
    for i in range(length):  # l_i = v^L A(x_1) ... A(x_{i-1})
        L[:, i] = cur
        cur = np.einsum("sa,sab->sb", cur, mats[c[:, i]])
        cur /= np.linalg.norm(cur, axis=1, keepdims=True)
    cur = np.broadcast_to(vR[0], (n_seq, d)).copy()
    for i in range(length - 1, -1, -1):  # r_i = A(x_{i+1}) ... A(x_M) v^R
        R[:, i] = cur
        cur = np.einsum("sab,sb->sa", mats[c[:, i]], cur)
        cur /= np.linalg.norm(cur, axis=1, keepdims=True)
    sl = slice(lo, hi)
    left, right = L[:, sl].reshape(-1, d), R[:, sl].reshape(-1, d)
    n = left.shape[0]
    info = {"kind": "bulk", "n_seq": n_seq, "length": length, "lo": lo, "hi": hi, "rule": int(rule), "K": K,
            "seed": seed, "lump_tol": lump_tol}
    return Contexts(left, right, c[:, sl].reshape(-1), y[:, sl].reshape(-1).astype(np.int8), np.full(n, 1.0 / n),
                    np.repeat(np.arange(n_seq), hi - lo), np.zeros(n, np.int64),
                    _lump(left, vL[0], lump_tol), _lump(right, vR[0], lump_tol), info)


# ------------------------------------------------------------------------ closed form of ξ (d = 2)
def _ang(v: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.mod(np.arctan2(v[..., 1], v[..., 0]), 2 * np.pi)


def _cdist(a: Any, b: Any) -> Any:
    """Distance on the circle of vector angles (period 2π)."""
    d = np.mod(np.asarray(a) - np.asarray(b), 2 * np.pi)
    return np.minimum(d, 2 * np.pi - d)


def _apply(M: NDArray[np.float64], th: Any) -> Any:
    th = np.asarray(th, float)
    return _ang(np.einsum("ab,...b->...a", M, np.stack([np.cos(th), np.sin(th)], -1)))


def _fixed_point(M: NDArray[np.float64]) -> tuple[float, float] | None:
    """(projective angle of the dominant eigenvector, λ2/λ1), or None without a real dominant one."""
    lam, V = np.linalg.eig(M)
    o = np.argsort(-np.abs(lam))
    lam, V = lam[o], V[:, o]
    if np.any(np.abs(lam.imag) > 1e-12 * np.abs(lam[0])) or not abs(lam[0]) > abs(lam[1]):
        return None
    return float(_ang(np.real(V[:, 0]))), float(np.real(lam[1] / lam[0]))


def _window_labels(rule: int, K: int) -> tuple[NDArray[np.int8], NDArray[np.int8]]:
    from ._rules import all_inputs
    W = all_inputs(2 * K + 1)
    return W, apply_rule(W, rule, K, "open")[:, K]


def _side_edges(maps: list[NDArray[np.float64]], th: NDArray[np.float64], probs: tuple[float, float], tol: float
                ) -> dict[str, dict[str, Any]]:
    """Edges of the stationary support of the vector angles ``th`` (cut at the largest empty gap of
    the circle) and their exponents; a fixed point of a map is the vector pair ±v*."""
    s = np.sort(th)
    k = int(np.argmax(np.diff(np.concatenate([s, [s[0] + 2 * np.pi]]))))
    lo = s[(k + 1) % s.size]
    width = float(np.mod(th - lo, 2 * np.pi).max())
    edges = {"low": float(lo), "high": float(np.mod(lo + width, 2 * np.pi))}
    if width <= 1e-12:
        return {k: {"angle": v, "xi": float("nan"), "kind": "degenerate support", "symbol": None, "ratio": None,
                    "isolation": None} for k, v in edges.items()}
    fps = [_fixed_point(M) for M in maps]
    img = [_apply(M, th) for M in maps]
    out: dict[str, dict[str, Any]] = {}
    for name, e in edges.items():
        info: dict[str, Any] = {"angle": e, "xi": float("nan"), "kind": "unidentified", "symbol": None,
                                "ratio": None, "isolation": None}
        for x, fp in enumerate(fps):
            if fp is None:
                continue
            a = min((fp[0], fp[0] + np.pi), key=lambda v: float(_cdist(v, e)))
            if _cdist(a, e) <= tol * width:
                iso = float(np.min(_cdist(img[1 - x], a)) / width)
                info.update(kind="fixed point", symbol=x, ratio=fp[1], isolation=iso, angle=float(np.mod(a, 2 * np.pi)))
                if fp[1] <= 0:
                    info["kind"] = "fixed point with λ2/λ1 ≤ 0 (not a one-sided edge)"
                elif iso < tol:
                    info["kind"] = "fixed point, but the other map's image reaches it"
                else:
                    info["xi"] = float(1.0 - np.log(1.0 / probs[x]) / np.log(1.0 / fp[1]))
                break
        out[name] = info
    for name, info in out.items():  # an edge that is the image of the other edge inherits its exponent
        src = out["high" if name == "low" else "low"]
        if info["kind"] != "unidentified" or src["kind"] != "fixed point":
            continue
        for y, M in enumerate(maps):
            im = float(_apply(M, src["angle"]))
            if _cdist(im, info["angle"]) <= tol * width:
                info.update(kind="image of the other edge", symbol=y, source_symbol=src["symbol"], xi=src["xi"],
                            angle=im)
                break
    return out


def xi_closed_form(A: Any, *, rule: int = 30, K: int = 1, p: float = 0.5, tol: float = 0.02,
                   n_seq: int = 16, length: int = 2048, seed: int = 0) -> dict[str, Any]:
    r"""Closed-form ξ of d = 2 context angles (cross-check of the histogram recipe, sec. 4.3.1).

    Derivation (docs/local_rules.md, "ξ in closed form"): the bulk contexts are the stationary
    law μ of the random projective maps :math:`f_x` (ℓ ↦ ℓA_x, r ↦ A_x r, x = ±1 with
    probability p, 1 − p).  If an edge e of μ's support is the attracting fixed point of
    :math:`f_x` with :math:`c = \lambda_2/\lambda_1 \in (0, 1)` of that map's matrix, and the other
    map's image of the support stays away from e, then in the eigen-coordinate :math:`f_x` is
    exactly :math:`s \mapsto c s`, so the mass :math:`F(\delta)` within δ of e obeys
    :math:`F(c\delta) = p_x F(\delta)`: :math:`F \propto \delta^{\alpha} P(\ln\delta)` (P periodic,
    period ln(1/c)), :math:`\alpha = \ln(1/p_x)/\ln(1/c)`, density ∝ δ^{−ξ_e} with
    :math:`\xi_e = 1 - \ln(1/p_x)/\ln(1/c)` (= 1 − ln 2/ln(1/c) for p = 1/2).  An edge that is the
    image of the other edge under one map inherits that edge's exponent.  Edges are located on
    a simulated bulk (``n_seq`` inputs of ``length``) and matched to fixed points within
    ``tol`` × support width; anything else is reported NaN with its ``kind``.

    Per class c and side: the edges reachable by class c (a window with the map's symbol(s)
    next to the centre and label c); ξ_side(c) = max of their ξ_e (NaN if one is NaN);
    ``xi`` = max_c ξ_left(c) + ξ_right(c).

    Examples
    --------
    >>> import local_rules as lr
    >>> r = lr.xi_closed_form("example3")
    >>> r["left"]["low"]["kind"], round(r["xi"], 3)
    ('fixed point', 1.617)
    """
    A_arr = resolve_A(A)[0]
    if A_arr.shape[0] != 2:
        raise ValueError(f"A: the closed form needs bond dimension d = 2, got {A_arr.shape[0]}")
    p = check_real("p", p, 0.0, 1.0, lo_open=True)
    if p >= 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    tol = check_real("tol", tol, 0.0, 0.5, lo_open=True)
    b = bulk_contexts(A_arr, n_seq=n_seq, length=length, lo=length // 8, hi=length - length // 8, rule=rule, K=K,
                      seed=seed)
    probs = (p, 1.0 - p)
    W, lab = _window_labels(rule, K)
    res: dict[str, Any] = {"p": p, "per_class": {}}
    for side, V, maps in (("left", b.left, [A_arr[..., x].T for x in (0, 1)]),
                          ("right", b.right, [A_arr[..., x] for x in (0, 1)])):
        edges = _side_edges(maps, _ang(V), probs, tol)
        res[side] = edges
    for c in (-1, 1):
        tot = 0.0
        for side in ("left", "right"):
            near = (lambda w: w[K - 1::-1]) if side == "left" else (lambda w: w[K + 1:])
            xs = []
            for e in res[side].values():
                fp_sym = e["symbol"] if e["kind"] == "fixed point" else e.get("source_symbol")
                want = [fp_sym] * K if e["kind"] == "fixed point" else [e["symbol"]] + [fp_sym] * (K - 1)
                if e["symbol"] is None or any(np.array_equal((near(w) + 1) // 2, want) and lab[i] == c
                                              for i, w in enumerate(W)):
                    xs.append(e["xi"])
            tot += max(xs) if xs and np.all(np.isfinite(xs)) else float("nan")
        res["per_class"][str(c)] = tot
    vals = list(res["per_class"].values())
    res["xi"] = float(max(vals)) if np.all(np.isfinite(vals)) else float("nan")
    return res

# package-internal names shared with the bulk-population module (issue 25)
vector_angle = _ang
circle_distance = _cdist

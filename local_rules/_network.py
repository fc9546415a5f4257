r"""Uniform tensor-network attention (paper sec. 4.2.2, Eqs. 59–63), batched over models.

Parameters carry a leading ensemble axis: ``A, B`` have shape ``(R, d, d, 2)``
(``[..., 0]`` is the matrix of the symbol -1, ``[..., 1]`` of +1, Eq. 59).

Open boundaries (Eq. 62 with G = v^L ⊗ v^R):
:math:`\hat y_i = \sum_j \phi(x_i)_j\, \ell_i^\top B_j r_i` with normalised context
vectors :math:`\ell_i \propto (v^L)^\top A(1)\cdots A(i-1)` and
:math:`r_i \propto A(i+1)\cdots A(M)\, v^R`.  Closed boundaries:
:math:`\hat y_i = \mathrm{Tr}(H^L_N(i) B_{x_i} H^R_N(i))` with the normalised
context matrices :math:`H^L(i) = A(1)\cdots A(i-1)`, :math:`H^R(i) = A(i+1)\cdots A(M)`.
Both cases are handled uniformly: a left state is a ``(k, d)`` matrix (k = 1
for open boundaries, a row vector; k = d for closed ones) and a right state a
``(d, k)`` matrix.  States are renormalised (Frobenius norm) after every
multiplication, which gives the same normalised contexts as normalising the
final product but never overflows or underflows (sequences of length 1000 are
fine).  The tensor-network map (Eq. 66) is
:math:`z_i[a, b, j] = \sum_m L_i[m, a]\, R_i[b, m]\, \phi(x_i)_j`, so that
:math:`\hat y_i = z_i \cdot \mathrm{vec}(B)` (Eq. 67) with ``vec`` the C-order
flattening of ``B[a, b, j]``.

Boundary vectors: ``"eigen"`` -- the leading LEFT eigenvector of
:math:`A_0` at the left end (row vector) and the leading RIGHT eigenvector at the
right end (padding with infinitely many -1; needs a real, strictly dominant
leading eigenvalue; computed with numpy, no gradient); ``"pad"`` -- padding with
``n_pad`` copies of -1 starting from the all-ones vector (power iteration,
differentiable; equals "eigen" as ``n_pad`` → ∞ when the leading eigenvalue is
real and dominant); ``"trainable"`` -- free vectors ``vL, vR``; ``"closed"`` --
periodic boundaries.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ._checks import check_choice, check_finite_tensor, check_int
from ._data import BOUNDARIES, PositionSet, Trie

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["leading_eigenvectors", "padding_limit_exists", "eigen_boundary_vectors",
           "boundary_states", "context_states", "network_outputs",
           "network_features", "features_numpy", "outputs_numpy"]

_TINY = 1e-300


def leading_eigenvectors(A: NDArray[np.float64], *, rtol: float = 1e-9
                         ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Leading left and right eigenvectors of :math:`A_0 = A[..., 0]` (batched).

    Returns ``(vL, vR, ok)`` with unit vectors of shape ``(R, d)`` and ``ok``
    false where the eigenvalue of largest modulus is complex or not strictly
    dominant (then no "−1 padding" limit exists and the vectors are NaN).  The
    sign is fixed so that the entry of largest modulus is positive.
    """
    A = np.asarray(A, dtype=float)
    A0 = A[..., 0].reshape((-1,) + A.shape[-3:-1])
    out = []
    oks = []
    for M in (np.swapaxes(A0, -1, -2), A0):  # left eigvecs of A0 = right eigvecs of A0^T
        lam, V = np.linalg.eig(M)
        mod = np.abs(lam)
        order = np.argsort(-mod, axis=-1)
        top = np.take_along_axis(lam, order[:, :1], axis=-1)[:, 0]
        m1 = np.take_along_axis(mod, order[:, :1], axis=-1)[:, 0]
        m2 = (np.take_along_axis(mod, order[:, 1:2], axis=-1)[:, 0] if M.shape[-1] > 1
              else np.zeros_like(m1))
        ok = (np.abs(top.imag) <= rtol * np.maximum(m1, _TINY)) & (m1 > m2 * (1 + rtol)) & (m1 > 0)
        v = np.take_along_axis(V, order[:, None, :1], axis=-1)[..., 0]
        v = np.real(v)
        nrm = np.linalg.norm(v, axis=-1, keepdims=True)
        v = v / np.maximum(nrm, _TINY)
        big = np.take_along_axis(v, np.argmax(np.abs(v), axis=-1)[:, None], axis=-1)
        v = v * np.where(big < 0, -1.0, 1.0)
        v[~ok] = np.nan
        out.append(v)
        oks.append(ok)
    return out[0], out[1], oks[0] & oks[1]


def padding_limit_exists(A: Any, *, rtol: float = 1e-9) -> NDArray[np.bool_]:
    r"""Whether "padding with infinitely many −1s" has a limit, per model (batched ``(R, d, d, 2)``).

    The normalised boundary :math:`\mathbf 1^\top A_0^n / \|\cdot\|` converges as
    :math:`n \to \infty` (to the leading left eigenvector of :math:`A_0`, up to sign) only when
    the eigenvalue of largest modulus is real and strictly dominant.  For a complex leading
    pair :math:`\rho e^{\pm i\theta}` it rotates by :math:`\theta` per extra padding symbol in
    the plane of the pair: ``boundary="pad"`` is then the finite padding with exactly ``n_pad``
    copies of −1 and depends on ``n_pad``.  (Only eigenvalues are computed; cheaper than
    :func:`leading_eigenvectors`.)
    """
    A0 = np.asarray(A, dtype=float)[..., 0]
    A0 = A0.reshape((-1,) + A0.shape[-2:])
    fin = np.isfinite(A0).all(axis=(-2, -1))  # non-finite (diverged) models: no limit
    lam = np.linalg.eigvals(np.where(fin[:, None, None], A0, 0.0))
    mod = np.abs(lam)
    order = np.argsort(-mod, axis=-1)
    top = np.take_along_axis(lam, order[:, :1], axis=-1)[:, 0]
    m1 = np.take_along_axis(mod, order[:, :1], axis=-1)[:, 0]
    m2 = (np.take_along_axis(mod, order[:, 1:2], axis=-1)[:, 0] if A0.shape[-1] > 1 else np.zeros_like(m1))
    return (np.abs(top.imag) <= rtol * np.maximum(m1, _TINY)) & (m1 > m2 * (1 + rtol)) & (m1 > 0) & fin


def eigen_boundary_vectors(A: Any) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    r"""Boundary vectors ``(vL, vR, ok)`` of the "eigenvector" reading, defined for every A (batched).

    Where :func:`padding_limit_exists` holds, ``vL, vR`` are the leading left/right eigenvectors
    of :math:`A_0` (unit norm) with the signs of the limit of padding with an even number n of
    −1s: :math:`\mathbf 1^\top A_0^n \propto (\mathbf 1^\top r)/(l^\top r)\, l^\top` and
    :math:`A_0^n \mathbf 1 \propto (l^\top\mathbf 1)/(l^\top r)\, r`, so that ``boundary="pad"`` tends
    to this reading as ``n_pad`` → ∞ (the sign convention of :func:`leading_eigenvectors`, largest
    entry positive, would flip the whole output whenever the largest entry changes).
    Elsewhere (``ok`` false: complex leading pair, or a tie) no such vector exists; the fallback
    is the real part of the leading (complex) eigenvector after rotating its phase so that its
    entry of largest modulus is real and positive, normalised -- a vector in the invariant plane
    of the leading pair, fixed by a convention, not by the model.  Callers report ``ok``.
    """
    A0 = np.asarray(A, dtype=float)[..., 0]
    A0 = A0.reshape((-1,) + A0.shape[-2:])
    fin = np.isfinite(A0).all(axis=(-2, -1))
    out = []
    for M in (np.swapaxes(A0, -1, -2), A0):  # left eigvecs of A0 = right eigvecs of A0^T
        lam, V = np.linalg.eig(np.where(fin[:, None, None], M, 0.0))
        top = np.argmax(np.abs(lam), axis=-1)
        v = np.take_along_axis(V, top[:, None, None], axis=-1)[..., 0]
        big = np.take_along_axis(v, np.argmax(np.abs(v), axis=-1)[:, None], axis=-1)
        v = np.real(v * (np.abs(big) / np.where(big == 0, 1.0, big)))
        out.append(v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), _TINY))
    l, r = out
    # signs of the padding limit: 1^T A_0^n ∝ sgn(lam)^n (1^T r)/(l^T r) l^T and A_0^n 1 ∝ (l^T 1)/(l^T r) r
    # (n even): invariant under l -> -l, r -> -r, so the whole output changes sign only with (1^T r)(l^T 1)
    lr_ = np.sum(l * r, axis=-1, keepdims=True)
    l = l * np.where(r.sum(-1, keepdims=True) * lr_ < 0, -1.0, 1.0)
    r = r * np.where(out[0].sum(-1, keepdims=True) * lr_ < 0, -1.0, 1.0)
    l[~fin], r[~fin] = np.nan, np.nan  # non-finite (diverged) models
    return l, r, padding_limit_exists(A0[..., None])


def _normalise(x: "torch.Tensor") -> "torch.Tensor":
    import torch
    nrm = torch.linalg.vector_norm(x, dim=(-2, -1), keepdim=True)
    return x / nrm.clamp_min(torch.finfo(x.dtype).tiny)


def boundary_states(A: "torch.Tensor", boundary: str, *, n_pad: int = 32, vL: Any = None, vR: Any = None
                    ) -> tuple["torch.Tensor", "torch.Tensor"]:
    """Initial left ``(R, k, d)`` and transposed right ``(R, k, d)`` states for the boundary mode."""
    import torch
    boundary = check_choice("boundary", boundary, BOUNDARIES)
    R, d = A.shape[0], A.shape[1]
    if boundary == "closed":
        eye = torch.eye(d, dtype=A.dtype, device=A.device).expand(R, d, d)
        return eye / d ** 0.5, eye / d ** 0.5
    if boundary == "eigen":
        l, r, ok = leading_eigenvectors(A.detach().cpu().numpy())
        if not np.all(ok):
            bad = np.nonzero(~ok)[0][:5].tolist()
            raise ValueError(f"A: boundary='eigen' needs A[..., 0] with a real, strictly dominant leading "
                             f"eigenvalue; models {bad} have none (use boundary='pad')")
        lt = torch.as_tensor(l, dtype=A.dtype, device=A.device)
        rt = torch.as_tensor(r, dtype=A.dtype, device=A.device)
        return lt[:, None, :], rt[:, None, :]
    if boundary == "trainable":
        if vL is None or vR is None:
            raise ValueError("vL and vR must be given for boundary='trainable'")
        return _normalise(vL[:, None, :]), _normalise(vR[:, None, :])
    n_pad = check_int("n_pad", n_pad, 0)
    A0 = A[..., 0].contiguous()
    left = torch.ones(R, 1, d, dtype=A.dtype, device=A.device) / d ** 0.5
    right = torch.ones(R, 1, d, dtype=A.dtype, device=A.device) / d ** 0.5
    # A_0^n_pad by repeated squaring (normalised at every product; the scale drops out):
    # O(log n_pad) batched products instead of n_pad per side
    power = None
    base = A0
    n = n_pad
    while n > 0:
        if n & 1:
            power = base if power is None else _normalise(power @ base)
        n >>= 1
        if n > 0:
            base = _normalise(base @ base)
    if power is None:
        return left, right
    left = _normalise(left @ power)
    right = _normalise(right @ power.transpose(1, 2))
    return left, right


def _level_states(A: "torch.Tensor", trie: Trie, init: "torch.Tensor", side: str,
                  max_level: int | None = None) -> list["torch.Tensor"]:
    """Normalised states of the trie nodes, one ``(R, n_level, k, d)`` tensor per level."""
    import torch
    dev = A.device
    mats = tuple((A[..., c] if side == "left" else A[..., c].transpose(1, 2)).contiguous() for c in (0, 1))
    both = torch.stack(mats, dim=1)  # (R, 2, d, d)
    Rm, k, d = init.shape
    levels = [init[:, None]]
    ls = trie.level_start
    top = trie.n_levels if max_level is None else min(trie.n_levels, max_level + 1)
    for lev in range(1, top):
        prev = levels[-1]
        if trie.level_is_full(lev):  # complete level: children = parents x {A_0, A_1}, no gather
            n_prev = prev.shape[1]
            nxt = (prev.reshape(Rm, 1, n_prev * k, d) @ both).reshape(Rm, 2 * n_prev, k, d)
            levels.append(_normalise(nxt))
            continue
        par = torch.as_tensor(trie.parent[ls[lev]:ls[lev + 1]] - ls[lev - 1], device=dev)
        n0 = int(trie.n_sym0[lev])
        parts = []
        for sym, sl in ((0, slice(0, n0)), (1, slice(n0, par.shape[0]))):
            idx = par[sl]
            if idx.shape[0] == 0:
                continue
            pp = prev[:, idx]
            parts.append((pp.reshape(Rm, -1, d) @ mats[sym]).reshape(Rm, -1, k, d))
        levels.append(_normalise(torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]))
    return levels


def context_states(A: "torch.Tensor", trie: Trie, init: "torch.Tensor", side: str,
                   max_level: int | None = None) -> "torch.Tensor":
    """Normalised states of every trie node, ``(R, P, k, d)``.

    Left states L (row vectors / matrices, L <- L A(x)); right states are stored
    transposed, R^T <- R^T A(x)^T, so that both sides are one batched matmul per level
    (a complete level -- both children of every parent -- needs no gather: one product
    of all parents with the stacked (A_0, A_1)).  ``max_level`` (default: all) stops at
    that trie level (nodes of deeper levels are then not returned).
    """
    import torch
    return torch.cat(_level_states(A, trie, init, side, max_level), dim=1)


def _level_lists(A: "torch.Tensor", pset: PositionSet, boundary: str, n_pad: int, vL: Any, vR: Any
                 ) -> tuple[list["torch.Tensor"], list["torch.Tensor"]]:
    initL, initR = boundary_states(A, boundary, n_pad=n_pad, vL=vL, vR=vR)
    # the deepest trie level (a whole input) is never a context: stop at the deepest one used
    ml = max(b.left_level for b in pset.blocks)
    mr = max(b.right_level for b in pset.blocks)
    return (_level_states(A, pset.left, initL, "left", ml), _level_states(A, pset.right, initR, "right", mr))


def _states(A: "torch.Tensor", pset: PositionSet, boundary: str, n_pad: int, vL: Any, vR: Any
            ) -> tuple["torch.Tensor", "torch.Tensor"]:
    import torch
    Ls, Rs = _level_lists(A, pset, boundary, n_pad, vL, vR)
    return torch.cat(Ls, dim=1), torch.cat(Rs, dim=1)


def _pair_outputs(Ll: "torch.Tensor", Rl: "torch.Tensor", B: "torch.Tensor") -> "torch.Tensor":
    """Outputs of a complete (prefix level x suffix level) grid for both centres, ``(R, 2 n_l n_r)``
    in (centre, left node, right node) order.  B is applied to the smaller side."""
    Rm, n_l, k, d = Ll.shape
    n_r = Rl.shape[1]
    Bs = B.permute(0, 3, 1, 2)  # (R, 2, d, d), Bs[:, c] = B_c
    if n_l <= n_r:  # W_c = L B_c  (k x d per node), y = <W_c, R^T>
        W = (Ll.reshape(Rm, 1, n_l * k, d) @ Bs).reshape(Rm, 2, n_l, k * d)
        full = W @ Rl.reshape(Rm, 1, n_r, k * d).transpose(-1, -2)
    else:  # U_c = R^T B_c^T, y = <L, U_c>
        U = (Rl.reshape(Rm, 1, n_r * k, d) @ Bs.transpose(-1, -2)).reshape(Rm, 2, n_r, k * d)
        full = Ll.reshape(Rm, 1, n_l, k * d) @ U.transpose(-1, -2)
    return full.reshape(Rm, -1)


def network_outputs(A: "torch.Tensor", B: "torch.Tensor", pset: PositionSet, boundary: str = "pad", *,
                    n_pad: int = 32, vL: Any = None, vR: Any = None, return_left: bool = False
                    ) -> "torch.Tensor | tuple[torch.Tensor, torch.Tensor]":
    """Raw outputs :math:`\\hat y` (Eq. 63 before the sign), shape ``(R, N)`` in position order.

    With ``return_left`` also the left states ``(R, P_left, k, d)`` (the left
    context vectors for open boundaries).
    """
    import torch
    Ls, Rs = _level_lists(A, pset, boundary, n_pad, vL, vR)
    Rm, _, k, d = Ls[0].shape
    dev = A.device
    cache: dict[str, Any] = {}

    def flat() -> tuple[Any, Any]:  # all nodes, for blocks that need gathers
        if "Lf" not in cache:
            L = torch.cat(Ls, dim=1)
            RT = torch.cat(Rs, dim=1)
            P_r = RT.shape[1]
            cache["Lf"] = L.reshape(Rm, -1, k * d)
            cache["Uf"] = torch.stack([(RT.reshape(Rm, P_r * k, d) @ B[..., c].transpose(1, 2))
                                       .reshape(Rm, P_r, k * d) for c in (0, 1)], dim=1)
        return cache["Lf"], cache["Uf"]

    lls, rls = pset.left.level_start, pset.right.level_start
    blocks = pset.blocks
    out = []
    j = 0
    while j < len(blocks):
        blk = blocks[j]
        nxt = blocks[j + 1] if j + 1 < len(blocks) else None
        if (blk.full and blk.center == 0 and nxt is not None and nxt.full and nxt.center == 1
                and nxt.left_level == blk.left_level and nxt.right_level == blk.right_level):
            # both centres of a complete grid: two products, no gather
            out.append(_pair_outputs(Ls[blk.left_level], Rs[blk.right_level], B))
            j += 2
            continue
        Lf, Uf = flat()
        if blk.dense:
            l0, l1 = int(lls[blk.left_level]), int(lls[blk.left_level + 1])
            r0, r1 = int(rls[blk.right_level]), int(rls[blk.right_level + 1])
            full = (Lf[:, l0:l1] @ Uf[:, blk.center, r0:r1].transpose(1, 2)).reshape(Rm, -1)
            out.append(full if blk.full else full[:, torch.as_tensor(blk.flat_index, device=dev)])
        else:
            li = torch.as_tensor(pset.pos_left[blk.start:blk.stop], device=dev)
            ri = torch.as_tensor(pset.pos_right[blk.start:blk.stop], device=dev)
            out.append((Lf[:, li] * Uf[:, blk.center, ri]).sum(-1))
        j += 1
    y = torch.cat(out, dim=1)
    if return_left:
        return y, (cache["Lf"].reshape(Rm, -1, k, d) if "Lf" in cache else torch.cat(Ls, dim=1))
    return y


def network_features(A: "torch.Tensor", pset: PositionSet, boundary: str = "eigen", *, n_pad: int = 32,
                     vL: Any = None, vR: Any = None) -> "torch.Tensor":
    """Tensor-network map z_i(x) (Eq. 66), shape ``(R, N, 2 d^2)`` (C-order of ``B[a, b, j]``)."""
    import torch
    L, Rr = _states(A, pset, boundary, n_pad, vL, vR)
    dev = A.device
    Lg = L[:, torch.as_tensor(pset.pos_left, device=dev)]
    Rg = Rr[:, torch.as_tensor(pset.pos_right, device=dev)]
    zab = torch.einsum("rnma,rnmb->rnab", Lg, Rg)
    phi = torch.nn.functional.one_hot(torch.as_tensor(pset.pos_center, device=dev), 2).to(A.dtype)
    z = zab[..., None] * phi[None, :, None, None, :]
    return z.reshape(z.shape[0], z.shape[1], -1)


def _as_batch(A: Any, name: str) -> NDArray[np.float64]:
    arr = check_finite_tensor(name, A)
    return arr[None] if arr.ndim == 3 else arr.reshape((-1,) + arr.shape[-3:])


def features_numpy(A: Any, pset: PositionSet, boundary: str = "eigen", *, n_pad: int = 32
                   ) -> NDArray[np.float64]:
    """Numpy wrapper of :func:`network_features` (float64, CPU): ``(R, N, 2d^2)`` or ``(N, 2d^2)``."""
    import torch
    arr = check_finite_tensor("A", A)
    At = torch.as_tensor(_as_batch(arr, "A"), dtype=torch.float64)
    z = network_features(At, pset, boundary, n_pad=n_pad).numpy()
    return z[0] if arr.ndim == 3 else z


def outputs_numpy(A: Any, B: Any, pset: PositionSet, boundary: str = "eigen", *, n_pad: int = 32
                  ) -> NDArray[np.float64]:
    """Numpy wrapper of :func:`network_outputs` (float64, CPU): ``(R, N)`` or ``(N,)``."""
    import torch
    a = check_finite_tensor("A", A)
    b = check_finite_tensor("B", B, d=a.shape[-2])
    if a.shape != b.shape:
        raise ValueError(f"A and B must have the same shape, got {a.shape} and {b.shape}")
    At = torch.as_tensor(_as_batch(a, "A"), dtype=torch.float64)
    Bt = torch.as_tensor(_as_batch(b, "B"), dtype=torch.float64)
    y = network_outputs(At, Bt, pset, boundary, n_pad=n_pad).numpy()
    return y[0] if a.ndim == 3 else y

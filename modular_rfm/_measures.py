"""Progress measures (Mallinar et al. 2024, sec. 3) and the effective dimension.

* :func:`circulant_deviation` — of the off-diagonal ``p × p`` block
  ``A = M[p:, :p]``: shift row ``ℓ`` by ``ℓ`` positions, sum over columns the
  variance down each column, divide by ``‖A‖²_F / m`` (``m`` = number of
  rows), i.e. the fraction of ``‖A‖²_F`` not explained by the column means
  after the shift; it lies in ``[0, 1]``.  (Dividing by ``‖A‖²_F`` alone, as
  the paper's description reads, bounds the measure by ``1/m``; see
  docs/errata.md.)  Direction
  ``"circulant"`` rolls row ``ℓ`` left by ``ℓ`` (vanishes for
  ``C_ij = c_{j−i}``), ``"hankel"`` rolls it right (vanishes for
  ``H_ij = h_{i+j}``).  For ``×`` and ``÷`` rows and columns are first
  reordered by the discrete logarithm and residue 0 dropped.
* :func:`agop_alignment` — cosine similarity of ``vec M_t`` and ``vec M*``.
* :func:`effective_dimension` — ``D_eff = exp(S)``, ``S = −Σ σ_k log σ_k`` with
  ``σ_k`` the eigenvalues as fractions of the trace (the toolkit's common
  definition of D_eff).
* accuracy, MSE over all outputs, and the correct-class loss ``mean (f_y − 1)²``.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._data import discrete_log_order
from ._validation import check_choice, check_prime

__all__ = [
    "CIRCULANT_DIRECTIONS",
    "task_direction",
    "circulant_deviation",
    "offdiagonal_block",
    "agop_alignment",
    "effective_dimension",
    "accuracy",
    "mse",
    "correct_class_loss",
]

Array = NDArray[np.float64]

CIRCULANT_DIRECTIONS: tuple[str, ...] = ("circulant", "hankel")


def task_direction(op: str) -> str:
    """Shift direction in which the learned block becomes constant for the task:
    ``"circulant"`` for ``+`` and ``×``, ``"hankel"`` for ``−`` and ``÷``."""
    check_choice("op", op, ("+", "-", "*", "/"))
    return "circulant" if op in ("+", "*") else "hankel"


def offdiagonal_block(M: Array, p: int, *, reorder: bool = False) -> Array:
    """``A = M[p:, :p]`` (rows: second operand ``b``, columns: first operand ``a``),
    reordered by the discrete logarithm (residue 0 dropped) when ``reorder``."""
    p = check_prime("p", p)
    M = np.asarray(M, dtype=float)
    if M.shape != (2 * p, 2 * p):
        raise ValueError(f"M must have shape (2p, 2p) = ({2 * p}, {2 * p}), got {M.shape}")
    A = M[p:, :p]
    if reorder:
        order = discrete_log_order(p)
        A = A[np.ix_(order, order)]
    return A


def _shift_deviation(A: Array, direction: str) -> float:
    n = A.shape[0]
    norm2 = float(np.sum(A * A))
    if not norm2 > 0.0:
        return float("nan")
    rows = np.arange(n)[:, None]
    sign = 1 if direction == "circulant" else -1
    idx = (np.arange(n)[None, :] + sign * rows) % n
    shifted = A[rows, idx]  # row ℓ rolled by ℓ (left for circulant, right for Hankel)
    return float(np.sum((shifted - shifted.mean(axis=0)) ** 2) / norm2)


def circulant_deviation(M: Array, p: int, *, direction: str = "circulant", reorder: bool = False) -> float:
    """Circulant deviation of the off-diagonal block of ``M`` (paper sec. 3).

    ``Σ_cols Σ_rows (A'_ij − mean_i A'_ij)² / ‖A‖²_F`` with ``A'`` the row-shifted
    block: 0 exactly when the (reordered) block is circulant
    (``direction="circulant"``) or Hankel (``direction="hankel"``), at most 1,
    and about ``1 − 1/m`` for a block of i.i.d. zero-mean entries (``m × m``).
    ``NaN`` when the block is identically 0 (e.g. ``M = I``), where the ratio
    is undefined.
    """
    check_choice("direction", direction, CIRCULANT_DIRECTIONS)
    return _shift_deviation(offdiagonal_block(M, p, reorder=reorder), direction)


def agop_alignment(M: Array, M_ref: Array) -> float:
    """Cosine similarity ``⟨vec M, vec M_ref⟩ / (‖M‖_F ‖M_ref‖_F)`` (paper sec. 3)."""
    M = np.asarray(M, dtype=float)
    M_ref = np.asarray(M_ref, dtype=float)
    if M.shape != M_ref.shape:
        raise ValueError(f"M and M_ref must have the same shape, got {M.shape} and {M_ref.shape}")
    den = float(np.linalg.norm(M) * np.linalg.norm(M_ref))
    if not den > 0.0:
        raise ValueError("M and M_ref must be non-zero")
    return float(np.sum(M * M_ref) / den)


def effective_dimension(M: Array) -> float:
    """``D_eff = exp(−Σ σ_k log σ_k)``, ``σ_k = λ_k / Σ λ`` the normalised eigenvalues of
    the symmetric PSD matrix ``M`` (negative round-off eigenvalues clipped to 0).

    Ranges from 1 (rank one) to ``dim M`` (a multiple of the identity).
    """
    M = np.asarray(M, dtype=float)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"M must be a square matrix, got shape {M.shape}")
    if not np.all(np.isfinite(M)):
        raise ValueError("M must be finite")
    lam = np.clip(np.linalg.eigvalsh(0.5 * (M + M.T)), 0.0, None)
    tot = float(lam.sum())
    if not tot > 0.0:
        raise ValueError("M must have a positive trace (PSD and non-zero)")
    sig = lam[lam > 0.0] / tot
    return float(np.exp(-np.sum(sig * np.log(sig))))


def accuracy(F: Array, y: NDArray[np.int64]) -> float:
    """Fraction of rows whose argmax equals the label."""
    return float(np.mean(np.argmax(F, axis=1) == y))


def mse(F: Array, Y: Array) -> float:
    """Mean squared error over all samples *and* outputs (``mean (f_c − y_c)²``)."""
    return float(np.mean((F - Y) ** 2))


def correct_class_loss(F: Array, y: NDArray[np.int64]) -> float:
    """``mean (f_y(x) − 1)²`` over samples: the correct-class loss of the paper."""
    return float(np.mean((F[np.arange(F.shape[0]), y] - 1.0) ** 2))

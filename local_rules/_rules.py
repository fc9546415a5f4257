r"""Teachers: elementary cellular-automaton rules and their K-fold compositions.

Paper sec. 4.1: sequences :math:`x, y \in \{-1,+1\}^M` with
:math:`y_i = \mathrm{rule}(x_{i-K},\dots,x_{i+K})`.  A Wolfram number ``rule``
(0–255) maps the neighbourhood :math:`(l, c, r)` (with :math:`-1\to 0`,
:math:`+1\to 1`) to bit :math:`4l+2c+r` of the number.  The *K-local rule* is K
consecutive applications of the elementary rule (one time step of the K-fold
map), so :math:`y_i` depends on :math:`x_{i-K..i+K}`.

Boundaries: ``"open"`` -- every cell outside the sequence is -1 (the input is
embedded in an infinite sea of -1; the K applications act on that infinite
configuration, i.e. we pad K cells of -1 on each side and apply the rule K
times keeping only the cells whose light cone is inside the padded window);
``"closed"`` -- periodic (the K applications act on the ring of M cells).
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import check_choice, check_int

__all__ = ["rule_table", "apply_rule", "all_inputs", "random_inputs", "BOUNDARIES_RULE"]

BOUNDARIES_RULE = ("open", "closed")


def rule_table(rule: int) -> NDArray[np.int8]:
    """Outputs (±1) of an elementary rule indexed by ``4l + 2c + r`` (l, c, r in {0, 1})."""
    rule = check_int("rule", rule, 0, 255)
    bits = (rule >> np.arange(8)) & 1
    return (2 * bits - 1).astype(np.int8)


def _check_pm1(x: ArrayLike) -> NDArray[np.int8]:
    arr = np.asarray(x)
    if arr.ndim < 1 or arr.shape[-1] < 1:
        raise ValueError(f"x must have shape (..., M) with M >= 1, got {arr.shape}")
    if not np.all((arr == 1) | (arr == -1)):
        raise ValueError("x must contain only -1 and +1")
    return arr.astype(np.int8)


def _step(bits: NDArray[np.int8], table01: NDArray[np.int8]) -> NDArray[np.int8]:
    """One 'valid' application on a 0/1 array (..., L) -> (..., L-2)."""
    idx = 4 * bits[..., :-2] + 2 * bits[..., 1:-1] + bits[..., 2:]
    return table01[idx]


def apply_rule(x: ArrayLike, rule: int, K: int = 1, boundary: str = "open") -> NDArray[np.int8]:
    """Labels ``y`` (±1, same shape as ``x``) of the K-fold composition of ``rule``.

    ``x`` has shape ``(..., M)`` with entries ±1.  Closed (periodic) boundaries
    need ``M >= 2K + 1`` (otherwise the neighbourhood wraps onto itself).
    """
    rule = check_int("rule", rule, 0, 255)
    K = check_int("K", K, 1)
    boundary = check_choice("boundary", boundary, BOUNDARIES_RULE)
    xs = _check_pm1(x)
    M = xs.shape[-1]
    table01 = ((rule_table(rule) + 1) // 2).astype(np.int8)
    bits = ((xs + 1) // 2).astype(np.int8)
    if boundary == "open":
        pad = np.zeros(xs.shape[:-1] + (K,), dtype=np.int8)
        cur = np.concatenate([pad, bits, pad], axis=-1)
        for _ in range(K):
            cur = _step(cur, table01)
    else:
        if M < 2 * K + 1:
            raise ValueError(f"M must be >= 2K+1 = {2 * K + 1} for closed boundaries, got M={M}")
        cur = bits
        for _ in range(K):
            cur = _step(np.concatenate([cur[..., -1:], cur, cur[..., :1]], axis=-1), table01)
    return (2 * cur - 1).astype(np.int8)


def all_inputs(M: int) -> NDArray[np.int8]:
    """All ``2**M`` inputs of length M (rows, ±1), in binary order (first cell = most significant)."""
    M = check_int("M", M, 1, 24)
    codes = np.arange(2 ** M)
    bits = (codes[:, None] >> np.arange(M - 1, -1, -1)[None, :]) & 1
    return (2 * bits - 1).astype(np.int8)


def random_inputs(n: int, M: int, rng: np.random.Generator) -> NDArray[np.int8]:
    """``n`` i.i.d. uniform inputs of length M (±1)."""
    n = check_int("n", n, 1)
    M = check_int("M", M, 1)
    return (2 * rng.integers(0, 2, size=(n, M)) - 1).astype(np.int8)

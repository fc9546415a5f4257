r"""Built-in context tensors: the paper's Examples 1–3 (appendix C) and the exact
1-local tensors (Eq. 68).

Tensors have shape ``(d, d, 2)``: ``A[:, :, 0]`` is :math:`A_0` (symbol -1) and
``A[:, :, 1]`` is :math:`A_1` (symbol +1); the paper lists the rows of each matrix.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._checks import check_choice, check_finite_tensor

__all__ = ["EXAMPLES", "example_tensor", "exact_1local_tensor", "resolve_A"]

#: (A_0, A_1) rows of the paper's Examples 1–3 (appendix C), and the
#: regularisation settings (lam1, lam2) the paper ran for each.
EXAMPLES: dict[str, dict[str, object]] = {
    "example1": {"A0": [[0.782735, 0.225481], [-0.21562, 0.290028]],
                 "A1": [[1.17554, -0.275503], [1.18283, -0.157563]],
                 "settings": [(0.01, 0.0), (0.1, 0.0), (0.0, 0.1)]},
    "example2": {"A0": [[1.6749, -1.29059], [0.285324, -0.708621]],
                 "A1": [[0.0462428, -0.0797724], [-0.509457, 0.922777]],
                 "settings": [(0.0, 0.0), (0.05, 0.0), (0.0, 0.1)]},
    "example3": {"A0": [[1.37336, -0.465853], [-1.10382, 0.720113]],
                 "A1": [[0.128517, 0.166033], [0.634426, 1.13816]],
                 "settings": [(0.0, 0.0), (0.2, 0.0), (0.0, 0.2)]},
}


def example_tensor(name: str) -> NDArray[np.float64]:
    """The paper's Example 1, 2 or 3 context tensor ``A`` (shape (2, 2, 2))."""
    name = check_choice("A", name, tuple(EXAMPLES))
    ex = EXAMPLES[name]
    return np.stack([np.asarray(ex["A0"], float), np.asarray(ex["A1"], float)], axis=-1)


def exact_1local_tensor() -> NDArray[np.float64]:
    """The exact 4x4 tensor of Eq. 68 that makes any 1-local (K = 1) rule linearly separable.

    The left context remembers the previous symbol, the right context the next one.
    """
    A0 = np.array([[1, 1, 0, 0], [0, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]], dtype=float)
    A1 = np.array([[0, 0, 0, 0], [0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 1, 1]], dtype=float)
    return np.stack([A0, A1], axis=-1)


def resolve_A(A: object) -> tuple[NDArray[np.float64], str]:
    """Turn ``"example1" | "example2" | "example3" | "exact"`` or an array into ``(A, label)``."""
    if isinstance(A, str):
        if A == "exact":
            return exact_1local_tensor(), "exact"
        return example_tensor(A), A
    arr = check_finite_tensor("A", A)
    if arr.ndim != 3:
        raise ValueError(f"A must have shape (d, d, 2), got {arr.shape}")
    return arr, "custom"

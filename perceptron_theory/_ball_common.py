"""Shared helpers of the ball model's modules: the dimension check and λ_{2,D}."""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import MAX_SCALE, check_array

__all__ = ["check_D", "lambda_D"]

Array = NDArray[np.float64]


def check_D(D: ArrayLike, name: str = "D") -> Array:
    d = check_array(name, D, 1.0, MAX_SCALE)
    if np.any(d != np.round(d)):
        raise ValueError(f"{name} must be an integer in [1, {MAX_SCALE:g}], got {D!r}")
    return d


def lambda_D(D: ArrayLike, lam2: ArrayLike = 0.0) -> Array:
    r""":math:`\lambda_{2,D} = \lambda_2 + 1/(D+2)` (sec. 3.3.2): the L2 strength plus the
    per-coordinate variance :math:`1/(D+2)` of the uniform unit ball."""
    d = check_D(D)
    return check_array("lam2", lam2, 0.0) + 1.0 / (d + 2.0)

"""Input checks shared by the theory modules.

Every public function validates its arguments with these helpers so that bad
input raises a :class:`ValueError` naming the parameter and its allowed range,
never a silent NaN.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .memory_guard import check_memory  # the one shared guard

__all__ = [
    "check_real",
    "check_int",
    "check_array",
    "check_rng",
    "check_bool",
    "check_memory",
    "finite_or_refuse",
    "MAX_SCALE",
]

#: The supported range of the model scales eps, lam1 and lam2 (and of D): beyond it the
#: closed forms overflow or lose all precision, so inputs there are refused, never
#: answered with NaN/inf.
MAX_SCALE = 1e6


def _describe(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> str:
    left = "(" if (lo_open or lo is None) else "["
    right = ")" if (hi_open or hi is None) else "]"
    lo_s = "-inf" if lo is None else repr(lo)
    hi_s = "inf" if hi is None else repr(hi)
    return f"{left}{lo_s}, {hi_s}{right}"


def check_array(
    name: str,
    value: ArrayLike,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    allow_inf: bool = False,
) -> NDArray[np.float64]:
    """Return ``value`` as a float array after checking finiteness and range.

    Raises ``ValueError`` naming ``name`` and the allowed interval when any
    element is non-finite or outside ``lo``/``hi`` (open or closed ends).
    """
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:  # e.g. a string
        raise ValueError(f"{name} must be a real number or array of reals, got {value!r}") from exc
    rng = _describe(lo, hi, lo_open, hi_open)
    if not np.all(np.isfinite(arr) | (allow_inf & ~np.isnan(arr))):
        raise ValueError(f"{name} must be finite and in {rng}, got {value!r}")
    bad = np.zeros(arr.shape, dtype=bool)
    if lo is not None:
        bad |= (arr <= lo) if lo_open else (arr < lo)
    if hi is not None:
        bad |= (arr >= hi) if hi_open else (arr > hi)
    if np.any(bad):
        first = arr[bad].flat[0] if arr.ndim else float(arr)
        raise ValueError(f"{name} must be in {rng}, got {first!r}")
    return arr


def check_real(
    name: str,
    value: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """Scalar version of :func:`check_array`; returns a Python float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real | np.ndarray):
        raise ValueError(f"{name} must be a real number in "
                         f"{_describe(lo, hi, lo_open, hi_open)}, got {value!r}")
    arr = check_array(name, value, lo, hi, lo_open=lo_open, hi_open=hi_open)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a scalar, got an array of shape {arr.shape}")
    return float(arr)


def check_int(name: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
    """Check an integer parameter (numpy integers and integral floats are not accepted
    silently: a float such as 2.5 raises)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name} must be an integer in "
                             f"{_describe(lo, hi, False, False)}, got {value!r}")
    value = int(value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ValueError(f"{name} must be an integer in {_describe(lo, hi, False, False)}, got {value}")
    return value


def check_rng(rng: Any) -> np.random.Generator:
    """Accept a :class:`numpy.random.Generator` or an integer seed.

    ``None`` is refused on purpose: every random draw in grokcheck comes from an
    explicit seed that can be recorded with the run.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise ValueError(
        f"rng must be a numpy.random.Generator or a non-negative integer seed, got {rng!r}"
    )


def check_bool(name: str, value: Any) -> bool:
    """A flag: ``True`` or ``False`` only (not 0/1, not the string ``"no"``)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return bool(value)


def finite_or_refuse(what: str, value: Any, args: str) -> Any:
    """``value`` unchanged if every element is finite; otherwise ``ValueError``: the inputs
    ``args`` are outside the supported range (never a silent NaN/inf)."""
    if not np.all(np.isfinite(np.asarray(value, dtype=float))):
        raise ValueError(f"{what} is not finite for {args}: these inputs are outside the supported "
                         f"range (scales eps, lam1, lam2 up to {MAX_SCALE:g})")
    return value

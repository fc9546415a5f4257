"""Input checks for local_rules: bad input raises ValueError naming the parameter."""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["check_int", "check_real", "check_choice", "check_finite_tensor", "check_device"]


def check_int(name: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
    """Return ``value`` as int; raise ValueError naming ``name`` and [lo, hi] otherwise."""
    rng = f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value).is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name} must be an integer in {rng}, got {value!r}")
    value = int(value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ValueError(f"{name} must be an integer in {rng}, got {value}")
    return value


def check_real(name: str, value: Any, lo: float | None = None, hi: float | None = None,
               *, lo_open: bool = False) -> float:
    """Return ``value`` as a finite float in the range; ValueError naming ``name`` otherwise."""
    rng = f"{'(' if lo_open else '['}{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number in {rng}, got {value!r}")
    v = float(value)
    if not np.isfinite(v) or (lo is not None and (v <= lo if lo_open else v < lo)) or (hi is not None and v > hi):
        raise ValueError(f"{name} must be a finite real number in {rng}, got {value!r}")
    return v


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return str(value)


def check_finite_tensor(name: str, value: Any, d: int | None = None) -> NDArray[np.float64]:
    """Check a tensor of shape (..., d, d, 2) with finite entries; return float64 array."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real array of shape (..., d, d, 2), got {value!r}") from exc
    if arr.ndim < 3 or arr.shape[-1] != 2 or arr.shape[-2] != arr.shape[-3] or arr.shape[-2] < 1:
        raise ValueError(f"{name} must have shape (..., d, d, 2) with d >= 1, got {arr.shape}")
    if d is not None and arr.shape[-2] != d:
        raise ValueError(f"{name} must have bond dimension d={d}, got {arr.shape[-2]}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must have finite entries (found NaN or inf)")
    return arr


def check_device(value: Any) -> str:
    """A usable torch device name, or ``ValueError`` naming ``device`` (``cuda`` without CUDA,
    an index beyond the visible GPUs, an unknown name) — before any work starts."""
    import torch

    try:
        dev = torch.device(value)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"device must be a torch device ('cpu', 'cuda', 'cuda:N'), got {value!r}") from None
    if dev.type == "cuda":
        n = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if n == 0:
            raise ValueError(f"device {value!r}: CUDA is not available on this machine; use device='cpu'")
        if dev.index is not None and dev.index >= n:
            raise ValueError(f"device {value!r}: only {n} CUDA device(s) are visible (cuda:0 ... cuda:{n - 1})")
    elif dev.type != "cpu":
        raise ValueError(f"device must be 'cpu' or a CUDA device, got {value!r}")
    return str(dev)

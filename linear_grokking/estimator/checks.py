"""Argument checks shared by the estimator simulator and theory: one-line errors naming the parameter and its range.

Examples
--------
>>> check_real("lam", 0.5, lo=0.0, lo_open=True)
0.5
>>> check_real("lam", -1.0, lo=0.0, lo_open=True)
Traceback (most recent call last):
...
ValueError: lam must be a finite number in (0, inf), got -1.0
>>> check_int("d_out", 3, lo=1)
3
"""
from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

__all__ = ["check_real", "check_int", "check_choice", "check_array", "check_memory", "memory_limit_bytes"]


def _range(lo: float, hi: float, lo_open: bool, hi_open: bool) -> str:
    left = "(" if lo_open or lo == -math.inf else "["
    right = ")" if hi_open or hi == math.inf else "]"
    return f"{left}{lo:g}, {hi:g}{right}"


def check_real(name: str, value: Any, *, lo: float = -math.inf, hi: float = math.inf,
               lo_open: bool = False, hi_open: bool = False) -> float:
    """``float(value)`` if it is a finite real in the range, else ``ValueError`` naming ``name`` and the range."""
    rng = _range(lo, hi, lo_open, hi_open)
    bad = ValueError(f"{name} must be a finite number in {rng}, got {value!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise bad
    v = float(value)
    if not math.isfinite(v) or v < lo or v > hi or (lo_open and v == lo) or (hi_open and v == hi):
        raise bad
    return v


def check_int(name: str, value: Any, *, lo: int = 0, hi: float = math.inf) -> int:
    """``int(value)`` if it is an integer in ``[lo, hi]``, else ``ValueError`` naming ``name`` and the range."""
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not ok or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi:g}], got {value!r}")
    return int(value)


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``, else ``ValueError``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_array(name: str, value: Any, *, lo: float = -math.inf, lo_open: bool = False) -> np.ndarray:
    """``value`` as a float array if every element is finite and ``>= lo`` (``> lo`` when ``lo_open``)."""
    a = np.asarray(value, dtype=float)
    if a.size and (not np.all(np.isfinite(a)) or np.any(a < lo) or (lo_open and np.any(a == lo))):
        raise ValueError(f"{name} must be finite and {'>' if lo_open else '>='} {lo:g} elementwise")
    return a


def memory_limit_bytes() -> float:
    """The memory limit: ``GROKCHECK_MAX_MEM_GB`` GiB (environment variable, default 16).

    A copy of :func:`perceptron_theory.memory_guard.memory_limit_bytes`, kept on purpose:
    ``linear_grokking`` is an independent package by the layer rules (it imports no other
    grokcheck package, ``tests/test_architecture.py``); same variable and default."""
    raw = os.environ.get("GROKCHECK_MAX_MEM_GB", "16")
    try:
        gb = float(raw)
    except ValueError:
        raise ValueError(f"GROKCHECK_MAX_MEM_GB must be a number of GiB, got {raw!r}") from None
    if not gb > 0:
        raise ValueError(f"GROKCHECK_MAX_MEM_GB must be > 0, got {raw!r}")
    return gb * 2 ** 30


def check_memory(what: str, nbytes: float, hint: str) -> None:
    """Refuse (``MemoryError``-like ``ValueError``) a computation estimated above the memory limit."""
    limit = memory_limit_bytes()
    if nbytes > limit:
        raise ValueError(f"{what} needs about {nbytes / 2 ** 30:.3g} GiB, more than the limit of "
                         f"{limit / 2 ** 30:g} GiB (reduce {hint}, or raise GROKCHECK_MAX_MEM_GB)")

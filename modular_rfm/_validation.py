"""Input checks for :mod:`modular_rfm`.

``modular_rfm`` is independent of the other grokcheck packages, so it carries its
own small set of checks.  Every public function validates its arguments with
these helpers: bad input raises :class:`ValueError` naming the parameter and the
allowed range, never a silent NaN.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

__all__ = ["check_int", "check_real", "check_choice", "check_bool", "check_prime", "is_prime", "check_memory",
           "rfm_memory_bytes"]


def is_prime(n: int) -> bool:
    """Deterministic trial-division primality test (moduli here are small)."""
    if n < 2:
        return False
    if n < 4:
        return True
    if n % 2 == 0:
        return False
    for d in range(3, math.isqrt(n) + 1, 2):
        if n % d == 0:
            return False
    return True


def check_int(name: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
    """Return ``value`` as an ``int`` in ``[lo, hi]`` (bools and non-integral floats refused)."""
    rng = f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be an integer in {rng}, got {value!r}")
    if not isinstance(value, numbers.Integral):
        if not (math.isfinite(float(value)) and float(value).is_integer()):
            raise ValueError(f"{name} must be an integer in {rng}, got {value!r}")
    value = int(value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ValueError(f"{name} must be an integer in {rng}, got {value}")
    return value


def check_real(
    name: str,
    value: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """Return ``value`` as a finite ``float`` in the given (open or closed) interval."""
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    rng = f"{left}{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}{right}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number in {rng}, got {value!r}")
    v = float(value)
    bad = not math.isfinite(v)
    if lo is not None:
        bad |= v <= lo if lo_open else v < lo
    if hi is not None:
        bad |= v >= hi if hi_open else v > hi
    if bad:
        raise ValueError(f"{name} must be a finite real number in {rng}, got {value!r}")
    return v


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices`` (strings), else raise."""
    allowed = tuple(choices)
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """Accept Python or numpy booleans only."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise ValueError(f"{name} must be a bool (True or False), got {value!r}")


def check_prime(name: str, value: Any, lo: int = 3) -> int:
    """Return ``value`` if it is a prime integer ``>= lo``."""
    v = check_int(name, value, lo=lo)
    if not is_prime(v):
        raise ValueError(f"{name} must be a prime integer >= {lo}, got {v} (not prime)")
    return v


def rfm_memory_bytes(p: int, train_frac: float = 0.5, *, op: str = "+", gradient_path: str = "onehot",
                     n_iter: int = 30, keep_history: bool = False) -> float:
    """Estimated peak bytes of one :func:`modular_rfm.run_rfm` split (splits run one after another).

    ``n = round(train_frac N)`` training and ``m = N - n`` test pairs (``N = p^2``, ``p(p-1)``
    for ``/``): the training kernel and its solve (2 n^2 float64), the test kernel (m n), the
    one-hot gradients (8 n p; the dense path holds the ``(n, p, 2p)`` Jacobian twice), the
    metric ``M`` (per iteration with ``keep_history``) and 64 MiB of fixed parts. Measured
    with ``tracemalloc`` (``+``, train_frac 0.5): 61 / 346 MiB at p = 61 / 97, estimated
    151 / 599 MiB (the ``m n`` and ``n^2`` terms dominate: p = 401 needs about 146 GiB).

    >>> rfm_memory_bytes(61) < 2 ** 30 < rfm_memory_bytes(401)
    True
    """
    N = p * (p - 1) if op == "/" else p * p
    n = round(train_frac * N)
    m = N - n
    grads = 4 * n * p * 2 * p if gradient_path == "dense" else 8 * n * p
    history = (n_iter + 1) if keep_history else 4
    return 8.0 * (2 * n * n + m * n + grads + history * (2 * p) ** 2) + 2.0 ** 26


def check_memory(what: str, nbytes: float, name: str) -> None:
    """Refuse (``ValueError``) a computation whose estimated memory ``nbytes`` exceeds the limit
    ``GROKCHECK_MAX_MEM_GB`` (environment variable, GiB, default 16), naming ``name``.

    A copy of :func:`perceptron_theory.memory_guard.check_memory`, kept on purpose:
    ``modular_rfm`` is an independent package by the layer rules (it imports no other
    grokcheck package, ``tests/test_architecture.py``); same variable, default and message."""
    import os

    raw = os.environ.get("GROKCHECK_MAX_MEM_GB", "16")
    try:
        limit = float(raw) * 2 ** 30
    except ValueError:
        raise ValueError(f"GROKCHECK_MAX_MEM_GB must be a number of GiB, got {raw!r}") from None
    if not limit > 0:
        raise ValueError(f"GROKCHECK_MAX_MEM_GB must be > 0, got {raw!r}")
    if nbytes > limit:
        raise ValueError(f"{what} needs about {nbytes / 2 ** 30:.3g} GiB of memory, more than the limit of "
                         f"{limit / 2 ** 30:g} GiB (reduce {name}, or raise the limit with the environment "
                         "variable GROKCHECK_MAX_MEM_GB)")

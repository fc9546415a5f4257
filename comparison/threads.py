"""How many threads the numerical libraries (BLAS, OpenMP, torch) may use.

One setting for the whole process, applied once by the CLI entry
(``grokcheck --threads N``) or from Python (:func:`set_threads`): the
``--threads`` option, else the ``GROKCHECK_THREADS`` environment variable, else
the cores this process may run on (``os.sched_getaffinity``) that other work
leaves free (:func:`free_cores`: the cores less the 1-minute load average,
rounded, at least 1). On a busy machine more threads than free cores is the
costly mistake — BLAS and OpenMP threads spin waiting for each other (RFM
p = 61 at load 10 on 2 cores: 2 threads 4× slower than 1, BENCHMARKS.md) —
while one thread too few costs at most the parallel speed-up. The limit is
applied to the BLAS and OpenMP pools already loaded (``threadpoolctl``), to
torch's intra-op pool when torch is already imported (torch is never imported
here), and to ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` /
``MKL_NUM_THREADS`` for libraries loaded later (unless already set).

>>> n = resolve_threads(2)
>>> n
2
>>> set_threads(n) == n
True
"""
from __future__ import annotations

import os
import sys

__all__ = ["THREADS_ENV", "MAX_THREADS", "available_cores", "free_cores", "resolve_threads", "set_threads"]

THREADS_ENV = "GROKCHECK_THREADS"
#: more threads than any machine has cores: a pool of 10⁹ threads is refused, not attempted
MAX_THREADS = 4096
_LIB_ENVS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_limiter = None   # the threadpoolctl limiter in force (kept alive: the limit holds until the next call)


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity; ``os.cpu_count()`` where unknown)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def free_cores(load: float | None = None) -> int:
    """The cores this process may use that other work leaves free: :func:`available_cores` less
    the 1-minute load average (``load``; ``os.getloadavg()`` when None), rounded, between 1 and
    :func:`available_cores`. Where the load is unknown, all of them.

    >>> free_cores(load=0.0) == available_cores()
    True
    >>> free_cores(load=1e6)
    1
    """
    cores = available_cores()
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):
            return cores
    if not load == load:   # NaN: unknown
        return cores
    return int(min(cores, max(1, round(cores - float(load)))))


def resolve_threads(threads: int | str | None = None) -> int:
    """The thread count to use: ``threads``, else ``$GROKCHECK_THREADS``, else :func:`free_cores`.

    Raises ValueError (naming the parameter and the allowed range) for a count that is not an
    integer in [1, :data:`MAX_THREADS`].
    """
    src, value = ("threads", threads) if threads is not None else (THREADS_ENV, os.environ.get(THREADS_ENV))
    if value is None or (isinstance(value, str) and not value.strip()):
        return free_cores()
    try:
        n = int(value)
        if isinstance(value, float) and value != n:
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError(f"{src} must be an integer in [1, {MAX_THREADS}], got {value!r}") from None
    if not 1 <= n <= MAX_THREADS:
        raise ValueError(f"{src} must be an integer in [1, {MAX_THREADS}], got {n}")
    return n


def set_threads(threads: int | str | None = None) -> int:
    """Limit BLAS / OpenMP / torch threads for this process (see the module docstring); returns the count.

    Parameters
    ----------
    threads : int, str or None
        The count; None: ``$GROKCHECK_THREADS``, else the free cores (:func:`free_cores`).
    """
    global _limiter
    n = resolve_threads(threads)
    explicit = threads is not None or os.environ.get(THREADS_ENV, "").strip() != ""
    for k in _LIB_ENVS:
        if explicit or k not in os.environ:
            os.environ[k] = str(n)
    from threadpoolctl import threadpool_limits

    _limiter = threadpool_limits(limits=n)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(n)
    return n

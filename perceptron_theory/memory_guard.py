"""The one memory guard shared by the perceptron models, the local rules and the comparison layer.

The limit is the environment variable ``GROKCHECK_MAX_MEM_GB`` (GiB, default 16). A
computation estimates its peak memory from its parameters and calls :func:`check_memory`
before any work, so an oversized call is one ``ValueError`` naming the parameter and the
estimate instead of a ``MemoryError`` minutes later. ``perceptron_theory`` is the lowest
layer, so ``local_rules`` (which may import it) and ``comparison`` use this implementation;
``modular_rfm`` and ``linear_grokking`` are independent packages by the layer rules
(``tests/test_architecture.py``) and keep a copy of these few lines with the same
variable, default and message.

Examples
--------
>>> memory_limit_bytes() > 0
True
>>> try:
...     check_memory("a big table", 2.0 ** 60, "n_rows")
... except ValueError as e:
...     print(str(e)[:39])
a big table needs about 1.07e+09 GiB of
"""
from __future__ import annotations

import os

__all__ = ["memory_limit_bytes", "check_memory", "ENV_VAR"]

#: the environment variable that sets the limit, in GiB
ENV_VAR = "GROKCHECK_MAX_MEM_GB"


def memory_limit_bytes() -> float:
    """The memory limit in bytes: ``GROKCHECK_MAX_MEM_GB`` GiB (default 16 GiB).

    Returns
    -------
    float
        The limit in bytes.

    Raises
    ------
    ValueError
        If the variable is not a number > 0.

    Examples
    --------
    >>> import os
    >>> os.environ.get(ENV_VAR) is not None or memory_limit_bytes() == 16 * 2 ** 30
    True
    """
    raw = os.environ.get(ENV_VAR, "16")
    try:
        gb = float(raw)
    except ValueError:
        raise ValueError(f"{ENV_VAR} must be a number of GiB, got {raw!r}") from None
    if not gb > 0 or gb == float("inf"):
        raise ValueError(f"{ENV_VAR} must be a finite number > 0, got {raw!r}")
    return gb * 2 ** 30


def check_memory(what: str, nbytes: float, name: str) -> None:
    """Refuse (``ValueError``) a computation whose estimated peak ``nbytes`` exceeds the limit.

    Parameters
    ----------
    what : str
        The computation, as the message names it.
    nbytes : float
        Its estimated peak memory in bytes.
    name : str
        The parameter to reduce.

    Examples
    --------
    >>> check_memory("a small table", 1024.0, "n_rows")   # within the limit: nothing happens
    """
    limit = memory_limit_bytes()
    if nbytes > limit:
        raise ValueError(f"{what} needs about {nbytes / 2 ** 30:.3g} GiB of memory, more than the limit of "
                         f"{limit / 2 ** 30:g} GiB (reduce {name}, or raise the limit with the environment "
                         f"variable {ENV_VAR})")

"""Test-only set-up for tests/modular_rfm.

The RFM tests are dominated by dense BLAS work (Cholesky solves, symmetric rank-k
updates).  Under ``pytest -n 2`` each worker would start OpenBLAS with one thread per
core, i.e. twice as many busy threads as cores; OpenBLAS then spin-waits and the
p = 43/61 runs become several times slower (measured: 16 s → > 200 s for one p = 61
run on a loaded 2-core machine).  While a test of this directory runs, every loaded
OpenBLAS library (numpy's and scipy's) is limited to one thread; the previous setting
is restored afterwards, so other packages' tests are unaffected.
"""
from __future__ import annotations

import ctypes
from collections.abc import Iterator

import numpy  # noqa: F401  (load the BLAS libraries before looking for them)
import pytest
import scipy.linalg  # noqa: F401

_PREFIXES = ("openblas", "scipy_openblas")
_SUFFIXES = ("", "64_")


def _openblas_handles() -> list[tuple[ctypes.CDLL, str]]:
    try:
        with open("/proc/self/maps") as fh:
            paths = sorted({line.split()[-1] for line in fh if "openblas" in line.lower() and "/" in line})
    except OSError:
        return []
    found = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for pre in _PREFIXES:
            for suf in _SUFFIXES:
                if hasattr(lib, f"{pre}_set_num_threads{suf}") and hasattr(lib, f"{pre}_get_num_threads{suf}"):
                    found.append((lib, f"{pre}_%s_num_threads{suf}"))
                    break
            else:
                continue
            break
    return found


_HANDLES = _openblas_handles()


@pytest.fixture(autouse=True)
def _one_blas_thread() -> Iterator[None]:
    previous = [(lib, pat, getattr(lib, pat % "get")()) for lib, pat in _HANDLES]
    for lib, pat, _ in previous:
        getattr(lib, pat % "set")(1)
    yield
    for lib, pat, n in previous:
        getattr(lib, pat % "set")(int(n))

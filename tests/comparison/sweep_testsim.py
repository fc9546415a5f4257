"""A test simulator for sweeps: the 1D perceptron with planted faults.

Importable by dask worker processes (tests/comparison is on sys.path through
conftest.py, and spawned workers inherit sys.path).
"""
from __future__ import annotations

import os
import time
import uuid
from typing import Any


def flaky(N: int, eps: float, n_replicas: int = 10, seed: int = 0, fail: bool = False,
          die_marker: str | None = None, sleep: float = 0.0, count_dir: str | None = None,
          progress: bool = False) -> Any:
    """``perceptron_theory.simulate_exponential`` plus faults.

    fail: raise RuntimeError; die_marker: the first call (marker file absent)
    creates the marker and kills its process with os._exit; count_dir: one file
    per call (counts executions); sleep: seconds to wait first.
    """
    import perceptron_theory as pt

    if count_dir:
        open(os.path.join(count_dir, f"{seed}-{uuid.uuid4().hex}"), "w").close()
    if sleep:
        time.sleep(sleep)
    if fail:
        raise RuntimeError(f"planted failure (seed {seed})")
    if die_marker:
        try:  # exactly one call creates the marker (O_EXCL) and dies
            fd = os.open(die_marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            pass
        else:
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            os._exit(17)
    return pt.simulate_exponential(N=N, eps=eps, n_replicas=n_replicas, seed=seed, progress=False)

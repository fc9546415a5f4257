"""Child seeds: every random stream of a job derives from its one recorded ``seed``.

Independent streams come from :meth:`numpy.random.SeedSequence.spawn`, never from
``seed + 100``-style offsets (which collide across jobs: seed 100's first stream is
seed 0's second). Children are returned as plain integers so that they can be
recorded in manifests and passed to simulators that take an ``int`` seed.

>>> child_seeds(0, 3) == child_seeds(0, 3)
True
>>> len(set(child_seeds(0, 5) + child_seeds(1, 5)))
10
"""
from __future__ import annotations

import numpy as np

__all__ = ["child_seeds", "child_seed"]


def child_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent integer seeds (in [0, 2**63)) spawned from ``seed``."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be an integer >= 0, got {n!r}")
    return [child_seed(seed, k) for k in range(n)]


def child_seed(seed: int, k: int) -> int:
    """The ``k``-th child of ``seed`` (the same as ``child_seeds(seed, n)[k]`` for any n > k).

    >>> child_seed(7, 2) == child_seeds(7, 3)[2]
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    ss = np.random.SeedSequence(int(seed), spawn_key=(int(k),))
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))

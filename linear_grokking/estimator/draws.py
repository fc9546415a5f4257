r"""Random draws of the linear teacher-student model, one explicit child seed per run.

Run r uses ``numpy.random.default_rng(SeedSequence(seed, spawn_key=(r,)))`` and draws, in this order,
the training inputs ``X`` (N_tr, d_in), the teacher ``T`` and the student ``S0 / alpha`` (d_in, d_out),
each :math:`N(0, 1/(2 d_{in} d_{out}))` (Levi et al., below Eq. 1), and last the test inputs, so
the trajectory of run r does not depend on the number of runs, the chunking or the test-set size.

Examples
--------
>>> a = draw_runs(3, range(2), d_in=4, n_train=5, d_out=2, n_test=7, alpha=1.0, )
>>> b = draw_runs(3, range(1, 2), d_in=4, n_train=5, d_out=2, n_test=9, alpha=1.0)
>>> a["X"].shape, a["T"].shape, a["X_test"].shape, bool((a["X"][1] == b["X"][0]).all())
((2, 5, 4), (2, 4, 2), (2, 7, 4), True)
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["draw_runs"]


def draw_runs(seed: int, runs: Iterable[int], *, d_in: int, n_train: int, d_out: int, n_test: int,
              alpha: float) -> dict[str, np.ndarray]:
    """Stacked draws ``X, T, S0, X_test`` for the given run indices (leading axis = run)."""
    sd = 1.0 / np.sqrt(2.0 * d_in * d_out)
    out: dict[str, list[np.ndarray]] = {"X": [], "T": [], "S0": [], "X_test": []}
    for r in runs:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(r),)))
        out["X"].append(rng.standard_normal((n_train, d_in)))
        out["T"].append(sd * rng.standard_normal((d_in, d_out)))
        out["S0"].append(alpha * sd * rng.standard_normal((d_in, d_out)))
        out["X_test"].append(rng.standard_normal((n_test, d_in)))
    return {k: np.stack(v) for k, v in out.items()}

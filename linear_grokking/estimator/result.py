"""The in-memory result of the estimator simulator (the grokcheck simulator contract: config, curves, summary, features).

Examples
--------
>>> import pandas as pd, numpy as np
>>> res = EstimatorResult({"generator": "x"}, pd.DataFrame({"run": [0, 0, 1, 1], "t": [0., 1., 0., 1.],
...                       "gen_loss": [1., .5, 1., .7]}), pd.DataFrame({"run": [0, 1]}))
>>> t, L = res.curve_matrix("gen_loss")
>>> t.tolist(), L.tolist(), res.n_runs
([0.0, 1.0], [[1.0, 0.5], [1.0, 0.7]], 2)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["EstimatorResult"]


@dataclass
class EstimatorResult:
    """Tidy output of :func:`~linear_grokking.estimator.simulate.simulate_estimator`.

    Attributes
    ----------
    config : JSON-serialisable dict: ``generator``, every parameter, the seed, ``time_unit``.
    curves : one row per (run, t): ``run, t, train_loss, gen_loss, test_loss, train_acc, test_acc,
        train_error, test_error`` (``gen_loss`` is the expectation ``||D||^2 / d_out`` of Eq. 2,
        ``test_loss`` its estimate on the finite test sample).
    summary : one row per run: ``run, t_star_tr, t_star_gen, dt_grok, t_star_acc_tr, t_star_acc_gen,
        L_tr_inf, L_gen_inf, L_gen_final, loss_target, generalises, diverged, status`` and the
        contract's ``t_train, t_eps, t_G, groks``.
    features : named arrays, e.g. ``eigenvalues`` ``(n_runs, d_in)`` when requested.
    """

    config: dict[str, Any]
    curves: pd.DataFrame
    summary: pd.DataFrame
    features: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_runs(self) -> int:
        return int(len(self.summary))

    def curve_matrix(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """``(t, values)``: the common time grid ``(n_t,)`` and ``column`` as an ``(n_runs, n_t)`` matrix."""
        if column not in self.curves:
            raise ValueError(f"column must be one of {', '.join(c for c in self.curves if c not in ('run', 't'))}, "
                             f"got {column!r}")
        wide = self.curves.pivot(index="run", columns="t", values=column).sort_index()
        return wide.columns.to_numpy(dtype=float), wide.to_numpy(dtype=float)

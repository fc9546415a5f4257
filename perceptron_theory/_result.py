"""The in-memory result of a simulation (shared contract of all grokcheck simulators)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SimulationResult"]


@dataclass
class SimulationResult:
    """Tidy output of a simulator.

    Attributes
    ----------
    config : JSON-serialisable dict: generator name, every parameter, the seed.
    curves : long table with one row per (run, t): ``run, t, test_error, train_error``.
    summary : one row per run: ``run, t_train, t_eps, t_G, groks, status, diverged`` + extras.
    features : named arrays (e.g. ``w_final``), possibly empty.
    """

    config: dict[str, Any]
    curves: pd.DataFrame
    summary: pd.DataFrame
    features: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_runs(self) -> int:
        return int(len(self.summary))

    @property
    def n_generalised_at_init(self) -> int:
        """Replicas with zero test error already at t = 0 (summary column ``generalised_at_init``;
        0 when a simulator does not record it). Their t_G is 0 exactly; t_G laws exclude them."""
        if "generalised_at_init" not in self.summary:
            return 0
        return int(self.summary["generalised_at_init"].to_numpy(dtype=bool).sum())

    def grokking_fraction(self) -> tuple[float, float]:
        """Fraction of non-diverged runs that grok, with its binomial standard error."""
        ok = self.summary.loc[~self.summary["diverged"], "groks"].to_numpy(dtype=bool)
        if ok.size == 0:
            raise ValueError("no non-diverged runs")
        p = float(ok.mean())
        # floor p(1-p) at 1/n so that an all-or-nothing sample keeps a finite error bar
        return p, float(np.sqrt(max(p * (1 - p), 1.0 / ok.size) / ok.size))

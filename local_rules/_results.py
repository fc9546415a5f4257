"""Result containers shared by the scenarios: the simulator output contract of
:class:`perceptron_theory.SimulationResult` (config, curves, summary, features), plus the
run-averaged curve."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from perceptron_theory._result import SimulationResult

__all__ = ["ScenarioBResult", "ScenarioAResult", "mean_curve"]


def mean_curve(curves: pd.DataFrame, summary: pd.DataFrame, column: str = "test_error",
               by: str = "t") -> pd.DataFrame:
    """Average ``column`` over runs at equal ``by`` (``"t"`` or ``"tau"``), excluding diverged runs.

    Returns columns ``by, mean, sem, n``.
    """
    ok = set(summary.loc[~summary["diverged"].astype(bool), "run"].tolist())
    sub = curves[curves["run"].isin(ok)].dropna(subset=[by])
    g = sub.groupby(by)[column]
    out = pd.DataFrame({"mean": g.mean(), "sem": g.sem(), "n": g.size()}).reset_index()
    return out


@dataclass
class _Result(SimulationResult):
    def mean_curve(self, column: str = "test_error", by: str = "t") -> pd.DataFrame:
        """Run-averaged curve (diverged runs excluded), see :func:`mean_curve`."""
        return mean_curve(self.curves, self.summary, column, by)


@dataclass
class ScenarioBResult(_Result):
    """Scenario B (fixed context tensors): curves on a shared grid (``aligned == False``)
    and at ``t = t_eps - tau`` per run (``aligned == True``, column ``tau``)."""


@dataclass
class ScenarioAResult(_Result):
    """Scenario A (full training): curves at log-spaced checkpoints (``dense == False``)
    and at every step of the checkpoint interval that contains the run's t_eps (``dense == True``)."""

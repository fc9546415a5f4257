"""A toy simulator for the registry test and the docs' worked example (docs/comparison.md).

``simulate_toy`` plants E(t) = A (t_eps - t)^nu before each run's t_eps, so a fit must
recover ``nu``; no registered theory applies to it (measured quantities only).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from synthetic import planted_power_law_curves


@dataclass
class ToyResult:
    config: dict[str, Any]
    curves: pd.DataFrame
    summary: pd.DataFrame
    features: dict[str, Any] = field(default_factory=dict)


def simulate_toy(nu: float, n_runs: int = 20, seed: int = 0, progress: bool = False) -> ToyResult:
    curves, summary = planted_power_law_curves(nu, n_runs=n_runs, seed=seed, noise=0.02)
    config = {"generator": "toy_simulator.simulate_toy", "nu": nu, "n_runs": n_runs, "seed": seed}
    return ToyResult(config, curves, summary)

"""A coin with a known probability of "grokking", for the statistics of comparison.testing.

Each run groks with probability ``p`` exactly (independently); t_G ~ Exponential(mean ``scale``),
so the true P_grok is ``p`` and the true mean t_G is ``scale``: the false-alarm rate and the
power of ``agrees_with_simulation`` can be measured against an exact truth.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from comparison.simulators import SIMULATORS, Param, SimulatorSpec, register


@dataclass
class CoinResult:
    config: dict[str, Any]
    summary: pd.DataFrame
    curves: pd.DataFrame = field(default_factory=pd.DataFrame)
    features: dict[str, Any] = field(default_factory=dict)


def simulate_coin(p: float, scale: float = 1.0, n_runs: int = 100, seed: int = 0, progress: bool = False) -> CoinResult:
    rng = np.random.default_rng(seed)
    groks = rng.random(n_runs) < p
    t_g = np.where(groks, rng.exponential(scale, n_runs), np.nan)
    summary = pd.DataFrame({"run": np.arange(n_runs), "t_train": np.zeros(n_runs), "t_eps": t_g, "t_G": t_g,
                            "groks": groks, "diverged": np.zeros(n_runs, dtype=bool)})
    return CoinResult({"generator": "coin_simulator.simulate_coin", "p": p, "n_runs": n_runs, "seed": seed}, summary)


def ensure_registered() -> str:
    """Register the coin as simulator "coin" (once); returns its name."""
    if "coin" not in SIMULATORS:
        register(SimulatorSpec("coin", "coin_simulator:simulate_coin", "a coin with a known P_grok (tests)", "n_runs",
                               (Param("p", float, "probability of grokking", "--p", lo=0.0, hi=1.0),
                                Param("scale", float, "mean t_G", "--scale", lo=0.0, lo_open=True, hi=1e3),
                                Param("n_runs", int, "runs", "--runs", lo=1, hi=10 ** 7),
                                Param("seed", int, "seed", None, lo=0, hi=2 ** 63 - 1))))
    return "coin"

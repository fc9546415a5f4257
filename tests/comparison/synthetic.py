"""Planted synthetic data with known answers (shared by the comparison tests)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def planted_power_law_curves(nu: float, n_runs: int = 60, *, seed: int = 0, dt: float = 0.01,
                             t_end: float = 30.0, noise: float = 0.05, cap: float = 0.5,
                             exact_t_eps: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs with E(t) = min(cap, A_i (t_eps_i - t)^nu) before t_eps_i, 0 after.

    A_i ~ logUniform(0.02, 0.05), t_eps_i ~ Uniform(10, 20), multiplicative
    lognormal noise of scale ``noise`` per sample. Train error reaches 0 at
    t_eps_i - t_G,i with t_G,i ~ Exp(2).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, t_end + dt / 2, dt)
    rows = []
    summ = []
    for r in range(n_runs):
        te = rng.uniform(10, 20)
        A = np.exp(rng.uniform(np.log(0.02), np.log(0.05)))
        tg = rng.exponential(2.0)
        tau = te - t
        E = np.where(tau > 0, np.minimum(cap, A * np.clip(tau, 0, None) ** nu), 0.0)
        E = np.where(E > 0, np.minimum(E * np.exp(noise * rng.standard_normal(t.size)), 1.0), 0.0)
        tr = np.where(t < te - tg, 0.3, 0.0)
        rows.append(pd.DataFrame({"run": r, "t": t, "test_error": E, "train_error": tr}))
        t_first_grid = t[np.argmax(t >= te)]
        summ.append({"run": r, "t_train": t[np.argmax(t >= te - tg)],
                     "t_eps": te if exact_t_eps else t_first_grid, "groks": True, "diverged": False})
    curves = pd.concat(rows, ignore_index=True)
    summary = pd.DataFrame(summ)
    summary["t_G"] = summary["t_eps"] - summary["t_train"]
    return curves, summary


class Result:
    """A minimal object with the simulator contract attributes."""

    def __init__(self, config, curves, summary, features=None):
        self.config = config
        self.curves = curves
        self.summary = summary
        self.features = features or {}

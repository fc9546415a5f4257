"""Memory estimates (bytes, peak of one call) of the registered simulators, used by the
guard in :mod:`comparison.simulators` before any work. Each takes the checked parameters;
the model packages' own estimates are used where they exist.

>>> cost_1d({"n_replicas": 1000, "N": 5}) > 0
True
"""
from __future__ import annotations

from typing import Any

__all__ = ['cost_1d', 'cost_ball', 'cost_rfm', 'cost_scenario_b', 'cost_scenario_a', 'cost_separability', 'cost_linear_estimator']


def cost_1d(p: dict[str, Any]) -> float:
    """Peak bytes of one ``perceptron-1d`` call with parameters ``p``."""
    R, N = p["n_replicas"], p["N"]
    r = min(p.get("chunk", 4096), R)
    return 8.0 * (6 * r * N + 700 * r + R * (12 + 3 * p.get("record_curves", True) * p.get("n_curve_points", 48)))


def cost_ball(p: dict[str, Any]) -> float:
    """Peak bytes of one ``perceptron-ball`` call with parameters ``p``."""
    R, N, D = p["n_replicas"], p["N"], p["D"]
    r = min(p.get("chunk", 256), R)
    grid = 0 if p.get("final_only", False) else p.get("n_grid", 160)
    curves = p.get("record_curves", True) * p.get("n_curve_points", 48)
    return 8.0 * (r * (6 * N * D + 3 * D * D + 2 * N * grid) + R * (3 * D + 16 + 3 * curves))


def cost_rfm(p: dict[str, Any]) -> float:
    """Peak bytes of one ``rfm`` call with parameters ``p``."""
    from modular_rfm import rfm_memory_bytes  # the package's own estimate: train and ~p^2 test pairs

    return rfm_memory_bytes(p["p"], p["train_frac"], op=p.get("op", "+"), n_iter=p.get("n_iter", 30),
                            gradient_path=p.get("gradient_path", "onehot"), keep_history=p.get("keep_history", False))


def cost_scenario_b(p: dict[str, Any]) -> float:
    """Peak bytes of one ``scenario-b`` call with parameters ``p``."""
    from local_rules import resolve_A, scenario_b_memory_bytes

    return scenario_b_memory_bytes(p["n_init"], p["n_times"], p["n_tau"], resolve_A(p["A"])[0].shape[0])


def cost_scenario_a(p: dict[str, Any]) -> float:
    """Peak bytes of one ``scenario-a`` call with parameters ``p``."""
    from local_rules import scenario_a_memory_bytes

    return scenario_a_memory_bytes(p["n_init"], p["n_steps"], p["d"], p["n_checkpoints"], p["deff_every"])


def cost_separability(p: dict[str, Any]) -> float:
    """Peak bytes of one ``separability`` call with parameters ``p``."""
    R, N, d, P = p["n_seeds"], p["N"], p["d"], p.get("n_points", 64)
    return 8.0 * (R * (4 * N * d + 3 * d * d + 6 * N + 4 * d) + 31 * R * (P + 1))


def cost_linear_estimator(p: dict[str, Any]) -> float:
    """Peak bytes of one ``linear-estimator`` call with parameters ``p``."""
    from linear_grokking.estimator import contract_memory_bytes  # the package's own estimate

    return contract_memory_bytes(p["d_in"], p["lam"], d_out=p.get("d_out", 1), n_test=p.get("n_test", 1000),
                                 n_seeds=p["n_seeds"], chunk=p.get("chunk"), n_points=p.get("n_points", 64))

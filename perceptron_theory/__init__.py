r"""perceptron_theory: the solvable perceptron grokking models and their direct simulation.

Žunkovič & Ilievski, "Grokking phase transitions in learning local rules with gradient
descent", JMLR 25(199), 2024 (arXiv:2210.15435), sec. 3 and apps. A-B. Equation
numbers in docstrings are the paper's; see ``docs/errata.md`` for corrections.

Modules
-------
exponential   the 1D exponential model (sec. 3.2, app. A)
ball          the D-ball model (sec. 3.3, app. B)
flow          exact gradient flows (Eq. 21; event-driven for L1)
simulate      direct simulation of both models
verification  theory-vs-simulation table
time_law_study the ball t_G law as three questions (derivation / approximation / real model)
symbolic      sympy derivations used by the tests (imported on demand: it loads sympy)
"""
from __future__ import annotations

from . import ball, exponential, flow
from ._result import SimulationResult
from .ball import critical_exponent
from .flow import L1Flow, LinearFlow, exact_flow, l1_flow, l1_stationary
from .simulate import sample_ball, simulate_ball, simulate_exponential
from .time_law_study import ball_time_law_study
from .verification import DEFAULT_GRID, verification_table
from .verification_view import VerificationTable

__all__ = [
    "ball",
    "exponential",
    "flow",
    "SimulationResult",
    "critical_exponent",
    "LinearFlow",
    "L1Flow",
    "exact_flow",
    "l1_flow",
    "l1_stationary",
    "sample_ball",
    "simulate_ball",
    "simulate_exponential",
    "verification_table",
    "VerificationTable",
    "ball_time_law_study",
    "DEFAULT_GRID",
]

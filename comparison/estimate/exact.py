"""The single verdict rule as a tail probability, for every kind of comparison.

|z| < 4 is applied as "two-sided p ≥ P_TOL = erfc(4/√2) ≈ 6.3e-5" with the test that
fits the data: the exact binomial test (two-sided mid-p) for counts such as the
number of grokking runs against P_grok — always, not only near 0 and 1 — and the
normal tail of z for estimates with a standard error. The implementation lives in
:mod:`perceptron_theory.exact_tests` (the verification table uses it too); this
module is the estimators' face on it plus :func:`estimate_p`.

>>> from comparison.estimate.exact import P_TOL, binomial_verdict_p
>>> binomial_verdict_p(6, 1000, 5.325e-08) < P_TOL
True
>>> round(estimate_p(4.0) / P_TOL, 6)
1.0
"""
from __future__ import annotations

import math

from perceptron_theory.exact_tests import P_TOL, Z_TOL, binomial_ci, binomial_verdict_p, count_verdict, p_to_z, z_to_p

__all__ = ["P_TOL", "Z_TOL", "binomial_verdict_p", "binomial_ci", "count_verdict", "z_to_p", "p_to_z", "estimate_p"]


def estimate_p(z: float, kind: str = "estimate") -> float:
    """Tail probability of a z-score for a verdict ``kind``: two-sided for "estimate"; for a
    "lower bound" / "upper bound" the one-sided tail on the wrong side, doubled so that the same
    P_TOL applies (a bound is violated when the measurement lies ≥ 4 s.e. on its wrong side).

    >>> estimate_p(3.0, "lower bound")
    1.0
    """
    if not math.isfinite(z):
        return 0.0 if kind == "estimate" or (kind == "lower bound") == (z < 0) else 1.0
    if kind == "lower bound":
        return 1.0 if z >= 0 else z_to_p(z)
    if kind == "upper bound":
        return 1.0 if z <= 0 else z_to_p(z)
    return z_to_p(z)

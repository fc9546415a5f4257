r"""Power of the verdict tests: what a given number of replicas can detect, and how many are needed.

A pass means something only together with the discrepancy the test could have seen.
For a probability measured as k grokking replicas of n, the verdict is the exact
two-sided binomial mid-p test of :mod:`comparison.estimate.exact` at level α (the
report's single rule: α = :data:`~comparison.estimate.exact.P_TOL` = 6.3·10⁻⁵, the 4σ
tail; a property run over K examples uses a smaller per-example α, see
:func:`per_example_alpha`). Its power against a true probability p₁ is computed
exactly:

.. math:: \mathrm{power}(n, p_0, p_1) = \sum_{k\,:\,p(k; n, p_0) < \alpha} \binom{n}{k} p_1^k (1-p_1)^{n-k}.

For a mean with standard error s (a z-test), power(δ) = Φ(δ/s − z_{α/2}) + Φ(−δ/s − z_{α/2}),
with z_{α/2} the two-sided critical value.

* :func:`binomial_power`, :func:`binomial_replicas` (the smallest n reaching a target
  power, 80 % by default), :func:`binomial_detectable` (the smallest |p₁ − p₀| detected
  with that power at n);
* :func:`z_power`, :func:`z_replicas`, :func:`z_detectable` for means;
* :func:`per_example_alpha`: α per example so that a run of K examples raises a false
  alarm with probability at most ``family_alpha`` (Bonferroni), never looser than the
  report's rule.

The power functions and :func:`detectable` (the verdict rows' column) are implemented once, in
:mod:`perceptron_theory.power`, and re-exported here: the perceptron verification table (model
layer, which may not import comparison) shows the same column from the same code.

Examples
--------
>>> n = binomial_replicas(0.5, 0.05, alpha=0.01)      # detect 0.50 vs 0.55 at 80 % power, α = 1 %
>>> n, round(binomial_power(n, 0.5, 0.55, alpha=0.01), 3)
(1162, 0.805)
>>> round(binomial_detectable(n, 0.5, alpha=0.01), 4)
0.0497
"""
from __future__ import annotations

import math

# the shared implementation lives in the model layer (the perceptron verification table uses it too)
from perceptron_theory.power import (POWER, binomial_detectable, binomial_power, binomial_rejects, check_alpha,
                                     check_p, detectable, z_detectable, z_power)

from ..estimate.exact import P_TOL

__all__ = ["binomial_power", "binomial_replicas", "binomial_detectable", "binomial_rejects", "z_power",
           "z_replicas", "z_detectable", "per_example_alpha", "POWER", "detectable"]


def binomial_replicas(p0: float, delta: float, *, power: float = POWER, alpha: float = P_TOL,
                      n_max: int = 10 ** 7) -> int:
    """Smallest n at which the exact test rejects p0 with probability ≥ ``power`` when the truth is p0 + delta.

    Found by bisection from the normal approximation. The exact power is a saw-tooth in n
    (the lattice of k moves the rejection region): the n returned reaches the target, so do
    most (≥ 85 % in the tests) of the n up to 10 % above it and few (< 20 %) of those up to
    10 % below. ValueError
    when p0 + delta leaves [0, 1] or more than ``n_max`` replicas would be needed.

    >>> binomial_replicas(0.74, -0.04)                   # the Eq. 86 gap at D = 4, N = 30, eps = 1.03
    2908
    """
    p0, p1 = check_p("p0", p0), float(p0) + float(delta)
    if delta == 0 or not 0.0 <= p1 <= 1.0:
        raise ValueError(f"p0 + delta must lie in [0, 1] and differ from p0, got p0={p0!r}, delta={delta!r}")
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must lie in (0, 1), got {power!r}")
    from scipy.special import ndtri

    za, zb = -ndtri(check_alpha(alpha) / 2), ndtri(power)
    sd0, sd1 = math.sqrt(max(p0 * (1 - p0), 1e-12)), math.sqrt(max(p1 * (1 - p1), 1e-12))
    guess = max(1, int(((za * sd0 + zb * sd1) / abs(delta)) ** 2))
    lo, hi = max(1, guess // 4), min(n_max, 4 * guess + 16)
    while binomial_power(hi, p0, p1, alpha=alpha) < power:
        if hi >= n_max:
            raise ValueError(f"more than n_max={n_max} replicas are needed to detect p = {p1:.6g} against {p0:.6g}")
        lo, hi = hi, min(n_max, 4 * hi)
    if binomial_power(lo, p0, p1, alpha=alpha) >= power:
        lo = 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if binomial_power(mid, p0, p1, alpha=alpha) >= power else (mid, hi)
    return int(hi)


def z_replicas(sd: float, delta: float, *, power: float = POWER, alpha: float = P_TOL) -> int:
    """Smallest n with z_detectable(sd/√n) ≤ |delta|: the runs needed to see a mean off by ``delta``
    when one run's spread is ``sd``.

    >>> z_replicas(1.0, 0.1)
    2345
    """
    if not (sd > 0 and delta != 0):
        raise ValueError(f"sd must be > 0 and delta != 0, got sd={sd!r}, delta={delta!r}")
    n = max(1, math.ceil((z_detectable(1.0, power=power, alpha=alpha) * sd / abs(delta)) ** 2))
    return int(n)


def per_example_alpha(n_examples: int, family_alpha: float = 0.01) -> float:
    """α for each of ``n_examples`` tests so that any false alarm over the run has probability ≤
    ``family_alpha`` (Bonferroni: family_alpha / K), capped at the report's rule P_TOL.

    >>> per_example_alpha(20) == P_TOL, per_example_alpha(1000)
    (True, 1e-05)
    """
    k = int(n_examples)
    if k < 1:
        raise ValueError(f"n_examples must be >= 1, got {n_examples!r}")
    return min(P_TOL, check_alpha(family_alpha) / k)

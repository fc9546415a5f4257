r"""Power of the exact verdict tests: the smallest discrepancy a row could have detected.

The one implementation of the ``detectable`` column — of the perceptron verification table
(:func:`~perceptron_theory.verification_table`) and of every comparison verdict row
(``comparison.agreement.power`` re-exports these functions; the model layer may not import
comparison, so the shared code lives here, beside :mod:`~perceptron_theory.exact_tests`).

For a count k of n the verdict is the exact two-sided binomial mid-p test at level α
(:data:`~perceptron_theory.exact_tests.P_TOL`, the 4σ tail); its power against a true
probability p₁ is exact: the Binomial(n, p₁) mass of the rejection region. For an estimate
with standard error s (a z-test), power(δ) = Φ(δ/s − z_{α/2}) + Φ(−δ/s − z_{α/2}).

Examples
--------
>>> round(binomial_power(400, 0.7, 0.75), 3)          # 400 replicas barely see a 0.05 error
0.035
>>> round(z_detectable(1.0), 3)                        # z_{α/2} + z_β = 4.0 + 0.84
4.842
>>> round(detectable(kind="estimate", se=0.01), 4), detectable(kind="estimate", n=10, p0=0.5, count=True)
(0.0484, inf)
"""
from __future__ import annotations

import math

import numpy as np

from .exact_tests import P_TOL, binom_tails_logspace

__all__ = ["binomial_power", "binomial_detectable", "binomial_rejects", "z_power", "z_detectable",
           "detectable", "POWER", "check_p", "check_alpha"]

#: The default target power ("would have caught it with probability 80 %").
POWER = 0.8


def check_p(name: str, p: float) -> float:
    """``p`` as a float in [0, 1] (ValueError naming ``name`` otherwise)."""
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {p!r}")
    return p


def check_alpha(alpha: float) -> float:
    """``alpha`` as a float in (0, 1) (ValueError otherwise)."""
    alpha = float(alpha)
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    return alpha


def binomial_rejects(n: int, p0: float, *, alpha: float = P_TOL) -> np.ndarray:
    """Boolean array over k = 0..n: does the exact two-sided mid-p test reject p0 at level ``alpha``?

    The same p-value as :func:`~perceptron_theory.exact_tests.binomial_verdict_p`, for every k at once.

    >>> np.flatnonzero(binomial_rejects(20, 0.5, alpha=0.05)).tolist()
    [0, 1, 2, 3, 4, 5, 15, 16, 17, 18, 19, 20]
    """
    from scipy import stats

    n, p0, alpha = int(n), check_p("p0", p0), check_alpha(alpha)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    k = np.arange(n + 1)
    if p0 in (0.0, 1.0):
        return k != round(p0 * n)
    try:
        pk = stats.binom.pmf(k, n, p0)
        lo = stats.binom.cdf(k - 1, n, p0)
        hi = stats.binom.sf(k, n, p0)
    except OverflowError:  # scipy's pmf at a subnormal p0 (found by hypothesis): the pmf in log space
        pk, lo, hi = binom_tails_logspace(n, p0)
    p = np.minimum(1.0, 2.0 * np.minimum(lo + 0.5 * pk, hi + 0.5 * pk))
    return p < alpha


def _region(n: int, p0: float, alpha: float) -> tuple[int, int]:
    """The rejection region of the exact test as (a, b): reject when k <= a or k >= b (a = -1 or
    b = n + 1 when a side is empty; the mid-p p-value is unimodal in k, so the region is two tails)."""
    rej = binomial_rejects(n, p0, alpha=alpha)
    k = np.arange(int(n) + 1)
    mode = int(round(p0 * n))
    lower, upper = k[rej & (k < mode)], k[rej & (k > mode)]
    return (int(lower.max()) if lower.size else -1), (int(upper.min()) if upper.size else int(n) + 1)


def _tails(n: int, a: int, b: int, p1: float) -> float:
    """P(K <= a) + P(K >= b) for K ~ Binomial(n, p1) (scipy.special's bdtr/bdtrc: no per-call overhead)."""
    from scipy.special import bdtr, bdtrc

    low = float(bdtr(a, n, p1)) if a >= 0 else 0.0
    high = (float(bdtrc(b - 1, n, p1)) if b >= 1 else 1.0) if b <= n else 0.0
    return low + high


def binomial_power(n: int, p0: float, p1: float, *, alpha: float = P_TOL) -> float:
    """Probability that k ~ Binomial(n, p1) makes the exact test reject p0 at level ``alpha``.

    >>> round(binomial_power(400, 0.7, 0.75, alpha=P_TOL), 3)   # 400 replicas barely see a 0.05 error
    0.035
    """
    p1 = check_p("p1", p1)
    return _tails(int(n), *_region(int(n), p0, alpha), p1)


def binomial_detectable(n: int, p0: float, *, power: float = POWER, alpha: float = P_TOL) -> float:
    """The smallest |p1 − p0| that n replicas detect with probability ≥ ``power``, on either side
    (the larger of the two sides' minima; a side too narrow to hold a detectable p1, near 0 or 1,
    is ignored; inf when neither side is detectable).

    >>> round(binomial_detectable(2000, 0.74), 4)      # what 2000 replicas see at P = 0.74 (4σ rule)
    0.0485
    """
    p0 = check_p("p0", p0)
    n = int(n)
    a, b = _region(n, p0, alpha)
    found = []
    for side in (1.0, -1.0):
        room = (1.0 - p0) if side > 0 else p0
        if room <= 0 or _tails(n, a, b, p0 + side * room) < power:
            continue  # no alternative on this side is detected: the side is too narrow at this n
        lo, hi = 0.0, room
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if _tails(n, a, b, p0 + side * mid) >= power else (mid, hi)
        found.append(hi)
    return max(found) if found else math.inf


def _z_crit(alpha: float) -> float:
    from scipy.special import ndtri

    return float(-ndtri(check_alpha(alpha) / 2))


def z_power(delta: float, se: float, *, alpha: float = P_TOL) -> float:
    """Power of the two-sided z-test at level ``alpha`` against a true offset ``delta`` (standard error ``se``).

    >>> round(z_power(0.0, 1.0, alpha=0.05), 3), round(z_power(4.0 + 0.8416, 1.0), 3)
    (0.05, 0.8)
    """
    from scipy.special import ndtr

    if not se > 0:
        raise ValueError(f"se must be > 0, got {se!r}")
    z, r = _z_crit(alpha), abs(float(delta)) / float(se)
    return float(ndtr(r - z) + ndtr(-r - z))


def z_detectable(se: float, *, power: float = POWER, alpha: float = P_TOL) -> float:
    """The smallest |δ| a z-test with standard error ``se`` detects with probability ≥ ``power``.

    >>> round(z_detectable(1.0), 3)                     # z_{α/2} + z_β = 4.0 + 0.84
    4.842
    """
    from scipy.optimize import brentq
    from scipy.special import ndtri

    z = _z_crit(alpha)
    return float(brentq(lambda d: z_power(d, se, alpha=alpha) - power, 0.0, (z + ndtri(power) + 2) * se))


def detectable(*, kind: str, se: float = math.nan, n: int = 0, p0: float = math.nan, count: bool = False,
               alpha: float = P_TOL, power: float = POWER) -> float:
    """The ``detectable`` cell of a verdict row: the smallest true discrepancy its own test sees
    with probability ``power``.

    ``count``: the exact binomial test of ``p0`` at ``n`` (:func:`binomial_detectable`; inf when
    nothing is detectable); else the z-test with standard error ``se`` — two-sided
    (:func:`z_detectable`) for ``kind`` "estimate", one-sided, exactly (z_{α/2} + z_power)·se,
    for a bound (``kind`` containing "bound"). NaN without a finite, positive ``se`` (or n < 1).

    >>> round(detectable(kind="lower bound", se=1.0), 4)
    4.8416
    """
    if count:
        return binomial_detectable(int(n), min(max(float(p0), 0.0), 1.0), power=power, alpha=alpha) \
            if int(n) > 0 else math.nan
    if not (isinstance(se, (int, float)) and math.isfinite(se) and se > 0):
        return math.nan
    if "bound" in kind:
        from scipy.special import ndtri

        return float((_z_crit(alpha) + ndtri(power)) * se)
    return z_detectable(float(se), power=power, alpha=alpha)

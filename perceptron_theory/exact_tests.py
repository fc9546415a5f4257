r"""Exact tail probabilities behind the single verdict rule |z| < 4.

The rule "a measurement agrees with a prediction when |z| < 4" is applied as its
tail probability: a row agrees when the two-sided p-value of the test that fits
the data is at least :data:`P_TOL` = erfc(4/√2) ≈ 6.33e-5 (the two-sided normal
tail at 4σ). For a count (k successes in n trials, e.g. the number of grokking
replicas against P_grok) the p-value is the exact binomial one — always, not
only near 0 and 1 — since the normal approximation with a floored standard
error is wrong for rare events (6 grokking replicas in 1000 at p0 = 5e-8 has
probability ~1e-29, while the floored z is 2.5).

:func:`binomial_verdict_p` is the two-sided mid-p-value (Lancaster 1961; the
doubled smaller one-sided mid-p tail), with ``method="exact"`` the
Clopper-Pearson-consistent doubled exact tail, and ``method="minlike"`` scipy's
``binomtest`` p-value. :func:`z_to_p` / :func:`p_to_z` convert between the two
forms of the rule.

Examples
--------
>>> round(P_TOL, 7)
6.33e-05
>>> binomial_verdict_p(6, 1000, 5.325e-08) < P_TOL     # the Eq. 30 row of the demo: rejected
True
>>> binomial_verdict_p(6, 1000, 0.003463) > P_TOL      # first order: kept
True
>>> round(p_to_z(z_to_p(4.0)), 6)
4.0
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["Z_TOL", "P_TOL", "z_to_p", "p_to_z", "binomial_verdict_p", "binomial_ci", "count_verdict",
           "binom_tails_logspace"]

Z_TOL = 4.0
#: The 4σ rule as a two-sided tail probability.
P_TOL = math.erfc(Z_TOL / math.sqrt(2.0))


def z_to_p(z: float) -> float:
    """Two-sided normal tail probability of a z-score: P(|Z| ≥ |z|) = erfc(|z|/√2).

    >>> z_to_p(0.0)
    1.0
    """
    return 1.0 if z == 0 else math.erfc(abs(float(z)) / math.sqrt(2.0))


def p_to_z(p: float) -> float:
    """The |z| whose two-sided normal tail is ``p`` (0 < p ≤ 1); inf for p = 0.

    >>> round(p_to_z(0.05), 3)
    1.96
    """
    from scipy.special import ndtri

    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must lie in [0, 1], got {p}")
    return math.inf if p == 0 else float(-ndtri(p / 2.0))


def _check_count(k: int, n: int, p0: float) -> tuple[int, int, float]:
    k, n, p0 = int(k), int(n), float(p0)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if not 0 <= k <= n:
        raise ValueError(f"k must lie in [0, n = {n}], got {k}")
    if not (0.0 <= p0 <= 1.0):
        raise ValueError(f"p0 must lie in [0, 1], got {p0}")
    return k, n, p0


def binom_tails_logspace(n: int, p0: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """pmf(k), P(K < k), P(K > k) for k = 0..n, K ~ Bin(n, p0), from log C(n, k) + k log p0 +
    (n - k) log(1 - p0): finite where scipy's incomplete beta overflows (subnormal p0).

    >>> pk, below, above = binom_tails_logspace(2, 0.5)
    >>> pk.tolist(), below.tolist(), above.tolist()
    ([0.25, 0.5, 0.25], [0.0, 0.25, 0.75], [0.75, 0.25, 0.0])
    """
    from scipy.special import gammaln

    k = np.arange(n + 1)
    pk = np.exp(gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1) + k * np.log(p0) + (n - k) * np.log1p(-p0))
    below = np.concatenate(([0.0], np.cumsum(pk)[:-1]))
    above = np.concatenate((np.cumsum(pk[::-1])[::-1][1:], [0.0]))
    return pk, below, above


def binomial_verdict_p(k: int, n: int, p0: float, *, method: str = "midp") -> float:
    """Two-sided p-value of k successes in n Bernoulli(p0) trials.

    ``method``: "midp" (default; 2·min(P(X<k) + P(X=k)/2, P(X>k) + P(X=k)/2), capped at 1),
    "exact" (2·min(P(X≤k), P(X≥k)), capped at 1: the test dual to Clopper-Pearson) or
    "minlike" (``scipy.stats.binomtest(k, n, p0).pvalue``). p0 = 0 or 1 gives 1 when the
    data are the only possible outcome and 0 otherwise.

    >>> binomial_verdict_p(0, 10, 0.0)
    1.0
    >>> binomial_verdict_p(1, 10, 0.0)
    0.0
    >>> round(binomial_verdict_p(5, 10, 0.5), 6)
    1.0
    """
    from scipy import stats

    k, n, p0 = _check_count(k, n, p0)
    if p0 in (0.0, 1.0):
        return 1.0 if k == round(p0 * n) else 0.0
    if method == "minlike":
        return float(stats.binomtest(k, n, p0).pvalue)
    try:
        lo_strict = float(stats.binom.cdf(k - 1, n, p0)) if k > 0 else 0.0   # P(X < k)
        hi_strict = float(stats.binom.sf(k, n, p0))                           # P(X > k)
        pk = float(stats.binom.pmf(k, n, p0))
    except OverflowError:   # scipy's incomplete beta at a subnormal p0: the sums in log space
        pks, below, above = binom_tails_logspace(n, p0)
        lo_strict, hi_strict, pk = float(below[k]), float(above[k]), float(pks[k])
    if method == "midp":
        tail = min(lo_strict + 0.5 * pk, hi_strict + 0.5 * pk)
    elif method == "exact":
        tail = min(lo_strict + pk, hi_strict + pk)
    else:
        raise ValueError(f"method must be 'midp', 'exact' or 'minlike', got {method!r}")
    return float(min(1.0, 2.0 * tail))


def binomial_ci(k: int, n: int, *, level: float = 1.0 - P_TOL) -> tuple[float, float]:
    """Clopper-Pearson interval for k/n at ``level`` (default: the 4σ level, 1 − 6.3e-5).

    >>> lo, hi = binomial_ci(0, 100)
    >>> lo == 0.0 and 0.05 < hi < 0.1
    True
    """
    from scipy import stats

    k, n, _ = _check_count(k, n, 0.5)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


def count_verdict(k: int, n: int, p0: float, *, kind: str = "estimate") -> tuple[float, bool]:
    """(p-value, passes) for a count under the single rule; ``kind`` "estimate" is two-sided,
    "lower_bound"/"lower bound" one-sided (fails only when k is too small: P(X ≤ k) < P_TOL/2,
    the one-sided half of the rule), "upper bound" likewise from above.

    >>> count_verdict(6, 1000, 5.325e-08)[1]
    False
    >>> count_verdict(998, 1000, 0.0395, kind="lower bound")[1]
    True
    """
    from scipy import stats

    k, n, p0 = _check_count(k, n, p0)
    if kind in ("lower_bound", "lower bound", "upper bound", "upper_bound"):
        if kind.startswith("lower"):  # the measurement must not lie far below the bound
            p = 1.0 if p0 == 0 else float(stats.binom.cdf(k, n, p0))
        else:
            p = 1.0 if p0 == 1 else float(stats.binom.sf(k - 1, n, p0)) if k > 0 else 1.0
        return p, p >= P_TOL / 2.0
    p = binomial_verdict_p(k, n, p0)
    return p, p >= P_TOL

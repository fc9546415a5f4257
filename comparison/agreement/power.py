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

import numpy as np

from ..estimate.exact import P_TOL

__all__ = ["binomial_power", "binomial_replicas", "binomial_detectable", "binomial_rejects", "z_power",
           "z_replicas", "z_detectable", "per_example_alpha", "POWER"]

#: The default target power ("would have caught it with probability 80 %").
POWER = 0.8


def _check_p(name: str, p: float) -> float:
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {p!r}")
    return p


def _check_alpha(alpha: float) -> float:
    alpha = float(alpha)
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    return alpha


def binomial_rejects(n: int, p0: float, *, alpha: float = P_TOL) -> np.ndarray:
    """Boolean array over k = 0..n: does the exact two-sided mid-p test reject p0 at level ``alpha``?

    The same p-value as :func:`comparison.estimate.exact.binomial_verdict_p`, for every k at once.

    >>> np.flatnonzero(binomial_rejects(20, 0.5, alpha=0.05)).tolist()
    [0, 1, 2, 3, 4, 5, 15, 16, 17, 18, 19, 20]
    """
    from scipy import stats

    n, p0, alpha = int(n), _check_p("p0", p0), _check_alpha(alpha)
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
        from perceptron_theory.exact_tests import binom_tails_logspace

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
    p1 = _check_p("p1", p1)
    return _tails(int(n), *_region(int(n), p0, alpha), p1)


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
    p0, p1 = _check_p("p0", p0), float(p0) + float(delta)
    if delta == 0 or not 0.0 <= p1 <= 1.0:
        raise ValueError(f"p0 + delta must lie in [0, 1] and differ from p0, got p0={p0!r}, delta={delta!r}")
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must lie in (0, 1), got {power!r}")
    from scipy.special import ndtri

    za, zb = -ndtri(_check_alpha(alpha) / 2), ndtri(power)
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


def binomial_detectable(n: int, p0: float, *, power: float = POWER, alpha: float = P_TOL) -> float:
    """The smallest |p1 − p0| that n replicas detect with probability ≥ ``power``, on either side
    (the larger of the two sides' minima; a side too narrow to hold a detectable p1, near 0 or 1,
    is ignored; inf when neither side is detectable).

    >>> round(binomial_detectable(2000, 0.74), 4)      # what 2000 replicas see at P = 0.74 (4σ rule)
    0.0485
    """
    p0 = _check_p("p0", p0)
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

    return float(-ndtri(_check_alpha(alpha) / 2))


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
    return min(P_TOL, _check_alpha(family_alpha) / k)

"""Closed forms of Beck, Levi & Bar-Sinai (ICML 2025): Prop. 3.2, Wendel's law at finite N, asymptotic rates.

Conventions are this package's (see :mod:`.geometry`): labels +1, ``f = S.x + b``, the
generalising solution is ``b -> +inf``. The paper uses labels -1 and ``b -> -inf``;
``(S, b)_paper = -(S, b)_here``, norms and accuracies are the same.

* **Prop. 3.2** (exact, any training set, gradient flow, exponential-tailed loss): the run
  generalises perfectly iff the set is *not* separable from the origin; otherwise the test
  accuracy tends to ``A_gen = 1/2 [1 + erf(1/(sigma M sqrt 2))]`` (test points
  ``N(0, sigma^2 I)``, M the homogeneous margin of the training set, :func:`.geometry.margin`).
* **Soudry et al. 2018, Thm. 3** in the extended space ``w = (S, b)`` (paper sec. 3.2): on a
  separable set ``w(t) ~ w_SVM log t`` with ``w_SVM = (M u, 1)/(1 + M^2)``, u the max-margin
  direction; on a non-separable one ``w_SVM = (0, 1)``. This is the right column of Table 1
  for any N, d (:func:`asymptotic_rates`).
* **Prop. 3.3** (Wendel 1962; exact, symmetric law, any finite N, d):
  ``P_grok = 1 - P_sep`` (:func:`.geometry.p_grok_wendel`). Since ``P_sep`` is the binomial
  cdf ``P(Bin(N-1, 1/2) <= d-1)``, at large N with ``x = (1 - 2 lam) sqrt N`` fixed,
  ``P_grok -> Phi(x)`` (:func:`p_grok_scaling`): every N gives exactly 1/2 at ``lam = 1/2``
  (even N) and the curves for several N cross there, with width ``~ N^{-1/2}``.

Examples
--------
>>> round(limiting_accuracy(0.5, 2.0), 6)          # Phi(1) = 0.841345
0.841345
>>> limiting_accuracy(0.0, 3.0)                      # not separable: perfect generalisation
1.0
>>> asymptotic_rates(0.0)                            # (d|S|/dlog t, db/dlog t)
(0.0, 1.0)
>>> p_grok_scaling(100, 0.5)
0.5
"""
from __future__ import annotations

import math

import numpy as np

from .geometry import is_separable, margin

__all__ = ["generalises", "limiting_accuracy", "limiting_accuracy_of_set", "asymptotic_rates",
           "p_grok_scaling", "p_sep_binomial", "p_generalise_label_fraction"]


def generalises(X: np.ndarray) -> bool:
    """Prop. 3.2: True iff the training set ``X`` (N, d) is NOT separable from the origin (exact LP).

    >>> generalises(np.array([[1.0], [-1.0]])), generalises(np.array([[1.0], [2.0]]))
    (True, False)
    """
    return not is_separable(X)


def limiting_accuracy(M: float, sigma: float) -> float:
    """Prop. 3.2: ``A_gen = 1/2 [1 + erf(1/(sigma M sqrt 2))] = Phi(1/(sigma M))``; 1 for ``M = 0``.

    ``M`` is the homogeneous margin of the training set (distance from 0 to its convex hull,
    in the data's own units), ``sigma`` the test noise. Regime: ``t -> inf`` (the approach is
    ``O(1/log t)``, Soudry et al.).

    >>> round(limiting_accuracy(1.0, 1.0), 6)
    0.841345
    """
    if not (M >= 0 and math.isfinite(M)):
        raise ValueError(f"limiting_accuracy: M must be a finite margin >= 0, got {M}")
    if not (sigma > 0 and math.isfinite(sigma)):
        raise ValueError(f"limiting_accuracy: sigma must be finite and > 0, got {sigma}")
    if M == 0:
        return 1.0
    return 0.5 * (1.0 + math.erf(1.0 / (sigma * M * math.sqrt(2.0))))


def limiting_accuracy_of_set(X: np.ndarray, sigma: float) -> float:
    """Prop. 3.2 on a training set: 1 if not separable, else ``A_gen(margin(X), sigma)``.

    >>> round(limiting_accuracy_of_set(np.array([[1.0, 0.0], [0.0, 1.0]]), 1.0), 4)
    0.9214
    """
    return limiting_accuracy(margin(X), sigma)


def asymptotic_rates(M: float) -> tuple[float, float]:
    """Late-time growth ``(d|S|/d log t, d b/d log t) = (M, 1)/(1 + M^2)`` (Soudry Thm. 3; Table 1).

    ``M = 0`` (not separable) gives ``(0, 1)``: ``b ~ log t`` and ``S`` saturates.
    Hence ``b/|S| -> 1/M`` and ``A = Phi(b/(sigma |S|)) -> A_gen`` (Prop. 3.2).

    >>> asymptotic_rates(1.0)
    (0.5, 0.5)
    """
    if not (M >= 0 and math.isfinite(M)):
        raise ValueError(f"asymptotic_rates: M must be a finite margin >= 0, got {M}")
    return (M / (1.0 + M * M), 1.0 / (1.0 + M * M))


def p_sep_binomial(N: int, d: int) -> float:
    """Wendel's ``P_sep`` (Prop. 3.3) as the binomial cdf ``P(Bin(N-1, 1/2) <= d-1)`` (scipy).

    Numerically stable at large N, where the exact sum of :func:`.geometry.wendel_p_sep` is slow.

    >>> p_sep_binomial(4, 2)
    0.5
    """
    from scipy.stats import binom

    if N < 1 or d < 1:
        raise ValueError(f"p_sep_binomial: N and d must be >= 1, got N={N}, d={d}")
    if d >= N:
        return 1.0
    return float(binom.cdf(d - 1, N - 1, 0.5))


def p_grok_scaling(N: int, lam: float) -> float:
    """Finite-size scaling of Prop. 3.3: ``P_grok ~ Phi((N - 2d)/sqrt(N - 1))``, ``d = lam N``.

    The de Moivre-Laplace limit of ``1 - P(Bin(N-1, 1/2) <= d - 1)`` with the continuity
    correction; regime ``N -> inf`` with ``(1 - 2 lam) sqrt N`` fixed. Its ``N -> inf`` limit at fixed
    ``lam`` is :func:`.geometry.wendel_limit` (``lam_c = 1/2``).

    >>> round(p_grok_scaling(400, 0.45), 4)
    0.9774
    """
    from scipy.stats import norm

    if N < 2:
        raise ValueError(f"p_grok_scaling: N must be >= 2, got {N}")
    if not (lam > 0 and math.isfinite(lam)):
        raise ValueError(f"p_grok_scaling: lam must be finite and > 0, got {lam}")
    return float(norm.cdf((N - 2.0 * lam * N) / math.sqrt(N - 1.0)))


def p_generalise_label_fraction(N: int, d: int, label_fraction: float) -> float:
    """Probability of perfect generalisation at label fraction ``r`` (App. I reading of :mod:`.simulate`).

    A set generalises iff it has no ``-1`` label (probability ``r^N``, labels independent of the
    points) and its points are not separable from the origin (Prop. 3.2, Wendel's ``1 - P_sep``
    for the symmetric law): ``P = r^N (1 - P_sep(N, d))``. Exact at finite N; for any ``r < 1`` it
    tends to 0 as ``N -> inf`` at every ``lam``, so the transition at ``lam_c = 1/2`` is gone.

    >>> p_generalise_label_fraction(10, 5, 1.0), round(p_generalise_label_fraction(10, 5, 0.9), 6)
    (0.5, 0.174339)
    """
    from .geometry import p_grok_wendel

    if not 0 < label_fraction <= 1:
        raise ValueError(f"p_generalise_label_fraction: label_fraction must be in (0, 1], got {label_fraction}")
    return float(label_fraction ** N * p_grok_wendel(N, d))

"""Conformal time, the saturated weights S_inf (Prop. 3.4) and the sigma^2 speed-up (Prop. 3.5).

Late-time loss (Eq. 6, this package's signs): ``L_e = e^{-b} m(S)``, ``m(S) = (1/N) sum_i e^{-S.x_i}``.
Gradient flow (Eq. 7) has both rates proportional to ``e^{-b}``; in the conformal time
``tau = int e^{-b} dt`` (Eq. 8) the S-dynamics are those of the bias-free problem
``min_S m(S)``. On a set that is *not* separable from the origin ``m`` is coercive and has a
unique minimiser ``S_inf`` (:func:`s_infinity`), the saturation value of Prop. 3.2; it diverges
as the set approaches separability (Prop. 3.4: ``|S_inf| -> inf`` as ``lam -> 1/2^-``).

Prop. 3.5 (exact rescaling): with data ``x = sigma z`` and ``S~ = sigma S``, Eq. 7 reads
``dS~/dt = sigma^2 e^{-b} (1/N) sum e^{-S~.z} z``, ``db/dt = e^{-b} (1/N) sum e^{-S~.z}``:
the S-dynamics are faster by ``sigma^2``, b's are unchanged (:func:`s_relaxation_speedup`).

Frozen-S limit (our derivation from Eqs. 7-8, regime ``sigma -> inf`` then ``eps -> 0``; the paper's
Eq. 39 is its two-point case): S reaches ``S_inf`` before b moves, then ``e^{b} ~ eta m_inf t``;
the training loss ``e^{-b} m_inf`` and the population loss ``e^{-b + sigma^2 |S_inf|^2 / 2}``
(test points ``N(0, sigma^2 I)``) cross ``eps`` at times whose ratio is
``log(t*_gen / t*_tr) = sigma^2 |S_inf|^2 / 2 - log m_inf`` (:func:`log_delay_ratio`), independent of eps.

Examples
--------
>>> X = np.array([[-1.0], [0.5]])
>>> S = s_infinity(X)
>>> bool(np.isclose(S[0], -np.log(2.0) / 1.5))   # m'(S) = (e^{S} - 0.5 e^{-S/2})/2 = 0
True
"""
from __future__ import annotations

import math

import numpy as np

from .geometry import is_separable

__all__ = ["s_infinity", "mean_exp_loss", "log_delay_ratio", "s_relaxation_speedup"]


def mean_exp_loss(X: np.ndarray, S: np.ndarray) -> float:
    """``m(S) = (1/N) sum_i exp(-S.x_i)``: the bias-free exponential loss (Eq. 6 at b = 0)."""
    return float(np.mean(np.exp(-np.asarray(X, dtype=float) @ np.asarray(S, dtype=float))))


def s_infinity(X: np.ndarray, *, tol: float = 1e-10, max_iter: int = 200) -> np.ndarray:
    """``S_inf = argmin_S (1/N) sum_i e^{-S.x_i}`` (damped Newton; Props. 3.2, 3.4).

    Once the relative Newton decrement is below ``tol`` three full Newton steps polish the
    gradient to round-off. Exists iff ``X`` is not separable from the origin (else
    ``ValueError``); ``|S_inf|`` diverges as the set approaches separability.

    >>> np.round(s_infinity(np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])), 12)
    array([0., 0.])
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"s_infinity: X must have shape (N, d), got {X.shape}")
    if is_separable(X):
        raise ValueError("s_infinity: the set is separable from the origin, so S_inf is infinite")
    S, polish = np.zeros(X.shape[1]), 0
    for _ in range(max_iter):
        w = np.exp(-X @ S) / X.shape[0]
        g = -X.T @ w
        step = np.linalg.lstsq((X * w[:, None]).T @ X, -g, rcond=None)[0]
        f, dec = float(w.sum()), float(-g @ step)
        if dec / 2 < tol * f or polish:
            S, polish = S + step, polish + 1
            if polish == 3:
                return S
            continue
        a = 1.0
        while mean_exp_loss(X, S + a * step) > f - 0.25 * a * dec and a > 1e-12:
            a /= 2
        S = S + a * step
    raise RuntimeError(f"s_infinity: Newton did not converge in max_iter={max_iter} (nearly separable set?)")


def log_delay_ratio(X: np.ndarray, sigma: float) -> float:
    """Frozen-S limit: ``log(t*_gen/t*_tr) = sigma^2 |S_inf|^2 / 2 - log m(S_inf)`` (loss thresholds).

    ``X`` are the training points in their own units (scale ``sigma``), test points are
    ``N(0, sigma^2 I)``. Regime: ``sigma -> inf`` (Prop. 3.5), then threshold ``eps -> 0``; the
    result is invariant under ``X -> c X, sigma -> c sigma``.

    >>> X = np.array([[-1.0], [0.5]])
    >>> round(log_delay_ratio(X, 1.0) - log_delay_ratio(10 * X, 10.0), 12)
    0.0
    """
    if not (sigma > 0 and math.isfinite(sigma)):
        raise ValueError(f"log_delay_ratio: sigma must be finite and > 0, got {sigma}")
    S = s_infinity(X)
    return float(sigma ** 2 * (S @ S) / 2 - math.log(mean_exp_loss(X, S)))


def s_relaxation_speedup(sigma: float, sigma_ref: float = 1.0) -> float:
    """Prop. 3.5: the rescaled weights ``sigma S`` relax ``(sigma/sigma_ref)^2`` times faster; b does not.

    Exact at fixed b (early times, where ``b ~ 0``); times of the S-transient scale as ``sigma^-2``.

    >>> s_relaxation_speedup(5.0)
    25.0
    """
    if not (sigma > 0 and sigma_ref > 0 and math.isfinite(sigma) and math.isfinite(sigma_ref)):
        raise ValueError(f"s_relaxation_speedup: sigma and sigma_ref must be finite and > 0, got {sigma}, {sigma_ref}")
    return float((sigma / sigma_ref) ** 2)

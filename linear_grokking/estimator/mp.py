r"""The Marchenko-Pastur law of the training Gram matrix (Levi, Beck & Bar-Sinai, Eq. 6).

For :math:`\Sigma_{tr} = X^T X / N_{tr}` with i.i.d. standard Gaussian inputs and
:math:`\lambda = d_{in}/N_{tr}`, the eigenvalue law tends to

.. math:: p(\nu) = (1 - 1/\lambda)^+ \delta_0 + \frac{\sqrt{(\lambda_+ - \nu)(\nu - \lambda_-)}}{2\pi\lambda\nu}
          1_{[\lambda_-, \lambda_+]}, \qquad \lambda_\pm = (1 \pm \sqrt\lambda)^2.

Expectations (Eq. 8, Eq. 15) are computed by quadrature in :math:`\theta`, with
:math:`\nu = 1 + \lambda - 2\sqrt\lambda\cos\theta`, where :math:`p(\nu)\,d\nu = (2/\pi)\sin^2\theta/\nu\,d\theta`
is smooth; the Gauss-Legendre panels are geometric towards :math:`\theta = 0` (the lower edge, where
:math:`e^{-s\nu}` concentrates at late times), and the atom is added exactly. Independent closed forms for
checks: the moments (Narayana polynomials) and the resolvent :math:`E[(\nu + a)^{-1}]`, :math:`E[(\nu + a)^{-2}]`.

Examples
--------
>>> round(mp_expect(lambda nu: nu ** 2, 0.5), 12), mp_moment(2, 0.5)
(1.5, 1.5)
>>> round(mp_expect(lambda nu: 1.0 + 0 * nu, 2.0), 12), mp_atom(2.0)
(1.0, 0.5)
"""
from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from .checks import check_real

__all__ = ["mp_edges", "mp_atom", "mp_density", "mp_expect", "mp_moment", "mp_resolvent"]

_LAM_MAX = 1e6


def _lam(lam: float) -> float:
    return check_real("lam", lam, lo=0.0, lo_open=True, hi=_LAM_MAX)


def mp_edges(lam: float) -> tuple[float, float]:
    """:math:`(\\lambda_-, \\lambda_+) = ((1 - \\sqrt\\lambda)^2, (1 + \\sqrt\\lambda)^2)` (Eq. 6).

    >>> mp_edges(0.25)
    (0.25, 2.25)
    """
    s = math.sqrt(_lam(lam))
    return (1.0 - s) ** 2, (1.0 + s) ** 2


def mp_atom(lam: float) -> float:
    """Mass of the atom at :math:`\\nu = 0`: :math:`(1 - 1/\\lambda)^+` (Eq. 6; the flat directions when :math:`\\lambda > 1`).

    >>> mp_atom(0.5), mp_atom(4.0)
    (0.0, 0.75)
    """
    return max(0.0, 1.0 - 1.0 / _lam(lam))


def mp_density(nu: np.ndarray, lam: float) -> np.ndarray:
    """The continuous part of Eq. 6 at ``nu`` (zero outside :math:`[\\lambda_-, \\lambda_+]`).

    >>> float(mp_density(np.array([1.0]), 1.0)[0]) == 1 / (2 * math.pi) * math.sqrt(3.0)
    True
    """
    lo, hi = mp_edges(lam)
    nu = np.asarray(nu, dtype=float)
    inside = (nu > lo) & (nu < hi) & (nu > 0)
    safe = np.where(inside, nu, 1.0)
    return np.where(inside, np.sqrt(np.clip((hi - safe) * (safe - lo), 0.0, None)) / (2 * math.pi * lam * safe), 0.0)


@lru_cache(maxsize=8)
def _nodes(n_panels: int, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes/weights on [0, pi], panels geometric towards 0."""
    edges = np.concatenate([[0.0], np.geomspace(1e-9 * math.pi, math.pi, n_panels)])
    x, w = np.polynomial.legendre.leggauss(order)
    a, b = edges[:-1, None], edges[1:, None]
    th = (a + b) / 2 + (b - a) / 2 * x[None, :]
    return th.ravel(), ((b - a) / 2 * w[None, :]).ravel()


def mp_expect(f: Callable[[np.ndarray], np.ndarray], lam: float, *, n_panels: int = 40,
              order: int = 24) -> np.ndarray | float:
    """:math:`E_{\\nu \\sim MP(\\lambda)}[f(\\nu)]` (Eq. 6), atom included.

    ``f`` maps an array of eigenvalues ``(n,)`` to values ``(..., n)``; the result has shape ``(...)`` (a float when that is scalar).
    Relative accuracy ~1e-12 for smooth ``f`` and for ``e^{-s nu}``-type functions at any ``s``.

    >>> round(float(mp_expect(lambda nu: 1 / nu, 0.5)), 10)   # E[1/nu] = 1/(1 - lam)
    2.0
    """
    lam = _lam(lam)
    th, w = _nodes(n_panels, order)
    s = math.sqrt(lam)
    nu = (1.0 - s) ** 2 + 4.0 * s * np.sin(th / 2) ** 2  # = 1 + lam - 2 sqrt(lam) cos(theta), no cancellation
    weight = w * (2.0 / math.pi) * np.sin(th) ** 2 / nu
    vals = np.asarray(f(nu), dtype=float)
    out = (vals * weight).sum(-1)
    atom = mp_atom(lam)
    if atom > 0:
        out = out + atom * np.asarray(f(np.zeros(1)), dtype=float)[..., 0]
    return float(out) if np.ndim(out) == 0 else out


def mp_moment(k: int, lam: float) -> float:
    """:math:`E[\\nu^k]` in closed form (Narayana polynomial): :math:`\\sum_{j<k} \\lambda^j \\binom{k}{j}\\binom{k-1}{j}/(j+1)`.

    >>> mp_moment(0, 3.0), mp_moment(1, 3.0), mp_moment(3, 2.0)
    (1.0, 1.0, 11.0)
    """
    lam = _lam(lam)
    if k == 0:
        return 1.0
    return float(sum(lam ** j * math.comb(k, j) * math.comb(k - 1, j) / (j + 1) for j in range(k)))


def mp_resolvent(a: float, lam: float, power: int = 1) -> float:
    """:math:`E[(\\nu + a)^{-p}]` for ``a > 0``, ``p`` in {1, 2}, in closed form (atom included).

    From the Stieltjes transform :math:`m(z) = E[1/(\\nu - z)]`, root of
    :math:`\\lambda z m^2 - (1 - \\lambda - z) m + 1 = 0`: with :math:`B = 1 - \\lambda + a`,
    :math:`R = \\sqrt{B^2 + 4\\lambda a}`, :math:`E[(\\nu+a)^{-1}] = (R - B)/(2\\lambda a)` and
    :math:`E[(\\nu+a)^{-2}] = -\\partial_a E[(\\nu+a)^{-1}]`; for :math:`B > 0` the same as
    :math:`2/(R + B)` and :math:`2(R' + 1)/(R + B)^2`, :math:`R' = (B + 2\\lambda)/R` (no cancellation).

    >>> round(mp_resolvent(1e-9, 0.5), 6), round(mp_resolvent(1e-7, 0.5, 2), 4)   # -> 1/(1-lam), 1/(1-lam)^3
    (2.0, 8.0)
    """
    lam = _lam(lam)
    a = check_real("a", a, lo=0.0, lo_open=True)
    if power not in (1, 2):
        raise ValueError(f"power must be 1 or 2, got {power!r}")
    B = 1.0 - lam + a
    R = math.sqrt(B * B + 4.0 * lam * a)
    dR = (B + 2.0 * lam) / R
    if B > 0:  # m = 2/(R + B) there: the same root written without cancellation
        return 2.0 / (R + B) if power == 1 else 2.0 * (dR + 1.0) / (R + B) ** 2
    if power == 1:
        return (R - B) / (2.0 * lam * a)
    return ((R - B) - a * (dR - 1.0)) / (2.0 * lam * a * a)

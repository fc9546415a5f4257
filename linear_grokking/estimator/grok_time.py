r"""Grokking times of the linear estimator (Levi, Beck & Bar-Sinai, sec. 3.1.3, Eqs. 12, 16, 24, 26).

:math:`t^*_{tr}, t^*_{gen}` are the first times the losses reach :math:`L^*`, the loss at which the
accuracy map (Eq. 10 / 13) gives ``acc`` (default :math:`\mathrm{Erf}(\sqrt 2)`, :math:`L^* = \epsilon/4` at
:math:`d_{out} = 1`); :math:`\Delta t_{grok} = t^*_{gen} - t^*_{tr}`.

* :func:`grokking_times`: the exact large-d theory, Eq. 8 / 13 / 15 solved numerically (any lam,
  d_out, gamma, alpha); ``inf`` where the limit loss stays above :math:`L^*`.
* :func:`grokking_times_eq24`: the late-time asymptote Eq. 11 solved exactly (Lambert W), Eq. 24.
* :func:`dt_grok_eq12`: the headline :math:`\epsilon \to 0` limit, Eq. 12; :func:`dt_grok_eq26` adds the
  next term; :func:`dt_grok_near_one` is its :math:`\lambda \to 1` form; :func:`dt_grok_eq16` the
  weight-decay form.

Examples
--------
>>> g = grokking_times(0.5, eta0=0.01, eps=1e-3)
>>> round(g.t_tr), round(g.t_gen), round(g.dt)
(725, 1156, 431)
>>> round(dt_grok_eq12(0.5, eta0=0.01))
716
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .accuracy import ACC_95, loss_at_accuracy
from .checks import check_real
from .losses import loss_curves, loss_limits

__all__ = ["GrokTimes", "grokking_times", "generalises", "dt_grok_eq12", "grokking_times_eq24", "dt_grok_eq26",
           "dt_grok_near_one", "dt_grok_eq16"]


class GrokTimes(NamedTuple):
    """``t_tr``, ``t_gen`` (``inf`` if never reached) and ``dt = t_gen - t_tr``."""

    t_tr: float
    t_gen: float
    dt: float


def _first_time(fn, target: float, limit: float, t_hi: float) -> float:
    from scipy.optimize import brentq

    if fn(np.array([0.0]))[0] <= target:
        return 0.0
    if not limit < target:
        return math.inf
    grid = np.geomspace(t_hi * 1e-16, t_hi, 641)
    below = fn(grid) <= target
    if not below.any():
        return math.inf
    i = int(np.argmax(below))
    lo = 0.0 if i == 0 else math.log(grid[i - 1])
    g = lambda u: fn(np.array([math.exp(u)]))[0] - target  # noqa: E731
    if i == 0:
        return grid[0]
    return math.exp(brentq(g, lo, math.log(grid[i]), xtol=1e-13, rtol=1e-13))


def grokking_times(lam: float, *, eta0: float = 0.01, eps: float = 1e-3, d_out: int = 1, gamma: float = 0.0,
                   alpha: float = 1.0, acc: float = ACC_95) -> GrokTimes:
    """Exact large-d :math:`t^*_{tr}, t^*_{gen}, \\Delta t` from Eq. 8 (Eq. 13 for d_out, Eq. 15 for gamma).

    The first crossing of :math:`L^*` is bracketed on a log grid (641 points up to
    :math:`10^{14}/\\kappa`) and refined by Brent's method; a loss that comes back above
    :math:`L^*` after crossing (possible with weight decay) keeps its first crossing.

    >>> grokking_times(1.5).t_gen                    # lam > 1: plateau 1/3 > eps/4, never
    inf
    >>> round(grokking_times(0.5, alpha=3.0).dt) == round(grokking_times(0.5, eps=2e-4).dt)   # eps -> 2 eps/(1+alpha^2)
    True
    """
    target = loss_at_accuracy(acc, eps, d_out=d_out)
    lim_tr, lim_gen = loss_limits(lam, d_out=d_out, gamma=gamma, alpha=alpha)
    kw = dict(eta0=eta0, d_out=d_out, gamma=gamma, alpha=alpha)
    t_hi = 1e14 * d_out / check_real("eta0", eta0, lo=0.0, lo_open=True)
    t_tr = _first_time(lambda t: loss_curves(t, lam, **kw)[0], target, lim_tr, t_hi)
    t_gen = _first_time(lambda t: loss_curves(t, lam, **kw)[1], target, lim_gen, t_hi)
    return GrokTimes(t_tr, t_gen, t_gen - t_tr if math.isfinite(t_tr) else math.nan)


def generalises(lam: float, *, eps: float = 1e-3, d_out: int = 1, gamma: float = 0.0, alpha: float = 1.0,
                acc: float = ACC_95) -> bool:
    """True when the limit :math:`L_{gen}(\\infty)` (Eq. 15 / plateau) is below :math:`L^*`: the test accuracy reaches ``acc``.

    >>> generalises(0.9), generalises(1.5), generalises(0.9, gamma=0.05)
    (True, False, False)
    """
    return loss_limits(lam, d_out=d_out, gamma=gamma, alpha=alpha)[1] < loss_at_accuracy(acc, eps, d_out=d_out)


def _below_one(lam: float) -> float:
    return check_real("lam", lam, lo=0.0, lo_open=True, hi=1.0, hi_open=True)


def dt_grok_eq12(lam: float, *, eta0: float = 0.01) -> float:
    """Eq. 12: :math:`\\Delta t \\simeq \\log(1/(1-\\sqrt\\lambda)) / (2\\eta_0(1-\\sqrt\\lambda)^2)`; 0 < lam < 1, eps -> 0.

    >>> round(dt_grok_eq12(0.9, eta0=0.01))
    56386
    """
    c = 1.0 - math.sqrt(_below_one(lam))
    return math.log(1.0 / c) / (2.0 * check_real("eta0", eta0, lo=0.0, lo_open=True) * c * c)


def grokking_times_eq24(lam: float, *, eta0: float = 0.01, eps: float = 1e-3) -> GrokTimes:
    """Eq. 24 as printed: Eq. 11 set to eps/4 and solved with the Lambert W function (d_out = 1, lam < 1).

    .. math:: t^*_{tr} = \\frac{3}{8\\eta_0(1-\\sqrt\\lambda)^2} W\\Big(\\frac{2\\,2^{2/3}}{3\\epsilon^{2/3}}
              \\sqrt[3]{\\tfrac{1}{\\pi}\\big(\\lambda^{3/2} + \\lambda^{-3/2} - 6\\lambda + 15\\sqrt\\lambda
              - 6/\\lambda + 15/\\sqrt\\lambda - 20\\big)}\\Big),\\quad
              t^*_{gen} = \\frac{3}{8\\eta_0(1-\\sqrt\\lambda)^2} W\\Big(\\frac{2^{5/3}}{3\\epsilon^{2/3}}
              \\sqrt[3]{\\tfrac{1}{\\pi}\\big(\\lambda^{-3/2} + \\lambda^{-1/2} - 2/\\lambda\\big)}\\Big).

    >>> g = grokking_times_eq24(0.5)
    >>> round(g.t_tr), round(g.t_gen)
    (727, 1217)
    """
    from scipy.special import lambertw

    lam = _below_one(lam)
    eta0 = check_real("eta0", eta0, lo=0.0, lo_open=True)
    eps = check_real("eps", eps, lo=0.0, lo_open=True)
    r = math.sqrt(lam)
    pre = 3.0 / (8.0 * eta0 * (1.0 - r) ** 2)
    # the printed polynomials equal (1 - r)^6 / r^3 and (1 - r)^2 / r^3 (tests, by sympy); these
    # factored forms avoid the cancellation of the printed sums as lam -> 1
    z_tr = 2 * 2 ** (2 / 3) * np.cbrt((1 - r) ** 6 / r ** 3 / math.pi) / (3 * eps ** (2 / 3))
    z_gen = 2 ** (5 / 3) * np.cbrt((1 - r) ** 2 / r ** 3 / math.pi) / (3 * eps ** (2 / 3))
    t_tr, t_gen = pre * float(lambertw(z_tr).real), pre * float(lambertw(z_gen).real)
    return GrokTimes(t_tr, t_gen, t_gen - t_tr)


def dt_grok_eq26(lam: float, *, eta0: float = 0.01, eps: float = 1e-3) -> float:
    """Eq. 26: Eq. 12 plus :math:`\\frac{3}{8\\eta_0(1-\\sqrt\\lambda)^2}\\log\\big(1 + \\log((1-\\sqrt\\lambda)^{4/3})
    / \\log(\\tfrac{2(2-2\\sqrt\\lambda)^{2/3}}{3\\pi^{1/3}\\sqrt\\lambda\\epsilon^{2/3}})\\big)` (W(z) ~ log z - log log z).

    ``nan`` where the expansion does not apply (:math:`\\log z_{tr} \\le 0`, e.g. lam = 0.9 at eps = 1e-3).

    >>> round(dt_grok_eq26(0.5)), dt_grok_eq26(0.9)
    (470, nan)
    """
    lam = _below_one(lam)
    eps = check_real("eps", eps, lo=0.0, lo_open=True)
    r = math.sqrt(lam)
    arg = 2 * (2 - 2 * r) ** (2 / 3) / (3 * math.pi ** (1 / 3) * r * eps ** (2 / 3))
    inner = 1 + math.log((1 - r) ** (4 / 3)) / math.log(arg) if arg > 1 else -1.0
    if inner <= 0:  # log z_tr <= 0: the expansion W(z) ~ log z does not apply (eps too large for this lam)
        return math.nan
    return dt_grok_eq12(lam, eta0=eta0) + 3.0 / (8.0 * eta0 * (1 - r) ** 2) * math.log(inner)


def dt_grok_near_one(lam: float, *, eta0: float = 0.01) -> float:
    """Sec. 3.1.3: :math:`\\Delta t(\\lambda \\to 1) \\sim \\log(4/(1-\\lambda)^2)/(\\eta_0(1-\\lambda)^2)` (Eq. 12 near 1).

    >>> round(dt_grok_near_one(0.9999) / dt_grok_eq12(0.9999), 3)
    1.0
    """
    lam = _below_one(lam)
    return math.log(4.0 / (1.0 - lam) ** 2) / (check_real("eta0", eta0, lo=0.0, lo_open=True) * (1.0 - lam) ** 2)


def dt_grok_eq16(lam: float, *, eta0: float = 0.01) -> float:
    """Eq. 16 (weight decay, small gamma, lam < 1): :math:`\\Delta t \\simeq \\log(1+\\sqrt\\lambda)/(2\\eta_0(1-\\sqrt\\lambda)^2)`.

    >>> round(dt_grok_eq16(0.5))
    312
    """
    c = 1.0 - math.sqrt(_below_one(lam))
    return math.log(1.0 + math.sqrt(lam)) / (2.0 * check_real("eta0", eta0, lo=0.0, lo_open=True) * c * c)

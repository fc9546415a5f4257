r"""Accuracy as a function of the loss (Levi, Beck & Bar-Sinai, Eqs. 10 and 13).

A sample is correct when its mean squared error per output, :math:`\|D^T x\|^2/d_{out}`, is below
:math:`\epsilon`. If :math:`D^T x \sim N(0, L\,I_{d_{out}})` (columns of D of equal norm, orthogonal),
:math:`\|D^T x\|^2/L \sim \chi^2_{d_{out}}` and

.. math:: A = P\left(\chi^2_{d_{out}} < d_{out}\epsilon/L\right)
          = 1 - \frac{\Gamma(d_{out}/2,\ d_{out}\epsilon/(2L))}{\Gamma(d_{out}/2)} \quad (Eq. 13),

which at :math:`d_{out} = 1` is :math:`\mathrm{Erf}(\sqrt{\epsilon/(2L)})` (Eq. 10). The paper's "95 %" is
:math:`\mathrm{Erf}(\sqrt 2) \approx 0.9545`, reached at :math:`L = \epsilon/4`. Validity: large samples;
for the test set exact given D when :math:`D^TD \propto I` (not exact when :math:`d_{out}` is comparable to
:math:`d_{in}`, see docs/errata.md); for the training set an approximation (the training errors are
neither independent of D nor Gaussian).

Examples
--------
>>> round(float(accuracy_eq10(1e-3 / 4, 1e-3)), 6), round(ACC_95, 6)
(0.9545, 0.9545)
>>> round(float(loss_at_accuracy(ACC_95, 1e-3)), 12)
0.00025
"""
from __future__ import annotations

import math

import numpy as np

from .checks import check_array, check_int, check_real
from .mp import mp_expect

__all__ = ["ACC_95", "accuracy_eq10", "accuracy", "loss_at_accuracy", "effective_dof", "accuracy_effective"]

ACC_95 = math.erf(math.sqrt(2.0))


def accuracy_eq10(L: np.ndarray, eps: float) -> np.ndarray:
    """Eq. 10: :math:`A = \\mathrm{Erf}(\\sqrt{\\epsilon/(2L)})` (d_out = 1; A = 1 at L = 0).

    >>> accuracy_eq10(np.array([0.0, 1e-3 / 4, 1e3]), 1e-3).round(4).tolist()
    [1.0, 0.9545, 0.0008]
    """
    from scipy.special import erf

    L = check_array("L", L, lo=0.0)
    eps = check_real("eps", eps, lo=0.0, lo_open=True)
    with np.errstate(divide="ignore", over="ignore"):
        return erf(np.sqrt(eps / (2.0 * L)))


def accuracy(L: np.ndarray, eps: float, *, d_out: int = 1) -> np.ndarray:
    """Eq. 13: :math:`A = 1 - \\Gamma(d_{out}/2, d_{out}\\epsilon/(2L))/\\Gamma(d_{out}/2)` (regularised lower gamma).

    >>> round(float(accuracy(1e-3, 1e-3, d_out=700)), 4)   # L = eps: half the samples at large d_out
    0.5071
    """
    from scipy.special import gammainc

    L = check_array("L", L, lo=0.0)
    eps = check_real("eps", eps, lo=0.0, lo_open=True)
    d_out = check_int("d_out", d_out, lo=1)
    with np.errstate(divide="ignore"):
        return gammainc(d_out / 2.0, d_out * eps / (2.0 * L))


def loss_at_accuracy(acc: float, eps: float, *, d_out: int = 1) -> float:
    """The loss at which Eq. 13 gives accuracy ``acc``: :math:`d_{out}\\epsilon / (2 P^{-1}(d_{out}/2, acc))`.

    >>> round(loss_at_accuracy(ACC_95, 1e-3, d_out=50) * 1e3, 4)
    0.7347
    """
    from scipy.special import gammaincinv

    acc = check_real("acc", acc, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    eps = check_real("eps", eps, lo=0.0, lo_open=True)
    d_out = check_int("d_out", d_out, lo=1)
    return d_out * eps / (2.0 * float(gammaincinv(d_out / 2.0, acc)))


def effective_dof(t: np.ndarray, lam: float, *, d_in: int, d_out: int, eta0: float = 0.01) -> np.ndarray:
    r"""Effective degrees of freedom of :math:`\|D(t)^T x\|^2` (not in the paper; gamma = 0).

    :math:`D(t) = F^{1/2} D_0`, :math:`F = e^{-4\kappa\Sigma_{tr} t}`, :math:`D_0` i.i.d. Gaussian. Matching
    the first two moments of :math:`G = D^T D` over :math:`D_0` (Satterthwaite) gives
    :math:`\nu_{eff} = d_{out}(1 + 2\rho/d_{out})/(1 + (d_{out} + 1)\rho)`,
    :math:`\rho = \mathrm{tr}F^2/(\mathrm{tr}F)^2 = E[e^{-8\kappa\nu t}]/(d_{in} E[e^{-4\kappa\nu t}]^2)` (MP). It is
    :math:`d_{out}` when :math:`d_{out}\rho \ll 1` (Eq. 13's assumption) and falls as training leaves only
    the slowest eigen-directions of :math:`\Sigma_{tr}` in D (late times, lam near 1, d_out near d_in).

    >>> [round(float(v), 2) for v in effective_dof(np.array([0.0, 5e4]), 0.9, d_in=1000, d_out=50)]
    [47.58, 32.82]
    """
    lam = check_real("lam", lam, lo=0.0, lo_open=True, hi=1e6)
    d_in, d_out = check_int("d_in", d_in, lo=1), check_int("d_out", d_out, lo=1)
    k = 4.0 * check_real("eta0", eta0, lo=0.0, lo_open=True) / d_out
    t = check_array("t", t, lo=0.0)[..., None]
    e = mp_expect(lambda nu: np.stack([np.exp(-k * nu * t), np.exp(-2 * k * nu * t)]), lam)
    rho = e[1] / (d_in * e[0] ** 2)
    return d_out * (1 + 2 * rho / d_out) / (1 + (d_out + 1) * rho)


def accuracy_effective(L: np.ndarray, eps: float, nu_eff: np.ndarray) -> np.ndarray:
    r"""Eq. 13 with :math:`d_{out}` replaced by :func:`effective_dof`: :math:`P(\chi^2_{\nu} < \nu\epsilon/L)` (not in the paper).

    >>> float(accuracy_effective(1e-3, 1e-3, 50.0)) == float(accuracy(1e-3, 1e-3, d_out=50))
    True
    """
    from scipy.special import gammainc

    L = check_array("L", L, lo=0.0)
    nu = check_array("nu_eff", nu_eff, lo=0.0, lo_open=True)
    with np.errstate(divide="ignore"):
        return gammainc(nu / 2.0, nu * check_real("eps", eps, lo=0.0, lo_open=True) / (2.0 * L))

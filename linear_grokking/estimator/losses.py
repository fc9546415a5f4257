r"""Large-d training and generalisation losses of the linear estimator (Levi, Beck & Bar-Sinai, Eqs. 8-16, 22-23).

Conventions: time t in GD steps with flow rate :math:`\eta_0`; :math:`\kappa = \eta_0/d_{out}` (Eq. 13);
:math:`\mu = \nu + \gamma/2`; initial student scale :math:`\alpha` (:math:`S_0 \to \alpha S_0`). The general
form, Eq. 15 with the :math:`d_{out}` rule of Eq. 13 and the initial scale kept apart
(Eq. 35 with :math:`|S_0|^2 = \alpha^2/2`, :math:`|T|^2 = 1/2`), is

.. math:: L_{tr/gen}(t) = \frac{1}{2 d_{out}} E_{MP(\lambda)}\Big[\big(\alpha^2 e^{-4\kappa\mu t}
          + h^2\big) q\Big], \quad h = \frac{\nu e^{-2\kappa\mu t} + \gamma/2}{\mu},

:math:`q_{tr} = \nu`, :math:`q_{gen} = 1` (h is Eq. 15's :math:`(e^{-2\kappa\mu t}\nu + \gamma/2)/\mu`,
taken as 1 on the null space at :math:`\gamma = 0`, its limit). At :math:`\gamma = 0`, :math:`\alpha = 1`,
:math:`d_{out} = 1` this is Eq. 8. Validity: large :math:`d_{in}, N_{tr}` at fixed :math:`\lambda` (the
equal-projection step, Eq. 7, and the MP limit); the simulator is exact at finite size.

Examples
--------
>>> L_tr, L_gen = loss_curves(np.array([0.0, 100.0]), 0.5, eta0=0.01)
>>> [round(float(x), 6) for x in L_gen]
[1.0, 0.130313]
>>> bool(abs(loss_train_eq9(100.0, 0.5, eta0=0.01) / L_tr[1] - 1) < 1e-12)
True
"""
from __future__ import annotations

import math

import numpy as np

from .checks import check_array, check_int, check_real
from .mp import mp_atom, mp_expect, mp_resolvent

__all__ = ["loss_curves", "loss_train_eq9", "loss_asymptotic_eq11", "loss_train_eq22", "loss_gen_eq23",
           "loss_limits", "plateau_gen", "floors_eq16", "floors_small_gamma", "equivalent_eps"]


def _common(lam: float, eta0: float, d_out: int, gamma: float, alpha: float) -> tuple[float, ...]:
    lam = check_real("lam", lam, lo=0.0, lo_open=True, hi=1e6)
    eta0 = check_real("eta0", eta0, lo=0.0, lo_open=True)
    d_out = check_int("d_out", d_out, lo=1)
    return lam, eta0 / d_out, d_out, check_real("gamma", gamma, lo=0.0), check_real("alpha", alpha, lo=0.0)


def loss_curves(t: np.ndarray, lam: float, *, eta0: float = 0.01, d_out: int = 1, gamma: float = 0.0,
                alpha: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``(L_tr(t), L_gen(t))``: Eq. 8 (gamma = 0), Eq. 13 (d_out), Eq. 15 (weight decay) by MP quadrature.

    >>> L_tr, L_gen = loss_curves(np.array([1e9]), 2.0, eta0=0.01)   # lam > 1: the plateau 1 - 1/lam
    >>> round(float(L_gen[0]), 12), float(L_tr[0])
    (0.5, 0.0)
    """
    lam, kappa, d_out, gamma, alpha = _common(lam, eta0, d_out, gamma, alpha)
    t = check_array("t", t, lo=0.0)[..., None]

    def parts(nu: np.ndarray) -> np.ndarray:
        mu = nu + gamma / 2.0
        pos = mu > 0
        safe = np.where(pos, mu, 1.0)
        decay = np.exp(-2.0 * kappa * mu * t)
        h = np.where(pos, (nu / safe) * decay + (gamma / 2.0) / safe, 1.0)  # a sum of positives: no cancellation
        g = (alpha ** 2 * decay * decay + h * h) / (2.0 * d_out)
        return np.stack([g * nu, g])

    out = mp_expect(parts, lam)
    return out[0], out[1]


def loss_train_eq9(t: np.ndarray, lam: float, *, eta0: float = 0.01, d_out: int = 1, alpha: float = 1.0) -> np.ndarray:
    """Eq. 9: :math:`L_{tr} = e^{-4\\eta_0(1+\\lambda)t}\\,{}_0\\tilde F_1(2; 16\\eta_0^2 t^2\\lambda)` (gamma = 0),
    written :math:`e^{-s(1+\\lambda)} I_1(2s\\sqrt\\lambda)/(s\\sqrt\\lambda)`, :math:`s = 4\\kappa t`, with the
    scaled Bessel function (stable at any t); times :math:`(1+\\alpha^2)/(2 d_{out})`. Valid for every lam.

    >>> float(loss_train_eq9(0.0, 0.3))
    1.0
    """
    from scipy.special import ive

    lam, kappa, d_out, _, alpha = _common(lam, eta0, d_out, 0.0, alpha)
    s = 4.0 * kappa * check_array("t", t, lo=0.0)
    z = 2.0 * s * math.sqrt(lam)
    safe = np.where(z > 0, z, 1.0)
    val = np.where(z > 0, np.exp(-s * (1.0 - math.sqrt(lam)) ** 2) * ive(1, safe) / (safe / 2.0), 1.0)
    return val * (1.0 + alpha ** 2) / (2.0 * d_out)


def loss_train_eq22(t: np.ndarray, lam: float, *, eta0: float = 0.01) -> np.ndarray:
    """Eq. 22 (= Eq. 11, left): :math:`L_{tr} \\simeq e^{-4\\eta_0(1-\\sqrt\\lambda)^2 t}/(16\\sqrt\\pi\\lambda^{3/4}(\\eta_0 t)^{3/2})`.

    Late times, :math:`\\eta_0 t \\gg \\sqrt\\lambda` (d_out = 1, gamma = 0, alpha = 1).

    >>> round(float(loss_train_eq22(1e4, 0.5) / loss_train_eq9(1e4, 0.5)), 4)
    1.0007
    """
    lam, eta0, _, _, _ = _common(lam, eta0, 1, 0.0, 1.0)
    t = check_array("t", t, lo=0.0, lo_open=True)
    return np.exp(-4 * eta0 * (1 - math.sqrt(lam)) ** 2 * t) / (16 * math.sqrt(math.pi) * lam ** 0.75 * (eta0 * t) ** 1.5)


def loss_asymptotic_eq11(t: np.ndarray, lam: float, *, eta0: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Eq. 11: ``(L_tr, L_gen)`` with :math:`L_{gen} \\simeq L_{tr}/(1 - \\sqrt\\lambda)^2`; late times, lam < 1.

    >>> L_tr, L_gen = loss_asymptotic_eq11(np.array([1e3]), 0.25)
    >>> round(float(L_gen[0] / L_tr[0]), 12)
    4.0
    """
    lam = check_real("lam", lam, lo=0.0, lo_open=True, hi=1.0, hi_open=True)
    L_tr = loss_train_eq22(t, lam, eta0=eta0)
    return L_tr, L_tr / (1.0 - math.sqrt(lam)) ** 2


def loss_gen_eq23(t: np.ndarray, lam: float, *, eta0: float = 0.01) -> np.ndarray:
    """Eq. 23: Eq. 22 integrated with Eq. 21 (:math:`\\dot L_{gen} = -4\\eta_0 L_{tr}`) from t to infinity, lam < 1.

    .. math:: L_{gen} \\simeq \\frac{e^{-bt}}{2\\sqrt\\pi\\lambda^{3/4}\\sqrt{\\eta_0 t}}
              - \\frac{(1-\\sqrt\\lambda)\\Gamma(\\tfrac12, bt)}{\\sqrt\\pi\\lambda^{3/4}}, \\quad b = 4\\eta_0(1-\\sqrt\\lambda)^2.

    >>> exact = loss_curves(np.array([2e3]), 0.5)[1][0]      # Eq. 23 vs Eq. 11 against the exact L_gen
    >>> round(float(loss_gen_eq23(2e3, 0.5) / exact), 4), round(float(loss_asymptotic_eq11(np.array([2e3]), 0.5)[1][0] / exact), 4)
    (1.003, 1.2001)
    """
    from scipy.special import gamma as gamma_fn
    from scipy.special import gammaincc

    lam = check_real("lam", lam, lo=0.0, lo_open=True, hi=1.0, hi_open=True)
    eta0 = check_real("eta0", eta0, lo=0.0, lo_open=True)
    t = check_array("t", t, lo=0.0, lo_open=True)
    c = 1.0 - math.sqrt(lam)
    bt = 4 * eta0 * c * c * t
    pre = math.sqrt(math.pi) * lam ** 0.75
    return np.exp(-bt) / (2 * pre * np.sqrt(eta0 * t)) - c * gamma_fn(0.5) * gammaincc(0.5, bt) / pre


def loss_limits(lam: float, *, d_out: int = 1, gamma: float = 0.0, alpha: float = 1.0) -> tuple[float, float]:
    """Exact :math:`t \\to \\infty` limits ``(L_tr, L_gen)`` of Eq. 15, in closed form (MP resolvent).

    :math:`\\gamma > 0`: :math:`L_{tr} = \\frac{\\gamma^2}{8 d_{out}} E[\\nu/\\mu^2]`,
    :math:`L_{gen} = \\frac{\\gamma^2}{8 d_{out}} E[1/\\mu^2]` (atom included: the student forgets the
    null space, :math:`L_{gen} \\ge (1 - 1/\\lambda)^+/(2 d_{out})`); :math:`\\gamma = 0`: ``(0, plateau_gen)``.

    >>> [f"{x:.4e}" for x in loss_limits(0.5, gamma=1e-2)]   # small-gamma limit: 2.5e-05, 1e-04
    ['2.4043e-05', '9.4313e-05']
    """
    lam, _, d_out, gamma, alpha = _common(lam, 1.0, d_out, gamma, alpha)
    if gamma == 0:
        return 0.0, plateau_gen(lam, d_out=d_out, alpha=alpha)
    a = gamma / 2.0
    e1, e2 = mp_resolvent(a, lam, 1), mp_resolvent(a, lam, 2)
    pre = a * a / (2.0 * d_out)
    return pre * (e1 - a * e2), pre * e2


def plateau_gen(lam: float, *, d_out: int = 1, alpha: float = 1.0) -> float:
    """:math:`L_{gen}(t \\to \\infty) = \\frac{1 + \\alpha^2}{2 d_{out}}(1 - 1/\\lambda)^+` at gamma = 0 (sec. 3.1.1).

    Exact in expectation at any finite size (the null space of :math:`\\Sigma_{tr}` has dimension
    :math:`d_{in} - N_{tr}` and :math:`D_0` is isotropic). Paper: :math:`1 - 1/\\lambda` (d_out = 1, alpha = 1).

    >>> plateau_gen(2.0), plateau_gen(0.5)
    (0.5, 0.0)
    """
    lam, _, d_out, _, alpha = _common(lam, 1.0, d_out, 0.0, alpha)
    return (1.0 + alpha ** 2) / (2.0 * d_out) * mp_atom(lam)


def floors_eq16(lam: float, gamma: float) -> tuple[float, float]:
    """Eq. 16 as printed: :math:`L_{tr} \\simeq \\gamma^2/(4(1-\\lambda))`, :math:`L_{gen} \\simeq \\gamma^2/(4(1-\\lambda)^3)`.

    Small gamma, lam < 1, d_out = 1. The limit of Eq. 15 itself is half of this (see
    :func:`floors_small_gamma` and docs/errata.md).

    >>> floors_eq16(0.5, 0.1)
    (0.005000000000000001, 0.020000000000000004)
    """
    lam = check_real("lam", lam, lo=0.0, lo_open=True, hi=1.0, hi_open=True)
    gamma = check_real("gamma", gamma, lo=0.0)
    return gamma ** 2 / (4 * (1 - lam)), gamma ** 2 / (4 * (1 - lam) ** 3)


def floors_small_gamma(lam: float, gamma: float) -> tuple[float, float]:
    """Leading small-gamma limit of Eq. 15 at t -> infinity: :math:`\\gamma^2 E[1/\\nu]/8 = \\gamma^2/(8(1-\\lambda))`
    and :math:`\\gamma^2 E[1/\\nu^2]/8 = \\gamma^2/(8(1-\\lambda)^3)` (lam < 1, d_out = 1).

    >>> floors_small_gamma(0.5, 0.1)
    (0.0025000000000000005, 0.010000000000000002)
    """
    tr, gen = floors_eq16(lam, gamma)
    return tr / 2, gen / 2


def equivalent_eps(eps: float, alpha: float) -> float:
    """Initial scale :math:`S_0 \\to \\alpha S_0` is the threshold :math:`\\epsilon \\to 2\\epsilon/(1+\\alpha^2)` (sec. 3.1.3; gamma = 0).

    >>> equivalent_eps(1e-3, 1.0), equivalent_eps(1e-3, 3.0)
    (0.001, 0.0002)
    """
    eps = check_real("eps", eps, lo=0.0, lo_open=True)
    alpha = check_real("alpha", alpha, lo=0.0)
    return 2.0 * eps / (1.0 + alpha ** 2)

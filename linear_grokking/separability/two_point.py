"""The two-point model of sec. 4 (the paper's "simplified model"; sec. 7 of the issue), solved and simulated.

Eq. 11: ``x_1 = -sigma``, ``x_2 = sigma q`` with ``q = 1 - 2 lam``, exponential loss
``L = (e^{S x_1 + b} + e^{S x_2 + b})/2`` (paper's signs: labels -1). Here ``norm_S = |S|``
(Table 1's quantity) and ``b`` is this package's bias, ``b = -b_paper`` (grows as ``+log t``).
The set is separable from the origin iff ``q < 0`` (``lam > 1/2``), margin ``M = sigma min(1, -q)``.

With ``s = sigma S`` and the conformal time ``tau = int e^{-b} dt`` (Eq. 8) gradient flow is
``ds/dtau = (eta sigma^2/2)(e^{-s} - q e^{q s})``, ``db/dtau = (eta/2)(e^{-s} + e^{q s})``,
``dt/dtau = e^{b}``: the s-dynamics are autonomous in tau and ``sigma^2`` faster (Prop. 3.5).
Test points are ``N(0, sigma^2)``: test loss ``e^{-b + s^2/2}``, test accuracy ``Phi(b/s)``.

Closed forms (regime in each docstring): Table 1 (:func:`table1`), ``S_inf`` (:func:`s_inf`),
the exact Lambert-W solution at ``lam = 1/2, sigma = 1`` (:func:`lambert_solution`), the paper's
Eq. 39 (``log(t*_gen/t*_tr) ~ log^2(1 - 2 lam)/2``, slope ``1/sqrt 2`` of its square root against
``log(1 - 2 lam)`` in magnitude), its exact frozen-S form (:func:`log_delay_ratio_exact`) and the
conformal-time delay (Eq. 41 as printed, :func:`eq41_conformal_delay`, and ours,
:func:`conformal_delay`).

Examples
--------
>>> round(s_inf(0.25, 1.0), 6)                      # log 2 / 1.5
0.462098
>>> round(float(np.sqrt(eq39(0.5 - 0.5e-6))), 3)    # |log 1e-6| / sqrt 2
9.769
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .theory import asymptotic_rates

__all__ = ["two_point_set", "s_inf", "table1", "lambert_solution", "eq39", "EQ39_SLOPE",
           "log_delay_ratio_exact", "eq41_conformal_delay", "conformal_delay", "simulate_two_point"]

EQ39_SLOPE = 1.0 / math.sqrt(2.0)   # |d sqrt(log(t*_gen/t*_tr)) / d log(1 - 2 lam)| as lam -> 1/2^-


def _check_lam(lam: float, name: str, upper: float = math.inf) -> None:
    if not (0 <= lam < upper and math.isfinite(lam)):
        raise ValueError(f"{name}: lam must be in [0, {upper}), got {lam}")


def two_point_set(lam: float, sigma: float = 1.0) -> np.ndarray:
    """Eq. 11 as a training set, shape (2, 1): ``[[-sigma], [sigma (1 - 2 lam)]]``.

    >>> two_point_set(0.75, 2.0).ravel()
    array([-2., -1.])
    """
    _check_lam(lam, "two_point_set")
    return np.array([[-sigma], [sigma * (1.0 - 2.0 * lam)]])


def s_inf(lam: float, sigma: float = 1.0) -> float:
    """``|S_inf| = log(1/(1 - 2 lam)) / (2 (1 - lam) sigma)`` (sec. 4 and Table 1), ``0 <= lam < 1/2``.

    >>> s_inf(0.0)
    0.0
    """
    _check_lam(lam, "s_inf", 0.5)
    return math.log(1.0 / (1.0 - 2.0 * lam)) / (2.0 * (1.0 - lam) * sigma)


def table1(lam: float, t: np.ndarray, sigma: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Table 1, leading terms at ``t >> 1``: ``(b(t), |S|(t))`` in this package's sign of b.

    ``lam < 1/2``: ``b = log t``, ``|S| = S_inf``; ``lam = 1/2``: ``b = log t``, ``|S| = log(log t)/sigma``;
    ``lam > 1/2``: ``(|S|, b) = (M, 1) log t/(1 + M^2)`` with ``M = sigma min(1, 2 lam - 1)``
    (the table prints ``M = 2 lam - 1``, ``sigma = 1``, valid up to ``lam = 1``).

    >>> [float(v[0]) for v in table1(0.75, np.array([np.e ** 10]))]
    [8.0, 4.0]
    """
    _check_lam(lam, "table1")
    lt = np.log(np.asarray(t, dtype=float))
    if lam < 0.5:
        return lt, np.full_like(lt, s_inf(lam, sigma))
    if lam == 0.5:
        return lt, np.log(lt) / sigma
    rS, rb = asymptotic_rates(sigma * min(1.0, 2.0 * lam - 1.0))
    return rb * lt, rS * lt


def lambert_solution(t: np.ndarray, eta: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Exact solution at ``lam = 1/2``, ``sigma = 1`` from ``S = b = 0``: ``(b, |S|)`` (App. E).

    With ``v = W(eta t / 2)`` (Lambert W): ``|S| = log(1 + v)``, ``b = v + log(1 + v)``;
    derived from ``e^{s} = 1 + eta tau/2`` and ``t = (2/eta) v e^{v}``.

    >>> [round(float(x[0]), 6) for x in lambert_solution(np.array([2 * np.e]))]
    [1.693147, 0.693147]
    """
    from scipy.special import lambertw

    v = np.real(lambertw(eta * np.asarray(t, dtype=float) / 2.0))
    return v + np.log1p(v), np.log1p(v)


def eq39(lam: float) -> float:
    """Eq. 39, leading order: ``log(t*_gen / t*_tr) ~ log^2(1 - 2 lam) / 2`` (``lam -> 1/2^-``, large sigma).

    >>> round(eq39(0.5 - 0.5 * math.exp(-2.0)), 12)
    2.0
    """
    _check_lam(lam, "eq39", 0.5)
    return 0.5 * math.log1p(-2.0 * lam) ** 2


def _frozen(lam: float) -> tuple[float, float]:
    """``(u, log m_inf)`` with ``u = sigma |S_inf|`` and ``m_inf = e^{-u} (1 - lam)/(1 - 2 lam)``."""
    ell = -math.log1p(-2.0 * lam)
    u = ell / (2.0 * (1.0 - lam))
    return u, -u + math.log(1.0 - lam) + ell


def log_delay_ratio_exact(lam: float) -> float:
    """Frozen-S limit of ``log(t*_gen / t*_tr)`` (loss thresholds): ``u^2/2 - log m_inf``.

    Regime: ``sigma^2 (1 - 2 lam) log^2(1 - 2 lam) >> 1`` (S relaxes before b moves), then
    ``eps -> 0``; independent of sigma, eta and eps there. ``-> eq39(lam) + log 2`` as ``lam -> 1/2``.
    Equals :func:`.conformal.log_delay_ratio` on :func:`two_point_set`.

    >>> round(log_delay_ratio_exact(0.0), 12)    # S_inf = 0: both losses are e^{-b}
    0.0
    """
    _check_lam(lam, "log_delay_ratio_exact", 0.5)
    u, log_m = _frozen(lam)
    return u * u / 2.0 - log_m


def eq41_conformal_delay(lam: float) -> float:
    """Eq. 41 as printed: ``tau*_gen - tau*_tr ~ log^2(1 - 2 lam) / 2`` (see docs/errata.md).

    >>> round(eq41_conformal_delay(0.5 - 0.5 * math.exp(-2.0)), 12)
    2.0
    """
    return eq39(lam)


def conformal_delay(lam: float, eta: float = 1.0) -> float:
    """Frozen-S conformal delay ``tau*_gen - tau*_tr = log_delay_ratio_exact / (eta m_inf)``.

    In the frozen regime ``db/dtau = eta m_inf`` (Eq. 8 at ``S = S_inf``); ``m_inf -> 1/2`` as
    ``lam -> 1/2``, so the delay tends to ``log^2(1 - 2 lam)/eta``, twice Eq. 41 at ``eta = 1``.

    >>> round(conformal_delay(0.0, 2.0), 12)
    0.0
    """
    if not (eta > 0 and math.isfinite(eta)):
        raise ValueError(f"conformal_delay: eta must be finite and > 0, got {eta}")
    return log_delay_ratio_exact(lam) / (eta * math.exp(_frozen(lam)[1]))


def _rhs(q: float, sigma: float, eta: float):
    def f(_tau: float, y: np.ndarray) -> list[float]:
        s, b, ell = y
        es, eq = math.exp(-s), math.exp(q * s)
        return [0.5 * eta * sigma ** 2 * (es - q * eq), 0.5 * eta * (es + eq), math.exp(b - ell)]
    return f


def _events(q: float, eps: float, z: float, log_t_max: float) -> list[Any]:
    def tr_loss(_t, y):
        return math.log(0.5 * (math.exp(-y[0]) + math.exp(q * y[0]))) - y[1] - math.log(eps)

    def gen_loss(_t, y):
        return y[0] ** 2 / 2 - y[1] - math.log(eps)

    def tr_acc(_t, y):       # every point classified: b > q s (and b > -s)
        return y[1] - max(q * y[0], -y[0])

    def gen_acc(_t, y):      # Phi(b/s) >= level
        return y[1] - z * abs(y[0])

    def stop(_t, y):
        return y[2] - log_t_max

    for ev, direction in ((tr_loss, -1), (gen_loss, -1), (tr_acc, 1), (gen_acc, 1)):
        ev.direction = direction
    stop.terminal = True
    return [tr_loss, gen_loss, tr_acc, gen_acc, stop]


def simulate_two_point(lam: float, sigma: float = 1.0, *, eta: float = 1.0, eps: float = 1e-3,
                       acc_level: float = 0.95, t_max: float = 1e30, n_points: int = 200,
                       rtol: float = 1e-10) -> dict[str, Any]:
    """Integrate Eq. 11's gradient flow in conformal time (LSODA) from ``S = b = 0`` up to ``t_max``.

    Returns ``tau, t, b, norm_S, train_loss, test_loss, test_acc`` (n_points, log-spaced in tau)
    and the exact event times (NaN if not reached): ``t_star_tr`` / ``t_star_gen`` where the train /
    test loss first falls to ``eps`` (the paper's Fig. 9), ``tau_star_tr`` / ``tau_star_gen`` the
    same in conformal time, and ``t_acc_tr`` (every point classified), ``t_acc_gen`` (test
    accuracy ``acc_level``, Fig. 3). Deterministic (no seed).

    >>> out = simulate_two_point(0.5, 1.0, t_max=1e6, n_points=8)
    >>> bool(np.allclose(out["b"][-1], lambert_solution(out["t"][-1:])[0], rtol=1e-7))
    True
    """
    from scipy.integrate import solve_ivp
    from scipy.stats import norm

    _check_lam(lam, "simulate_two_point")
    for name, v, lo, hi in (("sigma", sigma, 0, math.inf), ("eta", eta, 0, math.inf), ("eps", eps, 0, 1),
                            ("acc_level", acc_level, 0.5, 1), ("t_max", t_max, 0, 1e300)):
        if not (lo < v < hi):
            raise ValueError(f"simulate_two_point: {name} must be in ({lo}, {hi}), got {v}")
    q = 1.0 - 2.0 * lam
    tau0 = 1e-9 / (eta * max(sigma, 1.0) ** 2)      # t = tau + O(tau^2) from the start
    y0 = [0.5 * eta * sigma ** 2 * (1 - q) * tau0, eta * tau0, math.log(tau0)]
    sol = solve_ivp(_rhs(q, sigma, eta), (tau0, 1e300), y0, method="LSODA", rtol=rtol, atol=1e-12,
                    dense_output=True, events=_events(q, eps, norm.ppf(acc_level), math.log(t_max)))
    if sol.status == -1:
        raise RuntimeError(f"simulate_two_point: integration failed: {sol.message}")
    tau = np.geomspace(tau0, sol.t[-1], n_points)
    s, b, ell = sol.sol(tau)
    first = [float(e[0]) if len(e) else math.nan for e in sol.t_events[:4]]
    t_of = [float(np.exp(sol.sol(x)[2])) if math.isfinite(x) else math.nan for x in first]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        acc = norm.cdf(b / np.abs(s))
        losses = 0.5 * np.exp(-b) * (np.exp(-s) + np.exp(q * s)), np.exp(-b + s ** 2 / 2)
    return {"tau": tau, "t": np.exp(ell), "b": b, "norm_S": np.abs(s) / sigma,
            "train_loss": losses[0], "test_loss": losses[1], "test_acc": acc, "t_star_tr": t_of[0], "t_star_gen": t_of[1], "tau_star_tr": first[0],
            "tau_star_gen": first[1], "t_acc_tr": t_of[2], "t_acc_gen": t_of[3],
            "config": {"lam": lam, "sigma": sigma, "eta": eta, "eps": eps, "acc_level": acc_level, "t_max": t_max}}

r"""Pre-flight check of a training configuration under the linear-estimator theory (issue 21, item 5).

Given :math:`d_{in}, N_{tr}` (or :math:`\lambda = d_{in}/N_{tr}`), :math:`d_{out}`, weight decay :math:`\gamma`,
the threshold :math:`\epsilon`, the step :math:`\eta` and the initial scale :math:`\alpha`, say — before any
training — whether the model generalises at all, when (:math:`t^*_{tr}, t^*_{gen}` of the exact large-d
theory, Eq. 8 / 13 / 15 solved numerically), and why not: the :math:`\lambda > 1` plateau
(:math:`L_{gen} \to (1+\alpha^2)(1-1/\lambda)/(2 d_{out})`, sec. 3.1.1), a weight-decay floor above
:math:`L^*` (Eq. 15 at :math:`t \to \infty`), or a GD step beyond stability. Times are GD steps
(flow time with :math:`\eta_0 = \eta`), as in the simulator.

Examples
--------
>>> p = preflight(0.5)
>>> p.generalises, round(p.t_tr), round(p.t_gen), round(p.dt), round(p.dt_eq12)
(True, 725, 1156, 431, 716)
>>> q = preflight(d_in=1000, n_train=500)                 # lam = 2: the "failed" replication
>>> q.generalises, q.t_gen, q.reason[:26]
(False, inf, 'lam = 2 > 1: the null spac')
"""
from __future__ import annotations

import math
from typing import NamedTuple

from .accuracy import ACC_95, loss_at_accuracy
from .checks import check_choice, check_int, check_real
from .grok_time import dt_grok_eq12, grokking_times
from .losses import loss_limits, plateau_gen
from .mp import mp_edges

__all__ = ["Preflight", "preflight", "gd_stable"]


class Preflight(NamedTuple):
    """The answer of :func:`preflight` (times ``inf`` when never reached, ``dt_eq12`` ``nan`` outside Eq. 12)."""

    lam: float
    loss_target: float
    L_gen_inf: float
    generalises: bool
    t_tr: float
    t_gen: float
    dt: float
    dt_eq12: float
    reason: str


def gd_stable(lam: float, *, eta: float = 0.01, d_out: int = 1, gamma: float = 0.0) -> bool:
    """Whether discrete GD (Eq. 3) contracts every direction of the large-d spectrum:
    :math:`(\\eta/d_{out})(\\nu_{max} + \\gamma/2) < 1`, :math:`\\nu_{max} = (1+\\sqrt\\lambda)^2` (Eq. 6).

    >>> gd_stable(0.5), gd_stable(0.5, eta=0.4)
    (True, False)
    """
    nu_max = mp_edges(lam)[1]
    return check_real("eta", eta, lo=0.0, lo_open=True) / check_int("d_out", d_out, lo=1) * (nu_max + gamma / 2) < 1


def _lam(lam: float | None, d_in: int | None, n_train: int | None) -> float:
    if lam is not None:
        if d_in is not None or n_train is not None:
            raise ValueError("preflight: give either lam or d_in and n_train, not both")
        return check_real("lam", lam, lo=0.0, lo_open=True, hi=1e6)
    if d_in is None or n_train is None:
        raise ValueError("preflight: give lam, or both d_in and n_train")
    return check_int("d_in", d_in, lo=1) / check_int("n_train", n_train, lo=1)


def _reason(lam: float, target: float, limit: float, gamma: float, d_out: int, alpha: float) -> str:
    if limit < target:
        return ""
    if gamma == 0.0:
        return (f"lam = {lam:.4g} > 1: the null space of Sigma_tr keeps L_gen at the plateau "
                f"(1 + alpha^2)(1 - 1/lam)/(2 d_out) = {plateau_gen(lam, d_out=d_out, alpha=alpha):.4g}, above "
                f"L* = {target:.4g}")
    return (f"weight decay gamma = {gamma:.4g}: the floor L_gen(inf) = {limit:.4g} (Eq. 15 at t -> inf"
            f"{'; the plateau halves: the student forgets the null space' if lam > 1 else ''}) is above "
            f"L* = {target:.4g}")


def preflight(lam: float | None = None, *, d_in: int | None = None, n_train: int | None = None, d_out: int = 1,
              gamma: float = 0.0, eps: float = 1e-3, eta: float = 0.01, alpha: float = 1.0,
              dynamics: str = "flow", acc: float = ACC_95) -> Preflight:
    """Will this configuration generalise, when, and if not why (see the module docstring).

    ``dynamics="gd"`` or ``"gd_loop"`` adds the check of :func:`gd_stable`; the times are the
    flow's (GD with a stable step follows it up to O(eta nu) per step).

    >>> preflight(0.9, gamma=1e-2).reason.startswith("weight decay gamma = 0.01: the floor")
    True
    >>> preflight(0.5, eta=0.4, dynamics="gd").reason[:12]
    'GD diverges:'
    """
    lam = _lam(lam, d_in, n_train)
    d_out, gamma = check_int("d_out", d_out, lo=1), check_real("gamma", gamma, lo=0.0)
    dynamics = check_choice("dynamics", dynamics, ("flow", "gd", "gd_loop"))
    target = loss_at_accuracy(acc, eps, d_out=d_out)
    limit = loss_limits(lam, d_out=d_out, gamma=gamma, alpha=alpha)[1]
    g = grokking_times(lam, eta0=eta, eps=eps, d_out=d_out, gamma=gamma, alpha=alpha, acc=acc)
    eq12 = dt_grok_eq12(lam, eta0=eta) if lam < 1 and d_out == 1 and gamma == 0 else math.nan
    reason = _reason(lam, target, limit, gamma, d_out, alpha)
    if dynamics != "flow" and not gd_stable(lam, eta=eta, d_out=d_out, gamma=gamma):
        reason = (f"GD diverges: (eta/d_out)(nu_max + gamma/2) >= 1 with nu_max = (1 + sqrt(lam))^2 = "
                  f"{mp_edges(lam)[1]:.4g}; lower eta")
        return Preflight(lam, target, limit, False, math.inf, math.inf, math.nan, eq12, reason)
    ok = bool(math.isfinite(g.t_gen))
    return Preflight(lam, target, limit, ok, g.t_tr, g.t_gen, g.dt if ok else math.nan, eq12, reason)

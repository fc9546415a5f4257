"""Theory predictions from ``perceptron_theory``, collected in one place.

Which prediction applies to a run set is decided by :func:`model_of`: an
explicit ``model`` key in its config (``"ball"``, ``"exponential"``/``"1d"``,
``"eq50"``; external tables may declare one), else the ``theory_model`` of the
registered simulator that wrote it (:mod:`comparison.simulators`), else none.

``perceptron_theory`` is imported inside the functions only (it loads scipy),
so that ``grokcheck --help`` stays fast.

>>> model_of({"generator": "perceptron_theory.simulate_ball"})
'ball'
>>> model_of({"generator": "modular_rfm.run_rfm"})
'other'
>>> predict_nu_eq50(3.0, 0.25)["nu"]
1.75
"""
from __future__ import annotations

import math
from typing import Any

__all__ = ["predict_ball", "predict_exponential", "predict_nu_eq50", "model_of"]


_MODELS = {"ball": "ball", "exponential": "exponential", "1d": "exponential", "eq50": "eq50"}


def model_of(config: dict[str, Any]) -> str:
    """'ball', 'exponential', 'eq50' or 'other' (no theory) from a run set's config."""
    from .simulators import spec_for_generator

    declared = _MODELS.get(str(config.get("model", "")).lower())
    if declared is not None:
        return declared
    spec = spec_for_generator(str(config.get("generator", "")))
    return spec.theory_model if spec is not None and spec.theory_model else "other"


def predict_nu_eq50(d_eff: float, xi: float, d_eff_se: float = 0.0, xi_se: float = 0.0) -> dict[str, float]:
    """ν = (D_eff + 1)/2 − ξ (Eq. 50 with D → D_eff) and its propagated error.

    ``xi`` is required: a prediction with an unmeasured ξ is not made (the
    caller reports "not testable" instead of assuming ξ = 0). Eq. 50 is
    derived for one boundary density ρ ∝ δ^{−ξ} with 0 < ξ < 1; the paper's
    recipe for the tensor network sums the left and right exponents, which can
    exceed 1. The formula is then still evaluated (as the paper applies it), and
    ``xi_in_domain`` says whether the derivation's assumption holds.

    >>> predict_nu_eq50(3.0, 1.2)["xi_in_domain"]
    False
    """
    if xi is None or not math.isfinite(float(xi)):
        raise ValueError(f"xi must be a measured finite number for Eq. 50, got {xi!r}")
    if d_eff is None or not (math.isfinite(float(d_eff)) and float(d_eff) >= 1):
        raise ValueError(f"d_eff must be a finite number >= 1, got {d_eff!r}")
    nu = (float(d_eff) + 1.0) / 2.0 - float(xi)
    return {"nu": nu, "nu_se": math.hypot(0.5 * d_eff_se, xi_se), "xi_in_domain": bool(0.0 < float(xi) < 1.0)}


def predict_ball(D: int, N: int | None = None, eps: float | None = None, lam1: float = 0.0,
                 lam2: float = 0.0) -> dict[str, Any]:
    """Ball-model predictions: ν (Eq. 23), P_grok (first order, Eq. 86 and its λ1
    generalisation), the zeroth-order t_G law (Eqs. 40-47, λ1 = 0 only)."""
    from perceptron_theory import ball

    out: dict[str, Any] = {"model": "ball", "D": D, "N": N, "eps": eps, "lam1": lam1, "lam2": lam2,
                           "nu": float(ball.critical_exponent(D)), "nu_source": "Eq. 23: nu = (D+1)/2"}
    if N is not None and eps is not None:
        out["P_grok"] = float(ball.grok_probability(D, N, eps, lam1, lam2, method="first_order"))
        out["P_grok_source"] = "app. B first order in 1/sqrt(N) (Eq. 86; soft-thresholded for lam1 > 0)"
        try:
            out["P_grok_eq30"] = float(ball.grok_probability(D, N, eps, lam1, lam2, method="eq30"))
        except ValueError:
            pass
    if eps is not None and lam1 == 0 and D >= 2 and eps > 1:
        law = ball.GrokTimeLaw(D, eps, lam2)
        out["t_G_law"] = {"source": "Eqs. 40-47 (zeroth order, lam1 = 0)", "p_fast": law.p_fast,
                          "atom_location": law.atom[0], "atom_weight": law.atom[1], "mean": law.mean()}
    return out


def predict_exponential(N: int, eps: float, lam1: float = 0.0, lam2: float = 0.0) -> dict[str, Any]:
    """1D-model predictions: ν = 1 (Eqs. 9-10), P_grok (Eq. 14), the t_G law (Eq. 16, app. A)."""
    from perceptron_theory import exponential as ex

    out: dict[str, Any] = {"model": "exponential", "N": N, "eps": eps, "lam1": lam1, "lam2": lam2,
                           "nu": 1.0, "nu_source": "Eqs. 9-10: nu = 1",
                           "eps_lambda": float(ex.eps_lambda(eps, lam1, lam2)),
                           "P_grok": float(ex.grok_probability(N, eps, lam1, lam2)),
                           "P_grok_source": "Eq. 14 (numerical integral)"}
    try:
        law = ex.GrokTimeLaw(N, eps, lam1, lam2)
        out["t_G_law"] = {"source": "Eq. 16 with the joint law of app. A", "mean": law.mean(), "atom_weight": 0.0}
    except ValueError as exc:
        out["t_G_law"] = {"unavailable": str(exc)}
    return out


def theory_law(config: dict[str, Any]) -> Any:
    """The t_G law object for a perceptron run set's config, or None."""
    kind = model_of(config)
    try:
        if kind == "ball":
            from perceptron_theory import ball

            if float(config.get("lam1", 0.0)) != 0.0:
                return None
            return ball.GrokTimeLaw(int(config["D"]), float(config["eps"]), float(config.get("lam2", 0.0)))
        if kind == "exponential":
            from perceptron_theory import exponential as ex

            return ex.GrokTimeLaw(int(config["N"]), float(config["eps"]), float(config.get("lam1", 0.0)),
                                  float(config.get("lam2", 0.0)))
    except (ValueError, KeyError):
        return None
    return None

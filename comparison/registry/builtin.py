r"""The built-in theories: the seed paper's 1D and ball models, Eq. 50 and Eq. 48.

Each is a :class:`~comparison.registry.theories.TheorySpec` registered on import;
``perceptron_theory`` is imported inside ``predict`` only (it loads scipy), so that
``grokcheck --help`` stays fast.

* ``1d`` — the exponential perceptron (sec. 3.2): ν = 1 (Eqs. 9-10), P_grok (Eq. 14),
  the t_G law (Eq. 16 with the joint law of app. A).
* ``ball`` — the D-ball (sec. 3.3): ν = (D+1)/2 (Eq. 23), P_grok (first order,
  Eq. 86, and its λ₁ generalisation), the zeroth-order t_G law (Eqs. 40-47, λ₁ = 0).
* ``eq50`` — feature-based run sets: ν = (D_eff + 1)/2 − ξ (Eq. 50 with D → D_eff),
  from the *measured* D_eff and ξ (never a defaulted ξ = 0).
* ``margin`` — Eq. 48: ν equals the exponent of the feature mass within δ of the final
  plane, measured on the same run set.

>>> from comparison.registry import get_theory
>>> [p.value for p in get_theory("ball").predict({"D": 3}, {}) if p.quantity == "nu"]
[2.0]
>>> p = get_theory("eq50").predict({}, {"d_eff": 3.0, "xi": 0.25})[0]
>>> p.value, p.se
(1.75, 0.0)
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .theories import Prediction, TheorySpec, register_theory

__all__ = ["eq50_nu", "inputs_text"]

_NAMES = {"eps": "ε", "lam1": "λ₁", "lam2": "λ₂"}
_PERCEPTRON_INPUTS = ("D", "N", "eps", "lam1", "lam2")


def inputs_text(cfg: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    """"D = 3, N = 50, ε = 1.5": the inputs a formula was evaluated at, for a row's source."""
    return ", ".join(f"{_NAMES.get(k, k)} = {cfg[k]:g}" if isinstance(cfg[k], (int, float)) else f"{k} = {cfg[k]}"
                     for k in keys if k in cfg)


def _with_inputs(source: str, cfg: Mapping[str, Any], keys: tuple[str, ...] = _PERCEPTRON_INPUTS) -> str:
    text = inputs_text(cfg, keys)
    return f"{source}, {text}" if text else source


def _lams(cfg: Mapping[str, Any]) -> tuple[float, float]:
    return float(cfg.get("lam1", 0.0)), float(cfg.get("lam2", 0.0))


def _law_predictions(law: Any, source: str) -> list[Prediction]:
    return [Prediction("t_G law", kind="distance", law=law, source=source),
            Prediction("median t_G", float(law.median()), law=law, source=source)]


def _no_law(why: str, source: str) -> list[Prediction]:
    return [Prediction("t_G law", kind="distance", not_testable=why, source=source)]


def _predict_1d(cfg: Mapping[str, Any], measured: Mapping[str, Any]) -> list[Prediction]:
    from perceptron_theory import exponential as ex

    N, eps, (l1, l2) = int(cfg["N"]), float(cfg["eps"]), _lams(cfg)
    out = [Prediction("nu", 1.0, source="Eqs. 9-10: nu = 1"),
           Prediction("P_grok", float(ex.grok_probability(N, eps, l1, l2)),
                      source=_with_inputs("Eq. 14 (numerical integral)", cfg))]
    src = _with_inputs("Eq. 16 with the joint law of app. A", cfg)
    try:
        return out + _law_predictions(ex.GrokTimeLaw(N, eps, l1, l2), src)
    except ValueError as exc:
        return out + _no_law(f"no t_G law at this setting: {exc}", src)


def _predict_ball(cfg: Mapping[str, Any], measured: Mapping[str, Any]) -> list[Prediction]:
    from perceptron_theory import ball

    D = int(cfg["D"])
    out = [Prediction("nu", float(ball.critical_exponent(D)), source=_with_inputs("Eq. 23: nu = (D+1)/2", cfg,
                                                                                    ("D",)))]
    if "N" not in cfg or "eps" not in cfg:
        return out
    N, eps, (l1, l2) = int(cfg["N"]), float(cfg["eps"]), _lams(cfg)
    out.append(Prediction("P_grok", float(ball.grok_probability(D, N, eps, l1, l2, method="first_order")),
                          source=_with_inputs("app. B first order in 1/sqrt(N) (Eq. 86; soft-thresholded for "
                                              "lam1 > 0)", cfg)))
    src = _with_inputs("Eqs. 40-47 (zeroth order, lam1 = 0)", cfg)
    if l1 != 0.0:
        return out + _no_law("the t_G law (Eqs. 40-47) is derived for λ₁ = 0 only", src)
    if D < 2 or eps <= 1:
        return out + _no_law("the t_G law (Eqs. 40-47) needs D ≥ 2 and ε > 1", src)
    return out + _law_predictions(ball.GrokTimeLaw(D, eps, l2), src)


def eq50_nu(d_eff: float, xi: float, d_eff_se: float = 0.0, xi_se: float = 0.0) -> tuple[float, float, bool]:
    """ν = (D_eff + 1)/2 − ξ (Eq. 50 with D → D_eff), its propagated s.e., and whether ξ lies in
    the derivation's domain 0 < ξ < 1 (the paper's tensor-network recipe sums the left and right
    exponents, which can exceed 1; the formula is then still evaluated, as the paper applies it).

    >>> eq50_nu(3.0, 1.2)
    (0.8, 0.0, False)
    """
    for name, v, lo in (("d_eff", d_eff, 1.0), ("xi", xi, -math.inf)):
        if v is None or not math.isfinite(float(v)) or float(v) < lo:
            raise ValueError(f"{name} must be a measured finite number{' >= 1' if lo > 0 else ''} for Eq. 50, "
                             f"got {v!r}")
    nu = (float(d_eff) + 1.0) / 2.0 - float(xi)
    return nu, math.hypot(0.5 * d_eff_se, xi_se), bool(0.0 < float(xi) < 1.0)


def _predict_eq50(cfg: Mapping[str, Any], m: Mapping[str, Any]) -> list[Prediction]:
    used = m.get("d_eff_used", "d_eff")
    d_se, x_se = float(m.get("d_eff_se", 0.0)), float(m.get("xi_se", 0.0))
    nu, se, in_domain = eq50_nu(m["d_eff"], m["xi"], d_se, x_se)
    src = (f"Eq. 50 with D -> {used}: (D_eff+1)/2 - xi, D_eff = {m['d_eff']:.3g} ± {d_se:.2g} ({used}), "
           f"ξ = {m['xi']:.3g} ± {x_se:.2g}")
    note = "" if in_domain else (f"xi = {m['xi']:.3g} (left + right, the paper's recipe) is outside Eq. 50's "
                                 "derivation (0 < xi < 1); the formula is applied as the paper applies it")
    return [Prediction("nu", nu, se, source=src, note=note,
                       erratum="erratum-eq50-nu" if in_domain else "erratum-eq50-xi-domain")]


def _predict_margin(cfg: Mapping[str, Any], m: Mapping[str, Any]) -> list[Prediction]:
    a, se = float(m["nu_margin"]), float(m.get("nu_margin_se", math.nan))
    src = f"Eq. 48: ν = exponent a of the feature mass within δ of the final plane, a = {a:.3g} ± {se:.2g}"
    if not math.isfinite(se):
        return [Prediction("nu", not_testable="nu_margin_se: not a finite number", source=src,
                           label="nu (margin exponent)")]
    return [Prediction("nu", a, se, source=src, label="nu (margin exponent)")]


_FEATURE_RUNS = ("scenario-a", "scenario-b", "eq50")
register_theory(TheorySpec("1d", ("perceptron-1d", "exponential"), _predict_1d, ("nu", "P_grok", "t_G law",
                                                                                 "median t_G"),
                           description="1D exponential perceptron (sec. 3.2: Eqs. 9-10, 14, 16)",
                           example_config={"N": 10, "eps": 0.4, "lam1": 0.0, "lam2": 0.0}))
register_theory(TheorySpec("ball", ("perceptron-ball", "ball"), _predict_ball, ("nu", "P_grok", "t_G law",
                                                                              "median t_G"),
                           description="D-ball perceptron (sec. 3.3: Eqs. 23, 40-47, 86)",
                           errata={"P_grok": "erratum-eq86-regime", "t_G law": "erratum-ball-tg-law",
                                   "median t_G": "erratum-ball-tg-law"},
                           example_config={"D": 10, "N": 10, "eps": 1.01, "lam1": 0.0, "lam2": 0.1}))
register_theory(TheorySpec("eq50", _FEATURE_RUNS, _predict_eq50, ("nu",), inputs=("d_eff", "xi"),
                           description="Eq. 50 with D -> D_eff: nu = (D_eff+1)/2 - xi",
                           errata={"nu": "erratum-eq50-nu"}))
register_theory(TheorySpec("margin", _FEATURE_RUNS, _predict_margin, ("nu",), inputs=("nu_margin",),
                           description="Eq. 48: nu = the margin exponent of the feature mass",
                           labels={"nu": "nu (margin exponent)"}))

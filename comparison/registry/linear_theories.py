r"""The built-in theories of the linear estimator (Levi, Beck & Bar-Sinai, ICLR 2024): exact Δt and Eq. 12.

Registered on import (by :mod:`.catalog`) for run sets of the ``linear-estimator`` simulator
(:func:`linear_grokking.estimator.simulate_linear_estimator`; also any table whose config
declares ``model = "linear-estimator"``).

* ``linear-estimator`` — the exact large-d theory: Eq. 8 (Eq. 13 for d_out, Eq. 15 for weight
  decay, the initial scale α kept) solved for the first times the losses reach
  :math:`L^* = d_{out}\epsilon/\chi^2_{d_{out}}(\mathrm{erf}\sqrt 2)`:

  - ``P_grok`` = 1 when :math:`t^*_{gen} \le` ``horizon`` (0 when L_gen never reaches L*: the
    λ > 1 plateau (1+α²)(1−1/λ)/(2 d_out), or a weight-decay floor above L*), judged by the
    exact binomial test. "Not testable" where finite-size fluctuations decide: the horizon
    within a factor 2 of t*_gen, or the floor L_gen(∞) within a factor 2 of L*. Without a
    ``horizon`` in the config it is the t → ∞ answer.
  - ``mean t_G`` and ``median t_G`` = :math:`\Delta t = t^*_{gen} - t^*_{tr}` (se 0: a large-d limit).
    "Not testable" when the model does not generalise, or when t*_gen is beyond half the
    horizon (the measured population would be truncated: runs slower than the horizon do not
    grok and are not averaged).

* ``linear-estimator-eq12`` — the paper's headline :math:`\epsilon \to 0` asymptote, Eq. 12,
  :math:`\Delta t \simeq \log(1/(1-\sqrt\lambda))/(2\eta_0(1-\sqrt\lambda)^2)`, for the same two
  quantities; stated for λ < 1, d_out = 1, γ = 0 (otherwise "not testable"). A separate theory,
  so that a report shows where the approximation fails (at the paper's ε = 1e-3 it overshoots
  the exact Δt by 66 % at λ = 0.5 and 175 % at λ = 0.9).

Both sides answer the same question: the simulator's ``t_train``, ``t_eps`` are the same loss
crossings (exact losses of each finite run, same ε, same L*, same clock: GD steps with the flow
rate η₀ = η), ``groks`` is t*_gen ≤ horizon, and t_G is averaged over the grokking runs.

>>> from comparison.registry import get_theory
>>> [(p.quantity, round(p.value)) for p in get_theory("linear-estimator").predict({"lam": 0.5}, {})]
[('P_grok', 1), ('mean t_G', 431), ('median t_G', 431)]
>>> [round(p.value) for p in get_theory("linear-estimator-eq12").predict({"lam": 0.5}, {})]
[716, 716]
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .builtin import inputs_text
from .theories import Prediction, TheorySpec, register_theory

__all__ = ["linear_setting"]

_KEYS = ("lam", "d_in", "n_train", "d_out", "gamma", "alpha", "eps", "eta", "dynamics", "horizon")
_DEFAULTS = {"d_out": 1, "gamma": 0.0, "alpha": 1.0, "eps": 1e-3, "eta": 0.01, "dynamics": "flow"}
_T_QUANTITIES = ("mean t_G", "median t_G")
_MARGIN = 2.0  # finite-size fluctuations decide within this factor of the horizon or of L*


def linear_setting(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The theory's inputs from a config: λ = d_in/n_train when both are given (else ``lam``), the
    defaults of the simulator for the rest, ``horizon`` None when absent.

    >>> linear_setting({"d_in": 1000, "n_train": 500, "lam": 0.5})["lam"]
    2.0
    """
    if "d_in" in cfg and "n_train" in cfg:
        lam = float(cfg["d_in"]) / float(cfg["n_train"])
    elif "lam" in cfg:
        lam = float(cfg["lam"])
    else:
        raise ValueError("the linear-estimator theory needs lam, or d_in and n_train, in the config")
    out = {k: cfg.get(k, v) for k, v in _DEFAULTS.items()}
    out.update(lam=lam, d_out=int(out["d_out"]), horizon=cfg.get("horizon"))
    return out


def _preflight(s: Mapping[str, Any]):
    from linear_grokking.estimator import preflight

    return preflight(s["lam"], d_out=s["d_out"], gamma=float(s["gamma"]), eps=float(s["eps"]), eta=float(s["eta"]),
                     alpha=float(s["alpha"]), dynamics=str(s["dynamics"]))


def _source(what: str, cfg: Mapping[str, Any], s: Mapping[str, Any]) -> str:
    shown = {**{k: cfg[k] for k in _KEYS if k in cfg}, "lam": s["lam"]}
    return f"{what}, {inputs_text(shown, _KEYS)}"


def _truncated(pf: Any, horizon: Any) -> str | None:
    if horizon is not None and pf.t_gen > float(horizon) / _MARGIN:
        return (f"t*_gen = {pf.t_gen:.4g} is beyond half the horizon {float(horizon):.4g}: the runs slower than "
                "the horizon do not grok, so the measured t_G would be a truncated population; raise horizon")
    return None


def _p_grok(pf: Any, horizon: Any, src: str) -> Prediction:
    ratio = pf.L_gen_inf / pf.loss_target
    if 1 / _MARGIN < ratio < _MARGIN:
        return Prediction("P_grok", not_testable=f"the floor L_gen(inf) = {pf.L_gen_inf:.4g} is within a factor "
                          f"{_MARGIN:g} of L* = {pf.loss_target:.4g}: finite-size fluctuations decide", source=src)
    when = f"t*_tr = {pf.t_tr:.4g}, t*_gen = {pf.t_gen:.4g} GD steps (L* = {pf.loss_target:.4g})"
    if not pf.generalises:
        return Prediction("P_grok", 0.0, source=src, note=f"never generalises: {pf.reason}")
    if horizon is None:
        return Prediction("P_grok", 1.0, source=src, note=f"{when}; no horizon in the config: the t -> inf answer")
    h = float(horizon)
    if 1 / _MARGIN < pf.t_gen / h < _MARGIN:
        return Prediction("P_grok", not_testable=f"{when}: the horizon {h:.4g} is within a factor {_MARGIN:g} of "
                          "t*_gen, where finite-size fluctuations decide which runs reach it", source=src)
    return Prediction("P_grok", float(pf.t_gen <= h), source=src, note=f"{when}; horizon {h:.4g}")


def _predict_exact(cfg: Mapping[str, Any], measured: Mapping[str, Any]) -> list[Prediction]:
    s = linear_setting(cfg)
    pf = _preflight(s)
    src = _source("Eq. 8 (Eq. 13 d_out, Eq. 15 gamma) solved for L = L*, large d", cfg, s)
    if pf.reason.startswith("GD diverges"):
        return [Prediction(q, not_testable=pf.reason, source=src) for q in ("P_grok", *_T_QUANTITIES)]
    why = (None if pf.generalises else f"no grokking time: {pf.reason}") or _truncated(pf, s["horizon"])
    note = "large-d limit: each finite-d run fluctuates about it (the s.e. is the spread over runs)"
    if s["dynamics"] != "flow":
        note += "; gradient-flow theory for discrete GD (stable step: the same up to O(eta nu) per step)"
    return [_p_grok(pf, s["horizon"], src)] + [Prediction(q, pf.dt if why is None else math.nan, source=src,
                                                          note=note, not_testable=why) for q in _T_QUANTITIES]


def _eq12_domain(s: Mapping[str, Any]) -> str | None:
    if not s["lam"] < 1:
        return f"Eq. 12 is derived for lam < 1 (lam = {s['lam']:.4g}: the lag diverges at 1, never ends above)"
    if s["d_out"] != 1 or float(s["gamma"]) != 0.0:
        return ("Eq. 12 is stated for d_out = 1 and gamma = 0 (d_out = {d_out}, gamma = {gamma:g}); the exact "
                "theory 'linear-estimator' covers them").format(d_out=s["d_out"], gamma=float(s["gamma"]))
    return None


def _predict_eq12(cfg: Mapping[str, Any], measured: Mapping[str, Any]) -> list[Prediction]:
    from linear_grokking.estimator import dt_grok_eq12

    s = linear_setting(cfg)
    src = _source("Eq. 12: log(1/(1-sqrt(lam)))/(2 eta (1-sqrt(lam))^2), eps -> 0", cfg, s)
    why = _eq12_domain(s)
    if why is None:
        pf = _preflight(s)
        why = (pf.reason or "never generalises") if not pf.generalises else _truncated(pf, s["horizon"])
    if why is not None:
        return [Prediction(q, not_testable=why, source=src) for q in _T_QUANTITIES]
    scale = (1 - math.sqrt(s["lam"])) ** 3 / s["lam"] ** 0.75
    eps = float(s["eps"])
    note = (f"an eps -> 0 asymptote: needs eps << (1-sqrt(lam))^3/lam^(3/4) = {scale:.3g}; here eps = {eps:.3g}"
            + (" (outside)" if eps >= scale else f" ({scale / eps:.3g} times smaller)"))
    dt = dt_grok_eq12(s["lam"], eta0=float(s["eta"]))
    return [Prediction(q, dt, source=src, note=note) for q in _T_QUANTITIES]


_APPLIES = ("linear-estimator",)
_EXAMPLE = {"lam": 0.5, **_DEFAULTS}
register_theory(TheorySpec("linear-estimator", _APPLIES, _predict_exact, ("P_grok", *_T_QUANTITIES),
                           description="linear estimator, exact large-d theory (Levi, Beck & Bar-Sinai 2024, "
                                       "Eqs. 8, 13, 15): P_grok and Delta t = t*_gen - t*_tr",
                           example_config=_EXAMPLE))
register_theory(TheorySpec("linear-estimator-eq12", _APPLIES, _predict_eq12, _T_QUANTITIES,
                           description="linear estimator, Eq. 12 (eps -> 0 asymptote of Delta t; lam < 1, d_out = 1, "
                                       "gamma = 0)", example_config=_EXAMPLE,
                           errata=dict.fromkeys(_T_QUANTITIES, "erratum-eq12-asymptote")))

r"""``grokcheck paper linear-estimator``: Δt_grok of the linear estimator against its theory, Figs. 1-3.

Levi, Beck & Bar-Sinai (ICLR 2024, arXiv:2310.16441). Each row runs the registered
``linear-estimator`` simulator (exact gradient flow, d_in = 10³, η = 0.01, ε = 10⁻³ by default)
and sets the simulated Δt = t*_gen − t*_tr (mean over the grokking runs, s.e. over runs) beside
the exact large-d theory (Eq. 8 / 13 / 15 solved for L = L*) and the paper's ε → 0 asymptote
Eq. 12; the verdicts are those of the registered theories ``linear-estimator`` and
``linear-estimator-eq12`` under the single rule (|z| < 4). The grid is the paper's:

* Fig. 1: λ ∈ {0.1, 0.5, 0.9, 1.5} at d_out = 1, γ = 0 (λ = 1.5: the plateau 1 − 1/λ, no grokking);
* Fig. 2: d_out ∈ {50, 700} at λ = 0.9 (d_out = 1 is Fig. 1's row), γ = 0;
* Fig. 3: γ ∈ {10⁻⁵, 10⁻³, 10⁻²} at λ ∈ {0.5, 0.9}, d_out = 1.

Row keys: ``lam, d_out, gamma, eps, d_in, n_train, n_seeds, n_groks, p_grok_sim, dt_grok_sim,
dt_grok_sim_se, dt_grok_theory, dt_grok_eq12`` (null outside Eq. 12's λ < 1, d_out = 1, γ = 0),
``t_tr_theory, t_gen_theory, t_tr_sim, t_gen_sim, generalises`` (the theory's t → ∞ answer),
``generalises_sim`` (fraction of runs whose exact L_gen(∞) is below L*), ``plateau_gen`` (the
theory's L_gen at t → ∞: the plateau (1 − 1/λ)⁺ or the weight-decay floor), ``plateau_gen_sim``
and its ``_se``, ``z_theory, verdict_theory, z_eq12, verdict_eq12, verdict_p_grok, seed``.
Times in GD steps; null where a quantity does not exist (no grokking run, Eq. 12 outside its domain).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..agreement.verdict import Verdict
from ..registry import get_theory, run_theory
from ..seeds import child_seeds
from ..simulators import call_simulator, check_params

__all__ = ["paper_linear_estimator", "paper_grid", "check_linear_grid", "linear_frame", "theory_curves",
           "write_linear_report", "DEFAULT_LAMS", "DEFAULT_D_OUTS", "DEFAULT_GAMMAS"]

DEFAULT_LAMS = (0.1, 0.5, 0.9, 1.5)
DEFAULT_D_OUTS = (50, 700)
DEFAULT_GAMMAS = (1e-5, 1e-3, 1e-2)
_GAMMA_LAMS = (0.5, 0.9)
_D_OUT_LAM = 0.9


def paper_grid(lams: Sequence[float] = DEFAULT_LAMS, d_outs: Sequence[int] = DEFAULT_D_OUTS,
               gammas: Sequence[float] = DEFAULT_GAMMAS) -> list[tuple[float, int, float]]:
    """The (λ, d_out, γ) settings of Figs. 1-3 (see the module docstring), without duplicates.

    >>> paper_grid((0.5,), (50,), (1e-3,))
    [(0.5, 1, 0.0), (0.9, 50, 0.0), (0.5, 1, 0.001), (0.9, 1, 0.001)]
    """
    grid = [(float(lam), 1, 0.0) for lam in lams]
    grid += [(_D_OUT_LAM, int(d), 0.0) for d in d_outs]
    grid += [(lam, 1, float(g)) for g in gammas for lam in _GAMMA_LAMS]
    return list(dict.fromkeys(grid))


def _num(x: Any) -> float | None:
    """A finite float, or None (strict JSON)."""
    return float(x) if x is not None and math.isfinite(float(x)) else None


def _judge(theory: str, cfg: dict[str, Any], tg: np.ndarray) -> tuple[float | None, str]:
    """z and verdict of the theory's ``mean t_G`` on the measured grokking times."""
    pred = next(p for p in run_theory(get_theory(theory), cfg, {}) if p.quantity == "mean t_G")
    if not pred.testable:
        return None, f"not testable: {pred.not_testable}"
    if tg.size < 2:
        return None, f"not testable: {tg.size} grokking run(s)"
    v = Verdict.estimate("mean t_G", float(tg.mean()), float(tg.std(ddof=1) / math.sqrt(tg.size)), pred.value)
    return _num(v.z), v.verdict


def _p_grok_verdict(cfg: dict[str, Any], k: int, n: int) -> str:
    pred = next(p for p in run_theory(get_theory("linear-estimator"), cfg, {}) if p.quantity == "P_grok")
    return Verdict.count("P_grok", k, n, pred.value).verdict if pred.testable else f"not testable: {pred.not_testable}"


def _mean_se(x: np.ndarray) -> tuple[float | None, float | None]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return None, None
    return float(x.mean()), (float(x.std(ddof=1) / math.sqrt(x.size)) if x.size > 1 else None)


def _row(lam: float, d_out: int, gamma: float, params: dict[str, Any], seed: int) -> dict[str, Any]:
    from linear_grokking.estimator import preflight

    res = call_simulator("linear-estimator", {**params, "lam": lam, "d_out": d_out, "gamma": gamma, "seed": seed})
    s, cfg = res.summary, res.config
    g = s["groks"].to_numpy(dtype=bool) & ~s["diverged"].to_numpy(dtype=bool)
    tg = s.loc[g, "t_G"].to_numpy(dtype=float)
    pf = preflight(cfg["lam"], d_out=d_out, gamma=gamma, eps=params["eps"], eta=params["eta"],
                   dynamics=params["dynamics"])
    dt, dt_se = _mean_se(tg)
    plat, plat_se = _mean_se(s["L_gen_inf"].to_numpy(dtype=float))
    z_th, v_th = _judge("linear-estimator", cfg, tg)
    z_12, v_12 = _judge("linear-estimator-eq12", cfg, tg)
    n = int((~s["diverged"]).sum())
    return {"lam": cfg["lam"], "lam_requested": lam, "d_out": d_out, "gamma": gamma, "eps": params["eps"],
            "eta": params["eta"],
            "d_in": params["d_in"], "n_train": cfg["n_train"], "n_seeds": n, "n_groks": int(g.sum()),
            "p_grok_sim": g.sum() / n if n else None, "dt_grok_sim": dt, "dt_grok_sim_se": dt_se,
            "dt_grok_theory": _num(pf.dt), "dt_grok_eq12": _num(pf.dt_eq12), "t_tr_theory": _num(pf.t_tr),
            "t_gen_theory": _num(pf.t_gen), "t_tr_sim": _mean_se(s.loc[g, "t_train"].to_numpy(dtype=float))[0],
            "t_gen_sim": _mean_se(s.loc[g, "t_eps"].to_numpy(dtype=float))[0], "generalises": bool(pf.generalises),
            "generalises_sim": float(s["generalises"].mean()), "plateau_gen": _num(pf.L_gen_inf),
            "plateau_gen_sim": plat, "plateau_gen_sim_se": plat_se, "z_theory": z_th, "verdict_theory": v_th,
            "z_eq12": z_12, "verdict_eq12": v_12, "verdict_p_grok": _p_grok_verdict(cfg, int(g.sum()), n),
            "seed": seed}


def _params(d_in: int, eta: float, eps: float, n_seeds: int, horizon: float, n_test: int, n_points: int,
            dynamics: str) -> dict[str, Any]:
    return {"d_in": d_in, "eta": eta, "eps": eps, "n_seeds": n_seeds, "horizon": horizon, "n_test": n_test,
            "n_points": n_points, "dynamics": dynamics}


def check_linear_grid(grid: Sequence[tuple[float, int, float]], *, d_in: int = 1000, eta: float = 0.01,
                      eps: float = 1e-3, n_seeds: int = 8, horizon: float = 1e7, n_test: int = 200,
                      n_points: int = 16, dynamics: str = "flow", seed: int = 0) -> None:
    """Check every setting's parameters (types, ranges, memory) with the simulator registry before
    any work; :class:`~comparison.errors.ConfigError` names the first bad one."""
    params = _params(d_in, eta, eps, n_seeds, horizon, n_test, n_points, dynamics)
    for lam, d_out, gamma in grid:
        check_params("linear-estimator", {**params, "lam": lam, "d_out": d_out, "gamma": gamma, "seed": seed})


def paper_linear_estimator(grid: Sequence[tuple[float, int, float]] | None = None, *, d_in: int = 1000,
                           eta: float = 0.01, eps: float = 1e-3, n_seeds: int = 8, horizon: float = 1e7,
                           n_test: int = 200, n_points: int = 16, dynamics: str = "flow",
                           seed: int = 0) -> list[dict[str, Any]]:
    """One row per (λ, d_out, γ) of ``grid`` (default :func:`paper_grid`), JSON-ready (keys above).

    Each setting has its own child seed of ``seed`` (:func:`comparison.seeds.child_seeds`); the
    parameters are checked by the simulator registry (:func:`check_linear_grid`) before any work.
    """
    grid = paper_grid() if grid is None else list(grid)
    check_linear_grid(grid, d_in=d_in, eta=eta, eps=eps, n_seeds=n_seeds, horizon=horizon, n_test=n_test,
                      n_points=n_points, dynamics=dynamics, seed=seed)
    params = _params(int(d_in), float(eta), float(eps), int(n_seeds), float(horizon), int(n_test), int(n_points),
                     dynamics)
    return [_row(lam, d_out, gamma, params, s) for (lam, d_out, gamma), s in zip(grid, child_seeds(seed, len(grid)))]


def linear_frame(rows: list[dict[str, Any]]) -> Any:
    """A compact printable table of :func:`paper_linear_estimator` rows."""
    import pandas as pd

    return pd.DataFrame([{"lam": r["lam_requested"], "d_out": r["d_out"], "gamma": r["gamma"],
                          "groks": f"{r['n_groks']}/{r['n_seeds']}", "dt sim": r["dt_grok_sim"],
                          "± se": r["dt_grok_sim_se"], "dt exact": r["dt_grok_theory"], "z": r["z_theory"],
                          "dt Eq. 12": r["dt_grok_eq12"], "z Eq. 12": r["z_eq12"], "L_gen(inf)": r["plateau_gen"],
                          "sim": r["plateau_gen_sim"], "P_grok": r["verdict_p_grok"]} for r in rows])


def theory_curves(rows: list[dict[str, Any]], n: int = 30) -> dict[str, dict[str, list[float | None]]]:
    """The exact Δt (and Eq. 12) on dense grids for the figures: against λ (d_out = 1, γ = 0),
    against d_out (λ = 0.9) and against γ (λ = 0.5, 0.9), at the rows' ε and η."""
    from linear_grokking.estimator import preflight

    eps, eta = (rows[0]["eps"], rows[0]["eta"]) if rows else (1e-3, 0.01)
    lams = np.linspace(0.03, 0.97, n)
    fig1 = [preflight(float(x), eps=eps, eta=eta) for x in lams]
    d_outs = np.unique(np.geomspace(1, 1000, n).round().astype(int))
    gammas = np.geomspace(1e-6, 3e-2, n)
    return {"lam": {"x": lams.tolist(), "exact": [_num(p.dt) for p in fig1], "eq12": [_num(p.dt_eq12) for p in fig1]},
            "d_out": {"x": d_outs.tolist(), "exact": [_num(preflight(_D_OUT_LAM, d_out=int(d), eps=eps, eta=eta).dt)
                                                      for d in d_outs]},
            **{f"gamma_{lam:g}": {"x": gammas.tolist(), "exact": [_num(preflight(lam, gamma=float(g), eps=eps,
                                                                                 eta=eta).dt) for g in gammas]}
               for lam in _GAMMA_LAMS}}


def write_linear_report(rows: list[dict[str, Any]], out_dir: Any, divergence: dict[str, Any] | None = None) -> Any:
    """Write ``report.md``/``report.html`` with the table and the three figures into ``out_dir``, and the
    λ → 1 divergence section when ``divergence`` (:func:`comparison.pipeline.linear_divergence.divergence_study`) is given."""
    from ..report import Report, write_report
    from ..report.linear_paper import draw_linear_paper

    rep = Report(title="Linear estimators: grokking time against theory (grokcheck paper linear-estimator)")
    draw_linear_paper(rep, rows, linear_frame(rows), theory_curves(rows))
    if divergence is not None:
        from ..report.linear_divergence import draw_linear_divergence
        from .linear_divergence import divergence_frame

        draw_linear_divergence(rep, divergence, divergence_frame(divergence))
    return write_report(rep, out_dir)

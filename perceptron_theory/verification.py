r"""Theory-versus-simulation verification table for the perceptron models.

:func:`verification_table` simulates each parameter set of a grid with
:mod:`~perceptron_theory.simulate` and sets the theory's prediction beside the
measured value, with the simulation's standard error, the z-score and a verdict
``agrees = |z| < z_tol`` (default 4). Rows whose theory is an approximation outside
its stated regime are kept: the table is meant to show where the paper's
approximations fail (e.g. Eq. 30 at small λ_{2,D}, Eq. 47 as printed).

Quantities
----------
* ``P_grok``: fraction of replicas whose final model has zero test error; the verdict is the
  exact binomial test (two-sided mid-p, ``p_value`` column) at the tail probability of
  z_tol (6.3e-5 for 4): always, not only near 0 and 1; z (binomial error) stays a column.
* ``mean_t_G``: 1D model, mean grokking time over grokking replicas (error: sd/√n).
* ``median_t_G``: ball model, the t_G law (Eqs. 40-47) asked three separate questions,
  each row labelled in ``question``/``asks`` (see :mod:`~perceptron_theory.time_law_study`):
  (a) ``derivation``, law vs the zeroth-order flow with the threshold t_train, for the
  corrected and the printed atom; (b) ``approximation``, law vs the real flow with the
  threshold t_train; (c) ``real model``, law vs the real t_G (t_train from the samples).
  The verdict is on the median; mean, atom location, P(t_G < t*), KS and the bound
  fraction are extra columns. Replicas generalised at t = 0 are counted
  (``n_generalised_at_init``) and excluded.
* ``nu``: mean over grokking replicas of the per-run exponent from a least-squares fit
  of log E = log A + ν log τ + b τ, τ = t_eps - t in [1e-6, 1e-3] t_eps (the linear term
  removes the O(τ) curvature bias of a pure power-law fit; error: sd/√n).
  ``sim_stderr`` of ν includes a numerical floor of 1e-6 (:data:`NU_NUMERICAL_FLOOR`).
* ``slope_mean``: 1D model, mean of E/(t_eps - t) at the closest approach (Eq. 10).

Every row has ``detectable``: the smallest true |simulation − theory| its own test detects with
80 % power at the table's level (:mod:`~perceptron_theory.power`; exact binomial at the row's n
for P_grok, inf where no shift is detectable; the z-test's (z_tol + 0.84)·se otherwise).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import ball as _ball
from . import exponential as _exp
from ._validation import check_int, check_real
from .exact_tests import count_verdict, z_to_p
from .power import detectable
from .simulate import SimulationResult, simulate_ball, simulate_exponential
from .time_law_study import ball_time_law_study
from .verification_view import VerificationTable

__all__ = ["verification_table", "DEFAULT_GRID", "local_exponents"]

#: Small default grid (runs in well under a minute on 2 cores with 2000 replicas).
DEFAULT_GRID: dict[str, list[dict[str, Any]]] = {
    "exponential": [
        {"N": 2, "eps": 0.4},
        {"N": 5, "eps": 0.04},
        {"N": 10, "eps": 0.1, "lam1": 0.02, "lam2": 0.5},
    ],
    "ball_probability": [
        {"D": 10, "N": 10, "eps": 1.01, "lam2": 0.1},
        {"D": 10, "N": 10, "eps": 1.1, "lam2": 0.1},
        {"D": 3, "N": 100, "eps": 1.02, "lam2": 0.01},
        {"D": 5, "N": 10, "eps": 1.05, "lam1": 0.05, "lam2": 0.1},
    ],
    "ball_time": [
        {"D": 5, "N": 100, "eps": 2.0, "lam2": 0.01},
        {"D": 5, "N": 100, "eps": 2.0, "lam2": 0.5},
    ],
    "ball_nu": [
        {"D": 3, "N": 50, "eps": 1.5, "lam2": 0.0},
    ],
}


def local_exponents(result: SimulationResult, lo: float = 1e-6, hi: float = 1e-3) -> np.ndarray:
    """Per-run least-squares slope of log E against log(t_eps - t) over the window
    ``lo * t_eps <= t_eps - t <= hi * t_eps`` (grokking runs with >= 3 points)."""
    s = result.summary.set_index("run")
    c = result.curves
    ok = s.index[s["status"] == "groks"]
    c = c[c["run"].isin(ok)].copy()
    c["tau"] = s.loc[c["run"], "t_eps"].to_numpy() - c["t"].to_numpy()
    c["rel"] = c["tau"] / s.loc[c["run"], "t_eps"].to_numpy()
    c = c[(c["rel"] >= lo) & (c["rel"] <= hi) & (c["test_error"] > 0)]
    out = []
    for _, g in c.groupby("run"):
        if len(g) >= 4:
            tau = g["tau"].to_numpy()
            # log E = log A + nu log tau + b tau: the linear term absorbs the O(tau)
            # curvature of the exact error curve, which would otherwise bias nu at O(hi).
            X = np.column_stack([np.ones_like(tau), np.log(tau), tau / tau.max()])
            out.append(np.linalg.lstsq(X, np.log(g["test_error"].to_numpy()), rcond=None)[0][1])
    return np.asarray(out)


#: Numerical resolution of the per-run exponent fit (float64 errors of E at tau ~ 1e-6 t_eps
#: bias nu by ~1e-9; see docs/perceptron_theory.md). Added in quadrature to the error of nu.
NU_NUMERICAL_FLOOR = 1e-6


def _row(model: str, params: dict[str, Any], quantity: str, method: str, theory: float,
         sim: float, se: float, n: int, z_tol: float, kind: str = "estimate",
         floor: float = 0.0, count: int | None = None) -> dict[str, Any]:
    """One row; ``count`` (successes among ``n``) makes the verdict the exact binomial test
    (:func:`~perceptron_theory.exact_tests.count_verdict`) at the tail probability of z_tol;
    z stays a column (the normal approximation, shown, not used for counts). ``detectable``: the
    smallest true discrepancy the row's own test sees with 80 % power at that level
    (:func:`~perceptron_theory.power.detectable`, the function behind every comparison verdict row's
    column: exact binomial at n for counts, inf when nothing is; (z_tol + 0.84)·se for z rows)."""
    se = float(np.hypot(se, floor))
    z = (sim - theory) / se if se > 0 else (0.0 if sim == theory else np.inf * np.sign(sim - theory))
    p_tol = z_to_p(z_tol)
    if count is not None:
        p, _ = count_verdict(count, n, min(max(float(theory), 0.0), 1.0), kind=kind)
        agrees = bool(p >= (p_tol / 2 if kind == "lower_bound" else p_tol))
        test = "exact binomial (mid-p)" if kind == "estimate" else "exact binomial (one-sided)"
    elif kind == "lower_bound":
        agrees = bool(sim - theory > -z_tol * se)
        p, test = (1.0 if z >= 0 else 0.5 * z_to_p(z)), "normal (one-sided)"
    else:
        agrees = bool(abs(z) < z_tol)
        p, test = z_to_p(z), "normal"
    return {"model": model, **{k: params.get(k, np.nan) for k in ("D", "N", "eps", "lam1", "lam2")},
            "quantity": quantity, "theory_method": method, "theory": float(theory),
            "simulation": float(sim), "sim_stderr": float(se), "n": int(n), "z": float(z),
            "p_value": float(p), "test": test, "agrees": agrees, "kind": kind,
            "detectable": detectable(kind=kind.replace("_", " "), se=se, n=n, p0=float(theory),
                                     count=count is not None, alpha=p_tol)}


def _count(res: SimulationResult) -> tuple[int, int]:
    """(non-diverged replicas, grokking replicas among them): the count behind P_grok."""
    ok = ~res.summary["diverged"].to_numpy(dtype=bool)
    return int(ok.sum()), int(res.summary["groks"].to_numpy(dtype=bool)[ok].sum())


def _mean_se(x: np.ndarray) -> tuple[float, float, int]:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        return np.nan, np.nan, int(x.size)
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size)), int(x.size)


def verification_table(grid: dict[str, list[dict[str, Any]]] | None = None, n_replicas: int = 2000,
                       seed: int = 0, z_tol: float = 4.0, progress: bool = False) -> VerificationTable:
    """Build the theory-vs-simulation table (see the module docstring for the quantities).

    ``grid`` maps ``"exponential"``, ``"ball_probability"``, ``"ball_time"``, ``"ball_nu"``
    to lists of parameter dicts (missing keys default to λ1 = λ2 = 0); default
    :data:`DEFAULT_GRID`. Each parameter set gets its own seed ``seed + index``.

    Returns a :class:`~perceptron_theory.verification_view.VerificationTable`: a
    DataFrame (all columns; ``kind`` is "estimate" or "lower_bound") whose
    ``print()`` and ``to_markdown()`` show a compact view with verdicts in words.
    """
    grid = DEFAULT_GRID if grid is None else grid
    unknown = set(grid) - set(DEFAULT_GRID)
    if unknown:
        raise ValueError(f"grid has unknown sections {sorted(unknown)}; allowed: {sorted(DEFAULT_GRID)}")
    R = check_int("n_replicas", n_replicas, 10)
    seed = check_int("seed", seed, 0)
    z_tol = check_real("z_tol", z_tol, 0.0, lo_open=True)
    rows: list[dict[str, Any]] = []
    k = 0
    for p in grid.get("exponential", []):
        p = {"lam1": 0.0, "lam2": 0.0, **p}
        res = simulate_exponential(p["N"], p["eps"], p["lam1"], p["lam2"], n_replicas=R,
                                   seed=seed + k, progress=progress)
        k += 1
        ph, se = res.grokking_fraction()
        n_ok, k_gr = _count(res)
        rows.append(_row("exponential", p, "P_grok", "Eq. 14 (numerical)",
                         float(_exp.grok_probability(p["N"], p["eps"], p["lam1"], p["lam2"])), ph, se, n_ok, z_tol, count=k_gr))
        if p["N"] == 2:
            rows.append(_row("exponential", p, "P_grok", "Eq. 15 (N=2 closed form)",
                             float(_exp.grok_probability_n2(p["eps"], p["lam1"], p["lam2"])), ph, se, n_ok, z_tol, count=k_gr))
        law = _exp.GrokTimeLaw(p["N"], p["eps"], p["lam1"], p["lam2"])
        m, se_m, n = _mean_se(res.summary.loc[res.summary["status"] == "groks", "t_G"])
        rows.append(_row("exponential", p, "mean_t_G", "Eq. 16 law (app. A)", law.mean(), m, se_m, n, z_tol))
        nu, se_nu, n_nu = _mean_se(local_exponents(res))
        rows.append(_row("exponential", p, "nu", "Eq. 9 (nu = 1)", 1.0, nu, se_nu, n_nu, z_tol,
                         floor=NU_NUMERICAL_FLOOR))
        s = res.summary.set_index("run")
        c = res.curves[res.curves["run"].isin(s.index[s["status"] == "groks"])]
        tau = s.loc[c["run"], "t_eps"].to_numpy() - c["t"].to_numpy()
        c = c.assign(tau=tau)
        c = c[(c["tau"] > 0) & (c["test_error"] > 0)]
        closest = c.loc[c.groupby("run")["tau"].idxmin()]
        slope, se_s, n_s = _mean_se(closest["test_error"] / closest["tau"])
        rows.append(_row("exponential", p, "slope_mean", "Eq. 10 (eps_lambda/2)",
                         float(_exp.mean_near_transition_amplitude(p["eps"], p["lam1"], p["lam2"])),
                         slope, se_s, n_s, z_tol))
    for p in grid.get("ball_probability", []):
        p = {"lam1": 0.0, "lam2": 0.0, **p}
        res = simulate_ball(p["D"], p["N"], p["eps"], p["lam1"], p["lam2"], n_replicas=R,
                            seed=seed + k, record_curves=False, final_only=True, progress=progress)
        k += 1
        ph, se = res.grokking_fraction()
        n_ok, k_gr = _count(res)
        args = (p["D"], p["N"], p["eps"], p["lam1"], p["lam2"])
        rows.append(_row("ball", p, "P_grok", "first order (Eq. 86/89)",
                         float(_ball.grok_probability(*args, method="first_order")), ph, se, n_ok, z_tol, count=k_gr))
        rows.append(_row("ball", p, "P_grok", "Eq. 30/32 (large lambda)",
                         float(_ball.grok_probability(*args, method="eq30")), ph, se, n_ok, z_tol, count=k_gr))
        if p["lam1"] == 0:
            rows.append(_row("ball", p, "P_grok", "Eq. 86 with printed alpha3",
                             float(_ball.grok_probability(*args, alpha3="printed")), ph, se, n_ok, z_tol, count=k_gr))
        else:
            rows.append(_row("ball", p, "P_grok", "Eq. 33 lower bound",
                             float(_ball.grok_probability_lower_bound(*args, order=0)), ph, se, n_ok, z_tol, count=k_gr,
                             kind="lower_bound"))
    for p in grid.get("ball_time", []):
        p = {"lam2": 0.0, **p}
        # three questions (derivation / approximation / real model), see time_law_study
        rows.extend(ball_time_law_study(p["D"], p["eps"], p["lam2"], Ns=[p["N"]], n_replicas=R,
                                        seed=seed + k, z_tol=z_tol, progress=progress).to_dict("records"))
        k += 3
    for p in grid.get("ball_nu", []):
        p = {"lam1": 0.0, "lam2": 0.0, **p}
        res = simulate_ball(p["D"], p["N"], p["eps"], 0.0, p["lam2"], n_replicas=min(R, 1000),
                            seed=seed + k, progress=progress)
        k += 1
        nu, se_nu, n_nu = _mean_se(local_exponents(res))
        rows.append(_row("ball", p, "nu", "Eq. 23 ((D+1)/2)",
                         float(_ball.critical_exponent(p["D"])), nu, se_nu, n_nu, z_tol,
                         floor=NU_NUMERICAL_FLOOR))
    out = pd.DataFrame(rows)
    out["kind"] = out["kind"].fillna("estimate") if "kind" in out else "estimate"
    return VerificationTable(out)

"""The data step of the paper-figure sections: simulation beside theory, as tables.

Each ``data_*`` function runs its (seeded) simulations and theory evaluations
and returns a JSON-ready dict of tables and curves; nothing here draws. The
pipeline caches each result on disk next to the report
(``paper-data/<section>.json``, keyed by the section's parameters), and
:mod:`comparison.report.paper` only draws them, so re-rendering a report never
re-simulates.

* :func:`data_1d_probability` — 1D P_grok vs ε_λ for N = 2, 5, 10 (sec. 3.2, Eq. 14);
* :func:`data_1d_tg` — 1D t_G PDFs for ε_λ = 0.4, 0.04, 0.004 (Fig. 5, Eq. 16);
* :func:`data_ball_probability` — ball P_grok vs D, λ2, N, ε around
  D = 10, λ2 = 0.1, N = 10, ε = 1.01 (Fig. 8, Eqs. 30 and 86);
* :func:`data_ball_tg` — ball t_G laws around D = 5, λ2 = 0.01, ε = 2 (Fig. 9, Eqs. 40-47);
* :func:`data_scenario_b` — scenario B Examples 1-3 with the paper's regularisation
  settings (sec. 4.3.1).

Simulated points carry binomial (P_grok) error bars; every setting gets its own
seed ``seed + index`` so that adding a point does not change the others.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .estimate import bimodality_test, law_distance
from .seeds import child_seed

__all__ = ["data_1d_probability", "data_1d_tg", "data_ball_probability", "data_ball_tg", "data_scenario_b",
           "SCENARIO_B_SETTINGS", "PAPER_DATA"]

SCENARIO_B_SETTINGS: dict[str, list[dict[str, float]]] = {
    "example1": [{"lam1": 0.01, "lam2": 0.0}, {"lam1": 0.1, "lam2": 0.0}, {"lam1": 0.0, "lam2": 0.1}],
    "example2": [{"lam1": 0.0, "lam2": 0.0}, {"lam1": 0.05, "lam2": 0.0}, {"lam1": 0.0, "lam2": 0.1}],
    "example3": [{"lam1": 0.0, "lam2": 0.0}, {"lam1": 0.2, "lam2": 0.0}, {"lam1": 0.0, "lam2": 0.2}],
}


def _binom(k: int, n: int) -> tuple[float, float]:
    p = k / n
    return p, math.sqrt(max(p * (1 - p), 1.0 / n) / n)


def _bar(total: int, desc: str, progress: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not progress, leave=False)


def _grokking_times(summary: pd.DataFrame) -> np.ndarray:
    tg = summary.loc[summary["groks"].astype(bool), "t_G"].to_numpy(dtype=float)
    return tg[np.isfinite(tg) & (tg > 0)]


def data_1d_probability(n_replicas: int = 400, seed: int = 0, progress: bool = False) -> dict[str, Any]:
    from perceptron_theory import exponential as ex
    from perceptron_theory import simulate_exponential

    el = np.geomspace(0.003, 2.0, 9)
    fine = np.geomspace(0.001, 3.0, 200)
    rows, curves = [], {"eps_lambda": fine.tolist()}
    bar = _bar(3 * el.size, "paper: 1D P_grok", progress)
    k = 0
    for N in (2, 5, 10):
        curves[f"N={N}"] = np.asarray(ex.grok_probability(N, fine), dtype=float).tolist()
        for e in el:
            res = simulate_exponential(N, float(e), n_replicas=n_replicas, seed=child_seed(seed, k), record_curves=False,
                                       progress=False)
            k += 1
            bar.update()
            p, se = _binom(int(res.summary["groks"].sum()), n_replicas)
            th = float(ex.grok_probability(N, float(e)))
            rows.append({"N": N, "eps_lambda": float(e), "theory": th, "simulation": p, "se": se,
                         "z": (p - th) / se})
    bar.close()
    return {"n_replicas": n_replicas, "rows": rows, "theory_curves": curves}


def _hist_and_pdf(tg: np.ndarray, law: Any, *, log_bins: bool) -> dict[str, Any]:
    if log_bins:
        bins = np.geomspace(max(tg.min(), 1e-4), tg.max() * 1.1, 35)
        grid = np.geomspace(bins[0], bins[-1], 300)
    else:
        hi = float(np.quantile(tg, 0.98))
        bins = np.linspace(0, hi, 30)
        grid = np.linspace(1e-9, hi, 300)
    dens, _ = np.histogram(tg, bins=bins, density=True)
    return {"bins": bins.tolist(), "density": dens.tolist(), "grid": grid.tolist(),
            "pdf": np.asarray(law.pdf(grid), dtype=float).tolist()}


def data_1d_tg(n_replicas: int = 20000, seed: int = 100, progress: bool = False) -> dict[str, Any]:
    from perceptron_theory import exponential as ex
    from perceptron_theory import simulate_exponential

    rows, panels = [], []
    bar = _bar(9, "paper: 1D t_G", progress)
    k = 0
    for e in (0.4, 0.04, 0.004):
        for N in (2, 5, 10):
            res = simulate_exponential(N, e, n_replicas=n_replicas, seed=child_seed(seed, k), record_curves=False,
                                       progress=False)
            k += 1
            bar.update()
            tg = _grokking_times(res.summary)
            law = ex.GrokTimeLaw(N, e)
            row = {"eps_lambda": e, "N": N, "n_groks": int(tg.size), "theory_mean": law.mean(),
                   "sim_mean": float(np.mean(tg)) if tg.size else float("nan")}
            if tg.size >= 5:
                d = law_distance(tg, law)
                row.update({"KS": d.ks, "KS_p": d.ks_pvalue, "W1": d.wasserstein})
                panels.append({"eps_lambda": e, "N": N, "n": int(tg.size), **_hist_and_pdf(tg, law, log_bins=False)})
            rows.append(row)
    bar.close()
    return {"n_replicas": n_replicas, "rows": rows, "panels": panels}


def data_ball_probability(n_replicas: int = 400, seed: int = 200, progress: bool = False) -> dict[str, Any]:
    from perceptron_theory import ball, simulate_ball

    base = {"D": 10, "lam2": 0.1, "N": 10, "eps": 1.01}
    sweeps = {"D": [2, 4, 6, 8, 10, 12], "lam2": [0.0, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0],
              "N": [5, 10, 20, 50, 100], "eps": [1.01, 1.02, 1.05, 1.1, 1.2, 1.5]}
    rows = []
    bar = _bar(sum(len(v) for v in sweeps.values()), "paper: ball P_grok", progress)
    k = 0
    for name, values in sweeps.items():
        for v in values:
            par = {**base, name: v}
            res = simulate_ball(int(par["D"]), int(par["N"]), float(par["eps"]), lam2=float(par["lam2"]),
                                n_replicas=n_replicas, seed=child_seed(seed, k), final_only=True, progress=False)
            k += 1
            bar.update()
            p, se = _binom(int(res.summary["groks"].sum()), n_replicas)
            t1 = float(ball.grok_probability(par["D"], par["N"], par["eps"], 0.0, par["lam2"]))
            t30 = float(ball.grok_probability(par["D"], par["N"], par["eps"], 0.0, par["lam2"], method="eq30"))
            rows.append({"vary": name, **par, "theory_first_order": t1, "theory_eq30": t30, "simulation": p,
                         "se": se, "z_first_order": (p - t1) / se})
    bar.close()
    return {"n_replicas": n_replicas, "base": base, "rows": rows}


def data_ball_tg(n_replicas: int = 1000, N: int = 100, seed: int = 300, progress: bool = False) -> dict[str, Any]:
    from perceptron_theory import ball, simulate_ball

    base = {"D": 5, "lam2": 0.01, "eps": 2.0}
    sweeps = {"D": [4, 5, 6], "lam2": [0.0, 0.01, 0.05], "eps": [1.5, 2.0, 2.5]}
    rows, panels = [], []
    bar = _bar(9, "paper: ball t_G", progress)
    k = 0
    for name, values in sweeps.items():
        for v in values:
            par = {**base, name: v}
            res = simulate_ball(int(par["D"]), N, float(par["eps"]), lam2=float(par["lam2"]),
                                n_replicas=n_replicas, seed=child_seed(seed, k), record_curves=False, progress=False)
            k += 1
            bar.update()
            tg = _grokking_times(res.summary)
            law = ball.GrokTimeLaw(int(par["D"]), float(par["eps"]), float(par["lam2"]))
            row: dict[str, Any] = {"vary": name, **par, "N_sim": N, "n": int(tg.size), "p_fast": law.p_fast,
                                   "t_atom": law.atom[0], "theory_mean": law.mean(),
                                   "sim_mean": float(np.mean(tg)) if tg.size else float("nan")}
            if tg.size >= 10:
                d = law_distance(tg, law)
                row.update({"KS": d.ks, "KS_p": d.ks_pvalue, "W1": d.wasserstein,
                            "sim_mass_near_atom": d.atom_sample_mass})
                try:
                    b = bimodality_test(tg)
                    row.update({"sim_bimodal": b.bimodal, "delta_BIC": b.delta_bic})
                except ValueError:
                    pass
                panels.append({"vary": name, "value": v, "t_atom": law.atom[0], "n": int(tg.size),
                               **_hist_and_pdf(tg, law, log_bins=True)})
            rows.append(row)
    bar.close()
    return {"n_replicas": n_replicas, "N": N, "rows": rows, "panels": panels,
            "study": _ball_tg_study(base, sweeps, n_replicas, child_seed(seed, 1000), progress)}


def _ball_tg_study(base: dict[str, float], sweeps: dict[str, list[float]], n_replicas: int, seed: int,
                   progress: bool) -> list[dict[str, Any]]:
    """The three questions per distinct Fig. 9 setting (issue 11): (a) the derivation (law vs the
    zeroth-order flow, threshold t_train), (b) the approximation (real flow, threshold t_train) and
    (c) the real model (real flow, t_train from the samples), at N = 100 and 1000; verdict on the median."""
    from perceptron_theory import ball_time_law_study

    settings = []
    for name, values in sweeps.items():
        for v in values:
            par = {**base, name: v}
            if par not in settings:
                settings.append(par)
    rows: list[dict[str, Any]] = []
    bar = _bar(len(settings), "paper: ball t_G study", progress)
    for k, par in enumerate(settings):
        df = ball_time_law_study(int(par["D"]), float(par["eps"]), float(par["lam2"]), Ns=(100, 1000),
                                 n_replicas=n_replicas, seed=child_seed(seed, k))
        rows += df.to_dict(orient="records")
        bar.update()
    bar.close()
    return rows


def _scenario_b_row(run: Callable[..., Any], ex_name: str, reg: dict[str, float], n_init: int,
                    seed: int) -> dict[str, Any]:
    from .agreement import analyse
    from .runset import RunSet

    res = run(A=ex_name, lam1=reg["lam1"], lam2=reg["lam2"], n_init=n_init, seed=seed, progress=False)
    rs = RunSet(config=dict(res.config), curves=res.curves, summary=res.summary, features=dict(res.features or {}))
    a = analyse(rs, seed=seed)
    f, nu, nan = a.features, a.nu, float("nan")
    v = a.verdicts.set_index("quantity")["verdict"] if len(a.verdicts) else pd.Series(dtype=str)
    return {"example": ex_name, "lam1": reg["lam1"], "lam2": reg["lam2"],
            "groks": f"{a.counts['n_groks']}/{a.counts['n_runs']}",
            "nu_fit": nu.nu if nu is not None else nan,
            "nu_ci": f"[{nu.nu_ci[0]:.3f}, {nu.nu_ci[1]:.3f}]" if nu is not None else "–",
            "nu_window": f"[{nu.window[0]:.3g}, {nu.window[1]:.3g}]" if nu is not None else "–",
            "D_eff": f.get(f.get("d_eff_used", "d_eff"), nan), "D_eff_pooled": f.get("d_eff", nan),
            "xi": f.get("xi", nan), "xi_margin": f.get("xi_margin", nan), "eps": f.get("eps", nan),
            "nu_pred": a.predicted("nu"), "nu_margin": f.get("nu_margin", nan),
            "t_G_bimodal": a.bimodality.bimodal if a.bimodality is not None else "–",
            "delta_BIC": a.bimodality.delta_bic if a.bimodality is not None else nan,
            "G_split": a.spectrum.ratio if a.spectrum is not None else nan,
            "verdict_nu": str(v.get("nu", "–"))}


def data_scenario_b(n_init: int = 300, seed: int = 400, progress: bool = False,
                    settings: dict[str, list[dict[str, float]]] | None = None) -> dict[str, Any]:
    try:
        import local_rules

        run = local_rules.run_scenario_b
    except (ImportError, AttributeError):
        return {"n_init": n_init, "rows": [], "skipped": "`local_rules.run_scenario_b` is not available"}
    sets = settings or SCENARIO_B_SETTINGS
    rows = []
    bar = _bar(sum(len(v) for v in sets.values()), "paper: scenario B", progress)
    k = 0
    for ex_name, regs in sets.items():
        for reg in regs:
            try:
                rows.append(_scenario_b_row(run, ex_name, reg, n_init, seed + k))
            except Exception as exc:  # one failing setting must not hide the others
                rows.append({"example": ex_name, "lam1": reg["lam1"], "lam2": reg["lam2"],
                             "groks": f"failed: {exc.__class__.__name__}: {exc}"})
            k += 1
            bar.update()
    bar.close()
    return {"n_init": n_init, "rows": rows}


PAPER_DATA: dict[str, Callable[..., dict[str, Any]]] = {
    "1d-probability": data_1d_probability, "1d-tg": data_1d_tg, "ball-probability": data_ball_probability,
    "ball-tg": data_ball_tg, "scenario-b": data_scenario_b,
}

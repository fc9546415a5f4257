"""Report sections reproducing the paper's theory figures, simulation beside theory.

Each function returns a callable ``(Report) -> None`` that runs its (seeded)
simulations when the report is built:

* :func:`section_1d_probability` — 1D P_grok vs ε_λ for N = 2, 5, 10 (sec. 3.2, Eq. 14);
* :func:`section_1d_tg` — 1D t_G PDFs for ε_λ = 0.4, 0.04, 0.004 (Fig. 5, Eq. 16);
* :func:`section_ball_probability` — ball P_grok vs D, λ2, N, ε around
  D = 10, λ2 = 0.1, N = 10, ε = 1.01 (Fig. 8, Eqs. 30 and 86);
* :func:`section_ball_tg` — ball t_G laws around D = 5, λ2 = 0.01, ε = 2
  (Fig. 9, Eqs. 40-47);
* :func:`section_scenario_b` — scenario B Examples 1-3 with the regularisation
  settings of the paper (sec. 4.3.1): measured ν, D_eff, ξ, ε, predicted ν,
  t_G bimodality. Needs ``local_rules.run_scenario_b``; skipped with a note
  when it is not available.

Simulated points carry binomial (P_grok) error bars; every setting gets its
own seed ``seed + index`` so that adding a point does not change the others.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["paper_sections", "section_1d_probability", "section_1d_tg", "section_ball_probability",
           "section_ball_tg", "section_scenario_b", "SCENARIO_B_SETTINGS"]

SCENARIO_B_SETTINGS: dict[str, list[dict[str, float]]] = {
    "example1": [{"lam1": 0.01, "lam2": 0.0}, {"lam1": 0.1, "lam2": 0.0}, {"lam1": 0.0, "lam2": 0.1}],
    "example2": [{"lam1": 0.0, "lam2": 0.0}, {"lam1": 0.05, "lam2": 0.0}, {"lam1": 0.0, "lam2": 0.1}],
    "example3": [{"lam1": 0.0, "lam2": 0.0}, {"lam1": 0.2, "lam2": 0.0}, {"lam1": 0.0, "lam2": 0.2}],
}


def _binom(k: int, n: int) -> tuple[float, float]:
    p = k / n
    return p, math.sqrt(max(p * (1 - p), 1.0 / n) / n)


def _tqdm(total: int, desc: str, progress: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not progress, leave=False)


def section_1d_probability(n_replicas: int = 400, seed: int = 0, progress: bool = False) -> Callable[[Any], None]:
    def build(rep: Any) -> None:
        import matplotlib.pyplot as plt

        from perceptron_theory import exponential as ex
        from perceptron_theory import simulate_exponential

        el = np.geomspace(0.003, 2.0, 9)
        fine = np.geomspace(0.001, 3.0, 200)
        rows = []
        fig, ax = plt.subplots(figsize=(5.5, 3.6))
        bar = _tqdm(3 * el.size, "paper: 1D P_grok", progress)
        k = 0
        for i, N in enumerate((2, 5, 10)):
            ax.plot(fine, ex.grok_probability(N, fine), f"C{i}-", lw=1.5, label=f"theory N = {N}")
            ps, ses = [], []
            for e in el:
                res = simulate_exponential(N, float(e), n_replicas=n_replicas, seed=seed + k, record_curves=False,
                                           progress=False)
                k += 1
                bar.update()
                p, se = _binom(int(res.summary["groks"].sum()), n_replicas)
                th = float(ex.grok_probability(N, float(e)))
                ps.append(p)
                ses.append(se)
                rows.append({"N": N, "eps_lambda": float(e), "theory": th, "simulation": p, "se": se,
                             "z": (p - th) / se})
            ax.errorbar(el, ps, yerr=ses, fmt="o", color=f"C{i}", ms=3)
        bar.close()
        ax.set_xscale("log")
        ax.set_xlabel("eps_lambda = eps (1 + lam2) + lam1")
        ax.set_ylabel("grokking probability")
        ax.legend(fontsize=7)
        ax.set_title("1D model: P_grok (Eq. 14) vs simulation", fontsize=9)
        fig.tight_layout()
        df = pd.DataFrame(rows)
        rep.h(2, "1D model: grokking probability vs eps_lambda (paper sec. 3.2, Eq. 14)")
        rep.p(f"Lines: Eq. 14 (numerical integral of Eq. 13); points: fraction of {n_replicas} simulated training "
              f"sets that grok, with binomial error bars. max |z| = {np.max(np.abs(df['z'])):.2f}.")
        rep.figure(fig, "paper-1d-pgrok", "1D model: grokking probability, theory (lines) and simulation (points)")
        rep.table(df)
    return build


def section_1d_tg(n_replicas: int = 20000, seed: int = 100, progress: bool = False) -> Callable[[Any], None]:
    def build(rep: Any) -> None:
        import matplotlib.pyplot as plt

        from perceptron_theory import exponential as ex
        from perceptron_theory import simulate_exponential

        from ._laws import law_distance

        els = (0.4, 0.04, 0.004)
        Ns = (2, 5, 10)
        fig, axes = plt.subplots(1, 3, figsize=(11, 3.3))
        rows = []
        bar = _tqdm(len(els) * len(Ns), "paper: 1D t_G", progress)
        k = 0
        for ax, e in zip(axes, els):
            for i, N in enumerate(Ns):
                res = simulate_exponential(N, e, n_replicas=n_replicas, seed=seed + k, record_curves=False,
                                           progress=False)
                k += 1
                bar.update()
                s = res.summary
                tg = s.loc[s["groks"].astype(bool), "t_G"].to_numpy(dtype=float)
                tg = tg[np.isfinite(tg) & (tg > 0)]
                law = ex.GrokTimeLaw(N, e)
                row = {"eps_lambda": e, "N": N, "n_groks": int(tg.size), "theory_mean": law.mean(),
                       "sim_mean": float(np.mean(tg)) if tg.size else float("nan")}
                if tg.size >= 5:
                    d = law_distance(tg, law)
                    row.update({"KS": d.ks, "KS_p": d.ks_pvalue, "W1": d.wasserstein})
                    hi = float(np.quantile(tg, 0.98))
                    bins = np.linspace(0, hi, 30)
                    ax.hist(tg, bins=bins, density=True, histtype="step", color=f"C{i}")
                    g = np.linspace(1e-9, hi, 300)
                    ax.plot(g, law.pdf(g), f"C{i}-", lw=1.5, alpha=0.8, label=f"N = {N} (n = {tg.size})")
                rows.append(row)
            ax.set_title(f"eps_lambda = {e:g}", fontsize=9)
            ax.set_xlabel("t_G")
            ax.legend(fontsize=7)
        axes[0].set_ylabel("density")
        bar.close()
        fig.suptitle("1D model: t_G law (Eq. 16, app. A; lines) vs simulation (steps)", fontsize=9)
        fig.tight_layout()
        rep.h(2, "1D model: grokking-time PDFs (paper Fig. 5)")
        rep.p(f"{n_replicas} simulated training sets per panel and N; only those that grok enter. "
              "KS p-values and Wasserstein-1 distances to the theory law:")
        rep.figure(fig, "paper-1d-tg", "1D model: grokking-time densities, theory and simulation")
        rep.table(pd.DataFrame(rows))
    return build


def section_ball_probability(n_replicas: int = 400, seed: int = 200, progress: bool = False) -> Callable[[Any], None]:
    def build(rep: Any) -> None:
        import matplotlib.pyplot as plt

        from perceptron_theory import ball, simulate_ball

        base = {"D": 10, "lam2": 0.1, "N": 10, "eps": 1.01}
        sweeps = {"D": [2, 4, 6, 8, 10, 12], "lam2": [0.0, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0],
                  "N": [5, 10, 20, 50, 100], "eps": [1.01, 1.02, 1.05, 1.1, 1.2, 1.5]}
        fig, axes = plt.subplots(1, 4, figsize=(13, 3.2))
        rows = []
        bar = _tqdm(sum(len(v) for v in sweeps.values()), "paper: ball P_grok", progress)
        k = 0
        for ax, (name, values) in zip(axes, sweeps.items()):
            th1, th30, ps, ses = [], [], [], []
            for v in values:
                par = {**base, name: v}
                res = simulate_ball(int(par["D"]), int(par["N"]), float(par["eps"]), lam2=float(par["lam2"]),
                                    n_replicas=n_replicas, seed=seed + k, final_only=True, progress=False)
                k += 1
                bar.update()
                p, se = _binom(int(res.summary["groks"].sum()), n_replicas)
                t1 = float(ball.grok_probability(par["D"], par["N"], par["eps"], 0.0, par["lam2"]))
                t30 = float(ball.grok_probability(par["D"], par["N"], par["eps"], 0.0, par["lam2"], method="eq30"))
                th1.append(t1)
                th30.append(t30)
                ps.append(p)
                ses.append(se)
                rows.append({"vary": name, **par, "theory_first_order": t1, "theory_eq30": t30, "simulation": p,
                             "se": se, "z_first_order": (p - t1) / se})
            ax.plot(values, th1, "C3-", label="first order (Eq. 86)")
            ax.plot(values, th30, "C0--", label="Eq. 30")
            ax.errorbar(values, ps, yerr=ses, fmt="ko", ms=3, label="simulation")
            ax.set_xlabel(name)
            if name in ("N", "lam2"):
                ax.set_xscale("symlog" if name == "lam2" else "log", **({"linthresh": 0.02} if name == "lam2" else {}))
            ax.set_yscale("log")
            ax.set_ylim(bottom=1e-4)
        axes[0].set_ylabel("grokking probability")
        axes[0].legend(fontsize=7)
        bar.close()
        fig.suptitle("Ball model: P_grok around D = 10, lam2 = 0.1, N = 10, eps = 1.01", fontsize=9)
        fig.tight_layout()
        rep.h(2, "Ball model: grokking probability vs D, lam2, N, eps (paper Fig. 8)")
        rep.p(f"{n_replicas} simulated replicas per point (final state only, exact stationary classifier). "
              "Points at P = 0 are drawn at the axis floor; their binomial error is floored at 1/n.")
        rep.figure(fig, "paper-ball-pgrok", "Ball model: grokking probability, theory and simulation")
        rep.table(pd.DataFrame(rows))
    return build


def section_ball_tg(n_replicas: int = 1000, N: int = 100, seed: int = 300,
                    progress: bool = False) -> Callable[[Any], None]:
    def build(rep: Any) -> None:
        import matplotlib.pyplot as plt

        from perceptron_theory import ball, simulate_ball

        from ._laws import bimodality_test, law_distance

        base = {"D": 5, "lam2": 0.01, "eps": 2.0}
        sweeps = {"D": [4, 5, 6], "lam2": [0.0, 0.01, 0.05], "eps": [1.5, 2.0, 2.5]}
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
        rows = []
        bar = _tqdm(9, "paper: ball t_G", progress)
        k = 0
        for ax, (name, values) in zip(axes, sweeps.items()):
            for i, v in enumerate(values):
                par = {**base, name: v}
                res = simulate_ball(int(par["D"]), N, float(par["eps"]), lam2=float(par["lam2"]),
                                    n_replicas=n_replicas, seed=seed + k, record_curves=False, progress=False)
                k += 1
                bar.update()
                s = res.summary
                tg = s.loc[s["groks"].astype(bool), "t_G"].to_numpy(dtype=float)
                tg = tg[np.isfinite(tg) & (tg > 0)]
                row: dict[str, Any] = {"vary": name, **par, "N_sim": N, "n": int(tg.size)}
                law = ball.GrokTimeLaw(int(par["D"]), float(par["eps"]), float(par["lam2"]))
                row.update({"p_fast": law.p_fast, "t_atom": law.atom[0], "theory_mean": law.mean(),
                            "sim_mean": float(np.mean(tg)) if tg.size else float("nan")})
                if tg.size >= 10:
                    d = law_distance(tg, law)
                    row.update({"KS": d.ks, "KS_p": d.ks_pvalue, "W1": d.wasserstein,
                                "sim_mass_near_atom": d.atom_sample_mass})
                    try:
                        b = bimodality_test(tg)
                        row.update({"sim_bimodal": b.bimodal, "delta_BIC": b.delta_bic})
                    except ValueError:
                        pass
                    bins = np.geomspace(max(tg.min(), 1e-4), tg.max() * 1.1, 35)
                    ax.hist(tg, bins=bins, density=True, histtype="step", color=f"C{i}")
                    g = np.geomspace(bins[0], bins[-1], 300)
                    ax.plot(g, law.pdf(g), f"C{i}-", lw=1.3, alpha=0.8, label=f"{name} = {v:g}")
                    ax.axvline(law.atom[0], color=f"C{i}", ls="--", lw=1)
                rows.append(row)
            ax.set_xscale("log")
            ax.set_xlabel("t_G")
            ax.legend(fontsize=7)
        axes[0].set_ylabel("density")
        bar.close()
        fig.suptitle(f"Ball model: t_G law (Eqs. 42-47; lines, atom dashed) vs simulation at N = {N} (steps)",
                     fontsize=9)
        fig.tight_layout()
        rep.h(2, "Ball model: grokking-time laws (paper Fig. 9)")
        rep.p(f"{n_replicas} replicas per setting, N = {N} samples per class (the law is zeroth order in "
              "1/sqrt(N) and assumes lam_{2,D} << 1). Dashed lines: the slow-branch atom (Eq. 47).")
        rep.figure(fig, "paper-ball-tg", "Ball model: grokking-time laws, theory and simulation")
        rep.table(pd.DataFrame(rows))
    return build


def section_scenario_b(n_init: int = 300, seed: int = 400, progress: bool = False,
                       settings: dict[str, list[dict[str, float]]] | None = None) -> Callable[[Any], None]:
    def build(rep: Any) -> None:
        from ._agreement import analyse
        from ._runset import RunSet

        rep.h(2, "Scenario B: Examples 1-3 of the paper (sec. 4.3.1, app. C)")
        try:
            import local_rules

            run = local_rules.run_scenario_b
        except (ImportError, AttributeError):
            rep.p("Skipped: `local_rules.run_scenario_b` is not available in this installation.")
            return
        sets = settings or SCENARIO_B_SETTINGS
        rows = []
        bar = _tqdm(sum(len(v) for v in sets.values()), "paper: scenario B", progress)
        k = 0
        for ex_name, regs in sets.items():
            for reg in regs:
                try:
                    res = run(A=ex_name, lam1=reg["lam1"], lam2=reg["lam2"], n_init=n_init, seed=seed + k,
                              progress=False)
                    rs = RunSet(config=dict(res.config), curves=res.curves, summary=res.summary,
                                features=dict(res.features or {}))
                    a = analyse(rs, seed=seed + k, keep_curves=False)
                    f = a.features
                    rows.append({
                        "example": ex_name, "lam1": reg["lam1"], "lam2": reg["lam2"],
                        "groks": f"{a.counts['n_groks']}/{a.counts['n_runs']}",
                        "nu_fit": a.nu.nu_ if a.nu is not None else float("nan"),
                        "nu_ci": (f"[{a.nu.nu_ci_[0]:.3f}, {a.nu.nu_ci_[1]:.3f}]" if a.nu is not None else "–"),
                        "nu_window": (f"[{a.nu.window_[0]:.3g}, {a.nu.window_[1]:.3g}]" if a.nu is not None
                                      else "–"),
                        "D_eff": f.get(f.get("d_eff_used", "d_eff"), float("nan")),
                        "D_eff_pooled": f.get("d_eff", float("nan")), "xi": f.get("xi", float("nan")),
                        "xi_margin": f.get("xi_margin", float("nan")),
                        "eps": f.get("eps", float("nan")), "nu_pred": a.predictions.get("nu", float("nan")),
                        "nu_margin": f.get("nu_margin", float("nan")),
                        "t_G_bimodal": a.bimodality.bimodal if a.bimodality is not None else "–",
                        "delta_BIC": a.bimodality.delta_bic if a.bimodality is not None else float("nan"),
                        "G_split": a.spectrum.ratio if a.spectrum is not None else float("nan"),
                        "verdict_nu": (a.verdicts.loc[a.verdicts["quantity"] == "nu", "verdict"].iloc[0]
                                       if (a.verdicts["quantity"] == "nu").any() else "–"),
                    })
                except Exception as exc:  # one failing setting must not hide the others
                    rows.append({"example": ex_name, "lam1": reg["lam1"], "lam2": reg["lam2"],
                                 "groks": f"failed: {exc.__class__.__name__}: {exc}"})
                k += 1
                bar.update()
        bar.close()
        rep.p(f"{n_init} classifier initialisations per setting. D_eff: within-class effective dimension of the "
              "(weighted) test features (D_eff_pooled: the paper's literal pooled one); nu_pred = (D_eff + 1)/2 - xi "
              "(Eq. 50 with D -> D_eff; xi from the d = 2 angle recipe, taken as 0 when it cannot be measured); "
              "nu_margin = exponent of the feature mass near the final plane (Eq. 48), xi_margin = "
              "(D_eff + 1)/2 - nu_margin. G_split = ratio across the largest gap of G's eigenvalues. "
              "Settings with few grokking runs cannot be fitted (–).")
        rep.table(pd.DataFrame(rows))
    return build


def paper_sections(n_replicas: int = 400, seed: int = 0, progress: bool = False, *, tg_replicas: int | None = None,
                   n_init: int = 300) -> list[Callable[[Any], None]]:
    """All paper-figure sections (a heading first), in the paper's order."""
    def heading(rep: Any) -> None:
        rep.h(1, "The paper's theory figures: simulation beside theory")
        rep.p("Sections reproducing Žunkovič & Ilievski (JMLR 2024) sec. 3.2 (Eq. 14), Figs. 5, 8, 9 and the "
              "scenario-B "
              "examples, each point simulated with its own seed.")

    tgr = tg_replicas if tg_replicas is not None else 50 * n_replicas
    return [heading,
            section_1d_probability(n_replicas, seed, progress),
            section_1d_tg(tgr, seed + 100, progress),
            section_ball_probability(n_replicas, seed + 200, progress),
            section_ball_tg(max(n_replicas, 200), 100, seed + 300, progress),
            section_scenario_b(n_init, seed + 400, progress)]

"""Report sections reproducing the paper's theory figures, drawn from the data step.

Each ``draw_*`` function takes the dict produced by the matching
:mod:`comparison.paper_data` function and adds headings, a figure and a table
to the report; nothing here simulates. :func:`paper_sections` turns a dict of
section data into the list of report hooks in the paper's order.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .histograms import rebin_density, set_headroom
from .style import LABELS, PALETTE, SIMULATION, THEORY, finish, grid_for, new_figure

__all__ = ["paper_sections", "draw_1d_probability", "draw_1d_tg", "draw_ball_probability", "draw_ball_tg",
           "draw_scenario_b", "PAPER_DRAW"]


def _fig_1d_probability(data: dict[str, Any], width: str) -> Any:
    df = pd.DataFrame(data["rows"])
    curves = data["theory_curves"]
    fig, ax = new_figure(width)
    for i, N in enumerate((2, 5, 10)):
        ax.plot(curves["eps_lambda"], curves[f"N={N}"], "-", color=PALETTE[i], lw=1.3, label=f"Eq. 14, $N$ = {N}")
        sub = df[df["N"] == N]
        ax.errorbar(sub["eps_lambda"], sub["simulation"], yerr=sub["se"], fmt="o", color=PALETTE[i], ms=3,
                    mfc="white", label=f"simulation, $N$ = {N}")
    ax.set_xscale("log")
    ax.set_xlabel(LABELS["eps_lambda"])
    ax.set_ylabel(LABELS["P_grok"])
    return finish(fig, ax)


def draw_1d_probability(rep: Any, data: dict[str, Any]) -> None:
    df = pd.DataFrame(data["rows"])
    rep.h(2, "1D model: grokking probability vs ε_λ (paper sec. 3.2, Eq. 14)", anchor="paper-1d-pgrok")
    rep.p(f"Lines: Eq. 14 (numerical integral of Eq. 13); points: fraction of {data['n_replicas']} simulated "
          f"training sets that grok, with binomial error bars (±1 s.e.). max |z| = {np.max(np.abs(df['z'])):.2f}.")
    rep.figure(lambda w: _fig_1d_probability(data, w), "paper-1d-pgrok",
               "1D model: grokking probability against ε_λ = ε(1 + λ₂) + λ₁; theory (lines) and simulation "
               "(points, ±1 s.e.).")
    rep.table(df)


def _step_hist(ax: Any, panel: dict[str, Any], color: str, label: str, log_t: bool = False) -> float:
    """Histogram (steps) and theory pdf (line); ``log_t``: both as the density in log t. The
    stored bins are merged down to the shared rule's count for the panel's n
    (:func:`~comparison.report.histograms.rebin_density`). Returns the highest bar or curve."""
    bins, dens = rebin_density(panel["bins"], panel["density"], panel.get("n"))
    grid = np.asarray(panel["grid"], dtype=float)
    pdf = np.asarray(panel["pdf"], dtype=float)
    if log_t:  # mass per bin / width in ln t; theory t p(t)
        dens = dens * np.diff(bins) / np.diff(np.log(bins))
        pdf = grid * pdf
    ax.stairs(dens, bins, color=color, lw=1.0)
    ax.plot(grid, pdf, "-", color=color, lw=1.4, alpha=0.85, label=label)
    return max(float(np.max(dens, initial=0.0)), float(np.nanmax(pdf, initial=0.0)))


def _fig_1d_tg(data: dict[str, Any], width: str) -> Any:
    els = (0.4, 0.04, 0.004)
    r, c = grid_for(width, 3)
    fig, axes = new_figure(width, nrows=r, ncols=c, height=2.5 if width == "double" else 5.4)
    for ax, e in zip(axes, els):
        tops = [_step_hist(ax, p, PALETTE[(2, 5, 10).index(p["N"])], f"$N$ = {p['N']}")
                for p in data["panels"] if p["eps_lambda"] == e]
        ax.set_title(rf"$\varepsilon_\lambda$ = {e:g}", fontsize=8)
        ax.set_xlabel(LABELS["t_G"])
        set_headroom(ax, *tops)
    for ax in axes:
        ax.set_ylabel(LABELS["density_t"])
    return finish(fig, axes, legend="figure")


def draw_1d_tg(rep: Any, data: dict[str, Any]) -> None:
    rep.h(2, "1D model: grokking-time PDFs (paper Fig. 5)", anchor="paper-1d-tg")
    rep.p(f"{data['n_replicas']} simulated training sets per panel and N; only those that grok enter. "
          "KS p-values and Wasserstein-1 distances to the theory law:")
    rep.figure(lambda w: _fig_1d_tg(data, w), "paper-1d-tg",
               "1D model: grokking-time densities p(t) on a linear axis; theory (Eq. 16, app. A; lines) and "
               "simulation (steps), one panel per ε_λ.", width="double")
    rep.table(pd.DataFrame(data["rows"]))


def _fig_ball_probability(data: dict[str, Any], width: str) -> Any:
    df = pd.DataFrame(data["rows"])
    fig, axes = new_figure(width, nrows=2, ncols=2, height=4.2 if width == "double" else 4.6)
    for ax, name in zip(axes.ravel(), ("D", "lam2", "N", "eps")):
        sub = df[df["vary"] == name]
        ax.plot(sub[name], sub["theory_first_order"], "-", color=THEORY, label="first order (Eq. 86)")
        ax.plot(sub[name], sub["theory_eq30"], "--", color=PALETTE[0], label="Eq. 30")
        ax.errorbar(sub[name], sub["simulation"].clip(lower=1e-4), yerr=sub["se"], fmt="o", color=SIMULATION,
                    ms=3, mfc="white", label=r"simulation $\pm$ s.e.")
        ax.set_xlabel(LABELS[name])
        if name == "lam2":
            ax.set_xscale("symlog", linthresh=0.02)
            ax.set_xticks([0, 0.1, 1], ["0", "0.1", "1"])
        elif name == "N":
            ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(bottom=1e-4)
        ax.set_ylabel(LABELS["P_grok"])
    return finish(fig, axes, legend="figure")


def draw_ball_probability(rep: Any, data: dict[str, Any]) -> None:
    rep.h(2, "Ball model: grokking probability vs D, λ₂, N, ε (paper Fig. 8)", anchor="paper-ball-pgrok")
    rep.p(f"{data['n_replicas']} simulated replicas per point (final state only, exact stationary classifier). "
          "Points at P = 0 are drawn at the axis floor; their binomial error is floored at 1/n.")
    rep.figure(lambda w: _fig_ball_probability(data, w), "paper-ball-pgrok",
               "Ball model: grokking probability around D = 10, λ₂ = 0.1, N = 10, ε = 1.01, varying one parameter "
               "per panel; theory (lines) and simulation (points, ±1 s.e.).", width="double")
    rep.table(pd.DataFrame(data["rows"]), key=["vary"])


def _fig_ball_tg(data: dict[str, Any], width: str) -> Any:
    r, c = grid_for(width, 3)
    fig, axes = new_figure(width, nrows=r, ncols=c, height=2.6 if width == "double" else 5.6)
    for ax, name in zip(axes, ("D", "lam2", "eps")):
        tops = []
        for i, p in enumerate(q for q in data["panels"] if q["vary"] == name):
            tops.append(_step_hist(ax, p, PALETTE[i], f"{LABELS[name].split(' ')[-1]} = {p['value']:g}", log_t=True))
            ax.axvline(p["t_atom"], color=PALETTE[i], ls="--", lw=1)
        ax.set_xscale("log")
        ax.set_xlabel(LABELS["t_G"])
        set_headroom(ax, *tops)
        ax.set_ylabel(LABELS["t_G_logdensity"])
    return finish(fig, axes)


def draw_ball_tg(rep: Any, data: dict[str, Any]) -> None:
    rep.h(2, "Ball model: grokking-time laws (paper Fig. 9)", anchor="paper-ball-tg")
    rep.p(f"{data['n_replicas']} replicas per setting, N = {data['N']} samples per class (the law is zeroth order "
          "in 1/√N and assumes λ_{2,D} ≪ 1). Dashed lines: the slow-branch atom (Eq. 47). Replicas generalised "
          "already at t = 0 (t_G = 0) are left out.")
    rep.figure(lambda w: _fig_ball_tg(data, w), "paper-ball-tg",
               f"Ball model at N = {data['N']}: grokking-time laws on a log axis as the density in log t (t·p(t)); "
               "theory (Eqs. 42-47; lines, atom dashed) and simulation (steps), varying D, λ₂ and ε around "
               "D = 5, λ₂ = 0.01, ε = 2.", width="double")
    rep.table(pd.DataFrame(data["rows"]), key=["vary"])
    if data.get("study"):
        cols = ["question", "D", "eps", "lam2", "N", "theory_method", "theory", "simulation", "sim_stderr", "z",
                "agrees", "mean_law", "mean_sim", "atom_law", "P_below_atom_sim", "n_generalised_at_init", "KS",
                "bound_fraction"]
        st = pd.DataFrame(data["study"])
        rep.p("Three questions per setting (verdict on the median t_G; KS is a column, not the verdict): "
              "(a) derivation — the law against the paper's own zeroth-order flow with the threshold t_train "
              "(the corrected atom ln[ε²/(ε²−1)]/(2λ_D) passes, Eq. 47 as printed fails); (b) approximation — the "
              "real finite-N flow with the threshold t_train; (c) real model — t_train from the training samples, "
              "as a learner measures it. Replicas generalised at t = 0 are counted and excluded.")
        rep.table(st[[c for c in cols if c in st.columns]], key=["question"])


def draw_scenario_b(rep: Any, data: dict[str, Any]) -> None:
    rep.h(2, "Scenario B: Examples 1-3 of the paper (sec. 4.3.1, app. C)", anchor="paper-scenario-b")
    if data.get("skipped"):
        rep.p(f"Skipped: {data['skipped']}.")
        return
    rep.p(f"{data['n_init']} classifier initialisations per setting. D_eff: within-class effective dimension of "
          "the (weighted) test features (D_eff_pooled: the paper's literal pooled one); nu_pred = (D_eff + 1)/2 - "
          "xi (Eq. 50 with D -> D_eff), given only where xi was measured (– otherwise: not testable); "
          "nu_margin = exponent of the feature mass near the final plane (Eq. 48), xi_margin = "
          "(D_eff + 1)/2 - nu_margin. G_split = ratio across the largest gap of G's eigenvalues. "
          "Settings with few grokking runs cannot be fitted (–).")
    rep.table(pd.DataFrame(data["rows"]), key=["example", "lam1", "lam2"])


PAPER_DRAW: dict[str, Callable[[Any, dict[str, Any]], None]] = {
    "1d-probability": draw_1d_probability, "1d-tg": draw_1d_tg, "ball-probability": draw_ball_probability,
    "ball-tg": draw_ball_tg, "scenario-b": draw_scenario_b,
}


def paper_sections(data: dict[str, dict[str, Any]]) -> list[Callable[[Any], None]]:
    """Report hooks (a heading first) drawing each section present in ``data``, in the paper's order."""
    def heading(rep: Any) -> None:
        rep.h(1, "The paper's theory figures: simulation beside theory", anchor="paper")
        rep.p("Sections reproducing Žunkovič & Ilievski (JMLR 2024) sec. 3.2 (Eq. 14), Figs. 5, 8, 9 and the "
              "scenario-B examples, each point simulated with its own seed (data cached in `paper-data/`).")

    hooks: list[Callable[[Any], None]] = [heading]
    for name, draw in PAPER_DRAW.items():
        if name in data:
            hooks.append(lambda rep, d=data[name], f=draw: f(rep, d))
    return hooks

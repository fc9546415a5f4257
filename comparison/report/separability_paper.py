r"""Report section of ``grokcheck paper separability`` (Beck, Levi & Bar-Sinai, ICML 2025): the table,
P_grok against λ (simulated counts with exact Clopper-Pearson intervals beside the exact finite-N
law of Props. 3.2-3.3) and, where separable runs exist, their final test accuracy against the
margin beside Prop. 3.2's A_gen = ½[1 + erf(1/(σM√2))]."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .style import PALETTE, THEORY, finish, new_figure, setup_mpl

__all__ = ["draw_separability_paper", "draw_separability_delay"]


def _fig_p_grok(series: list[dict[str, Any]]) -> Any:
    fig, ax = new_figure("single")
    for i, s in enumerate(series):
        col = PALETTE[i % len(PALETTE)]
        frac = s.get("label_fraction", 1.0)
        tag = f"N = {s['N']}" + (f", r = {frac:g}" if frac != 1.0 else "")
        if s["theory_lam"]:
            law = "exact law (Prop. 3.3)" if frac == 1.0 else "r^N (1 - P_sep)"
            ax.plot(s["theory_lam"], s["theory_p"], "-" if frac == 1.0 else "--", color=col, lw=1, marker=".", ms=3,
                    label=f"{law}, {tag}")
        ci = np.array(s["ci"], float).reshape(-1, 2)
        p = np.array(s["p"], float)
        ax.errorbar(s["lam"], p, yerr=[p - ci[:, 0], ci[:, 1] - p], fmt="o", color=col, mfc="none", ms=4,
                    capsize=2, label=f"simulation, {tag}", zorder=3)
    ax.axvline(0.5, color="0.6", lw=0.6, ls=":")
    ax.set_xlabel(r"$\lambda = d/N$")
    ax.set_ylabel(r"$P_{grok}$ (training set not separable)")
    ax.set_ylim(-0.02, 1.02)
    return finish(fig, ax)


def _fig_a_gen(a: dict[str, Any]) -> Any:
    fig, ax = new_figure("single")
    m = np.array(a["margin"], float)
    ax.plot(m, a["final_test_acc"], "o", color="k", mfc="none", ms=3, label="separable runs (final test accuracy)",
            zorder=3)
    dense = np.linspace(max(m.min() * 0.9, 1e-3), m.max() * 1.1, 100)
    sig = float(a["sigma"])
    ax.plot(dense, [0.5 * (1 + math.erf(1 / (sig * x * math.sqrt(2)))) for x in dense], "-", color=THEORY,
            label=rf"$A_{{gen}}$ (Prop. 3.2), $\sigma$ = {sig:g}")
    ax.set_xlabel(r"margin $M$")
    ax.set_ylabel("test accuracy")
    return finish(fig, ax)


def draw_separability_paper(rep: Any, rows: list[dict[str, Any]], table: Any, data: dict[str, Any]) -> None:
    """Add the section to ``rep`` (``table``: the printable frame of the rows; ``data``:
    :func:`comparison.pipeline.paper_separability.figure_data`)."""
    setup_mpl()   # the document's title is the one top heading (Report.title); sections start at level 2
    n = rows[0]["n_runs"] if rows else 0
    sigma = rows[0]["sigma"] if rows else float("nan")
    shift = rows[0]["shift"] if rows else 0.0
    rep.p(f"Beck, Levi & Bar-Sinai (ICML 2025). Per setting {n} training sets of N points in d = round(λN) "
          f"dimensions, x ~ N({shift:g}·e₁, σ²I), σ = {sigma:g}; a run groks iff its training set is not separable "
          "from the origin (exact LP, Prop. 3.2). 'Wendel': the exact finite-N law P_grok = 1 − P_sep (Prop. 3.3, "
          "symmetric data only); verdict: exact binomial test (two-sided mid-p) under the single rule; CI: exact "
          "Clopper-Pearson at the 4σ level (1 − 6.3·10⁻⁵). 'acc>=level': fraction whose test accuracy reached the "
          "threshold by the end of the clock.")
    rep.table(table, key=[c for c in ("N", "d", "lam", "r") if c in table.columns])   # parts keep the setting
    asym = [r for r in rows if r.get("label_fraction", 1.0) != 1.0]
    if asym:
        rep.h(2, "Label fraction r < 1 (App. I)")
        rep.p(_asymmetric_text(asym))
    rep.figure(_fig_p_grok(data["p_grok"]), "separability-p-grok-lambda",
               "P_grok against λ: markers, the simulated fraction of non-separable training sets with its exact "
               "Clopper-Pearson interval (4σ level); lines, the exact finite-N law (Prop. 3.3) at integer d"
               + ("; dashed, the exact law r^N (1 − P_sep) of the label fraction r < 1" if asym else "")
               + "; dotted, λ_c = 1/2.")
    if data.get("a_gen"):
        rep.figure(_fig_a_gen(data["a_gen"]), "separability-a-gen-margin",
                   f"Separable runs: test accuracy at the end of the clock (t = {data['a_gen']['t_max']:g}) against "
                   "the margin M; line, the limiting accuracy A_gen = ½[1 + erf(1/(σM√2))] of Prop. 3.2.")
    else:
        rep.p("A_gen against the margin is not drawn: no separable run in these settings, or the data are shifted "
              "(Prop. 3.2's A_gen holds for symmetric data only).")


def _asymmetric_text(asym: list[dict[str, Any]]) -> str:
    """What the asymmetric rows measured, with their exact intervals."""
    parts = []
    for r in asym:
        vs = r.get("vs_constant_label")
        ci = r["p_threshold_ci"] or [float("nan")] * 2
        cmp = (f" (r = 1: {vs['p_threshold']:.3f}, Fisher exact p = {vs['fisher_p']:.2g})" if vs else "")
        parts.append(f"N = {r['N']}, λ = {r['lam']:.3g}: P(generalises) {r['p_grok_sim']:.3f} against r^N(1 − P_sep) = "
                     f"{r['p_grok_exact']:.3f} ({r['verdict_exact']}); accuracy ≥ level by the clock's end "
                     f"{r['p_threshold']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]{cmp}")
    r0 = asym[0]["label_fraction"]
    return (f"r = {r0:g}: each training label is the constant +1 with probability r, −1 otherwise (the paper's "
            "two-Gaussians model with a fraction 1 − r of labels flipped, reduced by sec. 3's reflection; test law "
            "clean). A set generalises perfectly iff it has no −1 label and is not separable from the origin, so "
            "Wendel's law is not the grokking probability (its column is null) and the exact law is r^N (1 − P_sep), "
            "which vanishes as N → ∞ at every λ: there is no λ_c for perfect generalisation. What a finite clock "
            "shows instead (the fraction whose test accuracy reached the level; exact Clopper-Pearson intervals at "
            "the 4σ level): " + "; ".join(parts) + ".")


def _fig_delay(study: dict[str, Any]) -> Any:
    fig, ax = new_figure("single")
    pts = [q for q in study["points"] if q["y_mean"] is not None]
    x = np.array([q["x"] for q in pts], float)
    ax.errorbar(x, [q["y_mean"] for q in pts], yerr=[q["y_se"] or 0.0 for q in pts], fmt="o", color="k", ms=3,
                capsize=2, label="simulation (mean ± bootstrap s.e. over runs)", zorder=3)
    if len(x):
        dense = np.geomspace(x.min() / 1.3, x.max() * 1.3, 50)
        ax.plot(dense, dense / math.sqrt(2), "--", color=THEORY, label=r"Eq. 39: $x/\sqrt{2}$")
        if study.get("exponent") is not None:
            ax.plot(dense, study["prefactor"] * dense ** study["exponent"], "-", color=PALETTE[0],
                    label=f"fit: p = {study['exponent']:.2f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$x = -\log(1 - 2\lambda)$")
    ax.set_ylabel(r"$\sqrt{\log(t^*_{gen}/t^*_{tr})}$")
    return finish(fig, ax)


def draw_separability_delay(rep: Any, study: dict[str, Any]) -> None:
    """Add the delay-divergence section (``study``: :func:`comparison.pipeline.separability_delay.delay_study`)."""
    import pandas as pd

    setup_mpl()
    rep.h(2, "Delay divergence as λ → ½⁻ (Eq. 39)")
    ci = study.get("exponent_ci")
    fit = (f"fitted p = {study['exponent']:.3g}, 95 % bootstrap CI [{ci[0]:.3g}, {ci[1]:.3g}]"
           if study.get("exponent") is not None else "no fit")
    rep.p(f"N = {study['N']}, σ = {study['sigma']:g}, clock to t = {study['t_max']:g}; population: runs not separable "
          f"with t*_gen > t*_tr both reached; y = √log(t*_gen/t*_tr) = c·x^p, theory p = 1, c = 1/√2; {fit}; "
          f"verdict: {study['verdict']['verdict']} ({study['verdict']['note']})."
          + (f" Power: {study['power']['statement']}." if study.get("power") else ""))
    rep.table(pd.DataFrame(study["points"]))
    solid = "solid, the fitted power law; " if study.get("exponent") is not None else ""
    rep.figure(_fig_delay(study), "separability-delay",
               "Markers: per-λ mean of √log(t*_gen/t*_tr) over the population with its bootstrap s.e. (runs "
               "resampled, as for the fit's CI), against "
               f"x = −log(1 − 2λ), log-log; {solid}dashed, Eq. 39 (x/√2).")

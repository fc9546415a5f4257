"""Report section of ``grokcheck paper table1``: the table, the local slope of the aligned
error against τ, and the grokking-time histograms, per example."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..estimate.nu_quality import FIXED_WINDOWS
from .histograms import log_t_hist, set_headroom
from .style import LABELS, PALETTE, finish, new_figure, setup_mpl

__all__ = ["draw_table1"]


def _fig_local_slope(rows: list[dict[str, Any]]) -> Any:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), sharey=True)
    for ax, ex in zip(axes, (1, 2, 3)):
        for i, r in enumerate(q for q in rows if q["example"] == ex):
            ls = r.get("local_slope")
            if not ls:
                continue
            ax.plot(ls["tau"], ls["slope"], "-", color=f"C{i}", label=f"λ1 = {r['lam1']:g}, λ2 = {r['lam2']:g}")
            if r.get("nu_pred") is not None:
                ax.axhline(r["nu_pred"], color=f"C{i}", ls=":", lw=1)
        for lo, hi in FIXED_WINDOWS:
            ax.axvspan(lo, hi, color="0.9" if lo != 0.1 else "0.82", zorder=0)
        ax.set_xscale("log")
        ax.set_xlabel(r"$\tau = t_\varepsilon - t$")
        ax.set_title(f"Example {ex}", fontsize=9)
        ax.legend(fontsize=6, loc="upper left")
    axes[0].set_ylabel(r"local slope $d\,\log E / d\,\log \tau$")
    fig.suptitle("Local slope of the aligned test error (shaded: the fixed fit windows; dotted: Eq. 50's ν)",
                 fontsize=9)
    fig.tight_layout()
    return fig


def _fig_t_G(rows: list[dict[str, Any]], width: str = "double") -> Any:
    """Grokking-time densities in ln t per example, drawn by the shared t_G histogram
    (:mod:`comparison.report.histograms`: bins by n, padded, headroom; ticks by ``finish``)."""
    fig, axes = new_figure(width, nrows=1 if width == "double" else 3, ncols=3 if width == "double" else 1,
                           height=2.6 if width == "double" else 6.0)
    for ax, ex in zip(axes, (1, 2, 3)):
        tops = []
        for i, r in enumerate(q for q in rows if q["example"] == ex):
            tg = np.asarray(r.get("t_G", []), dtype=float)
            tg = tg[np.isfinite(tg) & (tg > 0)]
            if tg.size < 5:
                continue
            tops.append(log_t_hist(ax, tg, fill=False, color=PALETTE[i % len(PALETTE)], lw=1.2,
                                   label=f"λ1 = {r['lam1']:g}, λ2 = {r['lam2']:g} (n = {tg.size})")[1])
        if tops:
            ax.set_xscale("log")
        ax.set_xlabel(LABELS["t_G"])
        ax.set_title(f"Example {ex}", fontsize=8)
        ax.set_ylabel(LABELS["t_G_logdensity"])
        set_headroom(ax, *tops)
    return finish(fig, axes)


def draw_table1(rep: Any, rows: list[dict[str, Any]], table: Any) -> None:
    """Add the table-1 section to ``rep`` (``table``: the printable frame of the rows)."""
    setup_mpl()
    rep.h(1, "Scenario B: Examples 1-3 x nine regularisation settings")
    n_init = rows[0]["n_init"] if rows else 0
    rep.p(f"{n_init} classifier initialisations per setting. ν: automatic window and fixed windows τ ∈ [0.01, 0.1], "
          "[0.1, 1], [1, 10]; 'no plateau' when ν drifts across the fixed windows by more than their CIs. "
          "D_eff: per class on the test distribution (the theory's ball is one class's support). ξ: angle recipe on "
          "bulk contexts (left + right, max over classes) with a bootstrap CI over inputs; 'xi closed' is the "
          "fixed-point closed form. nu_pred = (D_eff + 1)/2 − ξ (Eq. 50, D → D_eff), evaluated even where ξ ≥ 1 is "
          "outside the derivation's 0 < ξ < 1. 'transient': the stationary classifier has test error > 0, so runs "
          "only pass through zero error and ν is not fitted. P_grok(A): fraction of random A whose stationary "
          "classifier has zero test error (Wilson CI in the JSON). 'nu bulk': ν on the bulk contexts (the ξ "
          "sample, t_eps on it) over the two lowest whole log-periods of the exit edge's contraction ('periods'), "
          "beside 'nu auto' (the default test set); 'nu test (periods)': the same estimator on the default test "
          "set. 'plateau': the drift of the two period-averaged slopes against a margin of 15 % of ν (plateau: "
          "its 95 % CI inside the margin; drift: wholly outside; undecided: neither). 'nu_pred bulk': Eq. 50 "
          "with the bulk per-class D_eff; 'nu corner': the corner law's mixture Σ p_k C_k τ^ν_k fitted the same "
          "way, 'corner leading' its smallest ν_k = 2 − ξ_xL − ξ_xR and 'corner shares' the exit edge pairs; "
          "the two verdicts are on the bulk ν, testable only with a plateau (docs/local_rules.md).")
    rep.table(table, key=["ex", "lam1", "lam2"])
    rep.figure(_fig_local_slope(rows), "table1-local-slope", "Local slope of the aligned test error against τ")
    rep.figure(lambda w: _fig_t_G(rows, w), "table1-t-G",
               "Grokking-time densities in log t (t·p(t)) per example and setting, settings with ≥ 5 positive "
               "grokking times; bins by sample size.", width="double")

"""Figures of the report, drawn from an :class:`~comparison.agreement.Analysis` alone
(never from the curves again). All matplotlib use of grokcheck lives in this package;
sizes, palette and labels come from :mod:`comparison.report.style`.

Each function takes ``width`` = "single" (3.4 in) or "double" (7 in) and returns
the figure (or ``None`` when there is nothing to draw).
"""
from __future__ import annotations

import math

from typing import Any

import numpy as np

from .style import LABELS, PALETTE, SIMULATION, THEORY, finish, grid_for, new_figure

__all__ = ["fig_t_G", "fig_d_eff_aligned", "fig_spectrum", "fig_sensitivity", "fig_nu_fit", "fig_runs", "n_at_init"]


def n_at_init(a: Any) -> int:
    """Grokking replicas left out of the t_G law because t_G <= 0 (generalised at t = 0)."""
    c = a.counts
    if "n_generalised_at_init" in c:
        return int(c["n_generalised_at_init"])
    return max(0, int(c.get("n_groks", 0)) - int(a.t_G.size))


def fig_t_G(a: Any, width: str = "single") -> Any:
    """t_G law on a log-t axis as the density in log t, t·p(t): histogram, KDE and the theory
    (t·p(t) of the continuous part, the atom as a stem of its weight). Replicas with t_G = 0
    are not drawn (they are counted in the caption)."""
    from ..estimate import kde

    x = a.t_G
    law = a.law
    fig, ax = new_figure(width)
    lo, hi = float(x.min()), float(x.max())
    if law is not None and law.atom is not None:
        lo, hi = min(lo, law.atom[0]), max(hi, law.atom[0])
    bins = np.geomspace(lo / 1.2, hi * 1.2, 31)
    counts, _ = np.histogram(x, bins=bins)
    dens = counts / (x.size * np.diff(np.log(bins)))  # fraction of the positive t_G per unit ln t
    ax.stairs(dens, bins, fill=True, color="0.82", label=f"simulation ($n$ = {x.size})")
    g = np.geomspace(lo / 1.5, hi * 1.5, 600)
    try:
        _, d = kde(x, g)
        ax.plot(g, g * d, color=SIMULATION, lw=1.0, label="KDE")
    except ValueError:
        pass
    if law is not None:
        ax.plot(g, g * np.asarray(law.pdf(g), dtype=float), color=THEORY, lw=1.6, label="theory, continuous part")
        if law.atom is not None:
            ax.axvline(law.atom[0], color=THEORY, ls="--", lw=1.2,
                       label=f"theory atom (weight {law.atom[1]:.2f})")
    ax.set_xscale("log")
    ax.set_xlabel(LABELS["t_G"])
    ax.set_ylabel(LABELS["t_G_logdensity"])
    ax.set_ylim(bottom=0)
    return finish(fig, ax)


def fig_d_eff_aligned(a: Any, width: str = "single") -> Any | None:
    """Aligned average of the curves' ``d_eff`` observable against t - t_ε."""
    da = a.d_eff_aligned
    if da is None or not len(da):
        return None
    fig, ax = new_figure(width)
    tau = da["tau"].to_numpy(dtype=float)
    ax.plot(tau, da["d_eff"].to_numpy(dtype=float), "-o", color=PALETTE[0], ms=2.5, label="aligned mean")
    ax.set_xscale("log")
    ax.invert_xaxis()  # time runs left to right: large τ (early) on the left
    ax.set_xlabel(LABELS["tau"] + " (before the transition)")
    ax.set_ylabel(LABELS["d_eff"])
    return finish(fig, ax, legend="none")


def fig_runs(a: Any, width: str = "single") -> Any | None:
    """Test error of a sample of the runs against time (``Analysis.curves_preview``: runs that
    never grok first), so that every run is visible, grokking or not. The legend says "runs"
    for external data and "simulation" for a simulator's."""
    cp = a.curves_preview
    if cp is None or not len(cp):
        return None
    fig, ax = new_figure(width)
    what = "runs" if a.generator == "external" else "simulation"
    drawn: set[bool] = set()
    for _, c in cp.groupby("run", sort=False):
        g = bool(c["groks"].iloc[0])
        lab = None if g in drawn else f"{what}: {'grokking' if g else 'never grokking'}"
        drawn.add(g)
        ax.plot(c["t"], c["test_error"], "-", lw=0.8, alpha=0.8, color=PALETTE[0] if g else PALETTE[1], label=lab)
    ax.set_xlabel(LABELS.get("t", "time $t$"))
    ax.set_ylabel(LABELS.get("test_error", "test error"))
    return finish(fig, ax)


def fig_spectrum(a: Any, width: str = "single") -> Any:
    """Eigenvalues of G on a log axis, slow and fast groups in two rows."""
    sp = a.spectrum
    fig, ax = new_figure(width, height=1.7)
    ax.scatter(sp.slow, np.ones_like(sp.slow), color=PALETTE[0], marker="o", s=14,
               label=f"slow ({sp.slow.size})", zorder=3)
    ax.scatter(sp.fast, np.zeros_like(sp.fast), color=PALETTE[1], marker="s", s=14,
               label=f"fast ({sp.fast.size})", zorder=3)
    ax.set_xscale("log")
    ax.set_yticks([0, 1], ["fast", "slow"])
    ax.set_ylim(-0.6, 1.6)
    ax.set_xlabel(LABELS["eig_G"] + f"; gap ratio {sp.ratio:.3g}")
    ax.set_ylabel("group")
    return finish(fig, ax)


def fig_sensitivity(a: Any, width: str = "double") -> Any:
    """Left/top: ν against the window start for each window width, with the fit's CI and the
    theory; right/bottom: per-run ν over the same window, as deviations from the fitted ν."""
    nu = a.nu
    fig, (ax1, ax2) = new_figure(width, nrows=grid_for(width, 2)[0], ncols=grid_for(width, 2)[1])
    for i, (wf, grp) in enumerate(nu.sensitivity.groupby("width_factor")):
        ax1.plot(grp["tau_lo"], grp["nu"], "o-", ms=3, color=PALETTE[(i + 2) % 8], label=rf"window width $\times$ {wf:g}")
    ax1.axhspan(nu.nu_ci[0], nu.nu_ci[1], color=PALETTE[0], alpha=0.2, lw=0, label="95 % CI of the fit")
    ax1.axhline(nu.nu, color=PALETTE[0], lw=1.0, label=rf"fitted $\nu$ = {nu.nu:.4f} (average curve)"
                + (f"\n{_weak_label(nu)}" if nu.weak else ""))
    nu_th = a.predicted("nu")
    if math.isfinite(nu_th):
        ax1.axhline(nu_th, color=THEORY, ls="--", lw=1.2, label=rf"theory $\nu$ = {nu_th:.4g}")
    ax1.set_xscale("log")
    ax1.set_xlabel(LABELS["tau_lo"])
    ax1.set_ylabel(LABELS["nu_fit"])
    pr = nu.per_run["nu"].to_numpy(dtype=float)
    pr = pr[np.isfinite(pr)]
    if pr.size:
        # deviations from the fit in explicit units, so that no axis shows an offset ("1e-5+3")
        dev = pr - nu.nu
        top = float(np.max(np.abs(dev))) or 1.0
        k = int(np.floor(np.log10(top)))
        bins = 30 if np.ptp(dev) > 1e-9 * top else 1  # identical per-run fits: one bar, not an error
        ax2.hist(dev / 10.0 ** k, bins=bins, color="0.7", label=f"per-run fits ($n$ = {pr.size})")
        ax2.set_xlabel(r"(per-run $\nu$ $-$ fitted $\nu$)" + (rf" / $10^{{{k}}}$" if k else ""))
        ax2.set_ylabel(LABELS["runs"])
    else:
        ax2.set_axis_off()
    return finish(fig, (ax1, ax2), legend="figure")


def _weak_label(nu: Any) -> str:
    """The weak mark of a legend entry (outside ``$…$`` mathtext leaves ``R^2 < 0.98`` literal)."""
    return "weak: " + "; ".join(str(x).replace("$", r"\$") for x in nu.flags)


def fig_nu_fit(nu: Any, *, title: str | None = None, width: str = "single") -> Any:
    """Goodness-of-fit figure of a :class:`~comparison.estimate.NuFit`: aligned error
    (log-log) with its standard error, the fit over the window, and the residuals below.
    ``title`` is kept for callers; print figures carry it in the caption instead."""
    fig, (a1, a2) = new_figure(width, height=3.4, nrows=2, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    al = nu.aligned
    ok = (al["usable"].astype(bool) & (al["mean_error"] > 0)).to_numpy()
    tau = al.loc[ok, "tau"].to_numpy(dtype=float)
    err = al.loc[ok, "mean_error"].to_numpy(dtype=float)
    sem = al.loc[ok, "sem"].to_numpy(dtype=float)
    lo, hi = nu.window
    a1.axvspan(lo, hi, color=PALETTE[5], alpha=0.25, lw=0, label="fit window")
    # error bars: ±1 s.e., clipped to stay positive on the log axis; drawn below the fit line
    low = np.minimum(sem, err * 0.999)
    a1.errorbar(tau, err, yerr=[low, sem], fmt="o", ms=2.5, mfc="none", mec=SIMULATION, ecolor="0.55",
                elinewidth=0.7, color=SIMULATION, zorder=2, label=r"aligned mean $\pm$ s.e.")
    tt = np.geomspace(lo, hi, 50)
    a1.plot(tt, nu.predict(tt), color=THEORY, lw=1.6, zorder=3,
            label=rf"fit $\nu$ = {nu.nu:.4f}, 95 % CI [{nu.nu_ci[0]:.4f}, {nu.nu_ci[1]:.4f}]"
            + (f"\n{_weak_label(nu)}" if nu.weak else ""))
    a1.set_xscale("log")
    a1.set_yscale("log")
    a1.set_ylabel(LABELS["E"])
    with np.errstate(divide="ignore", invalid="ignore"):
        res = np.log(err) - np.log(nu.predict(tau))
    a2.axvspan(lo, hi, color=PALETTE[5], alpha=0.25, lw=0)
    a2.plot(tau, res, "o", ms=2.5, mfc="none", color=SIMULATION)
    a2.axhline(0, color=THEORY, lw=1.0)
    a2.set_xlabel(LABELS["tau"])
    a2.set_ylabel(r"$\log E - \log E_{\mathrm{fit}}$")
    finish(fig, a1)
    finish(fig, a2, legend="none")
    return fig

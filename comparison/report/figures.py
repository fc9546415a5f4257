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

from .histograms import hist_bins, log_t_hist, set_headroom
from .style import LABELS, PALETTE, SIMULATION, THEORY, finish, grid_for, new_figure

__all__ = ["fig_t_G", "fig_d_eff_aligned", "fig_spectrum", "fig_sensitivity", "fig_nu_fit", "fig_runs", "n_at_init",
           "time_unit", "with_unit", "multiplicities", "hist_bins"]


def time_unit(a: Any) -> str:
    """The time unit of analysis ``a``'s axes: the log's ``--time-unit``, a config ``time_unit``, or
    for a simulator its model time (external logs without a unit: "log's time unit").

    >>> from types import SimpleNamespace as NS
    >>> time_unit(NS(config={"load": {"time_unit": "step"}}, generator="external"))
    'step'
    >>> time_unit(NS(config={}, generator="perceptron_theory.simulate_ball"))
    'model time units'
    """
    cfg = getattr(a, "config", None) or {}
    unit = (cfg.get("load") or {}).get("time_unit") or cfg.get("time_unit")
    if unit:
        return str(unit)
    return "log's time unit" if getattr(a, "generator", "") == "external" else "model time units"


def with_unit(label: str, unit: str) -> str:
    """An axis label with its time unit in brackets (``$`` escaped outside mathtext).

    >>> with_unit("time $t$", "step")
    'time $t$ [step]'
    """
    return f"{label} [{unit.replace('$', chr(92) + '$')}]"


def multiplicities(values: Any, *, rtol: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of the sorted ``values`` (equal within relative ``rtol``) and their counts.

    >>> multiplicities([1.0, 1.0, 2.0, 5.0, 5.0 * (1 + 1e-9)])
    (array([1., 2., 5.]), array([2, 1, 2]))
    """
    v = np.sort(np.asarray(values, dtype=float).reshape(-1))
    if v.size == 0:
        return v, np.zeros(0, dtype=int)
    new = np.r_[True, np.abs(np.diff(v)) > rtol * np.maximum(np.abs(v[1:]), np.abs(v[:-1]))]
    idx = np.flatnonzero(new)
    return v[idx], np.diff(np.r_[idx, v.size])


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
    # fraction of the positive t_G per unit ln t, bins by n, padded (the shared t_G histogram)
    _, top = log_t_hist(ax, x, lo=lo, hi=hi, label=f"simulation ($n$ = {x.size})")
    g = np.geomspace(lo / 1.5, hi * 1.5, 600)
    try:
        _, d = kde(x, g)
        ax.plot(g, g * d, color=SIMULATION, lw=1.0, label="KDE")
        top = max(top, float(np.nanmax(g * d)))
    except ValueError:
        pass
    if law is not None:
        th = g * np.asarray(law.pdf(g), dtype=float)
        ax.plot(g, th, color=THEORY, lw=1.6, label="theory, continuous part")
        if np.isfinite(th).any():
            top = max(top, float(np.nanmax(th)))
        if law.atom is not None:
            ax.axvline(law.atom[0], color=THEORY, ls="--", lw=1.2,
                       label=f"theory atom (weight {law.atom[1]:.2f})")
    ax.set_xscale("log")
    ax.set_xlim(g[0], g[-1])
    ax.set_xlabel(with_unit(LABELS["t_G"], time_unit(a)))
    ax.set_ylabel(LABELS["t_G_logdensity"])
    set_headroom(ax, top)  # no bar touches the top
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
    ax.set_xlabel(with_unit(LABELS["tau"], time_unit(a)) + " (before the transition)")
    ax.set_ylabel(LABELS["d_eff"])
    return finish(fig, ax, legend="none")


def fig_runs(a: Any, width: str = "single") -> Any | None:
    """Test error of a sample of the runs against time (``Analysis.curves_preview``: runs that
    never grok first), so that every run is visible, grokking or not, and their training error
    (dotted) where the run set has one. The legend says "runs" for external data and
    "simulation" for a simulator's."""
    cp = a.curves_preview
    if cp is None or not len(cp):
        return None
    fig, ax = new_figure(width)
    what = "runs" if a.generator == "external" else "simulation"
    drawn: set[bool] = set()
    drawn_train: set[str] = set()
    for _, c in cp.groupby("run", sort=False):
        g = bool(c["groks"].iloc[0])
        lab = None if g in drawn else f"{what}: {'grokking' if g else 'never grokking'}"
        drawn.add(g)
        col = PALETTE[0] if g else PALETTE[1]
        ax.plot(c["t"], c["test_error"], "-", lw=0.8, alpha=0.8, color=col, label=lab)
        if "train_error" in c and np.isfinite(c["train_error"].to_numpy(dtype=float)).any():
            ax.plot(c["t"], c["train_error"], ":", lw=0.8, alpha=0.8, color=col,
                    label=None if "train" in drawn_train else "training error (dotted)")
            drawn_train.add("train")
    ax.set_xlabel(with_unit(LABELS.get("t", "time $t$"), time_unit(a)))
    ax.set_ylabel(LABELS.get("test_error", "test error") + (" / training error" if drawn_train else ""))
    return finish(fig, ax)


def fig_spectrum(a: Any, width: str = "single") -> Any:
    """Eigenvalues of G on a log axis: slow and fast groups in two rows when the spectrum splits,
    one uncoloured row when it does not; a degenerate eigenvalue is one marker labelled with its
    multiplicity (``×k``), and zero eigenvalues (not on a log axis) are counted in the legend."""
    sp = a.spectrum
    fig, ax = new_figure(width, height=1.7)
    if sp.split:
        rows = [(sp.slow, 1, PALETTE[0], "o", "slow"), (sp.fast, 0, PALETTE[1], "s", "fast")]
        ax.set_ylim(-0.6, 1.7)
        ax.set_ylabel("group")
    else:
        rows = [(np.concatenate([sp.slow, sp.fast]), 0, SIMULATION, "o", "eigenvalues (no split)")]
        ax.set_ylim(-0.6, 0.8)
        ax.set_ylabel("all")
    for vals, y, col, mk, name in rows:
        u, k = multiplicities(vals)
        ax.scatter(u, np.full(u.size, y), color=col, marker=mk, s=14, zorder=3,
                   label=f"{name} ({vals.size}" + (f"; {int(np.sum(k > 1))} degenerate" if np.any(k > 1) else "")
                   + ")")
        for ui, ki in zip(u, k):
            if ki > 1:
                ax.annotate(f"×{ki}", (ui, y), xytext=(0, 4), textcoords="offset points", ha="center",
                            va="bottom", fontsize=6, color=col)
    if sp.zero.size:
        ax.plot([], [], " ", label=f"{sp.zero.size} zero eigenvalue(s), not drawn")
    ax.set_xscale("log")
    gap = f"gap ratio {sp.ratio:.3g}" + ("" if sp.split else f" < {sp.threshold:g}: no split")
    ax.set_xlabel(LABELS["eig_G"] + f"; {gap}")
    finish(fig, ax)
    if sp.split:  # finish() thins numeric ticks; the rows are categories
        ax.set_yticks([0, 1], ["fast", "slow"])
    else:
        ax.set_yticks([])
    return fig


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
    ax1.set_xlabel(with_unit(LABELS["tau_lo"], time_unit(a)))
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


def fig_nu_fit(nu: Any, *, title: str | None = None, width: str = "single", unit: str = "model time units") -> Any:
    """Goodness-of-fit figure of a :class:`~comparison.estimate.NuFit`: aligned error
    (log-log) with its standard error, the fit over the window, and the residuals below.
    ``title`` is kept for callers; print figures carry it in the caption instead. ``unit``: the
    time unit of the τ axis (:func:`time_unit` of the analysis)."""
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
    tt, dg = np.geomspace(lo, hi, 50), nu.shown_digits(4)
    a1.plot(tt, nu.predict(tt), color=THEORY, lw=1.6, zorder=3,
            label=rf"fit $\nu$ = {nu.nu:.{dg}f}, 95 % CI [{nu.nu_ci[0]:.{dg}f}, {nu.nu_ci[1]:.{dg}f}]"
            + (f"\n{_weak_label(nu)}" if nu.weak else ""))
    a1.set_xscale("log")
    a1.set_yscale("log")
    a1.set_ylabel(LABELS["E"])
    with np.errstate(divide="ignore", invalid="ignore"):
        res = np.log(err) - np.log(nu.predict(tau))
    a2.axvspan(lo, hi, color=PALETTE[5], alpha=0.25, lw=0)
    a2.plot(tau, res, "o", ms=2.5, mfc="none", color=SIMULATION)
    a2.axhline(0, color=THEORY, lw=1.0)
    a2.set_xlabel(with_unit(LABELS["tau"], unit))
    a2.set_ylabel(r"$\log E - \log E_{\mathrm{fit}}$")
    finish(fig, a1)
    finish(fig, a2, legend="none")
    return fig

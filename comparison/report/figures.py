"""Figures of the report, drawn from an :class:`~comparison.agreement.Analysis` alone
(never from the curves again). All matplotlib use of grokcheck lives in this package.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["fig_t_G", "fig_d_eff_aligned", "fig_spectrum", "fig_sensitivity", "fig_nu_fit"]


def fig_t_G(a: Any) -> Any:
    """Histogram of t_G (log bins) with the KDE and the theory law (pdf + atom)."""
    import matplotlib.pyplot as plt

    from ..estimate import kde

    x = a.t_G
    law = a.law
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    lo, hi = float(x.min()), float(x.max())
    if law is not None and law.atom is not None:
        lo, hi = min(lo, law.atom[0]), max(hi, law.atom[0])
    bins = np.geomspace(lo / 1.2, hi * 1.2, 40)
    ax.hist(x, bins=bins, density=True, color="0.75", label=f"simulation (n = {x.size})")
    try:
        g, d = kde(x, np.geomspace(lo / 1.5, hi * 1.5, 400))
        ax.plot(g, d, color="0.25", lw=1, label="KDE (log t)")
    except ValueError:
        pass
    if law is not None:
        g = np.geomspace(lo / 1.5, hi * 1.5, 600)
        ax.plot(g, np.asarray(law.pdf(g), dtype=float), "C3-", lw=1.8, label="theory (continuous part)")
        if law.atom is not None:
            ax.axvline(law.atom[0], color="C3", ls="--", lw=1.5,
                       label=f"theory atom, weight {law.atom[1]:.3f}")
    ax.set_xscale("log")
    ax.set_xlabel("grokking time t_G")
    ax.set_ylabel("density")
    ax.legend(fontsize=7)
    ax.set_title(f"{a.name}: t_G law", fontsize=9)
    fig.tight_layout()
    return fig


def fig_d_eff_aligned(a: Any) -> Any | None:
    """Aligned average of the curves' ``d_eff`` observable against t - t_eps."""
    import matplotlib.pyplot as plt

    da = a.d_eff_aligned
    if da is None or not len(da):
        return None
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    tau = da["tau"].to_numpy(dtype=float)
    ax.plot(-tau, da["d_eff"].to_numpy(dtype=float), "C0-o", ms=2)
    ax.set_xscale("symlog", linthresh=float(tau[0]))
    ax.set_xlabel("t - t_eps")
    ax.set_ylabel("D_eff (aligned mean)")
    ax.set_title(f"{a.name}: effective dimension before the transition", fontsize=9)
    fig.tight_layout()
    return fig


def fig_spectrum(a: Any) -> Any:
    import matplotlib.pyplot as plt

    sp = a.spectrum
    fig, ax = plt.subplots(figsize=(5.0, 2.6))
    ax.scatter(sp.slow, np.zeros_like(sp.slow), color="C0", label=f"slow ({sp.slow.size})", zorder=3)
    ax.scatter(sp.fast, np.zeros_like(sp.fast), color="C3", label=f"fast ({sp.fast.size})", zorder=3)
    ax.set_xscale("log")
    ax.set_yticks([])
    ax.set_xlabel("eigenvalue of G")
    ax.set_title(f"{a.name}: G spectrum, gap ratio {sp.ratio:.3g}", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def fig_sensitivity(a: Any) -> Any:
    import matplotlib.pyplot as plt

    sens = a.nu.sensitivity
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8.0, 3.0))
    for wf, grp in sens.groupby("width_factor"):
        ax1.plot(grp["tau_lo"], grp["nu"], "o-", ms=3, label=f"width x {wf:g}")
    ax1.axhline(a.nu.nu, color="k", lw=0.8)
    if "nu" in a.predictions:
        ax1.axhline(a.predictions["nu"], color="C3", ls="--", lw=1, label="theory")
    ax1.set_xscale("log")
    ax1.set_xlabel("window start tau_lo")
    ax1.set_ylabel("fitted nu")
    ax1.legend(fontsize=7)
    pr = a.nu.per_run["nu"].to_numpy(dtype=float)
    pr = pr[np.isfinite(pr)]
    if pr.size:
        ax2.hist(pr, bins=30, color="0.6")
        ax2.axvline(a.nu.nu, color="k", lw=0.8, label="fit on the average")
        ax2.set_xlabel("per-run nu (same window)")
        ax2.legend(fontsize=7)
    fig.suptitle(f"{a.name}: sensitivity of nu to the window; per-run fits", fontsize=9)
    fig.tight_layout()
    return fig


def fig_nu_fit(nu: Any, *, title: str | None = None) -> Any:
    """Goodness-of-fit figure of a :class:`~comparison.estimate.NuFit`: aligned error
    (log-log) with the fit and window, and the residuals below."""
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(2, 1, figsize=(5.5, 5.2), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    al = nu.aligned
    ok = al["usable"].astype(bool) & (al["mean_error"] > 0)
    a1.errorbar(al.loc[ok, "tau"], al.loc[ok, "mean_error"], yerr=al.loc[ok, "sem"], fmt="o", ms=3,
                color="0.3", label="aligned mean test error")
    lo, hi = nu.window
    a1.axvspan(lo, hi, color="C0", alpha=0.12, label="fit window")
    tt = np.geomspace(lo, hi, 50)
    a1.plot(tt, nu.predict(tt), "C3-", lw=2, label=f"fit nu = {nu.nu:.3f} [{nu.nu_ci[0]:.3f}, {nu.nu_ci[1]:.3f}]")
    a1.set_xscale("log")
    a1.set_yscale("log")
    a1.set_ylabel("test error E")
    a1.legend(fontsize=8, loc="lower right")
    if title:
        a1.set_title(title, fontsize=10)
    with np.errstate(divide="ignore", invalid="ignore"):
        res = np.log(al.loc[ok, "mean_error"]) - np.log(nu.predict(al.loc[ok, "tau"]))
    a2.plot(al.loc[ok, "tau"], res, "o", ms=3, color="0.3")
    a2.axhline(0, color="C3")
    a2.axvspan(lo, hi, color="C0", alpha=0.12)
    a2.set_xlabel("tau = t_eps - t")
    a2.set_ylabel("log resid.")
    fig.tight_layout()
    return fig

"""Report sections of run sets: the verdict table and one section per analysis."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .document import Report
from .progress import add_progress_section
from .figures import fig_d_eff_aligned, fig_nu_fit, fig_sensitivity, fig_spectrum, fig_t_G
from .style import setup_mpl

__all__ = ["verdict_table", "add_runset_section", "build_report"]


_VERDICT_COLS = ["run set", "quantity", "measured", "se_meas", "se_sys", "predicted", "se_pred", "z", "verdict"]


def verdict_table(analyses: Sequence[Any]) -> pd.DataFrame:
    frames = [a.verdicts.assign(**{"run set": a.name}) for a in analyses if len(a.verdicts)]
    if not frames:
        return pd.DataFrame(columns=_VERDICT_COLS)
    return pd.concat(frames, ignore_index=True)[_VERDICT_COLS]


def _config_line(cfg: dict[str, Any]) -> str:
    keys = [k for k in ("source", "zero_tol", "model", "D", "N", "eps", "lam1", "lam2", "A", "rule", "K", "d", "p", "op", "n_replicas",
                        "n_init", "seed", "seeds") if k in cfg]
    return ", ".join(f"{k} = {cfg[k]}" for k in keys)


def add_runset_section(rep: Report, a: Any, manifest: dict[str, Any] | None = None) -> None:
    rep.h(1, f"Run set `{a.name}`")
    items = [f"generator: `{a.generator}` (model: {a.model})", f"config: {_config_line(a.config)}"]
    if manifest:
        items.append(f"created: {manifest.get('created', '?')}; seeds: {manifest.get('seeds', [])}")
    c = a.counts
    items.append(f"runs: {c['n_runs']}, grokking: {c['n_groks']} (P_grok = {c['p_grok']:.4g} ± "
                 f"{c['p_grok_se']:.2g}), diverged (excluded): {c['n_diverged']}")
    rep.items(items)
    if a.notes:
        rep.p("Notes: " + " ".join(a.notes))
    if len(a.verdicts):
        rep.table(a.verdicts.drop(columns=["note"]).assign(note=a.verdicts["note"]))
    _nu_section(rep, a)
    _t_G_section(rep, a)
    _features_section(rep, a)
    add_progress_section(rep, a)


def _nu_section(rep: Report, a: Any) -> None:
    rep.h(2, "Critical exponent nu")
    if a.nu is None:
        rep.p(f"Not fitted: {a.nu_error}")
    else:
        f = a.nu
        rep.p(f"nu = {f.nu:.4f}, {int(round(100 * f.ci))}% CI [{f.nu_ci[0]:.4f}, {f.nu_ci[1]:.4f}] "
              f"({f.ci_method}; {f.n_runs_used} runs), window-sensitivity ±{f.window_spread:.3g}. "
              f"Window [{f.window[0]:.4g}, {f.window[1]:.4g}]: {f.window_rule}. "
              f"Goodness of fit: R² = {f.gof['r2']:.6f}, rms log-residual {f.gof['rmse_log']:.3g}, "
              f"slopes of the lower/upper half-window {f.gof['nu_lower_half']:.4f} / "
              f"{f.gof['nu_upper_half']:.4f}. Excluded runs: {f.excluded}.")
        rep.figure(fig_nu_fit(f, title=f"{a.name}: aligned test error"), f"{a.name}-nu-fit",
                   f"{a.name}: test error averaged at equal t_eps - t (log-log), fit and residuals")
        rep.figure(fig_sensitivity(a), f"{a.name}-nu-sensitivity",
                   f"{a.name}: nu against the fit window, and the per-run fits")
        fd = fig_d_eff_aligned(a)
        if fd is not None:
            rep.figure(fd, f"{a.name}-d-eff", f"{a.name}: D_eff against aligned time")


def _t_G_section(rep: Report, a: Any) -> None:
    rep.h(2, "Grokking-time law")
    if a.t_G.size == 0:
        rep.p("No positive grokking times.")
    else:
        txt = f"{a.t_G.size} positive grokking times; mean {np.mean(a.t_G):.4g}, median {np.median(a.t_G):.4g}."
        if a.bimodality is not None:
            b = a.bimodality
            txt += (f" Bimodality (2 vs 1 Gaussian on {b.scale}): Delta-BIC = {b.delta_bic:.1f}, modes of the "
                    f"2-component fit = {b.n_modes}, weights {b.weights[0]:.3f}/{b.weights[1]:.3f} -> "
                    f"{'bimodal' if b.bimodal else 'not bimodal'}.")
        if a.law_distance is not None:
            d = a.law_distance
            txt += f" Against theory: KS = {d.ks:.4f} (p = {d.ks_pvalue:.3g}), W1 = {d.wasserstein:.4g}"
            if d.atom is not None:
                txt += (f"; theory atom at {d.atom[0]:.4g} with weight {d.atom[1]:.3f}, sample mass within ±5% "
                        f"of it {d.atom_sample_mass:.3f}")
            txt += "."
        rep.p(txt)
        if a.t_G.size >= 3 and np.ptp(a.t_G) > 0:
            rep.figure(fig_t_G(a), f"{a.name}-t-G", f"{a.name}: grokking-time histogram, KDE and theory")


def _features_section(rep: Report, a: Any) -> None:
    if a.features or a.spectrum is not None:
        rep.h(2, "Feature-space quantities")
        if a.features:
            rows = [(k, v) for k, v in a.features.items() if not isinstance(v, dict)]
            rep.table(pd.DataFrame(rows, columns=["quantity", "value"]))
        if a.spectrum is not None:
            sp = a.spectrum
            rep.p(f"G spectrum: {sp.slow.size} slow and {sp.fast.size} fast eigenvalues, gap ratio "
                  f"{sp.ratio:.3g} ({'split' if sp.split else 'no split'} at threshold {sp.threshold:g}).")
            rep.figure(fig_spectrum(a), f"{a.name}-spectrum", f"{a.name}: eigenvalues of G (median over runs)")


def build_report(analyses: Sequence[Any], *, title: str = "grokcheck report",
                 extra_sections: Sequence[Callable[[Report], None]] = (),
                 preamble: Sequence[Callable[[Report], None]] = (),
                 summaries: Sequence[Callable[[Report, list[Any]], None]] = ()) -> Report:
    """The report document of already-computed analyses (e.g. read from fits.json).

    ``summaries`` are called with the report and all analyses after ``preamble``
    (e.g. a sweep's table across settings)."""
    from ..agreement import TOLERANCE_RULES

    setup_mpl()
    rep = Report(title=title)
    import importlib.metadata as md

    try:
        ver = md.version("grokcheck")
    except md.PackageNotFoundError:
        ver = "unknown"
    rep.p(f"Generated by grokcheck {ver}. Inputs: " +
          ", ".join(f"`{a.name}` ({a.generator})" for a in analyses) + ". The same inputs give the same report.")
    for fn in preamble:
        fn(rep)
    for summary in summaries:
        summary(rep, list(analyses))
    rep.h(1, "Verdicts")
    rep.items(TOLERANCE_RULES)
    rep.table(verdict_table(analyses))
    for a in analyses:
        add_runset_section(rep, a, a.manifest)
    for fn in extra_sections:
        fn(rep)
    return rep

"""Report sections of run sets: the tolerance rule, the summary box, the verdict table
and one section per analysis.

Every verdict row is shown by its kind (see :mod:`comparison.agreement`): an
estimate as value ± s.e. with z, a bound as "≥ bound" with "bound holds" /
"bound violated", a distance as a distance with its p-value (never against a
predicted 0), a yes/no property in words, and an untestable row as
"not testable: <reason>".
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..agreement.verdict import detectable_sentence
from ..safe_text import markdown_code, markdown_safe
from .document import Report, slug
from .figures import fig_d_eff_aligned, fig_nu_fit, fig_runs, fig_sensitivity, fig_spectrum, fig_t_G, n_at_init, time_unit
from .onsets_section import add_onsets_section
from .progress import add_progress_section
from .style import setup_mpl

__all__ = ["verdict_table", "add_runset_section", "build_report", "verdict_summary", "row_kind", "anchor_of"]

_VERDICT_COLS = ["run set", "quantity", "prediction tested", "measured", "predicted", "test", "verdict", "note",
                 "could detect"]


def row_kind(r: Any) -> str:
    """The kind of a verdict row (``kind`` column; inferred for fits written before it existed)."""
    k = r.get("kind") if hasattr(r, "get") else None
    if isinstance(k, str) and k:
        return k
    if r["verdict"] == "not testable":
        return "not testable"
    q = str(r["quantity"])
    return "distance" if "(KS)" in q else ("property" if "bimodal" in q else "estimate")


def _n(v: Any, fmt: str = ".4g") -> str:
    return "–" if v is None or (isinstance(v, float) and not math.isfinite(v)) else format(float(v), fmt)


def _yes_no(q: str, v: float) -> str:
    word = q.replace("t_G ", "").strip() or "yes"
    return word if v else f"not {word}"


def _display_row(r: Any) -> dict[str, str]:
    kind, q = row_kind(r), str(r["quantity"])
    m, p, z = r["measured"], r["predicted"], r["z"]
    out = {"quantity": markdown_safe(q), "prediction tested": markdown_safe(r.get("theory", "") or ""),
           "note": markdown_safe(r.get("note", "") or "")}
    if kind == "not testable":
        weak = " (weak)" if str(r.get("note", "")).startswith("weak fit") else ""  # never a bare weak ν
        out.update(measured=_n(m) + weak, predicted="–", test="–", verdict=f"not testable: {out['note']}", note="")
    elif kind == "distance":
        note = out["note"]
        pval, _, rest = note.partition(";")
        out.update(measured=f"KS distance {_n(m, '.3g')}", predicted="the theory's law", test=pval.strip(),
                   verdict=str(r["verdict"]), note=rest.strip())
    elif kind == "property":
        out.update(measured=_yes_no(q, m), predicted=_yes_no(q, p), test="answers compared",
                   verdict=str(r["verdict"]))
    else:
        se = r["se_meas"]
        sys_ = r.get("se_sys", 0.0)
        meas = f"{_n(m)} ± {_n(se, '.2g')}" + (f" (sys. ± {_n(sys_, '.2g')})" if _finite_pos(sys_) else "")
        pred = _n(p) + (f" ± {_n(r['se_pred'], '.2g')}" if _finite_pos(r.get("se_pred")) else "")
        if kind in ("lower bound", "upper bound"):
            pred = f"{'≥' if kind == 'lower bound' else '≤'} {pred} ({kind})"
        out.update(measured=meas, predicted=pred, test=f"z = {z:+.2f}" if math.isfinite(z) else f"z = {z}",
                   verdict=str(r["verdict"]))
    out["could detect"] = markdown_safe(detectable_sentence(r)) or "–"  # the row's power (issue 23 item 7)
    return out


def _nm(a: Any) -> str:
    """The run set's name as literal Markdown text."""
    return markdown_safe(a.name)


def _finite_pos(v: Any) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v) and v > 0


def anchor_of(run_set: str, quantity: str) -> str:
    """The id of the report section that shows ``quantity`` of ``run_set``."""
    base = f"rs-{slug(run_set)}"
    if quantity == "nu":
        return f"{base}-nu"
    if "t_G" in quantity:
        return f"{base}-t-g"
    if "margin" in quantity:
        return f"{base}-features"
    return base


_BAD = ("disagrees", "bound violated")


def verdict_table(analyses: Sequence[Any]) -> pd.DataFrame:
    """All verdict rows of ``analyses``, formatted for reading (strings; see the module docstring);
    a documented disagreement links its ``docs/errata.md`` entry in the note (:func:`.errata.row_erratum`:
    the entry the theory names, else one matching the row's equation), an anchor inside the report."""
    from .errata import errata_link

    rows = []
    for a in analyses:
        for r in a.verdicts.to_dict(orient="records"):
            d = _display_row(r)
            link = errata_link(r, f"{a.model} {a.generator}")
            if link:  # a documented disagreement says where
                d["note"] = f"{d['note']}; {link}" if d["note"] else link
            rows.append({"run set": f"[{markdown_safe(a.name)}](#{anchor_of(a.name, str(r['quantity']))})", **d})
    return pd.DataFrame(rows, columns=_VERDICT_COLS)


def _finite_or(v: Any, default: float) -> float:
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else default


def _tail_p(r: Any) -> float:
    """The row's p-value (its exact test's where it has one, else the two-sided normal tail of z;
    1 when it has neither): the order of the summary's largest disagreements."""
    p, z = r.get("p_value"), r.get("z")
    if isinstance(p, (int, float)) and math.isfinite(p):
        return float(p)
    if isinstance(z, (int, float)) and math.isfinite(z):
        return math.erfc(abs(z) / math.sqrt(2.0))
    return 1.0


def verdict_summary(analyses: Sequence[Any], *, n_top: int = 3) -> list[str]:
    """Lines of the summary box: counts by verdict, then the ``n_top`` largest disagreements
    (smallest p, i.e. largest |z|), each linked to its section and, when documented, to its
    errata entry; agreeing rows are never listed."""
    from .errata import errata_link

    rows = [(a, r) for a in analyses for r in a.verdicts.to_dict(orient="records")]
    words = [str(r["verdict"]) for _, r in rows]
    n_ok = sum(w in ("agrees", "bound holds") for w in words)
    n_bad = sum(w in _BAD for w in words)
    n_nt = sum(w == "not testable" for w in words)
    lines = [f"{len(rows)} verdicts: {n_ok} agree (or bound holds), {n_bad} disagree (or bound violated), "
             f"{n_nt} not testable."]
    bad = sorted(((_tail_p(r), -abs(_finite_or(r.get("z"), 0.0)), i, a, r) for i, (a, r) in enumerate(rows)
                  if str(r["verdict"]) in _BAD), key=lambda t: t[:3])
    if not bad:
        lines.append("No disagreements.")
    m = markdown_safe
    for p, _, _, a, r in bad[:n_top]:
        z = r.get("z")
        zs = f", |z| = {abs(z):.3g}" if isinstance(z, float) and math.isfinite(z) else ""
        link = errata_link(r, f"{a.model} {a.generator}")
        ps = f"p = {p:.2g}" if p > 0 else "p < 1e-300"  # the normal tail underflows beyond |z| ~ 38
        lines.append(f"largest disagreement: {ps}{zs}: [{m(a.name)} — {m(r['quantity'])}]"
                     f"(#{anchor_of(a.name, str(r['quantity']))}) ({m(r['verdict'])}; tests "
                     f"{m(r.get('theory', ''))})" + (f" — documented: {link}" if link else ""))
    return lines


def _config_line(cfg: dict[str, Any], prefix: str = "") -> str:
    """Every parameter of the run set's config (nested ones as ``outer.inner``), sorted."""
    parts = []
    for k in sorted(cfg, key=str):
        v = cfg[k]
        if isinstance(v, dict):
            inner = _config_line(v, f"{prefix}{markdown_safe(k)}.")
            parts.append(inner or f"{prefix}{k} = {{}}")
        else:
            parts.append(f"{prefix}{markdown_safe(k)} = {markdown_safe(v)}")
    return ", ".join(p for p in parts if p)


def add_runset_section(rep: Report, a: Any, manifest: dict[str, Any] | None = None) -> None:
    m = markdown_safe
    rep.h(1, f"Run set {markdown_code(a.name)}", anchor=anchor_of(a.name, ""))
    items = [f"generator: {markdown_code(a.generator)} (theories: {m(a.model)})", f"config: {_config_line(a.config)}"]
    if manifest:
        items.append(f"created: {m(manifest.get('created', '?'))}; seeds: {m(manifest.get('seeds', []))}")
    c = a.counts
    if (a.config.get("load") or {}).get("loss_only"):
        items.append(f"runs: {c['n_runs']}; grokking not measured (loss-only log: no error or accuracy column)")
    else:
        items.append(f"runs: {c['n_runs']}, grokking: {c['n_groks']} (P_grok = {c['p_grok']:.4g} ± "
                     f"{c['p_grok_se']:.2g}), diverged (excluded): {c['n_diverged']}")
    rep.items(items)
    if a.notes:
        rep.p("Notes: " + " ".join(m(n) for n in a.notes))
    _nu_section(rep, a)
    _t_G_section(rep, a)
    _features_section(rep, a)
    add_progress_section(rep, a)
    add_onsets_section(rep, a)


def _nu_section(rep: Report, a: Any) -> None:
    rep.h(2, "Critical exponent ν", anchor=anchor_of(a.name, "nu"))
    if a.curves_preview is not None and (a.nu is None or a.generator == "external") \
            and not (a.config.get("load") or {}).get("loss_only"):
        rep.figure(lambda w: fig_runs(a, width=w), f"{a.name}-runs",
                   f"{_nm(a)}: test error of the runs against time (up to 12 runs; those that never grok first).")
    if a.nu is None:
        rep.p(f"Not fitted: {markdown_safe(a.nu_error)}")
        return
    f = a.nu
    weak = f" — **weak**: {markdown_safe('; '.join(f.flags))}." if f.weak else ""
    dg = f.shown_digits(4)
    rep.p(f"ν = {f.nu:.{dg}f}, {int(round(100 * f.ci))} % CI [{f.nu_ci[0]:.{dg}f}, {f.nu_ci[1]:.{dg}f}]{weak} "
          f"({f.ci_method}; {f.n_runs_used} runs), window sensitivity ±{f.window_spread:.3g}. "
          f"Window τ ∈ [{f.window[0]:.4g}, {f.window[1]:.4g}]: {markdown_safe(f.window_rule)}. "
          f"Goodness of fit: R² = {f.gof['r2']:.6f}, rms log-residual {f.gof['rmse_log']:.3g}, "
          f"slopes of the lower/upper half-window {f.gof['nu_lower_half']:.4f} / "
          f"{f.gof['nu_upper_half']:.4f}. Excluded runs: {markdown_safe(f.excluded)}.")
    rep.figure(lambda w: fig_nu_fit(f, width=w, unit=time_unit(a)), f"{a.name}-nu-fit",
               f"{_nm(a)}: test error averaged at equal τ = t_ε − t (log-log) with ±1 s.e., the power-law fit "
               "over the shaded window, and the log-residuals.")
    rep.figure(lambda w: fig_sensitivity(a, width=w), f"{a.name}-nu-sensitivity",
               f"{_nm(a)}: (a) fitted ν against the window start for each window width, with the fit's 95 % CI "
               "(band) and the theory (dashed); (b) per-run fits over the same window, as deviations from the "
               "fitted ν.", width="double")
    if a.d_eff_aligned is not None and len(a.d_eff_aligned):
        rep.figure(lambda w: fig_d_eff_aligned(a, width=w), f"{a.name}-d-eff",
                   f"{_nm(a)}: D_eff averaged at equal τ before the transition.")


def _t_G_text(a: Any) -> str:
    n0 = n_at_init(a)
    txt = (f"{a.t_G.size} positive grokking times; mean {np.mean(a.t_G):.4g}, median {np.median(a.t_G):.4g}. "
           f"{n0} grokking replicas had t_G ≤ 0 (test error zero already at t = 0, or no later than the "
           "training error): a separate count, not part of the histogram, of the bimodality test or of the law "
           "comparison.")
    if a.bimodality is not None:
        b = a.bimodality
        txt += (f" Bimodality of the positive times (2 vs 1 Gaussian on {b.scale}): ΔBIC = {b.delta_bic:.1f}, "
                f"modes of the 2-component fit = {b.n_modes}, weights {b.weights[0]:.3f}/{b.weights[1]:.3f} → "
                f"{'bimodal' if b.bimodal else 'not bimodal'}.")
    if a.law_distance is not None:
        d = a.law_distance
        t = d.test
        if t:
            snap = (f"after snapping the times within ±{t['resolution']:.2g} of the atom onto it"
                    if t.get("atom") else "the law has no atom")
            txt += (f" Against the theory's law (the verdict's test): KS distance {t['statistic']:.4f} ({snap}), "
                    f"p = {t['p_value']:.3g} ({markdown_safe(t['method'])}). Plain KS {d.ks:.4f}, ")
        else:
            txt += f" Against the theory's law: KS distance {d.ks:.4f} (p = {d.ks_pvalue:.3g}), "
        txt += f"Wasserstein-1 distance {d.wasserstein:.4g}"
        if d.atom is not None:
            txt += (f"; theory atom at t = {d.atom[0]:.4g} with weight {d.atom[1]:.3f}, sample mass within ±5 % "
                    f"of it {d.atom_sample_mass:.3f}")
        txt += "."
    return txt


def _t_G_section(rep: Report, a: Any) -> None:
    rep.h(2, "Grokking-time law", anchor=anchor_of(a.name, "t_G"))
    if a.t_G.size == 0:
        rep.p(f"No positive grokking times ({n_at_init(a)} grokking replicas with t_G ≤ 0).")
        return
    rep.p(_t_G_text(a))
    if a.t_G.size >= 3 and np.ptp(a.t_G) > 0:
        rep.figure(lambda w: fig_t_G(a, width=w), f"{a.name}-t-G",
                   f"{_nm(a)}: grokking-time law on a log axis, plotted as the density in log t (t·p(t)), so that "
                   f"areas are probabilities: histogram and KDE of the {a.t_G.size} positive t_G, theory "
                   f"(continuous part; atom dashed). Not shown: {n_at_init(a)} replicas with t_G = 0.")


def _features_section(rep: Report, a: Any) -> None:
    if not (a.features or a.spectrum is not None):
        return
    rep.h(2, "Feature-space quantities", anchor=anchor_of(a.name, "margin"))
    if a.features:
        rows = [(k, v) for k, v in a.features.items() if not isinstance(v, (dict, list))]
        rep.table(pd.DataFrame(rows, columns=["quantity", "value"]))
    if a.spectrum is not None:
        sp = a.spectrum
        rep.p(f"G spectrum: {sp.slow.size} slow and {sp.fast.size} fast eigenvalues, gap ratio "
              f"{sp.ratio:.3g} ({'split' if sp.split else 'no split'} at threshold {sp.threshold:g}).")
        rep.figure(lambda w: fig_spectrum(a, width=w), f"{a.name}-spectrum",
                   f"{_nm(a)}: eigenvalues of G (median over runs), "
                   + ("slow and fast groups" if sp.split else "one group (no split)")
                   + "; a degenerate eigenvalue is one marker labelled ×k with its multiplicity.")


def _version() -> str:
    import importlib.metadata as md

    try:
        return md.version("grokcheck")
    except md.PackageNotFoundError:
        return "unknown"


def build_report(analyses: Sequence[Any], *, title: str = "grokcheck report",
                 extra_sections: Sequence[Callable[[Report], None]] = (),
                 preamble: Sequence[Callable[[Report], None]] = (),
                 summaries: Sequence[Callable[[Report, list[Any]], None]] = (), variants: bool = True,
                 progress: bool = False) -> Report:
    """The report document of already-computed analyses (e.g. read from fits.json).

    Order: provenance, the tolerance rule (stated once), the summary box, the
    verdict table, then ``preamble`` hooks, ``summaries`` (called with the report
    and all analyses, e.g. a sweep's table), one section per run set and
    ``extra_sections``. ``variants``: also save each figure at the other print width.
    ``progress``: a progress bar (on stderr) counting the figures as they are drawn."""
    from tqdm.auto import tqdm

    from ..agreement import TOLERANCE_RULES

    setup_mpl()
    rep = Report(title=title, variants=variants)
    rep.bar = tqdm(desc="drawing report figures", unit="figure", disable=not progress, leave=False)
    try:
        _fill_report(rep, analyses, extra_sections, preamble, summaries, TOLERANCE_RULES)
    finally:
        rep.bar.close()
        rep.bar = None
    return rep


def _fill_report(rep: Report, analyses: Sequence[Any], extra_sections: Sequence[Callable[[Report], None]],
                 preamble: Sequence[Callable[[Report], None]],
                 summaries: Sequence[Callable[[Report, list[Any]], None]], rules: Sequence[str]) -> None:
    """The blocks of :func:`build_report`, in its order."""
    from .errata import add_errata_section, cited_errata

    inputs = ", ".join(f"{markdown_code(a.name)} ({markdown_safe(a.generator)})" for a in analyses)
    rep.p(f"Generated by grokcheck {_version()}. Inputs: " + inputs + ". The same inputs give the same report. "
          "Figures: PNG (300 dpi) and vector PDF in `figures/`, single-column (3.4 in) or double-column (7 in).")
    rep.h(1, "Verdicts", anchor="verdicts")
    rep.p("Tolerance (stated once; it applies to every verdict in this report):")
    rep.items(rules)
    if analyses:
        rep.box("Summary", verdict_summary(analyses))
        rep.table(verdict_table(analyses))
        add_errata_section(rep, cited_errata(analyses))  # the entries the rows link, copied in
    for fn in preamble:
        fn(rep)
    for summary in summaries:
        summary(rep, list(analyses))
    for a in analyses:
        add_runset_section(rep, a, a.manifest)
    for fn in extra_sections:
        fn(rep)

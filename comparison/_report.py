"""Reports: ``report.md``, a self-contained ``report.html`` and PNG figures.

The same inputs give byte-identical outputs: no time stamps are written (the
run sets' own creation times, which are inputs, are quoted), PNGs are saved
without the ``Software`` metadata, every random draw is seeded, and tables are
rendered with fixed number formats.

A report is built as a list of blocks (heading, paragraph, table, figure,
list) and rendered twice: to Markdown (figures as relative links) and to HTML
(figures embedded as base64 data URIs, inline CSS, nothing external).
"""
from __future__ import annotations

import base64
import html
import io
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Report", "write_report", "report_runsets", "df_to_markdown"]


# ---------------------------------------------------------------------- document model
@dataclass
class Report:
    """An ordered list of blocks; figures are kept as PNG bytes until rendering."""

    title: str
    blocks: list[tuple[str, Any]] = field(default_factory=list)
    figures: dict[str, bytes] = field(default_factory=dict)

    def h(self, level: int, text: str) -> None:
        self.blocks.append(("h", (level, text)))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def items(self, items: Sequence[str]) -> None:
        self.blocks.append(("ul", list(items)))

    def table(self, df: pd.DataFrame, floatfmt: str = ".4g") -> None:
        self.blocks.append(("table", (df.reset_index(drop=True), floatfmt)))

    def figure(self, fig: Any, name: str, caption: str) -> None:
        """Add a matplotlib figure (closed after saving) under ``figures/<name>.png``."""
        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
        plt.close(fig)
        fname = f"{_slug(name)}.png"
        k = 2
        while fname in self.figures:
            fname = f"{_slug(name)}-{k}.png"
            k += 1
        self.figures[fname] = buf.getvalue()
        self.blocks.append(("fig", (fname, caption)))


def _slug(s: str) -> str:
    out = "".join(c if c.isalnum() or c in "-_" else "-" for c in s.lower())
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-") or "figure"


def _fmt(v: Any, floatfmt: str) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return "–"
        return format(float(v), floatfmt)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return str(v)


def df_to_markdown(df: pd.DataFrame, floatfmt: str = ".4g") -> str:
    """A GitHub-flavoured Markdown table (no external dependency)."""
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for row in df.itertuples(index=False):
        cells = [_fmt(v, floatfmt).replace("|", "\\|").replace("\n", " ") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _render_md(rep: Report) -> str:
    out = [f"# {rep.title}", ""]
    for kind, val in rep.blocks:
        if kind == "h":
            out += ["#" * (val[0] + 1) + " " + val[1], ""]
        elif kind == "p":
            out += [val, ""]
        elif kind == "ul":
            out += [f"- {x}" for x in val] + [""]
        elif kind == "table":
            out += [df_to_markdown(*val), ""]
        elif kind == "fig":
            out += [f"![{val[1]}](figures/{val[0]})", "", f"*{val[1]}*", ""]
    return "\n".join(out).rstrip() + "\n"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:0.6em 0 1.2em 0;font-size:0.88em}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#f2f2f2}
td:first-child,th:first-child{text-align:left}
figure{margin:1em 0}figcaption{font-size:0.88em;color:#555}
img{max-width:100%}code{background:#f5f5f5;padding:0 3px}
.agrees{color:#176c2c;font-weight:600}.disagrees{color:#b3261e;font-weight:600}
"""


def _render_html(rep: Report) -> str:
    e = html.escape
    out = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
           f"<title>{e(rep.title)}</title><style>{_CSS}</style></head><body>", f"<h1>{e(rep.title)}</h1>"]
    for kind, val in rep.blocks:
        if kind == "h":
            lvl = min(val[0] + 1, 6)
            out.append(f"<h{lvl}>{e(val[1])}</h{lvl}>")
        elif kind == "p":
            out.append(f"<p>{_inline(val)}</p>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{_inline(x)}</li>" for x in val) + "</ul>")
        elif kind == "table":
            df, ff = val
            head = "".join(f"<th>{e(str(c))}</th>" for c in df.columns)
            body = []
            for row in df.itertuples(index=False):
                cells = []
                for v in row:
                    s = _fmt(v, ff)
                    cls = f" class=\"{s}\"" if s in ("agrees", "disagrees") else ""
                    cells.append(f"<td{cls}>{e(s)}</td>")
                body.append("<tr>" + "".join(cells) + "</tr>")
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
        elif kind == "fig":
            data = base64.b64encode(rep.figures[val[0]]).decode("ascii")
            out.append(f"<figure><img alt=\"{e(val[1])}\" src=\"data:image/png;base64,{data}\">"
                       f"<figcaption>{e(val[1])}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _inline(text: str) -> str:
    """Escape, then render `code` spans."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def write_report(rep: Report, out_dir: str | os.PathLike[str]) -> Path:
    """Write ``report.md``, ``report.html`` and ``figures/*.png`` into ``out_dir``.

    Files are first written to a temporary directory inside ``out_dir`` and then
    moved in, replacing only the report's own files (``report.md``,
    ``report.html``, ``figures/``); other files in ``out_dir`` are left alone,
    and a ``figures/`` directory holding anything but PNGs is refused.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"report output {str(out)!r} exists and is not a directory")
    figs = out / "figures"
    if figs.exists():
        foreign = [p.name for p in figs.iterdir() if not (p.is_file() and p.suffix == ".png")]
        if foreign:
            raise ValueError(f"{str(figs)!r} holds files that are not report figures ({foreign[:3]}); "
                             "choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".report-tmp-", dir=out))
    try:
        (tmp / "figures").mkdir()
        for name, data in rep.figures.items():
            (tmp / "figures" / name).write_bytes(data)
        (tmp / "report.md").write_text(_render_md(rep))
        (tmp / "report.html").write_text(_render_html(rep))
        if (out / "figures").exists():
            shutil.rmtree(out / "figures")
        os.replace(tmp / "figures", out / "figures")
        os.replace(tmp / "report.md", out / "report.md")
        os.replace(tmp / "report.html", out / "report.html")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


# ---------------------------------------------------------------------- figures
def _setup_mpl() -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="paper")
    plt.rcParams.update({"svg.hashsalt": "grokcheck", "figure.max_open_warning": 0})


def fig_t_G(a: Any) -> Any:
    """Histogram of t_G (log bins) with the KDE and the theory law (pdf + atom)."""
    import matplotlib.pyplot as plt

    from ._laws import kde

    x = a.t_G
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    lo, hi = float(x.min()), float(x.max())
    if a.law is not None and a.law.atom is not None:
        lo, hi = min(lo, a.law.atom[0]), max(hi, a.law.atom[0])
    bins = np.geomspace(lo / 1.2, hi * 1.2, 40)
    ax.hist(x, bins=bins, density=True, color="0.75", label=f"simulation (n = {x.size})")
    try:
        g, d = kde(x, np.geomspace(lo / 1.5, hi * 1.5, 400))
        ax.plot(g, d, color="0.25", lw=1, label="KDE (log t)")
    except ValueError:
        pass
    if a.law is not None:
        g = np.geomspace(lo / 1.5, hi * 1.5, 600)
        ax.plot(g, np.asarray(a.law.pdf(g), dtype=float), "C3-", lw=1.8, label="theory (continuous part)")
        if a.law.atom is not None:
            ax.axvline(a.law.atom[0], color="C3", ls="--", lw=1.5,
                       label=f"theory atom, weight {a.law.atom[1]:.3f}")
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

    from ._transitions import aligned_matrix

    if a.curves is None or "d_eff" not in a.curves.columns or a.nu is None:
        return None
    tau = np.geomspace(max(a.nu.window_[0], 1e-12), float(a.nu.aligned_["tau"].max()), 60)
    M, _ = aligned_matrix(a.curves, a.nu.t_eps_used_, tau, column="d_eff", loglog=False)
    if M.size == 0:
        return None
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    with np.errstate(invalid="ignore"):
        ax.plot(-tau, np.nanmean(M, axis=0), "C0-o", ms=2)
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

    sens = a.nu.sensitivity_
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8.0, 3.0))
    for wf, grp in sens.groupby("width_factor"):
        ax1.plot(grp["tau_lo"], grp["nu"], "o-", ms=3, label=f"width x {wf:g}")
    ax1.axhline(a.nu.nu_, color="k", lw=0.8)
    if "nu" in a.predictions:
        ax1.axhline(a.predictions["nu"], color="C3", ls="--", lw=1, label="theory")
    ax1.set_xscale("log")
    ax1.set_xlabel("window start tau_lo")
    ax1.set_ylabel("fitted nu")
    ax1.legend(fontsize=7)
    pr = a.nu.per_run_["nu"].to_numpy(dtype=float)
    pr = pr[np.isfinite(pr)]
    if pr.size:
        ax2.hist(pr, bins=30, color="0.6")
        ax2.axvline(a.nu.nu_, color="k", lw=0.8, label="fit on the average")
        ax2.set_xlabel("per-run nu (same window)")
        ax2.legend(fontsize=7)
    fig.suptitle(f"{a.name}: sensitivity of nu to the window; per-run fits", fontsize=9)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------- run-set sections
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
    from ._agreement import TOLERANCE_RULES  # noqa: F401  (rules are printed once, globally)

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
    # nu
    rep.h(2, "Critical exponent nu")
    if a.nu is None:
        rep.p(f"Not fitted: {a.nu_error}")
    else:
        f = a.nu
        rep.p(f"nu = {f.nu_:.4f}, {int(100 * f.ci)}% bootstrap CI [{f.nu_ci_[0]:.4f}, {f.nu_ci_[1]:.4f}] "
              f"({f.n_boot} resamples of {f.n_runs_used_} runs), window-sensitivity ±{f.nu_window_spread_:.3g}. "
              f"Window [{f.window_[0]:.4g}, {f.window_[1]:.4g}]: {f.window_rule_}. "
              f"Goodness of fit: R² = {f.gof_['r2']:.6f}, rms log-residual {f.gof_['rmse_log']:.3g}, "
              f"slopes of the lower/upper half-window {f.gof_['nu_lower_half']:.4f} / "
              f"{f.gof_['nu_upper_half']:.4f}. Excluded runs: {f.excluded_}.")
        rep.figure(f.plot(title=f"{a.name}: aligned test error"), f"{a.name}-nu-fit",
                   f"{a.name}: test error averaged at equal t_eps - t (log-log), fit and residuals")
        rep.figure(fig_sensitivity(a), f"{a.name}-nu-sensitivity",
                   f"{a.name}: nu against the fit window, and the per-run fits")
        fd = fig_d_eff_aligned(a)
        if fd is not None:
            rep.figure(fd, f"{a.name}-d-eff", f"{a.name}: D_eff against aligned time")
    # t_G
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
    # features
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


def report_runsets(runsets: Sequence[Any], out_dir: str | os.PathLike[str], *,
                   title: str = "grokcheck report", seed: int = 0, nu_kwargs: dict[str, Any] | None = None,
                   extra_sections: Sequence[Callable[[Report], None]] = (), progress: bool = False,
                   preamble: Sequence[Callable[[Report], None]] = (),
                   summaries: Sequence[Callable[[Report, list[Any]], None]] = ()) -> tuple[Path, list[Any]]:
    """Analyse each run set and write the report. Returns (out_dir, analyses).

    ``summaries`` are called with the report and all analyses after ``preamble``
    (e.g. a sweep's table across settings)."""
    from ._agreement import TOLERANCE_RULES, analyse

    _setup_mpl()
    from tqdm.auto import tqdm

    analyses = []
    for rs in tqdm(runsets, desc="analysing run sets", disable=not progress):
        a = analyse(rs, nu_kwargs=nu_kwargs, seed=seed)
        analyses.append(a)
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
        summary(rep, analyses)
    rep.h(1, "Verdicts")
    rep.items(TOLERANCE_RULES)
    rep.table(verdict_table(analyses))
    for rs, a in zip(runsets, analyses):
        add_runset_section(rep, a, getattr(rs, "manifest", None))
    for fn in extra_sections:
        fn(rep)
    return write_report(rep, out_dir), analyses

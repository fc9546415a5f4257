"""The one matplotlib style of grokcheck: print sizes, a colour-blind-safe palette, mathtext labels.

Every report figure is made with :func:`new_figure` (single column 3.4 in or
double column 7 in wide, drawn at 300 dpi) and finished with :func:`finish`
(legend outside the data, ticks thinned so that labels never overlap), then
saved as PNG and vector PDF by :func:`figure_bytes`.

The palette is Okabe & Ito's (2008) eight colours, distinguishable under the
common colour-vision deficiencies; :data:`LABELS` holds the mathtext axis
labels shared by all figures, so that one symbol is always written one way.

>>> SINGLE, DOUBLE, DPI
(3.4, 7.0, 300)
>>> LABELS["tau"]
'$\\\\tau = t_\\\\varepsilon - t$'
"""
from __future__ import annotations

import io
from typing import Any

__all__ = ["setup_mpl", "new_figure", "finish", "grid_for", "figure_bytes", "PALETTE", "LABELS", "SINGLE", "DOUBLE", "DPI",
           "THEORY", "SIMULATION", "PDF_FONTTYPE"]

SINGLE, DOUBLE, DPI = 3.4, 7.0, 300
#: Okabe-Ito: blue, vermillion, bluish green, orange, reddish purple, sky blue, yellow, black.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
THEORY, SIMULATION = "#D55E00", "#404040"
LABELS = {
    "tau": r"$\tau = t_\varepsilon - t$",
    "t_G": r"grokking time $t_G$",
    "t_G_logdensity": r"density in $\log t$, $t\,p(t)$",
    "E": r"test error $E$",
    "nu": r"$\nu$",
    "nu_fit": r"fitted $\nu$",
    "tau_lo": r"window start $\tau_{\mathrm{lo}}$",
    "per_run_nu": r"per-run $\nu$ (same window)",
    "runs": "runs",
    "eig_G": r"eigenvalue $g$ of $G$",
    "d_eff": r"$D_{\mathrm{eff}}$ (aligned mean)",
    "t_minus_teps": r"$t - t_\varepsilon$",
    "eps_lambda": r"$\varepsilon_\lambda = \varepsilon(1 + \lambda_2) + \lambda_1$",
    "P_grok": r"grokking probability $P_{\mathrm{grok}}$",
    "density_t": r"density $p(t)$",
    "D": r"dimension $D$", "lam2": r"$\lambda_2$", "N": r"samples per class $N$", "eps": r"separation $\varepsilon$",
}


def setup_mpl() -> None:
    """Agg backend and the print style (fonts at 7-8 pt, thin lines, Okabe-Ito colour cycle)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from cycler import cycler

    plt.style.use("default")
    plt.rcParams.update({
        "svg.hashsalt": "grokcheck", "figure.max_open_warning": 0, "figure.dpi": 100, "savefig.dpi": DPI,
        "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7,
        "legend.fontsize": 7, "legend.frameon": False, "axes.prop_cycle": cycler(color=PALETTE),
        "axes.grid": True, "grid.color": "0.88", "grid.linewidth": 0.5, "axes.linewidth": 0.6,
        "axes.spines.top": False, "axes.spines.right": False, "lines.linewidth": 1.2, "lines.markersize": 3,
        "errorbar.capsize": 1.5, "mathtext.fontset": "dejavusans", "pdf.fonttype": PDF_FONTTYPE,
        "xtick.major.width": 0.6, "ytick.major.width": 0.6, "axes.axisbelow": True,
    })


def new_figure(width: str = "single", height: float | None = None, nrows: int = 1, ncols: int = 1,
               **kwargs: Any) -> tuple[Any, Any]:
    """A figure ``width`` = "single" (3.4 in) or "double" (7 in) wide; ``height`` in inches."""
    import matplotlib.pyplot as plt

    if width not in ("single", "double"):
        raise ValueError(f"width must be 'single' or 'double', got {width!r}")
    w = SINGLE if width == "single" else DOUBLE
    h = height if height is not None else (2.5 if width == "single" else 2.6) * (1 + 0.55 * (nrows - 1))
    return plt.subplots(nrows, ncols, figsize=(w, h), layout="constrained", **kwargs)


def grid_for(width: str, n: int) -> tuple[int, int]:
    """(rows, columns) for ``n`` panels: side by side at double width, stacked at single width."""
    if n == 4:
        return 2, 2
    return (1, n) if width == "double" else (n, 1)


def _log_subs(lo: float, hi: float) -> tuple[float, ...] | None:
    """The mantissas of a log axis's labelled ticks: the first of 1; 1-3; 1-2-5; 1-2-3-5; 1…9 that labels
    3 to 6 ticks within [lo, hi] (None: none does, e.g. a range inside one mantissa step)."""
    import math

    for subs in ((1.0,), (1.0, 3.0), (1.0, 2.0, 5.0), (1.0, 2.0, 3.0, 5.0), tuple(float(k) for k in range(1, 10))):
        n = sum(lo <= m * 10.0 ** e <= hi for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
                for m in subs)
        if 3 <= n <= 6:
            return subs
    return None


def _thin_ticks(ax: Any) -> None:
    """At most ~6 labelled major ticks per axis, and at least 3 on a log axis spanning under 5
    decades (1-2-5 mantissas when the powers of ten alone give fewer); only major ticks are
    labelled, so that no tick position carries two labels."""
    import math

    from matplotlib.ticker import LogFormatterSciNotation, LogLocator, MaxNLocator, NullFormatter

    for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
        if scale == "log":
            lo, hi = sorted(ax.get_xlim() if axis is ax.xaxis else ax.get_ylim())
            lo, hi = max(lo, 1e-300), max(hi, 1e-300)
            decades = math.log10(hi / lo)
            subs = _log_subs(lo, hi) if decades < 5 else None
            if subs is not None and subs != (1.0,):
                axis.set_major_locator(LogLocator(base=10.0, subs=subs, numticks=12))
                axis.set_major_formatter(LogFormatterSciNotation(labelOnlyBase=False, minor_thresholds=(math.inf, math.inf)))
                axis.set_minor_locator(LogLocator(base=10.0, subs="auto", numticks=30))
            elif decades < 1.5:  # inside one mantissa step: matplotlib's own choice
                axis.set_major_locator(LogLocator(base=10.0, subs=(1.0, 2.0, 5.0), numticks=8))
                axis.set_major_formatter(LogFormatterSciNotation(labelOnlyBase=False, minor_thresholds=(math.inf, math.inf)))
                axis.set_minor_locator(LogLocator(base=10.0, subs="auto", numticks=30))
            else:
                step = max(1, int(math.ceil(decades / 5)))
                axis.set_major_locator(LogLocator(base=10.0 ** step, numticks=8))
                axis.set_minor_locator(LogLocator(base=10.0, subs=(1.0,) if step > 1 else "auto", numticks=30))
            axis.set_minor_formatter(NullFormatter())
        elif scale == "linear":
            size = ax.get_position().width * ax.figure.get_figwidth() if axis is ax.xaxis else \
                ax.get_position().height * ax.figure.get_figheight()
            axis.set_major_locator(MaxNLocator(nbins=max(3, min(6, int(size * 1.8))), steps=[1, 2, 2.5, 5, 10]))


def finish(fig: Any, axes: Any = None, *, legend: str = "outside") -> Any:
    """Legends outside the data, thinned ticks, no offset text.

    ``legend``: "outside" — one legend above each axes; "figure" — one legend for
    the whole figure above all panels (labels de-duplicated); "none"."""
    import numpy as np

    axs = np.atleast_1d(axes if axes is not None else fig.axes).ravel()
    for ax in axs:
        _thin_ticks(ax)
        for axis in (ax.xaxis, ax.yaxis):
            fmt = axis.get_major_formatter()
            if hasattr(fmt, "set_useOffset"):
                fmt.set_useOffset(False)
        handles, labels = ax.get_legend_handles_labels()
        if legend == "outside" and handles:
            # columns of ~1.5 in: legend entries never run into each other
            ax_w = ax.get_position().width * fig.get_figwidth()
            ncol = max(1, min(len(handles), int(ax_w / 1.5)))
            ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0.0, 1.02), ncol=ncol,
                      borderaxespad=0.0, handlelength=1.6, columnspacing=0.8)
    if legend == "figure":
        seen: dict[str, Any] = {}
        for ax in axs:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                seen.setdefault(lab, h)
        if seen:
            ncol = min(len(seen), 2 if fig.get_figwidth() <= SINGLE + 0.01 else 4)
            fig.legend(list(seen.values()), list(seen), loc="outside upper center", ncol=ncol,
                       handlelength=1.6, columnspacing=1.0)
    return fig


#: how the PDF figures embed fonts: 3 (Type 3 glyph procedures: vector, readable and searchable
#: in common viewers) rather than 42 (TrueType subsets, which some journals require): subsetting
#: TrueType fonts made the PDFs cost 1.6x as much (BENCHMARKS.md, "Report figure files").
#: Set ``matplotlib.rcParams["pdf.fonttype"] = 42`` after :func:`setup_mpl` for TrueType.
PDF_FONTTYPE = 3


def figure_bytes(fig: Any) -> dict[str, bytes]:
    """PNG (300 dpi) and vector PDF bytes of ``fig``, deterministic (no time stamps); closes it.

    Fonts are embedded as :data:`PDF_FONTTYPE` (``benchmarks/bench_report_pdf.py``)."""
    import matplotlib.pyplot as plt

    out = {}
    for fmt, meta in (("png", {"Software": None}), ("pdf", {"Creator": None, "Producer": None,
                                                             "CreationDate": None})):
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=DPI, metadata=meta)
        out[fmt] = buf.getvalue()
    plt.close(fig)
    return out

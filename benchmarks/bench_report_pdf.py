"""Benchmark of the report's figure files: PNG + PDF per figure, side by side.

Variants, each saving the same report-styled figures (three log-log panels, mathtext
labels, a legend: what the report draws) as PNG (300 dpi) and PDF:

* ``fonttype 42`` (before): TrueType font subsets embedded in every PDF;
* ``fonttype 3`` (used, :data:`comparison.report.style.PDF_FONTTYPE`): Type 3 glyph
  procedures, vector and searchable, refused by some journals (set 42 for those);
* ``PNG only``: the floor (no PDF at all).

Times are the CPU time of this process (``time.process_time``): the machine is shared,
and wall time there measures the neighbours as much as the code.

    python -m benchmarks.run report_pdf
"""
from __future__ import annotations

import time

import numpy as np


def _figure():
    from comparison.report.style import finish, new_figure

    fig, axs = new_figure("double", nrows=1, ncols=3)
    rng = np.random.default_rng(0)
    for ax in np.ravel(axs):
        ax.loglog(np.arange(1, 200), rng.random(199).cumsum(), label=r"$\nu$ fit, $t_G$ law")
        ax.set_xlabel(r"time $t$ (steps)")
        ax.set_ylabel(r"$P_{\rm grok}$")
        ax.set_title("ν = 1.75 ± 0.03, D = 5")
    return finish(fig, axs)


def _time(n: int, fonttype: int, pdf: bool = True) -> tuple[float, int]:
    import io

    import matplotlib.pyplot as plt

    from comparison.report import style

    style.setup_mpl()
    plt.rcParams["pdf.fonttype"] = fonttype
    size = 0
    try:
        t0 = time.process_time()
        for _ in range(n):
            fig = _figure()
            if pdf:
                size = len(style.figure_bytes(fig)["pdf"])
            else:
                fig.savefig(io.BytesIO(), format="png", dpi=style.DPI)
                plt.close(fig)
        return time.process_time() - t0, size
    finally:
        style.setup_mpl()


def run(n: int = 4) -> str:
    rows = [("PNG + PDF, fonttype 42 (before)", *_time(n, 42)),
            ("PNG + PDF, fonttype 3 (used)", *_time(n, 3)),
            ("PNG only (floor)", *_time(n, 42, pdf=False))]
    rows.insert(2, ("PNG + PDF, fonttype 3 (used), again", *_time(n, 3)))
    rows.insert(0, ("PNG + PDF, fonttype 42 (before), again", *_time(n, 42)))
    base = rows[1][1]
    lines = [f"### Report figure files ({n} three-panel double-width figures, PNG 300 dpi + PDF)", "",
             "| variant | CPU time of this process (s) | ratio to before | PDF bytes per figure |", "| --- | --- | --- | --- |"]
    lines += [f"| {name} | {t:.2f} | {t / base:.2f} | {size or '-'} |" for name, t, size in rows]
    lines += ["", "The PDF part alone (total minus PNG only): "
              f"{(rows[2][1] - rows[4][1]) / max(rows[1][1] - rows[4][1], 1e-9):.2f} of its cost before.", ""]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(run())

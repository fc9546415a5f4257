"""The figures of ``grokcheck fit --figures DIR``: drawn here (all matplotlib lives in ``report``),
written by the command line.

>>> FIT_FIGURES
('nu-fit.png', 'nu-sensitivity.png', 't-G.png')
"""
from __future__ import annotations

import io
from typing import Any

__all__ = ["FIT_FIGURES", "fit_figure_pngs"]

FIT_FIGURES = ("nu-fit.png", "nu-sensitivity.png", "t-G.png")


def fit_figure_pngs(a: Any) -> list[tuple[str, bytes]]:
    """(file name, PNG bytes) of the goodness-of-fit, window-sensitivity and t_G figures that
    the analysis ``a`` allows (no ν fit: no ν figures; fewer than 3 grokking times: no t_G)."""
    import matplotlib.pyplot as plt

    from .figures import fig_nu_fit, fig_sensitivity, fig_t_G, time_unit
    from .style import setup_mpl

    setup_mpl()
    figs = []
    if a.nu is not None:
        figs += [("nu-fit.png", fig_nu_fit(a.nu, title=f"{a.name}: aligned test error", unit=time_unit(a))),
                 ("nu-sensitivity.png", fig_sensitivity(a))]
    if a.t_G.size >= 3:
        figs.append(("t-G.png", fig_t_G(a)))
    out = []
    for name, fig in figs:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
        plt.close(fig)
        out.append((name, buf.getvalue()))
    return out

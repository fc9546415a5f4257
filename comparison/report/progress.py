"""Report section of the progress measures of a run set without a theory prediction (e.g. RFM):
each measure's mean over runs against the iteration, with the transition marked, and the onsets."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..safe_text import markdown_safe

__all__ = ["add_progress_section"]

_LABELS = {"test_accuracy": "test accuracy", "test_loss": "test loss", "circ_dev": "circulant deviation (task)",
           "circ_dev_circulant": "circulant dev. (circulant)", "circ_dev_hankel": "circulant dev. (Hankel)",
           "alignment": "AGOP alignment", "d_eff": r"$D_\mathrm{eff}$ of M"}


def _fig(a: Any) -> Any:
    import matplotlib.pyplot as plt

    pr = a.progress
    found = [c[:-5] for c in pr.columns if c.endswith("_mean")]
    names = [k for k in _LABELS if k in found] + sorted(set(found) - set(_LABELS))  # JSON sorts keys
    n = len(names)
    cols = 4 if n > 4 else n
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(7.0, 1.9 * rows + 0.4), squeeze=False, sharex=True)
    t = pr["t"].to_numpy(float)
    for ax, name in zip(axes.ravel(), names):
        m, s = pr[f"{name}_mean"].to_numpy(float), pr[f"{name}_sd"].to_numpy(float)
        ax.plot(t, m, "C0-", lw=1.2)
        ax.fill_between(t, m - s, m + s, color="C0", alpha=0.2, lw=0)
        if a.onsets is not None:
            acc = a.onsets.loc[a.onsets["measure"] == "test_accuracy", "onset_median"]
            if len(acc) and np.isfinite(acc.iloc[0]):
                ax.axvline(float(acc.iloc[0]), color="C3", ls="--", lw=0.9)
        ax.set_title(_LABELS.get(name, name), fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("iteration", fontsize=7)
    fig.tight_layout()
    return fig


def add_progress_section(rep: Any, a: Any) -> None:
    """Add the progress-measure figure and the onset table of analysis ``a`` (if it has them)."""
    if a.progress is None:
        return
    rep.h(2, "Progress measures")
    rep.p("No theory prediction for this run set; measured quantities only. Mean over runs (band: ± 1 s.d.) "
          "against the iteration; dashed: the median iteration at which the test accuracy starts to rise "
          "(10 % of its change).")
    rep.figure(_fig(a), f"{a.name}-progress", f"{markdown_safe(a.name)}: progress measures against the iteration")
    if a.onsets is not None and len(a.onsets):
        rep.p("Onsets: first iteration with 10 % of each measure's total change (median, min, max over runs), and "
              "the median share of its change made before the accuracy's own onset. A measure that has made most "
              "of its change before the accuracy moves is a leading indicator of the transition.")
        rep.table(pd.DataFrame(a.onsets))

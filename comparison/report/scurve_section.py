"""Report part: S-curve onsets (Eq. S1 of :mod:`comparison.estimate.scurve`) beside the threshold onset,
a table of the medians with bootstrap CIs, and a figure of a few runs with their fitted S-curves;
drawn from ``config["load"]["scurve"]`` alone."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .style import PALETTE, finish, new_figure

__all__ = ["add_scurve_part", "fig_scurves", "scurve_table", "sharpness_table"]


def _ci(e: dict[str, Any] | None) -> str:
    if not e or e.get("median") is None:
        return "—"
    ci = e.get("ci")
    return f"{e['median']:.4g}" + (f" [{ci[0]:.4g}, {ci[1]:.4g}]" if ci else "")


def scurve_table(sc: dict[str, Any]) -> pd.DataFrame:
    """One row per fitted curve: runs fitted, failures, median onset and sharpness with CIs."""
    rows = []
    for key in ("test", "train", "test_loss", "train_loss"):
        e = sc.get(key)
        if e:
            rows.append({"curve": key.replace("_", " "), "runs fitted": f"{e['n_fitted']} of {e['n_runs']}",
                         "failures": ", ".join(f"{k} {v}" for k, v in e["failures"].items()) or "none",
                         "onset t* (median, 95% CI)": _ci(e["onset"]),
                         "sharpness s (median, 95% CI)": _ci(e["sharpness"])})
    return pd.DataFrame(rows)


def sharpness_table(sc: dict[str, Any]) -> pd.DataFrame:
    """Grokking gap and sharpness (Eqs. S2-S4 of :mod:`comparison.estimate.scurve`): one row each,
    the median over runs with its 95% bootstrap CI and the number of runs.

    >>> sharpness_table({"sharpness_abs": {"median": 0.5, "ci": [0.4, 0.6], "n": 3}})["quantity"].tolist()
    ['absolute sharpness R_abs']
    """
    rows = []
    for key, name, definition in (("relative_gap", "relative gap m", "(t*_test − t*_train) / t*_train (Eq. S2)"),
                                  ("sharpness_abs", "absolute sharpness R_abs", "s_test, 1/time (Eq. S3)"),
                                  ("sharpness_rel", "relative sharpness R_rel", "s_test / s_train (Eq. S4)")):
        e = sc.get(key)
        if e:
            rows.append({"quantity": name, "definition": definition, "median [95% CI]": _ci(e), "runs": e.get("n", 0)})
    return pd.DataFrame(rows)


def fig_scurves(a: Any, width: str = "single") -> Any | None:
    """Up to 4 runs' test curves (dots) with their fitted S-curves (lines) and onsets t* (dotted)."""
    from scipy.special import erf

    load = a.config.get("load") or {}
    e = (load.get("scurve") or {}).get("test")
    if not e or not e.get("preview"):
        return None
    fig, ax = new_figure(width)
    for j, (run, (t, y)) in enumerate(e["preview"].items()):
        t, y = np.asarray(t, float), np.asarray(y, float)
        c = PALETTE[j % len(PALETTE)]
        ax.plot(t, y, ".", ms=2, color=c, alpha=0.6, label=f"run {run}")
        p = e["runs"].get(run) or {}
        if p.get("onset") is not None:
            tt = np.linspace(t.min(), t.max(), 300)
            ax.plot(tt, p["a"] * erf(p["sharpness"] * (tt - p["onset"])) + p["b"], color=c, lw=1)
            ax.axvline(p["onset"], color=c, ls=":", lw=0.9)
    unit = load.get("time_unit")
    ax.set_xlabel(f"t ({unit})" if unit else "t (as logged)")
    ax.set_ylabel("test curve (log's scale)")
    ax.legend(fontsize=6)
    return finish(fig, ax)


def add_scurve_part(rep: Any, a: Any) -> None:
    """The S-curve onsets of a log-based analysis (nothing without ``load.scurve``)."""
    sc = (a.config.get("load") or {}).get("scurve") or {}
    if not any(k in sc for k in ("test", "train", "test_loss", "train_loss")):
        return
    rep.p("S-curve onset (threshold-free; Miller et al. 2024, Eq. 1): each run's curve is fitted by "
          "a·erf(s·(t − t*)) + b in linear time (as the paper does); t* is the onset, s the sharpness (1/time). "
          "Runs that never transition or whose fit fails are counted with the reason, not fitted.")
    rep.table(scurve_table(sc))
    sharp = sharpness_table(sc)
    if len(sharp):
        rep.p("Grokking gap and sharpness (Miller et al. 2024, Sec. 2, our reading: docs/errata.md): the "
              "absolute sharpness is the test curve's s, the relative sharpness its ratio to the train curve's; "
              "medians over runs with percentile-bootstrap 95% CIs over runs.")
        rep.table(sharp)
    rep.figure(lambda w: fig_scurves(a, width=w), f"{a.name}-scurves",
               f"{a.name}: test curves of up to 4 runs (dots), fitted S-curves (lines), onsets t* (dotted).")

"""Report part: progress measures read from a log (``--measure-col``), each aligned at the onset
(median band over runs against t - t*) with its lead time (Eqs. L1-L2 of :mod:`comparison.estimate.lead`);
drawn from ``config["load"]["measures"]`` alone."""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from .style import PALETTE, finish, new_figure

__all__ = ["add_measures_part", "fig_measure", "measures_table"]


def measures_table(ms: dict[str, Any]) -> pd.DataFrame:
    """One row per measure: the median lead with its bootstrap CI and the runs it is computed on."""
    rows = []
    for name, e in ms.items():
        if isinstance(e, dict) and "lead" in e:
            ld = e["lead"]
            ci = ld.get("ci")
            rows.append({"measure": name, "runs": ld.get("n"),
                         "lead (median)": ld.get("median"),
                         "95% CI": f"[{ci[0]:.4g}, {ci[1]:.4g}]" if ci else "—"})
    return pd.DataFrame(rows)


def fig_measure(a: Any, name: str, width: str = "single") -> Any | None:
    """Measure ``name`` against t - t* (median over runs, band: quartiles), onset at 0, lead dotted."""
    load = a.config.get("load") or {}
    e = (load.get("measures") or {}).get(name)
    if not e or not e["band"]["dt"]:
        return None
    b = {k: np.array([np.nan if x is None else x for x in v], float) for k, v in e["band"].items()}
    fig, ax = new_figure(width)
    ax.plot(b["dt"], b["median"], color=PALETTE[0], lw=1.2, label=f"{name} (median)")
    ax.fill_between(b["dt"], b["q25"], b["q75"], color=PALETTE[0], alpha=0.25, lw=0)
    ax.axvline(0.0, color="0.3", ls="--", lw=0.9, label="onset t*")
    if e["lead"].get("median") is not None:
        ax.axvline(-e["lead"]["median"], color=PALETTE[1], ls=":", lw=1, label="half change (median lead)")
    unit = load.get("time_unit")
    ax.set_xlabel(f"t - t* ({unit})" if unit else "t - t* (as logged)")
    ax.set_ylabel(name)
    ax.legend(fontsize=6)
    return finish(fig, ax)


def add_measures_part(rep: Any, a: Any) -> None:
    """The ``--measure-col`` measures of a log-based analysis (nothing without them)."""
    ms = (a.config.get("load") or {}).get("measures") or {}
    names = [k for k, v in ms.items() if isinstance(v, dict) and "lead" in v]
    if not names:
        return
    rep.p(f"Progress measures from the log, aligned at each run's S-curve onset t* of the {ms['onset_of']} "
          f"curve. Lead = t* − t_f, t_f the first time the measure has made {ms['frac']:g} of its total change "
          "(positive: the measure moves first); median over runs with a 95 % bootstrap CI.")
    rep.table(measures_table(ms))
    for n in names:
        rep.figure(lambda w, n=n: fig_measure(a, n, width=w), f"{a.name}-measure-{re.sub(r'[^A-Za-z0-9_-]+', '-', n)}",
                   f"{a.name}: {n} against t − t* (median over runs, band: quartiles); dashed: onset, "
                   "dotted: the median lead.")

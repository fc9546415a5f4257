"""Report section of what a training log says beyond t_eps: the loss-based onsets (with the
loss curves), and the floor of runs whose error levels off above zero; drawn from the
analysis' ``config["load"]`` alone (the figures of a fits file need no log)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .measures_section import add_measures_part
from .scurve_section import add_scurve_part
from .style import PALETTE, finish, new_figure

__all__ = ["add_onsets_section", "fig_losses"]


def fig_losses(a: Any, width: str = "single") -> Any | None:
    """The logged losses of up to 12 runs against time (log-log), the loss threshold dashed."""
    losses = (a.config.get("load") or {}).get("losses") or {}
    keys = [k for k in ("test_loss", "train_loss") if losses.get(k, {}).get("preview")]
    if not keys:
        return None
    fig, ax = new_figure(width)
    for i, key in enumerate(keys):
        for j, (t, y) in enumerate(losses[key]["preview"].values()):
            t, y = np.asarray(t, float), np.asarray(y, float)
            ok = (t > 0) & (y > 0)
            ax.plot(t[ok], y[ok], color=PALETTE[i], lw=0.8, alpha=0.7,
                    label=f"{key.replace('_', ' ')} ({losses[key]['column']})" if j == 0 else None)
    thr = losses.get("threshold")
    if thr is not None and thr > 0:
        ax.axhline(thr, color="0.3", ls="--", lw=0.9, label=f"threshold {thr:.3g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("t")
    ax.set_ylabel("loss")
    return finish(fig, ax)


def _loss_table(load: dict[str, Any]) -> pd.DataFrame:
    losses = load.get("losses") or {}
    rows = []
    for key in ("test_loss", "train_loss"):
        e = losses.get(key)
        if e:
            rows.append({"loss": key.replace("_", " "), "column": e["column"],
                         "threshold": losses.get("threshold"), "runs reaching it": e.get("n_reached"),
                         "runs": e.get("n_runs"), "median onset": e.get("median"), "lowest value": e.get("min")})
    return pd.DataFrame(rows)


def add_onsets_section(rep: Any, a: Any) -> None:
    """Add the onsets of a log-based analysis (nothing for a simulator's run set)."""
    load = a.config.get("load") or {}
    losses = load.get("losses") or {}
    hint = load.get("floor_hint")
    if not (losses or hint or load.get("scurve")):
        return
    rep.h(2, "Onsets from the log")
    if load.get("loss_only"):
        rep.p("Loss-only log: no error or accuracy column, so no t_ε, P_grok or ν (a loss is never read as an "
              "error rate). The onsets below are read from the losses.")
    if hint:
        rep.p(f"{hint['n_runs']} run(s) never reach the tolerance {load['tolerance']:.4g}: their test error levels "
              f"off above zero, at up to {hint['floor']:.4g}. Passing `--tolerance {hint['tolerance']:.4g}` counts "
              "that floor as zero.")
    if losses:
        thr = losses.get("threshold")
        rep.p("Loss-based onset: the first time the loss is at or below the stated threshold (Eq. O1 of "
              "`comparison.estimate.onsets`)." if thr is not None else
              "No loss threshold was stated (`--loss-threshold`), so no threshold onset.")
        rep.table(_loss_table(load))
        rep.figure(lambda w: fig_losses(a, width=w), f"{a.name}-losses",
                   f"{a.name}: logged losses of up to 12 runs against time (log-log); dashed: the loss threshold.")
    add_scurve_part(rep, a)
    add_measures_part(rep, a)

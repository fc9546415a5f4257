"""Report section of a sweep over a "phase axis" (e.g. RFM's training fraction): the final test
accuracy and t_99 against that axis, per operation and modulus, with the spread over seeds."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["phase_section", "phase_table"]


def phase_table(analyses: list[Any], axis: str) -> pd.DataFrame:
    """One row per setting: the axis value, the other varying keys, runs, accuracy and t_99 spread."""
    rows = []
    for a in analyses:
        acc = np.asarray(a.run_stats.get("final_test_accuracy", []), dtype=float)
        t99 = np.asarray(a.run_stats.get("t_99", []), dtype=float)
        reached = t99[np.isfinite(t99)]
        rows.append({"op": a.config.get("op"), "p": a.config.get("p"), axis: a.config.get(axis),
                     "runs": int(acc.size), "acc_median": float(np.median(acc)) if acc.size else np.nan,
                     "acc_min": float(acc.min()) if acc.size else np.nan,
                     "acc_max": float(acc.max()) if acc.size else np.nan,
                     "reach_99": f"{reached.size}/{t99.size}",
                     "t99_median": float(np.median(reached)) if reached.size else np.nan,
                     "t99_min": float(reached.min()) if reached.size else np.nan,
                     "t99_max": float(reached.max()) if reached.size else np.nan})
    return pd.DataFrame(rows).sort_values(["op", "p", axis], kind="mergesort").reset_index(drop=True)


def _fig(table: pd.DataFrame, axis: str) -> Any:
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(7.0, 2.8))
    for i, ((op, p), g) in enumerate(table.groupby(["op", "p"], sort=True)):
        x = g[axis].to_numpy(float)
        lab = f"{op}, p = {p}"
        a1.errorbar(x, g["acc_median"], yerr=[g["acc_median"] - g["acc_min"], g["acc_max"] - g["acc_median"]],
                    fmt="o-", ms=3, capsize=2, color=f"C{i}", label=lab)
        ok = np.isfinite(g["t99_median"].to_numpy(float))
        a2.errorbar(x[ok], g["t99_median"][ok], yerr=[(g["t99_median"] - g["t99_min"])[ok],
                                                       (g["t99_max"] - g["t99_median"])[ok]],
                    fmt="o-", ms=3, capsize=2, color=f"C{i}", label=lab)
    a1.set_xlabel("training fraction")
    a1.set_ylabel("final test accuracy")
    a2.set_xlabel("training fraction")
    a2.set_ylabel(r"$t_{99}$ (iterations)")
    a1.legend(fontsize=6, loc="lower right")
    fig.tight_layout()
    return fig


def phase_section(first: int, n: int, axis: str) -> Callable[[Any, list[Any]], None]:
    """A report hook for the analyses ``first … first + n - 1`` (one sweep's settings)."""
    def add(rep: Any, analyses: list[Any]) -> None:
        table = phase_table(analyses[first:first + n], axis)
        rep.h(1, "Phase diagram against the training fraction")
        rep.p("No theory prediction for these run sets; measured quantities only. Median over seeds, bars: "
              "min-max; t_99 = first iteration with ≥ 99 % test accuracy, over the runs that reach it.")
        rep.figure(_fig(table, axis), "phase-diagram", "Final test accuracy and t_99 against the training fraction")
        rep.table(table)
    return add

"""Tables across the settings of a sweep (from analyses computed elsewhere).

``grokcheck fit SWEEP_DIR`` and ``grokcheck report SWEEP_DIR`` treat each
setting as one run set (its seed chunks merged, :func:`comparison.runset.merge_runsets`)
and add a summary table across settings: runs, P_grok, the fitted ν with its
95 % bootstrap interval and the predicted ν (Eqs. 9-10, 23, 50), one row per
setting, with the setting's varying parameters as columns.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["sweep_summary", "pair_settings", "pivot_nu"]


def _nu_verdict(a: Any) -> str:
    v = a.verdicts
    if len(v) and "quantity" in v:
        hit = v.loc[v["quantity"] == "nu", "verdict"]
        if len(hit):
            return str(hit.iloc[0])
    return ""


def sweep_summary(loaded: Any, analyses: Sequence[Any]) -> pd.DataFrame:
    """One row per setting of ``loaded`` (a :class:`comparison.sweep.LoadedSweep`).

    ``analyses`` are the :func:`comparison.analyse` results of ``loaded.runsets``
    (same order). Settings without any finished chunk appear with NaNs.
    """
    by_label = {rs.path.name: a for rs, a in zip(loaded.runsets, analyses)}
    rows = []
    for info in loaded.settings:
        row = {k: v for k, v in info.items() if k not in ("chunks_done", "chunks_total", "runs")}
        row["chunks"] = f"{info['chunks_done']}/{info['chunks_total']}"
        row["runs"] = info["runs"]
        a = by_label.get(info["setting"])
        nan = float("nan")
        if a is None:
            row.update(P_grok=nan, P_grok_se=nan, nu=nan, nu_lo=nan, nu_hi=nan, nu_flags="", nu_pred=nan,
                       nu_verdict="no data")
        else:
            f = a.nu
            row.update(P_grok=a.counts["p_grok"], P_grok_se=a.counts["p_grok_se"],
                       nu=f.nu if f is not None else nan,
                       nu_lo=f.nu_ci[0] if f is not None else nan,
                       nu_hi=f.nu_ci[1] if f is not None else nan,
                       nu_flags=f.flag_text() if f is not None else "",
                       nu_pred=a.predicted("nu"),
                       nu_verdict=_nu_verdict(a) or ("not fitted" if f is None else ""))
        rows.append(row)
    return pd.DataFrame(rows)


def pair_settings(loaded: Any, analyses: Sequence[Any]) -> list[tuple[dict[str, Any], Any]]:
    by_label = {rs.path.name: a for rs, a in zip(loaded.runsets, analyses)}
    return [(info, by_label.get(info["setting"])) for info in loaded.settings]


def pivot_nu(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame | None:
    """ν ± (half CI) with the first varying key as rows and the second as columns."""
    if len(keys) != 2:
        return None
    def cell(r: pd.Series) -> str:
        if not math.isfinite(r["nu"]):
            return "-"
        weak = " (weak)" if str(r.get("nu_flags", "")).startswith("weak") else ""  # never a bare weak ν
        return f"{r['nu']:.3g} [{r['nu_lo']:.3g}, {r['nu_hi']:.3g}]{weak}"
    t = table.assign(cell=table.apply(cell, axis=1))
    try:
        p = t.pivot(index=keys[0], columns=keys[1], values="cell")
    except ValueError:  # repeated pairs (e.g. cases crossed with a 2-key grid)
        return None
    p.columns = [f"{keys[1]}={c}" for c in p.columns]
    return p.reset_index()



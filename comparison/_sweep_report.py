"""Fits and report sections across the settings of a sweep.

``grokcheck fit SWEEP_DIR`` and ``grokcheck report SWEEP_DIR`` treat each
setting as one run set (its seed chunks merged, :func:`comparison.merge_runsets`)
and add a summary table across settings: runs, P_grok, the fitted ν with its
95 % bootstrap interval and the predicted ν (Eqs. 9-10, 23, 50), one row per
setting, with the setting's varying parameters as columns.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

__all__ = ["sweep_summary", "fit_sweep", "summary_section"]


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
            row.update(P_grok=nan, P_grok_se=nan, nu=nan, nu_lo=nan, nu_hi=nan, nu_pred=nan, nu_verdict="no data")
        else:
            f = a.nu
            row.update(P_grok=a.counts["p_grok"], P_grok_se=a.counts["p_grok_se"],
                       nu=f.nu_ if f is not None else nan,
                       nu_lo=f.nu_ci_[0] if f is not None else nan,
                       nu_hi=f.nu_ci_[1] if f is not None else nan,
                       nu_pred=float(a.predictions.get("nu", nan)),
                       nu_verdict=_nu_verdict(a) or ("not fitted" if f is None else ""))
        rows.append(row)
    return pd.DataFrame(rows)


def fit_sweep(loaded: Any, *, nu_kwargs: dict[str, Any] | None = None,
              seed: int = 0) -> tuple[dict[str, Any], pd.DataFrame]:
    """Analyse every setting of a loaded sweep; returns (JSON digest, summary table)."""
    from ._agreement import analyse
    from ._runset import to_jsonable

    analyses = [analyse(rs, nu_kwargs=nu_kwargs, seed=seed, keep_curves=False) for rs in loaded.runsets]
    table = sweep_summary(loaded, analyses)
    digest = {"sweep": str(loaded.path), "config_hash": loaded.config.config_hash,
              "settings": [{**info, "fit": a.as_dict() if a is not None else None}
                           for info, a in _pair(loaded, analyses)],
              "summary": table.to_dict(orient="records"), "missing": loaded.missing}
    return to_jsonable(digest), table


def _pair(loaded: Any, analyses: Sequence[Any]) -> list[tuple[dict[str, Any], Any]]:
    by_label = {rs.path.name: a for rs, a in zip(loaded.runsets, analyses)}
    return [(info, by_label.get(info["setting"])) for info in loaded.settings]


def _pivot(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame | None:
    """ν ± (half CI) with the first varying key as rows and the second as columns."""
    if len(keys) != 2:
        return None
    def cell(r: pd.Series) -> str:
        if not math.isfinite(r["nu"]):
            return "-"
        return f"{r['nu']:.3g} [{r['nu_lo']:.3g}, {r['nu_hi']:.3g}]"
    t = table.assign(cell=table.apply(cell, axis=1))
    try:
        p = t.pivot(index=keys[0], columns=keys[1], values="cell")
    except ValueError:  # repeated pairs (e.g. cases crossed with a 2-key grid)
        return None
    p.columns = [f"{keys[1]}={c}" for c in p.columns]
    return p.reset_index()


def summary_section(loaded: Any, first: int) -> Callable[[Any, list[Any]], None]:
    """A report hook writing the sweep's summary table; its run sets start at
    position ``first`` in the report's list of analyses."""
    def add(rep: Any, analyses: list[Any]) -> None:
        mine = analyses[first:first + len(loaded.runsets)]
        table = sweep_summary(loaded, mine)
        rep.h(1, f"Sweep summary: {loaded.path.name}")
        rep.p(f"{len(loaded.settings)} settings of `{loaded.config.simulator}`, "
              f"{loaded.config.runs_per_setting} runs per setting in chunks of {loaded.config.chunk} "
              f"(config hash `{loaded.config.config_hash[:12]}`). Each setting's chunks are merged into one "
              "run set; ν with its 95 % bootstrap interval, ν_pred from the theory (Eqs. 9-10, 23, 50).")
        if loaded.missing:
            rep.p(f"Settings without any finished task (not analysed): {', '.join(loaded.missing)}.")
        rep.table(table)
        keys = [k for k in table.columns if k not in ("setting", "chunks", "runs", "P_grok", "P_grok_se", "nu",
                                                      "nu_lo", "nu_hi", "nu_pred", "nu_verdict")]
        piv = _pivot(table, keys)
        if piv is not None:
            rep.p(f"ν [95 % CI] against {keys[0]} (rows) and {keys[1]} (columns):")
            rep.table(piv)
    return add

"""What a training log says beyond t_eps: loss-based onsets, loss-only logs, error floors.

* :func:`loss_onsets` — the threshold onset (Eq. O1 of :mod:`comparison.estimate.onsets`)
  of every loss column, per run, recorded in ``config["load"]["losses"]``;
* :func:`loss_only_runset` — a log with losses but no error or accuracy column:
  a run set whose test error is unknown (NaN; never a loss read as an error
  rate), whose runs are neither grokking nor diverged (flag ``no_error_rate``);
* :func:`never_grok_hints` — for runs that never reach the tolerance, the floor
  their test error levels off at, and the ``--tolerance`` that would count it
  as zero.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .schema import RunSet, normalise

HINT_MAX_FLOOR = 0.05  # a floor above 5 % error is no near-miss of zero: no --tolerance hint

__all__ = ["HINT_MAX_FLOOR", "loss_onsets", "loss_only_runset", "never_grok_hints", "error_floor", "curve_preview"]


def curve_preview(raw: pd.DataFrame, column: str, *, max_runs: int = 12, max_points: int = 200) -> dict[str, Any]:
    """Up to ``max_runs`` runs of ``column`` against ``t``, each thinned to ``max_points`` samples
    (evenly in the sample index), for the report's figure: ``{run: [t_list, y_list]}``."""
    d = raw.loc[np.isfinite(raw[column].to_numpy(dtype=float)), ["run", "t", column]]
    out: dict[str, Any] = {}
    for run in sorted(d["run"].astype(str).unique())[:max_runs]:
        g = d[d["run"].astype(str) == run].sort_values("t")
        idx = np.unique(np.linspace(0, len(g) - 1, min(len(g), max_points)).round().astype(int))
        out[run] = [g["t"].to_numpy(dtype=float)[idx].tolist(), g[column].to_numpy(dtype=float)[idx].tolist()]
    return out


def loss_onsets(raw: pd.DataFrame, losses: Mapping[str, str], threshold: float | None,
                notes: list[str]) -> dict[str, Any]:
    """Per-run onsets of each loss column at ``threshold`` (``raw``: ``run`` labels, ``t``, the losses).

    Returns ``{"threshold": c, "test_loss": {"column", "onsets": {run: t}, "n_runs",
    "n_reached", "median"}, ...}`` (empty dict when no loss column is named).
    """
    from ..estimate.onsets import check_threshold, threshold_onset

    if not losses:
        if threshold is not None:
            raise ValueError("--loss-threshold needs a loss column (--test-loss-col or --train-loss-col)")
        return {}
    out: dict[str, Any] = {"threshold": None if threshold is None else check_threshold(threshold)}
    if threshold is None:
        notes.append(f"loss column(s) {', '.join(losses.values())}: no threshold onset (state one with "
                     "--loss-threshold)")
    for key, col in losses.items():
        v = raw[key].to_numpy(dtype=float)
        entry: dict[str, Any] = {"column": col, "n_values": int(np.isfinite(v).sum()),
                                 "min": float(np.nanmin(v)) if np.isfinite(v).any() else float("nan")}
        entry["preview"] = curve_preview(raw, key)
        if threshold is not None:
            on = threshold_onset(raw, key, out["threshold"])
            got = on.to_numpy(dtype=float)
            entry.update(onsets={str(k): float(x) for k, x in on.items()}, n_runs=int(on.size),
                         n_reached=int(np.isfinite(got).sum()),
                         median=float(np.nanmedian(got)) if np.isfinite(got).any() else float("nan"))
        out[key] = entry
    return out


def loss_only_runset(raw: pd.DataFrame, transition: str, load: dict[str, Any]) -> RunSet:
    """The run set of a loss-only log: curves ``run, t, test_error`` (NaN: not logged) plus the losses."""
    cols = [c for c in ("test_loss", "train_loss") if c in raw]
    keep = raw[np.isfinite(raw[cols].to_numpy(dtype=float)).any(axis=1)]
    if not len(keep):
        raise ValueError("no row has a loss value")
    codes, uniques = pd.factorize(keep["run"].astype(str), sort=True)
    curves = pd.DataFrame({"run": codes, "t": keep["t"].to_numpy(dtype=float), "test_error": np.nan,
                           **{c: keep[c].to_numpy(dtype=float) for c in cols}})
    n = len(uniques)
    nan = np.full(n, np.nan)
    summary = pd.DataFrame({"run": np.arange(n), "t_train": nan, "t_eps": nan, "t_G": nan,
                            "groks": np.zeros(n, bool), "diverged": np.zeros(n, bool), "flag": "no_error_rate",
                            "zero_tol": 0.0, "t_eps_source": "none", "reentry": np.zeros(n, bool),
                            "definition": transition, "label": [str(u) for u in uniques]})
    load.update({"scale": None, "tolerance": 0.0, "error_column": None, "loss_only": True,
                 "tolerance_source": "loss-only log: no error or accuracy column, so no t_eps"})
    load["notes"].append("loss-only log: no error or accuracy column, so no t_eps, P_grok or nu; the losses give "
                         "onsets only (losses are never read as error rates)")
    c, s = normalise(curves, summary)
    return RunSet(config={"generator": "external", "zero_tol": 0.0, "source": ", ".join(load["files"]),
                          "load": load}, curves=c, summary=s)


def error_floor(t: np.ndarray, e: np.ndarray) -> tuple[float, bool]:
    """(lowest error, whether the curve levels off): over the last tenth of the samples (at least 4)
    the median of its second half is below that of its first half by at most 5 % of the curve's
    whole fall (max - lowest); a curve still falling at the end of the log does not level off.

    >>> error_floor(np.arange(10.), np.array([.5, .2, .1, .05, .04, .04, .04, .04, .04, .04]))
    (0.04, True)
    >>> error_floor(np.arange(10.), np.linspace(.5, .3, 10))[1]
    False
    """
    order = np.argsort(t, kind="mergesort")
    e = np.asarray(e, dtype=float)[order]
    e = e[np.isfinite(e)]
    if e.size == 0:
        return float("nan"), False
    floor = float(e.min())
    tail = e[-max(4, e.size // 10):]
    h = tail.size // 2
    drop = float(np.median(tail[:h]) - np.median(tail[h:])) if h else 0.0
    return floor, bool(drop <= 0.05 * (float(e.max()) - floor))


def never_grok_hints(rs: RunSet, load: dict[str, Any]) -> None:
    """Per-run floors of the runs that never reach the tolerance, and one note with the ``--tolerance``
    that would count the highest levelled-off floor as zero (floors up to ``HINT_MAX_FLOOR`` only)."""
    s = rs.summary
    never = s.loc[(s["flag"] == "no_test_zero").to_numpy(), ["run", "label"]]
    if not len(never):
        return
    q = load.get("test_quantum")
    records = {r["run"]: r for r in load.get("runs", [])}
    c = rs.curves[rs.curves["run"].isin(never["run"])]
    floors = []
    for run, grp in c.groupby("run", sort=True):
        floor, flat = error_floor(grp["t"].to_numpy(dtype=float), grp["test_error"].to_numpy(dtype=float))
        label = str(s.loc[s["run"] == run, "label"].iloc[0])
        rec = records.get(label)
        if rec is not None:
            rec["floor"], rec["levels_off"] = floor, flat
            if q:
                rec["floor_examples"] = int(round(floor / q))
        if flat and 0 < floor <= HINT_MAX_FLOOR:
            floors.append(floor)
    if floors:
        top = max(floors)
        ex = f" ({round(top / q)} wrong test examples)" if q else ""
        load["notes"].append(f"{len(floors)} run(s) never reach the tolerance {load['tolerance']:.4g}: their test "
                             f"error levels off above zero, at up to {top:.4g}{ex}; to count that floor as zero, "
                             f"pass --tolerance {1.02 * top:.4g}")
        load["floor_hint"] = {"n_runs": len(floors), "floor": top, "tolerance": 1.02 * top}

"""The summary's transitions re-derived from the curves (no I/O).

A run set's ``summary.parquet`` states per run when the training and test errors
first reach zero (``t_train``, ``t_eps``) and whether the run grokked (``groks``).
Checksums do not stop a forger who re-signs the manifest, so the loader checks those
claims against ``curves.parquet`` (docs/guarantees.md, "Trusted and untrusted"):

* **a time field** (``t_eps`` from ``test_error``, ``t_train`` from ``train_error``) is
  the first time its error is zero. With ``z`` the first curve time at which the error is
  ``<= 0`` and ``b`` the last curve time before it with a positive error, the stated time
  must lie in ``(b, z]`` (the exact crossing lies between two samples; simulators that
  compute it exactly also record it, so ``t = z`` there). A run whose curve never reaches
  zero may state a time only beyond its curve's last time (a crossing after the recorded
  window, e.g. the 1D model's non-grokking runs).
* **the flag** ``groks``: a run stated to grok (and, where there is a ``status`` column,
  with status ``"groks"``) must reach its error level (0 by the contract) on its curve.

Only runs that have a curve with finite values and are not ``diverged`` are checked
(``record_curves=False`` and ``final_only`` run sets have no curves). Which fields a
generator's summary derives from its curves is the registry's ``extra["from_curves"]``
(``comparison.simulators``); a generator that is not registered follows the contract of
docs/run-format.md, :data:`CONTRACT`. The work is a few sorted-array passes over the
curves, no per-run Python loop.

Examples
--------
>>> import pandas as pd
>>> c = pd.DataFrame({"run": [0, 0, 0], "t": [0.0, 1.0, 2.0], "test_error": [0.5, 0.2, 0.1]})
>>> s = pd.DataFrame({"run": [0], "t_eps": [1.5], "groks": [True], "diverged": [False]})
>>> print(transition_problems(c, s)[-1])
summary says run 0 groks but its curve's test_error never reaches 0 (lowest 0.1); the summary's transitions must be re-derived from curves.parquet
>>> s2 = pd.DataFrame({"run": [0], "t_eps": [float("inf")], "groks": [False], "diverged": [False]})
>>> transition_problems(c, s2)
[]
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CONTRACT", "transition_problems", "rules_for"]

#: docs/run-format.md: t_eps / t_train are the first times test / training error are zero,
#: groks means the test error reached zero. Values: the curve column, and for ``groks``
#: ``(column, level)``.
CONTRACT: Mapping[str, Any] = {"t_eps": "test_error", "t_train": "train_error", "groks": ("test_error", 0.0)}

_SUFFIX = "; the summary's transitions must be re-derived from curves.parquet"


def rules_for(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """The fields of this run set's summary that its curves determine (see the module docstring).

    The registry's ``extra["from_curves"]`` is a mapping like :data:`CONTRACT` or a callable
    ``config -> mapping`` (a rule that depends on a parameter, e.g. the ball's ``t_train``).
    """
    from ..simulators import spec_for_generator

    spec = spec_for_generator(str(config.get("generator", "")))
    rule = CONTRACT if spec is None else spec.extra.get("from_curves", CONTRACT)
    return rule(config) if callable(rule) else rule


def _tol(x: np.ndarray) -> np.ndarray:
    return 1e-9 * np.maximum(1.0, np.abs(x)) + 1e-12


def _runs(curves: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run ids, segment starts and ends of curves sorted by (run, t)."""
    run = curves["run"].to_numpy()
    cut = np.flatnonzero(run[1:] != run[:-1]) + 1
    starts = np.r_[0, cut]
    return run[starts], starts, np.r_[cut, len(run)]


def _first_zero(t: np.ndarray, e: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per run: has finite values, first time ``e <= level`` (NaN), last positive time before it, lowest e."""
    n = len(t)
    ok = np.isfinite(e)
    idx = np.arange(n)
    zero = ok & (e <= level)
    first = np.minimum.reduceat(np.where(zero, idx, n), starts)
    has_zero = first < ends
    z = np.where(has_zero, t[np.minimum(first, n - 1)], np.nan)
    last_pos = np.maximum.accumulate(np.where(ok & ~zero, idx, -1))
    prev = last_pos[np.clip(first - 1, 0, n - 1)]
    b = np.where(has_zero & (first > starts) & (prev >= starts), t[np.clip(prev, 0, n - 1)], np.nan)
    any_ok = np.add.reduceat(ok.astype(np.int64), starts) > 0
    low = np.minimum.reduceat(np.where(ok, e, np.inf), starts)
    return any_ok, z, b, low


def _one(msgs: list[str], bad: np.ndarray, text: Any) -> None:
    idx = np.flatnonzero(bad)
    if idx.size:
        more = f" (and {idx.size - 1} more runs)" if idx.size > 1 else ""
        msgs.append(text(int(idx[0])) + more + _SUFFIX)


def _time_problems(field: str, col: str, v: np.ndarray, run: np.ndarray, z: np.ndarray,
                   b: np.ndarray, t_end: np.ndarray, check: np.ndarray) -> list[str]:
    out: list[str] = []
    has = np.isfinite(z)
    fin = np.isfinite(v)
    with np.errstate(invalid="ignore"):
        late = check & has & fin & (v > z + _tol(z))
        early = check & has & fin & np.isfinite(b) & (v <= b - _tol(b))
    _one(out, check & has & ~fin, lambda i: f"summary {field} of run {run[i]} is {v[i]} but its curve's "
                                            f"{col} first reaches 0 at t = {z[i]:.6g}")
    _one(out, late | early, lambda i: f"summary {field} of run {run[i]} is {v[i]:.6g} but its curve's {col} "
                                      f"first reaches 0 at t = {z[i]:.6g} (after a positive error at t = {b[i]:.6g})")
    with np.errstate(invalid="ignore"):
        inside = check & ~has & fin & (v <= t_end + _tol(t_end))
    _one(out, inside, lambda i: f"summary {field} of run {run[i]} is {v[i]:.6g} but its curve's {col} "
                                f"never reaches 0 (curve recorded up to t = {t_end[i]:.6g})")
    return out


def transition_problems(curves: pd.DataFrame, summary: pd.DataFrame,
                        rules: Mapping[str, Any] = CONTRACT) -> list[str]:
    """Problems (at most one line per field) where the summary's transitions disagree with the curves.

    ``curves`` sorted by ``(run, t)`` and ``summary`` sorted by ``run`` with unique runs (as
    :func:`comparison.runset.schema.normalise` leaves them); ``rules`` as :data:`CONTRACT`.
    Every run of ``curves`` has a summary row (checked before, by ``content_problems``).
    """
    if len(curves) == 0 or not rules:
        return []
    runs, starts, ends = _runs(curves)
    srun = summary["run"].to_numpy()
    pos = np.searchsorted(srun, runs)
    if np.any(pos >= len(srun)) or np.any(srun[np.minimum(pos, len(srun) - 1)] != runs):
        return []  # a run without a summary row: reported by content_problems
    live = ~summary["diverged"].to_numpy(dtype=bool)[pos] if "diverged" in summary else np.ones(len(runs), bool)
    t = curves["t"].to_numpy(dtype=float)
    out: list[str] = []
    for field in ("t_train", "t_eps"):
        col = rules.get(field)
        if col is None or col not in curves or field not in summary:
            continue
        any_ok, z, b, _ = _first_zero(t, curves[col].to_numpy(dtype=float), starts, ends, 0.0)
        v = summary[field].to_numpy(dtype=float)[pos]
        out += _time_problems(field, col, v, runs, z, b, t[ends - 1], live & any_ok)
    spec = rules.get("groks")
    if spec is not None and spec[0] in curves and "groks" in summary:
        col, level = spec[0], float(spec[1])
        any_ok, _, _, low = _first_zero(t, curves[col].to_numpy(dtype=float), starts, ends, level)
        groks = summary["groks"].to_numpy(dtype=bool)[pos]
        if "status" in summary:
            groks = groks & (summary["status"].astype(str).to_numpy()[pos] == "groks")
        bad = live & any_ok & groks & ~(low <= level + 1e-9)
        _one(out, bad, lambda i: f"summary says run {runs[i]} groks but its curve's {col} never reaches "
                                 f"{level:g} (lowest {low[i]:.6g})")
    return out

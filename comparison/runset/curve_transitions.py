"""The summary's transitions re-derived from the curves (no I/O).

A run set's ``summary.parquet`` states per run when the training and test errors
first reach zero (``t_train``, ``t_eps``) and whether the run grokked (``groks``).
Checksums do not stop a forger who re-signs the manifest, so the loader checks those
claims against ``curves.parquet`` (docs/guarantees.md, "Trusted and untrusted"):

* **a time field** (``t_eps`` from ``test_error``, ``t_train`` from ``train_error``) is
  the first time its error is zero, so it is never later than the first curve sample at
  which the error is 0 (``z``; a relative ``1e-5`` of slack for a continuous error that
  rounds to 0 a hair before its crossing), and a curve that reaches 0 needs a finite time.
  Where the simulator *records* the crossing (``exact``: the crossing time is itself a
  curve sample, or the time is read off the curve's own grid) it is also later than the
  last sample before ``z`` whose error is above :data:`ZERO` (``b``), i.e. in ``(b, z]``,
  and a curve that never reaches 0 (not even to :data:`ZERO`) states a time only beyond
  its last sample. Without a recorded crossing a sparse curve can miss a short stretch at
  zero, so only the upper bound is sound.
* **the flag** ``groks``: a run stated to grok (and, where there is a ``status`` column,
  with status ``"groks"``) must reach its error level (0 by the contract; within
  :data:`ZERO`) on its curve.

Only runs that have a curve with finite values and are not ``diverged`` are checked
(``record_curves=False`` and ``final_only`` run sets have no curves). Which fields a
generator's summary derives from its curves, and how, is the registry's
``extra["from_curves"]`` (``comparison.simulators``); a generator that is not registered
follows the contract of docs/run-format.md, :data:`CONTRACT`. The work is a few
sorted-array passes over the curves, no per-run Python loop.

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

__all__ = ["CONTRACT", "ZERO", "transition_problems", "rules_for"]

#: docs/run-format.md: t_eps / t_train are the first times test / training error are zero,
#: groks means the test error reached zero. Values: ``(curve column, exact)`` for a time
#: (``exact``: the crossing is recorded on the curve) and ``(curve column, level)`` for groks.
CONTRACT: Mapping[str, Any] = {"t_eps": ("test_error", False), "t_train": ("train_error", False),
                               "groks": ("test_error", 0.0)}

#: an error this small counts as zero where a claim needs a zero (a continuous error, e.g. the
#: ball's, approaches 0 as a power law and is ~1e-30 at samples just before its crossing,
#: computed apart from the crossing itself); an error fraction of a test set is >= 1/n_test
ZERO = 1e-12
_SUFFIX = "; the summary's transitions must be re-derived from curves.parquet"


def rules_for(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """The fields of this run set's summary that its curves determine (see the module docstring).

    The registry's ``extra["from_curves"]`` is a mapping like :data:`CONTRACT` or a callable
    ``config -> mapping`` (a rule that depends on a parameter).

    Examples
    --------
    >>> rules_for({"generator": "modular_rfm.run_rfm"})["groks"]
    ('test_error', 0.01)
    >>> rules_for({"generator": "someone.elses"}) == CONTRACT
    True
    """
    from ..simulators import spec_for_generator

    spec = spec_for_generator(str(config.get("generator", "")))
    rule = CONTRACT if spec is None else spec.extra.get("from_curves", CONTRACT)
    return rule(config) if callable(rule) else rule


def _tol(x: np.ndarray, rel: float = 1e-9) -> np.ndarray:
    return rel * np.maximum(1.0, np.abs(x)) + 1e-12


def _runs(curves: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run ids, segment starts and ends of curves sorted by (run, t)."""
    run = curves["run"].to_numpy()
    cut = np.flatnonzero(run[1:] != run[:-1]) + 1
    starts = np.r_[0, cut]
    return run[starts], starts, np.r_[cut, len(run)]


def _first_zero(t: np.ndarray, e: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per run: has finite values; first time ``e <= level`` (NaN: never); the last time before
    it (or before the end) with ``e > level + ZERO``; the lowest finite ``e``."""
    n = len(t)
    ok = np.isfinite(e)
    idx = np.arange(n)
    zero = ok & (e <= level)
    first = np.minimum.reduceat(np.where(zero, idx, n), starts)
    has_zero = first < ends
    z = np.where(has_zero, t[np.minimum(first, n - 1)], np.nan)
    last_pos = np.maximum.accumulate(np.where(ok & (e > level + ZERO), idx, -1))
    prev = last_pos[np.clip(np.minimum(first, ends) - 1, 0, n - 1)]
    b = np.where(prev >= starts, t[np.clip(prev, 0, n - 1)], np.nan)
    any_ok = np.add.reduceat(ok.astype(np.int64), starts) > 0
    low = np.minimum.reduceat(np.where(ok, e, np.inf), starts)
    return any_ok, z, b, low


def _one(msgs: list[str], bad: np.ndarray, text: Any) -> None:
    idx = np.flatnonzero(bad)
    if idx.size:
        more = f" (and {idx.size - 1} more runs)" if idx.size > 1 else ""
        msgs.append(text(int(idx[0])) + more + _SUFFIX)


def _time_problems(field: str, col: str, exact: bool, v: np.ndarray, run: np.ndarray, z: np.ndarray,
                   b: np.ndarray, low: np.ndarray, t_end: np.ndarray, check: np.ndarray) -> list[str]:
    out: list[str] = []
    has = np.isfinite(z)
    fin = np.isfinite(v)
    with np.errstate(invalid="ignore"):
        late = check & has & fin & (v > z + _tol(z, 1e-5))
        early = check & fin & np.isfinite(b) & (v <= b - _tol(b)) & (has | (low <= ZERO)) & exact
        inside = check & ~has & ~(low <= ZERO) & fin & (v <= t_end + _tol(t_end)) & exact
    _one(out, check & has & ~fin, lambda i: f"summary {field} of run {run[i]} is {v[i]} but its curve's "
                                            f"{col} first reaches 0 at t = {z[i]:.6g}")
    _one(out, late, lambda i: f"summary {field} of run {run[i]} is {v[i]:.6g} but its curve's {col} "
                              f"is 0 already at t = {z[i]:.6g}")
    _one(out, early, lambda i: f"summary {field} of run {run[i]} is {v[i]:.6g} but its curve's {col} "
                               f"is still positive at t = {b[i]:.6g}")
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
        col, exact = rules.get(field, (None, False))
        if col is None or col not in curves or field not in summary:
            continue
        any_ok, z, b, low = _first_zero(t, curves[col].to_numpy(dtype=float), starts, ends, 0.0)
        v = summary[field].to_numpy(dtype=float)[pos]
        out += _time_problems(field, col, bool(exact), v, runs, z, b, low, t[ends - 1], live & any_ok)
    spec = rules.get("groks")
    if spec is not None and spec[0] in curves and "groks" in summary:
        col, level = spec[0], float(spec[1])
        any_ok, _, _, low = _first_zero(t, curves[col].to_numpy(dtype=float), starts, ends, level)
        groks = summary["groks"].to_numpy(dtype=bool)[pos]
        if "status" in summary:
            groks = groks & (summary["status"].astype(str).to_numpy()[pos] == "groks")
        bad = live & any_ok & groks & ~(low <= level + ZERO)
        _one(out, bad, lambda i: f"summary says run {runs[i]} groks but its curve's {col} never reaches "
                                 f"{level:g} (lowest {low[i]:.6g})")
    return out

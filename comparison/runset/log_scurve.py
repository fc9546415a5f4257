"""S-curve onsets of a log's curves (Eq. S1 of :mod:`comparison.estimate.scurve`), for ``fit``/``report``.

:func:`scurve_onsets` fits the erf S-curve to the test curve (error or accuracy,
in the log's own scale), the train curve and each loss column of every run, and
records per-run onset t*, sharpness s and, where both test and train fits succeed,
the relative gap m (Eq. S2) and the grokking sharpness R_abs, R_rel (Eqs. S3-S4),
each with a bootstrap CI of the median over runs, in ``config["load"]["scurve"]``.

Cap (:data:`SCURVE_MAX_RUNS` = 5000 runs, evenly chosen by sorted label beyond it; a
note says so). The rule: all runs are fitted at once by a batched Levenberg-Marquardt
(:mod:`comparison.estimate.scurve_batch`, 0.2-0.8 ms per run of 200 points on a loaded
2-core machine, against 6-10 ms for the run-by-run fit that was capped at 200 runs:
BENCHMARKS.md, log_kernels), so 5000 runs cost a few seconds per curve; beyond that, a
median over 5000 evenly chosen runs is already known to a small fraction of the spread
of onsets between runs.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SCURVE_MAX_RUNS", "scurve_onsets", "measure_leads"]

SCURVE_MAX_RUNS = 5000


def _subset(raw: pd.DataFrame, max_runs: int, notes: list[str]) -> pd.DataFrame:
    """The rows of at most ``max_runs`` runs, evenly chosen by sorted label (``raw`` itself when all fit)."""
    codes, labels = pd.factorize(raw["run"], sort=True)
    if len(labels) <= max_runs:
        return raw
    keep = np.unique(np.linspace(0, len(labels) - 1, max_runs).round().astype(int))
    notes.append(f"S-curve onsets fitted on {keep.size} of {len(labels)} runs (evenly chosen by label)")
    return raw[np.isin(codes, keep)]


def scurve_onsets(raw: pd.DataFrame, *, seed: int = 0, max_runs: int = SCURVE_MAX_RUNS,
                  notes: list[str] | None = None) -> dict[str, Any]:
    """Per-curve :func:`~comparison.estimate.scurve.scurve_json` for test, train and the losses present.

    Returns ``{"test": {...}, "train": {...}, "test_loss": {...}, "relative_gap": {median, ci, n},
    "sharpness_abs": {...}, "sharpness_rel": {...}}`` (keys only for the curves in ``raw``; strict
    JSON): the grokking sharpness R_abs (Eq. S3, from the test fit) and R_rel (Eq. S4, runs with
    both fits) of :mod:`comparison.estimate.scurve`, each a median over runs with a bootstrap CI,
    its definition and the per-run values.

    Examples
    --------
    >>> from scipy.special import erf
    >>> t = np.arange(0., 100.)
    >>> raw = pd.DataFrame({"run": "a", "t": t, "test": 0.5 - 0.5 * erf(0.1 * (t - 60)),
    ...                     "train": 0.5 - 0.5 * erf(0.1 * (t - 20))})
    >>> out = scurve_onsets(raw)
    >>> round(out["test"]["onset"]["median"], 3), round(out["relative_gap"]["median"], 3)
    (60.0, 2.0)
    >>> round(out["sharpness_abs"]["median"], 4), round(out["sharpness_rel"]["median"], 4)
    (0.1, 1.0)
    """
    from ..estimate.scurve import fit_scurves, median_ci, relative_gap, relative_sharpness, scurve_json
    from .log_onsets import curve_preview

    if not max_runs >= 1:
        raise ValueError(f"max_runs must be >= 1, got {max_runs!r}")
    notes = [] if notes is None else notes
    cols = ["run", "t"] + [k for k in ("test", "train", "test_loss", "train_loss") if k in raw]
    d = raw[cols]   # copy-on-write: the columns used, no copy of the table
    if not pd.api.types.is_string_dtype(d["run"]):
        d = d.assign(run=d["run"].astype(str))
    d = _subset(d, max_runs, notes)
    out: dict[str, Any] = {}
    fits = {}
    for key in ("test", "train", "test_loss", "train_loss"):
        if key not in d or not np.isfinite(d[key].to_numpy(dtype=float)).any():
            continue
        sub = d.loc[np.isfinite(d[key].to_numpy(dtype=float)), ["run", "t", key]]
        fits[key] = fit_scurves(sub, key)
        out[key] = scurve_json(fits[key], column=key, seed=seed)
        out[key]["preview"] = curve_preview(sub, key, max_runs=4)
    if "test" in fits:
        out["sharpness_abs"] = _sharpness_entry(fits["test"]["sharpness"].where(fits["test"]["reason"].isna()),
                                                "R_abs = s_test (Eq. S3)", seed + 1)   # = the test sharpness CI
    if "test" in fits and "train" in fits:
        m = relative_gap(fits["test"], fits["train"]).to_numpy(dtype=float)
        out["relative_gap"] = median_ci(m, seed=seed + 2)
        out["sharpness_rel"] = _sharpness_entry(relative_sharpness(fits["test"], fits["train"]),
                                                "R_rel = s_test / s_train (Eq. S4)", seed + 4)
    return out


def _sharpness_entry(per_run: pd.Series, definition: str, seed: int) -> dict[str, Any]:
    """Median over runs with its bootstrap CI, the definition and the per-run values (None: no fit)."""
    from ..estimate.scurve import median_ci

    v = per_run.astype(float)
    return {**median_ci(v.to_numpy(dtype=float), seed=seed), "definition": definition,
            "source": "Miller et al. 2024 (arXiv:2402.08946), Sec. 2 (our reading; see docs/errata.md)",
            "runs": {str(r): (float(x) if np.isfinite(x) else None) for r, x in v.items()}}


def measure_leads(raw: pd.DataFrame, scurve: dict[str, Any], measures: tuple[str, ...] | list[str], *,
                  frac: float = 0.5, seed: int = 0) -> dict[str, Any]:
    """Each ``--measure-col``: lead over the S-curve onset of the test curve (the test loss's for a
    loss-only log), Eqs. (L1)-(L2) of :mod:`comparison.estimate.lead`, with a bootstrap CI of the
    median over runs, and the median band of the measure against t - t*. ``{}`` without measures.
    """
    from ..estimate.lead import aligned_band, measure_lead
    from ..estimate.scurve import median_ci

    src = next((k for k in ("test", "test_loss") if k in scurve), None)
    if not measures or src is None:
        return {}
    on = pd.Series({r: (e["onset"] if e["onset"] is not None else np.nan) for r, e in scurve[src]["runs"].items()},
                   dtype=float)
    d = raw.assign(run=raw["run"].astype(str))
    out: dict[str, Any] = {"onset_of": src, "frac": frac}
    for m in measures:
        lead = measure_lead(d, f"measure:{m}", on, frac=frac)
        band = aligned_band(d, f"measure:{m}", on)
        out[m] = {"lead": median_ci(lead["lead"].to_numpy(float), seed=seed),
                  "runs": {str(r): (float(v) if np.isfinite(v) else None) for r, v in lead["lead"].items()},
                  "band": {c: [float(x) if np.isfinite(x) else None for x in band[c]]
                           for c in ("dt", "median", "q25", "q75")}}
    return out

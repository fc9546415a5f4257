"""Threshold onsets: the first time a per-run curve falls to a stated level (no I/O).

The threshold onset of run r at level c is

    t_c(r) = min { t : y_r(t) <= c }                                   (O1)

(NaN if the curve never gets there). For a test *error* at the zero tolerance
it is the paper's t_eps; for a loss it is the "loss-based onset" at a
threshold the user states (a loss has no natural zero). Because the onset
depends on the threshold, :func:`threshold_sensitivity` tabulates it over a
range of thresholds (median and quartiles over the runs that reach each one),
so a reader sees how much the onset moves with the choice.

Everything is vectorised over runs (one sort and one group-by per threshold),
so millions of rows and tens of thousands of runs take seconds.

>>> import pandas as pd
>>> c = pd.DataFrame({"run": [0, 0, 0, 1, 1, 1], "t": [0, 1, 2, 0, 1, 2], "loss": [2., .5, .1, 2., 1., .9]})
>>> threshold_onset(c, "loss", 0.6).tolist()
[1.0, nan]
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["threshold_onset", "threshold_sensitivity", "check_threshold", "default_thresholds"]


def check_threshold(value: object, name: str = "loss_threshold") -> float:
    """A finite real threshold, or ``ValueError`` naming ``name``."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a finite real number, got {value!r}") from exc
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return x


def threshold_onset(curves: pd.DataFrame, column: str, threshold: float, *, run: str = "run",
                    time: str = "t") -> pd.Series:
    """Eq. (O1) for every run: the first time ``column <= threshold`` (NaN if never).

    Parameters
    ----------
    curves : tidy table with the run, time and value columns (NaN values are skipped:
        loggers write metrics on alternating rows).
    column : the value column (an error rate or a loss).
    threshold : the level c of Eq. (O1).

    Returns
    -------
    Series indexed by the sorted run ids (name ``"onset"``).

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"run": [0, 0, 0], "t": [5., 1., 9.], "y": [0.1, 0.9, 0.05]})
    >>> float(threshold_onset(c, "y", 0.2).iloc[0])   # unsorted rows are fine
    5.0
    """
    c = check_threshold(threshold, "threshold")
    for col in (run, time, column):
        if col not in curves.columns:
            raise ValueError(f"curves is missing the column {col!r}")
    runs = pd.Index(np.sort(curves[run].dropna().unique()), name=run)
    v = curves[column].to_numpy(dtype=float)
    hit = np.isfinite(v) & (v <= c)
    first = curves.loc[hit].groupby(run, sort=False)[time].min()
    return first.reindex(runs).astype(float).rename("onset")


def default_thresholds(values: np.ndarray, n: int = 7) -> np.ndarray:
    """``n`` thresholds spaced evenly in log between the lowest and the median positive value.

    >>> default_thresholds(np.array([0.01, 0.1, 1.0, 10.0]), n=3).round(4).tolist()
    [0.01, 0.0316, 0.1]
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return np.empty(0)
    lo, hi = float(v.min()), float(np.quantile(v, 0.5, method="lower"))
    if not hi > lo:
        return np.array([lo])
    return np.geomspace(lo, hi, n)


def threshold_sensitivity(curves: pd.DataFrame, column: str, thresholds: Sequence[float], *,
                          run: str = "run", time: str = "t") -> pd.DataFrame:
    """The onset of Eq. (O1) as a function of the threshold.

    Returns one row per threshold: ``threshold, n_runs, n_reached`` (runs whose
    curve gets to the threshold), ``onset_median``, ``onset_q25``, ``onset_q75``
    (over the runs that reach it; NaN if none does).

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"run": [0, 0, 0], "t": [0., 1., 2.], "y": [0.5, 0.1, 0.0]})
    >>> threshold_sensitivity(c, "y", [0.0, 0.2])[["threshold", "n_reached", "onset_median"]].values.tolist()
    [[0.0, 1.0, 2.0], [0.2, 1.0, 1.0]]
    """
    rows = []
    for c in sorted(float(x) for x in thresholds):
        on = threshold_onset(curves, column, c, run=run, time=time).to_numpy(dtype=float)
        got = on[np.isfinite(on)]
        q = np.quantile(got, [0.5, 0.25, 0.75]) if got.size else np.full(3, np.nan)
        rows.append({"threshold": c, "n_runs": int(on.size), "n_reached": int(got.size),
                     "onset_median": float(q[0]), "onset_q25": float(q[1]), "onset_q75": float(q[2])})
    return pd.DataFrame(rows, columns=["threshold", "n_runs", "n_reached", "onset_median", "onset_q25", "onset_q75"])

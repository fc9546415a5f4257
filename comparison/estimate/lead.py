"""Lead time of a progress measure over an onset, and the measure aligned at the onset (no I/O).

For a measure q_r(t) of run r (weight norm, restricted loss, Fourier IPR, ...)
with first value q_r(t_0) and last value q_r(t_end), the time it has made a
fraction f of its total change is

    t_f(r) = min { t : |q_r(t) - q_r(t_0)| >= f |q_r(t_end) - q_r(t_0)| },   (L1)

and its lead over the run's onset t*(r) (threshold or S-curve onset) is

    lead_f(r) = t*(r) - t_f(r)                                          (L2)

(positive: the measure moves first). Default f = 1/2 ("half its total change");
the RFM progress section uses f = 0.1 for its own onsets. A run whose measure
does not change (|q(t_end) - q(t_0)| = 0) or has no onset gets NaN and is left
out of the CI (:func:`comparison.estimate.scurve.median_ci`, a bootstrap over runs).

>>> import pandas as pd
>>> c = pd.DataFrame({"run": 0, "t": [0., 1., 2., 3., 4.], "q": [0., 0., 1., 2., 2.]})
>>> measure_lead(c, "q", pd.Series({0: 3.0}))["lead"].tolist()
[1.0]
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["measure_lead", "aligned_band"]


def measure_lead(curves: pd.DataFrame, column: str, onsets: pd.Series, *, frac: float = 0.5,
                 run: str = "run", time: str = "t") -> pd.DataFrame:
    """Eqs. (L1)-(L2) per run: columns ``t_frac``, ``onset``, ``lead`` (index: run ids).

    Parameters
    ----------
    curves : tidy table (run, time, measure; NaN values skipped).
    onsets : t*(r) indexed by run id (NaN: no onset).
    frac : the fraction f of Eq. (L1), in (0, 1].
    """
    if not 0 < frac <= 1:
        raise ValueError(f"frac must be in (0, 1], got {frac!r}")
    d = curves.loc[np.isfinite(curves[column].to_numpy(dtype=float)), [run, time, column]]
    d = d.sort_values([run, time], kind="stable")
    g = d.groupby(run, sort=True)[column]
    first, last = g.transform("first"), g.transform("last")
    total = (last - first).abs()
    hit = ((d[column] - first).abs() >= frac * total) & (total > 0)
    t_f = d.loc[hit].groupby(run, sort=True)[time].first()
    runs = g.first().index
    out = pd.DataFrame({"t_frac": t_f.reindex(runs)}, index=runs)
    out["onset"] = pd.Series(onsets, dtype=float).reindex(runs).to_numpy()
    out["lead"] = out["onset"] - out["t_frac"]
    return out


def aligned_band(curves: pd.DataFrame, column: str, onsets: pd.Series, *, n_grid: int = 60,
                 run: str = "run", time: str = "t") -> pd.DataFrame:
    """The measure against t - t*(r): per-run linear interpolation on a common grid of ``n_grid``
    offsets (the range every onset-bearing run covers), with the median and quartiles over runs.

    Returns columns ``dt``, ``median``, ``q25``, ``q75``, ``n`` (empty if no run has an onset).
    """
    if n_grid < 2:
        raise ValueError(f"n_grid must be >= 2, got {n_grid!r}")
    on = pd.Series(onsets, dtype=float).dropna()
    d = curves.loc[np.isfinite(curves[column].to_numpy(dtype=float)), [run, time, column]]
    per = []
    for r, g in d.groupby(run, sort=True):
        if r in on.index:
            g = g.sort_values(time)
            per.append((g[time].to_numpy(float) - on[r], g[column].to_numpy(float)))
    if not per:
        return pd.DataFrame(columns=["dt", "median", "q25", "q75", "n"])
    lo, hi = max(p[0][0] for p in per), min(p[0][-1] for p in per)
    if not hi > lo:
        lo, hi = min(p[0][0] for p in per), max(p[0][-1] for p in per)
    grid = np.linspace(lo, hi, n_grid)
    y = np.array([np.interp(grid, x, v, left=np.nan, right=np.nan) for x, v in per])
    with np.errstate(all="ignore"):
        q = np.nanpercentile(y, [50, 25, 75], axis=0)
    return pd.DataFrame({"dt": grid, "median": q[0], "q25": q[1], "q75": q[2],
                         "n": np.isfinite(y).sum(axis=0)})

"""S-curve onsets: a threshold-free onset, sharpness and relative gap per run (no I/O).

Miller, Gleeson, O'Neill, Bui & Levi, "Measuring sharpness in grokking"
(arXiv:2402.08946, Eq. 1) fit one S-shaped form to the train and the test
accuracy of each run,

    A(t) = a * erf(s * (t - t*)) + b,                                  (S1)

with jump time (onset) t*, sharpness s > 0 (units 1/time), half-jump a and
mid-level b. A curve that falls (an error rate, a loss) has a < 0; the form is
the same. The relative grokking gap of a run with both curves is

    m = (t*_test - t*_train) / t*_train.                                (S2)

The grokking sharpness of the same paper (Sec. 2), per run: the absolute
sharpness is the test curve's own sharpness and the relative sharpness compares
it with the train curve's,

    R_abs = s_test,                                                     (S3)
    R_rel = s_test / s_train.                                           (S4)

(Eqs. S2-S4 are our reading of the paper's "relative grokking gap" and its
"absolute" and "relative" sharpness measures; the stored copy of the paper could
not be read past its introduction here, so neither the normalisations nor the
paper's own equation numbers were re-checked against its text: docs/errata.md.)
R_abs carries the log's unit (1/time; 1/decade with ``log_time``); R_rel and m
are unit-free.

**Time axis.** As the paper does, the fit is in linear time ``t`` (epochs or
steps as logged): t* and s then have the log's own unit and 1/unit. Passing
``log_time=True`` fits Eq. (S1) in u = log10 t instead (onset reported back as
10**u*, sharpness in 1/decade), which suits logs spaced geometrically.

A run whose curve never moves (|last - first| below ``min_jump``) gets the
reason ``"no_transition"``; a fit that does not converge, or puts t* outside
the logged times, gets ``"fit_failed"`` / ``"onset_outside_log"``. Those runs
carry ``None`` values and a reason, never a NaN, in :func:`scurve_json`.

:func:`fit_scurve` is one 4-parameter ``scipy.optimize.least_squares`` fit on times
rescaled to [0, 1], started from the curve's own midpoint crossing;
:func:`fit_scurves` fits every run of a table at once with the same start, bounds and
objective (:mod:`comparison.estimate.scurve_batch`, a batched Levenberg-Marquardt).
The onset's standard error comes from the Jacobian at the
optimum, se = sqrt(sigma^2 (J^T J)^-1)_{t*}, sigma^2 the residual variance.

>>> import numpy as np, pandas as pd
>>> from scipy.special import erf
>>> t = np.arange(0., 200.)
>>> c = pd.DataFrame({"run": 0, "t": t, "err": 0.5 - 0.5 * erf(0.05 * (t - 120.))})
>>> f = fit_scurves(c, "err")
>>> round(float(f.loc[0, "onset"]), 3), round(float(f.loc[0, "sharpness"]), 4)
(120.0, 0.05)
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import least_squares
from scipy.special import erf

from .scurve_batch import BOUNDS, fit_scurve_batch, prepare_curve, to_time_units

__all__ = ["scurve", "fit_scurve", "fit_scurves", "relative_gap", "relative_sharpness", "median_ci", "scurve_json",
           "MIN_JUMP"]

MIN_JUMP = 0.05
BOOT_BATCH_VALUES = 1_000_000   # median_ci: resampled values held at once (8 MB)
_COLUMNS = ["onset", "sharpness", "a", "b", "onset_se", "rmse", "n_points", "reason"]


def scurve(t: np.ndarray, onset: float, sharpness: float, a: float, b: float) -> np.ndarray:
    """Eq. (S1): ``a * erf(sharpness * (t - onset)) + b``."""
    return a * erf(sharpness * (np.asarray(t, dtype=float) - onset)) + b


def _fail(reason: str, n: int) -> dict[str, Any]:
    return dict(onset=np.nan, sharpness=np.nan, a=np.nan, b=np.nan, onset_se=np.nan, rmse=np.nan,
                n_points=n, reason=reason)


def fit_scurve(t: np.ndarray, y: np.ndarray, *, min_jump: float = MIN_JUMP,
               log_time: bool = False) -> dict[str, Any]:
    """Fit Eq. (S1) to one curve; returns onset, sharpness, a, b, onset_se, rmse, n_points, reason.

    Parameters
    ----------
    t, y : times and values (NaNs dropped; at least 5 finite points are needed).
    min_jump : smallest |y_last - y_first| counted as a transition (in y's units), >= 0.
    log_time : fit in log10 t (t > 0 only) instead of t.

    Examples
    --------
    >>> t = np.linspace(0, 10, 50)
    >>> fit_scurve(t, np.full(50, 0.3))["reason"]
    'no_transition'
    """
    if not min_jump >= 0:
        raise ValueError(f"min_jump must be >= 0, got {min_jump!r}")
    why, prep = prepare_curve(t, y, min_jump, log_time)
    if why is not None:
        return _fail(why, prep)
    u, y, p0, lo, span, n = prep
    res = least_squares(lambda p: scurve(u, p[0], p[1], p[2], p[3]) - y, p0, bounds=BOUNDS, method="trf")
    if not res.success:
        return _fail("fit_failed", n)
    uo, su, a, b = (float(v) for v in res.x)
    if not 0.0 <= uo <= 1.0:
        return _fail("onset_outside_log", n)
    dof = max(n - 4, 1)
    sigma2 = float(res.fun @ res.fun) / dof
    try:
        cov = sigma2 * np.linalg.inv(res.jac.T @ res.jac)
        se_u = float(np.sqrt(max(cov[0, 0], 0.0)))
    except np.linalg.LinAlgError:
        se_u = float("inf")
    onset, sharpness, se = to_time_units(uo, su, se_u, lo, span, log_time)
    return dict(onset=onset, sharpness=sharpness, a=a, b=b, onset_se=se,
                rmse=float(np.sqrt(sigma2)), n_points=n, reason=None)


def fit_scurves(curves: pd.DataFrame, column: str, *, run: str = "run", time: str = "t",
                min_jump: float = MIN_JUMP, log_time: bool = False) -> pd.DataFrame:
    """Eq. (S1) fitted to ``column`` of every run; one row per run (index: run ids, sorted).

    All runs at once (:func:`~comparison.estimate.scurve_batch.fit_scurve_batch`: one batched
    Levenberg-Marquardt, the same optimum as :func:`fit_scurve` run by run).
    Columns: onset, sharpness, a, b, onset_se, rmse, n_points, reason (None when the fit is good).
    """
    for c in (run, time, column):
        if c not in curves.columns:
            raise ValueError(f"column {c!r} not in the curves; available: {', '.join(map(str, curves.columns))}")
    codes, ids = pd.factorize(curves[run], sort=True)
    t_all, y_all = curves[time].to_numpy(float), curves[column].to_numpy(float)
    order = np.argsort(codes, kind="stable")
    order = order[codes[order] >= 0]
    bounds = np.searchsorted(codes[order], np.arange(len(ids) + 1))
    pieces = [(t_all[order[a:b]], y_all[order[a:b]]) for a, b in zip(bounds[:-1], bounds[1:])]
    cols = fit_scurve_batch(pieces, min_jump=min_jump, log_time=log_time)
    out = pd.DataFrame({k: cols[k] for k in _COLUMNS}, index=pd.Index(ids, name=run))
    out["reason"] = out["reason"].astype(object)
    return out


def relative_gap(test: pd.DataFrame, train: pd.DataFrame) -> pd.Series:
    """Eq. (S2) per run present in both fits: (t*_test - t*_train) / t*_train (NaN where either failed)."""
    a, b = test["onset"].astype(float).align(train["onset"].astype(float), join="inner")
    with np.errstate(divide="ignore", invalid="ignore"):
        m = (a - b) / b
    return m.where(np.isfinite(m)).rename("relative_gap")


def relative_sharpness(test: pd.DataFrame, train: pd.DataFrame) -> pd.Series:
    """Eq. (S4) per run present in both fits: s_test / s_train (NaN where either failed).

    >>> relative_sharpness(pd.DataFrame({"sharpness": [1.0, 3.0]}), pd.DataFrame({"sharpness": [2.0, np.nan]}))
    0    0.5
    1    NaN
    Name: relative_sharpness, dtype: float64
    """
    a, b = test["sharpness"].astype(float).align(train["sharpness"].astype(float), join="inner")
    with np.errstate(divide="ignore", invalid="ignore"):
        r = a / b
    return r.where(np.isfinite(r) & (b > 0)).rename("relative_sharpness")


def median_ci(values: np.ndarray, *, seed: int, level: float = 0.95,
              n_resamples: int = 2000) -> dict[str, Any]:
    """Median over runs with a percentile bootstrap CI (``scipy.stats.bootstrap``), strict-JSON dict.

    Fewer than 2 finite values give ``{"median": value or None, "ci": None, "n": n}``. The
    resamples are drawn in batches of about :data:`BOOT_BATCH_VALUES` values (bounded memory
    over thousands of runs).

    >>> median_ci(np.array([1., 2., 3., 4., 5.]), seed=0)["median"]
    3.0
    """
    from scipy.stats import bootstrap

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    if v.size == 0:
        return {"median": None, "ci": None, "n": 0, "level": level}
    med = float(np.median(v))
    if v.size < 2 or np.all(v == v[0]):
        return {"median": med, "ci": None, "n": int(v.size), "level": level}
    b = bootstrap((v,), np.median, confidence_level=level, n_resamples=n_resamples, method="percentile",
                  random_state=np.random.default_rng(seed), vectorized=True,
                  batch=max(1, BOOT_BATCH_VALUES // v.size))   # at most ~1e6 resampled values at once
    return {"median": med, "ci": [float(b.confidence_interval.low), float(b.confidence_interval.high)],
            "n": int(v.size), "level": level}


def _num(x: Any) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def scurve_json(fits: pd.DataFrame, *, column: str, seed: int, log_time: bool = False) -> dict[str, Any]:
    """Strict-JSON summary of :func:`fit_scurves`: per-run values (None + reason on failure) and CIs."""
    runs = {}
    num = [k for k in _COLUMNS if k not in ("reason", "n_points")]
    vals = {k: fits[k].to_numpy(dtype=float) for k in num}
    npts, why = fits["n_points"].to_numpy(), fits["reason"].to_numpy(dtype=object)
    for i, r in enumerate(fits.index):   # column arrays, not iterrows: thousands of runs
        runs[str(r)] = {k: _num(vals[k][i]) for k in num}
        runs[str(r)].update(n_points=int(npts[i]), reason=why[i] if isinstance(why[i], str) else None)
    good = fits["reason"].isna()
    reasons = fits.loc[~good, "reason"].value_counts()
    return {"column": column, "model": "a*erf(s*(t-t*))+b (Miller et al. 2024, Eq. 1)",
            "time_axis": "log10 t" if log_time else "t", "n_runs": int(len(fits)), "n_fitted": int(good.sum()),
            "failures": {str(k): int(v) for k, v in reasons.items()},
            "onset": median_ci(fits.loc[good, "onset"].to_numpy(float), seed=seed),
            "sharpness": median_ci(fits.loc[good, "sharpness"].to_numpy(float), seed=seed + 1),
            "runs": runs}

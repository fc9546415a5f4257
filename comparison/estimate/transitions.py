"""Per-run transition detection (the aligned average: :mod:`comparison.estimate.aligned`).

Definitions (perceptron-grokking.md, "Notation"; the contract of common.md):
t_train is the first time the training error is zero, t_eps the first time the
test error is zero, and the grokking time t_G = t_eps - t_train. "Zero" is
explicit here: an error counts as zero when it is ``<= zero_tol``.

The aligned average is the object the paper fits the critical exponent on
(sec. 4.3.1 "Empirical quantities"; Eqs. 9-10 and 23): every run is shifted to
its own t_eps and the test error is averaged at equal ``tau = t_eps - t``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = ["detect_transitions", "sorted_by_run_t",
           "infer_error_quantum", "check_tolerance", "DEFINITIONS"]

FLAGS = {
    "ok": "trained and generalised",
    "diverged": "non-finite error values (diverging run; never averaged in)",
    "no_test_zero": "test error never reached zero within tolerance",
    "no_train_zero": "training error never reached zero within tolerance",
    "no_train_error": "no train_error column: t_train and t_G undefined",
}


def check_tolerance(value: Any, name: str = "zero_tol") -> float:
    """An error tolerance as a float in [0, 1) (an error fraction), or ``ValueError`` naming ``name``."""
    try:
        tol = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real number in [0, 1), got {value!r}") from exc
    if not (0.0 <= tol < 1.0):
        raise ValueError(f"{name} must be in [0, 1) (an error fraction), got {value!r}")
    return tol


DEFINITIONS = ("first", "sustained", "last-entry")


def _first_zero(df: pd.DataFrame, col: str, tol: float, definition: str) -> pd.Series:
    """Per-run transition time of ``col`` under ``definition`` (see :func:`detect_transitions`)."""
    runs = pd.Index(np.sort(df["run"].unique()), name="run")
    is_zero = df[col] <= tol
    if definition == "first":
        return df.loc[is_zero].groupby("run")["t"].min().reindex(runs)
    t = df["t"].to_numpy(dtype=float)
    if definition == "sustained":
        last_bad = df.loc[~is_zero].groupby("run")["t"].max().reindex(runs)
        lb = df["run"].map(last_bad).to_numpy(dtype=float)
        after = is_zero.to_numpy() & ~(t <= lb)  # NaN last_bad: all after
        return df.loc[after].groupby("run")["t"].min().reindex(runs)
    # last-entry: the start of the last stretch at <= tol (it may end before the curve does)
    last_zero = df["run"].map(df.loc[is_zero].groupby("run")["t"].max()).to_numpy(dtype=float)
    bad_before = ~is_zero.to_numpy() & (t < last_zero)
    lb = df["run"].map(df.loc[bad_before].groupby("run")["t"].max()).to_numpy(dtype=float)
    start = is_zero.to_numpy() & ~(t <= lb)
    return df.loc[start].groupby("run")["t"].min().reindex(runs)


def _reentry(df: pd.DataFrame, tol: float) -> pd.Series:
    """True for runs whose test error exceeds ``tol`` again after first reaching it."""
    runs = pd.Index(np.sort(df["run"].unique()), name="run")
    is_zero = df["test_error"] <= tol
    first = df.loc[is_zero].groupby("run")["t"].min().reindex(runs)
    last_bad = df.loc[~is_zero].groupby("run")["t"].max().reindex(runs)
    return (last_bad > first).fillna(False).astype(bool)


def _check_definition(definition: str, sustained: bool) -> str:
    if sustained:
        if definition not in ("first", "sustained"):
            raise ValueError(f"sustained=True contradicts definition={definition!r}")
        return "sustained"
    if definition not in DEFINITIONS:
        raise ValueError(f"definition must be one of {list(DEFINITIONS)}, got {definition!r}")
    return definition


def sorted_by_run_t(curves: pd.DataFrame) -> bool:
    """True when the rows are already in (run, t) order (ties allowed; a NaN time: False).

    >>> sorted_by_run_t(pd.DataFrame({"run": [0, 0, 1], "t": [0.0, 1.0, 0.0]}))
    True
    """
    r, t = curves["run"].to_numpy(), curves["t"].to_numpy(dtype=float)
    if r.size < 2:
        return not np.isnan(t).any()
    try:
        nxt_run = r[1:] > r[:-1]
    except TypeError:   # run ids of mixed types: let the sort decide
        return False
    return bool(np.all(nxt_run | ((r[1:] == r[:-1]) & (t[1:] >= t[:-1]))) and not np.isnan(t).any())


def detect_transitions(curves: pd.DataFrame, zero_tol: float = 0.0, *, sustained: bool = False,
                       definition: str = "first", train_missing_ok: bool = False) -> pd.DataFrame:
    """Per-run t_train, t_eps, t_G from tidy error curves.

    Parameters
    ----------
    curves : tidy table with ``run, t, test_error`` and optionally ``train_error``.
    zero_tol : an error ``<= zero_tol`` counts as zero (default exactly 0).
    definition : ``"first"`` (default, the papers' definition: the first time the
        error is zero), ``"sustained"`` (the first time after which the error stays
        zero until the end of the curve; undefined if the curve ends above
        ``zero_tol``) or ``"last-entry"`` (the start of the last stretch at zero).
        The three agree on a run whose error never comes back.
    sustained : shorthand for ``definition="sustained"`` (kept for compatibility).
    train_missing_ok : if True, a NaN training error means "not logged at this
        time" (loggers write metrics on alternating rows) and is skipped; only an
        infinite one marks divergence. If False (default) any non-finite error
        marks the run as diverged.

    Returns
    -------
    DataFrame, one row per run: ``run, t_train, t_eps, t_G, groks, diverged,
    flag, zero_tol, t_eps_source, reentry, definition`` (``flag`` says why a time is
    undefined; see ``FLAGS``; ``t_eps_source = "curves"`` marks times read off the
    time grid; ``reentry`` marks runs whose test error exceeds ``zero_tol`` again
    after first reaching it). Runs with a non-finite test error are flagged
    ``diverged`` and get NaN times.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"run": 0, "t": [0., 1., 2., 3., 4.], "test_error": [.5, 0., .02, 0., 0.]})
    >>> [float(detect_transitions(c, definition=d)["t_eps"].iloc[0]) for d in ("first", "sustained")]
    [1.0, 3.0]
    >>> bool(detect_transitions(c)["reentry"].iloc[0])
    True
    """
    tol = check_tolerance(zero_tol)
    definition = _check_definition(definition, sustained)
    missing = [c for c in ("run", "t", "test_error") if c not in curves.columns]
    if missing:
        raise ValueError(f"curves is missing columns {missing}")
    if len(curves) == 0:
        raise ValueError("curves is empty")
    df = curves if sorted_by_run_t(curves) else curves.sort_values(["run", "t"], kind="mergesort")
    runs = pd.Index(np.sort(df["run"].unique()), name="run")
    has_train = "train_error" in df
    test = df["test_error"].to_numpy(dtype=float)
    bad = ~np.isfinite(test)
    if has_train:
        train = df["train_error"].to_numpy(dtype=float)
        bad = bad | (np.isinf(train) if train_missing_ok else ~np.isfinite(train))
    diverged = pd.Series(bad, index=df.index).groupby(df["run"]).any().reindex(runs)
    ok = df if not bad.any() else df.loc[~bad]   # no copy of a clean table
    t_eps = _first_zero(ok, "test_error", tol, definition).reindex(runs)
    if has_train:
        ok_tr = ok.loc[np.isfinite(ok["train_error"].to_numpy(dtype=float))]
        t_train = (_first_zero(ok_tr, "train_error", tol, definition).reindex(runs) if len(ok_tr)
                   else pd.Series(np.nan, index=runs))
    else:
        t_train = pd.Series(np.nan, index=runs)
    t_eps[diverged.to_numpy()] = np.nan
    t_train[diverged.to_numpy()] = np.nan
    out = pd.DataFrame({
        "run": runs.to_numpy(),
        "t_train": t_train.to_numpy(dtype=float),
        "t_eps": t_eps.to_numpy(dtype=float),
    })
    out["t_G"] = out["t_eps"] - out["t_train"]
    out["diverged"] = diverged.to_numpy(dtype=bool)
    out["groks"] = np.isfinite(out["t_eps"].to_numpy()) & ~out["diverged"].to_numpy()
    out["flag"] = _flags(out, has_train)
    out["zero_tol"] = tol
    out["t_eps_source"] = "curves"  # read off the time grid (see refine_grid_t_eps)
    out["reentry"] = _reentry(ok, tol).reindex(runs, fill_value=False).to_numpy(dtype=bool) & ~out["diverged"]
    out["definition"] = definition
    return out


def _flags(out: pd.DataFrame, has_train: bool) -> NDArray[np.str_]:
    flag = np.full(len(out), "ok", dtype=object)
    flag[~np.isfinite(out["t_G"].to_numpy())] = "no_train_error" if not has_train else "ok"
    if has_train:
        flag[~np.isfinite(out["t_train"].to_numpy())] = "no_train_zero"
    flag[~np.isfinite(out["t_eps"].to_numpy())] = "no_test_zero"
    flag[out["diverged"].to_numpy()] = "diverged"
    return flag.astype(str)


def infer_error_quantum(values: ArrayLike, *, max_divisor: int = 64, rel_tol: float = 0.02,
                        max_quantum: float = 0.1) -> float:
    """The test-set quantum (1 / number of test examples) if the error values are its multiples.

    Takes the smallest positive value q0 and tries q0, q0/2, ..., q0/``max_divisor``
    (beyond q0/6 only with at least 8 distinct values, so that a chance fit of a
    small quantum to a few continuous values is improbable: (2 rel_tol)^7 per try).
    Each candidate is refined by least squares on the values it explains
    (doubling the range used each pass), so that rounding in the log (float32
    accuracies: a relative error ~1e-7 of the *accuracy*, i.e. ~1e-4 of the
    smallest error) does not accumulate over thousands of multiples; the first
    candidate for which every positive value is within ``rel_tol`` of an
    integer multiple is returned, snapped to 1/n when 1/q lies within
    ``rel_tol`` of an integer n. Needs at least 3 distinct positive values;
    returns NaN when no quantum fits (continuous errors, e.g. a simulator's
    exact error) or when the quantum exceeds ``max_quantum`` (fewer than 10
    test examples: not a test set, e.g. fractions read as percent).

    Examples
    --------
    >>> round(infer_error_quantum([0.5, 0.25, 0.0625, 0.125, 0.0]), 6)
    0.0625
    >>> import numpy as np
    >>> bool(np.isnan(infer_error_quantum([0.31, 0.1234, 0.0517])))
    True
    >>> acc = (100 * (1 - np.arange(5000) / 5646)).astype(np.float32)  # float32 percent log
    >>> round(1 / infer_error_quantum(1 - acc.astype(float) / 100))
    5646
    """
    v = np.asarray(values, dtype=float)
    v = np.unique(v[np.isfinite(v) & (v > 0)])
    if v.size < 3:
        return float("nan")
    for k in range(1, (max_divisor if v.size >= 8 else min(max_divisor, 6)) + 1):
        q = _refine_quantum(v, v[0] / k, rel_tol)
        if not np.isfinite(q) or q > max_quantum:
            continue
        r = v / q
        if np.all(np.abs(r - np.round(r)) <= rel_tol):
            n = round(1.0 / q)
            return float(1.0 / n) if n >= 1 and abs(1.0 / q - n) <= rel_tol else float(q)
    return float("nan")


def _refine_quantum(v: NDArray[np.float64], q: float, rel_tol: float) -> float:
    """Least-squares quantum on the values up to 2, 4, 8, ... multiples of the current one."""
    m = 2.0
    for _ in range(80):  # 2**80 multiples: far beyond any test set
        if not (np.isfinite(q) and q > 0):
            return float("nan")
        use = v[v <= m * q * (1 + rel_tol)]
        if use.size == 0:  # the smallest value is several quanta: widen
            m *= 2.0
            continue
        r = np.round(use / q)
        if np.any(r < 1) or np.any(np.abs(use / q - r) > rel_tol):
            return float("nan")
        q = float(np.sum(use * r) / np.sum(r * r))
        if use.size == v.size:
            return q
        m *= 2.0
    return float("nan")

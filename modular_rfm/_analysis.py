"""Studies built on :func:`modular_rfm.run_rfm`: the training-fraction phase diagram and the
onsets of the progress measures.

* :func:`phase_diagram` runs ``operation × training fraction × seed`` (Mallinar et al.
  2024, sec. 2: generalisation degrades sharply below a training fraction of about
  0.4) and returns one tidy row per run; :func:`summarise_phase` aggregates any table
  with those columns (also one assembled from a ``grokcheck sweep`` of the ``rfm``
  simulator, see ``docs/examples/rfm_phase.toml``) per (op, fraction) with the seed spread.
* :func:`measure_onsets` asks which progress measure (sec. 3) moves before the test
  accuracy does in one run's curves.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._data import normalise_op
from ._measures import task_direction
from ._rfm import run_rfm
from ._validation import check_int, check_prime, check_real

__all__ = ["phase_diagram", "summarise_phase", "measure_onsets", "PHASE_COLUMNS", "ONSET_MEASURES"]

#: Columns of :func:`phase_diagram`'s table.
PHASE_COLUMNS: list[str] = [
    "p", "op", "train_frac", "seed", "split_seed", "n_train", "n_iter", "final_test_accuracy",
    "max_test_accuracy", "t_50", "t_99", "groks", "flag", "diverged",
]

#: Progress measures compared by :func:`measure_onsets` (``circ_dev_other`` is the
#: circulant deviation in the direction that is *not* the task's).
ONSET_MEASURES: tuple[str, ...] = (
    "test_accuracy", "test_loss", "test_correct_loss", "circ_dev", "circ_dev_other", "struct_dev",
    "alignment", "d_eff",
)


def _first_t(mask: np.ndarray, t: np.ndarray) -> float:
    idx = np.flatnonzero(mask)
    return float(t[idx[0]]) if idx.size else float("nan")


def phase_diagram(
    p: int = 61, ops: Sequence[str] = ("+",), fractions: Sequence[float] = (0.2, 0.3, 0.4, 0.5, 0.6),
    seeds: Iterable[int] = (0, 1, 2), *, n_iter: int = 40, **rfm_kwargs: Any,
) -> pd.DataFrame:
    """Final accuracy and ``t_99`` over ``operation × training fraction × seed``.

    Each cell is ``run_rfm(p, op, frac, n_iter=n_iter, seed=seed, n_runs=1, **rfm_kwargs)``
    (one split per seed; the split seed is recorded).  Diverged runs keep their row with
    ``diverged=True`` and NaN accuracies (never averaged in by :func:`summarise_phase`).

    Parameters
    ----------
    p: prime modulus.
    ops: operations (``'+'``, ``'-'``, ``'*'``, ``'/'`` or aliases).
    fractions: training fractions in ``(0, 1)``.
    seeds: master seeds (``>= 0``), one run each.
    n_iter: RFM iterations per run.
    rfm_kwargs: passed to :func:`modular_rfm.run_rfm` (e.g. ``enforce``, ``kernel``, ``device``).

    Returns
    -------
    pandas.DataFrame
        One row per run with :data:`PHASE_COLUMNS`; ``t_50`` / ``t_99`` are the first
        iterations with test accuracy ``>= 0.5`` / ``>= 0.99`` (NaN if never).

    Examples
    --------
    >>> import modular_rfm as mr
    >>> df = mr.phase_diagram(7, ["+"], [0.5], [0], n_iter=1)
    >>> df[["op", "train_frac", "seed"]].values.tolist()
    [['+', 0.5, 0]]
    """
    p = check_prime("p", p)
    n_iter = check_int("n_iter", n_iter, lo=0)
    ops = [normalise_op(o) for o in ops]
    fracs = [check_real("fractions", f, 0.0, 1.0, lo_open=True, hi_open=True) for f in fractions]
    seeds = [check_int("seeds", s, lo=0) for s in seeds]
    if not ops or not fracs or not seeds:
        raise ValueError("ops, fractions and seeds must each be non-empty")
    rfm_kwargs.setdefault("progress", False)
    for bad in ("p", "op", "train_frac", "seed", "n_runs", "n_iter"):
        if bad in rfm_kwargs:
            raise ValueError(f"rfm_kwargs must not set {bad!r}: it is set by phase_diagram")
    rows = []
    for op in ops:
        for frac in fracs:
            for seed in seeds:
                res = run_rfm(p, op, frac, n_iter=n_iter, seed=seed, n_runs=1, **rfm_kwargs)
                s = res.summary.iloc[0]
                acc = res.curves["test_accuracy"].to_numpy()
                t = res.curves["t"].to_numpy()
                rows.append({
                    "p": p, "op": op, "train_frac": frac, "seed": seed, "split_seed": int(s["split_seed"]),
                    "n_train": res.config["n_train"], "n_iter": n_iter,
                    "final_test_accuracy": float(s["final_test_accuracy"]),
                    "max_test_accuracy": float(np.max(acc)) if acc.size and not s["diverged"] else float("nan"),
                    "t_50": _first_t(acc >= 0.5, t), "t_99": float(s["t_99"]), "groks": bool(s["groks"]),
                    "flag": str(s["flag"]), "diverged": bool(s["diverged"]),
                })
    return pd.DataFrame.from_records(rows, columns=PHASE_COLUMNS)


def summarise_phase(df: pd.DataFrame) -> pd.DataFrame:
    """Aggregate a phase table per ``(op, train_frac)`` over seeds (diverged runs excluded).

    Needs the columns ``op, train_frac, final_test_accuracy, t_99, diverged``.  Returns
    ``op, train_frac, n_runs, n_diverged, n_reached_99, final_acc_mean, final_acc_min,
    final_acc_max, t_99_median, t_99_min, t_99_max`` (``t_99`` over the runs that reached
    99 %; NaN when none did).

    Examples
    --------
    >>> import pandas as pd, modular_rfm as mr
    >>> df = pd.DataFrame({"op": ["+", "+"], "train_frac": [0.5, 0.5], "final_test_accuracy": [1.0, 0.9],
    ...                    "t_99": [18.0, float("nan")], "diverged": [False, False]})
    >>> row = mr.summarise_phase(df).iloc[0]
    >>> int(row["n_runs"]), int(row["n_reached_99"]), float(row["t_99_median"])
    (2, 1, 18.0)
    """
    need = {"op", "train_frac", "final_test_accuracy", "t_99", "diverged"}
    missing = sorted(need - set(df.columns))
    if missing:
        raise ValueError(f"df is missing the column(s) {missing}")
    rows = []
    for (op, frac), g in df.groupby(["op", "train_frac"], sort=True):
        ok = g[~g["diverged"].astype(bool)]
        acc = ok["final_test_accuracy"].to_numpy(dtype=float)
        t99 = ok["t_99"].to_numpy(dtype=float)
        t99 = t99[np.isfinite(t99)]
        nan = float("nan")
        rows.append({
            "op": op, "train_frac": float(frac), "n_runs": int(len(g)), "n_diverged": int(len(g) - len(ok)),
            "n_reached_99": int(t99.size),
            "final_acc_mean": float(acc.mean()) if acc.size else nan,
            "final_acc_min": float(acc.min()) if acc.size else nan,
            "final_acc_max": float(acc.max()) if acc.size else nan,
            "t_99_median": float(np.median(t99)) if t99.size else nan,
            "t_99_min": float(t99.min()) if t99.size else nan,
            "t_99_max": float(t99.max()) if t99.size else nan,
        })
    return pd.DataFrame.from_records(rows)


def measure_onsets(curves: pd.DataFrame, op: str, *, frac: float = 0.1, t_ref: int = 1) -> pd.DataFrame:
    """When does each progress measure start to move, compared with the test accuracy?

    For one run's curves (columns of :data:`modular_rfm.CURVE_COLUMNS`) and each measure
    ``m`` of :data:`ONSET_MEASURES`, with ``Δ = m_T − m_ref`` the total change from
    ``t_ref`` (default 1: at ``t = 0``, ``M = I`` and the circulant deviations are
    undefined) to the last iteration ``T``:

    * ``onset_t`` — the first ``t >= t_ref`` with ``|m_t − m_ref| >= frac · |Δ|``;
    * ``share_at_acc_onset`` — ``(m_{t_a} − m_ref) / Δ`` at the accuracy's own onset
      ``t_a``: the fraction of its total change the measure has made before the test
      accuracy has made ``frac`` of its rise;
    * ``leads_accuracy`` — ``onset_t < t_a``.

    Examples
    --------
    >>> import modular_rfm as mr
    >>> res = mr.run_rfm(7, "+", 0.5, n_iter=3, seed=0, progress=False)
    >>> list(mr.measure_onsets(res.curves, "+")["measure"])[:2]
    ['test_accuracy', 'test_loss']
    """
    op = normalise_op(op)
    frac = check_real("frac", frac, 0.0, 1.0, lo_open=True)
    t_ref = check_int("t_ref", t_ref, lo=0)
    if curves["run"].nunique() > 1:
        raise ValueError("curves must hold one run (filter by the 'run' column first)")
    g = curves[curves["t"] >= t_ref].reset_index(drop=True)
    if len(g) < 2:
        raise ValueError(f"curves need at least two iterations from t_ref={t_ref}")
    other = "circ_dev_hankel" if task_direction(op) == "circulant" else "circ_dev_circulant"
    t = g["t"].to_numpy()

    def onset(x: np.ndarray) -> tuple[float, float]:
        delta = x[-1] - x[0]
        if not np.isfinite(delta) or delta == 0.0:
            return float("nan"), delta
        return _first_t(np.abs(x - x[0]) >= frac * abs(delta), t), delta

    t_acc, _ = onset(g["test_accuracy"].to_numpy())
    rows = []
    for name in ONSET_MEASURES:
        x = g[other if name == "circ_dev_other" else name].to_numpy(dtype=float)
        t_on, delta = onset(x)
        share = float("nan")
        if np.isfinite(t_acc) and np.isfinite(delta) and delta != 0.0:
            share = float((x[int(np.flatnonzero(t == t_acc)[0])] - x[0]) / delta)
        rows.append({"measure": name, "onset_t": t_on, "accuracy_onset_t": t_acc,
                     "share_at_acc_onset": share, "total_change": float(delta),
                     "leads_accuracy": bool(np.isfinite(t_on) and np.isfinite(t_acc) and t_on < t_acc)})
    return pd.DataFrame.from_records(rows)

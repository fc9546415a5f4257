"""The run-set schema: names, required columns and content checks (no I/O).

A *run set* is a directory holding one simulated setting (see
``docs/run-format.md`` for the full specification)::

    NAME/
      manifest.json     schema, generator, full config, seeds, versions, checksums
      curves.parquet    tidy: run, t, test_error[, train_error, ...]
      summary.parquet   one row per run: run, t_train, t_eps, t_G, groks, diverged, ...
      features.npz      optional named arrays (no pickles)
      fits.json         optional: written once by ``grokcheck fit``

The checks here are shared by the writer, the loader and the table loader;
each returns a list of problems so that all of them are reported together.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["has_repeated_run_t", "SCHEMA_NAME", "SCHEMA_VERSION", "CURVES_REQUIRED", "SUMMARY_REQUIRED", "MANIFEST_REQUIRED",
           "DATA_FILES", "RunSet", "check_frame", "content_problems", "summary_problems", "normalise", "seeds_of"]

SCHEMA_NAME = "grokcheck.runset"
SCHEMA_VERSION = 1
CURVES_REQUIRED: tuple[str, ...] = ("run", "t", "test_error")
SUMMARY_REQUIRED: tuple[str, ...] = ("run", "t_train", "t_eps", "t_G", "groks", "diverged")
MANIFEST_REQUIRED: tuple[str, ...] = (
    "schema", "schema_version", "generator", "config", "seeds",
    "package_versions", "created", "files", "n_runs",
)
DATA_FILES = ("curves.parquet", "summary.parquet", "features.npz")


@dataclass
class RunSet:
    """One simulated setting: the simulator contract plus its manifest.

    Attributes
    ----------
    config : JSON-serialisable dict (generator, every parameter, seeds).
    curves : tidy table ``run, t, test_error[, train_error, ...]``.
    summary : one row per run ``run, t_train, t_eps, t_G, groks, diverged, ...``.
    features : named numpy arrays (may be empty).
    manifest : the manifest (filled by :func:`write_runset` / :func:`load_runset`).
    path : where it lives on disk, if anywhere.
    """

    config: dict[str, Any]
    curves: pd.DataFrame
    summary: pd.DataFrame
    features: dict[str, np.ndarray] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def generator(self) -> str:
        return str(self.config.get("generator", self.manifest.get("generator", "unknown")))

    @property
    def name(self) -> str:
        if self.path is not None:
            return self.path.name
        return str(self.config.get("name", self.generator))

    @property
    def n_runs(self) -> int:
        return int(self.summary["run"].nunique()) if "run" in self.summary else 0


def seeds_of(config: Mapping[str, Any]) -> list[int]:
    seeds: list[int] = []
    for key in ("seeds", "seed"):
        val = config.get(key)
        if isinstance(val, (int, np.integer)) and not isinstance(val, bool):
            seeds.append(int(val))
        elif isinstance(val, (list, tuple)):
            seeds.extend(int(v) for v in val if isinstance(v, (int, np.integer)))
    return sorted(set(seeds))


def check_frame(name: str, df: Any, required: Iterable[str]) -> list[str]:
    if not isinstance(df, pd.DataFrame):
        return [f"{name} must be a pandas DataFrame, got {type(df).__name__}"]
    missing = [c for c in required if c not in df.columns]
    return [f"{name} is missing columns {missing}"] if missing else []


def has_repeated_run_t(curves: pd.DataFrame) -> bool:
    """True when some (run, t) pair occurs twice (NaN equal to NaN, as in ``DataFrame.duplicated``).

    Integer codes and one sort instead of hashing the run labels with the times: a few
    int64 arrays of the table's length, whatever the labels' type.

    >>> has_repeated_run_t(pd.DataFrame({"run": ["a", "a", "b"], "t": [0.0, 1.0, 0.0]}))
    False
    """
    codes = pd.factorize(curves["run"], use_na_sentinel=False)[0]
    t = pd.factorize(curves["t"], use_na_sentinel=False)[0]
    if codes.size < 2:
        return False
    order = np.lexsort((t, codes))
    c, tt = codes[order], t[order]
    return bool(np.any((c[1:] == c[:-1]) & (tt[1:] == tt[:-1])))


def content_problems(curves: pd.DataFrame, summary: pd.DataFrame | None) -> list[str]:
    """Semantic checks shared by the writer, the loader and the table loader."""
    problems: list[str] = []
    for col in ("t", "test_error", "train_error"):
        if col in curves and not pd.api.types.is_numeric_dtype(curves[col]):
            problems.append(f"curves column {col!r} must be numeric, got {curves[col].dtype}")
    if problems:
        return problems
    if "run" in curves and curves["run"].isna().any():
        problems.append(f"curves has {int(curves['run'].isna().sum())} rows with a missing run id")
    if "t" in curves:
        bad = ~np.isfinite(curves["t"].to_numpy(dtype=float))
        if bad.any():
            problems.append(f"curves column 't' has {int(bad.sum())} non-finite times (NaN/inf), "
                            f"first in run {curves.loc[bad, 'run'].iloc[0] if 'run' in curves else '?'}")
    if "test_error" in curves:
        e = curves["test_error"].to_numpy(dtype=float)
        out = np.isfinite(e) & ((e < 0) | (e > 1))
        if out.any():
            problems.append(f"curves column 'test_error' has {int(out.sum())} values outside [0, 1]")
    if "run" in curves and "t" in curves and not problems:
        # exact duplicate rows are harmless (dropped on writing); conflicting ones are not
        dup = curves.drop_duplicates().duplicated(subset=["run", "t"]) if has_repeated_run_t(curves) else np.zeros(1, bool)
        if dup.any():
            problems.append(f"curves has {int(dup.sum())} (run, t) pairs with conflicting values")
    if summary is not None and "run" in summary and "run" in curves:
        if summary["run"].duplicated().any():
            problems.append("summary has duplicated run ids")
        missing = set(curves["run"].dropna().unique()) - set(summary["run"].unique())
        if missing:
            problems.append(f"{len(missing)} runs have curves but no summary row "
                            f"(e.g. run {sorted(missing)[0]})")
    return problems


_TIME_COLS = ("t_train", "t_eps", "t_G")


def _is_bool_column(col: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(col):
        return True
    vals = col.dropna()
    return col.dtype == object and bool(vals.map(lambda v: isinstance(v, (bool, np.bool_))).all())


def summary_problems(summary: pd.DataFrame) -> list[str]:
    """Checks of the summary table: flag and time types, and the grokking times.

    ``groks``/``diverged`` are booleans; times are numbers, never ±inf except ``t_train``/
    ``t_eps`` = +inf ("not reached"); on a grokking run with a finite ``t_G``,
    ``t_G = t_eps - t_train >= 0`` (within rounding) and ``t_eps`` is finite.
    """
    problems: list[str] = []
    for col in ("groks", "diverged"):
        if col in summary and not _is_bool_column(summary[col]):
            problems.append(f"summary column {col!r} must be boolean (true/false), got {summary[col].dtype}")
    for col in _TIME_COLS:
        if col in summary and not pd.api.types.is_numeric_dtype(summary[col]):
            problems.append(f"summary column {col!r} must be numeric, got {summary[col].dtype}")
    if "run" in summary and not pd.api.types.is_integer_dtype(summary["run"]):
        r = pd.to_numeric(summary["run"], errors="coerce").to_numpy(dtype=float)
        if not np.all(np.isfinite(r) & (r == np.round(r))):
            problems.append("summary column 'run' must hold integer run ids")
    if problems or not all(c in summary for c in (*_TIME_COLS, "groks")):
        return problems
    tt, te, tg = (summary[c].to_numpy(dtype=float) for c in _TIME_COLS)
    groks = summary["groks"].to_numpy(dtype=bool).copy()
    if "status" in summary:  # "not_reached": groks at t = inf but t_eps beyond the horizon
        groks &= summary["status"].astype(str).to_numpy() == "groks"
    # t_G = t_eps - t_train may be negative (test error zero before training error, e.g. scenario A/B);
    # it is checked for consistency below, and the analysis leaves t_G <= 0 out of the law with a note
    for name, v in (("t_train", tt), ("t_eps", te)):
        if np.any(v < 0):
            problems.append(f"summary column {name!r} has {int(np.sum(v < 0))} negative values (times are >= 0)")
    if np.any(np.isinf(tg)):
        problems.append(f"summary column 't_G' has {int(np.isinf(tg).sum())} infinite values")
    bad_te = groks & np.isinf(te)
    if bad_te.any():
        problems.append(f"{int(bad_te.sum())} grokking runs have an infinite t_eps")
    timed = groks & np.isfinite(tg)
    if np.any(timed & ~(np.isfinite(te) & np.isfinite(tt))):
        problems.append("grokking runs with a finite t_G need finite t_train and t_eps")
    with np.errstate(invalid="ignore"):
        off = timed & (np.abs(tg - (te - tt)) > 1e-9 * np.maximum(1.0, np.abs(te)) + 1e-12)
    if off.any():
        problems.append(f"{int(off.sum())} runs have t_G != t_eps - t_train (inconsistent times)")
    untimed = groks & np.isnan(tg) & np.isfinite(te) & np.isfinite(tt)
    if untimed.any():
        problems.append(f"{int(untimed.sum())} grokking runs have finite t_train and t_eps but no t_G")
    return problems


def normalise(curves: pd.DataFrame, summary: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Integer run ids, exact duplicate rows dropped, curves sorted by (run, t), summary by run.

    Copy-on-write frames: nothing is copied when the curves have no duplicate row and are
    already sorted (a log as most loggers write it), so a 2-million-row log is not held twice
    more (the same result as ``drop_duplicates().sort_values(["run", "t"], kind="mergesort")``).
    """
    from ..estimate.transitions import sorted_by_run_t

    summary = summary.copy()
    if curves["run"].dtype != np.int64:
        curves = curves.assign(run=curves["run"].astype("int64"))
    summary["run"] = summary["run"].astype("int64")
    for col in ("groks", "diverged"):
        if col in summary:
            summary[col] = summary[col].astype(bool)
    dup = curves.duplicated().to_numpy()
    if dup.any():
        curves = curves.loc[~dup]
    if not sorted_by_run_t(curves):
        curves = curves.sort_values(["run", "t"], kind="mergesort")
    curves = curves.reset_index(drop=True)
    summary = summary.sort_values("run", kind="mergesort").reset_index(drop=True)
    return curves, summary

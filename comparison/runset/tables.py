"""External tables: a tidy curves table from any source becomes an in-memory run set.

The summary of an external table (t_train, t_eps, t_G, groks, diverged) is
derived from its curves with an explicit zero-error tolerance.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import RunSetError
from .schema import CURVES_REQUIRED, RunSet, check_frame, content_problems, normalise
from .store import load_runset

__all__ = ["runset_from_curves", "load_table", "load_any"]


def runset_from_curves(curves: pd.DataFrame, *, config: Mapping[str, Any] | None = None,
                       zero_tol: float = 0.0) -> RunSet:
    """Build an in-memory run set from a tidy table ``run, t, test_error[, train_error]``.

    The summary is derived with :func:`comparison.detect_transitions` at the given
    zero-error tolerance. Problems raise ``ValueError`` listing them all.
    """
    from ..estimate.transitions import detect_transitions

    problems = check_frame("table", curves, CURVES_REQUIRED)
    if not problems:
        problems = content_problems(curves, None)
    if problems:
        raise ValueError("; ".join(problems))
    if not pd.api.types.is_integer_dtype(curves["run"]):
        codes, uniques = pd.factorize(curves["run"], sort=True)
        curves = curves.assign(run_label=curves["run"].astype(str), run=codes)
    summary = detect_transitions(curves, zero_tol=zero_tol)
    cfg = {"generator": "external", "zero_tol": zero_tol, **dict(config or {})}
    c, s = normalise(curves, summary)
    return RunSet(config=cfg, curves=c, summary=s)


def load_table(path: str | os.PathLike[str], *, zero_tol: float = 0.0) -> RunSet:
    """Load an external tidy table (``.csv`` or ``.parquet``) with columns
    ``run, t, test_error`` (``train_error`` optional) as a run set.

    The summary (t_train, t_eps, t_G, groks, diverged) is derived from the curves
    with the explicit zero-error tolerance ``zero_tol``.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such table {str(p)!r}")
    suffix = p.suffix.lower()
    try:
        if suffix == ".csv":
            df = pd.read_csv(p)
        elif suffix in (".parquet", ".pq"):
            df = pd.read_parquet(p)
        else:
            raise RunSetError(p, [f"unknown table type {suffix!r}; use .csv or .parquet"])
    except RunSetError:
        raise
    except Exception as exc:
        msg = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise RunSetError(p, [f"cannot be read ({msg})"]) from exc
    try:
        rs = runset_from_curves(df, config={"source": p.name}, zero_tol=zero_tol)
    except ValueError as exc:
        raise RunSetError(p, [str(exc)]) from exc
    rs.path = p
    return rs


def load_any(path: str | os.PathLike[str], *, zero_tol: float = 0.0) -> RunSet:
    """A run set directory, or an external ``.csv``/``.parquet`` table."""
    p = Path(path)
    if p.is_dir():
        return load_runset(p)
    if p.exists():
        return load_table(p, zero_tol=zero_tol)
    raise FileNotFoundError(f"no such run set or table {str(p)!r}")

"""A received fits file is a cache, checked against the data it claims (issue 26, item 3).

Checksums say that the input files are the ones a fits file was made from, but whoever
wrote the fits file could have written those checksums too. So a fits file is used
instead of a fresh fit only when, besides its fingerprint
(:func:`~comparison.pipeline.identity.is_current`), its numbers agree with the data:

* its counts are self-consistent (``n_groks <= n_ok <= n_runs``, ``n_ok = n_runs -
  n_diverged``, ``p_grok = n_groks / n_ok``, every count a non-negative integer) and its
  grokking times are at most ``n_groks`` finite positive numbers;
* for a run-set directory, the counts equal those re-derived from ``summary.parquet``
  (:func:`comparison.agreement.analyse.summary_counts`) and the grokking times are those
  of the summary's grokking runs.

A fits file that disagrees is *stale*: it is refitted, never reported (a 40-run set
forged to say 5000 runs is fitted afresh and reported as 40).

Examples
--------
>>> counts_problem({"n_runs": 40, "n_diverged": 0, "n_ok": 40, "n_groks": 5000, "p_grok": 125.0})
'n_groks 5000 > n_ok 40'
>>> counts_problem({"n_runs": 4, "n_diverged": 0, "n_ok": 4, "n_groks": 1, "p_grok": 0.25}) is None
True
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

__all__ = ["counts_problem", "fits_disagreement"]

_INTS = ("n_runs", "n_diverged", "n_ok", "n_groks")


def counts_problem(counts: Any) -> str | None:
    """What is inconsistent in a fits file's ``counts``, or None.

    Parameters
    ----------
    counts : object
        The ``counts`` object of a fits file.

    Examples
    --------
    >>> counts_problem({"n_runs": 2})
    "counts lack 'n_diverged'"
    """
    if not isinstance(counts, dict):
        return "counts is not an object"
    for k in _INTS:
        v = counts.get(k)
        if v is None:
            return f"counts lack {k!r}"
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            return f"counts {k} is {v!r}, not a non-negative integer"
    n, d, ok, g = (counts[k] for k in _INTS)
    if ok != n - d:
        return f"n_ok {ok} != n_runs {n} - n_diverged {d}"
    if g > ok:
        return f"n_groks {g} > n_ok {ok}"
    p = counts.get("p_grok")
    if ok and not (isinstance(p, (int, float)) and math.isclose(float(p), g / ok, rel_tol=1e-9, abs_tol=1e-12)):
        return f"p_grok {p!r} != n_groks / n_ok = {g / ok:g}"
    return None


def _times(doc: dict[str, Any]) -> list[float] | None:
    tg = doc.get("t_G")
    vals = tg.get("values") if isinstance(tg, dict) else None
    if not isinstance(vals, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
        return None
    return [float(v) for v in vals]


def fits_disagreement(doc: dict[str, Any], path: Any) -> str | None:
    """Why the fits document ``doc`` disagrees with the data of ``path`` (None: it agrees).

    Parameters
    ----------
    doc : dict
        The fits document (strictly read).
    path : path or list of paths
        The input it claims: a run-set directory, or one or more logs (only the
        self-consistency checks apply to logs).
    """
    counts = doc.get("counts")
    bad = counts_problem(counts)
    if bad:
        return bad
    times = _times(doc)
    if times is None or not all(math.isfinite(v) and v > 0 for v in times) or len(times) > counts["n_groks"]:
        return "t_G values are not at most n_groks finite positive times"
    p = Path(path) if not isinstance(path, (list, tuple)) else None
    if p is None or not p.is_dir():
        return None
    return _runset_disagreement(p, counts, times)


def _runset_disagreement(root: Path, counts: dict[str, Any], times: list[float]) -> str | None:
    import numpy as np
    import pandas as pd

    from ..agreement.analyse import summary_counts

    try:
        s = pd.read_parquet(root / "summary.parquet")
        fresh, groks = summary_counts(s)
    except Exception as exc:   # unreadable data: the loader will name the problem; never trust the cache
        return f"summary.parquet cannot be read ({exc.__class__.__name__})"
    for k in _INTS:
        if counts[k] != fresh[k]:
            return f"counts {k} is {counts[k]}, summary.parquet has {fresh[k]}"
    tg = s.loc[groks, "t_G"].to_numpy(dtype=float) if "t_G" in s else np.empty(0)
    tg = tg[np.isfinite(tg) & (tg > 0)]
    if not np.isin(np.asarray(times, dtype=float), tg).all():
        return "t_G values are not grokking times of summary.parquet"
    return None

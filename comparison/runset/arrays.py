"""Reading NumPy histories (``.npy``, ``.npz``) as log tables: one array per metric.

* ``.npz``: one named array per metric. 1-D arrays of equal length are one run
  (one row per step); 2-D arrays are runs × steps (a ``run`` column, the row
  index, is added). A time array (1-D, one value per step) may be among them;
  without one, the step index is the time (column ``t``, the default
  ``--time-col``).
* ``.npy``: a structured array (one field per metric; 1-D, or 2-D runs × steps),
  or a plain 1-D / 2-D array, which is the one metric named by the file's stem
  (``test_error.npy`` → column ``test_error``).

Pickled objects are never loaded (``allow_pickle=False``), and the sizes are
capped like the other tables (:func:`~comparison.runset.logs.input_limits`:
bytes after decompression, rows) before the arrays are read.

>>> import tempfile, os
>>> d = tempfile.mkdtemp()
>>> np.savez(os.path.join(d, "h.npz"), test_error=np.array([[1, .5, 0], [1, 1, .2]]))
>>> df = read_array_log(os.path.join(d, "h.npz"), max_bytes=10 ** 6, max_rows=10 ** 6)
>>> list(df.columns), len(df)
(['test_error', 'run', 't'], 6)
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["ARRAY_SUFFIXES", "read_array_log"]

ARRAY_SUFFIXES = (".npy", ".npz")


def _too_big(p: Path, what: str, n: int, limit: int, unit: str) -> ValueError:
    return ValueError(f"{str(p)!r} holds {n:,} {unit} ({what}), more than the limit of {limit:,} for one table "
                      "(raise it with GROKCHECK_MAX_MEM_GB, or split the log)")


def _npz_arrays(p: Path, max_bytes: int) -> dict[str, np.ndarray]:
    try:
        with zipfile.ZipFile(p) as z:
            total = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{str(p)!r} is not a valid .npz file ({exc})") from exc
    if total > max_bytes:
        raise _too_big(p, "after decompression", total, max_bytes, "bytes")
    try:
        with np.load(p, allow_pickle=False) as z:
            return {k: np.asarray(z[k]) for k in z.files}
    except ValueError as exc:
        raise ValueError(f"{str(p)!r}: {str(exc).splitlines()[0]} (object arrays are refused: "
                         "allow_pickle=False)") from exc


def _npy_arrays(p: Path, max_bytes: int) -> dict[str, np.ndarray]:
    if p.stat().st_size > max_bytes:
        raise _too_big(p, "on disk", p.stat().st_size, max_bytes, "bytes")
    try:
        a = np.load(p, allow_pickle=False)
    except ValueError as exc:
        raise ValueError(f"{str(p)!r}: {str(exc).splitlines()[0]} (object arrays are refused: "
                         "allow_pickle=False)") from exc
    if a.dtype.names:
        return {n: np.asarray(a[n]) for n in a.dtype.names}
    return {p.name.split(".")[0]: a}


def _frame(p: Path, arrays: dict[str, np.ndarray], max_rows: int) -> pd.DataFrame:
    if not arrays:
        raise ValueError(f"{str(p)!r} holds no arrays")
    bad = {k: a.shape for k, a in arrays.items() if a.ndim not in (1, 2) or a.dtype.kind not in "biuf"}
    if bad:
        raise ValueError(f"{str(p)!r}: every array must be numeric and 1-D (steps) or 2-D (runs x steps); "
                         f"got {bad}")
    two = {k: a for k, a in arrays.items() if a.ndim == 2}
    steps = {a.shape[-1] for a in arrays.values()}
    runs = {a.shape[0] for a in two.values()}
    if len(steps) > 1 or len(runs) > 1:
        shapes = {k: a.shape for k, a in arrays.items()}
        raise ValueError(f"{str(p)!r}: the arrays disagree in shape {shapes}; all need the same number of steps "
                         "(and of runs, for 2-D arrays)")
    n_steps, n_runs = steps.pop(), (runs.pop() if runs else 1)
    if n_steps * n_runs > max_rows:
        raise _too_big(p, f"{n_runs} runs x {n_steps} steps", n_steps * n_runs, max_rows, "rows")
    cols = {k: (a.reshape(-1) if a.ndim == 2 else np.tile(a, n_runs)) for k, a in arrays.items()}
    if two:
        cols.setdefault("run", np.repeat(np.arange(n_runs), n_steps))
    cols.setdefault("t", np.tile(np.arange(n_steps), n_runs))
    return pd.DataFrame(cols)


def read_array_log(path: str | Path, *, max_bytes: int, max_rows: int) -> pd.DataFrame:
    """One ``.npy`` / ``.npz`` history as a table (see the module docstring).

    Parameters
    ----------
    path : str or Path
        The file.
    max_bytes, max_rows : int
        The caps of :func:`~comparison.runset.logs.input_limits`.

    Returns
    -------
    pandas.DataFrame
        One column per metric, plus ``run`` (2-D arrays) and ``t`` (the step index) when absent.
    """
    p = Path(path)
    suf = p.suffix.lower()
    if suf not in ARRAY_SUFFIXES:
        raise ValueError(f"{str(p)!r}: an array log must end in .npy or .npz, got {suf!r}")
    arrays = _npz_arrays(p, max_bytes) if suf == ".npz" else _npy_arrays(p, max_bytes)
    return _frame(p, arrays, max_rows)

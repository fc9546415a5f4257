"""Reading training logs as researchers write them: formats, column mapping, scale.

One file is one run unless it has a run column. Formats (by suffix, ``.gz``
allowed): CSV (``.csv``), TSV (``.tsv``, ``.tab``), parquet (``.parquet``,
``.pq``), JSON (``.json``: a list of records, or a dict of equal-length lists)
and JSON lines (``.jsonl``, ``.ndjson``), NumPy histories (``.npy``, ``.npz``:
one array per metric, see :mod:`comparison.runset.arrays`). Columns are mapped with
:class:`ColumnMap` (the CLI's ``--time-col``, ``--error-col`` /
``--accuracy-col``, ``--train-error-col`` / ``--train-accuracy-col``,
``--run-col``); accuracies become errors (E = 1 − accuracy) after the scale
(fraction or percent) is settled by :func:`decide_scale`.

Losses are never read as error rates: a column given as an error or accuracy
whose name marks it as a loss (:func:`loss_like_name`: ``loss``,
``cross_entropy``, ``nll``, a ``ce`` word, ...) is refused, and so is one
whose values lie outside [0, 1] and outside [0, 100] (not a fraction, not a
percent). Losses are named with ``--test-loss-col`` / ``--train-loss-col``
(keys ``test_loss`` / ``train_loss``) and give loss-based onsets instead.

>>> m = ColumnMap.from_mapping({"time": "step", "accuracy": "val_acc"})
>>> (m.time, m.test, m.test_is_accuracy)
('step', 'val_acc', True)
"""
from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["COLUMN_KEYS", "SCALES", "ColumnMap", "read_log", "mapped_frame", "decide_scale", "run_labels",
           "loss_like_name", "LOSS_OPTIONS", "input_limits"]

COLUMN_KEYS = ("time", "error", "accuracy", "train_error", "train_accuracy", "run", "test_loss", "train_loss",
               "measures")
LOSS_OPTIONS = ("give a loss with --test-loss-col or --train-loss-col (Python: columns={'test_loss': ...}) "
                "and --loss-threshold for a loss-based onset")
_LOSS_WORDS = ("loss", "cross_entropy", "crossentropy", "nll", "xent", "perplexity")
_LOSS_TOKENS = ("ce", "bce", "mse", "ppl")
SCALES = ("fraction", "percent", "auto")
_CSV = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_ONE = 1 + 1e-9   # values up to 1 + 1e-9 (rounding of a computed fraction) read as at most 1


@dataclass(frozen=True)
class ColumnMap:
    """Which column of a log is the time, the test value, the train value, the run id."""

    time: str = "t"
    test: str = "test_error"
    test_is_accuracy: bool = False
    train: str | None = "train_error"
    train_is_accuracy: bool = False
    train_explicit: bool = False
    run: str | None = "run"
    run_explicit: bool = False
    test_explicit: bool = False
    test_loss: str | None = None
    train_loss: str | None = None
    measures: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, columns: Mapping[str, str | None] | None) -> "ColumnMap":
        """Build from ``{"time": ..., "error" | "accuracy": ..., "train_error" |
        "train_accuracy": ..., "run": ...}`` (missing keys: the canonical names)."""
        cols = {k: v for k, v in dict(columns or {}).items() if v is not None}
        measures = tuple(cols.pop("measures", ()) or ())
        if isinstance(measures, str) or not all(isinstance(m, str) and m for m in measures):
            raise ValueError(f"columns['measures'] must be a list of column names, got {measures!r}")
        unknown = sorted(set(cols) - set(COLUMN_KEYS))
        if unknown:
            raise ValueError(f"columns has unknown keys {unknown}; allowed: {list(COLUMN_KEYS)}")
        for a, b in (("error", "accuracy"), ("train_error", "train_accuracy")):
            if a in cols and b in cols:
                raise ValueError(f"columns: give either {a!r} or {b!r}, not both")
        for k, v in cols.items():
            if not isinstance(v, str) or not v:
                raise ValueError(f"columns[{k!r}] must be a non-empty column name, got {v!r}")
        return cls(time=cols.get("time", "t"),
                   test=cols.get("accuracy", cols.get("error", "test_error")),
                   test_is_accuracy="accuracy" in cols,
                   train=cols.get("train_accuracy", cols.get("train_error", "train_error")),
                   train_is_accuracy="train_accuracy" in cols,
                   train_explicit=("train_error" in cols or "train_accuracy" in cols),
                   run=cols.get("run", "run"), run_explicit="run" in cols,
                   test_explicit=("error" in cols or "accuracy" in cols),
                   test_loss=cols.get("test_loss"), train_loss=cols.get("train_loss"), measures=measures)

    def as_dict(self) -> dict[str, Any]:
        out = {"time": self.time, ("accuracy" if self.test_is_accuracy else "error"): self.test,
               ("train_accuracy" if self.train_is_accuracy else "train_error"): self.train, "run": self.run}
        out.update({k: v for k, v in (("test_loss", self.test_loss), ("train_loss", self.train_loss)) if v})
        return {**out, "measures": list(self.measures)} if self.measures else out

    def losses(self) -> dict[str, str]:
        """``{"test_loss": column, "train_loss": column}`` for the loss columns named."""
        return {k: v for k, v in (("test_loss", self.test_loss), ("train_loss", self.train_loss)) if v}


def loss_like_name(name: str) -> str | None:
    """The part of a column name that marks it as a loss, or None.

    >>> [loss_like_name(n) for n in ("val_loss", "test_cross_entropy", "valCE", "balanced_acc", "val_acc")]
    ['loss', 'cross_entropy', 'ce', None, None]
    """
    low = str(name).lower()
    for w in _LOSS_WORDS:
        if w in low:
            return w
    words = re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name)).lower())
    return next((w for w in words if w in _LOSS_TOKENS), None)


def _refuse_loss(col: str, what: str, flag: str) -> None:
    word = loss_like_name(col)
    if word is not None:
        raise ValueError(f"column {col!r} ({flag}) looks like a loss (its name contains {word!r}), not an {what}: "
                         f"losses are never read as error rates; {LOSS_OPTIONS}")


def _suffix(p: Path) -> str:
    s = [x.lower() for x in p.suffixes]
    if s and s[-1] == ".gz":
        s = s[:-1]
    return s[-1] if s else ""


def _read_json(raw: str, p: Path) -> pd.DataFrame:
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        if "Extra data" in str(exc):  # several documents: JSON lines under a .json name
            return pd.read_json(io.StringIO(raw), lines=True)
        raise
    if isinstance(doc, list):
        if not all(isinstance(r, dict) for r in doc):
            raise ValueError("a JSON list must hold one object (record) per row")
        return pd.DataFrame.from_records(doc)
    if isinstance(doc, dict):
        lists = {k: v for k, v in doc.items() if isinstance(v, list)}
        if not lists:
            raise ValueError("a JSON object must map column names to lists of values")
        lengths = {k: len(v) for k, v in lists.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"a JSON dict of lists needs equal-length lists, got lengths {lengths}")
        return pd.DataFrame(lists)
    raise ValueError(f"JSON top level must be a list of records or a dict of lists, got {type(doc).__name__}")


def read_log(path: str | Path) -> pd.DataFrame:
    """Read one log file into a DataFrame (format from the suffix; see the module docstring).

    Sizes are capped before they are read whole (:func:`input_limits`): the bytes of the file
    after decompression (a 1 MB ``.csv.gz`` may expand to 1 GB) and its number of rows."""
    p = Path(path)
    suf = _suffix(p)
    max_bytes, max_rows = input_limits()
    if suf in (".parquet", ".pq"):
        _check_parquet_rows(p, max_rows)
        return pd.read_parquet(p)
    if suf in (".npy", ".npz") and p.suffix.lower() == suf:
        from .arrays import read_array_log

        return read_array_log(p, max_bytes=max_bytes, max_rows=max_rows)
    if suf not in _CSV and suf not in (".json", ".jsonl", ".ndjson"):
        raise ValueError(f"unknown table type {suf!r}; use .csv, .tsv, .parquet, .json, .jsonl, .npy or .npz")
    if suf in _CSV:
        _check_header(p, _CSV[suf], max_bytes)
    with _Bounded(p, max_bytes) as fh:
        if suf in _CSV:
            df = pd.read_csv(fh, sep=_CSV[suf], nrows=max_rows + 1)
        elif suf == ".json":
            df = _read_json(fh.read().decode("utf-8"), p)
        else:
            df = pd.read_json(io.StringIO(fh.read().decode("utf-8")), lines=True)
    if len(df) > max_rows:
        raise ValueError(f"{str(p)!r} has more than {max_rows:,} rows, the limit for one table (raise it with "
                         "GROKCHECK_MAX_MEM_GB, or split the log)")
    return df


def _check_header(p: Path, sep: str, max_bytes: int) -> None:
    """Refuse a delimited log whose header names a column twice (pandas would rename the second
    ``x.1`` and the first would be read silently)."""
    import csv

    with _Bounded(p, max_bytes) as raw:
        text = io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8-sig", errors="replace", newline="")
        header = next(csv.reader(text, delimiter=sep), [])
    dup = sorted({c for c in header if header.count(c) > 1})
    if dup:
        raise ValueError(f"{str(p)!r} names the column(s) {dup} more than once; give every column its own name")


def input_limits() -> tuple[int, int]:
    """(bytes after decompression, rows) that one table may have: ``GROKCHECK_MAX_MEM_GB`` / 32
    and / 1600 bytes (512 MiB and about 10.7 million rows at the default 16 GiB; parsed, a table
    takes a few times its text)."""
    from ..simulators import memory_limit_bytes

    limit = memory_limit_bytes()
    return int(limit / 32), int(limit / 1600)


class _Bounded(io.RawIOBase):
    """A read-only stream of ``path`` (decompressed for ``.gz``) that refuses to yield more than
    ``limit`` bytes: a small compressed file cannot expand into the whole memory."""

    def __init__(self, path: Path, limit: int):
        import gzip

        self.path, self.limit, self.seen = path, limit, 0
        self.fh = gzip.open(path, "rb") if path.suffix.lower() == ".gz" else open(path, "rb")

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self.fh.readinto(b)
        self.seen += n
        if self.seen > self.limit:
            raise ValueError(f"{str(self.path)!r} holds more than {self.limit / 2 ** 30:.3g} GiB of data "
                             "(after decompression), the limit for one table (raise it with GROKCHECK_MAX_MEM_GB)")
        return n

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            out = bytearray()
            while chunk := super().read(1 << 20):
                out += chunk
            return bytes(out)
        return super().read(size)

    def close(self) -> None:
        self.fh.close()
        super().close()


def _check_parquet_rows(p: Path, max_rows: int) -> None:
    import pyarrow.parquet as pq

    n = pq.ParquetFile(p).metadata.num_rows
    if n > max_rows:
        raise ValueError(f"{str(p)!r} has {n:,} rows, more than the limit of {max_rows:,} for one table "
                         "(raise it with GROKCHECK_MAX_MEM_GB, or split the log)")


def _need(df: pd.DataFrame, col: str, flag: str, what: str) -> list[str]:
    if col in df.columns:
        return []
    avail = ", ".join(map(str, df.columns[:20]))
    return [f"missing columns [{col!r}] (the {what} column; choose one with {flag}; columns are: {avail})"]


def _mapped_names(df: pd.DataFrame, cmap: ColumnMap) -> dict[str, str | None]:
    """The log column behind each mapped name (None: not used); refuses losses given as error rates."""
    loss_only = bool(cmap.losses()) and not cmap.test_explicit and cmap.test not in df.columns
    names: dict[str, str | None] = {"t": cmap.time, "test": None if loss_only else cmap.test}
    names["train"] = cmap.train if (cmap.train is not None and (cmap.train_explicit or cmap.train in df.columns)) \
        else None
    names.update(cmap.losses())
    names["run"] = cmap.run if (cmap.run is not None and (cmap.run_explicit or cmap.run in df.columns)) else None
    if names["test"] is not None:
        _refuse_loss(names["test"], "accuracy" if cmap.test_is_accuracy else "error rate",
                     "--accuracy-col" if cmap.test_is_accuracy else "--error-col")
    if names["train"] is not None and cmap.train_explicit:
        _refuse_loss(names["train"], "accuracy" if cmap.train_is_accuracy else "error rate",
                     "--train-accuracy-col" if cmap.train_is_accuracy else "--train-error-col")
    problems = _need(df, cmap.time, "--time-col", "time")
    if names["test"] is not None:
        problems += _need(df, cmap.test, "--accuracy-col" if cmap.test_is_accuracy else
                          "--error-col or --accuracy-col (or --test-loss-col for a loss-only log)",
                          "test accuracy" if cmap.test_is_accuracy else "test error")
    for key, flag, what in (("train", "--train-error-col or --train-accuracy-col", "train"),
                            ("test_loss", "--test-loss-col", "test loss"),
                            ("train_loss", "--train-loss-col", "train loss"), ("run", "--run-col", "run")):
        if names.get(key) is not None:
            problems += _need(df, str(names[key]), flag, what)
    if problems:
        raise ValueError("; ".join(problems))
    for m in cmap.measures:
        _check_measure(df, m)
        names[f"measure:{m}"] = m
    return names


def _check_measure(df: pd.DataFrame, col: str) -> None:
    """A ``--measure-col`` must name a numeric column of the log (one-line error naming the columns)."""
    avail = ", ".join(map(str, df.columns[:30]))
    if col not in df.columns:
        raise ValueError(f"--measure-col {col!r}: no such column; columns are: {avail}")
    v = df[col]
    bad = pd.to_numeric(v, errors="coerce").isna() & v.notna()
    if bad.any():
        raise ValueError(f"--measure-col {col!r} is not numeric (e.g. {v[bad].iloc[0]!r}); columns are: {avail}")


def mapped_frame(df: pd.DataFrame, cmap: ColumnMap, label: str) -> pd.DataFrame:
    """The mapped columns of one log as ``run, t[, test, train, test_loss, train_loss]`` (raw values, not
    yet scaled; no ``test`` column for a loss-only log: loss columns named, no error or accuracy column).

    ``run`` is ``label`` (the file's name) unless the log has the run column,
    then ``label:run-id`` (or the run id alone when ``label`` is empty).
    """
    names = _mapped_names(df, cmap)
    out = pd.DataFrame({k: pd.to_numeric(df[c], errors="coerce") for k, c in names.items()
                        if c is not None and k != "run"})
    for key, what in (("t", "time"), ("test", "test"), ("test_loss", "test loss"), ("train_loss", "train loss")):
        col = names.get(key)
        if col is None:
            continue
        bad = df[col].notna() & out[key].isna()
        if bad.any():
            raise ValueError(f"{what} column {col!r} has {int(bad.sum())} non-numeric values "
                             f"(e.g. {df.loc[bad, col].iloc[0]!r})")
    run = names["run"]
    out["run"] = _run_labels(df[run], label) if run is not None else label
    return out


def _run_labels(ids: pd.Series, label: str) -> np.ndarray:
    """``label:id`` (or ``id`` alone when ``label`` is empty) per row, NaN where the id is missing.

    The same strings as ``ids.astype(str)``, built once per distinct id: the rows share the
    string objects, so a 2-million-row log with 20 000 runs holds 20 000 strings, not 2 million.

    >>> _run_labels(pd.Series([3, 1, 3]), "log").tolist()
    ['log:3', 'log:1', 'log:3']
    """
    codes, uniques = pd.factorize(ids, use_na_sentinel=True)
    if ids.dtype == object and not all(isinstance(u, str) for u in uniques):
        # mixed types: factorize may merge 1, 1.0 and True, whose strings differ
        codes, uniques = pd.factorize(ids.astype(str).where(ids.notna()), use_na_sentinel=True)
    names = pd.Series(uniques, dtype=ids.dtype if ids.dtype != object else object).astype(str).to_numpy(dtype=object)
    if label:
        names = np.array([label + ":" + n for n in names], dtype=object)
    out = np.append(names, np.nan)[codes]   # code -1 (a missing id) picks the NaN
    return out


def _range_hint(v: np.ndarray, scale: str) -> str:
    if scale == "fraction" and v.min() >= 0 and v.max() <= 100:
        return f" (a percent? pass --scale percent or auto; if it is a loss: {LOSS_OPTIONS})"
    return f": neither a fraction nor a percent, so it looks like a loss, not an error rate; {LOSS_OPTIONS}"


def decide_scale(values: Mapping[str, np.ndarray], scale: str, *, test_is_accuracy: bool) -> tuple[str, str]:
    """Fraction or percent for the mapped value columns; returns (scale, why).

    ``values`` maps a name (``"file: column"``) to its finite values. With
    ``scale="auto"`` a column whose maximum is above 1 is in percent, else a
    fraction; auto refuses (ValueError) when columns disagree, when a value lies
    outside [0, 100], or when every value is ≤ 1 and the test *error* never
    exceeds 1 % under the fraction reading (a run that never left zero in
    fraction, or one always below 1 % in percent: both readings fit).
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {list(SCALES)}, got {scale!r}")
    allv = np.concatenate([np.asarray(v, float) for v in values.values()]) if values else np.empty(0)
    top = (100 if scale != "fraction" else 1) * _ONE   # rounding (1.0000000000000002) is not above 1
    for name, v in values.items():
        v = np.asarray(v, float)
        if v.size and (v.min() < 0 or v.max() > top):
            rng = "[0, 1]" if scale == "fraction" else "[0, 100]"
            raise ValueError(f"column {name} must lie in {rng} (scale={scale!r}); got range "
                             f"[{v.min():.4g}, {v.max():.4g}]{_range_hint(v, scale)}")
    if scale != "auto":
        return scale, "given (--scale)"
    kinds = {k: ("percent" if np.asarray(v).size and np.max(v) > _ONE else "fraction") for k, v in values.items()}
    if len(set(kinds.values())) > 1:
        detail = ", ".join(f"{k}: {v} (max {np.max(values[k]):.4g})" for k, v in kinds.items())
        raise ValueError(f"--scale auto: the columns disagree ({detail}); pass --scale fraction or --scale percent")
    kind = next(iter(kinds.values()), "fraction")
    if kind == "fraction" and allv.size:
        test = np.concatenate([np.asarray(v, float) for k, v in values.items() if k.endswith("(test)")])
        err = 1 - test if test_is_accuracy else test
        if err.size and err.max() <= 0.01:
            raise ValueError("--scale auto: every value is <= 1 and the test error never exceeds 1 % as a fraction "
                             "(or 0.01 % as a percent): ambiguous; pass --scale fraction or --scale percent")
    return kind, ("auto: maximum value above 1" if kind == "percent" else "auto: every value within [0, 1]")


def run_labels(paths: Sequence[Path]) -> list[str]:
    """Shortest unique trailing path (without suffixes) of each file: ``seed0/metrics``."""
    parts = [list(p.with_name(p.name.split(".")[0]).parts) for p in paths]
    for k in range(1, max(len(x) for x in parts) + 1):
        labels = ["/".join(x[-k:]) for x in parts]
        if len(set(labels)) == len(labels):
            return labels
    return [str(p) for p in paths]

"""External tables and training logs become in-memory run sets.

:func:`load_table` reads one or more logs (formats and column mapping in
:mod:`comparison.runset.logs`), turns accuracies into errors, drops rows
without a test value (counted in the notes), derives the summary (t_train,
t_eps, t_G, groks, diverged, re-entry) with an explicit transition definition
and zero-error tolerance, and records every such choice in the run set's
``config`` (``load``), so that ``fits.json`` and the report can state them.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import RunSetError, join_problems
from .logs import ColumnMap, decide_scale, mapped_frame, read_log, run_labels
from .schema import CURVES_REQUIRED, RunSet, check_frame, content_problems, has_repeated_run_t, normalise
from .store import load_runset

__all__ = ["runset_from_curves", "load_table", "load_any", "resolve_tolerance"]

PathLike = str | os.PathLike[str]


def runset_from_curves(curves: pd.DataFrame, *, config: Mapping[str, Any] | None = None,
                       zero_tol: float = 0.0, definition: str = "first",
                       train_missing_ok: bool = False) -> RunSet:
    """Build an in-memory run set from a tidy table ``run, t, test_error[, train_error]``.

    The summary is derived with :func:`comparison.detect_transitions` at the given
    zero-error tolerance and transition ``definition``; string run ids are kept
    as the summary's ``label``. Problems raise ``ValueError`` listing them all.
    """
    from ..estimate.transitions import detect_transitions

    problems = check_frame("table", curves, CURVES_REQUIRED)
    if not problems:
        problems = content_problems(curves, None)
    if problems:
        raise ValueError(join_problems(problems))
    labels = None
    if not pd.api.types.is_integer_dtype(curves["run"]):
        codes, uniques = pd.factorize(curves["run"].astype(str), sort=True)
        curves = curves.assign(run=codes)
        labels = [str(u) for u in uniques]
    summary = detect_transitions(curves, zero_tol=zero_tol, definition=definition,
                                 train_missing_ok=train_missing_ok)
    summary["label"] = [labels[r] for r in summary["run"]] if labels else summary["run"].astype(str)
    cfg = {"generator": "external", "zero_tol": zero_tol, **dict(config or {})}
    c, s = normalise(curves, summary)
    return RunSet(config=cfg, curves=c, summary=s)


def resolve_tolerance(test_error: np.ndarray, tolerance: float | str | None) -> tuple[float, str]:
    """The zero-error tolerance and where it came from.

    ``"auto"`` (or None): one test example, when the test-set quantum can be
    inferred from the error values (:func:`~comparison.estimate.transitions.infer_error_quantum`;
    the tolerance is the quantum plus 2 % for rounding in the log), else exact zero.
    """
    tol, src, _ = _tolerance_quantum(test_error, tolerance)
    return tol, src


def _tolerance_quantum(test_error: np.ndarray, tolerance: float | str | None) -> tuple[float, str, float | None]:
    """:func:`resolve_tolerance` plus the inferred test-set quantum (None when not inferred)."""
    from ..estimate.transitions import check_tolerance, infer_error_quantum

    q = infer_error_quantum(test_error)
    q_or_none = float(q) if np.isfinite(q) else None
    if tolerance is None or (isinstance(tolerance, str) and tolerance == "auto"):
        if q_or_none is not None:
            return (float(q * 1.02), f"one test example: the test-set quantum {q:.6g} (about {1 / q:.0f} test "
                                     "examples) inferred from the error values, +2 % for rounding", q_or_none)
        return 0.0, "exact zero: no test-set quantum could be inferred from the error values", None
    return check_tolerance(tolerance, "tolerance"), "given", q_or_none


def _read_all(paths: Sequence[Path], cmap: ColumnMap) -> pd.DataFrame:
    labels = run_labels(paths)
    frames = []
    for p, lab in zip(paths, labels):
        try:
            df = read_log(p)
        except Exception as exc:
            msg = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
            raise RunSetError(p, [f"cannot be read ({msg})"]) from exc
        single_with_runs = len(paths) == 1 and _has_run(df, cmap)
        try:
            m = mapped_frame(df, cmap, "" if single_with_runs else lab)
        except ValueError as exc:
            raise RunSetError(p, [str(exc)]) from exc
        frames.append(m.assign(_file=p.name))
    return pd.concat(frames, ignore_index=True)


def _has_run(df: pd.DataFrame, cmap: ColumnMap) -> bool:
    return cmap.run is not None and (cmap.run_explicit or cmap.run in df.columns)


def _merge_same_step(raw: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Rows logged at the same (run, t) hold different metrics: merge them (conflicts refused)."""
    cols = [c for c in raw if c in ("test", "train", "test_loss", "train_loss") or str(c).startswith("measure:")]
    key = ["run", "t"]
    if not has_repeated_run_t(raw):
        return raw
    g = raw.groupby(key, sort=False, dropna=False)
    conflict = (g[cols].nunique() > 1).any(axis=1)
    if conflict.any():
        r, t = conflict[conflict].index[0]
        raise ValueError(f"{int(conflict.sum())} (run, t) pairs carry conflicting values (e.g. run {r!r} at "
                         f"t = {t}); a log must hold one value per metric and time")
    merged = g.agg({**{c: "first" for c in cols}, "_file": "first"}).reset_index()
    notes.append(f"merged {len(raw) - len(merged)} rows logged at the same time (one metric per row)")
    return merged


def _to_error(test: pd.DataFrame, train: pd.DataFrame | None, cmap: ColumnMap, scale: str,
              notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame | None, str]:
    """Scale and accuracy -> error for the test rows and the (separately logged) train rows."""
    vals = {}
    for frame, col, name, what in ((test, "test", cmap.test, "test"), (train, "train", cmap.train, "train")):
        if frame is not None:
            for f, v in _per_file(frame, col):
                vals[f"{f}: {name} ({what})"] = v[np.isfinite(v)]
    used, why = decide_scale({k: v for k, v in vals.items() if v.size}, scale, test_is_accuracy=cmap.test_is_accuracy)
    div = 100.0 if used == "percent" else 1.0
    te = np.clip(test["test"].to_numpy(dtype=float) / div, 0.0, 1.0)   # rounding above 1 (checked) is 1
    curves = pd.DataFrame({"run": test["run"].array, "t": test["t"].to_numpy(dtype=float),
                           "test_error": 1.0 - te if cmap.test_is_accuracy else te})
    tr_out = None
    if train is not None:
        tr = np.clip(train["train"].to_numpy(dtype=float) / div, 0.0, 1.0)
        tr_out = pd.DataFrame({"run": train["run"].array, "t": train["t"].to_numpy(dtype=float),
                               "test_error": 1.0 - tr if cmap.train_is_accuracy else tr})
    conv = (["percent -> fraction"] if used == "percent" else []) + (
        ["error = 1 - accuracy"] if (cmap.test_is_accuracy or cmap.train_is_accuracy) else [])
    notes.append(f"scale: {used} ({why})" + (f"; {', '.join(conv)}" if conv else ""))
    return curves, tr_out, used


def _per_file(frame: pd.DataFrame, col: str) -> list[tuple[str, np.ndarray]]:
    """``(file, values of col)`` per file in sorted file order, without copying the whole frame
    per group (one file: the column itself)."""
    v = frame[col].to_numpy(dtype=float)
    codes, files = pd.factorize(frame["_file"], sort=True)
    if len(files) == 1 and (codes == 0).all():
        return [(files[0], v)]
    return [(f, v[codes == k]) for k, f in enumerate(files)]


def _attach_train(curves: pd.DataFrame, train: pd.DataFrame) -> pd.DataFrame:
    """The training error at each test row: the last value logged at or before it (NaN before any).

    One ``merge_asof`` over all runs (``by="run"``), rows then grouped by run in order of first
    appearance and sorted by t within each run (what merging run by run gave, without one scan
    of the train rows per run: 20 000 runs x 2 million rows was quadratic).
    """
    curves = curves[curves["run"].notna()]   # rows without a run belong to no run (as in groupby)
    tr = train.loc[train["run"].notna(), ["run", "t", "test_error"]].rename(columns={"test_error": "train_error"})
    left = curves.sort_values("t", kind="mergesort")
    right = tr.sort_values("t", kind="mergesort")
    out = pd.merge_asof(left, right, on="t", by="run", direction="backward")
    rank = pd.Index(pd.factorize(curves["run"])[1]).get_indexer(out["run"])   # first appearance in curves
    return out.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)


def _train_times(rs: RunSet, train: pd.DataFrame, tol: float, transition: str) -> None:
    """t_train from the train rows as logged (not from their copies on the test rows)."""
    from ..estimate.transitions import detect_transitions

    s = rs.summary
    code = dict(zip(s["label"], s["run"]))
    tr = train.assign(run=train["run"].astype(str).map(code)).dropna(subset=["run"])
    det = detect_transitions(tr.assign(run=tr["run"].astype("int64")), zero_tol=tol, definition=transition)
    t_train = s["run"].map(det.set_index("run")["t_eps"]).astype(float)
    s["t_train"] = t_train.to_numpy()
    s["t_G"] = s["t_eps"] - s["t_train"]
    bad = ~np.isfinite(s["t_train"].to_numpy()) & (s["flag"] == "ok").to_numpy()
    s.loc[bad, "flag"] = "no_train_zero"


def _record_runs(rs: RunSet, load: dict[str, Any], tol: float, transition: str) -> None:
    """Per-run t_eps and the re-entry runs, in ``config["load"]`` (and the notes)."""
    s = rs.summary
    re = s.loc[s["reentry"].astype(bool), "label"].tolist()
    load["reentry"] = {"n": len(re), "runs": re}
    if re:
        load["notes"].append(f"{len(re)} run(s) re-entry: test error above {tol:.3g} again after first reaching "
                             f"it ({', '.join(re[:10])}{', ...' if len(re) > 10 else ''}); transition = {transition}")
    load["runs"] = [{"run": str(r.label), "t_eps": float(r.t_eps), "t_train": float(r.t_train),
                     "groks": bool(r.groks), "reentry": bool(r.reentry), "flag": str(r.flag)}
                    for r in s.itertuples(index=False)]
    for key, entry in (load.get("losses") or {}).items():
        if isinstance(entry, dict) and "onsets" in entry:
            for rec in load["runs"]:
                rec[f"onset_{key}"] = entry["onsets"].get(rec["run"], float("nan"))


def _finite_rows(raw: pd.DataFrame, col: str) -> pd.DataFrame:
    """The rows of ``raw`` with a finite ``col`` (``raw`` itself, not a copy, when all are)."""
    ok = np.isfinite(raw[col].to_numpy(dtype=float))
    return raw if ok.all() else raw[ok]


def _split_rows(raw: pd.DataFrame, notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The rows with a test value, and those with a train value (loggers interleave them)."""
    train = _finite_rows(raw, "train") if "train" in raw else None
    n0 = len(raw)
    test = _finite_rows(raw, "test")
    if n0 > len(test):
        notes.append(f"dropped {n0 - len(test)} of {n0} rows with no test value (NaN: loggers write "
                     "metrics on alternating rows); the train values on them still give t_train")
    if not len(test):
        raise ValueError("no row has a test value")
    return test, train


def _error_runset(raw: pd.DataFrame, cmap: ColumnMap, opts: dict[str, Any], notes: list[str],
                  load: dict[str, Any]) -> RunSet:
    """The run set of a log with an error or accuracy column (the summary from its test error)."""
    test, train = _split_rows(raw, notes)
    curves, train, used = _to_error(test, train, cmap, opts["scale"], notes)
    bad_t = ~np.isfinite(curves["t"].to_numpy(dtype=float))
    if bad_t.any():
        raise ValueError(f"curves column 't' has {int(bad_t.sum())} non-finite times (NaN/inf), "
                         f"first in run {curves.loc[bad_t, 'run'].iloc[0]}")
    if train is not None and len(train):
        curves = _attach_train(curves, train)
    tol, tol_src, q = _tolerance_quantum(curves["test_error"].to_numpy(), opts["tolerance"])
    load.update({"scale": used, "tolerance": tol, "tolerance_source": tol_src, "error_column": cmap.test,
                 "test_quantum": q})
    rs = runset_from_curves(curves, config={"source": ", ".join(load["files"]), "load": load}, zero_tol=tol,
                            definition=opts["transition"], train_missing_ok=True)
    if train is not None and len(train):
        _train_times(rs, train, tol, opts["transition"])
    return rs


def load_table(path: PathLike | Sequence[PathLike], *, columns: Mapping[str, str | None] | None = None,
               scale: str = "auto", transition: str = "first", tolerance: float | str | None = "auto",
               zero_tol: float | None = None, time_unit: str | None = None,
               loss_threshold: float | None = None) -> RunSet:
    """Load training logs (one file per run, or files with a run column) as a run set.

    Parameters
    ----------
    path : one file or several (each one run unless it has the run column).
    columns : ``{"time", "error" | "accuracy", "train_error" | "train_accuracy", "run",
        "test_loss", "train_loss"}`` → column names (default: ``t``, ``test_error``,
        ``train_error``, ``run``; no loss). A loss is never read as an error rate
        (:mod:`comparison.runset.logs`); with loss columns and no error or accuracy
        column the log is *loss-only*: onsets from the losses, no t_eps.
    scale : ``"fraction"``, ``"percent"`` or ``"auto"`` (refuses ambiguous data).
    transition : ``"first"``, ``"sustained"`` or ``"last-entry"`` (see
        :func:`comparison.detect_transitions`).
    tolerance : an error ``<=`` this counts as zero; ``"auto"``: one test example
        when the test-set quantum can be inferred, else 0 (:func:`resolve_tolerance`).
    zero_tol : older name of ``tolerance`` (overrides it when given).
    time_unit : label of the time axis (e.g. ``"step"``), recorded only.
    loss_threshold : the loss-based onset of each loss column is the first time the
        loss is ``<=`` this (Eq. O1 of :mod:`comparison.estimate.onsets`); None: none.

    Returns
    -------
    RunSet with ``config["load"]`` recording files, columns, scale, tolerance,
    transition, notes (rows dropped or merged), the re-entry runs and the loss
    onsets (``load["losses"]``); the summary has a ``label`` column with each run's name.

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> d = tempfile.mkdtemp(); f = os.path.join(d, "seed0.csv")
    >>> pd.DataFrame({"step": [0, 10, 20, 30], "acc": [50.0, 90.0, 100.0, 100.0]}).to_csv(f, index=False)
    >>> rs = load_table(f, columns={"time": "step", "accuracy": "acc"})
    >>> float(rs.summary["t_eps"].iloc[0]), rs.config["load"]["scale"]
    (20.0, 'percent')
    """
    from .log_onsets import loss_onsets, loss_only_runset, never_grok_hints
    from .log_scurve import measure_leads, scurve_onsets

    paths = [Path(p) for p in ([path] if isinstance(path, (str, os.PathLike)) else list(path))]
    if not paths:
        raise ValueError("load_table needs at least one file")
    for p in paths:
        if not p.is_file():
            raise FileNotFoundError(f"no such table {str(p)!r}")
    cmap = ColumnMap.from_mapping(columns)
    where = paths[0] if len(paths) == 1 else Path(", ".join(str(p) for p in paths))
    notes: list[str] = []
    raw = _read_all(paths, cmap)
    opts = {"scale": scale, "transition": transition, "tolerance": tolerance if zero_tol is None else zero_tol}
    load: dict[str, Any] = {"files": [p.name for p in paths], "columns": cmap.as_dict(), "transition": transition,
                            "time_unit": time_unit, "notes": notes}
    try:
        raw = _merge_same_step(raw, notes)
        if "test" in raw:
            rs = _error_runset(raw, cmap, opts, notes, load)
        else:
            rs = loss_only_runset(raw, transition, load)
        load["losses"] = loss_onsets(raw, cmap.losses(), loss_threshold, notes)
        load["scurve"] = scurve_onsets(raw, notes=notes)
        load["measures"] = measure_leads(raw, load["scurve"], cmap.measures)
    except ValueError as exc:
        raise RunSetError(where, [str(exc)]) from exc
    _record_runs(rs, load, float(load["tolerance"]), transition)
    never_grok_hints(rs, load)
    if len(paths) == 1:
        rs.path = paths[0]
    else:  # named after the files, no single path
        rs.config["name"] = f"{run_labels(paths)[0]}+{len(paths) - 1}"
    return rs


def load_any(path: PathLike | Sequence[PathLike], **options: Any) -> RunSet:
    """A run set directory, or one or more logs / tables (``options`` go to :func:`load_table`)."""
    many = not isinstance(path, (str, os.PathLike))
    paths = [Path(p) for p in (path if many else [path])]
    if len(paths) == 1 and paths[0].is_dir():
        return load_runset(paths[0])
    dirs = [str(p) for p in paths if p.is_dir()]
    if dirs:
        raise ValueError(f"run-set directories {dirs} cannot be combined with other inputs in one fit")
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"no such run set or table {missing[0]!r}")
    return load_table(paths if many else paths[0], **options)

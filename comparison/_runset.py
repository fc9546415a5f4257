"""Run sets on disk: the atomic writer, the validating loader, external tables.

A *run set* is a directory holding one simulated setting (see
``docs/run-format.md`` for the full specification)::

    NAME/
      manifest.json     schema, generator, full config, seeds, versions, checksums
      curves.parquet    tidy: run, t, test_error[, train_error, ...]
      summary.parquet   one row per run: run, t_train, t_eps, t_G, groks, diverged, ...
      features.npz      optional named arrays (no pickles)

It is written into a hidden temporary directory next to the target and renamed
into place, so a reader (or an interrupted writer) never sees half a run set.
The loader never modifies anything; it collects *every* problem it finds and
reports them together in one :class:`RunSetError`.

This module is the only place (with :mod:`comparison._report`) where grokcheck
reads or writes files; simulators return in-memory results.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import platform
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "SCHEMA_NAME",
    "SCHEMA_VERSION",
    "CURVES_REQUIRED",
    "SUMMARY_REQUIRED",
    "RunSet",
    "RunSetError",
    "write_runset",
    "load_runset",
    "validate_runset",
    "load_table",
    "load_any",
    "merge_runsets",
    "runset_from_curves",
    "to_jsonable",
    "check_replaceable",
]

SCHEMA_NAME = "grokcheck.runset"
SCHEMA_VERSION = 1
CURVES_REQUIRED: tuple[str, ...] = ("run", "t", "test_error")
SUMMARY_REQUIRED: tuple[str, ...] = ("run", "t_train", "t_eps", "t_G", "groks", "diverged")
MANIFEST_REQUIRED: tuple[str, ...] = (
    "schema", "schema_version", "generator", "config", "seeds",
    "package_versions", "created", "files", "n_runs",
)
_DATA_FILES = ("curves.parquet", "summary.parquet", "features.npz")
_VERSIONED_PACKAGES = ("grokcheck", "numpy", "pandas", "pyarrow", "scipy", "torch")


class RunSetError(ValueError):
    """A run set (or table) on disk is missing, broken or partial.

    ``problems`` lists every problem found; ``str(err)`` is one line.
    """

    def __init__(self, path: str | os.PathLike[str], problems: Sequence[str]):
        self.path = str(path)
        self.problems = list(problems)
        super().__init__(f"invalid run set {self.path!r}: " + "; ".join(self.problems))


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


# --------------------------------------------------------------------------- helpers
def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, paths and tuples to plain JSON types.

    Non-finite floats become the strings ``"nan"``, ``"inf"``, ``"-inf"`` so that
    the manifest stays strict JSON.
    """
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        if math.isfinite(x):
            return x
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise ValueError(f"config value {obj!r} of type {type(obj).__name__} is not JSON-serialisable")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _package_versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in _VERSIONED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _seeds(config: Mapping[str, Any]) -> list[int]:
    seeds: list[int] = []
    for key in ("seeds", "seed"):
        val = config.get(key)
        if isinstance(val, (int, np.integer)) and not isinstance(val, bool):
            seeds.append(int(val))
        elif isinstance(val, (list, tuple)):
            seeds.extend(int(v) for v in val if isinstance(v, (int, np.integer)))
    return sorted(set(seeds))


def _check_frame(name: str, df: Any, required: Iterable[str]) -> list[str]:
    if not isinstance(df, pd.DataFrame):
        return [f"{name} must be a pandas DataFrame, got {type(df).__name__}"]
    missing = [c for c in required if c not in df.columns]
    return [f"{name} is missing columns {missing}"] if missing else []


def _content_problems(curves: pd.DataFrame, summary: pd.DataFrame | None) -> list[str]:
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
        dedup = curves.drop_duplicates()
        dup = dedup.duplicated(subset=["run", "t"])
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


def _normalise(curves: pd.DataFrame, summary: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    curves = curves.copy()
    summary = summary.copy()
    curves["run"] = curves["run"].astype("int64")
    summary["run"] = summary["run"].astype("int64")
    for col in ("groks", "diverged"):
        if col in summary:
            summary[col] = summary[col].astype(bool)
    curves = curves.drop_duplicates().sort_values(["run", "t"], kind="mergesort").reset_index(drop=True)
    summary = summary.sort_values("run", kind="mergesort").reset_index(drop=True)
    return curves, summary


# ------------------------------------------------------------------- safe overwrite
_RUNSET_ENTRIES = frozenset({"manifest.json", *_DATA_FILES, "fits.json"})


def check_replaceable(path: str | os.PathLike[str]) -> None:
    """Refuse (``ValueError``) unless ``path`` may be replaced by a new run set.

    Only a directory that is recognisably a grokcheck run set may be replaced:
    it holds a ``manifest.json`` whose ``schema`` is ``grokcheck.runset`` and
    nothing but run-set files (``manifest.json``, the data files, ``fits.json``).
    A regular file, a symbolic link, the working directory or any of its
    parents, a directory without that manifest, or one holding anything else
    (a user's notes) is refused, so ``--overwrite`` can never lose data that
    grokcheck did not write. A path that does not exist is fine.
    """
    target = Path(path)
    if not os.path.lexists(target):
        return
    shown = str(path)
    if target.is_symlink():
        raise ValueError(f"refusing to replace {shown!r}: it is a symbolic link, not a run set")
    if not target.is_dir():
        raise ValueError(f"refusing to replace {shown!r}: it is a file, not a run set directory")
    real = target.resolve()
    cwd = Path.cwd().resolve()
    if real == cwd or real in cwd.parents:
        raise ValueError(f"refusing to replace {shown!r}: it is the working directory or one of its parents")
    mpath = real / "manifest.json"
    try:
        manifest = json.loads(mpath.read_text()) if mpath.is_file() else None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA_NAME:
        raise ValueError(f"refusing to replace {shown!r}: it is not a grokcheck run set "
                         "(no valid manifest.json); choose another --out")
    foreign = sorted(p.name for p in real.iterdir() if p.name not in _RUNSET_ENTRIES)
    if foreign:
        raise ValueError(f"refusing to replace run set {shown!r}: it also holds files grokcheck did not "
                         f"write ({', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}); "
                         "move them or choose another --out")


# --------------------------------------------------------------------------- writer
def write_runset(result: Any, path: str | os.PathLike[str], *, overwrite: bool = False,
                 extra_manifest: Mapping[str, Any] | None = None) -> Path:
    """Write a simulator result (or a :class:`RunSet`) as a run set directory.

    ``result`` needs the contract attributes ``config, curves, summary`` and
    optionally ``features``. Everything is validated first (``ValueError`` on a
    bad result, nothing written), then written into a hidden temporary directory
    in the same parent and renamed into place. If ``path`` exists, ``ValueError``
    unless ``overwrite=True``; the old set is then replaced only after the new
    one is complete. On any failure, including ``KeyboardInterrupt``, the
    temporary directory is removed and an existing set at ``path`` is untouched.
    """
    target = Path(path)
    for attr in ("config", "curves", "summary"):
        if not hasattr(result, attr):
            raise ValueError(f"result must have a {attr!r} attribute (the simulator contract)")
    config = result.config
    if not isinstance(config, Mapping):
        raise ValueError(f"result.config must be a dict, got {type(config).__name__}")
    problems = _check_frame("curves", result.curves, CURVES_REQUIRED)
    problems += _check_frame("summary", result.summary, SUMMARY_REQUIRED)
    if not problems:
        problems += _content_problems(result.curves, result.summary)
    features = dict(getattr(result, "features", None) or {})
    for key, arr in features.items():
        if not key.isidentifier():
            problems.append(f"feature name {key!r} must be a Python identifier")
        a = np.asarray(arr)
        if a.dtype == object:
            problems.append(f"feature {key!r} has object dtype (only numeric/bool arrays are stored)")
    if problems:
        raise ValueError("cannot write run set: " + "; ".join(problems))
    jconfig = to_jsonable(dict(config))
    curves, summary = _normalise(result.curves, result.summary)

    if os.path.lexists(target) and not overwrite:
        raise ValueError(f"output path {str(target)!r} exists; choose another or pass overwrite=True")
    check_replaceable(target)
    target = target.absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        curves.to_parquet(tmp / "curves.parquet", index=False)
        summary.to_parquet(tmp / "summary.parquet", index=False)
        files = ["curves.parquet", "summary.parquet"]
        if features:
            with open(tmp / "features.npz", "wb") as fh:
                np.savez(fh, **{k: np.asarray(v) for k, v in sorted(features.items())})
            files.append("features.npz")
        manifest: dict[str, Any] = {
            "schema": SCHEMA_NAME,
            "schema_version": SCHEMA_VERSION,
            "generator": str(jconfig.get("generator", "unknown")),
            "config": jconfig,
            "seeds": _seeds(jconfig),
            "package_versions": _package_versions(),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "n_runs": int(summary["run"].nunique()),
            "n_curve_rows": int(len(curves)),
            "curves_columns": list(map(str, curves.columns)),
            "summary_columns": list(map(str, summary.columns)),
            "feature_keys": sorted(features),
            "files": {name: {"sha256": _sha256(tmp / name), "bytes": (tmp / name).stat().st_size}
                      for name in files},
        }
        if extra_manifest:
            for k, v in extra_manifest.items():
                if k in manifest:
                    raise ValueError(f"extra_manifest key {k!r} clashes with a reserved manifest key")
                manifest[k] = to_jsonable(v)
        with open(tmp / "manifest.json", "w") as fh:
            json.dump(manifest, fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        if os.path.lexists(target):
            check_replaceable(target)  # again: it may have changed while we simulated
            backup = target.parent / f".{target.name}.old-{os.getpid()}"
            os.replace(target, backup)
            try:
                os.replace(tmp, target)
            except BaseException:
                os.replace(backup, target)
                raise
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


# --------------------------------------------------------------------------- loader
def _read_manifest(root: Path, problems: list[str]) -> dict[str, Any] | None:
    mpath = root / "manifest.json"
    if not mpath.is_file():
        problems.append("manifest.json is missing")
        return None
    try:
        manifest = json.loads(mpath.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(f"manifest.json is not valid JSON ({exc.__class__.__name__}: {exc})")
        return None
    if not isinstance(manifest, dict):
        problems.append("manifest.json must hold a JSON object")
        return None
    if manifest.get("schema") != SCHEMA_NAME:
        problems.append(f"manifest.json schema is {manifest.get('schema')!r}, expected {SCHEMA_NAME!r}")
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        problems.append(f"unknown schema_version {version!r} (this grokcheck reads version {SCHEMA_VERSION})")
        return None
    missing = [k for k in MANIFEST_REQUIRED if k not in manifest]
    if missing:
        problems.append(f"manifest.json is missing keys {missing}")
    if "config" in manifest and not isinstance(manifest["config"], dict):
        problems.append("manifest.json 'config' must be an object")
    if "files" in manifest and not isinstance(manifest["files"], dict):
        problems.append("manifest.json 'files' must be an object")
        manifest["files"] = {}
    return manifest


def _read_parquet(root: Path, name: str, manifest: Mapping[str, Any] | None,
                  problems: list[str], required: bool = True) -> pd.DataFrame | None:
    fpath = root / name
    if not fpath.is_file():
        if required:
            problems.append(f"{name} is missing")
        return None
    info = (manifest or {}).get("files", {}).get(name) if manifest else None
    if manifest is not None and info is None:
        problems.append(f"{name} is not listed in manifest.json 'files'")
    elif isinstance(info, dict):
        size = fpath.stat().st_size
        if "bytes" in info and size != info["bytes"]:
            problems.append(f"{name} has {size} bytes but the manifest says {info['bytes']} "
                            "(truncated or replaced)")
        elif "sha256" in info and _sha256(fpath) != info["sha256"]:
            problems.append(f"{name} checksum differs from the manifest (file changed)")
    try:
        return pd.read_parquet(fpath)
    except Exception as exc:  # pyarrow raises several types for broken files
        msg = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        problems.append(f"{name} cannot be read as parquet ({msg})")
        return None


def _inspect(root: Path) -> tuple[RunSet | None, list[str]]:
    problems: list[str] = []
    if not root.exists():
        return None, [f"no such directory {str(root)!r}"]
    if not root.is_dir():
        return None, [f"{str(root)!r} is not a directory (run sets are directories; "
                      "use a .csv or .parquet table for external data)"]
    manifest = _read_manifest(root, problems)
    if manifest is None and problems and problems[-1].startswith("unknown schema_version"):
        return None, problems
    curves = _read_parquet(root, "curves.parquet", manifest, problems)
    summary = _read_parquet(root, "summary.parquet", manifest, problems)
    if curves is not None:
        problems += _check_frame("curves.parquet", curves, CURVES_REQUIRED)
    if summary is not None:
        problems += _check_frame("summary.parquet", summary, SUMMARY_REQUIRED)
    if curves is not None and not _check_frame("c", curves, CURVES_REQUIRED):
        ok_summary = summary if summary is not None and not _check_frame("s", summary, ("run",)) else None
        problems += _content_problems(curves, ok_summary)
    features: dict[str, np.ndarray] = {}
    fpath = root / "features.npz"
    listed = manifest is not None and "features.npz" in manifest.get("files", {})
    if fpath.is_file():
        info = manifest.get("files", {}).get("features.npz") if manifest else None
        if isinstance(info, dict) and "sha256" in info and _sha256(fpath) != info["sha256"]:
            problems.append("features.npz checksum differs from the manifest (truncated or changed)")
        try:
            with np.load(fpath, allow_pickle=False) as npz:
                features = {k: npz[k] for k in npz.files}
        except Exception as exc:
            problems.append(f"features.npz cannot be read ({exc.__class__.__name__}: {exc})")
    elif listed:
        problems.append("features.npz is listed in the manifest but missing")
    if manifest and curves is not None and summary is not None and "n_runs" in manifest and "run" in summary:
        if int(manifest["n_runs"]) != int(summary["run"].nunique()):
            problems.append(f"manifest says {manifest['n_runs']} runs, summary.parquet has "
                            f"{summary['run'].nunique()}")
    if problems or manifest is None or curves is None or summary is None:
        return None, problems or ["run set is incomplete"]
    curves, summary = _normalise(curves, summary)
    rs = RunSet(config=dict(manifest["config"]), curves=curves, summary=summary,
                features=features, manifest=manifest, path=root)
    return rs, []


def validate_runset(path: str | os.PathLike[str]) -> list[str]:
    """Return the list of problems with the run set at ``path`` (empty if valid).

    Reads only; never modifies or deletes anything.
    """
    return _inspect(Path(path))[1]


def load_runset(path: str | os.PathLike[str]) -> RunSet:
    """Load and validate a run set directory; :class:`RunSetError` lists all problems."""
    rs, problems = _inspect(Path(path))
    if rs is None:
        raise RunSetError(path, problems)
    return rs


# --------------------------------------------------------------------------- external tables
def runset_from_curves(curves: pd.DataFrame, *, config: Mapping[str, Any] | None = None,
                       zero_tol: float = 0.0) -> RunSet:
    """Build an in-memory run set from a tidy table ``run, t, test_error[, train_error]``.

    The summary is derived with :func:`comparison.detect_transitions` at the given
    zero-error tolerance. Problems raise ``ValueError`` listing them all.
    """
    from ._transitions import detect_transitions

    problems = _check_frame("table", curves, CURVES_REQUIRED)
    if not problems:
        problems = _content_problems(curves, None)
    if problems:
        raise ValueError("; ".join(problems))
    if not pd.api.types.is_integer_dtype(curves["run"]):
        codes, uniques = pd.factorize(curves["run"], sort=True)
        curves = curves.assign(run_label=curves["run"].astype(str), run=codes)
    summary = detect_transitions(curves, zero_tol=zero_tol)
    cfg = {"generator": "external", "zero_tol": zero_tol, **dict(config or {})}
    c, s = _normalise(curves, summary)
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


# --------------------------------------------------------------------------- merging
def merge_runsets(runsets: Sequence[Any], *, ignore_keys: Iterable[str] = ("seed", "seeds", "n_replicas",
                                                                                 "n_init", "progress")) -> RunSet:
    """Merge run sets (or simulator results) of ONE setting simulated in seed
    chunks into one in-memory :class:`RunSet` (write it with :func:`write_runset`).

    The configs must agree on every key except ``ignore_keys`` (seeds and chunk
    sizes); runs are renumbered consecutively (chunk order kept, the original id
    kept in ``source_run`` and the chunk index in ``chunk``). Per-run features
    (leading axis = that chunk's number of runs) are concatenated; other
    features must be identical across chunks. Raises ``ValueError`` otherwise.
    """
    if len(runsets) == 0:
        raise ValueError("runsets must contain at least one run set")
    ignore = set(ignore_keys)
    base = {k: v for k, v in to_jsonable(runsets[0].config).items() if k not in ignore}
    for i, rs in enumerate(runsets[1:], start=1):
        other = {k: v for k, v in to_jsonable(rs.config).items() if k not in ignore}
        if other != base:
            diff = sorted(k for k in set(base) | set(other) if base.get(k) != other.get(k))
            raise ValueError(f"run set {i} has a different setting (config keys {diff} differ); "
                             "only seed chunks of one setting can be merged")
    curves_parts, summary_parts, seeds = [], [], []
    offset = 0
    for i, rs in enumerate(runsets):
        runs = np.sort(rs.summary["run"].unique())
        mapping = {int(r): offset + j for j, r in enumerate(runs)}
        c = rs.curves.assign(source_run=rs.curves["run"], chunk=i)
        c["run"] = c["run"].map(mapping).astype("int64")
        s = rs.summary.assign(source_run=rs.summary["run"], chunk=i)
        s["run"] = s["run"].map(mapping).astype("int64")
        curves_parts.append(c)
        summary_parts.append(s)
        seeds.extend(_seeds(to_jsonable(rs.config)))
        offset += len(runs)
    features: dict[str, np.ndarray] = {}
    keys = set().union(*(rs.features.keys() for rs in runsets))
    for key in sorted(keys):
        if not all(key in rs.features for rs in runsets):
            raise ValueError(f"feature {key!r} is present in some chunks only")
        arrs = [np.asarray(rs.features[key]) for rs in runsets]
        per_run = all(a.ndim >= 1 and a.shape[0] == rs.summary["run"].nunique() for a, rs in zip(arrs, runsets))
        if per_run and len(runsets) > 1 and not all(np.array_equal(arrs[0], a) for a in arrs[1:]):
            features[key] = np.concatenate(arrs, axis=0)
        elif all(np.array_equal(arrs[0], a) for a in arrs[1:]):
            features[key] = arrs[0]
        else:
            raise ValueError(f"feature {key!r} differs between chunks and is not per-run")
    config = dict(to_jsonable(runsets[0].config))
    config["seeds"] = sorted(set(seeds))
    config.pop("seed", None)
    config["merged_chunks"] = len(runsets)
    for k in ("n_replicas", "n_init"):
        if k in config:
            config[k] = int(sum(int(rs.config.get(k, 0)) for rs in runsets))
    curves, summary = _normalise(pd.concat(curves_parts, ignore_index=True),
                                 pd.concat(summary_parts, ignore_index=True))
    return RunSet(config=config, curves=curves, summary=summary, features=features)

"""Run sets on disk: the atomic writer and the validating loader.

A run set is written into a hidden temporary directory next to the target and
renamed into place (:func:`comparison._io.atomic_dir`), so a reader (or an
interrupted writer) never sees half a run set. The loader never modifies
anything; it collects *every* problem it finds and reports them together in one
:class:`~comparison.errors.RunSetError`. Paths in a manifest are never followed:
only the fixed file names of the schema are read.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._io import atomic_dir, dumps_strict, plain_jsonable, restore_nonfinite, sha256_file
from ..errors import RunSetError, join_problems
from .curve_transitions import rules_for, transition_problems
from .schema import (CURVES_REQUIRED, DATA_FILES, MANIFEST_REQUIRED, SCHEMA_NAME, SCHEMA_VERSION,
                     SUMMARY_REQUIRED, RunSet, check_frame, content_problems, normalise, seeds_of,
                     summary_problems)

__all__ = ["write_runset", "load_runset", "validate_runset", "check_replaceable"]

_VERSIONED_PACKAGES = ("grokcheck", "numpy", "pandas", "pyarrow", "scipy", "torch")
_sha256 = sha256_file


def _package_versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in _VERSIONED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out



# ------------------------------------------------------------------- safe overwrite
_RUNSET_ENTRIES = frozenset({"manifest.json", *DATA_FILES, "fits.json"})


def check_replaceable(path: str | os.PathLike[str]) -> None:
    """Refuse (``ValueError``) unless ``path`` may be replaced by a new run set.

    Only a directory that is recognisably a grokcheck run set may be replaced:
    it holds a ``manifest.json`` whose ``schema`` is ``grokcheck.runset`` and
    nothing but run-set files (``manifest.json``, the data files, ``fits.json``),
    each a regular file (a directory or link named ``fits.json`` is a user's).
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
    foreign = sorted(p.name for p in real.iterdir()
                     if p.name not in _RUNSET_ENTRIES or p.is_symlink() or not p.is_file())
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
    problems = check_frame("curves", result.curves, CURVES_REQUIRED)
    problems += check_frame("summary", result.summary, SUMMARY_REQUIRED)
    if not problems:
        problems += content_problems(result.curves, result.summary) + summary_problems(result.summary)
    features = dict(getattr(result, "features", None) or {})
    for key, arr in features.items():
        if not key.isidentifier():
            problems.append(f"feature name {key!r} must be a Python identifier")
        a = np.asarray(arr)
        if a.dtype == object:
            problems.append(f"feature {key!r} has object dtype (only numeric/bool arrays are stored)")
    if problems:
        raise ValueError("cannot write run set: " + join_problems(problems))
    jconfig = plain_jsonable(dict(config))
    curves, summary = normalise(result.curves, result.summary)

    if os.path.lexists(target) and not overwrite:
        raise ValueError(f"output path {str(target)!r} exists; choose another or pass overwrite=True")
    check_replaceable(target)
    with atomic_dir(target, replace=overwrite) as tmp:
        curves.to_parquet(tmp / "curves.parquet", index=False)
        summary.to_parquet(tmp / "summary.parquet", index=False)
        files = ["curves.parquet", "summary.parquet"]
        if features:
            with open(tmp / "features.npz", "wb") as fh:
                np.savez(fh, **{k: np.asarray(v) for k, v in sorted(features.items())})
            files.append("features.npz")
        manifest = _manifest(jconfig, curves, summary, features, files, tmp)
        if extra_manifest:
            for k, v in extra_manifest.items():
                if k in manifest:
                    raise ValueError(f"extra_manifest key {k!r} clashes with a reserved manifest key")
                manifest[k] = plain_jsonable(v)
        (tmp / "manifest.json").write_text(dumps_strict(manifest) + "\n")  # NaN: null + null_reasons
        if os.path.lexists(target):
            check_replaceable(target)  # again: it may have changed while we simulated
    return Path(path)


def _manifest(jconfig: dict[str, Any], curves: pd.DataFrame, summary: pd.DataFrame,
              features: Mapping[str, Any], files: list[str], root: Path) -> dict[str, Any]:
    return {
        "schema": SCHEMA_NAME,
        "schema_version": SCHEMA_VERSION,
        "generator": str(jconfig.get("generator", "unknown")),
        "config": jconfig,
        "seeds": seeds_of(jconfig),
        "package_versions": _package_versions(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "n_runs": int(summary["run"].nunique()),
        "n_curve_rows": int(len(curves)),
        "curves_columns": list(map(str, curves.columns)),
        "summary_columns": list(map(str, summary.columns)),
        "feature_keys": sorted(features),
        "files": {name: {"sha256": _sha256(root / name), "bytes": (root / name).stat().st_size}
                  for name in files},
    }


# --------------------------------------------------------------------------- loader
def _no_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name} (strict JSON has no NaN/Infinity)")


def _read_manifest(root: Path, problems: list[str]) -> dict[str, Any] | None:
    mpath = root / "manifest.json"
    if mpath.is_symlink() or not mpath.is_file():
        problems.append("manifest.json is missing" if not mpath.is_symlink() else
                        "manifest.json is a symbolic link (run-set files must live in the directory)")
        return None
    try:
        manifest = restore_nonfinite(json.loads(mpath.read_text(), parse_constant=_no_constant))
    except RecursionError:
        problems.append("manifest.json is nested too deeply to be a run-set manifest")
        return None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
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
    for name, info in list(manifest.get("files", {}).items()):
        if name not in DATA_FILES:  # never a path: only the schema's fixed names are read
            problems.append(f"manifest.json 'files' lists {name!r}, which is not a run-set data file "
                            f"({', '.join(DATA_FILES)})")
        elif not (isinstance(info, dict) and isinstance(info.get("sha256"), str)
                  and isinstance(info.get("bytes"), int) and not isinstance(info.get("bytes"), bool)):
            problems.append(f"manifest.json 'files' entry of {name} must be an object with sha256 and bytes, "
                            f"got {info!r}"[:200])
    n = manifest.get("n_runs")
    if "n_runs" in manifest and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
        problems.append(f"manifest.json 'n_runs' must be a non-negative integer, got {n!r}")
    if isinstance(manifest.get("config"), dict):
        problems += _config_problems(manifest["config"])
    return manifest


_LABELLED = {"b0"}  # parameters a simulator may record as a descriptive string


def _config_problems(config: Mapping[str, Any]) -> list[str]:
    """The recorded config of a registered simulator must satisfy its declared parameters."""
    from ..simulators import spec_for_generator

    spec = spec_for_generator(str(config.get("generator", "")))
    out: list[str] = []
    for decl in spec.params if spec is not None else ():
        v = config.get(decl.name)
        if v is None or (decl.name in _LABELLED and isinstance(v, str)):
            continue
        try:
            decl.check(v)
        except ValueError as exc:
            out.append(f"manifest config: {exc}")
    return out


def _read_parquet(root: Path, name: str, manifest: Mapping[str, Any] | None,
                  problems: list[str], required: bool = True) -> pd.DataFrame | None:
    fpath = root / name
    if fpath.is_symlink():
        problems.append(f"{name} is a symbolic link (run-set files must live in the directory)")
        return None
    if not fpath.is_file():
        if required:
            problems.append(f"{name} is missing")
        return None
    info = (manifest or {}).get("files", {}).get(name) if manifest else None
    if manifest is not None and info is None:
        problems.append(f"{name} is not listed in manifest.json 'files'")
    elif not isinstance(info, dict):
        return None  # reported by _read_manifest; an unsigned file is never loaded
    else:
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
        problems += check_frame("curves.parquet", curves, CURVES_REQUIRED)
    if summary is not None:
        problems += check_frame("summary.parquet", summary, SUMMARY_REQUIRED)
        problems += summary_problems(summary)
    if curves is not None and not check_frame("c", curves, CURVES_REQUIRED):
        ok_summary = summary if summary is not None and not check_frame("s", summary, ("run",)) else None
        problems += content_problems(curves, ok_summary)
    features: dict[str, np.ndarray] = {}
    fpath = root / "features.npz"
    listed = manifest is not None and "features.npz" in manifest.get("files", {})
    if fpath.is_symlink():
        problems.append("features.npz is a symbolic link (run-set files must live in the directory)")
    elif fpath.is_file():
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
    n_runs = manifest.get("n_runs") if manifest else None
    if isinstance(n_runs, int) and curves is not None and summary is not None and "run" in summary:
        if n_runs != int(summary["run"].nunique()):
            problems.append(f"manifest n_runs is {n_runs}, summary.parquet has "
                            f"{summary['run'].nunique()}")
    if problems or manifest is None or curves is None or summary is None:
        return None, problems or ["run set is incomplete"]
    curves, summary = normalise(curves, summary)
    problems = transition_problems(curves, summary, rules_for(manifest["config"]))
    if problems:
        return None, problems
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

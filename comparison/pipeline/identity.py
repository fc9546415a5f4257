"""Which input a fits file belongs to: the files themselves, never the spelling of a path.

A fits file records, for its input (a run-set directory or one or more logs),
the resolved path and, for every input file, its name, sha256 and size
(:func:`fingerprint`). Then

* it *belongs* to an input (``grokcheck fit`` may replace it) when the resolved
  paths agree (``runs/ball``, ``./runs/ball``, the absolute path, another working
  directory) or when the contents agree (a copied or renamed run set or log):
  :func:`belongs`;
* it is *current* (``grokcheck report`` reads it instead of refitting) only when
  every input file has the recorded name, sha256 and size: an edited log makes
  its fits stale; a renamed or copied run-set directory keeps them (the names
  inside the directory are fixed): :func:`is_current`.

Fits files are read strictly (:func:`read_fits_document`): no symbolic link, no
bare ``NaN``/``Infinity``, a JSON object.
"""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._io import sha256_file
from ..errors import ConfigError

__all__ = ["input_files", "fingerprint", "belongs", "is_current", "read_fits_document"]

Paths = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
_RUNSET_FILES = ("manifest.json", "curves.parquet", "summary.parquet", "features.npz")


def _paths(path: Paths) -> list[Path]:
    return [Path(path)] if isinstance(path, (str, os.PathLike)) else [Path(p) for p in path]


def input_files(path: Paths) -> list[tuple[str, Path]]:
    """(name, file) of every file an input consists of: the run-set files inside a directory
    (named relative to it), else the logs themselves (named by their file name)."""
    out: list[tuple[str, Path]] = []
    for p in _paths(path):
        if p.is_dir():
            out += [(n, p / n) for n in _RUNSET_FILES if (p / n).is_file()]
        else:
            out.append((p.name, p))
    return out


def fingerprint(path: Paths) -> dict[str, Any]:
    """``{"resolved": [absolute paths], "inputs": [{"name", "sha256", "size"}, ...]}`` of an input.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); f = os.path.join(d, "log.csv"); _ = Path(f).write_bytes(b"t,test_error")
    >>> fp = fingerprint(f); (fp["inputs"][0]["name"], fp["inputs"][0]["size"])
    ('log.csv', 12)
    >>> fingerprint(os.path.join(d, ".", "log.csv"))["resolved"] == fp["resolved"]
    True
    """
    return {"resolved": [str(p.resolve()) for p in _paths(path)],
            "inputs": [{"name": n, "sha256": sha256_file(f), "size": int(f.stat().st_size)}
                       for n, f in input_files(path)]}


def _contents(inputs: Any) -> list[tuple[str, int]] | None:
    if not isinstance(inputs, list) or not inputs:
        return None
    try:
        return sorted((str(i["sha256"]), int(i["size"])) for i in inputs)
    except (KeyError, TypeError, ValueError):
        return None


def belongs(source: Any, fp: dict[str, Any]) -> bool:
    """Whether a fits file's ``source`` is of the input with fingerprint ``fp`` (same resolved
    paths, or the same file contents under any names)."""
    if not isinstance(source, dict):
        return False
    if source.get("resolved") == fp["resolved"]:
        return True
    old = _contents(source.get("inputs"))
    return old is not None and old == _contents(fp["inputs"])


def is_current(source: Any, fp: dict[str, Any]) -> bool:
    """Whether every input file still has the recorded name, sha256 and size."""
    return isinstance(source, dict) and bool(fp["inputs"]) and source.get("inputs") == fp["inputs"]


def _no_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name} (strict JSON has no NaN/Infinity)")


def read_fits_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON object of a fits file, read strictly; ``ConfigError`` (one line) otherwise."""
    p = Path(path)
    if p.is_symlink():
        raise ConfigError(f"refusing to read fits {str(p)!r}: it is a symbolic link (fits files are regular files)")
    try:
        doc = json.loads(p.read_text(), parse_constant=_no_constant)
    except RecursionError:
        raise ConfigError(f"{str(p)!r} is nested too deeply to be a grokcheck fits file") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{str(p)!r} is not strict JSON ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{str(p)!r} is not a grokcheck fits file (not a JSON object)")
    return doc

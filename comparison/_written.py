"""The record of what grokcheck wrote: nothing is replaced or deleted without it.

Every directory that grokcheck writes output files into (a report's ``--out``
and its ``figures/``, ``fit --figures DIR``, the directory of a ``--json FILE``)
holds a small hidden record, ``.grokcheck-written.json``, mapping each file
name that grokcheck wrote there to the sha256 of the bytes it wrote. A file is
*grokcheck's own* only while it is listed there with the digest it still has:

- an existing file that is not its own is replaced only with ``--overwrite``
  (and a directory, a run set's own file or a path through a link never);
- stale files are removed only when they are its own (a figure the user put
  in ``figures/``, or edited after grokcheck wrote it, is never deleted).

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> (d / "notes.md").write_text("mine")
4
>>> try:
...     check_may_write([d / "notes.md"], overwrite=False)
... except ValueError as e:
...     print(str(e).startswith("refusing to overwrite"))
True
>>> owned(write_owned(d / "a.json", b"{}"))
True
"""
from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from ._io import sha256_file, write_bytes_atomic

__all__ = ["RECORD_NAME", "read_record", "owned", "check_may_write", "record_written", "write_owned",
           "remove_owned"]

RECORD_NAME = ".grokcheck-written.json"
_RUNSET_FILES = frozenset({"manifest.json", "curves.parquet", "summary.parquet", "features.npz", "fits.json"})


def read_record(directory: str | os.PathLike[str]) -> dict[str, str]:
    """The record of ``directory`` (file name -> sha256); empty when missing, a link or malformed."""
    path = Path(directory) / RECORD_NAME
    if path.is_symlink() or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(), parse_constant=_reject)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return {}
    files = data.get("files") if isinstance(data, dict) and data.get("schema") == "grokcheck.written" else None
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}


def _reject(token: str) -> None:
    raise ValueError(f"non-standard JSON constant {token}")


def owned(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a regular file that grokcheck wrote and nobody changed since."""
    p = Path(path)
    if p.is_symlink() or not p.is_file():
        return False
    digest = read_record(p.parent).get(p.name)
    try:
        return digest is not None and sha256_file(p) == digest
    except OSError:
        return False


def _runset_of(p: Path) -> Path | None:
    """The run set directory that ``p`` is one of the files of, if any."""
    man = p.parent / "manifest.json"
    if p.name not in _RUNSET_FILES or not man.is_file():
        return None
    with contextlib.suppress(OSError, UnicodeDecodeError, ValueError, RecursionError):
        data = json.loads(man.read_text())
        if isinstance(data, dict) and data.get("schema") == "grokcheck.runset":
            return p.parent
    return None


def check_may_write(paths: Iterable[str | os.PathLike[str]], *, overwrite: bool, flag: str = "--overwrite") -> None:
    """Refuse (``ValueError``, one line) to write any of ``paths`` that grokcheck may not replace.

    A path that does not exist, or is grokcheck's own (:func:`owned`), is fine.
    A directory, a file of a run set and a path whose parent is a symbolic link
    are always refused; any other existing file (or link) needs ``overwrite``.
    """
    for raw in paths:
        p = Path(raw)
        if p.parent.is_symlink():
            raise ValueError(f"refusing to write {str(p)!r}: its directory is a symbolic link")
        if not os.path.lexists(p) or owned(p):
            continue
        if p.is_dir() and not p.is_symlink():
            raise ValueError(f"refusing to overwrite {str(p)!r}: it is a directory")
        rs = _runset_of(p)
        if rs is not None:
            raise ValueError(f"refusing to overwrite {str(p)!r}: it is a file of run set {str(rs)!r}")
        if not overwrite:
            raise ValueError(f"refusing to overwrite {str(p)!r}: grokcheck did not write it (or it was "
                             f"changed since); pass {flag} or choose another path")


def record_written(directory: str | os.PathLike[str], files: Mapping[str, str | None]) -> None:
    """Add (digest) or drop (``None``) entries of ``directory``'s record, atomically."""
    d = Path(directory)
    rec = read_record(d)
    for name, digest in files.items():
        if digest is None:
            rec.pop(name, None)
        else:
            rec[name] = digest
    body = json.dumps({"schema": "grokcheck.written", "files": dict(sorted(rec.items()))}, indent=1) + "\n"
    write_bytes_atomic(d / RECORD_NAME, body.encode())


def write_owned(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` atomically to ``path`` and record it as grokcheck's own (call
    :func:`check_may_write` first)."""
    import hashlib

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()
    record_written(p.parent, {p.name: digest})   # recorded first: a kill never leaves an unrecorded own file
    write_bytes_atomic(p, data)
    return p


def remove_owned(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Remove those of ``paths`` that are grokcheck's own; others are left alone. Returns the removed."""
    gone: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if owned(p):
            p.unlink()
            record_written(p.parent, {p.name: None})
            gone.append(p)
    return gone

"""The one place for file-level I/O helpers: atomic writes, checksums (and, from :mod:`comparison._json`,
the JSON converter).

Everything grokcheck writes goes through :func:`write_json_atomic` (a file) or
:func:`atomic_dir` (a directory built in a hidden temporary sibling, fsync'd,
then renamed into place), so an interrupted writer never leaves half a file
and a reader never sees one.

Every JSON document goes through one converter, :func:`strict_jsonable`: a
non-finite number is ``null`` with its reason in ``null_reasons``.

>>> import math
>>> strict_jsonable({"a": (1, 2.5), "b": math.inf})["b"] is None
True
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._json import dumps_strict, plain_jsonable, restore_nonfinite, strict_jsonable, to_jsonable

__all__ = ["strict_jsonable", "to_jsonable", "plain_jsonable", "restore_nonfinite", "dumps_strict",
           "write_json_atomic", "write_bytes_atomic", "atomic_dir", "recover_stale_in", "sha256_file",
           "fsync_dir", "recover_stale", "short_stem"]


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Flush a directory entry (a rename) to disk where the OS allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_STEM_MAX = 160      # bytes of a target name used as is in temporary names (a name may have 255)
_SHORT = re.compile(r"~[0-9a-f]{16}$")


def short_stem(name: str) -> str:
    """The target name as it appears in temporary and backup names: itself when short, else
    its first characters plus ``~`` and 16 hex digits of its sha256 (so that a legal name of
    up to 255 bytes still leaves room for ``.NAME.tmp-PID-XXXXXXXX``).

    >>> short_stem("rs")
    'rs'
    >>> len(short_stem("x" * 255).encode()) <= 100
    True
    """
    if len(name.encode("utf-8", "surrogateescape")) <= _STEM_MAX:
        return name
    head = name.encode("utf-8", "surrogateescape")[:80].decode("utf-8", "ignore")
    return f"{head}~{hashlib.sha256(name.encode('utf-8', 'surrogateescape')).hexdigest()[:16]}"


def _with_path(exc: OSError, path: Path, *, always: bool = False) -> OSError:
    """``exc`` naming ``path`` when it names none (a failed write of an open file names nothing),
    or (``always``) instead of a temporary name."""
    if exc.errno is None or (exc.filename is not None and not always):
        return exc
    new = type(exc)(exc.errno, exc.strerror or os.strerror(exc.errno), str(path))
    new.__cause__ = exc
    return new


def _clean_stale_files(target: Path) -> None:
    """Remove ``.NAME.PID-*.tmp`` files of :func:`write_bytes_atomic` whose writer is gone."""
    pat = re.compile(r"^\." + re.escape(short_stem(target.name)) + r"\.(\d+)-[A-Za-z0-9_]+\.tmp$")
    with contextlib.suppress(OSError):
        for entry in target.parent.iterdir():
            m = pat.match(entry.name)
            if m and not entry.is_symlink() and entry.is_file() and not _pid_alive(int(m[1])):
                with contextlib.suppress(OSError):
                    entry.unlink()


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` through a fsync'd temporary file and a rename.

    A symbolic link at ``path`` is replaced by the new file, never followed (the rename
    replaces the link itself), so nothing outside ``path``'s directory is ever written.
    """
    target = Path(path)
    if target.is_dir() and not target.is_symlink():
        raise ValueError(f"output path {str(target)!r} is a directory; give a file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale_files(target)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{short_stem(target.name)}.{os.getpid()}-",
                                   suffix=".tmp")
    except OSError as exc:
        raise _with_path(exc, target, always=True) from exc
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _with_path(exc, target) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(target.parent)
    return target


def write_json_atomic(path: str | os.PathLike[str], data: Any, *, indent: int = 2) -> Path:
    """Write ``data`` as strict JSON (:func:`dumps_strict`) atomically, keys sorted."""
    text = dumps_strict(data, indent=indent) + "\n"
    return write_bytes_atomic(path, text.encode())


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. EPERM: it exists, owned by someone else
        return True
    return True


_MARK = "grokcheck atomic_dir\n"      # content of the marker that proves grokcheck wrote an entry
_PARTIAL = ".grokcheck-partial"       # marker file inside a half-built directory


def _is_marked(path: Path) -> bool:
    """True when ``path`` is a regular file (not a link) holding grokcheck's marker."""
    try:
        return not path.is_symlink() and path.is_file() and path.read_text() == _MARK
    except (OSError, UnicodeDecodeError):
        return False


def _sidecar(backup: Path) -> Path:
    return backup.with_name(backup.name + ".grokcheck")


def recover_stale_in(parent: str | os.PathLike[str], name: str | None = None) -> list[str]:
    """Clean up, in directory ``parent``, after writers of :func:`atomic_dir` that were killed.

    Only entries that carry grokcheck's own marker are touched, and only when
    their writer process is gone: ``.NAME.tmp-PID-*`` holding the marker file
    ``.grokcheck-partial`` (a half-built directory) is removed; ``.NAME.old-PID``
    with its marker ``.NAME.old-PID.grokcheck`` beside it (the previous version,
    moved aside during a swap) is renamed back to ``NAME`` if ``NAME`` is
    missing, removed otherwise. With ``name`` given, only entries of that
    target are considered. Anything else (a user's ``.thesis.old-99``) is never
    touched. Returns what was done, one line per entry.
    """
    parent = Path(parent)
    stem = re.escape(short_stem(name)) if name is not None else r"(?P<name>.+)"
    pat = re.compile(r"^\." + stem + r"\.(?:tmp-(?P<tpid>\d+)-[A-Za-z0-9_]+|old-(?P<opid>\d+))(?P<side>\.grokcheck)?$")
    done: list[str] = []
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return done
    for entry in entries:
        m = pat.match(entry.name)
        if not m or _pid_alive(int(m["tpid"] or m["opid"])):
            continue
        if m["side"]:   # an orphan marker whose backup is gone
            if m["opid"] and not os.path.lexists(entry.with_name(entry.name[:-len(".grokcheck")])) \
                    and _is_marked(entry):
                entry.unlink()
            continue
        if entry.is_symlink() or not entry.is_dir():
            continue
        if m["tpid"] and _is_marked(entry / _PARTIAL):
            shutil.rmtree(entry, ignore_errors=True)
            done.append(f"removed stale {entry.name}")
        elif m["opid"] and _is_marked(_sidecar(entry)):
            if name is None and _SHORT.search(m["name"]):
                continue    # a shortened stem: the full name is known only to a writer of that target
            home = parent / (name if name is not None else m["name"])
            if not os.path.lexists(home):
                os.replace(entry, home)
                done.append(f"restored {str(home)!r} from {entry.name}")
            else:
                shutil.rmtree(entry, ignore_errors=True)
                done.append(f"removed stale {entry.name}")
            _sidecar(entry).unlink(missing_ok=True)
    if done:
        fsync_dir(parent)
    return done


def recover_stale(target: str | os.PathLike[str]) -> list[str]:
    """Clean up after killed writers of ``target`` only (see :func:`recover_stale_in`)."""
    target = Path(target).absolute()
    return recover_stale_in(target.parent, target.name)


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike[str], *, replace: bool = False) -> Iterator[Path]:
    """Build a directory in a hidden temporary sibling; rename it to ``target`` on success.

    Yields the temporary directory. On any exception (``KeyboardInterrupt``
    included) it is removed and ``target`` is untouched. With ``replace=True``
    an existing ``target`` is swapped out only after the new one is complete
    (the caller must have checked that it may be replaced); the old one is
    moved to ``.NAME.old-PID`` first and deleted after the swap. Leftovers of a
    killed earlier writer of ``target`` are cleaned first (:func:`recover_stale`).
    """
    target = Path(target).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    recover_stale(target)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{short_stem(target.name)}.tmp-{os.getpid()}-", dir=target.parent))
        (tmp / _PARTIAL).write_text(_MARK)
    except OSError as exc:
        raise _with_path(exc, target, always=True) from exc
    try:
        yield tmp
        (tmp / _PARTIAL).unlink()
        for f in tmp.rglob("*"):
            if f.is_file():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
        if os.path.lexists(target):
            if not replace:
                raise FileExistsError(f"output path {str(target)!r} exists")
            backup = target.parent / f".{short_stem(target.name)}.old-{os.getpid()}"
            _sidecar(backup).write_text(_MARK)
            os.replace(target, backup)
            try:
                os.replace(tmp, target)
            except BaseException:
                os.replace(backup, target)
                _sidecar(backup).unlink(missing_ok=True)
                raise
            shutil.rmtree(backup, ignore_errors=True)
            _sidecar(backup).unlink(missing_ok=True)
        else:
            os.replace(tmp, target)
        fsync_dir(target.parent)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _with_path(exc, target) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

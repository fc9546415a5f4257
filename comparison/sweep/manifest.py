"""The sweep directory: its manifest (``sweep.json``), the lock, and config resumption.

``sweep.json`` records the config, its hash, the settings and every task with
its seed and state. The states are advisory: a task is done iff its run-set
directory validates and carries the task's key (:func:`comparison.sweep.task.task_done`).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .._io import restore_nonfinite
from ..errors import SweepError
from .config import SweepConfig, Task, parse_sweep_config, read_sweep_toml, Setting

__all__ = ["SWEEP_MANIFEST", "SWEEP_SCHEMA", "SWEEP_SCHEMA_VERSION", "SEED_RULE", "LOCK_NAME", "now",
           "load_sweep_config", "is_sweep_dir", "read_sweep_manifest", "locked", "task_key", "prepare_manifest",
           "manifest_config", "task_history"]

SWEEP_MANIFEST = "sweep.json"
SWEEP_SCHEMA = "grokcheck.sweep"
SWEEP_SCHEMA_VERSION = 1
SEED_RULE = "seed_k = numpy.random.SeedSequence(sweep.seed, spawn_key=(k,)).generate_state(1, dtype=uint64)[0] >> 1"
LOCK_NAME = ".sweep.lock"



def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def load_sweep_config(config: SweepConfig | dict[str, Any] | str | os.PathLike[str]) -> SweepConfig:
    """A :class:`SweepConfig` from itself, a dict (TOML structure) or a TOML path."""
    if isinstance(config, SweepConfig):
        return config
    if isinstance(config, dict):
        return parse_sweep_config(config)
    return parse_sweep_config(read_sweep_toml(os.fspath(config)))


def is_sweep_dir(path: str | os.PathLike[str]) -> bool:
    """True if ``path`` is a directory holding a sweep manifest."""
    return (Path(path) / SWEEP_MANIFEST).is_file()


def read_sweep_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check ``sweep.json`` of the sweep directory ``path``."""
    mpath = Path(path) / SWEEP_MANIFEST
    try:
        data = restore_nonfinite(json.loads(mpath.read_text()))
    except FileNotFoundError as exc:
        raise SweepError(f"{str(path)!r} is not a sweep directory (no {SWEEP_MANIFEST})") from exc
    except (OSError, ValueError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
        raise SweepError(f"{str(mpath)!r} cannot be read ({why}); re-run 'grokcheck sweep' with its config "
                         "to rebuild it") from exc
    if not isinstance(data, dict) or data.get("schema") != SWEEP_SCHEMA:
        raise SweepError(f"{str(mpath)!r} is not a grokcheck sweep manifest")
    if data.get("schema_version") != SWEEP_SCHEMA_VERSION:
        raise SweepError(f"{str(mpath)!r} has schema_version {data.get('schema_version')!r}; "
                         f"this grokcheck reads version {SWEEP_SCHEMA_VERSION}")
    return data


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """Exclusive lock on the sweep directory (released by the OS if we are killed)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX: no protection against two drivers
        yield
        return
    fh = open(root / LOCK_NAME, "a+")
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise SweepError(f"another grokcheck sweep is running in {str(root)!r}; "
                             "wait for it or stop it first") from exc
        yield
    finally:
        fh.close()


def _config_diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    keys = []
    for table in sorted(set(old) | set(new)):
        a, b = old.get(table), new.get(table)
        if isinstance(a, dict) and isinstance(b, dict):
            keys += [f"{table}.{k}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
        elif a != b:
            keys.append(table)
    return keys


def task_key(cfg: SweepConfig, t: Task) -> dict[str, Any]:
    return {"sweep": cfg.config_hash, "task": t.index, "seed": t.seed}


def manifest_config(manifest: dict[str, Any], root: Path) -> SweepConfig:
    """The config recorded in a sweep manifest, checked against its hash (:class:`SweepError` if not)."""
    where = str(root / SWEEP_MANIFEST)
    if not isinstance(manifest.get("config"), dict) or not isinstance(manifest.get("config_hash"), str):
        raise SweepError(f"{where!r} is damaged (no config / config_hash); re-run 'grokcheck sweep' with its "
                         "config to rebuild it")
    try:
        cfg = parse_sweep_config(manifest["config"])
    except (ValueError, TypeError, AttributeError, RecursionError) as exc:
        raise SweepError(f"{where!r}: its config is damaged ({str(exc)[:200]}); re-run 'grokcheck sweep' with "
                         "its config to rebuild it") from None
    if cfg.config_hash != manifest["config_hash"]:
        raise SweepError(f"{where!r}: config and config_hash disagree (edited by hand?)")
    return cfg


_HISTORY = {"attempts_total": int, "error": str, "traceback": str, "worker": str, "compute_s": float,
            "total_s": float}


def task_history(manifest: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Each task's advisory history in ``manifest`` (attempts, last error, timings), keeping only
    entries of the right type: damaged entries are dropped, never trusted."""
    out: dict[int, dict[str, Any]] = {}
    tasks = manifest.get("tasks")
    for r in tasks if isinstance(tasks, list) else []:
        idx = r.get("index") if isinstance(r, dict) else None
        if not isinstance(idx, int) or isinstance(idx, bool):
            continue
        out[idx] = {k: v for k, v in r.items() if k in _HISTORY and _is_kind(v, _HISTORY[k])}
    return out


def _is_kind(v: Any, kind: type) -> bool:
    if kind is float:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    if kind is int:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0
    return isinstance(v, str) and len(v) < 100_000


def _invocations(old: dict[str, Any]) -> list[dict[str, Any]]:
    inv = old.get("invocations")
    scalar = (str, int, float, bool, type(None))
    return [r for r in (inv if isinstance(inv, list) else []) if isinstance(r, dict)
            and all(isinstance(k, str) and isinstance(v, scalar) for k, v in r.items())][-50:]


def _foreign_tasks(root: Path, cfg: SweepConfig, tasks: list[Task]) -> list[str]:
    """Task directories written for another sweep config (a rebuild must not replace them)."""
    from .task import TASK_MANIFEST_KEY

    out = []
    for t in tasks:
        m = root / t.relpath / "manifest.json"
        if not m.is_file():
            continue
        try:
            key = json.loads(m.read_text()).get(TASK_MANIFEST_KEY)
        except (OSError, ValueError, RecursionError, AttributeError):
            key = None
        if not isinstance(key, dict) or key.get("sweep") != cfg.config_hash:
            out.append(t.relpath)
    return out


def _read_own(root: Path) -> tuple[dict[str, Any], str | None]:
    """(manifest, damage): an unreadable ``sweep.json`` is moved aside (``sweep.json.damaged-TIME``,
    kept) and reported as damage; a readable one that is not a sweep manifest is refused."""
    mpath = root / SWEEP_MANIFEST
    try:
        data = restore_nonfinite(json.loads(mpath.read_text()))
    except (OSError, ValueError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else f"{exc.__class__.__name__}: {exc}"[:200]
        aside = mpath.with_name(f"{SWEEP_MANIFEST}.damaged-{_dt.datetime.now():%Y%m%dT%H%M%S%f}")
        os.replace(mpath, aside)
        return {}, f"unreadable ({why}); kept as {aside.name}"
    if not isinstance(data, dict) or data.get("schema") != SWEEP_SCHEMA:
        raise SweepError(f"{str(mpath)!r} is not a grokcheck sweep manifest; choose another --out")
    if data.get("schema_version") != SWEEP_SCHEMA_VERSION:
        raise SweepError(f"{str(mpath)!r} has schema_version {data.get('schema_version')!r}; "
                         f"this grokcheck reads version {SWEEP_SCHEMA_VERSION}")
    ok = isinstance(data.get("config_hash"), str) and isinstance(data.get("config"), dict)
    return data, None if ok else "config or config_hash damaged"


def _reopen(root: Path, cfg: SweepConfig, settings: list[Setting], tasks: list[Task]) -> dict[str, Any]:
    """The existing manifest, its advisory state rebuilt from the config (damage is repaired)."""
    old, damage = _read_own(root)
    if damage is None and old["config_hash"] != cfg.config_hash:
        diff = _config_diff(old["config"], cfg.canonical)
        raise SweepError(f"sweep directory {str(root)!r} was created with a different config "
                         f"(differs in {diff or ['?']}; hash {old['config_hash'][:12]} vs "
                         f"{cfg.config_hash[:12]}); resume it with its original config "
                         f"(stored in {SWEEP_MANIFEST}) or choose another --out")
    if damage is not None:
        foreign = _foreign_tasks(root, cfg, tasks)
        if foreign:
            raise SweepError(f"{str(root / SWEEP_MANIFEST)!r} is damaged ({damage}) and task directories "
                             f"({', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}) were not written "
                             "by this config: it cannot be rebuilt from it; choose another --out")
    new = _fresh_manifest(cfg, settings, tasks)
    hist = task_history(old)
    new["tasks"] = [{**rec, **hist.get(rec["index"], {})} for rec in new["tasks"]]
    new["invocations"] = _invocations(old)
    if isinstance(old.get("created"), str) and len(old["created"]) < 64:
        new["created"] = old["created"]
    if damage is not None:
        new["repaired"] = {"at": now(), "why": damage}
    return new


def prepare_manifest(root: Path, cfg: SweepConfig, settings: list[Setting], tasks: list[Task]) -> dict[str, Any]:
    """Create or reopen the sweep manifest; refuse a different config. The advisory state of an
    existing manifest (tasks, invocations) is rebuilt from the config, keeping the well-typed
    history; an unreadable one is rebuilt when no task directory belongs to another config."""
    if (root / SWEEP_MANIFEST).exists() or (root / SWEEP_MANIFEST).is_symlink():
        return _reopen(root, cfg, settings, tasks)
    return _fresh_manifest(cfg, settings, tasks)


def _fresh_manifest(cfg: SweepConfig, settings: list[Setting], tasks: list[Task]) -> dict[str, Any]:
    return {"schema": SWEEP_SCHEMA, "schema_version": SWEEP_SCHEMA_VERSION, "created": now(),
            "config": cfg.canonical, "config_hash": cfg.config_hash, "seed_rule": SEED_RULE,
            "settings": [{"index": s.index, "label": s.label, "params": s.params, "varying": s.varying}
                         for s in settings],
            "tasks": [_fresh_record(t) for t in tasks], "invocations": []}


def _fresh_record(t: Task) -> dict[str, Any]:
    return {"index": t.index, "setting": t.setting, "chunk": t.chunk, "seed": t.seed, "n_runs": t.n_runs,
            "path": t.relpath, "state": "pending", "attempts": 0, "attempts_total": 0, "error": None}

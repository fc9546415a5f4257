"""The sweep directory: its manifest (``sweep.json``), the lock, and config resumption.

``sweep.json`` records the config, its hash, the settings and every task with
its seed and state. The states are advisory: a task is done iff its run-set
directory validates and carries the task's key (:func:`comparison.sweep.task.task_done`).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import SweepError
from .config import SweepConfig, Task, parse_sweep_config, read_sweep_toml, Setting

__all__ = ["SWEEP_MANIFEST", "SWEEP_SCHEMA", "SWEEP_SCHEMA_VERSION", "SEED_RULE", "LOCK_NAME", "now",
           "load_sweep_config", "is_sweep_dir", "read_sweep_manifest", "locked", "task_key", "prepare_manifest"]

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
        data = json.loads(mpath.read_text())
    except FileNotFoundError as exc:
        raise SweepError(f"{str(path)!r} is not a sweep directory (no {SWEEP_MANIFEST})") from exc
    except (OSError, ValueError) as exc:
        raise SweepError(f"{str(mpath)!r} cannot be read ({exc})") from exc
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


def prepare_manifest(root: Path, cfg: SweepConfig, settings: list[Setting], tasks: list[Task]) -> dict[str, Any]:
    """Create or reopen the sweep manifest; refuse a different config."""
    mpath = root / SWEEP_MANIFEST
    if mpath.exists():
        old = read_sweep_manifest(root)
        if old.get("config_hash") != cfg.config_hash:
            diff = _config_diff(old.get("config", {}), cfg.canonical)
            raise SweepError(f"sweep directory {str(root)!r} was created with a different config "
                             f"(differs in {diff or ['?']}; hash {str(old.get('config_hash'))[:12]} vs "
                             f"{cfg.config_hash[:12]}); resume it with its original config "
                             f"(stored in {SWEEP_MANIFEST}) or choose another --out")
        # rebuild the task list from the config, keeping each task's history
        hist = {r.get("index"): r for r in old.get("tasks", []) if isinstance(r, dict)}
        keep = ("attempts_total", "error", "traceback", "worker", "compute_s", "total_s")
        old["tasks"] = [{**_fresh_record(t), **{k: hist[t.index][k] for k in keep if k in hist.get(t.index, {})}}
                        for t in tasks]
        return old
    return {"schema": SWEEP_SCHEMA, "schema_version": SWEEP_SCHEMA_VERSION, "created": now(),
            "config": cfg.canonical, "config_hash": cfg.config_hash, "seed_rule": SEED_RULE,
            "settings": [{"index": s.index, "label": s.label, "params": s.params, "varying": s.varying}
                         for s in settings],
            "tasks": [_fresh_record(t) for t in tasks], "invocations": []}


def _fresh_record(t: Task) -> dict[str, Any]:
    return {"index": t.index, "setting": t.setting, "chunk": t.chunk, "seed": t.seed, "n_runs": t.n_runs,
            "path": t.relpath, "state": "pending", "attempts": 0, "attempts_total": 0, "error": None}

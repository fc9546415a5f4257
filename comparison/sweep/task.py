"""The worker side of a sweep: run one task, write its run set atomically.

:func:`run_task` is what a worker (dask or in-process) executes. It goes
through the same code path as ``grokcheck simulate``
(:func:`comparison.simulators.call_simulator`, then :func:`comparison.runset.write_runset`), so every simulator works. A task is
*done* iff its run-set directory exists, validates, and its manifest carries the
task's key (sweep hash, task index, seed) -- :func:`task_done` checks exactly that.
"""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from ..runset import validate_runset, write_runset
from ..simulators import call_simulator

__all__ = ["run_task", "task_done", "TASK_MANIFEST_KEY"]

TASK_MANIFEST_KEY = "sweep_task"


def task_done(path: str | os.PathLike[str], key: dict[str, Any]) -> bool:
    """True iff ``path`` is a valid run set written for the task ``key``."""
    p = Path(path)
    mpath = p / "manifest.json"
    if not mpath.is_file():
        return False
    try:
        manifest = json.loads(mpath.read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict) or manifest.get(TASK_MANIFEST_KEY) != key:
        return False
    return not validate_runset(p)


def run_task(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one sweep task described by ``spec`` and write its run set.

    ``spec`` keys: ``simulator`` (name or "module:function"), ``params`` (every
    simulator parameter, seed and run count included), ``path`` (absolute run-set
    directory), ``key`` (dict recorded in the manifest under ``sweep_task``).
    Returns timing information; raises whatever the simulator raises.
    """
    t0 = time.perf_counter()
    info: dict[str, Any] = {"index": spec["key"]["task"], "host": socket.gethostname(), "pid": os.getpid()}
    if task_done(spec["path"], spec["key"]):  # e.g. re-executed after a lost connection
        info.update(status="already done", compute_s=0.0, write_s=0.0, total_s=time.perf_counter() - t0)
        return info
    result = call_simulator(spec["simulator"], dict(spec["params"]), progress=False)
    t1 = time.perf_counter()
    write_runset(result, spec["path"], overwrite=True,
                 extra_manifest={TASK_MANIFEST_KEY: spec["key"],
                                 "cli": {"command": "sweep", "simulator": spec["simulator"],
                                         "parameters": spec["params"]}})
    t2 = time.perf_counter()
    info.update(status="done", n_runs=int(result.summary["run"].nunique()), compute_s=t1 - t0,
                write_s=t2 - t1, total_s=t2 - t0)
    return info

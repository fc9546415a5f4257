"""Reading a sweep back: each setting's finished chunks merged into one run set (reads only)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import RunSetError
from ..runset import load_runset, merge_runsets
from ..simulators import get_spec
from .config import SweepConfig, Task
from .manifest import manifest_config, read_sweep_manifest, task_history, task_key
from .task import task_done

__all__ = ["LoadedSweep", "sweep_status", "load_sweep"]


@dataclass
class LoadedSweep:
    """A sweep directory read back: one merged run set per setting with data.

    ``settings`` has one dict per setting (label, varying parameters, chunks
    done / total, runs); ``runsets`` the merged run sets of the settings with at
    least one finished chunk (same order); ``missing`` the labels without any.
    """

    path: Path
    config: SweepConfig
    settings: list[dict[str, Any]]
    runsets: list[Any]
    missing: list[str]


def sweep_status(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Per-task records of ``sweep.json`` with ``done`` recomputed from disk (reads only)."""
    root = Path(path)
    manifest = read_sweep_manifest(root)
    cfg = manifest_config(manifest, root)
    hist = task_history(manifest)
    return [{"index": t.index, "setting": t.setting, "chunk": t.chunk, "seed": t.seed, "n_runs": t.n_runs,
             "path": t.relpath, **hist.get(t.index, {}), "done": task_done(root / t.relpath, task_key(cfg, t))}
            for t in cfg.tasks()]


def load_sweep(path: str | os.PathLike[str]) -> LoadedSweep:
    """Read a sweep directory: each setting's finished chunks merged into one run set.

    Reads only. The merged config gets a ``sweep_setting`` entry (label,
    varying parameters, chunks done / total).
    """
    root = Path(path)
    manifest = read_sweep_manifest(root)
    cfg = manifest_config(manifest, root)
    settings, tasks = cfg.settings(), cfg.tasks()
    by_setting: dict[int, list[Task]] = {}
    for t in tasks:
        by_setting.setdefault(t.setting, []).append(t)
    infos, runsets, missing = [], [], []
    for s in settings:
        chunks = []
        for t in by_setting[s.index]:
            try:
                rs = load_runset(root / t.relpath)
            except (RunSetError, FileNotFoundError):
                continue
            if rs.manifest.get("sweep_task") == task_key(cfg, t):
                chunks.append(rs)
        info = {"setting": s.label, **s.varying, "chunks_done": len(chunks), "chunks_total": len(by_setting[s.index]),
                "runs": int(sum(rs.n_runs for rs in chunks))}
        infos.append(info)
        if not chunks:
            missing.append(s.label)
            continue
        spec = get_spec(cfg.simulator)
        seed_keys = spec.seed_keys if spec is not None else ()
        merged = merge_runsets(chunks, ignore_keys=("seed", "seeds", "n_replicas", "n_init", "n_runs",
                                                    "progress", cfg.size_key, *seed_keys))
        for k in seed_keys:  # per-chunk seed lists: the merged set records all of them
            merged.config[k] = [v for rs in chunks for v in (rs.config.get(k) or [])]
        merged.config["sweep_setting"] = {"label": s.label, "varying": s.varying,
                                          "chunks_done": len(chunks), "chunks_total": len(by_setting[s.index])}
        merged.path = root / "runs" / s.label
        runsets.append(merged)
    return LoadedSweep(path=root, config=cfg, settings=infos, runsets=runsets, missing=missing)

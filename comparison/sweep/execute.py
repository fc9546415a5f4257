"""Resumable parameter sweeps, run locally or on a ``dask.distributed`` cluster.

A sweep (see :mod:`comparison._sweep_config` and docs/cluster.md) is a grid of
simulator settings times seed chunks. Each *task* (one chunk of one setting)
writes its own run set atomically under ``OUT/runs/<setting>/c<chunk>/``;
``OUT/sweep.json`` (the sweep manifest) records the config, its hash, the
settings and every task with its seed and state.

Source of truth: a task is done iff its run-set directory exists, validates and
carries the task's key (sweep hash, task index, seed) in its manifest. The
states in ``sweep.json`` are advisory and repaired on every start, so a sweep
killed at any moment (even with SIGKILL) resumes with exactly the missing tasks:
run the same command again. Changing the config of an existing sweep directory
is refused (the canonical-JSON hash differs).

Execution (``run_sweep``):

* ``scheduler="tcp://host:8786"``: tasks are submitted to a running
  ``dask.distributed`` scheduler (workers started by hand or by SLURM);
* default: an in-process ``dask.distributed.LocalCluster`` with
  ``n_workers`` (default: all cores) worker *processes*, one thread each --
  the same code path as a real cluster, and a worker process that dies is
  restarted by its nanny while its task is rescheduled;
* ``n_workers=0``: serial, in this process (debugging, reference runs).

A task that raises is resubmitted up to ``retries`` times, then marked
``failed`` with its error in ``sweep.json`` and in the returned outcome
(never hidden); the other tasks go on.
"""
from __future__ import annotations

import contextlib
import os
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._io import recover_stale_in, write_json_atomic
from ..errors import ConfigError, SweepError
from .config import Setting, SweepConfig, Task
from .manifest import (LOCK_NAME, SWEEP_MANIFEST, is_sweep_dir, load_sweep_config, locked, now,
                       prepare_manifest, task_key)
from .task import run_task, task_done
from .validate import check_sweep_params

__all__ = ["SweepOutcome", "run_sweep"]

def _task_spec(cfg: SweepConfig, settings: list[Setting], t: Task, root: Path) -> dict[str, Any]:
    params = {**settings[t.setting].params, "seed": t.seed, cfg.size_key: t.n_runs}
    return {"simulator": cfg.simulator, "params": params, "path": str((root / t.relpath).resolve()),
            "key": task_key(cfg, t)}


def _clean_tmp(root: Path) -> int:
    """Recover half-written task directories left by a killed writer (only grokcheck's marked ones)."""
    n = 0
    runs = root / "runs"
    if runs.is_dir():
        for d in runs.iterdir():
            if d.is_dir() and not d.is_symlink():
                n += len(recover_stale_in(d))
    return n


@dataclass
class SweepOutcome:
    """What one ``run_sweep`` call did."""

    path: Path
    n_tasks: int
    n_done: int
    n_failed: int
    n_skipped: int          # already done before this call
    n_run: int              # completed by this call
    failed: list[dict[str, Any]] = field(default_factory=list)
    wall_s: float = 0.0
    executor: str = ""
    task_times: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.n_done == self.n_tasks


class _Book:
    """The driver's bookkeeping: task states, the manifest file and the progress bar."""

    def __init__(self, root: Path, cfg: SweepConfig, settings: list[Setting], tasks: list[Task],
                 manifest: dict[str, Any], progress: bool):
        self.root, self.cfg, self.settings, self.tasks = root, cfg, settings, tasks
        self.manifest = manifest
        self.rec = {r["index"]: r for r in manifest["tasks"]}
        self.last_save = 0.0
        self.running: set[int] = set()
        self.task_times: list[dict[str, Any]] = []
        from tqdm.auto import tqdm

        n_done = sum(r["state"] == "done" for r in self.rec.values())
        self.bar = tqdm(total=len(tasks), initial=n_done, desc="sweep", unit="task", disable=not progress,
                        dynamic_ncols=True)
        self.failed = 0
        self.slots = 1
        self._postfix()

    def _postfix(self) -> None:
        queued = max(0, len(self.running) - self.slots)
        self.bar.set_postfix_str(f"running {len(self.running) - queued}, queued {queued}, failed {self.failed}",
                                 refresh=False)

    def save(self, force: bool = False) -> None:
        mono = time.monotonic()
        if not force and mono - self.last_save < 1.0:
            return
        recs = self.manifest["tasks"]
        self.manifest["counts"] = {s: sum(r["state"] == s for r in recs)
                                   for s in ("done", "failed", "pending", "running")}
        self.manifest["counts"]["total"] = len(recs)
        self.manifest["updated"] = now()
        write_json_atomic(self.root / SWEEP_MANIFEST, self.manifest, indent=1)
        self.last_save = mono

    def started(self, t: Task) -> None:
        r = self.rec[t.index]
        r["state"] = "running"
        r["attempts"] += 1
        r["attempts_total"] = r.get("attempts_total", 0) + 1
        self.running.add(t.index)
        self._postfix()
        self.save()

    def done(self, t: Task, info: dict[str, Any]) -> None:
        r = self.rec[t.index]
        r.update(state="done", error=None, traceback=None, worker=f"{info.get('host')}:{info.get('pid')}",
                 compute_s=info.get("compute_s"), total_s=info.get("total_s"))
        self.running.discard(t.index)
        self.task_times.append(info)
        self.bar.update(1)
        self._postfix()
        self.save()

    def error(self, t: Task, exc: BaseException, tb: str, final: bool) -> None:
        r = self.rec[t.index]
        r["error"] = f"{exc.__class__.__name__}: {str(exc).strip()}"[:2000]
        r["traceback"] = tb[-4000:]
        self.running.discard(t.index)
        if final:
            r["state"] = "failed"
            self.failed += 1
            self.bar.write(f"grokcheck sweep: task {t.index} ({t.relpath}) failed after {r['attempts']} "
                           f"attempt(s): {r['error']}")
        else:
            r["state"] = "pending"
        self._postfix()
        self.save()

    def interrupted(self) -> None:
        for r in self.manifest["tasks"]:
            if r["state"] == "running":
                r["state"] = "pending"
        self.save(force=True)

    def close(self) -> None:
        self.bar.close()


def _format_tb(exc: BaseException, tb: Any = None) -> str:
    return "".join(traceback.format_exception(type(exc), exc, tb if tb is not None else exc.__traceback__))


def _run_serial(book: _Book, specs: dict[int, dict[str, Any]], pending: list[Task], retries: int) -> None:
    for t in pending:
        for attempt in range(1, retries + 2):
            book.started(t)
            try:
                info = run_task(specs[t.index])
            except Exception as exc:  # a failing task must not stop the sweep
                book.error(t, exc, _format_tb(exc), final=attempt > retries)
                continue
            book.done(t, info)
            break


def _run_dask(book: _Book, client: Any, specs: dict[int, dict[str, Any]], pending: list[Task],
              retries: int) -> None:
    from distributed import as_completed

    tag = book.cfg.config_hash[:10]
    with contextlib.suppress(Exception):
        book.slots = max(1, sum(client.nthreads().values()))
    inflight: dict[str, tuple[Task, int]] = {}

    def submit(t: Task, attempt: int) -> Any:
        fut = client.submit(run_task, specs[t.index], key=f"grokcheck-sweep-{tag}-t{t.index}-a{attempt}",
                            pure=False, retries=0)
        inflight[fut.key] = (t, attempt)
        book.started(t)
        return fut

    ac = as_completed([submit(t, 1) for t in pending])
    for fut in ac:
        t, attempt = inflight.pop(fut.key)
        if fut.status == "finished" and (book.root / t.relpath / "manifest.json").is_file():
            book.done(t, fut.result())
        elif fut.status == "finished":  # written where the driver cannot see it
            exc = SweepError(f"the worker {fut.result().get('host')} reports task {t.index} done, but "
                             f"{str(book.root / t.relpath)!r} does not exist here: --out must be on a "
                             "filesystem shared by the driver and all workers (same absolute path)")
            book.error(t, exc, "", final=True)
        else:
            try:
                exc = fut.exception()
                tb = _format_tb(exc, fut.traceback())
            except BaseException as e:  # cancelled futures raise here
                exc, tb = e, _format_tb(e)
            final = attempt > retries
            book.error(t, exc, tb, final=final)
            if not final:
                ac.add(submit(t, attempt + 1))
        fut.release()


@contextlib.contextmanager
def _dask_client(scheduler: str | None, n_workers: int) -> Iterator[tuple[Any, str]]:
    import logging

    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - it is a dependency
        raise SweepError("dask.distributed is needed for parallel sweeps (pip install 'dask[distributed]'); "
                         "or run serially with n_workers=0 / --workers 0") from exc
    if scheduler:
        from . import probe

        try:
            client = Client(scheduler, timeout=f"{probe.CONNECT_DEADLINE_S:g}s")
        except (OSError, TimeoutError) as exc:
            raise SweepError(f"cannot connect to the dask scheduler at {scheduler!r} ({exc})") from exc
        try:
            yield client, f"dask scheduler {scheduler}"
        finally:
            client.close()
        return
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                           silence_logs=logging.ERROR)
    try:
        client = Client(cluster)
        try:
            yield client, f"local dask cluster ({n_workers} worker processes x 1 thread)"
        finally:
            client.close()
    finally:
        cluster.close()


def _check_run_args(out: str | os.PathLike[str], n_workers: int | None, retries: int) -> tuple[Path, int]:
    """The output directory and worker count of :func:`run_sweep`, checked before any work."""
    if not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an integer >= 0, got {retries!r}")
    if n_workers is None:
        n_workers = os.cpu_count() or 1
    if not isinstance(n_workers, int) or n_workers < 0:
        raise ValueError(f"n_workers must be an integer >= 0 (0 = serial in this process), got {n_workers!r}")
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise SweepError(f"sweep output {str(root)!r} exists and is not a directory")
    if root.is_dir() and not is_sweep_dir(root) and any(p.name != LOCK_NAME for p in root.iterdir()):
        raise SweepError(f"{str(root)!r} exists and is not a sweep directory; choose another --out")
    return root, n_workers


def run_sweep(config: SweepConfig | dict[str, Any] | str | os.PathLike[str], out: str | os.PathLike[str], *,
              scheduler: str | None = None, n_workers: int | None = None, retries: int = 2,
              progress: bool = True, client: Any = None) -> SweepOutcome:
    """Run (or resume) the sweep ``config`` in the directory ``out``.

    Finished tasks are skipped; unfinished and failed ones are (re-)run. See the
    module docstring for ``scheduler`` / ``n_workers``; an existing
    ``distributed.Client`` may be passed as ``client``. Returns a
    :class:`SweepOutcome`; failed tasks are listed there and in ``sweep.json``.
    """
    cfg = load_sweep_config(config)
    root, n_workers = _check_run_args(out, n_workers, retries)
    check_sweep_params(cfg)   # each distinct value once, before the settings and tasks are built
    settings, tasks = cfg.settings(), cfg.tasks()
    if scheduler and client is None:
        from .probe import probe_scheduler

        probe_scheduler(scheduler)   # an overall deadline; garbage answers refused: before anything is written
    root.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    with locked(root):
        manifest = prepare_manifest(root, cfg, settings, tasks)
        _clean_tmp(root)
        recs = {r["index"]: r for r in manifest["tasks"]}
        pending: list[Task] = []
        for t in tasks:  # repair the advisory states from the run sets on disk
            r = recs[t.index]
            if task_done(root / t.relpath, task_key(cfg, t)):
                r["state"] = "done"
            else:
                r["state"], r["attempts"] = "pending", 0
                pending.append(t)
        n_skipped = len(tasks) - len(pending)
        if not pending:
            executor = "nothing to run"
        elif client is not None:
            executor = "given dask client"
        elif scheduler:
            executor = f"dask scheduler {scheduler}"
        elif n_workers == 0:
            executor = "serial (this process)"
        else:
            executor = f"local dask cluster ({n_workers} worker processes x 1 thread)"
        inv = {"started": now(), "executor": executor, "retries": retries, "pending": len(pending)}
        manifest.setdefault("invocations", []).append(inv)
        manifest["invocations"] = manifest["invocations"][-50:]
        book = _Book(root, cfg, settings, tasks, manifest, progress)
        book.save(force=True)
        specs = {t.index: _task_spec(cfg, settings, t, root) for t in pending}
        try:
            if pending and client is not None:
                _run_dask(book, client, specs, pending, retries)
            elif pending and (scheduler or n_workers > 0):
                with _dask_client(scheduler, n_workers) as (cl, executor):
                    inv["executor"] = executor
                    _run_dask(book, cl, specs, pending, retries)
            elif pending:
                _run_serial(book, specs, pending, retries)
        except BaseException:
            inv["finished"], inv["result"] = now(), "interrupted"
            book.interrupted()
            book.close()
            raise
        book.close()
        failed = [r for r in manifest["tasks"] if r["state"] == "failed"]
        n_done = sum(r["state"] == "done" for r in manifest["tasks"])
        inv["finished"] = now()
        inv["result"] = f"{n_done}/{len(tasks)} done, {len(failed)} failed"
        book.save(force=True)
    return SweepOutcome(path=root, n_tasks=len(tasks), n_done=n_done, n_failed=len(failed), n_skipped=n_skipped,
                        n_run=n_done - n_skipped, failed=[dict(r) for r in failed],
                        wall_s=time.perf_counter() - t_start, executor=inv["executor"],
                        task_times=book.task_times)



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
import datetime as _dt
import json
import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._sweep_config import Setting, SweepConfig, Task, parse_sweep_config, read_sweep_toml
from ._sweep_task import run_task, task_done

__all__ = ["SWEEP_MANIFEST", "SWEEP_SCHEMA", "SweepError", "SweepOutcome", "LoadedSweep", "SweepConfig",
           "load_sweep_config", "run_sweep", "is_sweep_dir", "read_sweep_manifest", "load_sweep",
           "sweep_status"]

SWEEP_MANIFEST = "sweep.json"
SWEEP_SCHEMA = "grokcheck.sweep"
SWEEP_SCHEMA_VERSION = 1
SEED_RULE = "seed_k = numpy.random.SeedSequence(sweep.seed, spawn_key=(k,)).generate_state(1, dtype=uint64)[0] >> 1"
_LOCK = ".sweep.lock"


class SweepError(ValueError):
    """A sweep directory or config cannot be used (message says why and what to do)."""


def _now() -> str:
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


def _write_json_atomic(path: Path, data: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """Exclusive lock on the sweep directory (released by the OS if we are killed)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX: no protection against two drivers
        yield
        return
    fh = open(root / _LOCK, "a+")
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


def _task_key(cfg: SweepConfig, t: Task) -> dict[str, Any]:
    return {"sweep": cfg.config_hash, "task": t.index, "seed": t.seed}


def _task_spec(cfg: SweepConfig, settings: list[Setting], t: Task, root: Path) -> dict[str, Any]:
    params = {**settings[t.setting].params, "seed": t.seed, cfg.size_key: t.n_runs}
    return {"simulator": cfg.simulator, "params": params, "path": str((root / t.relpath).resolve()),
            "key": _task_key(cfg, t)}


def _clean_tmp(root: Path) -> int:
    """Remove half-written task directories left by a killed writer."""
    n = 0
    runs = root / "runs"
    if runs.is_dir():
        for d in runs.glob("*/.*"):
            if d.is_dir() and (".tmp-" in d.name or ".old-" in d.name):
                shutil.rmtree(d, ignore_errors=True)
                n += 1
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
        now = time.monotonic()
        if not force and now - self.last_save < 1.0:
            return
        recs = self.manifest["tasks"]
        self.manifest["counts"] = {s: sum(r["state"] == s for r in recs)
                                   for s in ("done", "failed", "pending", "running")}
        self.manifest["counts"]["total"] = len(recs)
        self.manifest["updated"] = _now()
        _write_json_atomic(self.root / SWEEP_MANIFEST, self.manifest)
        self.last_save = now

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
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise SweepError(f"cannot connect to the dask scheduler at {scheduler!r} ({exc})") from exc
        try:
            yield client, f"dask scheduler {scheduler}"
        finally:
            client.close()
        return
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                           silence_logs=logging.ERROR)
    try:
        client = Client(cluster)
        try:
            yield client, f"local dask cluster ({n_workers} worker processes x 1 thread)"
        finally:
            client.close()
    finally:
        cluster.close()


def _prepare(root: Path, cfg: SweepConfig, settings: list[Setting], tasks: list[Task]) -> dict[str, Any]:
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
    return {"schema": SWEEP_SCHEMA, "schema_version": SWEEP_SCHEMA_VERSION, "created": _now(),
            "config": cfg.canonical, "config_hash": cfg.config_hash, "seed_rule": SEED_RULE,
            "settings": [{"index": s.index, "label": s.label, "params": s.params, "varying": s.varying}
                         for s in settings],
            "tasks": [_fresh_record(t) for t in tasks], "invocations": []}


def _fresh_record(t: Task) -> dict[str, Any]:
    return {"index": t.index, "setting": t.setting, "chunk": t.chunk, "seed": t.seed, "n_runs": t.n_runs,
            "path": t.relpath, "state": "pending", "attempts": 0, "attempts_total": 0, "error": None}


def _check_simulator(cfg: SweepConfig, settings: list[Setting]) -> None:
    from .cli import CLIError, _check_params, _load_simulator

    try:
        fn = _load_simulator(cfg.simulator)
        for s in settings:
            _check_params(cfg.simulator, fn, {**s.params, "seed": 0, cfg.size_key: 1}, False)
    except CLIError as exc:
        raise SweepError(f"sweep config: {exc}") from exc


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
    if not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an integer >= 0, got {retries!r}")
    if n_workers is None:
        n_workers = os.cpu_count() or 1
    if not isinstance(n_workers, int) or n_workers < 0:
        raise ValueError(f"n_workers must be an integer >= 0 (0 = serial in this process), got {n_workers!r}")
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise SweepError(f"sweep output {str(root)!r} exists and is not a directory")
    if root.is_dir() and not is_sweep_dir(root) and any(p.name != _LOCK for p in root.iterdir()):
        raise SweepError(f"{str(root)!r} exists and is not a sweep directory; choose another --out")
    settings, tasks = cfg.settings(), cfg.tasks()
    _check_simulator(cfg, settings)
    root.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    with _locked(root):
        manifest = _prepare(root, cfg, settings, tasks)
        _clean_tmp(root)
        recs = {r["index"]: r for r in manifest["tasks"]}
        pending: list[Task] = []
        for t in tasks:  # repair the advisory states from the run sets on disk
            r = recs[t.index]
            if task_done(root / t.relpath, _task_key(cfg, t)):
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
        inv = {"started": _now(), "executor": executor, "retries": retries, "pending": len(pending)}
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
            inv["finished"], inv["result"] = _now(), "interrupted"
            book.interrupted()
            book.close()
            raise
        book.close()
        failed = [r for r in manifest["tasks"] if r["state"] == "failed"]
        n_done = sum(r["state"] == "done" for r in manifest["tasks"])
        inv["finished"] = _now()
        inv["result"] = f"{n_done}/{len(tasks)} done, {len(failed)} failed"
        book.save(force=True)
    return SweepOutcome(path=root, n_tasks=len(tasks), n_done=n_done, n_failed=len(failed), n_skipped=n_skipped,
                        n_run=n_done - n_skipped, failed=[dict(r) for r in failed],
                        wall_s=time.perf_counter() - t_start, executor=inv["executor"],
                        task_times=book.task_times)


# --------------------------------------------------------------------------- reading a sweep back
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
    out = []
    for r in manifest["tasks"]:
        key = {"sweep": manifest["config_hash"], "task": r["index"], "seed": r["seed"]}
        out.append({**r, "done": task_done(root / r["path"], key)})
    return out


def load_sweep(path: str | os.PathLike[str]) -> LoadedSweep:
    """Read a sweep directory: each setting's finished chunks merged into one run set.

    Reads only. The merged config gets a ``sweep_setting`` entry (label,
    varying parameters, chunks done / total).
    """
    from ._runset import RunSetError, load_runset, merge_runsets

    root = Path(path)
    manifest = read_sweep_manifest(root)
    cfg = parse_sweep_config(manifest["config"])
    if cfg.config_hash != manifest.get("config_hash"):
        raise SweepError(f"{str(root / SWEEP_MANIFEST)!r}: config and config_hash disagree (edited by hand?)")
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
            if rs.manifest.get("sweep_task") == _task_key(cfg, t):
                chunks.append(rs)
        info = {"setting": s.label, **s.varying, "chunks_done": len(chunks), "chunks_total": len(by_setting[s.index]),
                "runs": int(sum(rs.n_runs for rs in chunks))}
        infos.append(info)
        if not chunks:
            missing.append(s.label)
            continue
        merged = merge_runsets(chunks, ignore_keys=("seed", "seeds", "n_replicas", "n_init", "n_runs",
                                                    "progress", cfg.size_key))
        merged.config["sweep_setting"] = {"label": s.label, "varying": s.varying,
                                          "chunks_done": len(chunks), "chunks_total": len(by_setting[s.index])}
        merged.path = root / "runs" / s.label
        runsets.append(merged)
    return LoadedSweep(path=root, config=cfg, settings=infos, runsets=runsets, missing=missing)

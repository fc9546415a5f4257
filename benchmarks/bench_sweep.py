"""Benchmark of sweeps: speed-up with 1 and 2 local dask workers, per-task scheduler overhead."""
from __future__ import annotations

import logging
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

# a fixed sweep: the ball model, 2 settings x 4 chunks of 2000 replicas (about 1 s per task on an idle core)
FIXED_SWEEP: dict[str, Any] = {
    "sweep": {"simulator": "perceptron-ball", "seed": 0, "runs_per_setting": 8000, "chunk": 2000},
    "fixed": {"N": 50, "eps": 2.0, "lam2": 0.01},
    "grid": {"D": [3, 5]},
}
# tiny tasks (a few ms of compute) to expose the per-task overhead
TINY_SWEEP: dict[str, Any] = {
    "sweep": {"simulator": "perceptron-1d", "seed": 0, "runs_per_setting": 40 * 5, "chunk": 5},
    "fixed": {"N": 5, "eps": 0.4},
}


def _cluster(n: int) -> tuple[Any, Any, float]:
    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                           silence_logs=logging.ERROR)
    client = Client(cluster)
    client.submit(sum, [1], pure=False).result()  # workers up and importing
    return cluster, client, time.perf_counter() - t0


def _sweep(cfg: dict[str, Any], tmp: Path, name: str, **kw: Any) -> Any:
    from comparison.sweep import run_sweep

    res = run_sweep(cfg, tmp / name, progress=False, **kw)
    assert res.ok, res.failed
    return res


def run() -> str:
    from comparison.sweep import load_sweep_config

    lines: list[str] = []
    load0 = " ".join(f"{x:.1f}" for x in os.getloadavg())
    n_fixed = len(load_sweep_config(FIXED_SWEEP).tasks())
    n_tiny = len(load_sweep_config(TINY_SWEEP).tasks())
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        _sweep(TINY_SWEEP, tmp, "warm", n_workers=0)  # imports, caches
        rows = []
        ser = _sweep(FIXED_SWEEP, tmp, "serial", n_workers=0)
        rows.append(("serial (this process, no dask)", 0.0, ser))
        for n in (1, 2):
            cluster, client, start = _cluster(n)
            try:
                # the task code is imported once per worker by a warm-up sweep
                _sweep(TINY_SWEEP, tmp, f"warm{n}", client=client)
                res = _sweep(FIXED_SWEEP, tmp, f"w{n}", client=client)
            finally:
                client.close()
                cluster.close()
            rows.append((f"local dask cluster, {n} worker(s)", start, res))
        base = rows[1][2].wall_s
        lines += [f"### Speed-up: fixed sweep ({n_fixed} tasks: ball model D in {{3, 5}}, N = 50, eps = 2, "
                  "lam2 = 0.01, 8000 replicas per setting in chunks of 2000)", "",
                  f"Load average before the runs: {load0}; after: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
                  f"on {os.cpu_count()} cores.", "",
                  "| executor | cluster start-up (s) | sweep wall time (s) | mean task time in worker (s) | "
                  "achieved concurrency (sum of task times / wall) | speed-up vs 1 worker |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for label, start, res in rows:
            times = [t["total_s"] for t in res.task_times]
            lines.append(f"| {label} | {start:.2f} | {res.wall_s:.2f} | {statistics.mean(times):.3f} | "
                         f"{sum(times) / res.wall_s:.2f} | {base / res.wall_s:.2f} |")
        lines += ["", "Wall time = `run_sweep` from start to the final manifest (planning, validation of "
                  "existing run sets, dispatch, writing every run set), cluster start-up excluded (given "
                  "separately). The ideal speed-up with 2 workers is 2 on an otherwise idle machine with >= 2 cores; "
                  "on a loaded machine the tasks slow down (mean task time) and the speed-up with it, while the "
                  "achieved concurrency shows how many tasks the scheduler kept running at once. The serial run "
                  "executes in the driver process with numpy/torch's default thread count (all cores), while "
                  "dask workers run single-threaded (`OMP_NUM_THREADS=1`), so serial vs 1 worker compares a "
                  "multi-threaded task with a single-threaded one, not scheduler overhead (see below for that).", ""]

        # per-task overhead with tiny tasks
        rows2 = []
        ser = _sweep(TINY_SWEEP, tmp, "tiny-serial", n_workers=0)
        rows2.append(("serial (this process)", ser))
        cluster, client, _ = _cluster(1)
        try:
            _sweep(TINY_SWEEP, tmp, "tiny-warm", client=client)
            rows2.append(("local dask cluster, 1 worker", _sweep(TINY_SWEEP, tmp, "tiny-w1", client=client)))
        finally:
            client.close()
            cluster.close()
        lines += [f"### Per-task overhead ({n_tiny} tiny tasks: 1D model N = 5, 5 replicas each, one worker)", "",
                  "| executor | wall per task (ms) | simulator compute (ms) | run-set write (ms) | "
                  "overhead per task (ms) | overhead / compute |", "| --- | --- | --- | --- | --- | --- |"]
        for label, res in rows2:
            per = 1e3 * res.wall_s / res.n_tasks
            comp = 1e3 * statistics.mean(t["compute_s"] for t in res.task_times)
            write = 1e3 * statistics.mean(t["write_s"] for t in res.task_times)
            over = per - comp - write
            lines.append(f"| {label} | {per:.1f} | {comp:.1f} | {write:.1f} | {over:.1f} | {over / comp:.1f} |")
        lines += ["", "Overhead = wall time per task minus the task's own compute and run-set write (measured "
                  "inside the worker): dispatch through the scheduler, the result's return trip, the driver's "
                  "bookkeeping and its throttled `sweep.json` writes (at most one per second, plus one at the "
                  "start and end). Tasks of a second or more make it negligible; size chunks accordingly.", ""]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(run())

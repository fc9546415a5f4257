"""``grokcheck fit`` on huge logs: one CSV with a run column (issue 24 item 7).

Two measurements, each timed inside a fresh Python process (``comparison.cli.main``
called in-process there, so import time is excluded):

* old vs new on a smaller log (2 000 runs x 100 steps), run side by side
  (alternating, 3 rounds, median): "old" is the code at ``GROKCHECK_BENCH_OLD_REF``
  (default: the merge base of HEAD and ``main``, so that only this branch's changes are
  compared), exported with ``git archive`` to a temporary directory.
* the 20 000-run, 2-million-row log with the old and the current code (one run each): wall
  time, CPU time and peak RSS (``ru_maxrss``), and whether the per-run results are identical.

The logs are written to a temporary directory under /tmp.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["write_log", "run"]

ROOT = Path(__file__).resolve().parent.parent
_CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from comparison.cli import main
import comparison.pipeline, scipy.stats  # imports outside the timed region
t0, c0 = time.perf_counter(), time.process_time()
rc = main(["fit", sys.argv[2], "--n-boot", "20", "--out", sys.argv[3], "--overwrite", "--json", sys.argv[3] + ".j"])
dt, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"rc": rc, "s": dt, "cpu_s": cpu, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_log(path: Path, n_runs: int, n_steps: int, *, seed: int = 0) -> Path:
    """A CSV log (run, t, test_error) of ``n_runs`` power-law approaches to zero (200 test examples)."""
    rng = np.random.default_rng(seed)
    steps = np.arange(n_steps) * 10
    tz = rng.uniform(0.3, 0.9, n_runs) * steps[-1]
    tau = np.clip(tz[:, None] - steps[None, :], 0, None)
    wrong = np.minimum(np.round(600 * (tau / steps[-1]) ** 1.5), 180)
    pd.DataFrame({"run": np.repeat(np.arange(n_runs), n_steps), "t": np.tile(steps, n_runs),
                  "test_error": (wrong / 200).ravel()}).to_csv(path, index=False)
    return path


def _fit(tree: Path, log: Path, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    r = subprocess.run([sys.executable, "-c", _CHILD, str(tree), str(log), str(out)], env=env, cwd=str(tree),
                       capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        raise RuntimeError(f"fit failed in {tree}: {r.stderr.strip().splitlines()[-1:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def _old_tree(tmp: Path, ref: str) -> Path:
    dest = tmp / "old"
    dest.mkdir()
    arch = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=arch, check=True)
    return dest


def run(rounds: int = 3, small: tuple[int, int] = (2000, 100), big: tuple[int, int] = (20000, 100)) -> str:
    """Markdown section: old/new ratio on the smaller log, wall time and peak RSS on the big one."""
    ref = os.environ.get("GROKCHECK_BENCH_OLD_REF") or subprocess.run(
        ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], capture_output=True, text=True,
        check=True).stdout.strip()[:12]
    with tempfile.TemporaryDirectory(prefix="grokcheck_bench_logs_", dir="/tmp") as d:
        tmp = Path(d)
        old = _old_tree(tmp, ref)
        log = write_log(tmp / "small.csv", *small)
        t_old, t_new, c_old, c_new = [], [], [], []
        for _ in range(rounds):
            o, n = _fit(old, log, tmp / "old.fits.json"), _fit(ROOT, log, tmp / "new.fits.json")
            t_old.append(o["s"]); t_new.append(n["s"]); c_old.append(o["cpu_s"]); c_new.append(n["cpu_s"])
        same = json.loads((tmp / "old.fits.json.j").read_text())["runs"] == \
            json.loads((tmp / "new.fits.json.j").read_text())["runs"]
        big_log = write_log(tmp / "big.csv", *big)
        bo = _fit(old, big_log, tmp / "big_old.fits.json")
        b = _fit(ROOT, big_log, tmp / "big.fits.json")
        same_big = json.loads((tmp / "big_old.fits.json.j").read_text())["runs"] == \
            json.loads((tmp / "big.fits.json.j").read_text())["runs"]
    mo, mn = statistics.median(t_old), statistics.median(t_new)
    co, cn = statistics.median(c_old), statistics.median(c_new)
    load = os.getloadavg()[0]
    return ("### fit on a log with a run column (CSV; `--n-boot 20`; time inside the process, imports excluded)\n\n"
            "| log | code | fit wall (s, median) | fit CPU (s, median) | ratio old/new (wall; CPU) | peak RSS (MB) |\n"
            "|---|---|---|---|---|---|\n"
            f"| {small[0]:,} runs x {small[1]} steps | `{ref}` | {mo:.2f} | {co:.2f} | | |\n"
            f"| {small[0]:,} runs x {small[1]} steps | this tree | {mn:.2f} | {cn:.2f} | **{mo / mn:.1f}x**; "
            f"{co / cn:.1f}x | |\n"
            f"| {big[0]:,} runs x {big[1]} steps ({big[0] * big[1]:,} rows) | `{ref}` | {bo['s']:.1f} | "
            f"{bo['cpu_s']:.1f} | | {bo['rss_mb']:.0f} |\n"
            f"| {big[0]:,} runs x {big[1]} steps ({big[0] * big[1]:,} rows) | this tree | {b['s']:.1f} | "
            f"{b['cpu_s']:.1f} | {bo['s'] / b['s']:.2f}x; {bo['cpu_s'] / b['cpu_s']:.2f}x | {b['rss_mb']:.0f} "
            f"(**{b['rss_mb'] / bo['rss_mb']:.2f}x** of `{ref}`) |\n\n"
            "CPU: user + system time of the fitting process (the machine is shared: wall includes waiting). "
            "Peak RSS: ru_maxrss of the fitting process, imports included (about 165 MB before any data).\n"
            f"Per-run results identical between the two codes: {same} (small log), {same_big} (big log). "
            f"Rounds: {rounds}, alternating (big log: one run each). Load average at the end: {load:.1f} "
            f"on {os.cpu_count()} cores.\n")


if __name__ == "__main__":
    print(run())

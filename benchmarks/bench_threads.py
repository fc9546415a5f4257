"""Thread settings side by side, on an idle and on a loaded machine (issue 24 item 8).

Workloads (each in a fresh process, the threads set by :func:`comparison.threads.set_threads`
before any work, the time measured inside the process):

* RFM: ``modular_rfm.run_rfm(p=61, op="+", train_frac=0.5, n_iter=GROKCHECK_BENCH_RFM_ITERS (8), seed=0)``
* scenario A: ``local_rules.run_scenario_a(d=10, n_init=GROKCHECK_BENCH_SA_INIT (64),
  n_steps=GROKCHECK_BENCH_SA_STEPS (1000), seed=0)``

Settings: the default (the cores this process may use), 1 and 2 threads. "Loaded": another
process busy-loops on one core meanwhile. Ratios are to the default on the same load.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from comparison.threads import available_cores  # noqa: E402

__all__ = ["WORKLOADS", "run"]

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = {
    "RFM p=61": ("import modular_rfm as mr\n"
                 "mr.run_rfm(p=61, op='+', train_frac=0.5, n_iter={rfm}, seed=0, progress=False)"),
    "scenario A d=10": ("import local_rules as lr\n"
                        "lr.run_scenario_a(d=10, n_init={sa}, n_steps={steps}, seed=0, progress=False)"),
}
_CHILD = """
import json, sys, time
from comparison.threads import set_threads
n = set_threads(None if sys.argv[1] == 'default' else int(sys.argv[1]))
import torch, numpy
set_threads(n)   # torch is imported now: its pool too
t0 = time.perf_counter()
exec(sys.argv[2])
print(json.dumps({"s": time.perf_counter() - t0, "threads": n}))
"""


def _time(setting: str, code: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                           "MKL_NUM_THREADS", "GROKCHECK_THREADS")}
    env["PYTHONPATH"] = str(ROOT)
    r = subprocess.run([sys.executable, "-c", _CHILD, setting, code], env=env, cwd=str(ROOT),
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"{setting}: {r.stderr.strip().splitlines()[-1:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def _header(rfm: int, sa: int, steps: int) -> list[str]:
    return ["### Thread settings (`--threads` / `GROKCHECK_THREADS`), as found vs one more core busy\n",
            f"RFM: `run_rfm(p=61, n_iter={rfm})`; scenario A: `run_scenario_a(d=10, n_init={sa}, "
            f"n_steps={steps})`. `load`: the 1-minute load average when the workload started "
            f"({available_cores()} cores); `+hog`: one more process busy-looping meanwhile.\n",
            "| workload | condition | load | threads | s | ratio to default |", "|---|---|---|---|---|---|"]


def run(settings: tuple[str, ...] = ("default", "1", "2"), out=None) -> str:
    """Markdown section: seconds and ratio to the default, as found and with one more core busy.

    Each row is printed to ``out`` (e.g. ``sys.stdout``) as soon as it is measured, so a run cut
    short keeps what it measured.
    """
    rfm = int(os.environ.get("GROKCHECK_BENCH_RFM_ITERS", "8"))
    sa = int(os.environ.get("GROKCHECK_BENCH_SA_INIT", "64"))
    steps = int(os.environ.get("GROKCHECK_BENCH_SA_STEPS", "1000"))
    lines = _header(rfm, sa, steps)
    for line in lines if out else ():
        print(line, file=out, flush=True)
    for cond in ("as found", "+hog"):
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if cond == "+hog" else None
        try:
            for name, code in WORKLOADS.items():
                base = None
                for s in settings:
                    load = os.getloadavg()[0]
                    r = _time(s, code.format(rfm=rfm, sa=sa, steps=steps))
                    base = r["s"] if base is None else base
                    label = f"default ({r['threads']})" if s == "default" else s
                    lines.append(f"| {name} | {cond} | {load:.1f} | {label} | {r['s']:.1f} | {base / r['s']:.2f} |")
                    if out:
                        print(lines[-1], file=out, flush=True)
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()
    return "\n".join(lines) + "\n\n(ratio > 1: faster than the default.)\n"


if __name__ == "__main__":
    run(out=sys.stdout)
    print("\n(ratio > 1: faster than the default.)")

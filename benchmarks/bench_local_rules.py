"""Benchmarks of local_rules: scenario-A ensemble throughput vs a naive loop (1 and 2 threads),
scenario B end to end, the wall time / peak memory of a full scenario-A ensemble (1000 runs,
d = 10, K = 1) extrapolated from a short run in a fresh process, and the grokking fraction
against training time on a 64-run ensemble."""
from __future__ import annotations

import json
import subprocess
import sys
import time

_FULL = r"""
import json, resource, time, torch, local_rules as lr
torch.set_num_threads({threads})
t = time.perf_counter()
r = lr.run_scenario_a(d=10, K=1, n_init=1000, n_steps={n}, seed=0, progress=False, n_checkpoints=2, boundary="pad")
dt = time.perf_counter() - t
from local_rules._scenario_a import init_params
from local_rules._scenario_a_train import Setup, Trainer
te = lr.make_test_set(30, 1, max_len=10, n_long=32, long_len=64, parity="even")
T = Trainer(init_params(1000, 10, 0, boundary="pad"), Setup(lr.make_dataset(30, 1, 8), te, "pad", 32, 0., 0., 0.005))
t = time.perf_counter(); T.evaluate(); ev = time.perf_counter() - t
print(json.dumps({{"wall": dt, "eval": ev, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                   "diverged": int(r.summary.diverged.sum())}}))
"""


def _step_times(Rs: tuple[int, ...], threads: int, reps: int = 5) -> dict[int, float]:
    """Seconds per Adam step for each ensemble size, interleaved and min-of-``reps``."""
    import torch

    import local_rules as lr
    from local_rules._scenario_a import init_params
from local_rules._scenario_a_train import Setup, Trainer
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        tr = lr.make_dataset(30, 1, 8)
        s = Setup(tr, tr, "pad", 32, 0.0, 0.0, 0.005)
        trainers = {R: Trainer(init_params(R, 10, 0, boundary="pad"), s) for R in Rs}
        for T in trainers.values():
            T.do_step(False)
        best = {R: float("inf") for R in Rs}
        for _ in range(reps):
            for R, T in trainers.items():
                n = max(1, 512 // R)
                t = time.perf_counter()
                for _ in range(n):
                    T.do_step(False)
                best[R] = min(best[R], (time.perf_counter() - t) / n)
        return best
    finally:
        torch.set_num_threads(old)


def _grok_fraction(n_init: int, n_steps: int, parity: str) -> tuple[str, float]:
    import numpy as np

    import local_rules as lr
    t = time.perf_counter()
    r = lr.run_scenario_a(d=10, K=1, n_init=n_init, n_steps=n_steps, seed=1, progress=False, n_checkpoints=40,
                          test_parity=parity)
    dt = time.perf_counter() - t
    te = r.summary.t_eps.values
    cells = [f"{int(np.sum(te <= t_))}/{n_init}" for t_ in (1.25, 2.5, 5.0, 10.0, 15.0, n_steps * 0.005)]
    still = int((r.summary.final_test_error == 0).sum())
    return f"| {parity} | " + " | ".join(cells) + f" | {still}/{n_init} |", dt


def run() -> str:
    import torch

    import local_rules as lr
    Rs = (1, 64, 256, 1024)
    lines = ["### local_rules", "",
             f"torch {torch.__version__}; the machine (2 cores) is shared, absolute times are indicative only; "
             "step times are the minimum over 5 interleaved repetitions.", "",
             "**Scenario A training throughput** (d = 10, K = 1, float32, training set all 256 inputs of length 8, "
             "one Adam step incl. forward and backward). The naive loop trains the same models one at a time "
             "(R = 1 batches of the same code), measured in the same process with the same thread setting.", "",
             "| threads | R | ms per step | batched model-steps/s | naive loop model-steps/s | speed-up |",
             "|---|---|---|---|---|---|"]
    for threads in (1, 2):
        best = _step_times(Rs, threads)
        naive = 1.0 / best[1]
        for R in Rs:
            lines.append(f"| {threads} | {R} | {best[R] * 1e3:.1f} | {R / best[R]:,.0f} | {naive:,.0f} | "
                         f"{R / best[R] / naive:.1f}x |")
    # scenario B end to end
    t = time.perf_counter()
    rb = lr.run_scenario_b("example2", n_init=1000, seed=0, progress=False)
    tb = time.perf_counter() - t
    lines += ["", f"**Scenario B end to end** (Example 2, 1000 initialisations, default test set, exact flow, "
              f"t_eps by bisection): {tb:.1f} s; {int(rb.summary.groks.sum())}/1000 runs grok.", ""]
    # full scenario A ensemble: measured for a short run in a fresh process, extrapolated
    n_meas = 50
    default_steps = 5000
    lines += ["**Full scenario-A ensemble** (1000 runs, d = 10, K = 1, one batched ensemble, fresh process; "
              f"{n_meas} training steps with 2 checkpoint evaluations measured, extrapolated to the default "
              f"{default_steps} steps and 60 checkpoints; t_eps replays come on top):", "",
              "| threads | 50 steps + 2 evaluations | one test evaluation | peak RSS | extrapolated full run |",
              "|---|---|---|---|---|"]
    for threads in (1, 2):
        out = subprocess.run([sys.executable, "-c", _FULL.format(n=n_meas, threads=threads)], capture_output=True,
                             text=True, check=True)
        m = json.loads(out.stdout.strip().splitlines()[-1])
        est = ((m["wall"] - 2 * m["eval"]) / n_meas * default_steps + 60 * m["eval"]) / 60
        lines.append(f"| {threads} | {m['wall']:.1f} s | {m['eval']:.1f} s | {m['maxrss_mb']:.0f} MB | "
                     f"about {est:.0f} min |")
    lines += ["", "Target: <= 30 min and <= 4 GB. The extrapolation includes start-up costs in the 50 measured "
              "steps; one complete full run (1 thread, default settings, one chunk) was timed by hand: see "
              "docs/local_rules.md, \"Known limits\".", ""]
    # grokking fraction vs time, 64 runs
    lines += ["**Grokking fraction against training time** (64 runs, seed 1, d = 10, K = 1, rule 30, lr 0.005, "
              f"{default_steps} steps; number of runs with t_eps <= t; last column: zero test error at the end). "
              "Test lengths: `match` = the default (lengths 4, 6, 8, 10 and 32 random inputs of length 64), "
              "`all` = lengths 3 … 10 and 64 (bounded by 1/2: sign symmetry).", "",
              "| test lengths | t <= 1.25 | t <= 2.5 | t <= 5 | t <= 10 | t <= 15 | t <= 25 | zero at the end |",
              "|---|---|---|---|---|---|---|---|"]
    total = 0.0
    for parity in ("match", "all"):
        row, dt = _grok_fraction(64, default_steps, parity)
        total += dt
        lines.append(row)
    lines += ["", f"({total:.0f} s for both ensembles.)"]
    return "\n".join(lines) + "\n"

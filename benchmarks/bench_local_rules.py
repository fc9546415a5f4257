"""Benchmarks of local_rules: scenario-A ensemble throughput vs a naive loop, scenario B end to end,
and the wall time / peak memory of a full scenario-A ensemble (1000 runs, d = 10, K = 1)."""
from __future__ import annotations

import json
import subprocess
import sys
import time

_FULL = r"""
import json, resource, time, torch, local_rules as lr
t = time.perf_counter()
r = lr.run_scenario_a(d=10, K=1, n_init=1000, n_steps={n}, seed=0, progress=False, n_checkpoints=2)
dt = time.perf_counter() - t
from local_rules._scenario_a import _Setup, _Trainer, init_params
te = lr.make_test_set(30, 1, max_len=10, n_long=32, long_len=64)
T = _Trainer(init_params(1000, 10, 0), _Setup(lr.make_dataset(30, 1, 8), te, "pad", 32, 0., 0., 0.005))
t = time.perf_counter(); T.evaluate(); ev = time.perf_counter() - t
print(json.dumps({{"wall": dt, "eval": ev, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                   "diverged": int(r.summary.diverged.sum())}}))
"""


def _step_time(R: int, n: int) -> float:
    import local_rules as lr
    from local_rules._scenario_a import _Setup, _Trainer, init_params
    tr = lr.make_dataset(30, 1, 8)
    s = _Setup(tr, tr, "pad", 32, 0.0, 0.0, 0.005)
    T = _Trainer(init_params(R, 10, 0), s)
    T.do_step(False)
    t = time.perf_counter()
    for _ in range(n):
        T.do_step(False)
    return (time.perf_counter() - t) / n


def run() -> str:
    import torch

    import local_rules as lr
    lines = ["### local_rules", "",
             f"torch {torch.__version__}, {torch.get_num_threads()} threads; the machine is shared, absolute "
             "times are indicative only.", "",
             "**Scenario A training throughput** (d = 10, K = 1, training set all 256 inputs of length 8, one "
             "Adam step incl. forward, backward and per-step D_eff-free bookkeeping). The naive loop trains the "
             "same models one at a time (R = 1 batches), measured in the same process.", "",
             "| R | batched model-steps/s | naive loop model-steps/s | speed-up |", "|---|---|---|---|"]
    t1 = _step_time(1, 30)
    naive = 1.0 / t1
    for R, n in ((1, 30), (64, 10), (256, 6), (1024, 3)):
        tb = t1 if R == 1 else _step_time(R, n)
        lines.append(f"| {R} | {R / tb:,.0f} | {naive:,.0f} | {R / tb / naive:.1f}x |")
    # scenario B end to end
    t = time.perf_counter()
    rb = lr.run_scenario_b("example2", n_init=1000, seed=0, progress=False)
    tb = time.perf_counter() - t
    lines += ["", f"**Scenario B end to end** (Example 2, 1000 initialisations, default test set, exact flow, "
              f"t_eps by bisection): {tb:.1f} s; {int(rb.summary.groks.sum())}/1000 runs grok.", ""]
    # full scenario A ensemble: measured for a short run in a fresh process, extrapolated
    n_meas = 20
    out = subprocess.run([sys.executable, "-c", _FULL.format(n=n_meas)], capture_output=True, text=True,
                         check=True)
    m = json.loads(out.stdout.strip().splitlines()[-1])
    default_steps = 1500
    est = (m["wall"] / n_meas * default_steps + 60 * m["eval"]) / 60
    lines += [f"**Full scenario-A ensemble** (1000 runs, d = 10, K = 1, one batched ensemble, fresh process): "
              f"{n_meas} training steps (2 checkpoints) took {m['wall']:.0f} s, one checkpoint evaluation "
              f"(test set of the default scenario A) {m['eval']:.1f} s; peak RSS {m['maxrss_mb']:.0f} MB. "
              f"Extrapolated to the default {default_steps} steps and 60 checkpoints: about {est:.0f} min "
              "(t_eps replays come on top; target <= 30 min, <= 4 GB)."]
    t = time.perf_counter()
    ra = lr.run_scenario_a(d=10, K=1, n_init=16, n_steps=default_steps, seed=0, progress=False,
                           n_checkpoints=30)
    ta = time.perf_counter() - t
    s = ra.summary
    lines += ["", f"Grokking fraction at the default {default_steps} steps (t = {default_steps * 0.005:g}), "
              f"16 runs, d = 10, K = 1: {int(s.groks.sum())}/16 reach zero test error, "
              f"{int((s.final_train_error == 0).sum())}/16 zero training error ({ta:.0f} s)."]
    return "\n".join(lines) + "\n"

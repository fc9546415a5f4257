"""Benchmark of the comparison layer: run-set I/O, the nu fitter, analysis, report, CLI start-up."""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _best(fn, repeat: int = 3, clock=time.perf_counter) -> float:
    """The least ``clock`` time of ``repeat`` calls of ``fn`` (wall by default; pass
    ``time.process_time`` for CPU seconds)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best


def run() -> str:
    import perceptron_theory as pt

    from comparison import NuFitter, load_runset, write_runset
    from comparison.agreement import analyse
    from comparison.pipeline import write_full_report

    lines = []
    # --- CLI start-up
    base = _best(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 5)
    helpt = _best(lambda: subprocess.run([sys.executable, "-m", "comparison", "--help"], cwd=ROOT, check=True,
                                         capture_output=True), 5)
    lines += ["### CLI start-up", "", "| command | wall time (s) | ratio to `python -c pass` |", "| --- | --- | --- |",
              f"| `python -c pass` | {base:.3f} | 1.00 |",
              f"| `grokcheck --help` (`python -m comparison --help`) | {helpt:.3f} | {helpt / base:.2f} |", ""]

    # --- run-set I/O and fitting, at two sizes
    lines += ["### Run sets, nu fit, analysis (ball model D = 5, N = 100, eps = 2, lam2 = 0.01)", "",
              "| runs | curve rows | write (s) | load+validate (s) | NuFitter no bootstrap (s) | "
              "NuFitter 200 bootstraps (s) | bootstrap / plain | analyse (s) |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    with tempfile.TemporaryDirectory() as d:
        for R in (300, 1000, 3000):
            res = pt.simulate_ball(5, 100, 2.0, lam2=0.01, n_replicas=R, seed=0, progress=False)
            k = [0]

            def w() -> None:
                k[0] += 1
                write_runset(res, Path(d) / f"rs{R}-{k[0]}")

            tw = _best(w)
            path = Path(d) / f"rs{R}-1"
            tl = _best(lambda: load_runset(path))
            rs = load_runset(path)
            t0 = _best(lambda: NuFitter(n_boot=0).fit(rs.curves, rs.summary))
            tb = _best(lambda: NuFitter(n_boot=200).fit(rs.curves, rs.summary))
            ta = _best(lambda: analyse(rs), 1)
            lines.append(f"| {R} | {len(rs.curves)} | {tw:.3f} | {tl:.3f} | {t0:.3f} | {tb:.3f} | {tb / t0:.2f} | "
                         f"{ta:.2f} |")
        lines.append("")
        rs = load_runset(Path(d) / "rs1000-1")
        tr = _best(lambda: write_full_report([analyse(rs)], Path(d) / "rep"), 1)
        lines += ["### Report", "", f"One run set of 1000 runs: `write_full_report([analyse(rs)])` (analysis + 4 figures + md + html) "
                  f"took {tr:.2f} s.", ""]
    lines += ["`grokcheck demo` (full sizes, with the paper-figure sections), timed by hand on this 2-core machine "
              "(not part of this benchmark): about 1.5 min without scenario B, 3 min 40 s with the local_rules "
              "scenario-B simulator of the `local-rules` branch (while other jobs shared the machine); `--quick` "
              "about 50 s without scenario B."]
    return "\n".join(lines)

"""Cost of re-deriving the summary's transitions from the curves (issue 26, item 3).

A 5000-run set is loaded, and ``grokcheck fit`` run on it, with the check
(``comparison.runset.curve_transitions``) and without it (its rules replaced by none),
alternately in one process; best of the repeats (CPU time of the process: the machine is
shared, so wall time mostly measures the neighbours), side by side.
"""
from __future__ import annotations

import contextlib
import io
import tempfile
import time
from pathlib import Path
from unittest import mock

from benchmarks.bench_comparison import _best as best_time

SETS = (("perceptron-1d", {"N": 20, "eps": 0.2, "n_replicas": 5000, "seed": 0}),
        ("perceptron-ball", {"D": 5, "N": 100, "eps": 2.0, "lam2": 0.01, "n_replicas": 5000, "seed": 0}))


def _best(fn, repeat: int) -> float:
    """Least CPU seconds of ``repeat`` calls (the comparison benchmark's timer on the process clock)."""
    return best_time(fn, repeat, clock=time.process_time)


def _pair(fn, repeat: int) -> tuple[float, float]:
    """(with the check, without it), alternately, the order swapped every repeat (ABBA)."""
    best = {True: float("inf"), False: float("inf")}
    for i in range(2 * repeat):
        check = (i % 4) in (0, 3)
        if check:
            best[True] = min(best[True], _best(fn, 1))
        else:
            with mock.patch("comparison.runset.store.rules_for", lambda config: {}):
                best[False] = min(best[False], _best(fn, 1))
    return best[True], best[False]


def run() -> str:
    from comparison.cli import main
    from comparison.pipeline import simulate_runset
    from comparison.runset import load_runset
    from comparison.runset.curve_transitions import rules_for, transition_problems

    lines = ["| set | runs | curve rows | check alone (s) | load_runset with / without (s) | ratio | "
             "`grokcheck fit RS --json -` with / without (s) | ratio |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    with tempfile.TemporaryDirectory() as d:
        for sim, params in SETS:
            rs = Path(d) / sim
            simulate_runset(sim, params, rs)
            loaded = load_runset(rs)
            rules = rules_for(loaded.config)
            alone = _best(lambda: transition_problems(loaded.curves, loaded.summary, rules), 5)
            lw, lo = _pair(lambda: load_runset(rs), 5)

            def fit() -> None:
                with contextlib.redirect_stdout(io.StringIO()):
                    assert main(["fit", str(rs), "--json", "-", "--n-boot", "20"]) == 0

            fw, fo = _pair(fit, 3)
            lines.append(f"| {sim} | {loaded.n_runs} | {len(loaded.curves)} | {alone:.4f} | {lw:.3f} / {lo:.3f} | "
                         f"{lw / lo:.2f} | {fw:.2f} / {fo:.2f} | {fw / fo:.2f} |")
    return ("### Summary transitions re-derived from the curves\n\n"
            "`make bench ONLY=transitions`: a 5000-run set loaded (`load_runset`) and fitted (`grokcheck fit RS "
            "--json - --n-boot 20`, in process) with the check and with its rules replaced by none, alternately in ABBA order, "
            "best of 5 (load) / 3 (fit) each; CPU seconds of the process (`time.process_time`).\n\n" + "\n".join(lines) + "\n")

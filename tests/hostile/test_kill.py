"""kill -9 at random moments of ``grokcheck simulate --out`` and ``grokcheck report``
(issue 15; sweeps have their own kill test in tests/comparison).

After every kill: the target is either absent or complete and valid (never half
written); with ``--overwrite`` the previous run set is never lost (it is at NAME, or
at ``.NAME.old-PID`` and restored by the next write); a report never points at a
missing figure. The next complete run leaves no temporary entries behind.
"""
from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from comparison.runset import load_runset, validate_runset

ROOT = Path(__file__).resolve().parents[2]
SIM = ["simulate", "perceptron-ball", "--D", "4", "--N", "30", "--eps", "1.5", "--replicas", "120",
       "--no-progress"]
pytestmark = pytest.mark.slow


def _start(args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "comparison", *map(str, args)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _kill_after(args: list[str], delay: float) -> int | None:
    proc = _start(args)
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    return proc.returncode


def _run(args: list[str]) -> None:
    proc = _start(args)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()


def _leftovers(parent: Path, name: str) -> list[str]:
    return [p.name for p in parent.iterdir() if re.match(rf"^\.{re.escape(name)}\.", p.name)]


def test_kill_simulate_out_never_leaves_half_a_run_set(tmp_path):
    rng = random.Random(15)
    out = tmp_path / "rs"
    for _ in range(3):
        _kill_after(SIM + ["--out", out], rng.uniform(0.3, 3.0))
        assert not out.exists() or validate_runset(out) == []
    if out.exists():
        import shutil
        shutil.rmtree(out)
    _run(SIM + ["--out", out])  # the next write cleans what the killed ones left
    assert validate_runset(out) == []
    assert _leftovers(tmp_path, "rs") == []


def test_kill_simulate_overwrite_never_loses_the_old_run_set(tmp_path):
    from comparison._io import recover_stale

    rng = random.Random(16)
    out = tmp_path / "rs"
    _run(SIM + ["--out", out])
    for _ in range(3):
        _kill_after(SIM + ["--out", out, "--overwrite", "--seed", "3"], rng.uniform(0.3, 3.0))
        if not out.exists():  # killed between the two renames: the old set is aside, restored
            assert any(n.startswith(".rs.old-") for n in _leftovers(tmp_path, "rs"))
            recover_stale(out)
        assert validate_runset(out) == []
    _run(SIM + ["--out", out, "--overwrite"])
    assert load_runset(out).n_runs == 120
    assert _leftovers(tmp_path, "rs") == []


def _figures_ok(report: Path) -> None:
    md = report / "report.md"
    if not md.exists():
        return
    for ref in re.findall(r"\((figures/[^)\s]+\.png)\)", md.read_text()):
        assert (report / ref).is_file(), f"report.md points at a missing {ref}"


def test_kill_report_never_points_at_missing_figures(tmp_path):
    rng = random.Random(17)
    rs = tmp_path / "rs"
    _run(SIM + ["--out", rs])
    rep = tmp_path / "rep"
    _run(["report", rs, "--out", rep, "--no-progress"])
    for _ in range(3):
        _kill_after(["report", rs, "--out", rep, "--no-progress", "--title", "again"], rng.uniform(0.3, 4.0))
        _figures_ok(rep)
        assert validate_runset(rs) == []  # the fits written next to it never break the run set
    _run(["report", rs, "--out", rep, "--no-progress"])
    _figures_ok(rep)
    assert not [p.name for p in rep.rglob(".*.tmp")]

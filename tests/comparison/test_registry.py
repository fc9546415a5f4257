"""Adding a simulator is one SimulatorSpec entry (issue 9): registered in a test, then simulated,
fitted and reported through the CLI, with its declared parameters checked before any work."""
from __future__ import annotations

import json

import pytest

from comparison.cli import main
from comparison.simulators import SIMULATORS, Param, SimulatorSpec, register


@pytest.fixture
def toy():
    spec = register(SimulatorSpec(
        "toy", "toy_simulator:simulate_toy", "planted power law (docs worked example)", "n_runs",
        (Param("nu", float, "planted exponent", "--nu", lo=0.1, hi=10.0),
         Param("n_runs", int, "runs", "--n-runs", lo=1, hi=1000), Param("seed", int, "seed", None, lo=0))))
    yield spec
    SIMULATORS.pop("toy")


def test_one_spec_entry_gives_simulate_fit_report(toy, tmp_path, capsys):
    out = tmp_path / "toy"
    assert main(["simulate", "toy", "--nu", "1.5", "--n-runs", "12", "--no-progress", "--out", str(out)]) == 0
    assert main(["fit", str(out), "--n-boot", "50"]) == 0
    fits = json.loads((out / "fits.json").read_text())
    lo, hi = fits["nu"]["nu_ci"]
    assert lo <= 1.5 <= hi and fits["model"] == "other"  # no theory declared: measured quantities only
    assert fits["verdicts"] == []
    assert main(["report", str(out), "--out", str(tmp_path / "rep"), "--no-progress"]) == 0
    assert "toy" in (tmp_path / "rep" / "report.md").read_text()


def test_declared_ranges_are_checked_before_work(toy, tmp_path, capsys):
    rc = main(["simulate", "toy", "--nu", "50", "--no-progress", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert rc == 2 and "nu must be a finite number in [0.1, 10]" in err and not (tmp_path / "x").exists()


def test_a_duplicate_name_is_refused(toy):
    with pytest.raises(ValueError, match="already registered"):
        register(SimulatorSpec("toy", "x:y", "again", "n"))

"""The summary's transitions are re-derived from the curves (issue 26, item 3).

A summary re-signed to say every run groks, while the curves of some runs never reach zero,
is refused in one line naming the run and the field; so are shifted or erased grokking
times. Honest run sets of every registered simulator pass.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from comparison.errors import RunSetError
from comparison.runset import load_runset, validate_runset
from comparison.runset.curve_transitions import CONTRACT, transition_problems
from comparison.simulators import SIMULATORS

from .fixtures import base_1d, base_ball, rewrite
from .harness import cli, digest

EXACT = {**CONTRACT, "t_eps": ("test_error", True)}

# small honest settings of every registered simulator (a new simulator must be added here)
HONEST = {
    "perceptron-1d": {"N": 5, "eps": 0.2, "n_replicas": 60, "seed": 2, "lam1": 0.01},
    "perceptron-ball": {"D": 3, "N": 10, "eps": 1.0, "n_replicas": 40, "seed": 3, "lam1": 0.01},
    "scenario-b": {"n_init": 6, "seed": 1, "n_times": 40},
    "scenario-a": {"n_init": 2, "n_steps": 60, "d": 2, "seed": 1},
    "rfm": {"p": 7, "n_iter": 3, "n_runs": 2, "seed": 1},
    "separability": {"N": 20, "d": 5, "sigma": 1.0, "n_seeds": 4, "seed": 1, "n_points": 16},
    "linear-estimator": {"d_in": 20, "lam": 0.5, "n_seeds": 3, "seed": 1},
}


def _all_grok(s: pd.DataFrame) -> pd.DataFrame:
    """The issue's forgery: every run groks, with times consistent among themselves."""
    s = s.copy()
    no = ~s["groks"].to_numpy(bool)
    s["groks"] = True
    s["status"] = "groks"
    tt = np.where(np.isfinite(s["t_train"]), s["t_train"], 1.0)
    s["t_train"] = tt
    s.loc[no, "t_eps"] = tt[no] + 1.0
    s["t_G"] = s["t_eps"] - s["t_train"]
    return s


def test_a_summary_resigned_to_say_every_run_groks_is_refused(tmp_path):
    rs = base_1d(tmp_path)
    s = pd.read_parquet(rs / "summary.parquet")
    first_no = int(s.loc[~s["groks"], "run"].iloc[0])
    rewrite(rs, summary=_all_grok(s))
    before = digest(rs)
    with pytest.raises(RunSetError) as exc:
        load_runset(rs)
    msg = str(exc.value)
    assert f"run {first_no} groks" in msg and "curves.parquet" in msg
    r = cli("fit", rs)
    assert r.rc == 2 and r.out == ""
    [line] = r.err.strip().splitlines()
    assert line.startswith("grokcheck: error: ") and f"run {first_no} groks" in line
    assert digest(rs) == before                        # refusing changes nothing


@pytest.mark.parametrize("factor", [0.5, 1.5])
def test_shifted_grokking_times_are_refused(tmp_path, factor):
    rs = base_ball(tmp_path)
    s = pd.read_parquet(rs / "summary.parquet")
    g = s["groks"].to_numpy(bool) & (s["t_eps"].to_numpy() > 0)
    s.loc[g, "t_eps"] *= factor                       # a faked law, consistent with t_G
    s["t_G"] = s["t_eps"] - s["t_train"]
    s.loc[g & (s["t_G"] < 0), "t_train"] = s.loc[g & (s["t_G"] < 0), "t_eps"]
    s["t_G"] = s["t_eps"] - s["t_train"]
    rewrite(rs, summary=s)
    problems = validate_runset(rs)
    run = int(s.loc[g, "run"].iloc[0])
    assert any(p.startswith(f"summary t_eps of run {run} is ") for p in problems), problems


def test_erased_grokking_is_refused(tmp_path):
    rs = base_1d(tmp_path)
    s = pd.read_parquet(rs / "summary.parquet")
    g = s["groks"].to_numpy(bool).copy()
    s.loc[g, ["t_eps", "t_G"]] = np.nan
    s.loc[g, "groks"] = False
    s.loc[g, "status"] = "no_grok"
    rewrite(rs, summary=s)
    [p] = [p for p in validate_runset(rs) if "t_eps" in p]
    assert p.startswith(f"summary t_eps of run {int(s.loc[g, 'run'].iloc[0])} is nan but its curve's test_error "
                        "first reaches 0 at t = ")


@pytest.mark.parametrize("name", sorted(SIMULATORS))
def test_honest_run_sets_of_every_registered_simulator_pass(tmp_path, name):
    from comparison.pipeline import simulate_runset

    if name not in HONEST:
        pytest.skip(f"{name} is a test plug-in without an honest setting here")
    rs, res = simulate_runset(name, dict(HONEST[name]), tmp_path / name)
    assert validate_runset(rs) == []
    loaded = load_runset(rs)
    assert len(loaded.curves) > 0 and loaded.n_runs == len(res.summary)


def test_every_registered_simulator_has_an_honest_setting():
    builtin = {n for n, s in SIMULATORS.items() if not s.target.startswith(("coin_simulator", "tests"))}
    assert builtin <= set(HONEST), sorted(builtin - set(HONEST))


def _frames(err, t_eps, groks=True, diverged=False, status=None):
    c = pd.DataFrame({"run": 0, "t": np.arange(len(err), dtype=float), "test_error": err})
    s = pd.DataFrame({"run": [0], "t_eps": [t_eps], "groks": [groks], "diverged": [diverged]})
    if status is not None:
        s["status"] = status
    return c, s


@pytest.mark.parametrize("err, t_eps, ok", [
    ([0.5, 0.2, 0.0, 0.0], 2.0, True),        # the crossing recorded exactly
    ([0.5, 0.2, 0.0, 0.0], 1.3, True),        # between the last positive sample and the first zero
    ([0.5, 0.2, 0.0, 0.0], 0.9, False),       # before a sample with a positive error: too early
    ([0.5, 1e-30, 0.0, 0.0], 1.5, True),      # a continuous error ~1e-30 just before its crossing
    ([0.5, 1e-30, 1e-31], 1.5, True),         # ... that never rounds to 0 on the curve
    ([0.5, 0.2, 1e-3], 1.5, False),           # but 1e-3 is not zero
    ([0.5, 0.2, 0.0, 0.0], 2.5, False),       # after the first zero sample: too late
    ([0.0, 0.2, 0.0], 0.0, True),             # zero at the start, re-entry afterwards
    ([0.5, np.nan, 0.0], 0.7, True),          # a NaN sample is not a positive one
])
def test_a_recorded_crossing_must_lie_between_the_samples(err, t_eps, ok):
    c, s = _frames(err, t_eps)
    assert (transition_problems(c, s, EXACT) == []) is ok
    late = t_eps > 2.0 + 1e-3 and 0.0 in err
    never = np.nanmin(err) > 1e-12                            # and groks needs a zero
    assert (transition_problems(c, s) == []) is not (late or never)   # unrecorded: only "not after a zero"


def test_groks_needs_a_zero_and_only_live_grokking_runs_are_checked():
    c, s = _frames([0.5, 0.2, 0.1], np.inf)
    assert "run 0 groks" in transition_problems(c, s)[0]
    assert transition_problems(*_frames([0.5, 0.2, 0.1], np.inf, diverged=True)) == []
    assert transition_problems(*_frames([0.5, 0.2, 0.1], np.inf, status="not_reached")) == []
    assert transition_problems(*_frames([0.5, 0.2, 0.1], 10.0, groks=False)) == []   # crossing beyond the curve
    assert "never reaches 0" in transition_problems(*_frames([0.5, 0.2, 0.1], 1.5, groks=False), EXACT)[0]
    assert transition_problems(*_frames([0.5, 0.2, 0.1], 1.5, groks=False)) == []   # a short stretch missed
    assert transition_problems(c, s, {**CONTRACT, "groks": ("test_error", 0.1)}) == []   # rfm-like level


def test_one_line_per_field_with_the_count_of_the_rest():
    c = pd.DataFrame({"run": np.repeat(np.arange(5), 3), "t": np.tile([0.0, 1.0, 2.0], 5), "test_error": 0.3})
    s = pd.DataFrame({"run": np.arange(5), "t_eps": 1.0, "groks": True, "diverged": False})
    out = transition_problems(c, s, EXACT)
    assert len(out) == 2 and all("(and 4 more runs)" in p for p in out)
    assert out[0].startswith("summary t_eps of run 0 is 1 but its curve's test_error never reaches 0")

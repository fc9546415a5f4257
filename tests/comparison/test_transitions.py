"""Transition detection with an explicit zero-error tolerance."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comparison import detect_transitions


def curves_from(runs: dict[int, tuple[list[float], list[float]]], t: list[float]) -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"run": r, "t": t, "test_error": te, "train_error": tr})
                      for r, (te, tr) in runs.items()], ignore_index=True)


def test_times_tolerance_and_flags():
    t = [0.0, 1.0, 2.0, 3.0, 4.0]
    c = curves_from({
        0: ([0.5, 0.3, 0.01, 0.0, 0.0], [0.2, 0.0, 0.0, 0.0, 0.0]),
        1: ([0.5, 0.4, 0.3, 0.2, 0.1], [0.1, 0.1, 0.0, 0.0, 0.0]),
        2: ([0.5, np.nan, 0.0, 0.0, 0.0], [0.1, 0.0, 0.0, 0.0, 0.0]),
        3: ([0.5, 0.0, 0.1, 0.0, 0.0], [0.1, 0.1, 0.1, 0.1, 0.1]),
    }, t)
    s = detect_transitions(c).set_index("run")
    assert (s.loc[0, "t_train"], s.loc[0, "t_eps"], s.loc[0, "t_G"]) == (1.0, 3.0, 2.0)
    assert s.loc[1, "flag"] == "no_test_zero" and not s.loc[1, "groks"] and np.isnan(s.loc[1, "t_G"])
    assert s.loc[2, "diverged"] and s.loc[2, "flag"] == "diverged" and not s.loc[2, "groks"]
    assert s.loc[3, "flag"] == "no_train_zero" and s.loc[3, "t_eps"] == 1.0
    s2 = detect_transitions(c, zero_tol=0.02).set_index("run")
    assert s2.loc[0, "t_eps"] == 2.0
    s3 = detect_transitions(c, sustained=True).set_index("run")
    assert s3.loc[3, "t_eps"] == 3.0 and s3.loc[0, "t_eps"] == 3.0


def test_bad_input():
    with pytest.raises(ValueError, match="zero_tol must be in"):
        detect_transitions(pd.DataFrame({"run": [0], "t": [0.0], "test_error": [0.0]}), zero_tol=-1)
    with pytest.raises(ValueError, match="missing columns"):
        detect_transitions(pd.DataFrame({"run": [0], "t": [0.0]}))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=2, max_size=30), st.floats(0, 0.5))
def test_t_eps_is_first_sample_within_tolerance(errors, tol):
    t = np.arange(len(errors), dtype=float)
    c = pd.DataFrame({"run": 0, "t": t, "test_error": errors})
    s = detect_transitions(c, zero_tol=tol).iloc[0]
    e = np.asarray(errors)
    if np.any(e <= tol):
        k = int(np.argmax(e <= tol))
        assert s["t_eps"] == t[k] and np.all(e[:k] > tol) and s["groks"]
    else:
        assert np.isnan(s["t_eps"]) and not s["groks"]
    sus = detect_transitions(c, zero_tol=tol, sustained=True).iloc[0]["t_eps"]
    if np.isfinite(sus):
        assert sus >= s["t_eps"] and np.all(e[t >= sus] <= tol)

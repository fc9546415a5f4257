"""S-curve onsets (comparison.estimate.scurve): planted erf curves recovered within noise tolerances."""
import json

import numpy as np
import pandas as pd
import pytest
from scipy.special import erf

from comparison.estimate.scurve import fit_scurve, fit_scurves, median_ci, relative_gap, scurve_json

SIGMA = 0.02


def _planted(n_runs, *, seed, onset=3000.0, sharp=2e-3, n=400, sigma=SIGMA, rising=False):
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 8000, n)
    rows = []
    onsets = onset + rng.normal(0, 200, n_runs)
    for r, o in enumerate(onsets):
        y = 0.45 * (1 if rising else -1) * erf(sharp * (t - o)) + 0.5 + rng.normal(0, sigma, n)
        rows.append(pd.DataFrame({"run": r, "t": t, "y": y}))
    return pd.concat(rows, ignore_index=True), onsets


def test_planted_onset_and_sharpness_recovered_within_noise():
    c, onsets = _planted(30, seed=1)
    f = fit_scurves(c, "y")
    assert f["reason"].isna().all()
    z = (f["onset"].to_numpy() - onsets) / f["onset_se"].to_numpy()
    assert np.all(np.abs(z) < 4), z
    # sharpness: its spread over runs gives the tolerance of its mean (30 runs)
    s = f["sharpness"].to_numpy()
    assert abs(s.mean() - 2e-3) < 4 * s.std(ddof=1) / np.sqrt(s.size)
    assert np.all(f["rmse"] < 1.5 * SIGMA)


def test_wrong_onset_fails_the_same_check():
    c, onsets = _planted(10, seed=2)
    f = fit_scurves(c, "y")
    z = (f["onset"].to_numpy() - (onsets + 100.0)) / f["onset_se"].to_numpy()
    assert np.any(np.abs(z) >= 4)


def test_rising_accuracy_and_log_time():
    c, onsets = _planted(5, seed=3, rising=True)
    f = fit_scurves(c, "y")
    assert np.all(np.abs(f["onset"] - onsets) < 4 * f["onset_se"])
    assert (f["a"] > 0).all()
    t = np.logspace(1, 5, 300)
    y = 0.5 - 0.5 * erf(3.0 * (np.log10(t) - 3.5)) + np.random.default_rng(4).normal(0, SIGMA, 300)
    g = fit_scurve(t, y, log_time=True)
    assert abs(np.log10(g["onset"]) - 3.5) < 4 * g["onset_se"] / (g["onset"] * np.log(10))
    assert abs(g["sharpness"] - 3.0) < 0.5


def test_no_transition_and_failures_are_reasons_never_nan_in_json():
    t = np.linspace(0, 100, 50)
    c = pd.concat([pd.DataFrame({"run": 0, "t": t, "y": 0.3 + 0 * t}),
                   pd.DataFrame({"run": 1, "t": t[:3], "y": [1., .5, 0.]}),
                   pd.DataFrame({"run": 2, "t": t, "y": 0.5 - 0.5 * erf(0.1 * (t - 50))})])
    f = fit_scurves(c, "y")
    assert f.loc[0, "reason"] == "no_transition" and f.loc[1, "reason"] == "too_few_points"
    j = scurve_json(f, column="y", seed=0)
    text = json.dumps(j, allow_nan=False)
    assert json.loads(text)["runs"]["0"]["onset"] is None
    assert j["failures"] == {"no_transition": 1, "too_few_points": 1} and j["n_fitted"] == 1


def test_relative_gap_and_bootstrap_ci():
    tr = pd.DataFrame({"onset": [100., 200., np.nan]}, index=[0, 1, 2])
    te = pd.DataFrame({"onset": [300., 300., 500.]}, index=[0, 1, 2])
    m = relative_gap(te, tr)
    assert m.iloc[0] == pytest.approx(2.0) and m.iloc[1] == pytest.approx(0.5) and np.isnan(m.iloc[2])
    v = np.random.default_rng(5).normal(10, 1, 200)
    ci = median_ci(v, seed=0)
    assert ci["ci"][0] < 10 < ci["ci"][1]
    with pytest.raises(ValueError, match="level"):
        median_ci(v, seed=0, level=1.5)


def test_unknown_column_named():
    with pytest.raises(ValueError, match="'nope'.*available"):
        fit_scurves(pd.DataFrame({"run": [0], "t": [0], "y": [1]}), "nope")

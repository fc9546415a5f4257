"""Agreement logic on planted run sets: verdicts follow the planted truth."""
from __future__ import annotations

import numpy as np
import pytest

from comparison import RunSet
from comparison.agreement import Z_TOL, analyse
from synthetic import planted_power_law_curves


def uniform_ball(n, D, rng):
    g = rng.standard_normal((n, D))
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    return g * rng.uniform(size=(n, 1)) ** (1 / D)


def feature_runset(nu: float, D: int = 3, seed: int = 0) -> RunSet:
    rng = np.random.default_rng(seed)
    curves, summary = planted_power_law_curves(nu, n_runs=30, seed=seed)
    n = 30_000
    e1 = np.eye(D)[0]
    X = np.vstack([uniform_ball(n, D, rng) + 1.5 * e1, uniform_ball(n, D, rng) - 1.5 * e1])
    y = np.r_[np.ones(n), -np.ones(n)]
    W = e1 + 0.01 * rng.standard_normal((30, D))
    features = {"test_features": X, "test_labels": y, "w_final": W,
                "G_eigenvalues": np.array([0.02, 0.03, 1.0])}
    return RunSet(config={"generator": "test.planted", "model": "eq50", "seed": seed}, curves=curves, summary=summary,
                  features=features)


def test_eq50_prediction_agrees_when_planted_consistently():
    a = analyse(feature_runset(2.0, D=3))  # ball in D = 3: (D+1)/2 = 2
    f = a.features
    assert abs(f["d_eff_within"] - 3) < 0.05 and abs(f["eps"] - 1.5) < 0.03
    assert f["d_eff"] < 2.5  # pooled: the class separation dominates one direction
    v = a.verdicts.set_index("quantity")
    # no 2-d contexts, so xi is not measured: Eq. 50 is not testable (never a silent xi = 0) ...
    assert v.loc["nu", "verdict"] == "not testable" and "xi was not measured" in v.loc["nu", "note"]
    assert all(p["not_testable"] for p in a.predictions["eq50"]) and v.loc["nu", "predicted"] != v.loc["nu", "predicted"]
    # ... while the margin exponent (Eq. 48) predicts nu directly and agrees
    assert v.loc["nu (margin exponent)", "verdict"] == "agrees"
    assert a.spectrum.split and a.spectrum.fast.tolist() == [1.0]


def test_eq50_prediction_disagrees_when_planted_inconsistently():
    a = analyse(feature_runset(3.0, D=3))
    v = a.verdicts.set_index("quantity")
    assert v.loc["nu (margin exponent)", "verdict"] == "disagrees" and abs(v.loc["nu (margin exponent)", "z"]) > Z_TOL


def test_diverged_runs_are_excluded_and_counted():
    rs = feature_runset(2.0)
    rs.summary.loc[0, "diverged"] = True
    rs.curves.loc[rs.curves["run"] == 0, "test_error"] = np.nan
    a = analyse(rs)
    assert a.counts["n_diverged"] == 1 and a.nu.n_runs_used == 29 and a.nu.excluded["diverged"] == 1
    assert any("diverged" in n for n in a.notes)


@pytest.mark.parametrize("model", ["exponential", "ball"])
def test_perceptron_runsets_get_theory_rows(model):
    import perceptron_theory as pt

    if model == "exponential":
        res = pt.simulate_exponential(5, 0.4, n_replicas=300, seed=1, progress=False)
    else:
        res = pt.simulate_ball(3, 50, 1.5, n_replicas=300, seed=1, progress=False)
    a = analyse(RunSet(res.config, res.curves, res.summary, res.features))
    v = a.verdicts.set_index("quantity")
    assert {"nu", "P_grok", "t_G law (KS)"} <= set(v.index)
    assert v.loc["nu", "predicted"] == (1.0 if model == "exponential" else 2.0)
    assert v.loc["nu", "verdict"] == "agrees"
    d = a.as_dict()
    assert d["model"] == {"exponential": "1d", "ball": "ball"}[model] and d["nu"]["nu"] == pytest.approx(v.loc["nu", "measured"])

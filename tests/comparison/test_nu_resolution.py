"""Issue 23, item 2: the ν error budget respects the window rule's resolution floor.

On the exact simulators (D-ball, 1D) the aligned test error is a power law down to the
sampling; the sensitivity windows that give se_sys must not reach below the floor
(where they measure the time grid, not ν), so ν is pinned to a few thousandths and a
prediction off by 1.5 % is rejected while the true one agrees.
"""
from __future__ import annotations

import numpy as np
import pytest

import perceptron_theory as pt
from comparison import RunSet
from comparison.agreement import Z_TOL, analyse
from comparison.registry import theory_from_object


class _Planted:
    """A user theory predicting ``factor`` × the true exponent of the model."""

    applies_to = ["perceptron-ball", "perceptron-1d"]

    def __init__(self, factor: float):
        self.factor = factor
        self.name = f"nu x {factor:g}"

    def predict(self, config):
        nu = (config["D"] + 1) / 2 if "D" in config else 1.0
        return {"nu": self.factor * nu}


def _runset(model: str) -> RunSet:
    if model == "ball":
        res = pt.simulate_ball(5, 100, 2.0, lam2=0.01, n_replicas=100, seed=2, progress=False)
    else:
        res = pt.simulate_exponential(5, 0.4, n_replicas=150, seed=1, progress=False)
    return RunSet(res.config, res.curves, res.summary, res.features)


@pytest.fixture(scope="module", params=["ball", "1d"])
def judged(request):
    theories = [theory_from_object(_Planted(f), origin="test") for f in (1.0, 1.015)]
    return request.param, analyse(_runset(request.param), theories=theories, seed=3)


def test_sensitivity_windows_never_start_below_the_floor(judged):
    _, a = judged
    nu = a.nu
    assert np.isfinite(nu.resolution_floor) and nu.resolution_floor >= nu.window[0] * (1 - 1e-9)
    assert (nu.sensitivity["tau_lo"] >= nu.resolution_floor * (1 - 1e-9)).all()
    assert len(nu.sensitivity) >= 9  # the shifts x 1, 2, 4 all remain


def test_exact_simulator_pins_nu_to_a_few_thousandths(judged):
    model, a = judged
    truth = 3.0 if model == "ball" else 1.0
    assert not a.nu.weak
    assert a.nu.window_spread < 3e-3 * truth
    assert abs(a.nu.nu - truth) < 3e-3 * truth


def test_planted_wrong_nu_disagrees_and_true_nu_agrees(judged):
    _, a = judged
    v = a.verdicts
    rows = {t.split(":")[0]: r for t, r in zip(v["theory"], v.to_dict(orient="records")) if r["quantity"] == "nu"}
    right, wrong = rows["nu x 1"], rows["nu x 1.015"]
    assert right["verdict"] == "agrees" and abs(right["z"]) < Z_TOL
    assert wrong["verdict"] == "disagrees" and abs(wrong["z"]) > Z_TOL

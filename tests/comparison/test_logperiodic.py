"""Issue 25: the log-periodic estimator recovers a planted exponent on a Cantor-like measure."""
import numpy as np

import pytest

from comparison.estimate.logperiodic import PLATEAU_MARGIN, fit_log_periodic, plateau_decision


def _cantor_runs(c, n_runs, n_pts, tau, seed):
    """Runs of the Cantor measure X = (1 - c) sum_k b_k c^k (b_k fair bits): F(c d) = F(d) / 2 near 0,
    so E(tau) = P(X < tau) = tau^alpha P(ln tau), alpha = ln 2 / ln(1/c), period ln(1/c)."""
    rng = np.random.default_rng(seed)
    k = np.arange(40)
    out = np.empty((n_runs, tau.size))
    for r in range(n_runs):
        X = (1 - c) * (rng.integers(0, 2, (n_pts, k.size)) * c ** k).sum(1)
        out[r] = (np.sort(X)[None, :] < tau[:, None]).sum(1) / n_pts
    return out


def test_planted_cantor_exponent_recovered_within_ci():
    c = 0.05
    alpha = np.log(2) / np.log(1 / c)
    tau = np.logspace(-5, -0.5, 400)
    E = _cantor_runs(c, 40, 4000, tau, seed=1)
    r = fit_log_periodic(tau, E, c, window=(2e-5, 0.3), n_boot=200, seed=0)
    assert r["periods"] == 3
    assert r["ci"][0] <= alpha <= r["ci"][1], (alpha, r)
    assert r["ci"][1] - r["ci"][0] < 0.1
    # a wrong planted exponent is excluded by the same CI
    assert not (r["ci"][0] <= alpha + 0.1 <= r["ci"][1])
    # plain OLS local slopes oscillate: within one period they differ, period-averaged they do not
    assert r["no_plateau"] is False


def test_less_than_one_period_is_not_fitted():
    tau = np.logspace(-2, 0, 20)
    r = fit_log_periodic(tau, tau[None] ** 0.5, 1e-3, window=(1e-2, 1.0), n_boot=0)
    assert r["nu"] is None and r["periods"] == 0 and "log-period" in r["reason"]


def test_bottom_anchor_keeps_the_low_end_and_caps_the_periods():
    tau = np.logspace(-6, 0, 121)
    E = (tau ** 0.3 * (1.5 + np.cos(2 * np.pi * np.log(tau) / np.log(100))))[None].repeat(3, 0)
    r = fit_log_periodic(tau, E, 0.01, window=(1e-6, 1.0), n_boot=0, anchor="bottom", max_periods=2)
    assert r["periods"] == 2 and np.allclose(r["window"], [1e-6, 1e-2]) and abs(r["nu"] - 0.3) < 1e-3
    top = fit_log_periodic(tau, E, 0.01, window=(1e-6, 1.0), n_boot=0, max_periods=2)
    assert np.allclose(top["window"], [1e-4, 1.0])


def _drifting_runs(E_cantor, tau, beta, seed, scale=0.05):
    """Half of each run's mass a Cantor measure, half a plain power law F = (tau / scale)^beta: the
    local exponent drifts from ln 2 / ln(1/c) (small tau) towards beta (large tau)."""
    rng = np.random.default_rng(seed)
    n_pts = 4000
    out = np.empty_like(E_cantor)
    for r in range(E_cantor.shape[0]):
        X = rng.uniform(size=n_pts) ** (1 / beta) * scale
        out[r] = 0.5 * E_cantor[r] + 0.5 * (np.sort(X)[None, :] < tau[:, None]).sum(1) / n_pts
    return out


def test_plateau_rule_is_stable_over_seeds_and_rejects_a_planted_drift():
    c = 0.05
    alpha = np.log(2) / np.log(1 / c)
    tau = np.logspace(-5, -0.5, 400)
    for seed in range(4):  # four independent samples of the same planted measure: the same decision
        E = _cantor_runs(c, 40, 4000, tau, seed=seed)
        kw = dict(window=(2e-5, 0.3), n_boot=200, seed=seed, anchor="bottom", max_periods=2)
        flat = fit_log_periodic(tau, E, c, **kw)
        se = (flat["ci"][1] - flat["ci"][0]) / (2 * 1.96)
        assert flat["periods"] == 2 and abs(flat["nu"] - alpha) < 4 * se and abs(flat["nu"] - alpha - 0.05) > 4 * se
        assert flat["plateau_decision"] == "plateau" and flat["no_plateau"] is False, flat
        assert flat["margin"] == pytest.approx(PLATEAU_MARGIN * flat["nu"])
        drift = fit_log_periodic(tau, _drifting_runs(E, tau, 1.0, 100 + seed), c, **kw)
        assert drift["plateau_decision"] == "drift" and drift["no_plateau"] is True, drift
        assert drift["drift_ci"][0] > drift["margin"]  # the drift is upward, as planted
        assert flat["plateau_share"] > 0.975 and drift["plateau_share"] < 0.025


def test_plateau_decision_is_an_equivalence_test_with_three_outcomes():
    assert plateau_decision([-0.04, 0.04], 0.3) == "plateau"  # margin 0.045
    assert plateau_decision([-0.04, 0.05], 0.3) == "undecided"
    assert plateau_decision([-0.2, -0.05], 0.3) == "drift"
    assert plateau_decision([-0.04, 0.04], 0.3, margin=0.1) == "undecided"
    assert plateau_decision(None, 0.3) is None
    with pytest.raises(ValueError, match="margin must be in"):
        plateau_decision([0.0, 0.0], 0.3, margin=0.0)

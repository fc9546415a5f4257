"""Issue 25: the log-periodic estimator recovers a planted exponent on a Cantor-like measure."""
import numpy as np

from comparison.estimate.logperiodic import fit_log_periodic


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

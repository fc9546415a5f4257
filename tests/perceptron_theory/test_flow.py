"""Exact flows: the linear flow (Eq. 21) and the event-driven L1 flow."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from perceptron_theory.flow import L1Flow, LinearFlow, exact_flow, l1_flow, l1_stationary


def _problem(R=3, D=4, n=10, seed=0, lam2=0.05):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((R, n, D))
    G = np.einsum("rni,rnj->rij", X, X) / n + lam2 * np.eye(D)
    a = 0.5 * rng.standard_normal((R, D))
    w0 = rng.standard_normal((R, D))
    return G, a, w0


def test_linear_flow_matches_ode_solver():
    G, a, w0 = _problem()
    t = np.linspace(0, 4, 9)
    W = exact_flow(G, a, w0)(t)
    for r in range(3):
        sol = solve_ivp(lambda _t, w: -G[r] @ w + a[r], (0, 4), w0[r], t_eval=t, rtol=1e-11, atol=1e-13)
        assert np.allclose(W[r], sol.y.T, atol=1e-9)


def test_linear_flow_singular_G_keeps_null_component():
    # 2 samples in 4 dimensions, no L2: G has a 2-d null space that the flow leaves alone
    rng = np.random.default_rng(1)
    X = rng.standard_normal((2, 4))
    G = X.T @ X / 2
    a = X.T @ np.array([1.0, -1.0]) / 2
    w0 = rng.standard_normal(4)
    f = exact_flow(G, a, w0)
    null = np.linalg.svd(X)[2][2:]
    assert np.allclose(null @ f(np.array([0.0, 3.0, 50.0]))[..., :].T, (null @ w0)[:, None])
    assert np.allclose(G @ f.w_inf_, a)


def test_l1_flow_converges_to_ista_trajectory_as_step_shrinks():
    G, a, w0 = _problem(R=2, seed=3)
    lam1 = 0.3
    flow = L1Flow(G, a, w0, lam1)
    T = 2.0
    exact = flow.at(np.full(2, T))
    errs = []
    for dt in (1e-3, 1e-4):
        w = w0.copy()
        for _ in range(int(round(T / dt))):
            z = w - dt * (np.einsum("rij,rj->ri", G, w) - a)
            w = np.sign(z) * np.maximum(np.abs(z) - dt * lam1, 0.0)
        errs.append(np.abs(w - exact).max())
    assert errs[1] < 0.2 * errs[0]  # first-order convergence of the proximal Euler scheme
    assert errs[1] < 1e-3


def test_l1_flow_final_state_is_the_lasso_minimiser():
    G, a, w0 = _problem(R=5, seed=4)
    lam1 = 0.25
    flow = L1Flow(G, a, w0, lam1)
    w, ok = l1_stationary(G, a, lam1)
    assert ok.all()
    assert np.allclose(flow.w_inf_, w, atol=1e-8)
    F = a - np.einsum("rij,rj->ri", G, w)  # KKT conditions
    assert np.all(np.abs(np.where(w != 0, F - lam1 * np.sign(w), 0)) < 1e-8)
    assert np.all(np.abs(np.where(w == 0, F, 0)) <= lam1 + 1e-8)


def test_l1_flow_shapes():
    G, a, w0 = _problem(R=2, D=3)
    assert l1_flow(G, a, w0, 0.1, [0.5, 1.0]).shape == (2, 2, 3)
    assert l1_flow(G, a, w0, 0.1, 0.5).shape == (2, 1, 3)
    assert l1_flow(G, a, w0, 0.1, [0.5]).shape == (2, 1, 3)
    with pytest.raises(ValueError, match="lam1"):
        L1Flow(G, a, w0, -1.0)


def test_linear_flow_flags_a_drive_along_a_null_direction():
    G = np.diag([1.0, 0.0])
    grows = exact_flow(G, [1.0, 1.0], [[0.0, 0.0], [1.0, 1.0]])
    bounded = exact_flow(G, [1.0, 0.0], [[0.0, 0.0], [1.0, 1.0]])
    assert grows.diverged_.tolist() == [True, True]
    assert bounded.diverged_.tolist() == [False, False]
    # the flagged flow really grows without bound along e2
    assert grows(np.array([100.0]))[0, 0, 1] == pytest.approx(100.0)


def test_coefficients_at_and_weights_at_match_the_per_replica_call():
    rng = np.random.default_rng(0)
    R, D = 7, 4
    A = rng.standard_normal((R, D, D))
    G = A @ np.swapaxes(A, -1, -2) / D + 0.1 * np.eye(D)
    a, w0 = rng.standard_normal((R, D)), rng.standard_normal((R, D))
    flow = LinearFlow(G, a, w0)
    t = rng.uniform(0, 3, R)
    idx = np.array([5, 0, 3])
    assert np.allclose(flow.weights_at(t[idx], idx), flow(t)[idx], rtol=1e-13, atol=1e-13)
    assert np.allclose(flow.coefficients_at(t[idx], idx), flow.coefficients(t)[idx], rtol=1e-13, atol=1e-13)
    with pytest.raises(ValueError, match="index"):
        flow.coefficients_at(t[:2], np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="shape"):
        flow.coefficients_at(t[:2], idx)

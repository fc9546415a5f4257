"""The estimator simulator (linear_grokking.estimator): exactness of its closed forms, seeds, guards.

Every expected value here is computed independently of the code under test: by iterating Eq. 3
step by step, by a matrix exponential / linear solve / pseudo-inverse of the sampled Sigma_tr,
or from the law of the initial draws.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import expm

from linear_grokking.estimator import loss_target, memory_bytes, simulate_estimator
from linear_grokking.estimator.draws import draw_runs

SMALL = dict(d_in=30, n_train=45, n_test=50, t_min=1.0, n_points=12, seed=7)


def _rel(a, b):
    return np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))


@pytest.mark.parametrize("gamma,d_out,alpha", [(0.0, 1, 1.0), (0.02, 1, 1.0), (0.01, 3, 0.5)])
def test_gd_closed_form_equals_the_step_by_step_iteration(gamma, d_out, alpha):
    kw = dict(SMALL, d_out=d_out, gamma=gamma, alpha=alpha, eta=0.05, t_max=400.0, n_seeds=3)
    closed = simulate_estimator(**kw, dynamics="gd")
    loop = simulate_estimator(**kw, dynamics="gd_loop")
    for col in ("train_loss", "gen_loss", "test_loss"):
        assert _rel(closed.curve_matrix(col)[1], loop.curve_matrix(col)[1]) < 1e-9, col
    for col in ("train_acc", "test_acc"):
        np.testing.assert_array_equal(closed.curves[col], loop.curves[col])
    for col in ("t_star_tr", "t_star_gen"):
        c, lp = closed.summary[col].to_numpy(), loop.summary[col].to_numpy()
        seen = np.isfinite(lp)  # the loop stops at t_max; the closed form finds later crossings too
        np.testing.assert_array_equal(c[seen], lp[seen])
        assert np.all(c[~seen] > 400.0)


def test_gd_closed_form_fails_against_a_wrong_step():
    """The comparison above is not vacuous: a 1 % different step is far outside 1e-9."""
    kw = dict(SMALL, eta=0.05, t_max=400.0, n_seeds=2)
    a = simulate_estimator(**kw, dynamics="gd").curve_matrix("gen_loss")[1]
    b = simulate_estimator(**dict(kw, eta=0.0505), dynamics="gd_loop").curve_matrix("gen_loss")[1]
    assert _rel(a, b) > 1e-4


def test_flow_equals_the_matrix_exponential_with_weight_decay():
    """Eq. 31: D(t) = e^{-2k(S+g/2)t}(D0 + c) - c, c = (g/2)(S + g/2)^{-1} T, by expm and solve."""
    eta, gamma, d_out, t = 0.03, 0.05, 2, 37.0
    res = simulate_estimator(**dict(SMALL, d_out=d_out, gamma=gamma, eta=eta, t_max=t, n_points=2, n_seeds=2))
    dr = draw_runs(SMALL["seed"], range(2), d_in=30, n_train=45, d_out=d_out, n_test=50, alpha=1.0)
    for r in range(2):
        X, T, S0 = dr["X"][r], dr["T"][r], dr["S0"][r]
        sig = X.T @ X / X.shape[0]
        M = sig + gamma / 2 * np.eye(30)
        c = gamma / 2 * np.linalg.solve(M, T)
        D = expm(-2 * eta / d_out * M * t) @ (S0 - T + c) - c
        got = res.curves[(res.curves.run == r) & (res.curves.t == t)]
        assert math.isclose(got.gen_loss.item(), (D ** 2).sum() / d_out, rel_tol=1e-10)
        assert math.isclose(got.train_loss.item(), np.trace(D.T @ sig @ D) / d_out, rel_tol=1e-10)
        assert math.isclose(res.summary.L_gen_inf[r], (c ** 2).sum() / d_out, rel_tol=1e-9)


def test_flow_is_the_small_step_limit_of_gd():
    """At fixed eta * steps the GD-flow gap shrinks linearly in eta (halving eta halves it)."""
    gaps = []
    for eta in (0.04, 0.02, 0.01):
        steps = 8.0 / eta  # the same flow time eta0 * t = 8
        kw = dict(SMALL, eta=eta, t_max=steps, n_points=2, n_seeds=2)
        g = simulate_estimator(**kw, dynamics="gd").curve_matrix("gen_loss")[1][:, -1]
        f = simulate_estimator(**kw, dynamics="flow").curve_matrix("gen_loss")[1][:, -1]
        gaps.append(np.max(np.abs(g - f) / f))
    assert gaps[0] > 1e-4
    assert 1.8 < gaps[0] / gaps[1] < 2.2 and 1.8 < gaps[1] / gaps[2] < 2.2, gaps


def test_plateau_is_the_null_space_part_of_the_initial_difference():
    """gamma = 0, lambda > 1: D(inf) = (I - pinv(S) S) D0, by a pseudo-inverse."""
    kw = dict(d_in=40, n_train=25, n_test=30, d_out=2, seed=3, n_seeds=2, t_max=1e3, n_points=4)
    res = simulate_estimator(**kw)
    dr = draw_runs(3, range(2), d_in=40, n_train=25, d_out=2, n_test=30, alpha=1.0)
    for r in range(2):
        sig = dr["X"][r].T @ dr["X"][r] / 25
        D0 = dr["S0"][r] - dr["T"][r]
        Dinf = D0 - np.linalg.pinv(sig) @ sig @ D0
        assert math.isclose(res.summary.L_gen_inf[r], (Dinf ** 2).sum() / 2, rel_tol=1e-8)
        assert res.summary.L_tr_inf[r] == pytest.approx(0.0, abs=1e-15)
    assert (res.summary.status == "no_grok").all()


def test_crossing_times_hit_the_loss_target():
    res = simulate_estimator(**dict(SMALL, n_seeds=3, t_max=1e4))
    target = loss_target(1e-3)
    for col, loss in (("t_star_tr", "train_loss"), ("t_star_gen", "gen_loss")):
        for r, ts in enumerate(res.summary[col]):
            at = simulate_estimator(**dict(SMALL, n_seeds=r + 1, t_min=ts * (1 - 1e-9), t_max=ts, n_points=2))
            L = at.curve_matrix(loss)[1][r]
            assert L[-1] <= target < L[-2] * (1 + 1e-12)
    assert (res.summary.dt_grok > 0).all()


def test_gd_crossing_is_a_whole_step():
    res = simulate_estimator(**dict(SMALL, dynamics="gd", eta=0.05, n_seeds=2, t_max=1e4))
    assert np.all(res.summary.t_star_gen == np.round(res.summary.t_star_gen))


def test_runs_do_not_depend_on_chunking_number_of_runs_or_test_size():
    a = simulate_estimator(**dict(SMALL, n_seeds=4, t_max=1e3))
    b = simulate_estimator(**dict(SMALL, n_seeds=4, t_max=1e3, chunk=3))
    c = simulate_estimator(**dict(SMALL, n_seeds=2, t_max=1e3, n_test=80))
    np.testing.assert_array_equal(a.curve_matrix("gen_loss")[1], b.curve_matrix("gen_loss")[1])
    np.testing.assert_array_equal(a.curve_matrix("train_acc")[1][:2], c.curve_matrix("train_acc")[1])
    np.testing.assert_array_equal(a.summary.t_star_gen[:2], c.summary.t_star_gen)
    d = simulate_estimator(**dict(SMALL, n_seeds=2, t_max=1e3, seed=8))
    assert not np.array_equal(a.summary.t_star_gen[:2], d.summary.t_star_gen)


def test_seed_is_keyword_only_and_required():
    with pytest.raises(TypeError):
        simulate_estimator(10, 20)  # no seed
    with pytest.raises(TypeError):
        simulate_estimator(10, 20, 1, 0.0, seed=0)  # positional beyond the sizes


def test_torch_backend_matches_numpy():
    pytest.importorskip("torch")
    kw = dict(SMALL, n_seeds=2, t_max=1e3, gamma=0.01, d_out=2)
    a, b = simulate_estimator(**kw), simulate_estimator(**kw, device="cpu")
    assert _rel(b.curve_matrix("gen_loss")[1], a.curve_matrix("gen_loss")[1]) < 1e-8
    np.testing.assert_allclose(b.summary.t_star_gen, a.summary.t_star_gen, rtol=1e-8)


def test_initial_loss_follows_the_initial_law():
    """E L_gen(0) = (1 + alpha^2) / (2 d_out) (T, S0/alpha ~ N(0, 1/(2 d_in d_out))): z-test over runs.

    The test fails for the formula without alpha (checked in the same test)."""
    alpha, d_out, R = 2.0, 3, 40
    res = simulate_estimator(d_in=20, n_train=30, d_out=d_out, alpha=alpha, n_seeds=R, seed=11, n_test=10,
                             t_max=10.0, n_points=2)
    L0 = res.curve_matrix("gen_loss")[1][:, 0]
    se = L0.std(ddof=1) / math.sqrt(R)
    assert abs(L0.mean() - (1 + alpha ** 2) / (2 * d_out)) / se < 4
    assert abs(L0.mean() - 1 / d_out) / se > 4


def test_test_sample_loss_is_unbiased_for_the_expectation():
    """The finite test sample estimates ||D||^2/d_out without bias (x_test independent of D)."""
    res = simulate_estimator(**dict(SMALL, n_seeds=30, t_max=3000.0, n_points=4, n_test=40))
    _, g = res.curve_matrix("gen_loss")
    _, s = res.curve_matrix("test_loss")
    _, tr = res.curve_matrix("train_loss")
    for j in (2, 3):
        ratio = s[:, j] / g[:, j]
        z = (ratio.mean() - 1) / (ratio.std(ddof=1) / math.sqrt(ratio.size))
        assert abs(z) < 4
        wrong = tr[:, j] / g[:, j]  # the training loss is not an estimate of L_gen (planted wrong)
        assert abs((wrong.mean() - 1) / (wrong.std(ddof=1) / math.sqrt(wrong.size))) > 4


def test_losses_decrease_without_weight_decay():
    res = simulate_estimator(**dict(SMALL, n_seeds=3, t_max=1e4, d_out=2))
    for col in ("train_loss", "gen_loss"):
        L = res.curve_matrix(col)[1]
        assert np.all(np.diff(L, axis=1) <= 1e-15)


def test_unstable_gd_is_reported_as_diverged():
    res = simulate_estimator(**dict(SMALL, dynamics="gd", eta=2.0, n_seeds=2, t_max=100.0))
    assert (res.summary.status == "diverged").all() and res.summary.t_star_gen.isna().all()


def test_argument_errors_name_the_parameter_and_range():
    with pytest.raises(ValueError, match=r"eta must be a finite number in \(0, inf\)"):
        simulate_estimator(10, 20, eta=0.0, seed=0)
    with pytest.raises(ValueError, match=r"dynamics must be one of"):
        simulate_estimator(10, 20, dynamics="adam", seed=0)
    with pytest.raises(ValueError, match=r"d_out must be an integer in \[1, inf\]"):
        simulate_estimator(10, 20, d_out=0, seed=0)
    with pytest.raises(ValueError, match=r"t_max must be <= max_loop_steps"):
        simulate_estimator(10, 20, dynamics="gd_loop", t_max=1e7, seed=0)


def test_memory_guard_refuses_before_allocating(monkeypatch):
    monkeypatch.setenv("GROKCHECK_MAX_MEM_GB", "0.01")
    assert memory_bytes(2000, 2000, chunk=1) > 0.01 * 2 ** 30
    with pytest.raises(ValueError, match=r"needs about .* GiB, more than the limit"):
        simulate_estimator(2000, 2000, seed=0, chunk=1)

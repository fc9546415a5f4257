"""S_inf (Props. 3.2, 3.4), the frozen-S delay law, and Prop. 3.2 against the GD dynamics."""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from linear_grokking.separability import is_separable, margin, sample_training_sets, train_logistic
from linear_grokking.separability.conformal import (log_delay_ratio, mean_exp_loss, s_infinity,
                                                    s_relaxation_speedup)
from linear_grokking.separability.theory import asymptotic_rates, limiting_accuracy


def _non_separable(N, d, n, seed, sigma=1.0):
    X = sample_training_sets(N, d, n, sigma=sigma, seed=seed)
    return [x for x in X if not is_separable(x)]


def test_s_infinity_against_bfgs_and_stationarity():
    for x in _non_separable(30, 8, 6, seed=1):
        S = s_infinity(x)
        ref = minimize(lambda s: mean_exp_loss(x, s), np.zeros(x.shape[1]), method="BFGS",
                       jac=lambda s: -x.T @ np.exp(-x @ s) / len(x), options={"gtol": 1e-12}).x
        assert np.allclose(S, ref, atol=1e-6)
        assert np.abs(x.T @ np.exp(-x @ S)).max() < 1e-9


def test_two_point_s_infinity_closed_form_and_sympy():
    S, q, sg = sp.symbols("S q sigma", positive=True)          # q = 1 - 2 lambda in (0, 1)
    # paper's signs: L = (e^{S x1} + e^{S x2})/2, x1 = -sigma, x2 = sigma q; its stationary point
    eq = sp.diff(sp.exp(-S * sg) + sp.exp(S * sg * q), S)
    root = sp.solve(sp.Eq(sp.exp(S * sg * (1 + q)), 1 / q), S)[0]
    assert sp.simplify(sp.expand_log(eq.subs(S, root), force=True)) == 0
    for lam, sigma in [(0.1, 1.0), (0.3, 2.0), (0.49, 5.0)]:
        X = np.array([[-sigma], [sigma * (1 - 2 * lam)]])
        table1 = math.log(1 / (1 - 2 * lam)) / (2 * (1 - lam) * sigma)           # Table 1 / sec. 7
        assert -s_infinity(X)[0] == pytest.approx(table1, rel=1e-9)            # our S = -S_paper
        assert -s_infinity(X)[0] == pytest.approx(float(root.subs({q: 1 - 2 * lam, sg: sigma})), rel=1e-9)


@settings(max_examples=30, deadline=None)
@given(c=st.floats(0.05, 20.0), seed=st.integers(0, 50))
def test_scaling_of_s_infinity_and_delay_ratio(c, seed):
    X = np.random.default_rng(seed).standard_normal((12, 3))
    if is_separable(X):
        return
    assert np.allclose(s_infinity(c * X), s_infinity(X) / c, rtol=1e-7, atol=1e-9)
    assert log_delay_ratio(c * X, c) == pytest.approx(log_delay_ratio(X, 1.0), rel=1e-7)
    assert log_delay_ratio(X, 1.0) >= 0.0                  # m(S_inf) <= m(0) = 1
    assert s_relaxation_speedup(c) == pytest.approx(c * c)


def test_prop_3_4_norm_diverges_at_the_edge_of_separability():
    """Translate a non-separable set along u until it becomes separable: |S_inf| grows without bound."""
    X = _non_separable(30, 10, 5, seed=3)[0]
    u = np.ones(X.shape[1]) / math.sqrt(X.shape[1])
    lo, hi = 0.0, 10.0
    assert not is_separable(X + lo * u) and is_separable(X + hi * u)
    for _ in range(40):                      # bisection on the exact LP decision
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if is_separable(X + mid * u) else (mid, hi)
    a_star = lo
    norms = [np.linalg.norm(s_infinity(X + a * u)) for a in a_star * (1 - np.array([0.5, 0.1, 0.01, 1e-3]))]
    assert all(np.diff(norms) > 0) and norms[-1] > 3 * norms[0]
    # and in the ensemble: the median over non-separable Gaussian sets grows with lambda
    med = [np.median([np.linalg.norm(s_infinity(x)) for x in _non_separable(60, d, 30, seed=d)])
           for d in (12, 21, 27)]
    assert med[0] < med[1] < med[2]


def test_s_infinity_refuses_separable_sets():
    with pytest.raises(ValueError, match="separable from the origin"):
        s_infinity(np.array([[1.0, 0.0], [0.5, 1.0]]))
    with pytest.raises(ValueError, match="shape"):
        s_infinity(np.ones(3))
    with pytest.raises(ValueError, match="sigma must be"):
        log_delay_ratio(np.array([[1.0], [-1.0]]), 0.0)


# --- Prop. 3.2 against the logistic GD dynamics ------------------------------------------------------

def test_non_separable_runs_generalise_and_saturate_on_s_infinity():
    X = np.stack(_non_separable(40, 10, 8, seed=7)[:6])
    out = train_logistic(X, sigma=1.0, t_max=1e10, n_points=12, seed=0)
    assert out["reached"].all()
    assert (out["test_acc"][:, -1] > 0.9999).all()
    for r, x in enumerate(X):
        S = s_infinity(x)
        assert np.linalg.norm(out["S_final"][r] - S) < 0.03 * np.linalg.norm(S)
    db = np.diff(out["b"][:, -3:], axis=1) / np.diff(np.log(out["t"][:, -3:]), axis=1)
    assert np.allclose(db, asymptotic_rates(0.0)[1], atol=0.01)        # b ~ log t


def test_separable_runs_follow_the_svm_rates_and_tend_to_a_gen():
    sigma = 2.0
    X = [x for x in sample_training_sets(20, 12, 40, sigma=sigma, seed=5) if is_separable(x)]
    X = np.stack([x for x in X if margin(x) > 0.3][:5])
    out = train_logistic(X, sigma=sigma, t_max=1e12, n_points=24, seed=0)
    for r, x in enumerate(X):
        M = margin(x)
        dS, db = np.diff(out["norm_S"][r, -3:]), np.diff(out["b"][r, -3:])
        rS, rb = asymptotic_rates(M)
        assert dS.sum() / db.sum() == pytest.approx(rS / rb, rel=0.01)              # |S|/b slope -> M
        A_slope = 0.5 * (1 + math.erf(db.sum() / (sigma * dS.sum() * math.sqrt(2))))
        assert A_slope == pytest.approx(limiting_accuracy(M, sigma), abs=0.005)
        # the accuracy itself approaches A_gen from below, as O(1/log t)
        acc = out["test_acc"][r]
        assert acc[-1] < limiting_accuracy(M, sigma) and acc[-1] > limiting_accuracy(M, sigma) - 0.05
        assert acc[-1] > acc[-8]

"""Prop. 3.2 and Wendel's law (Prop. 3.3), three ways: simulation, independent closed forms, properties.

Statistical checks use fixed seeds and exact binomial tests at level 1e-4 (about |z| < 4);
each is paired with a deliberately wrong formula that the same data must reject.
"""
from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.stats import binomtest, norm

from linear_grokking.separability import (is_separable, margin, p_grok_wendel, sample_training_sets,
                                          wendel_limit, wendel_p_sep)
from linear_grokking.separability.theory import (asymptotic_rates, generalises, limiting_accuracy,
                                                 limiting_accuracy_of_set, p_grok_scaling, p_sep_binomial)

ALPHA = 1e-4  # two-sided; the exact-test analogue of |z| < 4


# --- the LP decision against a brute force in d = 2 -------------------------------------------------

def _separable_2d_bruteforce(X: np.ndarray) -> bool:
    """The points lie in an open half-plane through 0 iff some angular gap exceeds pi."""
    ang = np.sort(np.arctan2(X[:, 1], X[:, 0]))
    gaps = np.diff(np.concatenate([ang, [ang[0] + 2 * np.pi]]))
    return bool(gaps.max() > np.pi)


def test_lp_matches_angular_bruteforce_in_2d():
    rng = np.random.default_rng(11)
    n_agree = 0
    for k in range(400):
        N = int(rng.integers(2, 9))
        X = rng.standard_normal((N, 2)) + (0.0 if k % 2 else rng.standard_normal(2))
        assert is_separable(X) == _separable_2d_bruteforce(X), X
        n_agree += 1
    assert n_agree == 400


# --- Wendel: independent exact routes and properties ------------------------------------------------

@lru_cache(maxsize=None)
def _cover_count(N: int, d: int) -> int:
    """Cover (1965): C(N, d) = C(N-1, d) + C(N-1, d-1), C(1, d) = 2, C(N, 0) = 0 (regions of N hyperplanes)."""
    if d == 0:
        return 0
    if N == 1:
        return 2
    return _cover_count(N - 1, d) + _cover_count(N - 1, d - 1)


@pytest.mark.parametrize("N", [1, 2, 5, 12, 31])
def test_wendel_equals_cover_recurrence_and_binomial_cdf(N):
    for d in range(1, N + 3):
        exact = Fraction(_cover_count(N, d), 2 ** N)
        assert wendel_p_sep(N, d) == pytest.approx(float(exact), abs=1e-15)
        assert p_sep_binomial(N, d) == pytest.approx(float(exact), abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(N=st.integers(1, 300), d=st.integers(1, 300))
def test_wendel_properties(N, d):
    p = wendel_p_sep(N, d)
    assert 0.0 <= p <= 1.0
    assert wendel_p_sep(N, d + 1) >= p                    # monotone in lambda = d/N at fixed N
    assert wendel_p_sep(N + 1, d) <= p                    # more points: harder to separate
    if d < N:
        assert p + wendel_p_sep(N, N - d) == pytest.approx(1.0, abs=1e-12)   # symmetry about lambda = 1/2
    assert p_grok_wendel(N, d) == pytest.approx(1.0 - p, abs=1e-15)


@given(k=st.integers(1, 400))
def test_every_even_N_gives_one_half_at_the_critical_point(k):
    assert wendel_p_sep(2 * k, k) == pytest.approx(0.5, abs=1e-15)
    assert p_grok_scaling(2 * k, 0.5) == 0.5


def test_large_N_limit_is_a_step_at_one_half():
    N = 4000
    for lam in (0.4, 0.47, 0.53, 0.6):
        assert abs(1 - p_sep_binomial(N, int(lam * N)) - wendel_limit(lam)) < 1e-3
    assert wendel_limit(0.5) == 0.5


@pytest.mark.parametrize("N", [400, 1000, 4000])
def test_finite_size_scaling_against_exact_law(N):
    # de Moivre-Laplace with continuity correction for Bin(N-1, 1/2): the error is O(1/N)
    for x in (-2.0, -1.0, -0.3, 0.3, 1.0, 2.0):
        d = int(round(N * (1 - x / math.sqrt(N)) / 2))
        assert abs(p_grok_scaling(N, d / N) - (1 - p_sep_binomial(N, d))) < 1.0 / N


# --- Wendel against sampled training sets (exact binomial tests) -----------------------------------

def _lp_sep_count(X: np.ndarray) -> int:
    return sum(is_separable(x) for x in X)


@pytest.mark.parametrize("N,d", [(12, 4), (20, 10), (40, 18), (40, 22)])
def test_wendel_against_lp_on_gaussian_sets(N, d):
    n = 500
    k = _lp_sep_count(sample_training_sets(N, d, n, sigma=1.7, seed=100 + N + d))
    assert binomtest(k, n, wendel_p_sep(N, d)).pvalue > ALPHA
    # a deliberately wrong law (d -> d + 1) is rejected by the same counts
    assert binomtest(k, n, wendel_p_sep(N, d + 1)).pvalue < ALPHA


def test_wendel_holds_for_any_symmetric_law_and_fails_for_a_shifted_one():
    n, N, d = 500, 20, 8
    rng = np.random.default_rng(5)
    lap = rng.laplace(size=(n, N, d)) * rng.choice([1.0, 3.0], size=(n, N, 1))   # symmetric, not Gaussian
    k = _lp_sep_count(lap)
    assert binomtest(k, n, wendel_p_sep(N, d)).pvalue > ALPHA
    shifted = sample_training_sets(N, d, n, shift=0.7, seed=6)   # not symmetric: Wendel is not exact
    assert binomtest(_lp_sep_count(shifted), n, wendel_p_sep(N, d)).pvalue < ALPHA


# --- Prop. 3.2: the limiting accuracy ----------------------------------------------------------------

def test_extended_svm_kkt_with_sympy():
    """min s^2 + b^2 s.t. s M + b >= 1 (the extended SVM restricted to the max-margin direction)."""
    s, b, M, mu, sig = sp.symbols("s b M mu sigma", positive=True)
    lag = s ** 2 + b ** 2 - mu * (s * M + b - 1)
    sol = sp.solve([sp.diff(lag, s), sp.diff(lag, b), s * M + b - 1], [s, b, mu], dict=True)[0]
    assert sp.simplify(sol[s] - M / (1 + M ** 2)) == 0
    assert sp.simplify(sol[b] - 1 / (1 + M ** 2)) == 0
    # test accuracy Phi(b / (sigma |S|)) on N(0, sigma^2 I) points equals the erf form of Prop. 3.2
    phi = (1 + sp.erf(sol[b] / (sig * sol[s]) / sp.sqrt(2))) / 2
    assert sp.simplify(phi - (1 + sp.erf(1 / (sig * M * sp.sqrt(2)))) / 2) == 0
    assert asymptotic_rates(0.7) == pytest.approx((0.7 / 1.49, 1 / 1.49))


def _extended_svm(X: np.ndarray) -> tuple[np.ndarray, float]:
    """argmin |S|^2 + b^2 s.t. S.x_i + b >= 1, solved directly (independent of geometry.margin)."""
    d = X.shape[1]
    cons = {"type": "ineq", "fun": lambda w: X @ w[:d] + w[d] - 1, "jac": lambda w: np.c_[X, np.ones(len(X))]}
    res = minimize(lambda w: w @ w, np.r_[np.zeros(d), 1.0], jac=lambda w: 2 * w, constraints=[cons],
                   method="SLSQP", options={"ftol": 1e-14, "maxiter": 1000})
    return res.x[:d], float(res.x[d])


def test_limiting_accuracy_against_monte_carlo_on_svm_solution():
    sigma, n_test = 2.0, 40_000
    X = [x for x in sample_training_sets(20, 12, 24, sigma=sigma, seed=21) if is_separable(x)]
    X = [x for x in X if 0.6 < limiting_accuracy(margin(x), sigma) < 0.99][:4]
    assert len(X) == 4
    rng = np.random.default_rng(22)
    for x in X:
        S, b = _extended_svm(x)
        assert b / np.linalg.norm(S) == pytest.approx(1 / margin(x), rel=1e-5)
        hits = int(((rng.standard_normal((n_test, x.shape[1])) * sigma) @ S + b > 0).sum())
        A = limiting_accuracy_of_set(x, sigma)
        assert binomtest(hits, n_test, A).pvalue > ALPHA
        wrong = 0.5 * (1 + math.erf(1 / (sigma * margin(x))))          # sqrt 2 dropped
        assert binomtest(hits, n_test, wrong).pvalue < ALPHA


@settings(max_examples=200, deadline=None)
@given(M=st.floats(1e-3, 1e3), sigma=st.floats(1e-3, 1e3), c=st.floats(1.01, 10))
def test_limiting_accuracy_properties(M, sigma, c):
    A = limiting_accuracy(M, sigma)
    assert 0.5 <= A <= 1.0
    assert limiting_accuracy(c * M, sigma) <= A and limiting_accuracy(M, c * sigma) <= A
    assert limiting_accuracy(c * M, sigma / c) == pytest.approx(A, abs=1e-12)    # depends on sigma M only
    assert A == pytest.approx(norm.cdf(1 / (sigma * M)), abs=1e-12)
    r_S, r_b = asymptotic_rates(M)
    assert r_b / r_S == pytest.approx(1 / M) and math.hypot(r_S, r_b) == pytest.approx(1 / math.hypot(1, M))


def test_limits_and_generalisation_criterion():
    assert limiting_accuracy(0.0, 1.0) == 1.0
    assert limiting_accuracy(1e-9, 1.0) == 1.0 and limiting_accuracy(1e9, 1.0) == pytest.approx(0.5)
    assert generalises(np.array([[1.0, 0.0], [-1.0, 0.1], [-1.0, -0.1]]))
    assert not generalises(np.array([[1.0, 0.0], [0.5, 1.0]]))


@pytest.mark.parametrize("call,match", [
    (lambda: limiting_accuracy(-1.0, 1.0), "M must be"), (lambda: limiting_accuracy(1.0, 0.0), "sigma must be"),
    (lambda: asymptotic_rates(float("inf")), "M must be"), (lambda: p_grok_scaling(1, 0.5), "N must be"),
    (lambda: p_grok_scaling(10, -0.1), "lam must be"), (lambda: p_sep_binomial(0, 1), "N and d")])
def test_domain_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()

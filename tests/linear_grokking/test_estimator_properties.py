"""Hypothesis properties of the estimator theory (limits, monotonicity, identities).

Each property is a checker ``prop_*(formula, ...) -> bool``; hypothesis runs it on the package's
formula, and a companion test runs the same checker on a planted wrong formula and asserts that it fails.
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from linear_grokking.estimator import (ACC_95, accuracy, dt_grok_eq12, equivalent_eps, grokking_times, loss_at_accuracy,
                                       loss_curves, loss_limits, loss_train_eq9, loss_train_eq22, simulate_estimator)

FAST = settings(max_examples=25, deadline=None)
SLOW = settings(max_examples=6, deadline=None)
lams = st.floats(0.02, 5.0)
below_one = st.floats(0.02, 0.97)
T = np.concatenate([[0.0], np.geomspace(0.1, 1e6, 60)])


def _curves(lam, d_out=1, alpha=1.0, gamma=0.0):
    return lambda t: loss_curves(t, lam, d_out=d_out, alpha=alpha, gamma=gamma)


# -- losses --------------------------------------------------------------------------------------

def prop_decreasing_and_ordered(fn) -> bool:
    """gamma = 0: both losses non-increasing in t, and L_tr <= L_gen (Chebyshev: nu and e^{-s nu} anti-monotone)."""
    tr, gen = fn(T)
    tol = 1e-12 * gen[0]
    return bool(np.all(np.diff(tr) <= tol) and np.all(np.diff(gen) <= tol) and np.all(tr <= gen + tol))


@FAST
@given(lams, st.integers(1, 50), st.floats(0.0, 3.0))
def test_losses_decrease_and_train_is_below_gen(lam, d_out, alpha):
    assert prop_decreasing_and_ordered(_curves(lam, d_out, alpha))


def test_planted_wrong_losses_fail_the_monotonicity_check():
    def wrong_sign(t):  # Eq. 9 with e^{-s(1 - lam)} for e^{-s(1 + lam)}: grows at lam = 2
        with np.errstate(over="ignore", invalid="ignore"):
            L = loss_train_eq9(t, 2.0) * np.exp(np.minimum(0.04 * 2 * 2.0 * t, 700.0))
        return L, L

    swapped = lambda t: _curves(0.5)(t)[::-1]  # noqa: E731
    assert not prop_decreasing_and_ordered(wrong_sign) and not prop_decreasing_and_ordered(swapped)


def prop_limits(fn, lam, d_out, alpha, plateau) -> bool:
    """t = 0: (1 + alpha^2)/(2 d_out) for both; t -> inf: L_tr -> 0, L_gen -> the plateau."""
    tr, gen = fn(np.array([0.0, 1e15]))
    start = (1 + alpha ** 2) / (2 * d_out)
    return bool(math.isclose(tr[0], start, rel_tol=1e-9) and math.isclose(gen[0], start, rel_tol=1e-9)
                and tr[1] < 1e-12 and math.isclose(gen[1], plateau(lam, d_out, alpha), rel_tol=1e-9, abs_tol=1e-14))


def _plateau(lam, d_out, alpha):
    return (1 + alpha ** 2) / (2 * d_out) * max(0.0, 1 - 1 / lam)


@FAST
@given(lams.filter(lambda lam: abs(lam - 1) > 0.05), st.integers(1, 20), st.floats(0.0, 3.0))
def test_losses_start_at_the_initial_norm_and_end_on_the_plateau(lam, d_out, alpha):
    """(At lam = 1 the lower edge touches 0 and L_gen decays only as a power of t: excluded.)"""
    assert prop_limits(_curves(lam, d_out, alpha), lam, d_out, alpha, _plateau)
    assert math.isclose(loss_limits(lam, d_out=d_out, alpha=alpha)[1], _plateau(lam, d_out, alpha), abs_tol=1e-15)


def test_planted_wrong_plateau_fails_the_limit_check():
    assert not prop_limits(_curves(2.0), 2.0, 1, 1.0, lambda lam, d, a: max(0.0, 1 - 1 / lam ** 2))


@FAST
@given(st.floats(1e-10, 1e-7), st.floats(1.0, 1e3))
def test_small_lambda_is_the_identity_covariance(lam, t):
    """lam -> 0: Sigma_tr -> I, L_tr = L_gen = e^{-4 eta0 t} (relative correction ~ s^2 lam / 2, s = 4 eta0 t)."""
    tr, gen = loss_curves(np.array([t]), lam)
    want = math.exp(-4 * 0.01 * t)
    assert math.isclose(gen[0], want, rel_tol=1e-3) and math.isclose(tr[0], want, rel_tol=1e-3)


@FAST
@given(below_one)
def test_eq22_approaches_eq9_monotonically(lam):
    t = np.array([10.0, 30.0, 100.0]) / (0.04 * math.sqrt(lam))  # Bessel argument 20, 60, 200
    r = np.abs(loss_train_eq22(t, lam) / loss_train_eq9(t, lam) - 1)
    assert np.all(np.diff(r) < 0) and r[-1] < 3e-3


@FAST
@given(below_one, st.floats(1e-6, 1e-1), st.floats(1.01, 3.0))
def test_weight_decay_floors_grow_with_gamma_and_vanish_with_it(lam, gamma, factor):
    lo, hi = loss_limits(lam, gamma=gamma), loss_limits(lam, gamma=gamma * factor)
    assert hi[0] > lo[0] > 0 and hi[1] > lo[1] > lo[0]
    tr, gen = loss_curves(np.array([50.0]), lam, gamma=1e-13)
    tr0, gen0 = loss_curves(np.array([50.0]), lam)
    assert math.isclose(tr[0], tr0[0], rel_tol=1e-9) and math.isclose(gen[0], gen0[0], rel_tol=1e-9)


# -- accuracy --------------------------------------------------------------------------------------

def prop_accuracy(fn, d_out) -> bool:
    """A in [0, 1], decreasing in L, -> 1 as L -> 0 and -> 0 as L -> inf; loss_at_accuracy inverts it."""
    L = np.geomspace(1e-9, 1e3, 80)
    A = fn(L, 1e-3, d_out)
    inv = all(math.isclose(fn(np.array([loss_at_accuracy(a, 1e-3, d_out=d_out)]), 1e-3, d_out)[0], a, rel_tol=1e-9)
              for a in (0.05, 0.5, ACC_95))
    return bool(np.all((A >= 0) & (A <= 1)) and np.all(np.diff(A) <= 0) and A[0] > 1 - 1e-9 and A[-1] < 1e-2 and inv)


@FAST
@given(st.integers(1, 1000))
def test_accuracy_map_is_a_decreasing_bijection(d_out):
    assert prop_accuracy(lambda L, e, d: accuracy(L, e, d_out=d), d_out)


def test_planted_wrong_accuracy_fails_the_check():
    assert not prop_accuracy(lambda L, e, d: accuracy(L, e, d_out=d + 1), 3)  # wrong degrees of freedom


@FAST
@given(st.floats(0.05, 0.9))
def test_large_d_out_accuracy_is_a_step_at_eps(ratio):
    """d_out -> inf: A -> 1 for L < eps and -> 0 for L > eps (the chi^2 / d_out concentrates at 1). The
    paper's 'A -> 1 for any L' (sec. 3.2) holds only below eps; for small d_out A need not even grow
    with d_out (A(0.73 eps) is 0.758 at d_out = 1 and 0.745 at 2)."""
    assert accuracy(ratio * 1e-3, 1e-3, d_out=5000) > 0.999
    assert accuracy(1e-3 / ratio, 1e-3, d_out=5000) < 0.001


# -- grokking time ---------------------------------------------------------------------------------

def prop_dt_increasing(dt, lam1, lam2) -> bool:
    a, b = sorted((lam1, lam2))
    return b - a < 1e-3 or dt(a) < dt(b)


@SLOW
@given(below_one, below_one)
def test_exact_dt_increases_with_lambda(lam1, lam2):
    assert prop_dt_increasing(lambda lam: grokking_times(lam).dt, lam1, lam2)
    assert prop_dt_increasing(dt_grok_eq12, lam1, lam2)


def test_planted_wrong_dt_fails_the_monotonicity_check():
    assert not prop_dt_increasing(lambda lam: dt_grok_eq12(1 - lam), 0.3, 0.6)


def test_dt_vanishes_at_small_lambda_and_diverges_towards_one():
    assert grokking_times(1e-4).dt < 2.0
    dts = [grokking_times(lam).dt for lam in (0.9, 0.97, 0.99)]
    assert dts[0] < dts[1] < dts[2] and dts[2] > 20 * dts[0]


def prop_scale_equivalence(eps_map, lam, alpha) -> bool:
    a = grokking_times(lam, alpha=alpha)
    b = grokking_times(lam, eps=eps_map(1e-3, alpha))
    return math.isclose(a.t_tr, b.t_tr, rel_tol=1e-8) and math.isclose(a.t_gen, b.t_gen, rel_tol=1e-8)


@SLOW
@given(st.floats(0.1, 0.9), st.floats(0.2, 4.0))
def test_initial_scale_equals_a_threshold_change(lam, alpha):
    assert prop_scale_equivalence(equivalent_eps, lam, alpha)


def test_planted_wrong_threshold_map_fails():
    assert not prop_scale_equivalence(lambda e, a: e / (1 + a ** 2), 0.5, 2.0)


# -- simulator ------------------------------------------------------------------------------------

@settings(max_examples=12, deadline=None)
@given(st.integers(2, 12), st.integers(2, 20), st.integers(1, 3), st.floats(0.0, 0.2), st.floats(1e-3, 0.2),
       st.integers(0, 2 ** 31))
def test_gd_closed_form_equals_iteration_for_any_small_model(d_in, n_train, d_out, gamma, eta, seed):
    kw = dict(d_out=d_out, gamma=gamma, eta=eta, seed=seed, n_seeds=2, n_test=5, t_max=60.0, n_points=5)
    a = simulate_estimator(d_in, n_train, dynamics="gd", **kw).curve_matrix("gen_loss")[1]
    b = simulate_estimator(d_in, n_train, dynamics="gd_loop", **kw).curve_matrix("gen_loss")[1]
    ok = np.isfinite(b) & (np.abs(b) < 1e200)
    assert np.allclose(a[ok], b[ok], rtol=1e-7, atol=0)

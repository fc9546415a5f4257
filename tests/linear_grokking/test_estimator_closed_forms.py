"""Each formula of the estimator theory against an independent closed form or a sympy derivation.

(The simulator comparisons are in test_estimator_theory_vs_sim.py, the hypothesis properties in
test_estimator_properties.py.) Independent routes used here: scipy quad on the density of Eq. 6,
Narayana moments, the Stieltjes-transform quadratic, the Bessel form of Eq. 9 (sympy), the
chi-square distribution, Lambert-W identities, numerical derivatives.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad
from scipy.stats import chi2

from linear_grokking.estimator import (ACC_95, accuracy, accuracy_eq10, dt_grok_eq12, dt_grok_eq26, floors_eq16,
                                       floors_small_gamma, grokking_times, grokking_times_eq24, loss_asymptotic_eq11,
                                       loss_at_accuracy, loss_curves, loss_gen_eq23, loss_limits, loss_target,
                                       loss_train_eq9, loss_train_eq22, mp_atom, mp_density, mp_edges, mp_expect,
                                       mp_moment, mp_resolvent, plateau_gen)

LAMS = [0.1, 0.5, 0.9, 1.0, 1.5, 4.0]


def _quad_density(f, lam):
    lo, hi = mp_edges(lam)
    return quad(lambda v: f(v) * mp_density(np.array([v]), lam)[0], lo, hi, limit=400, epsabs=0, epsrel=1e-12)[0]


@pytest.mark.parametrize("lam", LAMS)
def test_eq6_quadrature_against_scipy_quad_and_narayana(lam):
    for k in range(6):
        want = mp_moment(k, lam)
        assert mp_expect(lambda nu: nu ** k, lam) == pytest.approx(want, rel=1e-11)
        direct = _quad_density(lambda v: v ** k, lam) + (mp_atom(lam) if k == 0 else 0.0)
        assert direct == pytest.approx(want, rel=1e-8)


def test_narayana_moments_from_the_stieltjes_quadratic_by_sympy():
    """m(z) = E[1/(nu - z)] solves lam z m^2 - (1 - lam - z) m + 1 = 0; its 1/z series has the moments."""
    lam, w = sp.symbols("lambda w", positive=True)
    z = 1 / w
    m = (1 - lam - z + sp.sqrt((1 - lam - z) ** 2 - 4 * lam * z)) / (2 * lam * z)  # the branch m ~ -1/z
    assert sp.simplify(lam * z * m ** 2 - (1 - lam - z) * m + 1) == 0
    ser = sp.series(-m, w, 0, 8).removeO()  # -m = sum_k E[nu^k] w^{k+1}
    for k in range(6):
        coeff = sp.expand(sp.simplify(ser.coeff(w, k + 1)))
        for lv in (0.3, 2.0):
            assert float(coeff.subs(lam, lv)) == pytest.approx(mp_moment(k, lv), rel=1e-12)


@pytest.mark.parametrize("lam", LAMS)
@pytest.mark.parametrize("a", [1e-6, 1e-2, 1.0])
def test_resolvent_closed_form_against_quadrature(lam, a):
    for p in (1, 2):
        assert mp_resolvent(a, lam, p) == pytest.approx(mp_expect(lambda nu: (nu + a) ** -p, lam), rel=1e-9)


@pytest.mark.parametrize("lam", LAMS)
def test_eq9_equals_the_quadrature_of_eq8(lam):
    t = np.geomspace(0.1, 1e6, 40)
    L_tr, _ = loss_curves(t, lam, eta0=0.01)
    np.testing.assert_allclose(loss_train_eq9(t, lam, eta0=0.01), L_tr, rtol=1e-9, atol=1e-300)
    L_tr5, _ = loss_curves(t, lam, eta0=0.01, d_out=5, alpha=2.0)
    np.testing.assert_allclose(loss_train_eq9(t, lam, eta0=0.01, d_out=5, alpha=2.0), L_tr5, rtol=1e-9, atol=1e-300)


def test_eq9_series_is_the_narayana_moment_series_by_sympy():
    """e^{-s(1+lam)} 0F1~(2; s^2 lam) = sum_k (-s)^k E[nu^{k+1}]/k! (s = 4 eta0 t), coefficient by coefficient."""
    s, lam = sp.symbols("s lambda", positive=True)
    eq9 = sp.exp(-s * (1 + lam)) * sp.hyper([], [2], s ** 2 * lam)  # Gamma(2) = 1
    ser = sp.series(sp.hyperexpand(eq9), s, 0, 6).removeO()
    for k in range(6):
        nar = sum(lam ** j * sp.binomial(k + 1, j) * sp.binomial(k, j) / (j + 1) for j in range(k + 1))
        assert sp.simplify(ser.coeff(s, k) - (-1) ** k * nar / sp.factorial(k)) == 0


@pytest.mark.parametrize("lam", [0.2, 0.9, 2.0])
def test_eq21_gen_loss_decays_at_4_eta0_times_train_loss(lam):
    """dL_gen/dt = -4 eta0 L_tr (Eq. 21), by a central difference of the quadrature against Eq. 9."""
    t, h = np.array([3.0, 300.0, 3e4]), 1e-3
    up, dn = loss_curves(t + h, lam)[1], loss_curves(t - h, lam)[1]
    np.testing.assert_allclose((up - dn) / (2 * h), -4 * 0.01 * loss_train_eq9(t, lam), rtol=1e-5, atol=1e-15)


def test_eq11_and_eq23_are_the_late_time_limits():
    """Eq. 22/11 and Eq. 23 over the exact losses tend to 1; Eq. 23 is the better L_gen asymptote."""
    lam, eta0 = 0.5, 0.01
    lo = (1 - math.sqrt(lam)) ** 2
    t = np.array([10.0, 30.0, 100.0]) / (4 * eta0 * lo)
    L_tr, L_gen = loss_curves(t, lam, eta0=eta0)
    r_tr = loss_train_eq22(t, lam, eta0=eta0) / L_tr
    r11 = loss_asymptotic_eq11(t, lam, eta0=eta0)[1] / L_gen
    r23 = loss_gen_eq23(t, lam, eta0=eta0) / L_gen
    for r in (r_tr, r11, r23):
        assert np.all(np.diff(np.abs(r - 1)) < 0) and abs(r[-1] - 1) < 0.02
    assert np.all(np.abs(r23 - 1) < np.abs(r11 - 1))


def test_eq23_is_eq22_integrated_by_sympy():
    t, eta0, c = sp.symbols("t eta0 c", positive=True)  # c = 1 - sqrt(lam) > 0
    x = 1 - c  # sqrt(lam)
    b = 4 * eta0 * c ** 2
    eq22 = sp.exp(-b * t) / (16 * sp.sqrt(sp.pi) * x ** sp.Rational(3, 2) * (eta0 * t) ** sp.Rational(3, 2))
    eq23 = (sp.sqrt(eta0 * t) * sp.exp(-b * t) / (2 * sp.sqrt(sp.pi) * eta0 * t * x ** sp.Rational(3, 2))
            - c * sp.uppergamma(sp.Rational(1, 2), b * t) / (sp.sqrt(sp.pi) * x ** sp.Rational(3, 2)))
    assert sp.simplify(sp.diff(eq23, t) + 4 * eta0 * eq22) == 0
    assert sp.limit(eq23.subs({eta0: sp.Rational(1, 100), c: sp.Rational(1, 2)}), t, sp.oo) == 0
    vals = {t: 1234.5, eta0: 0.01, c: 1 - math.sqrt(0.3)}
    assert float(eq23.subs(vals)) == pytest.approx(float(loss_gen_eq23(1234.5, 0.3, eta0=0.01)), rel=1e-12)


@pytest.mark.parametrize("lam,gamma", [(0.5, 1e-2), (0.9, 1e-3), (1.5, 1e-2), (3.0, 0.3)])
def test_weight_decay_limits_against_the_quadrature_of_eq15(lam, gamma):
    L_tr, L_gen = loss_curves(np.array([1e13]), lam, gamma=gamma, d_out=3)
    tr, gen = loss_limits(lam, gamma=gamma, d_out=3)
    assert L_tr[0] == pytest.approx(tr, rel=1e-9) and L_gen[0] == pytest.approx(gen, rel=1e-9)


def test_eq16_floors_are_twice_the_small_gamma_limit_of_eq15_by_sympy():
    """Series of the exact limits (resolvent) in gamma: gamma^2/(8(1-lam)) and gamma^2/(8(1-lam)^3);
    the printed Eq. 16 has 4 for 8 (docs/errata.md)."""
    a, u = sp.symbols("a u", positive=True)  # a = gamma/2, u = 1 - lam in (0, 1)
    lam = 1 - u
    B = 1 - lam + a
    R = sp.sqrt(B ** 2 + 4 * lam * a)
    E1 = 2 / (R + B)
    E2 = -sp.diff(E1, a)
    tr = sp.simplify(sp.series(a ** 2 / 2 * (E1 - a * E2), a, 0, 3).removeO())
    gen = sp.simplify(sp.series(a ** 2 / 2 * E2, a, 0, 3).removeO())
    g = sp.symbols("gamma", positive=True)
    assert sp.simplify(tr.subs(a, g / 2) - g ** 2 / (8 * u)) == 0
    assert sp.simplify(gen.subs(a, g / 2) - g ** 2 / (8 * u ** 3)) == 0
    for lv in (0.3, 0.7):
        exact = loss_limits(lv, gamma=1e-6)
        assert np.allclose(floors_small_gamma(lv, 1e-6), exact, rtol=1e-4)
        assert np.allclose(np.array(floors_eq16(lv, 1e-6)) / np.array(exact), 2.0, rtol=1e-4)


def test_plateau_is_the_atom_of_eq6():
    for lam in (1.5, 2.0, 10.0):
        assert plateau_gen(lam) == pytest.approx(1 - 1 / lam)
        assert loss_curves(np.array([1e14]), lam)[1][0] == pytest.approx(1 - 1 / lam, rel=1e-12)
    assert loss_limits(2.0, gamma=1e-8)[1] == pytest.approx(0.25, rel=1e-6)  # decay forgets the null space


@pytest.mark.parametrize("d_out", [1, 2, 50, 700])
def test_eq13_accuracy_is_the_chi_square_cdf(d_out):
    L = np.geomspace(1e-5, 1e-2, 13)
    np.testing.assert_allclose(accuracy(L, 1e-3, d_out=d_out), chi2.cdf(d_out * 1e-3 / L, d_out), rtol=1e-10)
    assert loss_at_accuracy(ACC_95, 1e-3, d_out=d_out) == pytest.approx(loss_target(1e-3, d_out), rel=1e-10)
    if d_out == 1:
        np.testing.assert_allclose(accuracy(L, 1e-3), accuracy_eq10(L, 1e-3), rtol=1e-12)
        assert loss_at_accuracy(ACC_95, 1e-3) == pytest.approx(1e-3 / 4, rel=1e-12)


@pytest.mark.parametrize("lam", [0.1, 0.5, 0.9])
def test_eq24_solves_eq11_exactly_and_its_polynomials_simplify(lam):
    g = grokking_times_eq24(lam, eps=1e-3)
    tr = loss_train_eq22(g.t_tr, lam)
    gen = loss_asymptotic_eq11(np.array([g.t_gen]), lam)[1][0]
    assert tr == pytest.approx(1e-3 / 4, rel=1e-10) and gen == pytest.approx(1e-3 / 4, rel=1e-10)
    x = sp.symbols("x", positive=True)  # x = sqrt(lam)
    l = x ** 2
    poly_tr = l ** sp.Rational(3, 2) + l ** sp.Rational(-3, 2) - 6 * l + 15 * x - 6 / l + 15 / x - 20
    assert sp.simplify(poly_tr - (1 - x) ** 6 / x ** 3) == 0
    assert sp.simplify(l ** sp.Rational(-3, 2) + 1 / x - 2 / l - (1 - x) ** 2 / x ** 3) == 0


def test_eq12_and_eq26_are_the_eps_to_zero_limits_of_eq24():
    lam = 0.5
    errs12, errs26 = [], []
    for eps in (1e-6, 1e-20, 1e-80):
        d24 = grokking_times_eq24(lam, eps=eps).dt
        errs12.append(abs(dt_grok_eq12(lam) / d24 - 1))
        errs26.append(abs(dt_grok_eq26(lam, eps=eps) / d24 - 1))
    assert errs12[0] > errs12[1] > errs12[2] and errs12[2] < 0.02
    assert all(e26 < e12 for e12, e26 in zip(errs12, errs26))


def test_exact_dt_approaches_eq12_only_logarithmically():
    """At the paper's eps the exact Delta t is far below Eq. 12 (ratio 0.60 at lam = 0.5, 0.36 at 0.9);
    the ratio rises towards 1 as eps -> 0 (docs/errata.md)."""
    r = {eps: grokking_times(0.5, eps=eps).dt / dt_grok_eq12(0.5) for eps in (1e-3, 1e-6, 1e-12)}
    assert r[1e-3] < r[1e-6] < r[1e-12] < 1
    assert 0.55 < r[1e-3] < 0.65
    assert 0.3 < grokking_times(0.9, eps=1e-3).dt / dt_grok_eq12(0.9) < 0.4

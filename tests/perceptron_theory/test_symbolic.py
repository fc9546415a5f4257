"""Tests of perceptron_theory.symbolic: each derived identity against the paper's
printed form (typed in here from the science note, not taken from the module),
an independent high-precision numeric route (mpmath), or a direct simulation,
plus a deliberately wrong alternative that must be detected as different."""
from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from perceptron_theory import symbolic as sym


def is_zero(expr: sp.Expr) -> bool:
    """Symbolic zero test (Gamma-function identities included)."""
    for simp in (sp.gammasimp, lambda e: sp.gammasimp(sp.expand_func(e)),
                 lambda e: sp.gammasimp(sp.expand_func(sp.combsimp(e)))):
        if sp.simplify(simp(expr)) == 0:
            return True
    return False


def differs(expr: sp.Expr, points: list[dict]) -> bool:
    """Numeric non-zero test at 30 digits (used to show that a wrong form is detected)."""
    return any(abs(sp.N(expr.subs(pt), 30)) > 1e-10 for pt in points)


def eq23_printed(D: sp.Expr, power_shift: int = 0) -> sp.Expr:
    """Eq. 23 amplitude as printed (power_shift != 0 gives a deliberately wrong power of 2)."""
    return (D * sp.Integer(2) ** ((D - 3) / 2 + power_shift) * sp.gamma(D / 2)
            / (sp.sqrt(sp.pi) * sp.gamma((D + 3) / 2)))


def cap_fraction_mp(D: int, h: mp.mpf) -> mp.mpf:
    """Independent numeric cap fraction: ½ I_{1-h²}((D+1)/2, ½)."""
    return mp.betainc(mp.mpf(D + 1) / 2, mp.mpf(1) / 2, 0, 1 - h ** 2, regularized=True) / 2


# ---------------------------------------------------------------- 1. Eqs. 22-23

@pytest.mark.parametrize("D", range(1, 11))
def test_cap_expansion_matches_eq23(D: int) -> None:
    r = sym.cap_expansion(D)
    Dv = sp.Integer(D)
    assert r.exponent == sp.Rational(D + 1, 2)
    assert is_zero(r.amplitude - eq23_printed(Dv))
    # a wrong power of two is detected
    assert differs(r.amplitude - eq23_printed(Dv, power_shift=1), [{}])
    # ratio V_{D-1}/V_D from the Gamma formula, checked against known values
    known = {1: sp.Rational(1, 2), 2: 2 / sp.pi, 3: sp.Rational(3, 4)}  # V0/V1, V1/V2, V2/V3
    if D in known:
        assert is_zero(r.volume_ratio - known[D])


def test_cap_expansion_general_D() -> None:
    D = sp.Symbol("D", positive=True)
    r = sym.cap_expansion(D)
    assert sp.simplify(r.exponent - (D + 1) / 2) == 0
    assert is_zero(r.amplitude - eq23_printed(D))
    # hand-derived next coefficient: -amplitude * (D-1)(D+1) / (4 (D+3))
    assert is_zero(r.next_coefficient + r.amplitude * (D - 1) * (D + 1) / (4 * (D + 3)))


@settings(max_examples=8, deadline=None)
@given(D=st.integers(1, 12), k=st.integers(8, 14))
def test_cap_expansion_numeric(D: int, k: int) -> None:
    """(E(1-δ) - A δ^ν)/δ^{ν+1} -> next coefficient, with E from mpmath's incomplete beta."""
    r = sym.cap_expansion(D)
    with mp.workdps(60):
        delta = mp.mpf(10) ** (-k)
        E = cap_fraction_mp(D, 1 - delta)
        nu = mp.mpf(D + 1) / 2
        A = mp.mpf(sp.N(r.amplitude, 60))
        B = mp.mpf(sp.N(r.next_coefficient, 60))
        rel_next = (E - A * delta ** nu) / delta ** (nu + 1) - B
        # the remainder is O(delta) relative to the next term
        assert abs(rel_next) < 10 * delta * (1 + abs(B)) + mp.mpf(10) ** -40
        assert abs(E / (A * delta ** nu) - 1) < 10 * delta


def eq22_printed(D: int, h: sp.Symbol, prefactor_D: int | None = None) -> sp.Expr:
    """Eq. 22 as printed; prefactor_D replaces the leading D (a deliberately wrong form)."""
    Dv = sp.Integer(D)
    pre = sp.Integer(prefactor_D if prefactor_D is not None else D)
    return (sp.Rational(1, 2) - pre * sp.gamma(Dv / 2) / (2 * sp.sqrt(sp.pi) * sp.gamma((Dv + 1) / 2))
            * sp.hyper([sp.Rational(1, 2), (1 - Dv) / 2], [sp.Rational(3, 2)], h ** 2) * h)


@pytest.mark.parametrize("D", range(1, 7))
def test_eq22_hypergeometric_equals_integral_symbolically(D: int) -> None:
    f = sym.cap_forms(D)
    assert sp.simplify(f.integral - sp.hyperexpand(eq22_printed(D, f.h))) == 0
    assert sp.simplify(f.hypergeometric - eq22_printed(D, f.h)) == 0
    # a wrong prefactor (D+1 instead of D) is detected
    assert sp.simplify(f.integral - sp.hyperexpand(eq22_printed(D, f.h, D + 1))) != 0


@pytest.mark.parametrize("D", range(1, 11))
def test_eq22_three_forms_agree_numerically(D: int) -> None:
    assert sym.cap_forms_max_difference(D, [0.0, 0.1, 0.5, 0.77, 0.99, 1.0], dps=40) < 1e-35


def test_cap_forms_bad_input() -> None:
    with pytest.raises(ValueError, match="D"):
        sym.cap_expansion(0)
    with pytest.raises(ValueError, match="order"):
        sym.cap_expansion(3, order=1)
    with pytest.raises(ValueError, match="h_values"):
        sym.cap_forms_max_difference(3, [1.5])
    with pytest.raises(ValueError, match="positive"):
        sym.cap_expansion(sp.Symbol("D"))


# ---------------------------------------------------------------- 2. Eqs. 13, 15

def test_eq15_from_eq13() -> None:
    r = sym.eq15_from_eq13()
    e = r.eps_lambda
    assert sp.simplify(r.p_grok - (1 - (1 + 2 * e) * sp.exp(-4 * e))) == 0
    assert sp.simplify(r.p_grok - (1 - (1 + 2 * e) * sp.exp(-2 * e))) != 0
    assert sp.limit(r.p_grok, e, sp.oo) == 1


@settings(max_examples=10, deadline=None)
@given(eps=st.floats(0.01, 3.0))
def test_eq15_numeric_from_bessel(eps: float) -> None:
    """Eq. 14 integrated numerically with mpmath's Bessel K against Eq. 15."""
    with mp.workdps(30):
        k = mp.mpf(3) / 2
        dens = lambda x: 2 * mp.mpf(2) ** (k + 1) * x ** k * mp.besselk(k, 4 * x) / mp.sqrt(mp.pi)
        e = mp.mpf(eps)
        p = 2 * mp.quad(dens, [0, e])
        assert abs(p - (1 - (1 + 2 * e) * mp.exp(-4 * e))) < 1e-20
        assert abs(p - (1 - (1 + 2 * e) * mp.exp(-2 * e))) > 1e-5  # wrong rate detected


@pytest.mark.parametrize("N", [1, 2, 3])
def test_eq13_by_convolution(N: int) -> None:
    r = sym.eq13_by_convolution(N)
    assert sp.simplify(r.convolution - r.bessel_elementary) == 0
    # Eq. 12: the class mean is Gamma(N, rate N)
    u = sp.Symbol("u", positive=True)
    assert sp.simplify(r.class_mean
                       - sp.Integer(N) ** N / sp.gamma(N) * u ** (N - 1) * sp.exp(-N * u)) == 0
    # normalisation of the (even) density
    assert sp.simplify(2 * sp.integrate(r.convolution, (r.x, 0, sp.oo)) - 1) == 0
    # numeric comparison with the unexpanded Bessel form
    for xv in (sp.Rational(1, 100), sp.Rational(3, 10), sp.Rational(17, 10)):
        a = sp.N(r.convolution.subs(r.x, xv), 30)
        b = sp.N(r.bessel.subs(r.x, xv), 30)
        assert abs(a - b) < 1e-25
    # a wrong rate (2N -> N in the Bessel argument) is detected
    wrong = r.bessel.subs(r.x, r.x / 2) if N > 1 else r.bessel * 2
    assert abs(sp.N(wrong.subs(r.x, 0.3) - r.convolution.subs(r.x, 0.3))) > 1e-3


# ---------------------------------------------------------------- 3. Eq. 72

def test_eq72_confirmed_and_normalised() -> None:
    j = sym.joint_density_xbar_xmin(2)
    x, m = j.xbar, j.xmin
    assert sp.simplify(j.above - 2 * sp.exp(-4 * x)) == 0
    assert sp.simplify(j.below + 2 * sp.exp(4 * x - 4 * m) * (8 * x - 4 * m - 1)) == 0
    assert j.normalisation == 1
    assert sp.simplify(j.marginal_xmin - 2 * sp.exp(-2 * m)) == 0
    a = j.a
    eq13_n2 = (1 + 4 * a) * sp.exp(-4 * a)
    assert sp.simplify(j.marginal_xbar_pos - eq13_n2) == 0
    assert sp.simplify(j.marginal_xbar_neg - eq13_n2) == 0
    # a wrong sign of the constant term is detected
    assert sp.simplify(j.below + 2 * sp.exp(4 * x - 4 * m) * (8 * x - 4 * m + 1)) != 0


def test_joint_density_n3_consistent() -> None:
    j = sym.joint_density_xbar_xmin(3)
    a, m = j.a, j.xmin
    assert j.normalisation == 1
    assert sp.simplify(j.marginal_xmin - 3 * sp.exp(-3 * m)) == 0
    eq13_n3 = sp.Rational(9, 8) * (12 * a ** 2 + 6 * a + 1) * sp.exp(-6 * a)
    assert sp.simplify(j.marginal_xbar_pos - eq13_n3) == 0
    assert sp.simplify(j.marginal_xbar_neg - eq13_n3) == 0
    # continuous across 2 xbar = xmin
    assert sp.simplify((j.above - j.below).subs(j.xbar, m / 2)) == 0


@pytest.mark.parametrize("N", [2, 3])
def test_joint_density_against_simulation(N: int) -> None:
    """P(xbar < a, xmin < b) from the derived density vs a seeded Monte Carlo, |z| < 4."""
    from scipy import integrate

    j = sym.joint_density_xbar_xmin(N)
    above = sp.lambdify((j.xbar, j.xmin), j.above, "math")
    below = sp.lambdify((j.xbar, j.xmin), j.below, "math")

    def dens(x: float, m: float) -> float:
        return above(x, m) if 2 * x > m else below(x, m)

    rng = np.random.default_rng(20240601 + N)
    n = 200_000
    u = rng.exponential(size=(n, N))
    v = rng.exponential(size=(n, N))
    xbar = (u.sum(1) - v.sum(1)) / (2 * N)
    xmin = u.min(1)
    for a, b in [(0.0, 0.2), (0.1, 0.5), (-0.2, 1.0), (0.3, 0.1)]:
        p, _ = integrate.dblquad(lambda x, m: dens(x, m), 0, b, -12.0, a, epsabs=1e-10)
        phat = float(np.mean((xbar < a) & (xmin < b)))
        z = (phat - p) / np.sqrt(p * (1 - p) / n)
        assert abs(z) < 4, (a, b, p, phat)


def test_joint_density_bad_input() -> None:
    with pytest.raises(ValueError, match="N"):
        sym.joint_density_xbar_xmin(4)


# ---------------------------------------------------------------- 4. app. B

@pytest.fixture(scope="module")
def ball() -> sym.BallCoefficients:
    return sym.ball_first_order_coefficients(dims=(2, 3))


def test_uniform_ball_moments() -> None:
    mom = sym.uniform_ball_moments()
    D = mom.D
    assert sp.simplify(mom.m2 - 1 / (D + 2)) == 0
    assert sp.simplify(mom.m4 - 3 / (D ** 2 + 6 * D + 8)) == 0
    assert sp.simplify(mom.m22 - 1 / (D ** 2 + 6 * D + 8)) == 0
    # direct integration over the unit disk (D = 2) as an independent route
    r, th = sp.symbols("r theta", positive=True)
    disk = lambda f: sp.integrate(sp.integrate(f * r, (r, 0, 1)), (th, 0, 2 * sp.pi)) / sp.pi
    x1, x2 = r * sp.cos(th), r * sp.sin(th)
    assert disk(x1 ** 2) == mom.m2.subs(D, 2)
    assert disk(x1 ** 4) == mom.m4.subs(D, 2)
    assert disk(x1 ** 2 * x2 ** 2) == mom.m22.subs(D, 2)


def test_ball_coefficients_against_note(ball: sym.BallCoefficients) -> None:
    lam, eps, D = ball.lam, ball.eps, ball.D
    L = lam + eps ** 2
    assert ball.cross_terms_vanish
    assert sp.simplify(ball.beta - (eps / L + eps / (L ** 2 * (D + 2)))) == 0
    assert sp.simplify(ball.alpha1 - (1 / L - 2 * eps ** 2 / L ** 2)) == 0
    assert sp.simplify(ball.alpha2 + eps / L ** 2) == 0
    assert sp.simplify(ball.alpha4 + eps / (lam * L)) == 0
    # alpha3: the lead's form (epsilon squared) holds, the printed one (epsilon) does not
    assert sp.simplify(ball.alpha3 - (1 / lam - eps ** 2 / (lam * L))) == 0
    assert sp.simplify(ball.alpha3 - 1 / L) == 0
    assert sp.simplify(ball.alpha3 - (1 / lam - eps / (lam * L))) != 0
    # mean of w1 at first order is the zeroth-order value eps/(lam + eps^2)
    assert sp.simplify(ball.mean_w1 - eps / L) == 0


def test_ball_variances_against_note(ball: sym.BallCoefficients) -> None:
    D, N = ball.D, ball.N
    a1, a2, a3, a4 = ball.alpha1, ball.alpha2, ball.alpha3, ball.alpha4
    v1 = a1 ** 2 / (2 * N * (D + 2)) + a2 ** 2 * (D + 1) / (N * (D + 2) ** 2 * (D + 4))
    vj = a3 ** 2 / (2 * N * (D + 2)) + a4 ** 2 / (2 * N * (D ** 2 + 6 * D + 8))
    assert sp.simplify(ball.var_w1 - v1) == 0
    assert sp.simplify(ball.var_wj - vj) == 0
    # a wrong Var(S11) (E[x^4] without subtracting the mean square) is detected
    wrong = a1 ** 2 / (2 * N * (D + 2)) + a2 ** 2 * 3 / (2 * N * (D + 2) * (D + 4))
    assert sp.simplify(ball.var_w1 - wrong) != 0


def test_ball_first_order_against_exact_solve(ball: sym.BallCoefficients) -> None:
    """Exact G^{-1}a on a seeded sample: the derived first order leaves an O(1/N)
    residual, the printed alpha3 an O(1/sqrt(N)) one."""
    D, N, eps, lam2 = 5, 20_000, 2.0, 0.1
    rng = np.random.default_rng(7)
    g = rng.standard_normal((2 * N, D))
    x = g / np.linalg.norm(g, axis=1, keepdims=True) * rng.random((2 * N, 1)) ** (1 / D)
    y = np.repeat([1.0, -1.0], N)
    xt = y[:, None] * eps * np.eye(D)[0] + x
    G = xt.T @ xt / (2 * N) + lam2 * np.eye(D)
    w = np.linalg.solve(G, (y[:, None] * xt).mean(0))
    mbar = (y[:, None] * x).mean(0)
    S = x.T @ x / (2 * N)
    subs = {ball.lam: lam2 + 1 / (D + 2), ball.eps: eps, ball.D: D}
    val = {k: float(getattr(ball, k).subs(subs)) for k in ("beta", "alpha1", "alpha2",
                                                          "alpha3", "alpha4")}
    a3_printed = float(ball.printed["alpha3"].subs(subs))
    w1 = val["beta"] + val["alpha1"] * mbar[0] + val["alpha2"] * S[0, 0]
    wj = val["alpha3"] * mbar[1:] + val["alpha4"] * S[0, 1:]
    wj_printed = a3_printed * mbar[1:] + val["alpha4"] * S[0, 1:]
    # second-order terms are O(|G0^-1 dG|^2) ~ a few / N here; the printed alpha3 leaves
    # |d alpha3| * |mbar_perp| ~ 1.9 * sqrt(4 / (14 N)) ~ 150 / N
    scale = 1.0 / N
    assert abs(w[0] - w1) < 10 * scale
    assert np.linalg.norm(w[1:] - wj) < 10 * scale
    assert np.linalg.norm(w[1:] - wj_printed) > 30 * scale


# ---------------------------------------------------------------- 5. Eqs. 42, 44

def test_eq44_is_inverse_of_eq42() -> None:
    g = sym.grok_time_inverse()
    t, eps = g.t, g.eps
    assert sp.simplify(g.eq42_of_sqrt_r - t) == 0
    assert sp.simplify(g.sqrt_r ** 2 - g.eq44) == 0
    assert sp.simplify(g.r_limit - (1 - 1 / eps ** 2)) == 0
    # Eq. 44 with the sign of the cross term flipped is detected
    wrong = g.eq44.subs(sp.sqrt(eps ** 2 - 1) * sp.exp(t * eps ** 2),
                        -sp.sqrt(eps ** 2 - 1) * sp.exp(t * eps ** 2))
    val = {t: sp.Rational(3, 10), eps: 2}
    assert abs(sp.N((wrong - g.eq44).subs(val))) > 1e-3
    # numeric round trip through Eq. 42 at a few points
    c = eps / sp.sqrt(eps ** 2 - 1)
    for tv, ev in [(sp.Rational(1, 20), sp.Rational(13, 10)), (sp.Rational(7, 10), 2),
                   (3, sp.Rational(101, 100))]:
        rho = sp.sqrt(g.eq44.subs({t: tv, eps: ev}))
        back = sp.log((1 - rho) / (1 - c.subs(eps, ev) * rho)) / ev ** 2
        assert abs(sp.N(back, 30) - tv) < 1e-20


# ---------------------------------------------------------------- 6. Eqs. 48-50

def test_eq48_amplitude_general_D_finite_density() -> None:
    D = sp.Symbol("D", positive=True)
    r = sym.near_transition_amplitude(D, 0)
    assert sp.simplify(r.exponent - (D + 1) / 2) == 0
    assert is_zero(r.ratio - (D + 1) / 2)
    # uniform ball: rho0 = D reproduces Eq. 23 exactly (and Eq. 48 does not)
    assert is_zero(D * r.exact_amplitude - eq23_printed(D))
    assert differs(D * r.eq48_amplitude - eq23_printed(D), [{D: 3}, {D: 7}])
    # numeric spot checks of the ratio at integer D
    for d in (2, 5, 9):
        assert abs(sp.N(r.ratio.subs(D, d)) - sp.Rational(d + 1, 2)) < 1e-25


def test_eq48_amplitude_divergent_density() -> None:
    D = sp.Symbol("D", positive=True)
    xi = sp.Symbol("xi", real=True)
    r = sym.near_transition_amplitude(D, xi)
    assert sp.simplify(r.exponent - ((D + 1) / 2 - xi)) == 0
    A = (D - 1) / 2
    beta_form = (2 ** A * sp.beta(1 - xi, A + 1)) / (2 * A * sp.beta(A, sp.Rational(1, 2)))
    assert is_zero(sp.expand_func(r.exact_amplitude - beta_form))
    expected_ratio = sp.gamma((D + 3) / 2 - xi) / (sp.gamma(2 - xi) * sp.gamma((D + 1) / 2))
    assert is_zero(r.ratio - expected_ratio)


@pytest.mark.parametrize("D,xi", [(3, 0.0), (6, 0.3), (4, -1.0)])
def test_near_transition_numeric(D: int, xi: float) -> None:
    r = sym.near_transition_amplitude(D, xi)
    dh = 1e-6
    e = sym.near_transition_exact_numeric(D, xi, dh, dps=20)
    lead = float(r.exact_amplitude) * dh ** float(r.exponent)
    assert abs(e / lead - 1) < 1e-4
    # Eq. 48's amplitude misses by the predicted ratio
    e48 = float(r.eq48_amplitude) * dh ** float(r.exponent)
    assert abs(e48 / e - float(r.ratio)) < 1e-3 * float(r.ratio)
    assert abs(e48 / e - 1) > 0.5


def test_near_transition_bad_input() -> None:
    with pytest.raises(ValueError, match="xi"):
        sym.near_transition_amplitude(3, 1)
    with pytest.raises(ValueError, match="D"):
        sym.near_transition_amplitude(1, 0)
    with pytest.raises(ValueError, match="delta_h"):
        sym.near_transition_exact_numeric(3, 0.0, 0.0)

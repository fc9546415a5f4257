r"""Symbolic (sympy) derivations that check the perceptron-grokking formulas.

Žunkovič & Ilievski, JMLR 25(199) 2024 (arXiv:2210.15435), secs. 3.2-3.3 and
apps. A-B; equation numbers are the paper's. Every function *derives* its result
from a stated starting point (an integral, a convolution, a matrix inverse) and
returns plain sympy expressions in small frozen dataclasses, together with the
paper's printed form where one exists, so that callers (and the tests) can
compare the two. Nothing here is imported by :mod:`perceptron_theory` itself:
sympy is a heavy import, so import this module explicitly::

    from perceptron_theory import symbolic
    symbolic.cap_expansion(5).amplitude

Findings (details in ``docs/symbolic.md``):

* Eq. 22 and Eq. 23 (cap volume and its expansion at h = 1): confirmed.
* Eq. 13 (density of x̄) for N = 1, 2, 3 and Eq. 15 (P_grok at N = 2): confirmed.
* Eq. 72 (joint density of x̄ and x_min at N = 2): confirmed, normalised to 1.
* App. B first-order coefficients: β, α1, α2, α4 and both variances confirmed;
  the printed α3 = 1/λ_D − ε/(λ_D(λ_D+ε²)) is a MISPRINT, the derivation gives
  α3 = 1/λ_D − ε²/(λ_D(λ_D+ε²)) = 1/(λ_D+ε²).
* Eq. 44 is exactly the square of the inverse of Eq. 42: confirmed.
* Eq. 48 (general isotropic density): right exponent, but its amplitude is too
  large by the factor (D+1)/2 for a finite boundary density and by
  Γ((D+3)/2 − ξ)/(Γ(2 − ξ) Γ((D+1)/2)) for ρ = ρ_ξ r^{−ξ}.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import sympy as sp

from ._validation import check_int

__all__ = [
    "CapExpansion",
    "CapForms",
    "Eq15Derivation",
    "Eq13Derivation",
    "JointDensity",
    "BallMoments",
    "BallCoefficients",
    "GrokTimeInverse",
    "NearTransitionAmplitude",
    "ball_volume",
    "cap_expansion",
    "cap_forms",
    "cap_forms_max_difference",
    "eq13_by_convolution",
    "eq15_from_eq13",
    "joint_density_xbar_xmin",
    "uniform_ball_moments",
    "ball_first_order_coefficients",
    "grok_time_inverse",
    "near_transition_amplitude",
    "near_transition_exact_numeric",
]

_HALF = sp.Rational(1, 2)


def _dimension(D: Any, lo: int = 1) -> sp.Expr:
    """``D`` as a sympy object: a checked integer ≥ ``lo`` or a positive sympy Symbol."""
    if isinstance(D, sp.Symbol):
        if not D.is_positive:
            raise ValueError(f"D as a sympy Symbol must be declared positive=True, got {D!r}")
        return D
    return sp.Integer(check_int("D", D, lo=lo))


# ---------------------------------------------------------------------------
# 1. Cap volume of the unit D-ball (Eqs. 22-23)
# ---------------------------------------------------------------------------

def ball_volume(n: sp.Expr) -> sp.Expr:
    r"""Volume of the unit n-ball, :math:`V_n = \pi^{n/2} / \Gamma(n/2 + 1)`."""
    return sp.pi ** (n / 2) / sp.gamma(n / 2 + 1)


@dataclass(frozen=True)
class CapExpansion:
    r"""Expansion of the cap fraction :math:`E_D(1-\delta)` in :math:`\delta = 1-h`.

    ``E_D(1 - δ) = amplitude·δ^exponent + next_coefficient·δ^(exponent+1) + …``;
    ``series`` holds the truncated sum (terms up to ``order``) in ``delta``, and
    ``eq23_amplitude`` the paper's printed amplitude (Eq. 23) for comparison.
    """

    D: sp.Expr
    delta: sp.Symbol
    volume_ratio: sp.Expr
    exponent: sp.Expr
    amplitude: sp.Expr
    next_coefficient: sp.Expr
    series: sp.Expr
    eq23_amplitude: sp.Expr


def cap_expansion(D: int | sp.Symbol, order: int = 2) -> CapExpansion:
    r"""Expand the cap volume fraction near h = 1 (checks Eq. 23).

    Start: :math:`E_D(h) = \frac{V_{D-1}}{V_D}\int_h^1 (1-x^2)^{(D-1)/2}\,dx`, the volume
    fraction of the unit D-ball beyond a plane at distance h from its centre
    (Eq. 22), with :math:`V_n` from the Gamma-function volume formula. With
    :math:`x = 1 - s`, :math:`(1-x^2)^p = (2s)^p (1 - s/2)^p`, :math:`p = (D-1)/2`;
    the binomial series of :math:`(1-s/2)^p` (convergent for s < 2) is integrated
    term by term over :math:`0 < s < \delta`.

    ``D`` may be an integer ≥ 1 or a positive sympy Symbol (general D).
    ``order`` ≥ 2 is the number of terms kept in ``series``.
    """
    Dv = _dimension(D)
    order = check_int("order", order, lo=2, hi=12)
    s, delta = sp.symbols("s delta", positive=True)
    ratio = sp.gammasimp(ball_volume(Dv - 1) / ball_volume(Dv))
    p = (Dv - 1) / 2
    binom = sp.series((1 - s / 2) ** p, s, 0, order).removeO()
    coeffs = [sp.simplify(binom.coeff(s, k)) for k in range(order)]
    # (2s)^p s^k = 2^p s^(p+k); p + k > -1 for every D >= 1
    terms = [
        sp.powsimp(ratio * coeffs[k] * 2 ** p
                   * sp.integrate(s ** (p + k), (s, 0, delta), conds="none"))
        for k in range(order)
    ]
    exponent = sp.simplify(p + 1)
    amplitude = sp.gammasimp(sp.powsimp(terms[0] / delta ** exponent, force=True))
    nxt = sp.gammasimp(sp.powsimp(terms[1] / delta ** (exponent + 1), force=True))
    eq23 = (Dv * 2 ** ((Dv - 3) / 2) * sp.gamma(Dv / 2)
            / (sp.sqrt(sp.pi) * sp.gamma((Dv + 3) / 2)))
    return CapExpansion(
        D=Dv, delta=delta, volume_ratio=ratio, exponent=exponent, amplitude=amplitude,
        next_coefficient=nxt, series=sp.Add(*terms), eq23_amplitude=eq23,
    )


@dataclass(frozen=True)
class CapForms:
    r"""Three forms of the cap fraction :math:`E_D(h)`, 0 ≤ h ≤ 1, as sympy expressions in ``h``.

    ``integral``: :math:`\frac{V_{D-1}}{V_D}\int_h^1(1-x^2)^{(D-1)/2}dx` (evaluated when
    sympy finds it elementary, otherwise an unevaluated Integral);
    ``hypergeometric``: Eq. 22 as printed; ``incomplete_beta``:
    :math:`\tfrac12 I_{1-h^2}((D+1)/2, 1/2)`.
    """

    D: int
    h: sp.Symbol
    integral: sp.Expr
    hypergeometric: sp.Expr
    incomplete_beta: sp.Expr


def cap_forms(D: int, evaluate_integral: bool = True) -> CapForms:
    """Return the integral, Eq. 22 (₂F₁) and incomplete-beta forms of E_D(h)."""
    Dv = _dimension(D)
    h = sp.Symbol("h", positive=True)
    x = sp.Symbol("x", real=True)
    ratio = sp.gammasimp(ball_volume(Dv - 1) / ball_volume(Dv))
    integral: sp.Expr = sp.Integral((1 - x ** 2) ** ((Dv - 1) / 2), (x, h, 1))
    if evaluate_integral:
        integral = integral.doit()
    hyper = (_HALF - Dv * sp.gamma(Dv / 2) / (2 * sp.sqrt(sp.pi) * sp.gamma((Dv + 1) / 2))
             * sp.hyper([_HALF, (1 - Dv) / 2], [sp.Rational(3, 2)], h ** 2) * h)
    beta = _HALF * sp.betainc_regularized((Dv + 1) / 2, _HALF, 0, 1 - h ** 2)
    return CapForms(D=int(Dv), h=h, integral=ratio * integral, hypergeometric=hyper,
                    incomplete_beta=beta)


def cap_forms_max_difference(D: int, h_values: list[float], dps: int = 40) -> float:
    """Largest pairwise difference of the three cap forms at ``h_values`` (mpmath, ``dps`` digits).

    The integral is done by mpmath quadrature, ₂F₁ by ``mpmath.hyp2f1`` and the
    incomplete beta by ``mpmath.betainc(regularized=True)``: three independent
    numerical routes to Eq. 22.
    """
    import mpmath as mp

    D = check_int("D", D, lo=1)
    dps = check_int("dps", dps, lo=15, hi=200)
    worst = mp.mpf(0)
    with mp.workdps(dps):
        ratio = mp.gamma(mp.mpf(D) / 2 + 1) / (mp.sqrt(mp.pi) * mp.gamma(mp.mpf(D + 1) / 2))
        for hv in h_values:
            if not isinstance(hv, numbers.Real) or not 0 <= hv <= 1:
                raise ValueError(f"h_values must be reals in [0, 1], got {hv!r}")
            h = mp.mpf(hv)
            e_int = ratio * mp.quad(lambda x: (1 - x ** 2) ** (mp.mpf(D - 1) / 2), [h, 1])
            e_hyp = (mp.mpf(1) / 2 - ratio * h
                     * mp.hyp2f1(mp.mpf(1) / 2, mp.mpf(1 - D) / 2, mp.mpf(3) / 2, h ** 2))
            e_beta = mp.betainc(mp.mpf(D + 1) / 2, mp.mpf(1) / 2, 0, 1 - h ** 2,
                                regularized=True) / 2
            worst = max(worst, abs(e_int - e_hyp), abs(e_int - e_beta), abs(e_hyp - e_beta))
    return float(worst)


# ---------------------------------------------------------------------------
# 2. Density of x̄ (Eq. 13) and P_grok at N = 2 (Eq. 15)
# ---------------------------------------------------------------------------

def _exp_sum_density(n: int, s: sp.Symbol) -> sp.Expr:
    """Density of the sum of n i.i.d. Exp(1) variables, by repeated symbolic convolution."""
    u = sp.Symbol("u_conv", positive=True)
    dens = sp.exp(-s)
    for _ in range(n - 1):
        dens = sp.simplify(sp.integrate(dens.subs(s, u) * sp.exp(-(s - u)), (u, 0, s)))
    return dens


def eq13_bessel_density(N: int, x: sp.Symbol) -> sp.Expr:
    r"""Eq. 13 as printed, for x̄ = x > 0:
    :math:`2N^{N+1/2}x^{N-1/2}K_{N-1/2}(2Nx)/(\sqrt\pi\,\Gamma(N))`."""
    return (2 * sp.Integer(N) ** (N + _HALF) * x ** (N - _HALF)
            * sp.besselk(N - _HALF, 2 * N * x) / (sp.sqrt(sp.pi) * sp.gamma(N)))


@dataclass(frozen=True)
class Eq13Derivation:
    """Density of x̄ = (ū − v̄)/2 for x̄ = ``x`` > 0 (it is even in x̄).

    ``class_mean``: density of ū (derived: N·f_S(N u), f_S from convolving N Exp(1));
    ``convolution``: the derived density of x̄; ``bessel``: Eq. 13 as printed;
    ``bessel_elementary``: Eq. 13 with the half-integer Bessel function expanded.
    """

    N: int
    x: sp.Symbol
    class_mean: sp.Expr
    convolution: sp.Expr
    bessel: sp.Expr
    bessel_elementary: sp.Expr


def eq13_by_convolution(N: int) -> Eq13Derivation:
    r"""Derive Eq. 13 for N = 1..4 by symbolic convolution.

    Each class mean is the mean of N i.i.d. Exp(1) offsets; its density follows
    from convolving N exponentials (it is Gamma(N, rate N), Eq. 12). For x̄ > 0,
    :math:`P(\bar x) = 2\int_0^\infty f(v + 2\bar x) f(v)\,dv`.
    """
    N = check_int("N", N, lo=1, hi=4)
    x = sp.Symbol("xbar", positive=True)
    s, u, v = sp.symbols("s u v", positive=True)
    f_sum = _exp_sum_density(N, s)
    f_mean = sp.simplify(N * f_sum.subs(s, N * u))
    conv = sp.simplify(2 * sp.integrate(f_mean.subs(u, v + 2 * x) * f_mean.subs(u, v),
                                        (v, 0, sp.oo)))
    bessel = eq13_bessel_density(N, x)
    elementary = sp.simplify(sp.expand_func(bessel))
    return Eq13Derivation(N=N, x=x, class_mean=f_mean, convolution=conv, bessel=bessel,
                          bessel_elementary=elementary)


@dataclass(frozen=True)
class Eq15Derivation:
    r"""P_grok(ε_λ) at N = 2 derived from Eq. 13 (Eq. 14), and Eq. 15 as printed."""

    eps_lambda: sp.Symbol
    density: sp.Expr
    p_grok: sp.Expr
    eq15: sp.Expr


def eq15_from_eq13() -> Eq15Derivation:
    r"""Derive Eq. 15 from Eq. 13 at N = 2.

    :math:`K_{3/2}` is elementary, so :math:`P_2(\bar x) = (1 + 4\bar x)e^{-4\bar x}` for
    x̄ > 0, and :math:`P_{grok} = 2\int_0^{\varepsilon_\lambda} P_2(\bar x)\,d\bar x` (Eq. 14)
    integrates in closed form; Eq. 15 prints :math:`1-(1+2\varepsilon_\lambda)e^{-4\varepsilon_\lambda}`.
    """
    x, e = sp.symbols("xbar epsilon_lambda", positive=True)
    density = sp.simplify(sp.expand_func(eq13_bessel_density(2, x)))
    p_grok = sp.simplify(2 * sp.integrate(density, (x, 0, e)))
    eq15 = 1 - (1 + 2 * e) * sp.exp(-4 * e)
    return Eq15Derivation(eps_lambda=e, density=density, p_grok=p_grok, eq15=eq15)


# ---------------------------------------------------------------------------
# 3. Joint density of (x̄, x_min) (app. A, Eqs. 69-74)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class JointDensity:
    r"""Joint density of (x̄, x_min) in the 1D exponential model.

    ``above``: the density where 2x̄ > x_min; ``below``: where 2x̄ < x_min
    (symbols ``xbar`` real, ``xmin`` positive). ``eq72_above``/``eq72_below`` are the
    two branches of Eq. 72 as printed (N = 2 only, else None). ``normalisation`` is
    the derived total mass; ``marginal_xmin`` the derived marginal of x_min;
    ``marginal_xbar_pos``/``marginal_xbar_neg`` the marginal of x̄ for x̄ > 0 / x̄ < 0
    (in terms of a positive symbol ``a`` = |x̄|).
    """

    N: int
    xbar: sp.Symbol
    xmin: sp.Symbol
    a: sp.Symbol
    above: sp.Expr
    below: sp.Expr
    eq72_above: sp.Expr | None
    eq72_below: sp.Expr | None
    normalisation: sp.Expr
    marginal_xmin: sp.Expr
    marginal_xbar_pos: sp.Expr
    marginal_xbar_neg: sp.Expr


def _min_and_sum_density(N: int, m: sp.Symbol, S: sp.Symbol) -> sp.Expr:
    """Joint density of (min u_i, Σ u_i) for N i.i.d. Exp(1), valid for S > N m.

    N · (density with u_1 = m, the other N−1 variables > m and summing to S − m),
    obtained by integrating out u_2..u_{N−1} (u_N fixed by the sum).
    """
    if N == 1:
        raise ValueError("N must be >= 2 for the (min, sum) density")
    others = sp.symbols(f"u2:{N + 1}", positive=True)
    free = others[:-1]
    last = S - m - sum(free, sp.Integer(0))
    integrand = sp.exp(-m) * sp.prod([sp.exp(-o) for o in free]) * sp.exp(-last)
    # integrate u_2..u_{N-1}, each > m, leaving room for the rest (> m each)
    for k in range(len(free) - 1, -1, -1):
        upper = S - m - sum(free[:k], sp.Integer(0)) - (len(others) - k - 1) * m
        integrand = sp.integrate(integrand, (free[k], m, upper))
    return sp.simplify(N * integrand)


def joint_density_xbar_xmin(N: int = 2) -> JointDensity:
    r"""Derive the joint density of (x̄, x_min) for N = 2 or 3 and compare with Eq. 72.

    Model: positives ε + u_i, negatives −ε − v_i, u_i, v_i i.i.d. Exp(1) (i = 1..N);
    x̄ = (Σu − Σv)/(2N), x_min = min_i u_i. With S_u = Σu, S_v = Σv,
    :math:`P(\bar x, m) = 2N\int f_{m,S_u}(m, 2N\bar x + s)\,f_{S_v}(s)\,ds` over
    s > max(0, N m − 2N x̄): the branch changes at 2x̄ = x_min for every N.
    """
    N = check_int("N", N, lo=2, hi=3)
    xbar = sp.Symbol("xbar", real=True)
    m = sp.Symbol("xmin", positive=True)
    q, y, s, t, Ssym, a = sp.symbols("q y s t S a", positive=True)
    f_mS = _min_and_sum_density(N, m, Ssym)
    f_Sv = _exp_sum_density(N, s)
    # above: xbar = m/2 + q (q > 0): S_u = 2N xbar + s > N m for all s > 0
    above_q = sp.simplify(2 * N * sp.integrate(
        f_mS.subs(Ssym, 2 * N * (m / 2 + q) + s) * f_Sv, (s, 0, sp.oo)))
    # below: xbar = m/2 - y (y > 0): need s > 2N y; s = 2N y + t
    below_y = sp.simplify(2 * N * sp.integrate(
        (f_mS.subs(Ssym, 2 * N * (m / 2 - y) + s) * f_Sv).subs(s, 2 * N * y + t),
        (t, 0, sp.oo)))
    above = sp.simplify(above_q.subs(q, xbar - m / 2))
    below = sp.simplify(below_y.subs(y, m / 2 - xbar))
    norm = sp.simplify(sp.integrate(sp.integrate(above_q, (q, 0, sp.oo))
                                    + sp.integrate(below_y, (y, 0, sp.oo)), (m, 0, sp.oo)))
    marg_m = sp.simplify(sp.integrate(above_q, (q, 0, sp.oo))
                         + sp.integrate(below_y, (y, 0, sp.oo)))
    # marginal of xbar = a > 0: m < 2a is "above", m > 2a is "below"
    mm = sp.Symbol("mm", positive=True)
    marg_pos = sp.simplify(
        sp.integrate(above.subs(xbar, a), (m, 0, 2 * a))
        + sp.integrate(below.subs({xbar: a, m: 2 * a + mm}), (mm, 0, sp.oo)))
    marg_neg = sp.simplify(sp.integrate(below.subs(xbar, -a), (m, 0, sp.oo)))
    eq72_above = eq72_below = None
    if N == 2:
        eq72_above = 2 * sp.exp(-4 * xbar)
        eq72_below = -2 * sp.exp(4 * xbar - 4 * m) * (8 * xbar - 4 * m - 1)
    return JointDensity(N=N, xbar=xbar, xmin=m, a=a, above=above, below=below,
                        eq72_above=eq72_above, eq72_below=eq72_below, normalisation=norm,
                        marginal_xmin=marg_m, marginal_xbar_pos=marg_pos,
                        marginal_xbar_neg=marg_neg)


# ---------------------------------------------------------------------------
# 4. D-ball model: moments and first-order coefficients (app. B, Eqs. 81-86)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class BallMoments:
    """Moments of the uniform unit D-ball for general (symbolic, positive) ``D``.

    ``m2`` = E[x_j²], ``m4`` = E[x_j⁴], ``m22`` = E[x_i² x_j²] (i ≠ j).
    """

    D: sp.Symbol
    m2: sp.Expr
    m4: sp.Expr
    m22: sp.Expr


def uniform_ball_moments() -> BallMoments:
    r"""Derive E[x_j²], E[x_j⁴], E[x_i²x_j²] of the uniform unit D-ball for general D.

    Route: x = R U with U uniform on the sphere and R (density D r^{D−1} on [0, 1])
    independent. Sphere moments come from a standard Gaussian g = |g| U (|g| ⟂ U):
    E[U_1^{2a} U_2^{2b}] = E[g_1^{2a}] E[g_2^{2b}] / E[|g|^{2a+2b}], each factor by
    symbolic integration (general D for the radial Gaussian moment).
    """
    D = sp.Symbol("D", positive=True)
    r, g = sp.symbols("r g", positive=True)

    def gauss1(k: int) -> sp.Expr:  # E[g^{2k}], one coordinate
        return sp.integrate(g ** (2 * k) * sp.exp(-g ** 2 / 2), (g, 0, sp.oo)) * 2 / sp.sqrt(2 * sp.pi)

    def gauss_norm(k: int) -> sp.Expr:  # E[|g|^{2k}] in D dimensions
        w = r ** (D - 1) * sp.exp(-r ** 2 / 2)
        return sp.gammasimp(sp.integrate(r ** (2 * k) * w, (r, 0, sp.oo), conds="none")
                            / sp.integrate(w, (r, 0, sp.oo), conds="none"))

    def radial(k: int) -> sp.Expr:  # E[R^{2k}] in the ball
        return sp.integrate(D * r ** (D - 1 + 2 * k), (r, 0, 1), conds="none")

    def moment(a: int, b: int) -> sp.Expr:
        sphere = gauss1(a) * gauss1(b) / gauss_norm(a + b)
        return sp.factor(sp.gammasimp(radial(a + b) * sphere))

    return BallMoments(D=D, m2=moment(1, 0), m4=moment(2, 0), m22=moment(1, 1))


@dataclass(frozen=True)
class BallCoefficients:
    r"""First-order (in m̄, S − I/(D+2)) solution w = G⁻¹a of the D-ball model.

    w_1 = β + α1 m̄_1 + α2 S_11, w_j = α3 m̄_j + α4 S_1j (j ≥ 2), in terms of
    ``lam`` = λ_D = λ2 + 1/(D+2), ``eps`` = ε and ``D``. ``printed`` maps each name to the
    note's printed form. ``var_w1``/``var_wj`` are the variances derived from the ball
    moments (symbol ``N``); ``printed_var_w1``/``printed_var_wj`` are the note's variance
    formulas (Eq. 86 inputs) evaluated with the derived α's (with the printed α3 the
    w_j variance is of course off as well). ``mean_w1`` = β + α2 E[x_1²].
    ``dims_checked`` lists the explicit dimensions in which the expansion was done
    (all must give the same coefficients); ``cross_terms_vanish`` says that no other
    entry of m̄ or S enters w_1 or w_j at first order.
    """

    lam: sp.Symbol
    eps: sp.Symbol
    D: sp.Symbol
    N: sp.Symbol
    beta: sp.Expr
    alpha1: sp.Expr
    alpha2: sp.Expr
    alpha3: sp.Expr
    alpha4: sp.Expr
    printed: dict[str, sp.Expr]
    mean_w1: sp.Expr
    var_w1: sp.Expr
    var_wj: sp.Expr
    printed_var_w1: sp.Expr
    printed_var_wj: sp.Expr
    dims_checked: tuple[int, ...]
    cross_terms_vanish: bool


def _first_order_solution(dim: int, eps: sp.Symbol, lam: sp.Symbol,
                          c: sp.Symbol) -> tuple[dict[str, sp.Expr], bool]:
    """Brute-force first-order expansion of G⁻¹a in an explicit dimension ``dim``.

    G(τ) = G0 + τ δG, a(τ) = ε e1 + τ m̄; w(τ) = G(τ)⁻¹ a(τ) by exact LU solve; the
    coefficients are read off w(0) + w'(0). ``c`` stands for 1/(D+2).
    """
    tau = sp.Symbol("tau", real=True)
    m = sp.Matrix(sp.symbols(f"m1:{dim + 1}", real=True))
    S = sp.Matrix(dim, dim, lambda i, j: sp.Symbol(f"S{min(i, j) + 1}{max(i, j) + 1}", real=True))
    e1 = sp.Matrix([1] + [0] * (dim - 1))
    G0 = lam * sp.eye(dim) + eps ** 2 * e1 * e1.T
    dG = eps * (e1 * m.T + m * e1.T) + (S - c * sp.eye(dim))
    w = (G0 + tau * dG).LUsolve(eps * e1 + tau * m)
    w_lin = (w.subs(tau, 0) + sp.diff(w, tau).subs(tau, 0)).applyfunc(sp.expand)
    w1, w2 = w_lin[0], w_lin[1]
    zero = {sym: 0 for sym in list(m) + list(S.free_symbols)}
    out = {
        "beta": sp.factor(w1.subs(zero)),
        "alpha1": sp.factor(w1.coeff(m[0])),
        "alpha2": sp.factor(w1.coeff(S[0, 0])),
        "alpha3": sp.factor(w2.coeff(m[1])),
        "alpha4": sp.factor(w2.coeff(S[0, 1])),
    }
    lin1 = out["beta"] + out["alpha1"] * m[0] + out["alpha2"] * S[0, 0]
    lin2 = out["alpha3"] * m[1] + out["alpha4"] * S[0, 1]
    clean = sp.simplify(w1 - lin1) == 0 and sp.simplify(w2 - lin2) == 0
    return out, bool(clean)


def ball_first_order_coefficients(dims: tuple[int, ...] = (2, 3)) -> BallCoefficients:
    r"""First-order coefficients β, α1..α4 of w^λ = G⁻¹a (app. B, Eqs. 81-86, λ1 = 0).

    G = G0 + δG with G0 = λ_D I + ε² e1e1ᵀ, δG = ε(e1m̄ᵀ + m̄e1ᵀ) + (S − I/(D+2)),
    a = ε e1 + m̄. The expansion is done by brute force in each explicit dimension
    of ``dims`` (≥ 2) with 1/(D+2) kept as a symbol and λ2 = λ_D − 1/(D+2); all must
    agree. Variances use :func:`uniform_ball_moments` and independence of the 2N
    samples (odd moments vanish, so m̄ and S entries are uncorrelated):
    Var(m̄_j) = E[x²]/(2N), Var(S_11) = (E[x⁴] − E[x²]²)/(2N), Var(S_1j) = E[x_1²x_j²]/(2N).
    """
    if not dims:
        raise ValueError("dims must name at least one dimension >= 2")
    for d in dims:
        check_int("dims entries", d, lo=2, hi=5)
    eps, lam, c = sp.symbols("epsilon lambda_D c", positive=True)
    results = [_first_order_solution(d, eps, lam, c) for d in dims]
    ref, clean = results[0]
    for other, ok in results[1:]:
        clean = clean and ok
        for k in ref:
            if sp.simplify(ref[k] - other[k]) != 0:
                raise RuntimeError(f"coefficient {k} depends on the explicit dimension")
    mom = uniform_ball_moments()
    D = mom.D
    N = sp.Symbol("N", positive=True)
    coef = {k: sp.factor(v.subs(c, 1 / (D + 2))) for k, v in ref.items()}
    L = lam + eps ** 2
    printed = {
        "beta": eps / L + eps / (L ** 2 * (D + 2)),
        "alpha1": 1 / L - 2 * eps ** 2 / L ** 2,
        "alpha2": -eps / L ** 2,
        "alpha3": 1 / lam - eps / (lam * L),
        "alpha4": -eps / (lam * L),
    }
    var_m = mom.m2 / (2 * N)
    var_s11 = (mom.m4 - mom.m2 ** 2) / (2 * N)
    var_s1j = mom.m22 / (2 * N)
    a1, a2, a3, a4 = (coef[k] for k in ("alpha1", "alpha2", "alpha3", "alpha4"))
    var_w1 = sp.factor(a1 ** 2 * var_m + a2 ** 2 * var_s11)
    var_wj = sp.factor(a3 ** 2 * var_m + a4 ** 2 * var_s1j)
    # the note's variance formulas, evaluated with the *derived* alphas
    printed_var_w1 = (a1 ** 2 / (2 * N * (D + 2))
                      + a2 ** 2 * (D + 1) / (N * (D + 2) ** 2 * (D + 4)))
    printed_var_wj = (a3 ** 2 / (2 * N * (D + 2))
                      + a4 ** 2 / (2 * N * (D ** 2 + 6 * D + 8)))
    return BallCoefficients(
        lam=lam, eps=eps, D=D, N=N, beta=coef["beta"], alpha1=a1, alpha2=a2, alpha3=a3,
        alpha4=a4, printed=printed, mean_w1=sp.factor(coef["beta"] + a2 * mom.m2),
        var_w1=var_w1, var_wj=var_wj, printed_var_w1=printed_var_w1,
        printed_var_wj=printed_var_wj, dims_checked=tuple(dims), cross_terms_vanish=clean,
    )


# ---------------------------------------------------------------------------
# 5. Fast-branch grokking time (Eqs. 42, 44)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class GrokTimeInverse:
    r"""Inverse of Eq. 42 and its comparison with Eq. 44.

    ``sqrt_r``: √r(t) solved from Eq. 42; ``eq44``: Eq. 44 as printed;
    ``eq42_of_sqrt_r``: Eq. 42 evaluated at √r(t) (should simplify to t);
    ``r_limit``: lim_{t→∞} r(t) (the χ² argument of p_fast, Eq. 45).
    """

    t: sp.Symbol
    eps: sp.Symbol
    sqrt_r: sp.Expr
    eq44: sp.Expr
    eq42_of_sqrt_r: sp.Expr
    r_limit: sp.Expr


def grok_time_inverse() -> GrokTimeInverse:
    r"""Invert Eq. 42 for √r and compare its square with Eq. 44.

    Eq. 42: :math:`t = \varepsilon^{-2}\ln[(1-\rho)/(1-c\rho)]`, ρ = ‖w⊥(0)‖ = √r,
    c = ε/√(ε²−1), ε > 1. Solving the (linear in ρ) equation e^{tε²}(1 − cρ) = 1 − ρ
    gives ρ = (e^{tε²} − 1)/(c e^{tε²} − 1) > 0 for t > 0.
    """
    t = sp.Symbol("t", positive=True)
    eps = sp.Symbol("epsilon", positive=True)
    rho = sp.Symbol("rho", positive=True)
    E = sp.Symbol("E", positive=True)  # stands for exp(t eps^2) while solving
    c = eps / sp.sqrt(eps ** 2 - 1)
    sols = sp.solve(sp.Eq(E * (1 - c * rho), 1 - rho), rho)
    if len(sols) != 1:
        raise RuntimeError(f"expected one solution of Eq. 42 for rho, got {sols}")
    sqrt_r = sols[0].subs(E, sp.exp(t * eps ** 2))
    et = sp.exp(t * eps ** 2)
    eq44 = ((eps ** 2 - 1) * (et - 1) ** 2
            * (eps * (eps * sp.exp(2 * t * eps ** 2) + 2 * sp.sqrt(eps ** 2 - 1) * et + eps) - 1)
            / (eps ** 2 * (sp.exp(2 * t * eps ** 2) - 1) + 1) ** 2)
    back = sp.log((1 - sqrt_r) / (1 - c * sqrt_r)) / eps ** 2
    back = sp.simplify(sp.logcombine(sp.simplify(back), force=True))
    r_limit = sp.simplify(sp.limit(sqrt_r ** 2, t, sp.oo))
    return GrokTimeInverse(t=t, eps=eps, sqrt_r=sqrt_r, eq44=eq44, eq42_of_sqrt_r=back,
                           r_limit=r_limit)


# ---------------------------------------------------------------------------
# 6. General isotropic density near the transition (Eqs. 48-50)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class NearTransitionAmplitude:
    r"""Leading behaviour E(δh) ≈ amplitude · ρ_ξ · δh^exponent for ρ(r) = ρ_ξ r^{−ξ}.

    ``exact_amplitude``: from the shell integral
    :math:`E(\delta h) = \int_0^{\delta h}\rho(r)\,\tfrac12 I_{1-(h/(1-r))^2}(\tfrac{D-1}2,\tfrac12)\,dr`,
    h = 1 − δh; ``eq48_amplitude``: from Eq. 48 as printed,
    :math:`\tfrac12 I_{2\delta h-\delta h^2}(\tfrac{D-1}2,\tfrac12)\int_0^{\delta h}\rho\,dr`;
    ``ratio`` = eq48 / exact. ξ = 0 is the finite-density case ρ0 (Eq. 49),
    0 < ξ < 1 the divergent one (Eq. 50), ξ = −β < 0 a density vanishing like r^β.
    """

    D: sp.Expr
    xi: sp.Expr
    exponent: sp.Expr
    exact_amplitude: sp.Expr
    eq48_amplitude: sp.Expr
    ratio: sp.Expr


def near_transition_amplitude(D: int | sp.Symbol, xi: Any = 0) -> NearTransitionAmplitude:
    r"""Exact leading term of the shell-integral test error vs Eq. 48 (sec. 3.3.4).

    A shell of radius R = 1 − r (a (D−1)-sphere) is cut by the plane at distance h;
    the fraction beyond it is ½ I_{1−(h/R)²}((D−1)/2, ½). With r = δh·s and
    a = (D−1)/2: 1 − (h/(1−r))² = 2δh(1 − s) + O(δh²), and for small z,
    ½ I_z(a, ½) = z^a / (2a B(a, ½)) · (1 + O(z)) (from ∫_0^z t^{a−1}(1−t)^{−1/2}dt).
    Hence E ≈ ρ_ξ (2δh)^a δh^{1−ξ} /(2a B(a,½)) ∫_0^1 s^{−ξ}(1−s)^a ds.

    ``D`` ≥ 2 (integer or positive Symbol); ``xi`` < 1 (number or real Symbol).
    """
    Dv = _dimension(D, lo=2)
    if isinstance(xi, sp.Basic) and not xi.is_number:
        xi_v = xi
    else:
        if isinstance(xi, bool) or not isinstance(xi, numbers.Real | sp.Number):
            raise ValueError(f"xi must be a real number < 1 or a sympy Symbol, got {xi!r}")
        if not xi < 1:
            raise ValueError(f"xi must be < 1 (integrable boundary density), got {xi!r}")
        xi_v = sp.nsimplify(xi)
    # work with positive stand-ins A = (D-1)/2 > 0 and k = 1 - xi > 0, substituted at the end
    A, k = sp.symbols("A k", positive=True)
    dh, z, tt = sp.symbols("delta_h z t", positive=True)
    h = 1 - dh
    # small-z leading term of the regularised incomplete beta: z^A / (2 A B(A, 1/2))
    small_beta = sp.integrate(tt ** (A - 1), (tt, 0, z)) / (2 * sp.beta(A, _HALF))
    # r = delta_h * s with s = 1 - u, u in (0, 1): the cut-argument is 2 delta_h u + O(delta_h^2)
    u = sp.Symbol("u", positive=True)
    lead_arg = sp.expand(sp.series(1 - (h / (1 - dh * (1 - u))) ** 2, dh, 0, 2).removeO())
    integrand = (dh * (1 - u)) ** (k - 1) * small_beta.subs(z, lead_arg) * dh
    integrand = sp.powsimp(sp.expand_power_base(sp.factor(integrand), force=True), force=True)
    sint = sp.hyperexpand(sp.integrate(integrand, (u, 0, 1)))
    exponent_k = A + k
    exact_k = sp.gammasimp(sp.powsimp(sp.expand_power_base(
        sint / dh ** exponent_k, force=True), force=True))
    rho_int = sp.integrate(u ** (k - 1), (u, 0, 1)) * dh ** k  # ∫_0^{δh} r^{-ξ} dr
    eq48_lead = small_beta.subs(z, sp.series(2 * dh - dh ** 2, dh, 0, 2).removeO()) * rho_int
    eq48_k = sp.gammasimp(sp.powsimp(sp.expand_power_base(
        eq48_lead / dh ** exponent_k, force=True), force=True))
    for name, expr in (("exact", exact_k), ("eq48", eq48_k)):
        if dh in expr.free_symbols:
            raise RuntimeError(f"{name} amplitude still depends on delta_h: {expr}")
    back = {A: (Dv - 1) / 2, k: 1 - xi_v}
    exponent = sp.simplify(exponent_k.subs(back))
    exact_amp = sp.gammasimp(exact_k.subs(back))
    eq48_amp = sp.gammasimp(eq48_k.subs(back))
    ratio = sp.gammasimp(sp.simplify(eq48_k / exact_k).subs(back))
    return NearTransitionAmplitude(D=Dv, xi=xi_v, exponent=exponent, exact_amplitude=exact_amp,
                                   eq48_amplitude=eq48_amp, ratio=ratio)


def near_transition_exact_numeric(D: int, xi: float, delta_h: float, dps: int = 30) -> float:
    r"""E(δh) from the exact shell integral for ρ(r) = r^{−ξ}, by mpmath quadrature.

    :math:`\int_0^{\delta h} r^{-\xi}\,\tfrac12 I_{1-((1-\delta h)/(1-r))^2}(\tfrac{D-1}2,\tfrac12)\,dr`
    at ``dps`` digits (tanh-sinh handles the r^{−ξ} endpoint singularity).
    """
    import mpmath as mp

    D = check_int("D", D, lo=2)
    dps = check_int("dps", dps, lo=15, hi=200)
    if isinstance(xi, bool) or not isinstance(xi, numbers.Real) or not xi < 1:
        raise ValueError(f"xi must be a real number < 1, got {xi!r}")
    if isinstance(delta_h, bool) or not isinstance(delta_h, numbers.Real) or not 0 < delta_h < 1:
        raise ValueError(f"delta_h must be a real number in (0, 1), got {delta_h!r}")
    with mp.workdps(dps):
        dh = mp.mpf(delta_h)
        h = 1 - dh
        a = mp.mpf(D - 1) / 2
        x = mp.mpf(xi)

        def integrand(r: Any) -> Any:
            z = max(1 - (h / (1 - r)) ** 2, mp.mpf(0))  # >= 0 for r <= delta_h; clip rounding
            return r ** (-x) * mp.betainc(a, mp.mpf(1) / 2, 0, z, regularized=True) / 2

        return float(mp.quad(integrand, [0, dh]))

"""Symbolic checks of the 1D exponential model: Eq. 13 by convolution, Eq. 15, Eq. 72's joint
density of (x̄, x_min)."""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .._validation import check_int

__all__ = ["Eq13Derivation", "Eq15Derivation", "JointDensity", "eq13_bessel_density", "eq13_by_convolution",
           "eq15_from_eq13", "joint_density_xbar_xmin"]

_HALF = sp.Rational(1, 2)


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

"""Symbolic checks of the D-ball model: app. B's moments and first-order
coefficients (Eqs. 81-89) and the fast-branch grokking time (Eqs. 42, 44)."""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .._validation import check_int

__all__ = ["BallMoments", "BallCoefficients", "GrokTimeInverse", "uniform_ball_moments",
           "ball_first_order_coefficients", "grok_time_inverse"]

_HALF = sp.Rational(1, 2)


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

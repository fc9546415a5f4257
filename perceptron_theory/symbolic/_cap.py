"""Symbolic checks of the D-ball geometry: cap volume (Eqs. 22-23) and the general isotropic density
near the transition (Eqs. 48-50)."""
from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import sympy as sp

from .._validation import check_int

__all__ = ["CapExpansion", "CapForms", "NearTransitionAmplitude", "ball_volume", "cap_expansion", "cap_forms",
           "cap_forms_max_difference", "near_transition_amplitude", "near_transition_exact_numeric", "dimension"]

_HALF = sp.Rational(1, 2)


def dimension(D: Any, lo: int = 1) -> sp.Expr:
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
    Dv = dimension(D)
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
    Dv = dimension(D)
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
    Dv = dimension(D, lo=2)
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

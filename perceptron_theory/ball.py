r"""The D-dimensional uniform-ball grokking model (sec. 3.3 and app. B of Žunkovič & Ilievski 2024).

Positive inputs are uniform in the unit D-ball centred at :math:`+\epsilon e_1`, negative ones
in the ball at :math:`-\epsilon e_1`; the student is :math:`\mathrm{sgn}(\tilde x\cdot w)` without
bias (Eq. 18), trained by gradient flow on the regularised squared loss (Eqs. 19-21).
The classifier plane cuts each ball at distance :math:`h = \epsilon w_1/\|w\|` from its
centre, so the test error is the volume fraction of a cap (Eq. 22).

Conventions fixed here, all recorded in ``docs/errata.md``:

* the first-order coefficient :math:`\alpha_3` of app. B carries :math:`\epsilon^2`, not
  :math:`\epsilon` (derived, and confirmed by simulation);
* Eq. 48's approximation overestimates the amplitude by a factor (D+1)/2 (its exponent
  is right); :func:`radial_test_error` offers the exact shell integral as well.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, special, stats

from ._ball_common import check_D as _check_D, lambda_D
from ._ball_time import GrokTimeLaw
from ._validation import MAX_SCALE, check_array, check_int, check_real, finite_or_refuse
from .flow import LinearFlow, exact_flow

__all__ = [
    "lambda_D",
    "test_error",
    "test_error_eq22",
    "test_error_from_weights",
    "near_transition_amplitude",
    "near_transition_error",
    "critical_exponent",
    "radial_test_error",
    "ball_moments",
    "FirstOrderCoefficients",
    "first_order_coefficients",
    "grok_probability",
    "grok_probability_lower_bound",
    "GrokTimeLaw",
    "gradient_flow",
    "LinearFlow",
]

Array = NDArray[np.float64]


# ---------------------------------------------------------------------------
# Test error and the near-transition law

def test_error(h: ArrayLike, D: ArrayLike) -> Array:
    r"""Exact test error for the signed cap distance ``h`` (Eq. 22, incomplete-beta form).

    :math:`E_D(h) = \tfrac12 I_{1-h^2}\bigl(\tfrac{D+1}{2}, \tfrac12\bigr)` for :math:`0 \le h \le 1`,
    0 for :math:`h \ge 1`, and :math:`1 - E_D(-h)` for :math:`h < 0` (the plane leaves more
    than half of each ball on the wrong side).
    """
    h = check_array("h", h)
    d = _check_D(D)
    a = np.abs(np.clip(h, -1.0, 1.0))
    cap = 0.5 * special.betainc((d + 1.0) / 2.0, 0.5, 1.0 - a * a)
    return np.where(h >= 0, cap, 1.0 - cap)


def test_error_eq22(h: ArrayLike, D: ArrayLike) -> Array:
    r"""Eq. 22 as printed (hypergeometric form), valid for :math:`0 \le h \le 1`:
    :math:`\tfrac12 - \frac{D\,\Gamma(D/2)}{2\sqrt\pi\,\Gamma((D+1)/2)}\,{}_2F_1(\tfrac12, \tfrac{1-D}{2}; \tfrac32; h^2)\,h`."""
    h = check_array("h", h, 0.0, 1.0)
    d = _check_D(D)
    pref = d * special.gamma(d / 2) / (2 * np.sqrt(np.pi) * special.gamma((d + 1) / 2))
    return 0.5 - pref * special.hyp2f1(0.5, (1.0 - d) / 2.0, 1.5, h * h) * h


def test_error_from_weights(w: ArrayLike, eps: ArrayLike) -> Array:
    r"""Test error of weights ``w`` (shape ``(..., D)``): :math:`E_D(\epsilon w_1/\|w\|)` (Eq. 22)."""
    w = check_array("w", w)
    e = check_array("eps", eps, 0.0)
    norm = np.linalg.norm(w, axis=-1)
    if np.any(norm == 0):
        raise ValueError("w must be non-zero (the classifier of w = 0 is undefined)")
    return test_error(e * w[..., 0] / norm, w.shape[-1])


def near_transition_amplitude(D: ArrayLike) -> Array:
    r"""Amplitude of Eq. 23: :math:`A_D = \frac{D\,2^{(D-3)/2}\,\Gamma(D/2)}{\sqrt\pi\,\Gamma((D+3)/2)}`."""
    d = _check_D(D)
    return d * 2.0 ** ((d - 3) / 2) * special.gamma(d / 2) / (np.sqrt(np.pi) * special.gamma((d + 3) / 2))


def near_transition_error(h: ArrayLike, D: ArrayLike) -> Array:
    r"""Leading behaviour of the test error near the transition (Eq. 23):
    :math:`E_D \approx A_D (1-h)^{(D+1)/2}`."""
    h = check_array("h", h, hi=1.0)
    d = _check_D(D)
    return near_transition_amplitude(d) * (1.0 - h) ** ((d + 1) / 2)


def critical_exponent(D: ArrayLike, xi: ArrayLike = 0.0) -> Array:
    r"""Critical exponent of the test error, :math:`\nu = (D+1)/2 - \xi` (Eqs. 23 and 50).

    ``D`` may be real (an effective dimension :math:`D_{\rm eff} \ge 1`); ``xi`` < 1 is the
    divergence exponent of the boundary density :math:`\rho \sim \delta h^{-\xi}` (a negative
    ``xi`` = -β describes a density vanishing like :math:`\delta h^{\beta}`).
    """
    d = check_array("D", D, 1.0)
    x = check_array("xi", xi, hi=1.0, hi_open=True)
    return (d + 1.0) / 2.0 - x


def radial_test_error(delta_h: ArrayLike, rho: Callable[[Array], Array], D: int,
                      method: str = "exact") -> Array:
    r"""Test error near the transition for an isotropic density with radial boundary density ρ.

    ``rho(r)`` is the density of finding a sample at radius :math:`1-r` (depth r below the
    surface); the plane sits at distance :math:`h = 1 - \delta h` from the centre.

    * ``method="eq48"``: the paper's Eq. 48,
      :math:`E \approx \tfrac12 I_{2\delta h-\delta h^2}(\tfrac{D-1}{2},\tfrac12)\int_0^{\delta h}\rho(r)\,dr`.
    * ``method="exact"``: the shell integral
      :math:`E = \int_0^{\delta h}\rho(r)\,\tfrac12 I_{1-(h/(1-r))^2}(\tfrac{D-1}{2},\tfrac12)\,dr`
      (each shell of radius 1-r is a sphere cut at relative distance h/(1-r)). For the uniform
      ball, :math:`\rho(r) = D(1-r)^{D-1}`, it reproduces Eq. 22 exactly; for smooth ρ the
      two methods share the exponent (D+1)/2 while Eq. 48's amplitude is (D+1)/2 times larger.

    D >= 2 (for D = 1 a "shell" is two points). Returns one value per ``delta_h`` in [0, 1].
    """
    dh = check_array("delta_h", delta_h, 0.0, 1.0)
    D = check_int("D", D, 2)
    if method not in ("exact", "eq48"):
        raise ValueError(f"method must be 'exact' or 'eq48', got {method!r}")
    out = np.empty(dh.shape)
    for idx, x in np.ndenumerate(dh):
        if x == 0:
            out[idx] = 0.0
            continue
        h = 1.0 - x
        if method == "eq48":
            mass = integrate.quad(lambda r: float(rho(np.asarray(r))), 0.0, x, limit=200)[0]
            out[idx] = 0.5 * special.betainc((D - 1) / 2, 0.5, 2 * x - x * x) * mass
        else:
            def shell(r: float) -> float:
                z = 1.0 - (h / (1.0 - r)) ** 2
                return float(rho(np.asarray(r))) * 0.5 * special.betainc((D - 1) / 2, 0.5, max(z, 0.0))
            out[idx] = integrate.quad(shell, 0.0, x, limit=200)[0]
    return out


# ---------------------------------------------------------------------------
# Grokking probability (sec. 3.3.2, app. B)

def ball_moments(D: ArrayLike) -> tuple[Array, Array, Array]:
    r"""Moments of the uniform unit D-ball: :math:`E[x_j^2] = 1/(D+2)`,
    :math:`E[x_j^4] = 3/((D+2)(D+4))`, :math:`E[x_i^2x_j^2] = 1/((D+2)(D+4))` (app. B)."""
    d = _check_D(D)
    return 1.0 / (d + 2), 3.0 / ((d + 2) * (d + 4)), 1.0 / ((d + 2) * (d + 4))


@dataclass(frozen=True)
class FirstOrderCoefficients:
    r"""First-order (in :math:`1/\sqrt N`) law of the stationary weights (app. B, Eqs. 81-86).

    :math:`w_1 \sim \mathcal N(\mu_1, \sigma_1^2)`; the other components are
    :math:`w_j = \mathrm{soft}(u_j, \lambda_1)/\lambda_D` with :math:`u_j \sim \mathcal N(0, s_u^2)`
    i.i.d. (for :math:`\lambda_1 = 0`: :math:`w_j \sim \mathcal N(0, s^2)`, :math:`s = s_u/\lambda_D`).
    """

    beta: Array
    alpha1: Array
    alpha2: Array
    alpha3: Array
    alpha4: Array
    mu1: Array
    sigma1: Array
    s_u: Array
    lam_D: Array


def first_order_coefficients(D: ArrayLike, N: ArrayLike, eps: ArrayLike, lam2: ArrayLike = 0.0,
                             lam1: ArrayLike = 0.0, alpha3: str = "corrected") -> FirstOrderCoefficients:
    r"""Coefficients of app. B (Eqs. 81-85), generalised to :math:`\lambda_1 \ge 0`.

    With :math:`\lambda_D = \lambda_2 + 1/(D+2)` and :math:`w_1^* = (\epsilon-\lambda_1)/(\lambda_D+\epsilon^2)`:
    :math:`\alpha_1 = (1 - 2\epsilon w_1^*)/(\lambda_D+\epsilon^2)`,
    :math:`\alpha_2 = -w_1^*/(\lambda_D+\epsilon^2)`,
    :math:`\alpha_3 = (1 - \epsilon w_1^*)/\lambda_D`, :math:`\alpha_4 = -w_1^*/\lambda_D`,
    :math:`\beta = w_1^* - \alpha_2/(D+2)`. At :math:`\lambda_1 = 0` these are the printed
    β, α1, α2, α4, and α3 = :math:`1/\lambda_D - \epsilon^2/(\lambda_D(\lambda_D+\epsilon^2))`
    (MISPRINT: the note prints ε for ε²; ``alpha3="printed"`` reproduces it for comparison).
    """
    d = _check_D(D)
    n = check_array("N", N, 1.0)
    e = check_array("eps", eps, 0.0)
    l1 = check_array("lam1", lam1, 0.0)
    lD = lambda_D(d, lam2)
    den = lD + e * e
    w1s = (e - l1) / den
    a1 = (1.0 - 2.0 * e * w1s) / den
    a2 = -w1s / den
    if alpha3 == "corrected":
        a3 = (1.0 - e * w1s) / lD
    elif alpha3 == "printed":
        a3 = 1.0 / lD - e / (lD * den)
    else:
        raise ValueError(f"alpha3 must be 'corrected' or 'printed', got {alpha3!r}")
    a4 = -w1s / lD
    beta = w1s - a2 / (d + 2)
    var1 = a1**2 / (2 * n * (d + 2)) + a2**2 * (d + 1) / (n * (d + 2) ** 2 * (d + 4))
    s_u = lD * np.sqrt(a3**2 / (2 * n * (d + 2)) + a4**2 / (2 * n * (d + 2) * (d + 4)))
    return FirstOrderCoefficients(beta, a1, a2, a3, a4, w1s, np.sqrt(var1), s_u, lD)


_GLP_X, _GLP_W = np.polynomial.legendre.leggauss(160)


def _soft_sum_cdf_factory(k: int, a: float, x_max: float, n: int = 1 << 13) -> Callable[[Array], Array]:
    """CDF of S = Σ_{i=1..k} soft(Z_i, a)^2, Z_i standard normal, soft(z,a) = sign(z) max(|z|-a, 0).

    Mixture over the number m of active components (binomial, P(active) = erfc(a/√2)); the
    law of m active squares is a discretised convolution power (bin width x_max/n,
    truncated at x_max, which is exact for a CDF evaluated below x_max since S >= 0).
    """
    if a == 0.0:
        return lambda x: stats.chi2.cdf(x, k)
    p_out = float(special.erfc(a / np.sqrt(2.0)))   # P(|Z| > a), accurate for large a
    if p_out < 1e-300:                              # every component thresholded to 0
        return lambda x: np.where(np.asarray(x) >= 0, 1.0, 0.0)
    h = x_max / n
    edges = np.arange(n + 1) * h
    # one active component: P(a < |Z| <= a + sqrt(y)) / P(|Z| > a)
    F1 = (special.ndtr(a + np.sqrt(edges)) - special.ndtr(a)) / (0.5 * p_out)
    pmf1 = np.diff(F1)
    weights = stats.binom.pmf(np.arange(k + 1), k, p_out)
    grid = (np.arange(n) + 1.0) * h  # upper edges
    cdf = np.full(n, weights[0])
    cur = np.zeros(n)
    cur[0] = 1.0  # delta at 0
    L = 1 << int(np.ceil(np.log2(2 * n)))
    f1 = np.fft.rfft(pmf1, L)
    for m in range(1, k + 1):
        cur = np.fft.irfft(np.fft.rfft(cur, L) * f1, L)[:n]
        cur = np.clip(cur, 0.0, None)
        # a sum of m bins sits, on average, m/2 bins to the right of its index: shift
        shifted = np.interp(grid, grid + (m - 1) * h / 2.0, np.cumsum(cur), left=0.0)
        cdf += weights[m] * shifted
    return lambda x: np.interp(np.asarray(x, dtype=float), np.concatenate([[0.0], grid]),
                               np.concatenate([[weights[0]], cdf]), right=float(cdf[-1]))


def _gauss_w1_expectation(mu: Array, sd: Array, g: Callable[[Array], Array]) -> Array:
    """E[1{w1 > 0} g(w1)] for w1 ~ Normal(mu, sd^2), vectorised (Gauss-Legendre over the
    central ±12 sd, truncated at 0)."""
    lo = np.maximum(mu - 12 * sd, 0.0)
    hi = np.maximum(mu + 12 * sd, lo)
    x = 0.5 * (lo + hi)[..., None] + 0.5 * (hi - lo)[..., None] * _GLP_X
    w = 0.5 * (hi - lo)[..., None] * _GLP_W
    dens = stats.norm.pdf(x, mu[..., None], sd[..., None])
    return np.sum(w * dens * g(x), axis=-1)


def _check_ball_prob_args(D: ArrayLike, N: ArrayLike, eps: ArrayLike, lam1: ArrayLike, lam2: ArrayLike):
    d = _check_D(D)
    n = check_array("N", N, 1.0)
    if np.any(n != np.round(n)):
        raise ValueError(f"N must be an integer >= 1, got {N!r}")
    e = check_array("eps", eps, 1.0, MAX_SCALE)  # separability: eps >= 1 (P = 0 at eps = 1 when lam1 = 0)
    l1 = check_array("lam1", lam1, 0.0, MAX_SCALE)
    l2 = check_array("lam2", lam2, 0.0, MAX_SCALE)
    return np.broadcast_arrays(d, n, e, l1, l2)


def grok_probability(D: ArrayLike, N: ArrayLike, eps: ArrayLike, lam1: ArrayLike = 0.0,
                     lam2: ArrayLike = 0.0, method: str = "first_order",
                     alpha3: str = "corrected") -> Array:
    r"""Probability that the stationary classifier :math:`w^\lambda` has zero test error.

    The condition is :math:`(\epsilon^2-1)(w_1^\lambda)^2 \ge \sum_{j\ge2}(w_j^\lambda)^2`,
    :math:`w_1^\lambda > 0` (Eqs. 24-25). Methods (all vectorised over the arguments):

    * ``"eq30"``: the large-λ approximation, :math:`G \approx \lambda_D + \epsilon^2 e_1e_1^\top`,
      :math:`a = \epsilon e_1 + \bar x` with :math:`\bar x_j \sim \mathcal N(0, 1/(2N(D+2)))`
      (Eq. 30 for λ1 = 0; with λ1 > 0 the components are soft-thresholded, the
      reading of Eqs. 31-32).
    * ``"first_order"``: app. B to first order in :math:`1/\sqrt N` (Eq. 86 for λ1 = 0, and its
      soft-thresholded generalisation, the reading of Eq. 89, for λ1 > 0); see
      :func:`first_order_coefficients`.

    ``eps`` must be >= 1 (the balls are separable only then); at eps = 1 and λ1 = 0, P = 0.
    """
    d, n, e, l1, l2 = _check_ball_prob_args(D, N, eps, lam1, lam2)
    if method not in ("eq30", "first_order"):
        raise ValueError(f"method must be 'eq30' or 'first_order', got {method!r}")
    shape = d.shape
    d, n, e, l1, l2 = (np.ravel(x) for x in (d, n, e, l1, l2))
    lD = lambda_D(d, l2)
    if method == "eq30":
        sig = 1.0 / np.sqrt(2 * n * (d + 2))
        mu, sd, s_perp = e - l1, sig, sig
        c = lD / (lD + e * e)
    else:
        co = first_order_coefficients(d, n, e, l2, l1, alpha3=alpha3)
        mu, sd, s_perp, c = co.mu1, co.sigma1, co.s_u, lD
    k = d - 1
    out = np.empty(d.shape)
    zero_l1 = l1 == 0
    if np.any(zero_l1):
        idx = zero_l1
        kk = k[idx]
        ratio = (e[idx] ** 2 - 1.0) * (c[idx] / s_perp[idx]) ** 2

        def g(x: Array) -> Array:
            arg = ratio[..., None] * x * x
            return np.where(kk[..., None] > 0, stats.chi2.cdf(arg, np.maximum(kk, 1)[..., None]), 1.0)

        out[idx] = _gauss_w1_expectation(mu[idx], sd[idx], g)
    for i in np.flatnonzero(~zero_l1):
        ki = int(k[i])
        ratio = float((e[i] ** 2 - 1.0) * (c[i] / s_perp[i]) ** 2)
        a = float(l1[i] / s_perp[i])
        x_hi = ratio * float(mu[i] + 12 * sd[i]) ** 2 * 1.01 + 1e-12
        if ki == 0:
            def g(x: Array) -> Array:
                return np.ones_like(x)
        else:
            F = _soft_sum_cdf_factory(ki, a, x_hi)

            def g(x: Array, F=F, ratio=ratio) -> Array:
                return F(ratio * x * x)
        out[i] = float(_gauss_w1_expectation(np.asarray(mu[i]), np.asarray(sd[i]), g))
    finite_or_refuse("P_grok", out, f"D={D!r}, N={N!r}, eps={eps!r}, lam1={lam1!r}, lam2={lam2!r}")
    return np.clip(out, 0.0, 1.0).reshape(shape)


def grok_probability_lower_bound(D: ArrayLike, N: ArrayLike, eps: ArrayLike, lam1: ArrayLike,
                                 lam2: ArrayLike = 0.0, order: int = 0) -> Array:
    r"""Lower bound on the grokking probability for λ1 > 0: every perpendicular component
    is thresholded to zero and :math:`w_1 > 0`.

    ``order=0`` (Eq. 33): :math:`\tfrac12[1+\mathrm{erf}(\sqrt{N(D+2)}(\epsilon-\lambda_1))]\,
    [\mathrm{erf}(\sqrt{N(D+2)}\lambda_1)]^{D-1}`. ``order=1`` (the reading of Eq. 90): the same
    event under the first-order law, :math:`\Phi(\mu_1/\sigma_1)\,[\mathrm{erf}(\lambda_1/(\sqrt2 s_u))]^{D-1}`.
    """
    d, n, e, l1, l2 = _check_ball_prob_args(D, N, eps, lam1, lam2)
    if order == 0:
        r = np.sqrt(n * (d + 2))
        return 0.5 * (1 + special.erf(r * (e - l1))) * special.erf(r * l1) ** (d - 1)
    if order == 1:
        co = first_order_coefficients(d, n, e, l2, l1)
        return special.ndtr(co.mu1 / co.sigma1) * special.erf(l1 / (np.sqrt(2) * co.s_u)) ** (d - 1)
    raise ValueError(f"order must be 0 or 1, got {order!r}")


def gradient_flow(X: ArrayLike, y: ArrayLike, w0: ArrayLike, lam2: float = 0.0) -> LinearFlow:
    r"""Exact gradient flow of the ball model for data ``X`` (``(..., 2N, D)``, inputs
    :math:`\tilde x`) and labels ``y`` (``(..., 2N)``), λ1 = 0 (Eqs. 19-21):
    :math:`G = \frac{1}{2N}\sum\tilde x\tilde x^\top + \lambda_2 1`, :math:`a = \frac{1}{2N}\sum y\tilde x`."""
    X = check_array("X", X)
    y = check_array("y", y, -1.0, 1.0)
    l2 = check_real("lam2", lam2, 0.0)
    n = X.shape[-2]
    G = np.einsum("...ni,...nj->...ij", X, X) / n + l2 * np.eye(X.shape[-1])
    a = np.einsum("...n,...ni->...i", y, X) / n
    return exact_flow(G, a, w0)

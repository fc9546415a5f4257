"""The 1D exponential model's closed forms (sec. 3.2, Eqs. 5-15): flow, error, times, x̄ density,
grokking probability. Re-exported by :mod:`perceptron_theory.exponential`."""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, special, stats

from ._validation import MAX_SCALE, check_array, check_int, finite_or_refuse

__all__ = ["eps_lambda", "xbar_lambda", "bias_trajectory", "test_error", "train_error", "t_eps", "t_train",
           "grokking_time", "xbar_density", "grok_probability", "grok_probability_n2", "near_transition_amplitude",
           "mean_near_transition_amplitude", "split_params"]

Array = NDArray[np.float64]


def split_params(eps: ArrayLike, lam1: ArrayLike, lam2: ArrayLike) -> tuple[Array, Array, Array]:
    return (check_array("eps", eps, 0.0, MAX_SCALE),
            check_array("lam1", lam1, 0.0, MAX_SCALE),
            check_array("lam2", lam2, 0.0, MAX_SCALE))


def eps_lambda(eps: ArrayLike, lam1: ArrayLike = 0.0, lam2: ArrayLike = 0.0) -> Array:
    r"""Effective gap :math:`\epsilon_\lambda = \epsilon(1+\lambda_2) + \lambda_1` (Eq. 10).

    L2 regularisation acts multiplicatively on the gap, L1 additively.
    """
    e, l1, l2 = split_params(eps, lam1, lam2)
    return e * (1.0 + l2) + l1


def xbar_lambda(xbar: ArrayLike, lam1: ArrayLike = 0.0, lam2: ArrayLike = 0.0,
                branch: int = +1) -> Array:
    r"""Fixed point of the flow on one branch (Eq. 6):
    :math:`\bar x_\lambda = (\bar x \mp \lambda_1)/(1+\lambda_2)` for ``branch=+1`` (b >= 0) / ``-1`` (b < 0)."""
    x = check_array("xbar", xbar)
    _, l1, l2 = split_params(0.0, lam1, lam2)
    if branch not in (+1, -1):
        raise ValueError(f"branch must be +1 or -1, got {branch!r}")
    return (x - branch * l1) / (1.0 + l2)


def bias_trajectory(t: ArrayLike, xbar: ArrayLike, b0: ArrayLike,
                    lam1: ArrayLike = 0.0, lam2: ArrayLike = 0.0) -> Array:
    r"""Exact solution b(t) of the piecewise flow (Eqs. 5-6), broadcasting over all arguments.

    On each sign branch :math:`b(t) = \bar x_\lambda - (\bar x_\lambda - b_0)e^{-(1+\lambda_2)t}`;
    a trajectory that reaches b = 0 with :math:`|\bar x| \le \lambda_1` stays there
    (the Filippov solution of the L1 flow), otherwise it continues on the other branch.
    """
    t = check_array("t", t, 0.0, allow_inf=True)
    x = check_array("xbar", xbar)
    b0 = check_array("b0", b0)
    _, l1, l2 = split_params(0.0, lam1, lam2)
    t, x, b0, l1, l2 = np.broadcast_arrays(t, x, b0, l1, l2)
    k = 1.0 + l2
    s0 = np.where(b0 > 0, 1.0, np.where(b0 < 0, -1.0, np.sign(x) * (np.abs(x) > l1)))
    xl = (x - s0 * l1) / k  # fixed point of the starting branch
    with np.errstate(divide="ignore", invalid="ignore"):
        # time to reach 0 on the starting branch (inf if the fixed point has the same sign)
        crosses = (s0 != 0) & (xl * s0 < 0)
        t0 = np.where(crosses, np.log(np.abs((b0 - xl) / np.where(xl == 0, 1.0, xl))) / k, np.inf)
    b_first = xl - (xl - b0) * np.exp(-k * np.minimum(t, t0))
    # after reaching 0: stick if |x| <= lam1, else leave on the other branch
    s1 = np.sign(x) * (np.abs(x) > l1)
    xl1 = np.where(s1 == 0, 0.0, (x - s1 * l1) / k)  # stuck at 0 when |x| <= lam1
    tau = np.where(np.isfinite(t0), t - np.where(np.isfinite(t0), t0, 0.0), 0.0)
    b_second = xl1 * (1.0 - np.exp(-k * np.maximum(tau, 0.0)))
    return np.where(t <= t0, b_first, b_second)


def test_error(b: ArrayLike, eps: ArrayLike) -> Array:
    r"""Population test error of the threshold ``b`` (Eq. 7):
    :math:`E = \tfrac12(1 - e^{\epsilon-|b|})` for :math:`|b| > \epsilon`, else 0."""
    b = check_array("b", b)
    e = check_array("eps", eps, 0.0)
    return np.where(np.abs(b) > e, 0.5 * (-np.expm1(e - np.abs(b))), 0.0)


def train_error(b: ArrayLike, x_pos: ArrayLike, x_neg: ArrayLike) -> Array:
    """Fraction of misclassified training samples for thresholds ``b`` (any shape ``S``).

    ``x_pos``/``x_neg``: arrays ``(..., N)`` of positive/negative training inputs
    (the absolute positions, not offsets), broadcasting with ``b[..., None]``.
    A sample exactly on the threshold counts as misclassified.
    """
    b = np.asarray(b, dtype=float)[..., None]
    wrong = np.sum(np.asarray(x_pos) <= b, axis=-1) + np.sum(np.asarray(x_neg) >= b, axis=-1)
    n = np.shape(x_pos)[-1] + np.shape(x_neg)[-1]
    return wrong / n


def t_eps(xbar: ArrayLike, b0: ArrayLike, eps: ArrayLike,
          lam1: ArrayLike = 0.0, lam2: ArrayLike = 0.0) -> Array:
    r"""Time at which the test error first vanishes, starting from :math:`b_0 > \epsilon` (Eq. 8):
    :math:`t_\epsilon = \frac{1}{1+\lambda_2}\log\frac{b_0-\bar x_\lambda}{\epsilon-\bar x_\lambda}`
    (MISPRINT corrected: the paper omits :math:`1/(1+\lambda_2)`). ``inf`` where the
    trajectory never reaches :math:`\epsilon` (:math:`\bar x_\lambda \ge \epsilon`); 0 where :math:`b_0 \le \epsilon`."""
    e, l1, l2 = split_params(eps, lam1, lam2)
    b0 = check_array("b0", b0)
    xl = xbar_lambda(xbar, l1, l2, +1)
    with np.errstate(divide="ignore", invalid="ignore"):
        val = np.log((b0 - xl) / (e - xl)) / (1.0 + l2)
    return np.where(b0 <= e, 0.0, np.where(xl < e, val, np.inf))


def t_train(xbar: ArrayLike, b0: ArrayLike, eps: ArrayLike, x_min: ArrayLike,
            lam1: ArrayLike = 0.0, lam2: ArrayLike = 0.0) -> Array:
    r"""Time at which b(t) crosses the smallest positive sample :math:`\epsilon + x_{\min}`
    (the training error's last step when the negatives are never misclassified)."""
    e, l1, l2 = split_params(eps, lam1, lam2)
    xm = check_array("x_min", x_min, 0.0)
    return t_eps(xbar, b0, e + xm, l1, l2)


def grokking_time(xbar: ArrayLike, x_min: ArrayLike, eps: ArrayLike,
                  lam1: ArrayLike = 0.0, lam2: ArrayLike = 0.0) -> Array:
    r"""Grokking time (Eq. 16),
    :math:`t_G = \frac{1}{1+\lambda_2}\log\frac{\epsilon + x_{\min} - \bar x_\lambda}{\epsilon - \bar x_\lambda}`,
    independent of :math:`b_0` as long as :math:`b_0 > \epsilon + x_{\min}`; ``inf`` if the
    trajectory never reaches :math:`\epsilon`."""
    e, l1, l2 = split_params(eps, lam1, lam2)
    xm = check_array("x_min", x_min, 0.0)
    xl = xbar_lambda(xbar, l1, l2, +1)
    with np.errstate(divide="ignore", invalid="ignore"):
        val = np.log1p(xm / (e - xl)) / (1.0 + l2)
    return np.where(xl < e, val, np.inf)


def xbar_density(xbar: ArrayLike, N: int) -> Array:
    r"""Density of :math:`\bar x = (\bar u - \bar v)/2`, :math:`\bar u,\bar v \sim \Gamma(N, \text{rate } N)` (Eq. 13):

    .. math:: P_N(\bar x) = \frac{2 N^{N+1/2} |\bar x|^{N-1/2} K_{N-1/2}(2N|\bar x|)}{\sqrt\pi\,\Gamma(N)}.

    Evaluated in log space with the exponentially scaled Bessel function; the
    value at 0 is the limit :math:`N\Gamma(N-\tfrac12)/(\sqrt\pi\,\Gamma(N))`.
    """
    N = check_int("N", N, 1)
    x = np.abs(check_array("xbar", xbar))
    nu = N - 0.5
    at0 = np.log(N) + special.gammaln(nu) - 0.5 * np.log(np.pi) - special.gammaln(N)
    with np.errstate(divide="ignore", over="ignore"):
        z = 2.0 * N * x
        logk = _log_kv(nu, np.where(z > 0, z, 1.0)).reshape(np.shape(z))
        logp = (np.log(2.0) + (N + 0.5) * np.log(N) + nu * np.log(np.where(x > 0, x, 1.0))
                + logk - 0.5 * np.log(np.pi) - special.gammaln(N))
    return np.exp(np.where(x > 0, logp, at0))


def _log_kv(nu: float, z: Array) -> Array:
    """log K_nu(z) for z > 0: scipy's scaled Bessel function, and where that overflows
    (large order, small argument) the Debye uniform expansion to O(nu^-2)."""
    z = np.atleast_1d(np.asarray(z, dtype=float))
    with np.errstate(over="ignore", divide="ignore"):
        direct = np.log(special.kve(nu, z)) - z
    bad = ~np.isfinite(direct)
    if not np.any(bad):
        return direct
    zz = z[bad] / nu
    s1 = np.sqrt(1.0 + zz * zz)
    eta = s1 + np.log(zz / (1.0 + s1))
    tt = 1.0 / s1
    u1 = (3 * tt - 5 * tt**3) / 24.0
    u2 = (81 * tt**2 - 462 * tt**4 + 385 * tt**6) / 1152.0
    debye = (0.5 * np.log(np.pi / (2 * nu)) - nu * eta - 0.25 * np.log1p(zz * zz)
             + np.log1p(-u1 / nu + u2 / nu**2))
    out = direct.copy()
    out[bad] = debye
    return out


def grok_probability_n2(eps: ArrayLike, lam1: ArrayLike = 0.0, lam2: ArrayLike = 0.0) -> Array:
    r"""Closed form for N = 2 (Eq. 15): :math:`P = 1 - (1 + 2\epsilon_\lambda)e^{-4\epsilon_\lambda}`."""
    el = eps_lambda(eps, lam1, lam2)
    return 1.0 - (1.0 + 2.0 * el) * np.exp(-4.0 * el)


_GL_X, _GL_W = np.polynomial.legendre.leggauss(96)


def grok_probability(N: int, eps: ArrayLike, lam1: ArrayLike = 0.0, lam2: ArrayLike = 0.0,
                     method: str = "gamma") -> Array:
    r"""Probability that a sampled training set groks: :math:`P(|\bar x| < \epsilon_\lambda)` (Eqs. 11, 14).

    ``method="gamma"`` (default, vectorised): :math:`\int f_{\bar u}(u)\,[F_{\bar v}(u+2\epsilon_\lambda)
    - F_{\bar v}(u-2\epsilon_\lambda)]\,du` with Gauss-Legendre nodes over the quantile range of
    :math:`\bar u \sim \Gamma(N, N)`. ``method="bessel"``: :math:`2\int_0^{\epsilon_\lambda} P_N` of
    Eq. 13 with adaptive quadrature (scalar loop; the reference). ``method="closed_form"``:
    Eq. 15 (N = 2 only).
    """
    N = check_int("N", N, 1)
    el = eps_lambda(eps, lam1, lam2)
    if method == "closed_form":
        if N != 2:
            raise ValueError(f"method='closed_form' (Eq. 15) needs N=2, got N={N}")
        return 1.0 - (1.0 + 2.0 * el) * np.exp(-4.0 * el)
    if method == "bessel":
        out = np.empty_like(el)
        for i, e in np.ndenumerate(el):
            if e == 0:
                out[i] = 0.0
                continue
            val, _ = integrate.quad(lambda s: float(xbar_density(s, N)), 0.0, float(e), limit=200)
            out[i] = min(1.0, 2.0 * val)
        return out
    if method != "gamma":
        raise ValueError(f"method must be 'gamma', 'bessel' or 'closed_form', got {method!r}")
    # u-bar ~ Gamma(shape N, scale 1/N); integrate over its central quantile range,
    # split at the kink u = 2 eps_lambda of F(u - 2 eps_lambda).
    g = stats.gamma(N, scale=1.0 / N)
    lo, hi = float(g.ppf(1e-16)), float(g.isf(1e-16))
    e2 = 2.0 * el[..., None]
    kink = np.clip(e2, lo, hi)
    total = np.zeros(el.shape)
    for a, b in ((np.full_like(kink, lo), kink), (kink, np.full_like(kink, hi))):
        u = 0.5 * (a + b) + 0.5 * (b - a) * _GL_X
        wts = 0.5 * (b - a) * _GL_W * g.pdf(u)
        total = total + np.sum(wts * (g.cdf(u + e2) - g.cdf(u - e2)), axis=-1)
    finite_or_refuse("P_grok", total, f"N={N}, eps={eps!r}, lam1={lam1!r}, lam2={lam2!r}")
    return np.clip(total, 0.0, 1.0)


def near_transition_amplitude(xbar: ArrayLike, eps: ArrayLike, lam1: ArrayLike = 0.0,
                              lam2: ArrayLike = 0.0) -> Array:
    r"""Per-run slope of the test error just before :math:`t_\epsilon` (Eq. 9):
    :math:`E \approx \tfrac12(\epsilon - \bar x_\lambda)(1+\lambda_2)(t_\epsilon - t)`, so ν = 1."""
    e, l1, l2 = split_params(eps, lam1, lam2)
    return 0.5 * (e - xbar_lambda(xbar, l1, l2, +1)) * (1.0 + l2)


def mean_near_transition_amplitude(eps: ArrayLike, lam1: ArrayLike = 0.0, lam2: ArrayLike = 0.0) -> Array:
    r"""Slope of the aligned average over grokking runs (Eq. 10):
    :math:`\langle\langle E\rangle\rangle \approx (\epsilon_\lambda/2)(t_\epsilon - t)` (the
    conditional mean of :math:`\bar x` given :math:`|\bar x| < \epsilon_\lambda` is 0 by symmetry)."""
    return 0.5 * eps_lambda(eps, lam1, lam2)

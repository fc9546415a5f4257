r"""The 1D exponential grokking model (sec. 3.2 and app. A of Žunkovič & Ilievski 2024).

The student is :math:`f(x) = \mathrm{sgn}(x - b)` with only the bias learned.
Positive samples are :math:`x = \epsilon + u`, negative ones :math:`x = -\epsilon - v`,
with :math:`u, v \sim \mathrm{Exp}(1)`; the training set holds ``N`` of each.
Gradient flow of the regularised squared loss gives (Eq. 5)

.. math:: \dot b = \bar x - \lambda_1\,\mathrm{sgn}(b) - (1+\lambda_2)\,b,

with :math:`\bar x` the mean of the 2N training inputs, i.e. :math:`\bar x = (\bar u - \bar v)/2`.
Throughout, ``x_min`` denotes the *offset* :math:`u_{\min} = \min_i u_i` of the
smallest positive sample beyond :math:`\epsilon` (the convention of Eqs. 16 and 72).

Conventions fixed here (see ``docs/errata.md``): Eq. 8 carries the factor
:math:`1/(1+\lambda_2)` the paper drops; the test error is symmetric in ``b``
(:math:`E = \tfrac12(1-e^{\epsilon-|b|})` for :math:`|b|>\epsilon`), which Eq. 7 states for b > 0.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, special, stats

from ._laws import GrokTimeLawBase
from ._validation import MAX_SCALE, check_array, check_int, check_memory, check_real, finite_or_refuse

__all__ = [
    "eps_lambda",
    "xbar_lambda",
    "bias_trajectory",
    "test_error",
    "train_error",
    "t_eps",
    "t_train",
    "grokking_time",
    "xbar_density",
    "grok_probability",
    "grok_probability_n2",
    "joint_density",
    "joint_density_n2_eq72",
    "near_transition_amplitude",
    "mean_near_transition_amplitude",
    "GrokTimeLaw",
]

Array = NDArray[np.float64]


def _params(eps: ArrayLike, lam1: ArrayLike, lam2: ArrayLike) -> tuple[Array, Array, Array]:
    return (check_array("eps", eps, 0.0, MAX_SCALE),
            check_array("lam1", lam1, 0.0, MAX_SCALE),
            check_array("lam2", lam2, 0.0, MAX_SCALE))


def eps_lambda(eps: ArrayLike, lam1: ArrayLike = 0.0, lam2: ArrayLike = 0.0) -> Array:
    r"""Effective gap :math:`\epsilon_\lambda = \epsilon(1+\lambda_2) + \lambda_1` (Eq. 10).

    L2 regularisation acts multiplicatively on the gap, L1 additively.
    """
    e, l1, l2 = _params(eps, lam1, lam2)
    return e * (1.0 + l2) + l1


def xbar_lambda(xbar: ArrayLike, lam1: ArrayLike = 0.0, lam2: ArrayLike = 0.0,
                branch: int = +1) -> Array:
    r"""Fixed point of the flow on one branch (Eq. 6):
    :math:`\bar x_\lambda = (\bar x \mp \lambda_1)/(1+\lambda_2)` for ``branch=+1`` (b >= 0) / ``-1`` (b < 0)."""
    x = check_array("xbar", xbar)
    _, l1, l2 = _params(0.0, lam1, lam2)
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
    _, l1, l2 = _params(0.0, lam1, lam2)
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
    e, l1, l2 = _params(eps, lam1, lam2)
    b0 = check_array("b0", b0)
    xl = xbar_lambda(xbar, l1, l2, +1)
    with np.errstate(divide="ignore", invalid="ignore"):
        val = np.log((b0 - xl) / (e - xl)) / (1.0 + l2)
    return np.where(b0 <= e, 0.0, np.where(xl < e, val, np.inf))


def t_train(xbar: ArrayLike, b0: ArrayLike, eps: ArrayLike, x_min: ArrayLike,
            lam1: ArrayLike = 0.0, lam2: ArrayLike = 0.0) -> Array:
    r"""Time at which b(t) crosses the smallest positive sample :math:`\epsilon + x_{\min}`
    (the training error's last step when the negatives are never misclassified)."""
    e, l1, l2 = _params(eps, lam1, lam2)
    xm = check_array("x_min", x_min, 0.0)
    return t_eps(xbar, b0, e + xm, l1, l2)


def grokking_time(xbar: ArrayLike, x_min: ArrayLike, eps: ArrayLike,
                  lam1: ArrayLike = 0.0, lam2: ArrayLike = 0.0) -> Array:
    r"""Grokking time (Eq. 16),
    :math:`t_G = \frac{1}{1+\lambda_2}\log\frac{\epsilon + x_{\min} - \bar x_\lambda}{\epsilon - \bar x_\lambda}`,
    independent of :math:`b_0` as long as :math:`b_0 > \epsilon + x_{\min}`; ``inf`` if the
    trajectory never reaches :math:`\epsilon`."""
    e, l1, l2 = _params(eps, lam1, lam2)
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


# ---------------------------------------------------------------------------
# Joint law of (x-bar, x_min) (app. A) and the grokking-time law.

def _log_fy_coefficients(N: int) -> tuple[Array, Array, Array, Array]:
    """Log-coefficients and powers of the two finite sums of :func:`_log_fy` (N >= 2)."""
    norm = special.gammaln(N - 1) + special.gammaln(N)
    k = np.arange(N - 1)
    n = N - 2
    c_pos = (special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
             + special.gammaln(N + k) - (N + k) * np.log(2.0) - norm)
    k2 = np.arange(N)
    n2 = N - 1
    c_neg = (special.gammaln(n2 + 1) - special.gammaln(k2 + 1) - special.gammaln(n2 - k2 + 1)
             + special.gammaln(N - 1 + k2) - (N - 1 + k2) * np.log(2.0) - norm)
    return c_pos, (n - k).astype(float), c_neg, (n2 - k2).astype(float)


def _log_fy(y: Array, N: int) -> Array:
    r"""log density of :math:`Y = \Gamma(N-1,1) - \Gamma(N,1)` (the sum of the N-1 excesses of
    the positive samples over their minimum, minus the sum of the negatives), N >= 2:

    .. math:: f_Y(y) = \frac{e^{-|y|}}{\Gamma(N-1)\Gamma(N)} \sum_k \binom{n}{k} |y|^{n-k}
              \frac{\Gamma(m+k)}{2^{m+k}}

    with (n, m) = (N-2, N) for y >= 0 and (N-1, N-1) for y < 0 (finite sums of Gamma
    integrals, derived in app. A's way; all terms positive). Evaluated in log space.
    """
    y = np.asarray(y, dtype=float)
    c_pos, p_pos, c_neg, p_neg = _log_fy_coefficients(N)
    out = np.empty(y.shape)
    flat_y, flat_out = y.reshape(-1), out.reshape(-1)
    for mask, c, pw in ((flat_y >= 0, c_pos, p_pos), (flat_y < 0, c_neg, p_neg)):
        ay = np.abs(flat_y[mask])
        with np.errstate(divide="ignore"):
            la = np.log(ay)[:, None]
        terms = c + np.where(pw > 0, pw * np.where(np.isfinite(la), la, 0.0), 0.0)
        terms = np.where((pw > 0) & ~np.isfinite(la), -np.inf, terms)
        mx = terms.max(axis=1, keepdims=True)
        flat_out[mask] = (mx[:, 0] + np.log(np.exp(terms - mx).sum(axis=1))) - ay
    return out


def _fy(y: ArrayLike, N: int) -> Array:
    y = np.asarray(y, dtype=float)
    if N == 1:  # Y = -Exp(1)
        return np.where(y < 0, np.exp(np.minimum(y, 0.0)), 0.0)
    if N > 60:  # the polynomial's powers could overflow: log space
        return np.exp(_log_fy(y, N))
    # f_Y(y) = P_(+/-)(|y|) e^{-|y|} with P a polynomial of positive coefficients (see _log_fy):
    # Horner's rule, a few multiply-adds per point
    c_pos, p_pos, c_neg, p_neg = _log_fy_coefficients(N)
    ay = np.abs(y)
    pos = np.zeros_like(ay)
    for c in np.exp(c_pos[np.argsort(-p_pos)]):  # highest power first
        pos = pos * ay + c
    neg = np.zeros_like(ay)
    for c in np.exp(c_neg[np.argsort(-p_neg)]):
        neg = neg * ay + c
    return np.where(y >= 0, pos, neg) * np.exp(-ay)


def joint_density(xbar: ArrayLike, x_min: ArrayLike, N: int) -> Array:
    r"""Joint density of :math:`(\bar x, x_{\min})` for any N (app. A, Eqs. 69-74).

    With :math:`x_{\min} = m \sim \mathrm{Exp}(\text{rate }N)` and, independently, the excesses
    of the other positives and the negatives, :math:`\bar x = m/2 + Y/(2N)`, so
    :math:`P(\bar x, m) = N e^{-Nm}\,2N\,f_Y(2N\bar x - Nm)` for :math:`m \ge 0`.
    """
    N = check_int("N", N, 1)
    x = check_array("xbar", xbar)
    m = check_array("x_min", x_min)
    y = 2.0 * N * x - N * m
    return np.where(m >= 0, 2.0 * N * N * np.exp(-N * np.maximum(m, 0.0)) * _fy(y, N), 0.0)


def joint_density_n2_eq72(xbar: ArrayLike, x_min: ArrayLike) -> Array:
    r"""Eq. 72 as printed (N = 2):
    :math:`2e^{-4\bar x}\Theta(2\bar x - x_{\min}) - 2e^{4\bar x-4x_{\min}}(8\bar x - 4x_{\min} - 1)\Theta(x_{\min}-2\bar x)`,
    for :math:`x_{\min} \ge 0`. Agrees with :func:`joint_density` at N = 2 (tested)."""
    x = check_array("xbar", xbar)
    m = check_array("x_min", x_min)
    val = np.where(2 * x >= m, 2.0 * np.exp(-4.0 * x),
                   -2.0 * np.exp(4.0 * x - 4.0 * m) * (8.0 * x - 4.0 * m - 1.0))
    return np.where(m >= 0, val, 0.0)


def near_transition_amplitude(xbar: ArrayLike, eps: ArrayLike, lam1: ArrayLike = 0.0,
                              lam2: ArrayLike = 0.0) -> Array:
    r"""Per-run slope of the test error just before :math:`t_\epsilon` (Eq. 9):
    :math:`E \approx \tfrac12(\epsilon - \bar x_\lambda)(1+\lambda_2)(t_\epsilon - t)`, so ν = 1."""
    e, l1, l2 = _params(eps, lam1, lam2)
    return 0.5 * (e - xbar_lambda(xbar, l1, l2, +1)) * (1.0 + l2)


def mean_near_transition_amplitude(eps: ArrayLike, lam1: ArrayLike = 0.0, lam2: ArrayLike = 0.0) -> Array:
    r"""Slope of the aligned average over grokking runs (Eq. 10):
    :math:`\langle\langle E\rangle\rangle \approx (\epsilon_\lambda/2)(t_\epsilon - t)` (the
    conditional mean of :math:`\bar x` given :math:`|\bar x| < \epsilon_\lambda` is 0 by symmetry)."""
    return 0.5 * eps_lambda(eps, lam1, lam2)


_GL16_X, _GL16_W = np.polynomial.legendre.leggauss(24)


class GrokTimeLaw(GrokTimeLawBase):
    r"""Law of the grokking time :math:`t_G` (Eq. 16) over training sets that grok, for any N.

    Built from the joint law of :math:`(\bar x, x_{\min})` (app. A) and normalised by the
    grokking probability (Eq. 14). Writing :math:`x_{\min} = m`, :math:`\bar x = m/2 + Y/(2N)`
    with independent :math:`m \sim \mathrm{Exp}(N)` and :math:`Y`, and
    :math:`\kappa(t) = (e^{(1+\lambda_2)t}-1)/(1+\lambda_2)`, the event
    :math:`\{t_G \le t,\ |\bar x| < \epsilon_\lambda\}` is
    :math:`\{\max(0, -2\epsilon_\lambda - Y/N) < m \le M(Y,t)\}` with
    :math:`M = 2\kappa(\epsilon_\lambda - Y/2N)/(2+\kappa)`, so that

    .. math:: F(t) = \frac{1}{P_{\rm grok}}\int_{Y_c}^{2N\epsilon_\lambda} f_Y(Y)\,
              \bigl[e^{-N\max(0,-2\epsilon_\lambda-Y/N)} - e^{-N M(Y,t)}\bigr]\,dY,
              \qquad Y_c = -2N\epsilon_\lambda(1+\kappa),

    a finite integral evaluated with Gauss-Legendre nodes split at its kinks
    (vectorised over t); the pdf is its exact t-derivative. There is no atom.
    """

    def __init__(self, N: int, eps: float, lam1: float = 0.0, lam2: float = 0.0):
        self.N = check_int("N", N, 1)
        self.eps = check_real("eps", eps, 0.0, MAX_SCALE)
        self.lam1 = check_real("lam1", lam1, 0.0, MAX_SCALE)
        self.lam2 = check_real("lam2", lam2, 0.0, MAX_SCALE)
        # cdf/pdf evaluate 2048 times x 144 nodes x N terms at once (float64, ~3 arrays)
        check_memory(f"the 1D t_G law for N={self.N}", 2048 * 144 * 8 * 3 * float(self.N), "N")
        self.eps_lambda = float(eps_lambda(self.eps, self.lam1, self.lam2))
        if self.eps_lambda <= 0:
            raise ValueError("eps_lambda = eps(1+lam2)+lam1 must be > 0 for a grokking-time law "
                             "(with eps = lam1 = 0 no training set groks)")
        self.p_grok = float(grok_probability(self.N, self.eps, self.lam1, self.lam2))
        if self.p_grok <= 0:
            raise ValueError(f"the grokking probability is 0 for N={N}, eps_lambda={self.eps_lambda}")
        self.atom = None
        # Y >= -Gamma(N,1) and Y <= Gamma(N-1,1): tails beyond these quantiles are negligible.
        self._y_lo = -float(stats.gamma(N).isf(1e-17))
        self._y_hi = float(stats.gamma(N - 1).isf(1e-17)) if N > 1 else 0.0

    def _kappa(self, t: Array) -> Array:
        k = 1.0 + self.lam2
        return np.expm1(k * np.minimum(t, 700.0 / k)) / k

    def _pieces(self, t: Array) -> tuple[Array, Array]:
        """Y nodes (..., n) and weights over [Y_c, 2N eps_l] (clipped to where f_Y is not
        negligible), split at the kinks -2N eps_l and 0 and around the bulk of f_Y."""
        N, el = self.N, self.eps_lambda
        kap = self._kappa(t)
        lo = np.maximum(-2.0 * N * el * (1.0 + kap), self._y_lo)
        hi = np.full_like(lo, min(2.0 * N * el, self._y_hi))
        mu, sd = -1.0, np.sqrt(2.0 * N - 1.0)
        extra = np.array([-2.0 * N * el, 0.0, mu - 8 * sd, mu - 3 * sd, mu - sd, mu + sd,
                          mu + 3 * sd, mu + 8 * sd])
        cuts = np.concatenate([lo[..., None], np.broadcast_to(extra, lo.shape + extra.shape),
                               hi[..., None]], axis=-1)
        cuts = np.sort(np.clip(cuts, lo[..., None], hi[..., None]), axis=-1)
        a, b = cuts[..., :-1, None], cuts[..., 1:, None]
        Y = 0.5 * (a + b) + 0.5 * (b - a) * _GL16_X
        W = 0.5 * (b - a) * _GL16_W
        shape = Y.shape[:-2] + (-1,)
        return Y.reshape(shape), W.reshape(shape)

    def _validate_t(self, t: ArrayLike) -> Array:
        t = np.asarray(t, dtype=float)
        if np.any(np.isnan(t)):
            raise ValueError("t must not contain NaN")
        return t

    def _chunked(self, fn, t: Array) -> Array:
        flat = t.reshape(-1)
        out = np.empty(flat.shape)
        for i in range(0, flat.size, 2048):  # bounded memory: 2048 x nodes x N
            out[i:i + 2048] = fn(flat[i:i + 2048])
        return out.reshape(t.shape)

    def _integrand_parts(self, t: Array) -> tuple[Array, Array, Array, Array, Array]:
        """Nodes Y, weights W, the bounds lo(Y) < m <= M(Y, t) of the event, and dM/dt."""
        tt = np.clip(t, 0.0, 700.0 / (1.0 + self.lam2))
        N, el = self.N, self.eps_lambda
        Y, W = self._pieces(tt)
        c = el - Y / (2 * N)
        k = 1.0 + self.lam2
        q = np.exp(-k * tt)[..., None]            # overflow-free form of kappa and d kappa/dt
        denom = 2.0 * q + (1.0 - q) / k           # = (2 + kappa) e^{-kt}
        M = 2.0 * c * ((1.0 - q) / k) / denom
        dM = 4.0 * c * q / denom**2
        lo = np.maximum(0.0, -2.0 * el - Y / N)
        return Y, W, lo, M, dM

    def cdf(self, t: ArrayLike) -> Array:
        t = self._validate_t(t)
        if t.size > 2048:
            return self._chunked(self.cdf, t)
        Y, W, lo, M, _ = self._integrand_parts(t)
        integrand = _fy(Y, self.N) * np.clip(np.exp(-self.N * lo) - np.exp(-self.N * M), 0.0, None)
        val = np.sum(W * integrand, axis=-1) / self.p_grok
        return np.where(t <= 0, 0.0, np.clip(val, 0.0, 1.0))

    def pdf(self, t: ArrayLike) -> Array:
        t = self._validate_t(t)
        if t.size > 2048:
            return self._chunked(self.pdf, t)
        Y, W, lo, M, dM = self._integrand_parts(t)
        integrand = np.where(M > lo, _fy(Y, self.N) * self.N * np.exp(-self.N * M) * dM, 0.0)
        val = np.sum(W * integrand, axis=-1) / self.p_grok
        return np.where(t < 0, 0.0, val)

    def _quantile_bracket(self) -> tuple[float, float]:
        hi = 1.0
        while self.cdf(hi) < 1.0 - 1e-10 and hi < 1e4:
            hi *= 2.0
        return 1e-9, hi

    def mean(self) -> float:
        """Mean of the law; ``ValueError`` (never NaN/inf) outside the supported range."""
        return float(finite_or_refuse("the mean of the t_G law", super().mean(),
                                      f"N={self.N}, eps={self.eps}, lam1={self.lam1}, lam2={self.lam2}"))

    def __repr__(self) -> str:
        return (f"exponential.GrokTimeLaw(N={self.N}, eps={self.eps}, lam1={self.lam1}, "
                f"lam2={self.lam2}; P_grok={self.p_grok:.4g})")

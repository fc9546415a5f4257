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
from scipy import special, stats

from ._exp_core import (bias_trajectory, eps_lambda, grok_probability, grok_probability_n2, grokking_time,
                        mean_near_transition_amplitude, near_transition_amplitude, t_eps, t_train,
                        test_error, train_error, xbar_density, xbar_lambda)
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

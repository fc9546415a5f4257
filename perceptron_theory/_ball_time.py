r"""The ball model's zeroth-order grokking-time law (sec. 3.3.3, Eqs. 40-47), with the
corrected slow-branch atom as the default (docs/errata.md). Re-exported as
:class:`perceptron_theory.ball.GrokTimeLaw`."""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, special, stats

from ._ball_common import lambda_D
from ._laws import GrokTimeLawBase
from ._validation import MAX_SCALE, check_array, check_int, check_real, finite_or_refuse

__all__ = ["GrokTimeLaw"]

Array = NDArray[np.float64]


_LAW_MAX_EPS = 1e3  # beyond, the zeroth-order law's moments overflow (refused, not inf)


class GrokTimeLaw(GrokTimeLawBase):
    r"""Zeroth-order grokking-time law of the ball model (Eqs. 40-47), λ1 = 0.

    Fast branch (taken when :math:`r = \|w_\perp(0)\|^2 \le 1 - 1/\epsilon^2`, Eq. 40;
    :math:`r \sim \chi^2_{D-1}` for Normal(0,1) initial weights):
    :math:`t_G = \epsilon^{-2}\ln[(1-\sqrt r)/(1 - c\sqrt r)]`, :math:`c = \epsilon/\sqrt{\epsilon^2-1}`
    (Eq. 42), density :math:`\chi^2_{D-1}(r(t))\,r'(t)` (Eqs. 43-44), mass
    :math:`p_{\rm fast} = F_{\chi^2_{D-1}}(1-1/\epsilon^2)` (Eq. 45). Slow branch: an atom of
    weight :math:`1-p_{\rm fast}` (Eq. 46) at

    * ``atom="consistent"`` (default): :math:`t^* = \ln[\epsilon^2/(\epsilon^2-1)]/(2\lambda_{2,D})`,
      where the paper's own zeroth-order dynamics (Eqs. 38-39) with its own thresholds
      :math:`\xi_{\rm train} = 1/\sqrt{1+\epsilon^2}` (Eqs. 34, 37) and :math:`\xi_{\rm test} = 1/\epsilon`
      put every start with :math:`\|w_\perp(0)\| \ge 1`;
    * ``atom="printed"`` (``"eq47"`` is an alias): Eq. 47 as printed,
      :math:`\ln[\epsilon^4/(\epsilon^4-1)]/(2\lambda_{2,D})`, which follows from assuming
      :math:`\|w\| = 1` at both thresholds (true at the test threshold only; at the training
      threshold :math:`\|w\| = \sqrt{1+\epsilon^2}/\epsilon`). See ``docs/errata.md``.

    No N dependence at this order; derived for :math:`\lambda_{2,D} \ll 1`. The law describes
    replicas that do not generalise at initialisation (the zeroth-order argument starts
    below both thresholds).

    Examples
    --------
    >>> law = GrokTimeLaw(D=5, eps=2.0, lam2=0.01)
    >>> round(law.t_atom, 3), round(GrokTimeLaw(5, 2.0, 0.01, atom="printed").t_atom, 3)
    (0.941, 0.211)
    >>> round(law.median(), 3), law.rvs(3, random_state=0).shape
    (0.941, (3,))
    """

    def __init__(self, D: int, eps: float, lam2: float = 0.0, atom: str = "consistent"):
        self.D = check_int("D", D, 2)
        self.eps = check_real("eps", eps, 1.0, _LAW_MAX_EPS, lo_open=True)
        self.lam2 = check_real("lam2", lam2, 0.0, MAX_SCALE)
        if atom not in ("consistent", "printed", "eq47"):
            raise ValueError(f"atom must be 'consistent' or 'printed' (alias 'eq47'), got {atom!r}")
        self.atom_rule = "printed" if atom == "eq47" else atom
        self.lam_D = float(lambda_D(self.D, self.lam2))
        self.c = self.eps / np.sqrt(self.eps**2 - 1.0)
        self.p_fast = float(stats.chi2.cdf(1.0 - 1.0 / self.eps**2, self.D - 1))
        ep = self.eps**4 if self.atom_rule == "printed" else self.eps**2
        self.t_atom = float(np.log(ep / (ep - 1.0)) / (2.0 * self.lam_D))
        self.atom = (self.t_atom, 1.0 - self.p_fast)

    def atom_choices(self) -> dict[str, dict[str, object]]:
        """Both slow-branch atoms, labelled: the corrected one (the default) and Eq. 47 as printed.

        Returns
        -------
        dict
            ``{"consistent": {...}, "printed": {...}}``, each with ``location``, ``weight``
            (:math:`1 - p_{\rm fast}`, Eq. 46, the same for both), ``label`` and ``default``
            (whether this law uses it).

        Examples
        --------
        >>> ch = GrokTimeLaw(D=5, eps=2.0, lam2=0.01).atom_choices()
        >>> round(ch["consistent"]["location"], 3), round(ch["printed"]["location"], 3), ch["printed"]["default"]
        (0.941, 0.211, False)
        """
        out = {}
        for rule, power, label in (("consistent", 2, "corrected (default): ln[eps^2/(eps^2-1)]/(2 lam_D)"),
                                   ("printed", 4, "Eq. 47 as printed: ln[eps^4/(eps^4-1)]/(2 lam_D)")):
            ep = self.eps ** power
            out[rule] = {"location": float(np.log(ep / (ep - 1.0)) / (2.0 * self.lam_D)),
                         "weight": 1.0 - self.p_fast, "label": label, "default": rule == self.atom_rule}
        return out

    def fast_time(self, r: ArrayLike) -> Array:
        """Eq. 42: the fast-branch grokking time for :math:`r = \\|w_\\perp(0)\\|^2` (inf off the branch)."""
        r = check_array("r", r, 0.0)
        sr = np.sqrt(r)
        with np.errstate(divide="ignore", invalid="ignore"):
            val = np.log((1.0 - sr) / (1.0 - self.c * sr)) / self.eps**2
        return np.where(self.c * sr < 1.0, val, np.inf)

    def r_of_t(self, t: ArrayLike) -> Array:
        """Eq. 44: the inverse of Eq. 42, :math:`\\sqrt r = (e^{t\\epsilon^2}-1)/(c e^{t\\epsilon^2}-1)`."""
        t = np.maximum(np.asarray(t, dtype=float), 0.0)
        q = np.exp(-t * self.eps**2)
        return ((1.0 - q) / (self.c - q)) ** 2

    def pdf(self, t: ArrayLike) -> Array:
        t = np.asarray(t, dtype=float)
        if np.any(np.isnan(t)):
            raise ValueError("t must not contain NaN")
        tt = np.maximum(t, 0.0)
        q = np.exp(-tt * self.eps**2)
        sr = (1.0 - q) / (self.c - q)
        dsr = self.eps**2 * q * (self.c - 1.0) / (self.c - q) ** 2
        r = sr * sr
        with np.errstate(divide="ignore", invalid="ignore"):
            dens = stats.chi2.pdf(r, self.D - 1) * 2.0 * sr * dsr
        dens = np.where(r > 0, dens, 0.0) if self.D > 3 else dens
        return np.where(t > 0, np.nan_to_num(dens, nan=0.0, posinf=0.0), 0.0)

    def cdf(self, t: ArrayLike) -> Array:
        t = np.asarray(t, dtype=float)
        if np.any(np.isnan(t)):
            raise ValueError("t must not contain NaN")
        cont = np.where(t > 0, stats.chi2.cdf(self.r_of_t(t), self.D - 1), 0.0)
        return cont + (1.0 - self.p_fast) * (t >= self.t_atom)

    def _moment(self, k: int) -> float:
        # E[t^k] = int_0^{1/c^2} t(r)^k chi2_{D-1}(r) dr + t*^k (1 - p_fast), t(r) = Eq. 42:
        # one adaptive quadrature in r (log singularity at r = 1/c^2, where Eq. 42 diverges)
        h = (self.D - 1) / 2.0
        lognorm = h * np.log(2.0) + special.gammaln(h)
        e2, c = self.eps**2, self.c

        def f(r: float) -> float:
            sr = np.sqrt(r)
            t = np.log((1.0 - sr) / (1.0 - c * sr)) / e2
            return t**k * np.exp((h - 1.0) * np.log(r) - r / 2.0 - lognorm) if r > 0 else 0.0

        cont = integrate.quad(f, 0.0, 1.0 / c**2, limit=200, epsabs=0.0, epsrel=1e-10)[0]
        return float(cont + self.t_atom**k * self.atom[1])

    def _continuous_ppf(self, u: Array) -> Array:
        # exact inverse of chi2.cdf(r(t)): r = chi2.ppf(u), t = Eq. 42 (inf at u = p_fast)
        r = stats.chi2.ppf(np.clip(u, 0.0, self.p_fast), self.D - 1)
        return np.where(u >= self.p_fast, np.inf, self.fast_time(np.minimum(r, 1.0 / self.c**2)))

    def _quantile_bracket(self) -> tuple[float, float]:
        # the fast branch's cdf reaches p_fast only as t -> inf; r(t) approaches 1/c^2 like e^{-eps^2 t}
        return 1e-9, 60.0 / self.eps**2

    def mean(self) -> float:
        """Mean of the law; ``ValueError`` (never NaN/inf) outside the supported range."""
        return float(finite_or_refuse("the mean of the t_G law", super().mean(),
                                      f"D={self.D}, eps={self.eps}, lam2={self.lam2}"))

    def __repr__(self) -> str:
        return (f"ball.GrokTimeLaw(D={self.D}, eps={self.eps}, lam2={self.lam2}, atom={self.atom_rule!r}; "
                f"p_fast={self.p_fast:.4g}, atom at t={self.t_atom:.4g})")

r"""The divergence of the linear estimator's grokking time as λ → 1: two fitted forms and their comparison.

Levi, Beck & Bar-Sinai (ICLR 2024, arXiv:2310.16441), Eq. 12 and sec. 3.1.3: with :math:`c = 1 - \sqrt\lambda`
(the lower Marchenko-Pastur edge is :math:`c^2`),

* pure power law: :math:`\Delta t = A\,c^{-\beta}`;
* the paper's log-corrected form: :math:`\Delta t = A\,c^{-\beta}\log(1/c)` (Eq. 12: :math:`\beta = 2`,
  :math:`A = 1/(2\eta_0)`).

Both have two parameters, so their AIC difference is their χ² difference. Fits are weighted least squares
in :math:`\log\Delta t` (``scipy.optimize.least_squares``) with weights from the s.e. of the log mean; the
parameter s.e. come from the Jacobian, scaled by :math:`\sqrt{\chi^2/\mathrm{dof}}` when that exceeds 1.
:func:`bootstrap_exponent` adds a percentile CI over seeds (``scipy.stats.bootstrap``, seeds resampled
within each λ). The unweighted pure-law slope equals :func:`comparison.estimate.powerlaw.fit_power_law`'s.

Examples
--------
>>> import numpy as np
>>> c = np.geomspace(0.3, 0.03, 6)
>>> f = fit_divergence(c, 50.0 * c ** -2 * np.log(1 / c), "log")
>>> round(f.beta, 6), round(f.amplitude, 6)
(2.0, 50.0)
>>> round(fit_divergence(c, 3.0 * c ** -1.5, "power").beta, 6)
1.5
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..errors import FitError

__all__ = ["DivergenceFit", "FORMS", "fit_divergence", "compare_forms", "bootstrap_exponent", "divergence_model"]

FORMS = ("power", "log")


@dataclass(frozen=True)
class DivergenceFit:
    """One fitted form: ``form``, ``beta`` ± ``beta_se``, ``amplitude`` ± ``amplitude_se``, weighted
    ``chi2`` with ``dof``, ``aic`` (χ² + 2k with known s.e., else n log(RSS/n) + 2k), ``n`` points."""

    form: str
    beta: float
    beta_se: float
    amplitude: float
    amplitude_se: float
    chi2: float
    dof: int
    aic: float
    n: int

    def as_dict(self) -> dict[str, Any]:
        return {k: (float(v) if isinstance(v, float) and math.isfinite(v) else v) for k, v in asdict(self).items()}


def divergence_model(c: ArrayLike, beta: float, amplitude: float, form: str) -> np.ndarray:
    """:math:`A c^{-\\beta}` (``"power"``) or :math:`A c^{-\\beta}\\log(1/c)` (``"log"``), 0 < c < 1.

    >>> round(float(divergence_model(np.array([0.1]), 2.0, 1.0, "power")[0]), 9)
    100.0
    """
    c = np.asarray(c, dtype=float)
    base = amplitude * c ** (-beta)
    return base * np.log(1.0 / c) if form == "log" else base


def _check(c: np.ndarray, y: np.ndarray, form: str) -> None:
    if form not in FORMS:
        raise ValueError(f"form must be one of {', '.join(FORMS)}, got {form!r}")
    if c.size < 3 or c.shape != y.shape:
        raise FitError(f"need at least 3 (c, dt) pairs of equal length, got {c.size} and {y.size}")
    if not (np.all((c > 0) & (c < 1)) and np.all(y > 0) and np.all(np.isfinite(y))):
        raise FitError("c must lie in (0, 1) and dt be finite and positive")


def fit_divergence(c: ArrayLike, dt: ArrayLike, form: str, dt_se: ArrayLike | None = None) -> DivergenceFit:
    """Weighted least-squares fit of ``form`` (see the module docstring) to ``dt`` at ``c = 1 - sqrt(lam)``.

    ``dt_se``: s.e. of each ``dt`` (None: unit weights in log dt, then χ² is the residual sum of squares).
    """
    from scipy.optimize import least_squares

    c, y = np.asarray(c, dtype=float), np.asarray(dt, dtype=float)
    _check(c, y, form)
    sig = np.ones_like(y) if dt_se is None else np.asarray(dt_se, dtype=float) / y
    if np.any(~np.isfinite(sig)) or np.any(sig <= 0):
        raise FitError("dt_se must be finite and positive")
    lc, ly = np.log(c), np.log(y)
    extra = np.log(np.log(1.0 / c)) if form == "log" else 0.0

    def resid(p: np.ndarray) -> np.ndarray:
        return (p[0] - p[1] * lc + extra - ly) / sig

    sol = least_squares(resid, x0=np.array([ly.mean(), 2.0]), method="lm", xtol=1e-15, ftol=1e-15)
    chi2, dof = float(np.sum(sol.fun ** 2)), c.size - 2
    cov = np.linalg.pinv(sol.jac.T @ sol.jac)
    if dt_se is None or chi2 / max(dof, 1) > 1:
        cov = cov * chi2 / max(dof, 1)
    la, beta = float(sol.x[0]), float(sol.x[1])
    se_la, se_b = (float(math.sqrt(max(cov[i, i], 0.0))) for i in (0, 1))
    # known s.e.: AIC = chi2 + 2k; unit weights: the Gaussian AIC n log(RSS/n) + 2k
    aic = chi2 + 4.0 if dt_se is not None else c.size * math.log(max(chi2, 1e-300) / c.size) + 4.0
    return DivergenceFit(form, beta, se_b, math.exp(la), math.exp(la) * se_la, chi2, dof, aic, c.size)


def compare_forms(c: ArrayLike, dt: ArrayLike, dt_se: ArrayLike | None = None) -> dict[str, Any]:
    """Both forms fitted, with ``delta_aic = AIC(power) - AIC(log)`` (> 0 favours the log form),
    the Akaike weight of the log form, and ``preferred`` (the lower AIC; "neither" when |ΔAIC| < 2).

    >>> c = np.geomspace(0.3, 0.03, 6)
    >>> compare_forms(c, c ** -2 * np.log(1 / c) * (1 + 0.01 * np.cos(7 * c)))["preferred"]
    'log'
    """
    fits = {f: fit_divergence(c, dt, f, dt_se) for f in FORMS}
    d = fits["power"].aic - fits["log"].aic
    pref = "neither" if abs(d) < 2 else ("log" if d > 0 else "power")
    w_log = 1.0 / (1.0 + math.exp(-0.5 * d)) if abs(d) < 1400 else float(d > 0)
    return {"power": fits["power"], "log": fits["log"], "delta_aic": float(d), "weight_log": float(w_log),
            "preferred": pref}


def bootstrap_exponent(c: Sequence[float], samples: Sequence[ArrayLike], form: str, *, n_resamples: int = 200,
                       confidence: float = 0.95, seed: int) -> tuple[float, float]:
    """Percentile CI of the fitted ``beta`` when the runs (seeds) at each ``c`` are resampled.

    ``samples[i]`` are the per-run Δt at ``c[i]``; each resample fits the means weighted by their s.e.
    (``scipy.stats.bootstrap``, independent resampling per λ).

    >>> rng = np.random.default_rng(0)
    >>> c = np.geomspace(0.3, 0.05, 4)
    >>> runs = [c_ ** -1.5 * rng.lognormal(0, 0.1, 8) for c_ in c]
    >>> lo, hi = bootstrap_exponent(c, runs, "power", n_resamples=99, seed=1)
    >>> bool(lo < 1.5 < hi)
    True
    """
    from scipy.stats import bootstrap

    c = np.asarray(c, dtype=float)
    data = tuple(np.asarray(s, dtype=float) for s in samples)
    if len(data) != c.size or any(d.size < 2 for d in data):
        raise FitError("samples must give at least 2 runs for every c")

    def stat(*xs: np.ndarray) -> float:
        m = np.array([x.mean() for x in xs])
        # a resample of identical runs has s.e. 0: floor it at 0.1 % so one point cannot take all the weight
        se = np.array([max(x.std(ddof=1) / math.sqrt(x.size), 1e-3 * x.mean()) for x in xs])
        return fit_divergence(c, m, form, se).beta

    res = bootstrap(data, stat, n_resamples=n_resamples, confidence_level=confidence, method="percentile",
                    vectorized=False, paired=False, random_state=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)

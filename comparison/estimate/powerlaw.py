"""Ordinary least-squares power laws in log-log coordinates (the core of the ν fit)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import FitError

__all__ = ["fit_power_law", "slopes_batch", "PowerLawLine", "sensitivity_windows"]


@dataclass(frozen=True)
class PowerLawLine:
    slope: float
    intercept: float
    slope_se: float
    r2: float
    rmse: float
    n: int


def fit_power_law(x: ArrayLike, y: ArrayLike) -> "PowerLawLine":
    """OLS fit of ``log y = c + slope · log x`` over the points with x, y > 0."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    lx, ly = np.log(x[ok]), np.log(y[ok])
    n = lx.size
    if n < 3:
        raise FitError(f"need at least 3 positive points for a power-law fit, got {n}")
    xm, ym = lx.mean(), ly.mean()
    sxx = np.sum((lx - xm) ** 2)
    if sxx <= 0:
        raise FitError("all fit points have the same tau; the window is degenerate")
    slope = float(np.sum((lx - xm) * (ly - ym)) / sxx)
    intercept = float(ym - slope * xm)
    resid = ly - (intercept + slope * lx)
    ss_res = float(np.sum(resid ** 2))
    ss_tot = float(np.sum((ly - ym) ** 2))
    se = float(np.sqrt(ss_res / max(n - 2, 1) / sxx))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    return PowerLawLine(slope, intercept, se, r2, float(np.sqrt(ss_res / n)), n)


def slopes_batch(lx: NDArray[np.float64], LY: NDArray[np.float64]) -> NDArray[np.float64]:
    """Row-wise OLS slopes of ``LY[b] ~ lx`` ignoring NaNs."""
    ok = np.isfinite(LY)
    X = np.where(ok, lx[None, :], 0.0)
    n = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        xm = X.sum(axis=1) / n
        ym = np.where(ok, LY, 0.0).sum(axis=1) / n
        dx = np.where(ok, lx[None, :] - xm[:, None], 0.0)
        dy = np.where(ok, LY - ym[:, None], 0.0)
        s = (dx * dy).sum(axis=1) / (dx * dx).sum(axis=1)
    s[n < 3] = np.nan
    return s


def sensitivity_windows(lo: float, hi: float, *, floor: float = 0.0) -> list[tuple[float, float, float, float]]:
    """The shifted and widened windows of the window-sensitivity check:
    ``(tau_lo, tau_hi, lo_factor, width_factor)`` for τ_lo × {1/2, 1, 2, 4} and widths × {1/2, 1, 3/2},
    leaving out every window that starts below ``floor`` (the window rule's resolution floor: closer
    to t_ε the curves are not resolved, so a fit there measures the sampling, not the exponent).

    >>> [w[2] for w in sensitivity_windows(1.0, 10.0, floor=1.0)][::3]
    [1.0, 2.0, 4.0]
    >>> len(sensitivity_windows(1.0, 10.0))
    12
    """
    width = np.log10(hi / lo)
    lim = float(floor) * (1 - 1e-9) if np.isfinite(floor) else 0.0
    return [(lo * shift, lo * shift * 10 ** (width * wf), shift, wf)
            for shift in (0.5, 1.0, 2.0, 4.0) for wf in (0.5, 1.0, 1.5) if lo * shift >= lim]

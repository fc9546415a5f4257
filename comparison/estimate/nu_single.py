r"""ν from one run's own curve (a single-run estimate).

The most common log is one run. Its approach to zero error,
:math:`E(t) \simeq A\,(t_c - t)^\nu` (Eqs. 9-10, 23, 50, with the run's own
transition time in place of the aligned average's t_ε), is fitted directly:

* **t_c.** A t_ε read off the time grid only says that the true crossing lies
  between the last sample above zero and the first at zero. t_c is profiled
  over that interval (least squares of log E on log(t_c − t) at each of 41
  candidate values); an exact t_ε (a simulator's) is used as it is.
* **Window.** As for the aligned average (``NuFitter``): from ``floor_factor``
  × the last time step (or where E first reaches ``min_error_factor`` × the
  smallest non-zero error), up to ``width_decades`` decades, the τ where E first
  reaches half its maximum, or the first sample.
* **CI.** Block bootstrap over the curve points in the window
  (:func:`scipy.stats.bootstrap`, BCa when there are ≥ 10 blocks, else
  percentile): the window's points, in τ order, are cut into contiguous blocks
  (serially correlated residuals stay together), blocks are resampled with
  replacement, and each resample refits ν *with t_c profiled again*, so the
  interval includes the uncertainty of the crossing time.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from ..errors import FitError
from .powerlaw import fit_power_law

__all__ = ["SingleRunFit", "fit_single_run", "profile_fit"]

N_TC = 41


def profile_fit(t: NDArray[np.float64], logE: NDArray[np.float64], tc_grid: NDArray[np.float64],
                w: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Weighted OLS slope of log E on log(t_c − t), minimised over ``tc_grid``.

    ``w`` has shape (B, n) (B weight vectors); returns (slope, t_c) per row.
    """
    lx = np.log(tc_grid[:, None] - t[None, :])  # (K, n)
    W = w[:, None, :]  # (B, 1, n)
    sw = W.sum(axis=2)
    xm = (W * lx).sum(axis=2) / sw
    ym = (W * logE).sum(axis=2) / sw  # (B, 1)
    dx = lx[None] - xm[..., None]
    dy = logE - ym[..., None]
    sxx = (W * dx * dx).sum(axis=2)
    slope = (W * dx * dy).sum(axis=2) / sxx  # (B, K)
    rss = (W * (dy - slope[..., None] * dx) ** 2).sum(axis=2)
    k = np.argmin(rss, axis=1)
    b = np.arange(w.shape[0])
    return slope[b, k], tc_grid[k]


class SingleRunFit:
    """Result pieces of :func:`fit_single_run` (attributes mirror ``NuFitter``'s)."""

    def __init__(self, **kw: Any):
        self.__dict__.update(kw)


def _window(tau: NDArray[np.float64], E: NDArray[np.float64], dt: float, p: dict[str, Any]) -> tuple[float, float, str]:
    if p.get("window") is not None:
        lo, hi = map(float, p["window"])
        return lo, hi, "explicit window"
    lo = p["floor_factor"] * dt
    why = f"{p['floor_factor']:g} x the run's last time step before t_eps ({dt:.3g})"
    q = float(np.min(E)) if E.size else np.nan
    f = p["min_error_factor"]
    if f > 0 and np.isfinite(q) and q > 0:
        order = np.argsort(tau)
        above = np.nonzero(E[order] >= f * q)[0]
        if above.size and tau[order][above[0]] > lo:
            lo = float(tau[order][above[0]])
            why = f"the error reaches {f:g} x the run's smallest non-zero error ({q:.3g})"
    ok = tau >= lo
    if not ok.any():
        raise FitError(f"no curve points above the resolution floor tau >= {lo:.3g}")
    peak = float(E[ok].max())
    half = tau[ok & (E >= 0.5 * peak)]
    caps = {lo * 10 ** p["width_decades"]: f"{p['width_decades']:g} decade(s) above tau_lo",
            float(half.min()) if half.size else np.inf: "the error reaches half its maximum",
            float(tau.max()): "the first sample of the run"}
    hi = min(caps)
    return lo, hi, f"tau_lo set by: {why}; tau_hi set by: {caps[hi]}"


def _blocks(n: int) -> NDArray[np.int64]:
    nb = int(min(n, max(8, round(n ** (2 / 3)))))
    return (np.arange(n) * nb) // n


def fit_single_run(t: NDArray[np.float64], E: NDArray[np.float64], t_eps: float, *, tc_interval:
                   tuple[float, float] | None = None, n_boot: int = 999, ci: float = 0.95, random_state: int = 0,
                   floor_factor: float = 3.0, width_decades: float = 1.0, min_error_factor: float = 10.0,
                   min_points: int = 5, window: tuple[float, float] | None = None) -> SingleRunFit:
    """Fit ν on one run's approach to zero error (see the module docstring).

    Parameters
    ----------
    t, E : the run's times and test errors (any order; points at or after t_ε ignored).
    t_eps : the run's transition time.
    tc_interval : where the true crossing may lie (default: exactly ``t_eps``).
    n_boot, ci, random_state : block bootstrap (0 disables: OLS standard error).
    floor_factor, width_decades, min_error_factor, min_points, window : as for ``NuFitter``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(0, 10, 0.01); E = np.clip(0.02 * (7.005 - t), 0, None) ** 1.5
    >>> r = fit_single_run(t, E, 7.01, tc_interval=(7.0, 7.01), n_boot=0)
    >>> round(r.nu_, 2), r.t_c_ > 7.0
    (1.5, True)
    """
    t = np.asarray(t, float)
    E = np.asarray(E, float)
    before = (t < t_eps) & np.isfinite(E)
    if not before.any():
        raise FitError("the run has no sample before its t_eps (no approach to fit)")
    dt = float(t_eps - t[before].max())
    lo_c, hi_c = tc_interval if tc_interval is not None else (t_eps, t_eps)
    tc0 = 0.5 * (lo_c + hi_c)
    pos = before & (E > 0) & (t < lo_c)
    tp, Ep = t[pos], E[pos]
    p = dict(window=window, floor_factor=floor_factor, width_decades=width_decades,
             min_error_factor=min_error_factor)
    lo, hi, rule = _window(tc0 - tp, Ep, dt, p)
    tau0 = tc0 - tp
    sel = (tau0 >= lo * (1 - 1e-12)) & (tau0 <= hi * (1 + 1e-12))
    if sel.sum() < min_points:
        raise FitError(f"only {int(sel.sum())} curve points in the window [{lo:.3g}, {hi:.3g}] "
                         f"(need min_points={min_points}); the run is too coarsely logged near t_eps")
    order = np.argsort(tau0[sel])
    tw, lEw = tp[sel][order], np.log(Ep[sel][order])
    grid = np.linspace(lo_c, hi_c, N_TC) if hi_c > lo_c else np.array([tc0])
    nu, tc = profile_fit(tw, lEw, grid, np.ones((1, tw.size)))
    nu, tc = float(nu[0]), float(tc[0])
    line = fit_power_law(tc - tw, np.exp(lEw))
    half = tw.size // 2
    tau_w = tc - tw
    h1, h2 = fit_power_law(tau_w[: half + 1], np.exp(lEw[: half + 1])), fit_power_law(tau_w[half:], np.exp(lEw[half:]))
    gof = {"r2": line.r2, "rmse_log": line.rmse, "n_points": line.n, "nu_ols_se": line.slope_se,
           "max_abs_resid_log": float(np.max(np.abs(lEw - line.intercept - line.slope * np.log(tau_w)))),
           "nu_lower_half": h1.slope, "nu_lower_half_se": h1.slope_se,
           "nu_upper_half": h2.slope, "nu_upper_half_se": h2.slope_se}
    ci_lo, ci_hi, se, method, dist = _block_ci(tw, lEw, grid, nu, line.slope_se, n_boot, ci, random_state)
    return SingleRunFit(nu_=nu, t_c_=tc, amplitude_=float(np.exp(line.intercept)), nu_ci_=(ci_lo, ci_hi),
                        nu_se_=se, ci_method_=method, nu_boot_=dist, window_=(lo, hi), window_rule_=rule,
                        gof_=gof, time_step_=dt, tau_=tc - tp, error_=Ep, grid_=grid)


def _block_ci(tw: NDArray[np.float64], lEw: NDArray[np.float64], grid: NDArray[np.float64], nu: float,
              ols_se: float, n_boot: int, ci: float, seed: int) -> tuple[float, float, float, str, NDArray[np.float64]]:
    blocks = _blocks(tw.size)
    nb = int(blocks.max()) + 1
    if n_boot < 10:
        z = stats.norm.ppf(0.5 + ci / 2)
        return nu - z * ols_se, nu + z * ols_se, ols_se, "OLS standard error of the slope (no bootstrap)", np.empty(0)

    def statistic(ids: NDArray[Any], axis: int = -1) -> NDArray[np.float64]:
        ids = np.asarray(ids, dtype=np.int64)
        lead = ids.shape[:-1]
        flat = ids.reshape(-1, ids.shape[-1])
        counts = np.stack([np.bincount(r, minlength=nb) for r in flat]).astype(float)
        return profile_fit(tw, lEw, grid, counts[:, blocks])[0].reshape(lead)

    method = "BCa" if nb >= 10 else "percentile"
    res = stats.bootstrap((np.arange(nb),), statistic, n_resamples=int(n_boot), vectorized=True, method=method,
                          confidence_level=ci, rng=np.random.default_rng(seed), batch=200)
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if not (np.isfinite(lo) and np.isfinite(hi)) and method == "BCa":
        method = "percentile"
        res = stats.bootstrap((np.arange(nb),), statistic, n_resamples=int(n_boot), vectorized=True,
                              method=method, confidence_level=ci, rng=np.random.default_rng(seed), batch=200)
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    label = (f"{method} block bootstrap over curve points ({nb} blocks of ~{tw.size / nb:.1f} consecutive "
             f"points, {int(n_boot)} resamples; t_c refitted in each)")
    return lo, hi, float(res.standard_error), label, np.asarray(res.bootstrap_distribution, float)

r"""Quality of a ν fit: flags, fixed common windows, the local slope, jump runs.

A power law :math:`E \simeq A\tau^\nu` (Eqs. 9-10, 23, 50) is only a claim
when the data show it. Every ν carries the flags below (``QUALITY_RULES``);
any flag makes the fit *weak*:

* ``window < 1 decade`` — the fit window spans less than a decade of τ;
* ``< 8 points`` — fewer than 8 points in the window;
* ``R^2 < 0.98`` — the log-log line explains too little;
* ``half-window slopes differ`` — the slopes of the lower and upper halves of
  the window differ by more than 1.96 × the standard error of their difference
  (curvature: no single exponent);
* ``< 10 runs`` — fewer than 10 runs in the average (a single run included);
* ``CI wider than nu`` / ``CI contains 0`` — the interval does not pin ν down;
* ``no plateau`` — ν in the fixed common windows τ ∈ [0.01, 0.1], [0.1, 1],
  [1, 10] and the automatic one drifts by more than 1.96 × the standard error
  of the difference for some pair (the local slope d log E / d log τ has no
  plateau, so "the" exponent depends on the window);
* ``jump`` — a single run whose error one sample before t_ε is above the jump
  threshold (the transition is not resolved).

A *jump run* is a run whose test error one sample before its t_ε is above
``max(jump_threshold, jump_factor × error quantum)``: a first-order drop at the
run level, not the continuous approach the exponent describes.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .bca import LeaveOneOut, bca_interval
from .powerlaw import fit_power_law, slopes_batch

__all__ = ["QUALITY_RULES", "FIXED_WINDOWS", "resolve_windows", "quality_flags", "boot_means", "window_fits", "local_slope",
           "drifts", "jump_runs", "window_key", "bootstrap_runs_ci", "window_flags", "approach_end"]

QUALITY_RULES = {
    "window < 1 decade": "the fit window spans less than one decade of tau",
    "< 8 points": "fewer than 8 points in the fit window",
    "R^2 < 0.98": "the log-log fit has R^2 below 0.98",
    "half-window slopes differ": "lower- and upper-half slopes differ by more than 1.96 x the s.e. of the difference "
                                 "and by more than 5 % of nu",
    "< 10 runs": "fewer than 10 runs enter the fit",
    "CI wider than nu": "the confidence interval is wider than |nu|",
    "CI contains 0": "the confidence interval contains 0",
    "no plateau": "nu drifts across the windows (the fixed ones, or the automatic one and the decade above it) by "
                  "more than its uncertainty and by more than 5 % (no power-law plateau)",
    "jump": "the run's error one sample before t_eps is above the jump threshold (transition not resolved)",
    "past the approach": "(a fixed window) it reaches where the aligned error is above half its maximum: the "
                         "plateau, not the approach to t_eps (in grokking, the memorisation phase)",
}
# THE fixed ν windows of the paper reproductions (scenario A/B time units); ``"paper"`` names them
FIXED_WINDOWS: tuple[tuple[float, float], ...] = ((0.01, 0.1), (0.1, 1.0), (1.0, 10.0))


def resolve_windows(spec: Any) -> tuple[tuple[float, float], ...] | None:
    """``None`` (judge the plateau on the automatic window and the decade above it), ``"paper"``
    (:data:`FIXED_WINDOWS`) or explicit ``((lo, hi), ...)`` windows with 0 < lo < hi.

    >>> resolve_windows("paper") == FIXED_WINDOWS
    True
    """
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec != "paper":
            raise ValueError(f"fixed_windows must be None, 'paper' or ((lo, hi), ...), got {spec!r}")
        return FIXED_WINDOWS
    try:
        wins = tuple((float(lo), float(hi)) for lo, hi in spec)
    except (TypeError, ValueError):
        raise ValueError(f"fixed_windows must be None, 'paper' or ((lo, hi), ...), got {spec!r}") from None
    if not wins or not all(0 < lo < hi < float("inf") for lo, hi in wins):
        raise ValueError(f"fixed_windows must be windows with 0 < lo < hi, got {spec!r}")
    return wins
Z95 = 1.959963984540054


def window_key(lo: float, hi: float) -> str:
    """``"0.01-0.1"`` for the window [0.01, 0.1]."""
    return f"{lo:g}-{hi:g}"


REL_TOL = 0.05


def _differ(a: float, sa: float, b: float, sb: float) -> bool:
    """Significantly different (1.96 × the s.e. of the difference) AND by more than ``REL_TOL``
    of the exponent: a 1e-6 difference of two exact slopes is not a weak fit."""
    vals = np.array([a, sa, b, sb], dtype=float)
    if not np.all(np.isfinite(vals)):
        return False
    d = abs(a - b)
    return bool(d > Z95 * np.hypot(sa, sb) and d > REL_TOL * max(abs(a), abs(b)))


def quality_flags(*, window: tuple[float, float], gof: dict[str, Any], n_runs: int, nu: float,
                  nu_ci: tuple[float, float], no_plateau: bool = False, jump: bool = False) -> list[str]:
    """The flags of ``QUALITY_RULES`` that apply (an empty list: not weak)."""
    flags = []
    lo, hi = window
    if not (hi > 0 and lo > 0 and np.log10(hi / lo) >= 1 - 1e-9):
        flags.append("window < 1 decade")
    if int(gof.get("n_points", 0)) < 8:
        flags.append("< 8 points")
    if not (gof.get("r2", 0.0) >= 0.98):
        flags.append("R^2 < 0.98")
    if _differ(gof.get("nu_lower_half", np.nan), gof.get("nu_lower_half_se", np.nan),
               gof.get("nu_upper_half", np.nan), gof.get("nu_upper_half_se", np.nan)):
        flags.append("half-window slopes differ")
    if n_runs < 10:
        flags.append("< 10 runs")
    a, b = nu_ci
    if not (np.isfinite(a) and np.isfinite(b)) or (b - a) > abs(nu):
        flags.append("CI wider than nu")
    if not (np.isfinite(a) and np.isfinite(b)) or a <= 0 <= b:
        flags.append("CI contains 0")
    if no_plateau:
        flags.append("no plateau")
    if jump:
        flags.append("jump")
    return flags


def approach_end(tau: NDArray[np.float64], y: NDArray[np.float64], ok: NDArray[np.bool_]) -> float:
    """The smallest τ where the aligned error reaches half its maximum over the usable points (the
    end of the approach to t_ε, as in the window rule's τ_hi); inf when nothing is usable.

    >>> approach_end(np.array([1.0, 2.0, 3.0]), np.array([0.1, 0.6, 1.0]), np.ones(3, bool))
    2.0
    """
    sel = ok & np.isfinite(y)
    if not sel.any():
        return float("inf")
    idx = np.nonzero(sel & (y >= 0.5 * np.max(y[sel])))[0]
    return float(tau[idx[0]])


def window_flags(w: dict[str, Any], *, n_runs: int, approach: float) -> list[str]:
    """The :data:`QUALITY_RULES` flags of one fixed-window fit (``window_fits`` entry): too few points,
    R², the CI, too few runs, and reaching past the approach (``approach``: :func:`approach_end`).

    >>> window_flags({"nu": 1.0, "ci": [0.9, 1.1], "n_points": 20, "r2": 0.999, "tau_hi_used": 5.0},
    ...              n_runs=30, approach=2.0)
    ['past the approach']
    """
    nu = w.get("nu", float("nan"))
    if not np.isfinite(nu):
        return ["< 8 points"] if int(w.get("n_points", 0)) < 8 else ["no fit"]
    flags = quality_flags(window=(1.0, 10.0), gof={"n_points": w.get("n_points", 0), "r2": w.get("r2", 1.0)},
                          n_runs=n_runs, nu=nu, nu_ci=tuple(w.get("ci", (np.nan, np.nan))))
    if w.get("tau_hi_used", 0.0) > approach * (1 + 1e-9):
        flags.append("past the approach")
    return flags


BOOT_WORK_ELEMENTS = 2_000_000   # resampled values held at once by boot_means (16 MB of float64)


def boot_means(M: NDArray[np.float64], n_boot: int, seed: int) -> NDArray[np.float64]:
    """Means over runs of ``n_boot`` resamples of the rows of ``M`` (runs × τ), chunked.

    The indices are drawn in chunks of ``2e7 / M.size`` resamples (the draws, hence the
    result, do not depend on the memory bound); the means are taken over at most
    :data:`BOOT_WORK_ELEMENTS` resampled values at once (one resample when a single one is
    larger), so the working set stays near 16 MB whatever the number of runs.

    >>> boot_means(np.array([[1.0, 2.0], [3.0, 4.0]]), 3, 0).shape
    (3, 2)
    """
    n = M.shape[0]
    if n_boot <= 0 or n < 2:
        return np.empty((0, M.shape[1]))
    rng = np.random.default_rng(seed)
    out = np.empty((n_boot, M.shape[1]))
    chunk = max(1, int(2e7 // max(n * M.shape[1], 1)))
    sub = max(1, int(BOOT_WORK_ELEMENTS // max(n * M.shape[1], 1)))
    for s in range(0, n_boot, chunk):
        b = min(chunk, n_boot - s)
        idx = rng.integers(0, n, size=(b, n))
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for j in range(0, b, sub):
                out[s + j:s + min(j + sub, b)] = np.nanmean(M[idx[j:j + sub]], axis=1)
    return out


def _log_pos(Y: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.where(Y > 0, np.log(np.where(Y > 0, Y, 1.0)), np.nan)


def _one_window(tau: NDArray[np.float64], y: NDArray[np.float64], sel: NDArray[np.bool_],
                boot: NDArray[np.float64], ci: float) -> dict[str, Any]:
    n = int(sel.sum())
    out: dict[str, Any] = {"nu": float("nan"), "ci": [float("nan"), float("nan")], "se": float("nan"),
                           "n_points": n, "se_method": ""}
    if n < 3:
        return out
    line = fit_power_law(tau[sel], y[sel])
    out.update(nu=line.slope, r2=line.r2, tau_lo_used=float(tau[sel].min()), tau_hi_used=float(tau[sel].max()))
    s = slopes_batch(np.log(tau[sel]), _log_pos(boot[:, sel])) if boot.shape[0] else np.empty(0)
    s = s[np.isfinite(s)]
    if s.size >= 10:
        a = (1 - ci) / 2
        out.update(ci=[float(np.quantile(s, a)), float(np.quantile(s, 1 - a))], se=float(np.std(s, ddof=1)),
                   se_method=f"percentile bootstrap over runs ({s.size} resamples)")
    else:
        z = Z95 if abs(ci - 0.95) < 1e-12 else float(__import__("statistics").NormalDist().inv_cdf(0.5 + ci / 2))
        out.update(ci=[line.slope - z * line.slope_se, line.slope + z * line.slope_se], se=line.slope_se,
                   se_method="OLS standard error of the slope")
    return out


def window_fits(tau: NDArray[np.float64], y: NDArray[np.float64], ok: NDArray[np.bool_],
                windows: Sequence[tuple[float, float]], *, boot: NDArray[np.float64] | None = None,
                ci: float = 0.95) -> dict[str, dict[str, Any]]:
    """ν in each window ``[lo, hi]`` on the points ``ok`` (finite, above the resolution floor).

    With ``boot`` (bootstrap resamples of ``y`` as rows) the CI is a percentile
    bootstrap; otherwise the OLS standard error. A window with fewer than 3
    points has ``nu = NaN``.
    """
    boot = np.empty((0, tau.size)) if boot is None else boot
    out = {}
    for lo, hi in windows:
        sel = ok & (tau >= lo * (1 - 1e-12)) & (tau <= hi * (1 + 1e-12)) & (y > 0)
        out[window_key(lo, hi)] = {"tau_lo": float(lo), "tau_hi": float(hi), **_one_window(tau, y, sel, boot, ci)}
    return out


def local_slope(tau: NDArray[np.float64], y: NDArray[np.float64], ok: NDArray[np.bool_], *,
                half_width_decades: float = 0.25, boot: NDArray[np.float64] | None = None) -> pd.DataFrame:
    """d log E / d log τ: the OLS slope over ±``half_width_decades`` around each τ (with a
    bootstrap s.e. when ``boot`` is given)."""
    lt = np.log10(np.where(tau > 0, tau, np.nan))
    rows = []
    for k in np.nonzero(ok & (y > 0))[0]:
        sel = ok & (y > 0) & (np.abs(lt - lt[k]) <= half_width_decades + 1e-12)
        if sel.sum() < 3:
            continue
        line = fit_power_law(tau[sel], y[sel])
        se = line.slope_se
        if boot is not None and boot.shape[0] >= 10:
            s = slopes_batch(np.log(tau[sel]), _log_pos(boot[:, sel]))
            s = s[np.isfinite(s)]
            se = float(np.std(s, ddof=1)) if s.size >= 10 else se
        rows.append({"tau": float(tau[k]), "slope": line.slope, "se": float(se), "n_points": line.n})
    return pd.DataFrame(rows, columns=["tau", "slope", "se", "n_points"])


def drifts(windows: dict[str, dict[str, Any]]) -> bool:
    """True when two windows' ν differ by more than 1.96 × the s.e. of their difference."""
    fits = [(w["nu"], w["se"]) for w in windows.values()
            if np.isfinite(w.get("nu", np.nan)) and np.isfinite(w.get("se", np.nan))]
    return any(_differ(a, sa, b, sb) for i, (a, sa) in enumerate(fits) for b, sb in fits[i + 1:])


def jump_runs(curves: pd.DataFrame, t_eps: pd.Series, threshold: float) -> pd.DataFrame:
    """Each run's test error one sample before its t_ε, and whether it is above ``threshold``.

    Returns a DataFrame indexed by run with ``e_prev`` and ``jump``.
    """
    c = curves[curves["run"].isin(t_eps.index)]
    runs = np.sort(c["run"].unique())
    before = c[c["t"].to_numpy() < c["run"].map(t_eps).to_numpy(dtype=float)]   # one groupby, no per-run loop
    before = before.reset_index(drop=True)   # positions, so a repeated index label cannot pick two rows
    last = before.groupby("run", sort=True)["t"].idxmax()
    e_prev = pd.Series(before["test_error"].to_numpy(dtype=float)[last.to_numpy()], index=last.index)
    s = e_prev.reindex(runs).astype(float).rename("e_prev")
    return pd.DataFrame({"e_prev": s, "jump": s > threshold})


def bootstrap_runs_ci(M: NDArray[np.float64], lx: NDArray[np.float64], *, n_boot: int, ci: float,
                      seed: int) -> tuple[float, float, float, str, NDArray[np.float64]]:
    """CI of the aligned-average slope by resampling runs (rows of ``M``) with
    :func:`scipy.stats.bootstrap`: BCa with ≥ 10 runs, percentile below (BCa's
    jackknife is unreliable there). Returns (lo, hi, se, method label, distribution)."""
    from scipy import stats

    n, p = M.shape

    def statistic(idx: NDArray[Any], axis: int = -1) -> NDArray[np.float64]:
        idx = np.asarray(idx, dtype=np.int64)
        lead = idx.shape[:-1]
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            means = np.nanmean(M[idx.reshape(-1, idx.shape[-1])], axis=1)
        return slopes_batch(lx, _log_pos(means)).reshape(lead)

    method = "BCa" if n >= 10 else "percentile"
    batch = max(1, int(2e7 // max(n * p, 1)))
    with warnings.catch_warnings():   # the resamples only: BCa's jackknife is in closed form below
        warnings.simplefilter("ignore")
        res = stats.bootstrap((np.arange(n),), statistic, n_resamples=int(n_boot), vectorized=True,
                              method="percentile", confidence_level=ci, rng=np.random.default_rng(seed), batch=batch)
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if method == "BCa":   # as scipy's BCa, without its O(n^2) leave-one-out index array
        jack = slopes_batch(lx, _log_pos(LeaveOneOut(M).all_means()))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lo, hi = bca_interval(res.bootstrap_distribution, float(statistic(np.arange(n))), jack, ci)
    dist = np.asarray(res.bootstrap_distribution, dtype=float)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        method = "percentile"
        a = (1 - ci) / 2
        lo, hi = float(np.nanquantile(dist, a)), float(np.nanquantile(dist, 1 - a))
    fin = dist[np.isfinite(dist)]
    se = float(np.std(fin, ddof=1)) if fin.size > 1 else float("nan")
    return lo, hi, se, f"{method} bootstrap over runs (scipy.stats.bootstrap, {int(n_boot)} resamples)", fin


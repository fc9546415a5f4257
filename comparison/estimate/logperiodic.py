r"""ν through a log-periodic staircase (issue 25): fit over whole log-periods.

When an edge of the context support is the fixed point of a map with contraction c, the mass
within δ of the edge obeys F(cδ) = p F(δ), so :math:`F = \delta^{\alpha} P(\ln\delta)` with P
periodic of period :math:`\ln(1/c)` (docs/local_rules.md, "ξ in closed form").  Near the transition
δ ∝ τ, so the aligned error is :math:`E(\tau) = C\,\tau^{\nu} P(\ln\tau)`: a local slope oscillates
and a power law exists only as an average over whole periods.

:func:`fit_log_periodic` uses that P is periodic: :math:`\ln E(\tau) - \ln E(\tau c^n) = n\nu\ln(1/c)`
exactly, for every phase.  On the window trimmed to n whole periods, ν is the phase average over
the top period of that difference with the bottom period, divided by (n − 1) ln(1/c) (n = 1: the OLS
slope over the one period) (L = ln(1/c); ln E interpolated linearly in
ln τ); the CI is a percentile bootstrap over runs.  ``period_slopes`` are the OLS
slopes over each whole period (period-averaged local slopes); ``no_plateau`` is true when two of
them differ by more than 1.96 × the s.e. of their difference (bootstrap) and by more than 5 % (the
rule of :mod:`comparison.estimate.nu_quality`).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .nu_quality import REL_TOL

__all__ = ["fit_log_periodic"]


def _fit(lt: NDArray[np.float64], ly: NDArray[np.float64], L: float,
         bounds: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
    ok = np.isfinite(ly)
    n_per = bounds.size - 1
    top = ok & (lt >= bounds[-2] - 1e-12)  # phase average of the exact period difference
    per = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        s = ok & (lt >= a - 1e-12) & (lt <= b + 1e-12)
        per.append(np.polyfit(lt[s], ly[s], 1)[0] if s.sum() >= 3 else np.nan)
    if n_per >= 2 and top.sum() >= 2:
        back = np.interp(lt[top] - (n_per - 1) * L, lt[ok], ly[ok])
        nu = float(np.mean(ly[top] - back) / ((n_per - 1) * L))
    else:  # one period: the OLS slope over it (phase-averaged to first order only)
        nu = float(per[0]) if per else float("nan")
    return nu, np.asarray(per, float)


def fit_log_periodic(tau: ArrayLike, E: ArrayLike, contraction: float, *, window: tuple[float, float],
                     n_boot: int = 200, seed: int = 0, ci: float = 0.95, anchor: str = "top",
                     max_periods: int | None = None) -> dict[str, Any]:
    r"""ν of ``E[run, tau]`` (runs × τ, NaN where a run has no point) over whole log-periods.

    ``contraction`` c ∈ (0, 1) sets the period ln(1/c) in ln τ; the window ``[lo, hi]`` is trimmed
    to a whole number of periods (at most ``max_periods``) from below (``anchor="top"``: ``hi`` kept)
    or from above (``anchor="bottom"``: ``lo`` kept, the periods closest to the transition).  Returns ``nu``, ``ci``, ``periods`` (whole periods
    spanned), ``window`` (used), ``period_slopes`` (+ ``period_slopes_se``), ``no_plateau``,
    ``n_runs``; ``nu = None`` with a ``reason`` when the window holds less than one period.

    Examples
    --------
    >>> import numpy as np
    >>> tau = np.logspace(-6, 0, 121)
    >>> E = (tau ** 0.3 * (1.5 + np.cos(2 * np.pi * np.log(tau) / np.log(100))))[None].repeat(3, 0)
    >>> r = fit_log_periodic(tau, E, 0.01, window=(1e-6, 1.0), n_boot=0)
    >>> round(r["nu"], 3), r["periods"]
    (0.3, 3)
    """
    tau = np.asarray(tau, float)
    E = np.atleast_2d(np.asarray(E, float))
    c = float(contraction)
    if not 0 < c < 1:
        raise ValueError(f"contraction must be in (0, 1), got {contraction}")
    L = float(np.log(1 / c))
    if anchor not in ("top", "bottom"):
        raise ValueError(f"anchor must be 'top' or 'bottom', got {anchor!r}")
    lo, hi = np.log(window[0]), np.log(window[1])
    n_per = int(np.floor((hi - lo) / L + 1e-9))
    if max_periods is not None:
        n_per = min(n_per, int(max_periods))
    if n_per < 1:
        return {"nu": None, "ci": None, "periods": 0, "window": list(window), "no_plateau": None,
                "reason": f"window spans {(hi - lo) / L:.2f} < 1 log-period ln(1/c) = {L:.3g}"}
    lo, hi = (hi - n_per * L, hi) if anchor == "top" else (lo, lo + n_per * L)
    sel = (np.log(tau) >= lo - 1e-9) & (np.log(tau) <= hi + 1e-9)
    lt, M = np.log(tau[sel]), E[:, sel]
    bounds = hi - L * np.arange(n_per, -1, -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.nanmean(M, axis=0)
        nu, per = _fit(lt, np.log(np.where(mean > 0, mean, np.nan)), L, bounds)
        rng = np.random.default_rng(seed)
        boots = []
        for _ in range(n_boot):
            m = np.nanmean(M[rng.integers(0, M.shape[0], M.shape[0])], axis=0)
            boots.append(_fit(lt, np.log(np.where(m > 0, m, np.nan)), L, bounds))
    out: dict[str, Any] = {"nu": nu, "periods": n_per, "window": [float(np.exp(lo)), float(np.exp(hi))],
                           "period": L, "period_slopes": per.tolist(), "n_runs": int(M.shape[0]), "ci": None,
                           "no_plateau": None}
    if len(boots) >= 10:
        bn = np.array([b[0] for b in boots])
        bp = np.array([b[1] for b in boots])
        a = (1 - ci) / 2
        bn = bn[np.isfinite(bn)]
        out["ci"] = [float(np.quantile(bn, a)), float(np.quantile(bn, 1 - a))]
        se = np.nanstd(bp, axis=0, ddof=1)
        out["period_slopes_se"] = se.tolist()
        diff = [abs(per[i] - per[j]) > 1.96 * np.hypot(se[i], se[j])
                and abs(per[i] - per[j]) > REL_TOL * max(abs(per[i]), abs(per[j]))
                for i in range(per.size) for j in range(i + 1, per.size)]
        out["no_plateau"] = bool(any(diff)) if per.size >= 2 else None
    return out

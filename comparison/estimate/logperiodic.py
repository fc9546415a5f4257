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
slopes over each whole period (period-averaged local slopes).

Plateau rule with a margin (:func:`plateau_decision`, issue 25).  The drift is the top period's
slope minus the bottom period's, with its percentile-bootstrap CI over runs (``ci``); the margin is
m = ``margin`` × |ν| (default :data:`PLATEAU_MARGIN` = 15 %).  The decision is an equivalence test:
``"plateau"`` when the whole drift CI lies inside (−m, m) (flat within the margin, shown), ``"drift"``
when it lies wholly outside [−m, m] (a drift larger than the margin, shown), ``"undecided"`` otherwise
(the data cannot tell; reported as such, never silently as either), with ``plateau_share``, the
share of bootstrap drifts inside the margin, beside it.  A test of an *exact* plateau
(slopes equal within 1.96 s.e.) is not used: with 10⁵ contexts its s.e. is ≈ 0.01, so any real
curvature of a corner mixture is "significant" and the answer flips with the seed whenever the
drift is near the detection limit.  ``no_plateau`` = (decision == "drift").
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


__all__ = ["fit_log_periodic", "plateau_decision", "PLATEAU_MARGIN"]

#: Relative margin of the plateau rule: period slopes that agree to within 15 % of ν are a plateau.
PLATEAU_MARGIN = 0.15


def plateau_decision(drift_ci: tuple[float, float] | list[float] | None, nu: float | None,
                     margin: float = PLATEAU_MARGIN) -> str | None:
    """``"plateau"``, ``"drift"`` or ``"undecided"`` from the drift CI and the margin ``margin × |nu|``
    (module docstring); None without a CI or ν.

    Examples
    --------
    >>> plateau_decision([-0.01, 0.02], 0.5), plateau_decision([0.1, 0.2], 0.5), plateau_decision([0.0, 0.1], 0.5)
    ('plateau', 'drift', 'undecided')
    """
    if not 0 < margin < 1:
        raise ValueError(f"margin must be in (0, 1), got {margin}")
    if drift_ci is None or nu is None or not np.all(np.isfinite(drift_ci)) or not np.isfinite(nu):
        return None
    m = margin * abs(float(nu))
    lo, hi = float(drift_ci[0]), float(drift_ci[1])
    if -m < lo and hi < m:
        return "plateau"
    return "drift" if lo > m or hi < -m else "undecided"


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
                     max_periods: int | None = None, margin: float = PLATEAU_MARGIN) -> dict[str, Any]:
    r"""ν of ``E[run, tau]`` (runs × τ, NaN where a run has no point) over whole log-periods.

    ``contraction`` c ∈ (0, 1) sets the period ln(1/c) in ln τ; the window ``[lo, hi]`` is trimmed
    to a whole number of periods (at most ``max_periods``) from below (``anchor="top"``: ``hi`` kept)
    or from above (``anchor="bottom"``: ``lo`` kept, the periods closest to the transition).  Returns ``nu``, ``ci``, ``periods`` (whole periods
    spanned), ``window`` (used), ``period_slopes`` (+ ``period_slopes_se``), ``drift`` (top minus
    bottom period slope, + ``drift_ci``), ``margin`` (absolute), ``plateau_decision``
    (:func:`plateau_decision`; None with fewer than 2 periods or no bootstrap), ``plateau_share``
    (the share of bootstrap drifts inside the margin: how firm the decision is), ``no_plateau``,
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
                "plateau_decision": None, "reason": f"window spans {(hi - lo) / L:.2f} < 1 log-period ln(1/c) = {L:.3g}"}
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
                           "no_plateau": None, "plateau_decision": None, "margin": float(margin * abs(nu)),
                           "drift": float(per[-1] - per[0]) if per.size >= 2 else None, "drift_ci": None}
    if len(boots) >= 10:
        bn = np.array([b[0] for b in boots])
        bp = np.array([b[1] for b in boots])
        a = (1 - ci) / 2
        bn = bn[np.isfinite(bn)]
        out["ci"] = [float(np.quantile(bn, a)), float(np.quantile(bn, 1 - a))]
        se = np.nanstd(bp, axis=0, ddof=1)
        out["period_slopes_se"] = se.tolist()
        if per.size >= 2:
            bd = bp[:, -1] - bp[:, 0]
            bd = bd[np.isfinite(bd)]
            out["drift_ci"] = [float(np.quantile(bd, a)), float(np.quantile(bd, 1 - a))] if bd.size >= 10 else None
            out["plateau_decision"] = plateau_decision(out["drift_ci"], nu, margin)
            out["plateau_share"] = float(np.mean(np.abs(bd) < out["margin"])) if bd.size else None
            out["no_plateau"] = None if out["plateau_decision"] is None else out["plateau_decision"] == "drift"
    return out

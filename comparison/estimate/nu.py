r"""The critical exponent ν of the test error at the grokking transition.

Near the transition the test error vanishes as a power of the time left,

.. math:: E(t) \simeq A\,(t_\varepsilon - t)^{\nu},

with ν = 1 in the 1D model (Eqs. 9-10), ν = (D+1)/2 for the D-ball (Eq. 23) and
ν = (D+1)/2 − ξ for a boundary density diverging with exponent ξ (Eq. 50).
Following the paper's recipe (sec. 4.3.1), the runs are aligned at their own
t_ε, the test error is averaged at equal τ = t_ε − t, and log E is fitted
against log τ by ordinary least squares on a log-spaced τ grid.

Window rule (default; reported in ``window_`` and ``window_rule_``)
------------------------------------------------------------------
* ``tau_lo`` = ``floor_factor`` × the curves' time resolution at the transition
  (median over runs of t_ε minus the last sample before it; closer than that a
  run is not sampled), or, if later, the τ where the aligned error first
  reaches ``min_error_factor`` × the *error quantum* (median over runs of the
  smallest non-zero test error before t_ε). With a finite test set the error
  moves in steps of one test point's weight, and the last steps before t_ε
  are a staircase, not the power law (ν → 0 there).
* ``tau_hi`` = the smallest of ``tau_lo`` × 10^``width_decades``, the τ where the
  aligned error first reaches half its maximum over the available range (the
  end of the approach, the start of the plateau), and the largest τ at which
  at least ``min_frac`` of the aligned runs still have data.
* A t_ε read off the time grid (detected from the curves) is moved to the
  midpoint with the previous sample (``refine_t_eps``); the aligned curves are
  interpolated linearly in (log τ, log E), exact for a power law.
* At least ``min_points`` grid points must fall in the window, else ValueError.
  An explicit ``window=(tau_lo, tau_hi)`` overrides the rule.

Uncertainty
-----------
``nu_ci_`` is a bootstrap interval from resampling *runs* with replacement
(``n_boot`` resamples, seeded by ``random_state``; scipy.stats.bootstrap's BCa with
≥ 10 runs, percentile below; the OLS slope error, labelled so, with ``n_boot`` < 10 —
``ci_method_`` says which); ``nu_se_`` the bootstrap standard deviation. ``sensitivity_`` refits on shifted and widened
windows (τ_lo × {1/2, 1, 2, 4}, widths × {1/2, 1, 3/2}) never starting below ``resolution_floor_``
(the rule's τ_lo; explicit window: ``floor_factor`` × the time step); ``nu_window_spread_`` is half
their range: the window choice's systematic error (a few 1e-4 on an exact simulator). ``per_run_``
holds each run's own fit in the window.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .base import ParamsMixin
from .nu_glue import finish_quality, fit_one_run, handle_jumps
from .nu_quality import bootstrap_runs_ci, resolve_windows
from .nu_result import NuFit
from .powerlaw import fit_power_law, sensitivity_windows, slopes_batch
from .aligned import aligned_matrix, grid_step_at_transition, refine_grid_t_eps
from .transitions import detect_transitions
from ..errors import FitError

__all__ = ["NuFitter", "NuFit", "fit_nu", "fit_power_law"]


class NuFitter(ParamsMixin):
    """Fit the critical exponent ν on the aligned average (scikit-learn style).

    With a single usable run, ν is fitted on that run's own curve instead
    (:mod:`comparison.estimate.nu_single`; ``kind_ == "single-run"``). Every fit
    carries quality ``flags_`` and ``weak_`` (:mod:`comparison.estimate.nu_quality`),
    ν in the fixed windows ``fixed_windows`` (``windows_``), the local slope
    (``local_slope_``) and the jump runs (``jumps_``; excluded from the headline
    ν when ``jumps="exclude"``, the ν with them kept in ``jumps_``).

    Parameters
    ----------
    window : ``(tau_lo, tau_hi)`` to fix the fit window, or None for the rule
        in the module docstring.
    floor_factor : the window starts at this multiple of the curves' time step.
    width_decades : maximal width of the default window, in decades of τ.
    points_per_decade : density of the log-spaced τ grid.
    min_frac : a τ is usable only if at least this fraction of runs has data there.
    min_points : minimal number of grid points in the window.
    n_boot : bootstrap resamples of runs for ``nu_ci_`` (0 disables).
    ci : confidence level of ``nu_ci_``.
    zero_tol : tolerance used when t_ε has to be detected from the curves.
    refine_t_eps : move a t_ε that sits on a curve sample (read off the grid) to
        the midpoint with the previous sample (see ``refine_grid_t_eps``).
        ``"auto"`` (default) does so only for times detected from the curves
        (``summary.t_eps_source == "curves"``, e.g. external tables), never for a
        simulator's exact t_ε.
    min_error_factor : the default window starts no closer to t_ε than where
        the aligned error is this many times the error quantum (0 disables).
    random_state : seed of the bootstrap.
    jumps : ``"exclude"`` (default) or ``"include"`` the jump runs in the headline ν.
    jump_threshold, jump_factor : a run jumps when its error one sample before
        t_ε exceeds ``max(jump_threshold, jump_factor × error quantum)``.
    fixed_windows : None (default, as ``grokcheck fit``: the plateau is judged on the automatic
        window and the decade above it), ``"paper"`` (the paper reproductions' windows
        τ ∈ [0.01, 0.1], [0.1, 1], [1, 10], :data:`~comparison.estimate.nu_quality.FIXED_WINDOWS`)
        or explicit ``((lo, hi), ...)``.

    Attributes (after :meth:`fit`)
    ------------------------------
    nu_, amplitude_, nu_ci_, nu_se_, window_, window_rule_, gof_, sensitivity_,
    nu_window_spread_, per_run_, aligned_, n_runs_used_, excluded_.
    """

    def __init__(self, window: tuple[float, float] | None = None, *, floor_factor: float = 3.0,
                 width_decades: float = 1.0, points_per_decade: int = 20, min_frac: float = 0.9,
                 min_points: int = 5, n_boot: int = 200, ci: float = 0.95, zero_tol: float = 0.0,
                 refine_t_eps: bool | str = "auto", min_error_factor: float = 10.0, random_state: int = 0,
                 jumps: str = "exclude", jump_threshold: float = 1e-3, jump_factor: float = 10.0,
                 fixed_windows: Any = None):
        self.window = window
        self.floor_factor = floor_factor
        self.width_decades = width_decades
        self.points_per_decade = points_per_decade
        self.min_frac = min_frac
        self.min_points = min_points
        self.n_boot = n_boot
        self.ci = ci
        self.zero_tol = zero_tol
        self.refine_t_eps = refine_t_eps
        self.min_error_factor = min_error_factor
        self.random_state = random_state
        self.jumps = jumps
        self.jump_threshold = jump_threshold
        self.jump_factor = jump_factor
        self.fixed_windows = fixed_windows

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        if self.window is not None:
            lo, hi = self.window
            if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi and hi / lo <= 1e12):
                raise ValueError("window must be (tau_lo, tau_hi), finite, with 0 < tau_lo < tau_hi and at most 12 "
                                 f"decades wide, got {self.window!r}")
        if not (self.floor_factor > 0):
            raise ValueError(f"floor_factor must be > 0, got {self.floor_factor!r}")
        if not (self.width_decades > 0):
            raise ValueError(f"width_decades must be > 0, got {self.width_decades!r}")
        if not (0 < self.min_frac <= 1):
            raise ValueError(f"min_frac must be in (0, 1], got {self.min_frac!r}")
        if int(self.points_per_decade) < 2:
            raise ValueError(f"points_per_decade must be >= 2, got {self.points_per_decade!r}")
        if int(self.min_points) < 3:
            raise ValueError(f"min_points must be >= 3, got {self.min_points!r}")
        if isinstance(self.n_boot, bool) or not isinstance(self.n_boot, (int, np.integer)) \
                or not 0 <= int(self.n_boot) <= 100_000:
            raise ValueError(f"n_boot must be an integer in [0, 100000], got {self.n_boot!r}")
        if not (np.isfinite(self.zero_tol) and 0 <= self.zero_tol < 1):
            raise ValueError(f"zero_tol must be a finite number in [0, 1), got {self.zero_tol!r}")
        if not (0 < self.ci < 1):
            raise ValueError(f"ci must be in (0, 1), got {self.ci!r}")
        if self.jumps not in ("exclude", "include"):
            raise ValueError(f"jumps must be 'exclude' or 'include', got {self.jumps!r}")
        if not (self.jump_threshold >= 0 and self.jump_factor >= 0):
            raise ValueError("jump_threshold and jump_factor must be >= 0, got "
                             f"{self.jump_threshold!r}, {self.jump_factor!r}")
        resolve_windows(self.fixed_windows)

    # ------------------------------------------------------------------ fit
    def fit(self, curves: pd.DataFrame, summary: pd.DataFrame | None = None) -> "NuFitter":
        """Fit ν. ``summary`` (with ``run, t_eps`` and optionally ``diverged``)
        supplies each run's t_ε (e.g. the simulator's exact value); without it t_ε
        is detected from the curves at ``zero_tol``. The result is ``result_``
        (a :class:`NuFit`), mirrored in the trailing-underscore attributes."""
        self._check_params()
        for col in ("run", "t", "test_error"):
            if col not in curves.columns:
                raise ValueError(f"curves is missing column {col!r}")
        if summary is None:
            summary = detect_transitions(curves, zero_tol=self.zero_tol)
        if "t_eps" not in summary.columns or "run" not in summary.columns:
            raise ValueError("summary must have columns 'run' and 't_eps'")
        good = self._usable_t_eps(curves, summary)
        good = handle_jumps(self, curves, summary, good)
        self.kind_, self.label_ = "aligned", f"aligned average of {good.size} runs"
        if good.size == 1:
            fit_one_run(self, curves, good)
            finish_quality(self)
            self.result_ = NuFit.from_fitter(self)
            return self
        dt = grid_step_at_transition(curves, good)
        tau, mean, usable, tau_max_avail = self._align(curves, good, dt)
        lo, hi, rule = self._choose_window(tau, mean, usable, dt, tau_max_avail)
        self.window_ = (lo, hi)
        self.window_rule_ = rule
        self.resolution_floor_ = lo if self.window is None else self.floor_factor * dt
        in_win = (tau >= lo * (1 - 1e-12)) & (tau <= hi * (1 + 1e-12)) & usable & (mean > 0)
        if in_win.sum() < self.min_points:
            raise FitError(f"only {int(in_win.sum())} usable tau points in the window "
                             f"[{lo:.3g}, {hi:.3g}] (need min_points={self.min_points}); "
                             "the curves are too coarse or too short near t_eps")
        self._fit_line(tau[in_win], mean[in_win])
        self.n_runs_used_ = int(len(self._runs))
        self._uncertainty(in_win)
        self.sensitivity_ = self._sensitivity(tau, mean, usable, lo, hi)
        ok = self.sensitivity_["nu"].to_numpy(dtype=float)
        ok = ok[np.isfinite(ok)]
        self.nu_window_spread_ = float((ok.max() - ok.min()) / 2) if ok.size else float("nan")
        self.per_run_ = self._per_run(in_win)
        finish_quality(self)
        self.result_ = NuFit.from_fitter(self)
        return self

    def _usable_t_eps(self, curves: pd.DataFrame, summary: pd.DataFrame) -> pd.Series:
        """Each usable run's t_ε (diverged, never-grokking and no-approach runs excluded)."""
        s = summary.set_index("run")
        div = s["diverged"].astype(bool) if "diverged" in s else pd.Series(False, index=s.index)
        # a run with non-finite errors is diverged even if the summary does not say so
        bad = curves.loc[~np.isfinite(curves["test_error"].to_numpy(dtype=float)), "run"].unique()
        div = div | s.index.isin(bad)
        t_eps = s["t_eps"].astype(float).where(~div)
        self.excluded_ = {
            "diverged": int(div.sum()),
            "no_transition": int((~np.isfinite(s["t_eps"].astype(float)) & ~div).sum()),
        }
        good = t_eps[np.isfinite(t_eps)]
        t_first = curves.groupby("run")["t"].min().reindex(good.index)
        approach = (good > t_first).to_numpy()
        self.excluded_["no_approach"] = int((~approach).sum())  # t_eps at the first sample
        good = good[approach]
        if good.size < 1:
            raise FitError("need at least 1 run with a finite t_eps (and samples before it) to fit nu, got 0 "
                             f"(excluded: {self.excluded_})")
        self.t_eps_refined_frac_ = 0.0
        refine = self.refine_t_eps
        if refine == "auto":
            refine = "t_eps_source" in summary.columns and bool((summary["t_eps_source"] == "curves").any())
        elif not isinstance(refine, bool):
            raise ValueError(f"refine_t_eps must be True, False or 'auto', got {refine!r}")
        self.refine_ = bool(refine)
        self.t_eps_detected_ = good
        if refine:
            good, self.t_eps_refined_frac_ = refine_grid_t_eps(curves, good)
        self.t_eps_used_ = good
        # the error quantum: median over runs of the smallest non-zero error before t_eps
        c = curves[curves["run"].isin(good.index)]
        before = c["t"].to_numpy() < c["run"].map(good).to_numpy()
        pos = c.loc[before & (c["test_error"].to_numpy() > 0)]
        self.error_quantum_ = float(pos.groupby("run")["test_error"].min().median()) if len(pos) else float("nan")
        return good

    def _align(self, curves: pd.DataFrame, good: pd.Series,
               dt: float) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_], float]:
        """The aligned average on a log-spaced τ grid (``aligned_``)."""
        t0 = curves.groupby("run")["t"].min().reindex(good.index)
        reach = (good - t0).to_numpy(dtype=float)
        tau_max_avail = float(np.quantile(reach, 1.0 - self.min_frac)) if reach.size else np.nan
        if self.window is not None:
            lo_grid = float(self.window[0])
            hi_grid = max(float(self.window[1]), tau_max_avail)
        else:
            if not np.isfinite(dt) or dt <= 0:
                raise FitError("cannot determine the curves' time step at the transition")
            lo_grid = self.floor_factor * dt / 4.0  # the grid reaches below the floor for sensitivity
            hi_grid = tau_max_avail
        if not (np.isfinite(hi_grid) and hi_grid > lo_grid):
            raise FitError("the curves do not reach back far enough before t_eps for a fit "
                             f"(available tau up to {tau_max_avail:.3g}, floor {lo_grid:.3g})")
        n_grid = max(int(np.ceil(np.log10(hi_grid / lo_grid) * self.points_per_decade)) + 1, 3)
        tau = np.geomspace(lo_grid, hi_grid, n_grid)
        M, runs = aligned_matrix(curves, good, tau)
        M = np.where(M < 0, np.nan, M)
        counts = np.isfinite(M).sum(axis=0)
        usable = counts >= self.min_frac * len(runs)
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.where(usable, np.nanmean(M, axis=0), np.nan)
            sem = np.where(usable & (counts > 1), np.nanstd(M, axis=0, ddof=1) / np.sqrt(np.maximum(counts, 1)),
                           np.nan)
        self.aligned_ = pd.DataFrame({"tau": tau, "mean_error": mean, "sem": sem, "n_runs": counts,
                                      "usable": usable})
        self.time_step_ = dt
        self._tau, self._M, self._runs, self._usable = tau, M, runs, usable
        return tau, mean, usable, tau_max_avail

    def _fit_line(self, tau: NDArray[np.float64], mean: NDArray[np.float64]) -> None:
        line = fit_power_law(tau, mean)
        self._line = line
        self.nu_ = line.slope
        self.amplitude_ = float(np.exp(line.intercept))
        lx = np.log(tau)
        resid = np.log(mean) - (line.intercept + line.slope * lx)
        # curvature of the residuals: slope change across the window (0 for a pure power law)
        half = lx.size // 2
        try:
            h1, h2 = fit_power_law(tau[: half + 1], mean[: half + 1]), fit_power_law(tau[half:], mean[half:])
            s1, s2, e1, e2 = h1.slope, h2.slope, h1.slope_se, h2.slope_se
        except ValueError:
            s1 = s2 = e1 = e2 = np.nan
        self.gof_ = {"r2": line.r2, "rmse_log": line.rmse, "n_points": line.n,
                     "max_abs_resid_log": float(np.max(np.abs(resid))),
                     "nu_ols_se": line.slope_se, "nu_lower_half": float(s1), "nu_upper_half": float(s2),
                     "nu_lower_half_se": float(e1), "nu_upper_half_se": float(e2)}

    def _uncertainty(self, in_win: NDArray[np.bool_]) -> None:
        """Bootstrap over runs (scipy.stats.bootstrap: BCa with >= 10 runs, else percentile);
        the OLS error of the slope with fewer than 10 resamples, labelled as such."""
        if int(self.n_boot) >= 10:
            lo, hi, se, method, dist = bootstrap_runs_ci(self._M[:, in_win], np.log(self._tau[in_win]),
                                                         n_boot=int(self.n_boot), ci=self.ci, seed=self.random_state)
            self.nu_boot_, self.nu_ci_, self.nu_se_, self.ci_method_ = dist, (lo, hi), se, method
            return
        from scipy.stats import norm

        z = float(norm.ppf(0.5 + self.ci / 2))
        self.nu_boot_ = np.empty(0)
        self.nu_se_ = self._line.slope_se
        self.nu_ci_ = (self.nu_ - z * self._line.slope_se, self.nu_ + z * self._line.slope_se)
        self.ci_method_ = f"OLS standard error of the slope (n_boot = {int(self.n_boot)} < 10: no bootstrap)"

    def _choose_window(self, tau: NDArray[np.float64], mean: NDArray[np.float64], usable: NDArray[np.bool_],
                       dt: float, tau_max_avail: float) -> tuple[float, float, str]:
        if self.window is not None:
            lo, hi = map(float, self.window)
            return lo, hi, "explicit window"
        lo = self.floor_factor * dt
        why_lo = f"{self.floor_factor:g} x time step at the transition ({dt:.3g})"
        q = self.error_quantum_
        if self.min_error_factor > 0 and np.isfinite(q) and q > 0:
            above_q = np.nonzero(usable & np.isfinite(mean) & (mean >= self.min_error_factor * q))[0]
            if above_q.size and tau[above_q[0]] > lo:
                lo = float(tau[above_q[0]])
                why_lo = (f"the aligned error reaches {self.min_error_factor:g} x the smallest non-zero "
                          f"error of the runs ({q:.3g}; a finite test set's resolution)")
        cap_width = lo * 10 ** self.width_decades
        ok = usable & np.isfinite(mean) & (tau >= lo)
        if not ok.any():
            raise FitError("no usable aligned points above the resolution floor "
                             f"tau >= {lo:.3g}; the curves are too short before t_eps")
        peak = float(np.nanmax(mean[ok]))
        above = np.nonzero(ok & (mean >= 0.5 * peak))[0]
        cap_half = float(tau[above[0]]) if above.size else float(tau[ok][-1])
        cap_avail = float(tau[ok][-1])
        hi = min(cap_width, cap_half, cap_avail)
        which = {cap_width: f"{self.width_decades:g} decade(s) above tau_lo",
                 cap_half: "the aligned error reaches half its maximum",
                 cap_avail: f"fewer than {self.min_frac:.0%} of runs reach further back"}[hi]
        rule = f"tau_lo set by: {why_lo}; tau_hi set by: {which}"
        return lo, hi, rule

    def _fit_window(self, tau: NDArray[np.float64], mean: NDArray[np.float64], usable: NDArray[np.bool_],
                    lo: float, hi: float) -> tuple[float, float, int]:
        sel = (tau >= lo * (1 - 1e-12)) & (tau <= hi * (1 + 1e-12)) & usable & (mean > 0)
        if sel.sum() < 3:
            return np.nan, np.nan, int(sel.sum())
        line = fit_power_law(tau[sel], mean[sel])
        return line.slope, line.slope_se, line.n

    def _sensitivity(self, tau: NDArray[np.float64], mean: NDArray[np.float64], usable: NDArray[np.bool_],
                     lo: float, hi: float) -> pd.DataFrame:
        rows = []
        for a, b, shift, wf in sensitivity_windows(lo, hi, floor=self.resolution_floor_):
            nu, se, n = self._fit_window(tau, mean, usable, a, b)
            rows.append({"tau_lo": a, "tau_hi": b, "lo_factor": shift, "width_factor": wf,
                         "nu": nu, "nu_ols_se": se, "n_points": n})
        return pd.DataFrame(rows)

    def _per_run(self, in_win: NDArray[np.bool_]) -> pd.DataFrame:
        lx = np.log(self._tau[in_win])
        Y = self._M[:, in_win]
        LY = np.where(Y > 0, np.log(np.where(Y > 0, Y, 1.0)), np.nan)
        nus = slopes_batch(lx, LY)
        return pd.DataFrame({"run": self._runs, "nu": nus, "n_points": np.isfinite(LY).sum(axis=1)})

    # ------------------------------------------------------------------ use
    def predict(self, tau: ArrayLike) -> NDArray[np.float64]:
        """The fitted law A·τ^ν."""
        self._check_fitted()
        return self.amplitude_ * np.asarray(tau, dtype=float) ** self.nu_

    def _check_fitted(self) -> None:
        if not hasattr(self, "nu_"):
            raise ValueError("this NuFitter is not fitted yet; call fit(curves, summary) first")

    def result(self) -> dict[str, Any]:
        """The fit as a JSON-serialisable dict (``NuFit.to_dict``)."""
        self._check_fitted()
        return self.result_.to_dict()


def fit_nu(curves: pd.DataFrame, summary: pd.DataFrame | None = None, **params: Any) -> "NuFit":
    """ν of the aligned test error: the function face of :class:`NuFitter` (same parameters, same
    defaults — which are those of ``grokcheck fit``), returning the :class:`NuFit` result.

    Examples
    --------
    Twenty runs whose error is planted as 0.03 (t_eps − t)^1.5 before t_eps:

    >>> import numpy as np, pandas as pd
    >>> t, t_eps = np.arange(0.0, 30.0, 0.01), np.linspace(10, 20, 20)
    >>> curves = pd.concat([pd.DataFrame({"run": r, "t": t, "test_error": np.where(
    ...     t < te, np.minimum(0.5, 0.03 * np.clip(te - t, 0, None) ** 1.5), 0.0)}) for r, te in enumerate(t_eps)])
    >>> summary = pd.DataFrame({"run": range(20), "t_eps": t_eps})
    >>> round(fit_nu(curves, summary, n_boot=50).nu, 2)
    1.5
    """
    return NuFitter(**params).fit(curves, summary).result_

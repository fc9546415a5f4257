"""The parts of a ν fit around the line: jump runs, the single-run path, quality.

Called by :meth:`NuFitter.fit <comparison.estimate.nu.NuFitter.fit>` on the
fitter itself (they set its trailing-underscore attributes); see
:mod:`~comparison.estimate.nu_quality` for the definitions.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .nu_quality import (approach_end, boot_means, drifts, jump_runs, local_slope, quality_flags, resolve_windows,
                         window_fits, window_flags)
from .nu_single import fit_single_run
from .powerlaw import sensitivity_windows

__all__ = ["handle_jumps", "fit_one_run", "finish_quality"]


def handle_jumps(f: Any, curves: pd.DataFrame, summary: pd.DataFrame, good: pd.Series) -> pd.Series:
    """Detect jump runs; with ``jumps="exclude"`` refit with them (kept in ``jumps_``) and
    return the t_ε of the others (the headline ν is then the one without them)."""
    q = f.error_quantum_ if np.isfinite(f.error_quantum_) else 0.0
    rel = good.size > 1  # the median quantum of one run is its own last step: not a reference
    thr = float(max(f.jump_threshold, f.jump_factor * q if rel else 0.0))
    jr = jump_runs(curves, f.t_eps_detected_, thr)
    jumpers = [int(r) for r in jr.index[jr["jump"].to_numpy(dtype=bool)]]
    info: dict[str, Any] = {"threshold": thr, "n": len(jumpers), "runs": jumpers, "n_runs": int(good.size),
                            "rule": (f"test error one sample before t_eps > max({f.jump_threshold:g}, "
                                     f"{f.jump_factor:g} x error quantum {q:.3g})" if rel else
                                     f"test error one sample before t_eps > {f.jump_threshold:g}")}
    f.jumps_ = info
    if not jumpers:
        info["headline"] = "all runs (no jump runs)"
        return good
    if f.jumps == "include" or good.size - len(jumpers) < 1 or good.size == 1:
        why = ("jumps='include'" if f.jumps == "include" else
               "a single run" if good.size == 1 else "every run jumps")
        info["headline"] = f"with jump runs ({why})"
        return good
    other = type(f)(**{**f.get_params(), "jumps": "include"}).fit(curves, summary)
    info.update(headline="without jump runs (the power law describes the continuous approach)",
                nu_with_jumps=float(other.nu_), nu_with_jumps_ci=[float(v) for v in other.nu_ci_],
                nu_with_jumps_flags=list(other.flags_))
    keep = ~good.index.isin(jumpers)
    f.t_eps_detected_ = f.t_eps_detected_[keep]
    f.excluded_["jump"] = len(jumpers)
    return good[keep]


def fit_one_run(f: Any, curves: pd.DataFrame, good: pd.Series) -> None:
    """ν from the one usable run's own curve (block-bootstrap CI); sets the fitter's attributes."""
    run = good.index[0]
    g = curves[curves["run"] == run].sort_values("t")
    t, E = g["t"].to_numpy(float), g["test_error"].to_numpy(float)
    te = float(f.t_eps_detected_[run])
    prev = t[t < te]
    iv = (float(prev.max()), te) if (f.refine_ and prev.size) else (te, te)
    kw = dict(floor_factor=f.floor_factor, width_decades=f.width_decades, min_error_factor=f.min_error_factor,
              min_points=int(f.min_points))
    r = fit_single_run(t, E, te, tc_interval=iv, n_boot=int(f.n_boot), ci=f.ci, random_state=f.random_state,
                       window=f.window, **kw)
    f.kind_, f.label_ = "single-run", f"single-run estimate (run {int(run)}; its own curve, not an average)"
    for k in ("nu_", "amplitude_", "nu_ci_", "nu_se_", "ci_method_", "nu_boot_", "window_", "window_rule_",
              "gof_", "time_step_"):
        setattr(f, k, getattr(r, k))
    f.t_eps_used_ = pd.Series([r.t_c_], index=pd.Index([int(run)], name="run"), name="t_eps")
    f.t_eps_refined_frac_ = 1.0 if iv[1] > iv[0] else 0.0
    f.n_runs_used_ = 1
    tau, err = r.tau_, r.error_
    order = np.argsort(tau)
    tau, err = tau[order], err[order]
    f.aligned_ = pd.DataFrame({"tau": tau, "mean_error": err, "sem": np.nan, "n_runs": 1, "usable": True})
    f._tau, f._y, f._boot = tau, err, None
    rows = []
    f.resolution_floor_ = f.window_[0] if f.window is None else f.floor_factor * f.time_step_
    for a, b, shift, wf in sensitivity_windows(*f.window_, floor=f.resolution_floor_):
        try:
            s = fit_single_run(t, E, te, tc_interval=iv, n_boot=0, window=(a, b), **kw)
            nu, se, n = s.nu_, s.gof_["nu_ols_se"], s.gof_["n_points"]
        except ValueError:
            nu, se, n = np.nan, np.nan, 0
        rows.append({"tau_lo": a, "tau_hi": b, "lo_factor": shift, "width_factor": wf, "nu": nu,
                     "nu_ols_se": se, "n_points": n})
    f.sensitivity_ = pd.DataFrame(rows)
    ok = f.sensitivity_["nu"].to_numpy(float)
    ok = ok[np.isfinite(ok)]
    f.nu_window_spread_ = float((ok.max() - ok.min()) / 2) if ok.size else float("nan")
    f.per_run_ = pd.DataFrame({"run": [int(run)], "nu": [f.nu_], "n_points": [f.gof_["n_points"]]})


def finish_quality(f: Any) -> None:
    """Fixed windows, the local slope, the no-plateau test and the quality flags."""
    if f.kind_ == "single-run":
        tau, y, boot = f._tau, f._y, None
        ok = tau >= f.floor_factor * f.time_step_
    else:
        tau = f._tau
        y = f.aligned_["mean_error"].to_numpy(float)
        ok = f._usable & np.isfinite(y) & (tau >= f.floor_factor * f.time_step_ * (1 - 1e-9))
        boot = boot_means(f._M, int(f.n_boot), f.random_state + 1) if int(f.n_boot) >= 10 else None
    # fixed_windows=None: the plateau is judged on the automatic window and the decade above it
    # (models whose power law lives at tiny tau, e.g. the perceptron's, have nothing in absolute windows)
    lo, hi = f.window_
    fixed = resolve_windows(f.fixed_windows)
    wins = list(fixed) if fixed is not None else [(hi, 10 * hi)]
    f.windows_ = window_fits(tau, y, ok, wins, boot=boot, ci=f.ci)
    end = approach_end(tau, y, ok)
    for w in f.windows_.values():  # every ν shown carries its flags, the fixed windows' too
        w["flags"] = window_flags(w, n_runs=int(f.n_runs_used_), approach=end)
    f.windows_["auto"] = {"tau_lo": lo, "tau_hi": hi, "nu": f.nu_, "ci": list(f.nu_ci_),
                          "se": f.nu_se_, "n_points": int(f.gof_["n_points"]), "se_method": f.ci_method_}
    f.local_slope_ = local_slope(tau, y, ok, boot=boot)
    f.no_plateau_ = drifts({k: w for k, w in f.windows_.items() if w.get("n_points", 0) >= 5})
    single_jump = f.kind_ == "single-run" and f.jumps_.get("n", 0) > 0
    f.flags_ = quality_flags(window=f.window_, gof=f.gof_, n_runs=int(f.n_runs_used_), nu=f.nu_,
                             nu_ci=f.nu_ci_, no_plateau=f.no_plateau_, jump=single_jump)
    f.weak_ = bool(f.flags_)
    f.windows_["auto"]["flags"] = list(f.flags_)
    if "headline" in f.jumps_ and f.jumps_["headline"].startswith("without"):
        f.jumps_["nu_without_jumps"] = float(f.nu_)

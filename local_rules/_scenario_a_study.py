"""Scenario A as a study: per-setting table and curves for ``grokcheck paper scenario-a`` (issue 16).

ν is fitted elsewhere (comparison); this module provides the per-run results, the aligned
averaged curves (test error with and without jump runs, D_eff) and the per-setting numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._checks import check_int
from ._results import ScenarioAResult
from ._scenario_a import run_scenario_a
from ._scenario_a_summary import deff_step

__all__ = ["PAPER_SETTINGS", "ScenarioAStudy", "scenario_a_study", "study_row", "aligned_mean"]

#: The paper's three settings of sec. 4.3.2 (none, L2 λ2 = 1e-4, L1 λ1 = 1e-3).
PAPER_SETTINGS: dict[str, dict[str, Any]] = {"none": {}, "L2": {"lam2": 1e-4}, "L1": {"lam1": 1e-3}}


@dataclass
class ScenarioAStudy:
    """``table``: one row per setting; ``curves``: long table (setting, curve, x, mean, sem, n);
    ``results``: the :class:`ScenarioAResult` of every setting (per-run curves for ν fits)."""
    config: dict[str, Any]
    table: pd.DataFrame
    curves: pd.DataFrame
    results: dict[str, ScenarioAResult] = field(default_factory=dict)


def aligned_mean(res: ScenarioAResult, column: str, taus: np.ndarray, runs: np.ndarray) -> pd.DataFrame:
    """Mean over ``runs`` of ``column`` at t = t_eps − τ (per-run linear interpolation in t of the
    checkpoint and dense rows; τ beyond a run's recorded range is skipped)."""
    s = res.summary.set_index("run")
    vals = np.full((len(runs), taus.size), np.nan)
    g = res.curves[res.curves["run"].isin(runs)].groupby("run")
    for i, r in enumerate(runs):
        if r not in g.groups:
            continue
        c = g.get_group(r).drop_duplicates("t").sort_values("t")
        t = c["t"].to_numpy()
        want = s.at[r, "t_eps"] - taus
        ok = (want >= t[0]) & (want <= t[-1])
        vals[i, ok] = np.interp(want[ok], t, c[column].to_numpy(dtype=float))
    return _stats(taus, vals)


def _stats(x: np.ndarray, vals: np.ndarray) -> pd.DataFrame:
    fin = np.isfinite(vals)
    n = fin.sum(0)
    v0 = np.where(fin, vals, 0.0)
    mean = np.where(n > 0, v0.sum(0) / np.maximum(n, 1), np.nan)
    ss = np.where(fin, (vals - mean) ** 2, 0.0).sum(0)
    sem = np.where(n > 1, np.sqrt(ss / np.maximum(n - 1, 1) / np.maximum(n, 1)), np.nan)
    return pd.DataFrame({"x": x, "mean": mean, "sem": sem, "n": n})


def _deff_curves(res: ScenarioAResult, grok: np.ndarray, ok: np.ndarray, lr: float) -> dict[str, pd.DataFrame]:
    f = res.features
    steps, D = f["d_eff_steps"], f["d_eff_per_step"].astype(float)
    t = steps * lr
    out = {"d_eff_all_t": _stats(t, D[ok]), "d_eff_grok_t": _stats(t, D[grok])}
    te = res.summary["t_eps"].to_numpy()
    taus = np.round(np.arange(-5.0, 5.0 + 1e-9, 0.05), 6)
    vals = np.full((int(grok.sum()), taus.size), np.nan)
    for i, r in enumerate(np.nonzero(grok)[0]):
        want = te[r] - taus
        inside = (want >= t[0]) & (want <= t[-1])
        vals[i, inside] = np.interp(want[inside], t, D[r])
    out["d_eff_grok_tau"] = _stats(taus, vals)
    return out


def _random_deff_steps(res: ScenarioAResult, window: int, rng: np.random.Generator, n_per: int = 10
                       ) -> tuple[float, float]:
    """Mean |D_eff step| across spikes and across random windows of the same length in the same runs."""
    f = res.features
    ev, steps, D = f["spikes"], f["d_eff_steps"], f["d_eff_per_step"].astype(float)
    if len(ev) == 0:
        return np.nan, np.nan
    T = int(steps[-1])
    rand = []
    for r, a, b, _, _ in ev:
        span = int(b) + window - int(a)
        if T - span <= window + 1:
            continue
        for a2 in rng.integers(window, T - span, size=n_per):
            rand.append(deff_step(D[int(r)], steps, int(a2), int(a2) + span))
    return float(np.nanmean(np.abs(ev[:, 4]))), float(np.nanmean(np.abs(rand))) if rand else np.nan


def study_row(name: str, res: ScenarioAResult, rng: np.random.Generator) -> tuple[dict[str, Any], pd.DataFrame]:
    """The per-setting numbers and curves of one scenario-A result."""
    c, s = res.config, res.summary
    lr = c["lr"]
    ok = ~s["diverged"].to_numpy(bool)
    grok = s["groks"].to_numpy(bool) & ok
    te, tg = s["t_eps"].to_numpy(), s["t_G"].to_numpy()
    jump = s["jump"].to_numpy(bool) & grok
    curves = _deff_curves(res, grok, ok, lr)
    taus = np.unique(np.concatenate([[0.0], lr * np.unique(np.round(np.logspace(0, np.log10(25 / lr), 80)))]))
    curves["test_error_tau"] = aligned_mean(res, "test_error", taus, np.nonzero(grok)[0])
    curves["test_error_tau_nojump"] = aligned_mean(res, "test_error", taus, np.nonzero(grok & ~jump)[0])
    d_spk, d_rand = _random_deff_steps(res, c["spike_window"], rng)
    n_ok = max(int(ok.sum()), 1)
    row = {"setting": name, "d": c["d"], "n_init": c["n_init"], "t_max": c["n_steps"] * lr,
           "boundary": c["boundary"], "penalty_mode": c["penalty_mode"], "penalty_norm": c["penalty_norm"],
           "penalty_on": c["penalty_on"], "lam1": c["lam1"], "lam2": c["lam2"], "test_parity": c["test_parity"],
           "n_diverged": int((~ok).sum()),
           "grok_frac_t25": float(np.sum(grok & (te <= 25 + 1e-9)) / n_ok),
           "grok_frac_end": float(grok.sum() / n_ok),
           "zero_test_at_end": float(np.sum(ok & (s["final_test_error"].to_numpy() == 0)) / n_ok),
           "t_G_mean": float(np.mean(tg[grok])) if grok.any() else np.nan,
           "t_G_median": float(np.median(tg[grok])) if grok.any() else np.nan,
           "t_eps_median": float(np.median(te[grok])) if grok.any() else np.nan,
           "spikes_per_run_data": float(s["n_spikes"].to_numpy()[ok].mean()),
           "spikes_per_run_total": float(s["n_spikes_total_loss"].to_numpy()[ok].mean()),
           "d_eff_step_spike": d_spk, "d_eff_step_random": d_rand,
           "sign_flips_per_run": float(s["n_sign_flips"].to_numpy()[ok].mean()),
           "runs_with_flips": int(np.sum(s["n_sign_flips"].to_numpy()[ok] > 0)),
           "jump_runs": int(jump.sum()), "frac_no_pad_limit": float(s["frac_no_pad_limit"].to_numpy()[ok].mean())}
    for key in ("d_eff_all_t", "d_eff_grok_t", "d_eff_grok_tau"):
        m = curves[key]["mean"].to_numpy()
        row[f"min_{key}"] = float(np.nanmin(m)) if np.isfinite(m).any() else np.nan
    frame = pd.concat([df.assign(curve=k) for k, df in curves.items()], ignore_index=True)
    return row, frame.assign(setting=name)


def scenario_a_study(d: int = 10, n_init: int = 256, settings: dict[str, dict[str, Any]] | None = None,
                     seed: int = 0, device: str = "cpu", *, keep_results: bool = True, **run_kwargs: Any
                     ) -> ScenarioAStudy:
    """Run scenario A once per setting (same seed, so the same initial A, B) and tabulate.

    ``settings`` maps a name to keyword arguments of :func:`run_scenario_a` (default
    :data:`PAPER_SETTINGS`); ``run_kwargs`` apply to all (e.g. ``n_steps``, ``boundary``).
    Table columns: grokking fraction by t = 25 and at the end (``grok_frac_t25``,
    ``grok_frac_end``), ``zero_test_at_end``, t_G mean/median of grokking runs, spikes per
    run on the data and on the total loss, mean |D_eff step| across data-loss spikes and
    across random windows of the same length, sign flips, jump runs, the share of steps
    without a padding limit, and the minima of the averaged D_eff curves (all runs vs t,
    grokking runs vs t, grokking runs aligned at t_eps).  ``test_parity`` is a column.

    Examples
    --------
    >>> st = scenario_a_study(d=3, n_init=4, n_steps=40, progress=False)  # doctest: +SKIP
    >>> list(st.table.setting)  # doctest: +SKIP
    ['none', 'L2', 'L1']
    """
    d = check_int("d", d, 1)
    n_init = check_int("n_init", n_init, 1)
    settings = dict(PAPER_SETTINGS if settings is None else settings)
    if not settings:
        raise ValueError("settings must name at least one setting")
    rng = np.random.default_rng(check_int("seed", seed, 0))
    rows, frames, results = [], [], {}
    for name, kw in settings.items():
        res = run_scenario_a(d=d, n_init=n_init, seed=seed, device=device, **{**run_kwargs, **kw})
        row, fr = study_row(name, res, rng)
        rows.append(row)
        frames.append(fr)
        if keep_results:
            results[name] = res
    cfg = {"d": d, "n_init": n_init, "seed": seed, "device": str(device), "settings": settings,
           "run_kwargs": {k: v for k, v in run_kwargs.items() if k != "test_set"},
           "random_windows": "10 random windows of the spike's length per spike, same run, rng(seed)"}
    return ScenarioAStudy(cfg, pd.DataFrame(rows), pd.concat(frames, ignore_index=True), results)

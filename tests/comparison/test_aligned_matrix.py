"""The vectorised aligned matrix equals the run-by-run interpolation it replaced, bit for bit."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from comparison.estimate.aligned import aligned_matrix


def _interp_aligned(t, y, te, tau):   # the per-run code before the vectorisation (reference)
    x = te - tau
    lin = np.interp(x, t, y, left=np.nan, right=np.nan)
    k = np.searchsorted(t, x, side="right")
    inside = (k >= 1) & (k < t.size)
    kk = np.clip(k, 1, t.size - 1)
    t0, t1, y0, y1 = t[kk - 1], t[kk], y[kk - 1], y[kk]
    u0, u1 = te - t0, te - t1
    ok = inside & (y0 > 0) & (y1 > 0) & (u1 > 0) & (u0 > u1)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.log(tau / u1) / np.log(u0 / u1)
        logv = np.log(y1) + w * (np.log(y0) - np.log(y1))
    return np.where(ok, np.exp(logv), lin)


def _loop(curves, t_eps, tau, column, loglog):
    tau = np.asarray(tau, dtype=float)
    rows, runs = [], []
    for run, g in curves.sort_values(["run", "t"], kind="mergesort").groupby("run", sort=True):
        te = t_eps.get(run, np.nan)
        if not np.isfinite(te):
            continue
        t, y = g["t"].to_numpy(float), g[column].to_numpy(float)
        vals = _interp_aligned(t, y, te, tau) if loglog else np.interp(te - tau, t, y, left=np.nan, right=np.nan)
        before = t[t < te]
        last = before.max() if before.size else -np.inf
        rows.append(np.where(tau < te - last, np.nan, vals))
        runs.append(int(run))
    return np.vstack(rows), np.asarray(runs)


def _planted(seed=0, n_runs=200):
    """Power-law approaches on uneven grids: some runs with one sample, NaN values, zero errors,
    runs whose t_eps is their first sample, runs without t_eps, rows shuffled."""
    rng = np.random.default_rng(seed)
    parts, te = [], {}
    for r in range(n_runs):
        n = int(rng.choice([1, 2, 3, 40, 120]))
        t = np.unique(np.round(np.sort(rng.uniform(0, 1000, n)), int(rng.integers(0, 3))))
        tz = float(rng.choice(t)) if rng.random() < 0.9 else np.nan
        y = np.clip((np.where(np.isfinite(tz), tz, 900.0) - t) / 1000, 0, None) ** 1.5
        y[rng.random(t.size) < 0.03] = np.nan
        parts.append(pd.DataFrame({"run": r, "t": t, "test_error": y, "d_eff": rng.normal(3, 1, t.size)}))
        if r % 17 != 5:
            te[r] = tz
    c = pd.concat(parts, ignore_index=True).sample(frac=1.0, random_state=seed)
    return c, pd.Series(te, dtype=float)


@pytest.mark.parametrize("loglog,column", [(True, "test_error"), (False, "test_error"), (False, "d_eff")])
def test_vectorised_equals_the_loop(loglog, column):
    c, te = _planted()
    tau = np.concatenate([np.geomspace(0.5, 900, 70), [0.0, 1.0, 2.0]])
    M, runs = aligned_matrix(c, te, tau, column=column, loglog=loglog)
    M0, runs0 = _loop(c, te, tau, column, loglog)
    np.testing.assert_array_equal(runs, runs0)
    np.testing.assert_array_equal(M, M0)   # NaN where NaN, every other value identical
    assert np.isfinite(M).sum() > 1000
    Ms, runs_s = aligned_matrix(c.sort_values(["run", "t"]), te, tau, column=column, loglog=loglog)   # no-sort path
    np.testing.assert_array_equal(Ms, M0)
    np.testing.assert_array_equal(runs_s, runs0)


def test_a_wrong_interpolation_is_caught():
    c, te = _planted(1)
    tau = np.geomspace(0.5, 900, 50)
    M, _ = aligned_matrix(c, te, tau, loglog=False)
    M0, _ = _loop(c, te, tau, "test_error", True)   # the log-log reference differs from the linear one
    assert not np.array_equal(np.nan_to_num(M, nan=-1), np.nan_to_num(M0, nan=-1))


def test_no_run_with_t_eps_gives_an_empty_matrix():
    c, _ = _planted(2, 5)
    M, runs = aligned_matrix(c, pd.Series({0: np.nan}), [1.0, 2.0])
    assert M.shape == (0, 2) and runs.size == 0


def _grid_step_loop(curves, t_eps):   # the per-run code before the vectorisation (reference)
    steps = []
    for run, g in curves.groupby("run", sort=True):
        te = t_eps.get(run, np.nan)
        t = np.sort(g["t"].to_numpy(float))
        if np.isfinite(te) and (t < te).any():
            steps.append(te - t[t < te].max())
    return float(np.median(steps)) if steps else float("nan")


def _refine_loop(curves, t_eps):   # likewise
    out, n_tot, moved = t_eps.copy().astype(float), 0, {}
    for run, g in curves.groupby("run", sort=True):
        te = t_eps.get(run, np.nan)
        if not np.isfinite(te):
            continue
        n_tot += 1
        t = np.unique(g["t"].to_numpy(float))
        k = int(np.searchsorted(t, te))
        if 1 <= k < t.size and abs(t[k] - te) <= 1e-12 * max(1.0, abs(te)):
            moved[run] = 0.5 * (t[k] + t[k - 1])
    if moved:
        out.loc[list(moved)] = list(moved.values())
    return out, (len(moved) / n_tot if n_tot else 0.0)


def test_grid_step_and_refinement_equal_the_loops():
    from comparison.estimate.aligned import grid_step_at_transition, refine_grid_t_eps

    c, te = _planted(3)
    te = te.copy()
    te.iloc[::7] += 0.25   # some t_eps between samples: not refined
    assert grid_step_at_transition(c, te) == _grid_step_loop(c, te)
    got, frac = refine_grid_t_eps(c, te)
    ref, frac0 = _refine_loop(c, te)
    pd.testing.assert_series_equal(got, ref)
    assert frac == frac0 and 0 < frac < 1

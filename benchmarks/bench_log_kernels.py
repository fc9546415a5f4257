"""Per-run loops of a big log's fit, old vs new, side by side (issue 24).

* ``aligned_matrix`` (every run's test error at t_eps - tau): the run-by-run loop of
  the code at ``GROKCHECK_BENCH_OLD_REF`` (default: the merge base of HEAD and ``main``)
  against the vectorised one of this tree, on the same curves (2 000 and 20 000 runs x
  100 steps of ``bench_log_scale.write_log``), 60 tau points; the matrices must be equal.
* the train error attached to each test row (``runset.tables._attach_train``): the old
  run-by-run ``merge_asof`` (its text is copied here as ``_attach_train_loop``: it lived in a
  module with relative imports) against one ``merge_asof(by="run")``, on 1 000 runs with 50
  test and 30 train rows each, interleaved; the frames must be equal.
* the S-curve fits (Eq. S1 of ``comparison.estimate.scurve``): the old run-by-run scipy
  fit against the batched Levenberg-Marquardt, on 300 planted noisy erf curves of 200
  points; the onsets must agree within 1 % of their standard error. The batched fit alone
  on 5 000 runs (the new cap) gives the time per run at scale.

The old modules are read with ``git show REF:path`` and executed in fresh namespaces (both
depend on numpy, pandas and scipy only). Times are medians of 3 alternating rounds of
``time.perf_counter`` in this process.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import time
import types
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import erf

__all__ = ["run"]

ROOT = Path(__file__).resolve().parent.parent


def _old_module(ref: str, path: str, name: str) -> types.ModuleType:
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:{path}"], capture_output=True, text=True,
                         check=True).stdout
    mod = types.ModuleType(name)
    exec(compile(src, f"{ref}:{path}", "exec"), mod.__dict__)
    return mod


def _curves(n_runs: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    steps = np.arange(100) * 10.0
    tz = rng.uniform(0.3, 0.9, n_runs) * steps[-1]
    wrong = np.minimum(np.round(600 * (np.clip(tz[:, None] - steps[None, :], 0, None) / steps[-1]) ** 1.5), 180)
    c = pd.DataFrame({"run": np.repeat(np.arange(n_runs), 100), "t": np.tile(steps, n_runs),
                      "test_error": (wrong / 200).ravel()})
    te = pd.Series([steps[np.nonzero(w <= 1)[0][0]] for w in wrong], dtype=float)
    return c, te


def _timed(f, *a, **k):
    t0 = time.perf_counter()
    out = f(*a, **k)
    return time.perf_counter() - t0, out


def _aligned_rows(old: types.ModuleType, rounds: int) -> list[str]:
    from comparison.estimate.aligned import aligned_matrix

    rows = []
    tau = np.geomspace(5.0, 600.0, 60)
    for n in (2000, 20000):
        c, te = _curves(n)
        to, tn = [], []
        for _ in range(rounds):
            a, (Mo, ro) = _timed(old.aligned_matrix, c, te, tau)
            b, (Mn, rn) = _timed(aligned_matrix, c, te, tau)
            to.append(a)
            tn.append(b)
        same = np.array_equal(Mo, Mn, equal_nan=True) and np.array_equal(ro, rn)
        mo, mn = statistics.median(to), statistics.median(tn)
        rows.append(f"| `aligned_matrix`, {n:,} runs x 100 steps, 60 tau | {mo:.3f} | {mn:.3f} | **{mo / mn:.1f}x** | "
                    f"identical: {same} |")
    return rows


def _attach_train_loop(curves: pd.DataFrame, train: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for run, grp in curves.groupby("run", sort=False):
        tr = train[train["run"] == run].sort_values("t")[["t", "test_error"]].rename(columns={"test_error": "train_error"})
        parts.append(pd.merge_asof(grp.sort_values("t"), tr, on="t", direction="backward"))
    return pd.concat(parts, ignore_index=True)


def _attach_rows(rounds: int) -> list[str]:
    from comparison.runset.tables import _attach_train

    rng = np.random.default_rng(2)
    names = np.array([f"r{i}" for i in range(1000)])
    c = pd.DataFrame({"run": pd.array(rng.choice(names, 50_000), dtype="str"),
                      "t": rng.permutation(50_000).astype(float), "test_error": rng.random(50_000)})
    tr = pd.DataFrame({"run": pd.array(rng.choice(names, 30_000), dtype="str"), "t": rng.permutation(30_000) + 0.5,
                       "test_error": rng.random(30_000)})
    to, tn = [], []
    for _ in range(rounds):
        a, fo = _timed(_attach_train_loop, c, tr)
        b, fn = _timed(_attach_train, c, tr)
        to.append(a)
        tn.append(b)
    same = fo.equals(fn)
    mo, mn = statistics.median(to), statistics.median(tn)
    return [f"| train error attached to test rows, 1,000 runs (50 + 30 rows each) | {mo:.2f} | {mn:.3f} | "
            f"**{mo / mn:.0f}x** | identical: {same} (the old loop is quadratic in runs) |"]


def _planted_scurves(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    t = np.arange(0, 10000, 50.0)
    on, s = rng.uniform(3000, 7000, n), rng.uniform(5e-4, 3e-3, n)
    y = np.clip(0.5 - 0.5 * erf(s[:, None] * (t[None, :] - on[:, None])) + rng.normal(0, 0.02, (n, t.size)), 0, 1)
    return pd.DataFrame({"run": np.repeat(np.arange(n), t.size), "t": np.tile(t, n), "e": y.ravel()})


def _scurve_rows(old: types.ModuleType, rounds: int) -> list[str]:
    from comparison.estimate.scurve import fit_scurves

    c = _planted_scurves(300)
    to, tn = [], []
    for _ in range(rounds):
        a, fo = _timed(old.fit_scurves, c, "e")
        b, fn = _timed(fit_scurves, c, "e")
        to.append(a)
        tn.append(b)
    ok = fo["reason"].isna() & fn["reason"].isna()
    d = float(((fo.loc[ok, "onset"] - fn.loc[ok, "onset"]).abs() / fo.loc[ok, "onset_se"]).max())
    mo, mn = statistics.median(to), statistics.median(tn)
    big = _planted_scurves(5000)
    tb, fb = _timed(fit_scurves, big, "e")
    return [f"| S-curve fits, 300 runs x 200 points | {mo:.2f} ({1e3 * mo / 300:.1f} ms/run) | {mn:.2f} "
            f"({1e3 * mn / 300:.2f} ms/run) | **{mo / mn:.1f}x** | fitted {int(ok.sum())}/300 both; max "
            f"abs(onset difference) / s.e. = {d:.1e} |",
            f"| S-curve fits, 5,000 runs x 200 points (the new cap) | | {tb:.2f} ({1e3 * tb / 5000:.2f} ms/run) | | "
            f"fitted {int(fb['reason'].isna().sum())}/5000 |"]


def run(rounds: int = 3) -> str:
    """Markdown section: old/new times of the two per-run loops, with their equality checks."""
    ref = os.environ.get("GROKCHECK_BENCH_OLD_REF") or subprocess.run(
        ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], capture_output=True, text=True,
        check=True).stdout.strip()[:12]
    old_t = _old_module(ref, "comparison/estimate/transitions.py", "old_transitions")
    old_s = _old_module(ref, "comparison/estimate/scurve.py", "old_scurve")
    rows = _aligned_rows(old_t, rounds) + _attach_rows(rounds) + _scurve_rows(old_s, rounds)
    load = os.getloadavg()[0]
    return ("### Per-run loops of a log's fit: old (run by run) vs new (all runs at once)\n\n"
            f"| kernel | `{ref}` (s) | this tree (s) | ratio old/new | check |\n|---|---|---|---|---|\n"
            + "\n".join(rows) + "\n\n"
            f"Wall time in one process, median of {rounds} alternating rounds (the 5 000-run fit: one run). "
            f"Load average at the end: {load:.1f} on {os.cpu_count()} cores (a shared machine).\n")


if __name__ == "__main__":
    print(run())

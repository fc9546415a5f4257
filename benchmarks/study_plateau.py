"""Seed stability of the plateau decision (issue 25): re-analyse the raw aligned errors that
``benchmarks/study_corner.py N OUT_SEED.json SEED`` dumps (OUT_SEED.pkl) for several seeds.

Usage: PYTHONPATH=. python benchmarks/study_plateau.py OUT_SEED0.pkl OUT_SEED1.pkl ... [--tau-hi 1,0.3,0.1]
[--margin 0.05,0.1,0.15,0.2]

Prints, per setting and seed: the local slope of the pooled bulk aligned error per decade of τ, then for
each τ_hi the two lowest whole log-periods (ν, CI, window, period slopes, drift CI) and the decision at
each margin, on the bulk and on the default test set; where OUT_SEED.json (study_corner.py's rows) lies
beside the .pkl, also the two verdict rows re-derived with the current plateau rule (same windows, same
predictions).  No simulation: seconds.
"""
from __future__ import annotations

import pickle
import sys
import warnings

import numpy as np


def _local_slopes(taus: np.ndarray, E: np.ndarray) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        m = np.nanmean(E, axis=0)
    ok = m > 0
    lt, lm = np.log10(taus[ok]), np.log10(m[ok])
    out = []
    for d in range(-7, 1):
        s = (lt >= d) & (lt <= d + 1)
        if s.sum() >= 3:
            out.append(f"[1e{d},1e{d + 1}] {np.polyfit(lt[s], lm[s], 1)[0]:.3f}")
    return "; ".join(out)


def _line(r: dict, margins: list[float]) -> str:
    if r.get("nu") is None:
        return f"nu None ({r.get('reason')})"
    from comparison.estimate.logperiodic import plateau_decision

    dec = ", ".join(f"{m:g}: {plateau_decision(r.get('drift_ci'), r['nu'], m)}" for m in margins)
    ci = r.get("ci") or [float("nan")] * 2
    dci = r.get("drift_ci") or [float("nan")] * 2
    return (f"nu {r['nu']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}] periods {r['periods']} window "
            f"[{r['window'][0]:.2g}, {r['window'][1]:.2g}] slopes {np.round(r['period_slopes'], 3).tolist()} "
            f"drift CI [{dci[0]:.3f}, {dci[1]:.3f}] share inside 15 % {r.get('plateau_share')} | {dec}")


def _verdicts(lr, d: dict, row: dict) -> str:
    """The verdict rows of one setting re-derived from the raw arrays with the current rule."""
    from comparison.paper_table1 import nu_verdict_rows, population_nu

    fb = population_nu(lr, d["taus"], d["E"], d["n_contexts"], d["contraction"], n_boot=200)
    ft = population_nu(lr, d["test_taus"], d["test_E"], d["test_n"], d["contraction"], n_boot=200)
    rows = nu_verdict_rows({**row, "nu_bulk": fb, "nu_test_set_periods": ft})
    return "; ".join(f"{v['quantity']}: {v['verdict']} (z = {v['z']:.2f}, predicted {v['predicted']:.3f})"
                     for v in rows) + f" | bulk {fb.get('plateau_decision')} share {fb.get('plateau_share')}"


def main(paths: list[str], tau_his: list[float], margins: list[float]) -> None:
    import local_rules as lr
    from comparison.paper_table1 import population_nu

    import json
    import os

    data = {p: pickle.load(open(p, "rb")) for p in paths}
    rows_json = {p: json.load(open(p[:-4] + ".json")) for p in paths if os.path.exists(p[:-4] + ".json")}
    settings = [d["setting"] for d in next(iter(data.values()))]
    for k, st in enumerate(settings):
        print(f"== Example {st[0]}, lam1 = {st[1]:g}, lam2 = {st[2]:g}")
        for p, rows in data.items():
            d = rows[k]
            print(f"  {p}: {d['E'].shape[0]} runs, c = {d['contraction']:.4g}; local slopes {_local_slopes(d['taus'], d['E'])}")
            for th in tau_his:
                b = population_nu(lr, d["taus"], d["E"], d["n_contexts"], d["contraction"], tau_hi=th, n_boot=200)
                t = population_nu(lr, d["test_taus"], d["test_E"], d["test_n"], d["contraction"], tau_hi=th,
                                  n_boot=200)
                print(f"    tau_hi {th:g} bulk: {_line(b, margins)}")
                print(f"    tau_hi {th:g} test: {_line(t, margins)}")
            if p in rows_json:
                print(f"    verdicts (current rule): {_verdicts(lr, d, rows_json[p][k])}")


if __name__ == "__main__":
    args = sys.argv[1:]
    opts = {"--tau-hi": [1.0, 0.3, 0.1], "--margin": [0.05, 0.1, 0.15, 0.2]}
    for key in list(opts):
        if key in args:
            i = args.index(key)
            opts[key] = [float(x) for x in args[i + 1].split(",")]
            del args[i:i + 2]
    main(args, opts["--tau-hi"], opts["--margin"])

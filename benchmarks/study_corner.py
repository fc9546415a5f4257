"""The corner study of docs/local_rules.md (issue 25): ν on the bulk population, the exit corners and
Eq. 50 vs the corner law, for the three settings that grok stably.

Usage: OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/study_corner.py [N_INIT] [OUT.json] [SEED]
(with OUT.json the raw aligned errors go to OUT.pkl: per setting τ, E[run, τ] on the bulk and on the
default test set, N, the exit corners and the symbol contractions, for benchmarks/study_plateau.py)
(default 200 initialisations; the bulk sample is the ξ sample of ``grokcheck paper table1``: 64 inputs
of length 4096, positions 512…3583, 196 608 contexts).  Runs ``table1_rows`` on the three settings and
prints one line per setting plus the corner groups; 7 min on one (shared) core at N_INIT = 200.
"""
from __future__ import annotations

import pickle
import sys
import time

STABLE = [(1, 0.01, 0.0), (2, 0.0, 0.0), (3, 0.0, 0.0)]


def _fmt(x: object, f: str = ".3f") -> str:
    return "–" if x is None else format(x, f)


def _raw(row: dict) -> dict:
    st = row["study"]
    bt = st["bulk"]
    tt, Et, nt = row["test_matrix"]
    return {"taus": bt["taus"], "E": bt["E"], "n_contexts": bt["n_contexts"], "contraction": st["contraction"],
            "corners": [{k: c[k] for k in ("key", "left", "right", "nu_corner")} for c in st["corners"]],
            "exponents": st["exponents"], "test_taus": tt, "test_E": Et, "test_n": nt}


def main(n_init: int = 200, out: str | None = None, seed: int = 0) -> list[dict]:
    from comparison._io import to_jsonable, write_json_atomic
    from comparison.paper_table1 import table1_rows

    t0 = time.perf_counter()
    rows = table1_rows(n_init=n_init, seed=seed, settings=STABLE, p_grok_draws=64, n_boot=200, bulk_runs=n_init,
                      keep_study=out is not None)
    keep = ("example", "lam1", "lam2", "n_grok", "n_init", "xi", "xi_ci", "xi_closed_form", "d_eff", "d_eff_bulk",
            "nu_bulk", "nu_test_set_periods", "nu_corner_pred", "nu_pred_bulk", "nu_verdicts", "seconds")
    slim = [{k: r.get(k) for k in keep} for r in rows]
    for r in slim:
        fb, ft, cp = r["nu_bulk"], r["nu_test_set_periods"], r["nu_corner_pred"]
        print(f"Ex {r['example']} lam1={r['lam1']:g}: nu_bulk {_fmt(fb.get('nu'))} {fb.get('ci')} periods "
              f"{fb.get('periods')} window {fb.get('window')} slopes {fb.get('period_slopes')} | test set "
              f"{_fmt(ft.get('nu'))} periods {ft.get('periods')} | Eq.50 bulk {_fmt(r['nu_pred_bulk'])} | corner "
              f"mixture {_fmt(cp.get('mixture_nu'))} +- {_fmt(cp.get('mixture_nu_se'))} leading {_fmt(cp['leading'])}")
        for k, g in cp["groups"].items():
            print(f"    {k}: share {g['share']:.3f} nu_k {g['nu_corner']:.3f} measured {_fmt(g['nu'])} {g['ci']} "
                  f"periods {g['periods']} slopes {g.get('period_slopes')}")
        for v in r["nu_verdicts"]:
            print(f"    {v['quantity']}: {v['verdict']} (z = {v['z']:.2f}; predicted {v['predicted']:.3f})")
    print(f"total {time.perf_counter() - t0:.0f} s")
    if out:
        write_json_atomic(out, to_jsonable(slim))
        raw = [{"setting": (r["example"], r["lam1"], r["lam2"]), **_raw(r)} for r in rows if "study" in r]
        with open(out.rsplit(".", 1)[0] + ".pkl", "wb") as fh:
            pickle.dump(raw, fh)
    return slim


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200, sys.argv[2] if len(sys.argv) > 2 else None,
         int(sys.argv[3]) if len(sys.argv) > 3 else 0)

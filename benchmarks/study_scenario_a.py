"""The scenario-A modelling-choice study of docs/local_rules.md (issue 16).

Usage: OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/study_scenario_a.py N_INIT N_STEPS OUT.csv [NAME ...]
Runs every variant (d = 10, K = 1, rule 30, lr 0.005, seed 0: the same initial A, B in every
variant) and appends one table row per variant to OUT.csv as it finishes.
"""
from __future__ import annotations

import sys
import time

import pandas as pd

VARIANTS = {
    "trainable none": {"boundary": "trainable"},
    "trainable L2": {"boundary": "trainable", "lam2": 1e-4},
    "trainable L1": {"boundary": "trainable", "lam1": 1e-3},
    "pad none": {"boundary": "pad"},
    "pad L2": {"boundary": "pad", "lam2": 1e-4},
    "pad L1": {"boundary": "pad", "lam1": 1e-3},
    "trainable L1 decoupled": {"boundary": "trainable", "lam1": 1e-3, "penalty_mode": "decoupled"},
    "pad L1 decoupled": {"boundary": "pad", "lam1": 1e-3, "penalty_mode": "decoupled"},
    "eigen none": {"boundary": "eigen"},
    "eigen L2": {"boundary": "eigen", "lam2": 1e-4},
    "eigen L1": {"boundary": "eigen", "lam1": 1e-3},
    "trainable L1 mean": {"boundary": "trainable", "lam1": 1e-3, "penalty_norm": "mean"},
    "trainable L1 on A": {"boundary": "trainable", "lam1": 1e-3, "penalty_on": "A"},
    "trainable L1 on B": {"boundary": "trainable", "lam1": 1e-3, "penalty_on": "B"},
    "trainable L2 decoupled": {"boundary": "trainable", "lam2": 1e-4, "penalty_mode": "decoupled"},
}


def main(n_init: int, n_steps: int, out: str, names: list[str] | None = None) -> None:
    import numpy as np
    import torch

    from local_rules._scenario_a_study import scenario_a_study
    torch.set_num_threads(1)
    for name, kw in VARIANTS.items():
        if names and name not in names:
            continue
        t = time.perf_counter()
        st = scenario_a_study(d=10, n_init=n_init, settings={name: kw}, seed=0, n_steps=n_steps, progress=False,
                              keep_results=False)
        row = st.table.assign(wall_s=time.perf_counter() - t)
        row.to_csv(out, mode="a", header=not pd.io.common.file_exists(out), index=False)
        st.curves.to_csv(out.replace(".csv", "_curves.csv"), mode="a",
                         header=not pd.io.common.file_exists(out.replace(".csv", "_curves.csv")), index=False)
        print(name, f"{time.perf_counter() - t:.0f} s", np.round(row.iloc[0, 11:].to_numpy(dtype=float), 3),
              flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:] or None)

"""Data step of the paper's scenario-B table (issue 10): Examples 1–3 × their regularisation settings.

Composes ``local_rules`` (simulation; imported lazily) with :mod:`comparison.estimate.context`
(estimators).  ν is not fitted here: each row carries the run's t_eps and aligned mean curve
(and, with ``keep_results``, the :class:`local_rules.ScenarioBResult`) for the ν fitter.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from .estimate.context import d_eff_variants, eps_readings, wilson_ci, xi_contexts

__all__ = ["table1_rows", "PAPER_SETTINGS"]

#: (example, lam1, lam2): the nine settings the paper ran (science note local-rules.md).
PAPER_SETTINGS = ((1, 0.01, 0.0), (1, 0.1, 0.0), (1, 0.0, 0.1), (2, 0.0, 0.0), (2, 0.05, 0.0), (2, 0.0, 0.1),
                  (3, 0.0, 0.0), (3, 0.2, 0.0), (3, 0.0, 0.2))


def _example_measurements(lr: Any, A: np.ndarray, test: Any, seed: int, n_boot: int,
                          bulk_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Everything that depends on A only: contexts, ξ (bulk, test without lump, closed form), D_eff."""
    tc = lr.contexts_of_test_set(A, test)
    bc = lr.bulk_contexts(A, seed=seed, **bulk_kwargs)
    xb = xi_contexts(bc.left, bc.right, bc.labels, bc.weights, groups=bc.groups, n_boot=n_boot, seed=seed)
    xt = xi_contexts(tc.left, tc.right, tc.labels, tc.weights, exclude=tc.lump, groups=tc.groups,
                     strata=tc.strata, n_boot=n_boot, seed=seed)
    cf = lr.xi_closed_form(A)
    Zt = tc.features()
    dv = {"test": d_eff_variants(Zt, tc.labels, tc.weights),
          "bulk": d_eff_variants(bc.features(), bc.labels, bc.weights)}
    return {"tc": tc, "Zt": Zt, "xi_bulk": xb, "xi_test": xt, "closed": cf, "d_eff": dv,
            "lump_weight": float(tc.weights[tc.lump].sum())}


def _p_grok(lr: Any, settings: list[tuple[int, float, float]], n_draws: int, seed: int, test: Any
            ) -> dict[tuple[float, float], dict[str, Any]]:
    """Two maps (λ1 grid at λ2 = 0, λ2 grid at λ1 = 0) instead of the full grid: the FISTA solves for
    λ1 > 0 dominate, and the paper's settings never combine λ1 > 0 with λ2 > 0."""
    if any(l1 > 0 and l2 > 0 for _, l1, l2 in settings):
        raise ValueError("settings: a setting with both lam1 > 0 and lam2 > 0 is not supported here")
    out = {}
    for l1s, l2s in ((sorted({s[1] for s in settings} | {0.0}), [0.0]), ([0.0], sorted({s[2] for s in settings}))):
        m = lr.grokking_probability_map(l1s, l2s, n_draws=n_draws, seed=seed, test_set=test, progress=False)
        out.update({(float(r.lam1), float(r.lam2)): {"p": float(r.p), "n_draws": int(r.n_draws),
                                                     "ci": wilson_ci(int(r.n_accepted), int(r.n_draws))}
                    for r in m.itertuples()})
    return out


def table1_rows(n_init: int = 300, seed: int = 0, *, settings: Any = PAPER_SETTINGS, p_grok_draws: int = 2000,
                n_boot: int = 200, bulk_kwargs: dict[str, Any] | None = None, test_set: Any = None,
                keep_results: bool = False, progress: bool = False) -> list[dict[str, Any]]:
    """One row per (example, setting), everything of the scenario-B table except ν.

    Keys: ``example, lam1, lam2, d_eff`` (per class on the test distribution: the one for Eq. 50),
    ``d_eff_used``, ``d_eff_variants`` ({test, bulk} × {pooled, within, per_class}), ``xi`` (bulk
    histogram, max over classes of left + right), ``xi_ci`` (95 % bootstrap over inputs),
    ``xi_closed_form``, ``xi_test_set`` (+ ``xi_test_set_ci``; boundary lump removed),
    ``lump_weight``, ``eps_variants`` ("no estimator in the paper"), ``p_grok_map`` (random A,
    this setting's λ1/λ2), ``p_grok_map_ci`` (Wilson 95 %), ``p_grok_map_lambda0`` (+ ci),
    ``p_grok_draws``, ``stationary_test_error``, ``transient`` (stationary error > 0: runs can only
    pass through zero error), ``n_transient``, ``n_grok``, ``n_init``, ``seed``, ``t_eps`` (grokking
    runs), ``aligned_curve`` (τ, mean, sem, n of the test error at t_eps − τ), ``seconds``; with
    ``keep_results`` also ``result`` (the ScenarioBResult, for the ν fitter).

    Examples
    --------
    >>> rows = table1_rows(n_init=5, settings=[(2, 0.0, 0.0)], p_grok_draws=64, n_boot=0,
    ...                    bulk_kwargs={"n_seq": 8, "length": 1024, "lo": 128, "hi": 896})  # doctest: +SKIP
    >>> rows[0]["n_grok"]  # doctest: +SKIP
    5
    """
    import local_rules as lr
    settings = [(int(e), float(l1), float(l2)) for e, l1, l2 in settings]
    if any(e not in (1, 2, 3) or l1 < 0 or l2 < 0 for e, l1, l2 in settings):
        raise ValueError("settings must be (example in 1..3, lam1 >= 0, lam2 >= 0) triples")
    test = test_set if test_set is not None else lr.make_test_set(30, 1)
    pg = _p_grok(lr, settings, p_grok_draws, seed, test)
    per_ex: dict[int, dict[str, Any]] = {}
    rows = []
    for ex, l1, l2 in settings:
        t0 = time.perf_counter()
        A = lr.example_tensor(f"example{ex}")
        if ex not in per_ex:
            per_ex[ex] = _example_measurements(lr, A, test, seed, n_boot, bulk_kwargs or {})
        m = per_ex[ex]
        res = lr.run_scenario_b(A, lam1=l1, lam2=l2, n_init=n_init, seed=seed, test_set=test, progress=progress)
        f = res.features
        w = lr.stationary_classifier(f["G"], f["a"], l1)
        tc = m["tc"]
        stat_err = float(tc.weights @ (np.sign(m["Zt"] @ w) != tc.labels))
        n_grok = int(res.summary["groks"].sum())
        curve = res.mean_curve(by="tau")
        row = {"example": ex, "lam1": l1, "lam2": l2, "d_eff": m["d_eff"]["test"]["per_class"],
               "d_eff_used": "per_class on the test distribution", "d_eff_variants": m["d_eff"],
               "xi": m["xi_bulk"]["xi"], "xi_ci": m["xi_bulk"]["xi_ci"], "xi_closed_form": m["closed"]["xi"],
               "xi_test_set": m["xi_test"]["xi"], "xi_test_set_ci": m["xi_test"]["xi_ci"],
               "lump_weight": m["lump_weight"],
               "eps_variants": {"label": "no estimator in the paper",
                                **eps_readings(m["Zt"], tc.labels, tc.weights, {"stationary_classifier": w})},
               "p_grok_map": pg[(l1, l2)]["p"], "p_grok_map_ci": pg[(l1, l2)]["ci"],
               "p_grok_map_lambda0": pg[(0.0, 0.0)]["p"], "p_grok_map_lambda0_ci": pg[(0.0, 0.0)]["ci"],
               "p_grok_draws": p_grok_draws, "stationary_test_error": stat_err, "transient": stat_err > 0,
               "n_transient": n_grok if stat_err > 0 else 0, "n_grok": n_grok, "n_init": n_init, "seed": seed,
               "t_eps": res.summary.loc[res.summary["groks"], "t_eps"].to_numpy(),
               "aligned_curve": curve, "seconds": time.perf_counter() - t0}
        if keep_results:
            row["result"] = res
        rows.append(row)
    return rows

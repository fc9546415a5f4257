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
from .estimate.logperiodic import PLATEAU_MARGIN, fit_log_periodic

__all__ = ["table1_rows", "PAPER_SETTINGS", "TAU_HI", "population_nu", "corner_prediction", "bulk_nu_fields",
           "nu_verdict_rows"]

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
    return {"tc": tc, "bc": bc, "Zt": Zt, "xi_bulk": xb, "xi_test": xt, "closed": cf, "d_eff": dv,
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
                keep_results: bool = False, progress: bool = False, bulk_runs: int = 200,
                keep_study: bool = False) -> list[dict[str, Any]]:
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
    ``keep_results`` also ``result`` (the ScenarioBResult, for the ν fitter).  Stable settings (not
    transient, ≥ 2 grokking runs) with ``bulk_runs`` > 0 also get :func:`bulk_nu_fields` (issue 25):
    ``nu_bulk``, ``nu_test_set_periods``, ``nu_corner_pred``, ``nu_pred_bulk``, ``d_eff_bulk``,
    ``nu_verdicts``, from the first ``bulk_runs`` initialisations on the ξ bulk sample; with
    ``keep_study`` also ``study`` (:func:`local_rules.corner_study`) and ``test_matrix`` (τ, E[run, τ],
    N) of the default test set, for re-analysis (benchmarks/study_corner.py).

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
        if bulk_runs > 0 and stat_err <= 0 and n_grok >= 2:
            study = lr.corner_study(A, lam1=l1, lam2=l2, n_init=min(bulk_runs, n_init), seed=seed, contexts=m["bc"])
            row.update(bulk_nu_fields(lr, study, res, tc.weights, row, n_boot=n_boot, seed=seed))
            if keep_study:
                row["study"] = study
                row["test_matrix"] = (*_test_set_matrix(res), 1.0 / float(np.sum(tc.weights ** 2)))
            row["seconds"] = time.perf_counter() - t0
        if keep_results:
            row["result"] = res
        rows.append(row)
    return rows


# ---------------------------------------------------------------- ν on the bulk population (issue 25)
#: Top of the ν window on both populations (fixed): above τ ≈ 1–10 the error is macroscopic and every
#: local slope is pulled towards ≈ 1 (the end of the approach, not the transition).
TAU_HI = 1.0


def _se(ci: Any) -> float:
    return float((ci[1] - ci[0]) / (2 * 1.959964)) if ci else float("nan")


def population_nu(lr: Any, tau: Any, E: Any, n_points: float, contraction: float | None, *, n_boot: int = 200,
                  seed: int = 0, tau_hi: float = TAU_HI, margin: float = PLATEAU_MARGIN) -> dict[str, Any]:
    """ν of an aligned error ``E[run, tau]`` over whole log-periods of ``contraction`` (the staircase of
    the exit edges, :func:`comparison.estimate.logperiodic.fit_log_periodic`) in the resolved window
    (:func:`local_rules.resolved_window`: ≥ max(20/N, 2 × floor) up to ``tau_hi``): the two lowest whole
    periods above the first resolved τ (the closest approach to the transition the sample allows).
    Adds ``plateau`` (2 whole periods and :func:`~comparison.estimate.logperiodic.plateau_decision` says
    "plateau": the drift of the period-averaged slopes is inside the margin with 95 % confidence), ``resolved_from``,
    ``window_rule`` and ``all_periods`` (every whole period up to ``TAU_HI``, to show the drift)."""
    n_runs = int(np.atleast_2d(E).shape[0])
    base = {"nu": None, "ci": None, "periods": 0, "window": None, "plateau": False, "contraction": contraction,
            "n_runs": n_runs, "n_points": float(n_points)}
    if contraction is None or not 0 < contraction < 1 or n_runs < 2:
        return {**base, "reason": "no one-sided exit edge (no contraction) or fewer than 2 runs"}
    win = lr.resolved_window(tau, E, max(1, int(round(n_points))), tau_hi=tau_hi)
    rule = f"{win['rule']} (tau_hi = {tau_hi:g}); the 2 lowest whole log-periods ln(1/c) from lo"
    if win["lo"] is None:
        return {**base, "reason": f"no resolved tau <= {tau_hi:g} (e_min = {win['e_min']:.3g})", "window_rule": rule}

    def fit(**kw: Any) -> dict[str, Any]:
        return fit_log_periodic(tau, E, contraction, window=(win["lo"], win["hi"]), seed=seed, margin=margin, **kw)

    r = {**base, **fit(n_boot=n_boot, anchor="bottom", max_periods=2)}
    a = fit(n_boot=min(n_boot, 50), anchor="top")
    r.update(contraction=contraction, resolved_from=win["lo"], window_rule=rule, n_points=float(n_points),
             plateau=bool(r["periods"] >= 2 and r.get("plateau_decision") == "plateau" and r["nu"] is not None),
             all_periods={k: a.get(k) for k in ("nu", "ci", "periods", "window", "period_slopes", "drift_ci",
                                                "plateau_decision", "plateau_share")})
    return r


def _mixture_nu(lr: Any, tau: Any, E: Any, keys: list[str], nus: dict[str, float], window: Any, c: float,
                n_boot: int, seed: int, n_ctx: int) -> tuple[float | None, float]:
    """The corner mixture's ν over the same whole periods, and its bootstrap s.e. over runs."""
    def one(rows: Any) -> float | None:
        mix = lr.corner_mixture(tau, E[rows], [keys[i] for i in rows], nus, window=window,
                                n_contexts=n_ctx)["mixture"]
        return fit_log_periodic(tau, mix[None], c, window=window, n_boot=0)["nu"]

    rng = np.random.default_rng(seed)
    nu = one(np.arange(E.shape[0]))
    boots = [one(rng.integers(0, E.shape[0], E.shape[0])) for _ in range(n_boot)]
    b = np.array([x for x in boots if x is not None and np.isfinite(x)])
    return nu, float(np.std(b, ddof=1)) if b.size >= 10 else 0.0


def corner_prediction(lr: Any, study: dict[str, Any], fit: dict[str, Any], *, n_boot: int = 200, seed: int = 0
                      ) -> dict[str, Any]:
    """``nu_corner_pred``: leading corner exponent, shares (by exit edge pair and by full corner), the
    mixture Σ p_k C_k τ^ν_k fitted like the pooled ν (same whole periods), and per edge pair the
    measured ν of its runs (:func:`population_nu`) beside ν_k."""
    bt, corners, ex = study["bulk"], study["corners"], study["exponents"]
    keys = [r["key"] for r in corners]
    nus = {r["key"]: r["nu_corner"] for r in corners}
    pairs = [f"A{r['left']}xA{r['right']}" for r in corners]
    out: dict[str, Any] = {"exponents": {f"A{x}": e for x, e in ex.items()}, "n_runs": len(corners),
                           "shares": {k: pairs.count(k) / len(pairs) for k in sorted(set(pairs))} if pairs else {},
                           "shares_full": {k: keys.count(k) / len(keys) for k in sorted(set(keys))} if keys else {},
                           "identification": "tail symbol of the last misclassified bulk context's history "
                                             "(local_rules.identify_corners)", "groups": {}}
    fin = [r["nu_corner"] for r in corners if np.isfinite(r["nu_corner"])]
    out["leading"] = float(min(fin)) if fin else None
    out["unexplained_share"] = 1.0 - len(fin) / len(corners) if corners else None
    if fit.get("nu") is not None:
        nu, se = _mixture_nu(lr, bt["taus"], bt["E"], keys, nus, tuple(fit["window"]), fit["contraction"],
                             n_boot, seed, bt["n_contexts"])
        out.update(mixture_nu=nu, mixture_nu_se=se, window=fit["window"], periods=fit["periods"])
    for k in sorted(set(pairs)):
        rows = np.array([p == k for p in pairs])
        first = next(r for r, p in zip(corners, pairs) if p == k)
        nu_k = first["nu_corner"]
        cs = [ex[s]["ratio"] for s in (first["left"], first["right"]) if s >= 0 and ex[s]["one_sided"]]
        g = population_nu(lr, bt["taus"], bt["E"][rows], bt["n_contexts"], min(cs) if cs else None,
                          n_boot=n_boot, seed=seed)
        out["groups"][k] = {"share": float(rows.mean()), "n_runs": int(rows.sum()), "nu_corner": nu_k,
                            **{q: g.get(q) for q in ("nu", "ci", "periods", "window", "period_slopes", "plateau",
                                                     "plateau_decision", "plateau_share", "drift_ci", "contraction",
                                                     "reason")}}
    return out


def _test_set_matrix(res: Any) -> tuple[np.ndarray, np.ndarray]:
    """The test-set aligned error of a ScenarioBResult as (τ, E[run, τ]) (NaN where a run has no point)."""
    a = res.curves[res.curves["aligned"].astype(bool)]
    M = a.pivot_table(index="run", columns="tau", values="test_error", aggfunc="mean")
    return M.columns.to_numpy(dtype=float), M.to_numpy(dtype=float)


def bulk_nu_fields(lr: Any, study: dict[str, Any], res: Any, test_weights: Any, row: dict[str, Any], *,
                   n_boot: int = 200, seed: int = 0) -> dict[str, Any]:
    """``nu_bulk``, ``nu_test_set_periods`` (the same estimator on the default test set, N = 1/Σw²),
    ``nu_corner_pred``, ``nu_pred_bulk`` (Eq. 50 with the bulk per-class D_eff and the bulk ξ) and
    ``nu_verdicts`` (:func:`nu_verdict_rows`) for one stable setting; ``study`` is
    :func:`local_rules.corner_study` on the ξ sample (``row['xi']``)."""
    bt, c = study["bulk"], study["contraction"]
    fit = population_nu(lr, bt["taus"], bt["E"], bt["n_contexts"], c, n_boot=n_boot, seed=seed)
    w = np.asarray(test_weights, float)
    tt, Et = _test_set_matrix(res)
    fit_t = population_nu(lr, tt, Et, 1.0 / float(np.sum(w ** 2)), c, n_boot=n_boot, seed=seed)
    d_b = float(row["d_eff_variants"]["bulk"]["per_class"])
    xi = row.get("xi")
    pred = None if xi is None or not np.isfinite(float(xi)) else (d_b + 1) / 2 - float(xi)
    out = {"nu_bulk": {**fit, "population": f"bulk contexts (N = {bt['n_contexts']}, the xi sample), "
                                            f"t_eps on the same sample, {fit['n_runs']} runs"},
           "nu_test_set_periods": {**fit_t, "population": "default test set (N = 1/sum w^2)"},
           "nu_corner_pred": corner_prediction(lr, study, fit, n_boot=n_boot, seed=seed),
           "nu_pred_bulk": pred, "d_eff_bulk": d_b}
    out["nu_verdicts"] = nu_verdict_rows({**row, **out})
    return out


def _plateau_text(name: str, f: dict[str, Any]) -> str:
    """One clause: the population's plateau decision with its drift CI and margin."""
    d, ci, m = f.get("plateau_decision"), f.get("drift_ci"), f.get("margin")
    if d is None or ci is None or m is None:
        return f"{name}: {f.get('periods', 0)} whole period(s), no decision"
    share = f", {f['plateau_share']:.0%} of bootstrap drifts inside" if f.get("plateau_share") is not None else ""
    return f"{name}: {d}, drift CI [{ci[0]:.3g}, {ci[1]:.3g}] vs margin +-{m:.3g}{share}"


def nu_verdict_rows(row: dict[str, Any]) -> list[dict[str, Any]]:
    """Verdicts on the bulk ν: Eq. 50 (per-class D_eff of the bulk, bulk ξ) and the corner law (mixture).

    Testable when the bulk or the test-set population has a plateau over ≥ 2 whole log-periods (the
    margin rule of :func:`~comparison.estimate.logperiodic.plateau_decision`; "undecided" and "drift"
    are not testable, the reason names the drift CI and the margin of each population); the
    measured ν is always the bulk one (its window and periods in the note); se_sys = half the range of
    its period-averaged slopes (rows built by :class:`~comparison.agreement.Verdict`)."""
    from .agreement import MIN_RUNS, Verdict

    fb, ft, cp = row["nu_bulk"], row["nu_test_set_periods"], row["nu_corner_pred"]
    xi_se = _se(row.get("xi_ci"))
    src = {"Eq. 50": f"Eq. 50: nu = (D_eff + 1)/2 - xi, D_eff = {row['d_eff_bulk']:.3g} (per class, bulk), "
                     f"xi = {row.get('xi', float('nan')):.3g} (bulk histogram)",
           "corner": f"corner law: sum_k p_k C_k tau^nu_k, nu_k = 2 - xi_xL - xi_xR; leading "
                     f"{float('nan') if cp['leading'] is None else cp['leading']:.3g}, "
                     f"shares {', '.join(f'{k} {v:.0%}' for k, v in cp['shares'].items())}"}
    preds = {"Eq. 50": (row.get("nu_pred_bulk"), 0.0 if not np.isfinite(xi_se) else xi_se),
             "corner": (cp.get("mixture_nu"), cp.get("mixture_nu_se", 0.0))}
    ok = fb.get("plateau") or ft.get("plateau")
    rows = []
    for name, (pred, se_pred) in preds.items():
        q = f"nu bulk ({name})"
        if fb.get("nu") is None or fb.get("n_runs", 0) < MIN_RUNS["nu"] or pred is None or not ok:
            why = fb.get("reason") or ("no plateau over >= 2 whole log-periods on either population ("
                                       f"{_plateau_text('bulk', fb)}; {_plateau_text('test set', ft)})" if not ok
                                       else "no prediction or too few runs")
            measured = fb["nu"] if fb.get("nu") is not None else float("nan")
            rows.append({**Verdict.not_testable(q, measured, theory=src[name], why=why).row(),
                         "predicted": float("nan") if pred is None else float(pred)})
            continue
        sl = [s for s in fb["period_slopes"] if np.isfinite(s)]
        note = (f"whole log-periods: {fb['periods']} of ln(1/{fb['contraction']:.3g}) in tau in "
                f"[{fb['window'][0]:.3g}, {fb['window'][1]:.3g}]; period slopes {', '.join(f'{s:.3f}' for s in sl)}; "
                f"plateau: {'bulk' if fb.get('plateau') else 'test set only'} ({_plateau_text('bulk', fb)})")
        rows.append(Verdict.estimate(q, fb["nu"], _se(fb["ci"]), float(pred), float(se_pred),
                                     (max(sl) - min(sl)) / 2 if sl else 0.0, theory=src[name], note=note).row())
    return rows

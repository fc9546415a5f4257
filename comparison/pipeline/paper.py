"""``grokcheck paper table1``: scenario B Examples 1-3 × the paper's nine settings, measured honestly.

The data step (:func:`comparison.paper_table1.table1_rows`) measures D_eff (three
readings), ξ (bulk contexts by the angle recipe, its closed form, and the test
set without the boundary lump), ε readings, P_grok of random A, the stationary
classifier's test error. Here ν is fitted per setting on the simulated runs —
in the automatic window AND in fixed common windows τ ∈ [0.01, 0.1], [0.1, 1],
[1, 10] — and ``nu_pred = (D_eff + 1)/2 − ξ`` (Eq. 50 with D → D_eff, per-class
D_eff) is formed only where ξ was measured. A setting whose stationary
classifier has test error > 0 can only pass through zero error ("transient"):
its ν is not fitted as if it grokked.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..estimate import NuFitter
from ..estimate.nu_quality import FIXED_WINDOWS  # the one definition, re-exported

__all__ = ["FIXED_WINDOWS", "paper_table1", "table1_frame", "write_table1_report", "paper_scenario_a"]


def _window_fits(res: Any, seed: int) -> dict[str, Any]:
    """ν in the automatic window and in the fixed windows (NuFit.windows), the no-plateau flag, the
    quality flags, the local slope and the jump runs (left out of the headline ν)."""
    try:
        f = NuFitter(random_state=seed, fixed_windows="paper").fit(res.curves, res.summary).result_
    except ValueError as exc:
        return {"nu": None, "nu_ci": None, "nu_windows": {}, "no_plateau": None, "nu_error": str(exc)}
    out: dict[str, Any] = {"nu": f.nu, "nu_ci": list(f.nu_ci), "nu_window": list(f.window),
                           "nu_window_rule": f.window_rule, "nu_ci_method": f.ci_method,
                           "nu_windows": {k: v for k, v in f.windows.items() if k != "auto"},
                           "no_plateau": bool(f.no_plateau), "nu_flags": list(f.flags), "nu_weak": bool(f.weak),
                           "jumps": f.jumps}
    if f.local_slope is not None and len(f.local_slope):
        out["local_slope"] = {"tau": f.local_slope["tau"].tolist(), "slope": f.local_slope["slope"].tolist()}
    return out


def paper_table1(n_init: int = 300, seed: int = 0, *, p_grok_draws: int = 2000, n_boot: int = 200,
                 settings: Any = None, progress: bool = False, bulk_runs: int = 200) -> list[dict[str, Any]]:
    """Rows of the scenario-B table (JSON-ready; keys listed in docs/comparison.md)."""
    from ..paper_table1 import PAPER_SETTINGS, table1_rows

    rows = table1_rows(n_init=n_init, seed=seed, settings=settings or PAPER_SETTINGS, p_grok_draws=p_grok_draws,
                       n_boot=n_boot, keep_results=True, progress=progress, bulk_runs=bulk_runs)
    for row in rows:
        res = row.pop("result")
        row.pop("aligned_curve", None)
        row["t_eps"] = np.asarray(row["t_eps"], dtype=float).tolist()
        s = res.summary
        tg = s.loc[s["groks"].astype(bool), "t_G"].to_numpy(dtype=float)
        row["t_G"] = tg[np.isfinite(tg)].tolist()
        if row["transient"]:
            row.update(nu=None, nu_ci=None, nu_windows={}, no_plateau=None,
                       nu_note="transient: the stationary classifier has test error "
                               f"{row['stationary_test_error']:.3g} > 0; runs only pass through zero error")
        elif row["n_grok"] < 2:
            row.update(nu=None, nu_ci=None, nu_windows={}, no_plateau=None, nu_note="fewer than 2 grokking runs")
        else:
            row.update(_window_fits(res, seed))
        xi = row.get("xi")
        if xi is None or not math.isfinite(float(xi)):
            row.update(nu_pred=None, nu_pred_note="xi not measured: no prediction")
        else:
            row["nu_pred"] = (row["d_eff"] + 1) / 2 - float(xi)
            row["xi_in_eq50_domain"] = bool(0 < float(xi) < 1)
    return rows


def table1_frame(rows: list[dict[str, Any]]) -> Any:
    """A compact printable table of :func:`paper_table1` rows."""
    import pandas as pd

    def fmt_ci(ci: Any) -> str:
        return "–" if not ci else f"[{ci[0]:.3g}, {ci[1]:.3g}]"

    out = []
    for r in rows:
        win = r.get("nu_windows") or {}
        bulk = _bulk_columns(r)
        first = ("nu bulk", "nu bulk CI", "periods", "plateau bulk", "nu_pred bulk", "nu corner", "corner leading",
                 "Eq. 50 (bulk)", "corner law")
        out.append({"ex": r["example"], "lam1": r["lam1"], "lam2": r["lam2"],
                    "groks": f"{r['n_grok']}/{r['n_init']}" + (" (transient)" if r["transient"] else ""),
                    "nu auto": r["nu"] if r["nu"] is not None else float("nan"), "nu CI": fmt_ci(r["nu_ci"]),
                    **{k: bulk.pop(k) for k in first},  # the bulk nu beside the default-test-set nu
                    **{f"nu[{k}]": (v["nu"] if v.get("nu") is not None else float("nan")) for k, v in win.items()},
                    "no plateau": "–" if r.get("no_plateau") is None else ("yes" if r["no_plateau"] else "no"),
                    "D_eff": r["d_eff"], "xi": r["xi"], "xi CI": fmt_ci(r["xi_ci"]),
                    "xi closed": r["xi_closed_form"], "nu_pred": r["nu_pred"] if r["nu_pred"] is not None else float("nan"),
                    "P_grok(A)": r["p_grok_map"], "stat. err": r["stationary_test_error"], **bulk})
    return pd.DataFrame(out)


def _bulk_columns(r: dict[str, Any]) -> dict[str, Any]:
    """ν on the bulk (whole log-periods, CI, plateau decision), ν on the default test set by the same
    estimator, Eq. 50 on the bulk, the corner law (mixture ν, leading ν_k, shares) and both verdicts."""
    nan = float("nan")
    fb, ft, cp = r.get("nu_bulk") or {}, r.get("nu_test_set_periods") or {}, r.get("nu_corner_pred") or {}
    verdicts = {v["quantity"]: v["verdict"] for v in r.get("nu_verdicts", [])}
    ci = fb.get("ci")
    num = lambda x: x if x is not None else nan  # noqa: E731
    return {"nu bulk": num(fb.get("nu")), "nu bulk CI": "–" if not ci else f"[{ci[0]:.3g}, {ci[1]:.3g}]",
            "periods": fb.get("periods", 0), "plateau bulk": fb.get("plateau_decision") or "–",
            "nu test (periods)": num(ft.get("nu")), "plateau test": ft.get("plateau_decision") or "–",
            "nu_pred bulk": num(r.get("nu_pred_bulk")), "nu corner": num(cp.get("mixture_nu")),
            "corner leading": num(cp.get("leading")),
            "corner shares": ", ".join(f"{k} {v:.0%}" for k, v in (cp.get("shares") or {}).items()) or "–",
            "Eq. 50 (bulk)": verdicts.get("nu bulk (Eq. 50)", "–"),
            "corner law": verdicts.get("nu bulk (corner)", "–")}


def write_table1_report(rows: list[dict[str, Any]], out_dir: Any) -> Any:
    """Write ``report.md``/``report.html`` with the table and its figures into ``out_dir``."""
    from ..report import Report, write_report
    from ..report.table1 import draw_table1

    rep = Report(title="Scenario B: the paper's Examples 1-3, measured (grokcheck paper table1)")
    draw_table1(rep, rows, table1_frame(rows))
    return write_report(rep, out_dir)


def paper_scenario_a(ds: Any = (10,), n_init: int = 256, *, n_steps: int = 5000, seed: int = 0, device: str = "cpu",
                     progress: bool = False) -> list[dict[str, Any]]:
    """The three paper settings (none, L2 1e-4, L1 1e-3) × bond dimensions: the study table of
    :func:`local_rules.scenario_a_study` plus ν (fixed windows, with and without jump runs)."""
    import local_rules as lr

    rows: list[dict[str, Any]] = []
    for d in ds:
        st = lr.scenario_a_study(d=int(d), n_init=n_init, settings=lr.PAPER_SETTINGS, seed=seed, device=device,
                                 n_steps=n_steps, progress=progress)
        for rec in st.table.to_dict(orient="records"):
            res = st.results[rec["setting"]]
            rows.append({**rec, "d": int(d), "n_steps": n_steps, "nu": _window_fits(res, seed),
                         "d_eff_curves": st.curves[st.curves["setting"] == rec["setting"]].to_dict(orient="list")})
    return rows

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

__all__ = ["FIXED_WINDOWS", "paper_table1", "table1_frame", "write_table1_report", "paper_scenario_a"]

FIXED_WINDOWS: tuple[tuple[float, float], ...] = ((0.01, 0.1), (0.1, 1.0), (1.0, 10.0))


def _window_fits(res: Any, seed: int) -> dict[str, Any]:
    """ν in the automatic window and in each fixed window, and the no-plateau flag."""
    out: dict[str, Any] = {"nu": None, "nu_ci": None, "nu_window": None, "nu_windows": {}, "no_plateau": None}
    try:
        auto = NuFitter(random_state=seed).fit(res.curves, res.summary).result_
        out.update(nu=auto.nu, nu_ci=list(auto.nu_ci), nu_window=list(auto.window), nu_window_rule=auto.window_rule)
        al = auto.aligned[auto.aligned["usable"].astype(bool) & (auto.aligned["mean_error"] > 0)]
        lt, le = np.log(al["tau"].to_numpy(float)), np.log(al["mean_error"].to_numpy(float))
        if lt.size >= 5:  # local slope d log E / d log tau, smoothed over 5 grid points
            k = 2
            sl = [(le[i + k] - le[i - k]) / (lt[i + k] - lt[i - k]) for i in range(k, lt.size - k)]
            out["local_slope"] = {"tau": np.exp(lt[k:lt.size - k]).tolist(), "slope": sl}
    except ValueError as exc:
        out["nu_error"] = str(exc)
    fits = {}
    for lo, hi in FIXED_WINDOWS:
        key = f"{lo:g}-{hi:g}"
        try:
            f = NuFitter(window=(lo, hi), random_state=seed, n_boot=100).fit(res.curves, res.summary).result_
            fits[key] = {"nu": f.nu, "nu_ci": list(f.nu_ci), "nu_se": f.nu_se, "n_points": int(f.gof["n_points"])}
        except ValueError as exc:
            fits[key] = {"nu": None, "error": str(exc)}
    out["nu_windows"] = fits
    ok = [v for v in fits.values() if v.get("nu") is not None]
    if len(ok) >= 2:
        drift = max(v["nu"] for v in ok) - min(v["nu"] for v in ok)
        se = math.sqrt(sum(v["nu_se"] ** 2 for v in ok) / len(ok))
        out["no_plateau"] = bool(drift > 2 * 1.96 * se)
        out["nu_window_drift"] = drift
    return out


def paper_table1(n_init: int = 300, seed: int = 0, *, p_grok_draws: int = 2000, n_boot: int = 200,
                 settings: Any = None, progress: bool = False) -> list[dict[str, Any]]:
    """Rows of the scenario-B table (JSON-ready; keys listed in docs/comparison.md)."""
    from ..paper_table1 import PAPER_SETTINGS, table1_rows

    rows = table1_rows(n_init=n_init, seed=seed, settings=settings or PAPER_SETTINGS, p_grok_draws=p_grok_draws,
                       n_boot=n_boot, keep_results=True, progress=progress)
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
        out.append({"ex": r["example"], "lam1": r["lam1"], "lam2": r["lam2"],
                    "groks": f"{r['n_grok']}/{r['n_init']}" + (" (transient)" if r["transient"] else ""),
                    "nu auto": r["nu"] if r["nu"] is not None else float("nan"), "nu CI": fmt_ci(r["nu_ci"]),
                    **{f"nu[{k}]": (v["nu"] if v.get("nu") is not None else float("nan")) for k, v in win.items()},
                    "no plateau": "–" if r.get("no_plateau") is None else ("yes" if r["no_plateau"] else "no"),
                    "D_eff": r["d_eff"], "xi": r["xi"], "xi CI": fmt_ci(r["xi_ci"]),
                    "xi closed": r["xi_closed_form"], "nu_pred": r["nu_pred"] if r["nu_pred"] is not None else float("nan"),
                    "P_grok(A)": r["p_grok_map"], "stat. err": r["stationary_test_error"]})
    return pd.DataFrame(out)


def write_table1_report(rows: list[dict[str, Any]], out_dir: Any) -> Any:
    """Write ``report.md``/``report.html`` with the table and its figures into ``out_dir``."""
    from ..report import Report, write_report
    from ..report.table1 import draw_table1

    rep = Report(title="Scenario B: the paper's Examples 1-3, measured (grokcheck paper table1)")
    draw_table1(rep, rows, table1_frame(rows))
    return write_report(rep, out_dir)


def _nu_with_and_without_jumps(res: Any, seed: int) -> dict[str, Any]:
    """ν fits of one scenario-A setting: all grokking runs, and without the jump runs (error above the
    threshold one step before t_ε: first-order at the run level). The headline is the one without."""
    summ = res.summary
    out: dict[str, Any] = {}
    jump = summ["jump"].astype(bool) if "jump" in summ else None
    variants = {"all": summ}
    if jump is not None:
        variants["no_jumps"] = summ.assign(groks=summ["groks"].astype(bool) & ~jump,
                                           t_eps=summ["t_eps"].where(~jump, np.nan))
    for name, s in variants.items():
        fits = _window_fits(type("R", (), {"curves": res.curves, "summary": s})(), seed)
        out[name] = {k: fits.get(k) for k in ("nu", "nu_ci", "nu_window", "nu_windows", "no_plateau", "nu_error")}
        ci = fits.get("nu_ci")
        out[name]["weak"] = bool(ci is None or ci[0] <= 0 <= ci[1] or fits.get("no_plateau"))
    out["headline"] = "no_jumps" if "no_jumps" in out else "all"
    return out


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
            rows.append({**rec, "d": int(d), "n_steps": n_steps, "nu": _nu_with_and_without_jumps(res, seed),
                         "d_eff_curves": st.curves[st.curves["setting"] == rec["setting"]].to_dict(orient="list")})
    return rows

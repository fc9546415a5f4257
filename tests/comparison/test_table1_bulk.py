"""Issue 25: ν on the bulk population in `paper table1` (nu_bulk, nu_corner_pred, verdicts)."""
import json
import math

import numpy as np
import pytest

import local_rules as lr
from comparison._io import to_jsonable
from comparison.paper_table1 import nu_verdict_rows, population_nu, table1_rows


def _staircase(nu, c, tau, n_runs=6, amp=0.4):
    """τ^ν P(ln τ), P periodic of period ln(1/c) with a random phase per run (a log-periodic staircase)."""
    rng = np.random.default_rng(0)
    L = math.log(1 / c)
    ph = rng.uniform(0, 2 * np.pi, n_runs)[:, None]
    return 1e-2 * tau[None] ** nu * (1 + amp * np.cos(2 * np.pi * np.log(tau)[None] / L + ph))


def test_population_nu_recovers_a_planted_staircase_and_flags_a_drift():
    tau = np.logspace(-7, 1, 161)
    c = 0.01
    r = population_nu(lr, tau, _staircase(0.3, c, tau), 1e9, c, n_boot=50)
    # the two lowest whole periods above the first resolved tau; all three below TAU_HI = 1 beside them
    assert r["periods"] == 2 and r["window"][0] == pytest.approx(r["resolved_from"])
    assert r["window"][1] == pytest.approx(r["window"][0] * (1 / c) ** 2)
    assert r["all_periods"]["periods"] == 3 and r["all_periods"]["window"][1] == pytest.approx(1.0)
    assert r["ci"][0] <= 0.3 <= r["ci"][1] and r["plateau"] is True and r["plateau_decision"] == "plateau"
    assert -r["margin"] < r["drift_ci"][0] and r["drift_ci"][1] < r["margin"]
    # a drifting exponent (0.2 below tau = 1e-3, 0.8 above) is not a plateau over the periods
    E = np.where(tau < 1e-3, (tau / 1e-3) ** 0.2, (tau / 1e-3) ** 0.8)[None].repeat(4, 0) * 1e-3
    E = E * (1 + 0.01 * np.random.default_rng(1).standard_normal(E.shape))
    d = population_nu(lr, tau, E, 1e9, c, n_boot=50)
    assert d["periods"] >= 2 and d["plateau"] is False and d["plateau_decision"] == "drift"
    # the sample-size rule cuts the window: with N = 2e4 only errors >= 20/N = 1e-3 count (tau >~ 1e-3 here, not 1e-7)
    s = population_nu(lr, tau, _staircase(0.3, c, tau), 2e4, c, n_boot=0)
    assert s["resolved_from"] > 1e-4 and s["periods"] == 1 and s["plateau"] is False
    assert population_nu(lr, tau, _staircase(0.3, c, tau), 1e3, c)["nu"] is None  # nothing resolved


def _row(plateau_bulk, plateau_test, nu=0.25, ci=(0.24, 0.26)):
    fb = {"nu": nu, "ci": list(ci), "periods": 2 if plateau_bulk else 1, "window": [1e-6, 1.0], "contraction": 0.002,
          "period_slopes": [0.24, 0.26], "plateau": plateau_bulk, "n_runs": 50}
    return {"nu_bulk": fb, "nu_test_set_periods": {"plateau": plateau_test}, "xi": 1.8, "xi_ci": [1.79, 1.81],
            "d_eff_bulk": 3.7, "nu_pred_bulk": 0.55,
            "nu_corner_pred": {"leading": 0.226, "shares": {"A1xA1": 1.0}, "mixture_nu": 0.24, "mixture_nu_se": 0.0}}


def test_verdict_rows_follow_the_tolerance_rule_and_the_plateau_condition():
    rows = {r["quantity"]: r for r in nu_verdict_rows(_row(True, False))}
    eq50, corner = rows["nu bulk (Eq. 50)"], rows["nu bulk (corner)"]
    se = 0.02 / (2 * 1.959964)
    z = (0.25 - 0.55) / math.sqrt(se ** 2 + (0.02 / (2 * 1.959964)) ** 2 + 0.01 ** 2)  # se_sys: half slope range
    assert eq50["z"] == pytest.approx(z, rel=1e-6) and eq50["verdict"] == "disagrees"
    assert corner["verdict"] == "agrees" and "2 of ln(1/0.002)" in corner["note"]
    # testable through the test set's plateau alone, said in the note
    only_test = nu_verdict_rows(_row(False, True))
    assert all(r["verdict"] != "not testable" and "test set only" in r["note"] for r in only_test)
    # neither population has a plateau over two periods: not testable, the prediction still shown
    none = nu_verdict_rows(_row(False, False))
    assert all(r["verdict"] == "not testable" and "either population" in r["note"] for r in none)
    assert none[0]["predicted"] == pytest.approx(0.55)
    # an undecided plateau (drift CI straddling the margin) is not testable, and the reason says why
    und = _row(False, False)
    und["nu_bulk"].update(plateau_decision="undecided", drift_ci=[0.01, 0.05], margin=0.0375)
    why = nu_verdict_rows(und)[0]["note"]
    assert "bulk: undecided, drift CI [0.01, 0.05] vs margin +-0.0375" in why


def test_table1_rows_gain_bulk_nu_and_corner_fields():
    rows = table1_rows(n_init=6, settings=[(2, 0.0, 0.0)], p_grok_draws=8, n_boot=20, bulk_runs=6,
                       bulk_kwargs={"n_seq": 4, "length": 1024, "lo": 128, "hi": 896})
    r = rows[0]
    fb = r["nu_bulk"]
    assert {"nu", "ci", "window", "periods", "contraction", "plateau", "window_rule"} <= set(fb)
    assert fb["contraction"] == pytest.approx(lr.symbol_exponents("example2")[1]["ratio"])
    cp = r["nu_corner_pred"]
    assert cp["leading"] == pytest.approx(2 * math.log(2) / math.log(1 / fb["contraction"]))
    assert sum(cp["shares"].values()) == pytest.approx(1.0) and cp["n_runs"] == r["n_grok"]
    assert r["nu_pred_bulk"] == pytest.approx((r["d_eff_variants"]["bulk"]["per_class"] + 1) / 2 - r["xi"])
    assert [v["quantity"] for v in r["nu_verdicts"]] == ["nu bulk (Eq. 50)", "nu bulk (corner)"]
    keep = {k: r[k] for k in ("nu_bulk", "nu_test_set_periods", "nu_corner_pred", "nu_verdicts")}
    json.dumps(to_jsonable(keep), allow_nan=False)  # strict JSON


def test_cli_refuses_a_negative_bulk_runs(capsys):
    from comparison.cli import main

    assert main(["paper", "table1", "--bulk-runs", "-1", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("grokcheck: error: ") and "--bulk-runs" in err


def test_table1_report_shows_the_bulk_nu_beside_the_test_set_nu(tmp_path):
    from comparison.pipeline.paper import table1_frame, write_table1_report

    r = _row(True, False)
    r["nu_bulk"].update(plateau_decision="plateau", drift_ci=[-0.01, 0.01], margin=0.0375)
    r["nu_test_set_periods"].update(nu=0.21, plateau_decision="undecided")
    r["nu_corner_pred"]["shares"] = {"A0xA1": 0.25, "A1xA1": 0.75}
    r["nu_verdicts"] = nu_verdict_rows(r)
    base = {"example": 2, "lam1": 0.0, "lam2": 0.0, "n_grok": 50, "n_init": 50, "transient": False, "nu": 0.31,
            "nu_ci": [0.3, 0.32], "nu_windows": {}, "no_plateau": True, "d_eff": 3.6, "xi_ci": [1.79, 1.81],
            "xi_closed_form": 1.77, "nu_pred": 0.5, "p_grok_map": 0.4, "stationary_test_error": 0.0}
    frame = table1_frame([{**base, **r}])
    row = frame.iloc[0]
    assert row["nu auto"] == pytest.approx(0.31) and row["nu bulk"] == pytest.approx(0.25)
    assert row["nu bulk CI"] == "[0.24, 0.26]" and row["plateau bulk"] == "plateau" and row["periods"] == 2
    assert row["nu test (periods)"] == pytest.approx(0.21) and row["plateau test"] == "undecided"
    assert row["nu corner"] == pytest.approx(0.24) and row["corner leading"] == pytest.approx(0.226)
    assert row["corner shares"] == "A0xA1 25%, A1xA1 75%"
    assert row["Eq. 50 (bulk)"] == "disagrees" and row["corner law"] == "agrees"
    md = (write_table1_report([{**base, **r}], tmp_path) / "report.md").read_text()
    parts = [[c.strip() for c in line.strip("|").split("|")] for line in md.splitlines()
             if line.startswith("| ex ")]
    first = next(p for p in parts if "nu auto" in p)  # the bulk nu in the same table part, right after it
    assert first.index("nu bulk") == first.index("nu CI") + 1 and {"nu bulk CI", "plateau bulk"} <= set(first)
    assert all(any(c in p and "lam2" in p for p in parts) for c in ("nu corner", "corner leading", "corner shares"))

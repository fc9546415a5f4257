"""The linear estimator through grokcheck's two registries (issue 21 on the registry of issue 19).

``grokcheck simulate linear-estimator`` then ``grokcheck fit`` gives rows from the built-in
theories: the exact large-d Δt (``linear-estimator``) agrees with the simulated mean and median
t_G and P_grok agrees with the count, while the paper's ε → 0 asymptote Eq. 12
(``linear-estimator-eq12``, its own rows) disagrees at the paper's ε = 1e-3, λ = 0.9 (z ≈ −40).
The expected numbers are computed here independently: the Marchenko-Pastur integrals of Eq. 8 by
``scipy.integrate.quad`` on the density written out in this file, their crossing of ε/4 by
``brentq``, and Eq. 12 from its printed formula — never read off the code under test.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import brentq

from comparison.cli import main
from comparison.runset import load_runset

D_IN, LAM, SEEDS, ETA, EPS = 1000, 0.9, 12, 0.01, 1e-3
N_TRAIN = round(D_IN / LAM)            # 1111: the realised lambda is 1000/1111


def _mp_mean(f, lam: float) -> float:
    """E[f(nu)] under the Marchenko-Pastur law of ratio lam < 1 (Eq. 6, no atom)."""
    lo, hi = (1 - math.sqrt(lam)) ** 2, (1 + math.sqrt(lam)) ** 2
    dens = lambda x: math.sqrt((hi - x) * (x - lo)) / (2 * math.pi * lam * x)  # noqa: E731
    return quad(lambda x: f(x) * dens(x), lo, hi, limit=200, epsabs=1e-15, epsrel=1e-11)[0]


def _dt_exact(lam: float, eta: float = ETA, eps: float = EPS) -> float:
    """Eq. 8 at gamma = 0, d_out = 1, alpha = 1: L_tr = E[nu e^{-4 eta nu t}], L_gen = E[e^{-4 eta nu t}];
    first times at eps/4 (Eq. 10's 95 %), their difference."""
    def first(q):
        g = lambda lt: _mp_mean(lambda x: q(x) * math.exp(-4 * eta * x * math.exp(lt)), lam) - eps / 4  # noqa: E731
        return math.exp(brentq(g, 0.0, math.log(1e9), xtol=1e-12))
    return first(lambda x: 1.0) - first(lambda x: x)


def _dt_eq12(lam: float, eta: float = ETA) -> float:
    c = 1 - math.sqrt(lam)
    return math.log(1 / c) / (2 * eta * c * c)


def _sim(out, *args):
    return main(["simulate", "linear-estimator", "--no-progress", "--out", str(out), "--set", "n_points=16",
                 "--n-test", "200", *args])


@pytest.fixture(scope="module")
def runset(tmp_path_factory):
    out = tmp_path_factory.mktemp("lin") / "lin"
    assert _sim(out, "--d-in", str(D_IN), "--lam", str(LAM), "--n-seeds", str(SEEDS), "--seed", "3") == 0
    return out


def _fit_rows(path, capsys):
    capsys.readouterr()
    assert main(["fit", str(path), "--json", "-"]) == 0
    return json.loads(capsys.readouterr().out)["verdicts"]


def test_exact_theory_agrees_and_eq12_disagrees(runset, capsys):
    rows = _fit_rows(runset, capsys)
    exact = {r["quantity"]: r for r in rows if r["theory"].startswith("Eq. 8")}
    eq12 = {r["quantity"]: r for r in rows if r["theory"].startswith("Eq. 12")}
    assert set(exact) == {"P_grok", "mean t_G", "median t_G"} and set(eq12) == {"mean t_G", "median t_G"}
    s = load_runset(runset).summary
    tg = s.loc[s["groks"], "t_G"].to_numpy()
    assert tg.size == SEEDS and exact["P_grok"]["predicted"] == 1.0 and exact["P_grok"]["verdict"] == "agrees"
    lam = D_IN / N_TRAIN
    theory, asym = _dt_exact(lam), _dt_eq12(lam)
    for q, stat in (("mean t_G", np.mean), ("median t_G", np.median)):
        assert exact[q]["measured"] == pytest.approx(stat(tg), rel=1e-12)
        assert exact[q]["predicted"] == pytest.approx(theory, rel=1e-6) and exact[q]["se_pred"] == 0.0
        assert abs(exact[q]["z"]) < 4 and exact[q]["verdict"] == "agrees"
        assert eq12[q]["predicted"] == pytest.approx(asym, rel=1e-12) and eq12[q]["verdict"] == "disagrees"
        assert "outside" in eq12[q]["note"]   # eps = 1e-3 is not << (1 - sqrt(lam))^3 / lam^(3/4) = 1.5e-4
    se = np.std(tg, ddof=1) / math.sqrt(tg.size)
    assert exact["mean t_G"]["z"] == pytest.approx((np.mean(tg) - theory) / se, rel=1e-6)
    assert -50 < eq12["mean t_G"]["z"] < -25   # measured: about -40 (Eq. 12 is 2.75 times the exact Delta t)


def test_a_planted_wrong_lag_is_rejected(runset, tmp_path, capsys):
    """The exact Delta t stretched by 1.5 (as if eta0 were 2/3 of eta) must disagree on the same runs."""
    wrong = tmp_path / "wrong.py"
    wrong.write_text(f'name = "stretched"\napplies_to = "linear-estimator"\n'
                     f'def predict(config):\n    return {{"mean t_G": 1.5 * {_dt_exact(D_IN / N_TRAIN)!r}}}\n')
    capsys.readouterr()
    assert main(["fit", str(runset), "--theory", str(wrong), "--json", "-"]) == 0
    row = next(r for r in json.loads(capsys.readouterr().out)["verdicts"] if r["theory"].startswith("stretched"))
    assert row["verdict"] == "disagrees" and row["z"] < -4


def test_the_run_set_answers_the_theory_question(runset):
    rs = load_runset(runset)
    s, c, cfg = rs.summary, rs.curves, rs.config
    assert cfg["generator"] == "linear_grokking.estimator.simulate_linear_estimator"
    assert cfg["n_train"] == N_TRAIN and cfg["lam"] == D_IN / N_TRAIN and cfg["horizon"] == 1e7
    assert (s["groks"] == (s["t_eps"] <= cfg["horizon"])).all() and s["status"].eq("groks").all()
    assert np.allclose(s["t_G"], s["t_eps"] - s["t_train"], rtol=1e-12)
    assert np.allclose(c["test_error"], 1 - c["test_acc"]) and np.allclose(c["train_error"], 1 - c["train_acc"])
    target = EPS / 4   # the loss of Eq. 10's 95 %: t_train, t_eps are the first crossings of the exact losses
    for r, g in c.groupby("run"):
        row = s.set_index("run").loc[r]
        for col, t_star in (("gen_loss", row["t_eps"]), ("train_loss", row["t_train"])):
            assert (g.loc[g["t"] < t_star, col] > target).all() and (g.loc[g["t"] > t_star, col] <= target).all()


def test_plateau_and_horizon_make_the_rows_honest(tmp_path, capsys):
    over = tmp_path / "over"     # lam = 1.5: the plateau 1 - 1/lam, never generalises
    assert _sim(over, "--d-in", "200", "--lam", "1.5", "--n-seeds", "10", "--seed", "1") == 0
    s = load_runset(over).summary
    assert not s["groks"].any() and s["status"].eq("no_grok").all()
    assert s["L_gen_inf"].mean() == pytest.approx(1 - 1 / 1.5, abs=4 * s["L_gen_inf"].std(ddof=1) / math.sqrt(10))
    rows = _fit_rows(over, capsys)
    p = next(r for r in rows if r["quantity"] == "P_grok")
    assert p["predicted"] == 0.0 and p["verdict"] == "agrees" and "plateau" in p["note"]
    assert all(r["verdict"] == "not testable" for r in rows if "t_G" in r["quantity"])
    short = tmp_path / "short"   # lam = 0.5: t*_gen = 1156 steps, within a factor 2 of the horizon 1500
    assert _sim(short, "--d-in", "200", "--lam", "0.5", "--n-seeds", "10", "--seed", "2", "--horizon", "1500") == 0
    rows = _fit_rows(short, capsys)
    assert {r["quantity"] for r in rows if r["verdict"] == "not testable"} >= {"P_grok", "mean t_G", "median t_G"}
    assert any("truncated" in r["note"] for r in rows)


def test_theory_command_is_a_preflight_check(capsys):
    capsys.readouterr()
    assert main(["theory", "linear-estimator", "--set", "lam=0.5", "--eps", "1e-3", "--json"]) == 0
    pred = json.loads(capsys.readouterr().out)["predictions"]
    assert pred["P_grok"]["value"] == 1.0 and "t*_tr = 725" in pred["P_grok"]["note"]
    assert pred["mean t_G"]["value"] == pytest.approx(_dt_exact(0.5), rel=1e-6)
    assert main(["theory", "linear-estimator", "--set", "d_in=1000", "--set", "n_train=500", "--json"]) == 0
    pred = json.loads(capsys.readouterr().out)["predictions"]
    assert pred["P_grok"]["value"] == 0.0 and "plateau" in pred["P_grok"]["note"]
    assert pred["mean t_G"]["not_testable"]
    assert main(["theory", "linear-estimator-eq12", "--set", "lam=0.5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["predictions"]["mean t_G"]["value"] == pytest.approx(_dt_eq12(0.5))


def test_paper_linear_estimator_rows(capsys):
    capsys.readouterr()
    assert main(["paper", "linear-estimator", "--lam", "0.5", "1.5", "--d-out", "--gamma", "--d-in", "200",
                 "--n-seeds", "4", "--json", "-"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["lam_requested"], r["d_out"], r["gamma"], r["eps"]) for r in rows] == [(0.5, 1, 0.0, 1e-3),
                                                                                     (1.5, 1, 0.0, 1e-3)]
    assert [r["lam"] for r in rows] == [200 / 400, 200 / 133]   # the realised d_in / N_tr, the theory's input
    ok, over = rows
    assert ok["generalises"] is True and ok["dt_grok_eq12"] == pytest.approx(_dt_eq12(0.5))
    assert ok["dt_grok_theory"] == pytest.approx(_dt_exact(0.5), rel=1e-6) and ok["plateau_gen"] == 0.0
    assert ok["n_groks"] == 4 and ok["dt_grok_sim"] > 0 and ok["dt_grok_sim_se"] > 0
    assert over["generalises"] is False and over["plateau_gen"] == pytest.approx(1 - 133 / 200)
    assert over["dt_grok_sim"] is None and over["dt_grok_eq12"] is None and over["dt_grok_theory"] is None
    assert main(["paper", "linear-estimator", "--lam", "0.5", "--d-in", "0", "--json", "-"]) == 2
    assert "parameter d_in must be an integer in [1, " in capsys.readouterr().err


def test_a_sweep_over_lam_d_out_and_gamma_is_accepted():
    """Sweeps know every registered simulator (the registry, not a fixed list) and its run-count key."""
    from comparison.sweep.config import parse_sweep_config

    cfg = parse_sweep_config({"sweep": {"simulator": "linear-estimator", "runs_per_setting": 4, "chunk": 2},
                              "fixed": {"d_in": 100},
                              "grid": {"lam": [0.3, 0.6], "d_out": [1, 2], "gamma": [0.0, 1e-3]}})
    settings = cfg.settings()
    assert cfg.size_key == "n_seeds" and len(settings) == 8
    assert {tuple(sorted(s.varying.items())) for s in settings} == {
        (("d_out", d), ("gamma", g), ("lam", lam)) for d in (1, 2) for g in (0.0, 1e-3) for lam in (0.3, 0.6)}

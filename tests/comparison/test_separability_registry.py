"""The separability model through grokcheck's two registries (issue 22 on the registry of issue 19).

``grokcheck simulate separability`` then ``grokcheck fit`` gives a P_grok row from the built-in
theory (Wendel, Props. 3.2-3.3) that agrees with the count (exact binomial, two-sided mid-p);
a planted wrong theory (Wendel at d + 1, a user file) disagrees on the same runs. The expected
probabilities and p-values are computed here independently (integer sums, scipy's binomial),
never read off the code under test. The ``groks`` column answers Wendel's question
(``groks_by = limit``: not separable) and the finite run's dynamics are checked against it
(Prop. 3.2); ``groks_by = threshold`` answers another one, and the row says so.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from comparison.cli import main
from comparison.runset import load_runset

N, D, SEEDS = 20, 10, 400   # lam = 1/2, where Wendel gives exactly 1/2 and d -> d + 1 gives 0.324
WRONG = ('name = "wendel d+1"\napplies_to = "separability"\nimport math\n'
         'def predict(config):\n'
         '    N, d = config["N"], config["d"] + 1\n'
         '    return {"P_grok": 1 - sum(math.comb(N - 1, k) for k in range(d)) / 2 ** (N - 1)}\n')


def _wendel(n: int, d: int) -> float:
    """P(Bin(n - 1, 1/2) >= d): 1 - P_sep, by an integer sum (Cover's count of dichotomies)."""
    return sum(math.comb(n - 1, k) for k in range(d, n)) / 2 ** (n - 1)


def _mid_p(k: int, n: int, p0: float) -> float:
    pk = stats.binom.pmf(k, n, p0)
    return min(1.0, 2 * min(stats.binom.cdf(k, n, p0) - pk / 2, stats.binom.sf(k - 1, n, p0) - pk / 2))


def _sim(out, *extra):
    return main(["simulate", "separability", "--N", str(N), "--d", str(D), "--sigma", "1", "--t-max", "1e6",
                 "--set", "n_points=24", "--no-progress", "--out", str(out), *extra])


@pytest.fixture(scope="module")
def runset(tmp_path_factory):
    out = tmp_path_factory.mktemp("sep") / "sep"
    assert _sim(out, "--n-seeds", str(SEEDS), "--seed", "11") == 0
    return out


def _fit_rows(path, capsys, *extra):
    capsys.readouterr()
    assert main(["fit", str(path), "--json", "-", *extra]) == 0
    return json.loads(capsys.readouterr().out)["verdicts"]


def test_wendel_row_agrees_and_a_planted_d_plus_one_disagrees(runset, tmp_path, capsys):
    wrong = tmp_path / "wrong.py"
    wrong.write_text(WRONG)
    rows = _fit_rows(runset, capsys, "--theory", str(wrong))
    mine = [r for r in rows if r["quantity"] == "P_grok" and not r["theory"].startswith("wendel d+1: ")]
    planted = [r for r in rows if r["theory"].startswith("wendel d+1: ")]
    assert len(mine) == 1 and len(planted) == 1
    s = load_runset(runset).summary
    k, n = int(s["groks"].sum()), len(s)
    assert n == SEEDS and mine[0]["measured"] == pytest.approx(k / n)
    assert mine[0]["predicted"] == _wendel(N, D) == 0.5 and mine[0]["se_pred"] == 0.0
    assert mine[0]["p_value"] == pytest.approx(_mid_p(k, n, 0.5), rel=1e-9) and mine[0]["p_value"] > 6.3e-5
    assert mine[0]["verdict"] == "agrees" and "exact binomial" in mine[0]["note"]
    assert "Wendel" in mine[0]["theory"] and "N = 20, d = 10" in mine[0]["theory"]
    assert planted[0]["predicted"] == pytest.approx(_wendel(N, D + 1))
    assert planted[0]["p_value"] == pytest.approx(_mid_p(k, n, _wendel(N, D + 1)), rel=1e-6)
    assert planted[0]["p_value"] < 6.3e-5 and planted[0]["verdict"] == "disagrees"


def test_groks_is_the_limit_answer_and_the_dynamics_agree_with_it(runset):
    rs = load_runset(runset)
    s = rs.summary
    assert rs.config["generator"] == "linear_grokking.separability.simulate_separability"
    assert (s["groks"] == ~s["separable"]).all() and not s["diverged"].any()
    ok = ~s["separable"]
    # Prop. 3.2 on the finite run: every non-separable set has reached test accuracy 0.95 by t = 1e6
    # (sigma = 1 is far from critical slowing down), and its accuracy keeps climbing towards 1
    assert s.loc[ok, "status"].eq("groks").all() and (s.loc[ok, "final_test_acc"] > 0.99).all()
    # a separable set approaches A_gen = Phi(1/(sigma M)) from below (sigma = 1: above 0.95, so the
    # accuracy threshold cannot tell it from a grokking run: "threshold_only")
    sep = s[s["separable"]]
    a_gen = stats.norm.cdf(1.0 / sep["margin"].to_numpy())
    assert np.all(sep["final_test_acc"].to_numpy() <= a_gen + 1e-9)
    assert set(sep["status"]) <= {"threshold_only", "no_grok"}
    tg = s.loc[s["status"] == "groks"]
    assert np.allclose(tg["t_G"], tg["t_eps"] - tg["t_train"]) and s.loc[~ok, "t_G"].isna().all()
    c = rs.curves[rs.curves["norm_S"] > 0]   # the exact test error 1 - Phi(b / (sigma |S|)) of the curves
    assert np.allclose(c["test_error"], stats.norm.sf(c["b"] / c["norm_S"]), atol=1e-12)


def test_threshold_definition_counts_another_event_and_the_row_says_so(tmp_path, capsys):
    out = tmp_path / "thr"
    assert _sim(out, "--n-seeds", "60", "--seed", "3", "--groks-by", "threshold") == 0
    s = load_runset(out).summary
    assert s["groks"].all() and s["separable"].any()   # sigma = 1: every separable set crosses 0.95 too
    row = next(r for r in _fit_rows(out, capsys) if r["quantity"] == "P_grok")
    assert row["verdict"] == "disagrees" and "groks_by = threshold" in row["note"]


def test_shifted_data_are_not_testable_and_parameters_are_checked(tmp_path, capsys):
    out = tmp_path / "shift"
    assert _sim(out, "--n-seeds", "12", "--seed", "1", "--shift", "0.7") == 0
    row = next(r for r in _fit_rows(out, capsys) if r["quantity"] == "P_grok")
    assert row["verdict"] == "not testable" and "symmetric" in row["note"]
    capsys.readouterr()
    assert _sim(tmp_path / "bad", "--acc-level", "1") == 2
    assert "parameter acc_level must be a finite number in (0.5, " in capsys.readouterr().err
    assert _sim(tmp_path / "bad", "--groks-by", "final") == 2
    assert main(["simulate", "separability", "--N", "100000", "--d", "10000", "--sigma", "1", "--n-seeds", "10",
                 "--out", str(tmp_path / "big")]) == 2
    assert "GiB of memory" in capsys.readouterr().err and not (tmp_path / "big").exists()


def test_paper_separability_rows(capsys):
    capsys.readouterr()
    assert main(["paper", "separability", "--N", "20", "--lam", "0.4", "0.5", "--n-sets", "40", "--json", "-",
                 "--no-progress", "--label-fraction"]) == 0   # no asymmetric rows here
    rows = json.loads(capsys.readouterr().out)
    assert [(r["N"], r["d"]) for r in rows] == [(20, 8), (20, 10)]
    for r in rows:
        assert r["p_grok_wendel"] == pytest.approx(_wendel(r["N"], r["d"])) and r["symmetric"] is True
        assert r["n_runs"] == 40 and r["p_grok_sim"] == r["n_groks"] / 40
        assert r["p_grok_sim_ci"][0] <= r["p_grok_sim"] <= r["p_grok_sim_ci"][1]
        assert r["p_value"] == pytest.approx(_mid_p(r["n_groks"], 40, r["p_grok_wendel"]), rel=1e-9)
        assert r["verdict"] == ("agrees" if r["p_value"] >= 6.3e-5 else "disagrees")


def test_sweeps_know_every_registered_simulator():
    from comparison.sweep.config import parse_sweep_config

    cfg = parse_sweep_config({"sweep": {"simulator": "separability", "runs_per_setting": 40, "chunk": 20},
                              "fixed": {"N": 20, "sigma": 1.0}, "grid": {"d": [8, 10]}})
    assert cfg.size_key == "n_seeds"

"""Issue 21 item 4: the λ → 1 divergence of the linear estimator's Δt, fitted (power law vs log-corrected).

Fixed seeds; the simulation-vs-theory rows use the single rule |z| < 4 with s.e. from the seeds, and each
check is run again with a planted wrong exponent that must fail it.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from comparison.agreement.verdict import Verdict
from comparison.errors import FitError
from comparison.estimate.divergence import bootstrap_exponent, compare_forms, divergence_model, fit_divergence
from comparison.estimate.powerlaw import fit_power_law
from comparison.pipeline.linear_divergence import divergence_frame, divergence_study

C = np.geomspace(0.3, 0.03, 7)


@pytest.mark.parametrize("form,beta,amp", [("power", 1.7, 3.0), ("log", 2.0, 50.0)])
def test_fit_recovers_noise_free_parameters(form, beta, amp):
    f = fit_divergence(C, divergence_model(C, beta, amp, form), form)
    assert f.beta == pytest.approx(beta, abs=1e-9) and f.amplitude == pytest.approx(amp, rel=1e-9)


def test_unweighted_power_fit_equals_the_ols_power_law():
    rng = np.random.default_rng(3)
    y = C ** -2.1 * rng.lognormal(0, 0.1, C.size)
    f, line = fit_divergence(C, y, "power"), fit_power_law(C, y)
    assert f.beta == pytest.approx(-line.slope, abs=1e-9) and f.beta_se == pytest.approx(line.slope_se, rel=1e-6)


@pytest.mark.parametrize("truth", ["power", "log"])
def test_aic_picks_the_generating_form_and_z_covers_truth(truth):
    rng = np.random.default_rng(11)
    sig = 0.03  # relative s.e. of each point; log(1/c) varies by a factor 3.4 over C, far beyond 3 %
    y = divergence_model(C, 1.8, 10.0, truth) * np.exp(sig * rng.standard_normal(C.size))
    cmp = compare_forms(C, y, sig * y)
    assert cmp["preferred"] == truth and abs(cmp["delta_aic"]) > 10
    f = cmp[truth]
    assert abs(f.beta - 1.8) / f.beta_se < 4
    assert abs(f.beta - 2.3) / f.beta_se > 4          # a planted wrong exponent is rejected


def test_bootstrap_ci_covers_the_exponent_and_excludes_a_wrong_one():
    rng = np.random.default_rng(5)
    runs = [c ** -1.6 * np.log(1 / c) * rng.lognormal(0, 0.2, 12) for c in C]
    lo, hi = bootstrap_exponent(C, runs, "log", n_resamples=199, seed=2)
    assert lo < 1.6 < hi and not lo < 2.0 < hi


def test_errors_name_the_parameter():
    with pytest.raises(ValueError, match="form must be one of"):
        fit_divergence(C, C, "exp")
    with pytest.raises(FitError, match="c must lie in"):
        fit_divergence(np.array([0.1, 0.2, 1.5]), np.ones(3), "power")
    with pytest.raises(ValueError, match="cs must hold"):
        divergence_study((0.1, 0.2), seed=0)


@pytest.fixture(scope="module")
def study():
    # d_in = 300, 12 runs per lambda, lam = 0.49 ... 0.90: about 10 s
    return divergence_study((0.3, 0.2, 0.13, 0.08, 0.05), d_in=300, n_seeds=12, seed=4, n_boot=0,
                            eps_small=1e-12)


def test_simulated_exponents_agree_with_the_exact_theory(study):
    rows = {r["quantity"]: r for r in study["verdicts"]}
    for f in ("power law", "log-corrected"):
        r = rows[f"beta ({f}) vs exact theory"]
        assert r["verdict"] == "agrees", r
        # planted wrong exponent: the exact theory's Δt times c^-0.5 must be rejected by the same rule
        pts = study["points"]
        c = np.array([p["c"] for p in pts])
        se = np.array([p["dt_sim_se"] / p["dt_sim"] * p["dt_theory"] for p in pts])
        wrong = fit_divergence(c, np.array([p["dt_theory"] for p in pts]) * c ** -0.5,
                               "power" if f == "power law" else "log", se * c ** -0.5)
        assert Verdict.estimate("beta", r["measured"], r["se_meas"], wrong.beta).verdict == "disagrees"


def test_the_log_form_wins_and_eq12_is_only_the_eps_to_zero_limit(study):
    th, small = study["fit_theory"], study["fit_theory_small_eps"]
    assert th["delta_aic"] > 2 and study["fit_sim"]["preferred"] in ("log", "neither")
    # Eq. 12 (log form, beta = 2) is the exact theory's eps -> 0 limit, not its value at eps = 1e-3
    assert abs(small["log"]["beta"] - 2.0) < 0.01
    assert th["log"]["beta"] < 1.85
    assert all(p["n_groks"] == 12 for p in study["points"])
    assert all(math.isfinite(p["dt_eq12"]) and p["dt_eq12"] > p["dt_theory"] for p in study["points"])


def test_frame_lists_both_forms_for_every_source(study):
    df = divergence_frame(study)
    assert len(df) == 6 and set(df["form"]) == {"power", "log"}


def test_paper_command_writes_the_divergence_study(tmp_path, capsys):
    import json

    from comparison.cli import main

    target = tmp_path / "div.json"
    assert main(["paper", "linear-estimator", "--lam", "0.5", "--d-out", "--gamma", "--d-in", "100", "--n-seeds",
                 "2", "--divergence-seeds", "3", "--divergence-json", str(target)]) == 0
    out = capsys.readouterr().out
    assert "beta (log-corrected) vs Eq. 12" in out
    study = json.loads(target.read_text())
    assert len(study["points"]) == 7 and study["n_seeds"] == 3 and study["d_in"] == 100
    assert set(study["bootstrap"]) == {"power", "log"}
    assert main(["paper", "linear-estimator", "--lam", "0.5", "--divergence", "--divergence-seeds", "1"]) == 2
    assert "--divergence-seeds" in capsys.readouterr().err

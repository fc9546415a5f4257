"""comparison.testing.simulation: a formula against a registered simulator.

Against a coin with a known P_grok (tests/comparison/coin_simulator.py) the truth is exact: a correct formula
fails no more often than the stated rate, a formula off by δ is caught at the stated power. Against the ball
simulator: a deliberately wrong P_grok law is rejected at the replicas the power rule recommends and shrunk to
a small, reproducible counterexample; the shipped first-order law (Eq. 86) passes where it is known to hold.
"""
from __future__ import annotations

import json
import math
import shlex

import numpy as np
import pytest
from scipy import stats

from coin_simulator import ensure_registered
from comparison.errors import ConfigError
from comparison.testing import agrees_with_simulation, measure, params, reproduce_command, seed_for
from perceptron_theory import ball

COIN = ensure_registered()
COIN_P = params(COIN, p=(0.05, 0.95), scale=None)


def P_first_order(D, N, eps, lam2):
    return float(ball.grok_probability(D, N, eps, 0.0, lam2))


def test_a_correct_formula_passes_with_its_power_figure():
    r = agrees_with_simulation(lambda p: p, simulator=COIN, params=COIN_P, replicas=2000, max_examples=8)
    assert r.verdict == "passed" and r.counterexample is None and r.examples >= 5
    assert 0.03 < r.detectable < 0.06 and "would have caught |ΔP| >= " in r.message
    assert all(row.testable and row.passed for row in r.rows)


def test_false_alarm_rate_is_at_most_the_stated_rate():
    # per-example alpha = 0.05 over K = 4 examples: the run's stated bound is 0.2 (Bonferroni)
    runs = [agrees_with_simulation(lambda p: p, simulator=COIN, params=COIN_P, replicas=300, max_examples=4,
                                   alpha=0.05, seed=s, shrink=False, raise_on_failure=False) for s in range(60)]
    assert all(r.family_alpha == pytest.approx(0.2) for r in runs)
    fails = sum(r.verdict == "failed" for r in runs)
    assert stats.binom.sf(fails - 1, 60, 0.2) > 1e-4, fails  # not significantly above the bound (one-sided, 4σ)


def test_a_formula_off_by_delta_is_caught_at_the_stated_power():
    # detect = 0.05: each example gets the replicas the power rule gives for 80 % power at the report's alpha
    runs = [agrees_with_simulation(lambda p: min(1.0, p + 0.05), simulator=COIN, params=COIN_P, detect=0.05,
                                   max_examples=1, seed=s, shrink=False, raise_on_failure=False) for s in range(40)]
    caught = sum(r.verdict == "failed" for r in runs)
    assert stats.binom.cdf(caught, 40, 0.8) > 1e-4, caught  # not significantly below 80 % (one-sided, 4σ)


def test_underpowered_runs_say_so_instead_of_passing():
    with pytest.raises(AssertionError, match="underpowered: no disagreement in") as info:
        agrees_with_simulation(lambda p: p, simulator=COIN, params=COIN_P, replicas=30, max_examples=3)
    assert info.value.result.verdict == "underpowered"
    r = agrees_with_simulation(lambda p: p, simulator=COIN, params=COIN_P, replicas=3000, max_examples=3,
                               detect=0.01, raise_on_failure=False)
    assert r.verdict == "underpowered" and "not the 0.01 asked for" in r.message


def test_mean_t_G_uses_a_z_test():
    strategy = params(COIN, p=0.5, scale=(0.5, 5.0))
    ok = agrees_with_simulation(lambda scale: scale, simulator=COIN, params=strategy, quantity="mean t_G",
                                replicas=4000, max_examples=4)
    assert ok.passed
    bad = agrees_with_simulation(lambda scale: 1.2 * scale, simulator=COIN, params=strategy, quantity="mean t_G",
                                 replicas=4000, max_examples=4, raise_on_failure=False)
    assert bad.verdict == "failed" and bad.confirmed
    assert bad.counterexample["scale"] <= 1.0  # shrunk toward the simplest failing value (1.0 here)


def test_median_t_G_uses_the_order_statistic_error():
    strategy = params(COIN, p=0.5, scale=(0.5, 5.0))
    ok = agrees_with_simulation(lambda scale: scale * math.log(2), simulator=COIN, params=strategy,
                                quantity="median t_G", replicas=4000, max_examples=4)
    assert ok.passed  # Exponential(mean s): median s ln 2
    bad = agrees_with_simulation(lambda scale: scale, simulator=COIN, params=strategy, quantity="median t_G",
                                 replicas=4000, max_examples=4, raise_on_failure=False)
    assert bad.verdict == "failed"  # the mean is not the median


def test_median_se_matches_the_normal_asymptotics():
    from comparison.testing.measurement import median_se

    x = np.random.default_rng(3).exponential(1.0, 20000)
    assert median_se(x) == pytest.approx(1 / (2 * 0.5 * math.sqrt(x.size)), rel=0.1)  # 1/(2 f(m) sqrt n), f(m) = 1/2


def test_the_printed_eq47_atom_is_rejected_and_the_corrected_one_passes():
    # docs/errata.md: under the paper's zeroth-order dynamics and training threshold the median t_G sits
    # on ln[eps^2/(eps^2-1)]/(2 lam_2D) (the corrected atom), not on Eq. 47's ln[eps^4/(eps^4-1)]/(2 lam_2D)
    strategy = params("perceptron-ball", D=(4, 6), N=(20, 50), eps=(1.8, 2.5), lam1=None, lam2=(0.0, 0.05),
                      t_train="threshold", dynamics="zeroth_order")

    def median(atom):
        return lambda D, eps, lam2: float(ball.GrokTimeLaw(D, eps, lam2, atom=atom).median())

    bad = agrees_with_simulation(median("printed"), simulator="perceptron-ball", quantity="median t_G",
                                 params=strategy, replicas=300, max_examples=4, raise_on_failure=False)
    assert bad.verdict == "failed" and bad.confirmed and bad.counterexample["D"] == 4
    assert agrees_with_simulation(median("consistent"), simulator="perceptron-ball", quantity="median t_G",
                                  params=strategy, replicas=300, max_examples=4).passed


def test_a_wrong_P_grok_law_is_rejected_and_shrunk_to_a_small_reproducible_point():
    wrong = lambda D, N, eps, lam2: max(0.0, P_first_order(D, N, eps, lam2) - 0.05)  # noqa: E731
    strategy = params("perceptron-ball", D=(2, 6), N=(20, 100), eps=(1.02, 1.5), lam1=None, lam2=(0.05, 1.0))
    r = agrees_with_simulation(wrong, simulator="perceptron-ball", params=strategy, detect=0.05, max_examples=6,
                               raise_on_failure=False)
    assert r.verdict == "failed" and r.confirmed
    ce = r.counterexample
    assert ce["D"] == 2 and ce["N"] == 20, ce  # hypothesis reduces D and N to the low ends
    bad = next(row for row in r.rows if row.params == ce)
    assert bad.replicas > 100 and bad.p_value < r.alpha
    assert f"reproduce: {bad.command}" in r.message and "a fresh seed confirms it" in r.message
    # the reproduce command parses with the real command line
    from comparison.cli.parser import build_parser

    sim, fit = bad.command.split(" && ")
    args = build_parser().parse_args(shlex.split(sim)[1:])
    assert args.D == ce["D"] and args.n_replicas == bad.replicas and args.seed == bad.seed
    build_parser().parse_args(shlex.split(fit)[1:])
    # and reruns exactly that example: same seed, same count
    again = measure("perceptron-ball", "P_grok", ce, replicas=bad.replicas, seed=bad.seed)
    assert again["measured"] == bad.measured


def test_the_first_order_law_passes_where_it_is_known_to_hold():
    # docs/errata.md: Eq. 86 agrees wherever N >~ 5D and lam2 >~ 0.01; well inside: N >= 20 D, lam2 >= 0.05
    strategy = params("perceptron-ball", D=(2, 4), N=(80, 160), eps=(1.01, 1.1), lam1=None, lam2=(0.05, 0.5))
    r = agrees_with_simulation(P_first_order, simulator="perceptron-ball", params=strategy, detect=0.05,
                               max_examples=5)
    assert r.passed and r.detectable <= 0.05


def test_results_are_json_ready_and_seeds_reproducible():
    r = agrees_with_simulation(lambda p: p, simulator=COIN, params=COIN_P, replicas=2000, max_examples=2)
    d = json.loads(json.dumps(r.as_dict(), allow_nan=False))
    assert d["passed"] is True and d["counterexample"] is None and len(d["rows"]) == d["examples"]
    assert d["rows"][0]["seed"] == seed_for(d["rows"][0]["params"], 0)
    assert reproduce_command(COIN, {"p": 0.25}, replicas=10, seed=3).startswith("grokcheck simulate coin --p 0.25")


@pytest.mark.parametrize("kw, words", [
    ({"simulator": "nope"}, "unknown simulator 'nope'"),
    ({"quantity": "nu"}, "quantity must be one of"),
    ({"replicas": None}, "give replicas="),
    ({"replicas": None, "quantity": "mean t_G", "detect": 0.1}, "give replicas="),
    ({"detect": -1.0}, "detect must be > 0"),
    ({"alpha": 2.0}, "alpha must lie in (0, 1)"),
])
def test_bad_input_is_a_one_line_error(kw, words):
    args = {"simulator": COIN, "params": COIN_P, "replicas": 10, **kw}
    with pytest.raises(ConfigError) as info:
        agrees_with_simulation(lambda p: p, **args)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_a_formula_that_raises_or_leaves_0_1_is_reported():
    with pytest.raises(AssertionError, match="raised ZeroDivisionError"):
        agrees_with_simulation(lambda p: 1 / 0, simulator=COIN, params=COIN_P, replicas=10, max_examples=2)
    with pytest.raises(AssertionError, match="the formula gives 1.5 for P_grok"):
        agrees_with_simulation(lambda p: 1.5, simulator=COIN, params=COIN_P, replicas=10, max_examples=2)
    assert math.isfinite(seed_for({"p": 0.5}))


def test_power_rule_replicas_reach_the_power_on_both_sides():
    # the exact power is a saw-tooth in n: the larger side's n (2350 at P = 0.4907) fell short on the other side
    from comparison.testing import binomial_power, per_example_alpha
    from comparison.testing.simulation import _Run

    alpha = per_example_alpha(20, 0.01)
    run = _Run(lambda p: p, COIN, "P_grok", replicas=None, detect=0.05, alpha=alpha, seed=0, power=0.8,
               max_replicas=10 ** 5, on_row=None)
    for p in (0.4907279384612867, 0.3, 0.74, 0.97):
        n = run.replicas_for(p)
        assert all(binomial_power(n, p, p + s, alpha=alpha) >= 0.8 for s in (0.05, -0.05) if 0 <= p + s <= 1), (p, n)

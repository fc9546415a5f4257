"""Exact binomial verdicts for counts (issue 23, item 1)."""
import math

import numpy as np
import pytest

import perceptron_theory as pt
from perceptron_theory.exact_tests import P_TOL, binomial_verdict_p, count_verdict, p_to_z, z_to_p


def _midp_bruteforce(k, n, p0):
    pmf = [math.comb(n, j) * p0 ** j * (1 - p0) ** (n - j) for j in range(n + 1)]
    lo = sum(pmf[:k]) + pmf[k] / 2
    hi = sum(pmf[k + 1:]) + pmf[k] / 2
    return min(1.0, 2 * min(lo, hi))


def test_tolerance_is_the_4_sigma_tail():
    assert P_TOL == pytest.approx(6.334e-5, rel=1e-3)
    assert p_to_z(P_TOL) == pytest.approx(4.0, abs=1e-9)
    assert z_to_p(-4.0) == z_to_p(4.0)


@pytest.mark.parametrize("k,n,p0", [(0, 20, 0.1), (3, 20, 0.1), (20, 20, 0.9), (7, 30, 0.5), (1, 50, 0.003)])
def test_midp_matches_direct_sum(k, n, p0):
    assert binomial_verdict_p(k, n, p0) == pytest.approx(_midp_bruteforce(k, n, p0), rel=1e-10, abs=1e-15)


def test_midp_has_the_stated_size_under_the_null():
    # a correct p0: rejections at level 0.05 occur at about 5 % (mid-p is ~exact on average)
    rng = np.random.default_rng(0)
    ks = rng.binomial(200, 0.03, size=4000)
    rate = np.mean([binomial_verdict_p(k, 200, 0.03) < 0.05 for k in ks])
    assert abs(rate - 0.05) < 4 * math.sqrt(0.05 * 0.95 / 4000) + 0.01


def test_rare_event_rejected_where_the_floored_z_passes():
    p, ok = count_verdict(6, 1000, 5.325e-8)
    assert not ok and p < 1e-25
    assert count_verdict(6, 1000, 0.003463)[1]
    # one-sided bound: far above a lower bound holds, far below is violated
    assert count_verdict(998, 1000, 0.04, kind="lower bound")[1]
    assert not count_verdict(2, 1000, 0.04, kind="lower bound")[1]


def test_demo_eq30_row_at_D10_N10_eps101_disagrees():
    # the demo's parameter set (seed 0 + index 3 in the default grid) replayed alone
    vt = pt.verification_table(grid={"ball_probability": [{"D": 10, "N": 10, "eps": 1.01, "lam2": 0.1}]},
                               n_replicas=1000, seed=3)
    row = vt[vt["theory_method"] == "Eq. 30/32 (large lambda)"].iloc[0]
    assert abs(row["z"]) < 4  # the normal approximation would have said "agrees"
    assert not row["agrees"] and row["p_value"] < P_TOL
    first = vt[vt["theory_method"] == "first order (Eq. 86/89)"].iloc[0]
    assert first["agrees"] and first["p_value"] > P_TOL


def test_bad_count_names_the_parameter():
    with pytest.raises(ValueError, match="k must lie"):
        binomial_verdict_p(11, 10, 0.5)
    with pytest.raises(ValueError, match="p0 must lie"):
        binomial_verdict_p(1, 10, 1.5)

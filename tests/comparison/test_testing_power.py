"""comparison.testing.power: the exact power agrees with Monte Carlo of the verdict rule itself, the replica rule
is minimal, the detectable discrepancy is what the power says, and the z-test forms match their closed forms."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from comparison.estimate.exact import P_TOL, binomial_verdict_p
from comparison.testing import (binomial_detectable, binomial_power, binomial_replicas, per_example_alpha, z_detectable,
                                z_power, z_replicas)
from comparison.testing.power import binomial_rejects


@settings(max_examples=30, database=None, deadline=None)
@given(st.integers(1, 60), st.floats(0.0, 1.0), st.sampled_from([0.05, 0.01, P_TOL]))
def test_rejection_region_is_the_verdict_rule_at_every_k(n, p0, alpha):
    rej = binomial_rejects(n, p0, alpha=alpha)
    assert rej.tolist() == [binomial_verdict_p(k, n, p0) < alpha for k in range(n + 1)]


@pytest.mark.parametrize("n, p0, p1, alpha", [(400, 0.7, 0.75, P_TOL), (2000, 0.74, 0.70, P_TOL),
                                              (300, 0.1, 0.2, 0.01), (50, 0.0, 0.05, P_TOL)])
def test_power_matches_monte_carlo_of_the_verdict_rule(n, p0, p1, alpha):
    rng = np.random.default_rng(11)
    ks = rng.binomial(n, p1, 20000)
    cache = {k: binomial_verdict_p(k, n, p0) < alpha for k in np.unique(ks)}  # the report's own p-value
    rate = float(np.mean([cache[k] for k in ks]))
    pw = binomial_power(n, p0, p1, alpha=alpha)
    assert abs(rate - pw) < 4 * math.sqrt(max(pw * (1 - pw), 1e-4) / ks.size)


def test_power_at_the_null_is_at_most_alpha_up_to_mid_p():
    # the mid-p test is not exactly of size alpha; its size stays close (within a factor 2 here)
    for n in (50, 200, 1000):
        for p0 in (0.1, 0.5, 0.9):
            assert binomial_power(n, p0, p0, alpha=0.05) < 0.1


@pytest.mark.parametrize("p0, delta, alpha", [(0.5, 0.05, 0.01), (0.74, -0.04, P_TOL), (0.9, 0.05, P_TOL),
                                              (0.02, 0.03, P_TOL)])
def test_replica_rule_reaches_the_power_and_is_close_to_minimal(p0, delta, alpha):
    n = binomial_replicas(p0, delta, alpha=alpha)
    assert binomial_power(n, p0, p0 + delta, alpha=alpha) >= 0.8
    # the exact power is a saw-tooth in n (the lattice of k): few n below reach 0.8, most n above do
    below = [binomial_power(m, p0, p0 + delta, alpha=alpha) >= 0.8 for m in range(int(0.9 * n), n, 3)]
    above = [binomial_power(m, p0, p0 + delta, alpha=alpha) >= 0.8 for m in range(n, int(1.1 * n), 3)]
    assert np.mean(below) < 0.2 and np.mean(above) > 0.85
    # independent check: the normal approximation of the same rule
    za, zb = stats.norm.isf(alpha / 2), stats.norm.ppf(0.8)
    p1 = p0 + delta
    approx = ((za * math.sqrt(p0 * (1 - p0)) + zb * math.sqrt(p1 * (1 - p1))) / delta) ** 2
    assert 0.75 * approx < n < 1.35 * approx


def test_replica_rule_errors():
    with pytest.raises(ValueError, match="p0 \\+ delta must lie in"):
        binomial_replicas(0.9, 0.2)
    with pytest.raises(ValueError, match="more than n_max"):
        binomial_replicas(0.5, 0.001, n_max=1000)


@pytest.mark.parametrize("n, p0", [(400, 0.5), (2000, 0.74), (5000, 0.95), (100, 0.0)])
def test_detectable_is_where_the_power_crosses_80_percent(n, p0):
    d = binomial_detectable(n, p0)
    sides = [s for s in (1, -1) if 0 <= p0 + s * d <= 1]
    assert max(binomial_power(n, p0, p0 + s * d) for s in sides) >= 0.8 - 1e-9
    assert all(binomial_power(n, p0, p0 + s * 0.9 * d) < 0.8 for s in sides)


def test_400_and_2000_replicas_and_what_they_see():
    # the numbers: at P ~ 0.7, 400 replicas see only |dP| ~ 0.1; 2000 see ~ 0.045
    assert 0.08 < binomial_detectable(400, 0.7) < 0.12
    assert 0.035 < binomial_detectable(2000, 0.7) < 0.055
    assert math.isinf(binomial_detectable(3, 0.5))


def test_z_forms():
    assert z_power(0.0, 1.0, alpha=0.05) == pytest.approx(0.05)
    z = stats.norm.isf(P_TOL / 2) + stats.norm.ppf(0.8)
    assert z_detectable(2.0) == pytest.approx(2.0 * z, rel=1e-6)  # the far tail adds < 1e-6
    n = z_replicas(3.0, 0.1)
    assert z_detectable(3.0 / math.sqrt(n)) <= 0.1 < z_detectable(3.0 / math.sqrt(n - 1))
    with pytest.raises(ValueError, match="se must be > 0"):
        z_power(1.0, 0.0)


def test_per_example_alpha_bounds_the_family_and_never_loosens_the_report_rule():
    for k in (1, 5, 20, 158, 1000):
        a = per_example_alpha(k, 0.01)
        assert a <= P_TOL and k * a <= 0.01 + 1e-15
    with pytest.raises(ValueError, match="n_examples"):
        per_example_alpha(0)


def test_subnormal_p0_uses_log_space_tails_equal_to_scipy():
    """At a subnormal p0 scipy's vectorised pmf overflows (found by hypothesis); the log-space tails
    equal scipy's where scipy works, and k >= 1 of n = 2 is rejected at p0 ~ 1e-308."""
    from scipy import stats

    from comparison.agreement.power import binomial_rejects
    from perceptron_theory.exact_tests import binom_tails_logspace

    k = np.arange(31)
    pk, lo, hi = binom_tails_logspace(30, 0.37)
    assert np.allclose(pk, stats.binom.pmf(k, 30, 0.37), atol=1e-14)
    assert np.allclose(lo, stats.binom.cdf(k - 1, 30, 0.37), atol=1e-13)
    assert np.allclose(hi, stats.binom.sf(k, 30, 0.37), atol=1e-13)
    assert binomial_rejects(2, 1.1125369292536007e-308).tolist() == [False, True, True]
    assert [binomial_verdict_p(k, 2, 1.1125369292536007e-308) < 0.05 for k in range(3)] == [False, True, True]

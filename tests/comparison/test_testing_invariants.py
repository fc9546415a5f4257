"""comparison.testing.invariants: every check passes on a correct formula and fails, readably, on a planted bug.

The correct formulas are the shipped ones (perceptron_theory's P_grok laws, ν of Eq. 23 / Eq. 50,
the verdict rule's binomial p-value); the planted ones break exactly one property.
"""
from __future__ import annotations

import math

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from comparison.estimate.exact import binomial_verdict_p
from comparison.testing import (check_exponent, check_limit, check_monotone, check_probability, check_symmetric,
                                evaluate, params)
from perceptron_theory import ball
from perceptron_theory import exponential as ex

FAST = settings(max_examples=15, database=None, deadline=None)
# planted bugs: finding the failure is the point, not shrinking it (keeps the file fast)
PLANTED = settings(max_examples=30, database=None, deadline=None, phases=[Phase.generate])
BALL = params("perceptron-ball", D=(1, 10), N=(2, 200), eps=(1.0, 3.0), lam1=(0.0, 0.1), lam2=(0.0, 10.0))


def P_ball(D, N, eps, lam1=0.0, lam2=0.0):
    return float(ball.grok_probability(D, N, eps, lam1, lam2))


def _fails(prop, *words):
    """``prop`` (a hypothesis test) must fail with an AssertionError naming ``words``."""
    with pytest.raises(AssertionError) as info:
        prop()
    for w in words:
        assert w in str(info.value), str(info.value)
    return str(info.value)


# ---------------------------------------------------------------- probability
@FAST
@given(BALL)
def test_first_order_P_grok_is_a_probability(p):
    check_probability(P_ball(**p), where=p)


@FAST
@given(params("perceptron-1d", N=(1, 50), eps=(0.01, 3.0), lam1=(0.0, 1.0), lam2=(0.0, 1.0)))
def test_eq14_is_a_probability(p):
    check_probability(float(ex.grok_probability(**p)), where=p)


def test_probability_check_catches_a_formula_above_one():
    @PLANTED
    @given(BALL)
    def planted(p):
        check_probability(1.5 * P_ball(**p), name="1.5 P", where=p)

    _fails(planted, "1.5 P =", "is not a probability (must be finite and in [0, 1]) at D=")


def test_probability_check_catches_nan_and_arrays():
    with pytest.raises(AssertionError, match="entry 1 of 2"):
        check_probability([0.5, math.nan])
    assert check_probability([0.0, 1.0]) == [0.0, 1.0]


# ---------------------------------------------------------------- monotone
@FAST
@given(params("perceptron-ball", D=(1, 8), N=(5, 100), eps=(1.0, 1.5), lam1=None, lam2=(0.0, 1.0)))
def test_P_grok_rises_with_the_gap_and_with_L2(p):
    check_monotone(P_ball, p, "eps", "increasing")
    check_monotone(P_ball, p, "lam2", "increasing", values=[p["lam2"], p["lam2"] + 0.01, 2 * p["lam2"] + 0.1])


def test_monotone_check_catches_the_wrong_direction():
    @PLANTED
    @given(params("perceptron-ball", D=(1, 8), N=(5, 100), eps=(1.0, 1.2), lam1=None, lam2=(0.001, 1.0)))
    def planted(p):
        check_monotone(lambda **q: 1 - P_ball(**q), p, "eps", "increasing")

    _fails(planted, "is not increasing in eps at D=")


def test_strict_monotone_and_bad_arguments():
    with pytest.raises(AssertionError, match="strictly increasing"):
        check_monotone(lambda x: min(x, 1.0), {"x": 2.0}, "x", "increasing", strict=True)
    check_monotone(lambda x: -x, {"x": 2.0}, "x", "decreasing", strict=True)
    with pytest.raises(ValueError, match="direction"):
        check_monotone(lambda x: x, {"x": 1.0}, "x", "up")
    with pytest.raises(ValueError, match="not one of the parameters"):
        check_monotone(lambda x: x, {"x": 1.0}, "y", "increasing")


# ---------------------------------------------------------------- limits
@settings(max_examples=8, database=None, deadline=None)
@given(params("perceptron-ball", D=(2, 8), N=(5, 100), eps=None, lam1=None, lam2=(0.0, 1.0)))
def test_ball_P_grok_limits_at_the_separability_edge_and_at_large_gap(p):
    # eps -> 1+: P -> 0 (the balls touch) for D >= 2 — at D = 1 there is no perpendicular weight and P = 1
    # (hypothesis found that edge when D = 1 was allowed); eps -> inf: P -> 1
    check_limit(P_ball, p, "eps", 1.0, 0.0, tol=1e-3, approach=[1.1, 1.01, 1.0 + 1e-6, 1.0 + 1e-12])
    check_limit(P_ball, p, "eps", math.inf, 1.0, tol=1e-6, approach=[10.0, 100.0, 1000.0])


@FAST
@given(st.integers(1, 30))
def test_eq14_vanishes_with_the_gap(N):
    check_limit(lambda N, eps: float(ex.grok_probability(N, eps)), {"N": N}, "eps", 0.0, 0.0, tol=1e-4)


def test_limit_check_catches_a_wrong_limit():
    @PLANTED
    @given(params("perceptron-ball", D=(1, 8), N=(5, 100), eps=None, lam1=None, lam2=(0.0, 1.0)))
    def planted(p):  # a law that saturates at 0.9
        check_limit(lambda **q: 0.9 * P_ball(**q), p, "eps", math.inf, 1.0, approach=[10.0, 100.0, 1000.0])

    _fails(planted, "does not tend to 1 as eps -> inf")


def test_limit_check_from_below_and_bad_side():
    check_limit(lambda x: math.sqrt(1 - x), {}, "x", 1.0, 0.0, side="below", tol=1e-3)
    with pytest.raises(ValueError, match="side"):
        check_limit(lambda x: x, {}, "x", 1.0, 1.0, side="left")


# ---------------------------------------------------------------- symmetry
def _mirror(q):  # k successes at p0  <->  n - k failures at 1 - p0
    return {**q, "k": q["n"] - q["k"], "p0": 1.0 - q["p0"]}


@FAST
@given(st.integers(1, 200).flatmap(lambda n: st.fixed_dictionaries(
    {"n": st.just(n), "k": st.integers(0, n), "p0": st.floats(0.01, 0.99)})))
def test_the_verdict_p_value_is_symmetric_under_relabelling(q):
    check_symmetric(binomial_verdict_p, q, _mirror, atol=1e-12, rtol=1e-9)


def test_symmetry_check_catches_a_one_sided_p_value():
    from scipy import stats

    def one_sided(k, n, p0):
        return float(stats.binom.sf(k - 1, n, p0))  # P(X >= k): not invariant under relabelling

    @PLANTED
    @given(st.integers(2, 50).flatmap(lambda n: st.fixed_dictionaries(
        {"n": st.just(n), "k": st.integers(0, n), "p0": st.floats(0.05, 0.95)})))
    def planted(q):
        check_symmetric(one_sided, q, _mirror)

    _fails(planted, "one_sided is not symmetric (even) at")


def test_symmetry_forms():
    check_symmetric(lambda a, b: a + b, {"a": 1.0, "b": 2.0}, ("a", "b"))
    check_symmetric(lambda x: math.sin(x), {"x": 0.3}, {"x": lambda v: -v}, sign=-1)
    with pytest.raises(ValueError, match="transform must be"):
        check_symmetric(lambda x: x, {"x": 0.3}, 3)


# ---------------------------------------------------------------- exponents
@FAST
@given(st.integers(1, 50), st.floats(0.0, 0.99))
def test_eq50_exponent_is_finite_and_continuous(D, xi):
    nu = lambda D, xi: float(ball.critical_exponent(D, xi))  # noqa: E731
    assert check_exponent(nu, {"D": D, "xi": xi}, bounds={"xi": (0.0, 0.999)}) == pytest.approx((D + 1) / 2 - xi)


def test_exponent_check_catches_a_jump():
    @PLANTED
    @given(st.integers(1, 10), st.floats(0.0, 0.99))
    def planted(D, xi):  # a "regime switch" at xi = 0.5 that the derivation does not have
        check_exponent(lambda D, xi: (D + 1) / 2 - xi + 0.25 * (xi > 0.5), {"D": D, "xi": xi}, span=0.6)

    _fails(planted, "is not continuous in xi near")


def test_exponent_check_catches_a_pole_and_a_non_finite_value():
    with pytest.raises(AssertionError, match="raised ZeroDivisionError|is not finite at|is not continuous"):
        check_exponent(lambda xi: 1.0 / (xi - 0.5), {"xi": 0.45}, span=0.2)
    with pytest.raises(AssertionError, match="is not finite at xi=0.5"):
        check_exponent(lambda xi: math.inf if xi == 0.5 else 1.0, {"xi": 0.5})


def test_a_formula_that_raises_is_a_failed_property_naming_the_call():
    msg = _fails(lambda: evaluate(P_ball, {"D": 3, "N": 10, "eps": 0.5}), "P_ball(D=3, N=10, eps=0.5) raised ValueError")
    assert "eps" in msg

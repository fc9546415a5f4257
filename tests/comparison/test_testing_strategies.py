"""comparison.testing.strategies: draws stay inside the declared domain, narrowing is checked, failures shrink small."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comparison.errors import ConfigError
from comparison.simulators import SIMULATORS
from comparison.testing import (dimensions, log_uniform, param_strategy, params, probabilities, regularisation,
                                sample_sizes, simplest)
from comparison.testing.strategies import drawn_names

FAST = settings(max_examples=40, database=None, deadline=None)


@pytest.mark.parametrize("name", sorted(SIMULATORS))
def test_every_registered_simulator_gets_a_strategy_inside_its_declared_domain(name):
    spec = SIMULATORS[name]
    strategy = params(name)

    @FAST
    @given(strategy)
    def inside(p):
        assert set(p) == set(drawn_names(spec)) - {"b0"}
        for k, v in p.items():
            assert spec.param(k).check(v) == v, (k, v)  # Param.check: the registry's own range rule

    inside()


def test_the_run_count_and_the_seed_are_never_drawn():
    for spec in SIMULATORS.values():
        names = drawn_names(spec)
        assert spec.size_key not in names and "seed" not in names


@FAST
@given(params("perceptron-ball", D=(2, 8), eps=(1.01, 2.0), lam1=0.0, dynamics=["exact", "zeroth_order"]))
def test_narrowing_by_range_fixed_value_and_list(p):
    assert 2 <= p["D"] <= 8 and 1.01 <= p["eps"] <= 2.0 and p["lam1"] == 0.0
    assert p["dynamics"] in ("exact", "zeroth_order") and isinstance(p["D"], int)


def test_none_leaves_a_parameter_out_and_a_strategy_is_used_as_is():
    p = simplest(params("perceptron-ball", lam1=None, lam2=st.just(0.25), D=(3, 4), N=(5, 9), eps=(1.5, 1.7)))
    assert p == {"D": 3, "N": 5, "eps": 1.5, "lam2": 0.25}


@pytest.mark.parametrize("kw, words", [
    ({"D": (0, 3)}, "parameter D must be an integer in [1, 10000], got 0"),
    ({"eps": (0.0, 1.0)}, "parameter eps must be a finite number in (0, 1e+06], got 0.0"),
    ({"lam2": (-1.0, 1.0)}, "parameter lam2"),
    ({"D": (5, 3)}, "range (5, 3) is empty"),
    ({"Q": 1}, "has no parameter 'Q'"),
    ({"dynamics": ["fast"]}, "parameter dynamics must be one of exact, zeroth_order"),
])
def test_bad_narrowing_is_a_one_line_config_error(kw, words):
    with pytest.raises(ConfigError) as info:
        params("perceptron-ball", **kw)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_unknown_simulator():
    with pytest.raises(ConfigError, match="unknown simulator 'nope'"):
        params("nope")


def test_failures_shrink_to_small_dimensions_and_sizes():
    # hypothesis reduces a failing example toward the low end of integer ranges (small D, small N)
    assert simplest(params("perceptron-ball", D=(2, 8), N=(10, 100), eps=(1.01, 2.0))) == \
        {"D": 2, "N": 10, "eps": 2.0, "lam1": 0.0, "lam2": 0.0}


def test_wide_positive_ranges_are_drawn_on_a_log_scale():
    lam = SIMULATORS["perceptron-ball"].param("lam2")  # declared [0, 1e6]
    values = []

    @settings(max_examples=200, database=None)
    @given(param_strategy(lam))
    def collect(x):
        values.append(x)

    collect()
    positive = [math.log10(v) for v in values if v > 0]
    # uniform on [0, 1e6] would put ~all mass above 1e3; log-uniform on [1e-6, 1e6] puts half below 1
    assert 0.0 in values and sum(x < 0 for x in positive) >= 0.2 * len(positive)
    assert all(0 <= v <= 1e6 for v in values)


@FAST
@given(log_uniform(1e-3, 1e3), regularisation(1e-4, 10.0), probabilities(), probabilities(open_ends=True),
       dimensions(2, 6), sample_sizes(5, 5000))
def test_domain_helpers_stay_in_range(x, lam, p, q, D, N):
    assert 1e-3 <= x <= 1e3 and (lam == 0 or 1e-4 <= lam <= 10.0)
    assert 0 <= p <= 1 and 0 < q < 1 and 2 <= D <= 6 and 5 <= N <= 5000


def test_domain_helpers_reject_bad_ranges():
    with pytest.raises(ValueError, match="0 < lo < hi"):
        log_uniform(0.0, 1.0)
    with pytest.raises(ValueError, match="1 <= lo <= hi"):
        dimensions(0, 3)
    with pytest.raises(ValueError, match="1 <= lo <= hi"):
        sample_sizes(10, 5)


def test_an_open_lower_end_is_never_drawn_even_on_a_log_scale():
    # found on the linear-estimator simulator: horizon in (1, 1e30] drew exactly 1 (the log scale's shrink target)
    from comparison.simulators import Param

    p = Param("horizon", float, "a time", "--horizon", lo=1.0, hi=1e30, lo_open=True)
    assert simplest(param_strategy(p)) > 1.0

    @FAST
    @given(param_strategy(p), param_strategy(Param("x", float, "x", "--x", lo=0.0, hi=1e6, lo_open=True)))
    def inside(h, x):
        assert h > 1.0 and x > 0.0

    inside()

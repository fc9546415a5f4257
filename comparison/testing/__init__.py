r"""Property-test your own formula: strategies, invariant checks, simulation-backed properties, power.

A *formula* is any callable ``f(**params) -> number`` (a probability, a mean, an
exponent) or a law object (``pdf``, ``cdf``, ``ppf``, ...). This package gives a
theorist what the suite uses on the shipped formulas (see docs/testing.md):

* :mod:`~comparison.testing.strategies` — hypothesis strategies for the declared
  parameter domain of every registered simulator (:func:`params`, narrowed by keyword)
  and for common domains (:func:`probabilities`, :func:`dimensions`,
  :func:`sample_sizes`, :func:`regularisation`, :func:`log_uniform`);
* :mod:`~comparison.testing.invariants` — checks without simulation that raise a readable
  :class:`AssertionError` (:func:`check_probability`, :func:`check_monotone`,
  :func:`check_limit`, :func:`check_symmetric`, :func:`check_exponent`);
* :mod:`~comparison.testing.distribution` — :func:`check_distribution`, the scipy contract
  (atoms included);
* :mod:`~comparison.testing.power` — the exact power of the verdict tests and the replicas
  needed to see a given discrepancy;
* :mod:`~comparison.testing.simulation` — :func:`agrees_with_simulation`: a formula against a
  registered simulator at hypothesis-drawn parameters, with the exact binomial test (P_grok)
  or a z-test (mean t_G), a bounded false-alarm rate over the run and a power statement.

Examples
--------
>>> from hypothesis import given, settings
>>> from comparison.testing import check_probability, params
>>> from perceptron_theory import ball
>>> @settings(max_examples=25, database=None, deadline=None)
... @given(params("perceptron-ball", D=(1, 12), N=(1, 200), eps=(1.0, 3.0)))
... def test_P_grok_is_a_probability(p):
...     check_probability(ball.grok_probability(**p), where=p)
>>> test_P_grok_is_a_probability()
"""
from .distribution import atoms_of, check_distribution
from .invariants import check_exponent, check_limit, check_monotone, check_probability, check_symmetric, evaluate
from .power import (binomial_detectable, binomial_power, binomial_replicas, per_example_alpha, z_detectable, z_power,
                    z_replicas)
from .measurement import measure, reproduce_command, seed_for
from .result import PropertyResult, Row
from .simulation import agrees_with_simulation
from .strategies import dimensions, log_uniform, param_strategy, params, probabilities, regularisation, \
    sample_sizes, simplest

__all__ = ["params", "param_strategy", "simplest", "probabilities", "dimensions", "sample_sizes", "log_uniform",
           "regularisation", "check_probability", "check_monotone", "check_limit", "check_symmetric",
           "check_exponent", "evaluate", "check_distribution", "atoms_of", "binomial_power", "binomial_replicas",
           "binomial_detectable", "z_power", "z_replicas", "z_detectable", "per_example_alpha",
           "agrees_with_simulation", "measure", "seed_for", "reproduce_command", "PropertyResult", "Row"]

"""Label fraction r < 1 (App. I reading): labels, the generalisation criterion, its exact law, the dynamics."""
from __future__ import annotations

import math

import numpy as np
import pytest

from comparison.estimate.exact import binomial_verdict_p
from linear_grokking.separability import p_generalise_label_fraction, sample_labels, simulate


def _exact_law(N: int, d: int, r: float) -> float:
    """Independent form: r^N * 2^{1-N} sum_{k=d}^{N-1} C(N-1, k)."""
    return r ** N * sum(math.comb(N - 1, k) for k in range(d, N)) / 2 ** (N - 1)


def _separable_2d(X: np.ndarray) -> bool:
    """Brute force in d = 2: the points lie in an open half-plane through 0 iff some angular gap exceeds pi."""
    a = np.sort(np.arctan2(X[:, 1], X[:, 0]))
    gaps = np.diff(np.r_[a, a[0] + 2 * np.pi])
    return bool(gaps.max() > np.pi)


def _binom_p(k: int, n: int, p: float) -> float:
    return float(binomial_verdict_p(k, n, p))


def test_labels_default_and_fraction():
    assert (sample_labels(7, 3, seed=0) == 1).all()
    y = sample_labels(50, 400, 0.9, seed=3)
    k, n = int((y < 0).sum()), y.size
    assert abs(k - 0.1 * n) / math.sqrt(n * 0.09) < 4
    with pytest.raises(ValueError, match="label_fraction must be in"):
        sample_labels(5, 2, 0.0, seed=0)


def test_exact_law_closed_form():
    for N, d, r in [(8, 2, 0.9), (20, 8, 0.95), (10, 5, 1.0), (12, 12, 0.5)]:
        assert p_generalise_label_fraction(N, d, r) == pytest.approx(_exact_law(N, d, r), rel=1e-12, abs=1e-300)


@pytest.fixture(scope="module")
def mixed():
    return simulate(8, 2, 1.0, n_seeds=600, t_max=10.0, n_points=2, label_fraction=0.9, keep_data=True, seed=4)


def test_simulator_against_independent_monte_carlo(mixed):
    """The simulator's `generalises` (LP + labels) against Monte Carlo of the criterion with brute-force
    separability (d = 2) and independent draws, both against the exact law; the plain Wendel law is rejected."""
    N, d, r = 8, 2, 0.9
    gen = mixed["generalises"]
    assert list(gen) == [(not _separable_2d(x)) and (yy > 0).all() for x, yy in zip(mixed["X"], mixed["y"])]
    np.testing.assert_array_equal(mixed["n_minority"], (mixed["y"] < 0).sum(1))
    rng = np.random.default_rng(123)
    n_mc = 4000
    hits = sum((rng.random(N) < r).all() and not _separable_2d(rng.standard_normal((N, d))) for _ in range(n_mc))
    p = _exact_law(N, d, r)
    assert _binom_p(hits, n_mc, p) > 6.3e-5
    assert _binom_p(int(gen.sum()), gen.size, p) > 6.3e-5
    wendel = _exact_law(N, d, 1.0)   # Prop. 3.2 read literally ("iff not separable") ignores the labels
    assert _binom_p(hits, n_mc, wendel) < 6.3e-5


def test_a_minority_label_prevents_perfect_generalisation():
    """Runs with a -1 label settle below accuracy 1; runs without one are bit-identical to r = 1."""
    kw = dict(n_seeds=24, t_max=1e6, n_points=12, seed=2)
    mix = simulate(12, 3, 1.0, label_fraction=0.9, max_steps=20_000, **kw)
    one = simulate(12, 3, 1.0, **kw)
    clean = mix["n_minority"] == 0
    assert clean.any() and (~clean).any() and mix["config"]["label_fraction"] == 0.9
    np.testing.assert_array_equal(mix["test_acc"][clean], one["test_acc"][clean])
    fin = mix["final_test_acc"][~clean & mix["reached"]]
    assert fin.size > 0 and np.all(fin < 0.999)
    assert np.all(one["final_test_acc"][~one["separable"]] > 0.999)
    assert np.all(np.isnan(mix["a_gen"][~clean])) and np.all(np.isfinite(mix["a_gen"][clean]))


@pytest.mark.parametrize("r", [0.0, 1.5, -0.1])
def test_label_fraction_range_errors(r):
    with pytest.raises(ValueError, match=r"simulate: label_fraction must be in \(0, 1\]"):
        simulate(6, 2, 1.0, n_seeds=2, label_fraction=r, seed=0)


def test_registry_param_and_theory():
    from comparison.errors import ConfigError
    from comparison.registry import get_theory
    from comparison.simulators import check_params

    base = {"N": 10, "d": 3, "sigma": 1.0, "seed": 0}
    with pytest.raises(ConfigError, match="label_fraction"):
        check_params("separability", {**base, "label_fraction": 1.2})
    assert check_params("separability", {**base, "label_fraction": 0.9})["label_fraction"] == 0.9
    pred = get_theory("separability").predict({"N": 10, "d": 3, "label_fraction": 0.9}, {})[0]
    assert not pred.testable and "label_fraction = 0.9" in pred.not_testable
    assert get_theory("separability").predict({"N": 10, "d": 3, "label_fraction": 1.0}, {})[0].testable


def test_runs_stopped_by_max_steps_are_unreached_not_diverged():
    from linear_grokking.separability import simulate_separability

    res = simulate_separability(12, 3, 1.0, n_seeds=8, t_max=1e6, n_points=8, max_steps=30, seed=0)
    s = res.summary
    assert (~s["reached"]).all() and not s["diverged"].any()
    assert np.isfinite(res.curves[["test_error", "train_error"]].to_numpy()).all()

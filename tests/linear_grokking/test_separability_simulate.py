"""The simulator's contract, and Prop. 3.2 / critical slowing down / Adam's plateau seen through it."""
from __future__ import annotations

import numpy as np
import pytest

from linear_grokking.separability import is_separable
from linear_grokking.separability.simulate import CURVES, first_crossing, simulate


@pytest.fixture(scope="module")
def small():
    return simulate(12, 3, 1.0, n_seeds=6, t_max=1e6, n_points=16, keep_data=True, seed=0)


def test_contract(small):
    R, P = 6, 17
    assert small["t"].shape == (P,) and small["t"][0] == 0 and np.all(np.diff(small["t"]) > 0)
    for k in CURVES:
        assert small[k].shape == (R, P) and np.isfinite(small[k]).all()
    for k in ("separable", "margin", "a_gen", "t_star_tr", "t_star_gen", "final_test_acc", "reached"):
        assert small[k].shape == (R,)
    assert small["X"].shape == (R, 12, 3)
    assert [is_separable(x) for x in small["X"]] == list(small["separable"])
    assert np.all((small["margin"] > 0) == small["separable"])
    assert small["config"]["lam"] == 0.25 and small["config"]["seed"] == 0
    np.testing.assert_array_equal(small["final_test_acc"], small["test_acc"][:, -1])


def test_seed_determinism(small):
    again = simulate(12, 3, 1.0, n_seeds=6, t_max=1e6, n_points=16, seed=0)
    other = simulate(12, 3, 1.0, n_seeds=6, t_max=1e6, n_points=16, seed=1)
    np.testing.assert_array_equal(again["test_acc"], small["test_acc"])
    assert not np.array_equal(other["test_acc"], small["test_acc"])


def test_grokking_times_are_first_crossings(small):
    t = small["t"]
    for r in range(6):
        tg = small["t_star_gen"][r]
        if np.isnan(tg):
            assert small["test_acc"][r].max() < 0.95
            continue
        j = np.searchsorted(t, tg)
        assert small["test_acc"][r, j] >= 0.95 and (j == 0 or small["test_acc"][r, j - 1] < 0.95)
    assert np.array_equal(first_crossing(np.array([0.0, 1.0]), np.array([[0.2, 0.3]]), 0.9), np.array([np.nan]),
                          equal_nan=True)


def test_prop_3_2_through_the_simulator():
    out = simulate(20, 6, 1.0, n_seeds=24, t_max=1e10, n_points=12, seed=3)
    sep = out["separable"]
    assert out["reached"].all() and (~sep).sum() >= 15
    assert (out["final_test_acc"][~sep] > 0.9999).all()                  # generalises: accuracy -> 1
    assert (out["final_test_acc"][sep] <= out["a_gen"][sep] + 1e-9).all()  # approaches A_gen from below


def test_delay_grows_towards_the_critical_point_at_large_sigma():
    ratios = []
    for d in (5, 9):
        out = simulate(20, d, 4.0, n_seeds=16, t_max=1e6, n_points=24, seed=4)
        ns = ~out["separable"]
        ratios.append(np.nanmedian(np.where(np.isnan(out["t_star_gen"]), np.inf, out["t_star_gen"])[ns]
                                   / out["t_star_tr"][ns]))
    assert ratios[1] > 10 * ratios[0]


def test_adam_holds_test_accuracy_near_chance_where_gd_does_not():
    """Fig. 5: at the time the training set is fitted, GD already generalises well, Adam does not."""
    acc = {}
    for opt in ("gd", "adam"):
        out = simulate(60, 29, 1.0, optimizer=opt, n_seeds=8, t_max=3.0, n_points=30, seed=5)
        acc[opt] = np.array([np.interp(out["t_star_tr"][r], out["t"], out["test_acc"][r]) for r in range(8)])
    assert acc["gd"].min() > 0.85 and acc["adam"].max() < 0.8


@pytest.mark.parametrize("kwargs,match", [
    ({"N": 40_000, "d": 20_000, "n_seeds": 64}, "max_bytes"), ({"N": 0}, "N, d and n_seeds"),
    ({"sigma": -1.0}, "sigma must be"), ({"acc_level": 1.0}, "acc_level"), ({"optimizer": "sgd"}, "optimizer")])
def test_errors(kwargs, match):
    args = {"N": 10, "d": 2, "sigma": 1.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        simulate(args.pop("N"), args.pop("d"), args.pop("sigma"), t_max=10.0, n_points=4, seed=0, **args)

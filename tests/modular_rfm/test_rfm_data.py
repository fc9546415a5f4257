"""Data sets: pairs, answers, splits, primitive roots, input validation."""
from __future__ import annotations

import numpy as np
import pytest

import modular_rfm as mr


def _brute(a: int, b: int, p: int, op: str) -> int:
    """Independent reference: search the answer c with c ∘⁻¹ ... directly."""
    if op == "+":
        return (a + b) % p
    if op == "-":
        return next(c for c in range(p) if (c + b) % p == a)
    if op == "*":
        return (a * b) % p
    return next(c for c in range(p) if (c * b) % p == a)  # a / b: the c with c·b = a


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
@pytest.mark.parametrize("p", [3, 7, 11])
def test_answers_match_brute_force(p: int, op: str) -> None:
    ds = mr.make_dataset(p, op, 0.5, seed=3)
    pairs = np.vstack([ds.pairs_train, ds.pairs_test])
    ys = np.concatenate([ds.y_train, ds.y_test])
    assert all(_brute(int(a), int(b), p, op) == int(y) for (a, b), y in zip(pairs, ys))


@pytest.mark.parametrize("op,count", [("+", 49), ("-", 49), ("*", 49), ("/", 42)])
def test_split_is_a_partition_of_all_pairs(op: str, count: int) -> None:
    p = 7
    ds = mr.make_dataset(p, op, 0.3, seed=1)
    tr = {tuple(x) for x in ds.pairs_train}
    te = {tuple(x) for x in ds.pairs_test}
    assert len(tr) + len(te) == count and not tr & te
    assert len(tr) == round(0.3 * count)
    if op == "/":
        assert all(b != 0 for _, b in tr | te)


def test_split_deterministic_and_seed_dependent() -> None:
    a = mr.make_dataset(11, "+", 0.5, seed=5)
    b = mr.make_dataset(11, "+", 0.5, seed=5)
    c = mr.make_dataset(11, "+", 0.5, seed=6)
    assert np.array_equal(a.pairs_train, b.pairs_train)
    assert not np.array_equal(a.pairs_train, c.pairs_train)


def test_one_hot_encoding() -> None:
    ds = mr.make_dataset(5, "+", 0.5, seed=0)
    X = ds.X_train
    assert X.shape == (ds.pairs_train.shape[0], 10)
    assert np.all(X.sum(axis=1) == 2)
    assert np.all(X[np.arange(X.shape[0]), ds.pairs_train[:, 0]] == 1)
    assert np.all(X[np.arange(X.shape[0]), 5 + ds.pairs_train[:, 1]] == 1)
    assert np.array_equal(ds.Y_train.argmax(axis=1), ds.y_train)
    assert np.all(ds.Y_train.sum(axis=1) == 1)


@pytest.mark.parametrize("p,g", [(3, 2), (7, 3), (23, 5), (31, 3), (61, 2), (97, 5)])
def test_smallest_primitive_root_known_values(p: int, g: int) -> None:
    # Values from standard tables of least primitive roots (OEIS A001918).
    assert mr.primitive_root(p) == g


@pytest.mark.parametrize("p", [5, 13, 61])
def test_discrete_log_order_is_permutation_of_units(p: int) -> None:
    order = mr.discrete_log_order(p)
    assert sorted(order.tolist()) == list(range(1, p))
    g = mr.primitive_root(p)
    assert all(order[k] == pow(g, k, p) for k in range(p - 1))


@pytest.mark.parametrize("n,prime", [(2, True), (3, True), (4, False), (9, False), (61, True), (91, False), (1, False)])
def test_is_prime(n: int, prime: bool) -> None:
    assert mr.is_prime(n) is prime


@pytest.mark.parametrize("kwargs,name", [
    ({"p": 9}, "p"), ({"p": 2}, "p"), ({"p": 1}, "p"), ({"p": -7}, "p"), ({"p": 7.5}, "p"),
    ({"p": "7"}, "p"), ({"train_frac": 0.0}, "train_frac"), ({"train_frac": 1.0}, "train_frac"),
    ({"train_frac": 1.5}, "train_frac"), ({"train_frac": float("nan")}, "train_frac"),
    ({"op": "%"}, "op"), ({"op": None}, "op"), ({"seed": -1}, "seed"),
])
def test_make_dataset_bad_input(kwargs: dict, name: str) -> None:
    args = {"p": 7, "op": "+", "train_frac": 0.5, "seed": 0} | kwargs
    with pytest.raises(ValueError, match=name):
        mr.make_dataset(**args)

"""Modular-arithmetic data sets (Mallinar et al. 2024, sec. 2 "Task").

Inputs are pairs ``(a, b)`` of residues mod a prime ``p`` encoded as
``x = e_a ⊕ e_b ∈ R^{2p}`` (two one-hot vectors concatenated); the target is
the one-hot vector of ``a ∘ b mod p`` (not centred).  Because every input has
exactly two non-zeros, the data set is stored by the *column positions* of those
non-zeros, ``cols[i] = (a_i, p + b_i)``; :func:`one_hot` builds the dense
matrix when it is really wanted (tests, the dense reference path).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._validation import check_choice, check_int, check_prime, check_real

__all__ = [
    "OPERATIONS",
    "normalise_op",
    "ModularDataset",
    "make_dataset",
    "all_pairs",
    "apply_op",
    "one_hot",
    "primitive_root",
    "discrete_log_order",
]

#: Supported operations: addition, subtraction, multiplication, division (mod p).
OPERATIONS: tuple[str, ...] = ("+", "-", "*", "/")

_ALIASES = {"add": "+", "sub": "-", "mul": "*", "div": "/", "x": "*", "×": "*", "÷": "/", "−": "-", "·": "*"}


def normalise_op(op: object) -> str:
    """The canonical operation symbol: ``'+'``, ``'-'``, ``'*'`` or ``'/'``.

    Accepts the symbols themselves and the aliases ``add``, ``sub``, ``mul``, ``div``,
    ``x``, ``×``, ``·``, ``÷``, ``−``; anything else raises ``ValueError`` naming ``op``.

    Examples
    --------
    >>> normalise_op("÷"), normalise_op("add")
    ('/', '+')
    """
    if isinstance(op, str) and op in _ALIASES:
        op = _ALIASES[op]
    return check_choice("op", op, OPERATIONS)


def all_pairs(p: int, op: str) -> NDArray[np.int64]:
    """All admissible operand pairs ``(a, b)``: ``p²`` pairs, or ``p(p−1)`` for ``/`` (``b ≠ 0``)."""
    p = check_prime("p", p)
    op = normalise_op(op)
    a, b = np.meshgrid(np.arange(p), np.arange(p), indexing="ij")
    pairs = np.stack([a.ravel(), b.ravel()], axis=1).astype(np.int64)
    if op == "/":
        pairs = pairs[pairs[:, 1] != 0]
    return pairs


def apply_op(a: NDArray[np.int64], b: NDArray[np.int64], p: int, op: str) -> NDArray[np.int64]:
    """``a ∘ b mod p``; division uses the multiplicative inverse ``b^{p−2} mod p`` (``b ≠ 0``)."""
    p = check_prime("p", p)
    op = normalise_op(op)
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if op == "+":
        return (a + b) % p
    if op == "-":
        return (a - b) % p
    if op == "*":
        return (a * b) % p
    if np.any(b % p == 0):
        raise ValueError("b must be non-zero mod p for op='/'")
    inv = np.array([pow(int(v), p - 2, p) for v in range(p)], dtype=np.int64)
    return (a * inv[b % p]) % p


def primitive_root(p: int) -> int:
    """Smallest primitive root (generator of the multiplicative group) of the prime ``p``."""
    p = check_prime("p", p)
    order = p - 1
    factors = {q for q in range(2, order + 1) if order % q == 0 and all(q % r for r in range(2, q))}
    for g in range(2, p):
        if all(pow(g, order // q, p) != 1 for q in factors):
            return g
    raise AssertionError("unreachable: every prime has a primitive root")  # pragma: no cover


def discrete_log_order(p: int) -> NDArray[np.int64]:
    """Residues ``g^0, g^1, …, g^{p−2} mod p`` for the smallest primitive root ``g``.

    Indexing a ``p × p`` matrix with this array on rows and columns reorders it
    by the discrete logarithm and drops residue 0 (paper sec. 3): multiplication
    ``a·b = g^{i+j}`` becomes addition of the exponents mod ``p − 1``.
    """
    g = primitive_root(p)
    out = np.empty(p - 1, dtype=np.int64)
    v = 1
    for k in range(p - 1):
        out[k] = v
        v = (v * g) % p
    return out


def one_hot(cols: NDArray[np.int64], p: int) -> NDArray[np.float64]:
    """Dense ``(n, 2p)`` one-hot inputs from column positions ``cols = (a, p + b)``."""
    cols = np.asarray(cols, dtype=np.int64)
    x = np.zeros((cols.shape[0], 2 * p))
    rows = np.arange(cols.shape[0])
    x[rows, cols[:, 0]] = 1.0
    x[rows, cols[:, 1]] = 1.0
    return x


@dataclass(frozen=True)
class ModularDataset:
    """A seeded train/test split of all pairs for ``a ∘ b mod p``.

    Attributes
    ----------
    p, op, train_frac, seed:
        The settings; ``seed`` drove the split permutation.
    pairs_train, pairs_test:
        ``(n, 2)`` operand pairs ``(a, b)``.
    y_train, y_test:
        Integer answers ``a ∘ b mod p``.
    """

    p: int
    op: str
    train_frac: float
    seed: int
    pairs_train: NDArray[np.int64]
    pairs_test: NDArray[np.int64]
    y_train: NDArray[np.int64]
    y_test: NDArray[np.int64]

    @property
    def cols_train(self) -> NDArray[np.int64]:
        """Non-zero column positions ``(a, p + b)`` of the training inputs."""
        return self.pairs_train + np.array([0, self.p])

    @property
    def cols_test(self) -> NDArray[np.int64]:
        """Non-zero column positions ``(a, p + b)`` of the test inputs."""
        return self.pairs_test + np.array([0, self.p])

    @property
    def X_train(self) -> NDArray[np.float64]:
        """Dense one-hot training inputs ``(n_train, 2p)``."""
        return one_hot(self.cols_train, self.p)

    @property
    def X_test(self) -> NDArray[np.float64]:
        """Dense one-hot test inputs ``(n_test, 2p)``."""
        return one_hot(self.cols_test, self.p)

    @property
    def Y_train(self) -> NDArray[np.float64]:
        """One-hot training targets ``(n_train, p)`` (not centred)."""
        return np.eye(self.p)[self.y_train]

    @property
    def Y_test(self) -> NDArray[np.float64]:
        """One-hot test targets ``(n_test, p)``."""
        return np.eye(self.p)[self.y_test]


def make_dataset(p: int, op: str = "+", train_frac: float = 0.5, seed: int = 0) -> ModularDataset:
    """All pairs for ``a ∘ b mod p`` split at random into train and test.

    ``round(train_frac · N)`` pairs (at least one, at most ``N − 1``) are drawn
    for training by a permutation from ``numpy.random.default_rng(seed)``; the
    rest are the test set.  ``p`` must be a prime ``>= 3``, ``train_frac`` in
    ``(0, 1)``, ``op`` one of ``'+', '-', '*', '/'``.
    """
    p = check_prime("p", p)
    op = normalise_op(op)
    train_frac = check_real("train_frac", train_frac, 0.0, 1.0, lo_open=True, hi_open=True)
    seed = check_int("seed", seed, lo=0)
    pairs = all_pairs(p, op)
    n_all = pairs.shape[0]
    n_train = min(max(int(round(train_frac * n_all)), 1), n_all - 1)
    perm = np.random.default_rng(seed).permutation(n_all)
    tr, te = np.sort(perm[:n_train]), np.sort(perm[n_train:])
    y = apply_op(pairs[:, 0], pairs[:, 1], p, op)
    return ModularDataset(
        p=p, op=op, train_frac=train_frac, seed=seed,
        pairs_train=pairs[tr], pairs_test=pairs[te], y_train=y[tr], y_test=y[te],
    )

r"""Datasets as position sets organised in prefix/suffix tries.

Every position ``i`` of an input ``x`` of length ``M`` is a training or test
example: the left context depends only on the prefix :math:`x_{1..i-1}`, the
right context only on the suffix :math:`x_{i+1..M}`, and the output on
:math:`x_i` (paper Eqs. 59–63).  Storing the distinct prefixes and suffixes in
two tries lets the network compute every context once (an exhaustive set of
all inputs of length <= L has only ~2**L distinct prefixes for ~L 2**L
positions).  Positions are grouped in *blocks* of equal (prefix length,
suffix length, centre symbol); a block whose positions fill most of the
prefix-level x suffix-level grid is evaluated as one matrix product.

Test distribution (the finite stand-in for the paper's "all input lengths
3 … ∞", sec. 4.1): :func:`make_test_set` pools
(a) every position of every input of length 3 … ``max_len`` (exhaustive) and
(b) every position of ``n_long`` i.i.d. uniform inputs of length ``long_len``;
each part carries half of the weight, positions are equally weighted inside a
part.  The test error is the weighted fraction of wrongly predicted positions
(``sgn(0)`` counts as wrong).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._checks import check_choice, check_int, check_real
from ._rules import all_inputs, apply_rule, random_inputs

__all__ = ["Trie", "Block", "PositionSet", "build_position_set", "make_dataset", "make_test_set",
           "BOUNDARIES"]

#: Boundary modes of the network: eigen = leading left/right eigenvectors of A_0,
#: pad = finite padding with -1 (power iteration, differentiable), trainable =
#: free boundary vectors, closed = periodic (trace).
BOUNDARIES = ("eigen", "pad", "trainable", "closed")


@dataclass(frozen=True)
class Trie:
    """Prefix (or suffix) tree.  Node 0 is the empty string.  Level ``k`` nodes
    (strings of length k) are ``level_start[k]:level_start[k+1]``, sorted by
    their last symbol: the first ``n_sym0[k]`` end in symbol 0 (x = -1)."""
    parent: NDArray[np.int64]
    sym: NDArray[np.int8]
    level_start: NDArray[np.int64]
    n_sym0: NDArray[np.int64]

    @property
    def n_nodes(self) -> int:
        return int(self.parent.shape[0])

    @property
    def n_levels(self) -> int:
        return int(self.level_start.shape[0] - 1)

    def level_is_full(self, k: int) -> bool:
        """True when level ``k`` holds both children of every level ``k-1`` node: then its
        nodes are (all parents in order) x symbol 0 followed by the same x symbol 1, and the
        level is one batched product with no gather."""
        if k < 1:
            return False
        n_prev = int(self.level_start[k] - self.level_start[k - 1])
        n_cur = int(self.level_start[k + 1] - self.level_start[k])
        return n_cur == 2 * n_prev and int(self.n_sym0[k]) == n_prev


@dataclass(frozen=True)
class Block:
    left_level: int
    right_level: int
    center: int
    start: int
    stop: int
    dense: bool
    flat_index: NDArray[np.int64]  # dense blocks: (l - l0) * n_r + (r - r0)
    full: bool = False  # dense and flat_index == arange(n_l * n_r): no gather needed


@dataclass(frozen=True)
class PositionSet:
    """All positions of a set of ±1 inputs with their labels and weights.

    ``pos_left``/``pos_right`` index the prefix/suffix tries, ``pos_center`` is
    0 for x_i = -1 and 1 for +1, ``labels`` are ±1 and ``weights`` sum to 1.
    ``pos_sequence``/``pos_index`` locate each position in ``sequences``.
    """
    left: Trie
    right: Trie
    pos_left: NDArray[np.int64]
    pos_center: NDArray[np.int64]
    pos_right: NDArray[np.int64]
    labels: NDArray[np.int8]
    weights: NDArray[np.float64]
    pos_sequence: NDArray[np.int64]
    pos_index: NDArray[np.int64]
    blocks: tuple[Block, ...]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_positions(self) -> int:
        return int(self.labels.shape[0])

    def left_node_weights(self) -> NDArray[np.float64]:
        """Total position weight carried by each prefix node (for context statistics)."""
        return np.bincount(self.pos_left, weights=self.weights, minlength=self.left.n_nodes)


def _build_trie(seqs: NDArray[np.int8], lengths: NDArray[np.int64]) -> tuple[Trie, NDArray[np.int64]]:
    """seqs: (S, Lmax) 0/1 with -1 padding; returns the trie and node_of (S, Lmax+1)."""
    S, Lmax = seqs.shape
    node_of = np.full((S, Lmax + 1), -1, dtype=np.int64)
    node_of[:, 0] = 0
    parents = [np.array([-1], dtype=np.int64)]
    syms = [np.array([0], dtype=np.int8)]
    level_start = [0, 1]
    n0 = [1]
    cur = np.zeros(S, dtype=np.int64)
    for k in range(1, Lmax + 1):
        active = np.nonzero(lengths >= k)[0]
        if active.size == 0:
            break
        key = cur[active] * 2 + seqs[active, k - 1]
        uniq, inv = np.unique(key, return_inverse=True)
        par, sym = uniq // 2, uniq % 2
        order = np.lexsort((par, sym))
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        ids = level_start[-1] + rank[inv]
        cur[active] = ids
        node_of[active, k] = ids
        parents.append(par[order])
        syms.append(sym[order].astype(np.int8))
        n0.append(int(np.sum(sym == 0)))
        level_start.append(level_start[-1] + uniq.size)
    trie = Trie(np.concatenate(parents), np.concatenate(syms), np.asarray(level_start, dtype=np.int64),
                np.asarray(n0, dtype=np.int64))
    return trie, node_of


def build_position_set(sequences: list[NDArray[np.int8]], labels: list[NDArray[np.int8]],
                       part_weights: list[float] | None = None,
                       info: dict[str, Any] | None = None) -> PositionSet:
    """Build a :class:`PositionSet` from groups of ±1 inputs (each ``(S_g, M_g)``) and labels.

    ``part_weights[g]`` is the total weight of group g (default: proportional to
    its number of positions, i.e. all positions equally weighted).
    """
    if len(sequences) == 0 or len(sequences) != len(labels):
        raise ValueError("sequences and labels must be non-empty lists of equal length")
    lengths_g = [int(s.shape[1]) for s in sequences]
    Lmax = max(lengths_g)
    S_tot = sum(int(s.shape[0]) for s in sequences)
    seqs = np.full((S_tot, Lmax), -1, dtype=np.int8)
    lengths = np.empty(S_tot, dtype=np.int64)
    group_of = np.empty(S_tot, dtype=np.int64)
    row = 0
    for g, s in enumerate(sequences):
        n = s.shape[0]
        seqs[row:row + n, : s.shape[1]] = (s + 1) // 2
        lengths[row:row + n] = s.shape[1]
        group_of[row:row + n] = g
        row += n
    rev = np.full_like(seqs, -1)
    for M in set(lengths_g):
        rows = lengths == M
        rev[rows, :M] = seqs[rows, :M][:, ::-1]
    left, lnode = _build_trie(seqs, lengths)
    right, rnode = _build_trie(rev, lengths)
    # positions
    s_idx = np.repeat(np.arange(S_tot), lengths)
    i_idx = np.concatenate([np.arange(M) for M in lengths]) if S_tot else np.zeros(0, np.int64)
    M_of = lengths[s_idx]
    p_left = lnode[s_idx, i_idx]
    p_right = rnode[s_idx, M_of - 1 - i_idx]
    p_center = seqs[s_idx, i_idx].astype(np.int64)
    lab_rows = np.full((S_tot, Lmax), 0, dtype=np.int8)
    row = 0
    for s, y in zip(sequences, labels, strict=True):
        if y.shape != s.shape:
            raise ValueError(f"labels shape {y.shape} does not match sequences shape {s.shape}")
        lab_rows[row:row + s.shape[0], : s.shape[1]] = y
        row += s.shape[0]
    p_label = lab_rows[s_idx, i_idx]
    n_pos_g = np.array([s.shape[0] * s.shape[1] for s in sequences], dtype=float)
    if part_weights is None:
        pw = n_pos_g / n_pos_g.sum()
    else:
        pw = np.asarray(part_weights, dtype=float)
        if pw.shape != (len(sequences),) or np.any(pw < 0) or pw.sum() <= 0:
            raise ValueError("part_weights must be non-negative, one per group, with a positive sum")
        pw = pw / pw.sum()
    p_weight = (pw / n_pos_g)[group_of[s_idx]]
    # blocks: sort by (left level, right level, center, left node, right node)
    l_level = i_idx
    r_level = M_of - 1 - i_idx
    order = np.lexsort((p_right, p_left, p_center, r_level, l_level))
    arrays = [a[order] for a in (p_left, p_center, p_right, p_label, p_weight, s_idx, i_idx, l_level, r_level)]
    p_left, p_center, p_right, p_label, p_weight, s_idx, i_idx, l_level, r_level = arrays
    key = (l_level * (Lmax + 1) + r_level) * 2 + p_center
    starts = np.concatenate([[0], np.nonzero(np.diff(key))[0] + 1, [key.size]])
    blocks = []
    for a, b in zip(starts[:-1], starts[1:], strict=True):
        kl, kr, c = int(l_level[a]), int(r_level[a]), int(p_center[a])
        l0, l1 = left.level_start[kl], left.level_start[kl + 1]
        r0, r1 = right.level_start[kr], right.level_start[kr + 1]
        n_l, n_r = int(l1 - l0), int(r1 - r0)
        dense = n_l * n_r <= 4 * (b - a)
        flat = (p_left[a:b] - l0) * n_r + (p_right[a:b] - r0) if dense else np.zeros(0, np.int64)
        full = bool(dense and flat.size == n_l * n_r and np.array_equal(flat, np.arange(n_l * n_r)))
        blocks.append(Block(kl, kr, c, int(a), int(b), bool(dense), flat.astype(np.int64), full))
    return PositionSet(left, right, p_left, p_center, p_right, p_label.astype(np.int8), p_weight,
                       s_idx, i_idx, tuple(blocks), dict(info or {}))


def make_dataset(rule: int = 30, K: int = 1, M: int = 3, n: int | None = None, *,
                 seed: int = 0, rule_boundary: str = "open") -> PositionSet:
    """Training set: every position of all ``2**M`` inputs of length M (``n=None``), or
    of ``n`` i.i.d. uniform inputs of length M drawn with ``numpy.random.default_rng(seed)``.

    ``M`` must be at least ``2K + 1`` (one full neighbourhood).
    """
    K = check_int("K", K, 1)
    M = check_int("M", M, 2 * K + 1)
    rule_boundary = check_choice("rule_boundary", rule_boundary, ("open", "closed"))
    if n is None:
        x = all_inputs(M)
    else:
        n = check_int("n", n, 1)
        x = random_inputs(n, M, np.random.default_rng(check_int("seed", seed, 0)))
    y = apply_rule(x, rule, K, rule_boundary)
    info = {"kind": "exhaustive" if n is None else "random", "rule": int(rule), "K": K, "M": M,
            "n_sequences": int(x.shape[0]), "seed": None if n is None else int(seed),
            "rule_boundary": rule_boundary}
    return build_position_set([x], [y], info=info)


def make_test_set(rule: int = 30, K: int = 1, *, min_len: int = 3, max_len: int = 10, n_long: int = 64,
                  long_len: int = 64, long_weight: float = 0.5, seed: int = 12345,
                  rule_boundary: str = "open", parity: str = "all") -> PositionSet:
    """The documented finite test distribution standing in for "all lengths 3 … ∞".

    Part (a): every position of every input of length ``min_len`` … ``max_len``
    (weight ``1 - long_weight``, positions pooled uniformly); part (b): every
    position of ``n_long`` uniform random inputs of length ``long_len`` drawn
    with ``numpy.random.default_rng(seed)`` (weight ``long_weight``).  With
    closed boundaries lengths below ``2K + 1`` are skipped.  ``parity="even"``/``"odd"``
    keeps only the exhaustive lengths of that parity (``long_len`` must have it too): a
    network trained on inputs of one length M cannot tell (A, B) from (-A, -B), which
    flips every prediction on inputs whose length has the other parity (see
    docs/local_rules.md, "Sign symmetry").
    """
    K = check_int("K", K, 1)
    min_len = check_int("min_len", min_len, 1)
    max_len = check_int("max_len", max_len, min_len, 20)
    n_long = check_int("n_long", n_long, 0)
    long_len = check_int("long_len", long_len, 1)
    long_weight = check_real("long_weight", long_weight, 0.0, 1.0)
    rule_boundary = check_choice("rule_boundary", rule_boundary, ("open", "closed"))
    parity = check_choice("parity", parity, ("all", "even", "odd"))
    lo = max(min_len, 2 * K + 1) if rule_boundary == "closed" else min_len
    want = {"all": None, "even": 0, "odd": 1}[parity]
    lengths = [M for M in range(lo, max_len + 1) if want is None or M % 2 == want]
    if not lengths:
        raise ValueError(f"min_len..max_len = {lo}..{max_len} holds no length of parity {parity!r}")
    if want is not None and n_long > 0 and long_weight > 0 and long_len % 2 != want:
        raise ValueError(f"long_len must be {parity} for parity={parity!r}, got {long_len}")
    xs, ys, ws = [], [], []
    ex_pos = sum(M * 2 ** M for M in lengths)
    for M in lengths:
        x = all_inputs(M)
        xs.append(x)
        ys.append(apply_rule(x, rule, K, rule_boundary))
        ws.append((1.0 - long_weight if n_long > 0 else 1.0) * M * 2 ** M / max(ex_pos, 1))
    if n_long > 0 and long_weight > 0:
        x = random_inputs(n_long, long_len, np.random.default_rng(check_int("seed", seed, 0)))
        xs.append(x)
        ys.append(apply_rule(x, rule, K, rule_boundary))
        ws.append(long_weight)
    info = {"kind": "test", "rule": int(rule), "K": K, "min_len": lo, "max_len": max_len,
            "n_long": n_long, "long_len": long_len, "long_weight": long_weight, "seed": int(seed),
            "rule_boundary": rule_boundary, "parity": parity}
    return build_position_set(xs, ys, part_weights=ws, info=info)

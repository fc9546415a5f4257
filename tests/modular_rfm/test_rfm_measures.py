"""Progress measures: circulant deviation (both directions, discrete-log reordering),
AGOP alignment, effective dimension, accuracy and losses."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import modular_rfm as mr


def _embed(block: np.ndarray, p: int, rng: np.random.Generator) -> np.ndarray:
    """A symmetric 2p×2p matrix with ``block`` as M[p:, :p] and random diagonal blocks."""
    D1 = rng.standard_normal((p, p))
    D2 = rng.standard_normal((p, p))
    return np.block([[D1 + D1.T, block.T], [block, D2 + D2.T]])


@pytest.mark.parametrize("p", [5, 7, 13])
def test_zero_on_circulant_and_hankel_blocks(p: int) -> None:
    rng = np.random.default_rng(p)
    c = rng.standard_normal(p)
    i, j = np.meshgrid(np.arange(p), np.arange(p), indexing="ij")
    circ = c[(j - i) % p]   # C_ij = c_{j-i}
    hank = c[(i + j) % p]   # H_ij = h_{i+j}
    Mc, Mh = _embed(circ, p, rng), _embed(hank, p, rng)
    assert mr.circulant_deviation(Mc, p, direction="circulant") == pytest.approx(0.0, abs=1e-14)
    assert mr.circulant_deviation(Mh, p, direction="hankel") == pytest.approx(0.0, abs=1e-14)
    # the other direction does not vanish
    assert mr.circulant_deviation(Mc, p, direction="hankel") > 0.1
    assert mr.circulant_deviation(Mh, p, direction="circulant") > 0.1


def test_hand_computed_value() -> None:
    """p = 3, A = [[1,0,0],[0,0,0],[0,0,0]]: shifting changes nothing in rows 1, 2;
    column 0 holds (1, 0, 0) → Σ (x − mean)² = 2/3, ‖A‖² = 1."""
    M = np.zeros((6, 6))
    M[3, 0] = M[0, 3] = 1.0
    for direction in ("circulant", "hankel"):
        assert mr.circulant_deviation(M, 3, direction=direction) == pytest.approx(2.0 / 3.0)


def test_identity_block_is_nan_not_silent_zero() -> None:
    assert np.isnan(mr.circulant_deviation(np.eye(10), 5))


def test_random_block_close_to_one_minus_one_over_p() -> None:
    p = 61
    rng = np.random.default_rng(0)
    M = _embed(rng.standard_normal((p, p)), p, rng)
    v = mr.circulant_deviation(M, p)
    # Σ (x−mean)²/Σ x² for p² i.i.d. N(0,1): mean 1 − 1/p, sd ≈ sqrt(2/p²) → |z| < 4
    assert abs(v - (1 - 1 / p)) < 4 * np.sqrt(2.0) / p


@pytest.mark.parametrize("p", [7, 11, 61])
def test_discrete_log_reordering_makes_multiplication_tables_circulant(p: int) -> None:
    rng = np.random.default_rng(1)
    h = rng.standard_normal(p)
    b, a = np.meshgrid(np.arange(p), np.arange(p), indexing="ij")  # rows b, cols a
    inv = np.array([pow(int(v), p - 2, p) if v else 0 for v in range(p)])
    mult = h[(a * b) % p]          # depends on a·b  → Hankel in log coordinates
    div = h[(a * inv[b]) % p]      # depends on a/b  → circulant in log coordinates
    Mm, Md = _embed(mult, p, rng), _embed(div, p, rng)
    assert mr.circulant_deviation(Mm, p, direction="hankel", reorder=True) == pytest.approx(0.0, abs=1e-13)
    assert mr.circulant_deviation(Md, p, direction="circulant", reorder=True) == pytest.approx(0.0, abs=1e-13)
    # without the reordering the same tables are far from circulant / Hankel
    assert mr.circulant_deviation(Mm, p, direction="hankel") > 0.3
    assert mr.circulant_deviation(Md, p, direction="circulant") > 0.3
    A = mr.offdiagonal_block(Mm, p, reorder=True)
    assert A.shape == (p - 1, p - 1)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(1e-3, 1e3), direction=st.sampled_from(["circulant", "hankel"]))
def test_circulant_deviation_bounded_and_scale_invariant(seed: int, scale: float, direction: str) -> None:
    p = 7
    rng = np.random.default_rng(seed)
    M = _embed(rng.standard_normal((p, p)) + rng.normal(), p, rng)
    v = mr.circulant_deviation(M, p, direction=direction)
    assert 0.0 <= v <= 1.0
    assert mr.circulant_deviation(scale * M, p, direction=direction) == pytest.approx(v, rel=1e-9)


def test_task_direction() -> None:
    assert [mr.task_direction(o) for o in "+-*/"] == ["circulant", "hankel", "circulant", "hankel"]
    with pytest.raises(ValueError, match="op"):
        mr.task_direction("%")


def test_circulant_deviation_bad_input() -> None:
    with pytest.raises(ValueError, match="p"):
        mr.circulant_deviation(np.eye(8), 4)
    with pytest.raises(ValueError, match="shape"):
        mr.circulant_deviation(np.eye(8), 5)
    with pytest.raises(ValueError, match="direction"):
        mr.circulant_deviation(np.eye(10), 5, direction="toeplitz")


def test_effective_dimension_limits() -> None:
    assert mr.effective_dimension(np.eye(9)) == pytest.approx(9.0)
    v = np.arange(1.0, 5.0)
    assert mr.effective_dimension(np.outer(v, v)) == pytest.approx(1.0)
    assert mr.effective_dimension(np.diag([1.0, 1.0, 0.0, 0.0])) == pytest.approx(2.0)
    # two eigenvalues 3:1 → σ = (3/4, 1/4): exp(H) computed by hand
    H = -(0.75 * np.log(0.75) + 0.25 * np.log(0.25))
    assert mr.effective_dimension(np.diag([3.0, 1.0])) == pytest.approx(np.exp(H))
    with pytest.raises(ValueError, match="trace"):
        mr.effective_dimension(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="square"):
        mr.effective_dimension(np.zeros((3, 2)))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(1e-3, 1e3))
def test_effective_dimension_properties(seed: int, scale: float) -> None:
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((6, 6))
    M = B @ B.T
    Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    d = mr.effective_dimension(M)
    assert 1.0 - 1e-12 <= d <= 6.0 + 1e-12
    assert mr.effective_dimension(scale * M) == pytest.approx(d, rel=1e-9)
    assert mr.effective_dimension(Q @ M @ Q.T) == pytest.approx(d, rel=1e-8)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(1e-3, 1e3))
def test_alignment_properties(seed: int, scale: float) -> None:
    rng = np.random.default_rng(seed)
    A, B = rng.standard_normal((2, 5, 5))
    M1, M2 = A @ A.T, B @ B.T
    assert mr.agop_alignment(M1, M1) == pytest.approx(1.0)
    a = mr.agop_alignment(M1, M2)
    assert 0.0 <= a <= 1.0  # PSD matrices have non-negative Frobenius product
    assert mr.agop_alignment(scale * M1, M2) == pytest.approx(a, rel=1e-9)
    assert mr.agop_alignment(M2, M1) == pytest.approx(a, rel=1e-12)


def test_accuracy_and_losses_by_hand() -> None:
    F = np.array([[0.9, 0.2, 0.0], [0.1, 0.3, 0.8], [0.5, 0.4, 0.1]])
    y = np.array([0, 1, 0])
    assert mr.accuracy(F, y) == pytest.approx(2 / 3)
    Y = np.eye(3)[y]
    assert mr.mse(F, Y) == pytest.approx(np.sum((F - Y) ** 2) / 9)
    assert mr.correct_class_loss(F, y) == pytest.approx(((0.9 - 1) ** 2 + (0.3 - 1) ** 2 + (0.5 - 1) ** 2) / 3)

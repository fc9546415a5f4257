"""Tensor-network outputs against a naive independent implementation; normalisation."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import local_rules as lr


def naive_outputs(A, B, x, boundary):
    """Direct Eq. 62-63 for one sequence x (±1): products of matrices, no tries."""
    d = A.shape[0]
    mats = [A[:, :, 0] if v < 0 else A[:, :, 1] for v in x]
    out = []
    if boundary == "closed":
        for i in range(len(x)):
            HL = np.eye(d)
            for m in mats[:i]:
                HL = HL @ m
            HR = np.eye(d)
            for m in mats[i + 1:]:
                HR = HR @ m
            HL /= np.linalg.norm(HL)
            HR /= np.linalg.norm(HR)
            out.append(np.trace(HL @ B[:, :, 0 if x[i] < 0 else 1] @ HR))
        return np.array(out)
    lam, V = np.linalg.eig(A[:, :, 0].T)
    vL = np.real(V[:, np.argmax(np.abs(lam))])
    lam, V = np.linalg.eig(A[:, :, 0])
    vR = np.real(V[:, np.argmax(np.abs(lam))])
    for i in range(len(x)):
        l = vL.copy()
        for m in mats[:i]:
            l = l @ m
        r = vR.copy()
        for m in mats[i + 1:][::-1]:
            r = m @ r
        out.append((l / np.linalg.norm(l)) @ B[:, :, 0 if x[i] < 0 else 1] @ (r / np.linalg.norm(r)))
    return np.array(out)


@pytest.mark.parametrize("boundary", ["eigen", "closed"])
def test_outputs_match_naive(boundary):
    rng = np.random.default_rng(1)
    A = lr.example_tensor("example2") if boundary == "eigen" else rng.standard_normal((3, 3, 2))
    B = rng.standard_normal(A.shape)
    ts = lr.make_test_set(30, 1, max_len=5, n_long=3, long_len=9, seed=2)
    y = lr.outputs_numpy(A, B, ts, boundary)
    xs = [lr.all_inputs(M) for M in range(3, 6)] + [lr.random_inputs(3, 9, np.random.default_rng(2))]
    allx = [row for grp in xs for row in grp]
    for p in rng.choice(ts.n_positions, 40, replace=False):
        x = allx[ts.pos_sequence[p]]
        ref = naive_outputs(A, B, x, boundary)[ts.pos_index[p]]
        # the eigenvector's sign is arbitrary: outputs agree up to the product of the two signs
        assert np.isclose(abs(y[p]), abs(ref), rtol=1e-9, atol=1e-12)


def test_features_give_outputs_and_pad_converges_to_eigen():
    rng = np.random.default_rng(0)
    A = lr.example_tensor("example3")
    B = rng.standard_normal((2, 2, 2))
    tr = lr.make_dataset(30, 1, 4)
    z = lr.features_numpy(A, tr)
    assert np.allclose(z @ B.reshape(-1), lr.outputs_numpy(A, B, tr))
    assert np.allclose(lr.outputs_numpy(A, B, tr, "pad", n_pad=200), lr.outputs_numpy(A, B, tr), atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(st.floats(1e-3, 1e3), st.sampled_from(["eigen", "closed", "pad"]))
def test_normalisation_invariance(c, boundary):
    A = lr.example_tensor("example1")
    B = np.random.default_rng(5).standard_normal((2, 2, 2))
    tr = lr.make_dataset(30, 1, 5)
    assert np.allclose(lr.outputs_numpy(c * A, B, tr, boundary), lr.outputs_numpy(A, B, tr, boundary),
                       rtol=1e-9, atol=1e-12)


def test_long_sequences_neither_overflow_nor_underflow():
    rng = np.random.default_rng(0)
    A = 30.0 * rng.standard_normal((4, 4, 2))  # products of 1000 such matrices overflow float64
    B = rng.standard_normal((4, 4, 2))
    x = lr.random_inputs(2, 1000, rng)
    ps = lr.build_position_set([x], [lr.apply_rule(x, 30)])
    for boundary in ("pad", "closed"):
        y = lr.outputs_numpy(A, B, ps, boundary)
        y_small = lr.outputs_numpy(A / 1e6, B, ps, boundary)
        assert np.all(np.isfinite(y)) and np.allclose(y, y_small, rtol=1e-8, atol=1e-10)


def test_bad_tensors_raise():
    tr = lr.make_dataset(30, 1, 3)
    A = lr.example_tensor("example1")
    bad = A.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="A"):
        lr.outputs_numpy(bad, A, tr)
    with pytest.raises(ValueError, match="B"):
        lr.outputs_numpy(A, np.full_like(A, np.inf), tr)
    with pytest.raises(ValueError, match="A"):
        lr.run_scenario_b(bad, n_init=2, progress=False)
    with pytest.raises(ValueError, match="A"):
        lr.features_numpy(np.zeros((2, 3, 2)), tr)


def test_effective_dimension():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20000, 3))
    assert abs(lr.effective_dimension(X) - 3) < 0.05
    line = np.outer(rng.standard_normal(50), [1.0, 2.0, -1.0])
    assert np.isclose(lr.effective_dimension(line), 1.0)
    # two directions with variances 1 and 0 weight... exact value for unequal variances
    Y = np.concatenate([np.diag([1.0, 0.5]), -np.diag([1.0, 0.5])])
    s = np.array([1.0, 0.25]) / 1.25
    assert np.isclose(lr.effective_dimension(Y), np.exp(-(s * np.log(s)).sum()))


def test_detect_spikes():
    L = np.full((2, 300), 0.01)
    L[1, 200:203] = 1.0
    ev = lr.detect_spikes(L, factor=10, window=50)
    assert ev == [(1, 200, 202, pytest.approx(100.0))]

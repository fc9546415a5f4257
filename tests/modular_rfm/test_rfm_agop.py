"""Kernels, closed-form input gradients and the AGOP: one-hot path vs dense path vs
finite differences of the predictor."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import modular_rfm as mr

KERNELS = [mr.Kernel("gaussian", 2.5, "2L2"), mr.Kernel("gaussian", 1.7, "L"),
           mr.Kernel("laplace", 2.0), mr.Kernel("quadratic")]


def _problem(p: int = 7, op: str = "+", seed: int = 0, frac: float = 0.4):
    rng = np.random.default_rng(seed)
    ds = mr.make_dataset(p, op, frac, seed=seed)
    d = 2 * p
    B = rng.standard_normal((d, d))
    M = B @ B.T / d + 0.2 * np.eye(d)  # a generic symmetric PD metric, not the identity
    alpha = rng.standard_normal((ds.cols_train.shape[0], p))
    return ds, M, alpha


def _predict(kern: mr.Kernel, M, X_train, alpha, x):
    K, _, _ = kern.dense(M, X_train, x[None, :], weights=False)
    return K[:, 0] @ alpha


def test_kernel_formulas_on_one_pair() -> None:
    p = 5
    M = np.diag(np.arange(1.0, 2 * p + 1))
    x = mr.one_hot(np.array([[1, p + 3]]), p)
    z = mr.one_hot(np.array([[2, p + 3]]), p)
    d2 = M[1, 1] + M[2, 2]  # differing coordinates 1 and 2
    cases = {mr.Kernel("gaussian", 2.5, "2L2"): np.exp(-d2 / (2 * 2.5**2)),
             mr.Kernel("gaussian", 2.5, "L"): np.exp(-d2 / 2.5),
             mr.Kernel("laplace", 2.5): np.exp(-np.sqrt(d2) / 2.5),
             mr.Kernel("quadratic"): (M[p + 3, p + 3]) ** 2}
    for kern, expected in cases.items():
        K, _, _ = kern.dense(M, x, z)
        assert K[0, 0] == pytest.approx(expected, rel=1e-12)
        K1, _, _ = kern.onehot(M, np.array([[1, p + 3]]), np.array([[2, p + 3]]))
        assert K1[0, 0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("kern", KERNELS, ids=lambda k: f"{k.name}-{k.bandwidth_scaling}")
def test_onehot_kernel_equals_dense_kernel(kern: mr.Kernel) -> None:
    ds, M, _ = _problem()
    K1, W1, w1 = kern.onehot(M, ds.cols_train, ds.cols_test)
    K2, W2, w2 = kern.dense(M, ds.X_train, ds.X_test)
    np.testing.assert_allclose(K1, K2, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(w1 * W1, w2 * W2, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mr.onehot_gram(M, ds.cols_train, ds.cols_test),
                               ds.X_train @ M @ ds.X_test.T, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("kern", KERNELS, ids=lambda k: f"{k.name}-{k.bandwidth_scaling}")
def test_dense_gradients_match_finite_differences(kern: mr.Kernel) -> None:
    ds, M, alpha = _problem(p=5)
    X = ds.X_train
    K, W, w = kern.onehot(M, ds.cols_train, ds.cols_train, same=True)
    J = mr.input_gradients_dense(M, X, alpha, W, scale=w, radial=kern.radial)
    h = 1e-5
    for j in (0, 3, X.shape[0] - 1):
        fd = np.empty((alpha.shape[1], X.shape[1]))
        for k in range(X.shape[1]):
            e = np.zeros(X.shape[1])
            e[k] = h
            fd[:, k] = (_predict(kern, M, X, alpha, X[j] + e) - _predict(kern, M, X, alpha, X[j] - e)) / (2 * h)
        np.testing.assert_allclose(J[j], fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())


@pytest.mark.parametrize("kern", KERNELS, ids=lambda k: f"{k.name}-{k.bandwidth_scaling}")
@pytest.mark.parametrize("op", ["+", "/"])
def test_onehot_gradients_equal_dense_gradients(kern: mr.Kernel, op: str) -> None:
    ds, M, alpha = _problem(p=7, op=op, seed=2)
    K, W, w = kern.onehot(M, ds.cols_train, ds.cols_train, same=True)
    J1 = mr.input_gradients_onehot(M, ds.cols_train, alpha, W, scale=w, radial=kern.radial)
    J2 = mr.input_gradients_dense(M, ds.X_train, alpha, W, scale=w, radial=kern.radial)
    np.testing.assert_allclose(J1, J2, rtol=1e-10, atol=1e-12 * np.abs(J2).max())


@pytest.mark.parametrize("kern", KERNELS, ids=lambda k: f"{k.name}-{k.bandwidth_scaling}")
@pytest.mark.parametrize("centre", [True, False])
def test_agop_onehot_equals_dense_and_definition(kern: mr.Kernel, centre: bool) -> None:
    ds, M, alpha = _problem(p=7, seed=4)
    K, W, w = kern.onehot(M, ds.cols_train, ds.cols_train, same=True)
    G1 = mr.agop_onehot(M, ds.cols_train, alpha, W, scale=w, radial=kern.radial, centre=centre)
    G2 = mr.agop_dense(M, ds.X_train, alpha, W, scale=w, radial=kern.radial, centre=centre)
    np.testing.assert_allclose(G1, G2, rtol=1e-10, atol=1e-12 * np.abs(G2).max())
    # the definition, written out with explicit loops over points and outputs
    J = mr.input_gradients_dense(M, ds.X_train, alpha, W, scale=w, radial=kern.radial)
    n, c, d = J.shape
    G3 = np.zeros((d, d))
    mean = J.mean(axis=0) if centre else np.zeros((c, d))
    for j in range(n):
        for cc in range(c):
            g = J[j, cc] - mean[cc]
            G3 += np.outer(g, g)
    np.testing.assert_allclose(G1, G3 / n, rtol=1e-10, atol=1e-12 * np.abs(G3).max())


def test_agop_chunking_does_not_change_result() -> None:
    ds, M, alpha = _problem(p=11, seed=5)
    kern = mr.Kernel()
    K, W, w = kern.onehot(M, ds.cols_train, ds.cols_train, same=True)
    G_big = mr.agop_onehot(M, ds.cols_train, alpha, W, scale=w)
    G_small = mr.agop_onehot(M, ds.cols_train, alpha, W, scale=w, chunk_bytes=1)  # one point per chunk
    np.testing.assert_allclose(G_big, G_small, rtol=1e-11, atol=1e-14)


def test_centring_removes_the_mean_gradient() -> None:
    """Centred AGOP = uncentred AGOP − Σ_c ḡ_c ḡ_cᵀ (a PSD correction)."""
    ds, M, alpha = _problem(p=7, seed=6)
    kern = mr.Kernel()
    K, W, w = kern.onehot(M, ds.cols_train, ds.cols_train, same=True)
    Gc = mr.agop_onehot(M, ds.cols_train, alpha, W, scale=w, centre=True)
    Gu = mr.agop_onehot(M, ds.cols_train, alpha, W, scale=w, centre=False)
    J = mr.input_gradients_dense(M, ds.X_train, alpha, W, scale=w)
    gbar = J.mean(axis=0)
    np.testing.assert_allclose(Gu - Gc, gbar.T @ gbar, rtol=1e-9, atol=1e-12 * np.abs(Gu).max())
    assert np.linalg.eigvalsh(Gu - Gc).min() > -1e-10 * np.abs(Gu).max()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), kernel=st.sampled_from(["gaussian", "laplace", "quadratic"]),
       centre=st.booleans(), p=st.sampled_from([3, 5, 7]))
def test_agop_is_symmetric_psd(seed: int, kernel: str, centre: bool, p: int) -> None:
    ds, M, alpha = _problem(p=p, seed=seed, frac=0.6)
    kern = mr.Kernel(kernel)
    K, W, w = kern.onehot(M, ds.cols_train, ds.cols_train, same=True)
    G = mr.agop_onehot(M, ds.cols_train, alpha, W, scale=w, radial=kern.radial, centre=centre)
    assert np.array_equal(G, G.T)
    lam = np.linalg.eigvalsh(G)
    assert lam.min() >= -1e-10 * max(lam.max(), 1e-300)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), s=st.sampled_from([0.25, 0.5, 1.0, 2.0]))
def test_matrix_power_psd(seed: int, s: float) -> None:
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((6, 4))
    A = B @ B.T  # PSD of rank 4
    P = mr.matrix_power_psd(A, s)
    assert np.array_equal(P, P.T)
    if s == 0.5:
        np.testing.assert_allclose(P @ P, A, atol=1e-10 * np.abs(A).max())
    if s == 1.0:
        np.testing.assert_allclose(P, A, atol=1e-10 * np.abs(A).max())
    Q = mr.matrix_power_psd(mr.matrix_power_psd(A, s), 1.0 / s)
    np.testing.assert_allclose(Q, A, atol=1e-7 * np.abs(A).max())


def test_shape_and_value_errors() -> None:
    ds, M, alpha = _problem(p=5)
    kern = mr.Kernel()
    K, W, w = kern.onehot(M, ds.cols_train, ds.cols_train, same=True)
    with pytest.raises(ValueError, match="alpha"):
        mr.agop_onehot(M, ds.cols_train, alpha[:-1], W)
    with pytest.raises(ValueError, match="M"):
        mr.agop_onehot(M[:-1], ds.cols_train, alpha, W)
    with pytest.raises(ValueError, match="finite"):
        mr.matrix_power_psd(np.full((2, 2), np.nan), 0.5)
    with pytest.raises(ValueError, match="kernel"):
        mr.Kernel("cosine")
    with pytest.raises(ValueError, match="bandwidth"):
        mr.Kernel("gaussian", 0.0)
    with pytest.raises(ValueError, match="bandwidth_scaling"):
        mr.Kernel("gaussian", 2.5, "L2")

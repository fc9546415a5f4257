"""Optional network comparison: closed-form network AGOP vs autograd, Pearson, contract."""
from __future__ import annotations

import numpy as np
import pytest

import modular_rfm as mr


def test_network_agop_matches_autograd() -> None:
    import torch
    rng = np.random.default_rng(0)
    p, h = 5, 7
    W1, W2 = rng.standard_normal((h, 2 * p)), rng.standard_normal((p, h))
    X = mr.make_dataset(p, "+", 0.5, seed=0).X_train
    w1, w2 = torch.tensor(W1), torch.tensor(W2)
    J = torch.autograd.functional.jacobian(lambda x: ((x @ w1.T) ** 2) @ w2.T, torch.tensor(X))
    # J[n, c, m, d]: derivative of output (n, c) w.r.t. input (m, d); keep m = n
    J = torch.stack([J[i, :, i, :] for i in range(X.shape[0])]).numpy()
    for centre in (False, True):
        np.testing.assert_allclose(mr.network_agop(W1, W2, X, centre=centre),
                                   mr.agop_from_gradients(J, centre=centre), rtol=1e-10, atol=1e-10)


def test_pearson() -> None:
    a = np.arange(10.0)
    assert mr.pearson(a, 3 * a + 1) == pytest.approx(1.0)
    assert mr.pearson(a, -a) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="constant"):
        mr.pearson(a, np.ones(10))


def test_train_quadratic_network_contract_and_determinism() -> None:
    kw = dict(width=32, epochs=4, eval_every=2, seed=1, progress=False)
    a = mr.train_quadratic_network(7, "+", 0.5, **kw)
    b = mr.train_quadratic_network(7, "+", 0.5, **kw)
    assert list(a.curves["t"]) == [2.0, 4.0]
    for col in ("run", "t", "train_error", "test_error", "nfm_agop_corr", "d_eff"):
        assert col in a.curves
    np.testing.assert_array_equal(a.features["W1"], b.features["W1"])
    assert a.features["NFM"].shape == (14, 14)
    assert -1.0 <= a.summary["final_nfm_agop_corr"].iloc[0] <= 1.0
    assert a.config["split_seed"] == mr.split_seeds(1, 1)[0]
    with pytest.raises(ValueError, match="width"):
        mr.train_quadratic_network(7, "+", width=0)

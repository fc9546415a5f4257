r"""Plain full-batch GD iterated step by step (Eq. 3), and the sample metrics shared by all dynamics.

:math:`D_{t+1} = D_t - \tfrac{\eta}{d_{out}}\left(2\Sigma_{tr} D_t + \gamma (D_t + T)\right)`, one matrix
product per step; the exact losses (Eqs. 1-2) are recorded at every step, so the first step with
:math:`L \le L^*` is exact. This is the reference the closed forms of
:mod:`~linear_grokking.estimator.spectral` are tested against (small sizes only).

Examples
--------
>>> import numpy as np
>>> from linear_grokking.estimator.backend import get_backend
>>> from linear_grokking.estimator.draws import draw_runs
>>> dr = draw_runs(0, range(1), d_in=3, n_train=6, d_out=1, n_test=5, alpha=1.0)
>>> out = loop_gd(get_backend(None), dr, np.array([0.0, 10.0]), eta=0.1, gamma=0.0, eps=1e-3, target=1e-4)
>>> bool(out["gen_loss"][0, 1] < out["gen_loss"][0, 0])
True
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .backend import Backend
from .crossing import first_index_crossing

__all__ = ["loop_gd", "sample_metrics"]


def sample_metrics(bk: Backend, Z: Any, Z_test: Any, D: Any, eps: float) -> dict[str, np.ndarray]:
    """Per-run sampled quantities for training inputs ``Z`` ``(r, N, d)`` and test inputs ``Z_test``.

    A sample's error is :math:`\\|D^T z\\|^2 / d_{out}`; returns ``train_acc`` (fraction of training
    errors < eps), ``test_loss`` (mean test error) and ``test_acc``.
    """
    d_out = D.shape[-1]
    e_tr = bk.to_numpy(((Z @ D) ** 2).sum(-1)) / d_out
    e_te = bk.to_numpy(((Z_test @ D) ** 2).sum(-1)) / d_out
    return {"train_acc": (e_tr < eps).mean(1), "test_loss": e_te.mean(1), "test_acc": (e_te < eps).mean(1)}


def loop_gd(bk: Backend, dr: dict[str, np.ndarray], grid: np.ndarray, *, eta: float, gamma: float, eps: float,
            target: float) -> dict[str, np.ndarray]:
    """Iterate Eq. 3 up to ``grid[-1]`` steps; losses at the (whole-step) ``grid``, exact first crossings."""
    X, Xte = bk.asarray(dr["X"]), bk.asarray(dr["X_test"])
    T = bk.asarray(dr["T"])
    D = bk.asarray(dr["S0"]) - T
    d_out = D.shape[-1]
    sigma = bk.swap(X) @ X / X.shape[1]
    steps = int(grid[-1])
    L_tr, L_gen = np.empty((X.shape[0], steps + 1)), np.empty((X.shape[0], steps + 1))
    record = {int(t): i for i, t in enumerate(grid)}
    samp: list[dict[str, np.ndarray]] = [{}] * len(grid)
    for s in range(steps + 1):
        G = sigma @ D
        L_tr[:, s] = bk.to_numpy((D * G).sum((-1, -2))) / d_out
        L_gen[:, s] = bk.to_numpy((D * D).sum((-1, -2))) / d_out
        if s in record:
            samp[record[s]] = sample_metrics(bk, X, Xte, D, eps)
        D = D - (eta / d_out) * (2.0 * G + gamma * (D + T))
    idx = grid.astype(int)
    out = {"train_loss": L_tr[:, idx], "gen_loss": L_gen[:, idx],
           **{k: np.stack([q[k] for q in samp], 1) for k in samp[0]}}
    out["t_star_tr"], out["t_star_gen"] = first_index_crossing(L_tr, target), first_index_crossing(L_gen, target)
    return out

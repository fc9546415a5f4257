"""The kernel machine with a fixed feature matrix ``M`` (Mallinar et al. 2024, sec. 2, step 1).

``α = (K_M(X, X) + λ I)^{−1} Y`` with ridge ``λ`` (default 0, "ridgeless") and
``f(x) = K_M(X, x)ᵀ α``.  The linear system is solved by a Cholesky
factorisation (the kernels are positive definite on distinct inputs) with an LU
fallback; a system that cannot be solved or whose relative residual exceeds
``1e-6`` is reported as *diverged* rather than returned.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from numpy.typing import NDArray

from ._data import ModularDataset
from ._kernels import Kernel
from ._measures import accuracy, correct_class_loss, mse

__all__ = ["KernelFit", "solve_kernel_system", "fit_kernel_machine", "evaluate_features", "predict_onehot",
           "RESIDUAL_TOL"]

Array = NDArray[np.float64]

#: Largest relative residual ``‖(K + λI)α − Y‖ / ‖Y‖`` accepted from the solver.
RESIDUAL_TOL: float = 1e-6


def solve_kernel_system(K: Array, Y: Array, ridge: float = 0.0) -> tuple[Array | None, str]:
    """Solve ``(K + λI) α = Y`` (Cholesky, LU fallback).  Returns ``(alpha, "")`` or
    ``(None, reason)`` when the system is singular or the solution inaccurate."""
    A = K + ridge * np.eye(K.shape[0]) if ridge > 0.0 else K
    alpha: Array | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sla.LinAlgWarning)
        try:
            alpha = sla.cho_solve(sla.cho_factor(A, check_finite=False), Y, check_finite=False)
        except (np.linalg.LinAlgError, ValueError):
            alpha = None
        if alpha is None or not np.all(np.isfinite(alpha)):
            try:
                alpha = sla.lu_solve(sla.lu_factor(A, check_finite=False), Y, check_finite=False)
            except (np.linalg.LinAlgError, ValueError):
                alpha = None
    if alpha is None or not np.all(np.isfinite(alpha)):
        return None, "singular kernel system"
    res = float(np.linalg.norm(A @ alpha - Y) / max(float(np.linalg.norm(Y)), 1e-300))
    if not res <= RESIDUAL_TOL:
        return None, f"kernel system residual {res:.2e} > {RESIDUAL_TOL:.0e}"
    return alpha, ""


def predict_onehot(M: Array, kernel: Kernel, cols_train: NDArray[np.int64], alpha: Array,
                   cols: NDArray[np.int64], *, block_elems: int = 2**21) -> Array:
    """``f(x) = K_M(X, x)ᵀ α`` for one-hot inputs, in row blocks of at most
    ``block_elems`` kernel entries (the full test kernel is never held)."""
    step = max(1, block_elems // max(cols_train.shape[0], 1))
    out = np.empty((cols.shape[0], alpha.shape[1]))
    for i in range(0, cols.shape[0], step):
        Kb, _, _ = kernel.onehot(M, cols[i:i + step], cols_train, weights=False)
        out[i:i + step] = Kb @ alpha
    return out


@dataclass(frozen=True)
class KernelFit:
    """A fitted kernel machine and its measures on one split."""

    alpha: Array | None
    diverged: bool
    reason: str
    train_accuracy: float
    test_accuracy: float
    train_loss: float
    test_loss: float
    test_correct_loss: float
    K_train: Array | None = None
    W_train: Array | None = None
    w_scale: float = 1.0


def fit_kernel_machine(
    ds: ModularDataset, M: Array, kernel: Kernel, *, ridge: float = 0.0, keep_weights: bool = True,
) -> KernelFit:
    """Fit on ``ds``'s training split with feature matrix ``M`` and measure train/test.

    With ``keep_weights`` the training kernel and gradient weights are returned
    for the AGOP step.
    """
    cols_tr, cols_te = ds.cols_train, ds.cols_test
    K, W, w = kernel.onehot(M, cols_tr, cols_tr, same=True, weights=keep_weights)
    Y = ds.Y_train
    alpha, reason = solve_kernel_system(K, Y, ridge)
    nan = float("nan")
    if alpha is None:
        return KernelFit(None, True, reason, nan, nan, nan, nan, nan)
    F_tr = K @ alpha
    F_te = predict_onehot(M, kernel, cols_tr, alpha, cols_te)
    return KernelFit(
        alpha=alpha, diverged=False, reason="",
        train_accuracy=accuracy(F_tr, ds.y_train), test_accuracy=accuracy(F_te, ds.y_test),
        train_loss=mse(F_tr, Y), test_loss=mse(F_te, ds.Y_test),
        test_correct_loss=correct_class_loss(F_te, ds.y_test),
        K_train=K if keep_weights else None, W_train=W, w_scale=w,
    )


def evaluate_features(ds: ModularDataset, M: Array, kernel: Kernel, *, ridge: float = 0.0) -> KernelFit:
    """A plain kernel machine with the *fixed* features ``M`` (no RFM iteration)."""
    return fit_kernel_machine(ds, M, kernel, ridge=ridge, keep_weights=False)

"""One RFM iteration in torch (float64), for large ``p`` on a GPU.

The same computation as the numpy path (:mod:`modular_rfm._machine`,
:func:`modular_rfm.agop_onehot`; Mallinar et al. 2024, sec. 2, RFM steps 1–5) with every
array on ``device``: the one-hot Gram matrix by gathers, the ridgeless fit by a
Cholesky solve (LU fallback, the same residual check), the test predictions in row
blocks, the input gradients by the group-by over the two non-zero coordinates of each
input, the centred AGOP ``M R M`` and ``M ← AGOP^s`` by ``torch.linalg.eigh``.  Only
the ``2p × 2p`` feature matrix and a handful of scalars cross between host and device
per iteration.  torch is imported lazily (inside the functions).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._data import ModularDataset
from ._kernels import Kernel
from ._machine import RESIDUAL_TOL

__all__ = ["TorchRFMStep"]

Array = NDArray[np.float64]


class TorchRFMStep:
    """Holds one data set on ``device`` and performs RFM iterations on it.

    Parameters
    ----------
    ds: the data set.
    kernel: the kernel (Gaussian, Laplace or quadratic).
    ridge, centre, power: as in :func:`modular_rfm.rfm_trace`.
    device: a torch device string (``"cpu"``, ``"cuda"``, ``"cuda:1"``).
    chunk_bytes: memory for one chunk of gradient vectors.
    """

    def __init__(self, ds: ModularDataset, kernel: Kernel, *, ridge: float, centre: bool, power: float,
                 device: str, chunk_bytes: int) -> None:
        import torch

        self.torch = torch
        self.dev = torch.device(device)
        self.kernel, self.ridge, self.centre, self.power = kernel, ridge, centre, power
        # on an accelerator small chunks mean many tiny kernel launches: use at least 1 GiB
        self.chunk_bytes = chunk_bytes if self.dev.type == "cpu" else max(chunk_bytes, 2**30)
        self.p = ds.p
        self.d = 2 * ds.p
        t = lambda a: torch.as_tensor(np.ascontiguousarray(a), device=self.dev)  # noqa: E731
        self.ct, self.ce = t(ds.cols_train), t(ds.cols_test)
        self.ytr, self.yte = t(ds.y_train), t(ds.y_test)
        self.Ytr = t(ds.Y_train).to(torch.float64)
        self.Yte = t(ds.Y_test).to(torch.float64)
        flat = ds.cols_train.ravel()
        order = np.argsort(flat, kind="stable")
        bounds = np.searchsorted(flat[order], np.arange(self.d + 1))
        rows = order // 2
        self.groups = [t(rows[bounds[k]:bounds[k + 1]]) for k in range(self.d)]

    # ------------------------------------------------------------------ kernel
    def _gram(self, M: Any, c1: Any, c2: Any) -> Any:
        rows = M[c1[:, 0]] + M[c1[:, 1]]
        G = rows[:, c2[:, 0]]
        G += rows[:, c2[:, 1]]
        return G

    @staticmethod
    def _quad(M: Any, c: Any) -> Any:
        a, b = c[:, 0], c[:, 1]
        return M[a, a] + M[b, b] + M[a, b] + M[b, a]

    def _kernel(self, M: Any, c1: Any, c2: Any, same: bool, weights: bool) -> tuple[Any, Any, float]:
        """``(K, W, w)`` as :meth:`modular_rfm.Kernel.from_gram`."""
        torch, kern = self.torch, self.kernel
        G = self._gram(M, c1, c2)
        if kern.name == "quadratic":
            return G * G, (G if weights else None), 2.0
        q1 = self._quad(M, c1)
        q2 = q1 if same else self._quad(M, c2)
        D2 = G.mul_(-2.0).add_(q1[:, None]).add_(q2[None, :]).clamp_(min=0.0)
        if same:
            D2.fill_diagonal_(0.0)
        if kern.name == "gaussian":
            K = D2.mul_(-1.0 / kern.beta).exp_()
            return K, (K if weights else None), 2.0 / kern.beta
        D = D2.sqrt_()
        K = torch.exp(D * (-1.0 / kern.bandwidth))
        if not weights:
            return K, None, 1.0
        W = torch.where(D > 0.0, K / torch.where(D > 0.0, D, torch.ones_like(D)), torch.zeros_like(D))
        return K, W, 1.0 / kern.bandwidth

    def _solve(self, K: Any) -> tuple[Any, str]:
        torch = self.torch
        A = K + self.ridge * torch.eye(K.shape[0], dtype=K.dtype, device=self.dev) if self.ridge > 0 else K
        L, info = torch.linalg.cholesky_ex(A)
        alpha = torch.cholesky_solve(self.Ytr, L) if int(info) == 0 else None
        if alpha is None or not bool(torch.isfinite(alpha).all()):
            try:
                alpha = torch.linalg.solve(A, self.Ytr)
            except RuntimeError:
                alpha = None
        if alpha is None or not bool(torch.isfinite(alpha).all()):
            return None, "singular kernel system"
        res = float(torch.linalg.norm(A @ alpha - self.Ytr) / max(float(torch.linalg.norm(self.Ytr)), 1e-300))
        if not res <= RESIDUAL_TOL:
            return None, f"kernel system residual {res:.2e} > {RESIDUAL_TOL:.0e}"
        return alpha, ""

    def _measures(self, F: Any, y: Any, Y: Any) -> tuple[float, float, float]:
        torch = self.torch
        acc = float((torch.argmax(F, dim=1) == y).to(torch.float64).mean())
        loss = float(((F - Y) ** 2).mean())
        corr = float(((F[torch.arange(F.shape[0], device=self.dev), y] - 1.0) ** 2).mean())
        return acc, loss, corr

    # ------------------------------------------------------------------ AGOP
    def _agop(self, M: Any, alpha: Any, W: Any, w: float) -> Any:
        torch = self.torch
        n, d = self.ct.shape[0], self.d
        a = alpha * w
        c = a.shape[1]
        step = max(1, min(n, int(self.chunk_bytes) // (d * c * 8)))
        R = torch.zeros((d, d), dtype=torch.float64, device=self.dev)
        usum = torch.zeros((d, c), dtype=torch.float64, device=self.dev)
        for j0 in range(0, n, step):
            j1 = min(n, j0 + step)
            U = torch.zeros((d, j1 - j0, c), dtype=torch.float64, device=self.dev)
            for k, g in enumerate(self.groups):
                if g.numel():
                    U[k] = W[g, j0:j1].T @ a[g]
            if self.kernel.radial:
                s = W[:, j0:j1].T @ a
                jj = torch.arange(j1 - j0, device=self.dev)
                U[self.ct[j0:j1, 0], jj, :] -= s
                U[self.ct[j0:j1, 1], jj, :] -= s
            Uf = U.reshape(d, -1)
            R += Uf @ Uf.T
            usum += U.sum(dim=1)
            del U, Uf
        R /= n
        if self.centre:
            ubar = usum / n
            R -= ubar @ ubar.T
        G = M @ R @ M
        return 0.5 * (G + G.T)

    def _power(self, G: Any) -> Any:
        torch = self.torch
        lam, V = torch.linalg.eigh(0.5 * (G + G.T))
        P = (V * lam.clamp(min=0.0) ** self.power) @ V.T
        return 0.5 * (P + P.T)

    # ------------------------------------------------------------------ one step
    def step(self, M_host: Array, need_agop: bool) -> tuple[dict[str, float] | None, Array | None, str]:
        """Fit with ``M_host`` and measure; with ``need_agop`` also return ``AGOP^s``.

        Returns ``(measures, M_next, reason)``; ``measures`` is ``None`` when the fit
        diverged and ``M_next`` is ``None`` when not requested or when the AGOP is not
        finite or zero (``reason`` says which).
        """
        torch = self.torch
        M = torch.as_tensor(np.ascontiguousarray(M_host, dtype=np.float64), device=self.dev)
        K, W, w = self._kernel(M, self.ct, self.ct, same=True, weights=need_agop)
        alpha, reason = self._solve(K)
        if alpha is None:
            return None, None, reason
        F_tr = K @ alpha
        n_tr = self.ct.shape[0]
        blk = max(1, (2**21 if self.dev.type == "cpu" else 2**27) // max(n_tr, 1))
        F_te = torch.empty((self.ce.shape[0], alpha.shape[1]), dtype=torch.float64, device=self.dev)
        for i in range(0, self.ce.shape[0], blk):
            Kb, _, _ = self._kernel(M, self.ce[i:i + blk], self.ct, same=False, weights=False)
            F_te[i:i + blk] = Kb @ alpha
        tr_acc, tr_loss, _ = self._measures(F_tr, self.ytr, self.Ytr)
        te_acc, te_loss, te_corr = self._measures(F_te, self.yte, self.Yte)
        meas = {"train_accuracy": tr_acc, "test_accuracy": te_acc, "train_loss": tr_loss,
                "test_loss": te_loss, "test_correct_loss": te_corr}
        if not need_agop:
            return meas, None, ""
        G = self._agop(M, alpha, W, w)
        if not bool(torch.isfinite(G).all()) or not float(torch.trace(G)) > 0.0:
            return meas, None, "AGOP not finite or zero"
        return meas, self._power(G).cpu().numpy(), ""

"""Optional neural-network comparison (Mallinar et al. 2024, sec. 4).

One hidden layer ``f(x) = W₂ φ(W₁ x)``, ``φ(z) = z²``, no biases, trained with AdamW
(width 1024, batch 32, learning rate 1e-3, weight decay 1.0, MSE loss) on the same
one-hot data.  The neural feature matrix ``W₁ᵀW₁`` is compared with ``√AGOP`` of the
network, ``AGOP = (1/n) Σ_j Σ_c ∇f_c(x_j)∇f_c(x_j)ᵀ`` with
``∇f_c(x) = 2 W₁ᵀ diag(W₁x) W₂[c]``, by the Pearson correlation of their entries
(the paper reports ≈ 0.93–0.96).

torch is imported lazily, inside the functions; every random draw comes from a
``torch.Generator`` seeded from ``seed``; ``device`` selects CPU or CUDA.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ._agop import matrix_power_psd
from ._data import normalise_op, make_dataset
from ._measures import circulant_deviation, effective_dimension
from ._rfm import split_seeds
from ._validation import check_bool, check_int, check_prime, check_real

__all__ = ["NNResult", "train_quadratic_network", "network_agop", "pearson"]

Array = NDArray[np.float64]


def pearson(A: Array, B: Array) -> float:
    """Pearson correlation of the entries of two equally shaped arrays."""
    a = np.asarray(A, dtype=float).ravel()
    b = np.asarray(B, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"A and B must have the same size, got {a.size} and {b.size}")
    a = a - a.mean()
    b = b - b.mean()
    den = float(np.sqrt(np.sum(a * a) * np.sum(b * b)))
    if not den > 0.0:
        raise ValueError("A and B must not be constant")
    return float(np.sum(a * b) / den)


def network_agop(W1: Array, W2: Array, X: Array, *, centre: bool = False) -> Array:
    """AGOP of ``f(x) = W₂ (W₁x)²`` at the rows of ``X`` (closed form, float64).

    ``∇f_c(x) = 2 W₁ᵀ diag(h) W₂[c]`` with ``h = W₁x``, hence
    ``AGOP = 4 W₁ᵀ [(W₂ᵀW₂) ∘ S] W₁`` with ``S = (1/n) Σ_j h_j h_jᵀ`` — or the
    covariance of ``h`` when the gradients are centred over the points (``centre``).
    No ``(n, c, d)`` Jacobian is formed.
    """
    W1 = np.asarray(W1, dtype=float)
    W2 = np.asarray(W2, dtype=float)
    X = np.asarray(X, dtype=float)
    H = X @ W1.T                                        # (n, h)
    S = H.T @ H / X.shape[0]
    if centre:
        hbar = H.mean(axis=0)
        S -= np.outer(hbar, hbar)
    G = 4.0 * W1.T @ ((W2.T @ W2) * S) @ W1
    return 0.5 * (G + G.T)


@dataclass
class NNResult:
    """Output contract of the network run (one run).

    ``curves``: ``run, t`` (epoch), ``train_error, test_error, train_loss, test_loss,
    nfm_agop_corr, circ_dev_circulant, circ_dev_hankel`` (of ``W₁ᵀW₁``; for this network
    the *Hankel* direction vanishes for ``+``, unlike RFM), ``d_eff, wall_time``; ``features``: ``"W1"``, ``"W2"``,
    ``"NFM"`` (``W₁ᵀW₁``), ``"sqrt_AGOP"``.
    """

    config: dict[str, Any]
    curves: pd.DataFrame
    summary: pd.DataFrame
    features: dict[str, np.ndarray]


def train_quadratic_network(
    p: int = 61, op: str = "+", train_frac: float = 0.5, *, width: int = 1024, batch_size: int = 32,
    lr: float = 1e-3, weight_decay: float = 1.0, epochs: int = 100, eval_every: int = 5,
    init_scale: float = 1.0, seed: int = 0, device: str = "cpu", progress: bool = True,
) -> NNResult:
    """Train the one-hidden-layer quadratic network with AdamW and MSE loss; every
    ``eval_every`` epochs record errors, losses and the correlation of ``W₁ᵀW₁`` with
    ``√AGOP`` (AGOP over the training points, uncentred).

    Weights are initialised ``N(0, init_scale² / fan_in)``.  The split uses
    ``split_seeds(seed, 1)[0]`` like :func:`modular_rfm.run_rfm`, so the network and the
    RFM run with the same ``seed`` see the same training pairs.
    """
    import torch
    from tqdm.auto import tqdm

    p = check_prime("p", p)
    op = normalise_op(op)
    train_frac = check_real("train_frac", train_frac, 0.0, 1.0, lo_open=True, hi_open=True)
    width = check_int("width", width, lo=1)
    batch_size = check_int("batch_size", batch_size, lo=1)
    lr = check_real("lr", lr, 0.0, None, lo_open=True)
    weight_decay = check_real("weight_decay", weight_decay, 0.0)
    epochs = check_int("epochs", epochs, lo=1)
    eval_every = check_int("eval_every", eval_every, lo=1)
    init_scale = check_real("init_scale", init_scale, 0.0, None, lo_open=True)
    seed = check_int("seed", seed, lo=0)
    progress = check_bool("progress", progress)
    split = split_seeds(seed, 1)[0]
    ds = make_dataset(p, op, train_frac, split)
    dev = torch.device(device)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    dtype = torch.float32
    Xtr = torch.tensor(ds.X_train, dtype=dtype, device=dev)
    Ytr = torch.tensor(ds.Y_train, dtype=dtype, device=dev)
    Xte = torch.tensor(ds.X_test, dtype=dtype, device=dev)
    Yte = torch.tensor(ds.Y_test, dtype=dtype, device=dev)
    d = 2 * p
    W1 = (torch.randn(width, d, generator=gen) * init_scale / np.sqrt(d)).to(dev).requires_grad_()
    W2 = (torch.randn(p, width, generator=gen) * init_scale / np.sqrt(width)).to(dev).requires_grad_()
    opt = torch.optim.AdamW([W1, W2], lr=lr, weight_decay=weight_decay)

    def f(x: Any) -> Any:
        return ((x @ W1.T) ** 2) @ W2.T

    rows: list[dict[str, float]] = []
    n = Xtr.shape[0]
    d_model = None
    t0 = time.perf_counter()
    for epoch in tqdm(range(1, epochs + 1), desc=f"NN {op} p={p}", disable=not progress, leave=False):
        perm = torch.randperm(n, generator=gen).to(dev)
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            loss = torch.mean((f(Xtr[idx]) - Ytr[idx]) ** 2)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if epoch % eval_every == 0 or epoch == epochs:
            with torch.no_grad():
                Ftr, Fte = f(Xtr), f(Xte)
                w1 = W1.detach().cpu().double().numpy()
                w2 = W2.detach().cpu().double().numpy()
            nfm = w1.T @ w1
            sq = matrix_power_psd(network_agop(w1, w2, ds.X_train), 0.5)
            d_model = (w1, w2, nfm, sq)
            rows.append({
                "t": float(epoch),
                "train_error": float((Ftr.argmax(1).cpu().numpy() != ds.y_train).mean()),
                "test_error": float((Fte.argmax(1).cpu().numpy() != ds.y_test).mean()),
                "train_loss": float(torch.mean((Ftr - Ytr) ** 2)),
                "test_loss": float(torch.mean((Fte - Yte) ** 2)),
                "nfm_agop_corr": pearson(nfm, sq),
                "circ_dev_circulant": circulant_deviation(nfm, p, direction="circulant", reorder=op in ("*", "/")),
                "circ_dev_hankel": circulant_deviation(nfm, p, direction="hankel", reorder=op in ("*", "/")),
                "d_eff": effective_dimension(nfm),
                "wall_time": time.perf_counter() - t0,
            })
    curves = pd.DataFrame.from_records(rows)
    curves.insert(0, "run", 0)
    diverged = not bool(np.all(np.isfinite(curves[["train_loss", "test_loss"]].to_numpy())))
    t = curves["t"].to_numpy()
    tr0 = np.flatnonzero(curves["train_error"].to_numpy() == 0)
    te0 = np.flatnonzero(curves["test_error"].to_numpy() == 0)
    t_train = float(t[tr0[0]]) if tr0.size else float("nan")
    t_eps = float(t[te0[0]]) if te0.size else float("nan")
    summary = pd.DataFrame([{
        "run": 0, "t_train": t_train, "t_eps": t_eps, "t_G": t_eps - t_train,
        "groks": bool(np.isfinite(t_eps) and np.isfinite(t_train) and t_eps > t_train),
        "diverged": diverged,
        "final_nfm_agop_corr": float(curves["nfm_agop_corr"].iloc[-1]),
    }])
    assert d_model is not None
    config = {
        "generator": "modular_rfm.train_quadratic_network", "p": p, "op": op, "train_frac": train_frac,
        "width": width, "batch_size": batch_size, "lr": lr, "weight_decay": weight_decay, "epochs": epochs,
        "eval_every": eval_every, "init_scale": init_scale, "seed": seed, "split_seed": split,
        "device": str(dev), "dtype": "float32 (training), float64 (AGOP)", "loss": "MSE",
        "optimizer": "AdamW", "activation": "square", "time_unit": "epoch",
    }
    w1, w2, nfm, sq = d_model
    return NNResult(config=config, curves=curves, summary=summary,
                    features={"W1": w1, "W2": w2, "NFM": nfm, "sqrt_AGOP": sq})

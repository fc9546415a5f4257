"""Logistic regression with a bias on the constant-label data model, many training sets at once.

The loss is ``L = (1/N) sum_i log(1 + exp(-y_i (S.x_i + b)))`` (sec. 3 of Beck, Levi &
Bar-Sinai 2025: all labels ``y_i = +1``; App. I's label fraction ``r < 1`` passes ``y`` with some
``-1``, see :func:`.geometry.sample_labels`). Two optimisers:

* ``"gd"``: gradient flow ``dS/dt = -dL/dS, db/dt = -dL/db`` integrated by explicit Euler on an
  adaptive, log-growing clock: ``dt = min(growth * t + dt0, c / H, next record time - t)`` with
  ``H >= lambda_max`` of the Hessian (a Frobenius bound on ``(1/N) sum p_i(1-p_i) z_i z_i^T``,
  ``z = (x, 1)``) and ``c = 0.5``: stable, and diverging times (1e10 and beyond) are
  reachable in a few thousand steps. This is plain GD with a step that grows with t
  (GD at constant ``lr`` is gradient flow with ``dt = lr``; the clock only changes how fast
  it is integrated).
* ``"adam"``: Adam at constant learning rate ``lr`` (the paper's Fig. 5 contrast); its time
  is ``t = step * lr``.

Test quantities are exact expectations over the data law, no test set: with
``m = b + shift * S_1`` and ``s = sigma |S|``, ``A_test = Phi(m / s)`` and the test loss is
``E softplus(-(m + s xi))``, ``xi ~ N(0, 1)`` (Gauss-Hermite, 48 nodes).

Examples
--------
>>> from linear_grokking.separability.dynamics import train_logistic
>>> out = train_logistic(np.array([[[1.0], [-1.0], [0.5]]]), t_max=1e6, n_points=8, seed=0)
>>> bool(out["test_acc"][0, -1] > 0.99)
True
"""
from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

__all__ = ["train_logistic", "memory_bytes"]

# |grad L| below which a run with a -1 label sits at its finite minimiser (strictly non-separable
# labelled set): its clock jumps to the next record instead of crawling at dt ~ 1/H (explicit Euler
# cannot take larger steps there). Constant-label runs never jump (their b grows without bound).
_STATIONARY = 1e-12

_QUANTITIES = ("t", "train_acc", "train_loss", "test_acc", "test_loss", "norm_S", "b")


def memory_bytes(n_runs: int, N: int, d: int, n_points: int = 64) -> float:
    """Estimated peak memory (bytes) of :func:`train_logistic` on ``n_runs`` sets of N points in d dims."""
    return 8.0 * (n_runs * (4 * N * d + 3 * d * d + 6 * N + 4 * d) + len(_QUANTITIES) * n_runs * n_points)


@functools.lru_cache(maxsize=1)
def _hermite_nodes() -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.hermite_e.hermegauss(48)


def _test_metrics(torch: Any, S: Any, b: Any, sigma: float, shift: float) -> tuple[Any, Any]:
    m = b + shift * S[:, 0]
    s = sigma * S.norm(dim=1)
    acc = 0.5 * (1 + torch.erf(m / (s * math.sqrt(2.0) + 1e-300)))
    nodes, weights = _hermite_nodes()
    xi = torch.as_tensor(nodes, dtype=S.dtype, device=S.device)
    w = torch.as_tensor(weights / math.sqrt(2 * math.pi), dtype=S.dtype, device=S.device)
    loss = (torch.nn.functional.softplus(-(m[:, None] + s[:, None] * xi[None, :])) * w).sum(1)
    return acc, loss


def _grads(torch: Any, X: Any, S: Any, b: Any, Y: Any) -> tuple[Any, ...]:
    """``(y f, p, dL/dS, dL/db)`` with ``p = sigmoid(-y f)``; ``Y`` (R, N) the labels."""
    f = Y * (torch.bmm(X, S[:, :, None])[:, :, 0] + b[:, None])
    p = torch.sigmoid(-f)
    py = p * Y
    gS = -torch.bmm(py[:, None, :], X)[:, 0, :] / X.shape[1]
    gb = -py.mean(1)
    return f, p, gS, gb


def _hessian_bound(torch: Any, X: Any, p: Any) -> Any:
    w = p * (1 - p) / X.shape[1]
    A = torch.bmm((X * w[:, :, None]).transpose(1, 2), X)
    c = torch.bmm(w[:, None, :], X)[:, 0, :]
    frob2 = (A ** 2).sum((1, 2)) + 2 * (c ** 2).sum(1) + w.sum(1) ** 2
    return frob2.sqrt()


def _record(rec: dict[str, Any], mask: Any, idx: Any, vals: dict[str, Any]) -> None:
    rows = mask.nonzero().flatten()
    if rows.numel() == 0:
        return
    cols = idx[rows]
    for k, v in vals.items():
        rec[k][rows, cols] = v[rows]


def train_logistic(X: np.ndarray, *, optimizer: str = "gd", sigma: float = 1.0, shift: float = 0.0,
                   t_max: float = 1e8, t_min: float = 1e-2, n_points: int = 64, lr: float = 0.01,
                   growth: float = 0.05, init_scale: float = 1e-3, max_steps: int = 200_000,
                   y: np.ndarray | None = None, seed: int, device: str = "cpu") -> dict[str, np.ndarray]:
    """Train every set of ``X`` (shape ``(R, N, d)``) from ``S_0 ~ N(0, init_scale^2/d)``, ``b_0 = 0``.

    ``y`` (R, N) in ``{+1, -1}``: the training labels (None: all ``+1``, the constant label);
    train accuracy and loss use them, the test quantities stay those of the clean law (label ``+1``).

    Returns arrays ``(R, n_points + 1)`` for each of ``t, train_acc, train_loss, test_acc,
    test_loss, norm_S, b`` (record 0 is t = 0; the rest log-spaced on ``[t_min, t_max]``),
    ``reached`` (R,) bool (the clock got to ``t_max`` within ``max_steps``), ``S_final`` (R, d).
    """
    import torch

    if optimizer not in ("gd", "adam"):
        raise ValueError(f"optimizer must be 'gd' or 'adam', got {optimizer!r}")
    if not (0 < t_min < t_max) or n_points < 2:
        raise ValueError(f"need 0 < t_min < t_max and n_points >= 2, got {t_min}, {t_max}, {n_points}")
    dev = torch.device(device)
    Xt = torch.as_tensor(np.asarray(X, dtype=float), device=dev)
    R, N, d = Xt.shape
    Yt = torch.ones(R, N, dtype=torch.float64, device=dev) if y is None else \
        torch.as_tensor(np.asarray(y, dtype=float), device=dev)
    if tuple(Yt.shape) != (R, N):
        raise ValueError(f"train_logistic: y must have shape (R, N) = {(R, N)}, got {tuple(Yt.shape)}")
    g = torch.Generator(device="cpu").manual_seed(int(np.random.SeedSequence(seed).generate_state(1)[0]))
    S = (init_scale / math.sqrt(d) * torch.randn(R, d, generator=g, dtype=torch.float64)).to(dev)
    b = torch.zeros(R, dtype=torch.float64, device=dev)
    T = torch.as_tensor(np.concatenate([[0.0], np.logspace(math.log10(t_min), math.log10(t_max), n_points)]),
                        dtype=torch.float64, device=dev)
    rec = {k: torch.full((R, n_points + 1), float("nan"), dtype=torch.float64, device=dev) for k in _QUANTITIES}
    step_fn = _run_gd if optimizer == "gd" else _run_adam
    reached = step_fn(torch, Xt, Yt, S, b, T, rec, sigma=sigma, shift=shift, lr=lr, growth=growth,
                      max_steps=max_steps)
    out = {k: v.cpu().numpy() for k, v in rec.items()}
    out["reached"] = reached.cpu().numpy()
    out["S_final"] = S.cpu().numpy()
    return out


def _snapshot(torch: Any, X: Any, S: Any, b: Any, t: Any, f: Any, sigma: float, shift: float) -> dict[str, Any]:
    acc, loss = _test_metrics(torch, S, b, sigma, shift)
    return {"t": t, "train_acc": (f > 0).double().mean(1), "train_loss": torch.nn.functional.softplus(-f).mean(1),
            "test_acc": acc, "test_loss": loss, "norm_S": S.norm(dim=1), "b": b.clone()}


def _run_gd(torch: Any, X: Any, Y: Any, S: Any, b: Any, T: Any, rec: dict[str, Any], *, sigma: float, shift: float,
            lr: float, growth: float, max_steps: int) -> Any:
    R = X.shape[0]
    t = torch.zeros(R, dtype=torch.float64, device=X.device)
    idx = torch.zeros(R, dtype=torch.long, device=X.device)
    n_rec = T.numel()
    mixed = (Y < 0).any(1)   # a -1 label: a finite minimiser when not separable (App. I), see _STATIONARY
    for _ in range(max_steps):
        f, p, gS, gb = _grads(torch, X, S, b, Y)
        land = (idx < n_rec) & (t >= T[idx.clamp(max=n_rec - 1)] * (1 - 1e-12))
        while bool(land.any()):
            _record(rec, land, idx, _snapshot(torch, X, S, b, t, f, sigma, shift))
            idx = idx + land.long()
            land = (idx < n_rec) & (t >= T[idx.clamp(max=n_rec - 1)] * (1 - 1e-12))
        live = idx < n_rec
        if not bool(live.any()):
            break
        H = _hessian_bound(torch, X, p)
        nxt = T[idx.clamp(max=n_rec - 1)]
        dt = torch.minimum(torch.minimum(growth * t + min(lr, 0.5 / (H.max().item() + 1e-300)), 0.5 / H), nxt - t)
        dt = torch.where(live, dt.clamp(min=0.0), torch.zeros_like(dt))
        still = mixed & live & ((gS ** 2).sum(1) + gb ** 2 < _STATIONARY ** 2)
        dt = torch.where(still, nxt - t, dt)   # at its minimiser: the state is the same at the next record
        move = torch.where(still, torch.zeros_like(dt), dt)
        S -= move[:, None] * gS
        b -= move * gb
        t = torch.where(live & (nxt - t - dt <= 1e-12 * nxt), nxt, t + dt)
    return idx >= n_rec


def _run_adam(torch: Any, X: Any, Y: Any, S: Any, b: Any, T: Any, rec: dict[str, Any], *, sigma: float, shift: float,
              lr: float, growth: float, max_steps: int) -> Any:
    R = X.shape[0]
    steps = np.unique(np.maximum(np.round(T.cpu().numpy() / lr).astype(np.int64), 0))
    if steps[-1] > max_steps:
        raise ValueError(f"adam needs t_max/lr = {steps[-1]} steps > max_steps={max_steps}; "
                         "lower t_max or raise lr/max_steps")
    mS, vS = torch.zeros_like(S), torch.zeros_like(S)
    mb, vb = torch.zeros_like(b), torch.zeros_like(b)
    b1, b2, eps = 0.9, 0.999, 1e-8
    wanted = {int(k): j for j, k in enumerate(steps)}
    allrow = torch.ones(R, dtype=torch.bool, device=X.device)
    for k in range(int(steps[-1]) + 1):
        f, p, gS, gb = _grads(torch, X, S, b, Y)
        if k in wanted:
            tk = torch.full((R,), k * lr, dtype=torch.float64, device=X.device)
            col = torch.full((R,), wanted[k], dtype=torch.long, device=X.device)
            _record(rec, allrow, col, _snapshot(torch, X, S, b, tk, f, sigma, shift))
        mS.mul_(b1).add_((1 - b1) * gS)
        vS.mul_(b2).add_((1 - b2) * gS ** 2)
        mb.mul_(b1).add_((1 - b1) * gb)
        vb.mul_(b2).add_((1 - b2) * gb ** 2)
        c1, c2 = 1 - b1 ** (k + 1), 1 - b2 ** (k + 1)
        S -= lr * (mS / c1) / ((vS / c2).sqrt() + eps)
        b -= lr * (mb / c1) / ((vb / c2).sqrt() + eps)
    n = len(steps)
    for key in rec:  # Adam records only the distinct integer steps: keep them in the first n columns
        rec[key] = rec[key][:, :n]
    return allrow

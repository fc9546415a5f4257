r"""Scenario A training engine: loss, batched Adam, checkpoints and the t_eps replay.

See :mod:`local_rules._scenario_a` for the model (paper sec. 4.3.2, Eqs. 59–63) and
docs/local_rules.md for the options.  Penalty (per model, tensors T in ``penalty_on``):

.. math:: \lambda_1 \sum_T c_T \|T\|_1 + \tfrac{\lambda_2}{2} \sum_T c_T \|T\|_2^2,

with :math:`c_T = 1` (``penalty_norm="sum"``, the paper's formula) or :math:`1/\#T`
(``"mean"``, the mean over the tensor's entries).  ``penalty_mode="coupled"`` adds its
gradient before Adam's normalisation (plain Adam on the penalised loss);
``"decoupled"`` applies it after the Adam step as the proximal map of the step
``lr``: :math:`\theta \leftarrow \mathrm{sgn}(\theta)\max(|\theta| - \mathrm{lr}\,\lambda_1 c_T, 0)`
for L1, :math:`\theta \leftarrow (1 - \mathrm{lr}\,\lambda_2 c_T)\theta` for L2 (AdamW-style).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._data import PositionSet
from ._network import eigen_boundary_vectors, network_outputs, padding_limit_exists

__all__ = ["BETAS", "ADAM_EPS", "Setup", "Trainer", "checkpoints", "forward", "losses", "train_ensemble"]

BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


@dataclass
class Setup:
    train: PositionSet
    test: PositionSet
    boundary: str
    n_pad: int
    lam1: float
    lam2: float
    lr: float
    penalty_mode: str = "coupled"
    penalty_norm: str = "sum"
    penalty_on: str = "AB"

    def weight(self, name: str, numel_per_model: int) -> float:
        """c_T of tensor ``name`` (0 when the penalty does not act on it)."""
        if name not in ("A", "B") or name not in self.penalty_on:
            return 0.0
        return 1.0 if self.penalty_norm == "sum" else 1.0 / numel_per_model


def forward(p: dict[str, Any], pset: PositionSet, s: Setup, with_left: bool = False) -> Any:
    if s.boundary == "eigen":  # boundary vectors recomputed from A_0, not differentiated
        import torch
        l, r, _ = eigen_boundary_vectors(p["A"].detach().cpu().numpy())
        vL = torch.as_tensor(l, dtype=p["A"].dtype, device=p["A"].device)
        vR = torch.as_tensor(r, dtype=p["A"].dtype, device=p["A"].device)
        return network_outputs(p["A"], p["B"], pset, "trainable", vL=vL, vR=vR, return_left=with_left)
    return network_outputs(p["A"], p["B"], pset, s.boundary, n_pad=s.n_pad, vL=p.get("vL"), vR=p.get("vR"),
                           return_left=with_left)


def _penalty(p: dict[str, Any], s: Setup) -> Any:
    reg = 0.0
    for k in ("A", "B"):
        c = s.weight(k, p[k][0].numel())
        if c == 0:
            continue
        if s.lam1 > 0:
            reg = reg + s.lam1 * c * p[k].abs().sum((1, 2, 3))
        if s.lam2 > 0:
            reg = reg + 0.5 * s.lam2 * c * (p[k] ** 2).sum((1, 2, 3))
    return reg


def losses(yhat: Any, pset: PositionSet, p: dict[str, Any], s: Setup) -> tuple[Any, Any, Any]:
    """Per-model (total loss, data loss, error fraction); the total includes the penalty value."""
    import torch
    y = torch.as_tensor(pset.labels, dtype=yhat.dtype, device=yhat.device)
    w = torch.as_tensor(pset.weights, dtype=yhat.dtype, device=yhat.device)
    z = yhat.detach() * (-y)  # minus the margin
    data = _sigmoid_square_loss(yhat, y, w)
    reg = _penalty(p, s)
    if s.penalty_mode == "decoupled" and not isinstance(reg, float):
        reg = reg.detach()  # value reported, gradient applied as a proximal step
    err = (z >= 0).to(yhat.dtype) @ w  # sgn(0) counts as wrong
    return data + reg, data, err


def _sigmoid_square_loss(yhat: Any, y: Any, w: Any) -> Any:
    """Per-model sum_i w_i 2 sigma(-y_i yhat_i)^2 (= w_i (f_i - y_i)^2 / 2) with a hand-written backward."""
    import torch

    class _Loss(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, yh: Any) -> Any:  # type: ignore[override]
            sg = torch.sigmoid(yh * (-y))
            ctx.save_for_backward(sg)
            return (sg * sg) @ (2 * w)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:  # type: ignore[override]
            (sg,) = ctx.saved_tensors
            sq = sg * sg  # d/dyh [2 w sg^2] = 4 w sg^2 (1 - sg) * (-y)
            t = torch.addcmul(sq, sq, sg, value=-1.0)
            return t.mul_(-4 * w * y).mul_(g[:, None])

    return _Loss.apply(yhat)


def _deff_torch(L: Any, node_w: Any) -> Any:
    """D_eff of the left context states (R, P, k, d) with node weights (P,)."""
    import torch
    X = L.reshape(L.shape[0], L.shape[1], -1).detach()
    node_w = node_w[: X.shape[1]]  # nodes beyond the deepest context level carry no weight
    mu = torch.einsum("p,rpi->ri", node_w, X)
    C = torch.einsum("p,rpi,rpj->rij", node_w, X, X) - mu[:, :, None] * mu[:, None, :]
    lam = torch.linalg.eigvalsh(C.double()).clamp_min(0)
    sig = lam / lam.sum(-1, keepdim=True).clamp_min(1e-300)
    ent = -(torch.where(sig > 0, sig * torch.log(sig.clamp_min(1e-300)), torch.zeros_like(sig))).sum(-1)
    return torch.exp(ent)


class Trainer:
    """Batched Adam on one chunk of the ensemble."""

    def __init__(self, p: dict[str, Any], s: Setup):
        import torch
        self.s = s
        self.p = {k: v.clone().requires_grad_(True) for k, v in p.items()}
        self.m = {k: torch.zeros_like(v) for k, v in p.items()}
        self.v = {k: torch.zeros_like(v) for k, v in p.items()}
        self.step = 0
        R = p["A"].shape[0]
        self.alive = torch.ones(R, dtype=torch.bool, device=p["A"].device)
        self.node_w = torch.as_tensor(s.train.left_node_weights(), dtype=p["A"].dtype, device=p["A"].device)
        self.prev_sign: Any = None

    def state(self) -> dict[str, Any]:
        return {"p": {k: v.detach().clone() for k, v in self.p.items()},
                "m": {k: v.clone() for k, v in self.m.items()},
                "v": {k: v.clone() for k, v in self.v.items()}, "step": self.step, "alive": self.alive.clone()}

    @classmethod
    def from_state(cls, st: dict[str, Any], idx: Any, s: Setup) -> "Trainer":
        tr = cls({k: v[idx] for k, v in st["p"].items()}, s)
        tr.m = {k: v[idx].clone() for k, v in st["m"].items()}
        tr.v = {k: v[idx].clone() for k, v in st["v"].items()}
        tr.step = st["step"]
        tr.alive = st["alive"][idx].clone()
        return tr

    def do_step(self, want_deff: bool) -> dict[str, Any]:
        """Evaluate the current state on the training set, then take one Adam step.

        Returns per-model ``loss`` (total), ``data`` (data loss), ``err``, ``flip`` (weighted
        fraction of training positions whose predicted sign differs from the previous
        step's; NaN at the first step) and ``deff`` (or None), all of the state before the step.
        """
        import torch
        s = self.s
        yhat, L = forward(self.p, s.train, s, with_left=True)
        loss, data, err = losses(yhat, s.train, self.p, s)
        grads = torch.autograd.grad(torch.nan_to_num(loss, nan=0.0, posinf=0.0).sum(), list(self.p.values()))
        deff = _deff_torch(L, self.node_w) if want_deff else None
        with torch.no_grad():
            sign = yhat.detach() > 0
            w = torch.as_tensor(s.train.weights, dtype=yhat.dtype, device=yhat.device)
            flip = (torch.full_like(loss, float("nan")) if self.prev_sign is None
                    else (sign != self.prev_sign).to(yhat.dtype) @ w)
            self.prev_sign = sign
            finite = torch.isfinite(loss)
            for g in grads:
                finite &= torch.isfinite(g).reshape(g.shape[0], -1).all(1)
            self.alive &= finite
            self._adam(grads)
        return {"loss": loss.detach(), "data": data.detach(), "err": err.detach(), "flip": flip, "deff": deff}

    def _adam(self, grads: Any) -> None:
        import torch
        s = self.s
        self.step += 1
        b1, b2 = BETAS
        c1, c2 = 1 - b1 ** self.step, 1 - b2 ** self.step
        all_alive = bool(self.alive.all())
        for (k, prm), g in zip(self.p.items(), grads, strict=True):
            mask = None if all_alive else self.alive.reshape((-1,) + (1,) * (g.dim() - 1))
            if mask is not None:  # frozen (diverged) runs: no moment or parameter update
                g = torch.where(mask, g, torch.zeros_like(g))
                m_old, v_old = self.m[k].clone(), self.v[k].clone()
            self.m[k].mul_(b1).add_(g, alpha=1 - b1)
            self.v[k].mul_(b2).addcmul_(g, g, value=1 - b2)
            den = (self.v[k] / c2).sqrt_().add_(ADAM_EPS)
            upd = torch.div(self.m[k], den).mul_(s.lr / c1)
            new = prm - upd
            c = s.weight(k, prm[0].numel()) if s.penalty_mode == "decoupled" else 0.0
            if c > 0 and s.lam2 > 0:
                new = new * (1 - s.lr * s.lam2 * c)
            if c > 0 and s.lam1 > 0:
                new = torch.sign(new) * (new.abs() - s.lr * s.lam1 * c).clamp_min(0)
            if mask is not None:
                new = torch.where(mask, new, prm)
                self.m[k] = torch.where(mask, self.m[k], m_old)
                self.v[k] = torch.where(mask, self.v[k], v_old)
            prm.copy_(new)

    def evaluate(self) -> dict[str, Any]:
        """Test error/loss, train error/loss and D_eff of the current state (no step)."""
        import torch
        s = self.s
        with torch.no_grad():
            yt = forward(self.p, s.test, s)
            tl, _, te = losses(yt, s.test, self.p, s)
            yr, L = forward(self.p, s.train, s, with_left=True)
            rl, _, re = losses(yr, s.train, self.p, s)
            de = _deff_torch(L, self.node_w)
        return {"test_error": te, "test_loss": tl, "train_error": re, "train_loss": rl, "d_eff": de}


def checkpoints(n_steps: int, n_ckpt: int) -> np.ndarray:
    return np.unique(np.concatenate([[0], np.round(np.logspace(0, np.log10(max(n_steps, 1)), n_ckpt)),
                                     [n_steps]]).astype(np.int64))


def _record(arrs: dict[str, np.ndarray], it: int, out: dict[str, Any]) -> None:
    for k in ("loss", "data", "err", "flip"):
        arrs[k][:, it] = out[k].cpu().numpy()


def train_ensemble(p0: dict[str, Any], s: Setup, n_steps: int, ckpts: np.ndarray, deff_every: int,
                   progress: bool = False, desc: str = "scenario A") -> dict[str, Any]:
    """Train one chunk; returns per-step arrays, checkpoint evaluations and dense windows.

    Per step: total loss, data loss, training error, sign-flip fraction; every ``deff_every``
    steps: D_eff and whether A_0 has a real dominant eigenvalue (``limit``, see
    :func:`local_rules.padding_limit_exists`).
    """
    import torch
    from tqdm.auto import tqdm
    tr = Trainer(p0, s)
    R = p0["A"].shape[0]
    arrs = {k: np.full((R, n_steps + 1), np.nan, dtype=np.float32) for k in ("loss", "data", "err", "flip")}
    deff_steps = np.arange(0, n_steps + 1, deff_every)
    step_deff = np.full((R, deff_steps.size), np.nan, dtype=np.float32)
    step_limit = np.zeros((R, deff_steps.size), dtype=bool)
    ck_rows: list[dict[str, np.ndarray]] = []
    dense_rows: list[pd.DataFrame] = []
    t_eps_step = np.full(R, -1, dtype=np.int64)
    drifted = np.zeros(R, dtype=bool)
    prev_state, prev_ck = None, 0
    zero_seen = np.zeros(R, dtype=bool)
    ck_set = set(int(c) for c in ckpts)
    for it in tqdm(range(n_steps + 1), disable=not progress, desc=desc, mininterval=2.0):
        if it in ck_set:
            row = {k: v.cpu().numpy().astype(float) for k, v in tr.evaluate().items()}
            row["step"] = np.full(R, it)
            row["alive"] = tr.alive.cpu().numpy().copy()
            ck_rows.append(row)
            te = row["test_error"]
            new = (te <= 0) & ~zero_seen & row["alive"]
            if it == 0:
                t_eps_step[new] = 0
            elif new.any() and prev_state is not None:
                idx = np.nonzero(new)[0]
                t_eps_step[idx], df = _replay(prev_state, idx, s, prev_ck, it)
                bad = idx[~replay_faithful(df, arrs["err"], idx)]
                t_eps_step[bad], drifted[bad] = it, True   # the checkpoint's zero stands
                dense_rows.append(df[~df["run_local"].isin(bad)])
            zero_seen |= te <= 0
            prev_state, prev_ck = tr.state(), it
        want = it % deff_every == 0
        if want:
            step_limit[:, it // deff_every] = padding_limit_exists(tr.p["A"].detach().cpu().numpy())
        if it == n_steps:
            with torch.no_grad():
                ev = tr.evaluate()
                yhat = forward(tr.p, s.train, s)
                _, data, _ = losses(yhat, s.train, tr.p, s)
            arrs["loss"][:, it] = ev["train_loss"].cpu().numpy()
            arrs["data"][:, it] = data.cpu().numpy()
            arrs["err"][:, it] = ev["train_error"].cpu().numpy()
            if tr.prev_sign is not None:
                w = torch.as_tensor(s.train.weights, dtype=yhat.dtype, device=yhat.device)
                arrs["flip"][:, it] = ((yhat > 0) != tr.prev_sign).to(yhat.dtype).matmul(w).cpu().numpy()
            if want:
                step_deff[:, it // deff_every] = ev["d_eff"].cpu().numpy()
            break
        out = tr.do_step(want)
        _record(arrs, it, out)
        if want:
            step_deff[:, it // deff_every] = out["deff"].cpu().numpy()
    return {"step_loss": arrs["loss"], "step_data_loss": arrs["data"], "step_err": arrs["err"],
            "step_flip": arrs["flip"], "deff_steps": deff_steps, "step_deff": step_deff, "step_limit": step_limit,
            "ck_rows": ck_rows, "dense": dense_rows, "t_eps_step": t_eps_step, "replay_drifted": drifted,
            "alive": tr.alive.cpu().numpy(),
            "final": {k: v.detach().cpu().numpy() for k, v in tr.p.items()}}


def replay_faithful(df: pd.DataFrame, step_err: np.ndarray, idx: np.ndarray, atol: float = 1e-6) -> np.ndarray:
    """Per run of ``idx``: whether its replayed rows ``df`` follow the ensemble's own trajectory.

    A sub-batch replays the same steps with other array shapes, so rounding differs; in a
    chaotic run (a large ``lr``) the replay then leaves the trajectory the ensemble took
    (the training error of the replay reached 0 at a step where the ensemble's was 0.49).
    The ensemble recorded its training error at every step (``step_err``, runs × steps, the
    error of the state after that many steps): a run whose replayed training error differs
    from it at any replayed step by more than ``atol`` is not faithful.
    """
    ok = np.ones(idx.size, dtype=bool)
    if len(df) == 0:
        return ok
    run, step = df["run_local"].to_numpy(dtype=np.int64), df["step"].to_numpy(dtype=np.int64)
    diff = np.abs(df["train_error"].to_numpy(dtype=float) - step_err[run, step].astype(float))
    bad_runs = np.unique(run[~(diff <= atol)])
    return ~np.isin(idx, bad_runs)


def _replay(state: dict[str, Any], idx: np.ndarray, s: Setup, start: int, stop: int
            ) -> tuple[np.ndarray, pd.DataFrame]:
    """Replay runs ``idx`` from checkpoint ``start`` and record every step strictly between the
    checkpoints ``start`` and ``stop`` (the checkpoints themselves have their own rows: recording
    ``stop`` again would give a second, differently rounded row at the same (run, t)).

    Returns the first step with zero test error per run (``stop`` where the replay finds none
    before it: rounding drift of the sub-batch, the checkpoint's zero stands).
    """
    import torch
    sub = Trainer.from_state(state, torch.as_tensor(idx), s)
    first = np.full(idx.size, -1, dtype=np.int64)
    rows = []
    for it in range(start + 1, stop):
        sub.do_step(False)
        ev = {k: v.cpu().numpy().astype(float) for k, v in sub.evaluate().items()}
        rows.append(pd.DataFrame({"run_local": idx, "step": it, **ev}))
        hit = (ev["test_error"] <= 0) & (first < 0)
        first[hit] = it
    first[first < 0] = stop
    cols = ["run_local", "step", "test_error", "test_loss", "train_error", "train_loss", "d_eff"]
    return first, (pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols))

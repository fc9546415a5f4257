r"""Scenario A: all tensors trained (paper sec. 4.3.2), R models as one batched ensemble.

Model output :math:`\hat y_i` of Eq. 63 (open boundaries; default boundary
vectors = padding with ``n_pad`` copies of -1, see :mod:`local_rules._network`),
squashed by a sigmoid before the sign: :math:`f_i = 2\sigma(\hat y_i) - 1 \in (-1, 1)`,
prediction :math:`\mathrm{sgn}(f_i) = \mathrm{sgn}(\hat y_i)`.  Loss (per model)

.. math:: R = \frac1n\sum_i \tfrac12 (f_i - y_i)^2 + \lambda_1(\|A\|_1 + \|B\|_1)
          + \tfrac{\lambda_2}2(\|A\|_2^2 + \|B\|_2^2),

averaged over the n training positions (all inputs of length ``train_M``).
Optimiser: Adam (β = (0.9, 0.999), ε = 1e-8), written out so that every model of
the ensemble is updated independently.  **Time unit: t = optimiser steps × learning
rate.**  Initial A, B entries i.i.d. Normal(0, 1) from ``torch.Generator`` seeded
with ``seed`` (drawn for the whole ensemble at once, so chunking does not change them).

Recorded: training loss and error at every step (free from the forward pass);
test error/loss and D_eff of the left context vectors at log-spaced checkpoints;
for every run whose test error first vanishes between two checkpoints, that
interval is replayed from the saved state and every step is recorded (rows with
``dense = True``), which fixes t_eps to the step.  D_eff is also sampled every
``deff_every`` steps to measure the D_eff step that accompanies a loss spike.
A run whose loss or parameters become non-finite is flagged ``diverged``, frozen,
and excluded from averages.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._checks import check_choice, check_int, check_real
from ._data import PositionSet, make_dataset, make_test_set
from ._metrics import detect_spikes
from ._network import network_outputs
from ._results import ScenarioAResult

__all__ = ["run_scenario_a", "init_params", "train_ensemble"]

_BETAS = (0.9, 0.999)
_EPS = 1e-8


def init_params(R: int, d: int, seed: int, *, boundary: str = "pad", dtype: str = "float32",
                device: str = "cpu") -> dict[str, Any]:
    """Initial parameters (A, B and, for trainable boundaries, vL, vR), entries i.i.d. Normal(0, 1)."""
    import torch
    R = check_int("n_init", R, 1)
    d = check_int("d", d, 1)
    g = torch.Generator(device="cpu").manual_seed(check_int("seed", seed, 0))
    dt = getattr(torch, dtype)
    p = {"A": torch.randn(R, d, d, 2, generator=g, dtype=torch.float64),
         "B": torch.randn(R, d, d, 2, generator=g, dtype=torch.float64)}
    if boundary == "trainable":
        p["vL"] = torch.randn(R, d, generator=g, dtype=torch.float64)
        p["vR"] = torch.randn(R, d, generator=g, dtype=torch.float64)
    return {k: v.to(dtype=dt, device=device) for k, v in p.items()}


@dataclass
class _Setup:
    train: PositionSet
    test: PositionSet
    boundary: str
    n_pad: int
    lam1: float
    lam2: float
    lr: float


def _forward(p: dict[str, Any], pset: PositionSet, s: _Setup, with_left: bool = False) -> Any:
    return network_outputs(p["A"], p["B"], pset, s.boundary, n_pad=s.n_pad, vL=p.get("vL"), vR=p.get("vR"),
                           return_left=with_left)


def _losses(yhat: Any, pset: PositionSet, p: dict[str, Any], s: _Setup) -> tuple[Any, Any, Any]:
    """Per-model (total loss, data loss, error fraction)."""
    import torch
    y = torch.as_tensor(pset.labels, dtype=yhat.dtype, device=yhat.device)
    w = torch.as_tensor(pset.weights, dtype=yhat.dtype, device=yhat.device)
    # f = 2 sigma(yhat) - 1 and y = +-1 give (f - y)^2 / 2 = 2 sigma(-y yhat)^2, evaluated with a
    # fused forward/backward (fewer passes over the (R, N) outputs)
    z = yhat.detach() * (-y)  # minus the margin
    data = _sigmoid_square_loss(yhat, y, w)
    reg = 0.0
    if s.lam1 > 0:
        reg = reg + s.lam1 * (p["A"].abs().sum((1, 2, 3)) + p["B"].abs().sum((1, 2, 3)))
    if s.lam2 > 0:
        reg = reg + 0.5 * s.lam2 * ((p["A"] ** 2).sum((1, 2, 3)) + (p["B"] ** 2).sum((1, 2, 3)))
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
            # d/dyh [2 w sg^2] = 4 w sg^2 (1 - sg) * (-y)
            sq = sg * sg
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


class _Trainer:
    """Batched Adam on one chunk of the ensemble."""

    def __init__(self, p: dict[str, Any], s: _Setup):
        import torch
        self.s = s
        self.p = {k: v.clone().requires_grad_(True) for k, v in p.items()}
        self.m = {k: torch.zeros_like(v) for k, v in p.items()}
        self.v = {k: torch.zeros_like(v) for k, v in p.items()}
        self.step = 0
        R = p["A"].shape[0]
        self.alive = torch.ones(R, dtype=torch.bool, device=p["A"].device)
        self.node_w = torch.as_tensor(s.train.left_node_weights(), dtype=p["A"].dtype, device=p["A"].device)

    def state(self) -> dict[str, Any]:
        return {"p": {k: v.detach().clone() for k, v in self.p.items()},
                "m": {k: v.clone() for k, v in self.m.items()},
                "v": {k: v.clone() for k, v in self.v.items()}, "step": self.step, "alive": self.alive.clone()}

    @classmethod
    def from_state(cls, st: dict[str, Any], idx: Any, s: _Setup) -> "_Trainer":
        tr = cls({k: v[idx] for k, v in st["p"].items()}, s)
        tr.m = {k: v[idx].clone() for k, v in st["m"].items()}
        tr.v = {k: v[idx].clone() for k, v in st["v"].items()}
        tr.step = st["step"]
        tr.alive = st["alive"][idx].clone()
        return tr

    def do_step(self, want_deff: bool) -> tuple[Any, Any, Any]:
        """Evaluate the current state on the training set, then take one Adam step.
        Returns per-model (loss, error, D_eff or None) of the state before the step."""
        import torch
        s = self.s
        yhat, L = _forward(self.p, s.train, s, with_left=True)
        loss, _, err = _losses(yhat, s.train, self.p, s)
        grads = torch.autograd.grad(torch.nan_to_num(loss, nan=0.0, posinf=0.0).sum(), list(self.p.values()))
        deff = _deff_torch(L, self.node_w) if want_deff else None
        with torch.no_grad():
            finite = torch.isfinite(loss)
            for g in grads:
                finite &= torch.isfinite(g).reshape(g.shape[0], -1).all(1)
            self.alive &= finite
            self.step += 1
            b1, b2 = _BETAS
            c1, c2 = 1 - b1 ** self.step, 1 - b2 ** self.step
            all_alive = bool(self.alive.all())
            for (k, prm), g in zip(self.p.items(), grads, strict=True):
                mask = None if all_alive else self.alive.reshape((-1,) + (1,) * (g.dim() - 1))
                if mask is not None:  # frozen (diverged) runs: no moment or parameter update
                    g = torch.where(mask, g, torch.zeros_like(g))
                    m_old, v_old = self.m[k].clone(), self.v[k].clone()
                self.m[k].mul_(b1).add_(g, alpha=1 - b1)
                self.v[k].mul_(b2).addcmul_(g, g, value=1 - b2)
                den = (self.v[k] / c2).sqrt_().add_(_EPS)
                upd = torch.div(self.m[k], den).mul_(s.lr / c1)
                if mask is not None:
                    upd = torch.where(mask, upd, torch.zeros_like(upd))
                    self.m[k] = torch.where(mask, self.m[k], m_old)
                    self.v[k] = torch.where(mask, self.v[k], v_old)
                prm.sub_(upd)
        return loss.detach(), err.detach(), deff

    def evaluate(self) -> dict[str, Any]:
        """Test error/loss, train error/loss and D_eff of the current state (no step)."""
        import torch
        s = self.s
        with torch.no_grad():
            yt = _forward(self.p, s.test, s)
            tl, _, te = _losses(yt, s.test, self.p, s)
            yr, L = _forward(self.p, s.train, s, with_left=True)
            rl, _, re = _losses(yr, s.train, self.p, s)
            de = _deff_torch(L, self.node_w)
        return {"test_error": te, "test_loss": tl, "train_error": re, "train_loss": rl, "d_eff": de}


def _checkpoints(n_steps: int, n_ckpt: int) -> np.ndarray:
    return np.unique(np.concatenate([[0], np.round(np.logspace(0, np.log10(max(n_steps, 1)), n_ckpt)),
                                     [n_steps]]).astype(np.int64))


def train_ensemble(p0: dict[str, Any], s: _Setup, n_steps: int, ckpts: np.ndarray, deff_every: int,
                   progress: bool = False, desc: str = "scenario A") -> dict[str, Any]:
    """Train one chunk; returns per-step arrays, checkpoint evaluations and dense windows."""
    import torch
    from tqdm.auto import tqdm
    tr = _Trainer(p0, s)
    R = p0["A"].shape[0]
    step_loss = np.full((R, n_steps + 1), np.nan, dtype=np.float32)
    step_err = np.full((R, n_steps + 1), np.nan, dtype=np.float32)
    deff_steps = np.arange(0, n_steps + 1, deff_every)
    step_deff = np.full((R, deff_steps.size), np.nan, dtype=np.float32)
    ck_rows: list[dict[str, np.ndarray]] = []
    dense_rows: list[pd.DataFrame] = []
    t_eps_step = np.full(R, -1, dtype=np.int64)
    prev_state = None
    prev_ck = 0
    zero_seen = np.zeros(R, dtype=bool)
    ck_set = set(int(c) for c in ckpts)
    for it in tqdm(range(n_steps + 1), disable=not progress, desc=desc, mininterval=2.0):
        if it in ck_set:
            ev = tr.evaluate()
            row = {k: v.cpu().numpy().astype(float) for k, v in ev.items()}
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
                dense_rows.append(df)
            zero_seen |= te <= 0
            prev_state, prev_ck = tr.state(), it
        if it == n_steps:
            with torch.no_grad():
                ev = tr.evaluate()
            step_loss[:, it] = ev["train_loss"].cpu().numpy()
            step_err[:, it] = ev["train_error"].cpu().numpy()
            if it % deff_every == 0:
                step_deff[:, it // deff_every] = ev["d_eff"].cpu().numpy()
            break
        want = it % deff_every == 0
        loss, err, deff = tr.do_step(want)
        step_loss[:, it] = loss.cpu().numpy()
        step_err[:, it] = err.cpu().numpy()
        if want:
            step_deff[:, it // deff_every] = deff.cpu().numpy()
    alive = tr.alive.cpu().numpy()
    return {"step_loss": step_loss, "step_err": step_err, "deff_steps": deff_steps, "step_deff": step_deff,
            "ck_rows": ck_rows, "dense": dense_rows, "t_eps_step": t_eps_step, "alive": alive,
            "final": {k: v.detach().cpu().numpy() for k, v in tr.p.items()}}


def _replay(state: dict[str, Any], idx: np.ndarray, s: _Setup, start: int, stop: int
            ) -> tuple[np.ndarray, pd.DataFrame]:
    """Replay runs ``idx`` from checkpoint ``start`` to ``stop`` recording every step."""
    import torch
    sub = _Trainer.from_state(state, torch.as_tensor(idx), s)
    first = np.full(idx.size, -1, dtype=np.int64)
    rows = []
    for it in range(start + 1, stop + 1):
        sub.do_step(False)
        ev = {k: v.cpu().numpy().astype(float) for k, v in sub.evaluate().items()}
        rows.append(pd.DataFrame({"run_local": idx, "step": it, **ev}))
        hit = (ev["test_error"] <= 0) & (first < 0)
        first[hit] = it
    first[first < 0] = stop  # replay drift (float rounding): fall back to the checkpoint
    return first, pd.concat(rows, ignore_index=True)


def run_scenario_a(d: int = 10, K: int = 1, rule: int = 30, lam1: float = 0.0, lam2: float = 0.0,
                   n_init: int = 1000, n_steps: int = 5000, lr: float = 0.005, seed: int = 0,
                   device: str = "cpu", chunk: int | None = None, progress: bool = True, *,
                   boundary: str = "pad", n_pad: int = 32, train_M: int = 8,
                   test_set: PositionSet | None = None, n_checkpoints: int = 60, deff_every: int = 10,
                   dtype: str = "float32", spike_factor: float = 10.0, spike_window: int = 50,
                   test_parity: str = "match") -> ScenarioAResult:
    """Train ``n_init`` tensor-network attention models (A and B) as one batched ensemble.

    Returns a :class:`ScenarioAResult`; times are ``t = step * lr``.  ``chunk``
    bounds the number of models trained at once (default: all, or fewer when
    memory requires).  ``test_set`` defaults to :func:`make_test_set` with
    ``max_len=10, n_long=32`` and, for ``test_parity="match"`` (default), only input
    lengths of the parity of ``train_M`` (4, 6, 8, 10 and long inputs of length 64 for
    ``train_M = 8``): training on one length cannot fix the global sign (A, B) -> (-A, -B),
    which flips every prediction on lengths of the other parity.  ``test_parity="all"``
    uses lengths 3 … 10 and 64 (then at most half of the runs can reach zero test error:
    the mirrored initialisation (-A0, -B0) follows the mirrored trajectory).
    """
    import torch
    d = check_int("d", d, 1)
    K = check_int("K", K, 1)
    check_int("rule", rule, 0, 255)
    lam1 = check_real("lam1", lam1, 0.0)
    lam2 = check_real("lam2", lam2, 0.0)
    n_init = check_int("n_init", n_init, 1)
    n_steps = check_int("n_steps", n_steps, 1)
    lr = check_real("lr", lr, 0.0, lo_open=True)
    seed = check_int("seed", seed, 0)
    boundary = check_choice("boundary", boundary, ("pad", "trainable", "closed"))
    dtype = check_choice("dtype", dtype, ("float32", "float64"))
    deff_every = check_int("deff_every", deff_every, 1)
    n_checkpoints = check_int("n_checkpoints", n_checkpoints, 2)
    train_M = check_int("train_M", train_M, 2 * K + 1)
    rb = "closed" if boundary == "closed" else "open"
    train = make_dataset(rule, K, train_M, rule_boundary=rb)
    test_parity = check_choice("test_parity", test_parity, ("match", "all"))
    if test_set is not None:
        test = test_set
    else:
        par = "all" if test_parity == "all" else ("even" if train_M % 2 == 0 else "odd")
        test = make_test_set(rule, K, max_len=10, n_long=32, long_len=64 if par != "odd" else 65,
                             rule_boundary=rb, parity=par)
    if chunk is None:
        per_model = 4 * (train.n_positions + test.n_positions + 2 * (test.left.n_nodes + test.right.n_nodes)) * d
        chunk = int(max(1, min(n_init, 2e9 // max(per_model, 1))))
    chunk = check_int("chunk", chunk, 1)
    torch_device = torch.device(device)
    s = _Setup(train, test, boundary, n_pad, lam1, lam2, lr)
    p_all = init_params(n_init, d, seed, boundary=boundary, dtype=dtype, device="cpu")
    ckpts = _checkpoints(n_steps, n_checkpoints)
    outs = []
    for c0 in range(0, n_init, chunk):
        p = {k: v[c0:c0 + chunk].to(torch_device) for k, v in p_all.items()}
        outs.append(train_ensemble(p, s, n_steps, ckpts, deff_every, progress,
                                   desc=f"scenario A [{c0}:{min(c0 + chunk, n_init)}]"))
    return _assemble(outs, chunk, n_init, n_steps, lr, ckpts, deff_every, spike_factor, spike_window, {
        "generator": "local_rules.run_scenario_a", "d": d, "K": K, "rule": int(rule), "lam1": lam1,
        "lam2": lam2, "n_init": n_init, "n_steps": n_steps, "lr": lr, "seed": seed, "device": str(device),
        "chunk": chunk, "boundary": boundary, "n_pad": n_pad, "train_M": train_M, "test_set": dict(test.info),
        "test_parity": test_parity if test_set is None else "given", "n_checkpoints": int(ckpts.size),
        "deff_every": deff_every, "dtype": dtype,
        "optimizer": {"name": "Adam", "betas": list(_BETAS), "eps": _EPS},
        "init": "A, B entries i.i.d. Normal(0,1), torch.Generator(seed), drawn for all runs at once",
        "output": "f = 2*sigmoid(yhat) - 1, prediction sgn(yhat)",
        "loss": "mean over training positions of (f-y)^2/2 + lam1 (|A|_1+|B|_1) + lam2/2 (|A|^2+|B|^2)",
        "time_unit": "t = optimiser steps * lr", "spike_factor": spike_factor, "spike_window": spike_window})


def _assemble(outs: list[dict[str, Any]], chunk: int, n_init: int, n_steps: int, lr: float, ckpts: np.ndarray,
              deff_every: int, spike_factor: float, spike_window: int, config: dict[str, Any]) -> ScenarioAResult:
    step_loss = np.concatenate([o["step_loss"] for o in outs])
    step_err = np.concatenate([o["step_err"] for o in outs])
    step_deff = np.concatenate([o["step_deff"] for o in outs])
    alive = np.concatenate([o["alive"] for o in outs])
    t_eps_step = np.concatenate([o["t_eps_step"] for o in outs])
    deff_steps = outs[0]["deff_steps"]
    frames = []
    for ci, o in enumerate(outs):
        off = ci * chunk
        for row in o["ck_rows"]:
            df = pd.DataFrame({k: v for k, v in row.items() if k != "alive"})
            df.insert(0, "run", np.arange(off, off + row["step"].size))
            df["dense"] = False
            frames.append(df)
        for df in o["dense"]:
            df = df.rename(columns={"run_local": "run"})
            df["run"] = df["run"] + off
            df["dense"] = True
            frames.append(df)
    curves = pd.concat(frames, ignore_index=True)
    curves["t"] = curves["step"] * lr
    curves = curves[["run", "step", "t", "test_error", "train_error", "test_loss", "train_loss", "d_eff",
                     "dense"]].sort_values(["run", "step", "dense"], kind="stable").reset_index(drop=True)
    diverged = ~alive
    zero_tr = step_err <= 0
    has_tr = zero_tr.any(axis=1)
    t_train_step = np.where(has_tr, np.argmax(zero_tr, axis=1), -1)
    t_train = np.where(has_tr & ~diverged, t_train_step * lr, np.nan)
    t_eps = np.where((t_eps_step >= 0) & ~diverged, t_eps_step * lr, np.nan)
    events = detect_spikes(np.nan_to_num(step_loss, nan=np.inf), factor=spike_factor, window=spike_window)
    ev_arr = np.zeros((len(events), 5))
    for j, (r, a, b, ratio) in enumerate(events):
        before = np.nonzero(deff_steps < a)[0]
        after = np.nonzero(deff_steps > b + spike_window)[0]
        dstep = (step_deff[r, after[0]] - step_deff[r, before[-1]]) if before.size and after.size else np.nan
        ev_arr[j] = (r, a, b, ratio, dstep)
    ev_arr = ev_arr[[not diverged[int(e[0])] for e in ev_arr]] if len(ev_arr) else ev_arr
    n_sp = np.bincount(ev_arr[:, 0].astype(int), minlength=n_init) if len(ev_arr) else np.zeros(n_init, int)
    first_sp = np.full(n_init, np.nan)
    first_dd = np.full(n_init, np.nan)
    for e in ev_arr[::-1]:
        first_sp[int(e[0])] = e[1] * lr
        first_dd[int(e[0])] = e[4]
    ck_last = curves[(~curves["dense"]) & (curves["step"] == ckpts[-1])].set_index("run")
    flag = np.where(diverged, "diverged", np.where(~has_tr, "never_zero_train",
                    np.where(t_eps_step < 0, "never_zero_test", "")))
    summary = pd.DataFrame({"run": np.arange(n_init), "t_train": t_train, "t_eps": t_eps,
                            "t_G": t_eps - t_train, "groks": np.isfinite(t_eps), "diverged": diverged,
                            "flag": flag, "final_test_error": ck_last["test_error"].reindex(range(n_init)).values,
                            "final_train_error": ck_last["train_error"].reindex(range(n_init)).values,
                            "final_d_eff": ck_last["d_eff"].reindex(range(n_init)).values,
                            "n_spikes": n_sp, "t_first_spike": first_sp, "first_spike_d_eff_step": first_dd})
    params = {k: np.concatenate([o["final"][k] for o in outs]) for k in outs[0]["final"]}
    features = {"train_loss_per_step": step_loss, "train_error_per_step": step_err,
                "d_eff_steps": deff_steps, "d_eff_per_step": step_deff, "spikes": ev_arr,
                **{f"final_{k}": v for k, v in params.items()}}
    config["checkpoint_steps"] = ckpts.tolist()
    return ScenarioAResult(config=config, curves=curves, summary=summary, features=features)

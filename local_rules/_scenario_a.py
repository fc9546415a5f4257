r"""Scenario A: all tensors trained (paper sec. 4.3.2), R models as one batched ensemble.

Model output :math:`\hat y_i` of Eq. 63 (open boundaries; default: trainable boundary
vectors; ``"pad"`` = padding with ``n_pad`` copies of -1, ``"eigen"``, ``"closed"``: see
:data:`SCENARIO_A_BOUNDARIES` and :mod:`local_rules._network`),
squashed by a sigmoid before the sign: :math:`f_i = 2\sigma(\hat y_i) - 1 \in (-1, 1)`,
prediction :math:`\mathrm{sgn}(f_i) = \mathrm{sgn}(\hat y_i)`.  Loss (per model)

.. math:: R = \frac1n\sum_i \tfrac12 (f_i - y_i)^2 + \lambda_1(\|A\|_1 + \|B\|_1)
          + \tfrac{\lambda_2}2(\|A\|_2^2 + \|B\|_2^2),

(the default penalty; variants in :mod:`local_rules._scenario_a_train`) with the data term
averaged over the n training positions (all inputs of length ``train_M``).
Optimiser: Adam (β = (0.9, 0.999), ε = 1e-8), written out so that every model of
the ensemble is updated independently.  **Time unit: t = optimiser steps × learning
rate.**  Initial A, B entries i.i.d. Normal(0, 1) from ``torch.Generator`` seeded
with ``seed`` (drawn for the whole ensemble at once, so chunking does not change them).

Recorded: training loss and error at every step (free from the forward pass);
test error/loss and D_eff of the left context vectors at log-spaced checkpoints;
for every run whose test error first vanishes between two checkpoints, that
interval is replayed from the saved state and every step is recorded (rows with
``dense = True``), which fixes t_eps to the step.  The replay runs the run alone (other
array shapes, other rounding), so it is checked against the training error the ensemble
recorded at every step: where the two differ (a chaotic run, e.g. ``lr = 0.1`` with the
pad boundary, leaves the ensemble's trajectory), the replayed rows are dropped, t_eps is
the checkpoint's (its resolution is the checkpoint interval) and the summary's
``replay_drifted`` is True.  D_eff is also sampled every
``deff_every`` steps to measure the D_eff step that accompanies a loss spike.
A run whose loss or parameters become non-finite is flagged ``diverged``, frozen,
and excluded from averages.
"""
from __future__ import annotations

from typing import Any

from ._checks import check_choice, check_device, check_int, check_real
from ._memory import check_memory, scenario_a_memory_bytes
from ._data import PositionSet, make_dataset, make_test_set
from ._results import ScenarioAResult
from ._scenario_a_summary import assemble
from ._scenario_a_train import BETAS, ADAM_EPS, checkpoints, Setup, train_ensemble

__all__ = ["run_scenario_a", "init_params", "train_ensemble", "SCENARIO_A_BOUNDARIES"]

#: Boundaries of scenario A: "trainable" (default; free vectors vL, vR, defined for every A),
#: "pad" (1^T A_0^n_pad, the paper's "-1 padding", finite n_pad), "eigen" (leading
#: eigenvectors of A_0, not differentiated; a fallback where the leading eigenvalue is
#: complex), "closed" (periodic).
SCENARIO_A_BOUNDARIES = ("trainable", "pad", "eigen", "closed")


def init_params(R: int, d: int, seed: int, *, boundary: str = "trainable", dtype: str = "float32",
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


def run_scenario_a(d: int = 10, K: int = 1, rule: int = 30, lam1: float = 0.0, lam2: float = 0.0,
                   n_init: int = 1000, n_steps: int = 5000, lr: float = 0.005, seed: int = 0,
                   device: str = "cpu", chunk: int | None = None, progress: bool = True, *,
                   boundary: str = "trainable", n_pad: int = 32, train_M: int = 8,
                   test_set: PositionSet | None = None, n_checkpoints: int = 60, deff_every: int = 10,
                   dtype: str = "float32", spike_factor: float = 10.0, spike_window: int = 50,
                   test_parity: str = "match", penalty_mode: str = "coupled", penalty_norm: str = "sum",
                   penalty_on: str = "AB", jump_threshold: float = 1e-3, flip_threshold: float = 0.9
                   ) -> ScenarioAResult:
    """Train ``n_init`` tensor-network attention models (A and B) as one batched ensemble.

    Returns a :class:`ScenarioAResult`; times are ``t = step * lr``.  ``chunk``
    bounds the number of models trained at once (default: all, or fewer when
    memory requires).  ``boundary`` is one of :data:`SCENARIO_A_BOUNDARIES` (default
    ``"trainable"``: the only reading defined for every A; ``"pad"`` is the paper's −1
    padding with ``n_pad`` symbols, whose n_pad → ∞ limit does not exist while A_0 has a
    complex leading pair, see docs/local_rules.md "Boundaries").  ``test_set`` defaults
    to :func:`make_test_set` with ``max_len=10, n_long=32`` and, for ``test_parity="match"``
    (default), only input lengths of the parity of ``train_M`` (4, 6, 8, 10 and long inputs
    of length 64 for ``train_M = 8``): training on one length cannot fix the global sign
    (A, B) -> (-A, -B), which flips every prediction on lengths of the other parity.
    ``test_parity="all"`` uses lengths 3 … 10 and 64 (then at most half of the runs can reach
    zero test error).  Penalty options (``penalty_mode`` coupled/decoupled, ``penalty_norm``
    sum/mean, ``penalty_on`` AB/A/B): :mod:`local_rules._scenario_a_train`.  Summary columns
    ``jump`` (test error > ``jump_threshold`` one step before t_eps), ``n_sign_flips`` (steps
    where > ``flip_threshold`` of the training positions flip sign), ``n_spikes`` (data loss)
    and ``n_spikes_total_loss``, ``frac_no_pad_limit``, ``boundary``, ``test_parity``.

    Examples
    --------
    >>> import local_rules as lr
    >>> r = lr.run_scenario_a(d=3, n_init=2, n_steps=20, progress=False)  # doctest: +SKIP
    >>> r.config["boundary"], list(r.summary.columns[:3])  # doctest: +SKIP
    ('trainable', ['run', 't_train', 't_eps'])
    """
    import torch
    d, K, n_init, n_steps = (check_int(n, v, 1) for n, v in (("d", d), ("K", K), ("n_init", n_init),
                                                              ("n_steps", n_steps)))
    check_int("rule", rule, 0, 255)
    lam1, lam2 = check_real("lam1", lam1, 0.0), check_real("lam2", lam2, 0.0)
    lr = check_real("lr", lr, 0.0, lo_open=True)
    seed = check_int("seed", seed, 0)
    boundary = check_choice("boundary", boundary, SCENARIO_A_BOUNDARIES)
    n_pad = check_int("n_pad", n_pad, 0)
    dtype = check_choice("dtype", dtype, ("float32", "float64"))
    deff_every = check_int("deff_every", deff_every, 1)
    n_checkpoints = check_int("n_checkpoints", n_checkpoints, 2)
    train_M = check_int("train_M", train_M, 2 * K + 1)
    test_parity = check_choice("test_parity", test_parity, ("match", "all"))
    device = check_device(device)
    check_memory("scenario A", scenario_a_memory_bytes(n_init, n_steps, d, n_checkpoints, deff_every),
                 "n_init or n_steps")
    opts = _options(penalty_mode, penalty_norm, penalty_on, jump_threshold, flip_threshold, spike_factor,
                    spike_window)
    rb = "closed" if boundary == "closed" else "open"
    train = make_dataset(rule, K, train_M, rule_boundary=rb)
    if test_set is None:
        par = "all" if test_parity == "all" else ("even" if train_M % 2 == 0 else "odd")
        test_set = make_test_set(rule, K, max_len=10, n_long=32, long_len=64 if par != "odd" else 65,
                                 rule_boundary=rb, parity=par)
        parity_used = test_parity
    else:
        parity_used = "given"
    if chunk is None:
        per_model = 4 * (train.n_positions + test_set.n_positions
                         + 2 * (test_set.left.n_nodes + test_set.right.n_nodes)) * d
        chunk = int(max(1, min(n_init, 2e9 // max(per_model, 1))))
    chunk = check_int("chunk", chunk, 1)
    s = Setup(train, test_set, boundary, n_pad, lam1, lam2, lr, opts["penalty_mode"], opts["penalty_norm"],
               opts["penalty_on"])
    p_all = init_params(n_init, d, seed, boundary=boundary, dtype=dtype, device="cpu")
    ckpts = checkpoints(n_steps, n_checkpoints)
    outs = []
    for c0 in range(0, n_init, chunk):
        p = {k: v[c0:c0 + chunk].to(torch.device(device)) for k, v in p_all.items()}
        outs.append(train_ensemble(p, s, n_steps, ckpts, deff_every, progress,
                                   desc=f"scenario A [{c0}:{min(c0 + chunk, n_init)}]"))
    config = {"generator": "local_rules.run_scenario_a", "d": d, "K": K, "rule": int(rule), "lam1": lam1,
              "lam2": lam2, "n_init": n_init, "n_steps": n_steps, "lr": lr, "seed": seed, "device": str(device),
              "chunk": chunk, "boundary": boundary, "n_pad": n_pad, "train_M": train_M,
              "test_set": dict(test_set.info), "test_parity": parity_used, "n_checkpoints": int(ckpts.size),
              "deff_every": deff_every, "dtype": dtype, **opts, **_CONFIG_TEXT,
              "boundary_meaning": _BOUNDARY_MEANING[boundary]}
    return assemble(outs, chunk, n_init, lr, ckpts, opts, config)


def _options(penalty_mode: str, penalty_norm: str, penalty_on: str, jump_threshold: float,
             flip_threshold: float, spike_factor: float, spike_window: int) -> dict[str, Any]:
    return {"penalty_mode": check_choice("penalty_mode", penalty_mode, ("coupled", "decoupled")),
            "penalty_norm": check_choice("penalty_norm", penalty_norm, ("sum", "mean")),
            "penalty_on": check_choice("penalty_on", penalty_on, ("AB", "A", "B")),
            "jump_threshold": check_real("jump_threshold", jump_threshold, 0.0),
            "flip_threshold": check_real("flip_threshold", flip_threshold, 0.5, 1.0),
            "spike_factor": check_real("spike_factor", spike_factor, 1.0),
            "spike_window": check_int("spike_window", spike_window, 1)}


_CONFIG_TEXT = {
    "optimizer": {"name": "Adam", "betas": list(BETAS), "eps": ADAM_EPS},
    "init": "A, B (then vL, vR for trainable boundaries) entries i.i.d. Normal(0,1), torch.Generator(seed), "
            "drawn for all runs at once",
    "output": "f = 2*sigmoid(yhat) - 1, prediction sgn(yhat)",
    "loss": "mean over training positions of (f-y)^2/2 + lam1 sum_T c_T |T|_1 + lam2/2 sum_T c_T |T|^2, "
            "T in penalty_on, c_T = 1 (sum) or 1/#T (mean); decoupled: proximal step after Adam",
    "time_unit": "t = optimiser steps * lr",
    "spikes": "n_spikes on the data loss, n_spikes_total_loss on data loss + penalty",
}

_BOUNDARY_MEANING = {
    "trainable": "free boundary vectors vL, vR (trained, no penalty), defined for every A",
    "pad": "1^T A_0^n_pad (n_pad copies of -1); equals infinite -1 padding only where A_0's leading "
           "eigenvalue is real and dominant (summary frac_no_pad_limit: share of steps without that limit)",
    "eigen": "leading left/right eigenvectors of A_0, recomputed every step, not differentiated; where the "
             "leading eigenvalue is complex: real part of the phase-fixed leading eigenvector (a convention)",
    "closed": "periodic boundaries (trace), rule applied periodically",
}

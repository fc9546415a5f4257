"""The separability model in the grokcheck simulator contract: ``config``, ``curves``, ``summary``, ``features``.

:func:`simulate_separability` runs :func:`.simulate.simulate` (logistic regression with a bias
on N points of one label in d dimensions, Beck, Levi & Bar-Sinai 2025, sec. 3) and lays the
result out as every grokcheck simulator does, so that ``grokcheck simulate separability``,
``fit``, ``report`` and sweeps read it. This module imports nothing of ``comparison``.

**What "groks" means.** Prop. 3.2: a run generalises perfectly (test accuracy -> 1 as
t -> inf) iff its training set is *not* separable from the origin. Wendel's law (Prop. 3.3)
is the probability of exactly that event. A finite run observes something else: whether the
test accuracy crossed ``acc_level`` before ``t_max``. The two differ in both directions: a
separable set with a small margin M has the limit ``A_gen = Phi(1/(sigma M)) >= acc_level``
and crosses the level without generalising; a non-separable set close to separability has a
large ``|S_inf|`` (Prop. 3.4) and crosses only after ``t ~ exp(z sigma |S_inf|)`` (critical
slowing down), perhaps beyond ``t_max``. Hence two definitions (``groks_by``):

* ``"limit"`` (default): ``groks`` = the t -> inf answer, *not separable* (exact LP, Prop. 3.2)
  — the question Wendel's law answers, as the perceptron simulators define ``groks`` from
  their exact final state;
* ``"threshold"``: ``groks`` = the test accuracy reached ``acc_level`` on the clock (what a
  finite log shows).

With a label fraction ``label_fraction = r < 1`` (App. I, :mod:`.simulate`) "generalises" is
"no ``-1`` label and not separable" (``summary.n_minority``); ``status`` below reads
"not separable" as "generalises".

Either way ``status`` says what the finite run did: ``groks`` (not separable, level reached),
``not_reached`` (not separable, level not reached by ``t_max``), ``no_grok`` (separable, level
never reached), ``threshold_only`` (separable, the level was reached because ``A_gen`` is
above it), ``diverged``.

Times: ``t_train = t*_tr`` (train accuracy 1), ``t_eps = t*_gen`` (test accuracy reaches
``acc_level``; the test error is then ``1 - acc_level``, not 0), ``t_G = t*_gen - t*_tr`` on
grokking runs with both times. ``test_error = 1 - A_test`` is exact (the expectation over the
data law, no test sample).

Examples
--------
>>> res = simulate_separability(12, 3, 1.0, n_seeds=4, t_max=1e6, n_points=16, seed=0)
>>> res.config["generator"], res.summary.shape[0], list(res.curves.columns[:4])
('linear_grokking.separability.simulate_separability', 4, ['run', 't', 'test_error', 'train_error'])
>>> bool((res.summary["groks"] == ~res.summary["separable"]).all())   # groks_by="limit"
True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .dynamics import memory_bytes
from .simulate import CURVES, simulate

__all__ = ["SeparabilityResult", "simulate_separability", "separability_memory_bytes", "GROKS_BY", "STATUSES"]

GROKS_BY = ("limit", "threshold")
STATUSES = ("groks", "not_reached", "no_grok", "threshold_only", "diverged")
GENERATOR = "linear_grokking.separability.simulate_separability"


@dataclass
class SeparabilityResult:
    """Tidy output of :func:`simulate_separability` (the grokcheck simulator contract).

    Attributes
    ----------
    config : JSON-serialisable dict: ``generator``, ``model``, every parameter, ``lam``, ``time_unit``.
    curves : one row per (run, t): ``run, t, test_error, train_error, test_loss, train_loss, norm_S, b``.
    summary : one row per run: ``run, t_train, t_eps, t_G, groks, diverged, status, separable,
        n_minority, margin, a_gen, final_test_acc, t_star_tr, t_star_gen, reached``.
    features : per-run arrays ``separable`` (0/1), ``margin``, ``a_gen``.
    """

    config: dict[str, Any]
    curves: pd.DataFrame
    summary: pd.DataFrame
    features: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_runs(self) -> int:
        return int(len(self.summary))


def separability_memory_bytes(N: int, d: int, n_seeds: int, n_points: int = 64) -> float:
    """Estimated peak memory (bytes): the vectorised dynamics plus the tidy curve table (8 columns)."""
    return memory_bytes(n_seeds, N, d, n_points) + 8.0 * 3 * 8 * n_seeds * (n_points + 1)


def _status(generalises: np.ndarray, reached_level: np.ndarray, diverged: np.ndarray) -> np.ndarray:
    """:data:`STATUSES` from the t -> inf answer (LP flag, labels) and whether the test accuracy reached its level."""
    st = np.where(~generalises, np.where(reached_level, "threshold_only", "no_grok"),
                  np.where(reached_level, "groks", "not_reached"))
    return np.where(diverged, "diverged", st)


def _curves(out: dict[str, Any]) -> tuple[pd.DataFrame, np.ndarray]:
    """The tidy curve table (unrecorded points dropped) and the per-run divergence flag."""
    R, P = out["test_acc"].shape
    t = np.broadcast_to(np.asarray(out["t"], dtype=float)[None, :], (R, P))
    cols = {"run": np.repeat(np.arange(R, dtype=np.int64), P), "t": t.ravel(),
            "test_error": 1.0 - out["test_acc"].ravel(), "train_error": 1.0 - out["train_acc"].ravel()}
    cols.update({k: out[k].ravel() for k in CURVES if k not in ("test_acc", "train_acc")})
    cur = pd.DataFrame(cols)
    vals = cur[["test_error", "train_error"]].to_numpy()
    # a run that hit max_steps before t_max has NaN records past its clock: unrecorded, not diverged
    stalled = ~np.asarray(out["reached"], dtype=bool)[cur["run"].to_numpy()] & ~np.isfinite(vals).all(1)
    recorded = np.isfinite(cur["t"].to_numpy()) & ~stalled
    bad = recorded & ~np.isfinite(vals).all(1)
    diverged = np.bincount(cur["run"].to_numpy()[bad], minlength=R) > 0
    keep = recorded & (np.isfinite(vals).all(1) | diverged[cur["run"].to_numpy()])
    return cur[keep].reset_index(drop=True), diverged


def _summary(out: dict[str, Any], diverged: np.ndarray, groks_by: str) -> pd.DataFrame:
    sep = np.asarray(out["separable"], dtype=bool)
    gen = np.asarray(out["generalises"], dtype=bool)
    t_tr, t_gen = out["t_star_tr"], out["t_star_gen"]
    reached_level = np.isfinite(t_gen) & ~diverged
    status = _status(gen, reached_level, diverged)
    groks = (gen if groks_by == "limit" else reached_level) & ~diverged
    timed = groks & reached_level & np.isfinite(t_tr)
    with np.errstate(invalid="ignore"):
        t_G = np.where(timed, t_gen - t_tr, np.nan)
    return pd.DataFrame({
        "run": np.arange(sep.size, dtype=np.int64), "t_train": np.where(diverged, np.nan, t_tr),
        "t_eps": np.where(diverged, np.nan, t_gen), "t_G": t_G, "groks": groks, "diverged": diverged,
        "status": status, "separable": sep, "n_minority": out["n_minority"], "margin": out["margin"],
        "a_gen": out["a_gen"],
        "final_test_acc": out["final_test_acc"], "t_star_tr": t_tr, "t_star_gen": t_gen,
        "reached": np.asarray(out["reached"], dtype=bool)})


def simulate_separability(N: int, d: int, sigma: float, *, optimizer: str = "gd", lr: float = 0.01,
                          t_min: float = 1e-2, t_max: float = 1e12, n_points: int = 64, n_seeds: int = 100,
                          shift: float = 0.0, acc_level: float = 0.95, groks_by: str = "limit",
                          label_fraction: float = 1.0, max_steps: int = 200_000,
                          device: str = "cpu", max_bytes: float = 16 * 2 ** 30, seed: int) -> SeparabilityResult:
    """Simulate ``n_seeds`` runs at ``lam = d/N`` in the simulator contract (see the module docstring).

    Parameters
    ----------
    N, d, sigma : training points, dimension, noise (data ``N(shift e_1, sigma^2 I_d)``, sec. 3).
    optimizer, lr : ``"gd"`` (gradient flow on a log clock) or ``"adam"`` (``t = step * lr``).
    t_min, t_max, n_points : the log record grid (plus t = 0).
    n_seeds, seed : runs and the seed (run data and initialisation from children of ``seed``).
    shift : mean of the data along e_1 (0: symmetric, Wendel exact).
    acc_level : test accuracy defining ``t*_gen``, in (0.5, 1).
    label_fraction : App. I's ``r`` in (0, 1]: probability of the constant label ``+1`` (1: the paper's model).
    max_steps : cap on GD steps (a run that hits it has ``reached`` False and no records beyond).
    groks_by : ``"limit"`` (not separable, Prop. 3.2) or ``"threshold"`` (level reached on the clock).
    device : torch device of the dynamics. max_bytes : refuse larger runs (grokcheck's default limit).
    """
    if groks_by not in GROKS_BY:
        raise ValueError(f"simulate_separability: groks_by must be one of {GROKS_BY}, got {groks_by!r}")
    out = simulate(N, d, sigma, optimizer=optimizer, lr=lr, t_min=t_min, t_max=t_max, n_points=n_points,
                   n_seeds=n_seeds, shift=shift, acc_level=acc_level, label_fraction=label_fraction,
                   max_steps=max_steps, seed=seed,
                   device=device,
                   max_bytes=max_bytes)
    curves, diverged = _curves(out)
    summary = _summary(out, diverged, groks_by)
    config = {"generator": GENERATOR, "model": "separability", **out["config"], "groks_by": groks_by,
              "device": device, "time_unit": "gradient-flow time" if optimizer == "gd" else "Adam steps x lr"}
    features = {"separable": summary["separable"].to_numpy(dtype=np.int8), "margin": np.asarray(out["margin"]),
                "a_gen": np.asarray(out["a_gen"], dtype=float)}
    return SeparabilityResult(config, curves, summary, features)

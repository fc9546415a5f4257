"""The simulator entry point :func:`run_rfm` (Mallinar et al. 2024, sec. 2–3).

The loop itself is :func:`modular_rfm.rfm_trace`; here runs on independent seeded
splits are collected into the toolkit's simulator contract.

Time unit: ``t`` is the RFM iteration.  Row ``t`` of the curves describes the
kernel machine fitted with ``M_t`` and the features ``M_t`` themselves, for
``t = 0 … n_iter`` (``t = 0`` is the plain kernel machine with ``M = I``;
``n_iter`` AGOP updates follow).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ._data import make_dataset, normalise_op
from ._kernels import Kernel
from ._measures import task_direction
from ._trace import ENFORCE, GRADIENT_PATHS, RECORD_COLUMNS, rfm_trace
from ._validation import check_bool, check_choice, check_int, check_memory, check_prime, check_real, rfm_memory_bytes

__all__ = ["RFMResult", "run_rfm", "GENERATOR", "split_seeds", "CURVE_COLUMNS"]

Array = NDArray[np.float64]

GENERATOR: str = "modular_rfm.run_rfm"

#: Accuracy threshold for ``t_99`` and ``groks`` (exactly 0 test error need not happen).
ACC_THRESHOLD: float = 0.99


@dataclass
class RFMResult:
    """Simulator output (the toolkit-wide contract).

    Attributes
    ----------
    config:
        JSON-serialisable settings: generator, every parameter, the master seed
        and the derived split seeds.
    curves:
        Tidy table, one row per (run, t): ``run, t, train_error, test_error,
        train_accuracy, test_accuracy, train_loss, test_loss,
        test_correct_loss, circ_dev, circ_dev_circulant, circ_dev_hankel,
        alignment, d_eff, struct_dev, wall_time`` (:data:`CURVE_COLUMNS`).
    summary:
        One row per run: ``run, split_seed, t_train, t_eps, t_G, t_99, t_G99,
        groks, diverged, flag, final_test_accuracy, final_circ_dev,
        initial_circ_dev, reason``.
    features:
        ``"M_final"`` ``(n_runs, 2p, 2p)`` and ``"train_pairs"``
        ``(n_runs, n_train, 2)``; ``"M_history"`` ``(n_runs, n_iter + 1, 2p, 2p)``
        when requested (NaN after a divergence).
    """

    config: dict[str, Any]
    curves: pd.DataFrame
    summary: pd.DataFrame
    features: dict[str, np.ndarray] = field(default_factory=dict)


def split_seeds(seed: int, n_runs: int, *, stream: int = 0) -> list[int]:
    """Seeds for ``n_runs`` runs derived from the master ``seed``: run ``r`` gets the
    ``r``-th child of ``numpy.random.SeedSequence([seed, stream])`` (independent of
    ``n_runs``).  Stream 0 gives the train/test split seeds recorded in the config."""
    children = np.random.SeedSequence([seed, stream]).spawn(n_runs)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def _first(mask: NDArray[np.bool_], t: NDArray[np.float64]) -> float:
    idx = np.flatnonzero(mask)
    return float(t[idx[0]]) if idx.size else float("nan")


def _summarise(run: int, seed: int, df: pd.DataFrame, diverged: bool, reason: str) -> dict[str, Any]:
    t = df["t"].to_numpy()
    if diverged or df.empty:
        nan = float("nan")
        return {"run": run, "split_seed": seed, "t_train": nan, "t_eps": nan, "t_G": nan, "t_99": nan,
                "t_G99": nan, "groks": False, "diverged": True, "flag": "diverged",
                "final_test_accuracy": nan, "final_circ_dev": nan, "initial_circ_dev": nan,
                "reason": reason}
    t_train = _first(df["train_error"].to_numpy() == 0.0, t)
    t_eps = _first(df["test_error"].to_numpy() == 0.0, t)
    t_99 = _first(df["test_accuracy"].to_numpy() >= ACC_THRESHOLD, t)
    if np.isnan(t_train):
        flag = "never_fits"
    elif np.isnan(t_99):
        flag = "never_generalises"
    elif np.isnan(t_eps):
        flag = "test_error_never_exactly_0"
    else:
        flag = "ok"
    cd = df["circ_dev"].to_numpy()
    finite = cd[np.isfinite(cd)]
    return {
        "run": run, "split_seed": seed, "t_train": t_train, "t_eps": t_eps, "t_G": t_eps - t_train,
        "t_99": t_99, "t_G99": t_99 - t_train,
        "groks": bool(np.isfinite(t_99) and np.isfinite(t_train) and t_99 > t_train),
        "diverged": False, "flag": flag,
        "final_test_accuracy": float(df["test_accuracy"].iloc[-1]),
        "final_circ_dev": float(cd[-1]),
        "initial_circ_dev": float(finite[0]) if finite.size else float("nan"),
        "reason": "",
    }


#: Columns of :attr:`RFMResult.curves`, in order.
CURVE_COLUMNS: list[str] = [
    "run", "t", "train_error", "test_error", "train_accuracy", "test_accuracy", "train_loss", "test_loss",
    "test_correct_loss", "circ_dev", "circ_dev_circulant", "circ_dev_hankel", "alignment", "d_eff",
    "struct_dev", "wall_time",
]


def _callable_name(f: Callable[..., Any] | None) -> str | None:
    if f is None:
        return None
    return f"{getattr(f, '__module__', '?')}.{getattr(f, '__qualname__', type(f).__name__)}"


def _collect_runs(p: int, op: str, train_frac: float, seeds: list[int], kern: Kernel, *, n_iter: int,
                  keep_history: bool, progress: bool, trace_kwargs: dict[str, Any],
                  ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, np.ndarray], int]:
    """One :func:`rfm_trace` per split seed, collected into curves, summary and features."""
    frames, summaries = [], []
    M_final, train_pairs, history = [], [], []
    d = 2 * p
    for r, s in enumerate(seeds):
        ds = make_dataset(p, op, train_frac, s)
        tr = rfm_trace(ds, kern, n_iter=n_iter, progress=progress, desc=f"RFM {op} p={p} run {r}", **trace_kwargs)
        df = pd.DataFrame.from_records(tr.records, columns=RECORD_COLUMNS)
        df.insert(0, "run", r)
        frames.append(df)
        summaries.append(_summarise(r, s, df, tr.diverged, tr.reason))
        M_final.append(tr.Ms[-1] if tr.Ms and not tr.diverged else np.full((d, d), np.nan))
        train_pairs.append(ds.pairs_train)
        if keep_history:
            H = np.full((n_iter + 1, d, d), np.nan)
            for t, M in enumerate(tr.Ms):
                H[t] = M
            history.append(H)
    curves = pd.concat(frames, ignore_index=True)[CURVE_COLUMNS].astype({"run": int})
    features: dict[str, np.ndarray] = {"M_final": np.stack(M_final), "train_pairs": np.stack(train_pairs)}
    if keep_history:
        features["M_history"] = np.stack(history)
    return curves, pd.DataFrame.from_records(summaries), features, int(train_pairs[0].shape[0])


def run_rfm(
    p: int = 61, op: str = "+", train_frac: float = 0.5, *, kernel: str = "gaussian",
    bandwidth: float = 2.5, bandwidth_scaling: str = "2L2", ridge: float = 0.0, centre: bool = True,
    power: float = 0.5, n_iter: int = 30, seed: int = 0, n_runs: int = 1,
    gradient_path: str = "onehot", enforce: str | None = None,
    project: Callable[[np.ndarray], np.ndarray] | None = None, device: str | None = None,
    keep_history: bool = False, progress: bool = True,
) -> RFMResult:
    """Grokking modular arithmetic with a Recursive Feature Machine (Mallinar et al. 2024).

    Parameters
    ----------
    p: prime modulus ``>= 3``.
    op: ``'+'``, ``'-'``, ``'*'`` or ``'/'`` (``a ∘ b mod p``; ``/`` over ``b ≠ 0``).
    train_frac: training fraction in ``(0, 1)``.
    kernel, bandwidth, bandwidth_scaling: see :class:`modular_rfm.Kernel`.
    ridge: ``λ >= 0`` (0 = ridgeless).
    centre: centre the gradients over the training points before the AGOP.
    power: ``s > 0`` in ``M ← AGOP^s``.
    n_iter: number of AGOP updates (curves have ``t = 0 … n_iter``).
    seed: master seed; run ``r`` uses split seed ``split_seeds(seed, n_runs)[r]``.
    n_runs: number of independent splits.
    gradient_path: ``"onehot"`` (group-by, default) or ``"dense"`` (reference Jacobian).
    enforce: ``None`` or ``"block_circulant"`` (project every ``M_t``, ``t ≥ 1``, onto the
        block-circulant form, paper sec. 3; see :func:`modular_rfm.rfm_trace`).
    project: optional per-iteration callable ``M -> M`` (recorded by its qualified name).
    device: ``None`` (numpy, default) or a torch device string (float64 torch path).
    keep_history: also return every ``M_t`` in ``features["M_history"]``.
    progress: show a tqdm bar.

    Returns
    -------
    RFMResult
        ``circ_dev`` is the circulant deviation in the task's direction (:func:`modular_rfm.task_direction`),
        after the discrete-log reordering for ``*`` and ``/``; both are in ``circ_dev_circulant`` / ``_hankel``.  At ``t = 0``
        (``M = I``) the off-diagonal block is 0 and the deviations are NaN.
        ``alignment`` is the cosine similarity of ``M_t`` with the last
        ``M_{n_iter}``; ``struct_dev`` the relative distance of ``M_t`` to the
        block-circulant subspace (:func:`modular_rfm.structure_deviation`).

    Examples
    --------
    >>> import modular_rfm as mr
    >>> res = mr.run_rfm(7, "+", 0.5, n_iter=2, seed=0, progress=False)
    >>> list(res.curves["t"])
    [0.0, 1.0, 2.0]
    """
    p = check_prime("p", p)
    op = normalise_op(op)
    train_frac = check_real("train_frac", train_frac, 0.0, 1.0, lo_open=True, hi_open=True)
    kern = Kernel(kernel, bandwidth, bandwidth_scaling)
    centre = check_bool("centre", centre)
    seed = check_int("seed", seed, lo=0)
    n_runs = check_int("n_runs", n_runs, lo=1)
    gradient_path = check_choice("gradient_path", gradient_path, GRADIENT_PATHS)
    if enforce is not None:
        check_choice("enforce", enforce, ENFORCE)
    keep_history = check_bool("keep_history", keep_history)
    progress = check_bool("progress", progress)
    ridge = check_real("ridge", ridge, 0.0)
    power = check_real("power", power, 0.0, None, lo_open=True)
    n_iter = check_int("n_iter", n_iter, lo=0)
    check_memory("run_rfm", rfm_memory_bytes(p, train_frac, op=op, gradient_path=gradient_path, n_iter=n_iter,
                                             keep_history=keep_history), "p or train_frac")

    seeds = split_seeds(seed, n_runs)
    curves, summary, features, n_train = _collect_runs(
        p, op, train_frac, seeds, kern, n_iter=n_iter, keep_history=keep_history, progress=progress,
        trace_kwargs={"ridge": ridge, "centre": centre, "power": power, "gradient_path": gradient_path,
                      "enforce": enforce, "project": project, "device": device})
    config: dict[str, Any] = {
        "generator": GENERATOR, "p": p, "op": op, "train_frac": train_frac, **kern.to_config(),
        "ridge": ridge, "centre": centre, "power": power, "n_iter": n_iter, "seed": seed,
        "n_runs": n_runs, "split_seeds": seeds, "gradient_path": gradient_path,
        "enforce": enforce, "project": _callable_name(project),
        "backend": "numpy" if device is None else "torch", "device": device,
        "M0": "identity", "dtype": "float64", "time_unit": "RFM iteration",
        "circ_dev_direction": task_direction(op), "circ_dev_reordered": op in ("*", "/"),
        "chance_accuracy": 1.0 / p, "accuracy_threshold": ACC_THRESHOLD, "n_train": n_train,
    }
    return RFMResult(config=config, curves=curves, summary=summary, features=features)

"""The Recursive Feature Machine loop and the simulator entry point :func:`run_rfm`.

Mallinar et al. 2024, sec. 2 ("RFM", steps 1–6), started from ``M_0 = I``:

1. fit the kernel machine with ``M_t`` (:func:`modular_rfm.fit_kernel_machine`);
2. closed-form input gradients at the training points;
3. centre them over the training points (default; switchable);
4. ``AGOP_t = (1/n) Σ_j Σ_c ∇f_c(x_j)∇f_c(x_j)ᵀ``;
5. ``M_{t+1} = AGOP_t^s`` (``s = 1/2``) by a symmetric eigendecomposition.

Time unit: ``t`` is the RFM iteration.  Row ``t`` of the curves describes the
kernel machine fitted with ``M_t`` and the features ``M_t`` themselves, for
``t = 0 … n_iter`` (``t = 0`` is the plain kernel machine with ``M = I``;
``n_iter`` AGOP updates follow).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ._agop import DEFAULT_CHUNK_BYTES, agop_dense, agop_onehot, matrix_power_psd
from ._data import ModularDataset, _normalise_op, make_dataset
from ._kernels import Kernel
from ._machine import fit_kernel_machine
from ._measures import agop_alignment, circulant_deviation, effective_dimension, task_direction
from ._validation import check_bool, check_choice, check_int, check_prime, check_real

__all__ = ["RFMResult", "RFMTrace", "rfm_trace", "run_rfm", "GRADIENT_PATHS", "GENERATOR", "split_seeds"]

Array = NDArray[np.float64]

GRADIENT_PATHS: tuple[str, ...] = ("onehot", "dense")
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
        alignment, d_eff, wall_time``.
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


@dataclass
class RFMTrace:
    """One RFM run on one split: per-iteration records and the feature matrices."""

    records: list[dict[str, float]]
    Ms: list[Array]
    diverged: bool
    reason: str


def rfm_trace(
    ds: ModularDataset, kernel: Kernel, *, ridge: float = 0.0, centre: bool = True, power: float = 0.5,
    n_iter: int = 30, gradient_path: str = "onehot", M0: Array | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES, progress: bool = False, desc: str = "RFM",
) -> RFMTrace:
    """Run the RFM iteration on one data set (see module docstring); measures per iteration.

    The circulant deviations and the alignment are filled in later by
    :func:`run_rfm` (the alignment needs the final ``M``); here each record has
    the fit measures, ``d_eff`` of ``M_t`` and the wall time of the iteration
    (fit + AGOP + power).
    """
    from tqdm.auto import tqdm

    ridge = check_real("ridge", ridge, 0.0)
    power = check_real("power", power, 0.0, None, lo_open=True)
    n_iter = check_int("n_iter", n_iter, lo=0)
    gradient_path = check_choice("gradient_path", gradient_path, GRADIENT_PATHS)
    chunk_bytes = check_int("chunk_bytes", chunk_bytes, lo=1)
    p = ds.p
    M = np.eye(2 * p) if M0 is None else np.array(M0, dtype=float)
    records: list[dict[str, float]] = []
    Ms: list[Array] = []
    X = ds.X_train if gradient_path == "dense" else None
    diverged, reason = False, ""
    bar = tqdm(range(n_iter + 1), desc=desc, disable=not progress, leave=False)
    for t in bar:
        t0 = time.perf_counter()
        fit = fit_kernel_machine(ds, M, kernel, ridge=ridge, keep_weights=t < n_iter)
        if fit.diverged:
            diverged, reason = True, f"t={t}: {fit.reason}"
            break
        M_next = None
        if t < n_iter:
            assert fit.alpha is not None and fit.W_train is not None
            if gradient_path == "onehot":
                G = agop_onehot(M, ds.cols_train, fit.alpha, fit.W_train, scale=fit.w_scale,
                                radial=kernel.radial, centre=centre, chunk_bytes=chunk_bytes)
            else:
                assert X is not None
                G = agop_dense(M, X, fit.alpha, fit.W_train, scale=fit.w_scale,
                               radial=kernel.radial, centre=centre)
            if not np.all(np.isfinite(G)) or not np.trace(G) > 0.0:
                diverged, reason = True, f"t={t}: AGOP not finite or zero"
            else:
                M_next = matrix_power_psd(G, power)
        wall = time.perf_counter() - t0
        records.append({
            "t": float(t),
            "train_accuracy": fit.train_accuracy, "test_accuracy": fit.test_accuracy,
            "train_error": 1.0 - fit.train_accuracy, "test_error": 1.0 - fit.test_accuracy,
            "train_loss": fit.train_loss, "test_loss": fit.test_loss,
            "test_correct_loss": fit.test_correct_loss,
            "d_eff": effective_dimension(M), "wall_time": wall,
        })
        Ms.append(M)
        bar.set_postfix(test_acc=f"{fit.test_accuracy:.3f}")
        if diverged:
            break
        if M_next is not None:
            M = M_next
    bar.close()
    return RFMTrace(records=records, Ms=Ms, diverged=diverged, reason=reason)


_RECORD_COLUMNS = ["t", "train_accuracy", "test_accuracy", "train_error", "test_error", "train_loss",
                   "test_loss", "test_correct_loss", "d_eff", "wall_time"]


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


def run_rfm(
    p: int = 61, op: str = "+", train_frac: float = 0.5, *, kernel: str = "gaussian",
    bandwidth: float = 2.5, bandwidth_scaling: str = "2L2", ridge: float = 0.0, centre: bool = True,
    power: float = 0.5, n_iter: int = 30, seed: int = 0, n_runs: int = 1,
    gradient_path: str = "onehot", keep_history: bool = False, progress: bool = True,
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
    keep_history: also return every ``M_t`` in ``features["M_history"]``.
    progress: show a tqdm bar.

    Returns
    -------
    RFMResult
        ``circ_dev`` is the circulant deviation in the task's direction
        (:func:`modular_rfm.task_direction`), computed after the
        discrete-log reordering for ``*`` and ``/``; both directions are in
        ``circ_dev_circulant`` / ``circ_dev_hankel``.  At ``t = 0``
        (``M = I``) the off-diagonal block is 0 and the deviations are NaN.
        ``alignment`` is the cosine similarity of ``M_t`` with the last
        ``M_{n_iter}``.
    """
    p = check_prime("p", p)
    op = _normalise_op(op)
    train_frac = check_real("train_frac", train_frac, 0.0, 1.0, lo_open=True, hi_open=True)
    kern = Kernel(kernel, bandwidth, bandwidth_scaling)
    ridge = check_real("ridge", ridge, 0.0)
    centre = check_bool("centre", centre)
    power = check_real("power", power, 0.0, None, lo_open=True)
    n_iter = check_int("n_iter", n_iter, lo=0)
    seed = check_int("seed", seed, lo=0)
    n_runs = check_int("n_runs", n_runs, lo=1)
    gradient_path = check_choice("gradient_path", gradient_path, GRADIENT_PATHS)
    keep_history = check_bool("keep_history", keep_history)
    progress = check_bool("progress", progress)

    seeds = split_seeds(seed, n_runs)
    reorder = op in ("*", "/")
    direction = task_direction(op)
    frames, summaries = [], []
    M_final, train_pairs, history = [], [], []
    d = 2 * p
    for r, s in enumerate(seeds):
        ds = make_dataset(p, op, train_frac, s)
        tr = rfm_trace(ds, kern, ridge=ridge, centre=centre, power=power, n_iter=n_iter,
                       gradient_path=gradient_path, progress=progress, desc=f"RFM {op} p={p} run {r}")
        df = pd.DataFrame.from_records(tr.records, columns=_RECORD_COLUMNS)
        if tr.Ms:
            M_star = tr.Ms[-1]
            circ = [circulant_deviation(M, p, direction="circulant", reorder=reorder) for M in tr.Ms]
            hank = [circulant_deviation(M, p, direction="hankel", reorder=reorder) for M in tr.Ms]
            df["circ_dev_circulant"] = circ
            df["circ_dev_hankel"] = hank
            df["circ_dev"] = circ if direction == "circulant" else hank
            df["alignment"] = [agop_alignment(M, M_star) for M in tr.Ms]
        else:
            for col in ("circ_dev_circulant", "circ_dev_hankel", "circ_dev", "alignment"):
                df[col] = pd.Series(dtype=float)
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
    cols = ["run", "t", "train_error", "test_error", "train_accuracy", "test_accuracy", "train_loss",
            "test_loss", "test_correct_loss", "circ_dev", "circ_dev_circulant", "circ_dev_hankel",
            "alignment", "d_eff", "wall_time"]
    curves = pd.concat(frames, ignore_index=True)
    for c in cols:
        if c not in curves:
            curves[c] = pd.Series(dtype=float)
    curves = curves[cols].astype({"run": int})
    summary = pd.DataFrame.from_records(summaries)
    features: dict[str, np.ndarray] = {"M_final": np.stack(M_final), "train_pairs": np.stack(train_pairs)}
    if keep_history:
        features["M_history"] = np.stack(history)
    config: dict[str, Any] = {
        "generator": GENERATOR, "p": p, "op": op, "train_frac": train_frac, **kern.to_config(),
        "ridge": ridge, "centre": centre, "power": power, "n_iter": n_iter, "seed": seed,
        "n_runs": n_runs, "split_seeds": seeds, "gradient_path": gradient_path,
        "M0": "identity", "dtype": "float64", "time_unit": "RFM iteration",
        "circ_dev_direction": direction, "circ_dev_reordered": reorder,
        "chance_accuracy": 1.0 / p, "accuracy_threshold": ACC_THRESHOLD,
        "n_train": int(train_pairs[0].shape[0]),
    }
    return RFMResult(config=config, curves=curves, summary=summary, features=features)

"""The Recursive Feature Machine loop on one data set: :func:`rfm_trace`.

Mallinar et al. 2024, sec. 2 ("RFM", steps 1–6), started from ``M_0 = I``:

1. fit the kernel machine with ``M_t`` (:func:`modular_rfm.fit_kernel_machine`);
2. closed-form input gradients at the training points;
3. centre them over the training points (default; switchable);
4. ``AGOP_t = (1/n) Σ_j Σ_c ∇f_c(x_j)∇f_c(x_j)ᵀ``;
5. ``M_{t+1} = AGOP_t^s`` (``s = 1/2``) by a symmetric eigendecomposition;
5'. optionally (sec. 3, "enforcing block-circulant structure") ``M_{t+1}`` is replaced by
    its projection onto ``[[A, Cᵀ], [C, A]]`` (:func:`modular_rfm.project_block_circulant`)
    and/or by a user callable ``project(M_{t+1})``.

Time unit: ``t`` is the RFM iteration.  Record ``t`` describes the kernel machine
fitted with ``M_t`` and the features ``M_t`` themselves (after any projection).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._agop import DEFAULT_CHUNK_BYTES, agop_dense, agop_onehot, matrix_power_psd
from ._data import ModularDataset
from ._kernels import Kernel
from ._machine import fit_kernel_machine
from ._measures import agop_alignment, circulant_deviation, effective_dimension, task_direction
from ._structure import project_block_circulant, structure_deviation
from ._validation import check_choice, check_int, check_real

__all__ = ["RFMTrace", "rfm_trace", "GRADIENT_PATHS", "ENFORCE", "RECORD_COLUMNS"]

Array = NDArray[np.float64]

GRADIENT_PATHS: tuple[str, ...] = ("onehot", "dense")
#: Structures :func:`rfm_trace` can enforce each iteration (``enforce=``).
ENFORCE: tuple[str, ...] = ("block_circulant",)

#: Columns of :attr:`RFMTrace.records`, in order.
RECORD_COLUMNS: list[str] = [
    "t", "train_accuracy", "test_accuracy", "train_error", "test_error", "train_loss", "test_loss",
    "test_correct_loss", "circ_dev", "circ_dev_circulant", "circ_dev_hankel", "struct_dev", "alignment",
    "d_eff", "wall_time",
]


@dataclass
class RFMTrace:
    """One RFM run on one split.

    ``records``: one dict per iteration with the :data:`RECORD_COLUMNS` (progress
    measures of sec. 3: test accuracy and loss, circulant deviation in the task
    direction ``circ_dev`` and both directions, the distance to the block-circulant
    subspace ``struct_dev``, the AGOP alignment with the last ``M``, ``d_eff``);
    ``Ms``: the feature matrices ``M_t`` (host numpy); ``diverged`` and its ``reason``.
    """

    records: list[dict[str, float]]
    Ms: list[Array]
    diverged: bool
    reason: str


def _numpy_step(ds: ModularDataset, M: Array, kernel: Kernel, *, ridge: float, centre: bool, power: float,
                need_agop: bool, gradient_path: str, chunk_bytes: int,
                ) -> tuple[dict[str, float] | None, Array | None, str]:
    fit = fit_kernel_machine(ds, M, kernel, ridge=ridge, keep_weights=need_agop)
    if fit.diverged:
        return None, None, fit.reason
    meas = {"train_accuracy": fit.train_accuracy, "test_accuracy": fit.test_accuracy,
            "train_loss": fit.train_loss, "test_loss": fit.test_loss,
            "test_correct_loss": fit.test_correct_loss}
    if not need_agop:
        return meas, None, ""
    assert fit.alpha is not None and fit.W_train is not None
    if gradient_path == "onehot":
        G = agop_onehot(M, ds.cols_train, fit.alpha, fit.W_train, scale=fit.w_scale,
                        radial=kernel.radial, centre=centre, chunk_bytes=chunk_bytes)
    else:
        G = agop_dense(M, ds.X_train, fit.alpha, fit.W_train, scale=fit.w_scale,
                       radial=kernel.radial, centre=centre)
    if not np.all(np.isfinite(G)) or not np.trace(G) > 0.0:
        return meas, None, "AGOP not finite or zero"
    return meas, matrix_power_psd(G, power), ""


def _structure_record(M: Array, ds: ModularDataset) -> dict[str, float]:
    p, op = ds.p, ds.op
    reorder = op in ("*", "/")
    circ = circulant_deviation(M, p, direction="circulant", reorder=reorder)
    hank = circulant_deviation(M, p, direction="hankel", reorder=reorder)
    return {"circ_dev": circ if task_direction(op) == "circulant" else hank, "circ_dev_circulant": circ,
            "circ_dev_hankel": hank, "struct_dev": structure_deviation(M, p, op), "d_eff": effective_dimension(M)}


def _apply_projections(M: Array, ds: ModularDataset, enforce: str | None,
                       project: Callable[[Array], Array] | None) -> tuple[Array | None, str]:
    if enforce == "block_circulant":
        M = project_block_circulant(M, ds.p, ds.op)
    if project is not None:
        out = np.asarray(project(M), dtype=float)
        if out.shape != M.shape:
            raise ValueError(f"project must return an array of shape {M.shape}, got {out.shape}")
        if not np.all(np.isfinite(out)):
            return None, "project returned a non-finite matrix"
        M = out
    return M, ""


def _check_args(ds: ModularDataset, *, ridge: float, power: float, n_iter: int, gradient_path: str,
                chunk_bytes: int, enforce: str | None, project: object, device: str | None,
                M0: Array | None) -> tuple[float, float, int, Array]:
    ridge = check_real("ridge", ridge, 0.0)
    power = check_real("power", power, 0.0, None, lo_open=True)
    n_iter = check_int("n_iter", n_iter, lo=0)
    check_choice("gradient_path", gradient_path, GRADIENT_PATHS)
    check_int("chunk_bytes", chunk_bytes, lo=1)
    if enforce is not None:
        check_choice("enforce", enforce, ENFORCE)
    if project is not None and not callable(project):
        raise ValueError(f"project must be None or a callable M -> M, got {project!r}")
    if device is not None and (not isinstance(device, str) or not device):
        raise ValueError(f"device must be None (numpy) or a torch device string such as 'cpu' or 'cuda', "
                         f"got {device!r}")
    if device is not None and gradient_path != "onehot":
        raise ValueError("gradient_path must be 'onehot' when device is set (the torch path has no dense variant)")
    d = 2 * ds.p
    M = np.eye(d) if M0 is None else np.array(M0, dtype=float)
    if M.shape != (d, d) or not np.all(np.isfinite(M)):
        raise ValueError(f"M0 must be a finite ({d}, {d}) matrix, got shape {M.shape}")
    return ridge, power, n_iter, M


def rfm_trace(
    ds: ModularDataset, kernel: Kernel, *, ridge: float = 0.0, centre: bool = True, power: float = 0.5,
    n_iter: int = 30, gradient_path: str = "onehot", M0: Array | None = None, enforce: str | None = None,
    project: Callable[[Array], Array] | None = None, device: str | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES, progress: bool = False, desc: str = "RFM",
) -> RFMTrace:
    """Run the RFM iteration on one data set (module doc) and record the progress measures.

    Parameters
    ----------
    ds, kernel: the data set and the kernel.
    ridge, centre, power, n_iter, gradient_path: see :func:`modular_rfm.run_rfm`.
    M0: starting feature matrix (default ``I``; used as given, never projected).
    enforce: ``None`` or ``"block_circulant"``: replace every ``M_{t+1}`` (``t ≥ 0``) by its
        orthogonal projection onto ``[[A, Cᵀ], [C, A]]`` (paper sec. 3; circulant or Hankel ``C``
        by ``ds.op``, discrete-log ordered for ``×``, ``÷``).  The projection need not be PSD;
        the kernel clips negative squared distances to 0 and an unsolvable system is flagged.
    project: optional callable ``M -> M`` applied to every ``M_{t+1}`` after ``enforce``.
    device: ``None`` (numpy, default) or a torch device string: the float64 torch path
        (:class:`modular_rfm._torch_backend.TorchRFMStep`), e.g. ``"cuda"`` for large ``p``.
    chunk_bytes: memory for one chunk of gradient vectors.
    progress, desc: tqdm bar.

    Returns
    -------
    RFMTrace
        Records ``t = 0 … n_iter`` (fewer after a divergence, which stops the run).

    Examples
    --------
    >>> import modular_rfm as mr
    >>> ds = mr.make_dataset(7, "+", 0.5, seed=0)
    >>> tr = mr.rfm_trace(ds, mr.Kernel(), n_iter=2, enforce="block_circulant")
    >>> [round(r["struct_dev"], 12) for r in tr.records]
    [0.0, 0.0, 0.0]
    """
    from tqdm.auto import tqdm

    ridge, power, n_iter, M = _check_args(ds, ridge=ridge, power=power, n_iter=n_iter, gradient_path=gradient_path,
                                          chunk_bytes=chunk_bytes, enforce=enforce, project=project,
                                          device=device, M0=M0)
    if device is None:
        def step(M: Array, need: bool) -> tuple[dict[str, float] | None, Array | None, str]:
            return _numpy_step(ds, M, kernel, ridge=ridge, centre=centre, power=power, need_agop=need,
                               gradient_path=gradient_path, chunk_bytes=chunk_bytes)
    else:
        from ._torch_backend import TorchRFMStep

        step = TorchRFMStep(ds, kernel, ridge=ridge, centre=centre, power=power, device=device,
                            chunk_bytes=chunk_bytes).step
    records: list[dict[str, float]] = []
    Ms: list[Array] = []
    diverged, reason = False, ""
    bar = tqdm(range(n_iter + 1), desc=desc, disable=not progress, leave=False)
    for t in bar:
        t0 = time.perf_counter()
        meas, M_next, why = step(M, t < n_iter)
        if meas is None:
            diverged, reason = True, f"t={t}: {why}"
            break
        if t < n_iter and M_next is None:
            diverged, reason = True, f"t={t}: {why}"
        elif M_next is not None:
            M_next, why = _apply_projections(M_next, ds, enforce, project)
            if M_next is None:
                diverged, reason = True, f"t={t}: {why}"
        records.append({"t": float(t), **meas, "train_error": 1.0 - meas["train_accuracy"],
                        "test_error": 1.0 - meas["test_accuracy"], **_structure_record(M, ds),
                        "wall_time": time.perf_counter() - t0})
        Ms.append(M)
        bar.set_postfix(test_acc=f"{meas['test_accuracy']:.3f}")
        if diverged:
            break
        if M_next is not None:
            M = M_next
    bar.close()
    for rec, Mt in zip(records, Ms):
        rec["alignment"] = agop_alignment(Mt, Ms[-1])
    records = [{k: rec[k] for k in RECORD_COLUMNS} for rec in records]
    return RFMTrace(records=records, Ms=Ms, diverged=diverged, reason=reason)

"""modular_rfm benchmark: one-hot vs dense-Jacobian gradient path, and the p = 61
acceptance runs (Mallinar et al. 2024) for + − × ÷.

``run()`` returns the Markdown section written into BENCHMARKS.md by
``python -m benchmarks.run rfm``.
"""
from __future__ import annotations

import gc
import os
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

import modular_rfm as mr
from modular_rfm._machine import fit_kernel_machine

Array = np.ndarray


def _iteration(ds: mr.ModularDataset, M: Array, kern: mr.Kernel, path: str) -> Array:
    """One full RFM iteration: fit + measures, AGOP by ``path``, M ← AGOP^½."""
    fit = fit_kernel_machine(ds, M, kern)
    assert fit.alpha is not None and fit.W_train is not None
    if path == "onehot":
        G = mr.agop_onehot(M, ds.cols_train, fit.alpha, fit.W_train, scale=fit.w_scale)
    else:
        G = mr.agop_dense(M, ds.X_train, fit.alpha, fit.W_train, scale=fit.w_scale)
    return mr.matrix_power_psd(G, 0.5)


def _time(f: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def _peak_mib(f: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        f()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def _speed_section() -> str:
    kern = mr.Kernel()
    lines = [
        "### Gradient path: one-hot group-by vs dense Jacobian",
        "",
        "One full RFM iteration (kernel fit on the training split, test predictions, AGOP, "
        "`M ← AGOP^½`), + task, training fraction 0.5, Gaussian L = 2.5, started from the `M` "
        "after one update. Time: best of the repeats (`time.perf_counter`); peak memory: "
        "`tracemalloc` peak of a separate call (numpy allocations are traced), same process.",
        "",
        "| p | n_train | path | s / iteration | AGOP step only (s) | peak MiB / iteration | AGOP step peak MiB |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    ratios = []
    for p, reps in ((61, 3), (97, 1)):
        ds = mr.make_dataset(p, "+", 0.5, seed=0)
        M = _iteration(ds, np.eye(2 * p), kern, "onehot")
        fit = fit_kernel_machine(ds, M, kern)
        assert fit.alpha is not None and fit.W_train is not None
        alpha, W, w = fit.alpha, fit.W_train, fit.w_scale
        res = {}
        for path in ("onehot", "dense"):
            if path == "onehot":
                step = lambda: mr.agop_onehot(M, ds.cols_train, alpha, W, scale=w)  # noqa: E731
            else:
                step = lambda: mr.agop_dense(M, ds.X_train, alpha, W, scale=w)  # noqa: E731
            t_it = _time(lambda: _iteration(ds, M, kern, path), reps)
            t_step = _time(step, reps)
            m_it = _peak_mib(lambda: _iteration(ds, M, kern, path))
            m_step = _peak_mib(step)
            res[path] = (t_it, t_step, m_it, m_step)
            lines.append(f"| {p} | {ds.pairs_train.shape[0]} | {path} | {t_it:.3f} | {t_step:.3f} | "
                         f"{m_it:.0f} | {m_step:.0f} |")
        diff = np.abs(mr.agop_onehot(M, ds.cols_train, alpha, W, scale=w)
                      - mr.agop_dense(M, ds.X_train, alpha, W, scale=w)).max()
        o, d = res["onehot"], res["dense"]
        ratios.append((p, d[0] / o[0], d[1] / o[1], o[2] / d[2], o[3] / d[3], diff))
    lines += [
        "",
        "| p | speed-up / iteration (dense ÷ one-hot) | speed-up AGOP step | memory one-hot ÷ dense / iteration "
        "| memory ratio AGOP step | max abs AGOP difference |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for p, s_it, s_step, m_it, m_step, diff in ratios:
        lines.append(f"| {p} | {s_it:.1f}× | {s_step:.1f}× | {100 * m_it:.0f} % | {100 * m_step:.0f} % | {diff:.1e} |")
    lines += ["", "Target at p = 61: ≥ 4× faster and ≤ 40 % of the memory per iteration."]
    return "\n".join(lines)


def _acceptance_section() -> str:
    lines = [
        "### Acceptance runs, p = 61",
        "",
        "`run_rfm(61, op, 0.5, kernel='gaussian', bandwidth=2.5, bandwidth_scaling='2L2', ridge=0, "
        "centre=True, power=0.5, n_iter=30, seed=0)`. `t = 0` is the plain kernel machine (M = I). "
        "Chance = 1/61 = 0.016 (× also gets the 121 pairs with a zero factor, 3.3 % of all pairs). "
        "Circulant deviation (fraction of ‖A‖²_F off the shifted column means; discrete-log reordered "
        "for × and ÷) at t = 1 (t = 0 is undefined: M = I) and t = 30.",
        "",
        "| op | max train error | max test acc t ≤ 5 | first t acc ≥ 0.5 | t_99 | t_eps | test acc t = 30 | "
        "circ. dev task direction t = 1 → 30 | other direction t = 30 | D_eff t = 0 → 30 | wall s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for op in "+-*/":
        t0 = time.perf_counter()
        r = mr.run_rfm(61, op, 0.5, n_iter=30, seed=0, progress=False)
        wall = time.perf_counter() - t0
        g = r.curves.set_index("t")
        s = r.summary.iloc[0]
        half = g.index[g["test_accuracy"] >= 0.5]
        other = "circ_dev_hankel" if mr.task_direction(op) == "circulant" else "circ_dev_circulant"
        lines.append(
            f"| {op} | {g['train_error'].max():.3g} | {g.loc[0:5, 'test_accuracy'].max():.3f} | "
            f"{int(half[0]) if len(half) else '—'} | {s['t_99']:.0f} | {s['t_eps']:.0f} | "
            f"{g.loc[30, 'test_accuracy']:.4f} | {g.loc[1, 'circ_dev']:.3f} → {g.loc[30, 'circ_dev']:.4f} | "
            f"{g.loc[30, other]:.3f} | {g.loc[0, 'd_eff']:.0f} → {g.loc[30, 'd_eff']:.1f} | {wall:.0f} |")
    return "\n".join(lines)


def _variants_section() -> str:
    lines = [
        "### Variants, p = 61, addition (seed 0, 30 iterations)",
        "",
        "| variant | t_99 | test acc t = 30 | circ. dev t = 30 |",
        "| --- | --- | --- | --- |",
    ]
    for name, kw in (("uncentred gradients (centre=False)", {"centre": False}),
                     ("paper-text bandwidth exp(−d²/L)", {"bandwidth_scaling": "L"})):
        r = mr.run_rfm(61, "+", 0.5, n_iter=30, seed=0, progress=False, **kw)
        g = r.curves.set_index("t")
        s = r.summary.iloc[0]
        t99 = "—" if np.isnan(s["t_99"]) else f"{s['t_99']:.0f}"
        lines.append(f"| {name} | {t99} | {g.loc[30, 'test_accuracy']:.3f} | {g.loc[30, 'circ_dev']:.3f} |")
    lines += [
        "",
        "Random block-circulant features (`random_feature_baseline`, flat spectrum, 3 splits):",
        "",
        "| op | test acc, random block-circulant M | test acc, M = I |",
        "| --- | --- | --- |",
    ]
    for op in "+-*/":
        df = mr.random_feature_baseline(61, op, seed=0, n_runs=3)
        bc = df[df["features"] == "block_circulant"]["test_accuracy"]
        ident = df[df["features"] == "identity"]["test_accuracy"]
        lines.append(f"| {op} | {bc.min():.3f} – {bc.max():.3f} | {ident.min():.3f} – {ident.max():.3f} |")
    return "\n".join(lines)


def _nn_section() -> str:
    import torch

    torch.set_num_threads(1)
    lines = [
        "### Optional: one-hidden-layer quadratic network, p = 61",
        "",
        "`train_quadratic_network(61, op, 0.5, width=1024, batch_size=32, lr=1e-3, weight_decay=1.0, "
        "epochs=60, seed=0)` (AdamW, MSE, float32 training; CPU, 1 torch thread). Pearson "
        "correlation of the entries of `W₁ᵀW₁` and `√AGOP` of the network; circulant deviations of "
        "`W₁ᵀW₁` (discrete-log reordered for ×).",
        "",
        "| op | first epoch test error 0 (of evaluations every 5) | test error epoch 60 | corr(W₁ᵀW₁, √AGOP) "
        "| circ. dev circulant / Hankel | wall s |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for op in "+*":
        t0 = time.perf_counter()
        r = mr.train_quadratic_network(61, op, 0.5, epochs=60, eval_every=5, seed=0, progress=False)
        wall = time.perf_counter() - t0
        g = r.curves.set_index("t")
        s = r.summary.iloc[0]
        t_eps = "—" if np.isnan(s["t_eps"]) else f"{s['t_eps']:.0f}"
        lines.append(f"| {op} | {t_eps} | {g['test_error'].iloc[-1]:.4f} | {g['nfm_agop_corr'].iloc[-1]:.3f} | "
                     f"{g['circ_dev_circulant'].iloc[-1]:.3f} / {g['circ_dev_hankel'].iloc[-1]:.3f} | {wall:.0f} |")
    return "\n".join(lines)


def run() -> str:
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset (OpenBLAS default)")
    head = (f"BLAS threads: `OPENBLAS_NUM_THREADS={threads}`. The machine is shared; ratios are measured "
            "side by side in one process.\n\n")
    return head + "\n\n".join([_speed_section(), _acceptance_section(), _variants_section(), _nn_section()])


if __name__ == "__main__":
    print(run())

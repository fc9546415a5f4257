"""modular_rfm benchmark: one-hot vs dense-Jacobian gradient path, the p = 61
acceptance runs (Mallinar et al. 2024) for + − × ÷, plain vs enforced block-circulant
RFM, the random-feature recipes, the training-fraction phase diagram, the onsets of
the progress measures and the cost per iteration at p = 97 and 113 on CPU.

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


def _t(x: float) -> str:
    return "—" if not np.isfinite(x) else f"{x:.0f}"


def _t50(curves, run: int) -> float:
    g = curves[curves["run"] == run]
    idx = np.flatnonzero(g["test_accuracy"].to_numpy() >= 0.5)
    return float(g["t"].iloc[idx[0]]) if idx.size else float("nan")


def _enforce_section(p: int = 61, n_iter: int = 30, n_runs: int = 3) -> tuple[str, dict]:
    lines = [
        f"### Enforced block-circulant structure vs plain RFM, p = {p}",
        "",
        f"`run_rfm({p}, op, 0.5, n_iter={n_iter}, seed=0, n_runs={n_runs}, enforce=E)` with E = None (plain) "
        "and E = 'block_circulant' (every M_t, t ≥ 1, replaced by its orthogonal projection onto "
        "[[A, Cᵀ], [C, A]], `project_block_circulant`); the same three splits (split seeds "
        "`split_seeds(0, 3)`) for both. t_50 / t_99: first iteration with test accuracy ≥ 0.5 / ≥ 0.99 "
        "(— = not within the run). Per split, in split order.",
        "",
        "| op | t_50 plain | t_50 enforced | t_99 plain | t_99 enforced | final acc plain | final acc enforced "
        "| min eigenvalue of projected M / max (enforced, over t) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    plain = {}
    for op in "+-*/":
        res = {}
        for name, enf in (("plain", None), ("enforced", "block_circulant")):
            res[name] = mr.run_rfm(p, op, 0.5, n_iter=n_iter, seed=0, n_runs=n_runs, enforce=enf,
                                   progress=False, keep_history=name == "enforced")
        plain[op] = res["plain"]
        H = res["enforced"].features["M_history"]
        ratio = min(float(np.linalg.eigvalsh(M).min() / np.linalg.eigvalsh(M).max())
                    for h in H for M in h if np.all(np.isfinite(M)))
        cell = {k: (" / ".join(_t(_t50(r.curves, i)) for i in range(n_runs)),
                    " / ".join(_t(x) for x in r.summary["t_99"]),
                    " / ".join(f"{x:.3f}" for x in r.summary["final_test_accuracy"])) for k, r in res.items()}
        lines.append(f"| {op} | {cell['plain'][0]} | {cell['enforced'][0]} | {cell['plain'][1]} | "
                     f"{cell['enforced'][1]} | {cell['plain'][2]} | {cell['enforced'][2]} | {ratio:.2e} |")
    return "\n".join(lines), plain


def _onset_section(plain: dict) -> str:
    lines = [
        "### Which progress measures move before the test accuracy (plain runs above)",
        "",
        "`measure_onsets(curves_of_one_run, op, frac=0.1, t_ref=1)`: onset = first t ≥ 1 at which a measure "
        "has made 10 % of its change from t = 1 to the last iteration; share = fraction of its total change "
        "made by the accuracy's own onset. Median over the 12 plain runs (4 ops × 3 splits); "
        "`leads` = number of runs in which the measure's onset precedes the accuracy's.",
        "",
        "| measure | onset t (median, min–max) | share of change at accuracy onset (median, min–max) | leads |",
        "| --- | --- | --- | --- |",
    ]
    frames = []
    for op, r in plain.items():
        for run in sorted(r.curves["run"].unique()):
            frames.append(mr.measure_onsets(r.curves[r.curves["run"] == run], op))
    import pandas as pd

    df = pd.concat(frames)
    for name, g in df.groupby("measure", sort=False):
        on, sh = g["onset_t"], g["share_at_acc_onset"]
        lines.append(f"| {name} | {on.median():.0f} ({on.min():.0f}–{on.max():.0f}) | {sh.median():.2f} "
                     f"({sh.min():.2f}–{sh.max():.2f}) | {int(g['leads_accuracy'].sum())}/{len(g)} |")
    return "\n".join(lines)


def _recipe_section(p: int = 61, n_runs: int = 3) -> str:
    lines = [
        f"### Random block-circulant features: recipes, p = {p} (and p = 31)",
        "",
        f"`random_feature_baseline(p, op, 0.5, seed=0, n_runs={n_runs}, recipe=R)`: a plain ridgeless Gaussian "
        "kernel machine (L = 2.5) with fixed M, one feature draw per split (feature seeds "
        "`split_seeds(0, n, stream=1)`). Test accuracy per draw (M = I on the same p = 61 splits: 0.000 for + and −, section `rfm`).",
        "",
        "| p | op | paper (default) | flat | gaussian |",
        "| --- | --- | --- | --- | --- |",
    ]
    for pp, n in ((p, n_runs), (31, 8)):
        for op in "+-":
            cells = []
            for rec in mr.RECIPES:
                df = mr.random_feature_baseline(pp, op, seed=0, n_runs=n, recipe=rec)
                bc = df[df["features"] == "block_circulant"]["test_accuracy"]
                cells.append(" / ".join(f"{x:.3f}" for x in bc))
            lines.append(f"| {pp} | {op} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _phase_section(p: int = 61, fractions=(0.2, 0.3, 0.4, 0.5, 0.6), seeds=(0, 1, 2),
                   n_iter: int = 40) -> str:
    t0 = time.perf_counter()
    df = mr.phase_diagram(p, ["+"], fractions, seeds, n_iter=n_iter)
    wall = time.perf_counter() - t0
    summ = mr.summarise_phase(df)
    lines = [
        f"### Training-fraction phase diagram, p = {p}, addition",
        "",
        f"`phase_diagram({p}, ['+'], {list(fractions)}, {list(seeds)}, n_iter={n_iter})` then "
        f"`summarise_phase` ({wall:.0f} s in all). Per seed in seed order: final test accuracy (t = {n_iter}) "
        "and t_99 (— = never ≥ 0.99).",
        "",
        "| train frac | n_train | final acc per seed | t_99 per seed | reached 99 % | t_99 median |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for frac, g in df.groupby("train_frac"):
        s = summ[summ["train_frac"] == frac].iloc[0]
        lines.append(f"| {frac:g} | {int(g['n_train'].iloc[0])} | "
                     + " / ".join(f"{x:.3f}" for x in g["final_test_accuracy"]) + " | "
                     + " / ".join(_t(x) for x in g["t_99"]) + f" | {int(s['n_reached_99'])}/{int(s['n_runs'])} | "
                     f"{_t(s['t_99_median'])} |")
    return "\n".join(lines)


def _large_p_section(ps=(97, 113)) -> str:
    import torch

    from modular_rfm._torch_backend import TorchRFMStep

    torch.set_num_threads(1)
    kern = mr.Kernel()
    lines = [
        "### Cost per iteration at larger p, CPU",
        "",
        "One RFM iteration (fit, test predictions, one-hot AGOP, square root) from the M after one update, "
        "+ task, training fraction 0.5, one thread. numpy path (`device=None`, the default) and the float64 "
        "torch path on CPU (`device='cpu'`), best of 2, side by side; peak memory = `tracemalloc` peak of "
        "one numpy-path iteration (torch allocations are not traced, so no torch memory figure).",
        "",
        "| p | n_train | numpy s / iteration | torch-CPU s / iteration | torch ÷ numpy | numpy peak MiB / iteration |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for p in ps:
        ds = mr.make_dataset(p, "+", 0.5, seed=0)
        M = _iteration(ds, np.eye(2 * p), kern, "onehot")
        step = TorchRFMStep(ds, kern, ridge=0.0, centre=True, power=0.5, device="cpu",
                            chunk_bytes=mr.DEFAULT_CHUNK_BYTES)
        t_np = _time(lambda: _iteration(ds, M, kern, "onehot"), 2)
        t_th = _time(lambda: step.step(M, True), 2)
        peak = _peak_mib(lambda: _iteration(ds, M, kern, "onehot"))
        lines.append(f"| {p} | {ds.pairs_train.shape[0]} | {t_np:.2f} | {t_th:.2f} | {t_th / t_np:.2f} | "
                     f"{peak:.0f} |")
    return "\n".join(lines)


def _head() -> str:
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset (OpenBLAS default)")
    return (f"BLAS threads: `OPENBLAS_NUM_THREADS={threads}`. The machine is shared; ratios are measured "
            "side by side in one process.\n\n")


def run() -> str:
    """Gradient paths, acceptance runs, variants, the quadratic network (section ``rfm``)."""
    return _head() + "\n\n".join([_speed_section(), _acceptance_section(), _variants_section(), _nn_section()])


def run_studies() -> str:
    """Cost at p = 97/113, enforced vs plain, onsets, recipes, phase diagram (section ``rfm_studies``,
    ``python -m benchmarks.run rfm_studies``; see benchmarks/bench_rfm_studies.py)."""
    enforce, plain = _enforce_section()
    return _head() + "\n\n".join([_large_p_section(), enforce, _onset_section(plain), _recipe_section(),
                                    _phase_section()])


if __name__ == "__main__":
    print(run())

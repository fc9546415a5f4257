"""RFM at large ``p`` on an accelerator: a short check for ``benchmarks/device_check.sh``.

    python -m modular_rfm.device_check --device cuda --p 113 211 --n-iter 30 --out rfm_device.json

First the torch path on ``device`` is compared with the numpy path on a small problem
(p = 31, ``−``, 6 iterations: test accuracies equal, losses and AGOPs to 1e-9); then
``run_rfm(p, op, 0.5, n_iter=..., seed=0, device=device)`` runs for each ``p`` and the
grokking times, final accuracy, seconds per iteration and the peak device memory are
printed and written as JSON.  Exit code 1 if the comparison fails or a run diverges.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["large_p_check", "compare_backends", "main"]


def compare_backends(device: str, *, p: int = 31, op: str = "-", n_iter: int = 6) -> dict[str, Any]:
    """numpy path vs torch path on ``device``: ``{"same_accuracies", "max_loss_diff",
    "max_rel_agop_diff", "ok"}`` (the AGOP of the same ``M`` compared before the square root,
    which amplifies round-off on AGOP's null directions).

    Examples
    --------
    >>> from modular_rfm.device_check import compare_backends
    >>> compare_backends("cpu", p=7, n_iter=2)["ok"]
    True
    """
    from ._data import make_dataset
    from ._kernels import Kernel
    from ._trace import rfm_trace

    ds = make_dataset(p, op, 0.5, seed=0)
    kern = Kernel()
    a = rfm_trace(ds, kern, n_iter=n_iter)
    b = rfm_trace(ds, kern, n_iter=n_iter, device=device)
    same = [r["test_accuracy"] for r in a.records] == [r["test_accuracy"] for r in b.records]
    loss = max(abs(r["test_loss"] - s["test_loss"]) for r, s in zip(a.records, b.records))
    rel = 0.0
    for M in a.Ms[1:]:
        ga = rfm_trace(ds, kern, n_iter=1, M0=M, power=1.0).Ms[1]
        gb = rfm_trace(ds, kern, n_iter=1, M0=M, power=1.0, device=device).Ms[1]
        rel = max(rel, float(np.abs(ga - gb).max() / np.abs(ga).max()))
    return {"same_accuracies": bool(same), "max_loss_diff": float(loss), "max_rel_agop_diff": rel,
            "ok": bool(same and loss < 1e-9 and rel < 1e-9 and not a.diverged and not b.diverged)}


def large_p_check(ps: Sequence[int] = (113, 211), *, device: str = "cuda", op: str = "+",
                  n_iter: int = 30, seed: int = 0) -> list[dict[str, Any]]:
    """One ``run_rfm`` per ``p`` on ``device``; per ``p``: ``t_99``, ``t_50``, final test accuracy,
    median seconds per iteration, total wall seconds, peak device memory (GiB, CUDA only).

    Examples
    --------
    >>> from modular_rfm.device_check import large_p_check
    >>> large_p_check([7], device="cpu", n_iter=1)[0]["p"]
    7
    """
    import torch

    from ._rfm import run_rfm

    out = []
    for p in ps:
        cuda = torch.device(device).type == "cuda"
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        res = run_rfm(p, op, 0.5, n_iter=n_iter, seed=seed, device=device, progress=False)
        wall = time.perf_counter() - t0
        s = res.summary.iloc[0]
        acc = res.curves["test_accuracy"].to_numpy()
        half = np.flatnonzero(acc >= 0.5)
        out.append({
            "p": int(p), "op": op, "n_train": res.config["n_train"], "n_iter": n_iter, "device": device,
            "t_50": float(res.curves["t"].iloc[half[0]]) if half.size else None,
            "t_99": None if np.isnan(s["t_99"]) else float(s["t_99"]),
            "final_test_accuracy": float(s["final_test_accuracy"]), "diverged": bool(s["diverged"]),
            "s_per_iteration_median": float(res.curves["wall_time"].median()), "wall_s": wall,
            "peak_device_GiB": torch.cuda.max_memory_allocated() / 2**30 if cuda else None,
        })
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m modular_rfm.device_check", description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda", help="torch device (default cuda)")
    ap.add_argument("--p", type=int, nargs="+", default=[113, 211], help="prime moduli (default 113 211)")
    ap.add_argument("--op", default="+", help="operation (default +)")
    ap.add_argument("--n-iter", type=int, default=30, help="RFM iterations (default 30)")
    ap.add_argument("--out", default=None, help="write the results as JSON to this file")
    args = ap.parse_args(argv)
    cmp = compare_backends(args.device)
    print(f"numpy vs torch[{args.device}] (p=31, '-', 6 iterations): {cmp}", flush=True)
    rows = large_p_check(args.p, device=args.device, op=args.op, n_iter=args.n_iter)
    for r in rows:
        print(json.dumps(r), flush=True)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"compare": cmp, "runs": rows}, fh, indent=1)
    return 0 if cmp["ok"] and not any(r["diverged"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

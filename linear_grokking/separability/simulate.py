"""One call from (N, d, sigma, optimiser, clock, seeds) to per-run curves, separability and grokking times.

Sec. 3 data model of Beck, Levi & Bar-Sinai (2025) with this package's signs (:mod:`.geometry`):
``n_seeds`` training sets of N points ``N(shift e_1, sigma^2 I_d)``, logistic regression with a
bias trained by gradient flow on a log clock (``"gd"``) or Adam (``"adam"``) (:mod:`.dynamics`).
Per run: the curves, the exact LP flag "separable from the origin" (Prop. 3.2), the margin,
Prop. 3.2's limiting accuracy, ``t*_tr`` (train accuracy reaches 1) and ``t*_gen`` (test accuracy
reaches ``acc_level``; the paper's Fig. 3 uses 0.95), both interpolated in ``log t`` between
records, NaN when never reached on the clock.

Label fraction ``r`` (``label_fraction``, App. I; :func:`.geometry.sample_labels`): with
``r < 1`` a fraction ``1 - r`` of the training labels is ``-1``. The minimiser can then not send
``b -> inf`` with ``S`` finite (the ``-1`` points' loss would diverge), so a set generalises
perfectly (test accuracy -> 1) iff it has *no* ``-1`` point and is not separable from the origin
(Prop. 3.2 applied to the sets it covers): ``generalises = ~separable & (n_minority == 0)``, and
for the symmetric law ``P = r^N (1 - P_sep)`` (:func:`.theory.p_generalise_label_fraction`).
``a_gen`` (Prop. 3.2) is NaN for sets with a ``-1`` point.

Examples
--------
>>> out = simulate(12, 3, 1.0, n_seeds=4, t_max=1e6, n_points=16, seed=0)
>>> out["test_acc"].shape, out["separable"].dtype
((4, 17), dtype('bool'))
>>> bool(np.all(out["final_test_acc"][~out["separable"]] > 0.99))
True
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .dynamics import memory_bytes, train_logistic
from .geometry import is_separable, margin, sample_labels, sample_training_sets
from .theory import limiting_accuracy

__all__ = ["simulate", "first_crossing", "CURVES"]

CURVES = ("train_acc", "train_loss", "test_acc", "test_loss", "norm_S", "b")


def first_crossing(t: np.ndarray, y: np.ndarray, level: float) -> np.ndarray:
    """First time each row of ``y`` (R, P) reaches ``level``, linear in ``log t`` between records.

    ``t`` (P,) increasing, ``t[0]`` may be 0 (a crossing there returns 0). NaN when never reached.

    >>> first_crossing(np.array([0.0, 1.0, 100.0]), np.array([[0.0, 0.5, 1.0]]), 0.75)
    array([10.])
    """
    y = np.atleast_2d(np.asarray(y, dtype=float))
    t = np.asarray(t, dtype=float)
    out = np.full(y.shape[0], np.nan)
    hit = y >= level
    for r in np.flatnonzero(hit.any(1)):
        j = int(np.argmax(hit[r]))
        if j == 0 or t[j - 1] <= 0:
            out[r] = t[j]
            continue
        lo, hi = y[r, j - 1], y[r, j]
        frac = (level - lo) / (hi - lo) if hi > lo else 1.0
        out[r] = float(np.exp(np.log(t[j - 1]) + frac * (np.log(t[j]) - np.log(t[j - 1]))))
    return out


def _check(N: int, d: int, sigma: float, n_seeds: int, n_points: int, max_bytes: float,
           label_fraction: float = 1.0) -> None:
    if N < 1 or d < 1 or n_seeds < 1:
        raise ValueError(f"simulate: N, d and n_seeds must be >= 1, got N={N}, d={d}, n_seeds={n_seeds}")
    if not (sigma > 0 and np.isfinite(sigma)):
        raise ValueError(f"simulate: sigma must be finite and > 0, got {sigma}")
    if not 0 < label_fraction <= 1:
        raise ValueError(f"simulate: label_fraction must be in (0, 1], got {label_fraction}")
    need = memory_bytes(n_seeds, N, d, n_points)
    if need > max_bytes:
        raise ValueError(f"simulate: n_seeds={n_seeds} sets of N={N} x d={d} need ~{need / 1e9:.3g} GB > "
                         f"max_bytes={max_bytes / 1e9:.3g} GB; lower n_seeds, N or d, or raise max_bytes")


def simulate(N: int, d: int, sigma: float, *, optimizer: str = "gd", lr: float = 0.01, t_min: float = 1e-2,
             t_max: float = 1e8, n_points: int = 64, n_seeds: int = 16, shift: float = 0.0,
             acc_level: float = 0.95, label_fraction: float = 1.0, max_steps: int = 200_000, max_bytes: float = 2e9,
             keep_data: bool = False, seed: int, device: str = "cpu") -> dict[str, Any]:
    """Simulate ``n_seeds`` runs at ``lam = d/N`` (vectorised over runs); see the module docstring.

    Returns a dict: ``config`` (the arguments, ``lam``), ``t`` (P,), each of :data:`CURVES` (R, P),
    ``separable``, ``margin``, ``a_gen`` (Prop. 3.2), ``t_star_tr``, ``t_star_gen``,
    ``final_test_acc``, ``reached``, ``n_minority`` (``-1`` labels), ``generalises`` (R,), and ``X``
    (R, N, d), ``y`` (R, N) when ``keep_data``. Data, initialisation and labels use independent
    children of ``seed`` (the labels the third, drawn only when ``label_fraction < 1``, so
    ``label_fraction = 1`` reproduces the constant-label runs exactly).
    """
    _check(N, d, sigma, n_seeds, n_points, max_bytes, label_fraction)
    if max_steps < 1:
        raise ValueError(f"simulate: max_steps must be >= 1, got {max_steps}")
    if optimizer not in ("gd", "adam"):
        raise ValueError(f"simulate: optimizer must be 'gd' or 'adam', got {optimizer!r}")
    if not 0.5 < acc_level < 1:
        raise ValueError(f"simulate: acc_level must be in (0.5, 1), got {acc_level}")
    data_seed, init_seed, label_seed = (int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(3))
    X = sample_training_sets(N, d, n_seeds, sigma=sigma, shift=shift, seed=data_seed)
    y = sample_labels(N, n_seeds, label_fraction, seed=label_seed)
    run = train_logistic(X, optimizer=optimizer, sigma=sigma, shift=shift, t_max=t_max, t_min=t_min,
                         n_points=n_points, lr=lr, y=None if label_fraction == 1 else y, max_steps=max_steps,
                         seed=init_seed, device=device)
    n_minor = (y < 0).sum(1).astype(np.int64)
    t = run["t"][0]
    sep = np.array([is_separable(x) for x in X])
    marg = np.array([margin(x) if s else 0.0 for x, s in zip(X, sep)])
    out: dict[str, Any] = {
        "config": {"N": N, "d": d, "lam": d / N, "sigma": sigma, "optimizer": optimizer, "lr": lr, "t_min": t_min,
                   "t_max": t_max, "n_points": n_points, "n_seeds": n_seeds, "shift": shift,
                   "acc_level": acc_level, "label_fraction": label_fraction, "max_steps": max_steps, "seed": seed},
        "t": t, **{k: run[k] for k in CURVES},
        "separable": sep, "margin": marg, "n_minority": n_minor, "generalises": ~sep & (n_minor == 0),
        "a_gen": np.where(n_minor == 0, [limiting_accuracy(m, sigma) for m in marg], np.nan) if shift == 0
        else np.full(n_seeds, np.nan),
        "t_star_tr": first_crossing(t, run["train_acc"], 1.0 - 1e-12),
        "t_star_gen": first_crossing(t, run["test_acc"], acc_level),
        "final_test_acc": run["test_acc"][:, -1], "reached": run["reached"],
    }
    if keep_data:
        out["X"] = X
        out["y"] = y
    return out

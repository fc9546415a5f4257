r"""Empirical quantities computed by the simulators (paper sec. 4.3.1).

D_eff: with :math:`\sigma_k` the fraction of variance carried by the k-th principal
component (weighted, centred covariance), :math:`S = -\sum_k \sigma_k\log\sigma_k`
and :math:`D_\mathrm{eff} = e^S` (an entropy, not a participation ratio).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["effective_dimension", "detect_spikes"]


def effective_dimension(X: Any, weights: Any = None) -> NDArray[np.float64] | float:
    """D_eff = exp(entropy of the PCA variance fractions) of points ``X`` (..., P, n).

    ``weights`` (P,) are non-negative point weights (default uniform).  Returns
    NaN where the total variance is zero (D_eff undefined).
    """
    X = np.asarray(X, dtype=float)
    if X.ndim < 2:
        raise ValueError(f"X must have shape (..., P, n), got {X.shape}")
    P = X.shape[-2]
    w = np.full(P, 1.0 / P) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (P,) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("weights must be non-negative with shape (P,) and a positive sum")
    w = w / w.sum()
    mu = np.einsum("p,...pi->...i", w, X)
    C = np.einsum("p,...pi,...pj->...ij", w, X, X) - mu[..., :, None] * mu[..., None, :]
    lam = np.clip(np.linalg.eigvalsh(C), 0.0, None)
    tot = lam.sum(-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = lam / tot
        ent = -np.sum(np.where(s > 0, s * np.log(np.where(s > 0, s, 1.0)), 0.0), axis=-1)
    out = np.where(tot[..., 0] > 0, np.exp(ent), np.nan)
    return float(out) if out.ndim == 0 else out


def detect_spikes(loss: Any, *, factor: float = 10.0, window: int = 50, floor: float = 1e-4,
                  start: int = 0) -> list[tuple[int, int, int, float]]:
    """Loss spikes in per-step losses ``(R, T)``: steps where the loss exceeds ``factor`` times
    the median of the previous ``window`` steps (and ``floor``), merged into events.

    Returns ``(run, first_step, last_step, peak_ratio)`` per event.
    """
    L = np.asarray(loss, dtype=float)
    if L.ndim != 2:
        raise ValueError(f"loss must have shape (R, T), got {L.shape}")
    R, T = L.shape
    events: list[tuple[int, int, int, float]] = []
    if T <= window:
        return events
    from numpy.lib.stride_tricks import sliding_window_view
    med = np.median(sliding_window_view(L, window, axis=1)[:, :-1], axis=-1)  # median of steps s-window..s-1
    cur = L[:, window:]
    ratio = cur / np.maximum(med, floor)
    hit = (ratio > factor) & np.isfinite(cur) & (cur > floor)
    hit[:, : max(0, start - window)] = False
    for r in np.nonzero(hit.any(axis=1))[0]:
        idx = np.nonzero(hit[r])[0]
        splits = np.nonzero(np.diff(idx) > 1)[0] + 1
        for grp in np.split(idx, splits):
            events.append((int(r), int(grp[0] + window), int(grp[-1] + window), float(ratio[r, grp].max())))
    return events

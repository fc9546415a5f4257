"""Feature-space measurements of one run set: the composition of the feature estimators.

:func:`measure_features` reads the arrays a simulator stored (``test_features``
or ``train_features`` with labels and weights, ``w_final``, 2-d
``left_context``/``right_context``) and returns D_eff (pooled and within-class,
with bootstrap errors), ε, the margin exponent (Eq. 48) and ξ (the d = 2 angle
recipe). Nothing here predicts: a quantity that cannot be measured is absent,
with a note saying why.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .features import d_eff, epsilon_separation, margin_exponent
from .xi import xi_context

__all__ = ["measure_features"]


def _bootstrap_d_eff(X: np.ndarray, n_boot: int, rng: np.random.Generator,
                     w: np.ndarray | None = None) -> tuple[float, float]:
    val = d_eff(X, w)
    if n_boot <= 1 or X.shape[0] < 10:
        return val, 0.0
    m = min(X.shape[0], 20000)
    p = None if w is None else w / w.sum()
    boots = [d_eff(X[rng.choice(X.shape[0], m, p=p)]) for _ in range(n_boot)]
    return val, float(np.std(boots, ddof=1) * math.sqrt(m / X.shape[0]))


def _labels_for(features: dict[str, np.ndarray], n: int, prefer: str) -> np.ndarray | None:
    for key in (f"{prefer}_labels", "train_labels", "test_labels", "labels"):
        if key in features and np.asarray(features[key]).reshape(-1).shape[0] == n:
            return np.asarray(features[key]).reshape(-1)
    return None


def measure_features(f: dict[str, Any], rng: np.random.Generator, notes: list[str]) -> dict[str, Any]:
    """Every feature-space quantity the stored arrays allow (D_eff, ε, margin exponent, ξ).

    ``f`` is a run set's ``features`` dict; problems are appended to ``notes``.
    """
    out: dict[str, Any] = {}
    key = "test_features" if "test_features" in f else ("train_features" if "train_features" in f else None)
    if key is None:
        return out
    X = np.asarray(f[key], dtype=float)
    X = X.reshape(X.shape[0], -1)
    prefer = key.split("_")[0]
    out["features_used"] = key
    out["n_feature_samples"] = int(X.shape[0])
    sw = None
    if f"{prefer}_weights" in f and np.asarray(f[f"{prefer}_weights"]).reshape(-1).shape[0] == X.shape[0]:
        sw = np.asarray(f[f"{prefer}_weights"], dtype=float).reshape(-1)
        out["weights_used"] = f"{prefer}_weights"
    de, de_se = _bootstrap_d_eff(X, 30, rng, sw)
    out["d_eff"], out["d_eff_se"] = de, de_se
    y = _labels_for(f, X.shape[0], prefer)
    if y is not None and np.unique(y).size >= 2:
        # within-class D_eff: class means removed. Eq. 50's D is the dimension of a class
        # support near its boundary; the class separation would otherwise count as a dimension.
        Xc = X.copy()
        for c in np.unique(y):
            Xc[y == c] -= Xc[y == c].mean(axis=0)
        dw, dw_se = _bootstrap_d_eff(Xc, 30, rng, sw)
        out["d_eff_within"], out["d_eff_within_se"] = dw, dw_se
        out["d_eff_used"] = "d_eff_within"
        de = dw
    else:
        out["d_eff_used"] = "d_eff"
    out.update(_eps_and_margin(f, X, y, de, sw, rng, notes))
    out.update(_xi_from_contexts(f, prefer, notes))
    return out


def _eps_and_margin(f: dict[str, Any], X: np.ndarray, y: np.ndarray | None, de: float, sw: np.ndarray | None,
                    rng: np.random.Generator, notes: list[str]) -> dict[str, Any]:
    """ε (between class means, ball-calibrated) and the margin exponent (Eq. 48) along w_final."""
    out: dict[str, Any] = {}
    w = None
    if "w_final" in f:
        W = np.asarray(f["w_final"], dtype=float)
        W = W.reshape(-1, X.shape[1]) if W.size % X.shape[1] == 0 else None
        if W is not None:
            Wn = W / np.linalg.norm(W, axis=1, keepdims=True)
            w = Wn.mean(axis=0)
            out["w_final_spread"] = float(np.mean(np.linalg.norm(Wn - w, axis=1)))
    if y is not None and np.unique(y).size == 2:
        try:
            eps = epsilon_separation(X, y, direction=w, dim=de, weights=sw)
            out.update({k: v for k, v in eps.items() if k != "dim_used"})
        except ValueError as exc:
            notes.append(f"epsilon not estimated: {exc}")
        if w is not None:
            try:
                me = margin_exponent(X, y, w, n_boot=20, weights=sw, random_state=int(rng.integers(2**31)))
                out["nu_margin"], out["nu_margin_se"] = me.a, me.a_se
                out["xi_margin"] = (de + 1) / 2 - me.a
            except ValueError as exc:
                notes.append(f"margin exponent not estimated: {exc}")
    else:
        notes.append("no two-class labels matching the features: epsilon and the margin exponent skipped")
    return out


def _xi_from_contexts(f: dict[str, Any], prefer: str, notes: list[str]) -> dict[str, Any]:
    """ξ by the d = 2 angle recipe when 2-d left/right context vectors are stored."""
    out: dict[str, Any] = {}
    if "left_context" in f and "right_context" in f:
        L = np.asarray(f["left_context"], dtype=float)
        R = np.asarray(f["right_context"], dtype=float)
        if L.ndim == 2 and L.shape[1] == 2 and R.shape == L.shape:
            yl = _labels_for(f, L.shape[0], prefer)
            try:
                xc = xi_context(L, R, yl if yl is not None else np.zeros(L.shape[0]))
                out["xi"], out["xi_se"] = xc["xi"], xc["xi_se"]
                out["xi_per_class"] = xc["per_class"]
            except ValueError as exc:
                notes.append(f"xi (angle histogram) not estimated: {exc}")
        else:
            notes.append("context vectors are not 2-d: the d = 2 angle recipe for xi does not apply; "
                         "see xi_margin")
    return out

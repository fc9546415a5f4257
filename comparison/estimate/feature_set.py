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

from .context import xi_contexts
from .features import d_eff, epsilon_separation, margin_exponent

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
        out.update(_class_d_eff(X, y, sw, rng))
        out["d_eff_used"] = "d_eff_per_class"
        de = out["d_eff_per_class"]
    else:
        out["d_eff_used"] = "d_eff"
    out.update(_eps_and_margin(f, X, y, de, sw, rng, notes))
    out.update(_xi_from_contexts(f, prefer, notes))
    return out


def _class_d_eff(X: np.ndarray, y: np.ndarray, sw: np.ndarray | None,
                 rng: np.random.Generator) -> dict[str, Any]:
    """D_eff within classes (class means removed, pooled) and per class (each class's support
    separately, averaged with the class masses). Eq. 50's D is the dimension of ONE class's
    support near its boundary (the ball of the theory), so per class enters ν_pred."""
    out: dict[str, Any] = {}
    Xc = X.copy()
    classes = np.unique(y)
    for c in classes:
        Xc[y == c] -= Xc[y == c].mean(axis=0)
    out["d_eff_within"], out["d_eff_within_se"] = _bootstrap_d_eff(Xc, 30, rng, sw)
    w = np.ones(len(y)) if sw is None else sw
    vals, ses, mass = [], [], []
    for c in classes:
        m = y == c
        v, se = _bootstrap_d_eff(X[m], 30, rng, None if sw is None else sw[m])
        vals.append(v)
        ses.append(se)
        mass.append(float(w[m].sum()))
    mass_a = np.asarray(mass) / np.sum(mass)
    out["d_eff_per_class"] = float(np.dot(mass_a, vals))
    out["d_eff_per_class_se"] = float(np.sqrt(np.sum((mass_a * np.asarray(ses)) ** 2)))
    out["d_eff_by_class"] = {str(c): float(v) for c, v in zip(classes, vals)}
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
    """ξ by the d = 2 angle recipe on the bulk (stationary) context sample, with a bootstrap CI
    over inputs. Training contexts alone are never used: a few dozen positions hold only a
    handful of distinct angles, far too few for an edge fit (issue 10)."""
    out: dict[str, Any] = {}
    if "bulk_left_context" in f and "bulk_right_context" in f and "bulk_labels" in f:
        L = np.asarray(f["bulk_left_context"], dtype=float)
        R = np.asarray(f["bulk_right_context"], dtype=float)
        if L.ndim == 2 and L.shape[1] == 2 and R.shape == L.shape:
            try:
                xc = xi_contexts(L, R, np.asarray(f["bulk_labels"]).reshape(-1),
                                 groups=np.asarray(f["bulk_groups"]).reshape(-1) if "bulk_groups" in f else None,
                                 n_boot=100, seed=0)
            except ValueError as exc:
                notes.append(f"xi (angle recipe, bulk contexts) not estimated: {exc}")
                return out
            lo, hi = xc["xi_ci"]
            out.update(xi=float(xc["xi"]), xi_ci=[float(lo), float(hi)], xi_se=float((hi - lo) / (2 * 1.959964)),
                       xi_source="angle recipe on bulk contexts (percentile bootstrap over inputs)",
                       xi_class=xc["class"])
        else:
            notes.append("bulk context vectors are not 2-d: the d = 2 angle recipe for xi does not apply; "
                         "see xi_margin")
    elif "left_context" in f and "right_context" in f:
        notes.append("xi not measured: only the training positions' contexts are stored (too few distinct "
                     "angles for the edge fit); re-simulate with a grokcheck that exports bulk contexts")
    return out

r"""Estimators on feature distributions: D_eff, ξ, ε and the spectrum of G.

These are the "empirical quantities" of the paper's sec. 4.3.1 that enter the
prediction ν = (D_eff + 1)/2 − ξ (Eq. 50 with D → D_eff).

* :func:`d_eff` — exp of the entropy of the PCA variance fractions.
* ξ by the paper's d = 2 angle recipe: :mod:`comparison.estimate.xi`.
* :func:`margin_exponent` — a recipe for any feature dimension: the mass of
  features within distance δ of the class-support edge measured along the
  classifier's normal, M(δ) ∝ δ^a. By Eq. 48 the test error near the transition
  is this mass at δ ∝ (t_ε − t), so a is a direct prediction of ν; the implied
  ξ is (D_eff + 1)/2 − a.
* :func:`epsilon_separation` — the class separation in units of the class
  spread (the paper gives no estimator; ours is ball-calibrated).
* :func:`split_spectrum` — the largest gap of G's eigenvalues on a log scale.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "d_eff",
    "MarginExponent",
    "margin_exponent",
    "epsilon_separation",
    "SpectrumSplit",
    "split_spectrum",
]


def _as_2d(name: str, X: ArrayLike) -> NDArray[np.float64]:
    A = np.asarray(X, dtype=float)
    if A.ndim == 1:
        A = A[:, None]
    if A.ndim != 2:
        raise ValueError(f"{name} must be a 2-d array (n_samples, n_features), got shape {A.shape}")
    if A.shape[0] < 2:
        raise ValueError(f"{name} needs at least 2 samples, got {A.shape[0]}")
    if not np.all(np.isfinite(A)):
        raise ValueError(f"{name} must be finite (it contains NaN or inf)")
    return A


def check_weights(name: str, w: ArrayLike | None, n: int) -> NDArray[np.float64] | None:
    """Validate optional sample weights (probability weights, e.g. of de-duplicated
    test points); returns them normalised to sum 1, or None."""
    if w is None:
        return None
    a = np.asarray(w, dtype=float).reshape(-1)
    if a.shape[0] != n:
        raise ValueError(f"{name} must have one entry per sample ({n}), got {a.shape[0]}")
    if not np.all(np.isfinite(a)) or np.any(a < 0) or a.sum() <= 0:
        raise ValueError(f"{name} must be finite, >= 0 and not all zero")
    return a / a.sum()


# ------------------------------------------------------------------------ D_eff
def d_eff(X: ArrayLike, weights: ArrayLike | None = None) -> float:
    r"""Effective dimension (paper sec. 4.3.1): with σ_k the fraction of variance
    explained by the k-th principal component, S = −Σ σ_k log σ_k and
    D_eff = e^S. It is 1 for data on a line and D for isotropic data in R^D.
    ``X`` is ``(n_samples, n_features)``; the (weighted) mean is removed.
    ``weights``: optional probability weights of the rows.
    """
    A = _as_2d("X", X)
    w = check_weights("weights", weights, A.shape[0])
    if w is None:
        A = A - A.mean(axis=0)
    else:
        A = (A - w @ A) * np.sqrt(w)[:, None]
    s = np.linalg.svd(A, compute_uv=False)
    var = s ** 2
    tot = var.sum()
    if tot <= 0:
        raise ValueError("X has zero variance; D_eff is undefined")
    p = var / tot
    p = p[p > 0]
    return float(np.exp(-np.sum(p * np.log(p))))


# ------------------------------------------------------------------------ xi (d = 2)
@dataclass
class MarginExponent:
    """``M(δ) ∝ δ^a`` for the mass within δ of the support edge along ``direction``.

    ``a`` predicts ν directly (Eq. 48); ``a_se`` its bootstrap standard error;
    ``k`` the number of edge samples used; ``edge`` the fitted edge position;
    ``curve`` (δ, M) of the fitted class for plotting.
    """

    a: float
    a_se: float
    k: int
    edge: float
    curve: tuple[NDArray[np.float64], NDArray[np.float64]]


def _edge_power_fit(m_sorted: NDArray[np.float64], F_sorted: NDArray[np.float64], frac: float,
                    k_min: int) -> tuple[float, float]:
    """Fit F(m) = c (m − m0)^a to the empirical CDF ``F_sorted`` (at the sorted
    sample ``m_sorted``) over 40 log-spaced CDF levels from the ``k_min``-th point
    to ``frac``, the edge m0 ≤ min(m) profiled out (least squares in log F).
    Returns (a, m0)."""
    from scipy.optimize import minimize_scalar

    lo_level = F_sorted[min(k_min, F_sorted.size) - 1]
    levels = np.geomspace(lo_level, max(frac, lo_level * 10), 40)
    idx = np.unique(np.clip(np.searchsorted(F_sorted, levels), 0, F_sorted.size - 1))
    F = np.log(F_sorted[idx])
    x = m_sorted[idx]
    span = float(x[-1] - m_sorted[0])
    if span <= 0 or idx.size < 5:
        raise ValueError("the lowest margins are (nearly) all equal; the edge exponent is undefined")

    def fit(log_s: float) -> tuple[float, float]:
        d = np.log(x - (m_sorted[0] - np.exp(log_s) * span))
        dm = d - d.mean()
        a = float(np.sum(dm * (F - F.mean())) / np.sum(dm * dm))
        r = F - F.mean() - a * dm
        return float(np.sum(r * r)), a

    res = minimize_scalar(lambda ls: fit(ls)[0], bounds=(np.log(1e-7), 0.0), method="bounded",
                          options={"xatol": 1e-4})
    return fit(float(res.x))[1], float(m_sorted[0] - np.exp(res.x) * span)


def _ecdf(m: NDArray[np.float64], w: NDArray[np.float64] | None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    order = np.argsort(m, kind="mergesort")
    ms = m[order]
    if w is None:
        return ms, (np.arange(1, ms.size + 1) - 0.5) / ms.size
    ws = w[order] / w.sum()
    return ms, np.cumsum(ws) - 0.5 * ws


def margin_exponent(features: ArrayLike, labels: ArrayLike, direction: ArrayLike, *,
                    frac: float = 0.05, k_min: int = 5, n_boot: int = 40, per_class: str = "min",
                    weights: ArrayLike | None = None, random_state: int = 0) -> MarginExponent:
    r"""Exponent of the mass of features near the classifier's plane, any dimension.

    The signed margins m_i = y_i (z_i · ŵ) of the features along the
    classifier's unit normal ŵ (e.g. the final weights) have a lower support
    edge m0 — where the plane sits at the transition. The mass within δ of that
    edge behaves as M(δ) ∝ δ^a. For the uniform D-ball a = (D+1)/2; with a
    boundary density diverging like δ^{−ξ}, a = (D+1)/2 − ξ (Eqs. 48-50): a is a
    direct prediction of ν, for any feature dimension.

    Estimator: least-squares fit of log F = log c + a log(m − m0) to the
    empirical CDF at 40 log-spaced ranks from ``k_min`` to ``frac`` × n, the
    edge m0 (≤ the smallest margin) profiled out; ``a_se`` from ``n_boot``
    bootstrap resamples. In high dimension the pure power law holds only very
    close to the edge, so expect a downward bias of order 10 % at D ≈ 10 with
    10⁵ samples (see docs/comparison.md).

    ``labels`` take two values (the larger is the positive class). Each class
    is fitted separately; ``per_class="min"`` reports the smaller exponent (the
    class whose edge controls the approach of the error). ``weights``: optional
    probability weights of the rows (weighted CDF; the bootstrap resamples rows
    with these probabilities).
    """
    Z = _as_2d("features", features)
    y = np.asarray(labels)
    w = np.asarray(direction, dtype=float).reshape(-1)
    if y.shape[0] != Z.shape[0]:
        raise ValueError("labels must have one entry per feature row")
    if w.size != Z.shape[1]:
        raise ValueError(f"direction must have {Z.shape[1]} components, got {w.size}")
    nw = np.linalg.norm(w)
    if not np.isfinite(nw) or nw == 0:
        raise ValueError("direction must be a finite non-zero vector")
    if not (0 < frac <= 1):
        raise ValueError(f"frac must be in (0, 1], got {frac!r}")
    if per_class not in ("min", "max"):
        raise ValueError(f"per_class must be 'min' or 'max', got {per_class!r}")
    classes = np.unique(y)
    if classes.size != 2:
        raise ValueError(f"labels must hold exactly two classes, got {classes.size}")
    sw = check_weights("weights", weights, Z.shape[0])
    sign = np.where(y == classes.max(), 1.0, -1.0)
    m = sign * (Z @ (w / nw))
    rng = np.random.default_rng(random_state)
    results = []
    for c in (-1.0, 1.0):
        sel = sign == c
        mw = None if sw is None else sw[sel]
        if mw is not None and mw.sum() <= 0:
            continue
        ms, F = _ecdf(m[sel], mw)
        k = int(np.sum(F <= frac))
        if k < k_min + 20:
            continue
        a, m0 = _edge_power_fit(ms, F, frac, k_min)
        p = None if mw is None else mw / mw.sum()
        boots = []
        for _ in range(int(n_boot)):
            mb = rng.choice(ms if p is None else m[sel], size=ms.size, replace=True, p=p)
            try:
                boots.append(_edge_power_fit(*_ecdf(mb, None), frac, k_min)[0])
            except ValueError:
                continue
        se = float(np.std(boots, ddof=1)) if len(boots) > 1 else float("nan")
        results.append(MarginExponent(a=a, a_se=se, k=k, edge=m0, curve=(ms - m0, F)))
    if not results:
        raise ValueError(f"too few margins for the edge fit: each class needs frac*n >= {k_min + 20}")
    return (min if per_class == "min" else max)(results, key=lambda r: r.a)


# ------------------------------------------------------------------------ epsilon
def epsilon_separation(features: ArrayLike, labels: ArrayLike, direction: ArrayLike | None = None,
                       *, dim: float | None = None, weights: ArrayLike | None = None) -> dict[str, float]:
    r"""Class separation ε "in units of the intra-class spread" (sec. 4.3.1).

    With ŵ the unit direction (default: the difference of the class means),
    Δ = (μ₊ − μ₋)·ŵ / 2 the half distance of the class means along ŵ and
    σ_w the pooled within-class standard deviation along ŵ:

    * ``eps`` (primary, ball-calibrated): Δ / (√(D+2) σ_w) with D = ``dim`` or
      the D_eff of the pooled within-class features. For two uniform unit
      D-balls at ±ε e₁ the within-class std along any direction is 1/√(D+2),
      so this returns the ball model's ε (Sec. 3.3).
    * ``eps_std``: Δ / σ_w, the plain signal-to-noise ratio.
    * ``eps_support``: Δ / (half-width of the projected class supports),
      i.e. ε in units of the support radius (1 for touching supports).

    ``weights``: optional probability weights of the rows; each class is
    normalised separately and σ_w² is the mean of the two class variances.
    """
    Z = _as_2d("features", features)
    y = np.asarray(labels)
    classes = np.unique(y)
    if classes.size != 2:
        raise ValueError(f"labels must hold exactly two classes, got {classes.size}")
    sw_all = check_weights("weights", weights, Z.shape[0])
    if sw_all is None:
        sw_all = np.full(Z.shape[0], 1.0 / Z.shape[0])
    ip, ineg = y == classes.max(), y == classes.min()
    pos, neg = Z[ip], Z[ineg]
    wp, wn = sw_all[ip], sw_all[ineg]
    if pos.shape[0] < 2 or neg.shape[0] < 2 or wp.sum() <= 0 or wn.sum() <= 0:
        raise ValueError("each class needs at least 2 samples with positive weight")
    wp, wn = wp / wp.sum(), wn / wn.sum()
    mu_p, mu_n = wp @ pos, wn @ neg
    w = (mu_p - mu_n) if direction is None else np.asarray(direction, dtype=float).reshape(-1)
    nw = np.linalg.norm(w)
    if w.size != Z.shape[1] or not np.isfinite(nw) or nw == 0:
        raise ValueError("direction must be a finite non-zero vector of the feature dimension")
    w = w / nw
    delta = float((mu_p - mu_n) @ w / 2)
    pp, pn = (pos - mu_p) @ w, (neg - mu_n) @ w
    sw = float(np.sqrt(0.5 * (wp @ pp ** 2 + wn @ pn ** 2)))
    halfwidth = float(max(np.max(np.abs(pp[wp > 0])), np.max(np.abs(pn[wn > 0]))))
    D = float(dim) if dim is not None else d_eff(np.vstack([pos - mu_p, neg - mu_n]),
                                                 np.concatenate([wp, wn]))
    if sw <= 0:
        raise ValueError("features have zero within-class spread along the direction")
    return {"eps": float(delta / (np.sqrt(D + 2) * sw)), "eps_std": float(delta / sw),
            "eps_support": float(delta / halfwidth), "dim_used": float(D)}


# ------------------------------------------------------------------------ spectrum of G
@dataclass
class SpectrumSplit:
    """Eigenvalues of G split at their largest gap on a log scale.

    ``slow`` / ``fast`` the two groups, ``ratio`` = min(fast)/max(slow),
    ``split`` True if the ratio is at least ``threshold`` (10: "an order of
    magnitude apart", sec. 4.3.1); ``zero`` the eigenvalues ≤ ``zero_tol`` × max.
    """

    slow: NDArray[np.float64]
    fast: NDArray[np.float64]
    zero: NDArray[np.float64]
    ratio: float
    split: bool
    threshold: float


def split_spectrum(eigenvalues: ArrayLike, *, threshold: float = 10.0, zero_tol: float = 1e-10) -> SpectrumSplit:
    """Split G's eigenvalues into a slow and a fast group at the largest log-gap.

    A 2-d input (one spectrum per run) is flattened and pooled."""
    lam = np.asarray(eigenvalues, dtype=float).reshape(-1)
    if lam.size < 2:
        raise ValueError(f"need at least 2 eigenvalues, got {lam.size}")
    if not np.all(np.isfinite(lam)):
        raise ValueError("eigenvalues must be finite")
    if not threshold > 1:
        raise ValueError(f"threshold must be > 1, got {threshold!r}")
    top = np.max(np.abs(lam))
    if top <= 0:
        raise ValueError("all eigenvalues are zero")
    zero = lam <= zero_tol * top
    pos = np.sort(lam[~zero])
    if pos.size < 2:
        return SpectrumSplit(slow=pos, fast=np.empty(0), zero=np.sort(lam[zero]), ratio=float("nan"),
                             split=False, threshold=threshold)
    g = np.diff(np.log(pos))
    k = int(np.argmax(g))
    ratio = float(pos[k + 1] / pos[k])
    return SpectrumSplit(slow=pos[: k + 1], fast=pos[k + 1:], zero=np.sort(lam[zero]), ratio=ratio,
                         split=ratio >= threshold, threshold=threshold)

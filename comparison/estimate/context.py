r"""Estimators on the scenario-B context/feature distributions (paper sec. 4.3.1), numpy only.

Part of :mod:`comparison.estimate` (numpy/scipy only).

* :func:`xi_angles` / :func:`xi_contexts` -- ξ by the angle recipe: weighted histograms of
  the d = 2 context angles per side and class; the density of the bin at each edge of the
  support grows like ``n_bins^ξ`` (10²…10⁵ bins) for a boundary density ρ ∝ δ^{−ξ}; both
  edges per side, ξ = max over classes of (ξ_left + ξ_right) with ξ_side the larger edge;
  percentile bootstrap CI over inputs (groups resampled within strata, jointly for all
  classes and sides).
* :func:`d_eff` / :func:`d_eff_variants` -- D_eff = exp(entropy of the PCA variance
  fractions): pooled (literal), within-class (class means removed, pooled), per class
  (each class separately, averaged with the class masses).
* :func:`eps_readings` -- class-separation readings side by side ("no estimator in the paper").
* :func:`wilson_ci` -- binomial confidence interval.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

from .features import check_weights, d_eff

__all__ = ["cut_angles", "xi_angles", "xi_contexts", "d_eff", "d_eff_variants", "eps_readings", "wilson_ci",
           "DEFAULT_N_BINS"]

#: 13 log-spaced bin numbers 10² … 10⁵ (the paper's range).
DEFAULT_N_BINS = np.unique(np.round(np.geomspace(100, 100_000, 13)).astype(int))


def _weights(w: ArrayLike | None, n: int, name: str = "weights") -> NDArray[np.float64]:
    """Probability weights (uniform when None), checked by :func:`check_weights`."""
    a = check_weights(name, w, n)
    return np.full(n, 1.0 / n) if a is None else a


def cut_angles(vectors: ArrayLike) -> NDArray[np.float64]:
    """Angles (n,) or 2-vectors (n, 2) → angles in [0, 2π) measured from the start of the support,
    the circle being cut at its largest empty gap (so the support is one interval)."""
    V = np.asarray(vectors, dtype=float)
    if V.ndim == 2 and V.shape[1] == 2:
        th = np.arctan2(V[:, 1], V[:, 0])
    elif V.ndim == 1:
        th = V
    else:
        raise ValueError(f"vectors must be angles (n,) or 2-vectors (n, 2), got shape {V.shape}")
    if th.size < 2 or not np.all(np.isfinite(th)):
        raise ValueError("vectors must hold at least 2 finite samples")
    th = np.mod(th, 2 * np.pi)
    s = np.sort(th)
    k = int(np.argmax(np.diff(np.concatenate([s, [s[0] + 2 * np.pi]]))))
    return np.mod(th - s[(k + 1) % s.size], 2 * np.pi)


def _edge_slopes(th: NDArray[np.float64], w: NDArray[np.float64], m: NDArray[np.float64],
                 nb: NDArray[np.int64], min_count: int) -> dict[str, dict[str, Any]]:
    """Edge-bin densities and their log-log slope for both edges. ``th`` sorted; ``w`` weights,
    ``m`` bootstrap multiplicities (ones for the estimate)."""
    on = m > 0
    lo, hi = th[on][0], th[on][-1]
    L = hi - lo
    wm = w * m
    W = wm.sum()
    out = {}
    for side, dist in (("low", th - lo), ("high", (hi - th)[::-1])):
        ww = wm if side == "low" else wm[::-1]
        mm = m if side == "low" else m[::-1]
        cw, cm = np.cumsum(ww), np.cumsum(mm)
        at0 = int(np.searchsorted(dist, 0.0, side="right"))  # the edge sample(s): distance 0, dropped
        k = np.searchsorted(dist, L / nb, side="right") - 1
        mass = cw[k] - cw[at0 - 1]
        count = cm[k] - cm[at0 - 1]
        dens = mass / W / (L / nb)
        use = (count >= min_count) & (mass > 0)
        xi = float("nan")
        if use.sum() >= 3:
            xi = float(np.polyfit(np.log(nb[use]), np.log(dens[use]), 1)[0])
        out[side] = {"xi": xi, "n_bins": nb, "density": dens, "count": count, "used": use}
    return out


def _prep(vectors: ArrayLike, weights: ArrayLike | None, groups: ArrayLike | None
          ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    th = cut_angles(vectors)
    w = _weights(weights, th.size)
    g = np.arange(th.size) if groups is None else np.asarray(groups, dtype=np.int64).reshape(-1)
    if g.size != th.size:
        raise ValueError("groups must have one entry per sample")
    o = np.argsort(th, kind="mergesort")
    return th[o], w[o], g[o]


def _boot_mults(groups: NDArray[np.int64], strata: NDArray[np.int64] | None, n_boot: int,
                rng: np.random.Generator) -> NDArray[np.float64]:
    """(n_boot, n_groups) multiplicities: groups resampled with replacement within each stratum."""
    ug, inv = np.unique(groups, return_inverse=True)
    st = np.zeros(ug.size, np.int64)
    if strata is not None:
        st[inv] = np.asarray(strata).reshape(-1)
    M = np.zeros((n_boot, ug.size))
    for s in np.unique(st):
        idx = np.nonzero(st == s)[0]
        draws = rng.integers(0, idx.size, size=(n_boot, idx.size))
        for b in range(n_boot):
            M[b, idx] += np.bincount(draws[b], minlength=idx.size)
    return M


def _ci(samples: NDArray[np.float64], level: float) -> list[float]:
    s = samples[np.isfinite(samples)]
    if s.size < 0.9 * samples.size or s.size < 10:
        return [float("nan"), float("nan")]
    a = (1 - level) / 2
    return [float(np.quantile(s, a)), float(np.quantile(s, 1 - a))]


def xi_angles(vectors: ArrayLike, weights: ArrayLike | None = None, *, n_bins: ArrayLike | None = None,
              min_count: int = 10, groups: ArrayLike | None = None, strata: ArrayLike | None = None,
              n_boot: int = 200, level: float = 0.95, seed: int = 0) -> dict[str, Any]:
    r"""Edge exponents of one angle sample (paper sec. 4.3.1, the d = 2 recipe).

    For each number of bins b (default :data:`DEFAULT_N_BINS`) the weighted density of the
    outermost bin [edge, edge + L/b] (L = support width, the extreme sample itself dropped) is
    recorded; for ρ(δ) ∝ δ^{−ξ} it grows as b^ξ, so ξ is the least-squares slope of
    log density on log b over the b whose edge bin holds ≥ ``min_count`` samples.  Returns
    ``{"low": {...}, "high": {...}, "xi", "xi_ci"}`` (ξ = the larger edge) with each edge's
    ``xi``, ``xi_ci`` (percentile bootstrap over ``groups``, default: samples), ``n_bins``,
    ``density``, ``count``.

    Examples
    --------
    >>> import numpy as np
    >>> u = np.random.default_rng(0).random(20000)
    >>> r = xi_angles(0.5 * u ** (1 / 0.5), n_boot=20)   # density ∝ δ^{-0.5} at the low edge
    >>> abs(r["low"]["xi"] - 0.5) < 0.1
    True
    """
    res = xi_contexts(vectors, vectors, np.zeros(np.asarray(vectors).shape[0], int), weights, n_bins=n_bins,
                      min_count=min_count, groups=groups, strata=strata, n_boot=n_boot, level=level, seed=seed)
    side = res["per_class"]["0"]["left"]
    return side


def xi_contexts(left: ArrayLike, right: ArrayLike, labels: ArrayLike, weights: ArrayLike | None = None, *,
                exclude: ArrayLike | None = None, n_bins: ArrayLike | None = None, min_count: int = 10,
                groups: ArrayLike | None = None, strata: ArrayLike | None = None, n_boot: int = 200,
                level: float = 0.95, seed: int = 0) -> dict[str, Any]:
    """ξ of d = 2 context vectors: per class c, ξ(c) = max-edge ξ_left + max-edge ξ_right; the
    reported ``xi`` is max_c ξ(c) (paper sec. 4.3.1), ``xi_ci`` its percentile bootstrap CI
    (inputs resampled jointly for all classes and sides).  ``exclude``: mask of samples left
    out (e.g. the boundary lump).  ``per_class[c][side][edge]`` holds each edge's fit.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> a = np.concatenate([0.5 * rng.random(20000) ** 2, 1 - 0.5 * rng.random(20000)])
    >>> r = xi_contexts(a, a, np.zeros(a.size), n_boot=20)
    >>> abs(r["xi"] - 1.0) < 0.2   # 0.5 per side (low edge), summed
    True
    """
    y = np.asarray(labels).reshape(-1)
    n = y.size
    keep = np.ones(n, bool) if exclude is None else ~np.asarray(exclude, bool).reshape(-1)
    w_all = _weights(weights, n)
    g_all = np.arange(n) if groups is None else np.asarray(groups, dtype=np.int64).reshape(-1)
    nb = DEFAULT_N_BINS if n_bins is None else np.unique(np.asarray(n_bins, dtype=int))
    if nb.size < 3 or nb.min() < 2:
        raise ValueError("n_bins must hold at least 3 distinct values >= 2")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    ug, ginv = np.unique(g_all, return_inverse=True)
    st_g = None
    if strata is not None:
        st_g = np.zeros(ug.size, np.int64)
        st_g[ginv] = np.asarray(strata, dtype=np.int64).reshape(-1)
    rng = np.random.default_rng(seed)
    mults = _boot_mults(np.arange(ug.size), st_g, int(n_boot), rng) if n_boot > 0 else np.zeros((0, ug.size))
    per_class: dict[str, Any] = {}
    boot_tot = np.full((mults.shape[0], 0), np.nan)
    for c in np.unique(y[keep]):
        sel = keep & (y == c)
        if sel.sum() < 10 * min_count:
            raise ValueError(f"class {c} has {int(sel.sum())} samples; the edge fit needs >= {10 * min_count}")
        entry: dict[str, Any] = {}
        boot_c = np.zeros(mults.shape[0])
        for side, V in (("left", left), ("right", right)):
            th, w, gi = _prep(np.asarray(V, float)[sel], w_all[sel], ginv[sel])
            est = _edge_slopes(th, w, np.ones_like(w), nb, min_count)
            bs = np.array([[e["xi"] for e in _edge_slopes(th, w, mb[gi], nb, min_count).values()]
                           for mb in mults]).reshape(-1, 2)
            for j, edge in enumerate(("low", "high")):
                est[edge]["xi_ci"] = _ci(bs[:, j], level)
            # an edge without enough samples for the fit is left out of the max (``n_edges_fitted``)
            xs = np.array([est["low"]["xi"], est["high"]["xi"]])
            est["xi"] = float(np.max(xs[np.isfinite(xs)])) if np.isfinite(xs).any() else float("nan")
            est["n_edges_fitted"] = int(np.isfinite(xs).sum())
            with np.errstate(invalid="ignore"):
                bmax = np.where(np.isfinite(bs).any(axis=1), np.nanmax(np.where(np.isfinite(bs), bs, -np.inf), axis=1),
                                np.nan) if bs.size else np.zeros(0)
            est["xi_ci"] = _ci(bmax, level) if bs.size else [float("nan")] * 2
            entry[side] = est
            boot_c = boot_c + bmax if bs.size else boot_c
        entry["xi"] = entry["left"]["xi"] + entry["right"]["xi"]
        entry["xi_ci"] = _ci(boot_c, level)
        per_class[str(c)] = entry
        boot_tot = np.column_stack([boot_tot, boot_c])
    top = max(per_class, key=lambda k: per_class[k]["xi"])
    boot_max = np.max(boot_tot, axis=1) if boot_tot.size else np.zeros(0)
    return {"xi": per_class[top]["xi"], "xi_ci": _ci(boot_max, level), "class": top, "per_class": per_class,
            "n_boot": int(n_boot), "level": level, "seed": int(seed), "n_excluded": int((~keep).sum())}


# ------------------------------------------------------------------------ D_eff
def d_eff_variants(Z: ArrayLike, labels: ArrayLike, weights: ArrayLike | None = None) -> dict[str, Any]:
    """D_eff three ways: ``pooled`` (all features, the literal definition), ``within`` (each class's
    weighted mean removed, then pooled), ``per_class`` (D_eff of each class, averaged with the
    class masses; ``per_class_values``/``class_mass`` give the parts).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> Z = np.vstack([rng.standard_normal((5000, 2)) * [1, 1] + 5, rng.standard_normal((5000, 2)) * [1, 0.01]])
    >>> v = d_eff_variants(Z, np.repeat([1, -1], 5000))
    >>> round(v["per_class"], 1)
    1.5
    """
    Z = np.asarray(Z, dtype=float)
    y = np.asarray(labels).reshape(-1)
    if Z.ndim != 2 or Z.shape[0] != y.size:
        raise ValueError("Z must be (n, D) with one label per row")
    w = _weights(weights, y.size)
    within = Z.copy()
    vals, mass = {}, {}
    for c in np.unique(y):
        m = y == c
        wc = w[m] / w[m].sum()
        within[m] -= wc @ Z[m]
        vals[str(c)] = d_eff(Z[m], wc)
        mass[str(c)] = float(w[m].sum())
    return {"pooled": d_eff(Z, w), "within": d_eff(within, w),
            "per_class": float(sum(vals[k] * mass[k] for k in vals)), "per_class_values": vals, "class_mass": mass}


# ------------------------------------------------------------------------ epsilon
def eps_readings(Z: ArrayLike, labels: ArrayLike, weights: ArrayLike | None = None,
                 directions: dict[str, ArrayLike] | None = None) -> dict[str, dict[str, float]]:
    """Class-separation readings, **no estimator in the paper** (sec. 4.3.1 says only "in units of
    the intra-class variance"); none should enter a verdict.  Along each unit direction u
    (``"mean_diff"`` = μ₊ − μ₋ always, plus ``directions``, e.g. the final classifier), with
    Δ = (μ₊ − μ₋)·u/2, σ_pooled the std of z·u over all points, σ_within² the mass-weighted
    mean of the class variances along u:
    ``over_pooled_std`` = Δ/σ_pooled, ``over_within_std`` = Δ/σ_within,
    ``support_gap`` = (min_{y=+1} z·u − max_{y=−1} z·u)/(2σ_within) (< 0: the projected supports overlap).

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.array([[1.0, 0], [3, 0], [-1, 0], [-3, 0]])
    >>> eps_readings(Z, [1, 1, -1, -1])["mean_diff"]["over_within_std"]
    2.0
    """
    Z = np.asarray(Z, dtype=float)
    y = np.asarray(labels).reshape(-1)
    cl = np.unique(y)
    if cl.size != 2 or Z.ndim != 2 or Z.shape[0] != y.size:
        raise ValueError("Z must be (n, D) with labels of exactly two classes")
    w = _weights(weights, y.size)
    pos, neg = y == cl.max(), y == cl.min()
    mu_p, mu_n = (w[pos] @ Z[pos]) / w[pos].sum(), (w[neg] @ Z[neg]) / w[neg].sum()
    dirs = {"mean_diff": mu_p - mu_n, **(directions or {})}
    out = {}
    for name, u in dirs.items():
        u = np.asarray(u, dtype=float).reshape(-1)
        nu = np.linalg.norm(u)
        if u.size != Z.shape[1] or not np.isfinite(nu) or nu == 0:
            raise ValueError(f"direction {name!r} must be a finite non-zero vector of length {Z.shape[1]}")
        p = Z @ (u / nu)
        delta = float((mu_p - mu_n) @ (u / nu) / 2)
        var_c = [np.average((p[m] - np.average(p[m], weights=w[m])) ** 2, weights=w[m]) for m in (pos, neg)]
        sw = float(np.sqrt((w[pos].sum() * var_c[0] + w[neg].sum() * var_c[1])))
        sp = float(np.sqrt(np.average((p - w @ p) ** 2, weights=w)))
        gap = float(np.min(p[pos & (w > 0)]) - np.max(p[neg & (w > 0)]))
        out[name] = {"delta": delta, "over_pooled_std": delta / sp if sp > 0 else float("nan"),
                     "over_within_std": delta / sw if sw > 0 else float("nan"),
                     "support_gap": gap / (2 * sw) if sw > 0 else float("nan"), "support_gap_raw": gap}
    return out


def wilson_ci(k: int, n: int, level: float = 0.95) -> list[float]:
    """Wilson score interval of a binomial proportion k/n.

    Examples
    --------
    >>> [round(v, 3) for v in wilson_ci(0, 100)]
    [0.0, 0.037]
    """
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n > 0, got k={k}, n={n}")
    z = float(norm.ppf(0.5 + level / 2))
    p = k / n
    den = 1 + z * z / n
    c = (p + z * z / (2 * n)) / den
    h = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return [float(max(0.0, c - h)), float(min(1.0, c + h))]

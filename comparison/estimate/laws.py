r"""Grokking-time laws: density estimates, a bimodality test, distances to theory.

The paper's t_G laws are bimodal in the ball model (a fast continuous branch,
Eqs. 42-45, plus an atom from the slow branch, Eq. 47) and in scenario B
(sec. 4.3.1). The tools here work on a sample of t_G values:

* :func:`kde` — Gaussian kernel density on log t (t_G > 0 is skewed over
  decades), transformed back to a density in t.
* :func:`bimodality_test` — one vs two Gaussian components fitted by EM on
  **log t**; ΔBIC = BIC₁ − BIC₂. "Bimodal" means ΔBIC > ``threshold`` (10:
  "very strong" evidence, Kass & Raftery 1995) AND the fitted two-component
  density has two separate modes (a mixture can fit skewness without being
  bimodal). A variance floor keeps an atom-like cluster from degenerating.
* :func:`law_distance` — Kolmogorov–Smirnov and Wasserstein-1 distances between
  the sample and a theory law with ``cdf`` and an optional ``atom``
  ``(location, weight)``; the KS statistic is taken on both sides of every
  jump, so an atom is handled exactly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["kde", "BimodalityResult", "bimodality_test", "LawDistance", "law_distance", "Law"]


class Law(Protocol):
    """What :func:`law_distance` needs from a theory law (perceptron_theory's
    ``GrokTimeLaw`` objects provide it): a CDF including any atom, and ``atom``."""

    atom: tuple[float, float] | None

    def cdf(self, t: ArrayLike) -> Any: ...


def _positive_sample(name: str, x: ArrayLike, min_n: int = 2) -> NDArray[np.float64]:
    a = np.asarray(x, dtype=float).reshape(-1)
    a = a[np.isfinite(a)]
    if a.size < min_n:
        raise ValueError(f"{name} needs at least {min_n} finite values, got {a.size}")
    if np.any(a <= 0):
        raise ValueError(f"{name} must be > 0 (grokking times), got min {a.min()!r}")
    return a


def kde(samples: ArrayLike, grid: ArrayLike | None = None, *, log: bool = True,
        bandwidth: float | str = "scott") -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Kernel density estimate of positive samples; returns ``(grid, density in t)``.

    With ``log=True`` the Gaussian KDE is built on log t and mapped back,
    p(t) = p_log(log t)/t, so that a law spread over decades is resolved.
    """
    from scipy.stats import gaussian_kde

    x = _positive_sample("samples", samples, 3)
    if np.ptp(x) == 0:
        raise ValueError("samples are all equal; a density cannot be estimated")
    if grid is None:
        grid = np.geomspace(x.min() / 1.5, x.max() * 1.5, 400) if log else np.linspace(0, x.max() * 1.1, 400)
    g = np.asarray(grid, dtype=float)
    if log:
        k = gaussian_kde(np.log(x), bw_method=bandwidth)
        with np.errstate(divide="ignore"):
            dens = np.where(g > 0, k(np.log(np.where(g > 0, g, 1.0))) / np.where(g > 0, g, 1.0), 0.0)
    else:
        k = gaussian_kde(x, bw_method=bandwidth)
        dens = k(g)
    return g, dens


# ---------------------------------------------------------------------- bimodality
@dataclass
class BimodalityResult:
    """One vs two Gaussian components on log t_G.

    ``delta_bic`` = BIC₁ − BIC₂ (> 0 favours two components); ``n_modes`` the
    number of modes of the fitted two-component density; ``bimodal`` the
    verdict; ``weights``, ``means``, ``sds`` the two components (on log t,
    ordered by mean); ``threshold`` the ΔBIC threshold used.
    """

    delta_bic: float
    bic1: float
    bic2: float
    weights: tuple[float, float]
    means: tuple[float, float]
    sds: tuple[float, float]
    n_modes: int
    bimodal: bool
    threshold: float
    n: int
    scale: str

    def as_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def _norm_logpdf(x: NDArray[np.float64], mu: float, sd: float) -> NDArray[np.float64]:
    return -0.5 * ((x - mu) / sd) ** 2 - np.log(sd) - 0.5 * math.log(2 * math.pi)


def _em2(x: NDArray[np.float64], floor: float, split: float, iters: int = 500) -> tuple[float, NDArray[np.float64]]:
    """EM for a two-component 1-d Gaussian mixture started by splitting at a quantile."""
    cut = np.quantile(x, split)
    r = (x > cut).astype(float)
    if r.sum() < 1 or r.sum() > x.size - 1:  # ties at the cut: split at the median rank instead
        r = (np.argsort(np.argsort(x, kind="mergesort")) >= int(split * x.size)).astype(float)
    params = np.zeros(6)
    ll_old = -np.inf
    for _ in range(iters):
        w1 = np.clip(r.mean(), 1e-6, 1 - 1e-6)
        n0, n1 = (1 - r).sum(), r.sum()
        if n0 < 1 or n1 < 1:
            return -np.inf, params
        m0 = np.sum((1 - r) * x) / n0
        m1 = np.sum(r * x) / n1
        s0 = max(math.sqrt(np.sum((1 - r) * (x - m0) ** 2) / n0), floor)
        s1 = max(math.sqrt(np.sum(r * (x - m1) ** 2) / n1), floor)
        l0 = np.log(1 - w1) + _norm_logpdf(x, m0, s0)
        l1 = np.log(w1) + _norm_logpdf(x, m1, s1)
        mx = np.maximum(l0, l1)
        lse = mx + np.log(np.exp(l0 - mx) + np.exp(l1 - mx))
        r = np.exp(l1 - lse)
        ll = float(lse.sum())
        params = np.array([1 - w1, m0, s0, w1, m1, s1])
        if ll - ll_old < 1e-10 * max(1.0, abs(ll)):
            break
        ll_old = ll
    return ll, params


def _count_modes(params: NDArray[np.float64], lo: float, hi: float) -> int:
    w0, m0, s0, w1, m1, s1 = params
    g = np.linspace(lo, hi, 4001)
    p = w0 * np.exp(_norm_logpdf(g, m0, s0)) + w1 * np.exp(_norm_logpdf(g, m1, s1))
    d = np.diff(p)
    sgn = np.sign(d[np.abs(d) > 1e-15 * p.max()])
    return int(np.sum((sgn[:-1] > 0) & (sgn[1:] < 0))) + int(sgn.size > 0 and sgn[0] < 0) \
        + int(sgn.size > 0 and sgn[-1] > 0)


def _dequantise(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """Spread tied values (times read off a grid) evenly over the interval
    reaching half-way to the neighbouring distinct values, deterministically.

    Without this a Gaussian component collapses onto one grid value and the
    likelihood, hence ΔBIC, diverges. Needs at least 5 distinct values.
    """
    u, inv, counts = np.unique(z, return_inverse=True, return_counts=True)
    if u.size == z.size:
        return z
    if u.size < 5:
        raise ValueError(f"samples hold only {u.size} distinct values; bimodality cannot be tested")
    gaps = np.diff(u)
    left = np.concatenate([[gaps[0]], gaps])
    right = np.concatenate([gaps, [gaps[-1]]])
    half = 0.5 * np.minimum(left, right)
    out = z.astype(float).copy()
    order = np.argsort(inv, kind="mergesort")
    start = 0
    for k, c in enumerate(counts):
        idx = order[start:start + c]
        if c > 1:
            out[idx] = u[k] + half[k] * ((np.arange(c) + 0.5) / c - 0.5)
        start += c
    return out


def bimodality_test(samples: ArrayLike, *, log: bool = True, threshold: float = 10.0,
                    sd_floor: float = 1e-3) -> BimodalityResult:
    """Is the t_G law bimodal? Two vs one Gaussian components on log t (default).

    BIC = −2 log L + k log n with k = 2 (one component) and k = 5 (two).
    ``sd_floor`` (in units of the sample's standard deviation) stops a component
    from collapsing onto an atom; tied values (times read off a time grid) are
    first spread evenly between their neighbours (``_dequantise``), and fewer
    than 5 distinct values raise ``ValueError``. EM is started from splits at the 25/50/75 %
    quantiles; the best likelihood wins (deterministic, no random starts).
    """
    x = _positive_sample("samples", samples, 10)
    if not threshold >= 0:
        raise ValueError(f"threshold must be >= 0, got {threshold!r}")
    z = np.log(x) if log else x
    z = _dequantise(z)
    n = z.size
    sd = float(np.std(z))
    if sd == 0:
        raise ValueError("samples are all equal; bimodality is undefined")
    floor = sd_floor * sd
    ll1 = float(np.sum(_norm_logpdf(z, float(z.mean()), sd)))
    best_ll, best = -np.inf, np.zeros(6)
    for split in (0.25, 0.5, 0.75):
        ll, params = _em2(z, floor, split)
        if ll > best_ll:
            best_ll, best = ll, params
    bic1 = -2 * ll1 + 2 * math.log(n)
    if not np.isfinite(best_ll):  # no split gives two non-empty components (e.g. tied values)
        return BimodalityResult(delta_bic=-math.inf, bic1=float(bic1), bic2=math.inf, weights=(1.0, 0.0),
                                means=(float(z.mean()), float(z.mean())), sds=(sd, sd), n_modes=1, bimodal=False,
                                threshold=threshold, n=n, scale="log t" if log else "t")
    bic2 = -2 * best_ll + 5 * math.log(n)
    if best[1] > best[4]:
        best = best[[3, 4, 5, 0, 1, 2]]
    modes = _count_modes(best, float(z.min()), float(z.max()))
    dbic = bic1 - bic2
    return BimodalityResult(delta_bic=float(dbic), bic1=float(bic1), bic2=float(bic2),
                            weights=(float(best[0]), float(best[3])), means=(float(best[1]), float(best[4])),
                            sds=(float(best[2]), float(best[5])), n_modes=modes,
                            bimodal=bool(dbic > threshold and modes >= 2), threshold=threshold, n=n,
                            scale="log t" if log else "t")


# ---------------------------------------------------------------------- distances
@dataclass
class LawDistance:
    """KS statistic (with its asymptotic p-value; conservative when the law has an
    atom), Wasserstein-1 distance, and the atom's weight vs the sample mass near it."""

    ks: float
    ks_pvalue: float
    wasserstein: float
    n: int
    atom: tuple[float, float] | None
    atom_sample_mass: float | None
    test: dict[str, Any] | None = None  # the verdict's atom-aware test (:mod:`.law_test`), when made

    def as_dict(self) -> dict[str, Any]:
        return {"ks": self.ks, "ks_pvalue": self.ks_pvalue, "wasserstein": self.wasserstein, "n": self.n,
                "atom": list(self.atom) if self.atom else None, "atom_sample_mass": self.atom_sample_mass,
                "test": self.test}


def _law_cdf(law: Any, t: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.clip(np.asarray(law.cdf(t), dtype=float), 0.0, 1.0)


def law_distance(samples: ArrayLike, law: Any, *, grid_points: int = 4000, atom_rel_width: float = 0.05,
                 upper: float | None = None) -> LawDistance:
    r"""Distances between a sample of grokking times and a theory law.

    KS: sup over t of |F_n(t) − F(t)|, evaluated at every sample point on both
    sides (F_n(t−), F_n(t)) and on both sides of the atom, where F jumps by the
    atom weight. Wasserstein-1: ∫ |F_n(t) − F(t)| dt by the left-point rule on a
    grid holding every sample point (exact for the steps of F_n, O(h) for F), the atom (both sides) and ``grid_points``
    log-spaced points up to ``upper`` (default: where the theory CDF exceeds
    1 − 1e-6, searched geometrically). ``atom_sample_mass``: the sample fraction
    within ±``atom_rel_width`` (relative) of the atom, to set beside its weight.
    """
    x = np.sort(_positive_sample("samples", samples, 1))
    n = x.size
    atom = getattr(law, "atom", None)
    # KS on both sides of each sample point
    u = np.unique(x)  # ties (e.g. samples sitting on an atom) are one jump of F_n
    F = _law_cdf(law, u)
    F_minus = F.copy()  # F(t-): differs from F(t) only at the atom
    if atom is not None:
        at = np.abs(u - float(atom[0])) <= 1e-12 * max(abs(float(atom[0])), 1.0)
        F_minus[at] = np.clip(F[at] - float(atom[1]), 0.0, 1.0)
    Fn_hi = np.searchsorted(x, u, side="right") / n
    Fn_lo = np.searchsorted(x, u, side="left") / n
    ks = float(max(np.max(np.abs(Fn_hi - F)), np.max(np.abs(F_minus - Fn_lo))))
    # F(t-) at sample points matters when F has a jump there; check the atom explicitly
    atom_mass = None
    if atom is not None:
        loc = float(atom[0])
        eps = 1e-9 * max(abs(loc), 1.0)
        Fa_lo = float(_law_cdf(law, np.array([loc - eps]))[0])
        Fa_hi = float(_law_cdf(law, np.array([loc]))[0])
        Fn_a_lo = np.searchsorted(x, loc, side="left") / n
        Fn_a_hi = np.searchsorted(x, loc, side="right") / n
        ks = max(ks, abs(Fn_a_lo - Fa_lo), abs(Fn_a_hi - Fa_hi))
        atom_mass = float(np.mean(np.abs(x - loc) <= atom_rel_width * abs(loc)))
    # Wasserstein-1
    top = float(upper) if upper is not None else None
    if top is None:
        top = max(x[-1], atom[0] if atom is not None else 0.0)
        for _ in range(60):
            if float(_law_cdf(law, np.array([top]))[0]) >= 1 - 1e-6:
                break
            top *= 2.0
    lo = min(x[0], atom[0] if atom is not None else x[0]) * 1e-3
    pts = [np.geomspace(lo, top, grid_points), x, [0.0]]
    if atom is not None:
        pts.append([atom[0] - 1e-9 * max(abs(atom[0]), 1.0), atom[0]])
    g = np.unique(np.concatenate(pts))
    g = g[g <= max(top, x[-1])]
    Fg = _law_cdf(law, g)
    Fng = np.searchsorted(x, g, side="right") / n
    # piecewise: F_n is a step function, F smooth except the atom -> use left-point
    # rule on a fine grid (exact for the steps, O(h) for F)
    diff = np.abs(Fng - Fg)
    w1 = float(np.sum(diff[:-1] * np.diff(g)))
    from scipy.stats import kstwo

    p = float(kstwo.sf(ks, n))
    return LawDistance(ks=ks, ks_pvalue=p, wasserstein=w1, n=n,
                       atom=(float(atom[0]), float(atom[1])) if atom is not None else None,
                       atom_sample_mass=atom_mass)

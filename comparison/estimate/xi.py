r"""ξ by the paper's d = 2 recipe (sec. 4.3.1): the density at the edge of the
support of the context-vector angles grows like n_bins^ξ as the bins shrink.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


__all__ = ["XiResult", "xi_angle_histogram", "xi_context"]


@dataclass
class XiResult:
    """ξ from the growth of the edge density with the number of bins.

    ``xi`` is the larger of the two edges' exponents (the diverging one);
    ``xi_se`` its standard error from the weighted fit; ``edges`` per-edge
    details (``n_bins``, ``density``, ``count``, ``xi``, ``xi_se``).
    """

    xi: float
    xi_se: float
    edge: str
    edges: dict[str, dict[str, Any]] = field(default_factory=dict)


def _angles(vectors: ArrayLike) -> NDArray[np.float64]:
    V = np.asarray(vectors, dtype=float)
    if V.ndim == 1:
        th = V
    elif V.ndim == 2 and V.shape[1] == 2:
        th = np.arctan2(V[:, 1], V[:, 0])
    else:
        raise ValueError(f"vectors must be angles (n,) or 2-vectors (n, 2), got shape {V.shape}")
    if not np.all(np.isfinite(th)):
        raise ValueError("vectors/angles must be finite")
    # Cut the circle at its largest empty gap so that the support is one interval.
    th = np.mod(th, 2 * np.pi)
    s = np.sort(th)
    gaps = np.diff(np.concatenate([s, [s[0] + 2 * np.pi]]))
    k = int(np.argmax(gaps))
    start = s[(k + 1) % s.size]
    return np.mod(th - start, 2 * np.pi)


def xi_angle_histogram(vectors: ArrayLike, n_bins: ArrayLike | None = None, *,
                       min_count: int = 10) -> XiResult:
    r"""The paper's d = 2 recipe for the boundary exponent ξ (sec. 4.3.1).

    Each normalised 2-d context vector is an angle. For a growing number of
    bins (default 10²…10⁵, 13 log-spaced values) the histogram density of the
    outermost bin at each edge of the support is recorded. For a boundary
    density ρ ∝ δ^{−ξ} the edge bin of width h holds density ∝ h^{−ξ} =
    (n_bins/L)^{ξ}, so ξ is the slope of log density against log n_bins. The
    fit is weighted by the Poisson counts and uses only bin numbers whose edge
    bin still holds at least ``min_count`` samples (below that the estimate is
    noise). Both edges are fitted; the result is the larger exponent.
    """
    th = _angles(vectors)
    n = th.size
    if n < 10 * min_count:
        raise ValueError(f"need at least {10 * min_count} angles for the edge-density fit, got {n}")
    nb = np.unique(np.round(np.geomspace(100, 100_000, 13) if n_bins is None
                            else np.asarray(n_bins, dtype=float)).astype(int))
    if nb.size < 3 or nb.min() < 2:
        raise ValueError("n_bins must hold at least 3 distinct values >= 2")
    lo, hi = float(th.min()), float(th.max())
    L = hi - lo
    if L <= 0:
        raise ValueError("all angles are equal; the support has no width")
    edges: dict[str, dict[str, Any]] = {}
    for side in ("low", "high"):
        dist = (th - lo) if side == "low" else (hi - th)
        counts = np.array([np.sum(dist <= L / b) for b in nb], dtype=float)
        # the sample at the very edge sits at distance 0: drop it (it is the edge itself)
        counts = counts - 1.0
        dens = counts / n / (L / nb)
        use = counts >= min_count
        info: dict[str, Any] = {"n_bins": nb.tolist(), "count": counts.tolist(), "density": dens.tolist(),
                                "used": use.tolist(), "xi": float("nan"), "xi_se": float("nan")}
        if use.sum() >= 3:
            x = np.log(nb[use])
            y = np.log(dens[use])
            w = counts[use]  # var(log count) ~ 1/count
            W = w.sum()
            xm = np.sum(w * x) / W
            ym = np.sum(w * y) / W
            sxx = np.sum(w * (x - xm) ** 2)
            slope = np.sum(w * (x - xm) * (y - ym)) / sxx
            # counts in nested bins are correlated; the naive WLS error is too small.
            # Use the Poisson error of the two end points' ratio as a conservative se.
            se = np.sqrt(1 / counts[use][-1] + 1 / counts[use][0]) / (x[-1] - x[0])
            info["xi"], info["xi_se"] = float(slope), float(se)
        edges[side] = info
    best = max(edges, key=lambda k: -np.inf if not np.isfinite(edges[k]["xi"]) else edges[k]["xi"])
    return XiResult(xi=edges[best]["xi"], xi_se=edges[best]["xi_se"], edge=best, edges=edges)


def xi_context(left: ArrayLike, right: ArrayLike, labels: ArrayLike, **kwargs: Any) -> dict[str, Any]:
    """The paper's ξ for d = 2 context vectors: per class, ξ_left + ξ_right;
    the reported ξ is the maximum over the classes (sec. 4.3.1)."""
    L = np.asarray(left, dtype=float)
    R = np.asarray(right, dtype=float)
    y = np.asarray(labels)
    if L.shape[0] != y.shape[0] or R.shape[0] != y.shape[0]:
        raise ValueError("left, right and labels must have the same number of samples")
    per_class = {}
    for c in np.unique(y):
        m = y == c
        xl = xi_angle_histogram(L[m], **kwargs)
        xr = xi_angle_histogram(R[m], **kwargs)
        per_class[str(c)] = {"xi_left": xl.xi, "xi_right": xr.xi, "xi": xl.xi + xr.xi,
                             "xi_se": float(np.hypot(xl.xi_se, xr.xi_se))}
    if not per_class:
        raise ValueError("labels must not be empty")
    top = max(per_class, key=lambda k: per_class[k]["xi"])
    return {"xi": per_class[top]["xi"], "xi_se": per_class[top]["xi_se"], "class": top,
            "per_class": per_class}


# ------------------------------------------------------------------------ margin exponent

"""The one way grokcheck draws a grokking-time histogram: bins by sample size, never clipped.

Used by the report's t_G figure (:func:`~comparison.report.figures.fig_t_G`), the paper
sections (:mod:`comparison.report.paper`, histograms stored in the paper data) and the
``paper table1`` section (:mod:`comparison.report.table1`), so that the defects fixed once
(issue 23 item 8: 30 one-count slivers at small n, bars touching the top of the axes, a log
axis with two labels) stay fixed everywhere:

* :func:`hist_bins` — about 2 n^(1/3) bins (Rice rule), between 3 and 30;
* :func:`log_t_hist` — the density in ln t of the positive values (fraction per unit ln t),
  geometric bins padded beyond the extreme values, so no value falls off the histogram;
* :func:`rebin_density` — merge a stored histogram's bins down to :func:`hist_bins` of its n;
* :func:`set_headroom` — y from 0 to 12 % above the highest bar or curve.

The log-axis ticks (3–6 labelled, no minor labels) are :func:`~comparison.report.style.finish`'s.

>>> hist_bins(3), hist_bins(150), hist_bins(10**6)
(3, 11, 30)
>>> b, d = rebin_density([1, 2, 3, 4, 5, 6, 7], [0.1, 0.1, 0.2, 0.2, 0.3, 0.1], n=3)
>>> b.tolist(), [round(float(v), 3) for v in d]
([1.0, 3.0, 5.0, 7.0], [0.1, 0.2, 0.2])
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["hist_bins", "log_t_hist", "rebin_density", "set_headroom", "HEADROOM"]

HEADROOM = 1.12  # the y range's top, as a multiple of the highest bar or curve


def hist_bins(n: int) -> int:
    """Histogram bins for ``n`` values: about 2 n^(1/3) (Rice rule), between 3 and 30, so that
    few values do not scatter into 30 one-count slivers."""
    return int(np.clip(np.ceil(2.0 * max(int(n), 1) ** (1 / 3)), 3, 30))


def log_t_hist(ax: Any, x: Any, *, lo: float | None = None, hi: float | None = None, pad: float = 1.2,
               fill: bool = True, color: str = "0.82", label: str | None = None,
               lw: float = 1.0) -> tuple[np.ndarray, float]:
    """Draw the positive values of ``x`` as the density in ln t (fraction of them per unit ln t)
    with :func:`hist_bins` geometric bins from ``lo / pad`` to ``hi * pad`` (``lo``/``hi``
    default to the extreme values; pass wider ones, e.g. to include a law's atom). Returns
    (bins, highest bar); (empty, 0) when no value is positive."""
    v = np.asarray(x, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return np.zeros(0), 0.0
    lo = min(float(v.min()), lo) if lo is not None else float(v.min())
    hi = max(float(v.max()), hi) if hi is not None else float(v.max())
    bins = np.geomspace(lo / pad, hi * pad, hist_bins(v.size) + 1)
    counts, _ = np.histogram(v, bins=bins)
    dens = counts / (v.size * np.diff(np.log(bins)))
    ax.stairs(dens, bins, fill=fill, color=color, lw=lw, label=label)
    return bins, float(dens.max())


def rebin_density(bins: Any, density: Any, n: int | None) -> tuple[np.ndarray, np.ndarray]:
    """A stored histogram (``bins``, ``density`` per unit of the bin variable) merged into groups of
    adjacent bins so that at most :func:`hist_bins` (``n``) remain (mass-preserving: each merged
    bin's density is its mass over its width). ``n`` None or already coarse enough: unchanged."""
    b, d = np.asarray(bins, dtype=float), np.asarray(density, dtype=float)
    if n is None or d.size <= hist_bins(n):
        return b, d
    k = math.ceil(d.size / hist_bins(n))
    idx = np.r_[np.arange(0, d.size, k), d.size]
    mass = np.add.reduceat(d * np.diff(b), idx[:-1])
    edges = b[idx]
    return edges, mass / np.diff(edges)


def set_headroom(ax: Any, *tops: float) -> None:
    """y from 0 to :data:`HEADROOM` × the largest finite positive value of ``tops`` (1 when none):
    no bar or curve touches the top of the axes."""
    top = max((float(t) for t in tops if t is not None and np.isfinite(t) and t > 0), default=0.0)
    ax.set_ylim(0, HEADROOM * top if top > 0 else 1.0)

"""Frozen grokking-time distributions in the style of ``scipy.stats``.

A grokking-time law has a continuous part with density :meth:`pdf` (which
integrates to ``1 - atom weight``) and optionally an atom (a Dirac delta) at
``atom = (location, weight)``. :meth:`cdf` includes the atom's step.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate

from ._validation import check_int, check_rng

__all__ = ["GrokTimeLawBase"]


class GrokTimeLawBase(ABC):
    """Common interface of the grokking-time laws (1D and D-ball models)."""

    #: (location, weight) of the Dirac atom, or ``None``.
    atom: tuple[float, float] | None = None

    @abstractmethod
    def pdf(self, t: ArrayLike) -> NDArray[np.float64]:
        """Density of the continuous part (the atom excluded)."""

    @abstractmethod
    def cdf(self, t: ArrayLike) -> NDArray[np.float64]:
        """P(t_G <= t), atom included."""

    @abstractmethod
    def _quantile_bracket(self) -> tuple[float, float]:
        """Times (lo, hi) with cdf(lo) ~ 0 and cdf(hi) ~ 1 - atom weight (continuous part)."""

    @property
    def continuous_weight(self) -> float:
        return 1.0 - (self.atom[1] if self.atom is not None else 0.0)

    def sf(self, t: ArrayLike) -> NDArray[np.float64]:
        return 1.0 - self.cdf(t)

    def mean(self) -> float:
        """E[t_G] = ∫ t pdf(t) dt + atom location × atom weight."""
        lo, hi = self._quantile_bracket()
        cont = 0.0
        if self.continuous_weight > 0:
            edges = np.concatenate([[0.0], np.geomspace(max(lo, 1e-12), hi, 60)])
            for a, b in zip(edges[:-1], edges[1:]):
                cont += integrate.quad(lambda s: s * float(self.pdf(s)), a, b, limit=200)[0]
        if self.atom is not None:
            cont += self.atom[0] * self.atom[1]
        return float(cont)

    def ppf_continuous(self, u: ArrayLike, n_grid: int = 4096) -> NDArray[np.float64]:
        """Inverse of the continuous part's CDF, for u in [0, continuous weight]."""
        lo, hi = self._quantile_bracket()
        grid = np.concatenate([[0.0], np.geomspace(max(lo, 1e-12), hi, n_grid)])
        c = self._continuous_cdf(grid)
        c = np.maximum.accumulate(c)
        return np.interp(np.asarray(u, dtype=float), c, grid)

    def _continuous_cdf(self, t: ArrayLike) -> NDArray[np.float64]:
        t = np.asarray(t, dtype=float)
        out = self.cdf(t)
        if self.atom is not None:
            out = out - self.atom[1] * (t >= self.atom[0])
        return out

    def rvs(self, size: int, rng: np.random.Generator | int) -> NDArray[np.float64]:
        """Draw ``size`` grokking times (inverse-CDF sampling on a fine grid)."""
        size = check_int("size", size, 0)
        gen = check_rng(rng)
        u = gen.random(size)
        out = np.empty(size)
        if self.atom is not None:
            in_atom = u >= self.continuous_weight
            out[in_atom] = self.atom[0]
            out[~in_atom] = self.ppf_continuous(u[~in_atom])
        else:
            out[:] = self.ppf_continuous(u)
        return out

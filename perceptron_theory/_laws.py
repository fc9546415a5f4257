"""Frozen grokking-time distributions in the style of ``scipy.stats``.

A grokking-time law has a continuous part with density :meth:`pdf` (which
integrates to ``1 - atom weight``) and optionally an atom (a Dirac delta) at
``atom = (location, weight)``. :meth:`cdf` includes the atom's step; :meth:`ppf` is its
generalised inverse (every quantile level inside the atom's step maps to the atom).
"""
from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate

from ._validation import check_array, check_int, check_real

__all__ = ["GrokTimeLawBase", "as_generator"]


def as_generator(random_state: Any) -> np.random.Generator | np.random.RandomState:
    """``random_state`` as scipy reads it: ``None`` (fresh OS entropy: not reproducible), a
    non-negative int seed, a :class:`numpy.random.Generator` or a legacy ``RandomState``."""
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, (np.random.Generator, np.random.RandomState)):
        return random_state
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool) and random_state >= 0:
        return np.random.default_rng(int(random_state))
    raise ValueError("random_state must be None, a non-negative integer seed, a numpy.random.Generator "
                     f"or a numpy.random.RandomState, got {random_state!r}")


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

    def support(self) -> tuple[float, float]:
        """(lower, upper) end of the support: t_G ranges over (0, inf)."""
        return 0.0, float(np.inf)

    def sf(self, t: ArrayLike) -> NDArray[np.float64]:
        return 1.0 - self.cdf(t)

    def logpdf(self, t: ArrayLike) -> NDArray[np.float64]:
        """Log-density of the continuous part (-inf where it vanishes; the atom has no
        Lebesgue density and is not included)."""
        with np.errstate(divide="ignore"):
            return np.log(self.pdf(t))

    def _moment(self, k: int) -> float:
        lo, hi = self._quantile_bracket()
        cont = 0.0
        if self.continuous_weight > 0:
            edges = np.concatenate([[0.0], np.geomspace(max(lo, 1e-12), hi, 60)])
            for a, b in zip(edges[:-1], edges[1:]):
                cont += integrate.quad(lambda s: s**k * float(self.pdf(s)), a, b, limit=200)[0]
        if self.atom is not None:
            cont += self.atom[0] ** k * self.atom[1]
        return float(cont)

    def mean(self) -> float:
        """E[t_G] = ∫ t pdf(t) dt + atom location × atom weight."""
        return self._moment(1)

    def var(self) -> float:
        """Var[t_G] (atom included)."""
        m = self.mean()
        return float(max(self._moment(2) - m * m, 0.0))

    def std(self) -> float:
        return float(np.sqrt(self.var()))

    def ppf_continuous(self, u: ArrayLike, n_grid: int = 4096) -> NDArray[np.float64]:
        """Inverse of the continuous part's CDF, for u in [0, continuous weight] (linear
        interpolation on a log grid; :meth:`ppf` is the exact, refined version)."""
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

    def _continuous_ppf(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        """Smallest t with continuous cdf(t) >= u: bracketed on a log grid, started by linear
        interpolation, then safeguarded Newton steps (bisection when a step leaves the
        bracket) to 1e-12 relative; inf where u exceeds what the bracket reaches."""
        lo_b, hi_b = self._quantile_bracket()
        grid = np.concatenate([[0.0], np.geomspace(max(lo_b, 1e-12), hi_b, 1024)])
        c = np.maximum.accumulate(self._continuous_cdf(grid))
        shape = np.shape(u)
        u = np.asarray(u, dtype=float).reshape(-1)
        k = np.searchsorted(c, u, side="left")
        out = np.full(u.shape, np.inf)
        ok = k < grid.size
        out[ok & (u <= 0)] = 0.0
        idx = np.flatnonzero(ok & (u > 0))
        k = np.maximum(k[idx], 1)
        lo, hi, uu = grid[k - 1], grid[k], u[idx]
        span = np.maximum(c[k] - c[k - 1], 1e-300)
        t = lo + (hi - lo) * np.clip((uu - c[k - 1]) / span, 0.0, 1.0)
        todo = np.arange(idx.size)
        for _ in range(40):
            tt = t[todo]
            f = self._continuous_cdf(tt) - uu[todo]
            up = f >= 0
            hi[todo] = np.where(up, tt, hi[todo])
            lo[todo] = np.where(up, lo[todo], tt)
            d = np.asarray(self.pdf(tt), dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                step = tt - f / d
            inside = np.isfinite(step) & (step > lo[todo]) & (step < hi[todo])
            new = np.where(inside, step, 0.5 * (lo[todo] + hi[todo]))
            t[todo] = new
            done = (np.abs(new - tt) <= 1e-12 * np.maximum(np.abs(new), 1e-300)) | \
                (hi[todo] - lo[todo] <= 1e-12 * np.maximum(hi[todo], 1e-300))
            todo = todo[~done]
            if todo.size == 0:
                break
        out[idx] = t
        return out.reshape(shape)

    def ppf(self, q: ArrayLike) -> NDArray[np.float64]:
        """Quantile function: the smallest t with cdf(t) >= q, q in [0, 1]. Levels inside the
        atom's step give the atom's location; ppf(0) = 0, and ppf(1) = inf when the law has
        unbounded support."""
        q = check_array("q", q, 0.0, 1.0)
        out = np.empty(q.shape)
        if self.atom is None:
            out[...] = self._continuous_ppf(q)
            return out
        t_star, w = self.atom
        below = float(self._continuous_cdf(t_star))          # continuous mass below the atom
        b, a = q <= below, q > below + w
        out[...] = t_star
        out[b] = self._continuous_ppf(q[b])
        out[a] = self._continuous_ppf(np.minimum(q[a] - w, self.continuous_weight))
        return out

    def isf(self, q: ArrayLike) -> NDArray[np.float64]:
        return self.ppf(1.0 - check_array("q", q, 0.0, 1.0))

    def median(self) -> float:
        return float(self.ppf(0.5))

    def interval(self, confidence: float) -> tuple[float, float]:
        """Equal-tailed interval containing at least ``confidence`` of the mass."""
        c = check_real("confidence", confidence, 0.0, 1.0)
        return float(self.ppf((1.0 - c) / 2.0)), float(self.ppf((1.0 + c) / 2.0))

    def rvs(self, size: int | tuple[int, ...] = 1, random_state: Any = None, *,
            rng: Any = None) -> NDArray[np.float64]:
        """Draw grokking times by inverse-CDF sampling (:meth:`ppf`).

        ``size``: an int or a shape. ``random_state`` follows scipy: ``None`` (fresh
        entropy, not reproducible), an int seed, a ``numpy.random.Generator`` (or a legacy
        ``RandomState``). ``rng`` is an older keyword for the same thing.
        """
        if rng is not None:
            if random_state is not None:
                raise ValueError("give random_state or rng, not both")
            random_state = rng
        shape = (check_int("size", size, 0),) if np.ndim(size) == 0 else tuple(
            check_int("size", s, 0) for s in size)
        gen = as_generator(random_state)
        u = gen.random(shape) if isinstance(gen, np.random.Generator) else gen.random_sample(shape)
        return self.ppf(u)

r"""The scipy distribution contract, checked on any law object (atoms included).

A law is anything with scipy's frozen-distribution methods: ``pdf`` (of the continuous
part), ``cdf`` (atoms included), ``ppf``, and optionally ``mean``, ``var``, ``rvs``,
``support()`` and atoms — ``atom = (location, weight)`` as the grokking-time laws of
``perceptron_theory`` have, or a list ``atoms``. :func:`check_distribution` checks, on a
grid of the law's own quantiles found by bisection on ``cdf`` (not on ``ppf``, which is
under test):

1. ``pdf`` ≥ 0 and finite; ``cdf`` in [0, 1] and non-decreasing;
2. ∫ pdf + Σ atom weights = 1 (Gauss–Legendre on the quantile grid, tails mapped to a
   finite interval), and cdf(x) = ∫_{lo}^{x} pdf + Σ_{atoms ≤ x} weight at the grid points;
3. at each atom: cdf jumps by the weight (left limit) and is right-continuous;
4. ppf(cdf(x)) = x where the density is positive, and ppf at the atom's levels is the atom;
5. ``mean`` and ``var`` match the numerical integrals;
6. ``rvs`` at a fixed seed matches ``cdf`` by Kolmogorov–Smirnov (both sides of every
   jump), rejected only below :data:`~comparison.estimate.exact.P_TOL` (the 4σ rule; a
   fixed seed makes it deterministic).

All failures are collected and raised as one :class:`AssertionError`, one line each;
on success the measured figures are returned.

Examples
--------
>>> import math
>>> from scipy import stats
>>> r = check_distribution(stats.gamma(2.5))
>>> abs(r["total_mass"] - 1) < 1e-8
True
>>> class Halved:                                     # a planted bug: the density is half what it should be
...     def __init__(self): self.d = stats.expon()
...     def pdf(self, x): return 0.5 * self.d.pdf(x)
...     def cdf(self, x): return self.d.cdf(x)
...     def ppf(self, q): return self.d.ppf(q)
...     def support(self): return 0.0, math.inf
>>> check_distribution(Halved())                      # doctest: +ELLIPSIS
Traceback (most recent call last):
...
AssertionError: Halved breaks the distribution contract:
  pdf + atoms integrate to 0.5, not 1 (tol 0.0001)
  cdf is not the integral of pdf + atoms: |cdf - integral| = 0.4999... at x = 13.8155
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..estimate.exact import P_TOL

__all__ = ["check_distribution", "atoms_of", "LEVELS"]

#: Quantile levels of the grid the checks run on.
LEVELS = np.array([1e-6, 1e-4, 1e-3, 0.01, 0.03, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.97, 0.99,
                   0.999, 1 - 1e-4, 1 - 1e-6])
_GL_X, _GL_W = np.polynomial.legendre.leggauss(32)


def atoms_of(law: Any) -> list[tuple[float, float]]:
    """The law's atoms as [(location, weight)], from ``atoms`` or ``atom`` (None: no atom).

    >>> atoms_of(type("L", (), {"atom": (1.0, 0.25)})())
    [(1.0, 0.25)]
    """
    raw = getattr(law, "atoms", None)
    if raw is None:
        one = getattr(law, "atom", None)
        raw = [] if one is None else [one]
    return [(float(a), float(w)) for a, w in raw if float(w) > 0]


def _support(law: Any) -> tuple[float, float]:
    s = getattr(law, "support", None)
    if callable(s):
        lo, hi = s()
        return float(lo), float(hi)
    return -math.inf, math.inf


def _cdf(law: Any, x: Any) -> np.ndarray:
    return np.asarray(law.cdf(np.asarray(x, dtype=float)), dtype=float)


def _bracket(law: Any, lo: float, hi: float) -> tuple[float, float]:
    """(a, b) with cdf(a) <= LEVELS[0] and cdf(b) >= LEVELS[-1], grown geometrically (at most 2^200)."""
    a = lo if math.isfinite(lo) else -1.0
    b = hi if math.isfinite(hi) else max(a, 0.0) + 1.0
    for _ in range(200):
        moved = False
        if not math.isfinite(lo) and _cdf(law, a) > LEVELS[0]:
            a, moved = 2.0 * a - 1.0, True
        if not math.isfinite(hi) and _cdf(law, b) < LEVELS[-1]:
            b, moved = 2.0 * b + 1.0 - min(a, 0.0), True
        if not moved:
            break
    return a, b


def _quantiles(law: Any, levels: np.ndarray, a: float, b: float) -> np.ndarray:
    """x with cdf(x) ≈ level, by bisection on ``cdf`` in [a, b] (in u = sign(x)·log(1 + |x|), so that a
    bracket spanning decades is resolved everywhere)."""
    def x_of(u: np.ndarray) -> np.ndarray:
        return np.sign(u) * np.expm1(np.abs(u))

    left = np.full(levels.shape, math.copysign(math.log1p(abs(a)), a))
    right = np.full(levels.shape, math.copysign(math.log1p(abs(b)), b))
    for _ in range(100):
        mid = 0.5 * (left + right)
        up = _cdf(law, x_of(mid)) >= levels
        right, left = np.where(up, mid, right), np.where(up, left, mid)
    return np.clip(x_of(right), a, b)


def _gl_each(f: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The 32-point Gauss–Legendre rule for f on each interval [a_i, b_i] (one vectorised call of f)."""
    if a.size == 0:
        return np.zeros(0)
    half, mid = 0.5 * (b - a), 0.5 * (b + a)
    x = mid[:, None] + half[:, None] * _GL_X[None, :]
    with np.errstate(over="ignore", invalid="ignore"):
        return np.sum(half[:, None] * _GL_W[None, :] * f(x), axis=1)


def _to_end(x0: float, end: float) -> np.ndarray:
    """Points from x0 to a finite end, geometrically closer to the end (edge singularities)."""
    return end + (x0 - end) * np.concatenate([[1.0], 10.0 ** -np.arange(1, 13.0), [0.0]])


def _tail(f: Any, x0: float, sign: float) -> float:
    """∫ from x0 to sign·∞ of f, by t = x0 + sign·s/(1 − s)."""
    edges = np.array([0.0, 0.5, 0.75, 0.9, 0.97, 0.99, 0.999, 0.9999, 1.0])

    def g(s: np.ndarray) -> np.ndarray:
        return f(x0 + sign * s / (1.0 - s)) / (1.0 - s) ** 2

    return float(np.sum(_gl_each(g, edges[:-1], edges[1:])))


def _pieces(law: Any, power: int, grid: np.ndarray, lo: float, hi: float) -> tuple[float, np.ndarray, float]:
    """(∫ from lo to grid[0], ∫ over each grid interval, ∫ from grid[-1] to hi) of x^power · pdf."""
    def f(x: np.ndarray) -> np.ndarray:
        return x ** power * np.asarray(law.pdf(x.reshape(-1)), dtype=float).reshape(x.shape)

    def end(x0: float, e: float, sign: float) -> float:
        if not math.isfinite(e):
            return _tail(f, x0, sign)
        pts = np.sort(_to_end(x0, e))
        return float(np.sum(_gl_each(f, pts[:-1], pts[1:]))) if x0 != e else 0.0

    return end(float(grid[0]), lo, -1.0), _gl_each(f, grid[:-1], grid[1:]), end(float(grid[-1]), hi, 1.0)


def _integral(law: Any, power: int, grid: np.ndarray, lo: float, hi: float) -> float:
    left, mid, right = _pieces(law, power, grid, lo, hi)
    return float(left + np.sum(mid) + right)


def _basic(law: Any, grid: np.ndarray, fails: list[str]) -> None:
    p = np.asarray(law.pdf(grid), dtype=float)
    if not np.all(np.isfinite(p) & (p >= 0)):
        i = int(np.flatnonzero(~(np.isfinite(p) & (p >= 0)))[0])
        fails.append(f"pdf is negative or not finite: pdf({grid[i]:.6g}) = {p[i]:.6g}")
    c = _cdf(law, grid)
    if not np.all(np.isfinite(c) & (c >= 0) & (c <= 1)):
        i = int(np.flatnonzero(~(np.isfinite(c) & (c >= 0) & (c <= 1)))[0])
        fails.append(f"cdf leaves [0, 1]: cdf({grid[i]:.6g}) = {c[i]:.6g}")
    d = np.diff(c)
    if np.any(d < -1e-12):
        i = int(np.argmin(d))
        fails.append(f"cdf decreases: cdf({grid[i]:.6g}) = {c[i]:.6g} > cdf({grid[i + 1]:.6g}) = {c[i + 1]:.6g}")


def _mass(law: Any, grid: np.ndarray, lo: float, hi: float, atoms: list, tol: float, fails: list[str],
          out: dict[str, Any]) -> None:
    """Normalisation, and cdf = ∫pdf + atoms at the grid points (cumulative, on the same pieces)."""
    left, mid, right = _pieces(law, 0, grid, lo, hi)
    cum = left + np.concatenate([[0.0], np.cumsum(mid)]) + np.array([sum(w for a, w in atoms if a <= x) for x in grid])
    total = float(left + np.sum(mid) + right + sum(w for _, w in atoms))
    out["total_mass"] = total
    if not abs(total - 1.0) <= tol:
        fails.append(f"pdf + atoms integrate to {total:.6g}, not 1 (tol {tol:g})")
    err = np.abs(_cdf(law, grid) - cum)
    out["cdf_integral_error"] = float(np.nanmax(err)) if np.any(np.isfinite(err)) else math.nan
    if not np.all(err <= tol):
        i = int(np.nanargmax(np.where(np.isfinite(err), err, np.inf)))
        fails.append(f"cdf is not the integral of pdf + atoms: |cdf - integral| = {err[i]:.6g} at x = {grid[i]:.6g}")


def _atoms(law: Any, atoms: list, tol: float, fails: list[str]) -> None:
    for loc, w in atoms:
        h = 1e-9 * max(abs(loc), 1.0)
        c_lo, c_at, c_hi = _cdf(law, [loc - h, loc, loc + h])
        if not abs((c_at - c_lo) - w) <= tol:
            fails.append(f"cdf jumps by {c_at - c_lo:.6g} at the atom {loc:.6g}, not by its weight {w:.6g}")
        if not abs(c_hi - c_at) <= tol:
            fails.append(f"cdf is not right-continuous at the atom {loc:.6g}: cdf(x) = {c_at:.6g}, "
                         f"cdf(x + {h:.1g}) = {c_hi:.6g}")
        q = np.array([c_lo + 0.25 * w, c_at - 0.25 * w, c_at])
        got = np.asarray(law.ppf(np.clip(q, 0, 1)), dtype=float)
        if not np.allclose(got, loc, rtol=1e-9, atol=1e-12):
            fails.append(f"ppf at the levels of the atom {loc:.6g} gives {np.round(got, 9).tolist()}, not {loc:.6g}")


def _ppf(law: Any, grid: np.ndarray, atoms: list, spread: float, fails: list[str]) -> None:
    """ppf(cdf(x)) = x where the density is positive (off the atoms)."""
    p = np.asarray(law.pdf(grid), dtype=float)
    keep = (p * spread > 1e-6) & np.array([all(abs(x - a) > 1e-9 * max(abs(a), 1.0) for a, _ in atoms)
                                           for x in grid])
    x = grid[keep]
    if x.size == 0:
        return
    back = np.asarray(law.ppf(np.clip(_cdf(law, x), 0.0, 1.0)), dtype=float)
    err = np.abs(back - x)
    tol = 1e-6 * np.maximum(np.abs(x), spread)
    if not np.all(err <= tol):
        i = int(np.argmax(np.where(np.isfinite(err), err / tol, np.inf)))
        fails.append(f"ppf(cdf(x)) != x on the support: x = {x[i]:.6g}, ppf(cdf(x)) = {back[i]:.6g}")


def _moments(law: Any, grid: np.ndarray, lo: float, hi: float, atoms: list, rtol: float, fails: list[str],
             out: dict[str, Any]) -> None:
    m = _integral(law, 1, grid, lo, hi) + sum(a * w for a, w in atoms)
    m2 = _integral(law, 2, grid, lo, hi) + sum(a * a * w for a, w in atoms)
    v = m2 - m * m
    out["mean_numerical"], out["var_numerical"] = m, v
    sd = math.sqrt(max(v, 0.0))
    for name, num, scale in (("mean", m, abs(m) + sd), ("var", v, abs(v))):
        fn = getattr(law, name, None)
        if not callable(fn):
            continue
        got = float(fn())
        out[name] = got
        if not (math.isfinite(got) and abs(got - num) <= rtol * scale + 1e-12):
            fails.append(f"{name}() = {got:.6g} but the numerical integral gives {num:.6g} (rtol {rtol:g})")


def _ks(law: Any, atoms: list, n: int, seed: int, fails: list[str], out: dict[str, Any]) -> None:
    """KS of ``rvs(n, random_state=seed)`` against cdf, on both sides of every jump."""
    from scipy.stats import kstwo

    fn = getattr(law, "rvs", None)
    if not callable(fn) or n <= 0:
        return
    x = np.sort(np.asarray(fn(size=n, random_state=seed), dtype=float).reshape(-1))
    u = np.unique(x)
    F = _cdf(law, u)
    F_minus = F - np.array([sum(w for a, w in atoms if abs(a - t) <= 1e-12 * max(abs(a), 1.0)) for t in u])
    hi = np.searchsorted(x, u, side="right") / x.size
    lo = np.searchsorted(x, u, side="left") / x.size
    ks = float(max(np.max(np.abs(hi - F)), np.max(np.abs(F_minus - lo))))
    p = float(kstwo.sf(ks, x.size))
    out["ks"], out["ks_pvalue"] = ks, p
    if not p >= P_TOL:
        fails.append(f"rvs does not follow cdf: KS = {ks:.4g} over {x.size} draws (seed {seed}), p = {p:.3g} < {P_TOL:.2g}")


def check_distribution(law: Any, *, tol: float = 1e-4, rtol: float = 1e-3, n_rvs: int = 2000, seed: int = 0,
                       name: str | None = None) -> dict[str, Any]:
    """Check the scipy contract on ``law`` (see the module docstring); AssertionError lists every failure.

    Parameters
    ----------
    law : a frozen-distribution-like object (``pdf``, ``cdf``, ``ppf``; optional ``mean``, ``var``,
        ``rvs``, ``support``, ``atom``/``atoms``).
    tol : absolute tolerance of the masses (normalisation, cdf vs ∫pdf, atom jumps).
    rtol : relative tolerance of ``mean`` (relative to |mean| + s.d.) and ``var``.
    n_rvs, seed : the KS check's sample size and seed (``n_rvs=0`` skips it).

    Returns
    -------
    dict with ``total_mass``, ``cdf_integral_error``, ``mean_numerical``, ``var_numerical``,
    ``mean``, ``var``, ``ks``, ``ks_pvalue`` (those that apply).
    """
    label = name or type(law).__name__
    lo, hi = _support(law)
    atoms = atoms_of(law)
    fails: list[str] = []
    a, b = _bracket(law, lo, hi)
    c_a, c_b = float(_cdf(law, a)), float(_cdf(law, b))
    if not c_b >= 1.0 - tol:
        fails.append(f"cdf tends to {c_b:.6g}, not 1 (cdf({b:.3g}) = {c_b:.6g})")
    if not c_a <= tol:
        fails.append(f"cdf does not start at 0 (cdf({a:.3g}) = {c_a:.6g})")
    levels = LEVELS[(LEVELS > c_a) & (LEVELS < c_b)] if fails else LEVELS
    q = _quantiles(law, levels, a, b)
    near_atoms = [loc + d * max(abs(loc), 1.0) for loc, _ in atoms for d in (-1e-3, 1e-3)]  # a law all atom
    grid = np.unique(np.concatenate([q, near_atoms, *(np.linspace(x0, x1, 9)[1:-1] for x0, x1 in zip(q[:-1], q[1:]))]))
    grid = grid[np.isfinite(grid) & (grid >= lo) & (grid <= hi)]
    out: dict[str, Any] = {"atoms": atoms, "support": (lo, hi)}
    if grid.size < 2 or not grid[-1] > grid[0]:
        raise AssertionError(f"{label} breaks the distribution contract: its cdf puts no spread between the "
                             f"levels {LEVELS[0]:g} and {LEVELS[-1]:g} and has no atom")
    q10, q90 = _quantiles(law, np.array([0.1, 0.9]), a, b)
    spread = float(q90 - q10) or float(grid[-1] - grid[0])
    _basic(law, grid, fails)
    _mass(law, grid, lo, hi, atoms, tol, fails, out)
    _atoms(law, atoms, tol, fails)
    _ppf(law, grid, atoms, spread, fails)
    _moments(law, grid, lo, hi, atoms, rtol, fails, out)
    _ks(law, atoms, n_rvs, seed, fails, out)
    if fails:
        raise AssertionError(f"{label} breaks the distribution contract:\n  " + "\n  ".join(fails))
    return out

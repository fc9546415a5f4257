"""Data model, exact separability from the origin, margin, and Wendel's law.

Data model (Beck, Levi & Bar-Sinai 2025, sec. 3, in this package's convention):
N training points ``x_i ~ N(shift * e_1, sigma^2 I_d)``, all with the same label
``y = +1``; the classifier is ``f(x) = S.x + b``. The generalising solution is
``S = 0, b -> inf``. ``shift = 0`` is the paper's symmetric case (Wendel exact);
``shift != 0`` is a non-symmetric variant (Wendel no longer exact).

Label fraction ``r`` (App. I of the paper: the constant labels "explicitly modified to be
discriminative", Fig. 16 at ``r = 0.99, 0.95``): each training point keeps the constant label
``+1`` with probability ``r`` and gets ``-1`` otherwise (:func:`sample_labels`), independently
of its position. This is the paper's two-Gaussians model (sec. 3, ``sigma_A = 0``) with a
fraction ``1 - r`` of its labels flipped, reduced by the same reflection ``x -> y x`` (a flipped
point becomes a ``-1`` point at a position with the same symmetric law); the test law is the
clean one (all test labels ``+1``). App. I's own parameterisation was only available through
quoted fragments, so this reading is the package's (docs/errata.md).

The training set is *separable from the origin* when some ``S`` has
``S.x_i > 0`` for every ``i`` (equivalently the origin is outside the convex hull).
That is decided exactly here by the feasibility LP ``X S >= 1`` (scipy linprog, HiGHS).
The homogeneous margin ``M = max_{|u|=1} min_i u.x_i`` equals the distance from the
origin to the convex hull (the dual of ``min |S|^2 s.t. X S >= 1``, ``M = 1/|S_hat|``).

Prop. 3.3 (Wendel 1962): for N points i.i.d. from a law symmetric about 0 and in
general position, ``P_sep(N, d) = 2^{1-N} sum_{k=0}^{d-1} C(N-1, k)``.

Examples
--------
>>> import numpy as np
>>> X = np.array([[1.0, 0.0], [0.0, 1.0]])
>>> bool(is_separable(X)), round(margin(X), 6)
(True, 0.707107)
>>> bool(is_separable(np.array([[1.0, 0.0], [-1.0, 0.1], [-1.0, -0.1]])))
False
>>> wendel_p_sep(4, 2)
0.5
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["sample_training_sets", "sample_labels", "is_separable", "margin", "max_margin_direction", "wendel_p_sep",
           "p_grok_wendel", "wendel_limit"]


def sample_training_sets(N: int, d: int, n_sets: int, *, sigma: float = 1.0, shift: float = 0.0,
                         seed: int) -> np.ndarray:
    """``n_sets`` training sets, shape ``(n_sets, N, d)``, points ``~ N(shift e_1, sigma^2 I_d)``.

    Each set has its own child seed (``SeedSequence(seed).spawn``), so set ``r`` does not
    depend on ``n_sets``.

    >>> sample_training_sets(3, 2, 4, seed=0).shape
    (4, 3, 2)
    """
    if N < 1 or d < 1 or n_sets < 1:
        raise ValueError(f"N, d and n_sets must be >= 1, got N={N}, d={d}, n_sets={n_sets}")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    out = np.empty((n_sets, N, d))
    for r, child in enumerate(np.random.SeedSequence(seed).spawn(n_sets)):
        out[r] = sigma * np.random.default_rng(child).standard_normal((N, d))
    out[:, :, 0] += shift
    return out


def sample_labels(N: int, n_sets: int, label_fraction: float = 1.0, *, seed: int) -> np.ndarray:
    """Labels ``(n_sets, N)`` in ``{+1, -1}``: ``+1`` with probability ``label_fraction`` (App. I's ``r``).

    ``label_fraction = 1`` is the paper's constant label (all ``+1``, no random draw). Set ``r``
    has its own child seed (``SeedSequence(seed).spawn``), as in :func:`sample_training_sets`.

    >>> sample_labels(4, 2, seed=0).tolist()
    [[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]
    >>> bool((sample_labels(50, 3, 0.5, seed=1) == -1).any())
    True
    """
    if N < 1 or n_sets < 1:
        raise ValueError(f"sample_labels: N and n_sets must be >= 1, got N={N}, n_sets={n_sets}")
    if not 0 < label_fraction <= 1:
        raise ValueError(f"sample_labels: label_fraction must be in (0, 1], got {label_fraction}")
    if label_fraction == 1:
        return np.ones((n_sets, N))
    out = np.empty((n_sets, N))
    for r, child in enumerate(np.random.SeedSequence(seed).spawn(n_sets)):
        out[r] = np.where(np.random.default_rng(child).random(N) < label_fraction, 1.0, -1.0)
    return out


def is_separable(X: np.ndarray) -> bool:
    """True when some S has ``S.x_i > 0`` for all rows of ``X`` (exact LP feasibility of ``X S >= 1``).

    >>> is_separable(np.array([[1.0], [2.0]])), is_separable(np.array([[1.0], [-2.0]]))
    (True, False)
    """
    from scipy.optimize import linprog

    X = np.asarray(X, dtype=float)
    N, d = X.shape
    res = linprog(np.zeros(d), A_ub=-X, b_ub=-np.ones(N), bounds=[(None, None)] * d, method="highs")
    if res.status == 0:
        return True
    if res.status == 2:
        return False
    return _separable_bounded(X)


def _separable_bounded(X: np.ndarray) -> bool:
    """Fallback near the boundary: ``max t s.t. X S >= t, |S_j| <= 1, t <= 1`` (always feasible, bounded).

    Separable iff ``t* > 0``; decided against the LP's own tolerance scaled by the data.
    """
    from scipy.optimize import linprog

    N, d = X.shape
    A = np.c_[-X, np.ones(N)]
    res = linprog(np.r_[np.zeros(d), -1.0], A_ub=A, b_ub=np.zeros(N), bounds=[(-1, 1)] * d + [(None, 1)],
                  method="highs")
    if res.status != 0:
        raise RuntimeError(f"separability LP failed: {res.message}")
    return bool(-res.fun > 1e-9 * max(1.0, float(np.abs(X).max())))


def max_margin_direction(X: np.ndarray) -> np.ndarray:
    """``S_hat = argmin |S|^2 s.t. X S >= 1`` (separable X only; SLSQP started from the LP point).

    >>> np.round(max_margin_direction(np.array([[1.0, 0.0], [0.0, 1.0]])), 6)
    array([1., 1.])
    """
    from scipy.optimize import linprog, minimize

    X = np.asarray(X, dtype=float)
    N, d = X.shape
    lp = linprog(np.zeros(d), A_ub=-X, b_ub=-np.ones(N), bounds=[(None, None)] * d, method="highs")
    if lp.status != 0:
        raise ValueError("max_margin_direction: the training set is not separable from the origin")
    cons = {"type": "ineq", "fun": lambda s: X @ s - 1.0, "jac": lambda s: X}
    res = minimize(lambda s: s @ s, lp.x, jac=lambda s: 2 * s, constraints=[cons], method="SLSQP",
                   options={"ftol": 1e-14, "maxiter": 500})
    s = res.x
    worst = float((X @ s).min())
    return s / worst if worst > 0 else lp.x


def margin(X: np.ndarray) -> float:
    """Homogeneous margin ``M = 1/|S_hat|`` = distance from 0 to conv(X); 0 when not separable."""
    if not is_separable(X):
        return 0.0
    return float(1.0 / np.linalg.norm(max_margin_direction(X)))


def wendel_p_sep(N: int, d: int) -> float:
    """Prop. 3.3 (Wendel 1962): ``P_sep = 2^{1-N} sum_{k<d} C(N-1, k)`` (exact; 1 when d >= N).

    >>> wendel_p_sep(10, 5), wendel_p_sep(3, 5)
    (0.5, 1.0)
    """
    if N < 1 or d < 1:
        raise ValueError(f"N and d must be >= 1, got N={N}, d={d}")
    if d >= N:
        return 1.0
    total = sum(math.comb(N - 1, k) for k in range(d))
    return float(total / 2 ** (N - 1))


def p_grok_wendel(N: int, d: int) -> float:
    """``P_grok = 1 - P_sep`` (Prop. 3.2 + 3.3): probability that a symmetric training set generalises."""
    return 1.0 - wendel_p_sep(N, d)


def wendel_limit(lam: float) -> float:
    """Large-N limit of ``P_grok`` at fixed ``lam = d/N``: 1 below 1/2, 1/2 at 1/2, 0 above (lambda_c = 1/2)."""
    return 1.0 if lam < 0.5 else (0.5 if lam == 0.5 else 0.0)

r"""The corner study (issue 25, step 3): which edge exponents the scenario-B transition sees.

**Why a corner.** Near its t_eps a run's classifier is :math:`w(t_\varepsilon-\tau) \approx w^* -
\tau\dot w`, so a context of margin :math:`m^*` under :math:`w^*` is misclassified at
:math:`t_\varepsilon - \tau` when :math:`m^* < \tau g` (g = :math:`\dot w\cdot z\,y > 0` near the exit
point).  In d = 2 a context is a pair of angles; the margin is smooth in both, so the sliver
:math:`\{m^* < g\tau\}` is :math:`a\,\delta_L + b\,\delta_R < g\tau` around the point where the support
is left (δ: distances to it on each side).  The bulk support is self-similar: a smooth function is
minimal on it at a point :math:`f_W(e)` — a finite word W followed by :math:`x^\infty`, e the fixed
point of symbol x's map — and near it the support is the smooth image of the support near e, whose
mass within δ scales as :math:`\delta^{1-\xi_x}`, :math:`\xi_x = 1-\ln(1/p_x)/\ln(1/c_x)`,
:math:`c_x = \lambda_2/\lambda_1` of :math:`A_x` (docs/local_rules.md, "ξ in closed form"), whatever
W is.  Given the neighbouring symbols the left and right contexts are independent, so the sliver's
mass is a convolution of two power laws: :math:`E(\tau) \propto \tau^{\nu_k}`,
:math:`\nu_k = (1-\xi_{x_L}) + (1-\xi_{x_R})` (Eq. 50 with D → 3 at that corner, ξ → ξ_L + ξ_R).

**Identification** (:func:`identify_corners`): the last misclassified bulk context of a run
(:func:`local_rules.last_wrong` at :math:`t_\varepsilon-\tau_{\min}`) shares the exit word
:math:`W x^\infty` for as many symbols as the sample resolves.  Its history on each side
(:math:`x_{i-1}, x_{i-2}, \dots` left, :math:`x_{i+1}, \dots` right, nearest first; regenerated from
the bulk sample's seed) is read as :math:`W x^k`: x is the symbol of the first run of at least
``k_min`` equal symbols (none within ``depth``: unidentified).  The corner key is (x_L, x_R, centre
symbol, class).  The nearest *outer* edge of the support is reported beside it: it is not the exit
type, since most exits are at gap edges of the Cantor-like support.

**Mixture** (:func:`corner_mixture`): runs grouped by corner, the aligned mean per group, and
:math:`\sum_k p_k C_k\tau^{\nu_k}` (C_k fitted per group at fixed ν_k) against the pooled mean.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._bulk_transition import assign_corner, bulk_transition, last_wrong, resolved_window
from ._checks import check_int, check_real
from ._contexts import Contexts, bulk_contexts, vector_angle, xi_closed_form
from ._rules import random_inputs
from ._tensors import resolve_A

__all__ = ["symbol_exponents", "context_histories", "tail_symbol", "identify_corners", "corner_mixture",
           "corner_study"]


def symbol_exponents(A: Any, *, p: float = 0.5) -> dict[int, dict[str, Any]]:
    r"""Per symbol x (0: −1, 1: +1): :math:`c_x = \lambda_2/\lambda_1` of :math:`A_x` (the same for the
    left maps :math:`A_x^\top`) and :math:`\xi_x = 1 - \ln(1/p_x)/\ln(1/c_x)` when :math:`0 < c_x < 1`
    (a one-sided edge), else NaN; :math:`p_0 = p`, :math:`p_1 = 1 - p`.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.stack([np.diag([1.0, 0.25]), np.diag([1.0, -0.5])], -1)
    >>> e = symbol_exponents(A)
    >>> e[0]["xi"], e[0]["one_sided"], e[1]["one_sided"]
    (0.5, True, False)
    """
    A_arr = resolve_A(A)[0]
    p = check_real("p", p, 0.0, 1.0, lo_open=True)
    out = {}
    for x, px in ((0, p), (1, 1.0 - p)):
        lam = np.linalg.eigvals(A_arr[..., x])
        lam = lam[np.argsort(-np.abs(lam))]
        real = bool(np.all(np.abs(lam.imag) <= 1e-12 * np.abs(lam[0])) and abs(lam[0]) > abs(lam[1]))
        c = float(np.real(lam[1] / lam[0])) if real else float("nan")
        one = bool(real and 0 < c < 1 and px > 0)
        xi = float(1.0 - math.log(1.0 / px) / math.log(1.0 / c)) if one else float("nan")
        out[x] = {"ratio": c, "xi": xi, "one_sided": one, "mass_exponent": 1.0 - xi}
    return out


def context_histories(contexts: Contexts, idx: ArrayLike, *, depth: int = 16
                      ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Symbols (0/1) next to the positions ``idx`` of a :func:`local_rules.bulk_contexts` sample,
    nearest first: ``left[:, k]`` = x_{i−1−k}, ``right[:, k]`` = x_{i+1+k} (regenerated from its seed;
    checked against the stored centre symbols)."""
    info = contexts.info
    if info.get("kind") != "bulk":
        raise ValueError("contexts: histories need a bulk_contexts sample (info['kind'] == 'bulk')")
    depth = check_int("depth", depth, 1, info["lo"])
    idx = np.asarray(idx, np.int64)
    x = random_inputs(info["n_seq"], info["length"], np.random.default_rng(info["seed"]))
    b = (x.astype(np.int64) + 1) // 2
    s, j = np.divmod(idx, info["hi"] - info["lo"])
    pos = info["lo"] + j
    if not np.array_equal(b[s, pos], contexts.center[idx]):
        raise ValueError("contexts: stored centre symbols do not match the regenerated inputs")
    k = np.arange(depth)
    right_ok = pos + depth < info["length"]
    if not np.all(right_ok):
        raise ValueError(f"depth must be < {info['length'] - info['hi']} for this sample (positions near its end)")
    return b[s[:, None], pos[:, None] - 1 - k], b[s[:, None], pos[:, None] + 1 + k]


def tail_symbol(history: ArrayLike, *, k_min: int = 3) -> tuple[int, int, int]:
    """(symbol, start, run length) of the first run of at least ``k_min`` equal symbols, or (−1, −1, 0).

    Examples
    --------
    >>> tail_symbol([1, 0, 0, 0, 0, 1, 1])
    (0, 1, 4)
    >>> tail_symbol([1, 0, 1, 0])
    (-1, -1, 0)
    """
    h = np.asarray(history, np.int64)
    k_min = check_int("k_min", k_min, 1)
    i = 0
    while i < h.size:
        j = i
        while j < h.size and h[j] == h[i]:
            j += 1
        if j - i >= k_min:
            return int(h[i]), i, j - i
        i = j
    return -1, -1, 0


def identify_corners(W: ArrayLike, contexts: Contexts, A: Any, *, p: float = 0.5, k_min: int = 3,
                     depth: int = 16, closed: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Exit corner of each classifier row of ``W`` (``(R, 2d²)``) from its last misclassified context
    (module docstring): ``left``/``right`` tail symbols (−1: unidentified), their run starts and lengths,
    ``xi_left``/``xi_right`` (:func:`symbol_exponents`), ``nu_corner`` = 2 − ξ_L − ξ_R, ``center``,
    ``label``, ``key`` and, given ``closed`` (``xi_closed_form``), the nearest outer edges."""
    W = np.atleast_2d(np.asarray(W, float))
    ex = symbol_exponents(A, p=p)
    idx = last_wrong(W, contexts.features(), contexts.labels)
    hl, hr = context_histories(contexts, idx, depth=depth)
    la, ra = vector_angle(contexts.left[idx]), vector_angle(contexts.right[idx])
    out = []
    for r, i in enumerate(idx):
        (xl, sl, nl), (xr, sr, nr) = tail_symbol(hl[r], k_min=k_min), tail_symbol(hr[r], k_min=k_min)
        xil = ex[xl]["xi"] if xl >= 0 else float("nan")
        xir = ex[xr]["xi"] if xr >= 0 else float("nan")
        c, y = int(contexts.center[i]), int(contexts.labels[i])
        rec = {"index": int(i), "left": xl, "right": xr, "left_start": sl, "right_start": sr, "left_run": nl,
               "right_run": nr, "center": c, "label": y, "xi_left": float(xil), "xi_right": float(xir),
               "nu_corner": float(2.0 - xil - xir), "key": f"A{xl}xA{xr}|c{c}|y{y:+d}" if min(xl, xr) >= 0
               else "unidentified"}
        if closed is not None:
            rec["nearest_outer_edges"] = list(assign_corner(la[r], ra[r], closed["left"], closed["right"]))
        out.append(rec)
    return out


def corner_mixture(tau: ArrayLike, E: ArrayLike, corner_keys: list[Any], corner_nu: dict[Any, float],
                   *, window: tuple[float, float], n_contexts: int | None = None, n_min: int = 20
                   ) -> dict[str, Any]:
    r"""Corner groups of aligned runs ``E[run, tau]``: shares :math:`p_k`, per-group mean curves,
    :math:`C_k` (geometric-mean fit of the group mean at fixed :math:`\nu_k`) and the mixture
    :math:`\sum_k p_k C_k\tau^{\nu_k}` beside the pooled mean.  C_k is fitted over ``window``; given
    ``n_contexts``, over the group's resolved part of it (:func:`local_rules.resolved_window` of the
    group's runs), shifted up to the group's first resolved τ with the same log-width when the group
    is not resolved inside it (``fit_window``).  ``leading``: the smallest :math:`\nu_k` of a group
    with runs (the τ → 0 exponent); groups with a NaN ν_k stay out of the mixture (``unexplained_share``).

    Examples
    --------
    >>> import numpy as np
    >>> tau = np.logspace(-3, 0, 31)
    >>> E = np.vstack([tau ** 0.4] * 3 + [tau ** 0.8])
    >>> r = corner_mixture(tau, E, ["a", "a", "a", "b"], {"a": 0.4, "b": 0.8}, window=(1e-3, 1.0))
    >>> r["leading"], r["shares"]["a"], bool(np.allclose(r["mixture"], r["pooled"]))
    (0.4, 0.75, True)
    """
    tau = np.asarray(tau, float)
    E = np.atleast_2d(np.asarray(E, float))
    keys = [str(k) for k in corner_keys]
    if len(keys) != E.shape[0]:
        raise ValueError(f"corner_keys: need one key per run ({E.shape[0]}), got {len(keys)}")
    nus = {str(k): float(v) for k, v in corner_nu.items()}
    groups: dict[str, Any] = {}
    mix = np.zeros_like(tau)
    lo, hi = window
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns (τ ≥ every t_eps): NaN mean
        pooled = np.nanmean(E, axis=0)
        for k in sorted(set(keys)):
            rows = np.array([q == k for q in keys])
            m = np.nanmean(E[rows], axis=0)
            a, b = lo, hi
            if n_contexts is not None:
                lo_k = resolved_window(tau, E[rows], n_contexts, n_min=n_min, tau_hi=float(tau.max()))["lo"]
                a = max(lo, lo_k) if lo_k is not None else float("inf")
                b = max(hi, a * hi / lo) if lo_k is not None else float("inf")
            s = (tau >= a * (1 - 1e-9)) & (tau <= b * (1 + 1e-9)) & np.isfinite(m) & (m > 0)
            nu = nus.get(k, float("nan"))
            C = float(np.exp(np.mean(np.log(m[s]) - nu * np.log(tau[s])))) if s.any() and math.isfinite(nu) \
                else float("nan")
            share = float(rows.mean())
            if math.isfinite(C):
                mix = mix + share * C * tau ** nu
            groups[k] = {"share": share, "n_runs": int(rows.sum()), "nu_corner": nu, "C": C, "mean": m,
                         "fit_window": [float(a), float(b)]}
    finite = [g["nu_corner"] for g in groups.values() if math.isfinite(g["nu_corner"])]
    return {"groups": groups, "shares": {k: g["share"] for k, g in groups.items()},
            "leading": min(finite) if finite else None, "mixture": mix, "pooled": pooled, "tau": tau,
            "window": [float(lo), float(hi)],
            "unexplained_share": float(sum(g["share"] for g in groups.values() if not math.isfinite(g["C"])))}


def _dominant_contraction(corners: list[dict[str, Any]], ex: dict[int, dict[str, Any]]) -> float | None:
    """Smallest one-sided c_x of the two tail symbols of the most frequent identified edge pair."""
    pairs = [(c["left"], c["right"]) for c in corners if min(c["left"], c["right"]) >= 0]
    if not pairs:
        return None
    top = max(set(pairs), key=lambda q: (pairs.count(q), q))
    cs = [ex[x]["ratio"] for x in top if ex[x]["one_sided"]]
    return float(min(cs)) if cs else None


def corner_study(A: Any, *, lam1: float = 0.0, lam2: float = 0.0, n_init: int = 200, seed: int = 0,
                 contexts: Contexts | None = None, taus: Any = None, tau_hi: float = 1.0, n_min: int = 20,
                 p: float = 0.5, k_min: int = 3, depth: int = 16) -> dict[str, Any]:
    r"""Bulk transition, exit corner of every grokking run and the corner mixture (module docstring).

    ``taus`` defaults to 81 points log-spaced over 1e-7 … 10; the window is :func:`resolved_window`
    (``n_min``, ``tau_hi``).  Returns ``bulk`` (:func:`local_rules.bulk_transition`), ``corners``
    (:func:`identify_corners` at ``t_eps − min(taus)``), ``exponents`` (:func:`symbol_exponents`),
    ``window``, ``mixture`` (:func:`corner_mixture` over the window; None without one),
    ``contraction`` (the dominant corner's smallest c_x: the log-period of the staircase) and ``closed``.

    Examples
    --------
    >>> import local_rules as lr
    >>> c = lr.bulk_contexts("example2", n_seq=4, length=1024, lo=128, hi=896)
    >>> s = lr.corner_study("example2", n_init=4, contexts=c)
    >>> len(s["corners"]) == int(s["bulk"]["groks"].sum()), round(s["exponents"][1]["xi"], 3)
    (True, 0.887)
    """
    A_arr = resolve_A(A)[0]
    if A_arr.shape[0] != 2:
        raise ValueError(f"A: the corner study needs bond dimension d = 2, got {A_arr.shape[0]}")
    c = contexts if contexts is not None else bulk_contexts(A_arr, seed=seed)
    taus = np.logspace(-7, 1, 81) if taus is None else np.asarray(taus, float)
    bt = bulk_transition(A_arr, lam1=lam1, lam2=lam2, n_init=n_init, seed=seed, contexts=c, taus=taus)
    closed = xi_closed_form(A_arr, p=p)
    ex = symbol_exponents(A_arr, p=p)
    corners: list[dict[str, Any]] = []
    if bt["flow"] is not None:
        W = bt["flow"].at(np.clip(bt["t_eps"][bt["runs"]] - float(taus.min()), 0.0, None))
        corners = identify_corners(W, c, A_arr, p=p, k_min=k_min, depth=depth, closed=closed)
        for run, rec in zip(bt["runs"], corners):
            rec["run"] = int(run)
    win = resolved_window(taus, bt["E"], bt["n_contexts"], n_min=n_min, tau_hi=tau_hi) if corners else \
        {"lo": None, "hi": None}
    mix = None
    if win["lo"] is not None:
        mix = corner_mixture(taus, bt["E"], [r["key"] for r in corners],
                             {r["key"]: r["nu_corner"] for r in corners}, window=(win["lo"], win["hi"]),
                             n_contexts=bt["n_contexts"], n_min=n_min)
    return {"bulk": bt, "corners": corners, "exponents": ex, "window": win, "mixture": mix,
            "contraction": _dominant_contraction(corners, ex), "closed": closed, "taus": taus}

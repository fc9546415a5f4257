r"""Direct simulation of the two perceptron grokking models.

Each replica samples its own balanced training set (N per class) and initial weights
from an explicit seed, runs the gradient flow exactly (Eq. 6 for the 1D model, Eq. 21
for the ball with λ1 = 0; the event-driven exact integrator :class:`~perceptron_theory.flow.L1Flow`
for λ1 > 0), and measures along the trajectory

* the test error exactly (the exponential tail, Eq. 7; the cap volume of the current w, Eq. 22),
* the training error by counting misclassified training samples,
* t_train, t_eps (first times the errors vanish; located on a log grid and refined by
  bisection on the exact trajectory), t_G = t_eps - t_train, and whether the final
  model has zero test error (``groks``).

Nothing here uses the theory's approximations (Gamma laws, first-order expansions,
fast/slow split): the comparison of these numbers with :mod:`~perceptron_theory.exponential`
and :mod:`~perceptron_theory.ball` is the point of the exercise.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from . import ball as _ball
from . import exponential as _exp
from ._crossing import first_crossing
from ._result import SimulationResult
from ._validation import check_int, check_real
from .flow import L1Flow, LinearFlow, l1_stationary

__all__ = ["simulate_exponential", "simulate_ball", "sample_ball", "SimulationResult"]

_STATUS_DOC = ("status: 'groks' (final test error 0), 'no_grok' (test error never 0), "
               "'transient' (test error reached 0 and came back), 'not_reached' (final state "
               "groks but the crossing lies beyond the simulated horizon)")


def _progress(total: int, enabled: bool, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc=desc, unit="replica", leave=False)


def sample_ball(rng: np.random.Generator, size: tuple[int, ...], D: int) -> NDArray[np.float64]:
    """Uniform samples in the unit D-ball, shape ``size + (D,)`` (direction × U^{1/D})."""
    g = rng.standard_normal(size + (D,))
    g /= np.linalg.norm(g, axis=-1, keepdims=True)
    return g * rng.random(size + (1,)) ** (1.0 / D)


def _curve_times(t_eps: NDArray, scale: NDArray, n_global: int, n_aligned: int) -> NDArray:
    """Per-run curve times: a log grid over the run's time scale plus points approaching
    t_eps from below at log-spaced distances (for the aligned near-transition fit)."""
    glob = np.concatenate([[0.0], np.geomspace(1e-3, 1.0, n_global - 1)])[None, :] * scale[:, None]
    fin = np.isfinite(t_eps) & (t_eps > 0)
    tau = np.geomspace(1e-7, 0.5, n_aligned)[None, :] * np.where(fin, t_eps, 1.0)[:, None]
    aligned = np.where(fin[:, None], t_eps[:, None] - tau, np.nan)
    both = np.concatenate([glob, aligned, np.where(fin, t_eps, np.nan)[:, None]], axis=1)
    both.sort(axis=1)  # NaNs go last
    dup = np.zeros_like(both, dtype=bool)
    dup[:, 1:] = both[:, 1:] == both[:, :-1]
    both[dup] = np.nan  # one row per (run, t)
    return both


def _tidy_curves(run_ids: NDArray, times: NDArray, test: NDArray, train: NDArray) -> pd.DataFrame:
    keep = np.isfinite(times)
    return pd.DataFrame({
        "run": np.broadcast_to(run_ids[:, None], times.shape)[keep].astype(np.int64),
        "t": times[keep],
        "test_error": test[keep],
        "train_error": train[keep],
    })


def _finish(config: dict[str, Any], curves: list[pd.DataFrame], rows: dict[str, list],
            features: dict[str, list]) -> SimulationResult:
    summary = pd.DataFrame({k: np.concatenate(v) for k, v in rows.items()})
    feats = {k: np.concatenate(v) for k, v in features.items()}
    cur = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(
        columns=["run", "t", "test_error", "train_error"])
    return SimulationResult(config=config, curves=cur, summary=summary, features=feats)


def _status(t_eps: NDArray, groks_final: NDArray) -> NDArray:
    reached = np.isfinite(t_eps)
    return np.where(groks_final & reached, "groks",
                    np.where(groks_final, "not_reached", np.where(reached, "transient", "no_grok")))


# ---------------------------------------------------------------------------

def simulate_exponential(N: int, eps: float, lam1: float = 0.0, lam2: float = 0.0,
                         n_replicas: int = 1000, seed: int = 0, b0: float | None = None,
                         record_curves: bool = True, n_curve_points: int = 48,
                         chunk: int = 4096, progress: bool = True) -> SimulationResult:
    r"""Simulate the 1D exponential model (sec. 3.2) for ``n_replicas`` training sets.

    Data: positives :math:`\epsilon + \mathrm{Exp}(1)`, negatives :math:`-\epsilon - \mathrm{Exp}(1)`,
    N of each. Initial bias: ``b0``, or by default one unit above the largest positive
    training input (so that both errors start positive and Eq. 16 applies). The flow
    (Eq. 5) is solved exactly; t_train/t_eps are found by bisection on b(t).

    Summary columns: run, t_train, t_eps, t_G (grokking runs only), groks, status, diverged,
    xbar, x_min (offset of the smallest positive sample beyond eps), b0, b_final.
    """
    N = check_int("N", N, 1)
    eps = check_real("eps", eps, 0.0)
    lam1 = check_real("lam1", lam1, 0.0)
    lam2 = check_real("lam2", lam2, 0.0)
    R = check_int("n_replicas", n_replicas, 1)
    seed = check_int("seed", seed, 0)
    if b0 is not None:
        b0 = check_real("b0", b0)
    chunk = check_int("chunk", chunk, 1)
    config = {"generator": "perceptron_theory.simulate_exponential", "model": "exponential",
              "N": N, "eps": eps, "lam1": lam1, "lam2": lam2, "n_replicas": R, "seed": seed,
              "b0": b0 if b0 is not None else "max(x_pos)+1", "record_curves": record_curves,
              "n_curve_points": n_curve_points, "time_unit": "gradient-flow time",
              "status_values": _STATUS_DOC}
    rng = np.random.default_rng(seed)
    rows: dict[str, list] = {k: [] for k in ("run", "t_train", "t_eps", "t_G", "groks", "status",
                                             "diverged", "xbar", "x_min", "b0", "b_final")}
    curves: list[pd.DataFrame] = []
    k = 1.0 + lam2
    with _progress(R, progress and R > 20000, "1D model") as bar:
        for start in range(0, R, chunk):
            r = min(chunk, R - start)
            u = rng.exponential(size=(r, N))
            v = rng.exponential(size=(r, N))
            xp, xn = eps + u, -eps - v
            xbar = (xp.sum(1) + xn.sum(1)) / (2 * N)
            b_init = np.full(r, b0) if b0 is not None else xp.max(1) + 1.0
            b_fin = _exp.bias_trajectory(np.inf, xbar, b_init, lam1, lam2)

            def b_at(t: NDArray, rows_: NDArray) -> NDArray:
                return _exp.bias_trajectory(t, xbar[rows_], b_init[rows_], lam1, lam2)

            horizon = (np.log(np.abs(b_init) + np.abs(xbar) + 10.0) + 45.0) / k
            grid = np.concatenate([np.zeros((r, 1)), np.geomspace(1e-6, 1.0, 600)[None, :] * horizon[:, None]], 1)
            bg = _exp.bias_trajectory(grid, xbar[:, None], b_init[:, None], lam1, lam2)

            def test_ok(b: NDArray) -> NDArray:
                return np.abs(b) <= eps

            lowest_pos, highest_neg = xp.min(-1), xn.max(-1)

            def train_ok(b: NDArray, rows_: NDArray) -> NDArray:
                # every training sample strictly on its side of the threshold
                return (lowest_pos[rows_, ...] > b) & (highest_neg[rows_, ...] < b)

            te = first_crossing(test_ok(bg), grid, lambda t, rr: test_ok(b_at(t, rr)))
            all_rows = np.arange(r)
            tt = first_crossing(train_ok(bg, (all_rows[:, None])), grid,
                                lambda t, rr: train_ok(b_at(t, rr), rr))
            groks = test_ok(b_fin)
            status = _status(te, groks)
            with np.errstate(invalid="ignore"):
                tG = np.where(status == "groks", te - tt, np.nan)
            ids = np.arange(start, start + r)
            for key, val in (("run", ids), ("t_train", tt), ("t_eps", te), ("t_G", tG),
                             ("groks", groks), ("status", status), ("diverged", np.zeros(r, bool)),
                             ("xbar", xbar), ("x_min", u.min(1)), ("b0", b_init), ("b_final", b_fin)):
                rows[key].append(val)
            if record_curves:
                times = _curve_times(te, np.maximum(np.where(np.isfinite(te), 2 * te, 0), 1.0 / k),
                                     n_curve_points, n_curve_points // 2)
                bt = _exp.bias_trajectory(np.nan_to_num(times), xbar[:, None], b_init[:, None], lam1, lam2)
                test_err = _exp.test_error(bt, eps)
                train_err = (np.sum(xp[:, None, :] <= bt[..., None], -1)
                             + np.sum(xn[:, None, :] >= bt[..., None], -1)) / (2 * N)
                curves.append(_tidy_curves(ids, times, test_err, train_err))
            bar.update(r)
    return _finish(config, curves, rows, {})


# ---------------------------------------------------------------------------

def _ball_data(rng: np.random.Generator, r: int, N: int, D: int, eps: float):
    x = sample_ball(rng, (r, 2 * N), D)
    y = np.concatenate([np.ones(N), -np.ones(N)])
    xt = x.copy()
    xt[..., 0] += y * eps
    w0 = rng.standard_normal((r, D))
    return xt, y, w0


def simulate_ball(D: int, N: int, eps: float, lam1: float = 0.0, lam2: float = 0.0,
                  n_replicas: int = 1000, seed: int = 0, record_curves: bool = True,
                  n_curve_points: int = 48, n_grid: int = 160, chunk: int = 256,
                  final_only: bool = False, progress: bool = True) -> SimulationResult:
    r"""Simulate the D-ball model (sec. 3.3) for ``n_replicas`` independent replicas.

    Each replica: 2N training inputs (N per class, uniform in the unit balls at
    :math:`\pm\epsilon e_1`), initial weights Normal(0, 1), the exact flow (Eq. 21; the exact
    event-driven L1 flow for λ1 > 0). Test error: :math:`E_D(\epsilon w_1/\|w\|)` (Eq. 22);
    zero exactly when :math:`\epsilon w_1 \ge \|w\|`. Training error: the fraction of training
    inputs with :math:`y\,\tilde x\cdot w \le 0`.

    Summary columns: run, t_train, t_eps, t_G (grokking runs), groks, status, diverged,
    h_final (:math:`\epsilon w_1/\|w\|` at t = ∞), r0 (:math:`\|w_\perp(0)\|^2`), fast_branch
    (:math:`r_0 \le 1 - 1/\epsilon^2`, Eq. 40), g_min/g_max (extreme eigenvalues of G).
    Features: ``w_final`` (R, D), ``G_eigenvalues`` (R, D).

    ``final_only=True`` computes only the final state (``groks``, ``h_final``; times are
    NaN): :math:`G^+a` for λ1 = 0, the L1 minimiser (:func:`~perceptron_theory.flow.l1_stationary`)
    otherwise. This is what the grokking probability needs, and much faster for λ1 > 0.
    """
    D = check_int("D", D, 1)
    N = check_int("N", N, 1)
    eps = check_real("eps", eps, 0.0, lo_open=True)
    lam1 = check_real("lam1", lam1, 0.0)
    lam2 = check_real("lam2", lam2, 0.0)
    R = check_int("n_replicas", n_replicas, 1)
    seed = check_int("seed", seed, 0)
    chunk = check_int("chunk", chunk, 1)
    n_grid = check_int("n_grid", n_grid, 8)
    config = {"generator": "perceptron_theory.simulate_ball", "model": "ball", "D": D, "N": N,
              "eps": eps, "lam1": lam1, "lam2": lam2, "n_replicas": R, "seed": seed,
              "record_curves": record_curves, "n_curve_points": n_curve_points, "n_grid": n_grid,
              "init": "w(0) ~ Normal(0, I_D)", "time_unit": "gradient-flow time",
              "final_only": final_only,
              "integrator": "exact eigendecomposition (Eq. 21)" if lam1 == 0 else
              "exact event-driven piecewise-linear flow (L1Flow)", "status_values": _STATUS_DOC}
    rng = np.random.default_rng(seed)
    keys = ("run", "t_train", "t_eps", "t_G", "groks", "status", "diverged", "h_final", "r0",
            "fast_branch", "g_min", "g_max")
    rows: dict[str, list] = {k: [] for k in keys}
    feats: dict[str, list] = {"w_final": [], "G_eigenvalues": []}
    curves: list[pd.DataFrame] = []
    eye = np.eye(D)
    with _progress(R, progress and (R * N * D > 2e6 or (lam1 > 0 and not final_only)),
                   f"ball D={D}") as bar:
        for start in range(0, R, chunk):
            r = min(chunk, R - start)
            xt, y, w0 = _ball_data(rng, r, N, D, eps)
            G = np.einsum("rni,rnj->rij", xt, xt) / (2 * N) + lam2 * eye
            a0 = np.einsum("n,rni->ri", y, xt) / (2 * N)
            yx = y[None, :, None] * xt  # (r, 2N, D): margins are yx @ w
            gl = np.linalg.eigvalsh(G)
            lam_pos = np.where(gl > 1e-12 * gl[:, -1:], gl, np.inf).min(1)
            horizon = 60.0 / lam_pos
            grid = np.concatenate([np.zeros((r, 1)), np.geomspace(1e-4 / gl[:, -1], horizon, n_grid - 1).T], 1)
            if final_only:
                if lam1 == 0:
                    fl = LinearFlow(G, a0, w0)
                    w_fin, diverged = fl.w_inf_, fl.diverged_
                else:
                    w_fin, conv = l1_stationary(G, a0, lam1)
                    diverged = ~conv
                groks = (eps * w_fin[:, 0] >= np.linalg.norm(w_fin, axis=-1)) & ~diverged
                nan = np.full(r, np.nan)
                nf = np.linalg.norm(w_fin, axis=-1)
                r0 = np.sum(w0[:, 1:] ** 2, axis=1)
                vals = (np.arange(start, start + r), nan, nan, nan, groks,
                        np.where(groks, "groks", "no_grok"), diverged,
                        eps * w_fin[:, 0] / np.where(nf > 0, nf, 1.0), r0,
                        r0 <= 1.0 - 1.0 / eps**2, gl[:, 0], gl[:, -1])
                for key, val in zip(keys, vals):
                    rows[key].append(np.asarray(val))
                feats["w_final"].append(w_fin)
                feats["G_eigenvalues"].append(gl)
                bar.update(r)
                continue
            if lam1 == 0:
                flow = LinearFlow(G, a0, w0)
                w_fin = flow.w_inf_
                diverged = flow.diverged_
                Pm = np.einsum("rni,rij->rnj", yx, flow.eigvecs_)  # margins in the eigenbasis

                def coef_at(t: NDArray, rows_: NDArray) -> NDArray:
                    # eigenbasis coordinates of replicas rows_ at one time each
                    lam, a_, c0, ci, z = (q[rows_] for q in (flow.eigvals_, flow._a, flow._c0,
                                                             flow._cinf, flow.zero_))
                    tt = t[:, None]
                    return np.where(z, c0 + a_ * tt, ci + (c0 - ci) * np.exp(-lam * tt))

                def w_at(t: NDArray, rows_: NDArray) -> NDArray:
                    return np.einsum("rij,rj->ri", flow.eigvecs_[rows_], coef_at(t, rows_))

                def margins_at(t: NDArray, rows_: NDArray) -> NDArray:
                    return np.einsum("rnj,rj->rn", Pm[rows_], coef_at(t, rows_))

                def w_grid(tg: NDArray) -> NDArray:
                    c = flow.coefficients_grid(tg)
                    return np.einsum("rij,rtj->rti", flow.eigvecs_, c), c
            else:
                l1f = L1Flow(G, a0, w0, lam1)
                w_fin = l1f.w_inf_
                diverged = l1f.diverged_ | l1f.chattering_

                def w_at(t: NDArray, rows_: NDArray) -> NDArray:
                    full = np.zeros(r)
                    full[rows_] = t
                    return l1f.at(full)[rows_]

                def margins_at(t: NDArray, rows_: NDArray) -> NDArray:
                    return np.einsum("rni,ri->rn", yx[rows_], w_at(t, rows_))

                def w_grid(tg: NDArray) -> NDArray:
                    return l1f.at(tg), None

            def test_ok(w: NDArray) -> NDArray:
                return eps * w[..., 0] >= np.linalg.norm(w, axis=-1)

            Wg, Cg = w_grid(grid)
            if Cg is not None:
                mg = np.einsum("rnj,rtj->rtn", Pm, Cg)
            else:
                mg = np.einsum("rni,rti->rtn", yx, Wg)
            te = first_crossing(test_ok(Wg), grid, lambda t, rr: test_ok(w_at(t, rr)))
            tt = first_crossing(np.all(mg > 0, axis=-1), grid,
                                lambda t, rr: np.all(margins_at(t, rr) > 0, axis=-1))
            groks = test_ok(w_fin) & ~diverged
            status = _status(te, groks)
            with np.errstate(invalid="ignore"):
                tG = np.where(status == "groks", te - tt, np.nan)
            nf = np.linalg.norm(w_fin, axis=-1)
            h_fin = eps * w_fin[:, 0] / np.where(nf > 0, nf, 1.0)
            r0 = np.sum(w0[:, 1:] ** 2, axis=1)
            ids = np.arange(start, start + r)
            vals = (ids, tt, te, tG, groks, status, diverged, h_fin, r0,
                    r0 <= 1.0 - 1.0 / eps**2, gl[:, 0], gl[:, -1])
            for key, val in zip(keys, vals):
                rows[key].append(np.asarray(val))
            feats["w_final"].append(w_fin)
            feats["G_eigenvalues"].append(gl)
            if record_curves:
                scale = np.where(np.isfinite(te), 2 * te, 0.0)
                scale = np.maximum(scale, 5.0 / lam_pos)
                times = _curve_times(te, scale, n_curve_points, n_curve_points // 2)
                Wc, Cc = w_grid(np.nan_to_num(times))
                nrm = np.linalg.norm(Wc, axis=-1)
                h = eps * Wc[..., 0] / np.where(nrm > 0, nrm, 1.0)
                test_err = _ball.test_error(np.clip(h, -1.0, 1.0), D)
                test_err = np.where(test_ok(Wc), 0.0, test_err)
                mc = np.einsum("rnj,rtj->rtn", Pm, Cc) if Cc is not None else np.einsum("rni,rti->rtn", yx, Wc)
                train_err = np.mean(mc <= 0, axis=-1)
                curves.append(_tidy_curves(ids, times, test_err, train_err))
            bar.update(r)
    return _finish(config, curves, rows, feats)

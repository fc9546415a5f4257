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
from . import _ball_sim as _bs
from ._crossing import first_crossing
from ._result import SimulationResult
from ._validation import MAX_SCALE, check_bool, check_int, check_memory, check_real

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
        {"run": np.zeros(0, np.int64), "t": np.zeros(0), "test_error": np.zeros(0), "train_error": np.zeros(0)})
    return SimulationResult(config=config, curves=cur, summary=summary, features=feats)


_status = _bs.status


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
    eps = check_real("eps", eps, 0.0, MAX_SCALE)
    lam1 = check_real("lam1", lam1, 0.0, MAX_SCALE)
    lam2 = check_real("lam2", lam2, 0.0, MAX_SCALE)
    R = check_int("n_replicas", n_replicas, 1)
    seed = check_int("seed", seed, 0)
    if b0 is not None:
        b0 = check_real("b0", b0, -MAX_SCALE, MAX_SCALE)
    chunk = check_int("chunk", chunk, 1)
    record_curves = check_bool("record_curves", record_curves)
    n_curve_points = check_int("n_curve_points", n_curve_points, 4, 10_000)
    check_memory(f"simulate_exponential(N={N}, n_replicas={R})",
                 8.0 * (6 * min(chunk, R) * N + 700 * min(chunk, R) + R * (12 + 3 * record_curves * n_curve_points)),
                 "N or n_replicas")
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
            tG, status = _bs.grok_time(te, tt, _status(te, groks))
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


def _ball_config(D: int, N: int, eps: float, lam1: float, lam2: float, n_replicas: int, seed: int,
                 record_curves: bool, n_curve_points: int, n_grid: int, chunk: int, final_only: bool,
                 t_train: str, dynamics: str) -> dict[str, Any]:
    """Validate :func:`simulate_ball`'s arguments and build its config."""
    D = check_int("D", D, 1)
    N = check_int("N", N, 1)
    eps = check_real("eps", eps, 0.0, MAX_SCALE, lo_open=True)
    lam1 = check_real("lam1", lam1, 0.0, MAX_SCALE)
    lam2 = check_real("lam2", lam2, 0.0, MAX_SCALE)
    R = check_int("n_replicas", n_replicas, 1)
    seed = check_int("seed", seed, 0)
    n_grid = check_int("n_grid", n_grid, 8, 100_000)
    record_curves = check_bool("record_curves", record_curves)
    final_only = check_bool("final_only", final_only)
    n_curve_points = check_int("n_curve_points", n_curve_points, 4, 10_000)
    chunk = check_int("chunk", chunk, 1)
    r = min(chunk, R)  # one chunk's arrays: data (r, 2N, D) x 3, G (r, D, D) x 3, margins (r, n_grid, 2N)
    check_memory(f"simulate_ball(D={D}, N={N}, n_replicas={R})",
                 8.0 * (r * (6 * N * D + 3 * D * D + 2 * N * n_grid * (not final_only))
                        + R * (3 * D + 16 + 3 * record_curves * n_curve_points)), "D, N or n_replicas")
    if t_train not in _bs.T_TRAIN_RULES:
        raise ValueError(f"t_train must be one of {_bs.T_TRAIN_RULES}, got {t_train!r}")
    if dynamics not in _bs.DYNAMICS:
        raise ValueError(f"dynamics must be one of {_bs.DYNAMICS}, got {dynamics!r}")
    if dynamics == "zeroth_order" and lam1 != 0:
        raise ValueError(f"dynamics='zeroth_order' (Eqs. 38-39) needs lam1 = 0, got lam1={lam1!r}")
    integrator = ("zeroth-order dynamics (Eqs. 38-39), closed form" if dynamics == "zeroth_order" else
                  "exact eigendecomposition (Eq. 21)" if lam1 == 0 else
                  "exact event-driven piecewise-linear flow (L1Flow)")
    return {"generator": "perceptron_theory.simulate_ball", "model": "ball", "D": D, "N": N,
            "eps": eps, "lam1": lam1, "lam2": lam2, "n_replicas": R, "seed": seed,
            "record_curves": record_curves, "n_curve_points": n_curve_points, "n_grid": n_grid,
              "init": "w(0) ~ Normal(0, I_D)", "time_unit": "gradient-flow time",
            "final_only": final_only, "integrator": integrator, "status_values": _STATUS_DOC,
            "t_train": t_train, "dynamics": dynamics}


def _ball_chunk(rng: np.random.Generator, ids: NDArray, config: dict[str, Any], lam_D: float):
    """One chunk of :func:`simulate_ball`: draw data and w(0), then the final state, or the
    trajectory's crossings (and curves). Returns (summary columns, w_final, eig(G), curves)."""
    D, N, eps, lam1, lam2 = (config[k] for k in ("D", "N", "eps", "lam1", "lam2"))
    dynamics = config["dynamics"]
    xt, y, w0 = _ball_data(rng, ids.size, N, D, eps)
    G = np.einsum("rni,rnj->rij", xt, xt) / (2 * N) + lam2 * np.eye(D)
    a0 = np.einsum("n,rni->ri", y, xt) / (2 * N)
    gl = np.linalg.eigvalsh(G)
    if config["final_only"]:
        cols, w_fin = _bs.final_state(dynamics, G, a0, w0, gl, lam1, eps)
        cols["w_init"] = w0
        return cols, w_fin, gl, None
    yx = y[None, :, None] * xt  # (r, 2N, D): margins are yx @ w
    traj = _bs.make_trajectory(dynamics, G, a0, w0, yx, lam1, eps, lam_D)
    lam_pos, lam_max = _bs.rates(dynamics, gl, eps, lam_D)
    grid = _bs.time_grid(lam_pos, lam_max, config["n_grid"])
    cols = _bs.crossings(traj, grid, w0, gl, eps, config["t_train"])
    cur = None
    if config["record_curves"]:
        te, n_cp = cols["t_eps"], config["n_curve_points"]
        scale = np.maximum(np.where(np.isfinite(te), 2 * te, 0.0), 5.0 / lam_pos)
        times = _curve_times(te, scale, n_cp, n_cp // 2)
        test_err, train_err = _bs.curves_arrays(traj, np.nan_to_num(times), eps, D)
        cur = _tidy_curves(ids, times, test_err, train_err)
    cols["w_init"] = w0
    return cols, traj.w_final, gl, cur


def simulate_ball(D: int, N: int, eps: float, lam1: float = 0.0, lam2: float = 0.0,
                  n_replicas: int = 1000, seed: int = 0, record_curves: bool = True,
                  n_curve_points: int = 48, n_grid: int = 160, chunk: int = 256,
                  final_only: bool = False, progress: bool = True, t_train: str = "samples",
                  dynamics: str = "exact") -> SimulationResult:
    r"""Simulate the D-ball model (sec. 3.3) for ``n_replicas`` independent replicas.

    Each replica: 2N training inputs (N per class, uniform in the unit balls at
    :math:`\pm\epsilon e_1`), initial weights Normal(0, 1), the exact flow (Eq. 21; the exact
    event-driven L1 flow for λ1 > 0). Test error: :math:`E_D(\epsilon w_1/\|w\|)` (Eq. 22);
    zero exactly when :math:`\epsilon w_1 \ge \|w\|`. Training error: the fraction of training
    inputs with :math:`y\,\tilde x\cdot w \le 0`.

    Parameters
    ----------
    t_train : ``"samples"`` (default) or ``"threshold"``
        ``"samples"``: t_train is the first time every training sample is classified
        correctly (the real model). ``"threshold"``: the first time
        :math:`w_1/\|w\| \ge \xi_{\rm train} = 1/\sqrt{1+\epsilon^2}` (Eqs. 34, 37: the
        definition under which the t_G law of Eqs. 40-47 is derived).
    dynamics : ``"exact"`` (default) or ``"zeroth_order"``
        ``"exact"``: the real finite-N flow. ``"zeroth_order"``: the paper's Eqs. 38-39,
        :math:`w_1(t) = 1/\epsilon + (w_1(0)-1/\epsilon)e^{-\epsilon^2 t}`,
        :math:`w_{j\ge2}(t) = w_j(0)e^{-\lambda_{2,D}t}` (λ1 = 0 only). The training data are
        drawn either way, so the same seed gives the same data and initial weights under
        every option (paired comparisons).

    Both choices are recorded in ``config``. Summary columns: run, t_train, t_eps, t_G
    (grokking runs), groks, status, diverged, h_final (:math:`\epsilon w_1/\|w\|` at t = ∞), r0
    (:math:`\|w_\perp(0)\|^2`), fast_branch (:math:`r_0 \le 1 - 1/\epsilon^2`, Eq. 40), g_min/g_max
    (extreme eigenvalues of the data's G), generalised_at_init (zero test error already at
    t = 0: t_G = 0 exactly, a mass the t_G law does not describe; count them with
    :attr:`SimulationResult.n_generalised_at_init` and leave them out of t_G law comparisons).
    Features: ``w_final`` (R, D), ``G_eigenvalues`` (R, D), ``w_init`` (R, D).

    ``final_only=True`` computes only the final state (``groks``, ``h_final``; times are
    NaN): :math:`G^+a` for λ1 = 0, the L1 minimiser (:func:`~perceptron_theory.flow.l1_stationary`)
    otherwise. This is what the grokking probability needs, and much faster for λ1 > 0.

    Examples
    --------
    >>> res = simulate_ball(5, 100, 2.0, lam2=0.01, n_replicas=20, seed=0, progress=False,
    ...                     record_curves=False, t_train="threshold", dynamics="zeroth_order")
    >>> res.config["t_train"], res.config["dynamics"], bool(res.summary["groks"].all())
    ('threshold', 'zeroth_order', True)
    """
    config = _ball_config(D, N, eps, lam1, lam2, n_replicas, seed, record_curves, n_curve_points,
                          n_grid, chunk, final_only, t_train, dynamics)
    D, N, lam1, R = (config[k] for k in ("D", "N", "lam1", "n_replicas"))
    chunk = check_int("chunk", chunk, 1)
    lam_D = float(_ball.lambda_D(D, config["lam2"]))
    rng = np.random.default_rng(config["seed"])
    rows: dict[str, list] = {k: [] for k in _bs.SUMMARY_KEYS}
    feats: dict[str, list] = {"w_final": [], "G_eigenvalues": [], "w_init": []}
    curves: list[pd.DataFrame] = []
    with _progress(R, progress and (R * N * D > 2e6 or (lam1 > 0 and not final_only)),
                   f"ball D={D}") as bar:
        for start in range(0, R, chunk):
            r = min(chunk, R - start)
            ids = np.arange(start, start + r)
            cols, w_fin, gl, cur = _ball_chunk(rng, ids, config, lam_D)
            if cur is not None:
                curves.append(cur)
            cols["run"] = ids
            for key in _bs.SUMMARY_KEYS:
                rows[key].append(np.asarray(cols[key]))
            feats["w_final"].append(w_fin)
            feats["G_eigenvalues"].append(gl)
            feats["w_init"].append(cols["w_init"])
            bar.update(r)
    return _finish(config, curves, rows, feats)

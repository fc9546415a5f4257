r"""Simulator of the linear teacher-student model of Levi, Beck & Bar-Sinai (ICLR 2024, arXiv:2310.16441).

Model (Eqs. 1-3, 14): inputs :math:`x \sim N(0, I_{d_{in}})`; teacher and student
:math:`T, S \in R^{d_{in} \times d_{out}}`, labels :math:`y = T^T x`; initial
:math:`T, S_0/\alpha \sim N(0, 1/(2 d_{in} d_{out}))` elementwise; :math:`N_{tr}` training samples,
:math:`\lambda = d_{in}/N_{tr}`. Full-batch GD on the MSE with weight decay (Eq. 3):
:math:`D_{t+1} = (I - \tfrac{2\eta}{d_{out}}\Sigma_{tr}) D_t - \tfrac{\eta\gamma}{d_{out}}(D_t + T)`,
:math:`D = S - T` (the decay term is the paper's :math:`\gamma/d_{out}`; PyTorch's SGD ``weight_decay=w``
is :math:`\gamma = w\,d_{out}`). Three dynamics:

* ``"flow"``: gradient flow of Eq. 3 (:math:`\eta = \eta_0\,dt`), exact from one eigendecomposition;
* ``"gd"``: plain discrete GD with step :math:`\eta`, exact closed form :math:`(I - 2\kappa(\Sigma + \gamma/2))^t`;
* ``"gd_loop"``: the same GD iterated step by step (the reference for the closed forms; small sizes).

Time is in GD steps (flow time :math:`t` with rate :math:`\eta_0 = \eta` per unit), so flow and GD share a clock.
Outputs on a log time grid: :math:`L_{tr}` (Eq. 1), :math:`L_{gen}` both as the expectation
:math:`\|D\|^2/d_{out}` (Eq. 2) and on a finite test sample, and train/test accuracies (a sample is
correct when :math:`\|D^T x\|^2/d_{out} < \epsilon`). Per run: :math:`t^*_{tr}, t^*_{gen}` (first times the
exact losses reach the target :math:`L^* = d_{out}\epsilon / \chi^2_{d_{out}}(A^*)`, which is
:math:`\epsilon/4` at :math:`d_{out} = 1` and :math:`A^* = \mathrm{erf}(\sqrt 2)`, the paper's "95 %"),
:math:`\Delta t_{grok} = t^*_{gen} - t^*_{tr}`, the same times read off the sampled accuracies, and the
exact :math:`t \to \infty` losses.

Examples
--------
>>> res = simulate_estimator(50, 100, n_seeds=2, seed=0, t_max=1e4, n_points=8, n_test=200)
>>> res.summary[["run", "status"]].values.tolist()
[[0, 'groks'], [1, 'groks']]
>>> bool((res.summary.t_star_gen > res.summary.t_star_tr).all())
True
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .accuracy import ACC_95
from .backend import get_backend
from .checks import check_choice, check_int, check_memory, check_real
from .crossing import first_crossing
from .draws import draw_runs
from .loop import loop_gd, sample_metrics
from .result import EstimatorResult
from .spectral import dbar_at, limit_losses, losses_at, spectral_state

__all__ = ["simulate_estimator", "memory_bytes", "loss_target", "DYNAMICS", "ACC_95"]

DYNAMICS = ("flow", "gd", "gd_loop")


def loss_target(eps: float, d_out: int = 1, acc: float = ACC_95) -> float:
    """The loss :math:`L^*` at which a Gaussian error reaches accuracy ``acc``: :math:`d_{out}\\epsilon/\\chi^2_{d_{out}}(acc)`.

    >>> round(loss_target(1e-3) * 4e3, 12)
    1.0
    """
    from scipy.special import chdtri  # the chi-square quantile (inverse survival function)

    return d_out * eps / float(chdtri(d_out, 1.0 - acc))


def memory_bytes(d_in: int, n_train: int, *, d_out: int = 1, n_test: int = 1000, n_seeds: int = 1,
                 chunk: int | None = None, n_points: int = 64) -> float:
    """Estimated peak memory (bytes) of :func:`simulate_estimator` with these sizes.

    >>> memory_bytes(1000, 1000, n_seeds=5) / 2 ** 20 < 1000
    True
    """
    r = min(chunk or n_seeds, n_seeds)
    per_run = (3 * (n_train + n_test) * d_in + 4 * d_in * d_in + 8 * d_in * d_out
               + 2 * (n_train + n_test) * d_out + 3 * 128 * d_in)
    return 8.0 * (r * per_run + n_seeds * (12 * (n_points + 1) + d_in + 16))


def _grid(t_min: float, t_max: float, n_points: int, integer: bool) -> np.ndarray:
    grid = np.concatenate([[0.0], np.geomspace(t_min, t_max, n_points)])
    return np.unique(np.round(grid)) if integer else grid


def _check(p: dict[str, Any]) -> dict[str, Any]:
    p["d_in"], p["n_train"] = check_int("d_in", p["d_in"], lo=1), check_int("n_train", p["n_train"], lo=1)
    p["d_out"], p["n_test"] = check_int("d_out", p["d_out"], lo=1), check_int("n_test", p["n_test"], lo=1)
    p["n_seeds"], p["seed"] = check_int("n_seeds", p["n_seeds"], lo=1), check_int("seed", p["seed"], lo=0)
    p["n_points"] = check_int("n_points", p["n_points"], lo=2, hi=10 ** 5)
    for k, kw in (("gamma", {"lo": 0.0}), ("alpha", {"lo": 0.0}), ("eta", {"lo": 0.0, "lo_open": True}),
                  ("eps", {"lo": 0.0, "lo_open": True}), ("t_min", {"lo": 0.0, "lo_open": True}),
                  ("acc_target", {"lo": 0.0, "hi": 1.0, "lo_open": True, "hi_open": True})):
        p[k] = check_real(k, p[k], **kw)
    p["t_max"] = check_real("t_max", p["t_max"], lo=p["t_min"], lo_open=True, hi=1e30)
    p["dynamics"] = check_choice("dynamics", p["dynamics"], DYNAMICS)
    p["max_loop_steps"] = check_int("max_loop_steps", p["max_loop_steps"], lo=1)
    if p["chunk"] is not None:
        p["chunk"] = check_int("chunk", p["chunk"], lo=1)
    if p["dynamics"] == "gd_loop" and p["t_max"] > p["max_loop_steps"]:
        raise ValueError(f"t_max must be <= max_loop_steps={p['max_loop_steps']} for dynamics='gd_loop' "
                         f"(one matrix product per step), got {p['t_max']:g}; use dynamics='gd' (exact, any t)")
    return p


def _auto_chunk(p: dict[str, Any]) -> int:
    p["max_loop_steps"] = check_int("max_loop_steps", p["max_loop_steps"], lo=1)
    if p["chunk"] is not None:
        return min(p["chunk"], p["n_seeds"])
    one = memory_bytes(p["d_in"], p["n_train"], d_out=p["d_out"], n_test=p["n_test"], n_seeds=1)
    return int(max(1, min(p["n_seeds"], 2 ** 31 // max(one, 1.0))))


def _spectral_chunk(bk: Any, dr: dict[str, np.ndarray], grid: np.ndarray, p: dict[str, Any],
                    target: float) -> dict[str, np.ndarray]:
    integer = p["dynamics"] == "gd"
    st = spectral_state(bk, dr["X"], dr["T"], dr["S0"], eta=p["eta"], gamma=p["gamma"], dynamics=p["dynamics"])
    X, Xte = bk.asarray(dr["X"]), bk.asarray(dr["X_test"])
    r = dr["X"].shape[0]
    L_tr, L_gen = losses_at(st, np.broadcast_to(grid, (r, grid.size)))
    samp = [sample_metrics(bk, X, Xte, st["P"] @ dbar_at(st, t), p["eps"]) for t in grid]
    out = {"train_loss": L_tr, "gen_loss": L_gen, **{k: np.stack([s[k] for s in samp], 1) for k in samp[0]}}
    kw = {"n_runs": r, "t_lo": p["t_min"], "t_hi": p["t_max"], "integer": integer}
    out["t_star_tr"] = first_crossing(lambda t: losses_at(st, t)[0], target, **kw)
    out["t_star_gen"] = first_crossing(lambda t: losses_at(st, t)[1], target, **kw)
    out["L_tr_inf"], out["L_gen_inf"] = limit_losses(st)
    out["diverged"] = ~np.isfinite(out["L_gen_inf"])
    out["eigenvalues"] = st["nu"]
    return out


def _loop_chunk(bk: Any, dr: dict[str, np.ndarray], grid: np.ndarray, p: dict[str, Any],
                target: float) -> dict[str, np.ndarray]:
    out = loop_gd(bk, dr, grid, eta=p["eta"], gamma=p["gamma"], eps=p["eps"], target=target)
    r = dr["X"].shape[0]
    out["L_tr_inf"], out["L_gen_inf"] = np.full(r, np.nan), np.full(r, np.nan)
    out["diverged"] = ~np.isfinite(out["gen_loss"][:, -1]) | (out["gen_loss"][:, -1] > 1e100)
    out["eigenvalues"] = np.full((r, p["d_in"]), np.nan)
    return out


def _acc_time(t: np.ndarray, acc: np.ndarray, target: float) -> np.ndarray:
    """First grid time with ``acc >= target``, log-linearly interpolated from the previous grid point."""
    above = acc >= target
    idx = np.argmax(above, axis=1)
    i0, rows = np.maximum(idx - 1, 0), np.arange(acc.shape[0])
    t0, t1 = t[i0], t[idx]
    a0, a1 = acc[rows, i0], acc[rows, idx]
    frac = np.clip((target - a0) / np.where(a1 > a0, a1 - a0, 1.0), 0.0, 1.0)
    pos0, pos1 = np.where(t0 > 0, t0, 1.0), np.where(t1 > 0, t1, 1.0)
    interp = np.exp(np.log(pos0) + frac * (np.log(pos1) - np.log(pos0)))
    res = np.where(idx == 0, t[0], np.where(t0 > 0, interp, t1))
    return np.where(above.any(1), res, np.inf)


def simulate_estimator(d_in: int, n_train: int, *, d_out: int = 1, gamma: float = 0.0, alpha: float = 1.0,
                       eta: float = 0.01, eps: float = 1e-3, dynamics: str = "flow", n_seeds: int = 1, seed: int,
                       n_test: int = 1000, t_min: float = 1.0, t_max: float = 1e6, n_points: int = 64,
                       acc_target: float = ACC_95, chunk: int | None = None, device: str | None = None,
                       keep_spectrum: bool = False, max_loop_steps: int = 100_000) -> EstimatorResult:
    r"""Simulate ``n_seeds`` independent runs (own training set, test set, teacher, student each).

    Parameters
    ----------
    d_in, n_train, d_out : sizes (:math:`\lambda = d_{in}/N_{tr}`).
    gamma, alpha : weight decay (Eq. 3) and initial student scale (:math:`S_0 \to \alpha S_0`).
    eta : GD step :math:`\eta` (the flow rate :math:`\eta_0` for ``dynamics="flow"``).
    eps, acc_target : accuracy threshold (a sample is correct when its mean squared error < eps)
        and the accuracy defining :math:`t^*` (default erf(sqrt 2), the paper's 95 %).
    dynamics : ``"flow"``, ``"gd"`` or ``"gd_loop"`` (see the module docstring).
    n_seeds, seed : number of runs; run r draws from ``SeedSequence(seed, spawn_key=(r,))``, so it does
        not depend on ``n_seeds``, ``chunk`` or ``n_test`` (the test set is drawn last).
    n_test : size of the finite test sample. t_min, t_max, n_points : the log time grid (plus t = 0;
        rounded to whole steps for GD). chunk : runs vectorised at once (default: as many as fit 2 GiB).
    device : None for numpy, or a torch device ('cpu', 'cuda:0', ...). keep_spectrum : store the
        eigenvalues of every :math:`\Sigma_{tr}` in ``features["eigenvalues"]``.
    max_loop_steps : refuse ``gd_loop`` beyond this many steps.
    """
    p = _check(dict(locals()))
    bk = get_backend(device)
    r = _auto_chunk(p)
    check_memory(f"simulate_estimator(d_in={d_in}, n_train={n_train}, d_out={d_out}, chunk={r})",
                 memory_bytes(d_in, n_train, d_out=d_out, n_test=n_test, n_seeds=n_seeds, chunk=r,
                              n_points=n_points), "d_in, n_train, n_test, d_out or chunk")
    target = loss_target(p["eps"], p["d_out"], p["acc_target"])
    grid = _grid(p["t_min"], p["t_max"], p["n_points"], p["dynamics"] != "flow")
    parts = []
    for start in range(0, p["n_seeds"], r):
        runs = range(start, min(start + r, p["n_seeds"]))
        dr = draw_runs(p["seed"], runs, d_in=d_in, n_train=n_train, d_out=d_out, n_test=n_test, alpha=p["alpha"])
        fn = _loop_chunk if p["dynamics"] == "gd_loop" else _spectral_chunk
        parts.append(fn(bk, dr, grid, p, target))
    res = {k: np.concatenate([q[k] for q in parts]) for k in parts[0]}
    return _assemble(p, grid, res, target)


def _assemble(p: dict[str, Any], grid: np.ndarray, res: dict[str, np.ndarray], target: float) -> EstimatorResult:
    R, n = res["gen_loss"].shape
    curves = pd.DataFrame({"run": np.repeat(np.arange(R), n), "t": np.tile(grid, R)})
    for k in ("train_loss", "gen_loss", "test_loss", "train_acc", "test_acc"):
        curves[k] = res[k].ravel()
    curves["train_error"], curves["test_error"] = 1.0 - curves["train_acc"], 1.0 - curves["test_acc"]
    div = res["diverged"]
    t_tr, t_gen = np.where(div, np.nan, res["t_star_tr"]), np.where(div, np.nan, res["t_star_gen"])
    groks = np.isfinite(t_gen)
    gen_ok = np.where(np.isnan(res["L_gen_inf"]), groks, res["L_gen_inf"] <= target)
    status = np.where(div, "diverged", np.where(groks, "groks", np.where(gen_ok, "not_reached", "no_grok")))
    with np.errstate(invalid="ignore"):
        dt = t_gen - t_tr  # inf - inf (neither reached) is nan
    summary = pd.DataFrame({
        "run": np.arange(R), "t_star_tr": t_tr, "t_star_gen": t_gen, "dt_grok": dt,
        "t_star_acc_tr": _acc_time(grid, res["train_acc"], p["acc_target"]),
        "t_star_acc_gen": _acc_time(grid, res["test_acc"], p["acc_target"]),
        "L_tr_inf": res["L_tr_inf"], "L_gen_inf": res["L_gen_inf"], "L_gen_final": res["gen_loss"][:, -1],
        "loss_target": target, "generalises": gen_ok & ~div, "diverged": div, "status": status})
    summary["t_train"], summary["t_eps"], summary["groks"] = summary.t_star_tr, summary.t_star_gen, groks
    summary["t_G"] = np.where(groks, summary.dt_grok, np.nan)
    cfg = {"generator": "linear_grokking.estimator.simulate_estimator", "model": "linear-estimator",
           **{k: v for k, v in p.items() if k not in ("keep_spectrum",)},
           "lam": p["d_in"] / p["n_train"], "loss_target": target,
           "time_unit": "GD steps (flow time t with eta0 = eta; t_star for GD is a whole step)"}
    feats = {"eigenvalues": res["eigenvalues"]} if p["keep_spectrum"] else {}
    return EstimatorResult(cfg, curves, summary, feats)

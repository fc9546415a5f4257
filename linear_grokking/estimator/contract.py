r"""The linear estimator in the grokcheck simulator contract: ``config``, ``curves``, ``summary``, ``features``.

:func:`simulate_linear_estimator` runs :func:`.simulate.simulate_estimator` (Levi, Beck &
Bar-Sinai, ICLR 2024, Eqs. 1-3, 14) at a ratio :math:`\lambda = d_{in}/N_{tr}` and a finite
*horizon* (the end of training), and lays it out as every grokcheck simulator does, so that
``grokcheck simulate linear-estimator``, ``fit``, ``report`` and sweeps read it. This module
imports nothing of ``comparison``.

**Times and events** (GD steps; flow time with :math:`\eta_0 = \eta`):

* ``t_train`` = :math:`t^*_{tr}`, ``t_eps`` = :math:`t^*_{gen}`: the first times the exact losses
  :math:`L_{tr}` (Eq. 1) and :math:`L_{gen} = \|D\|^2/d_{out}` (the expectation of Eq. 2) reach
  :math:`L^* = d_{out}\epsilon/\chi^2_{d_{out}}(\mathrm{erf}\sqrt 2)` (:math:`\epsilon/4` at
  :math:`d_{out} = 1`): the losses at which Eq. 10 / 13 gives the paper's 95 % accuracy. ``+inf``
  when not reached by ``horizon``. The sampled test error is then about 4.5 %, not 0: ``t_eps``
  is the paper's :math:`t^*_{gen}`, not a zero-error time.
* ``t_G`` = :math:`\Delta t_{grok} = t^*_{gen} - t^*_{tr}` on the runs that grok.
* ``groks``: :math:`t^*_{gen} \le` ``horizon`` (the run generalises within the horizon).
  ``generalises`` is the :math:`t \to \infty` answer (:math:`L_{gen}(\infty) \le L^*`, exact per run);
  ``status``: ``groks``, ``not_reached`` (generalises, but after the horizon), ``no_grok`` (never:
  the :math:`\lambda > 1` plateau or a weight-decay floor above :math:`L^*`), ``diverged``.

Curves: ``test_error`` = 1 − test accuracy on the finite test sample (a sample is correct when
:math:`\|D^T x\|^2/d_{out} < \epsilon`), ``train_error`` likewise on the training set, and the
losses ``train_loss``, ``gen_loss``, ``test_loss`` and accuracies as extra columns.

Examples
--------
>>> res = simulate_linear_estimator(60, 0.5, n_seeds=3, horizon=1e5, n_points=12, n_test=100, seed=0)
>>> res.config["generator"], res.config["n_train"], res.summary["groks"].tolist()
('linear_grokking.estimator.simulate_linear_estimator', 120, [True, True, True])
>>> short = simulate_linear_estimator(60, 0.5, n_seeds=3, horizon=500, n_points=12, n_test=100, seed=0)
>>> short.summary["status"].tolist(), bool(short.summary["t_G"].isna().all())   # t*_gen > 500 steps
(['not_reached', 'not_reached', 'not_reached'], True)
"""
from __future__ import annotations

import numpy as np

from .checks import check_int, check_real
from .result import EstimatorResult
from .simulate import memory_bytes, simulate_estimator

__all__ = ["simulate_linear_estimator", "n_train_for", "contract_memory_bytes", "GENERATOR", "STATUSES"]

GENERATOR = "linear_grokking.estimator.simulate_linear_estimator"
STATUSES = ("groks", "not_reached", "no_grok", "diverged")


def n_train_for(d_in: int, lam: float) -> int:
    """The training-set size :math:`N_{tr} = \\mathrm{round}(d_{in}/\\lambda)` (at least 1); the realised
    :math:`\\lambda` is :math:`d_{in}/N_{tr}`.

    >>> n_train_for(1000, 0.9), n_train_for(1000, 1.5)
    (1111, 667)
    """
    d_in = check_int("d_in", d_in, lo=1)
    lam = check_real("lam", lam, lo=0.0, lo_open=True, hi=1e6)
    return max(1, int(round(d_in / lam)))


def contract_memory_bytes(d_in: int, lam: float, *, d_out: int = 1, n_test: int = 1000, n_seeds: int = 8,
                          chunk: int | None = None, n_points: int = 64) -> float:
    """Estimated peak memory (bytes) of :func:`simulate_linear_estimator`: the simulator's own
    estimate plus the tidy curve table (14 columns).

    >>> [round(contract_memory_bytes(1000, 0.9, n_seeds=8, chunk=c) / 2 ** 30, 2) for c in (None, 1)]
    [0.64, 0.08]
    """
    n_train = n_train_for(d_in, lam)
    sim = memory_bytes(d_in, n_train, d_out=d_out, n_test=n_test, n_seeds=n_seeds, chunk=chunk, n_points=n_points)
    return sim + 8.0 * 14 * n_seeds * (n_points + 1)


def _contract_summary(s, horizon: float):
    """The contract's columns (see the module docstring) from the simulator's per-run summary."""
    s = s.copy()
    div = s["diverged"].to_numpy(dtype=bool)
    t_tr, t_gen = s["t_star_tr"].to_numpy(dtype=float), s["t_star_gen"].to_numpy(dtype=float)
    groks = (t_gen <= horizon) & ~div
    gen = s["generalises"].to_numpy(dtype=bool) | groks   # a first crossing counts even if L_gen comes back
    s["groks"], s["generalises"] = groks, gen & ~div
    s["t_train"] = np.where(div, np.nan, np.where(t_tr <= horizon, t_tr, np.inf))
    s["t_eps"] = np.where(div, np.nan, np.where(groks, t_gen, np.inf))
    with np.errstate(invalid="ignore"):
        s["t_G"] = np.where(groks, t_gen - t_tr, np.nan)
    s["status"] = np.where(div, "diverged", np.where(groks, "groks", np.where(gen, "not_reached", "no_grok")))
    return s


def simulate_linear_estimator(d_in: int, lam: float, *, d_out: int = 1, gamma: float = 0.0, alpha: float = 1.0,
                              eps: float = 1e-3, eta: float = 0.01, dynamics: str = "flow", n_seeds: int = 8,
                              seed: int, n_test: int = 1000, horizon: float = 1e7, t_min: float = 1.0,
                              n_points: int = 64, chunk: int | None = None,
                              device: str | None = None) -> EstimatorResult:
    r"""Simulate ``n_seeds`` runs at :math:`\lambda = d_{in}/N_{tr}` up to ``horizon`` (the simulator contract).

    Parameters
    ----------
    d_in, lam : input dimension and :math:`\lambda`; :math:`N_{tr}` = :func:`n_train_for` ``(d_in, lam)``,
        and ``config["lam"]`` is the realised :math:`d_{in}/N_{tr}` (the requested value is ``lam_requested``).
    d_out, gamma, alpha : outputs, weight decay (Eq. 3), initial student scale (:math:`S_0 \to \alpha S_0`).
    eps, eta, dynamics : accuracy threshold, GD step (flow rate), ``"flow"``, ``"gd"`` or ``"gd_loop"``.
    n_seeds, seed : runs and the seed (run r draws from ``SeedSequence(seed, spawn_key=(r,))``).
    n_test : the finite test sample of the accuracies. horizon : the end of training (and of the
        log time grid from ``t_min``, ``n_points`` points plus t = 0). chunk, device : as in
        :func:`~linear_grokking.estimator.simulate.simulate_estimator`.
    """
    n_train = n_train_for(d_in, lam)
    horizon = check_real("horizon", horizon, lo=check_real("t_min", t_min, lo=0.0, lo_open=True), lo_open=True,
                         hi=1e30)
    res = simulate_estimator(d_in, n_train, d_out=d_out, gamma=gamma, alpha=alpha, eta=eta, eps=eps,
                             dynamics=dynamics, n_seeds=n_seeds, seed=seed, n_test=n_test, t_min=t_min,
                             t_max=horizon, n_points=n_points, chunk=chunk, device=device)
    config = {**res.config, "generator": GENERATOR, "lam": d_in / n_train, "lam_requested": float(lam),
              "horizon": horizon, "groks": "t*_gen <= horizon (L_gen reaches L* within the horizon)",
              "t_train": "the first crossing of L* by the exact training loss"}
    return EstimatorResult(config, res.curves, _contract_summary(res.summary, horizon), res.features)

r"""Scenario B: fixed context tensors, only the classification tensor B is trained
(paper sec. 4.3.1).

For fixed A the network is a perceptron without bias on the tensor-network
features :math:`z_i \in \mathbb R^{2d^2}` (Eqs. 66–67).  With the loss averaged
over the n training positions,
:math:`R = \frac1n\sum_i \tfrac12 (w\cdot z_i - y_i)^2 + \lambda_1\|w\|_1 + \tfrac{\lambda_2}2\|w\|_2^2`,
the gradient flow is the ball model's Eqs. 19–21 in feature space:
:math:`\dot w = -G w + a`, :math:`G = \frac1n\sum_i z_i z_i^\top + \lambda_2 1`,
:math:`a = \frac1n\sum_i y_i z_i - \lambda_1\,\mathrm{sgn}(w)`.  For
:math:`\lambda_1 = 0` it is solved exactly (``perceptron_theory.flow.exact_flow``),
for :math:`\lambda_1 > 0` by ``perceptron_theory.flow.L1Flow`` (as ``l1_flow``) (event-driven, exact
between sign changes, Filippov sticking at zero).

Test error at time t: the weighted fraction of test positions with
:math:`\mathrm{sgn}(w(t)\cdot z) \ne y` (sgn(0) counts as wrong) on the test
distribution of :func:`local_rules.make_test_set`.  t_eps and t_train are
located on the grid and refined by bisection (40 halvings for λ1 = 0, 30 for
λ1 > 0; ``t_eps_err`` gives the final bracket width).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ._checks import check_int, check_real
from ._memory import check_memory, scenario_b_memory_bytes
from ._contexts import bulk_contexts, position_contexts
from ._data import PositionSet, make_dataset, make_test_set
from ._network import features_numpy, leading_eigenvectors
from ._results import ScenarioBResult
from ._tensors import resolve_A

__all__ = ["stationary_classifier", "acceptance", "sample_accepted_A", "grokking_probability_map",
           "run_scenario_b", "scenario_b_problem"]


def _dedupe(Z: NDArray[np.float64], y: NDArray[np.int8], w: NDArray[np.float64]
            ) -> tuple[NDArray[np.float64], NDArray[np.int8], NDArray[np.float64]]:
    """Merge identical (feature, label) test points, summing their weights."""
    key = np.concatenate([np.round(Z, 12), y[:, None].astype(float)], axis=1)
    _, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return Z[first], y[first], np.bincount(inv.reshape(-1), weights=w, minlength=first.size)


def stationary_classifier(G: NDArray[np.float64], a: NDArray[np.float64], lam1: float,
                          n_iter: int = 5000) -> NDArray[np.float64]:
    r"""Stationary point of the flow: :math:`w^\lambda = G^+ a` for λ1 = 0; for λ1 > 0 the
    minimiser of :math:`\tfrac12 w^\top G w - a\cdot w + \lambda_1\|w\|_1` (FISTA, batched)."""
    G = np.asarray(G, float)
    a = np.asarray(a, float)
    w = np.einsum("...ij,...j->...i", np.linalg.pinv(G, hermitian=True), a)
    if lam1 <= 0:
        return w
    L = np.linalg.eigvalsh(G)[..., -1][..., None]
    x_prev = w.copy()
    yv = w.copy()
    tk = 1.0
    for _ in range(n_iter):
        g = np.einsum("...ij,...j->...i", G, yv) - a
        v = yv - g / L
        x = np.sign(v) * np.maximum(np.abs(v) - lam1 / L, 0.0)
        tn = 0.5 * (1 + np.sqrt(1 + 4 * tk * tk))
        yv = x + ((tk - 1) / tn) * (x - x_prev)
        x_prev, tk = x, tn
    return x_prev


def scenario_b_problem(A: NDArray[np.float64], train: PositionSet, lam2: float, boundary: str = "eigen"
                       ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Training features Z (n, D) (or (R, n, D) for a batch of A), G and a (without the λ1 term)."""
    Z = features_numpy(A, train, boundary)
    y = train.labels.astype(float)
    wts = train.weights
    G = np.einsum("...n,...ni,...nj->...ij", wts, Z, Z) + lam2 * np.eye(Z.shape[-1])
    a = np.einsum("...n,n,...ni->...i", wts, y, Z)
    return Z, G, a


def acceptance(A_batch: NDArray[np.float64], lam1: float, lam2: float, train: PositionSet,
               test: PositionSet, boundary: str = "eigen") -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Paper's rejection criterion for a batch of A ``(R, d, d, 2)``: the stationary classifier
    :math:`w^\\lambda` has zero test error.  Returns ``(valid, accepted)``; ``valid`` is false
    where A_0 has no real dominant eigenvalue (no −1-padding limit; never accepted)."""
    A_batch = np.asarray(A_batch, float)
    valid = np.ones(A_batch.shape[0], bool)
    if boundary == "eigen":
        valid = leading_eigenvectors(A_batch)[2]
    acc = np.zeros_like(valid)
    idx = np.nonzero(valid)[0]
    if idx.size == 0:
        return valid, acc
    Av = A_batch[idx]
    _, G, a = scenario_b_problem(Av, train, lam2, boundary)
    w = stationary_classifier(G, a, lam1)
    Zt = features_numpy(Av, test, boundary)
    yhat = np.einsum("rnd,rd->rn", Zt, w)
    ok = np.all(np.sign(yhat) == test.labels[None, :], axis=1)
    acc[idx] = ok
    return valid, acc


def sample_accepted_A(n_accept: int, *, d: int = 2, rule: int = 30, K: int = 1, lam1: float = 0.0,
                      lam2: float = 0.0, seed: int = 0, max_draws: int = 100_000, batch: int = 256,
                      train_M: int | None = None, test_set: PositionSet | None = None
                      ) -> tuple[NDArray[np.float64], dict[str, Any]]:
    """Draw A with i.i.d. Normal(0, 1) entries until ``n_accept`` pass :func:`acceptance`.

    Returns ``(A_accepted (n, d, d, 2), stats)`` with the numbers of draws, valid
    draws and accepted draws and the acceptance fraction (the map's grokking probability).
    """
    n_accept = check_int("n_accept", n_accept, 1)
    d = check_int("d", d, 1)
    lam1, lam2 = check_real("lam1", lam1, 0.0), check_real("lam2", lam2, 0.0)
    max_draws = check_int("max_draws", max_draws, 1)
    train = make_dataset(rule, K, train_M if train_M is not None else 2 * K + 1)
    test = test_set if test_set is not None else make_test_set(rule, K)
    rng = np.random.default_rng(check_int("seed", seed, 0))
    out, n_draw, n_valid = [], 0, 0
    while len(out) < n_accept and n_draw < max_draws:
        m = min(batch, max_draws - n_draw)
        A = rng.standard_normal((m, d, d, 2))
        valid, acc = acceptance(A, lam1, lam2, train, test)
        n_draw += m
        n_valid += int(valid.sum())
        out.extend(A[acc])
    acc_all = np.asarray(out[:n_accept]).reshape(-1, d, d, 2)
    n_acc = sum(1 for _ in out)
    stats = {"n_draws": n_draw, "n_valid": n_valid, "n_accepted": n_acc,
             "p_accept": n_acc / n_draw, "seed": int(seed), "lam1": lam1, "lam2": lam2, "d": d,
             "rule": int(rule), "K": int(K)}
    return acc_all, stats


def grokking_probability_map(lam1_values: Any = (0.0, 0.01, 0.1), lam2_values: Any = (0.0, 0.01, 0.1), *,
                             n_draws: int = 2000, d: int = 2, rule: int = 30, K: int = 1, seed: int = 0,
                             batch: int = 256, test_set: PositionSet | None = None,
                             progress: bool = True) -> pd.DataFrame:
    """Acceptance fraction of random A (the grokking probability of the map) on a λ1 × λ2 grid.

    The same ``n_draws`` tensors (seeded) are tested for every setting.  Columns:
    lam1, lam2, n_draws, n_valid, n_accepted, p (accepted / draws), p_se (binomial
    standard error), p_valid (accepted / valid draws).
    """
    n_draws = check_int("n_draws", n_draws, 1)
    d = check_int("d", d, 1)
    l1s = [check_real("lam1_values", v, 0.0) for v in np.atleast_1d(lam1_values)]
    l2s = [check_real("lam2_values", v, 0.0) for v in np.atleast_1d(lam2_values)]
    train = make_dataset(rule, K, 2 * K + 1)
    test = test_set if test_set is not None else make_test_set(rule, K)
    rng = np.random.default_rng(check_int("seed", seed, 0))
    A_all = rng.standard_normal((n_draws, d, d, 2))
    counts = {(l1, l2): [0, 0] for l1 in l1s for l2 in l2s}
    from tqdm.auto import tqdm
    for s in tqdm(range(0, n_draws, batch), disable=not progress, desc="grokking map"):
        A = A_all[s:s + batch]
        valid = leading_eigenvectors(A)[2]
        Av = A[valid]
        if Av.shape[0] == 0:
            continue
        Z = features_numpy(Av, train)
        Zt = features_numpy(Av, test)
        y = train.labels.astype(float)
        G0 = np.einsum("n,rni,rnj->rij", train.weights, Z, Z)
        a = np.einsum("n,n,rni->ri", train.weights, y, Z)
        for (l1, l2), c in counts.items():
            w = stationary_classifier(G0 + l2 * np.eye(Z.shape[-1]), a, l1)
            ok = np.all(np.sign(np.einsum("rnd,rd->rn", Zt, w)) == test.labels[None], axis=1)
            c[0] += int(valid.sum())
            c[1] += int(ok.sum())
    rows = []
    for (l1, l2), (nv, na) in counts.items():
        p = na / n_draws
        rows.append({"lam1": l1, "lam2": l2, "n_draws": n_draws, "n_valid": nv, "n_accepted": na,
                     "p": p, "p_se": float(np.sqrt(max(p * (1 - p), 1e-300) / n_draws)),
                     "p_valid": na / nv if nv else float("nan"), "d": d, "rule": int(rule), "K": int(K),
                     "seed": int(seed)})
    return pd.DataFrame(rows)

class _Flow:
    """w(t) for a batch of initialisations: exact (λ1 = 0) or event-driven L1 flow (λ1 > 0)."""

    def __init__(self, G: NDArray[np.float64], a: NDArray[np.float64], w0: NDArray[np.float64], lam1: float):
        self.G, self.a, self.w0, self.lam1 = G, a, w0, lam1
        if lam1 == 0:
            from perceptron_theory.flow import exact_flow
            self._exact = exact_flow(G, a, w0)
        else:
            try:
                from perceptron_theory.flow import L1Flow  # type: ignore[attr-defined]
            except ImportError as exc:  # pragma: no cover - depends on the lead's branch
                raise NotImplementedError("lam1 > 0 needs perceptron_theory.flow.L1Flow / l1_flow") from exc
            self._l1 = L1Flow(G, a, w0, lam1)

    def grid(self, times: NDArray[np.float64], idx: NDArray[np.int64] | None = None) -> NDArray[np.float64]:
        """(R, T, D) on a shared grid (optionally for the subset ``idx``)."""
        times = np.asarray(times, float)
        if self.lam1 == 0:
            from perceptron_theory.flow import exact_flow
            fl = self._exact if idx is None else exact_flow(self.G, self.a, self.w0[idx])
            return fl(times)
        if idx is None:
            return self._l1.at(np.broadcast_to(times, (self.w0.shape[0], times.size)))
        tm = np.zeros((self.w0.shape[0], times.size))
        tm[idx] = times
        return self._l1.at(tm)[idx]

    def at(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        """(R, D) at one time per replica."""
        if self.lam1 == 0:
            return self._exact(t)
        return self._l1.at(np.asarray(t, float)[:, None])[:, 0]

    def at_matrix(self, tm: NDArray[np.float64]) -> NDArray[np.float64]:
        """(R, T, D) at per-replica times (R, T)."""
        if self.lam1 == 0:
            return np.stack([self._exact(tm[:, j]) for j in range(tm.shape[1])], axis=1)
        return self._l1.at(tm)


def _err(W: NDArray[np.float64], Z: NDArray[np.float64], y: NDArray[np.int8], wt: NDArray[np.float64]
         ) -> NDArray[np.float64]:
    """Weighted error fraction of weights W (..., D) on points Z (N, D) (sgn(0) counts as wrong)."""
    import torch
    Wt = torch.as_tensor(np.ascontiguousarray(W.reshape(-1, W.shape[-1])))
    Zy = torch.as_tensor(np.ascontiguousarray((Z * y[:, None]).T))
    wtt = torch.as_tensor(wt)
    out = torch.empty(Wt.shape[0], dtype=torch.float64)
    step = max(1, int(4e6 // max(Z.shape[0], 1)))
    for s in range(0, Wt.shape[0], step):
        out[s:s + step] = ((Wt[s:s + step] @ Zy) <= 0).to(torch.float64) @ wtt
    return out.numpy().reshape(W.shape[:-1])


def _refine(flow: _Flow, Z: NDArray[np.float64], y: NDArray[np.int8], wt: NDArray[np.float64],
            lo: NDArray[np.float64], hi: NDArray[np.float64], n_bisect: int = 40
            ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Shrink brackets [lo, hi] (error > 0 at lo, = 0 at hi) per replica; returns (hi, hi - lo)."""
    lo, hi = lo.copy(), hi.copy()
    n_iter = n_bisect if flow.lam1 == 0 else min(n_bisect, 30)
    for _ in range(n_iter):
        mid = 0.5 * (lo + hi)
        e = _err(flow.at(mid), Z, y, wt)
        zero = e <= 0
        hi = np.where(zero, mid, hi)
        lo = np.where(zero, lo, mid)
    return hi, hi - lo


def _first_zero(E: NDArray[np.float64], times: NDArray[np.float64], flow: _Flow, Z: NDArray[np.float64],
                y: NDArray[np.int8], wt: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """First time the error (R, T) on the grid reaches 0, refined; NaN where it never does."""
    zero = E <= 0
    has = zero.any(axis=1)
    k = np.argmax(zero, axis=1)
    t_hit = np.full(E.shape[0], np.nan)
    err = np.full(E.shape[0], np.nan)
    at0 = has & (k == 0)
    t_hit[at0] = times[0]
    err[at0] = 0.0
    ref = np.nonzero(has & (k > 0))[0]
    if ref.size:
        sub = _Flow(flow.G, flow.a, flow.w0[ref], flow.lam1)
        hi, width = _refine(sub, Z, y, wt, times[k[ref] - 1], times[k[ref]])
        t_hit[ref], err[ref] = hi, width
    return t_hit, err


def run_scenario_b(A: Any = "example2", rule: int = 30, K: int = 1, lam1: float = 0.0, lam2: float = 0.0,
                   n_init: int = 1000, seed: int = 0, times: Any = None, test_set: PositionSet | None = None,
                   *, train_M: int | None = None, n_times: int = 200, n_tau: int = 60,
                   progress: bool = True) -> ScenarioBResult:
    """Train ``n_init`` classifier initialisations (B entries i.i.d. Normal(0, 1)) on fixed ``A``.

    ``A``: ``"example1" | "example2" | "example3"`` (appendix C), ``"exact"`` (Eq. 68) or an
    array ``(d, d, 2)``; open boundaries with the leading eigenvectors of A_0.
    Training set: every position of all inputs of length ``train_M`` (default 2K + 1).
    ``times``: shared time grid (default: ``n_times`` log-spaced points from
    0.01/λ_max(G) to 50/λ_min⁺(G), plus t = 0).

    Curves: ``t, test_error, train_error, train_loss`` on the shared grid
    (``aligned = False``) and test/train error at ``t = t_eps - tau`` for
    ``n_tau`` log-spaced ``tau`` (``aligned = True``), for the transition exponent ν.
    """
    A_arr, label = resolve_A(A)
    n_init, seed = check_int("n_init", n_init, 1), check_int("seed", seed, 0)
    lam1, lam2 = check_real("lam1", lam1, 0.0), check_real("lam2", lam2, 0.0)
    check_int("rule", rule, 0, 255)
    K = check_int("K", K, 1)
    train_M = 2 * K + 1 if train_M is None else check_int("train_M", train_M, 2 * K + 1)
    if not leading_eigenvectors(A_arr[None])[2][0]:
        raise ValueError("A: A[..., 0] has no real, strictly dominant leading eigenvalue")
    train = make_dataset(rule, K, train_M)
    test = test_set if test_set is not None else make_test_set(rule, K)
    d, D = A_arr.shape[0], 2 * A_arr.shape[0] ** 2
    check_memory("scenario B", scenario_b_memory_bytes(n_init, check_int("n_times", n_times, 2) if times is None
                 else np.size(times), check_int("n_tau", n_tau, 0), d, test.n_positions), "n_init or n_times")
    Z, G, a = scenario_b_problem(A_arr, train, lam2)
    y_tr = train.labels
    wt_tr = train.weights
    Zt_full = features_numpy(A_arr, test)
    Zt, yt, wt = _dedupe(Zt_full, test.labels, test.weights)
    ev = np.linalg.eigvalsh(G)
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal((n_init, D))
    if times is None:
        pos = ev[ev > 1e-12 * max(ev.max(), 1e-300)]
        grid = np.concatenate([[0.0], np.logspace(np.log10(0.01 / pos.max()), np.log10(50.0 / pos.min()),
                                                  check_int("n_times", n_times, 2))])
    else:
        grid = np.unique(np.asarray(times, dtype=float))
        if grid.size < 2 or np.any(grid < 0) or not np.all(np.isfinite(grid)):
            raise ValueError("times must hold at least two finite, non-negative times")
    flow = _Flow(G, a, w0, lam1)
    from tqdm.auto import tqdm
    E_te = np.empty((n_init, grid.size))
    E_tr = np.empty((n_init, grid.size))
    loss = np.empty((n_init, grid.size))
    chunk = max(1, int(2e7 // max(Zt.shape[0], 1)))
    starts = range(0, n_init, chunk)
    # the bar counts work units: one per chunk of the time grid, then one per later stage
    # (t_eps and t_train refinement, aligned points), so it reaches 100 % only when done
    bar = tqdm(total=len(starts) + 3, disable=not progress, desc="scenario B: time grid")
    for s in starts:
        W = flow.grid(grid, idx=np.arange(s, min(s + chunk, n_init)))  # (r, T, D)
        E_te[s:s + chunk] = _err(W, Zt, yt, wt)
        E_tr[s:s + chunk] = _err(W, Z, y_tr, wt_tr)
        res = W @ Z.T - y_tr.astype(float)
        loss[s:s + chunk] = (0.5 * res ** 2) @ wt_tr + lam1 * np.abs(W).sum(-1) + 0.5 * lam2 * (W ** 2).sum(-1)
        bar.update()
    diverged = ~np.all(np.isfinite(loss), axis=1)
    bar.set_description("scenario B: refining t_eps")
    t_eps, t_eps_err = _first_zero(np.where(np.isfinite(E_te), E_te, 1.0), grid, flow, Zt, yt, wt)
    bar.update()
    bar.set_description("scenario B: refining t_train")
    t_train, t_train_err = _first_zero(np.where(np.isfinite(E_tr), E_tr, 1.0), grid, flow, Z, y_tr, wt_tr)
    bar.update()
    bar.set_description("scenario B: aligned points")
    groks = np.isfinite(t_eps) & ~diverged
    t_G = t_eps - t_train
    reason = np.where(diverged, "diverged", np.where(~np.isfinite(t_train), "never_zero_train",
                      np.where(~np.isfinite(t_eps), "never_zero_test", "")))
    summary = pd.DataFrame({"run": np.arange(n_init), "t_train": t_train, "t_eps": t_eps, "t_G": t_G,
                            "groks": groks, "diverged": diverged, "flag": reason,
                            "t_eps_err": t_eps_err, "t_train_err": t_train_err,
                            "final_test_error": E_te[:, -1], "final_train_error": E_tr[:, -1],
                            "test_error_t0": E_te[:, 0]})
    runs = np.repeat(np.arange(n_init), grid.size)
    curves = [pd.DataFrame({"run": runs, "t": np.tile(grid, n_init), "test_error": E_te.ravel(),
                            "train_error": E_tr.ravel(), "train_loss": loss.ravel(), "aligned": False,
                            "tau": np.nan})]
    # aligned points t = t_eps - tau (exact flow: per-replica times; λ1 > 0: shared grids per run)
    gi = np.nonzero(groks & (t_eps > 0))[0]
    if gi.size and n_tau > 0:
        tmax = float(np.max(t_eps[gi]))
        taus = np.logspace(np.log10(max(tmax, 1e-12)) - 6, np.log10(tmax), n_tau)
        tm = np.clip(t_eps[gi][:, None] - taus[None, :], 0.0, None)
        valid = taus[None, :] < t_eps[gi][:, None]
        sub = _Flow(G, a, w0[gi], lam1)
        W = sub.at_matrix(tm)  # (n, n_tau, D)
        te = _err(W, Zt, yt, wt)
        tr_e = _err(W, Z, y_tr, wt_tr)
        rr = np.repeat(gi, taus.size).reshape(gi.size, taus.size)
        curves.append(pd.DataFrame({"run": rr[valid], "t": tm[valid], "test_error": te[valid],
                                    "train_error": tr_e[valid], "train_loss": np.nan, "aligned": True,
                                    "tau": np.broadcast_to(taus, tm.shape)[valid]}))
    bar.update()
    bar.close()
    curves_df = pd.concat(curves, ignore_index=True)
    # context vectors of the training positions, (n, d) each (ξ and D_eff use contexts_of_test_set /
    # bulk_contexts: the 24 training positions hold only 7 distinct angles per side)
    left_ctx, right_ctx = position_contexts(A_arr, train)
    # bulk (stationary) contexts of long random inputs: the sample for xi's edge fit (issue 10)
    try:
        bulk = bulk_contexts(A_arr, rule=rule, K=K, seed=seed)
    except ValueError as exc:  # e.g. no real dominant eigenvalue of A_0: no bulk sample, said in the config
        bulk = None
        bulk_note = f"not exported: {exc}"
    w_final = flow.grid(np.array([grid[-1]]))[:, 0]
    features = {"train_features": Z, "train_labels": y_tr.astype(np.int8), "train_weights": wt_tr,
                "test_features": Zt, "test_labels": yt, "test_weights": wt,
                "left_context": left_ctx, "right_context": right_ctx, "G": G, "a": a,
                "G_eigenvalues": ev, "w0": w0, "w_final": w_final, "A": A_arr, "times": grid}
    if bulk is not None:
        features.update(bulk_left_context=bulk.left, bulk_right_context=bulk.right, bulk_labels=bulk.labels,
                        bulk_groups=bulk.groups)
    config = {"generator": "local_rules.run_scenario_b", "A": label, "A_values": A_arr.tolist(),
              "d": d, "D": D, "rule": int(rule), "K": K, "lam1": lam1, "lam2": lam2, "n_init": n_init,
              "seed": seed, "init": "B entries i.i.d. Normal(0, 1) from numpy.random.default_rng(seed)",
              "boundary": "eigen", "train_M": train_M, "test_set": dict(test.info),
              "n_test_points_distinct": int(Zt.shape[0]), "loss": "mean over training positions",
              "integrator": "exact_flow" if lam1 == 0 else "l1_flow", "time_unit": "gradient-flow time",
              "n_times": int(grid.size),
              "bulk_contexts": dict(bulk.info) if bulk is not None else bulk_note}
    return ScenarioBResult(config=config, curves=curves_df, summary=summary, features=features)
ReplicaFlow, error_fraction, refine_first_zero = _Flow, _err, _refine  # shared with _bulk_transition (issue 25)

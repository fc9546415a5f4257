r"""The delay divergence of the separability model near λ_c = 1/2, fitted with its CI and judged.

Beck, Levi & Bar-Sinai (ICML 2025), sec. 4 / Eq. 39 (two-point model):
``log(t*_gen / t*_tr) ~ log^2(1 - 2λ) / 2`` as λ → ½⁻ at large σ, i.e. the power law
``y = sqrt(log(t*_gen / t*_tr)) = c x^p`` in ``x = -log(1 - 2λ)`` with ``p = 1`` and
``c = 1/sqrt 2`` (:data:`linear_grokking.separability.two_point.EQ39_SLOPE`).

Population (the theory's): runs whose training set is not separable from the origin (they
generalise, Prop. 3.2) with both ``t*_tr`` and ``t*_gen`` reached on the clock and
``t*_gen > t*_tr``. Window: the λ values given, all below 1/2. The fit is the log-log OLS of
:func:`comparison.estimate.powerlaw.fit_power_law` on the per-λ mean of y; its CI is the
percentile bootstrap of :func:`scipy.stats.bootstrap` resampling runs within each λ.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> lams = [0.3, 0.4, 0.45, 0.49]
>>> ys = [np.sqrt(2) ** -1 * -np.log(1 - 2 * l) * (1 + 0.02 * rng.standard_normal(30)) for l in lams]
>>> fit = fit_delay_divergence(lams, ys, n_boot=200, seed=0)
>>> fit["verdict"]["verdict"], abs(fit["exponent"] - 1) < 0.05
('agrees', True)
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._io import strict_jsonable
from ..agreement.verdict import Verdict
from ..estimate.powerlaw import fit_power_law

__all__ = ["delay_population", "fit_delay_divergence", "delay_study", "bootstrap_se_of_mean", "eq39_in_regime",
           "THEORY_EXPONENT", "MIN_RUNS_PER_LAM", "TARGET_HALF_WIDTH"]

THEORY_EXPONENT = 1.0   # Eq. 39: sqrt(log(t*_gen/t*_tr)) ∝ |log(1 - 2λ)|^1
MIN_RUNS_PER_LAM = 3
TARGET_HALF_WIDTH = 0.15   # a test of p = 1 worth the name: 95 % CI half-width at most this
# Eq. 39's regime (two-point model, App. E): 1 - 2λ small and σ²(1 - 2λ) log²(1 - 2λ) >> 1 (here: <= 0.1, >= 10)
REGIME_EPS_MAX, REGIME_SIGMA_MIN = 0.1, 10.0


def eq39_in_regime(lam: float, sigma: float) -> bool:
    """Whether (λ, σ) is inside Eq. 39's regime: ``1 - 2λ <= 0.1`` and ``σ² (1-2λ) log²(1-2λ) >= 10``.

    >>> eq39_in_regime(0.45, 4.0), eq39_in_regime(0.495, 20.0), eq39_in_regime(0.3, 20.0)
    (False, True, False)
    """
    e = 1.0 - 2.0 * float(lam)
    return bool(0 < e <= REGIME_EPS_MAX and sigma ** 2 * e * np.log(e) ** 2 >= REGIME_SIGMA_MIN)


def _power(window: list[float], n_runs: list[int], half_width: float, sigma: float | None) -> dict[str, Any]:
    """Whether the fit can test Eq. 39: CI half-width against :data:`TARGET_HALF_WIDTH`, regime, runs needed."""
    regime = None if sigma is None else all(eq39_in_regime(l, sigma) for l in window)
    need = int(np.ceil(max(n_runs) * (half_width / TARGET_HALF_WIDTH) ** 2))
    powered = half_width <= TARGET_HALF_WIDTH and regime is not False
    why = [] if half_width <= TARGET_HALF_WIDTH else [
        f"CI half-width {half_width:.2g} > {TARGET_HALF_WIDTH:g} (about {need} timed runs per λ would be needed "
        "in this window)"]
    if regime is False:
        why.append("window outside Eq. 39's regime (1 - 2λ <= 0.1 and σ²(1-2λ)log²(1-2λ) >= 10 at every λ)")
    return {"target_half_width": TARGET_HALF_WIDTH, "half_width": half_width, "in_regime": regime,
            "powered": powered, "required_runs_per_lam": need,
            "statement": "powered" if powered else "underpowered: " + "; ".join(why)}


def delay_population(summary: Any) -> np.ndarray:
    """``sqrt(log(t*_gen / t*_tr))`` of the theory's population in one run set's ``summary``.

    >>> import pandas as pd
    >>> s = pd.DataFrame({"separable": [False, True, False], "t_star_tr": [1.0, 1.0, np.nan],
    ...                   "t_star_gen": [np.e ** 4, 2.0, 3.0], "diverged": [False] * 3})
    >>> delay_population(s).tolist()
    [2.0]
    """
    tr = np.asarray(summary["t_star_tr"], dtype=float)
    gen = np.asarray(summary["t_star_gen"], dtype=float)
    ok = ~np.asarray(summary["separable"], bool) & ~np.asarray(summary["diverged"], bool)
    ok &= np.isfinite(tr) & np.isfinite(gen) & (tr > 0) & (gen > tr)
    return np.sqrt(np.log(gen[ok] / tr[ok]))


def bootstrap_se_of_mean(y: np.ndarray, *, n_boot: int, seed: int) -> float | None:
    """Bootstrap s.d. of the mean of ``y`` over resampled runs (as the fit's CI resamples them); None below 2 runs.

    >>> se = bootstrap_se_of_mean(np.arange(100.0), n_boot=2000, seed=0)
    >>> bool(abs(se / (np.std(np.arange(100.0)) / 10) - 1) < 0.1)
    True
    """
    y = np.asarray(y, dtype=float)
    if y.size < 2:
        return None
    idx = np.random.default_rng(seed).integers(0, y.size, size=(int(n_boot), y.size))
    return float(y[idx].mean(1).std(ddof=1))


def _slope(*samples: np.ndarray, x: np.ndarray) -> float:
    return fit_power_law(x, [float(np.mean(s)) for s in samples]).slope


def fit_delay_divergence(lams: Sequence[float], ys: Sequence[np.ndarray], *, n_boot: int = 1000,
                         confidence: float = 0.95, sigma: float | None = None, seed: int) -> dict[str, Any]:
    """Fit ``y = c x^p`` (``x = -log(1 - 2λ)``, y per run from :func:`delay_population`) and judge p.

    Returns a JSON-ready dict: ``window`` (λ used), ``n_runs`` per λ, ``exponent``, ``exponent_ci``,
    ``exponent_se`` (bootstrap s.d.), ``prefactor``, ``theory_exponent``, ``detectable`` (the
    smallest |p - 1| the CI resolves, its half-width) and ``verdict`` (a verdict-table row;
    "not testable" with the reason when fewer than 3 λ have ``MIN_RUNS_PER_LAM`` runs). Strict JSON
    (:func:`comparison._io.strict_jsonable`): a non-finite number (the not-testable row's
    measured, z, p, ...) is ``null`` with its reason under ``null_reasons`` (e.g. ``verdict/z``).

    ``power`` (:func:`_power`): the CI half-width against :data:`TARGET_HALF_WIDTH`, whether every λ
    is inside Eq. 39's regime at ``sigma`` (None when ``sigma`` is not given), ``powered``, the
    timed runs per λ the half-width asks for, and a ``statement``. A fit that is not powered and
    whose test would agree gets the verdict ``"underpowered"`` (the z-test's word is in the note):
    a wide CI that covers 1 is not agreement with Eq. 39.
    """
    from scipy import stats

    if any(not 0 < float(l) < 0.5 for l in lams):
        raise ValueError(f"fit_delay_divergence: every lam must be in (0, 0.5), got {list(lams)}")
    keep = [(float(l), np.asarray(y, float)) for l, y in zip(lams, ys) if np.size(y) >= MIN_RUNS_PER_LAM]
    out: dict[str, Any] = {"window": [l for l, _ in keep], "n_runs": [int(y.size) for _, y in keep],
                           "theory_exponent": THEORY_EXPONENT, "population": "not separable, t*_gen > t*_tr reached"}
    if len(keep) < 3:
        why = f"need >= 3 lambda values with >= {MIN_RUNS_PER_LAM} timed runs, got {len(keep)}"
        out.update(exponent=None, exponent_ci=None, exponent_se=None, prefactor=None, detectable=None, power=None,
                   verdict=Verdict.not_testable("delay exponent", float("nan"), theory="Eq. 39", why=why).row())
        return strict_jsonable(out)
    x = -np.log1p(-2.0 * np.array([l for l, _ in keep]))
    samples = tuple(y for _, y in keep)
    line = fit_power_law(x, [float(np.mean(s)) for s in samples])
    bs = stats.bootstrap(samples, lambda *s: _slope(*s, x=x), n_resamples=n_boot, confidence_level=confidence,
                         method="percentile", vectorized=False, paired=False, random_state=seed)
    lo, hi = float(bs.confidence_interval.low), float(bs.confidence_interval.high)
    se = float(bs.standard_error)
    v = Verdict.estimate("delay exponent", line.slope, se, THEORY_EXPONENT, theory="Eq. 39",
                         note=f"window lam in [{min(out['window']):g}, {max(out['window']):g}]")
    power = _power(out["window"], out["n_runs"], (hi - lo) / 2, sigma)
    row = v.row()
    if not power["powered"] and row["verdict"] == "agrees":
        row.update(verdict="underpowered", note=f"{row['note']}; z-test: |z| < 4 (agrees), but {power['statement']}")
    out.update(exponent=line.slope, exponent_ci=[lo, hi], exponent_se=se, prefactor=float(np.exp(line.intercept)),
               detectable=(hi - lo) / 2, power=power, verdict=row)
    return strict_jsonable(out)


def delay_study(N: int = 20, lams: Sequence[float] = (0.3, 0.4, 0.45), *, sigma: float = 4.0, n_sets: int = 16,
                t_max: float = 1e8, n_points: int = 24, n_boot: int = 500, device: str = "cpu",
                seed: int) -> dict[str, Any]:
    """Simulate ``n_sets`` training sets at each ``d = round(λN)`` and fit :func:`fit_delay_divergence`.

    Returns the fit's dict (strict JSON) plus ``N``, ``sigma``, ``t_max``, ``seed`` and ``points``:
    per λ ``lam``, ``x = -log(1 - 2λ)``, ``y_mean``, ``y_se`` (bootstrap s.d. of the mean over runs,
    ``n_boot`` resamples, :func:`bootstrap_se_of_mean`, as the fit's CI resamples runs; None below
    2 runs), ``n``.
    Each λ has its own child seed of ``seed`` (:func:`comparison.seeds.child_seeds`); ``device``
    is the torch device of the dynamics (a powered, in-regime study needs a GPU: docs/linear_grokking.md).
    """
    from ..seeds import child_seeds
    from ..simulators import call_simulator

    ds = [max(1, round(float(l) * N)) for l in lams]
    if any(not 0 < d / N < 0.5 for d in ds):
        raise ValueError(f"delay_study: every round(lam*N)/N must be in (0, 0.5), got {[d / N for d in ds]}")
    ys = []
    for d, s in zip(ds, child_seeds(seed, len(ds))):
        res = call_simulator("separability", {"N": N, "d": d, "sigma": float(sigma), "t_max": float(t_max),
                                              "n_points": int(n_points), "n_seeds": int(n_sets), "groks_by": "limit",
                                              "device": device, "seed": s})
        ys.append(delay_population(res.summary))
    eff = [d / N for d in ds]
    fit = fit_delay_divergence(eff, ys, n_boot=n_boot, sigma=float(sigma), seed=seed)
    pts = [{"lam": l, "x": float(-np.log1p(-2 * l)), "n": int(y.size),
            "y_mean": float(np.mean(y)) if y.size else None,
            "y_se": bootstrap_se_of_mean(y, n_boot=n_boot, seed=seed + i)}
           for i, (l, y) in enumerate(zip(eff, ys))]
    return {**fit, "N": N, "sigma": float(sigma), "t_max": float(t_max), "seed": seed, "points": pts}

"""Estimators recover planted answers (fixed seeds, tolerances from sample sizes)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from comparison.estimate import (NuFitter, bimodality_test, d_eff, epsilon_separation, kde, law_distance,
                                 margin_exponent, split_spectrum, xi_angle_histogram, xi_context)
from synthetic import planted_power_law_curves


def uniform_ball(n: int, D: int, rng: np.random.Generator) -> np.ndarray:
    g = rng.standard_normal((n, D))
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    return g * rng.uniform(size=(n, 1)) ** (1 / D)


def two_balls(n: int, D: int, eps: float, rng: np.random.Generator):
    e1 = np.eye(D)[0]
    X = np.vstack([uniform_ball(n, D, rng) + eps * e1, uniform_ball(n, D, rng) - eps * e1])
    return X, np.r_[np.ones(n), -np.ones(n)]


# ------------------------------------------------------------------ nu
@pytest.mark.parametrize("nu", [0.5, 1.0, 2.0, 3.5])
@pytest.mark.parametrize("exact", [True, False])
def test_planted_nu_inside_its_ci(nu, exact):
    curves, summary = planted_power_law_curves(nu, n_runs=40, seed=int(10 * nu), exact_t_eps=exact)
    # exact: the simulator's t_eps; otherwise t_eps detected from the curves (on the grid)
    f = NuFitter(n_boot=100).fit(curves, summary if exact else None)
    assert f.t_eps_refined_frac_ == (0.0 if exact else 1.0)
    lo, hi = f.nu_ci_
    assert lo <= nu <= hi, (f.nu_, f.nu_ci_)
    assert hi - lo < 0.1 * nu + 0.05  # and the interval is informative
    assert f.gof_["r2"] > 0.99 and f.window_[0] < f.window_[1]
    assert abs(np.nanmedian(f.per_run_["nu"]) - nu) < 0.05 * nu
    assert {"tau_lo", "tau_hi", "nu"} <= set(f.sensitivity_.columns)


def test_nu_detects_t_eps_from_curves_and_excludes_diverged():
    curves, summary = planted_power_law_curves(1.5, n_runs=30, seed=3, exact_t_eps=False)
    bad = curves[curves["run"] == 0].copy()
    bad["run"] = 999
    bad.loc[bad.index[:50], "test_error"] = np.nan
    curves2 = pd.concat([curves, bad], ignore_index=True)
    f = NuFitter(n_boot=50).fit(curves2)  # t_eps detected from the curves
    assert f.excluded_["diverged"] == 1 and f.n_runs_used_ == 30
    assert f.nu_ci_[0] <= 1.5 <= f.nu_ci_[1]
    res = f.result()
    # the rule's window starts at its resolution floor: the tau_lo x 1/2 windows are left out (issue 23)
    assert res["window_rule"].startswith("tau_lo") and len(res["sensitivity"]) == 9
    assert min(w["tau_lo"] for w in res["sensitivity"]) >= res["resolution_floor"] * (1 - 1e-9)


def test_nu_explicit_window_and_errors():
    curves, summary = planted_power_law_curves(2.0, n_runs=20, seed=1)
    f = NuFitter(window=(0.05, 0.5), n_boot=0).fit(curves, summary)
    assert f.window_ == (0.05, 0.5) and f.window_rule_ == "explicit window"
    assert abs(f.nu_ - 2.0) < 4 * f.nu_se_ + 1e-3
    with pytest.raises(ValueError, match="window must be"):
        NuFitter(window=(1.0, 0.5)).fit(curves, summary)
    # one run: a single-run estimate from its own curve (issue 12), never an error
    one = NuFitter(n_boot=0).fit(curves[curves["run"] == 0], summary[summary["run"] == 0])
    assert one.kind_ == "single-run" and "< 10 runs" in one.flags_ and one.weak_
    with pytest.raises(ValueError, match="at least 1 run"):
        NuFitter().fit(curves[curves["run"] == 0], summary[summary["run"] == 0].assign(t_eps=np.nan))
    with pytest.raises(ValueError, match="not fitted"):
        NuFitter().predict([1.0])


# ------------------------------------------------------------------ D_eff
def test_d_eff_planted_spectrum():
    rng = np.random.default_rng(0)
    var = np.array([4.0, 2.0, 1.0, 0.5, 0.25, 0.1])
    p = var / var.sum()
    truth = np.exp(-np.sum(p * np.log(p)))
    X = rng.standard_normal((40000, var.size)) * np.sqrt(var)
    assert abs(d_eff(X) - truth) < 0.05
    assert abs(d_eff(rng.standard_normal((40000, 7))) - 7) < 0.1
    assert abs(d_eff(np.outer(rng.standard_normal(100), [1.0, 2.0, 3.0])) - 1.0) < 1e-6


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 6), st.integers(0, 10_000), st.floats(0.1, 10))
def test_d_eff_invariances(D, seed, scale):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((50, D)) * rng.uniform(0.1, 3, size=D)
    Q, _ = np.linalg.qr(rng.standard_normal((D, D)))
    de = d_eff(X)
    assert 1 - 1e-9 <= de <= D + 1e-9
    assert np.isclose(d_eff(scale * X @ Q + 5.0), de, rtol=1e-8)


# ------------------------------------------------------------------ xi
def edge_angles(n: int, xi: float, rng: np.random.Generator, start: float = 0.3, width: float = 1.2):
    delta = rng.uniform(size=n) ** (1 / (1 - xi))  # density (1-xi) delta^-xi on [0, 1]
    th = start + width * delta
    return np.c_[np.cos(th), np.sin(th)]


@pytest.mark.parametrize("xi", [0.0, 0.3, 0.6])
def test_xi_angle_histogram_planted(xi):
    rng = np.random.default_rng(int(xi * 10))
    r = xi_angle_histogram(edge_angles(100_000, xi, rng))
    assert abs(r.xi - xi) < 4 * r.xi_se + 0.02, (r.xi, r.xi_se)
    if xi > 0:
        assert r.edge == "low"


def test_xi_angle_handles_wraparound_and_context_sum():
    rng = np.random.default_rng(5)
    v = edge_angles(50_000, 0.5, rng, start=np.pi - 0.3, width=0.6)  # support straddles +-pi
    assert abs(xi_angle_histogram(v).xi - 0.5) < 0.08
    n = 40_000
    left = np.vstack([edge_angles(n, 0.2, rng), edge_angles(n, 0.1, rng)])
    right = np.vstack([edge_angles(n, 0.3, rng), edge_angles(n, 0.0, rng)])
    y = np.r_[np.ones(n), -np.ones(n)]
    out = xi_context(left, right, y)
    assert out["class"] == "1.0" and abs(out["xi"] - 0.5) < 4 * out["xi_se"] + 0.03


# ------------------------------------------------------------------ margin exponent (nu directly)
@pytest.mark.parametrize("D", [1, 2, 3])
def test_margin_exponent_ball(D):
    rng = np.random.default_rng(D)
    X, y = two_balls(100_000, D, 1.5, rng)
    w = rng.standard_normal(D) * 0.05 + np.eye(D)[0]  # any direction works for a ball
    me = margin_exponent(X, y, w, n_boot=20)
    assert abs(me.a - (D + 1) / 2) < 4 * me.a_se, (me.a, me.a_se)


def test_margin_exponent_divergent_boundary_density():
    # disk (D = 2) whose density diverges at the rim like delta^-xi: a = (D+1)/2 - xi = 1
    rng = np.random.default_rng(11)
    n, xi = 60_000, 0.5
    delta = rng.uniform(size=n) ** (1 / (1 - xi))
    phi = rng.uniform(0, 2 * np.pi, n)
    P = (1 - delta)[:, None] * np.c_[np.cos(phi), np.sin(phi)]
    X = np.vstack([P + [2, 0], -P - [2, 0]])
    y = np.r_[np.ones(n), -np.ones(n)]
    me = margin_exponent(X, y, [1.0, 0.0], n_boot=20)
    assert abs(me.a - 1.0) < 4 * me.a_se


# ------------------------------------------------------------------ epsilon, spectrum
def test_epsilon_ball_calibrated():
    rng = np.random.default_rng(2)
    X, y = two_balls(20_000, 4, 1.3, rng)
    e = epsilon_separation(X, y)
    assert abs(e["eps"] - 1.3) < 0.02 and abs(e["eps_support"] - 1.3) < 0.02
    assert abs(e["eps_std"] - 1.3 * np.sqrt(6)) < 0.05
    with pytest.raises(ValueError, match="two classes"):
        epsilon_separation(X, np.ones(len(X)))


def test_split_spectrum():
    s = split_spectrum([0.02, 0.011, 0.015, 0.4, 0.9, 0.0])
    assert s.split and np.isclose(s.ratio, 0.4 / 0.02) and list(s.fast) == [0.4, 0.9] and s.zero.size == 1
    assert not split_spectrum([1.0, 2.0, 3.0]).split
    with pytest.raises(ValueError):
        split_spectrum([1.0])


# ------------------------------------------------------------------ t_G laws
def test_bimodality_planted():
    for seed in range(3):
        rng = np.random.default_rng(seed)
        bi = np.r_[rng.lognormal(0, 0.3, 300), rng.lognormal(2.5, 0.3, 200)]
        r = bimodality_test(bi)
        assert r.bimodal and r.delta_bic > 10 and abs(r.weights[1] - 0.4) < 0.1
        assert abs(r.means[0]) < 0.15 and abs(r.means[1] - 2.5) < 0.15
        for uni in (rng.lognormal(0, 1, 500), rng.gamma(2.0, 1.0, 500), rng.exponential(1.0, 500)):
            assert not bimodality_test(uni).bimodal


def test_bimodality_of_ball_theory_law_with_atom():
    from perceptron_theory import ball

    law = ball.GrokTimeLaw(5, 2.0, 0.01)
    x = law.rvs(2000, 0)
    assert bimodality_test(x).bimodal
    d = law_distance(x, law)
    assert d.ks_pvalue > 1e-3 and d.ks < 4 / np.sqrt(2000)
    assert abs(d.atom_sample_mass - law.atom[1]) < 4 * np.sqrt(law.atom[1] * (1 - law.atom[1]) / 2000)
    d_bad = law_distance(x * 1.2, law)
    assert d_bad.ks_pvalue < 1e-6 and d_bad.wasserstein > 5 * d.wasserstein


class _Exp:
    atom = None

    def __init__(self, scale=1.0):
        self.scale = scale

    def cdf(self, t):
        return stats.expon.cdf(t, scale=self.scale)


def test_law_distance_matches_independent_formulas():
    rng = np.random.default_rng(4)
    x = rng.exponential(1.0, 800) + 0.3
    d = law_distance(x, _Exp())
    assert np.isclose(d.ks, stats.kstest(x, stats.expon.cdf).statistic, rtol=1e-12)
    ref = stats.wasserstein_distance(x, stats.expon.ppf((np.arange(200_000) + 0.5) / 200_000))
    assert abs(d.wasserstein - ref) < 2e-3


def test_kde_normalised():
    rng = np.random.default_rng(0)
    x = rng.lognormal(0, 1, 400)
    g, p = kde(x, np.geomspace(1e-4, 1e4, 20001))
    assert abs(np.trapezoid(p, g) - 1) < 2e-3
    g, p = kde(x, np.linspace(-5, 40, 20001), log=False)
    assert abs(np.trapezoid(p, g) - 1) < 2e-3


def test_integer_weights_equal_repeated_rows():
    rng = np.random.default_rng(8)
    X, y = two_balls(3000, 3, 1.4, rng)
    reps = rng.integers(1, 4, size=len(X))
    Xr, yr = np.repeat(X, reps, axis=0), np.repeat(y, reps)
    assert np.isclose(d_eff(X, weights=reps), d_eff(Xr), rtol=1e-10)
    e_w, e_r = epsilon_separation(X, y, weights=reps), epsilon_separation(Xr, yr)
    assert np.isclose(e_w["eps_support"], e_r["eps_support"], rtol=1e-10)
    assert np.isclose(e_w["eps_std"], e_r["eps_std"], rtol=2e-3)  # n vs n-2 style normalisation only
    a_w = margin_exponent(X, y, [1, 0, 0], weights=reps, n_boot=0).a
    a_r = margin_exponent(Xr, yr, [1, 0, 0], n_boot=0).a
    assert abs(a_w - a_r) < 0.05
    with pytest.raises(ValueError, match="weights"):
        d_eff(X, weights=-np.ones(len(X)))


def test_bimodality_on_grid_quantised_times():
    rng = np.random.default_rng(3)
    assert not bimodality_test(np.round(rng.lognormal(0, 0.5, 300), 2)).bimodal
    two = np.round(np.r_[rng.lognormal(0, 0.2, 150), rng.lognormal(2, 0.2, 150)], 1)
    assert bimodality_test(two).bimodal
    with pytest.raises(ValueError, match="distinct values"):
        bimodality_test(np.r_[np.full(30, 0.98), np.full(40, 1.0), np.full(30, 1.02)])

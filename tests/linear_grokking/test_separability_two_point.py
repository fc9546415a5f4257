"""The two-point model (Eq. 11, Table 1, Eqs. 39-41): closed forms against its own ODE solution.

The simulation is deterministic (LSODA at rtol 1e-10), so tolerances are set by the stated
asymptotic regime, not by sampling; each law is paired with a wrong variant that must fail.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from linear_grokking.separability.conformal import log_delay_ratio, s_infinity
from linear_grokking.separability.two_point import (EQ39_SLOPE, conformal_delay, eq39, eq41_conformal_delay,
                                                    lambert_solution, log_delay_ratio_exact, s_inf,
                                                    simulate_two_point, table1, two_point_set)

QS = np.array([1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6])   # 1 - 2 lam
BIG_SIGMA = 1e4                                      # frozen-S regime: sigma^2 q log^2 q >> 1 on QS


@pytest.fixture(scope="module")
def fig9():
    """Fig. 9's experiment: loss-threshold times at eps = 1e-6 over QS, large sigma."""
    return [simulate_two_point((1 - q) / 2, BIG_SIGMA, eps=1e-6, t_max=1e280, n_points=8) for q in QS]


def test_lambert_solution_is_exact_at_the_critical_point():
    out = simulate_two_point(0.5, 1.0, eta=0.3, t_max=1e250, n_points=60)
    b, S = lambert_solution(out["t"], eta=0.3)
    assert np.allclose(out["b"], b, rtol=1e-7, atol=1e-9) and np.allclose(out["norm_S"], S, rtol=1e-7, atol=1e-9)
    # independent derivation: parametrise by w = W(eta t/2), i.e. t = 2 w e^w / eta, and check with sympy that
    # S = log(1 + w), b = w + log(1 + w) solve dS/dt = (eta/2) e^{-S} e^{-b}, db/dt = (eta/2)(e^{-S} + 1) e^{-b}
    w, eta = sp.symbols("w eta", positive=True)
    t_w = 2 * w * sp.exp(w) / eta
    Ssym, bsym = sp.log(1 + w), w + sp.log(1 + w)
    dt = sp.diff(t_w, w)
    assert sp.simplify(sp.diff(Ssym, w) / dt - eta / 2 * sp.exp(-Ssym) * sp.exp(-bsym)) == 0
    assert sp.simplify(sp.diff(bsym, w) / dt - eta / 2 * (sp.exp(-Ssym) + 1) * sp.exp(-bsym)) == 0
    wrong = w + 2 * sp.log(1 + w)                                       # a wrong bias law fails the same check
    assert sp.simplify(sp.diff(wrong, w) / dt - eta / 2 * (sp.exp(-Ssym) + 1) * sp.exp(-wrong)) != 0


@pytest.mark.parametrize("lam", [0.3, 0.5, 0.75, 1.5])
def test_table1_late_time_laws(lam):
    out = simulate_two_point(lam, 1.0, t_max=1e280, n_points=400)
    lt = np.log(out["t"])
    i, j = np.searchsorted(lt, [200 * math.log(10), 279 * math.log(10)])
    tb, tS = table1(lam, out["t"][[i, j]])
    db, dS = (out["b"][j] - out["b"][i]) / (lt[j] - lt[i]), (out["norm_S"][j] - out["norm_S"][i]) / (lt[j] - lt[i])
    assert db == pytest.approx((tb[1] - tb[0]) / (lt[j] - lt[i]), abs=1e-5)
    if lam < 0.5:
        assert out["norm_S"][j] == pytest.approx(tS[1], rel=1e-8)
    elif lam == 0.5:
        assert out["norm_S"][j] == pytest.approx(tS[1], rel=0.01)       # log log t, corrections O(1/log t)
    else:
        assert dS == pytest.approx((tS[1] - tS[0]) / (lt[j] - lt[i]), abs=1e-5)
    if lam > 1:    # the table's printed M = 2 lam - 1 is wrong past lam = 1 (the margin is then 1)
        M = 2 * lam - 1
        assert abs(db - 1 / (1 + M * M)) > 0.1


def test_s_inf_closed_form_vs_the_general_minimiser():
    for lam in (0.05, 0.3, 0.45, 0.499):
        assert s_inf(lam, 3.0) == pytest.approx(abs(s_infinity(two_point_set(lam, 3.0))[0]), rel=1e-9)
        assert log_delay_ratio_exact(lam) == pytest.approx(log_delay_ratio(two_point_set(lam, 3.0), 3.0), rel=1e-9)


def test_eq39_delay_ratio_against_simulation(fig9):
    sim = np.array([math.log(o["t_star_gen"] / o["t_star_tr"]) for o in fig9])
    exact = np.array([log_delay_ratio_exact((1 - q) / 2) for q in QS])
    assert np.allclose(sim, exact, rtol=1e-5)
    lead = np.array([eq39((1 - q) / 2) for q in QS])
    assert np.allclose((exact - lead)[QS <= 1e-4], math.log(2), atol=0.02)   # Eq. 39 misses the constant log 2
    y = np.sqrt(sim)
    slope = np.polyfit(np.log(QS), y, 1)[0]
    assert abs(slope + EQ39_SLOPE) < 0.01                        # Fig. 9: slope -1/sqrt 2 ...
    assert abs(slope + 1.0) > 0.2 and abs(slope + 0.5) > 0.1       # ... and not -1 or -1/2


def test_conformal_delay_is_twice_eq41(fig9):
    sim = np.array([o["tau_star_gen"] - o["tau_star_tr"] for o in fig9])
    ours = np.array([conformal_delay((1 - q) / 2) for q in QS])
    assert np.allclose(sim, ours, rtol=1e-5)
    printed = np.array([eq41_conformal_delay((1 - q) / 2) for q in QS])
    assert np.all(np.abs(sim / printed - 2)[QS <= 1e-2] < 0.05)      # Eq. 41 is off by 2/eta (eta = 1 here)


def test_finite_sigma_saturates_the_delay():
    """Both lam -> 1/2 and sigma -> inf are needed (Fig. 3, right): at sigma = 1 the delay stays bounded."""
    r = [math.log(o["t_star_gen"] / o["t_star_tr"])
         for o in (simulate_two_point((1 - q) / 2, 1.0, eps=1e-6, t_max=1e280, n_points=4) for q in (1e-4, 1e-6))]
    assert abs(r[1] - r[0]) < 0.05 and r[1] < 0.2 * log_delay_ratio_exact((1 - 1e-6) / 2)


def test_prop_3_5_sigma_squared_speed_up():
    """Time for sigma |S| to reach 90 % of sigma |S_inf|: t * sigma^2 tends to a constant, b stays ~ 1/sigma^2."""
    lam, vals, bs = 0.25, [], []
    for sigma in (10.0, 20.0, 40.0):
        out = simulate_two_point(lam, sigma, t_max=1.0, n_points=4000)
        k = np.argmax(out["norm_S"] >= 0.9 * s_inf(lam, sigma))
        vals.append(out["t"][k] * sigma ** 2)
        bs.append(out["b"][k] * sigma ** 2)
    assert abs(vals[2] / vals[1] - 1) < 0.01 and abs(vals[2] / vals[1] - 1) < abs(vals[1] / vals[0] - 1) + 1e-3
    assert abs(bs[2] / bs[1] - 1) < 0.02


@settings(max_examples=60, deadline=None)
@given(q=st.floats(1e-12, 0.999))
def test_closed_form_properties(q):
    lam = (1 - q) / 2
    assert s_inf(lam) >= 0 and log_delay_ratio_exact(lam) >= 0 and eq39(lam) >= 0
    assert s_inf(lam, 2.0) == pytest.approx(s_inf(lam) / 2)
    if q < 0.5:
        lam2 = (1 - q / 2) / 2                                    # closer to 1/2: everything larger
        assert s_inf(lam2) > s_inf(lam) and log_delay_ratio_exact(lam2) > log_delay_ratio_exact(lam)
    assert conformal_delay(lam, 2.0) == pytest.approx(conformal_delay(lam) / 2)


@pytest.mark.parametrize("call,match", [
    (lambda: s_inf(0.5), r"lam must be in \[0, 0.5\)"), (lambda: eq39(-0.1), "lam must be"),
    (lambda: simulate_two_point(0.3, 0.0), "sigma must be"), (lambda: simulate_two_point(0.3, eps=2.0), "eps must be"),
    (lambda: conformal_delay(0.3, -1.0), "eta must be"), (lambda: table1(float("nan"), np.ones(1)), "lam must be")])
def test_domain_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()

"""The 1D exponential model: formulas against independent closed forms, numerics and simulation."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from scipy.integrate import solve_ivp

from perceptron_theory import exponential as ex
from perceptron_theory import simulate_exponential
from perceptron_theory.verification import local_exponents


# -- flow ---------------------------------------------------------------------

@pytest.mark.parametrize("xbar, b0, lam1, lam2", [(0.3, 5.0, 0.0, 0.0), (-0.5, 4.0, 0.1, 0.3),
                                                  (0.9, -2.0, 0.1, 1.0)])
def test_bias_trajectory_matches_ode_integration(xbar, b0, lam1, lam2):
    # Eq. 5 integrated numerically with an event at b = 0 (the sign switch); these cases
    # cross zero at most once and do not stick (sticking: see the next test).
    t_end = 6.0
    t = np.linspace(0, t_end, 25)
    exact = ex.bias_trajectory(t, xbar, b0, lam1, lam2)

    def rhs(s):
        return lambda _t, b: [xbar - lam1 * s - (1 + lam2) * b[0]]

    hit = lambda _t, b: b[0]  # noqa: E731
    hit.terminal = True
    s0 = np.sign(b0)
    first = solve_ivp(rhs(s0), (0, t_end), [b0], rtol=1e-11, atol=1e-13, events=hit, dense_output=True)
    out = np.empty_like(t)
    t_cross = first.t_events[0][0] if first.t_events[0].size else np.inf
    before = t <= t_cross
    out[before] = first.sol(t[before])[0]
    if np.any(~before):
        second = solve_ivp(rhs(-s0), (t_cross, t_end), [0.0], rtol=1e-11, atol=1e-13, dense_output=True)
        out[~before] = second.sol(t[~before])[0]
    assert np.max(np.abs(out - exact)) < 1e-8


def test_bias_sticks_at_zero_when_l1_dominates():
    b = ex.bias_trajectory(np.array([0.0, 1.0, 50.0]), xbar=0.05, b0=1.0, lam1=0.2)
    assert b[-1] == 0.0 and b[1] > 0


def test_t_eps_includes_misprinted_factor():
    # Eq. 8 with the 1/(1+lam2) factor: b(t_eps) = eps exactly
    xbar, b0, eps, l2 = 0.1, 3.0, 0.5, 0.7
    t = ex.t_eps(xbar, b0, eps, lam2=l2)
    assert ex.bias_trajectory(t, xbar, b0, 0.0, l2) == pytest.approx(eps, abs=1e-12)
    printed = np.log((b0 - xbar / (1 + l2)) / (eps - xbar / (1 + l2)))  # as printed (no factor)
    assert abs(ex.bias_trajectory(printed, xbar, b0, 0.0, l2) - eps) > 1e-2


# -- density of x-bar and grokking probability ---------------------------------

@pytest.mark.parametrize("N", [1, 2, 3, 7, 40])
def test_xbar_density_normalised_and_matches_gamma_difference(N):
    total = 2 * integrate.quad(lambda x: float(ex.xbar_density(x, N)), 0, np.inf, limit=400)[0]
    assert total == pytest.approx(1.0, abs=1e-8)
    # convolution of the two Gamma(N, rate N) means, independently by quadrature
    g = stats.gamma(N, scale=1.0 / N)
    for x in (0.0, 0.05, 0.3, 1.1):
        conv = integrate.quad(lambda u: g.pdf(u) * g.pdf(u - 2 * x), max(2 * x, 0), np.inf, limit=400)[0]
        assert float(ex.xbar_density(x, N)) == pytest.approx(2 * conv, rel=1e-6)


@pytest.mark.parametrize("el", [0.004, 0.04, 0.4, 1.3, 4.0])
def test_grok_probability_three_ways_at_n2(el):
    a = ex.grok_probability(2, el)
    b = ex.grok_probability(2, el, method="bessel")
    c = ex.grok_probability_n2(el)
    assert a == pytest.approx(c, rel=1e-9, abs=1e-14)
    assert b == pytest.approx(c, rel=1e-9, abs=1e-14)


@pytest.mark.parametrize("N", [1, 5, 20, 100])
def test_grok_probability_gamma_vs_bessel(N):
    e = np.array([0.003, 0.05, 0.5, 2.0])
    assert np.allclose(ex.grok_probability(N, e), ex.grok_probability(N, e, method="bessel"),
                       rtol=1e-7, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(N=st.integers(1, 30), e1=st.floats(0.0, 3.0), de=st.floats(1e-3, 2.0),
       l1=st.floats(0.0, 1.0), l2=st.floats(0.0, 2.0))
def test_grok_probability_monotone_in_eps_lam_and_N(N, e1, de, l1, l2):
    p = ex.grok_probability(N, e1, l1, l2)
    assert 0.0 <= p <= 1.0
    assert ex.grok_probability(N, e1 + de, l1, l2) >= p - 1e-12           # rises with eps
    assert ex.grok_probability(N, e1, l1 + de, l2) >= p - 1e-12           # L1 adds to the gap
    assert ex.grok_probability(N, e1, l1, l2 + de) >= p - 1e-12           # L2 multiplies it
    assert ex.grok_probability(N + 1, e1, l1, l2) >= p - 1e-9             # rises with N


def test_only_l1_keeps_probability_finite_as_eps_vanishes():
    assert ex.grok_probability(5, 1e-9, 0.0, 10.0) < 1e-6
    assert ex.grok_probability(5, 1e-9, 0.2, 0.0) > 0.3


# -- joint law of (x-bar, x_min) and the grokking-time law ---------------------

def test_eq72_equals_general_joint_density_at_n2():
    x, m = np.meshgrid(np.linspace(-1.5, 2.5, 41), np.linspace(0, 3, 31))
    assert np.allclose(ex.joint_density(x, m, 2), ex.joint_density_n2_eq72(x, m), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("N", [1, 2, 4, 9])
def test_joint_density_marginal_is_eq13(N):
    # integrating out x_min must give the Bessel density of Eq. 13: an independent check
    for x in (-0.4, 0.0, 0.2, 0.9):
        f = lambda m: float(ex.joint_density(x, m, N))  # noqa: E731
        kink = max(2 * x, 0.0)  # the density has a kink at x_min = 2 x-bar
        marg = (integrate.quad(f, 0, kink, limit=200)[0] if kink > 0 else 0.0) + \
            integrate.quad(f, kink, np.inf, limit=400)[0]
        assert marg == pytest.approx(float(ex.xbar_density(x, N)), rel=1e-6)


def _law_cdf_by_xbar_integral_n2(t, eps):
    """Independent route at N=2: integrate Eq. 72 over {|x| < eps, x_min <= (eps - x)(e^t - 1)}."""
    def inner(x):
        mmax = (eps - x) * np.expm1(t)
        return integrate.quad(lambda m: float(ex.joint_density_n2_eq72(x, m)), 0, mmax,
                              points=[2 * x] if 0 < 2 * x < mmax else None, limit=200)[0]
    val = integrate.quad(inner, -eps, eps, points=[0.0], limit=200)[0]
    return val / ex.grok_probability_n2(eps)


@pytest.mark.parametrize("eps, t", [(0.4, 0.3), (0.4, 1.5), (0.04, 2.0), (1.0, 0.1)])
def test_time_law_cdf_matches_eq72_route(eps, t):
    law = ex.GrokTimeLaw(2, eps)
    assert float(law.cdf(t)) == pytest.approx(_law_cdf_by_xbar_integral_n2(t, eps), abs=2e-7)


@settings(max_examples=12, deadline=None)
@given(N=st.integers(1, 25), eps=st.floats(0.01, 2.0), l1=st.floats(0.0, 0.5), l2=st.floats(0.0, 1.0))
def test_time_law_normalised_and_monotone(N, eps, l1, l2):
    law = ex.GrokTimeLaw(N, eps, l1, l2)
    t = np.concatenate([[0.0], np.geomspace(1e-4, 200, 40)])
    c = law.cdf(t)
    assert np.all((c >= 0) & (c <= 1 + 1e-12))
    assert np.all(np.diff(c) >= -1e-10)
    assert c[-1] == pytest.approx(1.0, abs=1e-6)
    total = sum(integrate.quad(lambda s: float(law.pdf(s)), a, b, limit=200)[0]
                for a, b in zip(t[:-1], t[1:]))
    assert total == pytest.approx(1.0, abs=1e-5)


def test_time_law_pdf_is_cdf_derivative():
    law = ex.GrokTimeLaw(5, 0.04, 0.01, 0.2)
    t = np.array([0.05, 0.4, 1.0, 3.0])
    h = 1e-5
    assert np.allclose((law.cdf(t + h) - law.cdf(t - h)) / (2 * h), law.pdf(t), rtol=1e-5)


def test_mean_grokking_time_falls_with_N_and_eps():
    # the paper's Fig. 5 claim
    means = [[ex.GrokTimeLaw(N, e).mean() for e in (0.004, 0.04, 0.4)] for N in (2, 5, 10)]
    m = np.array(means)
    assert np.all(np.diff(m, axis=0) < 0) and np.all(np.diff(m, axis=1) < 0)


# -- against the direct simulation -------------------------------------------

@pytest.fixture(scope="module")
def sim_n3():
    return simulate_exponential(3, 0.2, lam1=0.03, lam2=0.4, n_replicas=6000, seed=11, progress=False)


def test_simulated_grok_probability(sim_n3):
    p, se = sim_n3.grokking_fraction()
    theory = float(ex.grok_probability(3, 0.2, 0.03, 0.4))
    assert abs(p - theory) < 4 * se


def test_simulated_grokking_time_law_ks(sim_n3):
    law = ex.GrokTimeLaw(3, 0.2, 0.03, 0.4)
    tg = sim_n3.summary.loc[sim_n3.summary.status == "groks", "t_G"].to_numpy()
    assert stats.kstest(tg, law.cdf).pvalue > 1e-3
    m = tg.mean()
    assert abs(m - law.mean()) < 4 * tg.std(ddof=1) / np.sqrt(tg.size)


def test_ks_detects_a_wrong_law(sim_n3):
    # the same law without the L2 factor in t_G (the Eq. 8 misprint propagated) is rejected
    tg = sim_n3.summary.loc[sim_n3.summary.status == "groks", "t_G"].to_numpy()
    wrong = ex.GrokTimeLaw(3, 0.2, 0.03, 0.4)
    assert stats.kstest(tg * 1.4, wrong.cdf).pvalue < 1e-6


def test_simulated_times_match_closed_forms(sim_n3):
    s = sim_n3.summary[sim_n3.summary.status == "groks"]
    tg = ex.grokking_time(s.xbar, s.x_min, 0.2, 0.03, 0.4)
    assert np.allclose(s.t_G, tg, rtol=1e-9, atol=1e-11)
    te = ex.t_eps(s.xbar, s.b0, 0.2, 0.03, 0.4)
    assert np.allclose(s.t_eps, te, rtol=1e-9)


def test_near_transition_exponent_and_amplitude(sim_n3):
    nu = local_exponents(sim_n3)
    assert abs(nu.mean() - 1.0) < 1e-6
    # Eq. 9 per run: E / (t_eps - t) -> (eps - xbar_l)(1 + lam2)/2
    s = sim_n3.summary.set_index("run")
    c = sim_n3.curves
    g = s.index[s.status == "groks"][:50]
    for run in g:
        cr = c[c.run == run]
        tau = s.loc[run, "t_eps"] - cr.t.to_numpy()
        k = np.argmin(np.where(tau > 0, tau, np.inf))
        amp = ex.near_transition_amplitude(s.loc[run, "xbar"], 0.2, 0.03, 0.4)
        assert cr.test_error.to_numpy()[k] / tau[k] == pytest.approx(float(amp), rel=1e-4)


def test_simulation_deterministic_under_seed():
    a = simulate_exponential(2, 0.3, n_replicas=50, seed=5, progress=False)
    b = simulate_exponential(2, 0.3, n_replicas=50, seed=5, progress=False)
    c = simulate_exponential(2, 0.3, n_replicas=50, seed=6, progress=False)
    assert a.summary.equals(b.summary) and a.curves.equals(b.curves)
    assert not a.summary.equals(c.summary)
    assert a.config["seed"] == 5


def test_time_law_rvs_follow_the_law():
    law = ex.GrokTimeLaw(3, 0.1, 0.02, 0.3)
    x = law.rvs(5000, rng=np.random.default_rng(2))
    assert stats.kstest(x, law.cdf).pvalue > 1e-3
    assert abs(x.mean() - law.mean()) < 4 * x.std() / np.sqrt(x.size)
    assert law.rvs(3).shape == (3,)  # scipy's convention: None draws fresh entropy
    with pytest.raises(ValueError, match="random_state"):
        law.rvs(3, random_state=-1)

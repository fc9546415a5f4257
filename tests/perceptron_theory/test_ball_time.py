"""Ball t_G law: the corrected atom, the scipy-style law API, the simulator's t_train /
dynamics options, replicas generalised at initialisation, and the three-question study."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from perceptron_theory import ball, exponential, simulate_ball
from perceptron_theory._laws import GrokTimeLawBase
from perceptron_theory.time_law_study import ball_time_law_study, median_with_se

D5 = dict(D=5, eps=2.0, lam2=0.01)


@pytest.fixture(scope="module")
def zeroth():
    """The paper's zeroth-order dynamics with its own training threshold (D = 5, eps = 2)."""
    return simulate_ball(D5["D"], 5, D5["eps"], lam2=D5["lam2"], n_replicas=3000, seed=11, record_curves=False,
                         progress=False, t_train="threshold", dynamics="zeroth_order")


def _tg(res):
    s = res.summary
    use = (s.status == "groks") & ~s.generalised_at_init
    return s.t_G[use].to_numpy(), s.r0[use].to_numpy()


# -- the derivation: zeroth-order dynamics against the law ------------------------------

def test_zeroth_order_simulation_reproduces_the_corrected_atom(zeroth):
    tg, r0 = _tg(zeroth)
    law = ball.GrokTimeLaw(**D5)                      # default atom
    slow = tg[r0 >= 1.0]                              # both thresholds met in the slow phase
    assert slow.size > 1000
    assert abs(np.median(slow) / law.atom[0] - 1) < 1e-3
    # the default law's median is the simulated one: this fails if Eq. 47 as printed is the default
    assert abs(np.median(tg) / law.median() - 1) < 1e-3
    printed = ball.GrokTimeLaw(**D5, atom="printed")
    assert abs(np.median(tg) / printed.median() - 1) > 1.0
    assert printed.atom_rule == "printed" and ball.GrokTimeLaw(**D5, atom="eq47").t_atom == printed.t_atom


def test_zeroth_order_thresholds_are_met_exactly(zeroth):
    # independent check of the simulator's crossings: closed-form Eqs. 38-39 at t_train / t_eps
    s, w0 = zeroth.summary, zeroth.features["w_init"]
    eps, lD = D5["eps"], float(ball.lambda_D(D5["D"], D5["lam2"]))
    k = np.flatnonzero((s.t_train > 0).to_numpy() & (s.status == "groks").to_numpy())[:200]

    def w(t):
        out = w0[k] * np.exp(-lD * t)[:, None]
        out[:, 0] = 1 / eps + (w0[k, 0] - 1 / eps) * np.exp(-eps**2 * t)
        return out[:, 0] / np.linalg.norm(out, axis=1)

    assert np.allclose(w(s.t_train.to_numpy()[k]), 1 / np.sqrt(1 + eps**2), rtol=1e-10)
    assert np.allclose(w(s.t_eps.to_numpy()[k]), 1 / eps, rtol=1e-10)


def test_zeroth_order_fast_branch_converges_to_eq42():
    """Eq. 42 freezes w_perp during the fast phase; Eq. 39 lets it decay at lambda_D. The
    per-replica gap must vanish like lambda_D / eps^2 (a wrong Eq. 42 would leave a gap)."""
    dev = []
    for eps in (10.0, 100.0):
        res = simulate_ball(3, 2, eps, n_replicas=2000, seed=5, record_curves=False, progress=False,
                            t_train="threshold", dynamics="zeroth_order")
        s = res.summary
        fast = (s.fast_branch & ~s.generalised_at_init & (s.t_train > 0)).to_numpy()  # starts below both
        assert fast.sum() > 300
        eq42 = ball.GrokTimeLaw(3, eps, 0.0).fast_time(s.r0.to_numpy()[fast])
        dev.append(np.median(np.abs(s.t_G.to_numpy()[fast] / eq42 - 1)))
    assert dev[1] < 1e-3
    assert dev[0] / dev[1] > 30  # lambda_D / eps^2 falls 100x


# -- replicas generalised at t = 0 ----------------------------------------------------

def test_generalised_at_init_are_counted_flagged_and_have_zero_t_G():
    D, eps, R = 5, 2.0, 3000
    res = simulate_ball(D, 5, eps, lam2=0.01, n_replicas=R, seed=4, record_curves=False, progress=False)
    s = res.summary
    g = s.generalised_at_init.to_numpy(dtype=bool)
    assert res.n_generalised_at_init == g.sum() > 0
    w0 = res.features["w_init"]
    assert np.array_equal(g, eps * w0[:, 0] >= np.linalg.norm(w0, axis=1))
    assert np.all(s.t_eps[g] == 0) and np.all(s.t_train[g] == 0) and np.all(s.t_G[g & (s.status == "groks")] == 0)
    # P(w1/|w| >= 1/eps) for w ~ Normal(0, I): w1^2/|w|^2 ~ Beta(1/2, (D-1)/2)
    p = 0.5 * stats.beta.sf(1 / eps**2, 0.5, (D - 1) / 2)
    assert abs(g.mean() - p) < 4 * np.sqrt(p * (1 - p) / R)


def test_study_excludes_and_reports_the_replicas_generalised_at_init():
    df = ball_time_law_study(5, 2.0, 0.01, Ns=[10], n_replicas=300, seed=7)
    real = df[df.question == "real model"].iloc[0]
    res = simulate_ball(5, 10, 2.0, lam2=0.01, n_replicas=300, seed=8, record_curves=False, progress=False)
    s = res.summary
    keep = (s.status == "groks") & ~s.generalised_at_init
    assert real.n_generalised_at_init == res.n_generalised_at_init > 0
    assert real.n == keep.sum()
    assert real.simulation == pytest.approx(np.median(s.t_G[keep]))
    assert real.P_below_atom_sim == pytest.approx(np.mean(s.t_G[keep] < real.atom_law * (1 - 1e-3)))
    with_init = np.mean(s.t_G[s.status == "groks"] < real.atom_law * (1 - 1e-3))
    assert with_init > real.P_below_atom_sim  # the t_G = 0 mass would inflate it


def test_study_rows_and_verdicts():
    df = ball_time_law_study(5, 2.0, 0.01, Ns=[20], n_replicas=400, seed=1)
    assert df.question.tolist() == ["derivation", "derivation", "approximation", "real model"]
    assert df.agrees.tolist()[:2] == [True, False]            # corrected passes, printed fails
    assert df.t_train_rule.tolist() == ["threshold", "threshold", "threshold", "samples"]
    assert df.dynamics.tolist() == ["zeroth_order", "zeroth_order", "exact", "exact"]
    assert 0 <= df.bound_fraction.iloc[3] <= 1 and np.isnan(df.bound_fraction.iloc[2])
    assert {"KS", "KS_p", "mean_sim", "mean_law", "atom_sim", "atom_law", "asks"} <= set(df.columns)
    with pytest.raises(ValueError, match="Ns"):
        ball_time_law_study(5, 2.0, 0.01, Ns=[], n_replicas=50)


def test_median_with_se_covers_the_true_median():
    rng = np.random.default_rng(0)
    hits = [abs(median_with_se(x)[0] - np.log(2)) < 2 * median_with_se(x)[1]
            for x in rng.exponential(size=(200, 400))]
    assert 0.9 <= np.mean(hits) <= 0.99


# -- simulator options --------------------------------------------------------------------

def test_simulator_options_are_validated_and_recorded():
    res = simulate_ball(3, 5, 1.5, n_replicas=10, seed=0, progress=False, t_train="threshold")
    assert res.config["t_train"] == "threshold" and res.config["dynamics"] == "exact"
    with pytest.raises(ValueError, match="t_train"):
        simulate_ball(3, 5, 1.5, n_replicas=10, t_train="first")
    with pytest.raises(ValueError, match="dynamics"):
        simulate_ball(3, 5, 1.5, n_replicas=10, dynamics="zeroth")
    with pytest.raises(ValueError, match="lam1"):
        simulate_ball(3, 5, 1.5, lam1=0.1, n_replicas=10, dynamics="zeroth_order")


def test_same_seed_gives_the_same_replicas_under_every_option():
    kw = dict(n_replicas=40, seed=3, record_curves=False, progress=False)
    a = simulate_ball(4, 10, 1.8, lam2=0.05, **kw)
    b = simulate_ball(4, 10, 1.8, lam2=0.05, t_train="threshold", dynamics="zeroth_order", **kw)
    assert np.array_equal(a.features["w_init"], b.features["w_init"])
    assert np.array_equal(a.summary.r0, b.summary.r0)
    zo = simulate_ball(4, 10, 1.8, lam2=0.05, dynamics="zeroth_order", final_only=True, **kw)
    assert zo.summary.groks.all() and np.allclose(zo.features["w_final"][:, 0], 1 / 1.8)


# -- the law's scipy-style API --------------------------------------------------------------

@pytest.mark.parametrize("law", [ball.GrokTimeLaw(5, 2.0, 0.01), exponential.GrokTimeLaw(3, 0.1, 0.02, 0.3)],
                         ids=["ball", "1D"])
def test_rvs_accepts_int_generator_none(law):
    assert np.array_equal(law.rvs(5, 3), law.rvs(5, random_state=3))
    assert np.array_equal(law.rvs(5, np.random.default_rng(3)), law.rvs(5, 3))
    assert np.array_equal(law.rvs(4, rng=2), law.rvs(4, 2))           # older keyword
    assert law.rvs(5).shape == (5,) and law.rvs((2, 3), 1).shape == (2, 3)
    assert law.rvs(3, np.random.RandomState(0)).shape == (3,)
    for bad in (-1, 1.5, "x", True):
        with pytest.raises(ValueError, match="random_state"):
            law.rvs(3, bad)
    with pytest.raises(ValueError, match="not both"):
        law.rvs(3, 1, rng=1)


def test_ball_law_quantiles_moments_support():
    law = ball.GrokTimeLaw(**D5)
    assert law.support() == (0.0, np.inf)
    assert law.median() == law.t_atom                                  # atom weight 0.945 > 1/2
    below = float(law._continuous_cdf(law.t_atom))
    q = np.array([1e-4, 0.3 * below, 0.99 * below])
    assert np.allclose(law.cdf(law.ppf(q)), q, atol=1e-12)
    assert np.all(law.ppf([below + 1e-9, below + law.atom[1]]) == law.t_atom)
    assert law.ppf(0.0) == 0.0 and law.ppf(1.0) == np.inf
    lo, hi = law.interval(0.9)
    assert law.cdf(hi) - law.cdf(lo) >= 0.9 - 1e-12
    # moments by a second route: the t-space quadrature of the pdf (the base class) against the
    # ball law's r-space quadrature of Eq. 42 under chi2_{D-1}
    m2 = GrokTimeLawBase._moment(law, 2)
    assert law.var() == pytest.approx(m2 - law.mean() ** 2, rel=1e-8)
    assert law.std() == pytest.approx(np.sqrt(law.var()))
    t = np.array([0.01, 0.3, 2.0])
    assert np.allclose(law.logpdf(t), np.log(law.pdf(t)))
    with pytest.raises(ValueError, match="q"):
        law.ppf(1.5)


@settings(max_examples=30, deadline=None)
@given(D=st.integers(2, 12), eps=st.floats(1.1, 4.0), l2=st.floats(0.0, 1.0), q=st.floats(0.0, 0.999))
def test_ppf_is_the_generalised_inverse_of_cdf(D, eps, l2, q):
    law = ball.GrokTimeLaw(D, eps, l2)
    t = float(law.ppf(q))
    assert float(law.cdf(t)) >= q - 1e-12
    if t > 0:
        assert float(law.cdf(t * (1 - 1e-9))) <= q + 1e-9

"""comparison.testing.distribution: the scipy contract passes on correct laws (scipy's, a hand-built law with an
atom whose moments are known in closed form, and the shipped grokking-time laws) and fails, naming the broken
clause, on each planted bug."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from comparison.testing import check_distribution, regularisation
from perceptron_theory import ball
from perceptron_theory import exponential as ex


class AtomLaw:
    """0.7 × Exponential(1) plus an atom of weight 0.3 at t = 2 (closed forms: mean 1.3, var 0.91)."""

    w, loc = 0.3, 2.0

    @property
    def atom(self):
        return (self.loc, self.w)

    def support(self):
        return 0.0, math.inf

    def pdf(self, t):
        t = np.asarray(t, dtype=float)
        return np.where(t >= 0, (1 - self.w) * np.exp(-np.maximum(t, 0)), 0.0)

    def cdf(self, t):
        t = np.asarray(t, dtype=float)
        return (1 - self.w) * (1 - np.exp(-np.maximum(t, 0))) + self.w * (t >= self.loc)

    def ppf(self, q):
        q = np.asarray(q, dtype=float)
        below = (1 - self.w) * (1 - math.exp(-self.loc))  # continuous mass below the atom
        cont = lambda u: -np.log1p(-np.minimum(u, 1 - self.w - 1e-300) / (1 - self.w))  # noqa: E731
        return np.where(q <= below, cont(q), np.where(q <= below + self.w, self.loc, cont(q - self.w)))

    def mean(self):
        return (1 - self.w) * 1.0 + self.w * self.loc

    def var(self):
        return (1 - self.w) * 2.0 + self.w * self.loc ** 2 - self.mean() ** 2

    def rvs(self, size=1, random_state=None):
        return self.ppf(np.random.default_rng(random_state).random(size))


def test_closed_form_moments_of_the_reference_law():
    assert AtomLaw().mean() == pytest.approx(1.3) and AtomLaw().var() == pytest.approx(0.91)


@pytest.mark.parametrize("law", [stats.norm(1.0, 2.0), stats.gamma(0.5), stats.lognorm(1.5), stats.beta(2, 3),
                                 AtomLaw()], ids=["norm", "gamma(0.5)", "lognorm", "beta", "atom"])
def test_correct_laws_pass(law):
    out = check_distribution(law)
    assert abs(out["total_mass"] - 1) < 1e-6 and out["ks_pvalue"] > 1e-3


def test_the_reference_law_matches_its_closed_forms():
    out = check_distribution(AtomLaw())
    assert out["mean_numerical"] == pytest.approx(1.3, abs=1e-6)
    assert out["var_numerical"] == pytest.approx(0.91, abs=1e-6)


class Unnormalised(AtomLaw):
    def pdf(self, t):
        return 1.1 * super().pdf(t)


class NegativePdf(AtomLaw):
    def pdf(self, t):
        return super().pdf(t) - 0.01 * (np.asarray(t) > 3)


class MissingAtomInCdf(AtomLaw):
    def cdf(self, t):
        return super().cdf(t) - self.w * (np.asarray(t, dtype=float) >= self.loc)


class LeftContinuous(AtomLaw):  # the jump taken with > instead of >=: cdf(atom) misses the atom
    def cdf(self, t):
        t = np.asarray(t, dtype=float)
        return super().cdf(t) - self.w * (t == self.loc)


class DecreasingCdf(AtomLaw):  # a narrow dip after the atom
    def cdf(self, t):
        return super().cdf(t) - 0.05 * np.exp(-((np.asarray(t, dtype=float) - 3.0) / 0.3) ** 2)


class WrongPpf(AtomLaw):
    def ppf(self, q):
        return 1.01 * super().ppf(q)


class WrongMean(AtomLaw):
    def mean(self):
        return 1.2


class WrongVar(AtomLaw):
    def var(self):
        return 1.0


class WrongRvs(AtomLaw):
    def rvs(self, size=1, random_state=None):
        return np.random.default_rng(random_state).exponential(1.0, size)  # forgets the atom


@pytest.mark.parametrize("law, clause", [
    (Unnormalised(), "pdf + atoms integrate to 1.07"),
    (NegativePdf(), "pdf is negative or not finite"),
    (MissingAtomInCdf(), "at the atom 2, not by its weight 0.3"),
    (MissingAtomInCdf(), "cdf tends to 0.7, not 1"),
    (LeftContinuous(), "cdf is not right-continuous at the atom 2"),
    (DecreasingCdf(), "cdf decreases"),
    (WrongPpf(), "ppf(cdf(x)) != x on the support"),
    (WrongMean(), "mean() = 1.2 but the numerical integral gives 1.3"),
    (WrongVar(), "var() = 1 but the numerical integral gives 0.91"),
    (WrongRvs(), "rvs does not follow cdf"),
], ids=lambda x: x[:24] if isinstance(x, str) else type(x).__name__)
def test_each_planted_bug_is_named(law, clause):
    with pytest.raises(AssertionError) as info:
        check_distribution(law)
    assert clause in str(info.value), str(info.value)
    assert str(info.value).startswith(f"{type(law).__name__} breaks the distribution contract:")


def test_a_law_without_spread_is_refused():
    with pytest.raises(AssertionError, match="puts no spread"):
        check_distribution(stats.uniform(0, 0))


# ---------------------------------------------------------------- the shipped grokking-time laws
@settings(max_examples=12, database=None, deadline=None)
@given(st.integers(2, 10), st.floats(1.05, 4.0), regularisation(1e-3, 1.0), st.sampled_from(["consistent", "printed"]))
def test_ball_time_laws_honour_the_contract(D, eps, lam2, atom):
    # Eqs. 40-47 (both atoms: the contract is about the object, not about whether the atom is right)
    check_distribution(ball.GrokTimeLaw(D, eps, lam2, atom=atom), n_rvs=500)


def test_1d_time_law_honours_the_contract():
    # Eq. 16 with app. A's joint law; one setting: the law's own mean()/var() (quadrature) cost ~5 s
    # (checked by hand also at N, eps, lam1, lam2 = 2, 0.3, 0.05, 0: passes)
    out = check_distribution(ex.GrokTimeLaw(10, 0.5, 0.0, 0.1), n_rvs=500)
    assert out["cdf_integral_error"] < 1e-6

"""Bad input raises ValueError naming the parameter and the allowed range."""
import numpy as np
import pytest

from perceptron_theory import ball, exponential, simulate_ball, simulate_exponential


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: ball.test_error(0.5, 0), "D"),
        (lambda: ball.test_error(0.5, 2.5), "D"),
        (lambda: ball.test_error(np.nan, 3), "h"),
        (lambda: ball.critical_exponent(3, 1.0), "xi"),
        (lambda: ball.critical_exponent(3, 1.5), "xi"),
        (lambda: ball.critical_exponent(0.5), "D"),
        (lambda: ball.critical_exponent(np.inf), "D"),
        (lambda: ball.grok_probability(5, 0, 1.5), "N"),
        (lambda: ball.grok_probability(5, 10, 0.9), "eps"),
        (lambda: ball.grok_probability(5, 10, 1.5, lam1=-0.1), "lam1"),
        (lambda: ball.grok_probability(5, 10, 1.5, lam2=-1), "lam2"),
        (lambda: ball.grok_probability(5, 10, np.inf), "eps"),
        (lambda: ball.grok_probability(5, 10, 1.5, method="nope"), "method"),
        (lambda: ball.GrokTimeLaw(5, 1.0), "eps"),
        (lambda: ball.GrokTimeLaw(1, 2.0), "D"),
        (lambda: ball.GrokTimeLaw(5, 2.0, -0.01), "lam2"),
        (lambda: exponential.grok_probability(0, 0.4), "N"),
        (lambda: exponential.grok_probability(2, -0.4), "eps"),
        (lambda: exponential.grok_probability(2, 0.4, lam2=np.nan), "lam2"),
        (lambda: exponential.grok_probability(3, 0.4, method="closed_form"), "N=2"),
        (lambda: exponential.GrokTimeLaw(2, 0.0), "eps_lambda"),
        (lambda: exponential.xbar_density(0.1, 1.5), "N"),
        (lambda: simulate_ball(0, 10, 1.5, n_replicas=2), "D"),
        (lambda: simulate_ball(3, 10, 1.5, n_replicas=0), "n_replicas"),
        (lambda: simulate_ball(3, 10, 1.5, n_replicas=2, seed=-1), "seed"),
        (lambda: simulate_exponential(2, 0.4, lam1=-1, n_replicas=2), "lam1"),
        (lambda: ball.radial_test_error(0.1, lambda r: 1.0 + 0 * r, 1), "D"),
    ],
)
def test_bad_input_names_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_message_states_allowed_range():
    with pytest.raises(ValueError, match=r"xi must be in \(-inf, 1.0\)"):
        ball.critical_exponent(3, 2.0)
    with pytest.raises(ValueError, match=r"eps must be in \[1.0, 1000000.0\]"):
        ball.grok_probability(3, 10, 0.5)


def test_non_integer_N_refused():
    with pytest.raises(ValueError, match="N must be an integer"):
        ball.grok_probability(3, 2.5, 1.5)

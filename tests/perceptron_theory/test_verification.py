"""The verification table: structure, verdicts, and that it shows failures instead of hiding them."""
import numpy as np
import pytest

from perceptron_theory import verification_table


@pytest.fixture(scope="module")
def table():
    grid = {"exponential": [{"N": 2, "eps": 0.4}],
            "ball_probability": [{"D": 10, "N": 10, "eps": 1.1, "lam2": 0.1}],
            "ball_time": [{"D": 5, "N": 100, "eps": 2.0, "lam2": 0.01}]}
    return verification_table(grid, n_replicas=1500, seed=3)


def test_columns_and_z(table):
    cols = {"model", "quantity", "theory", "simulation", "sim_stderr", "z", "agrees", "theory_method"}
    assert cols <= set(table.columns)
    z = (table.simulation - table.theory) / table.sim_stderr
    assert np.allclose(z, table.z)


def test_verdicts(table):
    v = table.set_index(["model", "quantity", "theory_method"])["agrees"]
    assert v[("exponential", "P_grok", "Eq. 15 (N=2 closed form)")]
    assert v[("ball", "P_grok", "first order (Eq. 86/89)")]
    # the failures the table exists to show
    assert not v[("ball", "P_grok", "Eq. 30/32 (large lambda)")]
    assert not v[("ball", "P_grok", "Eq. 86 with printed alpha3")]
    # ball t_G law: three labelled questions, verdict on the median
    b = table[table.quantity == "median_t_G"].set_index(["question", "theory_method"])["agrees"]
    assert b[("derivation", "Eqs. 42-46 + corrected atom ln[e^2/(e^2-1)]/(2 lam_D)")]
    assert not b[("derivation", "Eqs. 42-47 as printed (atom ln[e^4/(e^4-1)]/(2 lam_D))")]
    assert not b[("real model", "Eqs. 42-46 + corrected atom ln[e^2/(e^2-1)]/(2 lam_D)")]
    assert set(table.loc[table.quantity == "median_t_G", "question"]) == {"derivation", "approximation",
                                                                          "real model"}
    assert (table.loc[table.quantity == "median_t_G", "n_generalised_at_init"] > 0).all()


def test_bad_grid_section():
    with pytest.raises(ValueError, match="unknown sections"):
        verification_table({"balls": []}, n_replicas=10)
    with pytest.raises(ValueError, match="n_replicas"):
        verification_table({}, n_replicas=1)

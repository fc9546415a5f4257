"""The delay-divergence fit of the separability model (comparison.pipeline.separability_delay)."""
import json

import numpy as np
import pandas as pd
import pytest

from comparison.pipeline.separability_delay import delay_population, fit_delay_divergence
from tests.strict_json import strict_loads

LAMS = [0.3, 0.4, 0.45, 0.48, 0.49]


def _planted(p: float, n: int, seed: int, noise: float = 0.05) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [(-np.log(1 - 2 * l)) ** p / np.sqrt(2) * (1 + noise * rng.standard_normal(n)) for l in LAMS]


def test_true_exponent_agrees_and_ci_covers() -> None:
    fit = fit_delay_divergence(LAMS, _planted(1.0, 40, 1), n_boot=300, seed=0)
    assert fit["verdict"]["verdict"] == "agrees"
    lo, hi = fit["exponent_ci"]
    assert lo < 1.0 < hi
    assert abs(fit["prefactor"] - 1 / np.sqrt(2)) < 4 * 0.05 / np.sqrt(40) * 3  # noise/sqrt(n), a few s.e.


@pytest.mark.parametrize("p", [0.8, 1.25])
def test_planted_wrong_exponent_is_rejected(p: float) -> None:
    fit = fit_delay_divergence(LAMS, _planted(p, 40, 2), n_boot=300, seed=0)
    assert fit["verdict"]["verdict"] == "disagrees"
    assert fit["detectable"] < abs(p - 1.0)


def test_too_few_lambdas_not_testable() -> None:
    fit = fit_delay_divergence(LAMS[:2], _planted(1.0, 10, 3)[:2], n_boot=50, seed=0)
    assert fit["verdict"]["verdict"] == "not testable" and "3 lambda" in fit["verdict"]["note"]


def test_population_excludes_separable_and_untimed() -> None:
    s = pd.DataFrame({"separable": [False, True, False, False], "t_star_tr": [1.0, 1.0, 2.0, 3.0],
                      "t_star_gen": [np.exp(9.0), 5.0, 1.0, np.nan], "diverged": [False] * 4})
    assert delay_population(s).tolist() == [3.0]


def test_lambda_range_error() -> None:
    with pytest.raises(ValueError, match="lam must be in"):
        fit_delay_divergence([0.3, 0.5, 0.6], _planted(1.0, 5, 0)[:3], seed=0)


def test_fit_output_is_strict_json_with_null_reasons() -> None:
    nt = fit_delay_divergence(LAMS[:2], _planted(1.0, 10, 3)[:2], n_boot=50, seed=0)
    doc = strict_loads(json.dumps(nt, allow_nan=False))
    assert doc["verdict"]["measured"] is None and doc["verdict"]["z"] is None
    assert doc["null_reasons"]["verdict/measured"].startswith("nan")
    ok = fit_delay_divergence(LAMS, _planted(1.0, 20, 1), n_boot=50, seed=0)
    assert isinstance(strict_loads(json.dumps(ok, allow_nan=False))["exponent"], float)


def test_wide_ci_or_out_of_regime_is_underpowered_not_agrees() -> None:
    """A CI wider than ±0.15 that covers p = 1, or a window outside Eq. 39's regime, is 'underpowered'."""
    from comparison.pipeline.separability_delay import TARGET_HALF_WIDTH

    wide = fit_delay_divergence(LAMS, _planted(1.0, 6, 2, noise=0.5), n_boot=300, seed=0)
    assert wide["power"]["half_width"] > TARGET_HALF_WIDTH and wide["verdict"]["verdict"] == "underpowered"
    assert wide["power"]["required_runs_per_lam"] > 6 and "agrees" in wide["verdict"]["note"]
    tight = fit_delay_divergence(LAMS, _planted(1.0, 40, 1), n_boot=300, seed=0)
    assert tight["power"]["powered"] and tight["verdict"]["verdict"] == "agrees"
    far = fit_delay_divergence(LAMS, _planted(1.0, 40, 1), n_boot=300, sigma=1.0, seed=0)
    assert far["power"]["in_regime"] is False and far["verdict"]["verdict"] == "underpowered"
    wrong = fit_delay_divergence(LAMS, _planted(0.8, 40, 3), n_boot=300, sigma=1.0, seed=0)
    assert wrong["verdict"]["verdict"] == "disagrees"   # a rejection stays a rejection

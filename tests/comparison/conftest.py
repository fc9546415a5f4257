import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def linear_runset(tmp_path_factory):
    """A small linear-estimator run set (6 seeds) whose fits hold non-finite values: the input of the
    strict-JSON tests (test_strict_json.py, test_strict_json_writers.py)."""
    from comparison.cli import main

    out = tmp_path_factory.mktemp("strict") / "lin"
    assert main(["simulate", "linear-estimator", "--no-progress", "--out", str(out), "--set", "n_points=16",
                 "--n-test", "200", "--d-in", "300", "--lam", "0.9", "--n-seeds", "6", "--seed", "1"]) == 0
    return out

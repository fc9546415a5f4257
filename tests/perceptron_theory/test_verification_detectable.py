"""Issue 23: the perceptron verification table has a ``detectable`` column, computed by the one
implementation that every comparison verdict row uses (perceptron_theory.power).

Checked by simulating each row's own test at a fixed seed: with the truth shifted by
``detectable`` the row's rule says "disagrees" in ≈ 80 % of the draws (|z| < 4 on the estimated
power); at 0.7 × detectable far less (z < −4)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import perceptron_theory as pt
from perceptron_theory import power
from perceptron_theory.verification import _row

DRAWS = 800
TARGET = 0.8


def _z_of_power(hits: int, target: float = TARGET) -> float:
    return (hits / DRAWS - target) / math.sqrt(target * (1 - target) / DRAWS)


@pytest.fixture(scope="module")
def table():
    return pt.verification_table({"exponential": [{"N": 2, "eps": 0.4}]}, n_replicas=250, seed=0)


def _count_hits(row, p1: float, seed: int) -> int:
    ks = np.random.default_rng(seed).binomial(int(row["n"]), p1, DRAWS)
    return sum(not _row("exponential", {}, "P_grok", "m", row["theory"], k / row["n"], 0.0, int(row["n"]), 4.0,
                        count=int(k))["agrees"] for k in ks)


def test_count_row_detectable_has_80_percent_power(table):
    row = table[(table["quantity"] == "P_grok")].iloc[0]
    d, p0 = float(row["detectable"]), float(row["theory"])
    assert row["test"].startswith("exact binomial") and 0 < d < 0.3, row.to_dict()
    up, down = _count_hits(row, p0 + d, seed=1), _count_hits(row, p0 - d, seed=2)
    assert min(_z_of_power(up), _z_of_power(down)) > -4          # both sides seen with >= 80 %
    assert abs(_z_of_power(min(up, down))) < 4                    # the harder side at ~80 %
    assert _z_of_power(_count_hits(row, p0 + 0.7 * d, seed=3)) < -4


def test_z_row_detectable_has_80_percent_power(table):
    row = table[(table["quantity"] == "mean_t_G")].iloc[0]
    d, se, th = float(row["detectable"]), float(row["sim_stderr"]), float(row["theory"])
    assert abs(d / se - (4 + 0.8416)) < 1e-3

    def hits(shift: float, seed: int) -> int:
        sims = th + shift + se * np.random.default_rng(seed).standard_normal(DRAWS)
        return sum(not _row("exponential", {}, "mean_t_G", "m", th, float(s), se, 100, 4.0)["agrees"] for s in sims)

    assert abs(_z_of_power(hits(d, seed=4))) < 4
    assert _z_of_power(hits(0.7 * d, seed=5)) < -4


def test_every_row_has_it_and_the_view_shows_it(table):
    assert "detectable" in table.columns and table["detectable"].notna().all()
    view = table.display()
    assert "detectable" in view.columns and "detectable" in table.to_markdown().splitlines()[0]
    tiny = _row("ball", {}, "P_grok", "m", 0.5, 0.5, 0.1, 10, 4.0, count=5)
    assert math.isinf(tiny["detectable"])  # nothing is detectable at n = 10 under the 4σ rule


def test_one_implementation_shared_with_the_comparison_rows():
    from comparison.agreement import Verdict
    from comparison.agreement import power as cpower

    for name in ("binomial_detectable", "binomial_power", "binomial_rejects", "z_detectable", "z_power",
                 "detectable"):
        assert getattr(cpower, name) is getattr(power, name), name
    assert Verdict.count("P_grok", 75, 250, 0.3).detectable == power.binomial_detectable(250, 0.3)
    assert Verdict.bound("x", 1.0, 0.5, 0.0, side="lower").detectable == power.detectable(kind="lower bound", se=0.5)

"""Issue 23 item 7: every verdict row says what discrepancy it could have detected.

The ``detectable`` column is checked against a brute-force simulation of the row's own test at a
fixed seed: with the true value shifted by ``detectable``, the row's constructor says
"disagrees" in 80 % of the draws (|z| < 4 on the estimated power), and at a smaller shift far less.
"""
from __future__ import annotations

import math

import numpy as np

from comparison.agreement import Verdict
from comparison.agreement.verdict import detectable_sentence

DRAWS = 800
TARGET = 0.8


def _z_of_power(hits: int, n: int, target: float = TARGET) -> float:
    return (hits / n - target) / math.sqrt(target * (1 - target) / n)


def _estimate_power(shift: float, se: float, se_sys: float, seed: int) -> int:
    rng = np.random.default_rng(seed)
    tot = math.hypot(se, se_sys)  # the rule's total error: draw the measurement with it
    meas = 2.0 + shift + tot * rng.standard_normal(DRAWS)
    return sum(Verdict.estimate("nu", float(m), se, 2.0, se_sys=se_sys).verdict == "disagrees" for m in meas)


def test_z_row_detectable_has_80_percent_power_by_simulation():
    se, se_sys = 0.03, 0.01
    d = Verdict.estimate("nu", 2.0, se, 2.0, se_sys=se_sys).detectable
    assert abs(d / math.hypot(se, se_sys) - (4 + 0.8416)) < 1e-3      # the (4 + 0.84)·se
    assert abs(_z_of_power(_estimate_power(d, se, se_sys, seed=1), DRAWS)) < 4
    assert _z_of_power(_estimate_power(0.8 * d, se, se_sys, seed=2), DRAWS) < -4  # a wrong (smaller) d fails


def _count_power(n: int, p0: float, p1: float, seed: int) -> int:
    ks = np.random.default_rng(seed).binomial(n, p1, DRAWS)
    return sum(Verdict.count("P_grok", int(k), n, p0).verdict == "disagrees" for k in ks)


def test_count_row_detectable_is_the_exact_binomial_shift():
    n, p0 = 250, 0.3
    d = Verdict.count("P_grok", 75, n, p0).detectable
    up, down = _count_power(n, p0, p0 + d, seed=3), _count_power(n, p0, p0 - d, seed=4)
    assert min(_z_of_power(up, DRAWS), _z_of_power(down, DRAWS)) > -4   # both sides seen with >= 80 %
    assert abs(_z_of_power(min(up, down), DRAWS)) < 4                     # and the harder side at ~80 %
    assert _z_of_power(_count_power(n, p0, p0 + 0.7 * d, seed=5), DRAWS) < -4
    assert "exact binomial, n = 250" in detectable_sentence(Verdict.count("P_grok", 75, n, p0).row())


def test_rows_without_power_say_so():
    tiny = Verdict.count("P_grok", 5, 10, 0.5)
    assert math.isinf(tiny.detectable) and "no discrepancy is detectable" in detectable_sentence(tiny.row())
    assert detectable_sentence(Verdict.not_testable("nu", 3.0, why="too few runs").row()) == ""
    assert detectable_sentence(Verdict.distance("t_G law (KS)", 0.1, 0.5).row()) == ""

"""Estimators of comparison.estimate.context (issue 10): ξ angle recipe, D_eff variants, ε readings."""
import numpy as np
import pytest

from comparison.estimate.context import d_eff, d_eff_variants, eps_readings, wilson_ci, xi_angles, xi_contexts


def _planted_angles(xi_lo, xi_hi, n, rng):
    """Density ∝ δ^-xi_lo at the low edge 0 and ∝ δ^-xi_hi at the high edge 1 (exact power laws)."""
    a = 0.5 * rng.random(n) ** (1 / (1 - xi_lo))
    b = 1 - 0.5 * rng.random(n) ** (1 / (1 - xi_hi))
    return np.concatenate([a, b])


def test_xi_recovered_within_ci_at_both_edges():
    rng = np.random.default_rng(3)
    th = _planted_angles(0.6, 0.3, 60_000, rng)
    groups = np.arange(th.size) // 20  # "inputs" of 20 samples
    r = xi_angles(th, groups=groups, n_boot=200, seed=1)
    for edge, true in (("low", 0.6), ("high", 0.3)):
        lo, hi = r[edge]["xi_ci"]
        assert lo <= true <= hi, (edge, r[edge]["xi"], lo, hi)
        assert hi - lo < 0.15
    assert r["xi"] == pytest.approx(r["low"]["xi"])
    # the CI is not so wide that a wrong exponent passes: density without the 1/h (slope xi - 1) fails
    assert not (r["low"]["xi_ci"][0] <= 0.6 - 1 <= r["low"]["xi_ci"][1])


def test_xi_contexts_sums_sides_and_maxes_classes():
    rng = np.random.default_rng(4)
    n = 50_000  # weakly diverging edges (ξ <~ 0.3) need many samples: few land in the edge bins
    left = np.concatenate([_planted_angles(0.6, 0.0, n, rng), _planted_angles(0.3, 0.0, n, rng)])
    right = np.concatenate([_planted_angles(0.4, 0.0, n, rng), _planted_angles(0.2, 0.0, n, rng)])
    y = np.repeat([1, -1], 2 * n)
    r = xi_contexts(left, right, y, n_boot=100, groups=np.arange(4 * n) // 10)
    assert r["class"] == "1"
    lo, hi = r["xi_ci"]
    assert lo <= 1.0 <= hi, (r["xi"], lo, hi)
    lo, hi = r["per_class"]["-1"]["xi_ci"]
    assert lo <= 0.5 <= hi, (r["per_class"]["-1"]["xi"], lo, hi)


def test_xi_weights_and_exclusion():
    rng = np.random.default_rng(5)
    th = _planted_angles(0.5, 0.0, 20_000, rng)
    lump = np.zeros(th.size + 2000, bool)
    lump[-2000:] = True
    with_lump = np.concatenate([th, np.full(2000, 0.7)])
    a = xi_contexts(with_lump, with_lump, np.zeros(lump.size, int), exclude=lump, n_boot=0)
    b = xi_contexts(th, th, np.zeros(th.size, int), n_boot=0)
    assert a["xi"] == pytest.approx(b["xi"])
    # doubling every weight changes nothing; weights enter the density
    w = np.where(th < 0.5, 3.0, 1.0)
    c = xi_contexts(th, th, np.zeros(th.size, int), w, n_boot=0)
    d = xi_contexts(th, th, np.zeros(th.size, int), 2 * w, n_boot=0)
    assert c["xi"] == pytest.approx(d["xi"])
    with pytest.raises(ValueError, match="weights"):
        xi_contexts(th, th, np.zeros(th.size, int), -w)


def test_d_eff_per_class_of_planted_gaussians():
    """Class +1: std (1, 1, 1, 0) -> D_eff 3; class -1: variances (2, 1, 1, 0) -> exp(entropy of (1/2, 1/4, 1/4))."""
    rng = np.random.default_rng(6)
    n1, n2 = 60_000, 20_000
    a = rng.standard_normal((n1, 4)) * [1, 1, 1, 0] + [5, 0, 0, 1]
    b = rng.standard_normal((n2, 4)) * [np.sqrt(2), 1, 1, 0] - [5, 0, 0, 1]
    Z = np.vstack([a, b])
    y = np.concatenate([np.ones(n1), -np.ones(n2)])
    v = d_eff_variants(Z, y)
    d_b = np.exp(-(0.5 * np.log(0.5) + 2 * 0.25 * np.log(0.25)))
    # sampling error of D_eff from n samples: a few / sqrt(n); tolerance 0.05 is > 4 se here
    assert v["per_class_values"]["1.0"] == pytest.approx(3.0, abs=0.05)
    assert v["per_class_values"]["-1.0"] == pytest.approx(d_b, abs=0.05)
    assert v["per_class"] == pytest.approx(0.75 * 3.0 + 0.25 * d_b, abs=0.05)
    assert v["pooled"] < v["within"] + 1e-9 or v["pooled"] != pytest.approx(v["within"])
    # weights: giving class -1 the mass of class +1 moves the average to the midpoint
    w = np.where(y > 0, 1 / n1, 1 / n2)
    assert d_eff_variants(Z, y, w)["per_class"] == pytest.approx(0.5 * (3.0 + d_b), abs=0.05)
    assert d_eff(rng.standard_normal((10_000, 2)) * [1, 0]) == pytest.approx(1.0, abs=1e-6)


def test_eps_readings_on_known_configuration():
    Z = np.array([[2.0, 1], [4, -1], [-2, 1], [-4, -1]])
    r = eps_readings(Z, [1, 1, -1, -1], directions={"classifier": [1.0, 0.0]})
    m = r["classifier"]
    assert m["delta"] == pytest.approx(3.0)
    assert m["over_within_std"] == pytest.approx(3.0)           # class std along x = 1
    assert m["over_pooled_std"] == pytest.approx(3.0 / np.sqrt(10))
    assert m["support_gap"] == pytest.approx(4 / 2)            # (2 - (-2)) / (2 * 1)
    assert r["mean_diff"]["delta"] == pytest.approx(3.0)


def test_wilson_ci_coverage():
    rng = np.random.default_rng(7)
    k = rng.binomial(400, 0.1, size=2000)
    cover = np.mean([lo <= 0.1 <= hi for lo, hi in (wilson_ci(int(x), 400) for x in k)])
    assert abs(cover - 0.95) < 4 * np.sqrt(0.95 * 0.05 / 2000) + 0.01
    with pytest.raises(ValueError):
        wilson_ci(5, 3)


def test_closed_form_within_histogram_ci_on_planted_iterated_map():
    """A_0 = diag(1, 1/4) (edge at its fixed point, ξ_edge = 1 - ln2/ln4 = 1/2 per side), A_1 a rotated
    diag(1, 0.3) (other edge, ξ_edge = 0.42): closed form ξ = 1.0 against the bulk histogram estimate."""
    import local_rules as lr
    rot = np.array([[np.cos(1.0), -np.sin(1.0)], [np.sin(1.0), np.cos(1.0)]])
    A = np.stack([np.diag([1.0, 0.25]), rot @ np.diag([1.0, 0.3]) @ rot.T], -1)
    cf = lr.xi_closed_form(A)["xi"]
    b = lr.bulk_contexts(A, n_seq=64, seed=0)
    r = xi_contexts(b.left, b.right, b.labels, b.weights, groups=b.groups, n_boot=100)
    lo, hi = r["xi_ci"]
    assert lo <= cf <= hi, (cf, r["xi"], lo, hi)
    assert not lo <= 2 * (1 - np.log(2) / np.log(16)) <= hi  # c² instead of c would be rejected

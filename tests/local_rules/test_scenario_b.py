"""Scenario B context export (issue 10): per-position contexts, test-set lump, bulk, closed-form ξ."""
import numpy as np
import pytest

import local_rules as lr


@pytest.fixture(scope="module")
def small_test():
    return lr.make_test_set(30, 1, max_len=8, n_long=16, long_len=64)


def test_run_scenario_b_exports_full_right_contexts(small_test):
    res = lr.run_scenario_b("example2", n_init=4, seed=0, test_set=small_test, progress=False, n_times=20)
    L, R = res.features["left_context"], res.features["right_context"]
    assert L.shape == (24, 2) and R.shape == (24, 2)
    np.testing.assert_allclose(np.linalg.norm(R, axis=1), 1.0, rtol=1e-12)
    # the contexts rebuild the training features of Eq. 66
    tr = lr.make_dataset(30, 1, 3)
    z = (L[:, :, None] * R[:, None, :])[..., None] * np.eye(2)[tr.pos_center][:, None, None, :]
    np.testing.assert_allclose(z.reshape(24, -1), res.features["train_features"], atol=1e-14)


def test_position_contexts_match_direct_iteration():
    """Trie-based contexts of a PositionSet equal the bulk sampler's direct left-to-right iteration."""
    b = lr.bulk_contexts("example3", n_seq=3, length=40, lo=0, hi=40, seed=5)
    x = lr.random_inputs(3, 40, np.random.default_rng(5))
    ps = lr.build_position_set([x], [lr.apply_rule(x, 30, 1)])
    L, R = lr.position_contexts("example3", ps)
    order = np.lexsort((ps.pos_index, ps.pos_sequence))
    np.testing.assert_allclose(L[order], b.left, atol=1e-12)
    np.testing.assert_allclose(R[order], b.right, atol=1e-12)
    np.testing.assert_array_equal(ps.labels[order], b.labels)
    np.testing.assert_allclose(b.features(), lr.features_numpy(lr.example_tensor("example3"), ps)[order], atol=1e-12)


def test_boundary_lump_is_the_all_minus_prefix(small_test):
    c = lr.contexts_of_test_set("example1", small_test)
    # left lump <=> every symbol before the position is -1 (the boundary eigenvector of A_0)
    seqs = {}
    for s, i, ctr in zip(small_test.pos_sequence, small_test.pos_index, small_test.pos_center):
        seqs.setdefault(int(s), {})[int(i)] = int(ctr)
    expect = np.array([all(seqs[int(s)][j] == 0 for j in range(int(i)))
                       for s, i in zip(small_test.pos_sequence, small_test.pos_index)])
    np.testing.assert_array_equal(c.lump_left, expect)
    assert 0.05 < c.weights[c.lump].sum() < 0.5
    assert not lr.bulk_contexts("example1", n_seq=4, length=1024, lo=128, hi=896).lump.any()


def test_closed_form_self_similarity_by_independent_simulation():
    """The derivation's key step, checked on the 1-d map s -> c s (p 1/2), s -> 1/2 + s/2: the mass
    within δ of the edge halves when δ shrinks by c, F(cδ) = F(δ)/2, so F ∝ δ^(ln 2/ln(1/c))."""
    rng = np.random.default_rng(0)
    c, n, steps = 0.25, 200_000, 60
    s = rng.random(n)
    for _ in range(steps):
        zero = rng.random(n) < 0.5
        s = np.where(zero, c * s, 0.5 + 0.5 * s)
    for delta in (1e-2, 1e-3, 1e-4):
        k_hi, k_lo = np.sum(s <= delta), np.sum(s <= c * delta)
        # k_lo | k_hi ~ Binomial(k_hi, 1/2)
        z = (k_lo - k_hi / 2) / np.sqrt(k_hi / 4)
        assert k_hi > 400 and abs(z) < 4, (delta, k_hi, k_lo)
    # and a wrong ratio (1/3 instead of 1/2) is rejected
    k_hi, k_lo = np.sum(s <= 1e-2), np.sum(s <= c * 1e-2)
    assert abs((k_lo - k_hi / 3) / np.sqrt(k_hi * 2 / 9)) > 4


def _planted(c0):
    rot = np.array([[np.cos(1.0), -np.sin(1.0)], [np.sin(1.0), np.cos(1.0)]])
    return np.stack([np.diag([1.0, c0]), rot @ np.diag([1.0, 0.3]) @ rot.T], -1)


def test_xi_closed_form_planted_edges():
    r = lr.xi_closed_form(_planted(0.25))
    for side in ("left", "right"):
        lo, hi = r[side]["low"], r[side]["high"]
        assert lo["kind"] == hi["kind"] == "fixed point"
        assert lo["symbol"] == 0 and hi["symbol"] == 1
        assert lo["xi"] == pytest.approx(0.5, abs=1e-12)
        assert hi["xi"] == pytest.approx(1 - np.log(2) / np.log(1 / 0.3), abs=1e-12)
    assert r["xi"] == pytest.approx(1.0, abs=1e-12)
    # two maps with the same fixed point: the support is one point, no edge exponent
    bad = _planted(0.25)
    bad[..., 1] = np.diag([1.0, 0.3])
    rb = lr.xi_closed_form(bad)
    assert np.isnan(rb["xi"]) and rb["left"]["low"]["kind"] == "degenerate support"
    with pytest.raises(ValueError, match="dominant"):
        lr.xi_closed_form(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="d = 2"):
        lr.xi_closed_form(lr.exact_1local_tensor())


def test_closed_form_examples_edges_are_identified():
    for ex, xi in (("example1", 2 * (1 - np.log(2) / np.log(1 / 0.19329))),):
        r = lr.xi_closed_form(ex)
        assert r["xi"] == pytest.approx(xi, abs=1e-3)
    r2 = lr.xi_closed_form("example2")
    assert r2["left"]["high"]["kind"] == "image of the other edge"  # A_0 reverses orientation (λ2/λ1 < 0)

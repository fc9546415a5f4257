"""Scenario B and A: examples, the exact-tensor jump, batching, determinism, divergence."""
import numpy as np
import pandas as pd
import pytest

import local_rules as lr

SMALL_TEST = dict(max_len=8, n_long=8, long_len=32)


@pytest.fixture(scope="module")
def small_test():
    return lr.make_test_set(30, 1, **SMALL_TEST)


@pytest.mark.parametrize("name,lam1,lam2", [("example2", 0, 0), ("example3", 0, 0), ("example1", 0.01, 0)])
def test_examples_are_linearly_separable(name, lam1, lam2, small_test):
    valid, acc = lr.acceptance(lr.example_tensor(name)[None], lam1, lam2, lr.make_dataset(30, 1, 3), small_test)
    assert valid[0] and acc[0]


def test_random_A_is_mostly_rejected(small_test):
    df = lr.grokking_probability_map([0.0], [0.0], n_draws=300, seed=1, test_set=small_test, progress=False)
    assert 0.0 < df.p.iloc[0] < 0.5 and df.n_valid.iloc[0] <= 300
    A, stats = lr.sample_accepted_A(2, seed=1, test_set=small_test, max_draws=5000)
    assert A.shape == (2, 2, 2, 2)
    assert lr.acceptance(A, 0, 0, lr.make_dataset(30, 1, 3), small_test)[1].all()


def test_scenario_b_t_eps_is_the_first_zero(small_test):
    res = lr.run_scenario_b("example2", n_init=30, seed=2, test_set=small_test, progress=False)
    s = res.summary
    assert s.groks.all() and (s.t_G >= 0).all()
    G, a, w0 = res.features["G"], res.features["a"], res.features["w0"]
    from perceptron_theory.flow import exact_flow
    for r in range(0, 30, 7):
        t = s.t_eps[r]
        W = exact_flow(G, a, w0[r])(np.array([t * (1 - 1e-6), t * (1 + 1e-6)]))
        # independent evaluation through the network with B = w reshaped
        errs = [np.sum(small_test.weights * (np.sign(lr.outputs_numpy(lr.example_tensor("example2"),
                w.reshape(2, 2, 2), small_test)) != small_test.labels)) for w in W]
        assert errs[0] > 0 and errs[1] == 0


def test_exact_tensors_first_order_jump(small_test):
    """Exact tensors (Eq. 68): the aligned averaged test error jumps by the test weight of the
    last neighbourhood to flip (≈1/8, not the paper's 1/4: see docs/errata.md)."""
    res = lr.run_scenario_b("exact", n_init=400, seed=0, test_set=small_test, progress=False)
    al = res.curves[res.curves.aligned]
    tau_min = al.tau.min()
    jumps = al[al.tau == tau_min].set_index("run").test_error
    # independent weights of the 8 neighbourhoods (l, c, r) in the test set
    xs = [lr.all_inputs(M) for M in range(3, 9)] + [lr.random_inputs(8, 32, np.random.default_rng(12345))]
    allx = [np.concatenate([[-1], row, [-1]]) for grp in xs for row in grp]
    nb = np.array([4 * (allx[s][i] > 0) + 2 * (allx[s][i + 1] > 0) + (allx[s][i + 2] > 0)
                   for s, i in zip(small_test.pos_sequence, small_test.pos_index)])
    wnb = np.bincount(nb, weights=small_test.weights, minlength=8)
    # every run's jump is the weight of exactly one neighbourhood
    assert all(np.isclose(wnb, j, atol=1e-12).any() for j in jumps)
    assert jumps.mean() > 0.08  # first order: finite jump
    # the last flip is one of the two rarest training neighbourhoods (+,c,+) in most runs
    assert np.isclose(jumps.values[:, None], wnb[[5, 7]][None], atol=1e-12).any(1).mean() > 0.5


def test_scenario_b_l1(small_test):
    res = lr.run_scenario_b("example1", lam1=0.01, n_init=6, seed=0, test_set=small_test, progress=False,
                            n_times=60, n_tau=5)
    assert res.summary.groks.all()
    assert res.config["integrator"] == "l1_flow"


def test_scenario_b_determinism(small_test):
    a = lr.run_scenario_b("example3", n_init=10, seed=7, test_set=small_test, progress=False, n_times=40)
    b = lr.run_scenario_b("example3", n_init=10, seed=7, test_set=small_test, progress=False, n_times=40)
    c = lr.run_scenario_b("example3", n_init=10, seed=8, test_set=small_test, progress=False, n_times=40)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    assert not np.allclose(a.summary.t_eps, c.summary.t_eps)


def test_test_set_convergence():
    """The test error of a fixed classifier converges in the size of the test set."""
    A = lr.example_tensor("example2")
    B = np.random.default_rng(0).standard_normal((2, 2, 2))
    errs = []
    for max_len, n_long in ((8, 32), (10, 64), (12, 128)):
        ts = lr.make_test_set(30, 1, max_len=max_len, n_long=n_long, long_len=64)
        errs.append(np.sum(ts.weights * (np.sign(lr.outputs_numpy(A, B, ts)) != ts.labels)))
    assert abs(errs[2] - errs[1]) < 0.02 and abs(errs[2] - errs[1]) <= abs(errs[1] - errs[0]) + 0.01


SA = dict(d=3, n_steps=30, lr=0.05, progress=False, n_checkpoints=6, deff_every=5)


@pytest.fixture(scope="module")
def tiny_test():
    return lr.make_test_set(30, 1, max_len=6, n_long=4, long_len=16)


def test_scenario_a_batched_equals_one_by_one(tiny_test):
    # 8 steps: later, Adam amplifies last-bit rounding differences into full steps of size lr
    # (gradient components that reach A_0 only through the 32-fold padding power are at the
    # rounding level), which is not cross-talk between models
    kw = dict(SA, dtype="float64", test_set=tiny_test, seed=3, n_steps=8)
    full = lr.run_scenario_a(n_init=3, **kw)
    one = lr.run_scenario_a(n_init=3, chunk=1, **kw)
    for k in ("final_A", "final_B"):
        assert np.allclose(full.features[k], one.features[k], rtol=1e-9, atol=1e-11)
    assert np.allclose(full.features["train_loss_per_step"], one.features["train_loss_per_step"], rtol=1e-6)


def test_scenario_a_determinism_and_table(tiny_test):
    a = lr.run_scenario_a(n_init=2, seed=1, test_set=tiny_test, **SA)
    b = lr.run_scenario_a(n_init=2, seed=1, test_set=tiny_test, **SA)
    pd.testing.assert_frame_equal(a.curves, b.curves)
    assert set(["run", "t", "test_error", "train_error", "d_eff", "dense"]) <= set(a.curves.columns)
    assert set(["run", "t_train", "t_eps", "t_G", "groks", "diverged"]) <= set(a.summary.columns)
    assert np.allclose(a.curves.t, a.curves.step * 0.05)


def test_scenario_a_learns_and_t_eps_is_dense(tiny_test):
    res = lr.run_scenario_a(d=4, n_init=8, n_steps=400, lr=0.05, seed=0, test_set=tiny_test, progress=False,
                            n_checkpoints=8)
    s = res.summary
    g = s[s.groks]
    assert len(g) >= 1  # at least one run generalises on this tiny problem
    for _, row in g.iterrows():
        cur = res.curves[(res.curves.run == row.run)]
        at = cur[np.isclose(cur.t, row.t_eps)]
        assert (at.test_error == 0).all()
        if row.t_eps > 0:
            before = cur[np.isclose(cur.t, row.t_eps - 0.05)]
            assert len(before) and (before.test_error > 0).all()


def test_divergence_is_flagged_and_excluded(tiny_test):
    res = lr.run_scenario_a(d=2, n_init=3, n_steps=5, lr=1e38, seed=0, test_set=tiny_test, progress=False,
                            n_checkpoints=3, dtype="float32", deff_every=1)
    assert res.summary.diverged.any()
    assert not res.summary.loc[res.summary.diverged, "groks"].any()
    mc = res.mean_curve()
    assert (mc.n <= (~res.summary.diverged).sum()).all()


def test_scenario_a_bad_input():
    with pytest.raises(ValueError, match="d"):
        lr.run_scenario_a(d=0, n_init=1, n_steps=1, progress=False)
    with pytest.raises(ValueError, match="K"):
        lr.run_scenario_a(K=0, n_init=1, n_steps=1, progress=False)
    with pytest.raises(ValueError, match="rule"):
        lr.run_scenario_a(rule=300, n_init=1, n_steps=1, progress=False)
    with pytest.raises(ValueError, match="train_M"):
        lr.run_scenario_a(K=3, train_M=6, n_init=1, n_steps=1, progress=False)


def test_sign_symmetry_of_the_network():
    """(A, B) -> (-A, -B) keeps every output on even lengths and flips it on odd ones."""
    rng = np.random.default_rng(4)
    A, B = rng.standard_normal((2, 3, 3, 2)), rng.standard_normal((2, 3, 3, 2))
    for M, sign in ((4, 1.0), (5, -1.0), (8, 1.0)):
        ps = lr.make_dataset(30, 1, M)
        y, ym = lr.outputs_numpy(A, B, ps, "pad"), lr.outputs_numpy(-A, -B, ps, "pad")
        assert np.allclose(ym, sign * y, rtol=1e-12, atol=1e-12)


def test_test_set_parity():
    ev = lr.make_test_set(30, 1, max_len=8, n_long=2, long_len=16, parity="even")
    assert ev.info["parity"] == "even"
    lengths = np.bincount(ev.pos_sequence)
    assert set(np.unique(lengths)) <= {4, 6, 8, 16}
    with pytest.raises(ValueError, match="long_len"):
        lr.make_test_set(30, 1, max_len=8, n_long=2, long_len=15, parity="even")
    with pytest.raises(ValueError, match="parity"):
        lr.make_test_set(30, 1, parity="both")

"""Issue 25: t_eps on the bulk population, and corner identification."""
import numpy as np

import local_rules as lr
from local_rules import last_wrong


def _err_np(w, Z, y):
    return np.mean((Z @ w) * y <= 0)


def test_bulk_t_eps_equals_independent_bisection():
    c = lr.bulk_contexts("example3", n_seq=2, length=512, lo=64, hi=448, seed=3)
    r = lr.bulk_transition("example3", n_init=6, contexts=c, seed=5, n_times=60)
    from perceptron_theory.flow import exact_flow
    _, G, a = lr.scenario_b_problem(lr.example_tensor("example3"), lr.make_dataset(30, 1, 3), 0.0)
    Z, y = c.features(), c.labels.astype(float)
    grid = np.logspace(-3, 4, 4000)
    for i in np.nonzero(r["groks"])[0][:4]:
        fl = exact_flow(G, a, r["w0"][i:i + 1])
        e = np.array([_err_np(fl(np.array([t]))[0], Z, y) for t in grid])
        k = int(np.argmax(e == 0))
        assert k > 0 and e[k] == 0
        lo, hi = grid[k - 1], grid[k]
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if _err_np(fl(np.array([mid]))[0], Z, y) == 0 else (mid, hi)
        # first zero of a piecewise-constant error: both agree to the bisection width (relative 1e-9)
        assert abs(r["t_eps"][i] - hi) <= 1e-9 * hi + 1e-12, (i, r["t_eps"][i], hi)


def test_bulk_sample_size_rule():
    assert lr.bulk_sample_size(1e-3) == 20000 and lr.bulk_sample_size(0.5, n_min=1) == 2


def test_corner_identification_planted_2d():
    left = {"low": {"angle": 0.2}, "high": {"angle": 0.6}}
    right = {"low": {"angle": 1.0}, "high": {"angle": 1.5}}
    assert lr.assign_corner(0.21, 1.02, left, right) == ("low", "low")
    assert lr.assign_corner(0.59, 1.01, left, right) == ("high", "low")
    assert lr.assign_corner(0.22, 1.49, left, right) == ("low", "high")
    # planted 2-d points: the classifier misclassifies only two, the last (least negative margin)
    # sits at the (high, high) corner
    th = np.array([[0.3, 1.2], [0.59, 1.49], [0.25, 1.05], [0.4, 1.3]])
    Z = np.array([[-1.0, 0.3], [-0.1, 0.2], [1.0, 0.0], [-0.5, 0.1]])
    y = np.array([1, 1, 1, 1], np.int8)
    w = np.array([[1.0, 0.0]])
    M = (Z @ w[0]) * y
    assert (M <= 0).sum() == 3
    i = int(last_wrong(w, Z, y)[0])
    assert i == int(np.argmax(np.where(M <= 0, M, -np.inf)))
    assert lr.assign_corner(th[i, 0], th[i, 1], left, right) == ("high", "high")

"""Issue 25, step 3: the corner at which the decision boundary leaves the support, on a planted
2-d example whose edges are known in closed form (A_0 = diag(1, 1/4): fixed point at angle 0,
c_0 = 1/4; A_1 = diag(1, 0.3) rotated by 1 rad: fixed point at angle 1, c_1 = 0.3)."""
import math

import numpy as np
import pytest

import local_rules as lr
from local_rules import Contexts

ROT = np.array([[np.cos(1.0), -np.sin(1.0)], [np.sin(1.0), np.cos(1.0)]])
A_PL = np.stack([np.diag([1.0, 0.25]), ROT @ np.diag([1.0, 0.3]) @ ROT.T], -1)
XI = {0: 1 - math.log(2) / math.log(4), 1: 1 - math.log(2) / math.log(1 / 0.3)}  # by hand
FP = {0: 0.0, 1: 1.0}  # fixed-point angles of the two maps (A_x symmetric: the same on both sides)


@pytest.fixture(scope="module")
def planted():
    c = lr.bulk_contexts(A_PL, n_seq=16, length=512, lo=64, hi=448, seed=4)
    # fold the angles into [0, 1] (contexts are only defined up to sign here; margins use the folded ones)
    L = c.left * np.sign(c.left[:, :1])
    R = c.right * np.sign(c.right[:, :1])
    return c, L, R


def _vec(a):
    return np.array([np.cos(a), np.sin(a)])


def _classifier(L, R, target, ok=None):
    """B = u vᵀ − s p qᵀ (both centre symbols): the margin is (ℓ·p)(r·q)(f − s) with f = g_L(θ_L) g_R(θ_R)
    monotone on [0, 1] in each angle, smallest towards the planted target edges; s between the two
    smallest f, so exactly one context is misclassified. Labels: +1 where ``ok``, else the classifier's sign."""
    p = q = _vec(0.5)
    u = _vec(-0.1 if target[0] == 1 else 1.1)  # g_L decreasing (min at angle 1) / increasing (min at 0)
    v = _vec(-0.1 if target[1] == 1 else 1.1)
    ok = np.ones(L.shape[0], bool) if ok is None else ok
    f = (L @ u) * (R @ v) / ((L @ p) * (R @ q))
    fs = np.sort(f[ok])
    s = 0.5 * (fs[0] + fs[1])
    B = np.outer(u, v) - s * np.outer(p, q)
    W = np.stack([B, B], -1).reshape(1, -1)
    y = np.where(ok, 1, np.sign((L @ B * R).sum(1))).astype(np.int8)
    return W, y, int(np.argmin(np.where(ok, f, np.inf)))


def _contexts(c, L, R, y):
    return Contexts(L, R, c.center, y, c.weights, c.groups, c.strata, c.lump_left, c.lump_right, dict(c.info))


def test_symbol_exponents_equal_the_closed_form_edges():
    ex = lr.symbol_exponents(A_PL)
    assert ex[0]["xi"] == pytest.approx(XI[0], abs=1e-12) and ex[1]["xi"] == pytest.approx(XI[1], abs=1e-12)
    for name in ("example1", "example2", "example3"):
        cf, ex = lr.xi_closed_form(name), lr.symbol_exponents(name)
        for side in ("left", "right"):
            for e in cf[side].values():
                if e["kind"] == "fixed point":
                    assert ex[e["symbol"]]["xi"] == pytest.approx(e["xi"], abs=1e-9)


def test_histories_are_the_symbols_next_to_each_position(planted):
    c, _, _ = planted
    idx = np.arange(5, c.left.shape[0], 97)
    hl, hr = lr.context_histories(c, idx, depth=6)
    inner = idx % (c.info["hi"] - c.info["lo"]) > 0  # x_{i-1} stored as the centre of row i-1
    assert np.array_equal(hl[inner, 0], c.center[idx[inner] - 1])
    # and l_i is l_{i-1} A(x_{i-1}) normalised, r_{i-1} is A(x_i) r_i normalised
    nxt = c.left[idx[inner] - 1][:, None, :] @ np.moveaxis(A_PL, -1, 0)[hl[inner, 0]]
    nxt = nxt[:, 0] / np.linalg.norm(nxt[:, 0], axis=1, keepdims=True)
    assert np.allclose(nxt, c.left[idx[inner]], atol=1e-12)
    right_inner = idx % (c.info["hi"] - c.info["lo"]) < c.info["hi"] - c.info["lo"] - 1
    assert np.array_equal(hr[right_inner, 0], c.center[idx[right_inner] + 1])


@pytest.mark.parametrize("target", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_planted_outer_corner_is_identified(planted, target):
    c, L, R = planted
    W, y, i_star = _classifier(L, R, target)
    rec = lr.identify_corners(W, _contexts(c, L, R, y), A_PL)[0]
    assert rec["index"] == i_star
    assert (rec["left"], rec["right"]) == target
    assert rec["left_start"] == 0 and rec["right_start"] == 0  # an outer corner: no prefix word
    # the exit context sits at the planted fixed points (to within a run of >= 3 contractions)
    th = np.arctan2([L[i_star, 1], R[i_star, 1]], [L[i_star, 0], R[i_star, 0]])
    assert abs(th[0] - FP[target[0]]) < 0.3 ** 3 and abs(th[1] - FP[target[1]]) < 0.3 ** 3
    assert rec["nu_corner"] == pytest.approx(2 - XI[target[0]] - XI[target[1]], abs=1e-12)
    assert rec["key"] == f"A{target[0]}xA{target[1]}|c{rec['center']}|y+1"


def test_planted_gap_edge_takes_the_exponent_of_its_source_edge(planted):
    """Only contexts with x_{i-1} = +1 may be misclassified: their left support is f_1(S), whose edge
    towards angle 0 is the gap edge f_1(0) — an image of the A_0 fixed point, nearer to the A_1 edge.
    The exit is then W = (1) followed by 0-symbols: the A_0 exponent, not the nearest outer edge's."""
    c, L, R = planted
    hl, _ = lr.context_histories(c, np.arange(L.shape[0]), depth=1)
    W, y, i_star = _classifier(L, R, (0, 0), ok=hl[:, 0] == 1)
    closed = lr.xi_closed_form(A_PL)
    rec = lr.identify_corners(W, _contexts(c, L, R, y), A_PL, closed=closed)[0]
    assert rec["index"] == i_star and (rec["left"], rec["right"]) == (0, 0)
    assert rec["left_start"] == 1  # the prefix word W = (1)
    assert rec["nearest_outer_edges"][0] == "high"  # angle of f_1(0) is nearer the A_1 edge (angle 1)
    assert closed["left"]["high"]["symbol"] == 1
    assert rec["xi_left"] == pytest.approx(XI[0], abs=1e-12)  # not XI[1] of the nearest outer edge


def test_tail_symbol_and_errors():
    assert lr.tail_symbol([0, 1, 1, 1, 0]) == (1, 1, 3)
    assert lr.tail_symbol([0, 1, 1, 0], k_min=2) == (1, 1, 2)
    c = lr.contexts_of_test_set("example2")
    with pytest.raises(ValueError, match="bulk"):
        lr.context_histories(c, [0])
    b = lr.bulk_contexts("example2", n_seq=1, length=64, lo=16, hi=60)
    with pytest.raises(ValueError, match="depth"):
        lr.context_histories(b, [40], depth=8)


def test_corner_mixture_recovers_planted_groups():
    tau = np.logspace(-4, 0, 41)
    E = np.vstack([2.0 * tau ** 0.3] * 6 + [0.5 * tau ** 0.9] * 2)
    r = lr.corner_mixture(tau, E, ["a"] * 6 + ["b"] * 2, {"a": 0.3, "b": 0.9}, window=(1e-4, 1.0))
    assert r["groups"]["a"]["C"] == pytest.approx(2.0) and r["groups"]["b"]["C"] == pytest.approx(0.5)
    assert np.allclose(r["mixture"], r["pooled"]) and r["leading"] == 0.3
    # a wrong exponent for group a does not reproduce the pooled mean
    bad = lr.corner_mixture(tau, E, ["a"] * 6 + ["b"] * 2, {"a": 0.4, "b": 0.9}, window=(1e-4, 1.0))
    assert not np.allclose(bad["mixture"], bad["pooled"], rtol=0.05)


def test_corner_mixture_fits_each_group_where_it_is_resolved():
    tau = np.logspace(-4, 0, 41)
    E = np.vstack([1e-1 * tau ** 0.3] * 4 + [1e-3 * tau ** 0.9] * 4)  # group b below 20/N = 2e-4 for tau < 0.4
    r = lr.corner_mixture(tau, E, ["a"] * 4 + ["b"] * 4, {"a": 0.3, "b": 0.9}, window=(1e-4, 1e-2),
                          n_contexts=100_000)
    # group a: resolved above 2 x its value at tau = 1e-4 (the floor rule), i.e. from 2^(1/0.3) x 1e-4 on
    lo_a = r["groups"]["a"]["fit_window"][0]
    assert 1e-4 * 2 ** (1 / 0.3) <= lo_a < 1.3 * 1e-4 * 2 ** (1 / 0.3)
    # group b: first resolved where 1e-3 tau^0.9 >= 20/N = 2e-4, window shifted there with the same width
    lo_b, hi_b = r["groups"]["b"]["fit_window"]
    assert 0.2 ** (1 / 0.9) <= lo_b < 1.3 * 0.2 ** (1 / 0.9) and hi_b == pytest.approx(lo_b * 100)
    assert r["groups"]["a"]["C"] == pytest.approx(1e-1) and r["groups"]["b"]["C"] == pytest.approx(1e-3)

"""The block-circulant projection (paper sec. 3) and enforcing it during RFM.

The structured matrices are built here entry by entry from their definition
(independently of ``block_circulant_matrix``), and the projection is checked to be
idempotent, to fix structured matrices, and to be orthogonal (the residual is
Frobenius-orthogonal to the whole subspace)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import modular_rfm as mr

OPS = ["+", "-", "*", "/"]


def _dlog(p: int) -> dict[int, int]:
    """Discrete logarithm to the smallest primitive root, by brute force."""
    for g in range(2, p):
        logs = {pow(g, k, p): k for k in range(p - 1)}
        if len(logs) == p - 1:
            return logs
    raise AssertionError


def structured(p: int, op: str, c1: float, c2: float, c: np.ndarray, row0: float = 0.0, col0: float = 0.0,
               corner: float = 0.0) -> np.ndarray:
    """[[A, Cᵀ], [C, A]] entry by entry: C[b, a] depends on a − b (+), a + b (−), log a − log b (×),
    log a + log b (÷); for × and ÷ row b = 0 is row0, column a = 0 is col0, C[0, 0] = corner."""
    M = np.zeros((2 * p, 2 * p))
    logs = _dlog(p)
    for i in range(p):
        for j in range(p):
            M[i, j] = M[p + i, p + j] = c1 * (i == j) + c2
    for b in range(p):
        for a in range(p):
            if op in "+-":
                v = c[(a - b) % p] if op == "+" else c[(a + b) % p]
            elif a == 0 and b == 0:
                v = corner
            elif b == 0:
                v = row0
            elif a == 0:
                v = col0
            else:
                m = p - 1
                v = c[(logs[a] - logs[b]) % m] if op == "*" else c[(logs[a] + logs[b]) % m]
            M[p + b, a] = M[a, p + b] = v
    return M


settings_fast = settings(max_examples=25, deadline=None)


@st.composite
def structured_case(draw):  # type: ignore[no-untyped-def]
    p = draw(st.sampled_from([3, 5, 7, 11]))
    op = draw(st.sampled_from(OPS))
    m = p if op in "+-" else p - 1
    real = st.floats(-3, 3, allow_nan=False)
    c = np.array(draw(st.lists(real, min_size=m, max_size=m)))
    return p, op, draw(real), draw(real), c, draw(real), draw(real), draw(real)


@given(structured_case())
@settings_fast
def test_projection_fixes_block_circulant_matrices(case) -> None:  # type: ignore[no-untyped-def]
    p, op, c1, c2, c, r0, k0, corner = case
    if op in "+-":
        r0 = k0 = corner = 0.0
    S = structured(p, op, c1, c2, c, r0, k0, corner)
    np.testing.assert_allclose(mr.block_circulant_matrix(c1, c2, c, p, op, row0=r0, col0=k0, corner=corner), S,
                               atol=1e-14)
    np.testing.assert_allclose(mr.project_block_circulant(S, p, op), S, atol=1e-12)
    assert mr.structure_deviation(S + np.eye(2 * p), p, op) < 1e-12


@given(st.sampled_from([3, 5, 7, 11]), st.sampled_from(OPS), st.integers(0, 2**32 - 1))
@settings_fast
def test_projection_idempotent_orthogonal_and_structured(p: int, op: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((2 * p, 2 * p))
    P = mr.project_block_circulant(M, p, op)
    np.testing.assert_allclose(mr.project_block_circulant(P, p, op), P, atol=1e-12)
    np.testing.assert_allclose(P, P.T)
    np.testing.assert_allclose(P[:p, :p], P[p:, p:])
    A = P[:p, :p]
    assert np.ptp(np.diag(A)) < 1e-12 and np.ptp(A[~np.eye(p, dtype=bool)]) < 1e-12
    # the residual is orthogonal to random elements of the subspace
    m = p if op in "+-" else p - 1
    for _ in range(3):
        extra = rng.standard_normal(3) if op in "*/" else np.zeros(3)
        S = structured(p, op, *rng.standard_normal(2), rng.standard_normal(m), *extra)
        assert abs(np.sum((M - P) * S)) < 1e-10 * np.linalg.norm(M) * np.linalg.norm(S)
    reorder = op in "*/"
    assert mr.circulant_deviation(P, p, direction=mr.task_direction(op), reorder=reorder) < 1e-20


def test_projection_wrong_direction_is_not_identity() -> None:
    """A Hankel block is not fixed by the '+' projection (guards against a direction-blind check)."""
    p = 7
    S = structured(p, "-", 1.0, 0.1, np.arange(p, dtype=float))
    assert mr.structure_deviation(S, p, "+") > 0.1
    assert mr.structure_deviation(S, p, "-") < 1e-12


@pytest.mark.parametrize("kwargs, name", [({"M": np.eye(5)}, "M"), ({"p": 4}, "p"), ({"op": "%"}, "op"),
                                          ({"M": np.full((10, 10), np.nan)}, "M")])
def test_projection_bad_input(kwargs: dict, name: str) -> None:
    args = {"M": np.eye(10), "p": 5, "op": "+"} | kwargs
    with pytest.raises(ValueError, match=name):
        mr.project_block_circulant(args["M"], args["p"], args["op"])


@pytest.mark.parametrize("op", ["+", "*"])
def test_enforced_trace_stays_structured_and_matches_projected_update(op: str) -> None:
    ds = mr.make_dataset(11, op, 0.5, seed=2)
    kern = mr.Kernel()
    enf = mr.rfm_trace(ds, kern, n_iter=3, enforce="block_circulant")
    plain_1 = mr.rfm_trace(ds, kern, n_iter=1)
    assert not enf.diverged and len(enf.records) == 4
    assert all(r["struct_dev"] < 1e-12 for r in enf.records)
    # M_1 of the enforced run = projection of the plain run's M_1 (same M_0 = I, same fit)
    np.testing.assert_allclose(enf.Ms[1], mr.project_block_circulant(plain_1.Ms[1], 11, op), atol=1e-12)
    assert enf.records[0]["test_accuracy"] == plain_1.records[0]["test_accuracy"]


def test_project_callable_is_applied_after_enforce_and_checked() -> None:
    ds = mr.make_dataset(7, "+", 0.5, seed=0)
    kern = mr.Kernel()
    plain = mr.rfm_trace(ds, kern, n_iter=1)
    doubled = mr.rfm_trace(ds, kern, n_iter=1, project=lambda M: 2.0 * M)
    np.testing.assert_allclose(doubled.Ms[1], 2.0 * plain.Ms[1], rtol=1e-12)
    with pytest.raises(ValueError, match="project"):
        mr.rfm_trace(ds, kern, n_iter=1, project=lambda M: M[:3])
    with pytest.raises(ValueError, match="project"):
        mr.rfm_trace(ds, kern, n_iter=1, project="not callable")  # type: ignore[arg-type]
    bad = mr.rfm_trace(ds, kern, n_iter=2, project=lambda M: M * np.nan)
    assert bad.diverged and "non-finite" in bad.reason
    with pytest.raises(ValueError, match="enforce"):
        mr.rfm_trace(ds, kern, n_iter=1, enforce="circulant")


def test_run_rfm_records_enforcement() -> None:
    r = mr.run_rfm(7, "-", 0.5, n_iter=2, seed=1, enforce="block_circulant", progress=False)
    assert r.config["enforce"] == "block_circulant" and r.config["project"] is None
    assert (r.curves["struct_dev"] < 1e-12).all()
    assert list(r.curves.columns) == mr.CURVE_COLUMNS

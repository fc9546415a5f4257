"""The simulator entry point: output contract, determinism, input validation,
divergence flagging, the random block-circulant baseline."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import modular_rfm as mr

CURVE_COLUMNS = ["run", "t", "train_error", "test_error", "train_accuracy", "test_accuracy", "train_loss",
                 "test_loss", "test_correct_loss", "circ_dev", "circ_dev_circulant", "circ_dev_hankel",
                 "alignment", "d_eff", "struct_dev", "wall_time"]
SUMMARY_COLUMNS = ["run", "t_train", "t_eps", "t_G", "groks", "diverged", "t_99", "t_G99", "flag"]


@pytest.fixture(scope="module")
def small_result() -> mr.RFMResult:
    return mr.run_rfm(7, "+", 0.5, n_iter=4, seed=3, n_runs=2, progress=False, keep_history=True)


def test_contract_shapes_and_columns(small_result: mr.RFMResult) -> None:
    r = small_result
    assert list(r.curves.columns) == CURVE_COLUMNS
    assert len(r.curves) == 2 * 5 and sorted(r.curves["run"].unique()) == [0, 1]
    assert r.curves.groupby("run")["t"].apply(list).tolist() == [[0.0, 1.0, 2.0, 3.0, 4.0]] * 2
    assert set(SUMMARY_COLUMNS) <= set(r.summary.columns) and len(r.summary) == 2
    assert r.summary["groks"].dtype == bool and r.summary["diverged"].dtype == bool
    np.testing.assert_allclose(r.curves["test_error"], 1 - r.curves["test_accuracy"])
    assert r.features["M_final"].shape == (2, 14, 14)
    assert r.features["M_history"].shape == (2, 5, 14, 14)
    assert r.features["train_pairs"].shape == (2, round(0.5 * 49), 2)
    np.testing.assert_array_equal(r.features["M_history"][:, 0], np.broadcast_to(np.eye(14), (2, 14, 14)))
    np.testing.assert_array_equal(r.features["M_history"][:, -1], r.features["M_final"])


def test_config_is_json_and_complete(small_result: mr.RFMResult) -> None:
    cfg = json.loads(json.dumps(small_result.config))
    for key in ("generator", "p", "op", "train_frac", "kernel", "bandwidth", "bandwidth_scaling", "ridge",
                "centre", "power", "n_iter", "seed", "n_runs", "split_seeds", "gradient_path",
                "circ_dev_direction", "time_unit"):
        assert key in cfg
    assert cfg["split_seeds"] == mr.split_seeds(3, 2)
    assert cfg["bandwidth_scaling"] == "2L2" and cfg["circ_dev_direction"] == "circulant"


def test_runs_use_recorded_split_seeds(small_result: mr.RFMResult) -> None:
    for r, s in enumerate(small_result.config["split_seeds"]):
        ds = mr.make_dataset(7, "+", 0.5, seed=s)
        np.testing.assert_array_equal(small_result.features["train_pairs"][r], ds.pairs_train)
    assert not np.array_equal(*small_result.features["train_pairs"])


def test_measures_consistent_with_history(small_result: mr.RFMResult) -> None:
    r = small_result
    for run in (0, 1):
        H = r.features["M_history"][run]
        g = r.curves[r.curves["run"] == run]
        assert np.isnan(g["circ_dev"].iloc[0])  # M_0 = I has a zero off-diagonal block
        for t in range(1, 5):
            assert g["circ_dev"].iloc[t] == pytest.approx(mr.circulant_deviation(H[t], 7))
            assert g["circ_dev_hankel"].iloc[t] == pytest.approx(
                mr.circulant_deviation(H[t], 7, direction="hankel"))
            assert g["d_eff"].iloc[t] == pytest.approx(mr.effective_dimension(H[t]))
            assert g["alignment"].iloc[t] == pytest.approx(mr.agop_alignment(H[t], H[-1]))
        assert g["alignment"].iloc[-1] == pytest.approx(1.0)
        assert g["d_eff"].iloc[0] == pytest.approx(14.0)
        # each M_{t+1} is the square root of the AGOP of the machine fitted with M_t
        ds = mr.make_dataset(7, "+", 0.5, seed=r.config["split_seeds"][run])
        fit = mr.fit_kernel_machine(ds, H[1], mr.Kernel())
        G = mr.agop_dense(H[1], ds.X_train, fit.alpha, fit.W_train, scale=fit.w_scale)
        np.testing.assert_allclose(H[2] @ H[2], G, atol=1e-10 * np.abs(G).max())


def test_deterministic_given_seed() -> None:
    a = mr.run_rfm(5, "*", n_iter=2, seed=11, progress=False)
    b = mr.run_rfm(5, "*", n_iter=2, seed=11, progress=False)
    cols = [c for c in CURVE_COLUMNS if c != "wall_time"]
    pd.testing.assert_frame_equal(a.curves[cols], b.curves[cols])
    np.testing.assert_array_equal(a.features["M_final"], b.features["M_final"])


def test_dense_gradient_path_gives_same_run() -> None:
    a = mr.run_rfm(7, "-", n_iter=3, progress=False, gradient_path="onehot")
    b = mr.run_rfm(7, "-", n_iter=3, progress=False, gradient_path="dense")
    # each step agrees to ~1e-12 (test_rfm_agop); the ridgeless solves amplify round-off
    # over the iterations, hence the looser end-to-end tolerance
    Ma, Mb = a.features["M_final"], b.features["M_final"]
    np.testing.assert_allclose(Ma, Mb, rtol=1e-6, atol=1e-7 * np.abs(Ma).max())
    np.testing.assert_allclose(a.curves["test_loss"], b.curves["test_loss"], rtol=1e-6)


@pytest.mark.parametrize("kernel", ["gaussian", "laplace", "quadratic"])
@pytest.mark.parametrize("op", ["+", "/"])
def test_ridgeless_fits_training_set_every_iteration(kernel: str, op: str) -> None:
    r = mr.run_rfm(11, op, n_iter=3, kernel=kernel, progress=False)
    assert not r.summary["diverged"].any()
    assert (r.curves["train_error"] == 0).all()
    assert r.summary["t_train"].iloc[0] == 0.0


def test_summary_times_from_curves() -> None:
    r = mr.run_rfm(11, "+", 0.7, n_iter=12, progress=False)
    g = r.curves
    s = r.summary.iloc[0]
    hit = g.loc[g["test_accuracy"] >= 0.99, "t"]
    assert (np.isnan(s["t_99"]) and hit.empty) or s["t_99"] == hit.iloc[0]
    exact = g.loc[g["test_error"] == 0, "t"]
    assert (np.isnan(s["t_eps"]) and exact.empty) or s["t_eps"] == exact.iloc[0]
    assert s["t_G"] == pytest.approx(s["t_eps"] - s["t_train"], nan_ok=True)
    expected_flag = ("ok" if not exact.empty else "test_error_never_exactly_0") if not hit.empty \
        else "never_generalises"
    assert s["flag"] == expected_flag


def test_singular_kernel_system_is_flagged_as_diverged() -> None:
    # With L = 1e9 every Gaussian kernel entry is 1 to double precision: K = 11ᵀ is singular.
    r = mr.run_rfm(7, "+", n_iter=3, bandwidth=1e9, n_runs=2, progress=False)
    assert r.summary["diverged"].all() and (r.summary["flag"] == "diverged").all()
    assert r.summary["t_99"].isna().all() and not r.summary["groks"].any()
    assert r.summary["reason"].str.contains("singular|residual").all()
    assert np.isnan(r.features["M_final"]).all()
    # a ridge makes the same system solvable
    ok = mr.run_rfm(7, "+", n_iter=1, bandwidth=1e9, ridge=1e-3, progress=False)
    assert not ok.summary["diverged"].any()


@pytest.mark.parametrize("kwargs,name", [
    ({"p": 15}, "p"), ({"p": 2}, "p"), ({"p": 0}, "p"), ({"train_frac": 0}, "train_frac"),
    ({"train_frac": 1}, "train_frac"), ({"train_frac": -0.1}, "train_frac"), ({"op": "^"}, "op"),
    ({"kernel": "rbf"}, "kernel"), ({"bandwidth": -1.0}, "bandwidth"),
    ({"bandwidth_scaling": "L^2"}, "bandwidth_scaling"), ({"ridge": -1e-3}, "ridge"),
    ({"power": 0.0}, "power"), ({"n_iter": -1}, "n_iter"), ({"n_runs": 0}, "n_runs"),
    ({"seed": -2}, "seed"), ({"centre": "yes"}, "centre"), ({"gradient_path": "sparse"}, "gradient_path"),
])
def test_bad_input_raises(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        mr.run_rfm(**({"p": 5, "n_iter": 1, "progress": False} | kwargs))


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_random_block_circulant_features_generalise(op: str) -> None:
    """A plain kernel machine with random block-circulant M generalises; with M = I it
    is at (or below) chance.  p = 31: ≥ 0.85 (seen: 0.89–0.996 over seeds 0–1);
    chance 1/31 plus, for ×, the 2p−1 pairs with a zero factor (≈ 6 %)."""
    p = 31
    df = mr.random_feature_baseline(p, op, seed=0, n_runs=1, recipe="flat")
    bc = df[df["features"] == "block_circulant"].iloc[0]
    ident = df[df["features"] == "identity"].iloc[0]
    assert bc["train_accuracy"] == 1.0 and not bc["diverged"]
    assert bc["test_accuracy"] >= 0.85
    assert ident["test_accuracy"] <= 1 / p + (2 * p - 1) / p**2 + 0.02
    assert bc["circ_dev"] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_random_block_circulant_is_psd_and_structured(op: str) -> None:
    p = 13
    M = mr.random_block_circulant(p, op, seed=4, recipe="flat")
    assert np.allclose(M, M.T)
    assert np.linalg.eigvalsh(M).min() > -1e-10
    A, B = M[:p, :p], M[p:, p:]
    np.testing.assert_allclose(A, B)
    direction = mr.task_direction(op)
    assert mr.circulant_deviation(M, p, direction=direction, reorder=op in "*/") < 1e-20
    with pytest.raises(ValueError, match="recipe"):
        mr.random_block_circulant(p, op, recipe="pink")

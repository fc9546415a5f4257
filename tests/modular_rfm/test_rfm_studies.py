"""The paper's random-feature recipe, the torch path, the phase diagram, the onsets of the
progress measures, the example sweep config and the doctests of the public API."""
from __future__ import annotations

import doctest
import inspect
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.linalg as sla

import modular_rfm as mr

ROOT = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------- paper recipe
@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_paper_recipe_is_real_sqrt_of_the_block(op: str) -> None:
    """M = Re sqrtm([[I − 11ᵀ/p, Cᵀ], [C, I − 11ᵀ/p]]), C from a uniform first row (rebuilt here)."""
    p, seed = 11, 5
    m = p if op in "+-" else p - 1
    c = np.random.default_rng(seed).random(m)
    i, j = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
    Cm = c[(j - i) % m] if op in "+*" else c[(i + j) % m]
    C = np.zeros((p, p))
    if op in "+-":
        C = Cm
    else:
        order = mr.discrete_log_order(p)
        C[np.ix_(order, order)] = Cm
    A = np.eye(p) - np.ones((p, p)) / p
    B = np.block([[A, C.T], [C, A]])
    assert np.linalg.eigvalsh(B).min() < -0.1  # indefinite: the real part matters
    expected = np.real(sla.sqrtm(B))
    M = mr.random_block_circulant(p, op, seed=seed)
    np.testing.assert_allclose(M, expected, atol=1e-10)
    assert mr.circulant_deviation(M, p, direction=mr.task_direction(op), reorder=op in "*/") < 1e-20


def test_paper_recipe_generalises_on_addition() -> None:
    """Issue acceptance: the paper recipe reaches >= 99 % test accuracy on +.  Measured at
    p = 31 it does *not* reliably (0.67–0.996 over 8 draws, BENCHMARKS.md), so this is
    checked at p = 61, where the 3 draws of the benchmark all give 1.000 (as the paper
    reports) and one fit takes well under a second; M = I stays at 0."""
    df = mr.random_feature_baseline(61, "+", seed=0, n_runs=1)
    bc = df[df["features"] == "block_circulant"].iloc[0]
    assert bc["recipe"] == "paper" and not bc["diverged"]
    assert bc["test_accuracy"] >= 0.99
    assert df[df["features"] == "identity"].iloc[0]["test_accuracy"] <= 0.02


# ----------------------------------------------------------------- torch path
@pytest.mark.parametrize("kernel", ["gaussian", "laplace", "quadratic"])
def test_torch_cpu_path_equals_numpy_path(kernel: str) -> None:
    pytest.importorskip("torch")
    ds = mr.make_dataset(13, "-", 0.5, seed=1)
    kern = mr.Kernel(kernel)
    a = mr.rfm_trace(ds, kern, n_iter=3)
    b = mr.rfm_trace(ds, kern, n_iter=3, device="cpu")
    assert not a.diverged and not b.diverged
    for ra, rb in zip(a.records, b.records):
        assert ra["test_accuracy"] == rb["test_accuracy"] and ra["train_accuracy"] == rb["train_accuracy"]
        for k in ("train_loss", "test_loss", "test_correct_loss"):
            assert abs(ra[k] - rb[k]) < 1e-10
    # the AGOP of the same M, before the square root (which turns ~1e-16 round-off on
    # AGOP's null directions into ~1e-8 differences of M)
    for M in a.Ms:
        ga = mr.rfm_trace(ds, kern, n_iter=1, M0=M, power=1.0).Ms[1]
        gb = mr.rfm_trace(ds, kern, n_iter=1, M0=M, power=1.0, device="cpu").Ms[1]
        assert np.abs(ga - gb).max() <= 1e-10 * np.abs(ga).max()
    for Ma, Mb in zip(a.Ms, b.Ms):
        assert np.abs(Ma - Mb).max() <= 1e-6 * np.abs(Ma).max()


def test_device_argument_checked_and_recorded() -> None:
    pytest.importorskip("torch")
    ds = mr.make_dataset(5, "+", 0.5, seed=0)
    with pytest.raises(ValueError, match="gradient_path"):
        mr.rfm_trace(ds, mr.Kernel(), n_iter=1, device="cpu", gradient_path="dense")
    with pytest.raises(ValueError, match="device"):
        mr.rfm_trace(ds, mr.Kernel(), n_iter=1, device=3)  # type: ignore[arg-type]
    r = mr.run_rfm(5, "+", 0.5, n_iter=1, device="cpu", progress=False)
    assert r.config["backend"] == "torch" and r.config["device"] == "cpu"


# ----------------------------------------------------------------- phase diagram
def test_phase_diagram_tiny_grid_end_to_end() -> None:
    df = mr.phase_diagram(7, ["+", "÷"], [0.3, 0.6], [0, 4], n_iter=2)
    assert list(df.columns) == mr.PHASE_COLUMNS and len(df) == 8
    assert sorted(df["op"].unique()) == ["+", "/"]
    one = mr.run_rfm(7, "/", 0.6, n_iter=2, seed=4, progress=False)
    row = df[(df["op"] == "/") & (df["train_frac"] == 0.6) & (df["seed"] == 4)].iloc[0]
    assert row["split_seed"] == one.config["split_seeds"][0]
    assert row["final_test_accuracy"] == one.summary["final_test_accuracy"].iloc[0]
    summ = mr.summarise_phase(df)
    assert len(summ) == 4 and (summ["n_runs"] == 2).all()
    with pytest.raises(ValueError, match="fractions"):
        mr.phase_diagram(7, ["+"], [1.0], [0], n_iter=1)
    with pytest.raises(ValueError, match="seed"):
        mr.phase_diagram(7, ["+"], [0.5], [0], n_iter=1, seed=3)


def test_summarise_phase_excludes_diverged_runs() -> None:
    df = pd.DataFrame({"op": ["+"] * 3, "train_frac": [0.4] * 3, "final_test_accuracy": [0.5, 1.0, np.nan],
                       "t_99": [np.nan, 20.0, np.nan], "diverged": [False, False, True]})
    s = mr.summarise_phase(df).iloc[0]
    assert (s["n_runs"], s["n_diverged"], s["n_reached_99"]) == (3, 1, 1)
    assert s["final_acc_mean"] == 0.75 and s["t_99_median"] == 20.0
    with pytest.raises(ValueError, match="t_99"):
        mr.summarise_phase(df.drop(columns="t_99"))


# ----------------------------------------------------------------- onsets
def test_measure_onsets_on_synthetic_curves() -> None:
    """Accuracy flat until t = 6 then up to 1 at t = 10; circ_dev falls linearly 1 → 0 from t = 1;
    d_eff is flat until t = 8.  With frac = 0.1: accuracy onset 7 (0.25 ≥ 0.1), circ_dev onset
    2 (|Δ| = 1/9 ≥ 0.1), d_eff onset 9; share of circ_dev's change at t = 7 is 6/9."""
    t = np.arange(11.0)
    acc = np.clip((t - 6) / 4, 0, 1)
    circ = np.clip(1 - (t - 1) / 9, 0, 1)
    d_eff = np.where(t <= 8, 50.0, 40.0)
    cur = pd.DataFrame({"run": 0, "t": t, "test_accuracy": acc, "test_loss": 1 - acc, "test_correct_loss": 1 - acc,
                        "circ_dev": circ, "circ_dev_circulant": circ, "circ_dev_hankel": np.ones_like(t),
                        "struct_dev": circ, "alignment": 1 - circ, "d_eff": d_eff})
    on = mr.measure_onsets(cur, "+").set_index("measure")
    assert on.loc["test_accuracy", "onset_t"] == 7 and on.loc["circ_dev", "accuracy_onset_t"] == 7
    assert on.loc["circ_dev", "onset_t"] == 2 and on.loc["circ_dev", "share_at_acc_onset"] == pytest.approx(6 / 9)
    assert on.loc["d_eff", "onset_t"] == 9 and not on.loc["d_eff", "leads_accuracy"]
    assert on.loc["circ_dev", "leads_accuracy"] and np.isnan(on.loc["circ_dev_other", "onset_t"])


# ----------------------------------------------------------------- sweep config, doctests
def test_example_sweep_config_matches_run_rfm() -> None:
    cfg = tomllib.loads((ROOT / "docs" / "examples" / "rfm_phase.toml").read_text())
    assert cfg["sweep"]["simulator"] == "rfm"
    params = inspect.signature(mr.run_rfm).parameters
    keys = set(cfg["fixed"]) | set(cfg["grid"])
    assert keys <= set(params) and not keys & {"seed", "n_runs", "progress"}
    fixed = dict(cfg["fixed"], p=7, n_iter=1)
    for op in cfg["grid"]["op"]:
        for frac in cfg["grid"]["train_frac"][:2]:
            r = mr.run_rfm(**fixed, op=op, train_frac=frac, seed=11, n_runs=1, progress=False)
            assert {"final_test_accuracy", "t_99"} <= set(r.summary.columns)


@pytest.mark.parametrize("module", ["_structure", "_analysis", "_baseline", "_trace", "_rfm", "_data",
                                    "device_check"])
def test_doctests(module: str) -> None:
    import importlib

    mod = importlib.import_module(f"modular_rfm.{module}")
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0


def test_phase_sweep_end_to_end_tiny_grid(tmp_path: Path) -> None:
    """The example config's simulator and grid, shrunk (p = 7, 2 iterations, 2 × 2 settings × 2
    splits), through `grokcheck sweep`'s Python API (serial), loaded back and summarised."""
    sweep = pytest.importorskip("comparison.sweep")
    cfg = tomllib.loads((ROOT / "docs" / "examples" / "rfm_phase.toml").read_text())
    cfg["sweep"].update(runs_per_setting=2, chunk=1)
    cfg["fixed"] = {"n_iter": 2, "p": 7}
    cfg["grid"] = {"op": ["+", "-"], "train_frac": [0.3, 0.6]}
    out = sweep.run_sweep(cfg, tmp_path / "sw", n_workers=0, progress=False)
    assert out.n_done == 8 and out.n_failed == 0
    loaded = sweep.load_sweep(tmp_path / "sw")
    df = pd.concat([rs.summary.assign(op=rs.config["op"], train_frac=rs.config["train_frac"])
                    for rs in loaded.runsets])
    summ = mr.summarise_phase(df)
    assert len(summ) == 4 and (summ["n_runs"] == 2).all()

"""Losses are never read as error rates; loss columns give loss-based onsets (issue 24, item 2).

The planted losses are closed forms, L(t) = A exp(-t / T) + L_inf, so the expected
threshold onset is read off the formula: the first logged step at or after
t* = T ln(A / (c - L_inf)), never off the code.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from comparison import load_table
from comparison.cli import main
from comparison.runset.logs import loss_like_name

A, T, L_INF = 4.6, 500.0, 0.01
STEPS = np.arange(0, 3000, 10)


def planted_loss(steps: np.ndarray, scale: float = 1.0) -> np.ndarray:
    return scale * (A * np.exp(-steps / T) + L_INF)


def expected_onset(c: float, scale: float = 1.0) -> float:
    """First step with scale * (A e^{-t/T} + L_inf) <= c, from the closed form."""
    t_star = T * math.log(A / (c / scale - L_INF))
    return float(STEPS[np.searchsorted(STEPS, t_star - 1e-9)])


def run(argv, capsys):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def loss_only(tmp_path):
    f = tmp_path / "metrics.csv"
    pd.DataFrame({"step": STEPS, "test_cross_entropy": planted_loss(STEPS),
                  "train_loss": planted_loss(STEPS, 0.5)}).to_csv(f, index=False)
    return f


@pytest.mark.parametrize("flag,col", [("--error-col", "test_cross_entropy"), ("--accuracy-col", "test_cross_entropy"),
                                      ("--train-error-col", "train_loss")])
def test_loss_given_as_error_rate_is_refused(loss_only, capsys, flag, col):
    """The failure of the review: a CE column read as a percent error (exit 0, P_grok 0)."""
    extra = [] if flag != "--train-error-col" else ["--error-col", "test_cross_entropy"]
    rc, out, err = run(["fit", loss_only, "--time-col", "step", flag, col, *extra], capsys)
    assert rc == 2 and out == ""
    line = err.strip()
    assert "\n" not in line and "looks like a loss" in line and "--test-loss-col" in line
    assert "--train-loss-col" in line and "--loss-threshold" in line
    assert repr(col) in line or (flag == "--train-error-col" and "'test_cross_entropy'" in line)


@pytest.mark.parametrize("values,scale,needle", [(np.linspace(250, 0.5, 50), "auto", "neither a fraction nor a percent"),
                                                (np.linspace(-1, 0.5, 50), "auto", "neither a fraction nor a percent"),
                                                (np.linspace(4.6, 0.01, 50), "fraction", "--scale percent")])
def test_loss_values_outside_the_error_ranges_are_refused(tmp_path, capsys, values, scale, needle):
    """A loss whose name does not say so: values outside [0, 1] that are no percent either."""
    f = tmp_path / "log.csv"
    pd.DataFrame({"t": np.arange(values.size), "metric": values}).to_csv(f, index=False)
    rc, _, err = run(["fit", f, "--error-col", "metric", "--scale", scale], capsys)
    assert rc == 2 and "metric" in err and "--test-loss-col" in err and needle in err


def test_loss_only_log_gives_threshold_onsets(loss_only, capsys):
    c = 0.1
    rc, out, err = run(["fit", loss_only, "--time-col", "step", "--test-loss-col", "test_cross_entropy",
                        "--train-loss-col", "train_loss", "--loss-threshold", c, "--json", "-"], capsys)
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["loss_only"] and doc["error_column"] is None and doc["n_grok"] == 0
    r = doc["runs"][0]
    assert r["onset_test_loss"] == expected_onset(c) and r["onset_train_loss"] == expected_onset(c, 0.5)
    assert doc["losses"]["test_loss"]["n_reached"] == 1 and doc["losses"]["threshold"] == c
    assert "loss-only log" in doc["nu"]["error"]
    rc, out, _ = run(["fit", loss_only, "--time-col", "step", "--test-loss-col", "test_cross_entropy",
                      "--loss-threshold", c], capsys)
    assert rc == 0 and "not measured: loss-only log" in out and f"{expected_onset(c):.6g}" in out
    # a threshold no run reaches: never, counted
    rc, out, _ = run(["fit", loss_only, "--time-col", "step", "--test-loss-col", "test_cross_entropy",
                      "--loss-threshold", L_INF / 2, "--json", "-"], capsys)
    doc = json.loads(out)
    assert rc == 0 and doc["losses"]["test_loss"]["n_reached"] == 0 and doc["runs"][0]["onset_test_loss"] is None
    assert doc["null_reasons"]["runs/0/onset_test_loss"].startswith("nan")


def test_loss_threshold_needs_a_loss_and_a_loss_without_threshold_is_noted(loss_only, tmp_path, capsys):
    f = tmp_path / "err.csv"
    pd.DataFrame({"t": np.arange(10.0), "test_error": np.linspace(0.5, 0, 10)}).to_csv(f, index=False)
    rc, _, err = run(["fit", f, "--loss-threshold", "0.1", "--scale", "fraction"], capsys)
    assert rc == 2 and "--loss-threshold needs a loss column" in err
    rc, out, err = run(["fit", loss_only, "--time-col", "step", "--test-loss-col", "test_cross_entropy"], capsys)
    assert rc == 0, err
    assert "no threshold stated (--loss-threshold)" in out


def test_lightning_log_with_accuracy_and_losses(tmp_path, capsys):
    """Error-based t_eps and loss-based onsets side by side, per run, on interleaved rows."""
    n_test, rows, want = 400, [], {}
    for seed, shift in enumerate((0.0, 300.0, 600.0)):
        wrong = np.minimum(np.round(n_test * np.clip(1500 + shift - STEPS, 0, None) ** 1.5 / 4e4), 0.9 * n_test)
        for st, w in zip(STEPS, wrong):
            rows.append({"seed": seed, "step": st, "train_loss": planted_loss(st - shift, 0.5), "val_acc": np.nan,
                         "val_loss": np.nan})
            rows.append({"seed": seed, "step": st, "train_loss": np.nan, "val_acc": 1 - w / n_test,
                         "val_loss": planted_loss(st - shift)})
        want[str(seed)] = (float(STEPS[np.argmax(wrong <= 1)]), shift)
    f = tmp_path / "metrics.csv"
    pd.DataFrame(rows).to_csv(f, index=False)
    rc, out, err = run(["fit", f, "--time-col", "step", "--accuracy-col", "val_acc", "--run-col", "seed",
                        "--test-loss-col", "val_loss", "--train-loss-col", "train_loss", "--loss-threshold", "0.2",
                        "--n-boot", "20", "--json", "-"], capsys)
    assert rc == 0, err
    doc = json.loads(out)
    assert not doc["loss_only"] and doc["error_column"] == "val_acc"
    for r in doc["runs"]:
        t_eps, shift = want[r["run"]]
        assert r["t_eps"] == t_eps
        t_star = shift + T * math.log(A / (0.2 - L_INF))
        assert r["onset_test_loss"] == float(STEPS[np.searchsorted(STEPS, t_star - 1e-9)])


def test_python_api_loss_columns(loss_only):
    rs = load_table(loss_only, columns={"time": "step", "test_loss": "test_cross_entropy"}, loss_threshold=0.5)
    assert rs.config["load"]["losses"]["test_loss"]["onsets"] == {"metrics": expected_onset(0.5)}
    with pytest.raises(ValueError, match="looks like a loss"):
        load_table(loss_only, columns={"time": "step", "error": "test_cross_entropy"})


@pytest.mark.parametrize("name,word", [("val_loss", "loss"), ("test_cross_entropy", "cross_entropy"),
                                       ("valCE", "ce"), ("ce", "ce"), ("val/nll", "nll"), ("bce_val", "bce"),
                                       ("val_acc", None), ("balanced_accuracy", None), ("precision", None),
                                       ("acceptance", None), ("test_error", None), ("step", None)])
def test_loss_like_names(name, word):
    assert loss_like_name(name) == word


def test_report_of_a_loss_only_log(loss_only, tmp_path, capsys):
    out_dir = tmp_path / "rep"
    rc, _, err = run(["report", loss_only, "--time-col", "step", "--test-loss-col", "test_cross_entropy",
                      "--loss-threshold", "0.1", "--out", out_dir, "--format", "md", "--no-progress"], capsys)
    assert rc == 0, err
    md = (out_dir / "report.md").read_text()
    assert "grokking not measured (loss-only log" in md and "Onsets from the log" in md
    assert "P_grok = 0" not in md and (out_dir / "figures" / "metrics-csv-losses.png").is_file()

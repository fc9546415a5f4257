"""A run whose test error levels off above zero gets a hint naming the floor and --tolerance (issue 24).

Planted: integer counts of wrong examples on a 5646-example test set, logged as float32
percent accuracies (Lightning); one run levels off at 21 wrong examples, one is still
falling when the log ends, one groks. Expectations come from the counts."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from comparison.cli import main

N = 5646
STEPS = np.arange(0, 6000, 50)


def _wrong(t_zero: float, floor: int) -> np.ndarray:
    w = np.round(N * np.clip(t_zero - STEPS, 0, None) ** 1.5 / 2e5)
    return np.maximum(np.minimum(w, 0.95 * N), floor).astype(int)


def _log(tmp_path):
    runs = {"groks": _wrong(3000, 0), "floor": _wrong(3000, 21), "late": _wrong(9000, 0)}
    rows = [pd.DataFrame({"run": name, "step": STEPS,
                          "val_accuracy": (100 * (1 - w / N)).astype(np.float32)}) for name, w in runs.items()]
    f = tmp_path / "metrics.csv"
    pd.concat(rows).to_csv(f, index=False)
    return f, runs


def _fit(capsys, *argv):
    rc = main(["fit", *map(str, argv), "--time-col", "step", "--accuracy-col", "val_accuracy", "--n-boot", "20"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    return out


def test_floor_hint_names_the_floor_and_tolerance(tmp_path, capsys):
    f, runs = _log(tmp_path)
    doc = json.loads(_fit(capsys, f, "--json", "-"))
    by = {r["run"]: r for r in doc["runs"]}
    assert "5646 test examples" in doc["tolerance_source"]
    assert by["groks"]["groks"] and not by["floor"]["groks"] and not by["late"]["groks"]
    assert by["floor"]["floor_examples"] == 21 and by["floor"]["levels_off"]
    assert abs(by["floor"]["floor"] - 21 / N) < 1e-6
    assert not by["late"]["levels_off"] and by["late"]["floor_examples"] == runs["late"].min()
    hint = doc["floor_hint"]
    assert hint["n_runs"] == 1 and abs(hint["floor"] - 21 / N) < 1e-6
    assert any("21 wrong test examples" in n and "--tolerance" in n for n in doc["notes"])
    out = _fit(capsys, f)
    line = next(ln for ln in out.splitlines() if "t_eps floor" in ln)
    assert "levels off at" in line and "21 wrong test examples" in line and "--tolerance" in line
    late = next(ln for ln in out.splitlines() if "t_eps late" in ln)
    assert "still falling" in late
    # the suggested tolerance makes the levelled-off run grok, at its first step on the floor
    doc2 = json.loads(_fit(capsys, f, "--tolerance", f"{hint['tolerance']:.6g}", "--json", "-"))
    by2 = {r["run"]: r for r in doc2["runs"]}
    assert by2["floor"]["groks"] and by2["floor"]["t_eps"] == float(STEPS[np.argmax(runs["floor"] <= 21)])
    assert doc2.get("floor_hint") is None


def test_no_hint_when_every_run_groks(tmp_path, capsys):
    f = tmp_path / "ok.csv"
    pd.DataFrame({"step": STEPS, "val_accuracy": 100 * (1 - _wrong(3000, 0) / N)}).to_csv(f, index=False)
    doc = json.loads(_fit(capsys, f, "--json", "-"))
    assert doc["floor_hint"] is None and not any("levels off" in n for n in doc["notes"])


def test_a_high_plateau_gets_no_tolerance_hint(tmp_path, capsys):
    f = tmp_path / "flat.csv"
    pd.DataFrame({"step": STEPS, "val_accuracy": 100 * (1 - np.maximum(_wrong(3000, 0), 1700) / N)}).to_csv(f, index=False)
    out = _fit(capsys, f)
    assert "far above zero" in out and "--tolerance 0." not in out

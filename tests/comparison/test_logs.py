"""Training logs as researchers write them, fitted from the CLI without glue (issue 12).

Every log here is written by the test from planted integer error counts on a
finite test set, so the expected t_eps of each run is read off the plant, not
the code: with the default tolerance (one test example) t_eps is the first
logged step at which at most one test example is wrong.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from comparison import load_table
from comparison._io import restore_nonfinite
from comparison.cli import main

N_TEST = 200  # quantum 0.005


def counts_curve(t_zero: int, steps: np.ndarray, nu: float = 1.5, scale: float = 2e3) -> np.ndarray:
    """Wrong test examples at each step: round(N (t_zero - t)^nu / scale), capped at 90 %."""
    tau = np.clip(t_zero - steps, 0, None).astype(float)
    return np.minimum(np.round(N_TEST * tau ** nu / scale), 0.9 * N_TEST).astype(int)


def expected_t_eps(steps: np.ndarray, wrong: np.ndarray, *, definition: str = "first") -> float:
    ok = wrong <= 1
    if not ok.any():
        return float("nan")
    if definition == "first":
        return float(steps[np.argmax(ok)])
    if definition == "sustained":
        if not ok[-1]:
            return float("nan")
        last_bad = np.nonzero(~ok)[0].max()
        return float(steps[last_bad + 1])
    last_ok = np.nonzero(ok)[0].max()
    bad_before = np.nonzero(~ok[:last_ok])[0]
    return float(steps[bad_before.max() + 1 if bad_before.size else 0])


def run(argv, capsys):
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def fit_json(capsys, *argv):
    rc, out, err = run(["fit", *map(str, argv), "--n-boot", "50", "--json", "-"], capsys)
    assert rc == 0, err
    return restore_nonfinite(json.loads(out))  # strict JSON: NaN is null + a reason; read it back as NaN


def by_run(doc):
    return {r["run"]: r for r in doc["runs"]}


def test_lightning_percent_nan_interleaved_one_file_per_seed(tmp_path, capsys):
    """metrics.csv in percent, train and val metrics on alternating rows, one directory per seed."""
    steps = np.arange(0, 3000, 10)
    want, paths = {}, []
    for s, tz in enumerate((1500, 1710, 1930)):
        wrong = counts_curve(tz, steps)
        rows = []
        for st, w in zip(steps, wrong):
            rows.append({"epoch": st // 100, "step": st, "train_acc": 100.0 if st > 400 else 50.0, "val_acc": np.nan})
            rows.append({"epoch": st // 100, "step": st + 5, "train_acc": np.nan, "val_acc": 100 * (1 - w / N_TEST)})
        d = tmp_path / f"seed{s}"
        d.mkdir()
        pd.DataFrame(rows).to_csv(d / "metrics.csv", index=False)
        paths.append(d / "metrics.csv")
        want[f"seed{s}/metrics"] = expected_t_eps(steps + 5, wrong)
    doc = fit_json(capsys, *paths, "--time-col", "step", "--accuracy-col", "val_acc",
                   "--train-accuracy-col", "train_acc", "--time-unit", "step")
    got = by_run(doc)
    assert {k: got[k]["t_eps"] for k in want} == want
    assert doc["n_runs"] == 3 and doc["n_grok"] == 3 and doc["n_reentry"] == 0 and doc["scale"] == "percent"
    assert abs(doc["tolerance"] - 1.02 / N_TEST) < 1e-9 and "one test example" in doc["tolerance_source"]
    assert all(got[k]["t_train"] == 410.0 for k in want)  # the first logged train row at 100 % (st > 400)
    assert any(f"dropped {len(steps) * 3} of {len(steps) * 6} rows" in n for n in doc["notes"])
    nu = doc["nu"]
    assert nu["kind"] == "aligned" and "< 10 runs" in nu["flags"] and nu["weak"]
    rc, out, _ = run(["fit", *map(str, paths), "--time-col", "step", "--accuracy-col", "val_acc", "--n-boot", "20"],
                     capsys)
    assert rc == 0 and "weak: " in out and "< 10 runs" in out and "t_eps seed1/metrics" in out


def test_dict_of_lists_json_single_run(tmp_path, capsys):
    steps = np.arange(0, 4000, 4)
    wrong = counts_curve(2600, steps, scale=8e3)
    f = tmp_path / "log.json"
    f.write_text(json.dumps({"epoch": steps.tolist(), "test_acc": (1 - wrong / N_TEST).tolist(),
                             "train_acc": [1.0] * steps.size}))
    doc = fit_json(capsys, f, "--time-col", "epoch", "--accuracy-col", "test_acc", "--train-accuracy-col", "train_acc")
    assert doc["runs"][0]["t_eps"] == expected_t_eps(steps, wrong) and doc["scale"] == "fraction"
    nu = doc["nu"]
    assert nu["kind"] == "single-run" and "single-run" in nu["label"] and "block bootstrap" in nu["ci_method"]
    assert nu["weak"] and "< 10 runs" in nu["flags"]
    assert nu["ci"][0] < nu["value"] < nu["ci"][1]


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "tsv", "records"])
def test_run_column_never_groks_and_reentry(tmp_path, capsys, fmt):
    """One table with a run column: a normal run, one that never groks, one back at 2 % after 0."""
    steps = np.arange(0, 2000, 10)
    normal = counts_curve(1200, steps)
    never = np.maximum(counts_curve(5000, steps), 20)
    back = counts_curve(1000, steps).copy()
    back[steps >= 1600] = 4  # 2 % of the test set, after reaching 0
    frames = [pd.DataFrame({"seed": name, "it": steps, "err": w / N_TEST})
              for name, w in (("a", normal), ("never", never), ("back", back))]
    df = pd.concat(frames, ignore_index=True)
    f = tmp_path / f"runs.{ {'records': 'json'}.get(fmt, fmt) }"
    if fmt == "jsonl":
        df.to_json(f, orient="records", lines=True)
    elif fmt == "parquet":
        df.to_parquet(f)
    elif fmt == "tsv":
        df.to_csv(f, sep="\t", index=False)
    else:
        f.write_text(df.to_json(orient="records"))
    for definition in ("first", "sustained", "last-entry"):
        doc = fit_json(capsys, f, "--time-col", "it", "--error-col", "err", "--run-col", "seed",
                       "--transition", definition)
        got = by_run(doc)
        assert got["a"]["t_eps"] == expected_t_eps(steps, normal, definition=definition)
        assert np.isnan(float(got["never"]["t_eps"])) and not got["never"]["groks"]  # null + reason, restored
        exp_back = expected_t_eps(steps, back, definition=definition)
        assert (np.isnan(float(got["back"]["t_eps"])) and np.isnan(exp_back)) or got["back"]["t_eps"] == exp_back
        assert doc["n_reentry"] == 1 and doc["reentry_runs"] == ["back"] and got["back"]["reentry"]
        assert doc["n_runs"] == 3 and doc["n_grok"] == (2 if definition != "sustained" else 1)
    assert expected_t_eps(steps, back, definition="last-entry") == expected_t_eps(steps, back)  # one stretch


def test_nothing_groks_still_reports(tmp_path, capsys):
    f = tmp_path / "flat.csv"
    pd.DataFrame({"t": np.arange(50.0), "test_error": 0.3}).to_csv(f, index=False)
    doc = fit_json(capsys, f)
    assert doc["n_grok"] == 0 and "error" in doc["nu"] and "at least 1 run" in doc["nu"]["error"]


def test_scale_auto_refuses_ambiguous_and_bad_columns(tmp_path, capsys):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    pd.DataFrame({"t": [0, 1, 2, 3], "acc": [40.0, 80.0, 100.0, 100.0]}).to_csv(a, index=False)
    pd.DataFrame({"t": [0, 1, 2, 3], "acc": [0.4, 0.8, 1.0, 1.0]}).to_csv(b, index=False)
    rc, _, err = run(["fit", str(a), str(b), "--accuracy-col", "acc"], capsys)
    assert rc == 2 and "columns disagree" in err and "--scale" in err
    rc, _, err = run(["fit", str(a), str(b), "--accuracy-col", "acc", "--scale", "fraction"], capsys)
    assert rc == 2 and "[0, 1]" in err
    tiny = tmp_path / "tiny.csv"
    pd.DataFrame({"t": [0, 1, 2, 3], "test_error": [0.008, 0.004, 0.0, 0.0]}).to_csv(tiny, index=False)
    rc, _, err = run(["fit", str(tiny)], capsys)
    assert rc == 2 and "ambiguous" in err
    rc, _, err = run(["fit", str(a)], capsys)
    assert rc == 2 and "missing columns ['test_error']" in err and "--accuracy-col" in err and "acc" in err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"t": [0, 1, 2], "test_error": [0.5, 0.1]}))
    with pytest.raises(ValueError, match="equal-length lists"):
        load_table(bad)


def test_python_api_columns_and_tolerance(tmp_path):
    f = tmp_path / "r.csv"
    pd.DataFrame({"step": [0, 10, 20, 30, 40], "val_error": [50.0, 20.0, 0.5, 0.0, 0.0]}).to_csv(f, index=False)
    rs = load_table(f, columns={"time": "step", "error": "val_error"}, scale="percent", tolerance=0.0)
    assert float(rs.summary["t_eps"].iloc[0]) == 30.0 and rs.config["load"]["scale"] == "percent"
    rs2 = load_table(f, columns={"time": "step", "error": "val_error"}, scale="percent", tolerance=0.01)
    assert float(rs2.summary["t_eps"].iloc[0]) == 20.0
    with pytest.raises(ValueError, match="unknown keys"):
        load_table(f, columns={"tme": "step"})
    with pytest.raises(ValueError, match="tolerance must be in"):
        load_table(f, columns={"time": "step", "error": "val_error"}, tolerance=2.0)


def _lightning_metrics(path, n_val: int, acc_scale: float, dtype=np.float64):
    """A Lightning CSVLogger metrics.csv: train and val rows interleaved (NaN elsewhere), len_val_ds column."""
    steps = np.arange(0, 6000, 50)
    wrong = np.minimum(np.round(n_val * np.clip(3000 - steps, 0, None) ** 1.5 / 2e5), 0.95 * n_val).astype(int)
    rows = []
    for i, (st, w) in enumerate(zip(steps, wrong)):
        rows.append({"epoch": i, "step": st, "train_loss": 0.1, "val_accuracy": np.nan, "len_val_ds": np.nan})
        rows.append({"epoch": i, "step": st, "train_loss": np.nan,
                     "val_accuracy": float(dtype(acc_scale * (1 - w / n_val))), "len_val_ds": n_val})
    pd.DataFrame(rows).to_csv(path, index=False)
    return steps, wrong


@pytest.mark.parametrize("acc_scale", [100.0, 1.0])
def test_lightning_scale_percent_exits_zero(tmp_path, capsys, acc_scale):
    """Issue 24 item 1: `--scale percent` on a Lightning metrics.csv never gives a tolerance >= 1.

    With fraction accuracies read as percent every error is >= 0.99 and the old quantum
    inference returned ~0.99 (tolerance 1.009, refused); a quantum of > 0.1 (fewer than
    10 test examples) is no test set and is now not inferred."""
    f = tmp_path / "metrics.csv"
    steps, wrong = _lightning_metrics(f, 5646, acc_scale, np.float32)
    rc, out, err = run(["fit", str(f), "--time-col", "step", "--accuracy-col", "val_accuracy", "--scale", "percent",
                        "--n-boot", "20", "--json", "-"], capsys)
    assert rc == 0, err
    doc = json.loads(out)
    assert 0 <= doc["tolerance"] < 1
    if acc_scale == 100.0:  # float32 percent: the 5646-example test set is still recognised
        assert "5646 test examples" in doc["tolerance_source"]
        assert doc["runs"][0]["t_eps"] == expected_t_eps_n(steps, wrong)


def expected_t_eps_n(steps: np.ndarray, wrong: np.ndarray) -> float:
    return float(steps[np.argmax(wrong <= 1)])


def test_float32_and_float64_logs_give_the_same_quantum():
    from comparison.estimate.transitions import infer_error_quantum

    w = np.arange(0, 5000)
    for n in (997, 5646, 10000):
        a64 = 1 - w[w < n] / n
        a32 = a64.astype(np.float32).astype(float)
        assert round(1 / infer_error_quantum(1 - a64)) == n == round(1 / infer_error_quantum(1 - a32))
    assert np.isnan(infer_error_quantum(1 - np.array([0.2, 0.5, 0.8, 1.0]) / 100))  # fractions read as percent


def test_fit_table_lists_first_runs_and_counts_the_rest(tmp_path, capsys):
    """25 planted runs (run r reaches zero at step 100 + 10 r; tolerance 0): the table lists RUN_ROWS of them one by one
    and counts the other 25 - RUN_ROWS; --json keeps every run's t_eps."""
    from comparison.cli.fit_rows import RUN_ROWS

    steps = np.arange(0, 400, 10)
    frames = [pd.DataFrame({"run": f"r{r:02d}", "t": steps,
                            "test_error": np.clip((100 + 10 * r - steps) / 200, 0, None)}) for r in range(25)]
    f = tmp_path / "runs.csv"
    pd.concat(frames, ignore_index=True).to_csv(f, index=False)
    rc, out, _ = run(["fit", str(f), "--tolerance", "0", "--n-boot", "20", "--out", str(tmp_path / "fits.json")],
                     capsys)
    listed = [line.split()[1] for line in out.splitlines() if line.strip().startswith("t_eps r")]
    assert rc == 0 and len(listed) == RUN_ROWS < 25
    assert f"and {25 - RUN_ROWS} more runs" in out
    doc = fit_json(capsys, f, "--tolerance", "0", "--out", tmp_path / "fits2.json")
    assert {r["run"]: r["t_eps"] for r in doc["runs"]} == {f"r{r:02d}": 100 + 10 * r for r in range(25)}
    assert listed == [r["run"] for r in doc["runs"]][:RUN_ROWS]

"""NumPy histories (.npy / .npz) read by ``fit``: planted runs × steps arrays, caps, refusals."""
from __future__ import annotations

import json

import numpy as np
import pytest

from comparison.cli import main
from comparison.runset.arrays import read_array_log

N_TEST = 200


def planted(n_runs: int = 3, n_steps: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Errors (one test example = 1/200) falling by one example a step; returns them and, per run, the
    first step index with at most one wrong example (the one-example tolerance)."""
    zero_at = np.array([20 + 10 * r for r in range(n_runs)])
    idx = np.arange(n_steps)
    wrong = np.clip(zero_at[:, None] - idx[None, :], 0, None)
    first_ok = np.argmax(wrong <= 1, axis=1)
    return wrong / N_TEST, first_ok


def fit_json(capsys, *argv):
    rc = main(["fit", *map(str, argv), "--n-boot", "20", "--json", "-"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    return json.loads(out)


def test_npz_runs_by_steps_index_is_time(tmp_path, capsys):
    err, zero_at = planted()
    f = tmp_path / "hist.npz"
    np.savez(f, test_error=err)
    doc = fit_json(capsys, f)
    got = sorted(float(r["t_eps"]) for r in doc["runs"])
    assert got == sorted(float(z) for z in zero_at) and doc["n_runs"] == 3


def test_npz_with_time_array_and_structured_npy(tmp_path, capsys):
    err, zero_at = planted(n_runs=1)
    steps = np.arange(err.shape[1]) * 50
    f = tmp_path / "one.npz"
    np.savez_compressed(f, step=steps, acc=1 - err[0])
    doc = fit_json(capsys, f, "--time-col", "step", "--accuracy-col", "acc")
    assert float(doc["runs"][0]["t_eps"]) == float(steps[zero_at[0]])
    rec = np.zeros(err.shape[1], dtype=[("step", "i8"), ("test_error", "f8")])
    rec["step"], rec["test_error"] = steps, err[0]
    g = tmp_path / "rec.npy"
    np.save(g, rec)
    doc = fit_json(capsys, g, "--time-col", "step")
    assert float(doc["runs"][0]["t_eps"]) == float(steps[zero_at[0]])


def test_plain_npy_is_named_by_its_stem(tmp_path):
    f = tmp_path / "test_error.npy"
    np.save(f, np.array([0.5, 0.2, 0.0]))
    df = read_array_log(f, max_bytes=10 ** 6, max_rows=10)
    assert list(df["test_error"]) == [0.5, 0.2, 0.0] and list(df["t"]) == [0, 1, 2]


def test_caps_pickle_and_shapes_refused(tmp_path):
    f = tmp_path / "h.npz"
    np.savez(f, test_error=np.zeros((4, 100)))
    with pytest.raises(ValueError, match=r"h\.npz.*400 rows.*limit of 399"):
        read_array_log(f, max_bytes=10 ** 7, max_rows=399)
    with pytest.raises(ValueError, match=r"h\.npz.*after decompression"):
        read_array_log(f, max_bytes=1000, max_rows=10 ** 6)
    g = tmp_path / "obj.npy"
    np.save(g, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=r"obj\.npy.*allow_pickle=False"):
        read_array_log(g, max_bytes=10 ** 6, max_rows=10)
    h = tmp_path / "bad.npz"
    np.savez(h, test_error=np.zeros((2, 5)), t=np.arange(4))
    with pytest.raises(ValueError, match=r"bad\.npz.*disagree in shape"):
        read_array_log(h, max_bytes=10 ** 6, max_rows=100)


def test_cli_one_line_error_names_the_file(tmp_path, capsys):
    f = tmp_path / "cube.npz"
    np.savez(f, test_error=np.zeros((2, 2, 2)))
    rc = main(["fit", str(f)])
    err = capsys.readouterr().err
    assert rc != 0 and "cube.npz" in err and "2-D" in err

"""A fits file belongs to its input by resolved path and file checksums, never by spelling (issue 24).

The review's failure: ``grokcheck fit runs/ball`` then ``grokcheck fit ./runs/ball`` was
refused ("it is not the grokcheck fits file of './runs/ball'")."""
from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest

import comparison.pipeline.core as core
from comparison.cli import main
from comparison.errors import ConfigError
from comparison.pipeline import load_fits


def run(argv, capsys):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def ball(tmp_path, capsys):
    rs = tmp_path / "runs" / "ball"
    rc, _, err = run(["simulate", "perceptron-ball", "--D", "3", "--N", "20", "--eps", "1.5", "--set", "n_replicas=30",
                      "--no-progress", "--out", rs], capsys)
    assert rc == 0, err
    return rs


def _log(path, t_zero=60.0):
    t = np.arange(0.0, 100.0)
    pd.DataFrame({"t": t, "test_error": np.clip(0.004 * np.clip(t_zero - t, 0, None) ** 1.5, 0, 0.5)}).to_csv(
        path, index=False)


def _no_refit(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("refitted although the fits are current")

    monkeypatch.setattr(core, "fit_runset", refuse)


def test_any_spelling_of_the_same_run_set(ball, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for spelling in ("runs/ball", "./runs/ball", str(ball), "runs/../runs/ball/"):
        rc, _, err = run(["fit", spelling, "--n-boot", "20"], capsys)
        assert rc == 0, (spelling, err)
    (tmp_path / "other").mkdir()
    monkeypatch.chdir(tmp_path / "other")
    rc, _, err = run(["fit", "../runs/ball"], capsys)  # default options: the ones report uses
    assert rc == 0, err
    doc = json.loads((ball / "fits.json").read_text())
    assert doc["source"]["resolved"] == [str(ball.resolve())]
    names = sorted(i["name"] for i in doc["source"]["inputs"])
    assert {"curves.parquet", "manifest.json", "summary.parquet"} <= set(names) and "fits.json" not in names
    # report reads these fits (no refit) from yet another spelling
    _no_refit(monkeypatch)
    rc, _, err = run(["report", f"{tmp_path}/runs/./ball", "--out", tmp_path / "rep", "--format", "md",
                      "--no-progress"], capsys)
    assert rc == 0, err


def test_copied_run_set_keeps_its_fits_under_its_new_name(ball, tmp_path, capsys, monkeypatch):
    assert run(["fit", ball], capsys)[0] == 0
    copy = tmp_path / "elsewhere" / "ball-copy"
    shutil.copytree(ball, copy)
    _no_refit(monkeypatch)
    rc, _, err = run(["report", copy, "--out", tmp_path / "rep", "--format", "md", "--no-progress"], capsys)
    assert rc == 0, err
    assert "Run set `ball-copy`" in (tmp_path / "rep" / "report.md").read_text()


def test_edited_log_makes_its_fits_stale(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _log(tmp_path / "log.csv", 60.0)
    assert run(["fit", "log.csv", "--n-boot", "20"], capsys)[0] == 0
    first = json.loads((tmp_path / "log.csv.fits.json").read_text())
    _log(tmp_path / "log.csv", 70.0)  # edited: a later transition
    rc, _, err = run(["report", "./log.csv", "--out", "rep", "--format", "md", "--no-progress"], capsys)
    assert rc == 0, err
    second = json.loads((tmp_path / "log.csv.fits.json").read_text())
    assert first["source"]["inputs"] != second["source"]["inputs"]
    t1, t2 = (d["config"]["load"]["runs"][0]["t_eps"] for d in (first, second))
    assert (t1, t2) == (60.0, 70.0)  # the planted t_zero: error exactly 0 from there on
    assert run(["fit", str(tmp_path / "log.csv"), "--n-boot", "20"], capsys)[0] == 0  # absolute spelling


def test_copied_log_may_replace_its_copied_fits_but_not_another_logs(tmp_path, capsys):
    _log(tmp_path / "a.csv")
    assert run(["fit", tmp_path / "a.csv", "--n-boot", "20"], capsys)[0] == 0
    shutil.copy(tmp_path / "a.csv", tmp_path / "b.csv")
    shutil.copy(tmp_path / "a.csv.fits.json", tmp_path / "b.csv.fits.json")
    assert run(["fit", tmp_path / "b.csv", "--n-boot", "20"], capsys)[0] == 0  # same contents: its fits
    _log(tmp_path / "c.csv", 40.0)
    rc, _, err = run(["fit", tmp_path / "c.csv", "--out", tmp_path / "a.csv.fits.json", "--n-boot", "20"], capsys)
    assert rc == 2 and "is not the grokcheck fits file of" in err


def test_symlinked_or_non_strict_fits_are_rejected(ball, tmp_path, capsys):
    assert run(["fit", ball, "--out", tmp_path / "real.json", "--n-boot", "20"], capsys)[0] == 0
    os.symlink(tmp_path / "real.json", ball / "fits.json")
    with pytest.raises(ConfigError, match="symbolic link"):
        load_fits(ball / "fits.json")
    rc, _, err = run(["report", ball, "--out", tmp_path / "rep", "--format", "md", "--no-progress"], capsys)
    assert rc == 2 and "not a regular file" in err
    (ball / "fits.json").unlink()
    text = (tmp_path / "real.json").read_text()
    doc = json.loads(text)
    doc["nu"]["nu"] = float("nan")
    (ball / "fits.json").write_text(json.dumps(doc))  # bare NaN: not strict JSON
    assert "NaN" in (ball / "fits.json").read_text()
    with pytest.raises(ConfigError, match="not strict JSON"):
        load_fits(ball / "fits.json")
    rc, _, err = run(["fit", ball, "--n-boot", "20"], capsys)
    assert rc == 2 and "is not the grokcheck fits file" in err

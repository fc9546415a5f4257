"""``--overwrite`` never loses data grokcheck did not write (issue 15, data loss).

Each case builds a directory or file a user might own, runs the command that
used to wipe it, and checks byte for byte that it is untouched and that the
refusal is one line naming the path.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from comparison.runset import check_replaceable, write_runset
from comparison.cli import main

import pandas as pd


class Result:
    def __init__(self):
        self.config = {"generator": "test.synthetic", "seed": 0}
        self.curves = pd.DataFrame({"run": [0, 0], "t": [0.0, 1.0], "test_error": [0.5, 0.0]})
        self.summary = pd.DataFrame({"run": [0], "t_train": [0.5], "t_eps": [1.0], "t_G": [0.5],
                                     "groks": [True], "diverged": [False]})

SIM = ["simulate", "perceptron-1d", "--N", "10", "--eps", "1.5", "--set", "n_replicas=20", "--no-progress", "--overwrite"]


def digest(path: Path) -> dict[str, str]:
    if path.is_file():
        return {"": hashlib.sha256(path.read_bytes()).hexdigest()}
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def refused(argv, capsys) -> str:
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.startswith("grokcheck: error: ") and err.count("\n") == 1
    return err


def test_overwrite_refuses_a_users_directory(tmp_path, capsys):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "thesis.tex").write_text("\\section{Years of work}\n")
    before = digest(notes)
    err = refused(SIM + ["--out", str(notes)], capsys)
    assert "not a grokcheck run set" in err
    assert digest(notes) == before


def test_overwrite_refuses_a_regular_file(tmp_path, capsys):
    f = tmp_path / "precious.txt"
    f.write_text("keep me")
    err = refused(SIM + ["--out", str(f)], capsys)
    assert "is a file" in err and f.read_text() == "keep me"


def test_overwrite_refuses_cwd_and_its_parents(tmp_path, capsys, monkeypatch):
    proj = tmp_path / "proj"
    sub = proj / "sub"
    sub.mkdir(parents=True)
    (proj / "thesis.tex").write_text("x")
    monkeypatch.chdir(sub)
    for out in (".", "..", str(proj)):
        before = digest(proj)
        err = refused(SIM + ["--out", out], capsys)
        assert "working directory" in err or "not a grokcheck run set" in err
        assert digest(proj) == before


def test_overwrite_refuses_a_runset_holding_foreign_files(tmp_path, capsys):
    out = tmp_path / "rs"
    assert main(SIM + ["--out", str(out)]) == 0
    (out / "my-analysis.ipynb").write_text("{}")
    before = digest(out)
    err = refused(SIM + ["--out", str(out)], capsys)
    assert "my-analysis.ipynb" in err and digest(out) == before


def test_overwrite_refuses_a_symlink(tmp_path, capsys):
    real = tmp_path / "real"
    real.mkdir()
    (real / "a").write_text("a")
    link = tmp_path / "link"
    os.symlink(real, link)
    refused(SIM + ["--out", str(link)], capsys)
    assert (real / "a").read_text() == "a" and link.is_symlink()


def test_overwrite_replaces_a_real_runset(tmp_path, capsys):
    out = tmp_path / "rs"
    assert main(SIM + ["--out", str(out), "--seed", "1"]) == 0
    first = digest(out)
    assert main(SIM + ["--out", str(out), "--seed", "2"]) == 0
    assert digest(out) != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rs"]


def test_api_guard_is_the_same(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "manifest.json").write_text('{"schema": "someone.else"}')
    with pytest.raises(ValueError, match="not a grokcheck run set"):
        check_replaceable(d)
    with pytest.raises(ValueError, match="not a grokcheck run set"):
        write_runset(Result(), d, overwrite=True)
    check_replaceable(tmp_path / "does-not-exist")  # nothing to lose: fine

"""No write goes through a symbolic link to outside the output (issue 26, item 1 / security).

Links planted where grokcheck writes (a figure, the record, the paper-data cache, a demo
run set) point at files and directories outside; their bytes are compared before and
after. The atomic writer replaces a link instead of following it.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from comparison._io import write_bytes_atomic, write_json_atomic

from .fixtures import base_1d
from .harness import cli, digest


@pytest.fixture()
def outside(tmp_path: Path) -> Path:
    d = tmp_path / "outside"
    d.mkdir()
    (d / "precious.txt").write_text("precious")
    (d / "sub").mkdir()
    (d / "sub" / "keep.txt").write_text("keep")
    return d


def test_atomic_writer_replaces_a_link_instead_of_following_it(tmp_path, outside):
    before = digest(outside)
    to_file, to_dir = tmp_path / "a.json", tmp_path / "b.json"
    to_file.symlink_to(outside / "precious.txt")
    to_dir.symlink_to(outside / "sub")
    write_json_atomic(to_file, {"x": 1})
    write_bytes_atomic(to_dir, b"new")
    assert not to_file.is_symlink() and to_file.read_text().startswith("{")
    assert not to_dir.is_symlink() and to_dir.read_bytes() == b"new"
    assert digest(outside) == before


def test_fit_figures_never_write_through_links(tmp_path, outside):
    rs = base_1d(tmp_path)
    figs = tmp_path / "figs"
    figs.mkdir()
    (figs / "nu-fit.png").symlink_to(outside / "precious.txt")
    (figs / "t-G.png").symlink_to(outside / "sub")
    (figs / ".grokcheck-written.json").symlink_to(outside / "record.json")
    before = digest(outside)
    res = cli("fit", rs, "--figures", figs)
    assert res.rc == 2 and "nu-fit.png" in res.err and "--overwrite" in res.err
    assert digest(outside) == before
    res = cli("fit", rs, "--figures", figs, "--overwrite")
    assert res.rc == 0, res.err
    assert digest(outside) == before and not (outside / "record.json").exists()
    written = sorted(p.name for p in figs.iterdir())
    assert "nu-fit.png" in written and not any(p.is_symlink() for p in figs.iterdir())
    assert (figs / "nu-fit.png").read_bytes().startswith(b"\x89PNG")


def test_fit_figures_dir_that_is_a_link_is_refused(tmp_path, outside):
    rs = base_1d(tmp_path)
    (tmp_path / "figs").symlink_to(outside)
    before = digest(outside)
    res = cli("fit", rs, "--figures", tmp_path / "figs", "--overwrite")
    assert res.rc == 2 and "symbolic link" in res.err
    assert digest(outside) == before


def test_report_paper_cache_link_is_refused_before_any_work(tmp_path, outside):
    rs = base_1d(tmp_path)
    out = tmp_path / "rep"
    out.mkdir()
    (out / "paper-data").symlink_to(outside)
    before = digest(outside)
    res = cli("report", rs, "--out", out, "--paper", "--paper-replicas", "20", "--no-progress")
    assert res.rc == 2 and "paper-data" in res.err and res.err.count("\n") == 1
    assert digest(outside) == before and not (out / "report.md").exists()


@pytest.mark.parametrize("where", ["report/paper-data", "report/figures", "runs/perceptron-1d", "verification.csv",
                                   "demo.json"])
def test_demo_refuses_links_in_its_output_before_any_work(tmp_path, outside, where):
    root = tmp_path / "demo"
    link = root / where
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside / ("precious.txt" if where.endswith((".csv", ".json")) else "sub"))
    before = digest(outside)
    res = cli("demo", "--out", root, "--quick", "--no-progress")
    assert res.rc == 2 and Path(where).name in res.err, res.err
    assert digest(outside) == before
    assert not (root / "runs" / "perceptron-ball-d5").exists()      # refused before any work

"""Nothing grokcheck did not write is ever deleted or overwritten (issue 26, data-loss group).

Each case plants files a user might own, runs the command that used to lose
them, and compares byte digests before and after; refusals are one line.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from comparison.cli import main

SIM = ["simulate", "perceptron-1d", "--N", "10", "--eps", "1.5", "--set", "n_replicas=20", "--no-progress"]


def digest(path: Path) -> dict[str, str]:
    if path.is_file():
        return {"": hashlib.sha256(path.read_bytes()).hexdigest()}
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file() and not p.is_symlink()}


def refused(argv: list[str], capsys) -> str:
    rc = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.startswith("grokcheck: error: ") and err.count("\n") == 1, err
    return err


@pytest.fixture()
def runset(tmp_path: Path) -> Path:
    rs = tmp_path / "rs"
    assert main(SIM + ["--out", str(rs)]) == 0
    return rs


def test_report_never_deletes_or_overwrites_a_users_files(tmp_path, runset, capsys):
    out = tmp_path / "paper"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "fig1.png").write_bytes(b"\x89PNG my own figure")
    (out / "figures" / "draft.pdf").write_bytes(b"%PDF my draft")
    (out / "report.md").write_text("# my paper, not grokcheck's\n")
    before = digest(out)
    err = refused(["report", runset, "--out", out, "--no-progress"], capsys)
    assert "report.md" in err and "--overwrite" in err
    assert digest(out) == before
    # --overwrite replaces the report files it names, and still deletes nothing of the user's
    assert main(["report", str(runset), "--out", str(out), "--no-progress", "--overwrite"]) == 0
    after = digest(out)
    assert after["figures/fig1.png"] == before["figures/fig1.png"]
    assert after["figures/draft.pdf"] == before["figures/draft.pdf"]
    assert after["report.md"] != before["report.md"]
    # a second report into the same place needs no --overwrite: those files are grokcheck's own
    assert main(["report", str(runset), "--out", str(out), "--no-progress"]) == 0
    assert digest(out)["figures/fig1.png"] == before["figures/fig1.png"]


def test_report_removes_only_its_own_stale_figures(tmp_path, runset, capsys):
    out = tmp_path / "rep"
    assert main(["report", str(runset), "--out", str(out), "--no-progress"]) == 0
    own = sorted((out / "figures").glob("*.png"))
    assert own
    # pretend an earlier report wrote one more figure, and the user edited one of the others
    from comparison._written import write_owned

    write_owned(out / "figures" / "old-section.png", b"stale own figure")
    edited = own[0]
    edited.write_bytes(b"the user's edit")
    err = refused(["report", runset, "--out", out, "--no-progress"], capsys)
    assert edited.name in err
    assert main(["report", str(runset), "--out", str(out), "--no-progress", "--overwrite"]) == 0
    assert not (out / "figures" / "old-section.png").exists()      # grokcheck's own, stale: removed
    assert (out / "figures" / edited.name).read_bytes().startswith(b"\x89PNG")   # replaced as asked


def test_stale_write_recovery_touches_only_grokchecks_marked_entries(tmp_path, capsys):
    thesis = tmp_path / ".thesis.old-999999"
    thesis.mkdir()
    (thesis / "ch1.tex").write_text("chapter one")
    emacs = tmp_path / ".emacs.d.old-999997"
    emacs.mkdir()
    (emacs / "init.el").write_text("(setq x 1)")
    fake = tmp_path / ".rs.old-999996"          # the target's own name, but no grokcheck marker
    fake.mkdir()
    (fake / "notes.txt").write_text("mine")
    tmpish = tmp_path / ".rs.tmp-999995-abcd"
    tmpish.mkdir()
    (tmpish / "data.bin").write_bytes(b"\x00" * 10)
    before = digest(tmp_path)
    assert main(SIM + ["--out", str(tmp_path / "rs")]) == 0
    after = digest(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("rs/")} == before
    assert not (tmp_path / "emacs.d").exists()


def test_stale_write_recovery_still_restores_its_own_backup(tmp_path, runset):
    from comparison._io import recover_stale

    backup = runset.parent / ".rs.old-999999"
    os.replace(runset, backup)
    (runset.parent / ".rs.old-999999.grokcheck").write_text("grokcheck atomic_dir\n")
    assert recover_stale(runset) == [f"restored {str(runset)!r} from .rs.old-999999"]
    assert (runset / "manifest.json").is_file()
    assert not (runset.parent / ".rs.old-999999.grokcheck").exists()


@pytest.mark.parametrize("extra", [[], ["--overwrite"]])
def test_fit_json_never_overwrites_the_run_sets_manifest(tmp_path, runset, capsys, extra):
    before = digest(runset)
    err = refused(["fit", runset, "--json", runset / "manifest.json", *extra], capsys)
    assert "manifest.json" in err
    assert {k: v for k, v in digest(runset).items() if k != "fits.json"} == \
        {k: v for k, v in before.items() if k != "fits.json"}


def test_json_file_needs_overwrite_for_a_users_file_and_not_for_its_own(tmp_path, runset, capsys):
    mine = tmp_path / "results.json"
    mine.write_text('{"my": "results"}')
    before = digest(mine)
    refused(["fit", runset, "--json", mine], capsys)
    assert digest(mine) == before
    own = tmp_path / "digest.json"
    assert main(["fit", str(runset), "--json", str(own)]) == 0
    assert main(["fit", str(runset), "--json", str(own)]) == 0      # its own file: replaced freely
    json.loads(own.read_text(), parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))
    assert main(["fit", str(runset), "--json", str(mine), "--overwrite"]) == 0
    capsys.readouterr()


def test_paper_json_file_is_checked_before_any_work(tmp_path, capsys):
    mine = tmp_path / "rows.json"
    mine.write_text("[1, 2, 3]")
    before = digest(mine)
    refused(["paper", "table1", "--n-init", "1", "--json", mine], capsys)
    assert digest(mine) == before


def test_simulate_overwrite_never_deletes_a_directory_named_fits_json(tmp_path, runset, capsys):
    (runset / "fits.json").unlink(missing_ok=True)
    user = runset / "fits.json"
    user.mkdir()
    (user / "important.txt").write_text("keep me")
    before = digest(runset)
    err = refused(SIM + ["--out", runset, "--overwrite"], capsys)
    assert "fits.json" in err
    assert digest(runset) == before


def test_fit_figures_never_write_through_a_link(tmp_path, runset, capsys):
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"precious")
    figs = tmp_path / "figs"
    figs.mkdir()
    (figs / "nu-fit.png").symlink_to(outside)
    refused(["fit", runset, "--figures", figs], capsys)
    assert outside.read_bytes() == b"precious"
    linked = tmp_path / "linked"
    linked.symlink_to(figs)
    refused(["fit", runset, "--figures", linked], capsys)
    assert outside.read_bytes() == b"precious"


def test_demo_refuses_a_linked_output(tmp_path, capsys):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / "demo").symlink_to(target)
    refused(["demo", "--out", tmp_path / "demo", "--quick", "--no-progress"], capsys)
    assert list(target.iterdir()) == []

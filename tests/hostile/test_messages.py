"""Messages (issue 26, item 6): every OS error names its path and cause, problem lists are
capped, temporary names stay short so that long legal names work."""
from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

import comparison._io as cio
from comparison._io import atomic_dir, short_stem, write_bytes_atomic

from .fixtures import base_1d
from .harness import cli

SIM = ["simulate", "perceptron-1d", "--N", "5", "--eps", "0.5", "--replicas", "20", "--no-progress"]


def _one_line_error(res) -> str:
    assert res.rc == 2, (res.rc, res.err)
    assert res.err.startswith("grokcheck: error: ") and res.err.count("\n") == 1, res.err
    assert "[Errno" not in res.err
    return res.err


def test_read_only_file_system_names_the_path_and_the_cause(tmp_path, monkeypatch):
    def ro(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system", "/elsewhere/.tmp-xyz")

    monkeypatch.setattr(cio.tempfile, "mkdtemp", ro)
    err = _one_line_error(cli(*SIM, "--out", tmp_path / "rs"))
    assert str(tmp_path / "rs") in err and "Read-only file system" in err and "EROFS" in err
    assert ".tmp-xyz" not in err


def test_disk_full_names_the_file_and_leaves_no_empty_figures(tmp_path, monkeypatch):
    rs = base_1d(tmp_path)
    real = cio.os.fsync

    def full(fd):
        if os.fstat(fd).st_size > 1000:    # the figures; the small record still goes through
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(cio.os, "fsync", full)
    out = tmp_path / "rep"
    err = _one_line_error(cli("report", rs, "--out", out, "--no-progress"))
    assert "No space left on device" in err and "ENOSPC" in err and str(out / "figures") in err
    assert not (out / "figures").exists()
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_an_os_error_without_a_path_says_so(monkeypatch):
    from comparison.cli import _one_line

    msg = _one_line(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"))
    assert "[Errno" not in msg and "ECONNREFUSED" in msg and "no path" in msg


def test_problem_lists_are_capped(tmp_path):
    rs = base_1d(tmp_path)
    m = json.loads((rs / "manifest.json").read_text())
    m["files"].update({f"bogus-{i}.parquet": {"sha256": "0" * 64, "bytes": 1} for i in range(200_000)})
    (rs / "manifest.json").write_text(json.dumps(m))
    err = _one_line_error(cli("fit", rs))
    assert len(err) < 3000 and "more" in err and "bogus-0.parquet" in err
    assert "… and 199 99" in err


def test_a_single_huge_message_is_capped_at_the_cli():
    from comparison.cli import _one_line

    msg = _one_line(ValueError("columns are: " + ", ".join(f"c{i}" for i in range(10 ** 5))))
    assert len(msg) < 2100 and msg.endswith("more characters)")


@pytest.mark.parametrize("n", [200, 240, 255])
def test_long_legal_names_work(tmp_path, n):
    name = ("r" * n)[:n]
    assert len(short_stem(name).encode()) <= 100
    res = cli(*SIM, "--out", tmp_path / name)
    assert res.rc == 0, res.err
    res = cli(*SIM, "--out", tmp_path / name, "--overwrite")
    assert res.rc == 0, res.err
    assert cli("fit", tmp_path / name, "--json", tmp_path / ("j" * (n - 5) + ".json")).rc == 0
    write_bytes_atomic(tmp_path / ("f" * n), b"x")
    assert (tmp_path / ("f" * n)).read_bytes() == b"x"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [".grokcheck-written.json"]


def test_stale_leftovers_of_a_long_name_are_recovered(tmp_path):
    name = "x" * 250
    target = tmp_path / name
    stale = tmp_path / f".{short_stem(name)}.tmp-999999-abcdefgh"   # a killed writer's half-built dir
    stale.mkdir()
    (stale / ".grokcheck-partial").write_text("grokcheck atomic_dir\n")
    other = tmp_path / f".{short_stem('y' * 250)}.tmp-999999-abcdefgh"   # another target's: untouched
    other.mkdir()
    (other / ".grokcheck-partial").write_text("grokcheck atomic_dir\n")
    with atomic_dir(target) as d:
        (d / "a").write_text("a")
    assert not stale.exists() and other.exists() and (target / "a").read_text() == "a"


def test_long_backups_are_left_to_their_own_target_in_a_sweep_scan(tmp_path):
    """A shortened backup name cannot be restored without its target's full name: a scan of the
    whole directory leaves it alone; a writer of that target restores it."""
    from comparison._io import recover_stale_in

    name = "z" * 250
    backup = tmp_path / f".{short_stem(name)}.old-999999"
    backup.mkdir()
    (backup / "manifest.json").write_text("{}")
    backup.with_name(backup.name + ".grokcheck").write_text("grokcheck atomic_dir\n")
    assert recover_stale_in(tmp_path) == [] and backup.exists()
    assert recover_stale_in(tmp_path, name) and (tmp_path / name / "manifest.json").exists()

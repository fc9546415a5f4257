"""Sweeps cannot hang or mis-count (issue 26, item 5): ``size_key`` is the registry's own
run-count key, a scheduler address has an overall connect deadline and garbage replies are
refused, and damaged advisory state in ``sweep.json`` is rebuilt, never a traceback."""
from __future__ import annotations

import copy
import json
import socket
import threading
import time
from pathlib import Path

import pytest

import comparison.sweep.probe as probe
from comparison.errors import SweepError
from comparison.sweep import run_sweep
from comparison.sweep.config import parse_sweep_config

from .harness import cli

BASE = {"sweep": {"simulator": "perceptron-1d", "seed": 0, "runs_per_setting": 4, "chunk": 2},
        "fixed": {"N": 3, "eps": 0.5}, "grid": {"lam2": [0.0, 0.1]}}


def _cfg(**sweep):
    c = copy.deepcopy(BASE)
    c["sweep"].update(sweep)
    return c


# ------------------------------------------------------------------------------ size_key
@pytest.mark.parametrize("key", ["seed", "N", "eps", "n_init"])
def test_size_key_of_a_registered_simulator_must_be_its_own(key):
    with pytest.raises(ValueError, match="size_key.*n_replicas"):
        parse_sweep_config(_cfg(size_key=key))


def test_size_key_may_repeat_the_registry_key_and_a_custom_one_is_never_a_seed():
    assert parse_sweep_config(_cfg(size_key="n_replicas")).size_key == "n_replicas"
    custom = {"sweep": {"simulator": "tests.comparison.toy_simulator:simulate_toy", "runs_per_setting": 2,
                        "size_key": "seed"}, "fixed": {}}
    with pytest.raises(ValueError, match="size_key"):
        parse_sweep_config(custom)


def test_ball_size_key_D_is_refused():
    cfg = {"sweep": {"simulator": "perceptron-ball", "runs_per_setting": 2, "size_key": "D"},
           "fixed": {"N": 3, "eps": 2.0}, "grid": {"lam2": [0.1]}}
    with pytest.raises(ValueError, match="n_replicas"):
        parse_sweep_config(cfg)


# ------------------------------------------------------------------------------ scheduler
class _Server:
    """A TCP server that accepts and then stays silent, or sends ``reply``."""

    def __init__(self, reply: bytes | None):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.reply, self.conns, self.stop = reply, [], False
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def address(self) -> str:
        return f"tcp://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            self.conns.append(c)
            if self.reply is not None:
                c.sendall(self.reply)

    def close(self) -> None:
        self.stop = True
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.fixture()
def short_deadline(monkeypatch):
    monkeypatch.setattr(probe, "CONNECT_DEADLINE_S", 1.5)


@pytest.mark.parametrize("reply,words", [
    (None, "did not answer within 1.5 s"),
    (b"\xff" * 64, "does not answer like a dask scheduler"),          # would be a 3 EiB allocation
    (b"\x20\x00\x00\x00\x00\x00\x00\x00" + b"\x01" + b"\x00" * 31, "does not answer like a dask scheduler"),
    (b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * 100, "does not answer like a dask scheduler"),
])
def test_a_scheduler_that_hangs_or_answers_garbage_is_refused(tmp_path, short_deadline, reply, words):
    srv = _Server(reply)
    try:
        t0 = time.perf_counter()
        with pytest.raises(SweepError, match=words):
            probe.probe_scheduler(srv.address)
        assert time.perf_counter() - t0 < 1.5 + 1.0          # the overall deadline holds
        with pytest.raises(SweepError, match=words):
            run_sweep(BASE, tmp_path / "sw", scheduler=srv.address, progress=False, retries=0)
        assert not (tmp_path / "sw").exists()          # refused before anything is written
        res = cli("sweep", _toml(tmp_path), "--out", tmp_path / "sw2", "--scheduler", srv.address, "--no-progress")
        assert res.rc == 2 and res.err.count("\n") == 1, res.err
    finally:
        srv.close()


def test_an_address_nobody_listens_on_is_refused(short_deadline):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(SweepError, match="cannot connect"):
        probe.probe_scheduler(f"tcp://127.0.0.1:{port}")
    with pytest.raises(SweepError, match="tcp://HOST:PORT"):
        probe.probe_scheduler("tcp://nohost")


def test_a_real_dask_scheduler_passes_the_probe():
    from distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as cluster:
        probe.probe_scheduler(cluster.scheduler_address)


def _toml(tmp: Path) -> Path:
    p = tmp / "c.toml"
    p.write_text('[sweep]\nsimulator = "perceptron-1d"\nruns_per_setting = 4\nchunk = 2\n'
                 '[fixed]\nN = 3\neps = 0.5\n[grid]\nlam2 = [0.0, 0.1]\n')
    return p


# ------------------------------------------------------------------------------ sweep.json
@pytest.fixture(scope="module")
def done_sweep(tmp_path_factory):
    sw = tmp_path_factory.mktemp("sweep") / "sw"
    assert run_sweep(BASE, sw, n_workers=0, progress=False).n_done == 4
    return sw


def _damaged(done_sweep: Path, tmp_path: Path, text) -> Path:
    import shutil

    sw = tmp_path / "sw"
    shutil.copytree(done_sweep, sw)
    good = json.loads((sw / "sweep.json").read_text())
    (sw / "sweep.json").write_text(text(good) if callable(text) else text)
    return sw


CORRUPT = {
    "deeply nested": "[" * 100000 + "]" * 100000,
    "nested tasks": lambda g: json.dumps(g).replace('"tasks": [', '"tasks": [' + "[" * 50000 + "]" * 50000 + ",", 1),
    "not JSON": "garbage{",
    "wrong types": lambda g: json.dumps({**g, "tasks": "x", "invocations": 5, "settings": 3, "created": [1]}),
    "bad task entries": lambda g: json.dumps({**g, "tasks": [{"index": [1], "attempts_total": "x"}, 5,
                                                             {"index": 0, "error": {"a": 1}, "total_s": "inf"}]}),
    "deep invocation": lambda g: json.dumps({**g, "invocations": [{"x": [[[[1]]]]}, 7]}),
    "config_hash damaged": lambda g: json.dumps({**g, "config_hash": 5}),
    "config damaged": lambda g: json.dumps({**g, "config": [1, 2]}),
}


@pytest.mark.parametrize("name", sorted(CORRUPT))
def test_damaged_sweep_json_is_rebuilt(done_sweep, tmp_path, name):
    sw = _damaged(done_sweep, tmp_path, CORRUPT[name])
    before = sorted(p.name for p in (sw / "runs").rglob("*.parquet"))
    out = run_sweep(BASE, sw, n_workers=0, progress=False)
    assert (out.n_done, out.n_skipped, out.n_run) == (4, 4, 0)      # the finished tasks are recognised
    m = json.loads((sw / "sweep.json").read_text())
    assert [r["state"] for r in m["tasks"]] == ["done"] * 4
    assert isinstance(m["invocations"], list) and all(isinstance(r, dict) for r in m["invocations"])
    assert sorted(p.name for p in (sw / "runs").rglob("*.parquet")) == before
    if name in ("deeply nested", "nested tasks", "not JSON"):
        assert "kept as sweep.json.damaged-" in m["repaired"]["why"]
        assert len(list(sw.glob("sweep.json.damaged-*"))) == 1        # the damaged file is kept, not deleted
    # and readers work on the rebuilt manifest
    assert cli("fit", sw).rc == 0


def test_readers_refuse_a_damaged_manifest_in_one_line(done_sweep, tmp_path):
    for name in ("config damaged", "config_hash damaged", "not JSON", "deeply nested"):
        sw = _damaged(done_sweep, tmp_path / name.replace(" ", "-"), CORRUPT[name])
        res = cli("fit", sw)
        assert res.rc == 2 and res.err.count("\n") == 1 and "sweep.json" in res.err, res.err
        assert "rebuild" in res.err


def test_no_rebuild_over_task_directories_of_another_config(done_sweep, tmp_path):
    sw = _damaged(done_sweep, tmp_path, "garbage{")
    other = _cfg(seed=7)             # same task paths, another config: its keys differ
    before = {p: p.read_bytes() for p in (sw / "runs").rglob("*") if p.is_file()}
    with pytest.raises(SweepError, match="not written by this config"):
        run_sweep(other, sw, n_workers=0, progress=False)
    assert {p: p.read_bytes() for p in (sw / "runs").rglob("*") if p.is_file()} == before


def test_a_users_sweep_json_is_never_overwritten(tmp_path):
    d = tmp_path / "mine"
    d.mkdir()
    (d / "sweep.json").write_text('{"my": "notes"}')
    with pytest.raises(SweepError, match="not a grokcheck sweep manifest"):
        run_sweep(BASE, d, n_workers=0, progress=False)
    assert (d / "sweep.json").read_text() == '{"my": "notes"}'

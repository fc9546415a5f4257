"""Resumable sweeps: same numbers as serial, survive SIGKILL, retries, dying workers, fit/report."""
from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perceptron_theory as pt
from comparison import load_runset
from comparison.cli import main
from comparison.sweep import SweepError, load_sweep, load_sweep_config, read_sweep_manifest, run_sweep

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def config(runs: int = 12, chunk: int = 5, eps: tuple[float, ...] = (0.4, 0.2), seed: int = 3,
           **fixed) -> dict:
    return {"sweep": {"simulator": "sweep_testsim:flaky", "seed": seed, "runs_per_setting": runs, "chunk": chunk,
                      "size_key": "n_replicas"},
            "fixed": {"N": 5, **fixed}, "grid": {"eps": list(eps)}}


def spawned_seed(base: int, k: int, n: int) -> int:
    """The documented seed rule, computed through SeedSequence.spawn."""
    return int(np.random.SeedSequence(base).spawn(n)[k].generate_state(1, dtype=np.uint64)[0]) >> 1


def toml(cfg: dict) -> str:
    def val(v):
        return json.dumps(v).replace("null", '""')
    lines = []
    for table in ("sweep", "fixed", "grid"):
        lines.append(f"[{table}]")
        lines += [f"{k} = {val(v)}" for k, v in cfg[table].items()]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def cluster():
    """One process-based LocalCluster (2 workers x 1 thread) for the whole module."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cl:
        yield cl.scheduler_address


# ----------------------------------------------------------------------------- config
def test_hash_ignores_key_order_and_sees_every_change():
    a = load_sweep_config(config())
    b = load_sweep_config({"grid": {"eps": [0.4, 0.2]}, "fixed": {"N": 5},
                           "sweep": {"size_key": "n_replicas", "chunk": 5, "runs_per_setting": 12, "seed": 3,
                                     "simulator": "sweep_testsim:flaky"}})
    assert a.config_hash == b.config_hash
    for changed in (config(seed=4), config(eps=(0.4, 0.3)), config(chunk=4), config(runs=13), config(sleep=0.1)):
        assert load_sweep_config(changed).config_hash != a.config_hash


def test_tasks_cover_every_run_once_with_the_documented_seeds():
    cfg = load_sweep_config(config(runs=12, chunk=5))
    tasks = cfg.tasks()
    assert len(tasks) == 2 * 3
    for s in range(2):
        assert [t.n_runs for t in tasks if t.setting == s] == [5, 5, 2]
    assert [t.seed for t in tasks] == [spawned_seed(3, k, len(tasks)) for k in range(len(tasks))]
    assert len({t.seed for t in tasks}) == len(tasks)
    assert len({t.relpath for t in tasks}) == len(tasks)


@settings(max_examples=40, deadline=None)
@given(runs=st.integers(1, 60), chunk_frac=st.floats(0.0, 1.0), n_eps=st.integers(1, 3), seed=st.integers(0, 2**32))
def test_chunks_partition_the_runs_and_seeds_are_distinct(runs, chunk_frac, n_eps, seed):
    chunk = max(1, round(chunk_frac * runs))
    cfg = load_sweep_config(config(runs=runs, chunk=chunk, eps=tuple(0.1 * (i + 1) for i in range(n_eps)), seed=seed))
    tasks = cfg.tasks()
    assert [t.index for t in tasks] == list(range(len(tasks)))
    for s in range(n_eps):
        sizes = [t.n_runs for t in tasks if t.setting == s]
        assert sum(sizes) == runs and all(1 <= n <= chunk for n in sizes)
    assert len({t.seed for t in tasks}) == len(tasks)


@pytest.mark.parametrize("mutate, fragment", [
    (lambda c: c["sweep"].update(chunk=0), "sweep.chunk"),
    (lambda c: c["sweep"].update(runs_per_setting=-1), "sweep.runs_per_setting"),
    (lambda c: c["sweep"].update(simulator="nope"), "sweep.simulator"),
    (lambda c: c["sweep"].pop("size_key"), "sweep.size_key"),
    (lambda c: c["grid"].update(eps=[]), "grid.eps"),
    (lambda c: c["fixed"].update(seed=1), "seeds and run counts are set by the sweep"),
    (lambda c: c["fixed"].update(eps=1.0), "both [fixed] and [grid]"),
    (lambda c: c.update(extra={}), "unknown sweep config table"),
])
def test_bad_config_is_refused_naming_the_key(mutate, fragment):
    cfg = config()
    mutate(cfg)
    with pytest.raises(ValueError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        load_sweep_config(cfg)


def test_unknown_simulator_parameter_is_refused_before_any_work(tmp_path):
    with pytest.raises(SweepError, match="unknown parameter"):
        run_sweep(config(bogus=1), tmp_path / "sw", n_workers=0, progress=False)
    assert not (tmp_path / "sw" / "runs").exists()


# ----------------------------------------------------------------------------- same numbers
def test_cluster_sweep_equals_serial_and_direct_calls(cluster, tmp_path):
    cfg = config(runs=12, chunk=5)
    par = run_sweep(cfg, tmp_path / "par", scheduler=cluster, progress=False)
    ser = run_sweep(cfg, tmp_path / "ser", n_workers=0, progress=False)
    assert par.ok and ser.ok and par.n_tasks == 6
    assert "dask scheduler" in par.executor and "serial" in ser.executor
    lp, ls = load_sweep(tmp_path / "par"), load_sweep(tmp_path / "ser")
    for a, b in zip(lp.runsets, ls.runsets):
        pd.testing.assert_frame_equal(a.curves, b.curves)
        pd.testing.assert_frame_equal(a.summary, b.summary)
        assert a.n_runs == 12 and a.summary["run"].is_unique
    # each task's run set is exactly the simulator called with the documented seed
    man = read_sweep_manifest(tmp_path / "par")
    for rec in man["tasks"]:
        eps = man["settings"][rec["setting"]]["params"]["eps"]
        seed = spawned_seed(3, rec["index"], 6)
        assert rec["seed"] == seed and rec["state"] == "done"
        direct = pt.simulate_exponential(N=5, eps=eps, n_replicas=rec["n_runs"], seed=seed, progress=False)
        got = load_runset(tmp_path / "par" / rec["path"])
        np.testing.assert_array_equal(got.summary["t_eps"].to_numpy(), direct.summary["t_eps"].to_numpy())
        np.testing.assert_array_equal(got.curves["test_error"].to_numpy(),
                                      direct.curves.sort_values(["run", "t"])["test_error"].to_numpy())


# ----------------------------------------------------------------------------- resumption
def test_resume_runs_only_missing_tasks_and_repairs_the_manifest(tmp_path):
    out = tmp_path / "sw"
    first = run_sweep(config(), out, n_workers=0, progress=False)
    assert first.ok and first.n_run == 6
    man = read_sweep_manifest(out)
    stamps = {r["path"]: (out / r["path"] / "manifest.json").stat().st_mtime_ns for r in man["tasks"]}
    # damage: wrong advisory states, one task lost, a half-written directory from a killed writer
    for r in man["tasks"]:
        r["state"] = "failed"
    (out / "sweep.json").write_text(json.dumps(man))
    lost = man["tasks"][4]["path"]
    import shutil

    shutil.rmtree(out / lost)
    stray = out / Path(lost).parent / ".c00001.tmp-999999999-abc"   # grokcheck's marked leftover, writer gone
    stray.mkdir()
    (stray / "curves.parquet").write_bytes(b"partial")
    (stray / ".grokcheck-partial").write_text("grokcheck atomic_dir\n")
    users = out / Path(lost).parent / ".c00001.tmp-999999998-mine"  # same shape, no marker: a user's
    users.mkdir()
    (users / "notes.txt").write_text("keep")
    again = run_sweep(config(), out, n_workers=0, progress=False)
    assert (again.n_skipped, again.n_run, again.n_done) == (5, 1, 6)
    assert not stray.exists()
    assert (users / "notes.txt").read_text() == "keep"
    man2 = read_sweep_manifest(out)
    assert all(r["state"] == "done" for r in man2["tasks"])
    for p, ns in stamps.items():
        if p != lost:
            assert (out / p / "manifest.json").stat().st_mtime_ns == ns, f"{p} was re-run"
    assert len(man2["invocations"]) == 2


def test_changed_config_and_foreign_directory_are_refused(tmp_path, capsys):
    cfg_file = tmp_path / "a.toml"
    cfg_file.write_text(toml(config(runs=4, chunk=4)))
    assert main(["sweep", str(cfg_file), "--out", str(tmp_path / "sw"), "--workers", "0", "--no-progress"]) == 0
    cfg_file.write_text(toml(config(runs=4, chunk=4, eps=(0.4, 0.3))))
    rc = main(["sweep", str(cfg_file), "--out", str(tmp_path / "sw"), "--workers", "0", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and "different config" in err and "grid.eps" in err and err.count("\n") == 1
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "data.txt").write_text("x")
    with pytest.raises(SweepError, match="not a sweep directory"):
        run_sweep(config(), tmp_path / "other", n_workers=0, progress=False)


def test_a_second_driver_on_the_same_directory_is_refused(tmp_path):
    out = tmp_path / "sw"
    out.mkdir()
    with open(out / ".sweep.lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(SweepError, match="another grokcheck sweep is running"):
            run_sweep(config(), out, n_workers=0, progress=False)


def test_sigkill_mid_sweep_then_rerun_gives_exact_counts_without_duplicates(tmp_path):
    cfg = config(runs=20, chunk=2, sleep=0.25)  # 20 tasks of >= 0.25 s on one worker
    cfg_file = tmp_path / "s.toml"
    cfg_file.write_text(toml(cfg))
    out = tmp_path / "sw"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
    proc = subprocess.Popen([sys.executable, "-m", "comparison", "sweep", str(cfg_file), "--out", str(out),
                             "--workers", "1", "--no-progress"], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if len(list(out.glob("runs/*/c*/manifest.json"))) >= 3:
                break
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its local cluster, mid-way
        proc.wait(timeout=30)
    n_before = len(list(out.glob("runs/*/c*/manifest.json")))
    assert 3 <= n_before < 20, n_before
    res = run_sweep(cfg_file, out, n_workers=0, progress=False)
    assert res.ok and res.n_tasks == 20 and res.n_skipped >= n_before - 1 and res.n_run == 20 - res.n_skipped
    assert not list(out.glob("runs/*/.*"))  # no half-written leftovers
    loaded = load_sweep(out)
    assert [rs.n_runs for rs in loaded.runsets] == [20, 20]
    for rs in loaded.runsets:
        s = rs.summary
        assert s["run"].is_unique and len(s) == 20
        assert not s.duplicated(subset=["chunk", "source_run"]).any()
        assert len(rs.config["seeds"]) == 10
    seeds = {spawned_seed(3, k, 20) for k in range(20)}
    assert {int(x) for rs in loaded.runsets for x in rs.config["seeds"]} == seeds


# ----------------------------------------------------------------------------- faults
def test_raising_task_is_retried_then_reported_while_others_complete(cluster, tmp_path):
    counts = tmp_path / "calls"
    counts.mkdir()
    cfg = config(runs=4, chunk=2, count_dir=str(counts))
    cfg["grid"]["fail"] = [False, True]
    res = run_sweep(cfg, tmp_path / "sw", scheduler=cluster, retries=2, progress=False)
    assert (res.n_tasks, res.n_done, res.n_failed) == (8, 4, 4)
    assert all("planted failure" in r["error"] and r["attempts"] == 3 for r in res.failed)
    calls = [p.name.split("-")[0] for p in counts.iterdir()]
    failing_seeds = {str(r["seed"]) for r in res.failed}
    assert all(calls.count(s) == 3 for s in failing_seeds)  # really executed 1 + 2 retries
    assert len(calls) == 4 + 4 * 3
    man = read_sweep_manifest(tmp_path / "sw")
    assert man["counts"] == {"done": 4, "failed": 4, "pending": 0, "running": 0, "total": 8}
    assert all("RuntimeError" in r["traceback"] for r in man["tasks"] if r["state"] == "failed")


def test_cli_reports_failed_tasks_with_exit_code_3_and_shows_progress(tmp_path, capsys):
    cfg = config(runs=2, chunk=2)
    cfg["grid"]["fail"] = [False, True]
    f = tmp_path / "s.toml"
    f.write_text(toml(cfg))
    rc = main(["sweep", str(f), "--out", str(tmp_path / "sw"), "--workers", "0", "--retries", "1"])
    cap = capsys.readouterr()
    assert rc == 3
    assert "failed after 2 attempt(s): RuntimeError: planted failure" in cap.err
    assert "sweep:" in cap.err and "failed 2" in cap.err  # the progress display
    assert "2/4 tasks done" in cap.out
    # re-running retries only the failed tasks (they fail again), the finished ones are kept
    rc = main(["sweep", str(f), "--out", str(tmp_path / "sw"), "--workers", "0", "--retries", "0",
               "--no-progress"])
    cap = capsys.readouterr()
    assert rc == 3 and "(2 already done, 0 run now)" in cap.out and cap.err.count("planted failure") == 2
    # fit on a sweep with no finished task is refused in one line
    g = tmp_path / "g.toml"
    cfg["grid"]["fail"] = [True]
    g.write_text(toml(cfg))
    assert main(["sweep", str(g), "--out", str(tmp_path / "none"), "--workers", "0", "--retries", "0",
                 "--no-progress"]) == 3
    capsys.readouterr()
    assert main(["fit", str(tmp_path / "none"), "--out", str(tmp_path / "f.json")]) == 2
    assert "no finished task" in capsys.readouterr().err


def test_a_worker_process_that_dies_mid_task_loses_no_task(cluster, tmp_path):
    marker = tmp_path / "died"
    cfg = config(runs=8, chunk=2, die_marker=str(marker), sleep=0.1)
    res = run_sweep(cfg, tmp_path / "sw", scheduler=cluster, retries=0, progress=False)
    assert marker.exists()  # a worker process really died (os._exit) mid-task
    assert res.ok and res.n_failed == 0 and res.n_done == 8
    assert [rs.n_runs for rs in load_sweep(tmp_path / "sw").runsets] == [8, 8]


# ----------------------------------------------------------------------------- fit / report
def test_fit_and_report_treat_each_setting_as_one_runset(tmp_path, capsys):
    out = tmp_path / "sw"
    assert run_sweep(config(runs=40, chunk=20), out, n_workers=0, progress=False).ok
    import shutil

    shutil.rmtree(out / "runs" / "s001_eps=0.2" / "c00001")  # one setting only half done
    assert main(["fit", str(out), "--out", str(tmp_path / "fits.json"), "--n-boot", "50"]) == 0
    text = capsys.readouterr().out
    assert "s000_eps=0.4" in text and "1/2" in text and "2/2" in text
    fits = json.loads((tmp_path / "fits.json").read_text())
    rows = {r["setting"]: r for r in fits["summary"]}
    assert rows["s000_eps=0.4"]["runs"] == 40 and rows["s001_eps=0.2"]["runs"] == 20
    assert [s["fit"]["counts"]["n_runs"] for s in fits["settings"]] == [40, 20]
    # the 1D model: nu = 1 (Eqs. 9-10); a deterministic check that the merge kept the physics
    for r in fits["summary"]:
        assert abs(r["nu"] - 1.0) < 0.05 and r["nu_pred"] == 1.0
    assert main(["report", str(out), "--out", str(tmp_path / "rep"), "--no-progress"]) == 0
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "Sweep summary: sw" in md and "s001_eps=0.2" in md and "| 1/2 |" in md

"""Every size is guarded before work (issue 26, item 4): memory estimates for every registered
simulator (scenario A/B, RFM with its ~p^2 test pairs), the API paths consult the same guard,
bounded ``paper`` flags, capped decompressed input, RFM's bandwidth range, and a rounding
``1.0000000000000002`` that does not turn an accuracy log into percent."""
from __future__ import annotations

import gzip
import json
import time
import tracemalloc

import pytest

import local_rules as lr
import modular_rfm as mr
from comparison.simulators import SIMULATORS, check_resources

from .harness import cli


def _refused_fast(fn, *words):
    t0 = time.perf_counter()
    with pytest.raises(ValueError) as exc:
        fn()
    assert time.perf_counter() - t0 < 5
    for w in words:
        assert w in str(exc.value), str(exc.value)
    return str(exc.value)


def test_every_registered_simulator_has_a_memory_estimate():
    own = {n for n, s in SIMULATORS.items()  # grokcheck's own (tests may register toys without a cost)
           if s.target.split(".")[0].split(":")[0] in ("perceptron_theory", "local_rules", "modular_rfm",
                                                         "linear_grokking")}
    assert all(SIMULATORS[n].cost is not None for n in own)
    big = {"perceptron-1d": {"N": 10 ** 6, "n_replicas": 10 ** 7, "eps": 0.5},
           "perceptron-ball": {"D": 10 ** 4, "N": 10 ** 6, "n_replicas": 10 ** 4, "eps": 2.0},
           "scenario-b": {"A": "example1", "n_init": 10 ** 7, "n_times": 200, "n_tau": 60},
           "scenario-a": {"d": 10, "n_init": 10 ** 6, "n_steps": 10 ** 6, "n_checkpoints": 60, "deff_every": 10},
           "rfm": {"p": 401, "train_frac": 0.5},
           "separability": {"N": 10 ** 5, "d": 10 ** 4, "n_seeds": 10 ** 4},
           "linear-estimator": {"d_in": 2 * 10 ** 4, "lam": 0.5, "n_seeds": 100}}
    assert set(big) == own
    for name, params in big.items():
        with pytest.raises(ValueError, match="GROKCHECK_MAX_MEM_GB"):
            check_resources(SIMULATORS[name], params)


def test_api_paths_consult_the_guard():
    _refused_fast(lambda: lr.run_scenario_b(n_init=10 ** 9, progress=False), "GROKCHECK_MAX_MEM_GB", "n_init")
    _refused_fast(lambda: lr.run_scenario_a(n_init=10 ** 6, n_steps=10 ** 6, progress=False),
                  "GROKCHECK_MAX_MEM_GB", "n_steps")
    msg = _refused_fast(lambda: mr.run_rfm(p=401, progress=False), "GROKCHECK_MAX_MEM_GB", "p")
    assert "GiB" in msg


def test_the_estimates_cover_the_measured_peak():
    """tracemalloc peaks (numpy allocations) lie below the estimate, which is not absurdly above."""
    lr.run_scenario_b("example1", n_init=10, progress=False)
    for n in (2000, 4000):
        tracemalloc.start()
        lr.run_scenario_b("example1", n_init=n, progress=False)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        est = lr.scenario_b_memory_bytes(n, d=2)
        assert peak < est < 4 * peak, (n, peak, est)
    for p in (61, 79):
        tracemalloc.start()
        mr.run_rfm(p, n_iter=2, progress=False)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        est = mr.rfm_memory_bytes(p, n_iter=2)
        assert peak < est < 4 * peak, (p, peak, est)


def test_rfm_bandwidth_range():
    for bad in (1e-300, 1e-101, 1e101):
        _refused_fast(lambda b=bad: mr.run_rfm(7, n_iter=1, bandwidth=b, progress=False), "bandwidth")
    for ok in (1e-100, 1e100):
        r = mr.run_rfm(7, n_iter=1, bandwidth=ok, progress=False)
        assert len(r.summary) == 1


@pytest.mark.parametrize("argv,words", [
    (["table1", "--n-init", "1000000000"], ["--n-init"]),
    (["table1", "--p-grok-draws", "10000000000"], ["--p-grok-draws"]),
    (["table1", "--seed", "-1"], ["--seed"]),
    (["table1", "--n-init", "100000"], ["GROKCHECK_MAX_MEM_GB"]),
    (["scenario-a", "--n-steps", "100000000000"], ["--n-steps"]),
    (["scenario-a", "--d", "0"], ["--d"]),
    (["scenario-a", "--n-init", "100000", "--n-steps", "1000000"], ["GROKCHECK_MAX_MEM_GB"]),
])
def test_paper_flags_are_bounded(argv, words):
    t0 = time.perf_counter()
    res = cli("paper", *argv)
    assert time.perf_counter() - t0 < 5
    assert res.rc == 2 and res.err.count("\n") == 1, res.err
    assert all(w in res.err for w in words), res.err


def test_decompressed_size_and_rows_are_capped(tmp_path, monkeypatch):
    monkeypatch.setenv("GROKCHECK_MAX_MEM_GB", "0.05")      # 1.6 MiB of text, 33 554 rows
    wide = tmp_path / "wide.csv.gz"                          # 60 kB compressed, 8 MB of text
    with gzip.open(wide, "wb") as fh:
        fh.write(b"run,t,test_error,pad\n" + (b"0,1,0.5," + b"x" * 1000 + b"\n") * 8000)
    res = cli("fit", wide)
    assert res.rc == 2 and "after decompression" in res.err and "GROKCHECK_MAX_MEM_GB" in res.err, res.err
    long = tmp_path / "long.csv.gz"
    with gzip.open(long, "wb") as fh:
        fh.write(b"run,t,test_error\n" + b"".join(b"0,%d,0.5\n" % i for i in range(40000)))
    res = cli("fit", long)
    assert res.rc == 2 and "rows" in res.err and "GROKCHECK_MAX_MEM_GB" in res.err, res.err
    small = tmp_path / "small.csv.gz"
    with gzip.open(small, "wb") as fh:
        fh.write(b"run,t,test_error\n" + b"".join(b"%d,%d,%g\n" % (r, t, max(0, .5 - .2 * t)) for r in range(5)
                                                 for t in range(4)))
    assert cli("fit", small).rc == 0


def test_rounding_above_one_does_not_flip_an_accuracy_log_to_percent(tmp_path):
    p = tmp_path / "acc.csv"
    p.write_text("run,t,acc\n0,0,0.5\n0,1,0.9\n0,2,1.0000000000000002\n1,0,0.4\n1,1,0.7\n1,2,1.0\n")
    res = cli("fit", p, "--accuracy-col", "acc", "--tolerance", "0", "--json", "-")
    assert res.rc == 0, res.err
    out = json.loads(res.out)
    assert out["scale"] == "fraction" and out["n_grok"] == 2
    assert [r["t_eps"] for r in out["runs"]] == [2.0, 2.0]

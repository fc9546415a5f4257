"""The thread setting: option, environment variable, affinity default, applied to BLAS and torch."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from threadpoolctl import threadpool_info

from comparison.cli import main
from comparison.threads import THREADS_ENV, available_cores, resolve_threads, set_threads

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_resolution_order(monkeypatch):
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert resolve_threads() == len(os.sched_getaffinity(0)) == available_cores()
    monkeypatch.setenv(THREADS_ENV, "3")
    assert resolve_threads() == 3 and resolve_threads(1) == 1
    for bad in ("0", "two", "1.5"):
        monkeypatch.setenv(THREADS_ENV, bad)
        with pytest.raises(ValueError, match=THREADS_ENV + r" must be an integer in \[1, 4096\]"):
            resolve_threads()
    with pytest.raises(ValueError, match=r"threads must be an integer in \[1, 4096\], got -2"):
        resolve_threads(-2)
    with pytest.raises(ValueError, match=r"threads must be an integer in \[1, 4096\], got 4097"):
        resolve_threads(4097)
    assert resolve_threads(4096) == 4096


def test_set_threads_limits_loaded_pools_and_torch(monkeypatch):
    import numpy as np  # noqa: F401  (its BLAS is loaded)
    import torch

    old = torch.get_num_threads()
    try:
        for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            monkeypatch.delenv(k, raising=False)
        assert set_threads(1) == 1
        assert torch.get_num_threads() == 1 and os.environ["OMP_NUM_THREADS"] == "1"
        pools = [p for p in threadpool_info() if p["user_api"] in ("blas", "openmp")]
        assert pools and all(p["num_threads"] == 1 for p in pools)
    finally:
        torch.set_num_threads(old)


def test_cli_option_and_bad_value(capsys):
    assert main(["--threads", "0", "theory", "ball", "--json"]) == 2
    assert "threads must be an integer in [1, 4096], got 0" in capsys.readouterr().err


def test_cli_start_does_not_import_torch():
    code = ("import sys; from comparison.cli import main; main(['--threads', '1', 'theory', '--help'])")
    r = subprocess.run([sys.executable, "-c", code + "\n"], cwd=ROOT, capture_output=True, text=True)
    code2 = ("import sys\nfrom comparison.threads import set_threads\nset_threads(2)\n"
             "print('torch' in sys.modules)")
    r2 = subprocess.run([sys.executable, "-c", code2], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0 and r2.stdout.strip() == "False", r2.stderr

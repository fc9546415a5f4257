"""Hostile inputs beyond the issue's classes (issue 26, round 4): the array readers, column
options, thread counts, the memory-limit variable, ``grokcheck check`` and the newer
``paper`` studies. Classified like the rest of the corpus (see :mod:`.harness`)."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from .harness import Case, cli

_THEORY_1D = ("theory", "1d", "--N", "5", "--eps", "0.5")


def _array(name: str, make: Any) -> Any:
    def run(tmp: Path) -> Any:
        p = tmp / name
        make(p)
        return cli("fit", p)
    return run


def _save_object(p: Path) -> None:
    np.save(p, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)


def _log(tmp: Path, text: str, name: str = "log.csv") -> Path:
    p = tmp / name
    p.write_text(text)
    return p


_ROWS = "".join(f"{r},{t},{max(0.0, 0.6 - 0.1 * t * (1 + r % 3)):.3f}\n" for r in range(8) for t in range(8))


def _with_env(key: str, value: str, *argv: Any) -> Any:
    def run(tmp: Path) -> Any:
        old = os.environ.get(key)
        os.environ[key] = value
        try:
            return cli(*(tmp / "rs" if a == "RS" else a for a in argv))
        finally:
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
    return run


def _reader_cases() -> list[Case]:
    return [
        Case("npy: a pickled object array", "file", "refuse", _array("obj.npy", _save_object), ("allow_pickle",)),
        Case("npz: an object array inside", "file", "refuse",
             _array("obj.npz", lambda p: np.savez(p, test_error=np.array([{"x": 1}], dtype=object))),
             ("allow_pickle",)),
        Case("npy: a 3-D array", "file", "refuse", _array("cube.npy", lambda p: np.save(p, np.zeros((3, 4, 5)))),
             ("1-D", "2-D")),
        Case("npy: complex values", "file", "refuse",
             _array("c.npy", lambda p: np.save(p, np.ones((4, 6), dtype=complex))), ("numeric",)),
        Case("npy: all NaN, named by its stem", "file", "refuse",
             _array("nan.npy", lambda p: np.save(p, np.full((5, 8), np.nan))), ("test_error", "--error-col")),
        Case("csv: a header naming test_error twice", "file", "refuse",
             lambda tmp: cli("fit", _log(tmp, "run,t,test_error,test_error\n0,0,0.5,0.4\n0,1,0,0.1\n")),
             ("test_error", "more than once")),
        Case("csv: a UTF-8 byte-order mark before 'run'", "file", "accept",
             lambda tmp: cli("fit", _log(tmp, "\ufeffrun,t,test_error\n" + _ROWS)),
             check=lambda v, tmp: None if re.search(r"runs / grokking / diverged\s+8 /", v.out) else "runs not read"),
        Case("fit --measure-col of a missing column", "cli", "refuse",
             lambda tmp: cli("fit", _log(tmp, "run,t,test_error\n" + _ROWS), "--measure-col", "nope"),
             ("--measure-col", "nope")),
        Case("fit --measure-col test_error (the error column itself)", "cli", "accept",
             lambda tmp: cli("fit", _log(tmp, "run,t,test_error\n" + _ROWS), "--measure-col", "test_error")),
    ]


def _thread_cases() -> list[Case]:
    return [
        Case("--threads -1", "cli", "refuse", lambda tmp: cli("--threads", "-1", *_THEORY_1D), ("threads", "4096")),
        Case("--threads abc", "cli", "refuse", lambda tmp: cli("--threads", "abc", *_THEORY_1D), ("threads",)),
        Case("--threads 10**9", "cli", "refuse", lambda tmp: cli("--threads", str(10 ** 9), *_THEORY_1D),
             ("threads", "4096")),
        *(Case(f"GROKCHECK_THREADS={v!r}", "cli", "refuse", _with_env("GROKCHECK_THREADS", v, *_THEORY_1D),
               ("GROKCHECK_THREADS",)) for v in ("garbage", "0", "1e9", "nan", str(10 ** 6))),
        Case("GROKCHECK_THREADS='' (unset)", "cli", "accept", _with_env("GROKCHECK_THREADS", "", *_THEORY_1D)),
        *(Case(f"GROKCHECK_MAX_MEM_GB={v!r} with simulate", "cli", "refuse",
               _with_env("GROKCHECK_MAX_MEM_GB", v, "simulate", "perceptron-1d", "--N", "5", "--eps", "0.5",
                         "--replicas", "10", "--no-progress", "--out", "RS"), ("GROKCHECK_MAX_MEM_GB",),
               absent=("rs",)) for v in ("nan", "-1", "inf", "abc", "0")),
    ]


def _check_cases() -> list[Case]:
    def check(*args: str) -> Any:
        return lambda tmp: cli("check", "--simulator", *args)

    return [
        Case("check --param N=a:b", "cli", "refuse", check("perceptron-1d", "--param", "N=a:b", "1d"), ("N",)),
        Case("check --param of an undeclared name", "cli", "refuse", check("perceptron-1d", "--param", "Q=1:2", "1d"),
             ("Q", "declared")),
        Case("check --max-examples 0", "cli", "refuse", check("perceptron-1d", "--max-examples", "0", "1d"),
             ("--max-examples",)),
        Case("check --max-examples 10**9", "cli", "refuse",
             check("perceptron-1d", "--max-examples", str(10 ** 9), "1d"), ("--max-examples", "10000")),
        Case("check --replicas 10**12", "cli", "refuse", check("perceptron-1d", "--replicas", str(10 ** 12), "1d"),
             ("n_replicas",)),
        Case("check of an unknown simulator", "cli", "refuse", check("nope", "1d"), ("nope",)),
        Case("check of a missing formula file", "cli", "refuse", check("perceptron-1d", "gone.py"), ("gone.py",)),
        Case("check --detect 0", "cli", "refuse", check("perceptron-1d", "--detect", "0", "1d"), ("--detect",)),
        Case("check --quantity bogus", "cli", "refuse", check("perceptron-1d", "--quantity", "bogus", "1d"),
             ("quantity",)),
    ]


def _paper_cases() -> list[Case]:
    def paper(*args: Any) -> Any:
        return lambda tmp: cli("paper", *(tmp if a == "TMP" else a for a in args), "--no-progress")

    return [
        Case("paper separability --n-sets 0", "cli", "refuse", paper("separability", "--n-sets", "0"), ("--n-sets",)),
        Case("paper separability --N 10**9", "cli", "refuse", paper("separability", "--N", str(10 ** 9)), ("N",)),
        Case("paper separability --lam nan", "cli", "refuse", paper("separability", "--lam", "nan"), ("--lam",)),
        Case("paper separability --t-max inf", "cli", "refuse", paper("separability", "--t-max", "inf"), ("t_max",)),
        Case("paper separability --n-sets 10**12", "cli", "refuse", paper("separability", "--n-sets", str(10 ** 12)),
             ("n_seeds",)),
        Case("paper linear-estimator --divergence-seeds 0", "cli", "refuse",
             paper("linear-estimator", "--divergence", "--divergence-seeds", "0"), ("--divergence-seeds",)),
        Case("paper linear-estimator --divergence-seeds 10**9", "cli", "refuse",
             paper("linear-estimator", "--divergence", "--divergence-seeds", str(10 ** 9)), ("--divergence-seeds",)),
        Case("paper linear-estimator --divergence-json DIR (a directory)", "cli", "refuse",
             paper("linear-estimator", "--divergence-json", "TMP", "--divergence-seeds", "2"), ("directory",)),
    ]


def cases() -> list[Case]:
    return _reader_cases() + _thread_cases() + _check_cases() + _paper_cases()

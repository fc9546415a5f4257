"""Hostile sweep configs: every bad value is refused before the sweep directory exists."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from .harness import Case, cli

BASE: dict[str, Any] = {"sweep": {"simulator": "perceptron-1d", "seed": 0, "runs_per_setting": 4, "chunk": 2},
                        "fixed": {"N": 3, "eps": 0.5}, "grid": {"lam2": [0.0, 0.1]}}


def _sweep(cfg: dict[str, Any]) -> Any:
    def run(tmp: Path) -> Any:
        from comparison.sweep import run_sweep

        out = run_sweep(cfg, tmp / "sw", n_workers=0, progress=False, retries=0)
        if out.n_failed:
            return {"failed": out.n_failed, "error": out.failed[0].get("error")}
        return {"done": out.n_done}
    return run


def _edit(path: str, value: Any) -> dict[str, Any]:
    cfg = copy.deepcopy(BASE)
    table, key = path.split(".", 1)
    cfg.setdefault(table, {})[key] = value
    return cfg


def _no_failures(value: Any, tmp: Path) -> str | None:
    return None if "done" in value else f"tasks failed at run time: {value}"


def cases() -> list[Case]:
    bad = [("fixed.N", "five", "N"), ("fixed.N", 2.5, "N"), ("fixed.N", 0, "N"), ("fixed.eps", -1.0, "eps"),
           ("fixed.eps", float("nan"), "eps"), ("fixed.eps", float("inf"), "eps"), ("fixed.lam1", 1e300, "lam1"),
           ("fixed.record_curves", "no", "record_curves"), ("fixed.chunk", 0, "chunk"),
           ("fixed.n_curve_points", 2.5, "n_curve_points"), ("fixed.bogus", 1, "bogus"),
           ("grid.lam2", [0.0, -0.1], "lam2"), ("grid.lam2", ["a", "b"], "lam2"), ("grid.lam2", [], "lam2"),
           ("grid.lam2", [0.1, 0.1], "lam2"), ("grid.N", [3, 10 ** 9], "N"),
           ("sweep.runs_per_setting", 10 ** 12, "runs_per_setting"), ("sweep.runs_per_setting", 0, "runs_per_setting"),
           ("sweep.runs_per_setting", 2.5, "runs_per_setting"), ("sweep.chunk", 0, "chunk"),
           ("sweep.chunk", 10 ** 9, "chunk"), ("sweep.seed", -1, "seed"), ("sweep.simulator", "nope", "simulator"),
           ("sweep.simulator", "os:system", "os:system"), ("sweep.bogus", 1, "bogus"), ("fixed.seed", 3, "seed"),
           ("fixed.n_replicas", 3, "n_replicas")]
    out = [Case(f"sweep {p}={v!r}"[:80], "config", "refuse", _sweep(_edit(p, v)), (w,), absent=("sw",))
           for p, v, w in bad]
    ball = {"sweep": {"simulator": "perceptron-ball", "runs_per_setting": 2, "chunk": 2},
            "fixed": {"D": 3, "N": 10, "eps": 2.0}, "grid": {"lam2": [0.1]}}
    big = copy.deepcopy(ball)
    big["sweep"].update(runs_per_setting=10 ** 7, chunk=10 ** 7)
    big["fixed"].update(D=10 ** 4, N=10 ** 5)
    out += [Case("sweep ball final_only=true", "config", "accept",
                 _sweep({**ball, "fixed": {**ball["fixed"], "final_only": True}}), check=_no_failures),
            Case("sweep ball final_only='no'", "config", "refuse",
                 _sweep({**ball, "fixed": {**ball["fixed"], "final_only": "no"}}), ("final_only",), absent=("sw",)),
            Case("sweep 1D record_curves=false", "config", "accept",
                 _sweep(_edit("fixed.record_curves", False)), check=_no_failures),
            Case("sweep ball memory bomb", "config", "refuse", _sweep(big), ("GROKCHECK_MAX_MEM_GB",), absent=("sw",)),
            Case("sweep valid", "config", "accept", _sweep(BASE), check=_no_failures)]

    def toml(text: str, *extra: str) -> Any:
        def run(tmp: Path) -> Any:
            p = tmp / "c.toml"
            p.write_text(text)
            return cli("sweep", p, "--out", tmp / "sw", "--workers", "0", "--no-progress", *extra)
        return run

    out += [Case("sweep toml broken", "config", "refuse", toml("[sweep\n"), ("TOML",), absent=("sw",)),
            Case("sweep toml D string", "config", "refuse",
                 toml('[sweep]\nsimulator="perceptron-ball"\nruns_per_setting=2\n[fixed]\nD="five"\nN=3\neps=2.0\n'),
                 ("D",), absent=("sw",)),
            Case("sweep --retries -1", "config", "refuse",
                 toml('[sweep]\nsimulator="perceptron-1d"\nruns_per_setting=2\n[fixed]\nN=3\neps=0.5\n',
                      "--retries", "-1"), ("retries",), absent=("sw",))]
    return out

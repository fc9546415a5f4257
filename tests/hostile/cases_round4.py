"""Hostile inputs of issue 26, round 4: the classes of the issue not yet in the corpus
(received fits, forged summaries, sweeps and sizes at the documented maxima), then new
inputs beyond them (``check``, ``paper``, the array readers, threads). Classified like the
rest of the corpus (see :mod:`.harness`)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .fixtures import base_1d, rewrite
from .harness import Case, cli, digest


def _log(tmp: Path, name: str, n_runs: int, slope: float = 0.1) -> Path:
    rows = ["run,t,test_error,train_error"] + [
        f"{r},{t},{max(0.0, 0.6 - slope * t * (1 + r % 3)):.3f},{max(0.0, 0.5 - 0.2 * t):.3f}"
        for r in range(n_runs) for t in range(8)]
    p = tmp / name
    p.write_text("\n".join(rows) + "\n")
    return p


def _runs_in_report(tmp: Path, out: str = "rep") -> int:
    import re

    md = (tmp / out / "report.md").read_text()
    return sum(int(n) for n in re.findall(r"^- runs: (\d+)", md, re.M))


def _fits_cases() -> list[Case]:
    def nan_fits(tmp: Path) -> Any:
        rs = base_1d(tmp)
        cli("fit", rs, "--n-boot", "20")
        text = (rs / "fits.json").read_text()
        (rs / "fits.json").write_text(text.replace('"p_grok": ', '"p_grok": NaN, "x": ', 1))
        before = digest(rs)
        r = cli("report", rs, "--out", tmp / "rep", "--no-progress")
        assert digest(rs) == before, "the run set changed"   # an AssertionError is a bad outcome
        return r

    def linked_fits(tmp: Path) -> Any:
        rs = base_1d(tmp)
        cli("fit", rs, "--n-boot", "20")
        doc = json.loads((rs / "fits.json").read_text())
        doc["counts"].update(n_runs=5000, n_ok=5000, n_groks=4999, p_grok=4999 / 5000)
        (tmp / "forged.json").write_text(json.dumps(doc))
        (rs / "fits.json").unlink()
        (rs / "fits.json").symlink_to(tmp / "forged.json")
        before = digest(tmp / "forged.json")
        r = cli("report", rs, "--out", tmp / "rep", "--no-progress")
        assert digest(tmp / "forged.json") == before, "written through the link"
        return r

    def edited_log(tmp: Path) -> Any:
        a = _log(tmp, "a.csv", 12)
        cli("fit", a, "--n-boot", "20")
        a.write_text("\n".join(a.read_text().splitlines()[:49]) + "\n")   # 6 runs left
        r = cli("report", a, "--out", tmp / "rep", "--no-progress", "--format", "md")
        return r if r.rc else _runs_in_report(tmp)

    def two_logs(tmp: Path) -> Any:
        a, b = _log(tmp, "a.csv", 12), _log(tmp, "b.csv", 7, slope=0.05)
        cli("fit", a, "--n-boot", "20")
        before = digest(tmp / "a.csv.fits.json")
        r = cli("report", a, b, "--out", tmp / "rep", "--no-progress", "--format", "md")
        return r if r.rc else (_runs_in_report(tmp), digest(tmp / "a.csv.fits.json") == before)

    def unknown_generator(tmp: Path) -> Any:
        rs = base_1d(tmp)

        def edit(m: dict[str, Any]) -> None:
            m["generator"] = m["config"]["generator"] = "someone.elses_simulator"
            m["config"]["N"] = -5      # not checked: the parameters of an unregistered generator are unknown
        rewrite(rs, manifest_edit=edit)
        return cli("fit", rs, "--n-boot", "20")

    def noted(value: Any, tmp: Path) -> str | None:
        line = next((ln for ln in value.out.splitlines() if ln.strip().startswith("verdicts")), "")
        return None if "not a registered simulator" in line else "no note says why the verdict rows are missing"

    return [
        Case("fits.json with a bare NaN: refused, not printed", "file", "refuse", nan_fits, ("fits.json",),
             timeout=120),
        Case("fits.json a link to a forged file outside: never followed", "file", "refuse", linked_fits,
             ("fits.json", "not a regular file"), timeout=120),
        Case("report of an edited log: its fits are stale", "file", "accept", edited_log,
             check=lambda v, tmp: None if v == 6 else f"{v} runs reported, the log has 6", timeout=120),
        Case("report a.csv b.csv after fit a.csv: b.csv is used, a.csv's fits kept", "file", "accept", two_logs,
             check=lambda v, tmp: None if v == (19, True) else f"runs, a's fits unchanged = {v} (want (19, True))",
             timeout=120),
        Case("run set of an unregistered generator: the missing verdicts are noted", "file", "accept",
             unknown_generator, check=noted),
    ]


def _summary_cases() -> list[Case]:
    """Summaries re-signed to disagree with their own curves (item 3 of the issue)."""
    import pandas as pd

    def forged(edit: Any) -> Any:
        def run(tmp: Path) -> Any:
            rs = base_1d(tmp)
            s = pd.read_parquet(rs / "summary.parquet")
            rewrite(rs, summary=edit(s.copy()))
            return cli("fit", rs, "--n-boot", "20")
        return run

    def all_grok(s: Any) -> Any:
        no = ~s["groks"].to_numpy(bool)
        s["groks"], s["status"] = True, "groks"
        s.loc[no, "t_eps"] = s.loc[no, "t_train"] + 1.0
        s["t_G"] = s["t_eps"] - s["t_train"]
        return s

    def late(s: Any) -> Any:
        g = s["groks"].to_numpy(bool).copy()
        s.loc[g, "t_eps"] *= 2.0
        s.loc[g, "t_G"] = s.loc[g, "t_eps"] - s.loc[g, "t_train"]
        return s

    def erased(s: Any) -> Any:
        g = s["groks"].to_numpy(bool).copy()
        s.loc[g, ["t_eps", "t_G"]] = np.nan
        s.loc[g, "groks"], s.loc[g, "status"] = False, "no_grok"
        return s

    return [
        Case("summary re-signed: every run groks, curves do not reach zero", "file", "refuse", forged(all_grok),
             ("groks", "never reaches 0", "curves.parquet")),
        Case("summary re-signed: grokking times doubled (a faked law)", "file", "refuse", forged(late),
             ("t_eps", "is 0 already", "curves.parquet")),
        Case("summary re-signed: grokking erased", "file", "refuse", forged(erased),
             ("t_eps", "first reaches 0", "curves.parquet")),
    ]


def _scale_cases() -> list[Case]:
    def grid(tmp: Path) -> Any:
        from comparison.sweep import run_sweep

        cfg = {"sweep": {"simulator": "perceptron-1d", "seed": 0, "runs_per_setting": 1, "chunk": 1},
               "fixed": {"N": 3, "eps": 0.5},
               "grid": {"lam1": [i * 1e-4 for i in range(1000)], "lam2": [i * 1e-4 for i in range(999)] + [-1.0]}}
        return run_sweep(cfg, tmp / "sw", n_workers=0, progress=False, retries=0)

    def big_log(tmp: Path) -> Any:
        return cli("fit", _log(tmp, "big.csv", 5000), "--n-boot", "20")

    return [
        Case("sweep: 10^6-setting grid with one bad value is refused quickly", "config", "refuse", grid,
             ("lam2", "-1.0"), absent=("sw",), timeout=30),
        Case("fit of a 5000-run log with a train column", "cli", "accept", big_log, timeout=180),
    ]


def cases() -> list[Case]:
    from .cases_new_inputs import cases as new_inputs

    return _fits_cases() + _summary_cases() + _scale_cases() + new_inputs()

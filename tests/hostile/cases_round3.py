"""Hostile inputs of the third review (issue 26): untrusted strings, links under the output,
messages, sizes and sweeps. Classified like the rest of the corpus (see :mod:`.harness`)."""
from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

from .fixtures import base_1d
from .harness import RAW, Case, Cli, cli, raw_control
ESC = "\x1b]0;pwned\x07\x1b[2J\u202e"
IMG = "<img src=x onerror=alert(1)>"


def _no_raw(value: Any, tmp: Path) -> str | None:
    return raw_control(value.out, value.err) if isinstance(value, Cli) else None


def _hostile_rs(tmp: Path) -> Path:
    rs = base_1d(tmp, name=f"rs{ESC}{IMG}")
    m = json.loads((rs / "manifest.json").read_text())
    m["created"] = f"2024\n## Verdict\nall agree {IMG}{ESC}"
    (rs / "manifest.json").write_text(json.dumps(m))
    return rs


def _table(tmp: Path, name: str = "t.csv", label: str = f"r{ESC}{IMG}") -> Path:
    rows = ["run,t,test_error"] + [f"{label}{r},{t},{max(0.0, 0.5 - 0.15 * t * (1 + r % 2)):.3f}"
                                   for r in range(6) for t in range(5)]
    p = tmp / name
    p.write_text("\n".join(rows) + "\n")
    return p


def _report_safe(value: Any, tmp: Path) -> str | None:
    bad = _no_raw(value, tmp)
    if bad:
        return bad
    md = (tmp / "rep" / "report.md").read_text()
    if RAW.search(md):
        return "raw control character in report.md"
    if re.search(r"<img|<script", md, re.I):
        return "raw HTML in report.md"
    heads = [ln for ln in md.splitlines() if re.match(r"^ {0,3}#{1,6}\s", ln)]
    if sum(h.startswith("## Verdict") for h in heads) != 1:
        return f"forged heading: {heads}"
    return None


def _text_cases() -> list[Case]:
    def cols(tmp: Path) -> Any:
        p = tmp / "c.csv"
        p.write_text(f"run,t,err{ESC}\n0,0,0.5\n0,1,0\n")
        return cli("fit", p)

    def refused_clean(value: Any, tmp: Path) -> str | None:
        return _no_raw(value, tmp)

    return [
        Case("text: fit of a run set with escapes in its name and manifest", "cli", "accept",
             lambda tmp: cli("fit", _hostile_rs(tmp)), check=_no_raw),
        Case("text: fit of a table with escapes in its run labels", "cli", "accept",
             lambda tmp: cli("fit", _table(tmp)), check=_no_raw),
        Case("text: escapes in a column name (error message)", "cli", "refuse", cols, ("test_error", "\\x1b")),
        Case("text: escapes in a missing path (error message)", "cli", "refuse",
             lambda tmp: cli("fit", tmp / f"gone{ESC}.csv"), ("gone\\x1b]0;pwned\\x07",)),
        Case("text: escapes in --error-col (error message)", "cli", "refuse",
             lambda tmp: cli("fit", _table(tmp), "--error-col", f"x{ESC}"), ("x\\x1b",)),
        Case("text: report with HTML and a forged heading in names and values", "cli", "accept",
             lambda tmp: cli("report", _hostile_rs(tmp), _table(tmp, f"a\n## Verdict\n{IMG}.csv"),
                             "--out", tmp / "rep", "--no-progress", "--time-unit", f"s\n## Verdict {IMG}"),
             check=_report_safe, timeout=120),
    ]


def _outside(tmp: Path) -> Path:
    d = tmp / "outside"
    if not d.exists():
        d.mkdir()
        (d / "precious.txt").write_text("precious")
    return d


def _link_cases() -> list[Case]:
    from .harness import digest

    def guard(tmp: Path) -> Any:
        return digest(_outside(tmp))

    def fig_link(tmp: Path) -> Any:
        figs = tmp / "figs"
        figs.mkdir()
        (figs / "nu-fit.png").symlink_to(_outside(tmp) / "precious.txt")
        return cli("fit", base_1d(tmp), "--figures", figs, "--overwrite")

    def fig_dir_link(tmp: Path) -> Any:
        (tmp / "figs").symlink_to(_outside(tmp))
        return cli("fit", base_1d(tmp), "--figures", tmp / "figs", "--overwrite")

    def paper_cache(tmp: Path) -> Any:
        (tmp / "rep").mkdir()
        (tmp / "rep" / "paper-data").symlink_to(_outside(tmp))
        return cli("report", base_1d(tmp), "--out", tmp / "rep", "--paper", "--no-progress")

    def demo_cache(tmp: Path) -> Any:
        (tmp / "demo" / "report").mkdir(parents=True)
        (tmp / "demo" / "report" / "paper-data").symlink_to(_outside(tmp))
        return cli("demo", "--out", tmp / "demo", "--quick", "--no-progress")

    def linked_record(tmp: Path) -> Any:
        figs = tmp / "figs"
        figs.mkdir()
        (figs / ".grokcheck-written.json").symlink_to(_outside(tmp) / "precious.txt")
        return cli("fit", base_1d(tmp), "--figures", figs)

    return [Case("link: fit --figures over a link to a file outside (--overwrite)", "cli", "accept", fig_link,
                 guard=guard),
            Case("link: fit --figures DIR is a link", "cli", "refuse", fig_dir_link, ("symbolic link",), guard=guard),
            Case("link: report --paper with paper-data/ a link", "cli", "refuse", paper_cache, ("paper-data",),
                 guard=guard, absent=("rep/report.md",)),
            Case("link: demo with report/paper-data a link", "cli", "refuse", demo_cache, ("paper-data",),
                 guard=guard, absent=("demo/runs/perceptron-1d",)),
            Case("link: fit --figures with its record a link", "cli", "accept", linked_record, guard=guard)]


SIM = ["simulate", "perceptron-1d", "--N", "5", "--eps", "0.5", "--replicas", "20", "--no-progress"]


def _message_cases() -> list[Case]:
    def many_files(tmp: Path) -> Any:
        rs = base_1d(tmp)
        m = json.loads((rs / "manifest.json").read_text())
        m["files"].update({f"bogus-{i}.parquet": {"sha256": "0" * 64, "bytes": 1} for i in range(200_000)})
        (rs / "manifest.json").write_text(json.dumps(m))
        return cli("fit", rs)

    def short(value: Any, tmp: Path) -> str | None:
        return None if len(value.err) < 3000 else f"error line of {len(value.err)} characters"

    def read_only(tmp: Path) -> Any:
        import errno
        from unittest import mock

        import comparison._io as cio

        err = OSError(errno.EROFS, "Read-only file system", "/x/.tmp")
        with mock.patch.object(cio.tempfile, "mkdtemp", side_effect=err):
            res = cli(*SIM, "--out", tmp / "rs")
        return res if "[Errno" not in res.err else Cli(1, res.out, res.err)

    def long_json(tmp: Path) -> Any:
        rs = base_1d(tmp)
        return cli("fit", rs, "--json", tmp / ("j" * 250 + ".json"))

    def long_report(tmp: Path) -> Any:
        return cli("report", base_1d(tmp, "r" * 255), "--out", tmp / ("o" * 255), "--no-progress")

    return [Case("message: 200 000 bogus manifest entries", "file", "refuse", many_files, ("199 99", "more"),
                 check=short),
            Case("message: read-only file system", "cli", "refuse", read_only, ("Read-only file system", "rs")),
            Case("message: simulate --out with a 255-byte name", "cli", "accept",
                 lambda tmp: cli(*SIM, "--out", tmp / ("n" * 255))),
            Case("message: fit --json with a 255-byte name", "cli", "accept", long_json),
            Case("message: report of a 255-byte run set into a 255-byte --out", "cli", "accept", long_report,
                 timeout=120)]    # a full report with figures: ~12 s alone, more on a loaded machine


def _size_cases() -> list[Case]:
    def api(fn: Any) -> Any:
        return lambda tmp: fn()

    def lr() -> Any:
        import local_rules

        return local_rules

    def mr() -> Any:
        import modular_rfm

        return modular_rfm

    def bomb(tmp: Path) -> Any:
        import gzip
        import os
        from unittest import mock

        g = tmp / "bomb.csv.gz"
        with gzip.open(g, "wb") as fh:
            fh.write(b"run,t,test_error\n" + b"0,1,0.5\n" * 300_000)
        with mock.patch.dict(os.environ, {"GROKCHECK_MAX_MEM_GB": "0.05"}):
            return cli("fit", g)

    def rounding(tmp: Path) -> Any:
        p = tmp / "acc.csv"
        p.write_text("run,t,acc\n0,0,0.5\n0,1,0.9\n0,2,1.0000000000000002\n1,0,0.4\n1,1,0.7\n1,2,1.0\n")
        return cli("fit", p, "--accuracy-col", "acc", "--tolerance", "0")

    def fraction(value: Any, tmp: Path) -> str | None:
        return None if "scale: fraction" in value.out else "not read as a fraction"

    sim = ["--no-progress", "--out"]
    return [Case("size: run_scenario_b(n_init=10**9)", "api", "refuse",
                 api(lambda: lr().run_scenario_b(n_init=10 ** 9, progress=False)), ("GROKCHECK_MAX_MEM_GB", "n_init"),
                 timeout=5),
            Case("size: run_scenario_a(n_init=10**6, n_steps=10**6)", "api", "refuse",
                 api(lambda: lr().run_scenario_a(n_init=10 ** 6, n_steps=10 ** 6, progress=False)),
                 ("GROKCHECK_MAX_MEM_GB",), timeout=5),
            Case("size: run_rfm(p=401)", "api", "refuse", api(lambda: mr().run_rfm(p=401, progress=False)),
                 ("GROKCHECK_MAX_MEM_GB",), timeout=5),
            Case("size: run_rfm(bandwidth=1e-300)", "api", "refuse",
                 api(lambda: mr().run_rfm(7, n_iter=1, bandwidth=1e-300, progress=False)), ("bandwidth",)),
            Case("size: simulate scenario-b --n-init 10**7", "cli", "refuse",
                 lambda tmp: cli("simulate", "scenario-b", "--n-init", "10000000", *sim, tmp / "o"),
                 ("GROKCHECK_MAX_MEM_GB",), absent=("o",), timeout=5),
            Case("size: simulate scenario-a --n-init 10**6 --n-steps 10**6", "cli", "refuse",
                 lambda tmp: cli("simulate", "scenario-a", "--n-init", "1000000", "--n-steps", "1000000", *sim,
                                 tmp / "o"), ("GROKCHECK_MAX_MEM_GB",), absent=("o",), timeout=5),
            Case("size: paper table1 --n-init 10**9", "cli", "refuse",
                 lambda tmp: cli("paper", "table1", "--n-init", "1000000000"), ("--n-init",), timeout=5),
            Case("size: paper table1 --p-grok-draws 10**10", "cli", "refuse",
                 lambda tmp: cli("paper", "table1", "--p-grok-draws", "10000000000"), ("--p-grok-draws",), timeout=5),
            Case("size: paper scenario-a --n-steps 10**11", "cli", "refuse",
                 lambda tmp: cli("paper", "scenario-a", "--n-steps", "100000000000"), ("--n-steps",), timeout=5),
            Case("size: .csv.gz expanding past the limit", "file", "refuse", bomb, ("rows", "GROKCHECK_MAX_MEM_GB")),
            Case("size: accuracy 1.0000000000000002 stays a fraction", "file", "accept", rounding, check=fraction)]


def _sweep_cases() -> list[Case]:
    import socket
    import threading

    base = {"sweep": {"simulator": "perceptron-1d", "seed": 0, "runs_per_setting": 4, "chunk": 2},
            "fixed": {"N": 3, "eps": 0.5}, "grid": {"lam2": [0.0, 0.1]}}

    def sweep(cfg: dict[str, Any], **kw: Any) -> Any:
        def run(tmp: Path) -> Any:
            from comparison.sweep import run_sweep

            return run_sweep(cfg, tmp / "sw", n_workers=0, progress=False, retries=0, **kw).n_done
        return run

    def size_key(key: str) -> dict[str, Any]:
        return {**base, "sweep": {**base["sweep"], "size_key": key}}

    def server(reply: bytes | None) -> Any:
        def run(tmp: Path) -> Any:
            from unittest import mock

            import comparison.sweep.probe as probe

            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen(4)
            conns: list[Any] = []

            def serve() -> None:
                try:
                    c, _ = s.accept()
                except OSError:
                    return
                conns.append(c)
                if reply is not None:
                    c.sendall(reply)
            threading.Thread(target=serve, daemon=True).start()
            try:
                with mock.patch.object(probe, "CONNECT_DEADLINE_S", 2.0):
                    return sweep(base, scheduler=f"tcp://127.0.0.1:{s.getsockname()[1]}")(tmp)
            finally:
                for c in conns:
                    c.close()
                s.close()
        return run

    def damaged(tmp: Path) -> Any:
        sweep(base)(tmp)
        (tmp / "sw" / "sweep.json").write_text("[" * 100000 + "]" * 100000)
        return sweep(base)(tmp)

    def done4(value: Any, tmp: Path) -> str | None:
        return None if value == 4 else f"{value} tasks done"

    return [Case("sweep: size_key = seed", "config", "refuse", sweep(size_key("seed")), ("size_key", "n_replicas"),
                 absent=("sw",)),
            Case("sweep: size_key = N", "config", "refuse", sweep(size_key("N")), ("size_key",), absent=("sw",)),
            Case("sweep: scheduler that never answers", "config", "refuse", server(None), ("did not answer",),
                 absent=("sw",), timeout=15),
            Case("sweep: scheduler answering garbage", "config", "refuse", server(b"\xff" * 64),
                 ("does not answer like a dask scheduler",), absent=("sw",), timeout=15),
            Case("sweep: sweep.json nested too deeply is rebuilt", "config", "accept", damaged, check=done4)]


def _traceback_cases() -> list[Case]:
    def small_1d(tmp: Path) -> Any:
        res = cli("simulate", "perceptron-1d", "--N", "5", "--eps", "0.2", "--replicas", "50", "--no-progress",
                  "--out", tmp / "rs")
        return res if res.rc else cli("fit", tmp / "rs")

    return [Case("fit of simulate perceptron-1d --N 5 --eps 0.2 --replicas 50", "cli", "accept", small_1d)]


_THEORY = ('import warnings\nimport numpy as np\n{warn}\n'
           'applies_to = "perceptron-ball"\n\n\ndef predict(config):\n    {body}\n')


def _warning_cases() -> list[Case]:
    """Warnings carry names from data (escaped) and numerical ones never precede a refusal."""
    def theory(body: str, warn: str = "") -> Any:
        def run(tmp: Path) -> Any:
            d = tmp / f"th{ESC}"
            d.mkdir()
            (d / f"t{ESC}.py").write_text(_THEORY.format(warn=warn, body=body))
            with warnings.catch_warnings():
                warnings.simplefilter("always")
                return cli("theory", d / f"t{ESC}.py", "--D", "3", "--N", "4")
        return run

    ok = 'x = np.float64(1.0) / 0.0\n    return {"P_grok": 0.5, "nu": (2.0, 0.1)}'
    bad = 'x = np.float64(0.0) / 0.0\n    raise ValueError(f"nu is {x}: refused")'
    return [Case("warning from a theory file in a directory named with escapes", "cli", "accept",
                 theory(ok, f"warnings.warn(\"column 'c{ESC}' has no unit\")"), check=_no_raw),
            Case("numerical warning, then a refusal: one stderr line", "cli", "refuse", theory(bad),
                 words=("refused",))]


def _fits_cases() -> list[Case]:
    """Received fits are a checked cache: forged numbers are refitted; a copy keeps its fits."""
    def forged(tmp: Path) -> Any:
        from comparison.pipeline import analyses_for, fit_runset

        rs = base_1d(tmp)
        fit_runset(rs)
        doc = json.loads((rs / "fits.json").read_text())
        doc["counts"].update(n_runs=5000, n_ok=5000, n_groks=4999, p_grok=4999 / 5000)
        (rs / "fits.json").write_text(json.dumps(doc))
        return analyses_for([rs])[0][0].counts

    def copied(tmp: Path) -> Any:
        import shutil

        from comparison.pipeline import analyses_for, fit_runset

        rs = base_1d(tmp)
        fit_runset(rs)
        shutil.copytree(rs, tmp / "copy")
        before = (tmp / "copy" / "fits.json").read_bytes()
        a = analyses_for([tmp / "copy"])[0][0]
        return a.name, (tmp / "copy" / "fits.json").read_bytes() == before

    return [Case("fits.json forged to 5000 runs with a valid fingerprint", "file", "accept", forged,
                 check=lambda c, tmp: None if c["n_runs"] == 40 else f"forged counts used: {c}"),
            Case("copied run set with its fits.json", "file", "accept", copied,
                 check=lambda v, tmp: None if v == ("copy", True) else f"fits not kept: {v}")]


def cases() -> list[Case]:
    return (_text_cases() + _link_cases() + _message_cases() + _size_cases() + _sweep_cases()
            + _traceback_cases() + _warning_cases() + _fits_cases())

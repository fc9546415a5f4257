"""The docs' code blocks are executed, so that they cannot drift from the code.

* every ```python block of README.md and docs/*.md runs (in a fresh namespace, in a
  temporary working directory), unless the line just before it says
  "not run by the docs test" — then it is reported as skipped with that line as the reason;
* every ```python and ```bash block states its run time ("Run time: ..." within the
  six lines before it);
* every ``grokcheck ...`` command line in a ```bash block parses with the real
  argument parser (flags cannot drift either).
"""
from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SKIP = "not run by the docs test"


def _blocks() -> list[tuple[str, int, str, str, str]]:
    """(file, line, language, code, the three lines before the block)."""
    out = []
    for f in DOCS:
        lines = f.read_text().splitlines()
        i = 0
        while i < len(lines):
            m = re.match(r"^```(\w*)\s*$", lines[i])
            if m:
                j = i + 1
                while j < len(lines) and not lines[j].startswith("```"):
                    j += 1
                before = "\n".join(lines[max(0, i - 6):i])
                out.append((f.relative_to(ROOT).as_posix(), i + 1, m.group(1), "\n".join(lines[i + 1:j]), before))
                i = j
            i += 1
    return out


BLOCKS = _blocks()
PY = [b for b in BLOCKS if b[2] == "python"]
SH = [b for b in BLOCKS if b[2] == "bash"]


def _id(b: tuple[str, int, str, str, str]) -> str:
    return f"{b[0]}:{b[1]}"


def test_blocks_found():
    assert len(PY) >= 8 and len(SH) >= 5


@pytest.mark.parametrize("block", PY + SH, ids=[_id(b) for b in PY + SH])
def test_block_states_its_run_time(block):
    assert re.search(r"[Rr]un time", block[4]), f"{_id(block)}: no 'Run time: ...' line just before the block"


@pytest.mark.parametrize("block", PY, ids=[_id(b) for b in PY])
def test_python_block_runs(block, tmp_path, monkeypatch):
    if SKIP in block[4]:
        reason = block[4].strip().splitlines()[-1].strip("*_ ")
        pytest.skip(f"{_id(block)}: {reason}")
    monkeypatch.chdir(tmp_path)
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(k, os.environ.get(k, "1"))
    import matplotlib

    matplotlib.use("Agg", force=True)
    code = compile(block[3], f"{block[0]}:{block[1]}", "exec")
    exec(code, {"__name__": "__docs__"})  # noqa: S102 - the docs' own examples


@pytest.mark.parametrize("block", SH, ids=[_id(b) for b in SH])
def test_grokcheck_commands_parse(block):
    from comparison.cli.parser import build_parser

    parser = build_parser()
    n = 0
    for line in block[3].splitlines():
        line = line.split(" #")[0].strip()
        if not line.startswith("grokcheck "):
            continue
        args = shlex.split(line.replace("[", "").replace("]", ""))[1:]
        if "--help" in args:
            continue
        try:
            parser.parse_args(args)
        except SystemExit as exc:  # argparse exits on an unknown flag
            pytest.fail(f"{_id(block)}: `{line}` does not parse ({exc})")
        n += 1
    if "grokcheck" in block[3]:
        assert n, f"{_id(block)}: no grokcheck command found"


def test_tolerance_rules_in_the_docs_are_the_codes():
    """docs/comparison.md states the verdict rules; they must be the ones the code applies."""
    from comparison.agreement import TOLERANCE_RULES

    text = (ROOT / "docs" / "comparison.md").read_text()
    block = text.split("<!-- TOLERANCE_RULES -->\n", 1)[1].split("\n<!-- /TOLERANCE_RULES -->", 1)[0]
    assert block.splitlines() == [f"- {r}" for r in TOLERANCE_RULES]
    assert "|z| ≤ 3" not in text and "p-value ≥ 0.001" not in text

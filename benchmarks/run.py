"""Run the benchmarks and write their tables into BENCHMARKS.md.

Each ``benchmarks/bench_<name>.py`` module defines ``run() -> str`` returning a
Markdown section (tables of ratios measured side by side in one process).
This runner replaces the text between ``<!-- BEGIN <name> -->`` and
``<!-- END <name> -->`` in ``BENCHMARKS.md`` (atomically), so each section
always states the command and the machine it was measured with.

    python -m benchmarks.run            # all benchmarks
    python -m benchmarks.run perceptron # only bench_perceptron.py
"""
from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import os
import pkgutil
import platform
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "BENCHMARKS.md"


def available() -> list[str]:
    pkg_dir = Path(__file__).resolve().parent
    return sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules([str(pkg_dir)])
                  if m.name.startswith("bench_"))


def write_section(name: str, body: str, path: Path = TARGET) -> None:
    """Replace (or append) the marked section ``name`` in ``path`` atomically."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".BENCHMARKS.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {available()})")
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    names = args.names or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {available()}")
    for name in names:
        mod = importlib.import_module(f"benchmarks.bench_{name}")
        body = mod.run()
        stamp = (f"_Measured {_dt.date.today().isoformat()} on {platform.machine()} "
                 f"({os.cpu_count()} cores), Python {platform.python_version()}; "
                 f"command: `make bench ONLY={name}` (i.e. `python -m benchmarks.run {name}`)._\n\n")
        section = stamp + body
        print(section)
        if not args.no_write:
            write_section(name, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The hostile-input corpus harness (issue 15): run a case, classify its outcome.

Each :class:`Case` is one hostile input (a CLI line, an API call, a tampered
file, a sweep config) with the outcome it must have:

* ``"refuse"`` -- a *clean refusal*: a ``GrokcheckError``/``ValueError`` (or, from
  the CLI, exit code 2 and one ``grokcheck: error: ...`` line, or an argparse
  usage error naming the option) whose message contains every word of ``words``
  (the parameter's name, usually);
* ``"accept"`` -- a *sane acceptance*: it returns normally, its output holds no
  NaN/inf where a number is due, and ``check`` (if any) finds nothing wrong.

Anything else is a *bad outcome*: a traceback (any other exception, CLI exit
code 1), a silent acceptance of a refused input, a refusal of a valid input, an
unclear message, NaN/inf output, a hang (> 30 s) or data loss (``guard``).
``python -m tests.hostile.harness`` prints the counts by class.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import math
import re
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Case", "Cli", "classify", "cli", "digest", "no_nonfinite", "raw_control", "RAW",
           "REFUSE", "ACCEPT", "BAD"]

REFUSE, ACCEPT, BAD = "clean refusal", "sane acceptance", "bad outcome"
TIME_LIMIT_S = 30
#: a character that must never reach a terminal raw: C0/C1 controls (but newline and tab), DEL,
#: the bidi embeddings, overrides and isolates (the one pattern every hostile test uses)
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def raw_control(*texts: str) -> str | None:
    """What is wrong if any of ``texts`` holds a raw control or bidi character, else None."""
    for t in texts:
        m = RAW.search(t)
        if m:
            return f"raw control {m[0]!r} printed"
    return None


@dataclass
class Cli:
    """What an in-process ``grokcheck`` call did."""

    rc: int
    out: str
    err: str


@dataclass
class Case:
    """One hostile input. ``run(tmp)`` performs it in the empty directory ``tmp``."""

    id: str
    area: str                              # "cli", "api", "file" or "config"
    expect: str                            # "refuse" or "accept"
    run: Callable[[Path], Any]
    words: tuple[str, ...] = ()            # the refusal message must contain these
    check: Callable[[Any, Path], str | None] | None = None   # acceptance sanity check
    guard: Callable[[Path], Any] | None = None   # snapshot that must not change (data loss)
    absent: tuple[str, ...] = ()           # paths (relative to tmp) that must not exist afterwards
    lead: str | None = None                # the fix lives in a file owned by someone else
    marks: list[Any] = field(default_factory=list)
    timeout: int = TIME_LIMIT_S            # seconds before the case counts as a hang


def cli(*argv: str) -> Cli:
    """Run ``grokcheck argv`` in this process; SystemExit (argparse) becomes the exit code."""
    from comparison.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main([str(a) for a in argv])
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 2
    return Cli(rc, out.getvalue(), err.getvalue())


def digest(path: Path) -> dict[str, str]:
    """sha256 of every file under ``path`` (or of the file itself)."""
    if path.is_file():
        return {"": hashlib.sha256(path.read_bytes()).hexdigest()}
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def no_nonfinite(value: Any, where: str = "output") -> str | None:
    """The first NaN/inf float found in ``value`` (dicts, lists, numbers, frames), or None."""
    import numpy as np
    import pandas as pd

    if isinstance(value, Cli):
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            bad = no_nonfinite(v, f"{where}.{k}")
            if bad:
                return bad
        return None
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            bad = no_nonfinite(v, f"{where}[{i}]")
            if bad:
                return bad
        return None
    if isinstance(value, (float, np.floating)) and not math.isfinite(float(value)):
        return f"{where} = {value!r}"
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        return f"{where} has non-finite values"
    if isinstance(value, pd.DataFrame):
        return None  # frames carry NaN on purpose (t_G of non-grokking runs); checked per case
    return None


class _Hang(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Hang()


def _refusal_text(value: Any) -> str | None:
    """The one-line refusal message of a CLI result, or None if it is not a refusal."""
    if not isinstance(value, Cli) or value.rc != 2:
        return None
    lines = [ln for ln in value.err.strip().splitlines() if ln]
    if not lines:
        return None
    if lines[-1].startswith("grokcheck: error: ") and len(lines) == 1:
        return lines[-1]
    if lines[0].startswith("usage:") and ": error: " in lines[-1]:  # argparse
        return lines[-1]
    return None


def _judge_error(case: Case, msg: str) -> tuple[str, str]:
    if case.expect != "refuse":
        return BAD, f"valid input refused: {msg}"
    if "\n" in msg.strip():
        return BAD, f"refusal message is not one line: {msg!r}"
    missing = [w for w in case.words if w.lower() not in msg.lower()]
    if missing:
        return BAD, f"unclear refusal (does not mention {missing}): {msg}"
    return REFUSE, msg


def classify(case: Case, tmp: Path) -> tuple[str, str]:
    """Run ``case`` in ``tmp``; return (class, detail)."""
    before = case.guard(tmp) if case.guard else None
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(case.timeout)
    t0 = time.perf_counter()
    try:
        value = case.run(tmp)
    except _Hang:
        return BAD, f"hang: still running after {case.timeout} s"
    except (ValueError, ) as exc:  # GrokcheckError, RunSetError, ConfigError are ValueErrors
        cls, detail = _judge_error(case, f"{exc.__class__.__name__}: {exc}")
        value = None
    except Exception as exc:  # noqa: BLE001 - any other exception is a traceback
        return BAD, f"traceback: {exc.__class__.__name__}: {str(exc)[:300]}"
    else:
        cls, detail = "", ""
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    if not cls:
        text = _refusal_text(value)
        if text is not None:
            cls, detail = _judge_error(case, text)
        elif isinstance(value, Cli) and value.rc != 0:
            cls, detail = BAD, f"traceback / internal error (exit {value.rc}): {value.err.strip()[-300:]}"
        elif case.expect == "refuse":
            cls, detail = BAD, "silently accepted"
        else:
            bad = no_nonfinite(value)
            if bad is None and isinstance(value, Cli):
                low = value.out.lower()
                bad = next((f"printed {w}" for w in (" nan\n", " inf\n", "-inf\n", '"nan"', '"inf"')
                            if w in low), None)
            if bad is None and case.check is not None:
                try:
                    bad = case.check(value, tmp)
                except Exception as exc:  # noqa: BLE001 - a check that cannot read the output
                    bad = f"{exc.__class__.__name__}: {exc}"[:300]
            cls, detail = (BAD, f"accepted with bad output: {bad}") if bad else (ACCEPT, "ok")
    if case.guard is not None and case.guard(tmp) != before:
        return BAD, "data loss: the guarded files changed"
    left = [a for a in case.absent if (tmp / a).exists()]
    if left:
        return BAD, f"left behind {left} after refusing"
    return cls, f"{detail} ({time.perf_counter() - t0:.2f} s)"


def all_cases() -> list[Case]:
    from . import cases_api, cases_cli, cases_config, cases_files, cases_round3, cases_round4

    out: list[Case] = []
    for mod in (cases_cli, cases_api, cases_files, cases_config, cases_round3, cases_round4):
        out.extend(mod.cases())
    ids = [c.id for c in out]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise RuntimeError(f"duplicate case ids {sorted(dup)}")
    return out


def main() -> None:  # pragma: no cover - the before/after count for the issue
    import collections
    import sys
    import tempfile
    import warnings

    warnings.simplefilter("ignore")
    counts: collections.Counter[str] = collections.Counter()
    by_area: collections.Counter[tuple[str, str]] = collections.Counter()
    t0 = time.perf_counter()
    for case in all_cases():
        with tempfile.TemporaryDirectory() as d:
            cls, detail = classify(case, Path(d))
        counts[cls] += 1
        by_area[(case.area, cls)] += 1
        if cls == BAD or "-v" in sys.argv:
            print(f"{cls:16s} {case.id}: {detail}"[:400])
    print({k: counts[k] for k in (REFUSE, ACCEPT, BAD)}, f"total {sum(counts.values())}",
          f"{time.perf_counter() - t0:.0f} s")
    print(dict(sorted(by_area.items())))


if __name__ == "__main__":  # pragma: no cover
    from tests.hostile import harness as _h  # one copy of the classes (not __main__'s)

    _h.main()

"""Where the commands write: ``--json FILE`` and ``--figures DIR`` never replace a user's file.

Both go through :mod:`comparison._written`: a file that grokcheck did not write
(or that changed since) is replaced only with ``--overwrite``; a directory, a
run set's own file or a path through a linked directory never."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from ..errors import ConfigError

__all__ = ["say", "print_table", "parse_value", "check_json_target", "write_json_output", "check_figure_targets",
           "write_figure_output", "check_report_out"]


def say(text: object, *, file: TextIO | None = None, flush: bool = False) -> None:
    """Print ``text`` (one or more lines) with every control character but newline and tab
    escaped (:func:`~comparison.safe_text.terminal_safe`)."""
    from ..safe_text import terminal_safe

    print(terminal_safe(text), file=sys.stdout if file is None else file, flush=flush)


def check_json_target(target: str | None, *, overwrite: bool) -> None:
    """Refuse, before any work, a ``--json FILE`` that may not be written."""
    from .._written import check_may_write

    if target and target != "-":
        try:
            check_may_write([target], overwrite=overwrite)
        except ValueError as e:
            raise ConfigError(f"--json: {e}") from None


def write_json_output(target: str, data: Any, *, overwrite: bool) -> Path:
    """Write strict JSON (no NaN) to ``target`` atomically, recorded as grokcheck's own."""
    import json

    from .._io import dumps_strict
    from .._written import write_owned

    check_json_target(target, overwrite=overwrite)
    text = dumps_strict(data) + "\n"
    return write_owned(target, text.encode())


def check_figure_targets(directory: str, names: list[str], *, overwrite: bool) -> None:
    """Refuse a ``--figures DIR`` whose figure files may not be written."""
    from .._written import check_may_write

    d = Path(directory)
    if d.is_symlink() or (d.exists() and not d.is_dir()):
        raise ConfigError(f"--figures: {directory!r} is not a directory (or is a symbolic link)")
    try:
        check_may_write([d / n for n in names], overwrite=overwrite)
    except ValueError as e:
        raise ConfigError(f"--figures: {e}") from None


def write_figure_output(directory: str, name: str, data: bytes) -> Path:
    """Write one figure's bytes into ``directory`` (checked first), recorded as grokcheck's own."""
    from .._written import write_owned

    return write_owned(Path(directory) / name, data)


def parse_value(text: str) -> Any:
    """A ``--set`` value: JSON when it parses, else the string itself."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def print_table(rows: list[tuple[str, str]]) -> None:
    """Two aligned columns, each line through :func:`say`."""
    width = max(len(k) for k, _ in rows) if rows else 0
    for k, v in rows:
        say(f"  {k:<{width}}  {v}")


def check_report_out(out: str, formats: list[str], *, overwrite: bool) -> None:
    """Refuse, before any work, an ``--out`` whose report files grokcheck may not replace."""
    from .._written import check_may_write

    d = Path(out)
    for sub in (d, d / "figures", d / "paper-data"):
        if sub.is_symlink() or (sub.exists() and not sub.is_dir()):
            raise ConfigError(f"--out: {str(sub)!r} exists and is not a directory (or is a symbolic link)")
    names = {"report.md"} if "md" in formats else set()
    names |= {"report.html"} if {"html", "pdf"} & set(formats) else set()
    names |= {"report.pdf"} if "pdf" in formats else set()
    try:
        check_may_write([d / n for n in sorted(names)], overwrite=overwrite)
    except ValueError as e:
        raise ConfigError(f"--out: {e}") from None
    try:  # an --out that cannot be created is refused before minutes of fitting and drawing
        d.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"--out {out!r} cannot be created: {e.strerror or e}") from None

"""Warnings on the command line: terminal-safe, and numerical ones held back on the error path.

A Python warning can carry text from data (a column or file name in its message, a user
theory's file name as its location). :func:`shown_warnings` replaces
:func:`warnings.showwarning` for the duration of one command so that every warning printed
passes :func:`comparison.safe_text.terminal_safe`. Numerical warnings (``RuntimeWarning``:
numpy's ``invalid value``/``divide by zero``, scipy's fit warnings) are held until the
command ends: printed after a command that succeeds, dropped after a refusal, whose one
line ``grokcheck: error: ...`` already says what went wrong. Every other warning is printed
at once. Warning filters (``python -W ...``, ``PYTHONWARNINGS``) are left as they are.

Examples
--------
>>> import io, sys, warnings
>>> err, sys.stderr = sys.stderr, io.StringIO()
>>> with shown_warnings() as held:
...     warnings.warn("column 'x\\x1b[2J'", UserWarning)
...     warnings.warn("invalid value", RuntimeWarning)
...     held.discard()
>>> text, sys.stderr = sys.stderr.getvalue(), err
>>> "\\\\x1b[2J" in text and "\\x1b" not in text and "invalid value" not in text
True
"""
from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator

__all__ = ["HeldWarnings", "shown_warnings", "format_warning"]


def format_warning(message: Warning | str, category: type[Warning], filename: str,
                   lineno: int, line: str | None = None) -> str:
    """One warning as ``FILE:LINE: Category: message`` with every control escaped.

    Parameters
    ----------
    message, category, filename, lineno, line
        As given to :func:`warnings.showwarning`; ``line`` (source text) is not shown.

    Returns
    -------
    str
        A terminal-safe line ending in a newline.

    Examples
    --------
    >>> format_warning(UserWarning("bad \\u202e name"), UserWarning, "/t/a\\x1b.py", 3)
    '/t/a\\\\x1b.py:3: UserWarning: bad \\\\u202e name\\n'
    """
    from ..safe_text import terminal_safe

    text = f"{filename}:{lineno}: {category.__name__}: {message}"
    return terminal_safe(text, keep="") + "\n"


class HeldWarnings:
    """The numerical warnings held back while a command runs (see :func:`shown_warnings`)."""

    def __init__(self) -> None:
        self._held: list[str] = []

    def show(self, message, category, filename, lineno, file=None, line=None) -> None:
        """The ``warnings.showwarning`` replacement: hold numerical warnings, print the rest."""
        text = format_warning(message, category, filename, lineno)
        if issubclass(category, RuntimeWarning):
            self._held.append(text)
            return
        _write(text, file)

    def flush(self) -> None:
        """Print the held warnings (the command succeeded)."""
        for text in self._held:
            _write(text, None)
        self._held.clear()

    def discard(self) -> None:
        """Drop the held warnings (the command was refused: its error line says why)."""
        self._held.clear()


def _write(text: str, file) -> None:
    stream = sys.stderr if file is None else file
    try:
        stream.write(text)
    except (OSError, ValueError):   # a closed or broken stderr: a warning is not worth a crash
        pass


@contextlib.contextmanager
def shown_warnings() -> Iterator[HeldWarnings]:
    """Show warnings terminal-safe for one command; yield the holder of numerical ones.

    On leaving, held warnings that were neither flushed nor discarded are printed.
    """
    held = HeldWarnings()
    with warnings.catch_warnings():
        warnings.showwarning = held.show
        try:
            yield held
        finally:
            held.flush()

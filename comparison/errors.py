"""The errors grokcheck raises on purpose: one base class, one subclass per layer.

Every error derives from :class:`GrokcheckError`, itself a ``ValueError``, so
callers that catch ``ValueError`` (bad input) keep working. The command line
prints any of them as one line and exits with code 2.

>>> from comparison.errors import ConfigError, GrokcheckError
>>> issubclass(ConfigError, GrokcheckError) and issubclass(ConfigError, ValueError)
True
"""
from __future__ import annotations

import os
from collections.abc import Sequence

__all__ = ["GrokcheckError", "ConfigError", "RunSetError", "SweepError", "FitError", "join_problems"]

#: at most this many problems are listed in one message, each at most this many characters
MAX_PROBLEMS, MAX_PROBLEM_CHARS = 5, 300


def join_problems(problems: Sequence[str], limit: int = MAX_PROBLEMS) -> str:
    """The first ``limit`` problems joined by ``"; "``, each shortened to ``MAX_PROBLEM_CHARS``,
    and how many more there are -- so a 200 000-entry manifest still gives one short line.

    >>> join_problems(["a", "b"])
    'a; b'
    >>> join_problems([f"p{i}" for i in range(200_002)])
    'p0; p1; p2; p3; p4; … and 199 997 more'
    """
    shown = [p if len(p) <= MAX_PROBLEM_CHARS else p[:MAX_PROBLEM_CHARS] + "…" for p in map(str, problems[:limit])]
    rest = len(problems) - len(shown)
    return "; ".join(shown) + (f"; … and {rest:,} more".replace(",", " ") if rest > 0 else "")


class GrokcheckError(ValueError):
    """Base of every error grokcheck raises deliberately (a user-facing message)."""


class ConfigError(GrokcheckError):
    """A simulator name, parameter, option or config file is not acceptable."""


class FitError(GrokcheckError):
    """The data do not allow this fit (too few points, no approach before t_eps, a degenerate
    window): :func:`~comparison.agreement.analyse` reports it as "not fitted" — and only it; any
    other error is a bug and surfaces."""


class SweepError(GrokcheckError):
    """A sweep directory or config cannot be used (the message says why and what to do)."""


class RunSetError(GrokcheckError):
    """A run set (or table) on disk is missing, broken or partial.

    ``problems`` lists every problem found; ``str(err)`` is one line naming the first
    few (:func:`join_problems`).
    """

    def __init__(self, path: str | os.PathLike[str], problems: Sequence[str]):
        self.path = str(path)
        self.problems = list(problems)
        super().__init__(f"invalid run set {self.path!r}: " + join_problems(self.problems))

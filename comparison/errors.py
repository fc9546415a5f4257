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

__all__ = ["GrokcheckError", "ConfigError", "RunSetError", "SweepError", "FitError"]


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

    ``problems`` lists every problem found; ``str(err)`` is one line.
    """

    def __init__(self, path: str | os.PathLike[str], problems: Sequence[str]):
        self.path = str(path)
        self.problems = list(problems)
        super().__init__(f"invalid run set {self.path!r}: " + "; ".join(self.problems))

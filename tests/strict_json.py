"""One strict JSON parser for the tests (issue 23 item 5): what grokcheck writes must parse here.

Refuses the ``NaN``/``Infinity``/``-Infinity`` constants Python's ``json`` accepts by default, and
legacy ``"nan"``/``"inf"`` strings standing in for numbers anywhere among the values. Import it as
``from tests.strict_json import strict_loads`` (``tests`` is a package; its conftest puts the project
root on ``sys.path``).
"""
from __future__ import annotations

import json

__all__ = ["LEGACY_NONFINITE", "strict_loads"]

LEGACY_NONFINITE = ("nan", "inf", "-inf", "NaN", "Infinity", "-Infinity")


def _refuse(constant: str):
    raise ValueError(f"non-strict JSON constant {constant}")


def strict_loads(text: str):
    """Parse ``text`` as strict JSON; ValueError on a non-finite constant, AssertionError on a
    non-finite number spelled as a string."""
    doc = json.loads(text, parse_constant=_refuse)
    stack = [doc]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            stack += list(x.values())
        elif isinstance(x, list):
            stack += x
        else:
            assert not (isinstance(x, str) and x in LEGACY_NONFINITE), \
                f"non-finite number spelled as the string {x!r}"
    return doc

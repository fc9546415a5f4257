"""Links from a verdict row to its entry in ``docs/errata.md``: a disagreement that is documented
(a misprint, an approximation outside its regime) says so next to the number.

The errata are indexed by paper section (``## <package> ...``) and, within it, by the equation
numbers named in each entry's title: a ``###`` heading, a bold lead (``**Eq. 30 (...)**``) or the
first cell of a table row. A row matches an entry when the analysis' model or generator names the
section's package and the row's ``theory`` (or quantity) names one of the entry's equations.

>>> idx = errata_index("## perceptron_theory (paper)\\n\\n**Eqs. 31–33, 88 (bounds).** text\\n")
>>> [(e.package, e.equations, e.anchor) for e in idx]
[('perceptron_theory', (31, 32, 33, 88), 'perceptron_theory-paper')]
>>> errata_link({"theory": "Eq. 32 lower bound"}, "perceptron_theory", idx)
'[errata: Eqs. 31–33, 88 (bounds)](docs/errata.md#perceptron_theory-paper)'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..safe_text import markdown_safe

__all__ = ["ErrataEntry", "errata_index", "errata_link", "equations_in", "ERRATA_FILE", "load_errata"]

#: the project's errata file (a source checkout; an installed package without it links nothing)
ERRATA_FILE = Path(__file__).resolve().parents[2] / "docs" / "errata.md"
_EQ = re.compile(r"Eqs?\.\s*((?:\d+(?:\s*[–-]\s*\d+)?(?:\s*,\s*|\s+and\s+)?)+)")


@dataclass(frozen=True)
class ErrataEntry:
    """One errata entry: its paper section's package, title, equations and heading anchor."""

    package: str
    title: str
    equations: tuple[int, ...]
    anchor: str


def equations_in(text: str) -> tuple[int, ...]:
    """Equation numbers named in ``text`` ("Eq. 30", "Eqs. 31–33, 88", "Eq. 30/32" gives 30 only).

    >>> equations_in("Eqs. 31–33, 88–89 and Eq. 8")
    (31, 32, 33, 88, 89, 8)
    """
    out: list[int] = []
    for m in _EQ.finditer(text):
        body = re.sub(r"(\s*,\s*|\s+and\s*)$", "", m.group(1).strip())
        for part in re.split(r"\s*,\s*|\s+and\s+", body):
            lo, _, hi = re.sub(r"\s", "", part).replace("–", "-").partition("-")
            if lo.isdigit():
                out += list(range(int(lo), int(hi) + 1)) if hi.isdigit() and 0 <= int(hi) - int(lo) < 50 \
                    else [int(lo)]
    return tuple(out)


def _slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    s = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return s.replace(" ", "-")


def errata_index(text: str) -> list[ErrataEntry]:
    """The entries of an errata document ``text`` that name equations (see the module docstring)."""
    out: list[ErrataEntry] = []
    package, anchor = "", ""
    for line in text.splitlines():
        if line.startswith("## "):
            package = line[3:].split()[0].rstrip(":") if line[3:].split() else ""
            anchor = _slug(line[3:])
            continue
        if line.startswith("### "):
            anchor = _slug(line[4:])
            title = line[4:].strip()
        elif line.startswith("**") and "**" in line[2:]:
            title = line[2:line.index("**", 2)].strip().rstrip(".")
        elif line.startswith("|") and line.count("|") > 2:
            title = line.split("|")[1].strip()
        else:
            continue
        eqs = equations_in(title)
        if eqs and package:
            out.append(ErrataEntry(package, title, eqs, anchor))
    return out


@lru_cache(maxsize=4)
def load_errata(path: str = str(ERRATA_FILE)) -> tuple[ErrataEntry, ...]:
    """:func:`errata_index` of the file ``path`` (empty when it does not exist)."""
    p = Path(path)
    return tuple(errata_index(p.read_text(encoding="utf-8"))) if p.is_file() else ()


def errata_link(row: Any, model: str, index: Any = None) -> str:
    """A Markdown link to the first errata entry of ``row`` (a verdict row with ``theory`` and
    ``quantity``) under a section whose package ``model`` names, or "" when there is none."""
    entries = load_errata() if index is None else index
    eqs = set(equations_in(f"{row.get('theory', '') or ''} {row.get('quantity', '') or ''}"))
    if not eqs:
        return ""
    for e in entries:
        if e.package and e.package in model and eqs.intersection(e.equations):
            return f"[errata: {markdown_safe(e.title)}](docs/errata.md#{e.anchor})"
    return ""

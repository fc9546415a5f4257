"""Links from a verdict row to its entry in ``docs/errata.md``: a disagreement that is documented
(a misprint, an approximation outside its regime) says so next to the number.

Every entry of the errata file has a stable id: the ``<a id="erratum-…"></a>`` line just above it
(an HTML anchor, invisible when the file is rendered), else one derived from its section and
title. Entries are ``###`` headings, bold leads (``**Eq. 30 (...)**``, also as a list item) and,
under a heading, table rows whose first cell names an equation. A section's package is the first
word of its ``##`` heading when that is a module name, else the one named by a
``<!-- errata-package: NAME -->`` line in the section.

A row finds its entry in two ways, the first that answers wins:

1. explicitly — the row's ``erratum`` column (set by the theory, :class:`~comparison.registry.Prediction`
   ``erratum`` or :class:`~comparison.registry.TheorySpec` ``errata``) names an entry's id; shown on
   every row that does not agree (a "not testable" row included: the theory itself says the
   entry is about it);
2. by equation number — for a disagreement only: the analysis' model or generator names the
   section's package and the row's ``theory`` (or quantity) names one of the entry's equations.

Links point inside the report (``#erratum-…``): :func:`add_errata_section` copies each cited
entry's title and a short excerpt into the report under that anchor, with the absolute path of
the full entry, so a link resolves wherever the report is written.

>>> idx = errata_index("## perceptron_theory (paper)\\n\\n**Eqs. 31–33, 88 (bounds).** text\\n")
>>> [(e.package, e.equations, e.anchor) for e in idx]
[('perceptron_theory', (31, 32, 33, 88), 'erratum-perceptron_theory-eqs-3133-88-bounds')]
>>> errata_link({"theory": "Eq. 32 lower bound", "verdict": "disagrees"}, "perceptron_theory", idx)
'[errata: Eqs. 31–33, 88 (bounds)](#erratum-perceptron_theory-eqs-3133-88-bounds)'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..safe_text import markdown_code, markdown_safe

__all__ = ["ErrataEntry", "errata_index", "errata_link", "equations_in", "ERRATA_FILE", "load_errata",
           "row_erratum", "cited_errata", "add_errata_section", "EXCERPT_CHARS"]

#: the project's errata file (a source checkout; an installed package without it links nothing)
ERRATA_FILE = Path(__file__).resolve().parents[2] / "docs" / "errata.md"
EXCERPT_CHARS = 400  # the excerpt copied into a report
_EQ = re.compile(r"Eqs?\.\s*((?:\d+(?:\s*[–-]\s*\d+)?(?:\s*,\s*|\s+and\s+)?)+)")
_ID = re.compile(r'^<a id="([A-Za-z0-9_-]+)"></a>\s*$')
_PKG = re.compile(r"^<!--\s*errata-package:\s*([A-Za-z_][\w.]*)\s*-->\s*$")
_LEAD = re.compile(r"^(?:[-*]\s+|\d+\.\s+)?\*\*(.+?)\*\*(.*)$")
_MODULE = re.compile(r"^[a-z_][a-z0-9_.]*$")
_AGREE = ("agrees", "bound holds")
_BAD = ("disagrees", "bound violated")


@dataclass(frozen=True)
class ErrataEntry:
    """One errata entry: its paper section's package, title, equations, stable id (``anchor``,
    also its anchor in a report) and a short excerpt of its text."""

    package: str
    title: str
    equations: tuple[int, ...]
    anchor: str
    excerpt: str = ""


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


def _slug(text: str) -> str:
    """An ASCII anchor of ``text``: lower case, letters, digits, ``_`` and ``-`` (dots and spaces as ``-``)."""
    s = re.sub(r"[^a-z0-9_\- ]", "", text.strip().lower().replace(".", " "))
    return re.sub(r"-{2,}", "-", s.replace(" ", "-"))


def _excerpt(lines: list[str], start: int, first: str) -> str:
    """``first`` and the rest of its paragraph (from ``lines[start]`` to a blank line, heading,
    anchor or next entry), whitespace-collapsed and cut at :data:`EXCERPT_CHARS`."""
    parts = [first.strip()]
    for line in lines[start:]:
        if not line.strip() or line.startswith(("#", "|", "<a id=")) or _LEAD.match(line):
            break
        parts.append(line.strip())
    text = " ".join(p for p in parts if p)
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"


def _entry_of(line: str, lines: list[str], i: int) -> tuple[str, str, bool] | None:
    """(title, excerpt, needs_equations) when ``lines[i]`` opens an entry, else None."""
    if line.startswith("### "):
        nxt = next((j for j in range(i + 1, len(lines)) if lines[j].strip()), len(lines))
        prose = nxt < len(lines) and not lines[nxt].startswith(("#", "|", "<")) and not _LEAD.match(lines[nxt])
        return line[4:].strip(), _excerpt(lines, nxt + 1, lines[nxt]) if prose else "", False
    m = _LEAD.match(line)
    if m:
        return m.group(1).strip().rstrip("."), _excerpt(lines, i + 1, m.group(2)), False
    if line.startswith("|") and line.count("|") > 2:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        return cells[0], " — ".join(cells), True
    return None


def errata_index(text: str) -> list[ErrataEntry]:
    """The entries of an errata document ``text`` (see the module docstring)."""
    out: list[ErrataEntry] = []
    package, section, pending = "", "", None
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("## "):
            words = line[3:].split()
            first = words[0].rstrip(":") if words else ""
            package, section, pending = (first if _MODULE.match(first) else ""), _slug(line[3:]), None
            continue
        if (m := _ID.match(line)) or (p := _PKG.match(line)):
            if m:
                pending = m.group(1)
            else:
                package = p.group(1)
            continue
        found = _entry_of(line, lines, i)
        if found is None:
            continue
        title, excerpt, needs_eqs = found
        eqs = equations_in(title)
        if (needs_eqs and not eqs) or not (package or pending):
            continue
        anchor = pending or f"erratum-{_slug(package or section)}-{_slug(title)[:48].strip('-')}"
        out.append(ErrataEntry(package, title, eqs, anchor, excerpt))
        pending = None
    return out


@lru_cache(maxsize=4)
def load_errata(path: str = str(ERRATA_FILE)) -> tuple[ErrataEntry, ...]:
    """:func:`errata_index` of the file ``path`` (empty when it does not exist)."""
    p = Path(path)
    return tuple(errata_index(p.read_text(encoding="utf-8"))) if p.is_file() else ()


def row_erratum(row: Any, model: str, index: Any = None) -> ErrataEntry | None:
    """The errata entry of a verdict ``row`` (``theory``, ``quantity``, ``verdict``, optional
    ``erratum``) of an analysis whose model/generator text is ``model``, or None (module docstring)."""
    entries = load_errata() if index is None else index
    verdict = str(row.get("verdict", "") or "")
    named = row.get("erratum")
    if isinstance(named, str) and named and verdict not in _AGREE:
        hit = next((e for e in entries if e.anchor == named), None)
        if hit is not None:
            return hit
    if verdict not in _BAD:
        return None
    eqs = set(equations_in(f"{row.get('theory', '') or ''} {row.get('quantity', '') or ''}"))
    if not eqs:
        return None
    return next((e for e in entries if e.package and e.package in model and eqs.intersection(e.equations)), None)


def errata_link(row: Any, model: str, index: Any = None) -> str:
    """A Markdown link (to the report's own copy, ``#<id>``) to the errata entry of ``row``
    (:func:`row_erratum`), or "" when there is none."""
    e = row_erratum(row, model, index)
    return "" if e is None else f"[errata: {markdown_safe(e.title)}](#{e.anchor})"


def cited_errata(analyses: Any, index: Any = None) -> list[ErrataEntry]:
    """The entries that the verdict rows of ``analyses`` link, once each, in order of first citation."""
    out: dict[str, ErrataEntry] = {}
    for a in analyses:
        for r in a.verdicts.to_dict(orient="records"):
            e = row_erratum(r, f"{a.model} {a.generator}", index)
            if e is not None:
                out.setdefault(e.anchor, e)
    return list(out.values())


def add_errata_section(rep: Any, entries: Any, source: Path = ERRATA_FILE) -> None:
    """The report's copy of the cited ``entries``: a heading with the entry's id as anchor (what
    the rows link), its excerpt, and where the full entry is (absolute path and id)."""
    if not entries:
        return
    rep.h(2, "Errata cited by the verdicts", anchor="errata-cited")
    rep.p("Each documented disagreement above links here: the entry's title and its first lines, copied "
          f"from {markdown_code(source.name)}; the full entry is at the path given.")
    for e in entries:
        rep.h(3, f"Erratum: {markdown_safe(e.title)}", anchor=e.anchor)
        rep.p(f"{markdown_safe(e.excerpt)} — full entry: {markdown_code(f'{source.as_uri()}#{e.anchor}')}")

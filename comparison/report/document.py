"""The report document: an ordered list of blocks rendered to Markdown and HTML.

The same inputs give byte-identical outputs: no time stamps are written (the
run sets' own creation times, which are inputs, are quoted), figures are saved
without time stamps or ``Software`` metadata, and tables are rendered with fixed number
formats. Markdown links its figures (``figures/*.png``); the HTML embeds them
as base64 data URIs with inline CSS, nothing external.
"""
from __future__ import annotations

import base64
import html
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._io import write_bytes_atomic
from ..safe_text import markdown_guard, terminal_safe

__all__ = ["Report", "write_report", "df_to_markdown", "slug", "FORMATS", "MAX_COLS"]


# ---------------------------------------------------------------------- document model
@dataclass
class Report:
    """An ordered list of blocks; figures are kept as PNG and PDF bytes until rendering.

    ``variants``: also save every figure made from a factory at the other print
    width (``<name>-single`` / ``<name>-double``), for a paper's other layout.
    """

    title: str
    blocks: list[tuple[str, Any]] = field(default_factory=list)
    figures: dict[str, bytes] = field(default_factory=dict)
    variants: bool = False
    #: a progress bar (``tqdm``-like: ``update(n)``) advanced once per figure drawn, or None
    bar: Any = None

    def h(self, level: int, text: str, anchor: str | None = None) -> None:
        """A heading; ``anchor`` becomes its HTML id (links: ``[text](#anchor)``)."""
        self.blocks.append(("h", (level, text, anchor)))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def items(self, items: Sequence[str]) -> None:
        self.blocks.append(("ul", list(items)))

    def box(self, title: str, items: Sequence[str]) -> None:
        """A framed summary (a blockquote in Markdown)."""
        self.blocks.append(("box", (title, list(items))))

    def table(self, df: pd.DataFrame, floatfmt: str = ".4g", key: Sequence[str] | None = None) -> None:
        """A table; wider than :data:`MAX_COLS` columns it is rendered in parts, each
        repeating the ``key`` columns (default: the first column)."""
        self.blocks.append(("table", (df.reset_index(drop=True), floatfmt, list(key) if key else None)))

    def figure(self, fig: Any, name: str, caption: str, width: str = "single") -> None:
        """Add a figure under ``figures/<name>.png`` and ``.pdf`` (vector); the figure is closed.

        ``fig`` is a matplotlib figure or a factory ``width -> figure`` (then, with
        :attr:`variants`, the other width is saved too)."""
        from .style import figure_bytes

        base = _file_stem(name)
        k = 2
        while f"{base}.png" in self.figures:
            base = f"{_file_stem(name)}-{k}"
            k += 1
        made = fig(width) if callable(fig) else fig
        if made is None:
            return
        for ext, data in figure_bytes(made).items():
            self.figures[f"{base}.{ext}"] = data
        if callable(fig) and self.variants:
            other = "double" if width == "single" else "single"
            for ext, data in figure_bytes(fig(other)).items():
                self.figures[f"{base}-{other}.{ext}"] = data
        self.blocks.append(("fig", (f"{base}.png", caption, width)))
        if self.bar is not None:
            self.bar.update(1)


def _file_stem(name: str) -> str:
    """``slug(name)``, shortened with a digest when too long for a file name (a run set's name
    may have 255 bytes; its figures add ``-nu-sensitivity-double.png``)."""
    import hashlib

    s = slug(name)
    if len(s.encode()) <= 120:
        return s
    head = s.encode()[:100].decode("utf-8", "ignore")
    return f"{head}-{hashlib.sha256(s.encode()).hexdigest()[:12]}"


def slug(s: str) -> str:
    out = "".join(c if c.isalnum() or c in "-_" else "-" for c in s.lower())
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-") or "figure"


def _fmt(v: Any, floatfmt: str) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return "–"
        return format(float(v), floatfmt)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return str(v)


def _md_cell(text: str) -> str:
    return markdown_guard(text, block=False).replace("|", "\\|")


def df_to_markdown(df: pd.DataFrame, floatfmt: str = ".4g") -> str:
    """A GitHub-flavoured Markdown table (no external dependency); every cell and column
    name passes :func:`~comparison.safe_text.markdown_guard` (no HTML, no line break)."""
    cols = [_md_cell(str(c)) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for row in df.itertuples(index=False):
        cells = [_md_cell(_fmt(v, floatfmt)) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _parts(df: pd.DataFrame, key: list[str] | None) -> list[pd.DataFrame]:
    """Split a table wider than MAX_COLS into parts that each repeat the key columns."""
    if df.shape[1] <= MAX_COLS:
        return [df]
    key = [c for c in (key or [df.columns[0]]) if c in df.columns]
    rest = [c for c in df.columns if c not in key]
    step = max(1, MAX_COLS - len(key))
    return [df[key + rest[i:i + step]] for i in range(0, len(rest), step)]


def _part_note(i: int, n: int) -> str:
    return f"(table part {i + 1} of {n})" if n > 1 else ""


def _render_md(rep: Report) -> str:
    g = markdown_guard   # every block is one line: no raw HTML, no forged heading (safe_text)
    out = [f"# {g(rep.title)}", ""]
    for kind, val in rep.blocks:
        if kind == "h":
            if val[2]:
                out += [f'<a id="{val[2]}"></a>', ""]
            out += ["#" * (val[0] + 1) + " " + g(val[1]), ""]
        elif kind == "p":
            out += [g(val), ""]
        elif kind == "ul":
            out += [f"- {g(x)}" for x in val] + [""]
        elif kind == "box":
            out += [f"> **{g(val[0], block=False)}**", ">"] + [f"> - {g(x)}" for x in val[1]] + [""]
        elif kind == "table":
            parts = _parts(val[0], val[2])
            for i, part in enumerate(parts):
                out += ([_part_note(i, len(parts)), ""] if len(parts) > 1 else []) + [df_to_markdown(part, val[1]), ""]
        elif kind == "fig":
            stem, cap = val[0][:-4], g(val[1], block=False)
            out += [f"![{cap}](figures/{val[0]})", "",
                    f"*{cap}* ([PNG](figures/{val[0]}), [PDF](figures/{stem}.pdf))", ""]
    return "\n".join(out).rstrip() + "\n"


#: tables wider than this are rendered in parts (fits A4 portrait at 7.5 pt and 1400 px screens).
MAX_COLS = 10

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:0.6em 0 1.2em 0;font-size:0.86em;max-width:100%}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:right;vertical-align:top;overflow-wrap:break-word}
th{background:#f2f2f2}td.text{text-align:left;min-width:10em}td.str{text-align:left}td.short{white-space:nowrap}
td:first-child,th:first-child{text-align:left}
.tpart{font-size:0.8em;color:#666;margin:0}
figure{margin:1em 0}figcaption{font-size:0.88em;color:#555}
img{max-width:100%;height:auto}img.single{width:520px}img.double{width:1060px}
code{background:#f5f5f5;padding:0 3px}
.summary{border:2px solid #0072B2;border-radius:4px;padding:0.4em 1em;margin:1em 0;background:#f4f9fd}
.summary h3{margin:0.2em 0}
.agrees,.bound-holds{color:#0b6e4f;font-weight:600}.disagrees,.bound-violated{color:#b3261e;font-weight:600}
.not-testable{color:#7a5c00}
@page{size:A4 portrait;margin:14mm 12mm}
@media print{
body{max-width:none;margin:0;padding:0;font-size:9pt}
table{font-size:7pt;page-break-inside:auto}tr{page-break-inside:avoid}th,td{padding:1px 3px}
td.text{min-width:7em}td.short{white-space:normal}
img.single{width:3.4in}img.double{width:100%}
figure,.summary{page-break-inside:avoid}h1,h2,h3{page-break-after:avoid}
a{color:inherit;text-decoration:none}
}
"""


def _cell_class(s: str, v: Any) -> str:
    word = s.split(":")[0]
    if word in ("agrees", "disagrees", "bound holds", "bound violated", "not testable"):
        return f' class="{word.replace(" ", "-")}"'
    if isinstance(v, str) and len(v) > 24:
        return ' class="text"'
    if isinstance(v, str):
        return ' class="str short"' if len(s) <= 14 else ' class="str"'
    return ' class="short"' if len(s) <= 14 else ""


def _html_table(df: pd.DataFrame, ff: str) -> str:
    e = html.escape
    head = "".join(f"<th>{e(str(c))}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = [f"<td{_cell_class(_fmt(v, ff), v)}>{_inline(_fmt(v, ff))}</td>" for v in row]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _render_html(rep: Report) -> str:
    e = html.escape
    out = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
           f"<title>{e(rep.title)}</title><style>{_CSS}</style></head><body>", f"<h1>{e(rep.title)}</h1>"]
    for kind, val in rep.blocks:
        if kind == "h":
            lvl = min(val[0] + 1, 6)
            ident = f' id="{e(val[2])}"' if val[2] else ""
            out.append(f"<h{lvl}{ident}>{_inline(val[1])}</h{lvl}>")
        elif kind == "p":
            out.append(f"<p>{_inline(val)}</p>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{_inline(x)}</li>" for x in val) + "</ul>")
        elif kind == "box":
            out.append(f"<div class=\"summary\"><h3>{e(val[0])}</h3><ul>"
                       + "".join(f"<li>{_inline(x)}</li>" for x in val[1]) + "</ul></div>")
        elif kind == "table":
            parts = _parts(val[0], val[2])
            for i, part in enumerate(parts):
                if len(parts) > 1:
                    out.append(f"<p class=\"tpart\">{_part_note(i, len(parts))}</p>")
                out.append(_html_table(part, val[1]))
        elif kind == "fig":
            data = base64.b64encode(rep.figures[val[0]]).decode("ascii")
            out.append(f"<figure><img class=\"{val[2]}\" alt=\"{e(_plain(val[1]))}\" src=\"data:image/png;base64,{data}\">"
                       f"<figcaption>{_inline(val[1])}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# in-page links only (errata entries are copied into the report: report.errata)
_LINK = re.compile(r"\[([^\]]+)\]\((#[A-Za-z0-9_-]+)\)")
# Markdown's literal-text escapes (safe_text.markdown_safe): backslash + ASCII punctuation, three entities
_MD_LITERAL = re.compile(r"\\([!-/:-@\[-`{-~])|&(amp|lt|gt);")
_ENTITY = {"amp": "&", "lt": "<", "gt": ">"}
_HOLD = re.compile("[\ue000-\ue07f]")   # private-use slots that hold escaped characters while rendering


def _plain(text: str) -> str:
    """The literal text of Markdown ``text`` (escapes resolved, controls visible), for attributes."""
    text = terminal_safe(text.replace("\n", " "), keep="\t")
    return _MD_LITERAL.sub(lambda m: m[1] or _ENTITY[m[2]], text)


def _inline(text: str) -> str:
    """Escape, then render `code` spans and in-page links ``[text](#anchor)``; Markdown's
    escapes (``\\[``, ``&lt;``) stand for the literal character, control characters are
    shown as visible escapes (:mod:`comparison.safe_text`)."""
    text = _HOLD.sub(lambda m: f"\\u{ord(m[0]):04x}", text)
    text = terminal_safe(text.replace("\n", " "), keep="\t")
    text = _MD_LITERAL.sub(lambda m: chr(0xE000 + ord(m[1] or _ENTITY[m[2]])), text)
    parts = html.escape(text, quote=False).split("`")
    out = "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
    out = _LINK.sub(r'<a href="\2">\1</a>', out)
    return _HOLD.sub(lambda m: html.escape(chr(ord(m[0]) - 0xE000)), out)


FORMATS = ("md", "html", "pdf")


def write_report(rep: Report, out_dir: str | os.PathLike[str], formats: Sequence[str] = ("md", "html"),
                 *, overwrite: bool = False) -> Path:
    """Write ``report.md`` and/or ``report.html`` (and ``report.pdf``) and
    ``figures/*.png`` + ``figures/*.pdf`` into ``out_dir``.

    Each file is written atomically (temporary file, fsync, rename) and listed,
    with its digest, in the directory's record of what grokcheck wrote
    (:mod:`comparison._written`). An existing ``report.*`` or figure that
    grokcheck did not write (or that was edited since) is replaced only with
    ``overwrite=True``; a file in ``figures/`` that the new report does not use
    is removed only when grokcheck wrote it — never a user's file. Order: the
    figures first, then the documents, then stale own figures, so a kill at any
    moment never leaves a document pointing at a deleted figure. ``pdf`` prints
    the HTML with headless Chromium (see :func:`~comparison.report.pdf.html_to_pdf`).
    """
    import shutil

    from .._written import RECORD_NAME, check_may_write, read_record, remove_owned, write_owned

    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(f"formats must be a non-empty subset of {list(FORMATS)}, got {list(formats)}")
    out = Path(out_dir)
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ValueError(f"report output {str(out)!r} exists and is not a directory")
    figs = out / "figures"
    if figs.is_symlink() or (figs.exists() and not figs.is_dir()):
        raise ValueError(f"{str(figs)!r} is not a directory of report figures; choose another --out")
    docs = {"md": ["report.md"], "html": ["report.html"], "pdf": ["report.html", "report.pdf"]}
    doc_names = sorted({n for f in formats for n in docs[f]})
    check_may_write([figs / n for n in rep.figures] + [out / n for n in doc_names], overwrite=overwrite)
    before = set(read_record(figs)) if figs.is_dir() else set()
    new_dir = not figs.exists()
    figs.mkdir(parents=True, exist_ok=True)
    try:
        for name, data in rep.figures.items():
            write_owned(figs / name, data)
    except OSError:                      # e.g. disk full: leave no empty figures/ behind
        if new_dir and not any(p.name != RECORD_NAME for p in figs.iterdir()):
            shutil.rmtree(figs, ignore_errors=True)
        raise
    if "md" in formats:
        write_owned(out / "report.md", _render_md(rep).encode())
    if "html" in formats or "pdf" in formats:
        write_owned(out / "report.html", _render_html(rep).encode())
    if "pdf" in formats:
        from .pdf import html_to_pdf

        html_to_pdf(out / "report.html", out / "report.pdf")
    remove_owned(figs / n for n in sorted(before - set(rep.figures)))
    return out

"""The report document: an ordered list of blocks rendered to Markdown and HTML.

The same inputs give byte-identical outputs: no time stamps are written (the
run sets' own creation times, which are inputs, are quoted), PNGs are saved
without the ``Software`` metadata, and tables are rendered with fixed number
formats. Markdown links its figures (``figures/*.png``); the HTML embeds them
as base64 data URIs with inline CSS, nothing external.
"""
from __future__ import annotations

import base64
import html
import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._io import write_bytes_atomic

__all__ = ["Report", "write_report", "df_to_markdown"]


# ---------------------------------------------------------------------- document model
@dataclass
class Report:
    """An ordered list of blocks; figures are kept as PNG bytes until rendering."""

    title: str
    blocks: list[tuple[str, Any]] = field(default_factory=list)
    figures: dict[str, bytes] = field(default_factory=dict)

    def h(self, level: int, text: str) -> None:
        self.blocks.append(("h", (level, text)))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def items(self, items: Sequence[str]) -> None:
        self.blocks.append(("ul", list(items)))

    def table(self, df: pd.DataFrame, floatfmt: str = ".4g") -> None:
        self.blocks.append(("table", (df.reset_index(drop=True), floatfmt)))

    def figure(self, fig: Any, name: str, caption: str) -> None:
        """Add a matplotlib figure (closed after saving) under ``figures/<name>.png``."""
        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
        plt.close(fig)
        fname = f"{_slug(name)}.png"
        k = 2
        while fname in self.figures:
            fname = f"{_slug(name)}-{k}.png"
            k += 1
        self.figures[fname] = buf.getvalue()
        self.blocks.append(("fig", (fname, caption)))


def _slug(s: str) -> str:
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


def df_to_markdown(df: pd.DataFrame, floatfmt: str = ".4g") -> str:
    """A GitHub-flavoured Markdown table (no external dependency)."""
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for row in df.itertuples(index=False):
        cells = [_fmt(v, floatfmt).replace("|", "\\|").replace("\n", " ") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _render_md(rep: Report) -> str:
    out = [f"# {rep.title}", ""]
    for kind, val in rep.blocks:
        if kind == "h":
            out += ["#" * (val[0] + 1) + " " + val[1], ""]
        elif kind == "p":
            out += [val, ""]
        elif kind == "ul":
            out += [f"- {x}" for x in val] + [""]
        elif kind == "table":
            out += [df_to_markdown(*val), ""]
        elif kind == "fig":
            out += [f"![{val[1]}](figures/{val[0]})", "", f"*{val[1]}*", ""]
    return "\n".join(out).rstrip() + "\n"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:0.6em 0 1.2em 0;font-size:0.88em}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#f2f2f2}
td:first-child,th:first-child{text-align:left}
figure{margin:1em 0}figcaption{font-size:0.88em;color:#555}
img{max-width:100%}code{background:#f5f5f5;padding:0 3px}
.agrees{color:#176c2c;font-weight:600}.disagrees{color:#b3261e;font-weight:600}
"""


def _render_html(rep: Report) -> str:
    e = html.escape
    out = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
           f"<title>{e(rep.title)}</title><style>{_CSS}</style></head><body>", f"<h1>{e(rep.title)}</h1>"]
    for kind, val in rep.blocks:
        if kind == "h":
            lvl = min(val[0] + 1, 6)
            out.append(f"<h{lvl}>{e(val[1])}</h{lvl}>")
        elif kind == "p":
            out.append(f"<p>{_inline(val)}</p>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{_inline(x)}</li>" for x in val) + "</ul>")
        elif kind == "table":
            df, ff = val
            head = "".join(f"<th>{e(str(c))}</th>" for c in df.columns)
            body = []
            for row in df.itertuples(index=False):
                cells = []
                for v in row:
                    s = _fmt(v, ff)
                    cls = f" class=\"{s}\"" if s in ("agrees", "disagrees") else ""
                    cells.append(f"<td{cls}>{e(s)}</td>")
                body.append("<tr>" + "".join(cells) + "</tr>")
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
        elif kind == "fig":
            data = base64.b64encode(rep.figures[val[0]]).decode("ascii")
            out.append(f"<figure><img alt=\"{e(val[1])}\" src=\"data:image/png;base64,{data}\">"
                       f"<figcaption>{e(val[1])}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _inline(text: str) -> str:
    """Escape, then render `code` spans."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def write_report(rep: Report, out_dir: str | os.PathLike[str]) -> Path:
    """Write ``report.md``, ``report.html`` and ``figures/*.png`` into ``out_dir``.

    Each file is written atomically (temporary file, fsync, rename). Order:
    the figures first (new names added, same names replaced), then the two
    documents, then stale PNGs that the new report no longer uses are removed
    — so a kill at any moment never leaves a document pointing at a deleted
    figure. Other files in ``out_dir`` are left alone; a ``figures/`` directory
    holding anything but PNGs is refused.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"report output {str(out)!r} exists and is not a directory")
    figs = out / "figures"
    if figs.is_symlink() or (figs.exists() and not figs.is_dir()):
        raise ValueError(f"{str(figs)!r} is not a directory of report figures; choose another --out")
    if figs.exists():
        foreign = [p.name for p in figs.iterdir() if not (p.is_file() and p.suffix == ".png")]
        if foreign:
            raise ValueError(f"{str(figs)!r} holds files that are not report figures ({foreign[:3]}); "
                             "choose another --out")
    figs.mkdir(parents=True, exist_ok=True)
    for name, data in rep.figures.items():
        write_bytes_atomic(figs / name, data)
    write_bytes_atomic(out / "report.md", _render_md(rep).encode())
    write_bytes_atomic(out / "report.html", _render_html(rep).encode())
    for p in figs.iterdir():
        if p.suffix == ".png" and p.name not in rep.figures:
            p.unlink()
    return out

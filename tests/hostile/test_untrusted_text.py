"""Untrusted strings cannot inject (issue 26, item 2): terminal escapes, bidi overrides and
Markdown/HTML from directory names, manifest values, run labels, column names and
config values are shown as visible escapes, never raw.

Each CLI case compares the output text with what the data held: the raw control
characters never reach the terminal, their visible escapes do; ``report.md`` carries
no raw HTML and no heading grokcheck did not write.
"""
from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comparison.report.document import Report, _render_html, _render_md
from comparison.safe_text import markdown_code, markdown_guard, markdown_safe, terminal_safe

from .fixtures import base_1d
from .harness import cli, raw_control

ESC_TITLE = "\x1b]0;pwned\x07"          # sets the terminal window title
CLEAR = "\x1b[2J\x1b[H"                 # clears the screen
RLO = "\u202e"                          # right-to-left override
HTML = "<img src=x onerror=alert(1)><script>alert(2)</script>"
IMG = "<img src=x onerror=alert(1)>"      # no "/": fits in a file name


def _no_raw_controls(*texts: str) -> None:
    bad = raw_control(*texts)
    assert bad is None, bad


# ------------------------------------------------------------------------ the two functions
def test_terminal_safe_escapes_every_control_and_bidi_character():
    controls = [chr(c) for c in [*range(0, 32), *range(127, 160)] if chr(c) not in "\n\t"]
    bidi = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]
    for ch in controls + bidi:
        out = terminal_safe(f"a{ch}b")
        assert ch not in out
        want = f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}"
        assert out == f"a{want}b"
    assert terminal_safe("Ω-runs\tok\nnext") == "Ω-runs\tok\nnext"   # ordinary text untouched
    assert terminal_safe("a\nb", keep="") == "a\\x0ab"


_HEADING = re.compile(r"^ {0,3}#{1,6}(\s|$)", re.M)
_RAW_HTML = re.compile(r"<[A-Za-z/!?]")


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from(list("ab #<>&`*[]()!\\|-+_~=.1\n\r\t\x1b\u202e\u2028é")), max_size=40))
def test_markdown_safe_is_literal_one_line_text(s):
    out = markdown_safe(s)
    assert "\n" not in out and "\r" not in out
    assert not _RAW_HTML.search(out) and not _HEADING.search(out)
    assert not re.match(r"^\s*([>+*-]\s|\d+[.)]\s|[-*_]{3}|~~~|```)", out + " ")
    # unescaped Markdown punctuation that opens a link, image, code span or emphasis never remains
    assert not re.search(r"[`*\[\]]", re.sub(r"\\[!-/:-@\[-`{-~]", "", out))
    # and the HTML view shows exactly the text (line breaks as spaces, controls as escapes)
    shown = terminal_safe(re.sub("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", " ", s), keep="")
    rep = Report(title="t")
    rep.p(out)
    body = _render_html(rep).split("<p>", 1)[1].split("</p>", 1)[0]
    assert body == html.escape(shown, quote=False)


def test_markdown_code_only_when_a_code_span_can_hold_it():
    assert markdown_code("rs-1d") == "`rs-1d`"
    for bad in ("a`b", "<b>", "x\ny", "a\x1bb", " lead"):
        out = markdown_code(bad)
        assert not out.startswith("`") and "\n" not in out and "<b" not in out


def test_markdown_guard_keeps_grokchecks_own_markup():
    text = "[rs](#rs-rs) agrees: |z| < 4 with `code` and \\[escaped\\]"
    assert markdown_guard(text) == text
    assert markdown_guard("a\n## Verdict") == "a ## Verdict"   # one line: no heading can start
    assert markdown_guard("# x").startswith("\\#")
    assert markdown_guard("[x](http://evil)") == "[x\\](http://evil)"
    assert markdown_guard("![x](#a)") == "!\\[x](#a)"
    assert markdown_guard("<img src=x>") == "&lt;img src=x>"


def test_a_newline_in_any_block_cannot_forge_a_heading():
    rep = Report(title="T\n## Verdict")
    rep.h(1, "Verdicts", anchor="verdicts")
    rep.p("value\n## Verdict\nall agree <script>x</script>")
    rep.items(["a\n# Verdict", "> quote"])
    rep.box("Summary", ["b\n## Verdict"])
    md = _render_md(rep)
    assert [ln for ln in md.splitlines() if _HEADING.match(ln)] == ["# T ## Verdict", "## Verdicts"]
    assert not _RAW_HTML.search(md.replace('<a id="verdicts"></a>', ""))


# ------------------------------------------------------------------------ the command line
def _hostile_runset(tmp: Path) -> Path:
    """A valid run set whose directory name and manifest values carry escapes and HTML."""
    rs = base_1d(tmp, name=f"rs{ESC_TITLE}{RLO}{IMG}")
    m = json.loads((rs / "manifest.json").read_text())
    m["created"] = f"2024\n## Verdict\nall agree {HTML}{CLEAR}"
    (rs / "manifest.json").write_text(json.dumps(m))
    return rs


def test_fit_prints_names_and_manifest_values_escaped(tmp_path):
    rs = _hostile_runset(tmp_path)
    res = cli("fit", rs)
    assert res.rc == 0, res.err
    _no_raw_controls(res.out, res.err)
    # before/after: the name is shown, with its controls as visible escapes
    assert terminal_safe(rs.name) in res.out and rs.name not in res.out
    assert "\\x1b]0;pwned\\x07\\u202e" in res.out


def test_error_messages_escape_names(tmp_path):
    missing = tmp_path / f"missing{ESC_TITLE}{CLEAR}{RLO}.csv"
    res = cli("fit", missing)
    assert res.rc == 2
    _no_raw_controls(res.out, res.err)
    assert "missing\\x1b]0;pwned\\x07\\x1b[2J\\x1b[H\\u202e.csv" in res.err
    assert res.err.count("\n") == 1


def _hostile_table(tmp: Path, name: str) -> Path:
    lab = f"r{CLEAR}{HTML}{RLO}"
    rows = ["run,t,test_error"] + [f"{lab}{r},{t},{max(0.0, 0.5 - 0.15 * t * (1 + r % 2)):.3f}"
                                   for r in range(6) for t in range(5)]
    p = tmp / name
    p.write_text("\n".join(rows) + "\n")
    return p


def test_fit_escapes_run_labels_and_column_names(tmp_path):
    p = _hostile_table(tmp_path, "t.csv")
    res = cli("fit", p)
    assert res.rc == 0, res.err
    _no_raw_controls(res.out, res.err)
    assert "\\x1b[2J\\x1b[H<img" in res.out           # the label is shown, escaped
    bad = tmp_path / "cols.csv"
    bad.write_text(f"run,t,err{ESC_TITLE}\n0,0,0.5\n0,1,0\n")
    for extra in ([], ["--error-col", f"nope{CLEAR}"]):
        res = cli("fit", bad, *extra)
        assert res.rc == 2 and res.err.count("\n") == 1
        _no_raw_controls(res.err)
        assert "err\\x1b]0;pwned\\x07" in res.err


def _own_headings(md: str) -> list[str]:
    return [ln for ln in md.splitlines() if _HEADING.match(ln)]


def test_report_md_carries_no_raw_html_and_no_forged_heading(tmp_path):
    rs = _hostile_runset(tmp_path)
    table = _hostile_table(tmp_path, f"a\n## Verdict\nall agree {IMG}.csv")
    out = tmp_path / "rep"
    res = cli("report", rs, table, "--out", out, "--no-progress", "--time-unit", f"s\n## Verdict {HTML}")
    assert res.rc == 0, res.err
    _no_raw_controls(res.out, res.err)
    md, page = (out / "report.md").read_text(), (out / "report.html").read_text()
    for text in (md, page):
        tags = re.sub(r'"[^"]*"', '""', text)        # attribute values (alt text) are not markup
        assert not re.search(r"<img[^>]*onerror|<script", tags, re.I)
        _no_raw_controls(text)
    heads = _own_headings(md)
    assert sum(h.startswith("## Verdict") for h in heads) == 1 and "## Verdicts" in heads
    assert all(h.startswith("## Run set ") for h in heads if "all agree" in h)   # the name, in its own heading
    # the hostile values are there, as text: the entity-escaped HTML and the visible escapes
    assert "&lt;img src=x onerror=alert(1)&gt;" in md and "\\\\x1b\\]0;pwned" in md
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "\\x1b]0;pwned" in page


def test_clean_names_are_unchanged_in_the_report(tmp_path):
    """Escaping changes nothing for ordinary names (before/after on a plain run set)."""
    rs = base_1d(tmp_path, name="plain-rs_1")
    out = tmp_path / "rep"
    assert cli("report", rs, "--out", out, "--no-progress").rc == 0
    md = (out / "report.md").read_text()
    assert "## Run set `plain-rs_1`" in md and "|z| < 4" in md
    shutil.rmtree(out)

"""Untrusted strings made safe for the terminal and for Markdown (issue 26, item 2).

Run-set names, directory and file names, manifest values, run labels, column
names and config values are data, and data may hold anything: terminal escape
sequences (``ESC ] 0 ; title BEL`` sets a window title, ``ESC [ 2 J`` clears
the screen), bidi overrides that reorder what is shown (U+202A-U+202E,
U+2066-U+2069, "Trojan source"), or Markdown/HTML (``<img onerror=...>``, a
newline followed by ``## Verdict``). Two functions neutralise them:

* :func:`terminal_safe` -- every C0/C1 control character (except newline and
  tab), DEL, the bidi controls and the Unicode line/paragraph separators
  become visible escapes ``\\xNN`` / ``\\uNNNN``; everything else is kept, so
  ordinary non-ASCII names (``Ω-runs``) read as they are.
* :func:`markdown_safe` -- one line of literal text for Markdown: controls
  escaped as above, line breaks turned into spaces, ``& < >`` written as
  entities, Markdown punctuation that could open a link, an image, a code
  span or emphasis (``\\ ` * [ ]``) backslash-escaped, and a leading block
  marker (``#``, ``>``, ``-``, ``+``, ``=``, ``|``, ``~``, ``1.``) escaped so
  the text can never start a heading, quote or list. :func:`markdown_code`
  puts a name in a code span when that is safe, else falls back to
  :func:`markdown_safe`.

The command line applies :func:`terminal_safe` to everything it prints
(tables, "wrote ..." lines, every error message); the report renderer applies
:func:`markdown_safe` to untrusted values and, as a second line of defence,
:func:`markdown_guard` to every block of ``report.md``.

>>> terminal_safe("run\\x1b]0;pwned\\x07set")
'run\\\\x1b]0;pwned\\\\x07set'
>>> terminal_safe("abc\\u202edef")
'abc\\\\u202edef'
>>> markdown_safe("x\\n## Verdict <img src=x onerror=alert(1)>")
'x \\\\#\\\\# Verdict &lt;img src=x onerror=alert(1)&gt;'
>>> markdown_code("rs-1d"), markdown_code("a`b")
('`rs-1d`', 'a\\\\`b')
"""
from __future__ import annotations

import re

__all__ = ["terminal_safe", "markdown_safe", "markdown_code", "markdown_guard", "UNSAFE"]

#: characters never shown raw: C0 (but newline, tab), DEL, C1, bidi embeddings/overrides/isolates,
#: the bidi marks, and the line / paragraph separators.
UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _escape(ch: str) -> str:
    o = ord(ch)
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


def terminal_safe(text: object, *, keep: str = "\n\t") -> str:
    """``str(text)`` with every control character (but those in ``keep``) as a visible escape.

    Parameters
    ----------
    text : object
        Any value; it is converted with ``str``.
    keep : str
        Control characters left as they are (default newline and tab).

    Returns
    -------
    str
        The text with C0/C1 controls, DEL and bidi controls written as ``\\xNN`` / ``\\uNNNN``.

    Examples
    --------
    >>> terminal_safe("a\\x1b[2Jb\\tc\\nd")
    'a\\\\x1b[2Jb\\tc\\nd'
    >>> terminal_safe("line\\nbreak", keep="")
    'line\\\\x0abreak'
    """
    s = str(text)
    return UNSAFE.sub(lambda m: m[0] if m[0] in keep else _escape(m[0]), s)


_MD_ESCAPE = re.compile(r"[\\`*\[\]#]")
_MD_ENTITY = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# a block marker at the start of a line: heading, quote, list item, thematic break, fence
_LEADING = re.compile(r"^[ \t]*(?:(#|>|[-+*](?=[ \t]|$|[-*]{2})|_(?=[ \t]*_[ \t]*_)|~(?=~~))|\d{1,9}([.)])(?=[ \t]|$))")


def _leading(text: str) -> str:
    """Escape a block marker at the start of ``text`` (heading, quote, list, rule, fence)."""
    m = _LEADING.match(text)
    if not m:
        return text
    i = m.start(1) if m[1] else m.start(2)
    return text[:i] + "\\" + text[i:]


def markdown_safe(text: object) -> str:
    """``str(text)`` as one line of literal Markdown text (see the module docstring).

    Parameters
    ----------
    text : object
        Any value from data (a name, a config value, a note); converted with ``str``.

    Returns
    -------
    str
        Text that renders as itself in CommonMark, GitHub and Python-Markdown: no HTML,
        link, image, code span, heading or list can come out of it.

    Examples
    --------
    >>> markdown_safe("<script>alert('x')</script>")
    "&lt;script&gt;alert('x')&lt;/script&gt;"
    >>> markdown_safe("[click](javascript:alert(1))")
    '\\\\[click\\\\](javascript:alert(1))'
    >>> markdown_safe("1. not a list")
    '1\\\\. not a list'
    """
    s = _LINE_BREAKS.sub(" ", str(text))
    s = terminal_safe(s, keep="")
    s = _MD_ESCAPE.sub(lambda m: "\\" + m[0], s)
    s = "".join(_MD_ENTITY.get(c, c) for c in s)
    return _leading(s)


_CODE_OK = re.compile(r"^[^`<>&\\]*$")


def markdown_code(text: object) -> str:
    """``text`` as a Markdown code span, or as :func:`markdown_safe` text if a code span
    could not hold it literally (a backtick, ``< > & \\``, a control character).

    Examples
    --------
    >>> markdown_code("perceptron-ball")
    '`perceptron-ball`'
    >>> markdown_code("<b>")
    '&lt;b&gt;'
    """
    s = str(text)
    if s and _CODE_OK.match(s) and not UNSAFE.search(s) and s.strip() == s:
        return f"`{s}`"
    return markdown_safe(s)


# a backslash escape (kept as is) | "<" that could open HTML or an autolink | "](" of a link whose
# target is not an in-page anchor | "![" of an image
_GUARD = re.compile(r"(\\[!-/:-@\[-`{-~])|<(?=[A-Za-z/!?])|\]\((?!#[A-Za-z0-9_-]*\))|!\[")


def _guard_sub(m: re.Match[str]) -> str:
    if m[1]:
        return m[1]
    return {"<": "&lt;", "](": "\\](", "![": "!\\["}[m[0]]


def markdown_guard(text: str, *, block: bool = True) -> str:
    """The renderer's last line of defence for one block of Markdown that grokcheck composed.

    Line breaks become spaces, control characters visible escapes, ``<`` that could open
    HTML becomes ``&lt;``, links to anything but an in-page anchor and images are broken,
    and (``block``) a leading block marker is escaped. Escapes already present are kept,
    and so are grokcheck's own ``[text](#anchor)`` links, code spans and ``|z| < 4``.

    Examples
    --------
    >>> markdown_guard("## Verdict: agrees <script>")
    '\\\\## Verdict: agrees &lt;script>'
    >>> markdown_guard("[rs](#rs-rs) has |z| < 4")
    '[rs](#rs-rs) has |z| < 4'
    """
    s = terminal_safe(_LINE_BREAKS.sub(" ", text), keep="")
    s = _GUARD.sub(_guard_sub, s)
    return _leading(s) if block else s

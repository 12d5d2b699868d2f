"""Redmine's three text formats: how to tell which one an instance uses, and how to put
user text (subjects, customer names, field values) into a note or page so that it shows
as written, whatever it contains.

Redmine renders in two layers. The formatter (Textile, Redcarpet "markdown", CommonMark)
turns markup into HTML; then Redmine itself runs macros (``{{include(Page)}}``, caught
from the raw text), wiki links (``[[Page]]``) and object links (``#12``, ``r12``,
``user:admin``, bare URLs) over that HTML. Escaping has to defeat both:

* Textile and Redcarpet keep numeric character references (``&#91;``) as they are, so
  every markup character becomes one: the browser shows the character, neither layer
  sees it.
* CommonMark decodes them, so the second layer would see the characters again: there a
  WORD JOINER (U+2060, invisible) goes after ``[``, ``{``, ``#`` and ``:``, which breaks
  every Redmine link pattern without changing what a reader sees.

``PROBE`` and ``classify`` tell the formats apart from the HTML Redmine renders for it.
"""

from __future__ import annotations

import re

from redmine_sync.errors import UserError

FORMATS = ("textile", "markdown", "common_mark")
LABELS = {"textile": "Textile", "markdown": "Markdown", "common_mark":
          "CommonMark Markdown (GitHub Flavored)"}

# "h3." is a heading only in Textile; "1)" starts an ordered list only in CommonMark.
PROBE = "h3. redmine-sync probe\n\n1) probe"

_SPECIAL = {  # characters that start markup (or a Redmine link) in each format
    "textile": frozenset('!"#%&*+:<=>?@[\\]^_{|}~'),   # "-": only where _DASH says
    "markdown": frozenset('!"#&*+-:<>@[\\]^_`{|}~'),
    "common_mark": frozenset('!"#&*+-:<>@[\\]_`{|}~'),
}
_JOINER = "\u2060"
_BREAK_AFTER = frozenset("[{#:@")
_REVISION = re.compile(r"(?<![0-9A-Za-z_])([rR])(?=\d)")
_WWW = re.compile(r"(?i)(www)\.")
_MAYBE_REVISION = re.compile(r"[rR]\d")  # what _REVISION matches at least
_MAYBE_WWW = re.compile(r"[wW][wW][wW]\.")  # what _WWW matches
_GLYPH = re.compile(r"(?i)\((?=(?:c|r|tm)\))")  # Textile's (c) (r) (tm) -> © ® ™
# A "-" Textile reads: at the start (a list, table-cell or definition marker, or a
# strike-through opener), after a space or "(" (the only other places a strike-through
# "-text-" can open, and " - ", the en dash), or next to another "-" ("--", the em dash;
# "---"). Every other "-" (e-mail, 2026-11-29, A-1) stays as written in the page source.
_DASH = re.compile(r"(?:^|(?<=[\s(\-]))-|-(?=-)")
_BLOCK = re.compile(  # Textile's block signatures at the start of a line: "h1. ", "p(x). "
    r"^(\s*(?:h[1-6]|p|bq|bc|pre|fn\d+|notextile|table)\S*?)\.(?=\s|$)")


def classify(html: str) -> str | None:
    """The format that rendered ``PROBE`` into ``html``; None when it is not recognisable."""
    if re.search(r"<h3[\s>]", html):
        return "textile"
    if "h3. redmine-sync probe" not in html:
        return None
    if re.search(r"<ol[\s>]", html):
        return "common_mark"
    if "1) probe" in html:
        return "markdown"
    return None


def escape(text: str, fmt: str) -> str:
    """``text`` as literal inline text in ``fmt``: no markup, macro, image or link.

    Line breaks become spaces (the text goes into a line, a list item or a table cell).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown text format {fmt!r}; expected one of {', '.join(FORMATS)}")
    flat = " ".join(text.split()) if ("\n" in text or "\r" in text) else text
    # each pattern runs only on text holding what it needs (most text holds none)
    if _MAYBE_REVISION.search(flat):
        flat = _REVISION.sub(lambda m: m.group(1) + _JOINER, flat)
    if fmt == "common_mark":
        out = _refs(flat, fmt)
        if ":" in out:
            out = _COLON.sub("&#58;" + _JOINER, out)
        if _MAYBE_WWW.search(out):
            out = _WWW.sub(lambda m: m.group(1) + _JOINER + ".", out)
        return out
    out = _refs(flat, fmt)
    if ":" in _SPECIAL[fmt] and ":" in out:
        out = _COLON.sub("&#58;", out)
    if _MAYBE_WWW.search(out):
        out = _WWW.sub(lambda m: m.group(1) + "&#46;", out)
    if fmt == "textile" and "-" in out:
        out = _DASH.sub("&#45;", out)
    if fmt == "textile" and "(" in out:
        out = _GLYPH.sub("&#40;", out)
    return _BLOCK.sub(lambda m: m.group(1) + "&#46;", out) if fmt == "textile" else out


# Each markup character becomes its reference (in CommonMark a link-starting one is
# followed by the joiner) in one pass; a ":" only before a non-space ("http://",
# "user:admin"), which the references put in for other characters never change.
_REFS = {fmt: {ord(c): f"&#{ord(c)};" + (_JOINER if fmt == "common_mark" and c in _BREAK_AFTER
                                         else "") for c in special if c != ":"}
         for fmt, special in _SPECIAL.items()}
_COLON = re.compile(r":(?=\S)")  # \S: what str.isspace() is not
_MARKUP = {fmt: re.compile("[" + "".join(sorted(map(re.escape, special - {":"}))) + "]")
           for fmt, special in _SPECIAL.items()}


def _refs(text: str, fmt: str) -> str:
    """text.translate(_REFS[fmt]): the scan runs in the regex engine and only the markup
    characters (few or none in most text) are looked up, not every character."""
    refs = _REFS[fmt]
    return _MARKUP[fmt].sub(lambda m: refs[ord(m.group())], text)


def bullet(fmt: str) -> str:
    """The list item marker: ``*`` in Textile (a ``-`` there starts a strike-through)."""
    return "*" if fmt == "textile" else "-"


class MarkupMismatch(UserError):
    """The config's text format is not the one the Redmine renders with."""


def check(configured: str, actual: str | None) -> None:
    """Refuse to write notes or pages in a format the instance does not render."""
    if actual is None or actual == configured:
        return
    raise MarkupMismatch(
        f"this Redmine renders text as {LABELS[actual]} ({actual}), but the config writes "
        f"{configured}: headings, lists and the charts would show as raw markup",
        hint=f"set redmine.text_formatting: {actual} in the config (Administration > Settings "
             "> General > Text formatting shows the instance's choice)")

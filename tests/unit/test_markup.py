"""User text in notes and pages: shown as written in every Redmine text format."""

from __future__ import annotations

import pytest

from redmine_sync import markup
from redmine_sync.markup import MarkupMismatch

NASTY = ["{{include(Reports)}}", "!http://evil.example/a.png!", "[[Reports]]", "#12", "r12",
         "user:admin", "http://evil.example", "www.evil.example", "a@b.example",
         "-struck-", "*bold*", "**bold**", "_em_", "`code`", "<script>x</script>",
         "h1. heading", "# heading", "| cell |", "~~del~~", "(c) 2026"]
JOINER = "\u2060"


def visible(text: str) -> str:
    """What a reader sees once the character references are decoded (browser view)."""
    import html

    return html.unescape(text).replace(JOINER, "")


@pytest.mark.parametrize("fmt", markup.FORMATS)
@pytest.mark.parametrize("text", NASTY)
def test_escaped_text_reads_as_written(fmt: str, text: str) -> None:
    assert visible(markup.escape(text, fmt)) == text


@pytest.mark.parametrize("fmt", ["textile", "markdown"])
@pytest.mark.parametrize("text", NASTY)
def test_no_markup_character_survives_in_formats_that_keep_references(fmt: str,
                                                                     text: str) -> None:
    escaped = markup.escape(text, fmt)
    for char in "{}[]!*_<>|~@" + ("`" if fmt == "markdown" else ""):
        assert char not in escaped.replace("&#", "")


@pytest.mark.parametrize("text", ["{{include(Reports)}}", "[[Reports]]", "#12", "r12",
                                  "user:admin", "http://evil.example", "www.evil.example"])
def test_common_mark_breaks_every_redmine_link_pattern(text: str) -> None:
    shown = markup.escape(text, "common_mark").replace("&#", "\0")  # decoded by CommonMark
    import html

    decoded = html.unescape(markup.escape(text, "common_mark"))
    assert shown != text and JOINER in decoded
    for pattern in ("{{", "[[", "#1", "r1", "user:a", "://", "www."):
        assert pattern not in decoded


HYPHENS = ["-struck-", "a -b- c", "(-x-)", "x - y", "a -- b", "---", "- - -", "-. cell",
           "- term := def", "*-x-*", "[-x-]", "a->b", "e-mail", "2026-11-29", "A-1 re-export",
           "word-", "-5", "x -y-z- w", "a-(b)-c", "\u00a0-x-"]


@pytest.mark.parametrize("text", HYPHENS)
def test_textile_escapes_a_hyphen_only_where_textile_reads_it(text: str) -> None:
    escaped = markup.escape(text, "textile")
    assert visible(escaped) == text
    # no strike-through can open, no list/cell/rule marker starts it, no "--" is left
    assert not escaped.startswith("-") and "--" not in escaped
    assert not any(escaped[i] == "-" and (escaped[i - 1].isspace() or escaped[i - 1] == "(")
                   for i in range(1, len(escaped)))


def test_ordinary_hyphens_stay_as_written_in_a_textile_source() -> None:
    assert markup.escape("e-mail on 2026-11-29, ticket A-1", "textile") == \
        "e-mail on 2026-11-29, ticket A-1"
    assert markup.escape("-struck- and - dash", "textile") == "&#45;struck- and &#45; dash"


def test_line_breaks_become_spaces() -> None:
    assert markup.escape("one\ntwo\r\nthree", "markdown") == "one two three"


def test_plain_text_stays_readable() -> None:
    assert markup.escape("Order module finished: ordering 30% faster", "common_mark") == \
        "Order module finished: ordering 30% faster"
    assert markup.escape("订单模块上线 😀 עברית", "textile") == "订单模块上线 😀 עברית"


def test_textile_lists_use_stars() -> None:
    assert markup.bullet("textile") == "*"
    assert markup.bullet("common_mark") == markup.bullet("markdown") == "-"


@pytest.mark.parametrize(("html", "fmt"), [
    ('<a name="x"></a>\n<h3 >redmine-sync probe</h3>\n<p>1) probe</p>', "textile"),
    ("<p>h3. redmine-sync probe</p>\n<p>1) probe</p>", "markdown"),
    ("<p>h3. redmine-sync probe</p>\n<ol>\n<li>probe</li>\n</ol>", "common_mark"),
    ("<html>login</html>", None),
])
def test_the_probe_tells_the_formats_apart(html: str, fmt: str | None) -> None:
    assert markup.classify(html) == fmt


def test_a_mismatch_is_refused_with_the_fix() -> None:
    markup.check("textile", "textile")
    markup.check("textile", None)  # not measurable: the config's word stands
    with pytest.raises(MarkupMismatch) as caught:
        markup.check("common_mark", "textile")
    assert "redmine.text_formatting: textile" in caught.value.hint


def _escaped_char_by_char(text: str, fmt: str) -> str:
    """The character-by-character escaping escape() replaced (kept here as the oracle)."""
    import re

    flat = " ".join(text.split()) if ("\n" in text or "\r" in text) else text
    flat = re.sub(r"(?<![0-9A-Za-z_])([rR])(?=\d)", lambda m: m.group(1) + JOINER, flat)
    special = markup._SPECIAL[fmt]

    def at(i: int) -> bool:
        return flat[i] != ":" or (i + 1 < len(flat) and not flat[i + 1].isspace())

    if fmt == "common_mark":
        out = "".join((f"&#{ord(c)};" + (JOINER if c in "[{#:@" else "")) if c in special
                      and at(i) else c for i, c in enumerate(flat))
        return re.sub(r"(?i)(www)\.", lambda m: m.group(1) + JOINER + ".", out)
    def dash(i: int) -> bool:  # a "-" Textile reads: first, after a space or "(", in "--"
        return fmt == "textile" and flat[i] == "-" and (
            i == 0 or flat[i - 1].isspace() or flat[i - 1] in "(-"
            or (i + 1 < len(flat) and flat[i + 1] == "-"))

    out = "".join(f"&#{ord(c)};" if (c in special and at(i)) or dash(i) else c
                  for i, c in enumerate(flat))
    out = re.sub(r"(?i)(www)\.", lambda m: m.group(1) + "&#46;", out)
    if fmt == "textile":
        out = re.sub(r"(?i)\((?=(?:c|r|tm)\))", "&#40;", out)
        out = markup._BLOCK.sub(lambda m: m.group(1) + "&#46;", out)
    return out


@pytest.mark.parametrize("fmt", markup.FORMATS)
def test_escaping_is_the_same_as_character_by_character(fmt: str) -> None:
    import random

    rng = random.Random(fmt)
    alphabet = '!"#%&*+-:<=>?@[\\]^_`{|}~ \t\n\u00a0\u3000rR1wW.()ctm中文abc'
    texts = [*NASTY, "", ":", "a:", "a: b", "a:\u00a0b", "user:", "x:\u3000y"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
              for _ in range(3000)]
    for text in texts:
        assert markup.escape(text, fmt) == _escaped_char_by_char(text, fmt), text

"""Keyword matching and contains-any, against their plain definitions; lazy note templates."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from redmine_sync.model import Issue
from redmine_sync.model import Ref
from redmine_sync.rules.actions import Fired
from redmine_sync.rules.actions import render
from redmine_sync.rules.conditions import OPERATORS
from redmine_sync.rules.conditions import keyword_pattern
from redmine_sync.rules.state import Analysis
from redmine_sync.rules.state import Duplicates
from redmine_sync.rules.state import IssueState


def _plain_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """The definition: Latin edges on word boundaries, longest keyword first."""
    parts = []
    for word in sorted(words, key=len, reverse=True):
        escaped = re.escape(word)
        if re.search(r"[A-Za-z0-9]", word[:1]):
            escaped = r"(?<![A-Za-z0-9])" + escaped
        if re.search(r"[A-Za-z0-9]", word[-1:]):
            escaped += r"(?![A-Za-z0-9])"
        parts.append(escaped)
    return re.compile("|".join(parts) or r"(?!)", re.IGNORECASE)


KEYWORDS = ("UI", "ui design", "界面", "源代码", "source code", "app", "C++", "v2", "页面美观")


@pytest.mark.parametrize("text", [
    "UI", "the ui design is old", "build", "guide", "xUI", "UIx", "(UI)", "界面不好看",
    "我们要源代码", "Source Code please", "source codes", "apps", "app", "C++ SDK", "c++x",
    "v2", "v22", "2v2", "首页页面美观", "", "ui\nui", "a-ui-b", "ÜI", "_UI_",
])
def test_keyword_pattern_matches_like_its_definition(text: str) -> None:
    fast, plain = keyword_pattern(KEYWORDS), _plain_pattern(KEYWORDS)
    assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.text(alphabet="aAbB1 +界面_-", min_size=1, max_size=4), max_size=5),
       text=st.text(alphabet="aAbB1 +界面_-x\n", max_size=30))
def test_keyword_pattern_is_its_definition(words: list[str], text: str) -> None:
    fast, plain = keyword_pattern(tuple(words)), _plain_pattern(tuple(words))
    assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]


@pytest.mark.parametrize(("actual", "expected", "result"), [
    (("UI", "bug"), ["x", "ui"], True),
    (("UI", "bug"), ["x", "y"], False),
    ((), ["x"], False),
    ("a long text", ["LONG", "zzz"], True),       # substring of a text, ignoring case
    ("a long text", ["zzz"], False),
    ((1, 2), [2], True),                           # non-text items compare with equality
    ((1, "a"), ["A", 3], True),
    (None, ["a"], False),
])
def test_contains_any(actual: object, expected: list[object], result: bool) -> None:
    assert OPERATORS["contains-any"][0](actual, expected) is result


def _state() -> IssueState:
    issue = Issue(id=7, project=Ref(1, "demo"), tracker="Feature", status="New",
                  priority="Normal", subject="s", author=Ref(2, "A"),
                  created_on=datetime(2026, 11, 18, tzinfo=UTC),
                  updated_on=datetime(2026, 11, 19, tzinfo=UTC), description="")

    def never() -> Duplicates:
        raise AssertionError("the duplicate search ran for a template without it")

    def never_vague() -> object:
        raise AssertionError("the vagueness rubric ran for a template without {missing}")

    analysis = Analysis(never, never_vague)  # type: ignore[arg-type]
    return IssueState(issue, {"status": "New", "priority": "Normal"}, None, analysis)


def test_render_computes_only_the_placeholders_used() -> None:
    text = render("{rule} #{id} ({status}/{priority}) {customer}{tier}: {reason} {subject!r}",
                  _state(), Fired("r1", "why"))
    assert text == "r1 #7 (New/Normal) : why 's'"
    with pytest.raises(AssertionError, match="duplicate search"):
        render("see {candidates}", _state(), Fired("r1", "why"))


def test_the_lead_finder_finds_what_the_substring_tests_find() -> None:
    """keyword_leads_finder is 'any lead in the folded text', looking only at the leads
    that start with one of the text's characters."""
    import random

    from redmine_sync.rules.conditions import keyword_leads
    from redmine_sync.rules.conditions import keyword_leads_finder

    rng = random.Random(16)
    alphabet = [*"ab.*+?()[]|^$\\ 首页卡…", "...", "UI", "ß", ""]
    for _ in range(3000):
        words = tuple("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4)))
                      for _ in range(rng.randint(0, 3)))
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20))).casefold()
        expected = any(lead in text for lead in keyword_leads(words))
        assert keyword_leads_finder(words)(text, frozenset(text)) == expected, (words, text)


_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(-3, 3, allow_nan=False),
    st.sampled_from(["New", "new", "NEW", "ß", "SS", "ui", "UI design", "", "界面", "\uff21"]),
    st.lists(st.sampled_from(["New", "ui", "UI", "x", 1, True, ""]), max_size=3).map(tuple),
    st.lists(st.sampled_from(["New", "ui", "x", 1]), max_size=3))


@settings(max_examples=600, deadline=None)
@given(op=st.sampled_from(sorted(set(OPERATORS) - {"regex", "mentions"})),
       actual=_VALUES, expected=_VALUES)
def test_a_compiled_leaf_answers_as_its_operator(op: str, actual: object,
                                                 expected: object) -> None:
    """Leaf.holds (one closure per leaf, expected value prepared once) is the operator's
    own answer for every kind of actual and expected value."""
    from redmine_sync.rules.conditions import LIST_VALUE
    from redmine_sync.rules.conditions import Leaf

    if op in LIST_VALUE:
        expected = tuple(expected) if isinstance(expected, (tuple, list)) else (expected,)
    leaf = Leaf("status", op, expected, lambda s, w: actual)
    try:
        want: object = OPERATORS[op][0](actual, expected)
    except TypeError as exc:  # the operator itself refuses: so does the compiled one
        want = type(exc)
    try:
        got: object = leaf.holds(_state(), None)  # type: ignore[arg-type]
    except TypeError as exc:
        got = type(exc)
    assert got == want


@pytest.mark.parametrize(("words", "listed"), [(("UI", "界面"), None), (None, "ui")])
@pytest.mark.parametrize("text", ["the UI is old", "build a guide", "界面不好看", "", "ui\nUI"])
def test_a_compiled_mentions_leaf_finds_what_explain_finds(words: tuple[str, ...] | None,
                                                          listed: str | None,
                                                          text: str) -> None:
    """The fast path (issue text folded once per issue, keyword leads first) agrees with
    explain(), which lists the hits; a listed keyword set (@name) is read from the world."""
    from redmine_sync.rules.conditions import FIELDS
    from redmine_sync.rules.conditions import Leaf
    from redmine_sync.rules.state import World

    state = _state()
    state = IssueState(replace(state.issue, subject=text), state.values, None, Analysis())
    world = World(now=datetime(2026, 11, 20, tzinfo=UTC),
                  keyword_lists={"ui": ("UI", "界面")})
    leaf = Leaf("subject", "mentions", words or f"@{listed}", FIELDS["subject"].getter,
                keywords=words)
    assert leaf.holds(state, world) == leaf.explain(state, world).ok
    assert leaf.holds(state, world) == bool(text.strip() and text != "build a guide")
    assert (leaf.because(state, world) is None) != leaf.holds(state, world)

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from redmine_sync.errors import UserError
from redmine_sync.yamlsrc import dotted
from redmine_sync.yamlsrc import load_text


def test_marks_point_at_keys_and_items() -> None:
    doc = load_text("a:\n  b: 1\n  c:\n    - x\n    - y\n", "f.yaml")
    assert doc.where(("a", "b")) == (2, 3)
    assert doc.where(("a", "c", 1)) == (5, 7)
    assert doc.where(("a", "zzz")) == (1, 1)  # falls back to the nearest parent


def test_nested_duplicate_reports_both_lines() -> None:
    with pytest.raises(UserError) as info:
        load_text("a:\n  b: 1\n  b: 2\n", "f.yaml")
    assert "f.yaml:3:3: a.b: duplicate key (first defined on line 2)" in str(info.value)


def test_dotted_paths() -> None:
    assert dotted(("rules", 0, "when")) == "rules[0].when"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.binary().map(lambda b: b.decode("latin-1"))))
def test_any_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        load_text(text, "fuzz.yaml")
    except UserError as exc:
        assert str(exc).startswith("fuzz.yaml")

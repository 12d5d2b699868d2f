"""docs/rules.md stays in step with the code: every name is documented, every example loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from redmine_sync.rules import load_rules_text
from redmine_sync.rules.actions import TEMPLATE_KEYS
from redmine_sync.rules.actions import actions
from redmine_sync.rules.conditions import FIELDS
from redmine_sync.rules.conditions import OPERATORS
from redmine_sync.rules.ruleset import KINDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
MARK = "# rule-file"
FENCED_YAML = re.compile(r"^```yaml[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def rule_file_examples() -> list[str]:
    """Fenced yaml blocks whose first line is the ``# rule-file`` comment."""
    return [body for body in FENCED_YAML.findall(doc_text())
            if body.splitlines() and body.splitlines()[0].strip() == MARK]


NAMES = sorted({
    *(("field", name) for name in FIELDS),
    *(("operator", name) for name in OPERATORS),
    *(("action", name) for name in actions()),
    *(("kind", name) for name in KINDS),
    *(("placeholder", name) for name in TEMPLATE_KEYS),
})


@pytest.mark.parametrize(("what", "name"), NAMES)
def test_every_name_is_documented_as_inline_code(what: str, name: str) -> None:
    assert f"`{name}`" in doc_text(), f"{what} {name!r} is missing from docs/rules.md"


def test_there_are_complete_rule_file_examples() -> None:
    assert len(rule_file_examples()) >= 3


@pytest.mark.parametrize("example", [pytest.param(text, id=f"example-{i + 1}")
                                     for i, text in enumerate(rule_file_examples())])
def test_rule_file_examples_load(example: str) -> None:
    ruleset = load_rules_text(example, "docs-example.yaml")
    assert ruleset.rules() or ruleset.customers.customers or ruleset.keyword_lists

# ruff: noqa: RUF001  (Chinese punctuation on purpose)
"""Notes to the requester in the language of the request, every piece of them."""

from __future__ import annotations

import pytest

from redmine_sync.rules import build_world
from redmine_sync.rules import evaluate_issue
from redmine_sync.rules import load_rules_text
from redmine_sync.rules.language import detect
from tests.unit.rules.test_engine import NOW
from tests.unit.rules.test_engine import issue

RULES = """\
kind: triage
rules:
  - name: needs-info
    when: {is_vague: true}
    then:
      - add_labels: [needs-info]
      - note:
          public: true
          text:
            zh: "请补充以下信息：\\n\\n{missing}\\n\\n谢谢！"
            en: "Please add:\\n\\n{missing}\\n\\nThank you!"
"""
CUSTOMERS = """\
kind: customers
identify: field
tiers: [{name: any, value: {ge: 0}}]
customers:
  - {name: Acme, value: 1, fit: 1, lang: en}
"""


@pytest.mark.parametrize(("text", "lang"), [
    ("请优化一下系统", "zh"), ("Please optimise the system", "en"),
    ("登录页面 login button 太小了，希望大一点", "zh"), ("Export to CSV (导出)", "en"),
    ("", "en"), ("1234 !!", "en")])
def test_the_language_of_a_text(text: str, lang: str) -> None:
    assert detect(text) == lang


def note_of(subject: str, description: str, customer: str | None = None) -> str:
    import tempfile
    from pathlib import Path

    from redmine_sync.rules import load_rules

    folder = Path(tempfile.mkdtemp())
    (folder / "triage.yaml").write_text(RULES, encoding="utf-8")
    (folder / "customers.yaml").write_text(CUSTOMERS, encoding="utf-8")
    shipped = Path(__file__).resolve().parents[3] / "rules" / "vocabulary.yaml"
    (folder / "vocabulary.yaml").write_text(shipped.read_text(encoding="utf-8"),
                                            encoding="utf-8")
    ruleset = load_rules([folder])
    found = issue(subject=subject, description=description,
                  custom_fields={"Customer": customer} if customer else {})
    state, _ = evaluate_issue(ruleset, found, build_world(ruleset, [found], NOW))
    [note] = state.notes
    assert note.public
    return note.text


def test_a_chinese_request_gets_a_chinese_note_with_a_chinese_checklist() -> None:
    text = note_of("请优化一下系统", "太慢了")
    assert text.startswith("请补充以下信息：\n\n* ") and text.endswith("\n\n谢谢！")  # Textile list
    assert "* 至少 30 个字的描述" in text and "* 期望达到的效果" in text
    assert not any(c.isascii() and c.isalpha() for c in text)   # not a word of English


def test_an_english_request_gets_an_english_note() -> None:
    text = note_of("Please optimise the system", "It is slow")
    assert text.startswith("Please add:\n\n* a description of at least 30 characters")
    assert text.endswith("\n\nThank you!") and "请" not in text


def test_the_customers_language_wins_over_the_text() -> None:
    text = note_of("请优化一下系统", "太慢了", customer="Acme")
    assert text.startswith("Please add:") and "* the expected effect" in text


def test_an_unknown_language_is_a_rule_error() -> None:
    from redmine_sync.errors import UserError

    with pytest.raises(UserError) as info:
        load_rules_text(RULES.replace("en: ", "fr: "))
    assert any("unknown language 'fr'" in str(p) for p in info.value.problems)


def _detected_char_by_char(text: str) -> str:
    """The letter-by-letter count detect() replaced (kept here as the oracle)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "en"
    cjk = sum(1 for c in letters if 0x3400 <= ord(c) <= 0x9FFF or 0xF900 <= ord(c) <= 0xFAFF
              or 0x20000 <= ord(c) <= 0x2FFFF)
    return "zh" if cjk / len(letters) >= 0.2 else "en"


def test_detection_is_the_same_as_letter_by_letter() -> None:
    import random

    rng = random.Random(16)
    # letters and non-letters at the edges of the Chinese ranges, and every plane-0 block
    edges = [0x33FF, 0x3400, 0x4DBF, 0x4DC0, 0x4DFF, 0x4E00, 0x9FFF, 0xA000, 0xF8FF, 0xF900,
             0xFA6E, 0xFAFF, 0xFB00, 0x1FFFF, 0x20000, 0x2A6DF, 0x2FFFF, 0x30000]
    alphabet = [chr(c) for c in edges] + list("ab1 ,。中文Zé")
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
             for _ in range(5000)]
    texts += [chr(c) * 3 + "abcd" for c in range(0x2000, 0x30000, 7)]
    for text in texts:
        assert detect(text) == _detected_char_by_char(text), repr(text)

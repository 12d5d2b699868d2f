"""Loading and validating rule files: every problem, with its exact place."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from redmine_sync.errors import UserError
from redmine_sync.rules import load_rules
from redmine_sync.rules import load_rules_text

ROOT = Path(__file__).resolve().parents[3]

BROKEN = """\
kind: triage
match: frist
rules:
  - name: one
    when: {priorty: High}
    then:
      - add_label: [x]
  - name: two
    when:
      all:
        - status: {inn: [New]}
        - subject: {regex: "(unclosed"}
    then:
      - set: {statuss: Feedback}
      - note: "Hello {custmer}"
  - name: one
    when: {text: {mentions: "@nope"}}
    then: [{add_labels: [y]}]
    reasn: typo
"""


def test_every_mistake_is_reported_with_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(UserError) as info:
        load_rules([path])
    lines = [str(p) for p in info.value.problems]
    f = str(path)
    assert lines == [
        f"{f}:2:8: match: unknown value 'frist' (did you mean 'first'?)",
        (f"{f}:5:12: rules[0].when.priorty: unknown field 'priorty' (did you mean 'priority'? "
        "(or cf.<Custom field name>))"),
        (f"{f}:7:9: rules[0].then[0].add_label: unknown action 'add_label' "
        "(did you mean 'add_labels'?)"),
        (f"{f}:11:20: rules[1].when.all[0].status.inn: unknown operator 'inn' "
        "(did you mean 'in'?)"),
        (f"{f}:12:28: rules[1].when.all[1].subject.regex: invalid regular expression: "
        "missing ), unterminated subpattern at position 0"),
        (f"{f}:14:15: rules[1].then[0].set.statuss: cannot set 'statuss' (did you mean "
        "'status'? (or cf.<Custom field name>))"),
        (f"{f}:15:9: rules[1].then[1].note.text: unknown placeholder {{custmer}} "
        "(did you mean 'customer'?)"),
        f"{f}:16:11: rules[2].name: rule name 'one' is already used in " + f
        + " (rule names must be unique: plans and the audit refer to them)",
        (f"{f}:17:29: rules[2].when.text.mentions: unknown keyword list '@nope' (define it "
        "under keywords: in a kind: vocabulary file)"),
        f"{f}:19:5: rules[2].reasn: unknown key (did you mean 'reason'?)",
    ]


def test_duplicate_keys_and_bad_kinds(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("kind: triage\nkind: routing\nrules: []\n")
    (tmp_path / "b.yaml").write_text("kind: triag\nrules: []\n")
    with pytest.raises(UserError) as info:
        load_rules([tmp_path])
    text = "\n".join(map(str, info.value.problems))
    assert "a.yaml:2:1: kind: duplicate key (first defined on line 1)" in text
    assert "b.yaml:1:7: kind: unknown kind 'triag' (did you mean 'triage'?)" in text


def test_shipped_pack_validates() -> None:
    ruleset = load_rules([ROOT / "rules"])
    assert [f.stage for f in ruleset.files] == ["triage"] * 4 + [
        "tiering", "priority", "routing", "routing", "followup"]
    assert len(ruleset.customers.customers) == 8
    assert [t.name for t in ruleset.customers.tiers] == ["strategic", "potential", "stable",
                                                         "ordinary"]
    assert set(ruleset.teams) == {"Product & R&D", "Support", "Sales", "Delivery"}


def test_customers_from_csv(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("name,value,fit,domains\nAcme,80,20,acme.example;acme.test\n",
                                    encoding="utf-8")
    (tmp_path / "customers.yaml").write_text(
        "kind: customers\ncustomers_csv: c.csv\ntiers:\n"
        "  - {name: stable, value: {ge: 60}, fit: {lt: 60}}\n", encoding="utf-8")
    book = load_rules([tmp_path]).customers
    acme = book.customers[0]
    assert acme.domains == ("acme.example", "acme.test")
    assert book.tier_of(acme) is not None and book.tier_of(acme).name == "stable"  # type: ignore


@settings(max_examples=200, deadline=None)
@given(st.one_of(
    st.text(),
    st.binary().map(lambda b: b.decode("latin-1")),
    st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
                 lambda kids: st.one_of(st.lists(kids, max_size=3),
                                        st.dictionaries(st.sampled_from(
                                            ["kind", "rules", "when", "then", "name", "match",
                                             "all", "any", "not", "field", "op", "value",
                                             "set", "note", "priority", "labels"]), kids,
                                            max_size=4)),
                 max_leaves=12).map(repr),
))
def test_malformed_input_never_raises_anything_but_a_clean_error(text: str) -> None:
    try:
        load_rules_text(text, "fuzz.yaml")
    except UserError as exc:
        assert "fuzz.yaml" in str(exc) or exc.problems


def test_a_vocabulary_file_extends_or_switches_off_the_glossary() -> None:
    from redmine_sync.errors import UserError
    from redmine_sync.rules.text import tokens

    shipped = load_rules_text("kind: vocabulary\nconcepts: {crash: [挂了]}\n"
                              "opposites: [[crash, login]]\n").vocabulary
    assert tokens("App 挂了", shipped) == tokens("the app crashes", shipped)  # added form
    assert "concept:login" in shipped.opposed("concept:crash")
    own = load_rules_text("kind: vocabulary\nglossary: false\n"
                          "concepts: {crash: [挂了]}\n").vocabulary
    assert "concept:crash" not in tokens("the app crashes", own)
    with pytest.raises(UserError):
        load_rules_text("kind: vocabulary\nopposites: [[crash, nothing-like-it]]\n")
    with pytest.raises(UserError):
        load_rules_text("kind: vocabulary\nglossary: maybe\n")

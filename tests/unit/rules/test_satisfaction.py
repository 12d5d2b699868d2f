"""The satisfaction survey: the reply parser, and the shipped followup rules on the fake."""

from __future__ import annotations

import html
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from redmine_sync.config import Config
from redmine_sync.model import CustomFieldDef
from redmine_sync.redmine.fake import TRACKERS
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.rules import load_rules
from redmine_sync.rules.followup import rating
from redmine_sync.store import StateStore
from redmine_sync.sync import apply_run
from tests.unit.rules import optional_pack

ROOT = Path(__file__).resolve().parents[3]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CUSTOMERS = """\
kind: customers
tiers: [{name: ordinary, value: {ge: 0}}]
customers: [{name: ACME, value: 50, fit: 50}, {name: 华信银行, value: 50, fit: 50, lang: zh}]
"""


@pytest.mark.parametrize(("text", "found"), [
    ("9", 9), ("10", 10), (" 0 ", 0), ("8/10", 8), ("8 / 10", 8), ("8 out of 10", 8),
    ("7分", 7), ("7 分。", 7), ("9 points!", 9), ("9\n\n> How satisfied are you...", 9),
    ("11", None), ("-1", None), ("9.5", None), ("about 9", None), ("version 2 is broken", None),
    ("", None), ("10/10 would buy again, thanks", None)])
def test_a_rating_is_a_number_from_0_to_10_alone_on_the_first_line(text: str,
                                                                   found: int | None) -> None:
    assert rating(text) == found


def test_the_shipped_survey_rules_are_off_until_enabled() -> None:
    shipped = load_rules([ROOT / "rules"])
    assert not [r.name for r in shipped.rules() if r.stage == "followup"]
    assert "survey-sent" not in {u.name for u in shipped.names}   # doctor does not ask for it
    assert "satisfaction_reply" not in shipped.journal_fields       # nor read journals for it


def setup(tmp_path: Path) -> tuple[FakeRedmine, Config, StateStore]:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "customers.yaml").write_text(CUSTOMERS, encoding="utf-8")
    return optional_pack.setup(tmp_path, ("60-satisfaction.yaml",), ("survey-sent",),
                               CustomFieldDef(9, "Satisfaction", "int", False, None, TRACKERS,
                                              True), START)


def public_notes(fake: FakeRedmine, issue_id: int) -> list[str]:
    return [html.unescape(j.notes) for j in fake.issues[issue_id].journals or ()
            if j.notes and not j.private]


def test_a_closing_asks_once_and_a_numeric_reply_is_recorded(tmp_path: Path) -> None:
    fake, config, store = setup(tmp_path)
    issue = fake.add_issue("export to PDF", author=fake.users[5],
                           custom_fields={"Customer": "ACME"})
    fake.human_edit(issue.id, fake.users[6], status="Closed", is_closed=True,
                    closed_on=START + timedelta(hours=1))
    at = START + timedelta(hours=2)
    apply_run(fake, config, store, lambda: at, yes=True)
    [survey] = public_notes(fake, issue.id)
    assert "reply with a number from 0 (not at all) to 10" in survey
    assert fake.issues[issue.id].cf("Labels") == ("survey-sent",)
    apply_run(fake, config, store, lambda: at + timedelta(hours=1), yes=True, full=True)
    assert len(public_notes(fake, issue.id)) == 1                    # once
    fake.human_edit(issue.id, fake.users[5], notes="Thanks!")         # not a rating
    apply_run(fake, config, store, lambda: at + timedelta(hours=2), yes=True)
    assert fake.issues[issue.id].cf("Satisfaction") is None
    fake.human_edit(issue.id, fake.users[5], notes="9/10")
    apply_run(fake, config, store, lambda: at + timedelta(hours=3), yes=True)
    assert fake.issues[issue.id].cf("Satisfaction") == "9"
    fake.human_edit(issue.id, fake.users[5], notes="3")                # the first answer counts
    apply_run(fake, config, store, lambda: at + timedelta(hours=4), yes=True)
    assert fake.issues[issue.id].cf("Satisfaction") == "9"
    assert len(public_notes(fake, issue.id)) == 4                      # survey + 3 replies


def test_the_survey_is_in_the_customers_language_and_not_for_old_closings(
        tmp_path: Path) -> None:
    fake, config, store = setup(tmp_path)
    zh = fake.add_issue("导出功能", author=fake.users[5], custom_fields={"Customer": "华信银行"})
    old = fake.add_issue("old request", author=fake.users[5], custom_fields={"Customer": "ACME"})
    for issue in (zh, old):
        fake.human_edit(issue.id, fake.users[6], status="Closed", is_closed=True,
                        closed_on=START + (timedelta(hours=1) if issue is zh
                                           else -timedelta(days=30)))
    apply_run(fake, config, store, lambda: START + timedelta(hours=2), yes=True)
    [survey] = public_notes(fake, zh.id)
    assert "请回复 0" in survey and "之间的一个数字" in survey
    assert public_notes(fake, old.id) == []


def test_a_staff_number_is_not_a_rating(tmp_path: Path) -> None:
    fake, config, store = setup(tmp_path)
    issue = fake.add_issue("export", author=fake.users[5], custom_fields={"Customer": "ACME"})
    fake.human_edit(issue.id, fake.users[6], status="Closed", is_closed=True,
                    closed_on=START + timedelta(hours=1))
    fake.human_edit(issue.id, fake.users[6], notes="2")
    apply_run(fake, config, store, lambda: START + timedelta(hours=2), yes=True)
    assert fake.issues[issue.id].cf("Satisfaction") is None

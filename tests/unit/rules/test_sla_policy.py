"""SLA policy files: how automatic replies are recognised."""

from __future__ import annotations

from pathlib import Path

import pytest

from redmine_sync.errors import UserError
from redmine_sync.rules import load_rules
from redmine_sync.rules.sla_policy import AutoReplies

ROOT = Path(__file__).resolve().parents[3]
SLA = """\
kind: sla
calendars: {always: {always: true}}
{replies}
policies:
  - {name: p, calendar: always, targets: {first_response: {default: {any: 2h}}}}
"""


def replies(tmp_path: Path, line: str) -> AutoReplies:
    (tmp_path / "sla.yaml").write_text(SLA.replace("{replies}", line), encoding="utf-8")
    sla = load_rules([tmp_path]).sla
    assert sla is not None
    return sla.auto_replies


@pytest.mark.parametrize(("note", "auto"), [
    ("Out of office: I am back on Monday.", True),
    ("[自动回复] 您好，我正在休假，下周一回复。", True),             # noqa: RUF001
    ("自动回复：已收到您的邮件", True),                              # noqa: RUF001
    ("  **Automatic reply**: thanks for your message", True),
    ("Fixed: the 'out of office' status now shows correctly.", False),
    ("已修复：之前的自动回复邮件重复发送的问题", False),               # noqa: RUF001
    ("We looked at it; the auto-reply rule was wrong.", False),
])
def test_the_shipped_policy_knows_auto_replies_by_how_they_start(note: str, auto: bool
                                                                 ) -> None:
    sla = load_rules([ROOT / "rules"]).sla
    assert sla is not None
    assert sla.auto_replies(note) is auto


def test_defaults_without_the_key_and_patterns_the_user_writes(tmp_path: Path) -> None:
    assert replies(tmp_path, "")("Automatic reply: away")
    assert not replies(tmp_path, "auto_replies: []")("Automatic reply: away")
    own = replies(tmp_path, r"auto_replies: [Ack, {regex: 'Ticket #\d+ received'}]")
    assert own("ack - we got it") and own("Ticket #42 received, thank you")
    assert not own("About ticket #42 received yesterday: fixed")
    assert not own("Automatic reply: away")          # the user's list replaces the defaults


def test_a_bad_pattern_says_where(tmp_path: Path) -> None:
    with pytest.raises(Exception, match=r"auto_replies.*invalid regular expression"):
        replies(tmp_path, "auto_replies: [{regex: 'Ticket ('}]")


def test_a_policy_cannot_be_chosen_by_working_days_counted_in_its_own_calendar(
        tmp_path: Path) -> None:
    (tmp_path / "sla.yaml").write_text(SLA.replace("{replies}", "").replace(
        "{name: p,", "{name: p, when: {status_working_days: {ge: 5}},"), encoding="utf-8")
    with pytest.raises(UserError) as info:
        load_rules([tmp_path])
    assert info.value.exit_code == 1
    assert "sla.yaml:5:21: policies[0].when: status_working_days is counted in the " \
        "calendar of the issue's policy" in str(info.value)

"""Requirement change control: the shipped rule (enabled) on the fake, and the KPI count."""

from __future__ import annotations

import html
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from redmine_sync.config import ChangeControl
from redmine_sync.config import Config
from redmine_sync.config import FieldMap
from redmine_sync.model import CustomFieldDef
from redmine_sync.redmine.fake import TRACKERS
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.reports.data import ReportInput
from redmine_sync.reports.data import change_requests
from redmine_sync.rules.customers import CustomerBook
from redmine_sync.store import StateStore
from redmine_sync.sync import apply_run
from tests.unit.rules import optional_pack

ROOT = Path(__file__).resolve().parents[3]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DECISIONS = ("change-request", "change-approved", "change-rejected")


def setup(tmp_path: Path) -> tuple[FakeRedmine, Config, StateStore]:
    return optional_pack.setup(tmp_path, ("12-change-control.yaml",), DECISIONS, CustomFieldDef(
        9, "Acceptance criteria", "text", False, None, TRACKERS, True), START)


def tool_notes(fake: FakeRedmine, issue_id: int) -> list[str]:
    return [html.unescape(j.notes) for j in fake.issues[issue_id].journals or ()
            if j.notes and j.user.id == fake.me.id]


def test_an_edit_after_confirmation_raises_one_change_request(tmp_path: Path) -> None:
    fake, config, store = setup(tmp_path)
    issue = fake.add_issue("Export invoices", author=fake.users[5], description="as CSV")
    fake.human_edit(issue.id, fake.users[5], description="as CSV, monthly")  # before: fine
    at = {"t": START + timedelta(hours=1)}

    def run() -> None:
        at["t"] += timedelta(hours=1)
        apply_run(fake, config, store, lambda: at["t"], yes=True, full=True)

    run()
    assert tool_notes(fake, issue.id) == []
    fake.human_edit(issue.id, fake.users[6], status="In Progress")          # confirmed
    fake.human_edit(issue.id, fake.users[5], subject="Export invoices as PDF",
                    custom_fields={"Acceptance criteria": "PDF/A, signed"})
    run()
    run()                                                                     # once
    [note] = tool_notes(fake, issue.id)
    assert "Change request: the subject, Acceptance criteria changed after the requirement " \
        "was confirmed" in note
    assert fake.issues[issue.id].cf("Labels") == ("change-request",)
    # a person approves: no new request for the edits already decided
    fake.human_edit(issue.id, fake.users[6], custom_fields={"Labels": ("change-approved",)})
    run()
    assert len(tool_notes(fake, issue.id)) == 1
    # a later edit is a new change request; the earlier decision label goes
    fake.human_edit(issue.id, fake.users[5], description="as PDF, weekly")
    run()
    notes = tool_notes(fake, issue.id)
    assert len(notes) == 2 and "the description changed" in notes[1]
    assert fake.issues[issue.id].cf("Labels") == ("change-request",)
    fake.human_edit(issue.id, fake.users[6], custom_fields={"Labels": ("change-rejected",)})
    current = fake.get_issue(issue.id, journals=True)
    inp = ReportInput(now=at["t"], timezone="UTC", issues=(current,), clocks={},
                      customers=CustomerBook(), fields=FieldMap(),
                      closed_statuses=frozenset({"Closed", "Rejected"}))
    found = change_requests(inp, (current,))
    assert found is not None and (found.raised, found.approved, found.rejected, found.open) \
        == (2, 1, 1, 0)


def test_a_decision_by_status_is_configured(tmp_path: Path) -> None:
    fake, config, store = setup(tmp_path)
    issue = fake.add_issue("Export", author=fake.users[5], description="CSV")
    fake.human_edit(issue.id, fake.users[6], status="In Progress")
    fake.human_edit(issue.id, fake.users[5], description="PDF")
    apply_run(fake, config, store, lambda: START + timedelta(hours=1), yes=True)
    fake.human_edit(issue.id, fake.users[6], status="Resolved",
                    custom_fields={"Labels": ()})
    inp = ReportInput(now=START, timezone="UTC", issues=(), clocks={},
                      customers=CustomerBook(), fields=FieldMap(),
                      closed_statuses=frozenset({"Closed"}),
                      change_control=ChangeControl(approved_status="Resolved"))
    found = change_requests(inp, (fake.get_issue(issue.id, journals=True),))
    assert found is not None and (found.raised, found.approved, found.open) == (1, 1, 0)

"""Due date and acceptance criteria on assignment (playbook section 5): the shipped
41-assignment-terms.yaml, enabled, on the fake; working days of a calendar."""

from __future__ import annotations

import html
import shutil
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from redmine_sync.config import Config
from redmine_sync.model import CustomFieldDef
from redmine_sync.model import Ref
from redmine_sync.redmine.fake import TRACKERS
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.rules.actions import working_days_after
from redmine_sync.sla.calendar import Calendar
from redmine_sync.store import StateStore
from redmine_sync.sync import apply_run
from tests.unit.rules import optional_pack

ROOT = Path(__file__).resolve().parents[3]
MONDAY = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)   # 09:00 in Shanghai


def test_working_days_skip_closed_days_of_the_calendar() -> None:
    weekdays = Calendar("weekdays")
    assert working_days_after(weekdays, MONDAY, 4) == date(2026, 3, 6)       # Friday
    assert working_days_after(weekdays, MONDAY, 5) == date(2026, 3, 9)       # next Monday
    assert working_days_after(Calendar("all", always=True), MONDAY, 5) == date(2026, 3, 7)
    # the local date counts: 23:30 UTC on Sunday is Monday in Shanghai
    shanghai = Calendar("office", timezone="Asia/Shanghai")
    assert working_days_after(shanghai, MONDAY - timedelta(hours=1, minutes=30), 1) == \
        date(2026, 3, 3)
    off = Calendar("office", days_off=frozenset({date(2026, 3, 3)}))
    assert working_days_after(off, MONDAY, 1) == date(2026, 3, 4)


def setup(tmp_path: Path) -> tuple[FakeRedmine, Config, StateStore]:
    (tmp_path / "rules").mkdir()
    shutil.copy(ROOT / "rules" / "50-sla.yaml", tmp_path / "rules")   # calendar china-office
    return optional_pack.setup(tmp_path, ("41-assignment-terms.yaml",), ("needs-acceptance",),
                               CustomFieldDef(9, "Acceptance criteria", "text", False, None,
                                              TRACKERS, True), MONDAY)


def test_an_assignment_gets_a_planned_date_and_the_owner_is_asked_once(tmp_path: Path) -> None:
    fake, config, store = setup(tmp_path)
    issue = fake.add_issue("Encrypt the exports", author=fake.users[5])
    fake.human_edit(issue.id, fake.users[6], assigned_to=_ref(fake, 6))
    unassigned = fake.add_issue("Nobody's yet", author=fake.users[5])
    for hours in (1, 2):
        apply_run(fake, config, store, lambda h=hours: MONDAY + timedelta(hours=h), yes=True,
                  full=True)
    after = fake.issues[issue.id]
    assert after.due_date == date(2026, 3, 23)     # 15 working days in Shanghai, no holiday
    notes = [html.unescape(j.notes) for j in after.journals or () if j.user.id == fake.me.id
             and j.notes]
    assert len(notes) == 1 and "Dev: request #1 has no acceptance criteria" in notes[0]
    assert after.cf("Labels") == ("needs-acceptance",)
    assert fake.issues[unassigned.id].due_date is None


def test_a_date_and_criteria_people_set_are_kept(tmp_path: Path) -> None:
    fake, config, store = setup(tmp_path)
    issue = fake.add_issue("Encrypt", author=fake.users[5], due_date=date(2026, 4, 30),
                           custom_fields={"Acceptance criteria": "passes the certification"})
    fake.human_edit(issue.id, fake.users[6], assigned_to=_ref(fake, 6))
    apply_run(fake, config, store, lambda: MONDAY + timedelta(hours=1), yes=True)
    after = fake.issues[issue.id]
    assert after.due_date == date(2026, 4, 30)
    assert not [j for j in after.journals or () if j.user.id == fake.me.id]


def _ref(fake: FakeRedmine, user_id: int) -> Ref:
    return Ref(user_id, fake.users[user_id].name)


def test_a_later_start_date_is_where_the_working_days_count_from(tmp_path: Path) -> None:
    """Redmine refuses a due date before the start date (the fake too): an issue whose
    work starts after today gets its days from the start, and the note says so."""
    fake, config, store = setup(tmp_path)
    start = date(2026, 6, 1)    # a Monday
    issue = fake.add_issue("Encrypt later", author=fake.users[5], start_date=start)
    today = fake.add_issue("Encrypt now", author=fake.users[5], start_date=MONDAY.date())
    for each in (issue, today):
        fake.human_edit(each.id, fake.users[6], assigned_to=_ref(fake, 6))
    result = apply_run(fake, config, store, lambda: MONDAY + timedelta(hours=1), yes=True)
    assert result.applied is not None and result.applied.failed == 0
    # 15 working days: three weeks and a day, as 19 June is the Dragon Boat Festival
    assert fake.issues[issue.id].due_date == date(2026, 6, 23)
    assert fake.issues[today.id].due_date == date(2026, 3, 23)  # from today, as before
    [summary] = [html.unescape(j.notes) for j in fake.issues[issue.id].journals or ()
                 if j.user.id == fake.me.id and "Due date" in j.notes]
    assert "15 working days from the start date 2026-06-01" in summary

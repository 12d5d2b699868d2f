"""Who spoke last: the derived fields, in rule conditions and in SLA pause rules."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from redmine_sync.config import Config
from redmine_sync.config import Limits
from redmine_sync.model import Issue
from redmine_sync.model import Journal
from redmine_sync.model import JournalDetail
from redmine_sync.model import Ref
from redmine_sync.model import User
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.rules import load_rules
from redmine_sync.rules.conversation import conversation
from redmine_sync.rules.conversation import speaker
from redmine_sync.rules.conversation import working_days
from redmine_sync.rules.state import World
from redmine_sync.sla.calendar import Calendar
from redmine_sync.store import StateStore
from redmine_sync.sync import apply_run
from redmine_sync.sync import plan_run
from redmine_sync.sync import sla_clocks
from tests.rule_files import sla_yaml

ROOT = Path(__file__).resolve().parents[3]

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CUSTOMER, STAFF, OTHER, BOT = Ref(5, "Cu"), Ref(6, "Dev"), Ref(7, "Colleague"), Ref(2, "bot")
ISSUE = Issue(1, Ref(1, "demo"), "Bug", "Feedback", "Normal", "help", CUSTOMER, T0, T0)


def note(n: int, user: Ref, hours: float, text: str = "a note", private: bool = False,
         status: str | None = None) -> Journal:
    details = (JournalDetail("attr", "status", "New", status),) if status else ()
    return Journal(n, user, T0 + timedelta(hours=hours), text, private, details)


def test_who_is_staff_is_the_sla_clocks_definition() -> None:
    listed = World(now=T0, staff_ids=frozenset({6}), bot_id=2)
    assert [speaker(r, CUSTOMER, listed) for r in (CUSTOMER, STAFF, OTHER, BOT)] == \
        ["customer", "staff", "customer", "bot"]
    unlisted = World(now=T0, bot_id=2)   # no staff list: everyone but the author
    assert [speaker(r, CUSTOMER, unlisted) for r in (CUSTOMER, STAFF, OTHER, BOT)] == \
        ["customer", "staff", "staff", "bot"]


def test_the_fields_follow_the_journals() -> None:
    world = World(now=T0, staff_ids=frozenset({6}), bot_id=2)
    journals = [note(1, STAFF, 1, "which browser?"),
                note(2, BOT, 2, "please add details", status="Feedback"),
                note(3, STAFF, 3, "internal", private=True),
                note(4, CUSTOMER, 5, "Firefox 128")]
    before = conversation(ISSUE, journals, world, T0 + timedelta(hours=4))
    assert (before.last_reply_by, before.waiting_on, before.customer_replied_since_status) == \
        ("bot", "customer", False)
    assert before.hours_since_staff_reply == 3.0 and before.status_days == round(2 / 24, 2)
    after = conversation(ISSUE, journals, world, T0 + timedelta(hours=7))
    assert (after.last_reply_by, after.waiting_on, after.customer_replied_since_status) == \
        ("customer", "us", True)
    assert after.hours_since_staff_reply == 6.0
    fresh = conversation(ISSUE, [], world, T0 + timedelta(days=2))
    assert (fresh.last_reply_by, fresh.waiting_on, fresh.hours_since_staff_reply,
            fresh.status_days) == (None, "us", None, 2.0)


RULE = """\
kind: triage
rules:
  - name: answered
    when: {all: [{status: Feedback}, {customer_replied_since_status: true}]}
    then: [{set: {status: In Progress}}]
"""


def fake_at(clock: dict[str, datetime]) -> FakeRedmine:
    return FakeRedmine(users=[User(5, "cust", "Cu"), User(6, "dev", "Dev")],
                       clock=lambda: clock["t"])


def test_a_rule_on_who_spoke_last_reads_journals_without_an_sla_file(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(RULE)
    (tmp_path / "c.yaml").write_text("kind: customers\ncustomers: []\n")
    assert load_rules([tmp_path]).journal_fields == ("customer_replied_since_status",)
    clock = {"t": T0}
    fake = fake_at(clock)
    issue = fake.add_issue("help", author=fake.users[5])
    clock["t"] = T0 + timedelta(hours=1)
    fake.human_edit(issue.id, fake.users[6], "which browser?", status="Feedback")
    config = Config(rules_dir=tmp_path, projects=("demo",))
    soon = timedelta(minutes=1)   # the fake dates a journal a few seconds after its clock
    assert plan_run(fake, config, clock["t"] + soon).changed == ()
    clock["t"] = T0 + timedelta(hours=2)
    fake.human_edit(issue.id, fake.users[5], "Firefox 128")
    [item] = plan_run(fake, config, clock["t"] + soon).changed
    assert [(c.field, c.new) for c in item.changes] == [("status", "In Progress")]


SLA = sla_yaml("{resolution: {default: {any: 10h}}}", pause="{waiting_on: customer}")


def test_an_sla_pause_on_waiting_on_stops_the_clock_until_the_customer_answers(
        tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "sla.yaml").write_text(SLA)
    (tmp_path / "rules" / "c.yaml").write_text("kind: customers\ncustomers: []\n")
    clock = {"t": T0}
    fake = fake_at(clock)
    issue = fake.add_issue("help", author=fake.users[5])
    clock["t"] = T0 + timedelta(hours=1)
    fake.human_edit(issue.id, fake.users[6], "which browser?")   # waiting on the customer
    clock["t"] = T0 + timedelta(hours=5)
    fake.human_edit(issue.id, fake.users[5], "Firefox 128")      # the clock resumes
    config = Config(rules_dir=tmp_path / "rules", projects=("demo",),
                    limits=Limits(max_issues=50, max_percent=100))
    store = StateStore(tmp_path / "s.db")
    now = T0 + timedelta(hours=7)
    [(_, _, clocks)] = sla_clocks(fake, config, store, now)
    [resolution] = [c for c in clocks if c.metric == "resolution"]
    assert resolution.state == "running"
    # 1 h before the question, 2 h after the answer, not 7 h (the fake adds seconds)
    assert abs(resolution.elapsed - 3 * 3600) < 10


def test_working_days_follow_the_calendar_or_monday_to_friday() -> None:
    monday = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    assert working_days(monday, monday + timedelta(days=7), None) == 5.0
    assert working_days(monday + timedelta(days=4), monday + timedelta(days=6), None) == 0.58
    office = Calendar("office", "UTC")   # Monday to Friday, its default hours
    assert working_days(monday, monday + timedelta(days=14), office) == 10.0


def stale_rules(folder: Path) -> Path:
    """The shipped followup rules with the stale rules switched on, and an office calendar."""
    shipped = (ROOT / "rules" / "12-followup.yaml").read_text(encoding="utf-8")
    block = shipped[shipped.index("  - name: stale-close"):]
    switched = block.replace("    enabled: false\n", "    enabled: true\n")
    assert switched.count("enabled: true") == 2
    folder.mkdir()
    (folder / "12-followup.yaml").write_text(shipped.replace(block, switched))
    (folder / "c.yaml").write_text("kind: customers\ncustomers: []\n")
    (folder / "sla.yaml").write_text(
        "kind: sla\ncalendars: {office: {timezone: UTC, hours: {mon-fri: ['09:00-17:00']}}}\n"
        "policies: []\n")
    return folder


def test_the_stale_rules_are_off_by_default_and_nudge_once_then_close(tmp_path: Path) -> None:
    assert not {"stale-nudge", "stale-close"} & {r.name for r in load_rules(
        [ROOT / "rules"]).rules()}
    clock = {"t": T0}                                   # Monday 09:00
    fake = fake_at(clock)
    issue = fake.add_issue("help", author=fake.users[5])
    clock["t"] = T0 + timedelta(hours=1)
    fake.human_edit(issue.id, fake.users[6], "Which browser?", status="Feedback")
    config = Config(rules_dir=stale_rules(tmp_path / "rules"), projects=("demo",),
                    limits=Limits(max_issues=50, max_percent=100))
    store = StateStore(tmp_path / "s.db")

    def run(days: int) -> None:
        apply_run(fake, config, store, lambda: T0 + timedelta(days=days, hours=2))

    def public(text: str) -> int:
        return sum(text in j.notes and not j.private for j in fake.issues[issue.id].journals
                   or ())

    run(3)                                              # Thursday: 3 working days
    assert public("friendly reminder") == 0
    for days in (7, 8):                                 # 5, then 6 working days: one nudge
        run(days)
    assert public("friendly reminder") == 1 and fake.issues[issue.id].status == "Feedback"
    assert "nudged" in (fake.issues[issue.id].cf("Labels") or ())
    run(14)                                             # 10 working days: closed, politely
    assert fake.issues[issue.id].status == "Closed"
    assert public("closing this request for now") == 1


WORKING_DAYS_SLA = """\
kind: sla
calendars:
  office: {timezone: UTC, hours: {mon-fri: ['09:00-17:00']}}
  shifts: {timezone: UTC, hours: {mon: ['08:00-20:00'], tue: ['08:00-20:00'],
           wed: ['08:00-20:00'], thu: ['08:00-20:00'], fri: ['08:00-20:00'],
           sat: ['08:00-20:00'], sun: ['08:00-20:00']}}
  always: {always: true}
policies:
  - {name: bugs, when: {tracker: Bug}, calendar: shifts, calendars_by_tier: {strategic: always}}
"""
WAITING = """\
kind: triage
rules:
  - {name: waiting, when: {status_working_days: {ge: 2}}, then: [{add_labels: [waiting]}]}
"""


def oracle_working_days(start: datetime, end: datetime, weekdays: range, hours: range
                        ) -> float:
    """Minutes of [start, end) inside ``hours`` (UTC) on ``weekdays``, over a day of them."""
    minutes = sum(1 for m in range(int((end - start).total_seconds() // 60))
                  if (t := start + timedelta(minutes=m)).weekday() in weekdays
                  and t.hour in hours)
    return round(minutes / (len(hours) * 60), 2)


def test_status_working_days_count_in_the_calendar_of_the_issues_policy(tmp_path: Path
                                                                         ) -> None:
    """Back-dated: the status changed on a Friday; every 3 hours for five days, the rule
    fires on each issue exactly when the oracle's count in its own calendar reaches 2: a
    Feature no policy covers (the file's first calendar, office), a Bug (its policy's
    shifts, every day) and a strategic Bug (its tier's calendar, around the clock)."""
    (tmp_path / "sla.yaml").write_text(WORKING_DAYS_SLA)
    (tmp_path / "r.yaml").write_text(WAITING)
    (tmp_path / "c.yaml").write_text("kind: customers\ncustomers: []\n")
    thursday = datetime(2026, 1, 8, 15, 0, tzinfo=UTC)
    clock = {"t": thursday}
    fake = fake_at(clock)
    issues = [fake.add_issue("a feature", author=fake.users[5], tracker="Feature"),
              fake.add_issue("a bug", author=fake.users[5]),
              fake.add_issue("a strategic bug", author=fake.users[5],
                             custom_fields={"Tier": "strategic"})]
    friday = thursday + timedelta(hours=16)   # 07:00
    clock["t"] = friday
    for issue in issues:
        fake.human_edit(issue.id, fake.users[6], "which browser?", status="Feedback")
    changed = fake.issues[1].journals[-1].created_on   # type: ignore[index]
    calendars = {1: (range(5), range(9, 17)), 2: (range(7), range(8, 20)),
                 3: (range(7), range(24))}
    config = Config(rules_dir=tmp_path, projects=("demo",))
    fired: dict[int, list[bool]] = {n: [] for n in calendars}
    expected: dict[int, list[bool]] = {n: [] for n in calendars}
    for step in range(1, 41):
        now = friday + timedelta(hours=3 * step)
        labelled = {i.issue_id for i in plan_run(fake, config, now).changed}
        for n, (weekdays, hours) in calendars.items():
            fired[n].append(n in labelled)
            expected[n].append(oracle_working_days(changed, now, weekdays, hours) >= 2)
    assert fired == expected
    # the oracle tells the three apart: the first run each one fires differs
    assert len({e.index(True) for e in expected.values()}) == 3

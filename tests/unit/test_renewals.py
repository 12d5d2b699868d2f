# ruff: noqa: RUF001  (Chinese punctuation on purpose)
"""Contract renewal reminders: due N days ahead, once, through plan and apply (FakeRedmine)."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from redmine_sync.config import Config
from redmine_sync.config import Limits
from redmine_sync.config import RenewalReminder
from redmine_sync.config import ReportsConfig
from redmine_sync.config import load_config
from redmine_sync.errors import ConfigError
from redmine_sync.errors import UserError
from redmine_sync.model import Issue
from redmine_sync.model import Ref
from redmine_sync.model import User
from redmine_sync.notes import compose_notes
from redmine_sync.plan import IssuePlan
from redmine_sync.plan import Note
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.renewals import Join
from redmine_sync.renewals import due
from redmine_sync.rules import build_world
from redmine_sync.rules import evaluate
from redmine_sync.rules import load_rules
from redmine_sync.rules import load_rules_text
from redmine_sync.rules.customers import Customer
from redmine_sync.rules.customers import CustomerBook
from redmine_sync.rules.customers import KeyDate
from redmine_sync.store import StateStore
from redmine_sync.sync import apply_run
from redmine_sync.sync import plan_run
from tests.rule_files import renewal_customers

RENEWAL = date(2026, 12, 18)
LAUNCH = date(2026, 12, 10)
BOTH = RenewalReminder(note=True, assign=True)


def book(issue: int | None = 7) -> CustomerBook:
    return CustomerBook.build([Customer("Northwind", 84, 90, account_manager="am.smith",
                                        key_dates=(KeyDate(RENEWAL, "renewal", "", issue),
                                                   KeyDate(RENEWAL, "launch", "", issue)))], [])


def test_due_exactly_n_days_ahead_not_before_and_not_after_the_date() -> None:
    assert due(book(), BOTH, 30, RENEWAL - timedelta(days=31), ()) == ()
    [found] = due(book(), BOTH, 30, RENEWAL - timedelta(days=30), ())
    assert (found.issue_id, found.days_left, found.mark.key) == (7, 30, "Northwind@2026-12-18")
    assert [d.days_left for d in due(book(), BOTH, 30, RENEWAL, ())] == [0]
    assert due(book(), BOTH, 30, RENEWAL + timedelta(days=1), ()) == ()


def test_due_never_again_once_reminded_under_any_issue_and_off_by_default() -> None:
    day = RENEWAL - timedelta(days=3)
    [found] = due(book(), BOTH, 30, day, ())
    assert due(book(), BOTH, 30, day, {(99, found.mark.policy, found.mark.key)}) == ()
    assert ReportsConfig().renewal_reminder == RenewalReminder(note=False, assign=False)
    assert due(book(), RenewalReminder(), 30, day, ()) == ()
    assert due(book(issue=None), BOTH, 30, day, ()) == ()   # no issue tracks it


def setup(tmp_path: Path, *, lang: str = "en", issue: int = 1, markup: str = "textile",
          reminder: RenewalReminder = BOTH) -> tuple[FakeRedmine, Config, StateStore]:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "customers.yaml").write_text(renewal_customers(RENEWAL, issue, lang=lang, launch=LAUNCH))
    fake = FakeRedmine(users=[User(8, "am.smith", "Anna Smith"), User(9, "cust", "Cu")])
    fake.add_issue("Renew the 2027 contract", author=fake.users[9])
    config = Config(rules_dir=rules, projects=("demo",), text_formatting=markup,
                    limits=Limits(max_issues=50, max_percent=100),
                    reports=ReportsConfig(timezone="Asia/Shanghai", renewal_reminder=reminder))
    return fake, config, StateStore(tmp_path / "s.db")


def at(day: date, hour: int = 1) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_the_plan_shows_the_reminder_and_apply_writes_it_once(tmp_path: Path) -> None:
    fake, config, store = setup(tmp_path)
    early = plan_run(fake, config, at(RENEWAL - timedelta(days=31)), store=store)
    assert early.changed == ()
    now = at(RENEWAL - timedelta(days=30))
    [item] = plan_run(fake, config, now, store=store).changed
    assert [(c.field, c.new) for c in item.changes] == [("assigned_to", "am.smith")]
    [note] = item.notes
    assert not note.public
    assert note.text == ("Contract renewal of Northwind Logistics (2027 &#42;service&#42; "
                         "contract) on 2026-12-18: 30 day(s) from today. Account "
                         "manager: Anna Smith.")   # Textile, escaped: no bold, no strike
    first = apply_run(fake, config, store, lambda: now)
    assert first.applied is not None and first.applied.count("written") == 1
    issue = fake.issues[1]
    assert issue.assigned_to is not None and issue.assigned_to.name == "Anna Smith"
    assert [j.private for j in issue.journals or () if "Contract renewal" in j.notes] == [True]
    stamp = issue.updated_on
    for later in (now, now + timedelta(days=5), at(RENEWAL)):   # once, never again
        again = apply_run(fake, config, store, lambda: later)   # noqa: B023
        assert again.plan.changed_count == 0 and fake.issues[1].updated_on == stamp
    assert ("key_date:renewal", "Northwind Logistics@2026-12-18") in \
        {(p, k) for _, p, k in store.sla_fired()}


def test_the_note_is_in_the_customers_language_and_markup(tmp_path: Path) -> None:
    fake, config, store = setup(tmp_path, lang="zh", markup="common_mark",
                                reminder=RenewalReminder(note=True))
    [item] = plan_run(fake, config, at(RENEWAL - timedelta(days=2)), store=store).changed
    assert item.changes == ()
    assert item.notes[0].text == ("Northwind Logistics的合同续约（2027 &#42;service&#42; "
                                  "contract）在 2026&#45;12&#45;18，还有 2 天。客户经理：Anna "
                                  "Smith。")


def test_off_by_default_nothing_is_planned(tmp_path: Path) -> None:
    fake, config, store = setup(tmp_path, reminder=RenewalReminder())
    assert plan_run(fake, config, at(RENEWAL - timedelta(days=1)), store=store).changed == ()


def test_an_issue_redmine_does_not_have_is_a_located_error(tmp_path: Path) -> None:
    fake, config, store = setup(tmp_path, issue=404)
    with pytest.raises(UserError, match=r"customers.yaml: the 2026-12-18 renewal of "
                       r"'Northwind Logistics' names issue #404") as info:
        plan_run(fake, config, at(RENEWAL - timedelta(days=1)), store=store)
    assert info.value.exit_code == 1


def test_wrong_reminder_config_and_issue_keys_are_located(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("reports:\n  renewal_reminder:\n    note: yes please\n    asign: true\n")
    with pytest.raises(ConfigError) as info:
        load_config(str(path), env={})
    text = str(info.value)
    assert f"{path}:3:11: reports.renewal_reminder.note: expected true or false" in text
    assert f"{path}:4:5: reports.renewal_reminder.asign: unknown key (did you mean " \
        "'assign'?)" in text
    assert info.value.exit_code == 1
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "customers.yaml").write_text(renewal_customers(RENEWAL, "'#12'", launch=LAUNCH))
    with pytest.raises(UserError, match=r"customers.yaml:10:\d+: .*issue.*whole number") as bad:
        load_rules([rules])
    assert bad.value.exit_code == 1


def test_a_streamed_plan_carries_the_reminder_and_counts_it(tmp_path: Path) -> None:
    fake, config, store = setup(tmp_path)
    streamed: list[object] = []
    plan = plan_run(fake, config, at(RENEWAL - timedelta(days=1)), store=store,
                    each=streamed.append)
    [item] = streamed
    assert item.notes and item.changes   # type: ignore[attr-defined]
    assert plan.summary()["issues_changed"] == 1 and plan.summary()["notes"] == 1
    assert plan.summary()["changes.assigned_to"] == 1


def test_reminders_join_the_rules_plans_whole_or_streamed() -> None:
    ruleset = load_rules_text("kind: triage\nrules:\n  - {name: tag, when: {subject: "
                              "{contains: renew}}, then: [{add_labels: [renewal]}]}\n")
    stamp = at(RENEWAL)
    issues = [Issue(id=n, project=Ref(1, "demo"), tracker="Feature", status="New",
                    priority="Normal", subject=subject, author=Ref(9, "Cu"),
                    created_on=stamp, updated_on=stamp)
              for n, subject in ((1, "renew the contract"), (2, "other"))]
    found = [IssuePlan(n, "", stamp, notes=(Note(f"renewal {n}", False, "renewal-reminder"),))
             for n in (2, 1)]
    world = build_world(ruleset, issues, stamp)
    streamed: list[IssuePlan] = []
    join = Join(found, streamed.append)
    plan = join.joined(evaluate(ruleset, issues, world, each=join.each))
    join = Join(found, None)
    whole = join.joined(evaluate(ruleset, issues, world, each=join.each))
    for items in (streamed, whole.issues):
        assert [(i.issue_id, [c.field for c in i.changes], [n.text for n in i.notes])
                for i in items] == [(1, ["labels"], ["renewal 1"]), (2, [], ["renewal 2"])]
    assert plan.summary()["issues_changed"] == 2 and plan.summary()["notes"] == 2
    assert plan.summary()["changes.labels"] == 1


def test_a_reminder_joins_a_plan_with_a_public_note_and_goes_in_the_private_one() -> None:
    ruleset = load_rules_text(
        "kind: triage\nrules:\n  - {name: answer, when: {subject: {contains: renew}}, "
        "then: [{add_labels: [renewal]}, {note: {public: true, text: 'We will call you.'}}]}\n")
    stamp = at(RENEWAL)
    issues = [Issue(id=1, project=Ref(1, "demo"), tracker="Feature", status="New",
                    priority="Normal", subject="renew the contract", author=Ref(9, "Cu"),
                    created_on=stamp, updated_on=stamp)]
    found = [IssuePlan(1, "", stamp, notes=(Note("renewal 1", False, "renewal-reminder"),))]
    join = Join(found, None)
    plan = join.joined(evaluate(ruleset, issues, build_world(ruleset, issues, stamp)))
    [item] = plan.issues  # not held back for a later run any more
    assert [(n.text, n.public) for n in item.notes] == [("We will call you.", True),
                                                        ("renewal 1", False)]
    notes = compose_notes(item, list(item.changes))
    assert [(n.public, n.text.endswith("renewal 1")) for n in notes] == [(True, False),
                                                                         (False, True)]

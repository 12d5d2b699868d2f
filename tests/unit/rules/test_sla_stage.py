"""The SLA stage through plan/apply on FakeRedmine: thresholds act once, fields written."""

from __future__ import annotations

import html
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from redmine_sync.config import Config
from redmine_sync.config import Limits
from redmine_sync.daemon import wake_in
from redmine_sync.model import CustomFieldDef
from redmine_sync.model import User
from redmine_sync.plan import IssuePlan
from redmine_sync.redmine.fake import TRACKERS
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.redmine.fake import default_custom_fields
from redmine_sync.store import StateStore
from redmine_sync.sync import apply_run
from redmine_sync.sync import sla_clocks
from tests.rule_files import sla_yaml

SLA = sla_yaml("{first_response: {default: {any: 2h}}}", write="{state: SLA state}",
               thresholds={"50%": "[{add_labels: [sla-warning]}]",
                           "100%": '[{add_labels: [sla-breached]}, {note: "breached: {reason}"}]'})
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def setup(tmp_path: Path, sla: str = SLA) -> tuple[FakeRedmine, Config, StateStore]:
    """A fake Redmine with an "SLA state" field, users 5 (customer) and 6 (staff), and a
    rules directory holding ``sla`` alone."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "sla.yaml").write_text(sla)
    fields = (*default_custom_fields(), CustomFieldDef(
        9, "SLA state", "list", False, ("running", "paused", "warning", "breached", "met"),
        TRACKERS, True))
    fake = FakeRedmine(users=[User(5, "cust", "Customer"), User(6, "dev", "Dev")],
                       custom_fields=fields, clock=lambda: START)
    config = Config(rules_dir=tmp_path / "rules", projects=("demo",),
                    limits=Limits(max_issues=50, max_percent=100))
    return fake, config, StateStore(tmp_path / "s.db")


def test_thresholds_act_once_and_the_state_is_written(tmp_path: Path) -> None:
    fake, config, store = setup(tmp_path)
    issue = fake.add_issue("help", author=fake.users[5])
    at = {"t": START + timedelta(hours=1, minutes=30)}
    apply_run(fake, config, store, lambda: at["t"])
    after = fake.issues[issue.id]
    assert after.cf("Labels") == ("sla-warning",) and after.cf("SLA state") == "warning"
    at["t"] = START + timedelta(hours=3)
    apply_run(fake, config, store, lambda: at["t"])
    after = fake.issues[issue.id]
    assert set(after.cf("Labels") or ()) == {"sla-warning", "sla-breached"}
    assert after.cf("SLA state") == "breached"
    notes = [j.notes for j in after.journals or () if "breached: SLA p" in j.notes]
    assert len(notes) == 1  # in Textile, the default: "%" escaped, or "150% ... 100%" is a span
    assert "first response at 150&#37; of 2 h" in notes[0]
    stamp = after.updated_on
    at["t"] = START + timedelta(hours=5)
    result = apply_run(fake, config, store, lambda: at["t"])
    assert result.applied is not None and result.applied.outcomes == ()
    assert fake.issues[issue.id].updated_on == stamp
    assert store.sla_fired() == {(issue.id, "p", "first_response#1@50%"),
                                 (issue.id, "p", "first_response#1@100%")}


def test_a_threshold_whose_only_action_is_a_note_posts_it_once(tmp_path: Path) -> None:
    """The 75 % step of the shipped policy is a note only: it must reach an issue that
    already carries the 50 % label (nothing else changes), and only once."""
    fake, config, store = setup(tmp_path)
    (tmp_path / "rules" / "sla.yaml").write_text(SLA.replace(
        "      - {at: 100%", '      - {at: 75%, then: [{note: "warning: {reason}"}]}\n'
        "      - {at: 100%"))
    issue = fake.add_issue("help", author=fake.users[5])
    apply_run(fake, config, store, lambda: START + timedelta(hours=1, minutes=10))
    assert fake.issues[issue.id].cf("Labels") == ("sla-warning",)
    for minutes in (40, 50):                        # 83 %, then 92 %: one note
        apply_run(fake, config, store, lambda m=minutes: START + timedelta(hours=1, minutes=m))
        notes = [html.unescape(j.notes) for j in fake.issues[issue.id].journals or ()
                 if "(threshold 75%)" in html.unescape(j.notes)]  # as read: escaped for Textile
        assert len(notes) == 1 and "first response at 83% of 2 h" in notes[0]


def test_a_staff_answer_quoting_out_of_office_is_an_answer(tmp_path: Path) -> None:
    fake, config, store = setup(tmp_path)
    answered = fake.add_issue("status text", author=fake.users[5])
    fake.human_edit(answered.id, fake.users[6],
                    notes="Fixed: the 'out of office' status now shows correctly.")
    away = fake.add_issue("help", author=fake.users[5])
    fake.human_edit(away.id, fake.users[6], notes="Out of office until Monday.")
    apply_run(fake, config, store, lambda: START + timedelta(hours=3))
    assert fake.issues[answered.id].cf("Labels") == ()
    assert "sla-breached" in (fake.issues[away.id].cf("Labels") or ())


def test_days_in_targets_are_working_days_of_the_calendar(tmp_path: Path) -> None:
    fake, config, store = setup(tmp_path)
    (tmp_path / "rules" / "sla.yaml").write_text(SLA.replace(
        "calendars: {always: {always: true}}",
        'calendars: {always: {hours: {mon-fri: ["09:00-12:00", "13:00-17:30"]}}}').replace(
        "any: 2h", "any: 2d"))
    fake.add_issue("help", author=fake.users[5])             # Monday 09:00:01 UTC
    [(_, _, clocks)] = sla_clocks(fake, config, store, START + timedelta(hours=1))
    first = next(c for c in clocks if c.metric == "first_response")
    assert first.target == 15 * 3600                          # two 7.5 h days
    assert first.due == START + timedelta(days=2, seconds=1)    # Wednesday 09:00:01


def test_a_response_before_the_threshold_never_fires(tmp_path: Path) -> None:
    fake, config, store = setup(tmp_path)
    issue = fake.add_issue("help", author=fake.users[5])
    fake.human_edit(issue.id, fake.users[6], notes="On it")
    apply_run(fake, config, store, lambda: START + timedelta(hours=9))
    assert fake.issues[issue.id].cf("Labels") == ()
    assert fake.issues[issue.id].cf("SLA state") == "met"
    [(_, _, clocks)] = sla_clocks(fake, config, store, START + timedelta(hours=9), issue.id)
    first = clocks[0]
    assert first.metric == "first_response" and first.state == "met" and not first.breached


def test_the_daemon_wakes_for_the_next_threshold() -> None:
    now = datetime(2026, 1, 5, 9, 0, 20, tzinfo=UTC)
    assert wake_in(None, now, 300) == 300
    assert wake_in(now + timedelta(seconds=70), now, 300) == 120  # to the next whole minute
    assert wake_in(now + timedelta(hours=2), now, 300) == 300
    assert wake_in(now - timedelta(seconds=5), now, 300) == 1.0


def journal_reads(fake: FakeRedmine) -> list[int]:
    """The ids of the issues read with journals from now on."""
    calls: list[int] = []
    real, lean = fake.get_issue, fake.issue_journals

    def counting(issue_id: int, *, journals: bool = True):  # type: ignore[no-untyped-def]
        if journals:
            calls.append(issue_id)
        return real(issue_id, journals=journals)

    def counting_lean(issue_id: int, *, allowed_statuses: bool = False):  # type: ignore[no-untyped-def]
        calls.append(issue_id)
        return lean(issue_id, allowed_statuses=allowed_statuses)

    fake.get_issue = counting  # type: ignore[method-assign]
    fake.issue_journals = counting_lean  # type: ignore[method-assign]
    return calls


def test_a_quiet_run_fetches_no_journals(tmp_path: Path) -> None:
    from redmine_sync.sync import plan_run

    fake, config, store = setup(tmp_path)
    for subject in ("one", "two"):   # changed since created: their journals are read once
        issue = fake.add_issue(subject, author=fake.users[5])
        fake.human_edit(issue.id, fake.users[5], notes="any news?")
    calls = journal_reads(fake)
    plan_run(fake, config, START + timedelta(minutes=10), store=store, full=False)
    assert sorted(calls) == [1, 2]
    calls.clear()
    plan_run(fake, config, START + timedelta(minutes=20), store=store, full=False)
    assert calls == []


def test_the_tools_own_write_needs_no_journal_read_next_run(tmp_path: Path) -> None:
    from redmine_sync.sync import plan_run

    fake, config, store = setup(tmp_path)
    fake.add_issue("help", author=fake.users[5])
    at = START + timedelta(hours=1, minutes=30)
    result = apply_run(fake, config, store, lambda: at)
    assert result.applied is not None and [o.status for o in result.applied.outcomes] == \
        ["written"]
    calls = journal_reads(fake)
    plan = plan_run(fake, config, at + timedelta(minutes=1), store=store, full=False)
    assert calls == []  # the write's verification read brought the journals along
    assert not plan.changed


def test_a_quiet_incremental_run_asks_redmine_only_for_changed_issues(tmp_path: Path) -> None:
    from redmine_sync.sync import plan_run

    fake, config, store = setup(tmp_path)
    fake.add_issue("one", author=fake.users[5])
    plan_run(fake, config, START + timedelta(minutes=10), store=store, full=False)
    before = fake.requests_made
    plan_run(fake, config, START + timedelta(minutes=20), store=store, full=False)
    assert fake.requests_made - before == 1      # the issue listing, nothing else


def test_the_due_time_is_written_in_the_configured_time_zone_with_its_name(
        tmp_path: Path) -> None:
    fake, config, store = setup(tmp_path)
    (tmp_path / "rules" / "sla.yaml").write_text(SLA.replace(
        "write: {state: SLA state}",
        "write: {due: SLA due, state: SLA state, timezone: Asia/Shanghai}"))
    fake.fields["SLA due"] = CustomFieldDef(10, "SLA due", "string", False, None, TRACKERS, True)
    issue = fake.add_issue("help", author=fake.users[5])
    apply_run(fake, config, store, lambda: START + timedelta(minutes=30))
    # created 09:00 UTC with a 2 h target around the clock: due 11:00 UTC, 19:00 in Shanghai
    assert fake.issues[issue.id].cf("SLA due") == "2026-01-05 19:00 Asia/Shanghai"


def test_an_unknown_due_time_zone_is_an_error_at_its_place() -> None:
    import pytest

    from redmine_sync.errors import UserError as RuleError
    from redmine_sync.rules.ruleset import load_rules_text

    text = SLA.replace("write: {state: SLA state}",
                       "write: {due: SLA due, timezone: Asia/Shangai}")
    with pytest.raises(RuleError) as info:
        load_rules_text(text, "sla.yaml")
    assert any("write.timezone" in str(p) and "unknown time zone 'Asia/Shangai'" in str(p)
               for p in info.value.problems)


def test_a_response_exactly_at_the_target_is_met_and_fires_nothing(tmp_path: Path) -> None:
    fake, config, store = setup(tmp_path)
    (tmp_path / "rules" / "sla.yaml").write_text(SLA.replace("{any: 2h}", "{any: 1s}"))
    issue = fake.add_issue("help", author=fake.users[5])
    fake.human_edit(issue.id, fake.users[6], notes="On it")  # one second after creation
    [(_, _, clocks)] = sla_clocks(fake, config, store, START + timedelta(hours=1), issue.id)
    assert clocks[0].state == "met" and not clocks[0].breached
    assert clocks[0].fraction() == 1.0
    apply_run(fake, config, store, lambda: START + timedelta(hours=1))
    assert fake.issues[issue.id].cf("Labels") == ("sla-warning",)  # 50% came before it
    assert fake.issues[issue.id].cf("SLA state") == "met"


def test_a_breach_adds_the_escalation_contact_as_watcher_once_with_a_mention(
        tmp_path: Path) -> None:
    plain, config, store = setup(tmp_path)
    fake = FakeRedmine(users=[User(5, "cust", "Customer"), User(7, "pm.li", "Li Ping"),
                              User(8, "am.liu", "Liu Yang")], groups={50: "Support"},
                       custom_fields=plain.fields.values(), clock=lambda: START)
    (tmp_path / "rules" / "customers.yaml").write_text(
        "kind: customers\ncustomers:\n  - {name: Acme, value: 90, fit: 90, "
        "account_manager: am.liu, escalation_contact: pm.li}\n")
    (tmp_path / "rules" / "sla.yaml").write_text(SLA.replace(
        '{note: "breached: {reason}"}',
        '{watch: [escalation_contact, account_manager, Support]}, '
        '{note: "breached. {mention_escalation_contact}"}'))
    issue = fake.add_issue("help", author=fake.users[5], custom_fields={"Customer": "Acme"})
    planned: list[IssuePlan] = []
    apply_run(fake, config, store, lambda: START + timedelta(hours=3),
              on_plan=lambda plan, items: planned.extend(items))
    [item] = planned
    watchers = next(c for c in item.changes if c.field == "watchers")
    assert watchers.new == ("pm.li", "am.liu", "Support")
    assert fake.watchers[issue.id] == ["Li Ping", "Liu Yang", "Support"]
    [note] = [j.notes for j in fake.issues[issue.id].journals or () if "breached." in j.notes]
    assert note.endswith("breached. @pm.li")   # a mention: Redmine notifies pm.li
    fake.watchers[issue.id].remove("Liu Yang")   # a person removes a watcher: it stays removed
    again = apply_run(fake, config, store, lambda: START + timedelta(hours=5))
    assert again.plan.changed_count == 0 and fake.watchers[issue.id] == ["Li Ping", "Support"]

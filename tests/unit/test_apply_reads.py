"""How often apply reads an issue it writes: at most twice (the read before the write,
which is the SLA pass's journal read when this run made one, and the verification read)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from redmine_sync.apply import RunStopped
from redmine_sync.errors import RedmineError
from redmine_sync.errors import RedmineUnavailable
from redmine_sync.errors import UnusableAnswer
from redmine_sync.model import Issue
from redmine_sync.model import Journal
from redmine_sync.plan import IssuePlan
from redmine_sync.plan import Plan
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.reports.run import publish_due
from redmine_sync.sla_facts import Reads
from redmine_sync.sync import RunResult
from redmine_sync.sync import apply_run
from tests.rule_files import sla_yaml
from tests.unit.rules.test_sla_stage import START
from tests.unit.rules.test_sla_stage import setup as sla_setup

SLA = sla_yaml("{first_response: {default: {any: 2h}}}", write="{state: SLA state}",
               thresholds={"50%": "[{add_labels: [sla-warning]}]"})


def written(result: RunResult) -> list[int]:
    assert result.applied is not None
    return [o.issue_id for o in result.applied.outcomes if o.status == "written"]


def test_a_written_issue_is_read_twice_the_journal_read_serving_as_the_read_before(
        tmp_path: Path) -> None:
    fake, config, store = sla_setup(tmp_path, SLA)
    issues = [fake.add_issue(f"help {n}", author=fake.users[5]) for n in range(4)]
    fake.add_issue("closed long ago", author=fake.users[5], status="Closed", is_closed=True)
    result = apply_run(fake, config, store, lambda: START + timedelta(minutes=10))
    first = written(result)
    assert sorted(first) == [i.id for i in issues]          # "running" written on each
    assert all(fake.reads[i] == 2 for i in first), dict(fake.reads)
    assert fake.reads[5] == 0     # closed, under no policy: no clock, its journals unread

    fake.reads.clear()  # people edit two issues: their cached journals are out of date
    for issue in issues[:2]:
        fake.human_edit(issue.id, fake.users[5], notes="any news?")
    result = apply_run(fake, config, store, lambda: START + timedelta(hours=1, minutes=30))
    assert sorted(written(result)) == [i.id for i in issues]   # the 50 % warning on each
    assert all(fake.reads[i.id] == 2 for i in issues), dict(fake.reads)


def test_an_issue_changed_between_listing_and_journal_read_is_stale_without_a_third_read(
        tmp_path: Path) -> None:
    fake, config, store = sla_setup(tmp_path, SLA)
    issue = fake.add_issue("help", author=fake.users[5])
    real = fake.issue_journals

    def racing(issue_id: int, *, allowed_statuses: bool = False):  # type: ignore[no-untyped-def]
        fake.human_edit(issue_id, fake.users[5], notes="a person writes meanwhile")
        return real(issue_id, allowed_statuses=allowed_statuses)

    fake.issue_journals = racing  # type: ignore[method-assign]
    result = apply_run(fake, config, store, lambda: START + timedelta(minutes=10))
    assert result.applied is not None
    [outcome] = result.applied.outcomes
    assert outcome.status == "skipped" and "stale" in outcome.reason
    assert fake.reads[issue.id] == 1


def test_a_read_older_than_its_limit_is_not_the_read_before_the_write() -> None:
    fake = FakeRedmine(clock=lambda: START)
    listed = fake.add_issue("help")
    now = {"t": 100.0}
    reads = Reads(fake.updated_on, max_age=120, clock=lambda: now["t"])
    reads.add(fake.issue_journals(listed.id, allowed_statuses=True), listed.updated_on)
    shown = reads.before_write(listed, ())
    assert shown is not None and shown.allowed_statuses and shown.journals == ()
    assert reads.before_write(listed, None) is None     # journals unknown: read it
    now["t"] += 121
    assert reads.before_write(listed, ()) is None


def test_the_reports_after_a_run_find_each_issues_journals_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three reports due at three instants after an apply: the journals the run's SLA pass
    found (in the cache, or read as a person changed the issue) are not looked up again;
    a closed issue's, which the run did not need, are read once for the three."""
    fake, config, store = sla_setup(tmp_path, SLA)
    config = replace(config, reports=replace(config.reports, schedules={
        "weekly": "0 0 * * *", "kpi": "0 3 * * *", "monthly": "0 6 * * *"}))
    issues = [fake.add_issue(f"help {n}", author=fake.users[5]) for n in range(3)]
    closed = fake.add_issue("closed long ago", author=fake.users[5], status="Closed",
                            is_closed=True)
    fake.human_edit(closed.id, fake.users[5], notes="thanks")  # it has journals to read
    now = START + timedelta(days=1, hours=7)
    assert written(apply_run(fake, config, store, lambda: now - timedelta(minutes=5)))
    fake.human_edit(issues[0].id, fake.users[5], notes="any news?")
    looked_up: Counter[int] = Counter()
    cached = store.journals

    def counted(issue_id: int, updated_on: datetime) -> tuple[Journal, ...] | None:
        looked_up[issue_id] += 1
        return cached(issue_id, updated_on)

    monkeypatch.setattr(store, "journals", counted)
    fake.reads.clear()
    result = apply_run(fake, config, store, lambda: now)
    assert written(result) == [] and dict(fake.reads) == {issues[0].id: 1}
    fake.reads.clear()
    looked_up.clear()
    published = publish_due(fake, config, store, now, result.held)
    assert len(published) == 3 and all("created" in line for line in published)
    assert dict(fake.reads) == {closed.id: 1}
    assert dict(looked_up) == {closed.id: 1}


def test_a_person_editing_between_plan_and_apply_is_not_overwritten(tmp_path: Path) -> None:
    fake, config, store = sla_setup(tmp_path, SLA)
    issues = [fake.add_issue(f"help {n}", author=fake.users[5]) for n in range(3)]
    edited = issues[1]

    def person_edits(plan: Plan, items: Iterable[IssuePlan]) -> None:  # before the writes
        assert edited.id in {i.issue_id for i in items if not i.empty}
        fake.human_edit(edited.id, fake.users[6], custom_fields={"Labels": ("ui",)})
    fake.requests_made = 0
    result = apply_run(fake, config, store, lambda: START + timedelta(hours=1, minutes=30),
                       on_plan=person_edits)
    assert result.applied is not None
    status = {o.issue_id: o.status for o in result.applied.outcomes}
    assert status == {issues[0].id: "written", edited.id: "skipped", issues[2].id: "written"}
    assert fake.issues[edited.id].cf("Labels") == ("ui",)   # the person's edit stays
    assert fake.issues[issues[0].id].cf("Labels") == ("sla-warning",)
    assert fake.reads[issues[0].id] == 2 and fake.reads[issues[2].id] == 2


def listed_reads(fake: FakeRedmine, issues: Sequence[Issue], now: dict[str, float]
                 ) -> tuple[Reads, list[list[int]]]:
    """Reads of ``issues`` about to be written in that order, on the clock ``now["t"]``,
    and the ids each list of the next writes asked for."""
    asked: list[list[int]] = []

    def listing(ids: Sequence[int], since: datetime | None) -> dict[int, datetime]:
        asked.append(list(ids))
        return fake.updated_on(ids, since)
    reads = Reads(listing, listed_for=2, clock=lambda: now["t"])
    for issue in issues:
        reads.add(fake.issue_journals(issue.id, allowed_statuses=True), issue.updated_on)
    reads.will_write([i.id for i in issues])
    return reads, asked


def test_the_list_is_asked_once_for_the_next_writes_and_trusted_for_seconds() -> None:
    fake = FakeRedmine(clock=lambda: START)
    issues = [fake.add_issue(f"help {n}") for n in range(3)]
    now = {"t": 100.0}
    reads, asked = listed_reads(fake, issues, now)
    assert reads.before_write(issues[0], ()) is not None
    assert reads.before_write(issues[1], ()) is not None
    assert asked == [[i.id for i in issues]]
    fake.human_edit(issues[2].id, fake.users[fake.me.id], notes="edited meanwhile")
    now["t"] += 3    # the list's answer is too old now: asked again, the edit seen
    assert reads.before_write(issues[2], ()) is None
    assert asked[1] == [issues[2].id]


def test_the_list_shows_only_the_issues_changed_since_the_planning_listing() -> None:
    """Redmine renders only what changed since the newest stamp listed before the reads:
    an issue left out is unchanged; a person's edit after its read is stamped later."""
    at = {"now": START}
    fake = FakeRedmine(clock=lambda: at["now"])
    quiet = fake.add_issue("quiet for a day")
    at["now"] += timedelta(days=1)
    recent = fake.add_issue("changed just before the plan")
    answers: list[tuple[datetime | None, dict[int, datetime]]] = []

    def listing(ids: Sequence[int], since: datetime | None) -> dict[int, datetime]:
        answers.append((since, fake.updated_on(ids, since)))
        return answers[-1][1]
    now = {"t": 100.0}
    reads = Reads(listing, listed_for=2, clock=lambda: now["t"])
    for issue in (quiet, recent):
        reads.add(fake.issue_journals(issue.id, allowed_statuses=True), issue.updated_on)
    reads.will_write([quiet.id, recent.id])
    assert reads.before_write(quiet, ()) is not None and reads.before_write(recent, ())
    assert answers == [(recent.updated_on - timedelta(seconds=1),
                        {recent.id: recent.updated_on})]
    at["now"] += timedelta(seconds=1)
    fake.human_edit(quiet.id, fake.users[fake.me.id], notes="edited after its read")
    now["t"] += 3
    assert reads.before_write(quiet, ()) is None       # listed now, and changed: read again
    assert answers[-1][1][quiet.id] == fake.issues[quiet.id].updated_on


def test_the_list_asks_for_about_as_many_issues_as_the_last_answer_served() -> None:
    """Redmine renders each issue listed: one list asks for the writes of the next
    seconds (as many as the last answer served, and half again), not 20 each time."""
    fake = FakeRedmine(clock=lambda: START)
    issues = [fake.add_issue(f"help {n}") for n in range(30)]
    now = {"t": 100.0}
    reads, asked = listed_reads(fake, issues, now)
    edited = issues[12]
    for issue in issues[:12]:     # a write every 0.7 s: an answer serves three
        assert reads.before_write(issue, ()) is not None
        now["t"] += 0.7
    assert [len(a) for a in asked] == [Reads.FIRST, 5, 5, 5]
    assert asked[1][0] == issues[3].id
    fake.human_edit(edited.id, fake.users[fake.me.id], notes="edited meanwhile")
    assert reads.before_write(edited, ()) is None     # listed again: the edit is seen
    for issue in issues[13:]:     # then faster: a list that runs out asks twice as many
        reads.before_write(issue, ())
        now["t"] += 0.05
    assert [len(a) for a in asked[4:]] == [5, 10, 3]  # the last: the 3 left


def test_a_read_minutes_old_the_list_shows_unchanged_is_the_read_before_the_write() -> None:
    """A slow apply (a busy Redmine) does not read each issue a third time: the list
    checks the stamp; a person's edit is seen all the same."""
    fake = FakeRedmine(clock=lambda: START)
    quiet, edited = fake.add_issue("help"), fake.add_issue("help too")
    now = {"t": 100.0}
    reads, asked = listed_reads(fake, [quiet, edited], now)
    fake.human_edit(edited.id, fake.users[fake.me.id], notes="edited meanwhile")
    now["t"] += 600
    shown = reads.before_write(quiet, ())
    assert shown is not None and shown.allowed_statuses
    now["t"] += 3
    assert reads.before_write(edited, ()) is None
    assert asked == [[quiet.id, edited.id], [edited.id]]
    now["t"] += 1200    # half an hour: the allowed statuses are read again
    assert reads.before_write(quiet, ()) is None


FAILED_LISTS = [RedmineError("Redmine had an internal error (HTTP 500); see its production.log"),
                UnusableAnswer("Redmine answered unusably at GET /issues.json: expected JSON")]


def failing(error: RedmineError, asked: list[Sequence[int]] | None = None
            ) -> Callable[[Sequence[int], datetime | None], dict[int, datetime]]:
    """A batched ``updated_on`` listing that answers ``error``, noting what it was asked."""
    def listing(ids: Sequence[int], since: datetime | None = None) -> dict[int, datetime]:
        if asked is not None:
            asked.append(ids)
        raise error
    return listing


@pytest.mark.parametrize("failure", FAILED_LISTS, ids=["500", "unusable"])
def test_a_list_that_cannot_be_read_leaves_each_issue_read_before_its_write(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, failure: RedmineError) -> None:
    fake, config, store = sla_setup(tmp_path, SLA)
    issues = [fake.add_issue(f"help {n}", author=fake.users[5]) for n in range(4)]
    asked: list[Sequence[int]] = []
    fake.updated_on = failing(failure, asked)  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING, logger="redmine_sync.sla_facts"):
        result = apply_run(fake, config, store, lambda: START + timedelta(minutes=10))
    assert sorted(written(result)) == [i.id for i in issues]
    assert result.applied is not None and not result.applied.failed
    assert len(asked) == 1                 # not asked again for each issue after it failed
    assert all(fake.reads[i.id] == 3 for i in issues), dict(fake.reads)  # + the read before
    [warning] = [r.getMessage() for r in caplog.records if r.name == "redmine_sync.sla_facts"]
    assert "could not be read" in warning and str(failure).splitlines()[0] in warning


def test_after_a_failed_list_a_failed_read_fails_that_issue_only(tmp_path: Path) -> None:
    fake, config, store = sla_setup(tmp_path, SLA)
    issues = [fake.add_issue(f"help {n}", author=fake.users[5]) for n in range(3)]
    real = fake.get_issue

    def flaky(issue_id: int, *, journals: bool = True) -> Issue:
        if issue_id == issues[1].id:
            raise RedmineError("Redmine had an internal error (HTTP 500); see its production.log")
        return real(issue_id, journals=journals)

    fake.updated_on = failing(FAILED_LISTS[0])  # type: ignore[method-assign]
    fake.get_issue = flaky  # type: ignore[method-assign]
    result = apply_run(fake, config, store, lambda: START + timedelta(minutes=10))
    assert result.applied is not None
    status = {o.issue_id: o.status for o in result.applied.outcomes}
    assert status == {issues[0].id: "written", issues[1].id: "failed",
                      issues[2].id: "written"}
    assert result.applied.failed == 1        # the run is recorded failed: exit 2


def test_a_redmine_that_cannot_be_reached_for_the_list_stops_the_run(tmp_path: Path) -> None:
    fake, config, store = sla_setup(tmp_path, SLA)
    fake.add_issue("help", author=fake.users[5])
    fake.updated_on = failing(  # type: ignore[method-assign]
        RedmineUnavailable("Redmine did not answer GET /issues.json"))
    with pytest.raises(RunStopped, match="did not answer"):
        apply_run(fake, config, store, lambda: START + timedelta(minutes=10))

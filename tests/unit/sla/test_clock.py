"""SLA clocks against hand-computed values, on a Mon-Fri 09:00-17:00 UTC calendar and a 24x7 one.

2024-03-01 is a Friday; 2024-03-04 a Monday.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import time
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from redmine_sync.config import FieldMap
from redmine_sync.model import Issue
from redmine_sync.model import Journal
from redmine_sync.model import JournalDetail
from redmine_sync.model import Ref
from redmine_sync.sla.clock import BusinessCalendar
from redmine_sync.sla.clock import ClockRules
from redmine_sync.sla.clock import Interval
from redmine_sync.sla.clock import MetricClock
from redmine_sync.sla.clock import Target
from redmine_sync.sla.clock import compute
from redmine_sync.sla.clock import targets
from redmine_sync.sla.timeline import replay

H = 3600.0


class OfficeHours:
    """Mon-Fri 09:00-17:00 UTC, no holidays."""

    @staticmethod
    def _windows(start: datetime) -> Iterator[tuple[datetime, datetime]]:
        day = start.astimezone(UTC).date()
        while True:
            if day.weekday() < 5:
                yield (datetime.combine(day, time(9), tzinfo=UTC),
                       datetime.combine(day, time(17), tzinfo=UTC))
            day += timedelta(days=1)

    def business_seconds(self, start: datetime, end: datetime) -> float:
        total = 0.0
        if end <= start:
            return total
        for opens, closes in self._windows(start):
            if opens >= end:
                return total
            lo, hi = max(opens, start), min(closes, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        raise AssertionError("unreachable")

    def add(self, start: datetime, seconds: float) -> datetime:
        remaining = seconds
        if remaining <= 0:
            return start
        for opens, closes in self._windows(start):
            lo = max(opens, start)
            if closes <= lo:
                continue
            span = (closes - lo).total_seconds()
            if span >= remaining:
                return lo + timedelta(seconds=remaining)
            remaining -= span
        raise AssertionError("unreachable")


class AlwaysOpen:
    def business_seconds(self, start: datetime, end: datetime) -> float:
        return max((end - start).total_seconds(), 0.0)

    def add(self, start: datetime, seconds: float) -> datetime:
        return start + timedelta(seconds=seconds)


OFFICE: BusinessCalendar = OfficeHours()
ALWAYS: BusinessCalendar = AlwaysOpen()
AUTHOR = Ref(2, "Carol Customer")
STAFF = Ref(10, "Sam Staff")
INTERNAL = Ref(11, "Ivy Internal")      # staff who also files issues
BOT = Ref(99, "redmine-sync")
STAFF_IDS = {STAFF.id, INTERNAL.id, BOT.id}
TARGETS = {
    "first_response": {"Normal": 4 * H, "Urgent": 2 * H},
    "next_response": {"Normal": 4 * H, "Urgent": 2 * H},
    "resolution": {"Normal": 8 * H, "Urgent": 4 * H},
    "emergency": {"Normal": 2 * H, "Urgent": 2 * H},
}


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute, second, tzinfo=UTC)


def pause(values: Mapping[str, object]) -> str | None:
    if values.get("status") == "Feedback":
        return "status Feedback"
    if "needs-info" in tuple(values.get("labels") or ()):  # type: ignore[arg-type]
        return "label needs-info"
    return None


def target(metric: str, values: Mapping[str, object]) -> float | None:
    return TARGETS.get(metric, {}).get(str(values.get("priority")))


RULES = ClockRules(
    start=lambda values: True,
    pause=pause,
    closed=lambda values: values.get("status") in ("Closed", "Rejected"),
    target=target,
    is_staff=lambda ref: ref.id in STAFF_IDS,
    bot_id=BOT.id,
    auto_reply=lambda text: text.startswith("[auto]"),
)
EMERGENCY = replace(RULES, emergency=lambda values: "delay-risk" in tuple(
    values.get("labels") or ()))  # type: ignore[arg-type]


def note(when: datetime, user: Ref, text: str = "Looking into it.", *details: JournalDetail,
         private: bool = False) -> tuple[datetime, Ref, str, bool, tuple[JournalDetail, ...]]:
    return when, user, text, private, details


def status(old: str, new: str) -> JournalDetail:
    return JournalDetail("attr", "status", old, new)


def priority(old: str, new: str) -> JournalDetail:
    return JournalDetail("attr", "priority", old, new)


def label(old: str | None, new: str | None) -> JournalDetail:
    return JournalDetail("cf", "cf.Labels", old, new)


def make_issue(created: datetime, *entries: tuple[datetime, Ref, str, bool,
                                                  tuple[JournalDetail, ...]],
               prio: str = "Normal", author: Ref = AUTHOR) -> Issue:
    """An issue created with status New and ``prio``; current values follow the journals."""
    current: dict[str, str] = {"status": "New", "priority": prio}
    labels: set[str] = set()
    journals = []
    for i, (when, user, text, private, details) in enumerate(entries, start=1):
        for d in details:
            if d.field == "cf.Labels":
                labels.discard(d.old or "")
                labels |= {d.new} if d.new else set()
            else:
                current[d.field] = d.new or ""
        journals.append(Journal(i, user, when, text, private, details))
    return Issue(id=1, project=Ref(1, "demo"), tracker="Support", subject="Export fails",
                 author=author, created_on=created, updated_on=created,
                 custom_fields={"Labels": tuple(sorted(labels))}, journals=tuple(journals),
                 **current)  # type: ignore[arg-type]


def clocks(issue: Issue, now: datetime, rules: ClockRules = RULES,
           calendars: Mapping[str, BusinessCalendar] | None = None) -> tuple[MetricClock, ...]:
    return compute(issue, replay(issue, FieldMap()), rules, calendars or {"default": OFFICE},
                   now)


def one(found: tuple[MetricClock, ...], metric: str, cycle: int = 1) -> MetricClock:
    (clock,) = [c for c in found if c.metric == metric and c.cycle == cycle]
    return clock


def running(start: datetime, end: datetime) -> Interval:
    return Interval(start, end, "running", "")


def paused(start: datetime, end: datetime, reason: str) -> Interval:
    return Interval(start, end, "paused", reason)


# -- first response ---------------------------------------------------------------------


def test_first_response_across_a_weekend() -> None:
    issue = make_issue(at(1, 16), note(at(4, 10), STAFF))
    found = clocks(issue, now=at(4, 12))
    first = one(found, "first_response")
    assert first == MetricClock("first_response", 1, at(1, 16), at(4, 10),
                                (running(at(1, 16), at(4, 10)),), 2 * H, 4 * H, None,
                                False, None, "met")
    assert first.fraction() == 0.5
    resolution = one(found, "resolution")
    assert (resolution.elapsed, resolution.state) == (4 * H, "running")  # Fri 1 h + Mon 3 h
    assert resolution.due == at(4, 16)                                  # 4 h left from 12:00


def test_first_response_late_across_a_weekend_breached_monday_noon() -> None:
    first = one(clocks(make_issue(at(1, 16), note(at(4, 13), STAFF)), now=at(4, 14)),
                "first_response")
    assert (first.elapsed, first.breached, first.breached_at) == (5 * H, True, at(4, 12))
    assert first.due == at(4, 12)
    assert first.state == "met"


def test_bot_and_private_notes_never_count() -> None:
    issue = make_issue(at(4, 9),
                       note(at(4, 9, 30), BOT, "Thanks, we received your request."),
                       note(at(4, 10), STAFF, "Probably the CSV writer.", private=True),
                       note(at(4, 11), STAFF))
    first = one(clocks(issue, now=at(4, 12)), "first_response")
    assert (first.stopped, first.elapsed) == (at(4, 11), 2 * H)


def test_auto_reply_never_counts() -> None:
    issue = make_issue(at(4, 9), note(at(4, 9, 5), STAFF, "[auto] We are on it."),
                       note(at(4, 9, 45), STAFF))
    first = one(clocks(issue, now=at(4, 12)), "first_response")
    assert (first.stopped, first.elapsed) == (at(4, 9, 45), 2700.0)


def test_authors_own_note_never_counts_even_when_author_is_staff() -> None:
    issue = make_issue(at(4, 9), note(at(4, 9, 10), INTERNAL, "Also happens on Safari."),
                       note(at(4, 9, 20), STAFF), author=INTERNAL)
    first = one(clocks(issue, now=at(4, 12)), "first_response")
    assert (first.stopped, first.elapsed) == (at(4, 9, 20), 1200.0)


def test_customer_note_is_not_a_response() -> None:
    issue = make_issue(at(4, 9), note(at(4, 10), AUTHOR, "Any news?"))
    first = one(clocks(issue, now=at(4, 12)), "first_response")
    assert (first.stopped, first.elapsed, first.state) == (None, 3 * H, "running")
    assert first.due == at(4, 13)


def test_status_change_counts_only_when_the_policy_says_so() -> None:
    issue = make_issue(at(4, 9), note(at(4, 12), STAFF, "", status("New", "In Progress")))
    assert one(clocks(issue, now=at(4, 14)), "first_response").stopped is None
    counted = replace(RULES, status_change_counts=True)
    first = one(clocks(issue, now=at(4, 14), rules=counted), "first_response")
    assert (first.stopped, first.elapsed, first.breached) == (at(4, 12), 3 * H, False)


def test_closing_without_a_response_stops_the_response_clock_unmet() -> None:
    issue = make_issue(at(4, 9), note(at(4, 11), STAFF, "", status("New", "Rejected")))
    found = clocks(issue, now=at(5, 15))
    first = one(found, "first_response")
    assert (first.stopped, first.elapsed, first.state) == (at(4, 11), 2 * H, "closed")
    assert (first.breached, first.due) == (False, None)
    assert one(found, "resolution").state == "met"


# -- pauses ---------------------------------------------------------------------------


FEEDBACK_ISSUE = (
    at(4, 9),
    note(at(4, 10), STAFF, "Which version?", status("New", "Feedback")),
    note(at(5, 11), AUTHOR, "Version 2.3."),                  # status stays Feedback
    note(at(5, 14), STAFF, "", status("Feedback", "In Progress")),
)


def test_paused_for_feedback_then_resumed_by_the_status_change() -> None:
    found = clocks(make_issue(*FEEDBACK_ISSUE), now=at(6, 9, 30))
    resolution = one(found, "resolution")
    assert resolution.intervals == (running(at(4, 9), at(4, 10)),
                                    paused(at(4, 10), at(5, 14), "status Feedback"),
                                    running(at(5, 14), at(6, 9, 30)))
    assert resolution.elapsed == 1 * H + 3 * H + 0.5 * H
    assert resolution.due == at(6, 13)                       # 3.5 h left from Wed 09:30
    reply = one(found, "next_response")
    assert reply.started == at(5, 11)
    assert reply.intervals == (paused(at(5, 11), at(5, 14), "status Feedback"),
                               running(at(5, 14), at(6, 9, 30)))
    assert (reply.elapsed, reply.due) == (3.5 * H, at(6, 10))


def test_customer_reply_alone_does_not_resume() -> None:
    found = clocks(make_issue(*FEEDBACK_ISSUE), now=at(5, 13))
    resolution = one(found, "resolution")
    assert (resolution.state, resolution.elapsed, resolution.due) == ("paused", 1 * H, None)
    reply = one(found, "next_response")
    assert (reply.state, reply.elapsed, reply.due) == ("paused", 0.0, None)


def test_label_pause_from_per_value_label_details() -> None:
    issue = make_issue(at(4, 9), note(at(4, 10), STAFF, "", label(None, "needs-info")),
                       note(at(4, 14), STAFF, "", label("needs-info", None)))
    resolution = one(clocks(issue, now=at(4, 16)), "resolution")
    assert resolution.intervals == (running(at(4, 9), at(4, 10)),
                                    paused(at(4, 10), at(4, 14), "label needs-info"),
                                    running(at(4, 14), at(4, 16)))
    assert resolution.elapsed == 3 * H


def test_out_of_scope_time_is_paused() -> None:
    rules = replace(RULES, start=lambda values: values.get("priority") == "Urgent")
    issue = make_issue(at(4, 9), note(at(4, 11), STAFF, "", priority("Normal", "Urgent")))
    resolution = one(clocks(issue, now=at(4, 12), rules=rules), "resolution")
    assert resolution.intervals == (paused(at(4, 9), at(4, 11), "out of scope"),
                                    running(at(4, 11), at(4, 12)))
    assert resolution.elapsed == 1 * H


def test_breach_in_an_earlier_running_interval_is_placed_before_the_pause() -> None:
    issue = make_issue(at(4, 9), note(at(4, 12), STAFF, "", status("New", "Feedback")),
                       prio="Urgent")
    first = one(clocks(issue, now=at(5, 12)), "first_response")
    assert first.intervals == (running(at(4, 9), at(4, 12)),
                               paused(at(4, 12), at(5, 12), "status Feedback"))
    assert (first.elapsed, first.state) == (3 * H, "paused")
    assert (first.breached, first.breached_at, first.due) == (True, at(4, 11), at(4, 11))


def test_breach_in_the_second_running_interval_between_two_pauses() -> None:
    issue = make_issue(at(4, 9),
                       note(at(4, 10), STAFF, "", status("New", "Feedback")),
                       note(at(5, 9), STAFF, "", status("Feedback", "In Progress")),
                       note(at(5, 12), STAFF, "", status("In Progress", "Feedback")),
                       prio="Urgent")
    first = one(clocks(issue, now=at(6, 12)), "first_response")
    assert first.elapsed == 1 * H + 3 * H
    assert first.breached_at == at(5, 10)       # 1 h Monday + 1 h Tuesday from 09:00


# -- resolution ---------------------------------------------------------------------------


def test_reopen_starts_a_new_resolution_cycle() -> None:
    issue = make_issue(at(4, 9), note(at(4, 12), STAFF, "Fixed.", status("New", "Closed")),
                       note(at(5, 10), STAFF, "", status("Closed", "In Progress")))
    found = clocks(issue, now=at(5, 15))
    assert [(c.metric, c.cycle) for c in found] == [
        ("first_response", 1), ("resolution", 1), ("resolution", 2)]
    assert one(found, "resolution", 1) == MetricClock(
        "resolution", 1, at(4, 9), at(4, 12), (running(at(4, 9), at(4, 12)),), 3 * H, 8 * H,
        None, False, None, "met")
    second = one(found, "resolution", 2)
    assert (second.started, second.stopped, second.elapsed) == (at(5, 10), None, 5 * H)
    assert (second.due, second.state) == (at(6, 10), "running")   # 3 h left from 15:00


def test_priority_change_mid_flight_changes_the_target() -> None:
    issue = make_issue(at(4, 9), note(at(4, 11), STAFF, "", priority("Normal", "Urgent")))
    before = one(clocks(issue, now=at(4, 10, 30)), "resolution")
    assert (before.target, before.elapsed, before.due) == (8 * H, 1.5 * H, at(4, 17))
    after = one(clocks(issue, now=at(4, 14)), "resolution")
    assert (after.target, after.elapsed) == (4 * H, 5 * H)
    assert (after.breached, after.breached_at, after.due) == (True, at(4, 13), at(4, 13))
    assert after.fraction() == 1.25


# -- exact boundary -----------------------------------------------------------------------


def test_elapsed_equal_to_target_at_now_is_a_breach() -> None:
    issue = make_issue(at(4, 9), prio="Urgent")
    just_before = one(clocks(issue, now=at(4, 10, 59, 59)), "first_response")
    assert (just_before.breached, just_before.due) == (False, at(4, 11))
    on_the_dot = one(clocks(issue, now=at(4, 11)), "first_response")
    assert (on_the_dot.elapsed, on_the_dot.breached) == (2 * H, True)
    assert (on_the_dot.breached_at, on_the_dot.due) == (at(4, 11), at(4, 11))


def test_response_at_the_exact_due_instant_is_on_time() -> None:
    on_time = make_issue(at(4, 9), note(at(4, 11), STAFF), prio="Urgent")
    first = one(clocks(on_time, now=at(4, 12)), "first_response")
    assert (first.elapsed, first.breached, first.breached_at, first.due) == (
        2 * H, False, None, None)
    late = make_issue(at(4, 9), note(at(4, 11, 0, 1), STAFF), prio="Urgent")
    first = one(clocks(late, now=at(4, 12)), "first_response")
    assert (first.elapsed, first.breached, first.breached_at) == (2 * H + 1, True, at(4, 11))


def test_response_after_hours_past_a_due_at_closing_time_is_late() -> None:
    """Due Friday 17:00; the answer on Saturday adds no business time but comes after."""
    issue = make_issue(at(1, 15), note(at(2, 10), STAFF), prio="Urgent")
    first = one(clocks(issue, now=at(4, 9)), "first_response")
    assert (first.elapsed, first.breached, first.breached_at) == (2 * H, True, at(1, 17))


# -- emergency ------------------------------------------------------------------------------


EMERGENCY_CALENDARS = {"default": OFFICE, "emergency": ALWAYS}


def test_emergency_clock_runs_on_its_24x7_calendar() -> None:
    issue = make_issue(at(1, 16), note(at(1, 18), STAFF, "", label(None, "delay-risk")),
                       note(at(1, 19, 30), STAFF, "On it."))
    found = clocks(issue, now=at(2, 10), rules=EMERGENCY, calendars=EMERGENCY_CALENDARS)
    emergency = one(found, "emergency")
    assert emergency == MetricClock("emergency", 1, at(1, 18), at(1, 19, 30),
                                    (running(at(1, 18), at(1, 19, 30)),), 1.5 * H, 2 * H,
                                    None, False, None, "met")
    assert one(found, "first_response").elapsed == 1 * H   # office hours: Fri 16-17 only


def test_unanswered_emergency_breaches_two_hours_after_it_started() -> None:
    issue = make_issue(at(1, 16), note(at(1, 18), STAFF, "", label(None, "delay-risk")))
    emergency = one(clocks(issue, now=at(2, 0), rules=EMERGENCY,
                           calendars=EMERGENCY_CALENDARS), "emergency")
    assert (emergency.elapsed, emergency.breached_at, emergency.state) == (
        6 * H, at(1, 20), "running")


def test_emergency_falls_back_to_the_default_calendar() -> None:
    issue = make_issue(at(1, 16), note(at(1, 18), STAFF, "", label(None, "delay-risk")))
    emergency = one(clocks(issue, now=at(2, 0), rules=EMERGENCY), "emergency")
    assert (emergency.elapsed, emergency.breached, emergency.due) == (0.0, False, at(4, 11))


def test_no_emergency_clock_without_the_rule_or_the_condition() -> None:
    issue = make_issue(at(1, 16), note(at(1, 18), STAFF, "", label(None, "delay-risk")))
    assert [c.metric for c in clocks(issue, now=at(2, 0))] == ["first_response", "resolution"]
    calm = make_issue(at(1, 16))
    assert [c.metric for c in clocks(calm, now=at(2, 0), rules=EMERGENCY)] == [
        "first_response", "resolution"]


# -- next response ----------------------------------------------------------------------------


def test_next_response_cycles_start_at_customer_replies_after_a_staff_response() -> None:
    issue = make_issue(at(4, 9),
                       note(at(4, 9, 30), AUTHOR, "Any news?"),   # before any response
                       note(at(4, 10), STAFF),
                       note(at(4, 15), AUTHOR, "Still failing."),
                       note(at(5, 10), STAFF),
                       note(at(5, 11), AUTHOR, "Now it hangs."),
                       note(at(5, 11, 30), AUTHOR, "Logs attached."))  # same cycle
    found = clocks(issue, now=at(5, 12))
    assert one(found, "first_response").elapsed == 1 * H
    assert [c.cycle for c in found if c.metric == "next_response"] == [1, 2]
    assert one(found, "next_response", 1) == MetricClock(
        "next_response", 1, at(4, 15), at(5, 10), (running(at(4, 15), at(5, 10)),), 3 * H,
        4 * H, None, False, None, "met")
    second = one(found, "next_response", 2)
    assert (second.started, second.elapsed, second.state, second.due) == (
        at(5, 11), 1 * H, "running", at(5, 15))


# -- small API --------------------------------------------------------------------------------


def test_targets_and_fraction_helpers() -> None:
    assert targets(RULES, {"priority": "Urgent"}) == (
        Target("first_response", 2 * H), Target("next_response", 2 * H),
        Target("resolution", 4 * H))
    assert targets(EMERGENCY, {"priority": "Low"})[-1] == Target("emergency", None)
    no_target = one(clocks(make_issue(at(4, 9), prio="Low"), now=at(4, 12)), "resolution")
    assert (no_target.target, no_target.fraction(), no_target.due) == (None, None, None)
    assert no_target.breached is False


def test_moments_after_now_are_ignored_and_nothing_before_creation() -> None:
    issue = make_issue(at(4, 9), note(at(4, 11), STAFF))
    first = one(clocks(issue, now=at(4, 10)), "first_response")
    assert (first.stopped, first.elapsed, first.state) == (None, 1 * H, "running")
    assert clocks(issue, now=at(4, 8)) == ()


# -- properties -------------------------------------------------------------------------------


KINDS = ("staff", "customer", "bot", "private", "auto", "feedback", "progress", "close",
         "reopen", "urgent", "needs-info", "info-given", "delay-risk")


def random_issue(created: datetime, steps: list[tuple[int, str]]) -> Issue:
    state = {"status": "New", "priority": "Normal"}
    labels: set[str] = set()
    entries = []
    when = created
    for minutes, kind in steps:
        when += timedelta(minutes=minutes)
        details: tuple[JournalDetail, ...] = ()
        user, text, private = STAFF, "", False
        new_status = {"feedback": "Feedback", "progress": "In Progress", "close": "Closed",
                      "reopen": "Reopened"}.get(kind)
        if new_status and new_status != state["status"]:
            details = (status(state["status"], new_status),)
            state["status"] = new_status
        elif kind == "urgent" and state["priority"] != "Urgent":
            details = (priority("Normal", "Urgent"),)
            state["priority"] = "Urgent"
        elif kind in ("needs-info", "delay-risk") and kind not in labels:
            details = (label(None, kind),)
            labels.add(kind)
        elif kind == "info-given" and "needs-info" in labels:
            details = (label("needs-info", None),)
            labels.discard("needs-info")
        elif kind in ("staff", "customer", "bot", "private", "auto"):
            user = {"customer": AUTHOR, "bot": BOT}.get(kind, STAFF)
            text = "[auto] ack" if kind == "auto" else "text"
            private = kind == "private"
        entries.append(note(when, user, text, *details, private=private))
    return make_issue(created, *entries, prio="Normal")


STEPS = st.lists(st.tuples(st.integers(0, 2000), st.sampled_from(KINDS)), max_size=10)
CREATED = st.integers(0, 7 * 24 * 60).map(lambda m: at(1, 0) + timedelta(minutes=m))


def keyed(found: tuple[MetricClock, ...]) -> dict[tuple[str, int], MetricClock]:
    return {(c.metric, c.cycle): c for c in found}


@settings(max_examples=60, deadline=None)
@given(created=CREATED, steps=STEPS, a=st.integers(0, 20000), b=st.integers(0, 20000))
def test_elapsed_never_decreases_as_now_grows(created: datetime, steps: list[tuple[int, str]],
                                             a: int, b: int) -> None:
    issue = random_issue(created, steps)
    early, late = sorted((created + timedelta(minutes=a), created + timedelta(minutes=b)))
    before = keyed(clocks(issue, early, rules=EMERGENCY, calendars=EMERGENCY_CALENDARS))
    after = keyed(clocks(issue, late, rules=EMERGENCY, calendars=EMERGENCY_CALENDARS))
    for key, clock in before.items():
        assert after[key].elapsed >= clock.elapsed
        assert after[key].started == clock.started
        if clock.stopped is not None:
            assert after[key].stopped == clock.stopped


@pytest.mark.parametrize("calendar", [OFFICE, ALWAYS], ids=["office", "24x7"])
@settings(max_examples=40, deadline=None)
@given(created=CREATED, steps=STEPS, later=st.integers(0, 20000))
def test_paused_time_never_counts(calendar: BusinessCalendar, created: datetime,
                                  steps: list[tuple[int, str]], later: int) -> None:
    issue = random_issue(created, steps)
    now = created + timedelta(minutes=later)
    for clock in clocks(issue, now, rules=EMERGENCY,
                        calendars={"default": calendar, "emergency": calendar}):
        end = clock.stopped or now
        if clock.intervals:   # the intervals tile the clock's span
            assert clock.intervals[0].start == clock.started
            assert clock.intervals[-1].end == end
            for first, second in zip(clock.intervals, clock.intervals[1:], strict=False):
                assert first.end == second.start
        run = sum(calendar.business_seconds(i.start, i.end) for i in clock.intervals
                  if i.state == "running")
        assert clock.elapsed == pytest.approx(run)
        assert clock.elapsed <= calendar.business_seconds(clock.started, end) + 1e-6
        if any(i.state == "paused" and calendar.business_seconds(i.start, i.end) > 0
               for i in clock.intervals):
            assert clock.elapsed < calendar.business_seconds(clock.started, end)
        if calendar is ALWAYS:
            assert clock.elapsed <= (end - clock.started).total_seconds()
        if clock.breached:
            assert clock.target is not None
            assert clock.elapsed >= clock.target
            assert clock.breached_at is not None
            assert clock.started <= clock.breached_at <= end

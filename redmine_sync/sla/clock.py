"""SLA clocks as a pure function of an issue's replayed history, the policy and ``now``.

``compute`` rebuilds every clock from the journals each time: nothing is counted
incrementally, so a changed policy or calendar recomputes issues already in flight. All
policy decisions (who is staff, what pauses, what closes, the targets) come in through
``ClockRules``; calendars come in through the ``BusinessCalendar`` protocol. No clock reads,
no I/O.

Metrics, each in cycles numbered from 1:

``first_response``
    Starts at creation. Met by the first public note (not private, not blank) written by
    staff who is neither the issue's author nor the bot, and is not an auto-reply; or, with
    ``status_change_counts``, by staff moving the status away from the status the issue was
    created with. Stops unmet when the issue is closed first.
``next_response``
    The customer (the issue's author) writing a public note after a staff response starts a
    cycle; further customer notes before staff answers do not start another. Met by the next
    staff response, stops unmet if the issue is closed first.
``resolution``
    Runs from creation, or from a reopen (closed -> open), until the issue is closed; each
    reopen starts the next cycle.
``emergency``
    Only when ``rules.emergency`` is set. Starts the first time ``emergency(values)`` holds,
    met by the next staff response (the journal that raised the emergency counts if it
    carries a qualifying note); stops unmet if the issue is closed or the emergency
    condition stops holding first. Uses ``calendars["emergency"]`` when given (typically
    24x7), else ``calendars["default"]``.

Running and paused: a clock runs while ``rules.start(values)`` holds and
``rules.pause(values)`` gives no reason; otherwise the time is listed as a paused interval
with its reason ("out of scope" when ``start`` fails). Only business time while running
counts (``calendar.business_seconds``). Pauses depend on values only, never on notes:
a policy waiting on the customer should pause on ``{status: Feedback}`` (or a label such as
``needs-info``). A customer reply does not change the status by itself, so it resumes the
paused clocks only once the status or labels change (by staff, or by a rule that reacts to
the reply); until then the time stays paused, including for the ``next_response`` cycle the
reply started.

Targets: ``rules.target(metric, values)`` uses the values in force at ``now`` for a clock
still open, or just before the stop for a stopped one. A change of priority, tier or
urgency mid-flight therefore changes the target from then on, and applies to the whole
cycle: the elapsed time is compared with the target now in force.

Breach: the instant the running business time reached the target is computed exactly over
the running intervals (so a breach before a pause is placed before the pause). An open clock
is breached once that instant is at or before ``now`` (``elapsed == target`` counts); a
stopped clock is breached only if that instant is strictly before the stop, so a response
at the exact due instant is on time, and a response after hours following a due instant at
the end of the business day is late. ``BusinessCalendar.add`` must return the earliest
instant at which the given business seconds have passed.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from redmine_sync.model import Issue
from redmine_sync.model import Ref
from redmine_sync.sla.timeline import Event
from redmine_sync.sla.timeline import Moment

METRICS = ("first_response", "next_response", "resolution", "emergency")
RUNNING = "running"
PAUSED = "paused"
MET = "met"            # response given / issue resolved
CLOSED = "closed"      # a response clock ended unmet because the issue was closed
WITHDRAWN = "withdrawn"  # the emergency condition stopped holding before a response
OUT_OF_SCOPE = "out of scope"
_EPSILON = 1e-6


class BusinessCalendar(Protocol):
    def business_seconds(self, start: datetime, end: datetime) -> float: ...

    def add(self, start: datetime, seconds: float) -> datetime: ...


@dataclass(frozen=True)
class Target:
    metric: str
    seconds: float | None   # None: no target for this metric


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime
    state: str              # "running" | "paused"
    reason: str = ""        # why paused: "status Feedback", "out of scope"...


@dataclass(frozen=True)
class MetricClock:
    """One cycle of one metric, as of ``now``.

    ``state`` is "running" or "paused" (open at ``now``), or for a stopped clock "met",
    "closed" (issue closed before the response) or "withdrawn" (emergency no longer holds).
    ``stopped`` is when the clock stopped, for any of the stopped states. ``target`` is the
    target in force at ``now``, or just before the stop. ``due`` is the instant the target
    is reached if the clock keeps running from ``now``; once breached, the breach instant;
    None when paused, stopped on time, or without target.
    """

    metric: str
    cycle: int
    started: datetime
    stopped: datetime | None
    intervals: tuple[Interval, ...]
    elapsed: float
    target: float | None
    due: datetime | None
    breached: bool
    breached_at: datetime | None
    state: str

    def fraction(self) -> float | None:
        """Elapsed over target; None without a (positive) target."""
        if self.target is None or self.target <= 0:
            return None
        return self.elapsed / self.target

    @property
    def open(self) -> bool:
        return self.stopped is None


@dataclass(frozen=True)
class ClockRules:
    """The policy, as plain functions of the values in force (see ``timeline.Moment``)."""

    start: Callable[[Mapping[str, object]], bool]
    pause: Callable[[Mapping[str, object]], str | None]
    closed: Callable[[Mapping[str, object]], bool]
    target: Callable[[str, Mapping[str, object]], float | None]
    is_staff: Callable[[Ref], bool]
    bot_id: int | None
    auto_reply: Callable[[str], bool]
    status_change_counts: bool = False
    emergency: Callable[[Mapping[str, object]], bool] | None = None


def targets(rules: ClockRules, values: Mapping[str, object]) -> tuple[Target, ...]:
    """The target of every metric the rules define, for the given values."""
    metrics = METRICS if rules.emergency is not None else METRICS[:3]
    return tuple(Target(m, rules.target(m, values)) for m in metrics)


def compute(issue: Issue, moments: Sequence[Moment], rules: ClockRules,
            calendars: Mapping[str, BusinessCalendar], now: datetime
            ) -> tuple[MetricClock, ...]:
    """Every clock of the issue as of ``now``: first response, next responses, resolution
    cycles, then the emergency clock. Moments after ``now`` are ignored; an issue created
    after ``now`` has no clocks. ``calendars`` needs "default", optionally "emergency".
    """
    history = _History.of(moments, now)
    if history is None:
        return ()
    default = calendars["default"]
    ctx = _Context(issue.author, rules, history, now)
    clocks = [ctx.first_response(default)]
    clocks += ctx.next_responses(default, ctx.first_response_index())
    clocks += ctx.resolutions(default)
    emergency = ctx.emergency(calendars.get("emergency", default))
    if emergency is not None:
        clocks.append(emergency)
    return tuple(clocks)


@dataclass(frozen=True)
class _History:
    """Moments up to ``now`` with times that never go backwards."""

    times: tuple[datetime, ...]
    values: tuple[Mapping[str, object], ...]
    events: tuple[Event | None, ...]   # events[k]: the journal that led to moment k

    @classmethod
    def of(cls, moments: Sequence[Moment], now: datetime) -> _History | None:
        times: list[datetime] = []
        kept: list[Moment] = []
        for moment in moments:
            at = max(moment.at, times[-1]) if times else moment.at
            if at > now:
                break
            times.append(at)
            kept.append(moment)
        if not kept:
            return None
        events: list[Event | None] = [None]
        for k in range(1, len(kept)):
            journal = kept[k].journal
            events.append(None if journal is None else
                          Event(times[k], journal, kept[k - 1].values, kept[k].values))
        return cls(tuple(times), tuple(m.values for m in kept), tuple(events))

    def __len__(self) -> int:
        return len(self.times)


@dataclass(frozen=True)
class _Context:
    author: Ref
    rules: ClockRules
    history: _History
    now: datetime

    # -- who counts -------------------------------------------------------------------

    def is_response(self, event: Event | None) -> bool:
        """A public note by staff: not the author, not the bot, not an auto-reply."""
        rules = self.rules
        return (event is not None and event.public_note and not event.by(self.author)
                and not event.by(rules.bot_id) and rules.is_staff(event.user)
                and not rules.auto_reply(event.note))

    def is_status_response(self, event: Event | None) -> bool:
        """With ``status_change_counts``: staff moving the status away from the initial one."""
        rules = self.rules
        if event is None or not rules.status_change_counts:
            return False
        initial = self.history.values[0].get("status")
        return (event.before.get("status") == initial != event.after.get("status")
                and not event.by(self.author) and not event.by(rules.bot_id)
                and rules.is_staff(event.user))

    def is_customer_reply(self, event: Event | None) -> bool:
        rules = self.rules
        return (event is not None and event.public_note and event.by(self.author)
                and not event.by(rules.bot_id) and not rules.auto_reply(event.note))

    # -- metrics ----------------------------------------------------------------------

    def first_response_index(self) -> int | None:
        for k, event in enumerate(self.history.events):
            if self.is_response(event) or self.is_status_response(event):
                return k
        return None

    def first_response(self, calendar: BusinessCalendar) -> MetricClock:
        met = self.first_response_index()
        for k in range(len(self.history)):
            if k == met:
                return self.clock("first_response", 1, 0, k, MET, calendar)
            if self.rules.closed(self.history.values[k]):
                return self.clock("first_response", 1, 0, k, CLOSED, calendar)
        return self.clock("first_response", 1, 0, None, "", calendar)

    def next_responses(self, calendar: BusinessCalendar, first: int | None
                       ) -> list[MetricClock]:
        out: list[MetricClock] = []
        answered = False
        begin: int | None = None
        for k in range(1, len(self.history)):
            event = self.history.events[k]
            responded = k == first or self.is_response(event)
            closed = self.rules.closed(self.history.values[k])
            if begin is not None and (responded or closed):
                out.append(self.clock("next_response", len(out) + 1, begin, k,
                                      MET if responded else CLOSED, calendar))
                begin = None
            elif begin is None and answered and not closed and self.is_customer_reply(event):
                begin = k
            answered = answered or responded
        if begin is not None:
            out.append(self.clock("next_response", len(out) + 1, begin, None, "", calendar))
        return out

    def resolutions(self, calendar: BusinessCalendar) -> list[MetricClock]:
        out: list[MetricClock] = []
        begin: int | None = None if self.rules.closed(self.history.values[0]) else 0
        for k in range(1, len(self.history)):
            closed = self.rules.closed(self.history.values[k])
            if begin is not None and closed:
                out.append(self.clock("resolution", len(out) + 1, begin, k, MET, calendar))
                begin = None
            elif begin is None and not closed:
                begin = k
        if begin is not None:
            out.append(self.clock("resolution", len(out) + 1, begin, None, "", calendar))
        return out

    def emergency(self, calendar: BusinessCalendar) -> MetricClock | None:
        condition = self.rules.emergency
        if condition is None:
            return None
        values = self.history.values
        begin = next((k for k in range(len(values)) if condition(values[k])), None)
        if begin is None:
            return None
        for k in range(begin, len(values)):
            if self.is_response(self.history.events[k]):
                return self.clock("emergency", 1, begin, k, MET, calendar)
            if self.rules.closed(values[k]):
                return self.clock("emergency", 1, begin, k, CLOSED, calendar)
            if not condition(values[k]):
                return self.clock("emergency", 1, begin, k, WITHDRAWN, calendar)
        return self.clock("emergency", 1, begin, None, "", calendar)

    # -- one clock --------------------------------------------------------------------

    def mode(self, values: Mapping[str, object]) -> tuple[str, str]:
        if not self.rules.start(values):
            return PAUSED, OUT_OF_SCOPE
        reason = self.rules.pause(values)
        return (PAUSED, reason) if reason else (RUNNING, "")

    def clock(self, metric: str, cycle: int, begin: int, end: int | None, end_state: str,
              calendar: BusinessCalendar) -> MetricClock:
        """The clock started at moment ``begin`` and stopped at moment ``end`` (or open)."""
        times, values = self.history.times, self.history.values
        last = len(times) if end is None else end
        intervals: list[Interval] = []
        for k in range(begin, last):
            start, stop = times[k], times[k + 1] if k + 1 < len(times) else self.now
            if stop <= start:
                continue
            state, reason = self.mode(values[k])
            previous = intervals[-1] if intervals else None
            if previous and (previous.state, previous.reason, previous.end) == (state, reason,
                                                                                start):
                intervals[-1] = Interval(previous.start, stop, state, reason)
            else:
                intervals.append(Interval(start, stop, state, reason))
        running = [i for i in intervals if i.state == RUNNING]
        elapsed = sum(calendar.business_seconds(i.start, i.end) for i in running)
        in_force = values[max(begin, last - 1)]
        target = self.rules.target(metric, in_force)
        reached = None if target is None else _reached(running, target, calendar)
        stopped = None if end is None else times[end]
        breached = reached is not None and (stopped is None or reached < stopped)
        state = end_state if end is not None else self.mode(values[-1])[0]
        due: datetime | None = None
        if breached:
            due = reached
        elif state == RUNNING and target is not None:
            due = calendar.add(self.now, max(target - elapsed, 0.0))
        return MetricClock(metric, cycle, times[begin], stopped, tuple(intervals), elapsed,
                           target, due, breached, reached if breached else None, state)


def _reached(running: Sequence[Interval], target: float, calendar: BusinessCalendar
             ) -> datetime | None:
    """The instant the running business time reached ``target``, or None if not yet."""
    remaining = target
    for interval in running:
        seconds = calendar.business_seconds(interval.start, interval.end)
        if seconds >= remaining - _EPSILON:
            return min(calendar.add(interval.start, max(remaining, 0.0)), interval.end)
        remaining -= seconds
    return None

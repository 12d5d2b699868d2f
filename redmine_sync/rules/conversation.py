"""Who spoke last on an issue, derived from its journals: for rule conditions and SLA pauses.

A reply is a public note (not private, not blank). Its writer is the ``bot`` (the tool's
own user), ``staff`` or the ``customer``, as the SLA clocks decide it (``speaker``, the
one definition): with a staff list (the SLA file's ``staff`` roles and groups, read by
sla_facts.py) staff are its members and everyone else is the customer side; without one,
everyone but the issue's author is staff. Pure: (issue, journals, world, as of when).

Fields (conditions, docs/rules.md):

- ``last_reply_by``: customer, staff or bot; none before the first reply;
- ``waiting_on``: ``customer`` when staff or the bot replied last, else ``us``;
- ``customer_replied_since_status``: the customer replied after the status last changed
  (after the creation when it never did);
- ``hours_since_staff_reply``: hours since the last staff reply (none before one);
- ``status_days``: days since the status last changed (since the creation when it never
  did); ``status_working_days``: the same in working days of the issue's SLA calendar
  (its policy's, by tier; the SLA file's first when no policy covers the issue: its
  working hours, weekends and holidays), or Monday to Friday without an SLA file.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime
from datetime import time
from datetime import timedelta

from redmine_sync.model import Issue
from redmine_sync.model import Journal
from redmine_sync.model import Ref
from redmine_sync.rules.state import WorkingTime
from redmine_sync.rules.state import World
from redmine_sync.sla.timeline import Moment

FIELDS = ("last_reply_by", "waiting_on", "customer_replied_since_status",
          "hours_since_staff_reply", "status_days", "status_working_days")
SINCE = ("hours_since_staff_reply", "status_days", "status_working_days")   # grow with time
# Every condition field derived from the journals (these, and rules/followup.py's): a rule
# using one makes the run read the journals of the issues it evaluates.
JOURNAL_FIELDS = (*FIELDS, "satisfaction_reply", "requirement_edits")
AFTER_CLOSING = ("satisfaction_reply",)   # read on closed issues too (their journals read)
KEY = "conversation"   # an SLA moment's values carry the conversation as of that moment


@dataclass(frozen=True)
class Conversation:
    last_reply_by: str | None
    customer_replied_since_status: bool
    last_staff_reply: datetime | None
    status_since: datetime
    at: datetime

    @property
    def waiting_on(self) -> str:
        return "customer" if self.last_reply_by in ("staff", "bot") else "us"

    @property
    def hours_since_staff_reply(self) -> float | None:
        if self.last_staff_reply is None:
            return None
        return round((self.at - self.last_staff_reply).total_seconds() / 3600, 2)

    @property
    def status_days(self) -> float:
        return round((self.at - self.status_since).total_seconds() / 86400, 2)

    def status_working_days(self, calendar: WorkingTime | None) -> float:
        return working_days(self.status_since, self.at, calendar)


def working_days(start: datetime, end: datetime, calendar: WorkingTime | None) -> float:
    """Working days in ``[start, end)``: the calendar's working time over its working day,
    or without a calendar the share of each Monday to Friday (UTC) in it."""
    if calendar is not None:
        return round(calendar.business_seconds(start, end) / calendar.day_seconds, 2)
    total, day = 0.0, start
    while day < end:
        next_day = datetime.combine(day.date() + timedelta(days=1), time(), tzinfo=day.tzinfo)
        if day.weekday() < 5:
            total += (min(end, next_day) - day).total_seconds()
        day = next_day
    return round(total / 86400, 2)


def speaker(user: Ref, author: Ref, world: World) -> str:
    """customer, staff or bot: who ``user`` is on an issue written by ``author``."""
    if world.bot_id is not None and user.id == world.bot_id:
        return "bot"
    if world.staff_ids:
        return "staff" if user.id in world.staff_ids else "customer"
    return "customer" if user.id == author.id else "staff"


class _Talk:
    """The conversation so far, one journal at a time (oldest first)."""

    def __init__(self, issue: Issue, world: World) -> None:
        self.issue, self.world = issue, world
        self.last_by: str | None = None
        self.staff_reply: datetime | None = None
        self.status_since = issue.created_on
        self.replied = False

    def add(self, journal: Journal) -> None:
        if any(d.property == "attr" and d.field == "status" for d in journal.details):
            self.status_since, self.replied = journal.created_on, False
        if journal.private or not journal.notes.strip():
            return
        self.last_by = speaker(journal.user, self.issue.author, self.world)
        self.replied = self.replied or self.last_by == "customer"
        if self.last_by == "staff":
            self.staff_reply = journal.created_on

    def as_of(self, at: datetime) -> Conversation:
        return Conversation(self.last_by, self.replied, self.staff_reply, self.status_since, at)


def _oldest_first(journals: Sequence[Journal]) -> list[Journal]:
    return sorted(journals, key=lambda j: (j.created_on, j.id))


def conversation(issue: Issue, journals: Sequence[Journal], world: World, at: datetime
                 ) -> Conversation:
    """The conversation on ``issue`` as of ``at`` (journals after it are not seen)."""
    talk = _Talk(issue, world)
    for journal in _oldest_first(journals):
        if journal.created_on > at:
            break
        talk.add(journal)
    return talk.as_of(at)


def along(issue: Issue, moments: Sequence[Moment], world: World) -> tuple[Moment, ...]:
    """``moments`` (sla.timeline) whose values carry the conversation as of each: what a
    pause condition on who spoke last sees while the clock replays the history."""
    journals = _oldest_first(issue.journals or ())
    talk, seen, out = _Talk(issue, world), 0, []
    for moment in moments:
        while seen < len(journals) and journals[seen].created_on <= moment.at:
            talk.add(journals[seen])
            seen += 1
        out.append(replace(moment, values={**moment.values, KEY: talk.as_of(moment.at)}))
    return tuple(out)


def of_state(issue: Issue, values: Mapping[str, object], world: World
             ) -> Conversation | None:
    """The conversation a condition sees: as of an SLA moment when the clock evaluates a
    pause (``values`` carries it), else as of now from the world's journals (None when
    this run read no journals)."""
    given = values.get(KEY)
    if isinstance(given, Conversation):
        return given
    journals = issue.journals if issue.journals is not None else world.journals.get(issue.id)
    if journals is None:
        return None
    return conversation(issue, journals, world, world.now)

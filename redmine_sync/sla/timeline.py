"""An issue's history rebuilt from its journals: the field values at creation and after each
journal, and the journals seen as events (who wrote what, public or private).

Redmine keeps only the current values plus one journal per update, each journal listing
what it changed (old and new value). The values at creation are found by starting from
the current values and undoing every journal from the newest to the oldest; replaying the
journals forward from there gives the values in force at any instant. Pure: no I/O.

Value names are those rules use (see ``rules.state.initial_values``): ``status``,
``priority``, ``tracker``, ``assigned_to`` (a name), ``labels`` (a sorted tuple), ``tier``
and ``cf.<Name>`` for every other custom field; also ``done_ratio`` and ``due_date`` (as
Redmine's journals write them: "40", "2026-12-10"), which ``as_of`` needs. A multi-value custom field (the labels
field, or any field whose value is a tuple) changes by one journal detail per value:
``old`` is a value removed, ``new`` a value added. Details of other attributes (subject,
description, dates...) are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import datetime
from itertools import pairwise
from types import MappingProxyType

from redmine_sync.config import FieldMap
from redmine_sync.model import CustomValue
from redmine_sync.model import Issue
from redmine_sync.model import Journal
from redmine_sync.model import JournalDetail
from redmine_sync.model import Ref

ATTRIBUTES = ("status", "priority", "tracker", "assigned_to", "done_ratio", "due_date")


@dataclass(frozen=True)
class Moment:
    """The values in force from ``at`` until the next moment.

    The first moment is the issue's creation (``journal`` None); each later one follows one
    journal. ``at`` never goes backwards: a journal dated before the previous moment (clock
    skew, imported data) is placed at the previous moment.
    """

    at: datetime
    values: Mapping[str, object]
    journal: Journal | None = None


@dataclass(frozen=True)
class Event:
    """One journal, with the values just before and just after it."""

    at: datetime
    journal: Journal
    before: Mapping[str, object]
    after: Mapping[str, object]

    @property
    def user(self) -> Ref:
        return self.journal.user

    @property
    def note(self) -> str:
        return self.journal.notes

    @property
    def public_note(self) -> bool:
        """A note everyone watching the issue sees: not private and not blank."""
        return not self.journal.private and bool(self.journal.notes.strip())

    def by(self, user: Ref | int | None) -> bool:
        """Whether the journal was written by ``user`` (a Ref or a user id)."""
        if user is None:
            return False
        return self.journal.user.id == (user.id if isinstance(user, Ref) else user)

    def changed(self) -> frozenset[str]:
        """Names of the values this journal changed."""
        names = set(self.before) | set(self.after)
        return frozenset(n for n in names if self.before.get(n) != self.after.get(n))


def value_name(detail: JournalDetail, fields: FieldMap) -> str | None:
    """The value name a journal detail changes, or None for attributes not tracked."""
    if detail.field in ATTRIBUTES:
        return detail.field
    if detail.field.startswith("cf."):
        name = detail.field[3:]
        if name == fields.labels:
            return "labels"
        if name == fields.tier:
            return "tier"
        return detail.field
    return None


def current_values(issue: Issue, fields: FieldMap) -> dict[str, object]:
    """The tracked values as they are now in Redmine."""
    values: dict[str, object] = {
        "status": issue.status, "priority": issue.priority, "tracker": issue.tracker,
        "assigned_to": issue.assigned_to.name if issue.assigned_to else None,
        "labels": tuple(sorted(map(str, _as_tuple(issue.cf(fields.labels))))),
        "tier": issue.cf(fields.tier),
        "done_ratio": str(issue.done_ratio),
        "due_date": issue.due_date.isoformat() if issue.due_date else None,
    }
    for name, value in issue.custom_fields.items():
        if name not in (fields.labels, fields.tier):
            values[f"cf.{name}"] = tuple(sorted(value)) if isinstance(value, tuple) else value
    return values


def as_of(issue: Issue, fields: FieldMap, instant: datetime, closed: frozenset[str]
          ) -> Issue | None:
    """The issue as it was at ``instant``, from its journals: None if created later; else
    its status, priority, tracker, assignee, progress, due date and custom fields of then,
    only the journals written by then, and ``closed_on`` the last closing by then (None if
    open then). ``closed``: the closed statuses. Without journals, the issue as it is."""
    if issue.created_on > instant:
        return None
    if issue.journals is None or all(j.created_on <= instant for j in issue.journals):
        return issue
    moments = [m for m in replay(issue, fields) if m.at <= instant]
    values = moments[-1].values
    closed_on = None
    for before, moment in pairwise(moments):
        if moment.values.get("status") in closed and before.values.get("status") not in closed:
            closed_on = moment.at
    status = str(values.get("status"))
    owner = values.get("assigned_to")
    current = issue.assigned_to
    custom: dict[str, CustomValue] = {**issue.custom_fields}
    for name, value in values.items():
        key = {"labels": fields.labels, "tier": fields.tier}.get(name) or (
            name[3:] if name.startswith("cf.") else None)
        if key is not None:
            custom[key] = tuple(map(str, value)) if isinstance(value, (tuple, list)) else \
                None if value is None else str(value)
    due = values.get("due_date")
    return replace(
        issue, status=status, priority=str(values.get("priority")),
        tracker=str(values.get("tracker")), is_closed=status in closed,
        assigned_to=None if not owner else current if current and current.name == owner
        else Ref(0, str(owner)),
        done_ratio=int(str(values.get("done_ratio") or 0)),
        due_date=date.fromisoformat(str(due)) if due else None,
        custom_fields=custom, updated_on=moments[-1].at,
        closed_on=closed_on if status in closed else None,
        journals=tuple(m.journal for m in moments if m.journal is not None))


def sorted_journals(issue: Issue) -> tuple[Journal, ...]:
    return tuple(sorted(issue.journals or (), key=lambda j: j.id))


def replay(issue: Issue, fields: FieldMap) -> tuple[Moment, ...]:
    """The values at creation, then after each journal (journals in id order).

    The last moment's values are the issue's current values. An issue loaded without its
    journals (``journals is None``) has one moment: creation, with the current values.
    """
    journals = sorted_journals(issue)
    multi = {"labels"} | {f"cf.{n}" for n, v in issue.custom_fields.items()
                          if isinstance(v, tuple) and n not in (fields.labels, fields.tier)}
    values = current_values(issue, fields)
    for journal in reversed(journals):
        values = _step(values, journal, fields, multi, forward=False)
    moments = [Moment(issue.created_on, MappingProxyType(dict(values)))]
    for journal in journals:
        values = _step(values, journal, fields, multi, forward=True)
        at = max(journal.created_on, moments[-1].at)
        moments.append(Moment(at, MappingProxyType(dict(values)), journal))
    return tuple(moments)


def events(moments: Sequence[Moment]) -> tuple[Event, ...]:
    """Each journal of a replayed history as an event, in order."""
    return tuple(Event(m.at, m.journal, before.values, m.values)
                 for before, m in pairwise(moments)
                 if m.journal is not None)


def public_notes(moments: Sequence[Moment], by: Ref | int | None = None) -> tuple[Event, ...]:
    """Journals carrying a public note, optionally only those written by ``by``."""
    return tuple(e for e in events(moments) if e.public_note and (by is None or e.by(by)))


def _step(values: dict[str, object], journal: Journal, fields: FieldMap, multi: set[str], *,
          forward: bool) -> dict[str, object]:
    """The values after the journal's changes (``forward``) or before them."""
    out = dict(values)
    for detail in journal.details if forward else reversed(journal.details):
        name = value_name(detail, fields)
        if name is None:
            continue
        before, after = (detail.old, detail.new) if forward else (detail.new, detail.old)
        out[name] = _swap(out.get(name), remove=before, add=after) if name in multi else after
    return out


def _swap(value: object, *, remove: str | None, add: str | None) -> tuple[str, ...]:
    items = [str(v) for v in _as_tuple(value)]
    if remove is not None and remove in items:
        items.remove(remove)
    if add is not None and add not in items:
        items.append(add)
    return tuple(sorted(items))


def _as_tuple(value: object) -> tuple[object, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,)

"""Typed changes: one model of what the tool changes, from plan to apply, undo and audit.

A ``Target`` is one thing a rule can change on an issue: a Redmine field (status,
priority, tracker, category, the assignee), the labels or the tier, any other custom
field, or a relation to another issue. Each target knows how to

- read its value off an issue (what ``plan`` compares, what apply verifies, what undo and
  intent recovery check before touching it),
- put a value into the one write of an issue (``Draft``: the PUT's fields, relations to
  add or remove),
- keep a value in the ledger and read it back (``stored`` / ``decoded``).

``target(key)`` turns the rule vocabulary's key (``status``, ``labels``, ``cf.Severity``,
``relation``...) into its target; it is the one place where such a key gets a meaning.
A ``Change`` carries its target, old and new value, and every rule that wanted it with
its reason (``Why``), as separate items: nothing is joined into text and split again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from functools import lru_cache
from typing import Any

from redmine_sync.config import FieldMap
from redmine_sync.model import Issue
from redmine_sync.model import built


@dataclass(frozen=True)
class Why:
    """One rule that wanted a change, and why."""

    rule: str
    reason: str


@dataclass(frozen=True, order=True)
class Link:
    """A relation from the changed issue to another one: ``duplicates #12``."""

    kind: str
    issue_id: int

    def __str__(self) -> str:
        return f"{self.kind} #{self.issue_id}"

    def to_json(self) -> dict[str, object]:
        return {"relation": self.kind, "issue": self.issue_id}


@dataclass(frozen=True)
class SlaMark:
    """An SLA threshold reached on one clock: fired once per metric and cycle."""

    policy: str
    metric: str
    cycle: int
    threshold: str   # its label, "50%"

    @property
    def key(self) -> str:
        """Its identity within the policy in the state store (compared, never parsed)."""
        return f"{self.metric}#{self.cycle}@{self.threshold}"


@dataclass(frozen=True)
class ReminderMark:
    """A key-date reminder given (a contract renewal's note or assignment): once per
    customer and date, whichever issue tracks it. Kept in the store beside the SLA marks."""

    customer: str
    day: date
    what: str = "renewal"

    @property
    def policy(self) -> str:
        return f"key_date:{self.what}"   # beside the SLA policies' names in the store

    @property
    def key(self) -> str:
        """Its identity in the state store (compared, never parsed)."""
        return f"{self.customer}@{self.day.isoformat()}"


WATCHED = "rule:watch"   # the watch marks' place beside the SLA policies' names in the store


@dataclass(frozen=True)
class WatchMark:
    """A watcher a rule added (``watch``): once per issue and person, so no later run adds
    them again, nor back when a person removed them. Issues as listed carry no watchers."""

    who: str   # as the rule resolved it: a login or a user's or group's name

    @property
    def policy(self) -> str:
        return WATCHED

    @property
    def key(self) -> str:
        """Its identity in the state store (compared, never parsed)."""
        return self.who


Mark = SlaMark | ReminderMark | WatchMark   # what a plan fires once; apply records it landed


@dataclass
class Draft:
    """One issue's write being assembled: the PUT's fields, relations to add or remove."""

    values: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    unlinks: list[Link] = field(default_factory=list)
    watchers: list[str] = field(default_factory=list)   # users or groups to add
    unwatchers: list[str] = field(default_factory=list)  # ... and to remove (an undo)


@dataclass(frozen=True)
class Target:
    """Something a change sets; ``key`` is its name in rules, plans and the ledger."""

    key: str
    owned = True   # apply remembers the value it set: a person who changes it later wins

    def read(self, issue: Issue, fields: FieldMap) -> object:
        raise NotImplementedError

    def put(self, draft: Draft, value: object, fields: FieldMap) -> None:
        raise NotImplementedError

    def reported_as(self, fields: FieldMap) -> str:
        """The name under which the adapter reports a change Redmine dropped."""
        return self.key

    def describe(self, old: object, new: object) -> str:
        """The change as a colleague would say it: "Set priority to Urgent"."""
        name = self.key.replace("_", " ")
        return f"Set {name} to {new}" if _present(new) else f"Cleared {name}"

    def as_written(self, value: object, written: Issue | None, fields: FieldMap) -> object:
        """``value`` as Redmine shows it once written (``written``: the issue re-read)."""
        return value

    def shown(self, value: object, person: Callable[[str], str]) -> object:
        """``value`` as a person reads it; ``person`` gives a login's display name."""
        return value

    def stored(self, value: object) -> object:
        return value

    def decoded(self, raw: object) -> object:
        """A value as the ledger or an intent kept it."""
        return tuple(raw) if isinstance(raw, list) else raw

    def holds(self, issue: Issue, value: object, fields: FieldMap) -> bool | None:
        """Whether the issue shows ``value`` (None: the issue as read cannot tell)."""
        return same(self.read(issue, fields), value)


@dataclass(frozen=True)
class IssueField(Target):
    """status, priority, tracker or category: a name Redmine resolves to an id."""

    def read(self, issue: Issue, fields: FieldMap) -> object:
        return getattr(issue, self.key)

    def put(self, draft: Draft, value: object, fields: FieldMap) -> None:
        draft.values[self.key] = "" if value in (None, "") else str(value)


@dataclass(frozen=True)
class Assignee(Target):
    """The assignee: a login, a user's or group's name; "" or None unassigns."""

    def read(self, issue: Issue, fields: FieldMap) -> object:
        return issue.assigned_to.name if issue.assigned_to else None

    def put(self, draft: Draft, value: object, fields: FieldMap) -> None:
        draft.values["assigned_to"] = "" if value in (None, "") else str(value)

    def describe(self, old: object, new: object) -> str:
        return f"Assigned to {new}" if _present(new) else "Unassigned"

    def shown(self, value: object, person: Callable[[str], str]) -> object:
        return person(str(value)) if _present(value) else value

    def as_written(self, value: object, written: Issue | None, fields: FieldMap) -> object:
        """A rule may name a login (a customer's account manager): Redmine shows the name."""
        if _present(value) and written is not None and written.assigned_to:
            return written.assigned_to.name
        return value


@dataclass(frozen=True)
class Labels(Target):
    """The labels custom field (``fields.labels``), written as the whole set."""

    def read(self, issue: Issue, fields: FieldMap) -> object:
        return tuple(sorted(issue.cf(fields.labels) or ()))

    def put(self, draft: Draft, value: object, fields: FieldMap) -> None:
        labels = value if isinstance(value, (tuple, list)) else ()
        draft.custom[fields.labels] = tuple(map(str, labels))

    def reported_as(self, fields: FieldMap) -> str:
        return f"cf.{fields.labels}"

    def describe(self, old: object, new: object) -> str:
        before, after = _items(old), _items(new)
        added = [x for x in after if x not in before]
        removed = [x for x in before if x not in after]
        parts = []
        if added:
            parts.append(f"Added label{'s' if len(added) > 1 else ''} {', '.join(added)}")
        if removed:
            verb = "removed" if parts else "Removed"
            parts.append(f"{verb} label{'s' if len(removed) > 1 else ''} {', '.join(removed)}")
        return " and ".join(parts) or "Labels unchanged"


@dataclass(frozen=True)
class Tier(Target):
    """The tier custom field (``fields.tier``)."""

    def read(self, issue: Issue, fields: FieldMap) -> object:
        return issue.cf(fields.tier)

    def put(self, draft: Draft, value: object, fields: FieldMap) -> None:
        draft.custom[fields.tier] = value

    def reported_as(self, fields: FieldMap) -> str:
        return f"cf.{fields.tier}"


@dataclass(frozen=True)
class CustomField(Target):
    """Any other custom field, by its name in Redmine."""

    name: str = ""

    def read(self, issue: Issue, fields: FieldMap) -> object:
        return issue.cf(self.name)

    def put(self, draft: Draft, value: object, fields: FieldMap) -> None:
        draft.custom[self.name] = value

    def describe(self, old: object, new: object) -> str:
        return f"Set {self.name} to {new}" if _present(new) else f"Cleared {self.name}"


@dataclass(frozen=True)
class RelationTo(Target):
    """A relation to another issue: a ``Link`` is added; undoing it removes it."""

    def read(self, issue: Issue, fields: FieldMap) -> object:
        return None   # a relation is not a field: nothing to compare a plan against

    def put(self, draft: Draft, value: object, fields: FieldMap) -> None:
        if isinstance(value, Link):
            draft.links.append(value)

    def unput(self, draft: Draft, value: object) -> None:
        if isinstance(value, Link):
            draft.unlinks.append(value)

    def describe(self, old: object, new: object) -> str:
        if isinstance(new, Link):
            return f"Linked to #{new.issue_id} as {new.kind.replace('_', ' ')}"
        if isinstance(old, Link):
            return f"Removed the link to #{old.issue_id} ({old.kind.replace('_', ' ')})"
        return "Relations unchanged"

    def stored(self, value: object) -> object:
        return value.to_json() if isinstance(value, Link) else value

    def decoded(self, raw: object) -> object:
        if isinstance(raw, dict) and "relation" in raw and "issue" in raw:
            return Link(str(raw["relation"]), int(raw["issue"]))
        return raw

    def holds(self, issue: Issue, value: object, fields: FieldMap) -> bool | None:
        if not isinstance(value, Link):
            return value is None
        return any({r.issue_id, r.issue_to_id} == {issue.id, value.issue_id}
                   for r in issue.relations) or None


@dataclass(frozen=True)
class Watchers(Target):
    """Users or groups (a login or a name) added as watchers, so that Redmine's own mail
    reaches them. Rules only add: a watcher a person removed is not added back by a later
    write of other changes; an undo removes the watchers the undone run added."""

    owned = False   # never read back, so never "changed by a person since"

    def read(self, issue: Issue, fields: FieldMap) -> object:
        return None   # issues as listed carry no watchers: nothing to compare against

    def put(self, draft: Draft, value: object, fields: FieldMap) -> None:
        draft.watchers.extend(str(v) for v in _items(value))

    def unput(self, draft: Draft, value: object) -> None:
        draft.unwatchers.extend(str(v) for v in _items(value))

    def shown(self, value: object, person: Callable[[str], str]) -> object:
        return tuple(person(v) for v in _items(value))

    def describe(self, old: object, new: object) -> str:
        added, removed = _items(new), _items(old)
        if added:
            return f"Added watcher{'s' if len(added) > 1 else ''} {', '.join(added)}"
        return f"Removed watcher{'s' if len(removed) > 1 else ''} {', '.join(removed)}" \
            if removed else "Watchers unchanged"

    def holds(self, issue: Issue, value: object, fields: FieldMap) -> bool | None:
        return None


def watch_marks(changes: tuple[Change, ...]) -> tuple[WatchMark, ...]:
    """A once-mark for each watcher ``changes`` add."""
    return tuple(WatchMark(who) for c in changes if isinstance(c.target, Watchers)
                 for who in _items(c.new) if who not in _items(c.old))


@dataclass(frozen=True)
class DueDate(Target):
    """The due date (the planned completion date) as an ISO date, "2026-12-18". Rules set
    it (``plan_due``); nothing clears it."""

    def read(self, issue: Issue, fields: FieldMap) -> object:
        return issue.due_date.isoformat() if issue.due_date else None

    def put(self, draft: Draft, value: object, fields: FieldMap) -> None:
        if _present(value):
            draft.values["due_date"] = date.fromisoformat(str(value))

    def describe(self, old: object, new: object) -> str:
        return f"Due date {new}" if _present(new) else "Due date unchanged"


ISSUE_FIELDS = ("status", "priority", "tracker", "category")
SETTABLE = (*ISSUE_FIELDS, "tier", "assigned_to")   # with ``set:``, besides cf.<name>


@lru_cache(maxsize=4096)  # targets are immutable: one per key serves every change
def target(key: str) -> Target:
    """The target a rule-vocabulary key names (a KeyError for a key that names none)."""
    if key in ISSUE_FIELDS:
        return IssueField(key)
    if key == "assigned_to":
        return Assignee(key)
    if key == "labels":
        return Labels(key)
    if key == "tier":
        return Tier(key)
    if key == "relation":
        return RelationTo(key)
    if key == "watchers":
        return Watchers(key)
    if key == "due_date":
        return DueDate(key)
    if key.startswith("cf.") and len(key) > 3:
        return CustomField(key, key[3:])
    raise KeyError(key)


def decoded(key: str, raw: object) -> object:
    """A value the ledger kept under ``key``, as its target reads it back (under a key that
    names no target, such as a note's, as it was kept)."""
    try:
        return target(key).decoded(raw)
    except KeyError:
        return raw


@dataclass(frozen=True)
class Change:
    """One change of one target: old and new value, and every rule that wanted it."""

    target: Target
    old: object
    new: object
    why: tuple[Why, ...]

    @classmethod
    def of(cls, key: str, new: object, rule: str, reason: str, old: object = None) -> Change:
        return cls(target(key), old, new, (Why(rule, reason),))

    @property
    def field(self) -> str:
        return self.target.key

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w.rule for w in self.why))

    @property
    def rule(self) -> str:
        """The rules, for people to read (never split again)."""
        return ", ".join(self.rules)

    @property
    def reason(self) -> str:
        """The reasons, for people to read (never split again)."""
        return " | ".join(dict.fromkeys(w.reason for w in self.why))

    def inverse(self, why: Why) -> Change:
        """The change that puts back what this one replaced."""
        return Change(self.target, self.new, self.old, (why,))


def made_change(target: Target, old: object, new: object, why: tuple[Why, ...]) -> Change:
    """Change(target, old, new, why), made as model.built() makes it: the rule engine
    makes one for every change of every issue."""
    return built(Change, {"target": target, "old": old, "new": new, "why": why})


def made_why(rule: str, reason: str) -> Why:
    """Why(rule, reason), made as model.built() makes it (once per matching rule)."""
    return built(Why, {"rule": rule, "reason": reason})


def same(a: object, b: object) -> bool:
    """Equal as the tool compares field values: lists as sets of names, empty as empty."""
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and sorted(map(str, a)) == sorted(map(str, b))
    return a == b or (a in (None, "", ()) and b in (None, "", ()))


def draft_of(changes: list[Change], fields: FieldMap) -> Draft:
    """The write that makes every change: each target puts its new value."""
    draft = Draft()
    for change in changes:
        if isinstance(change.target, RelationTo | Watchers) and change.new is None:
            change.target.unput(draft, change.old)
        else:
            change.target.put(draft, change.new, fields)
    return draft


def _items(value: object) -> tuple[str, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(str(v) for v in value)
    return (str(value),) if _present(value) else ()


def _present(value: object) -> bool:
    return value not in (None, "", ())

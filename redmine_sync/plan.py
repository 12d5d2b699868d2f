"""The plan: every change the rules decided, with the rule and the reason. Pure data + rendering.

It is the contract between deciding (``rules.engine``) and doing (apply). ``to_json`` is
the documented, stable JSON form of ``redmine-sync plan --format json`` (docs/rules.md);
``json_head``, ``json_issue`` and ``json_tail`` write the same text one issue at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from redmine_sync.changes import Change
from redmine_sync.changes import Link
from redmine_sync.changes import Mark

__all__ = ["Change", "IssuePlan", "Note", "Plan", "Tally"]
PLAN_FORMAT_VERSION = 2   # 2: relations as objects, every rule's reason in "why"


@dataclass(frozen=True)
class Note:
    text: str
    public: bool
    rule: str


@dataclass(frozen=True)
class IssuePlan:
    issue_id: int
    subject: str
    updated_on: datetime
    changes: tuple[Change, ...] = ()
    notes: tuple[Note, ...] = ()
    held: tuple[Change, ...] = ()   # wanted by a rule, kept as a person set it
    sla_marks: tuple[Mark, ...] = ()  # SLA thresholds reached now, reminders given
    undo_of: int | None = None  # the run this plan puts back (``redmine-sync undo``)

    @property
    def empty(self) -> bool:
        return not self.changes and not self.notes


@dataclass(frozen=True)
class Plan:
    now: datetime
    evaluated: int
    issues: tuple[IssuePlan, ...]
    pointers: dict[str, int] = field(default_factory=dict)  # round-robin turns after this plan
    next_wake: datetime | None = None  # the next SLA threshold of a running clock
    streamed: Tally | None = None  # issue plans handed to a consumer instead of listed

    @property
    def changed(self) -> tuple[IssuePlan, ...]:
        """The issues with something to write."""
        return tuple(p for p in self.issues if not p.empty)

    @property
    def changed_count(self) -> int:
        """How many issues have something to write, also when the plan was streamed."""
        return self.streamed.changed if self.streamed is not None else len(self.changed)

    def summary(self) -> dict[str, int]:
        tally = self.streamed or Tally.of(self.issues)
        return {"issues_evaluated": self.evaluated, **tally.as_dict()}

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT_VERSION,
            "now": self.now.isoformat(),
            "issues": [_issue_json(p) for p in self.issues],
            "summary": self.summary(),
        }


@dataclass
class Tally:
    """The plan's totals, kept while issue plans stream past."""

    changed: int = 0
    changes: int = 0
    notes: int = 0
    held: int = 0
    by_field: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, issues: Iterable[IssuePlan]) -> Tally:
        tally = cls()
        for issue in issues:
            tally.add(issue)
        return tally

    def add(self, issue: IssuePlan, sign: int = 1) -> None:
        """Count ``issue`` in (``sign`` -1: out again, when it was replaced)."""
        self.changed += sign * (not issue.empty)
        self.changes += sign * len(issue.changes)
        self.notes += sign * len(issue.notes)
        self.held += sign * len(issue.held)
        for change in issue.changes:
            self.by_field[change.field] = self.by_field.get(change.field, 0) + sign

    def as_dict(self) -> dict[str, int]:
        return {"issues_changed": self.changed, "changes": self.changes, "notes": self.notes,
                "kept_for_people": self.held,
                **{f"changes.{k}": v for k, v in sorted(self.by_field.items())}}


def json_head(now: datetime) -> str:
    """``plan --format json`` in pieces (head, each issue, tail) that join to one document."""
    head = json.dumps({"format": PLAN_FORMAT_VERSION, "now": now.isoformat()},
                      ensure_ascii=False, indent=2)
    return head[:-2] + ',\n  "issues": ['


def json_issue(index: int, item: IssuePlan) -> str:
    text = json.dumps(_issue_json(item), ensure_ascii=False, indent=2)
    return ("," if index else "") + "\n    " + text.replace("\n", "\n    ")


def json_tail(plan: Plan, any_issue: bool) -> str:
    summary = json.dumps(plan.summary(), ensure_ascii=False, indent=2).replace("\n", "\n  ")
    return ("\n  ]" if any_issue else "]") + ',\n  "summary": ' + summary + "\n}"


def _issue_json(p: IssuePlan) -> dict[str, Any]:
    return {
        "id": p.issue_id, "subject": p.subject, "updated_on": p.updated_on.isoformat(),
        "changes": [{"field": c.field, "old": json_value(c.old), "new": json_value(c.new),
                     "rule": c.rule, "reason": c.reason, "why": _why_json(c)}
                    for c in p.changes],
        "notes": [{"text": n.text, "public": n.public, "rule": n.rule} for n in p.notes],
        "kept_for_people": [{"field": c.field, "current": json_value(c.old),
                             "wanted": json_value(c.new), "rule": c.rule,
                             "reason": c.reason, "why": _why_json(c)} for c in p.held],
    }


def render_text(plan: Plan, *, applying: bool = False) -> str:
    """Human form: per issue each change ``old -> new`` with rule and reason, then totals
    (``applying``: the plan is about to be written, rather than a dry run)."""
    return "\n".join([*(line for i in plan.issues for line in text_issue(i)),
                      text_tail(plan, applying=applying)])


def text_issue(issue: IssuePlan) -> list[str]:
    lines = [f"#{issue.issue_id} {issue.subject}"]
    for change in issue.changes:
        lines.append(f"  {change.field:<14} {_diff(change)}")
        for why in change.why:
            lines.append(f"  {'':<14} {why.rule}: {why.reason}")
    for change in issue.held:
        lines.append(f"  {change.field:<14} kept {show(change.old)} (wanted "
                     f"{show(change.new)}): {change.reason}")
    for note in issue.notes:
        kind = "public note" if note.public else "private note"
        first = note.text.strip().splitlines()[0] if note.text.strip() else ""
        lines.append(f"  {kind:<14} + \"{first}\"  ({note.rule})")
    return lines


def text_tail(plan: Plan, *, applying: bool = False) -> str:
    summary = plan.summary()
    verb, after = ("to change", "") if applying else ("would change", " Nothing was written.")
    return (f"{summary['issues_changed']} of {summary['issues_evaluated']} issue(s) {verb}: "
            f"{summary['changes']} field change(s), {summary['notes']} note(s).{after}")


def _diff(change: Change) -> str:
    """``old -> new``; for lists also what is added and removed."""
    text = f"{show(change.old)} -> {show(change.new)}"
    if isinstance(change.new, (tuple, list)):
        old = set(map(str, change.old or ()))  # type: ignore[call-overload]
        new = set(map(str, change.new))
        delta = [f"+{x}" for x in sorted(new - old)] + [f"-{x}" for x in sorted(old - new)]
        text += f"   ({' '.join(delta)})"
    return text


def _why_json(change: Change) -> list[dict[str, str]]:
    return [{"rule": w.rule, "reason": w.reason} for w in change.why]


def show(value: object) -> str:
    if value in (None, "", ()):
        return "(none)"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def json_value(value: object) -> object:
    """A change's old or new value as JSON: lists for tuples, objects for relations."""
    if isinstance(value, Link):
        return value.to_json()
    if isinstance(value, tuple):
        return list(value)
    return value

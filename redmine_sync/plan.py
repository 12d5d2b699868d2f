"""The plan: every change the rules decided, with the rule and the reason. Pure data + rendering.

It is the contract between deciding (``rules.engine``) and doing (apply). ``to_json`` is
the documented, stable JSON form of ``redmine-sync plan --format json`` (docs/rules.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

PLAN_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Change:
    """One field change. ``field`` is status, priority, tracker, assigned_to, labels, tier,
    cf.<Custom field>, or relation (``new`` like "duplicates #12")."""

    field: str
    old: object
    new: object
    rule: str
    reason: str


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
    sla_marks: tuple[str, ...] = ()  # SLA thresholds reached now: "policy:metric#cycle@50%"

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

    @property
    def changes(self) -> int:
        return sum(len(p.changes) for p in self.issues)

    @property
    def changed(self) -> tuple[IssuePlan, ...]:
        """The issues with something to write."""
        return tuple(p for p in self.issues if not p.empty)

    def summary(self) -> dict[str, int]:
        by_field: dict[str, int] = {}
        for issue in self.issues:
            for change in issue.changes:
                by_field[change.field] = by_field.get(change.field, 0) + 1
        return {"issues_evaluated": self.evaluated, "issues_changed": len(self.changed),
                "changes": self.changes, "notes": sum(len(p.notes) for p in self.issues),
                "kept_for_people": sum(len(p.held) for p in self.issues),
                **{f"changes.{k}": v for k, v in sorted(by_field.items())}}

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT_VERSION,
            "now": self.now.isoformat(),
            "issues": [_issue_json(p) for p in self.issues],
            "summary": self.summary(),
        }

    def json_chunks(self) -> Iterator[str]:
        """The text of ``json.dumps(to_json(), indent=2)``, one issue at a time: a plan
        over 100,000 issues is never one string (or one dict) in memory."""
        head = json.dumps({"format": PLAN_FORMAT_VERSION, "now": self.now.isoformat()},
                          ensure_ascii=False, indent=2)
        yield head[:-2] + ',\n  "issues": ['
        for index, item in enumerate(self.issues):
            text = json.dumps(_issue_json(item), ensure_ascii=False, indent=2)
            yield ("," if index else "") + "\n    " + text.replace("\n", "\n    ")
        yield ("\n  ]" if self.issues else "]") + ',\n  "summary": '
        yield json.dumps(self.summary(), ensure_ascii=False, indent=2).replace("\n", "\n  ")
        yield "\n}"


def _issue_json(p: IssuePlan) -> dict[str, Any]:
    return {
        "id": p.issue_id, "subject": p.subject, "updated_on": p.updated_on.isoformat(),
        "changes": [{"field": c.field, "old": _json(c.old), "new": _json(c.new),
                     "rule": c.rule, "reason": c.reason} for c in p.changes],
        "notes": [{"text": n.text, "public": n.public, "rule": n.rule} for n in p.notes],
        "kept_for_people": [{"field": c.field, "current": _json(c.old),
                             "wanted": _json(c.new), "rule": c.rule,
                             "reason": c.reason} for c in p.held],
    }


def render_text(plan: Plan) -> str:
    """Human form: per issue each change ``old -> new`` with rule and reason, then totals."""
    lines: list[str] = []
    for issue in plan.issues:
        lines.append(f"#{issue.issue_id} {issue.subject}")
        for change in issue.changes:
            lines.append(f"  {change.field:<14} {_diff(change)}")
            for rule, reason in _why(change):
                lines.append(f"  {'':<14} {rule}: {reason}")
        for change in issue.held:
            lines.append(f"  {change.field:<14} kept {show(change.old)} (wanted "
                         f"{show(change.new)}): {change.reason}")
        for note in issue.notes:
            kind = "public note" if note.public else "private note"
            first = note.text.strip().splitlines()[0] if note.text.strip() else ""
            lines.append(f"  {kind:<14} + \"{first}\"  ({note.rule})")
    summary = plan.summary()
    lines.append(f"{summary['issues_changed']} of {summary['issues_evaluated']} issue(s) would "
                 f"change: {summary['changes']} field change(s), {summary['notes']} note(s). "
                 "Nothing was written.")
    return "\n".join(lines)


def _diff(change: Change) -> str:
    """``old -> new``; for lists also what is added and removed."""
    text = f"{show(change.old)} -> {show(change.new)}"
    if isinstance(change.new, (tuple, list)):
        old = set(map(str, change.old or ()))  # type: ignore[call-overload]
        new = set(map(str, change.new))
        delta = [f"+{x}" for x in sorted(new - old)] + [f"-{x}" for x in sorted(old - new)]
        text += f"   ({' '.join(delta)})"
    return text


def _why(change: Change) -> list[tuple[str, str]]:
    rules = change.rule.split(", ")
    reasons = change.reason.split(" | ")
    if len(rules) == len(reasons):
        return list(zip(rules, reasons, strict=True))
    return [(change.rule, change.reason)]


def show(value: object) -> str:
    if value in (None, "", ()):
        return "(none)"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def _json(value: object) -> object:
    if isinstance(value, tuple):
        return list(value)
    return value

"""When an unchanged open issue needs evaluating again: the index of each clock's next
threshold instant, kept in the state store.

An issue that did not change since the last run can get a different decision only from
time: an SLA threshold (or the state written, "warning" at 50 %, "breached" at 100 %) is
reached. Each run records, for every open issue it evaluated, the instant its next
threshold is reached (none: no running clock), or "due" when its plan was not empty (it
is evaluated again until nothing is left to do). An incremental run then evaluates the
issues that changed, and of the others only those whose instant has come: its work grows
with what is due, not with the number of issues.

The index holds for the rules, the field map and the staff it was computed with (its
basis). Any change of those, or rules that read the clock themselves (``age_hours``,
``age_days``, ``idle_days``, the hours and days since who spoke last), make every open
issue due, as each run did before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from redmine_sync.config import Config
from redmine_sync.model import Issue
from redmine_sync.rules import RuleSet
from redmine_sync.rules import conversation
from redmine_sync.rules.conditions import Condition
from redmine_sync.rules.conditions import iter_leaves
from redmine_sync.store import StateStore

CLOCK_FIELDS = frozenset({"age_hours", "age_days", "idle_days"})


def basis(ruleset: RuleSet, config: Config, staff: Iterable[int], bot: int) -> str | None:
    """What the instants were computed with, as one fingerprint; None when the rules read
    the clock themselves (every open issue is evaluated at every run)."""
    if reads_clock(ruleset):
        return None
    digest = hashlib.sha256()
    for source in sorted(ruleset.sources):
        digest.update(source.encode() + b"\0")
        try:
            digest.update(Path(source).read_bytes())
        except OSError:
            return None  # cannot tell whether the rules changed: evaluate everything
    digest.update(repr((config.fields, sorted(staff), bot)).encode())
    return digest.hexdigest()


def reads_clock(ruleset: RuleSet) -> bool:
    """Whether a rule or policy condition depends on the time itself (of who spoke last:
    the hours and days since; who replied last changes only with the issue)."""
    if set(ruleset.journal_fields) & set(conversation.SINCE):
        return True
    conditions: list[Condition] = []
    for rule_file in ruleset.files:
        conditions += [rule_file.when, *(r.when for r in rule_file.rules)]
    for policy in ruleset.sla.policies if ruleset.sla else ():
        conditions += [policy.when, *policy.pause]
        if policy.emergency:
            conditions.append(policy.emergency.when)
    return any(leaf.field in CLOCK_FIELDS for c in conditions for leaf in iter_leaves(c))


def due(store: StateStore, now: datetime, key: str | None) -> set[int] | None:
    """The issues whose instant has come; None when the index cannot tell (no index yet,
    or computed on another basis): then every open issue is due."""
    if key is None or store.wake_basis() != key:
        return None
    return store.due_wakes(now)


def record(store: StateStore, key: str | None, evaluated: Iterable[Issue], now: datetime,
           planned: set[int], woken: Mapping[int, datetime | None], *, whole: bool) -> None:
    """Each evaluated open issue's next instant: "due" when its plan was not empty, or
    when Redmine stamped it after ``now`` (its clock a little ahead of ours: what it wrote
    then counts only later); ``whole``: every open issue was evaluated, so the index
    starts over on this basis."""
    if key is None:
        store.clear_wakes()
        return
    if not whole and store.wake_basis() != key:
        return  # an index of another basis is never completed piecemeal
    issues = list(evaluated)
    rows = {i.id: woken.get(i.id) for i in issues if not i.is_closed}
    due = {i.id for i in issues if i.id in planned or i.updated_on > now} & set(rows)
    closed = [i.id for i in issues if i.is_closed]
    store.set_wakes(key, rows, due=due, closed=closed, whole=whole)

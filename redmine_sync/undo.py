"""``redmine-sync undo RUN``: put back what a run changed, through apply's write path.

``plan_undo`` reads the run's ledger and the issues as they are now, and plans for each
issue the inverse of every change the run wrote whose value the issue still shows
(anything a person changed since is left alone and reported). Relations the run added are
removed. The plan is shown first; ``write_undo`` writes it with ``apply_plan``, like
``apply``: the circuit breaker, a stale check, pre-flight permissions, write intents, one
PUT per issue with a private note, verification and the ledger.

Undo is a person's decision: it records the value the undone run wrote as the tool's own,
so the next ``apply`` sees the value undo put back as changed by a person and keeps it
(people win; a rule with ``enforce: true`` still sets it). A rule's note goes out only
with its changes, so the undone decision's note, public or private, is not sent again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redmine_sync.apply import ApplyResult
from redmine_sync.apply import apply_plan
from redmine_sync.apply import check_breaker
from redmine_sync.apply import recorded_run
from redmine_sync.changes import Change
from redmine_sync.changes import Why
from redmine_sync.changes import target
from redmine_sync.config import FieldMap
from redmine_sync.config import Limits
from redmine_sync.errors import NotFound
from redmine_sync.errors import UserError
from redmine_sync.markup import check as check_markup
from redmine_sync.plan import IssuePlan
from redmine_sync.plan import Plan
from redmine_sync.plan import show
from redmine_sync.redmine import RedmineClient
from redmine_sync.store import StateStore


@dataclass(frozen=True)
class UndoPlan:
    """What undoing run ``target`` would write, and what it leaves alone and why."""

    target: int
    plan: Plan
    skipped: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"undo": self.target, **self.plan.to_json(), "skipped": list(self.skipped)}


def plan_undo(client: RedmineClient, store: StateStore, run: int, fields: FieldMap,
              now: datetime) -> UndoPlan:
    """The inverse of every change run ``run`` wrote that the issues still show."""
    if store.run(run) is None:
        raise UserError(f"there is no run {run}", hint="redmine-sync history lists the runs")
    why = Why(f"undo {run}", f"undo of run {run}")
    by_issue: dict[int, list[Change]] = defaultdict(list)
    skipped: list[str] = []
    for row in store.audit(run):
        if row.outcome != "written":
            continue
        try:
            what = target(row.field)
        except KeyError:
            skipped.append(f"#{row.issue_id} {row.field}: not a change undo can put back")
            continue
        wrote, before = what.decoded(row.new), what.decoded(row.old)
        by_issue[row.issue_id].append(Change(what, wrote, before, (why,)))
    items = []
    for issue_id, changes in sorted(by_issue.items()):
        try:
            issue = client.get_issue(issue_id, journals=False)
        except NotFound:
            skipped.append(f"#{issue_id}: no longer found in Redmine")
            continue
        todo = []
        for change in changes:
            if change.target.holds(issue, change.old, fields) is False:
                now_shows = show(change.target.read(issue, fields))
                skipped.append(f"#{issue_id} {change.field}: changed since by someone else "
                               f"(now {now_shows})")
            else:
                todo.append(change)
        if todo:
            items.append(IssuePlan(issue_id, issue.subject, issue.updated_on, tuple(todo),
                                   undo_of=run))
    return UndoPlan(run, Plan(now, len(by_issue), tuple(items)), tuple(skipped))


def write_undo(undo: UndoPlan, client: RedmineClient, store: StateStore, *,
               fields: FieldMap, limits: Limits, clock: Callable[[], datetime],
               yes: bool, max_changes: int | None = None, markup: str = "textile"
               ) -> ApplyResult:
    """Write an undo plan the way ``apply`` writes a plan, as a run of its own."""
    plan = undo.plan
    check_markup(markup, client.text_formatting())
    run_id = store.start_run(f"undo {undo.target}", clock())
    with recorded_run(store, run_id, clock, lambda: len(plan.changed)):
        check_breaker([(i.issue_id, i.updated_on) for i in plan.changed], limits,
                      in_scope=max(plan.evaluated, 1), max_changes=max_changes, yes=yes)
        result = apply_plan(plan.changed, client, store, run_id, fields=fields,
                            write_cap=len(plan.changed), clock=clock, stop=lambda: False,
                            markup=markup)
    store.finish_run(run_id, clock(), "failed" if result.failed else "ok",
                     planned=len(plan.changed), written=result.count("written", "partial"),
                     skipped=result.count("deferred", "skipped", "pending") + len(undo.skipped),
                     failed=result.failed)
    return result

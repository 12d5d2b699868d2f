"""``redmine-sync undo RUN``: put back the values a run changed, unless people changed them since.

Reads the run's audit rows, re-reads each issue, and for every field still holding the
value the run wrote, writes the old value back (one PUT per issue, with a private note).
Fields changed since by someone else are skipped and reported. Relations are not removed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from redmine_sync.apply import _same
from redmine_sync.apply import _update_key
from redmine_sync.apply import to_update
from redmine_sync.config import FieldMap
from redmine_sync.errors import RedmineError
from redmine_sync.errors import UserError
from redmine_sync.plan import Change
from redmine_sync.plan import IssuePlan
from redmine_sync.redmine import RedmineClient
from redmine_sync.rules.state import initial_values
from redmine_sync.store import StateStore


@dataclass(frozen=True)
class UndoResult:
    run_id: int
    reverted: tuple[str, ...]
    skipped: tuple[str, ...]
    failed: tuple[str, ...]


def undo_run(client: RedmineClient, store: StateStore, target: int, fields: FieldMap,
             clock: Callable[[], datetime], markup: str = "textile") -> UndoResult:
    if store.run(target) is None:
        raise UserError(f"there is no run {target}", hint="redmine-sync history lists the runs")
    written = [a for a in store.audit(target) if a.outcome == "written"]
    by_issue: dict[int, list[Change]] = defaultdict(list)
    for row in written:
        by_issue[row.issue_id].append(Change(row.field, row.new, row.old, f"undo-{target}",
                                             f"undo of run {target}"))
    run_id = store.start_run(f"undo {target}", clock())
    reverted, skipped, failed = [], [], []
    for issue_id, changes in sorted(by_issue.items()):
        try:
            issue = client.get_issue(issue_id, journals=False)
        except RedmineError as exc:
            failed.append(f"#{issue_id}: {exc}")
            continue
        current = initial_values(issue, fields)
        todo = []
        for change in changes:
            if change.field == "relation":
                skipped.append(f"#{issue_id} relation {change.old}: relations are not removed")
            elif _same(current.get(change.field), change.old):
                todo.append(change)
            else:
                skipped.append(f"#{issue_id} {change.field}: changed since by someone else "
                               f"(now {current.get(change.field)!r})")
        if not todo:
            continue
        item = IssuePlan(issue_id, issue.subject, issue.updated_on, tuple(todo))
        update, _, _ = to_update(issue_id, todo, item, fields, markup)
        try:
            result = client.update_issue(update)
        except (RedmineError, UserError) as exc:
            failed.append(f"#{issue_id}: {str(exc).splitlines()[0]}")
            continue
        dropped = {d.field for d in result.dropped}
        with store.transaction():
            now = clock()
            for change in todo:
                ok = _update_key(change.field, fields) not in dropped
                store.record(run_id, now, issue_id, change.field, change.old, change.new,
                             change.rule, "written" if ok else "failed")
                if ok:
                    store.set_owned(issue_id, change.field, change.new, run_id)
                    reverted.append(f"#{issue_id} {change.field}: back to {change.new!r}")
                else:
                    failed.append(f"#{issue_id} {change.field}: Redmine dropped it")
            store.mark_tool_write(issue_id, result.issue.updated_on)
    store.finish_run(run_id, clock(), "failed" if failed else "ok", written=len(reverted),
                     skipped=len(skipped), failed=len(failed))
    return UndoResult(run_id, tuple(reverted), tuple(skipped), tuple(failed))

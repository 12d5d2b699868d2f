"""Bring the benchmark data to the steady state a daemon keeps it in, in about a minute.

A real ``apply --full --yes`` on freshly seeded data writes several thousand issues (every
open issue gets labels, a tier, SLA fields, often a priority, an assignee or a
duplicate link), one verified PUT each: far longer than the whole benchmark may take.
Instead this runs the tool's own ``apply_run`` (same plan, same state store updates: what
the tool set, SLA thresholds fired, round-robin pointers, cursor) against a client that
reads from Redmine as usual but collects the writes; the writes are then stored in one
``rails runner`` of bench/mutate.rb, with the journals a PUT would have made (also added
to the state store's journal cache). One thing differs from real PUTs: ``updated_on`` of
the written issues is left as it was, so the next incremental run does not re-read every
issue just written (a real apply's aftermath, measured separately by (5) at a small
scale).

    .venv/bin/python bench/prime.py --config CONFIG --out RESULT.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from redmine_sync.config import load_config
from redmine_sync.model import Issue
from redmine_sync.model import IssueUpdate
from redmine_sync.model import Journal
from redmine_sync.model import Ref
from redmine_sync.model import Relation
from redmine_sync.model import UpdateResult
from redmine_sync.redmine.live import LiveRedmine
from redmine_sync.redmine.mapping import journal_from_json
from redmine_sync.redmine.verify import encode_update
from redmine_sync.store import StateStore
from redmine_sync.sync import apply_run

sys.path.insert(0, str(ROOT / "bench"))
from seed import MODIFIED
from seed import run_ruby


class CollectingClient:
    """LiveRedmine for reads; writes are collected, answered as Redmine would answer them."""

    def __init__(self, live: LiveRedmine) -> None:
        self.live = live
        self.issues: dict[int, Issue] = {}
        self.writes: list[dict[str, Any]] = []
        self.relations: list[dict[str, Any]] = []
        self.watchers = 0
        self.me: Ref | None = None
        self.note_ids = 10**9  # above any journal id of the instance
        self.store: StateStore | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.live, name)

    def iter_issues(self, project: str | None = None,
                    updated_since: datetime | None = None) -> Iterator[Issue]:
        for issue in self.live.iter_issues(project, updated_since):
            self.issues[issue.id] = issue
            yield issue

    def get_issue(self, issue_id: int, *, journals: bool = True) -> Issue:
        """The issue as listed (with the journals the cache holds): a read before each of
        thousands of writes would take most of an hour under load."""
        listed = self.issues.get(issue_id)
        if listed is None:
            return self.live.get_issue(issue_id, journals=journals)
        if not journals:
            return listed
        cached = self.store.journals(issue_id, listed.updated_on) if self.store else None
        return replace(listed, journals=cached or ())

    def add_watcher(self, issue_id: int, principal: str) -> None:
        self.watchers += 1  # not stored: no later decision reads them

    def remove_watcher(self, issue_id: int, principal: str) -> None:
        self.watchers -= 1

    def add_relation(self, issue_id: int, other_id: int, relation_type: str) -> Relation:
        self.relations.append({"from": issue_id, "to": other_id, "type": relation_type})
        return Relation(0, issue_id, other_id, relation_type)

    def update_issue(self, update: IssueUpdate) -> UpdateResult:
        catalog = self.live.catalog()
        self.writes.append({"id": update.issue_id, "body": encode_update(update, catalog)})
        issue = self.issues[update.issue_id]
        changes: dict[str, Any] = {}
        if update.status:
            status = catalog.statuses.get(update.status)
            changes.update(status=status.name, is_closed=status.is_closed)
        if update.priority:
            changes["priority"] = catalog.priorities.get(update.priority).name
        if update.tracker:
            changes["tracker"] = catalog.trackers.get(update.tracker).name
        if update.assigned_to is not None:
            who = catalog.principals.get(update.assigned_to) if update.assigned_to else None
            changes["assigned_to"] = Ref(who.id, who.name) if who else None
        if update.due_date is not None:
            changes["due_date"] = update.due_date
        custom = {**issue.custom_fields, **update.custom_fields}
        after = replace(issue, custom_fields=custom, **changes)
        self.issues[issue.id] = after
        if update.notes:  # the note as the verification read would show it
            if self.me is None:
                me = self.live.current_user()
                self.me = Ref(me.id, me.name)
            self.note_ids += 1
            after = replace(after, journals=(*(issue.journals or ()), Journal(
                self.note_ids, self.me, datetime.now(UTC), update.notes,
                bool(update.private_notes), ())))
        return UpdateResult(after, (), note_added=bool(update.notes))


def refresh_journals(store: StateStore, client: CollectingClient,
                     written: dict[str, list[dict[str, Any]]]) -> None:
    """Add the journals of the writes to the journal cache, as a re-read would have."""
    catalog = client.live.catalog()
    with store.transaction():
        for key, rows in written.items():
            issue = client.issues[int(key)]
            cached = store.journals(issue.id, issue.updated_on)
            if cached is None:
                continue
            new = tuple(journal_from_json(row, catalog) for row in rows)
            store.cache_journals(issue.id, issue.updated_on, (*cached, *new))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    config = load_config(args.config)
    client = CollectingClient(LiveRedmine.from_config(config))
    store = StateStore(config.state_path)
    client.store = store
    start = time.perf_counter()
    with store.writer_lock():
        result = apply_run(client, config, store, lambda: datetime.now(UTC), full=True,
                           yes=True)
    planned = time.perf_counter()
    assert result.applied is not None
    payload = {"project": config.projects[0], "user": client.live.current_user().login,
               "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "writes": client.writes, "relations": client.relations,
               "description": MODIFIED}
    stored = run_ruby(ROOT / "bench" / "mutate.rb", payload)
    refresh_journals(store, client, stored.pop("write_journals", {}))
    done = time.perf_counter()
    summary = {
        "planned_issues": result.plan.changed_count, "evaluated": result.plan.evaluated,
        "outcomes": {s: result.applied.count(s) for s in
                     ("written", "partial", "skipped", "deferred", "failed")},
        "writes": len(client.writes), "relations": len(client.relations),
        "watchers": client.watchers,
        "requests": client.live.requests_made, "stored": stored,
        "plan_and_apply_seconds": planned - start, "store_seconds": done - planned,
    }
    args.out.write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

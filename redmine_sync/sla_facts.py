"""What SLA clocks need besides the issues: their journals, who counts as staff, the bot,
the thresholds already fired, and the verdicts recorded for stopped clocks.

``sync.read_snapshot`` adds these to the world of a run; ``reports.inputs`` uses them
for the reports' clocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from redmine_sync import progress
from redmine_sync.lookups import remembered
from redmine_sync.model import Issue
from redmine_sync.model import Journal
from redmine_sync.redmine import RedmineClient
from redmine_sync.rules import RuleSet
from redmine_sync.rules.sla_policy import Policy
from redmine_sync.rules.sla_policy import SlaConfig
from redmine_sync.rules.state import World
from redmine_sync.sla.clock import MetricClock
from redmine_sync.sla_verdict import Verdict
from redmine_sync.sla_verdict import settle
from redmine_sync.store import StateStore


def with_sla_facts(client: RedmineClient, ruleset: RuleSet, world: World,
                   issues: Sequence[Issue], projects: Sequence[str | None],
                   store: StateStore | None) -> World:
    """Journals (from the cache unless the issue changed), staff, the bot, what fired."""
    sla = ruleset.sla
    assert sla is not None
    found = journals(client, issues, store)
    staff = remembered(store, "staff", world.now, partial(staff_ids, client, sla, projects))
    bot = remembered(store, "bot", world.now, lambda: client.current_user().id)
    return replace(world, journals=found, staff_ids=frozenset(staff), bot_id=int(bot),
                   sla_fired=store.sla_fired() if store else frozenset())


def journals(client: RedmineClient, issues: Sequence[Issue], store: StateStore | None
             ) -> dict[int, tuple[Journal, ...]]:
    """Each issue's journals: from the cache unless the issue changed since."""
    out = {}
    fetched = []
    for done, issue in enumerate(issues, 1):
        cached = store.journals(issue.id, issue.updated_on) if store else None
        if cached is None:
            cached = client.get_issue(issue.id, journals=True).journals or ()
            fetched.append((issue, cached))
        out[issue.id] = cached
        progress.advance(progress.JOURNALS_READ, done, len(issues))
    if store and fetched:  # one transaction, after the reads: none held across requests
        with store.transaction():
            for issue, cached in fetched:
                store.cache_journals(issue.id, issue.updated_on, cached)
    return out


def staff_ids(client: RedmineClient, sla: SlaConfig, projects: Sequence[str | None]
              ) -> list[int]:
    """Users whose public notes are SLA responses: members with a staff role or group."""
    staff = {m.principal.id for p in projects if p for m in client.memberships(p)
             if not m.is_group and set(m.roles) & set(sla.staff_roles)}
    for group in sla.staff_groups:
        names = set(client.group_members(group))
        staff |= {n.id for n in client.catalog().principals.items if n.name in names}
    return sorted(staff)


def settled(store: StateStore, verdicts: dict[str, Any], policy: Policy, issue_id: int,
            clocks: tuple[MetricClock, ...]) -> tuple[MetricClock, ...]:
    """Stopped clocks keep the verdict first recorded for them (sla_verdict.py); the ones
    seen stopped for the first time are recorded now. ``verdicts``: loaded once per policy."""
    if policy.name not in verdicts:
        verdicts[policy.name] = store.sla_verdicts(policy.name)
    rows = verdicts[policy.name].get(issue_id, [])
    recorded = {(r[0], r[1]): Verdict(r[0], r[1], r[2], r[3], r[4], r[5], policy.name, r[6])
                for r in rows}
    kept, new = settle(clocks, recorded, policy)
    if new:
        with store.transaction():
            for v in new:
                store.record_verdict(issue_id, v.policy, v.metric, v.cycle, v.stopped,
                                     v.target, v.breached, v.breached_at, v.fingerprint)
    return kept

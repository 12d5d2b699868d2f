"""What the reports read, assembled from Redmine, the state store and the rules: every
issue in scope as it was at the report's time, with its SLA clocks and its customer."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from redmine_sync.config import Config
from redmine_sync.redmine import RedmineClient
from redmine_sync.redmine.catalog import UnknownName
from redmine_sync.reports.data import KeyDate
from redmine_sync.reports.data import ReportInput
from redmine_sync.rules.customers import CustomerBook
from redmine_sync.rules.engine import customer_of
from redmine_sync.rules.sla_stage import clocks_for
from redmine_sync.rules.sla_stage import policy_for
from redmine_sync.rules.state import Analysis
from redmine_sync.rules.state import IssueState
from redmine_sync.sla.timeline import as_of
from redmine_sync.sla.timeline import replay
from redmine_sync.sla_facts import Held
from redmine_sync.sla_facts import journals
from redmine_sync.sla_facts import settled
from redmine_sync.sla_facts import with_sla_facts
from redmine_sync.store import StateStore
from redmine_sync.sync import load_ruleset
from redmine_sync.sync import read_snapshot


def report_input(client: RedmineClient, config: Config, store: StateStore, now: datetime,
                 held: Held | None = None) -> ReportInput:
    """Everything the reports read, as of ``now``: every issue in scope that existed then,
    in the state it had then (from its journals), with SLA clocks and customers.

    ``held``: the journals the run holds (the run's, the other reports'): each issue's
    journals are found once, there, in the cache or in Redmine, and held."""
    ruleset = load_ruleset(config)
    held = held if held is not None else Held()
    # Reports ask for no duplicates: the world without its index (which holds the issues
    # it was built from) lets the snapshot's copy of the scope go before the cache is read
    # again, so one copy of every issue is held, not two.
    base = replace(read_snapshot(client, config, ruleset, now, config.projects or (None,),
                                 store, full=False, held=held).world, duplicates=None)
    everything = store.cached_issues()
    world = with_sla_facts(client, ruleset, base, everything,
                           config.projects or (None,), store, held=held) \
        if ruleset.sla is not None else \
        replace(base, journals=journals(client, everything, store, held=held))
    issues, clocks = [], {}
    verdicts: dict[str, Any] = {}
    for cached in everything:
        issue = as_of(replace(cached, journals=world.journals.get(cached.id)), config.fields,
                      now, world.closed_statuses)
        if issue is None:
            continue   # created after ``now``
        issues.append(issue)
        if ruleset.sla is None or issue.journals is None:
            continue
        first = replay(issue, config.fields)[0].values   # the policy that covered it when new
        state = IssueState(issue, first, customer_of(issue, world), Analysis())
        policy = policy_for(ruleset.sla, state, world)
        if policy is not None:
            computed = clocks_for(policy, ruleset.sla, issue, world)[0]
            clocks[issue.id] = settled(store, verdicts, policy, issue.id, computed)
    key_dates = tuple(KeyDate(c.name, k.day, k.what, k.note) for c in ruleset.customers.customers
                      for k in c.key_dates)
    return ReportInput(now=now, timezone=config.reports.timezone, issues=tuple(issues),
                       clocks=clocks, customers=ruleset.customers, fields=config.fields,
                       closed_statuses=world.closed_statuses, lang=config.reports.lang,
                       key_dates=key_dates, author_mails=world.author_mails,
                       satisfaction_field=config.fields.satisfaction,
                       people=_people(client, ruleset.customers),
                       kanban=config.reports.kanban,
                       key_date_days=config.reports.key_dates_days,
                       risk_label=config.reports.risk_label,
                       risk_tracker=config.reports.risk_tracker,
                       health=config.reports.health,
                       satisfaction_scale=config.reports.satisfaction_scale,
                       change_control=config.change_control)


def _people(client: RedmineClient, customers: CustomerBook) -> dict[str, str]:
    """Display names of the customers' account managers (logins in the customers file)."""
    logins = {c.account_manager for c in customers.customers if c.account_manager}
    out = {}
    for login in sorted(logins):
        try:
            out[login] = client.catalog().principals.get(login).name
        except UnknownName:
            continue   # not a user of this Redmine: the report shows the login as written
    return out

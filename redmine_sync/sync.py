"""The whole tool, top to bottom. Read this file first.

    config (config.py)
      -> Redmine adapter (redmine/live.py: the only code that talks to Redmine)
      -> plain model (model.py: issues with names, not ids)
      -> pure rule engine (rules/: triage -> tiering -> priority -> routing)
      -> plan (plan.py: every change with its rule and reason)
      -> apply / state store / daemon (coming with safe write-back)

``plan_run`` reads from Redmine and never writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from redmine_sync.config import Config
from redmine_sync.errors import UserError
from redmine_sync.model import Issue
from redmine_sync.plan import Plan
from redmine_sync.redmine import RedmineClient
from redmine_sync.rules import RuleSet
from redmine_sync.rules import build_world
from redmine_sync.rules import evaluate
from redmine_sync.rules import load_rules
from redmine_sync.rules.state import World


@dataclass(frozen=True)
class Snapshot:
    """What one run read: the issues in scope and the world the rules evaluate them in."""

    issues: tuple[Issue, ...]
    world: World


def load_ruleset(config: Config) -> RuleSet:
    return load_rules([config.rules_dir])


def read_snapshot(client: RedmineClient, config: Config, ruleset: RuleSet, now: datetime,
                  projects: Sequence[str | None]) -> Snapshot:
    """Pull every issue in scope (open and closed) and the facts rules need about people."""
    by_id = {i.id: i for p in projects for i in client.iter_issues(project=p)}
    issues = tuple(sorted(by_id.values(), key=lambda i: (i.updated_on, i.id)))
    catalog = client.catalog()
    closed = [n.name for n in catalog.statuses.items if n.is_closed]
    teams = {team: _members(client, team, projects) for team in ruleset.teams}
    mails = {}
    if ruleset.customers.identify == "email_domain":
        mails = {i.author.id: client.user(i.author.id).mail for i in issues}
    world = build_world(ruleset, issues, now, fields=config.fields, teams=teams,
                        closed_statuses=closed, author_mails=mails)
    return Snapshot(issues, world)


def _members(client: RedmineClient, team: str, projects: Sequence[str | None]
             ) -> tuple[str, ...]:
    """A group's users, or for "role:NAME" the users holding that role in the projects."""
    if not team.startswith("role:"):
        return client.group_members(team)
    role = team.removeprefix("role:")
    names = {m.principal.name for p in projects if p for m in client.memberships(p)
             if role in m.roles and not m.is_group}
    return tuple(sorted(names))


def plan_run(client: RedmineClient, config: Config, now: datetime, *,
             project: str | None = None, issue_id: int | None = None) -> Plan:
    """Read, evaluate, return the plan. Never writes."""
    ruleset = load_ruleset(config)
    projects = (project,) if project else config.projects or (None,)
    snapshot = read_snapshot(client, config, ruleset, now, projects)
    issues = snapshot.issues
    if issue_id is not None:
        issues = tuple(i for i in issues if i.id == issue_id)
        if not issues:
            raise UserError(f"issue #{issue_id} is not in scope "
                            f"(projects: {', '.join(p or 'all' for p in projects)})")
    return evaluate(ruleset, issues, snapshot.world)


def explain_run(client: RedmineClient, config: Config, now: datetime, issue_id: int
                ) -> tuple[RuleSet, Issue, World]:
    """What ``explain`` needs: the rules, the issue, and the world of its project."""
    ruleset = load_ruleset(config)
    issue = client.get_issue(issue_id, journals=False)
    snapshot = read_snapshot(client, config, ruleset, now, config.projects or (None,))
    current = next((i for i in snapshot.issues if i.id == issue_id), issue)
    return ruleset, current, snapshot.world

"""The whole tool, top to bottom. Read this file first.

    config (config.py)
      -> Redmine adapter (redmine/live.py: the only code that talks to Redmine)
      -> plain model (model.py: issues with names, not ids)
      -> state store (store.py): cursor, issue cache, what the tool set, audit
      -> pure rule engine (rules/: triage -> tiering -> priority -> routing)
      -> plan (plan.py: every change with its rule and reason; people win)
      -> apply (apply.py: one verified write per issue, breaker, audit)
      -> daemon (daemon.py) / CLI (cli.py)

One run: read what changed since the cursor (everything with ``full``), refresh the issue
cache, evaluate the changed issues against the whole cached scope, and either show the
plan or apply it. The cursor moves only after an apply in which nothing failed.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from functools import partial
from typing import Any

from redmine_sync import markup
from redmine_sync.apply import ApplyResult
from redmine_sync.apply import RunStopped
from redmine_sync.apply import apply_plan
from redmine_sync.apply import check_breaker
from redmine_sync.apply import recover_intents
from redmine_sync.config import Config
from redmine_sync.errors import UserError
from redmine_sync.model import Issue
from redmine_sync.model import Journal
from redmine_sync.plan import IssuePlan
from redmine_sync.plan import Plan
from redmine_sync.redmine import RedmineClient
from redmine_sync.rules import RuleSet
from redmine_sync.rules import build_world
from redmine_sync.rules import evaluate
from redmine_sync.rules import load_rules
from redmine_sync.rules.state import World
from redmine_sync.store import StateStore

OVERLAP = timedelta(minutes=2)  # re-read a little before the cursor: clock and commit skew
LOOKUP_MAX_AGE = 3600.0         # statuses, group members, staff: re-read at most hourly


@dataclass(frozen=True)
class Snapshot:
    """What one run read: the issues to evaluate, and the world they are evaluated in."""

    issues: tuple[Issue, ...]
    world: World
    in_scope: int
    deleted: tuple[int, ...] = ()


@dataclass(frozen=True)
class RunResult:
    plan: Plan
    applied: ApplyResult | None = None
    deleted: tuple[int, ...] = ()
    notes: tuple[str, ...] = field(default=())


def load_ruleset(config: Config) -> RuleSet:
    return load_rules([config.rules_dir])


def scope_of(config: Config, project: str | None) -> tuple[str | None, ...]:
    return (project,) if project else config.projects or (None,)


def read_snapshot(client: RedmineClient, config: Config, ruleset: RuleSet, now: datetime,
                  projects: Sequence[str | None], store: StateStore | None = None,
                  full: bool = True) -> Snapshot:
    """Pull what changed (or everything), refresh the cache, build the world of the scope."""
    scope = _scope_key(projects)
    since = None if full or store is None else store.cursor(scope)
    since = since - OVERLAP if since else None
    fresh = {i.id: i for p in projects for i in client.iter_issues(
        project=p, updated_since=since)}
    todo = set(fresh)
    deleted: tuple[int, ...] = ()
    everything = fresh
    if store is not None:
        known = store.issue_stamps()
        if since is None:  # a full pass read every issue: the cache adds only what it knows
            deleted = tuple(sorted(set(known) - todo))
        with store.transaction():  # the cache is refreshed whole or not at all
            store.cache_issues(fresh.values(), known)
            store.forget_issues(deleted)
        if since is None:
            everything = {i.id: i for i in store.with_activity(fresh.values())}
        else:
            fresh.clear()  # one copy of the issues in memory, not two
            everything = {i.id: i for i in store.cached_issues()}
    if ruleset.sla is not None:  # SLA thresholds are reached with time, not only with updates
        todo |= {i.id for i in everything.values() if not i.is_closed}
    changed = tuple(sorted((everything[i] for i in todo), key=lambda i: (i.updated_on, i.id)))
    world = _world(client, config, ruleset, now, list(everything.values()), projects, store)
    if ruleset.sla is not None:
        world = _with_sla_facts(client, ruleset, world, changed, projects, store)
    return Snapshot(changed, world, len(everything), deleted)


def _with_sla_facts(client: RedmineClient, ruleset: RuleSet, world: World,
                    issues: Sequence[Issue], projects: Sequence[str | None],
                    store: StateStore | None) -> World:
    """Journals (from the cache unless the issue changed), staff, the bot, what fired."""
    sla = ruleset.sla
    assert sla is not None
    journals = _journals(client, issues, store)
    staff = _remembered(store, "staff", world.now, partial(_staff, client, sla, projects))
    bot = _remembered(store, "bot", world.now, lambda: client.current_user().id)
    return replace(world, journals=journals, staff_ids=frozenset(staff), bot_id=int(bot),
                   sla_fired=store.sla_fired() if store else frozenset())


def _journals(client: RedmineClient, issues: Sequence[Issue], store: StateStore | None
              ) -> dict[int, tuple[Journal, ...]]:
    """Each issue's journals: from the cache unless the issue changed since."""
    journals = {}
    fetched = []
    for issue in issues:
        cached = store.journals(issue.id, issue.updated_on) if store else None
        if cached is None:
            cached = client.get_issue(issue.id, journals=True).journals or ()
            fetched.append((issue, cached))
        journals[issue.id] = cached
    if store and fetched:  # one transaction, after the reads: none held across requests
        with store.transaction():
            for issue, cached in fetched:
                store.cache_journals(issue.id, issue.updated_on, cached)
    return journals


def _remembered(store: StateStore | None, name: str, now: datetime, fetch: Callable[[], Any]
                ) -> Any:
    """A lookup from the state store if recent (an incremental run then asks Redmine only
    for changed issues), else fetched and saved."""
    if store is not None:
        saved = store.lookup(name, now, LOOKUP_MAX_AGE)
        if saved is not None:
            return saved
    value = fetch()
    if store is not None:
        store.save_lookup(name, value, now)
    return value


def _world(client: RedmineClient, config: Config, ruleset: RuleSet, now: datetime,
           issues: list[Issue], projects: Sequence[str | None],
           store: StateStore | None) -> World:
    closed = _remembered(store, "closed_statuses", now, lambda: [
        n.name for n in client.catalog().statuses.items if n.is_closed])
    priorities = _remembered(store, "priorities", now, lambda: [  # lowest first, as listed
        n.name for n in client.catalog().priorities.items])
    teams = {team: tuple(_remembered(store, f"team:{team}", now,
                                     partial(_members, client, team, projects)))
             for team in ruleset.teams}
    mails = {}
    if ruleset.customers.identify == "email_domain":
        mails = {i.author.id: client.user(i.author.id).mail for i in issues}
    world = replace(build_world(ruleset, issues, now, fields=config.fields, teams=teams,
                                closed_statuses=closed, priorities=priorities,
                                author_mails=mails),
                    markup=config.text_formatting)
    if store is None:
        return world
    return replace(world, owned=store.owned(),
                   pointers={t: store.pointer(t) for t in ruleset.teams})


def _staff(client: RedmineClient, sla: Any, projects: Sequence[str | None]) -> list[int]:
    """Users whose public notes are SLA responses: members with a staff role or group."""
    staff = {m.principal.id for p in projects if p for m in client.memberships(p)
             if not m.is_group and set(m.roles) & set(sla.staff_roles)}
    for group in sla.staff_groups:
        names = set(client.group_members(group))
        staff |= {n.id for n in client.catalog().principals.items if n.name in names}
    return sorted(staff)


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
             project: str | None = None, issue_id: int | None = None,
             store: StateStore | None = None, full: bool = True,
             each: Callable[[IssuePlan], None] | None = None) -> Plan:
    """Read, evaluate, return the plan. Never writes to Redmine. With ``each``, issue plans
    go to it as they are decided and the plan keeps only the totals."""
    return _plan(client, config, now, scope_of(config, project), issue_id, store, full,
                 each)[0]


def check_rule_names(ruleset: RuleSet, client: RedmineClient, config: Config) -> None:
    """Refuse rules that name a status, priority or tracker this Redmine does not have:
    a plan would otherwise decide changes no write can make."""
    from redmine_sync.rules.online import LOOKUPS
    from redmine_sync.rules.online import check_names

    problems = check_names(ruleset, client.catalog(), config.fields, kinds=tuple(LOOKUPS))
    if problems:
        raise UserError(f"the rules name {len(problems)} thing(s) {client.url} does not have",
                        problems, hint="fix the rules, or create them in Redmine "
                        "(Administration > Issue statuses / Enumerations / Trackers); "
                        "redmine-sync validate --online lists every name")


def _plan(client: RedmineClient, config: Config, now: datetime,
          projects: Sequence[str | None], issue_id: int | None, store: StateStore | None,
          full: bool, each: Callable[[IssuePlan], None] | None = None,
          ruleset: RuleSet | None = None) -> tuple[Plan, Snapshot]:
    ruleset = ruleset or load_ruleset(config)
    check_rule_names(ruleset, client, config)
    snapshot = read_snapshot(client, config, ruleset, now, projects, store, full)
    issues = snapshot.issues
    if issue_id is not None:
        issues = tuple(i for i in issues if i.id == issue_id)
        if not issues:
            raise UserError(f"issue #{issue_id} is not in scope "
                            f"(projects: {', '.join(p or 'all' for p in projects)})")
    return evaluate(ruleset, issues, snapshot.world, each=each), snapshot


def apply_run(client: RedmineClient, config: Config, store: StateStore,
              clock: Callable[[], datetime], *, project: str | None = None,
              full: bool = False, yes: bool = False, max_changes: int | None = None,
              stop: Callable[[], bool] = lambda: False,
              on_plan: Callable[[Plan], None] = lambda plan: None,
              ruleset: RuleSet | None = None) -> RunResult:
    """One write run: recover, plan, breaker, apply, advance the cursor. Hold the lock.
    ``ruleset``: rules already loaded (the daemon keeps the last good ones)."""
    projects = scope_of(config, project)
    markup.check(config.text_formatting, client.text_formatting())
    now = clock()
    run_id = store.start_run("apply", now)
    try:
        plan, snapshot = _plan(client, config, now, projects, None, store, full,
                               ruleset=ruleset)
        recovered = recover_intents(store, {i.id: i for i in snapshot.issues}, run_id, now,
                                    config.fields)
        on_plan(plan)
        check_breaker(plan, config.limits, in_scope=snapshot.in_scope,
                      max_changes=max_changes, yes=yes, held=store.held_failures())
        result = apply_plan(plan, client, store, run_id, fields=config.fields,
                            write_cap=config.limits.write_cap, clock=clock, stop=stop,
                            markup=config.text_formatting)
    except RunStopped as exc:
        stopped = exc.result
        store.finish_run(run_id, clock(), "stopped", planned=len(plan.changed),
                         written=stopped.count("written", "partial"),
                         skipped=stopped.count("deferred", "skipped"), failed=stopped.failed,
                         message=str(exc.cause).splitlines()[0])
        raise
    except BaseException as exc:
        store.finish_run(run_id, clock(), "error", message=str(exc).splitlines()[0]
                         if str(exc) else type(exc).__name__)
        raise
    deferred = result.count("deferred", "skipped", "pending")
    done = {o.issue_id for o in result.outcomes if o.status in ("written", "partial")}
    pending = result.count("pending")
    with store.transaction():  # the run's end: pointers, fired marks, cursor, its record
        for team, turn in plan.pointers.items():
            store.set_pointer(team, turn)
        for item in plan.issues:
            if item.sla_marks and (item.empty or item.issue_id in done):
                for mark in item.sla_marks:
                    policy, _, rest = mark.partition(":")
                    store.fire(item.issue_id, policy, rest, run_id)
        if not result.failed and not deferred:
            newest = max((i.updated_on for i in snapshot.issues), default=None)
            if newest is not None:
                store.set_cursor(_scope_key(projects), newest)
        store.finish_run(run_id, clock(), "failed" if result.failed else "ok",
                         planned=len(plan.changed), written=result.count("written", "partial"),
                         skipped=deferred, failed=result.failed,
                         message=f"{pending} pending on a failure reported before" if pending
                         else "")
    return RunResult(plan, result, snapshot.deleted, recovered)


def explain_run(client: RedmineClient, config: Config, now: datetime, issue_id: int,
                store: StateStore | None = None) -> tuple[RuleSet, Issue, World]:
    """What ``explain`` needs: the rules, the issue, and the world of its scope."""
    ruleset = load_ruleset(config)
    issue = client.get_issue(issue_id, journals=False)
    snapshot = read_snapshot(client, config, ruleset, now, config.projects or (None,), store)
    current = next((i for i in snapshot.issues if i.id == issue_id), issue)
    return ruleset, current, snapshot.world


def _scope_key(projects: Sequence[str | None]) -> str:
    return ",".join(p or "*" for p in projects)


def sla_clocks(client: RedmineClient, config: Config, store: StateStore, now: datetime,
               issue_id: int | None = None) -> list[tuple[Issue, Any, tuple[Any, ...]]]:
    """(issue, policy, clocks) for one issue or every open issue under an SLA policy."""
    from redmine_sync.rules.engine import start_state
    from redmine_sync.sla.stage import clocks_for
    from redmine_sync.sla.stage import policy_for

    ruleset = load_ruleset(config)
    if ruleset.sla is None:
        raise UserError("no SLA policy: add a kind: sla file to the rules directory",
                        hint="see docs/sla.md")
    snapshot = read_snapshot(client, config, ruleset, now, config.projects or (None,), store,
                             full=False)
    out = []
    for issue in snapshot.issues:
        if issue_id is not None and issue.id != issue_id:
            continue
        issue = replace(issue, journals=snapshot.world.journals.get(issue.id, ()))
        state = start_state(issue, snapshot.world, ruleset)
        policy = policy_for(ruleset.sla, state, snapshot.world)
        if policy is not None:
            clocks, _ = clocks_for(policy, ruleset.sla, issue, snapshot.world)
            out.append((issue, policy, clocks))
    if issue_id is not None and not out:
        raise UserError(f"issue #{issue_id} is closed, not in scope, or under no SLA policy")
    return out


def report_input(client: RedmineClient, config: Config, store: StateStore, now: datetime
                 ) -> Any:
    """Everything the reports read, as of ``now``: every issue in scope that existed then,
    in the state it had then (from its journals), with SLA clocks and customers."""
    from redmine_sync.reports.data import ReportInput
    from redmine_sync.rules.engine import customer_of
    from redmine_sync.rules.state import IssueState
    from redmine_sync.sla.stage import clocks_for
    from redmine_sync.sla.stage import policy_for
    from redmine_sync.sla.timeline import as_of
    from redmine_sync.sla.timeline import replay

    ruleset = load_ruleset(config)
    snapshot = read_snapshot(client, config, ruleset, now, config.projects or (None,), store,
                             full=False)
    everything = store.cached_issues()
    world = _with_sla_facts(client, ruleset, snapshot.world, everything,
                            config.projects or (None,), store) \
        if ruleset.sla is not None else \
        replace(snapshot.world, journals=_journals(client, everything, store))
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
        state = IssueState(issue, first, customer_of(issue, world), _no_analysis())
        policy = policy_for(ruleset.sla, state, world)
        if policy is not None:
            computed = clocks_for(policy, ruleset.sla, issue, world)[0]
            clocks[issue.id] = _settled(store, verdicts, policy, issue.id, computed)
    from redmine_sync.reports.data import KeyDate

    key_dates = tuple(KeyDate(c.name, day, what, note) for c in ruleset.customers.customers
                      for day, what, note in c.key_dates)
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
                       satisfaction_scale=config.reports.satisfaction_scale)


def _settled(store: StateStore, verdicts: dict[str, Any], policy: Any, issue_id: int,
             clocks: Any) -> Any:
    """Stopped clocks keep the verdict first recorded for them (sla/verdict.py); the ones
    seen stopped for the first time are recorded now. ``verdicts``: loaded once per policy."""
    from redmine_sync.sla.verdict import Verdict
    from redmine_sync.sla.verdict import settle

    if policy.name not in verdicts:
        verdicts[policy.name] = store.sla_verdicts(policy.name)
    rows = verdicts[policy.name].get(issue_id, [])
    recorded = {(r[0], r[1]): Verdict(r[0], r[1], r[2], r[3], r[4], r[5], policy.name, r[6])
                for r in rows}
    settled, new = settle(clocks, recorded, policy)
    if new:
        with store.transaction():
            for v in new:
                store.record_verdict(issue_id, v.policy, v.metric, v.cycle, v.stopped,
                                     v.target, v.breached, v.breached_at, v.fingerprint)
    return settled


def _people(client: RedmineClient, customers: Any) -> dict[str, str]:
    """Display names of the customers' account managers (logins in the customers file)."""
    from redmine_sync.redmine.catalog import UnknownName

    logins = {c.account_manager for c in customers.customers if c.account_manager}
    out = {}
    for login in sorted(logins):
        try:
            out[login] = client.catalog().principals.get(login).name
        except UnknownName:
            continue   # not a user of this Redmine: the report shows the login as written
    return out


def _no_analysis() -> Any:
    from redmine_sync.rules.state import Analysis

    return Analysis()

"""The whole tool, top to bottom. Read this file first.

    config (config.py)
      -> Redmine adapter (redmine/live.py: the only code that talks to Redmine)
      -> plain model (model.py: issues with names, not ids)
      -> state store (store.py): cursor, issue cache, what the tool set, audit
      -> pure rule engine (rules/: triage -> tiering -> priority -> routing)
      -> plan (plan.py: every change with its rule and reason; people win), plus the
         reminders due on key dates (renewals.py)
      -> apply (apply.py: one verified write per issue, breaker, audit; the plan
         streams into it through a spool on disk, spool.py)
      -> daemon (daemon.py) / CLI (cli/: one module per command)

What SLA clocks need besides the issues is gathered in sla_facts.py; what the reports
read, in reports/inputs.py.

One run: read what changed since the cursor (everything with ``full``), refresh the issue
cache, evaluate the changed issues against the whole cached scope, and either show the
plan or apply it. The cursor moves only after an apply in which nothing failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from functools import partial

from redmine_sync import markup
from redmine_sync import renewals
from redmine_sync import wakes
from redmine_sync.apply import ApplyResult
from redmine_sync.apply import apply_plan
from redmine_sync.apply import check_breaker
from redmine_sync.apply import recorded_run
from redmine_sync.apply import recover_intents
from redmine_sync.config import Config
from redmine_sync.due_notes import send_due_notes
from redmine_sync.errors import UserError
from redmine_sync.lookups import remembered
from redmine_sync.model import Issue
from redmine_sync.plan import IssuePlan
from redmine_sync.plan import Plan
from redmine_sync.redmine import RedmineClient
from redmine_sync.rules import RuleSet
from redmine_sync.rules import build_world
from redmine_sync.rules import evaluate
from redmine_sync.rules import load_rules
from redmine_sync.rules.engine import start_state
from redmine_sync.rules.online import LOOKUPS
from redmine_sync.rules.online import check_names
from redmine_sync.rules.sla_policy import Policy
from redmine_sync.rules.sla_stage import clocks_for
from redmine_sync.rules.sla_stage import policy_for
from redmine_sync.rules.state import World
from redmine_sync.sla.clock import MetricClock
from redmine_sync.sla_facts import Held
from redmine_sync.sla_facts import Reads
from redmine_sync.sla_facts import clocked
from redmine_sync.sla_facts import staff_and_bot
from redmine_sync.sla_facts import with_sla_facts
from redmine_sync.spool import Spool
from redmine_sync.store import StateStore

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=2)  # re-read a little before the cursor: clock and commit skew


@dataclass(frozen=True)
class Snapshot:
    """What one run read: the issues to evaluate, and the world they are evaluated in.
    ``wake_basis``/``whole``: what the index of due instants holds to (wakes.py), and
    whether every open issue is among the issues."""

    issues: tuple[Issue, ...]
    world: World
    in_scope: int
    deleted: tuple[int, ...] = ()
    wake_basis: str | None = None
    whole: bool = True


@dataclass(frozen=True)
class RunResult:
    plan: Plan
    applied: ApplyResult | None = None
    deleted: tuple[int, ...] = ()
    notes: tuple[str, ...] = field(default=())
    held: Held | None = None   # the journals the run holds: for the reports published next


def load_ruleset(config: Config) -> RuleSet:
    return load_rules([config.rules_dir])


def scope_of(config: Config, project: str | None) -> tuple[str | None, ...]:
    return (project,) if project else config.projects or (None,)


def read_snapshot(client: RedmineClient, config: Config, ruleset: RuleSet, now: datetime,
                  projects: Sequence[str | None], store: StateStore | None = None,
                  full: bool = True, reads: Reads | None = None, due_only: bool = False,
                  held: Held | None = None) -> Snapshot:
    """Pull what changed (or everything), refresh the cache, build the world of the scope.

    With SLA clocks, the open issues are evaluated too: every one of them, or with
    ``due_only`` (a plan of the whole scope) only those whose next threshold instant has
    come (wakes.py); when nothing changed and nothing is due, the cache is not even read.
    ``reads``: keeps the journal reads for apply (sla_facts.Reads); ``held``: the
    journals this run holds (sla_facts.Held), taken from there and added to it."""
    scope = _scope_key(projects)
    if store is not None:
        _rebuilt(client, store)
    since = None if full or store is None else store.cursor(scope)
    since = since - OVERLAP if since else None
    fresh = _listed(client, projects, since)
    if store is not None and _reissued(client, store, fresh, since is not None):
        since = None  # the cursor is the old Redmine's: its issues may all be older
        fresh = _listed(client, projects, since)
        _reissued(client, store, fresh, False)
    todo = set(fresh)
    deleted: tuple[int, ...] = ()
    everything = fresh
    timed: set[int] | None = None  # unchanged issues due by time; None: every open one
    key = None
    if store is not None:
        known = store.issue_stamps()
        if since is None:  # a full pass read every issue: the cache adds only what it knows
            deleted = tuple(sorted(set(known) - todo))
        with store.transaction():  # the cache is refreshed whole or not at all
            store.cache_issues(fresh.values(), known)
            store.forget_issues(deleted)
        if ruleset.sla is not None and due_only:
            key = wakes.basis(ruleset, config, *staff_and_bot(client, ruleset, projects,
                                                               store, now))
            timed = wakes.due(store, now, key) if since is not None else None
            if timed is not None:
                timed |= {issue_id for issue_id, *_ in store.intents()}
                # listed again only because of the overlap: unchanged, so not new work
                todo = {i for i in todo if known.get(i) != fresh[i].updated_on.isoformat()}
        if since is None:
            everything = {i.id: i for i in store.with_activity(fresh.values())}
        elif timed is not None and not todo and not timed:  # nothing changed, nothing due
            return _quiet(client, config, ruleset, now, projects, store, len(known), key)
        else:
            fresh.clear()  # one copy of the issues in memory, not two
            everything = {i.id: i for i in store.cached_issues()}
    talks = ruleset.sla is not None or bool(ruleset.journal_fields)
    if talks:  # SLA thresholds and waiting times are reached with time, not only updates
        todo |= {i.id for i in everything.values() if not i.is_closed} if timed is None \
            else timed & everything.keys()
    changed = tuple(sorted((everything[i] for i in todo), key=lambda i: (i.updated_on, i.id)))
    world = _world(client, config, ruleset, now, list(everything.values()), projects, store)
    if talks:
        world = with_sla_facts(client, ruleset, world, clocked(ruleset, changed, world),
                               projects, store, reads, held)
    return Snapshot(changed, world, len(everything), deleted, key, timed is None)


def _listed(client: RedmineClient, projects: Sequence[str | None],
            since: datetime | None) -> dict[int, Issue]:
    return {i.id: i for p in projects for i in client.iter_issues(project=p,
                                                                 updated_since=since)}


def _rebuilt(client: RedmineClient, store: StateStore) -> None:
    """A Redmine rebuilt behind the same URL (the bot's account was created anew): what
    the state knew of the old one is dropped, with a warning, and every issue read."""
    me = client.current_user()
    with store.transaction():
        was = store.rebuilt(me)
        if was is not None:
            store.forget_instance()
    if was is not None:
        log.warning("the Redmine at %s is not the one the state file %s describes: the bot's "
                    "account %s was created at %s, now at %s (the Redmine was rebuilt); "
                    "what the state held of its issues (fields the tool set, SLA thresholds "
                    "fired, notes due, cache, cursor, lookups, published reports) was "
                    "dropped, every issue in scope is read again; the runs and the ledger are "
                    "kept", client.url, store.path, me.login, was.split(" ", 1)[1],
                    me.created_on.isoformat() if me.created_on else "")


def _reissued(client: RedmineClient, store: StateStore, fresh: dict[int, Issue],
              incremental: bool) -> bool:
    """Whether the list shows issues under ids the store knew as other issues (another
    ``created_on``): the Redmine was rebuilt or restored from a backup. What the store held
    of those ids is dropped (store.reissued), and a warning says so."""
    ids = store.reissued(fresh.values())
    if ids:
        shown = ", ".join(f"#{i}" for i in ids[:10]) + (", ..." if len(ids) > 10 else "")
        log.warning("%d issue(s) at %s are not the issues the state file %s knew under their "
                    "ids (another created_on: the Redmine was rebuilt or restored from a "
                    "backup): what it held of them (fields the tool set, SLA thresholds "
                    "fired, notes due, cached data) was dropped: %s%s", len(ids), client.url,
                    store.path, shown, "; every issue in scope is read again" if incremental
                    else "")
    return bool(ids)


def _quiet(client: RedmineClient, config: Config, ruleset: RuleSet, now: datetime,
           projects: Sequence[str | None], store: StateStore, in_scope: int,
           key: str | None) -> Snapshot:
    """Nothing changed and no clock is due: nothing to evaluate, no world to build."""
    world = with_sla_facts(client, ruleset, _world(client, config, ruleset, now, [],
                                                   projects, store), (), projects, store)
    return Snapshot((), world, in_scope, (), key, False)


def _world(client: RedmineClient, config: Config, ruleset: RuleSet, now: datetime,
           issues: list[Issue], projects: Sequence[str | None],
           store: StateStore | None) -> World:
    closed = remembered(store, "closed_statuses", now, lambda: [
        n.name for n in client.catalog().statuses.items if n.is_closed])
    priorities = remembered(store, "priorities", now, lambda: [  # lowest first, as listed
        n.name for n in client.catalog().priorities.items])
    teams = {team: tuple(remembered(store, f"team:{team}", now,
                                    partial(_members, client, team, projects)))
             for team in ruleset.teams}
    mails = {}
    if ruleset.customers.identify == "email_domain":
        mails = {i.author.id: client.user(i.author.id).mail for i in issues}
    world = replace(build_world(ruleset, issues, now, fields=config.fields, teams=teams,
                                closed_statuses=closed, priorities=priorities,
                                author_mails=mails),
                    markup=config.text_formatting, change_control=config.change_control)
    if store is None:
        return world
    return replace(world, owned=store.owned(), undone=store.undone(),
                   pointers={t: store.pointer(t) for t in ruleset.teams},
                   sla_fired=store.sla_fired())


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
    problems = check_names(ruleset, client.catalog(), config.fields, kinds=tuple(LOOKUPS))
    if problems:
        raise UserError(f"the rules name {len(problems)} thing(s) {client.url} does not have",
                        problems, hint="fix the rules, or create them in Redmine "
                        "(Administration > Issue statuses / Enumerations / Trackers); "
                        "redmine-sync validate --online lists every name")


def _plan(client: RedmineClient, config: Config, now: datetime,
          projects: Sequence[str | None], issue_id: int | None, store: StateStore | None,
          full: bool, each: Callable[[IssuePlan], None] | None = None,
          ruleset: RuleSet | None = None, reads: Reads | None = None,
          held: Held | None = None) -> tuple[Plan, Snapshot]:
    ruleset = ruleset or load_ruleset(config)
    check_rule_names(ruleset, client, config)
    snapshot = read_snapshot(client, config, ruleset, now, projects, store, full, reads,
                             due_only=issue_id is None, held=held)
    issues = snapshot.issues
    if issue_id is not None:
        issues = tuple(i for i in issues if i.id == issue_id)
        if not issues:
            raise UserError(f"issue #{issue_id} is not in scope "
                            f"(projects: {', '.join(p or 'all' for p in projects)})")
    if store is not None and ruleset.sla is None:
        store.clear_sla_states()
    found = renewals.gathered(client, config, ruleset, snapshot.issues, snapshot.world,
                              store, issue_id)
    if store is None or ruleset.sla is None or issue_id is not None:
        join = renewals.Join(found, each)
        plan = evaluate(ruleset, issues, snapshot.world, each=join.each)
        return join.joined(plan), snapshot
    planned: set[int] = set()
    woken: dict[int, datetime | None] = {}
    states: dict[int, tuple[str, str]] = {}

    def seen(item: IssuePlan) -> None:
        planned.add(item.issue_id)
        if each is not None:
            each(item)

    join = renewals.Join(found, seen if each else None)   # the reminders, to their issues
    plan = evaluate(ruleset, issues, snapshot.world, each=join.each, woken=woken,
                    sla_states=states)
    plan = join.joined(plan)
    store.set_sla_states(states, [i.id for i in issues if i.id not in states]
                         + list(snapshot.deleted))
    planned |= {i.issue_id for i in plan.issues}
    wakes.record(store, snapshot.wake_basis, issues, now, planned, woken,
                 whole=snapshot.whole)
    if snapshot.wake_basis is not None:  # the next instant of every open issue, not only these
        plan = replace(plan, next_wake=store.next_wake())
    return plan, snapshot


def apply_run(client: RedmineClient, config: Config, store: StateStore,
              clock: Callable[[], datetime], *, project: str | None = None,
              full: bool = False, yes: bool = False, max_changes: int | None = None,
              stop: Callable[[], bool] = lambda: False,
              on_plan: Callable[[Plan, Iterable[IssuePlan]], None] = lambda plan, issues: None,
              ruleset: RuleSet | None = None) -> RunResult:
    """One write run: recover, plan, breaker, apply, advance the cursor. Hold the lock.

    The plan streams into apply through a spool (spool.py): every issue plan goes to disk
    as it is decided, the breaker counts the changed ones, and apply reads them back one
    at a time. ``on_plan``: the plan's totals and its issue plans, before the breaker.
    ``ruleset``: rules already loaded (the daemon keeps the last good ones)."""
    projects = scope_of(config, project)
    markup.check(config.text_formatting, client.text_formatting())
    now = clock()
    run_id = store.start_run("apply", now)
    plan: Plan | None = None
    # the SLA pass's journal reads double as the reads before the writes, while the
    # issue list shows no change since
    reads = Reads(client.updated_on)
    held = Held()    # and its journals serve the reports published after the run
    with recorded_run(store, run_id, clock, lambda: plan.changed_count if plan else 0), \
            Spool(store.path.parent) as spool:
        plan, snapshot = _plan(client, config, now, projects, None, store, full,
                               each=spool.add, ruleset=ruleset, reads=reads, held=held)
        recovered = recover_intents(store, {i.id: i for i in snapshot.issues}, run_id, now,
                                    config.fields)
        on_plan(plan, spool)
        check_breaker(spool.changed, config.limits, in_scope=snapshot.in_scope,
                      max_changes=max_changes, yes=yes, held=store.held_failures())
        writing = [issue_id for issue_id, _ in spool.changed] if len(reads) else []
        reads.will_write(writing)
        listed = {i.id: i for i in snapshot.issues if i.id in reads}
        result = apply_plan(spool.writes(), client, store, run_id, fields=config.fields,
                            write_cap=config.limits.write_cap, clock=clock, stop=stop,
                            markup=config.text_formatting,
                            read=lambda issue_id: reads.before_write(
                                listed[issue_id], snapshot.world.journals.get(issue_id))
                            if issue_id in listed else None)
        sent, failed = send_due_notes(client, store, run_id, clock)  # left by a killed run
        recovered, result = recovered + sent, replace(result, outcomes=result.outcomes + failed)
    deferred = result.count("deferred", "skipped", "pending")
    done = {o.issue_id for o in result.outcomes if o.status in ("written", "partial")}
    pending = result.count("pending")
    with store.transaction():  # the run's end: pointers, fired marks, cursor, its record
        for team, turn in plan.pointers.items():
            store.set_pointer(team, turn)
        for issue_id, empty, marks in spool.marks:
            if empty or issue_id in done:
                for mark in marks:
                    store.fire(issue_id, mark.policy, mark.key, run_id)
        if not result.failed and not deferred:
            newest = max((i.updated_on for i in snapshot.issues), default=None)
            cursor = store.cursor(_scope_key(projects))
            if newest is not None and (cursor is None or newest > cursor):  # never back
                store.set_cursor(_scope_key(projects), newest)
        store.finish_run(run_id, clock(), "failed" if result.failed else "ok",
                         planned=plan.changed_count,
                         written=result.count("written", "partial"),
                         skipped=deferred, failed=result.failed,
                         message=f"{pending} pending on a failure reported before" if pending
                         else "")
    return RunResult(plan, result, snapshot.deleted, recovered, held)


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
               issue_id: int | None = None
               ) -> list[tuple[Issue, Policy, tuple[MetricClock, ...]]]:
    """(issue, policy, clocks) for one issue or every open issue under an SLA policy."""
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

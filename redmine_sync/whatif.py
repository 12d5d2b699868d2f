"""SLA what-if: the history of the issues in scope replayed under two rule sets, side by side.

Each issue's clocks are rebuilt from its journals (as ``sla`` and the reports do) under the
current rules and under proposed ones; every threshold the clocks reached is applied to the
issue as it came in, so what each rule set would have done shows: breaches, escalations
(a threshold that reassigns or raises the priority), notes. ``read_issues`` is the only part
that reads Redmine (through the cache); ``replay`` and ``compare`` are pure. Nothing is
written to Redmine.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime

from redmine_sync.changes import Change
from redmine_sync.config import Config
from redmine_sync.errors import UserError
from redmine_sync.model import Issue
from redmine_sync.redmine import RedmineClient
from redmine_sync.reports.build import percent
from redmine_sync.reports.data import Ratio
from redmine_sync.reports.data import attainment
from redmine_sync.rules import RuleSet
from redmine_sync.rules.actions import Fired
from redmine_sync.rules.engine import customer_of
from redmine_sync.rules.sla_policy import Policy
from redmine_sync.rules.sla_policy import SlaConfig
from redmine_sync.rules.sla_stage import clocks_for
from redmine_sync.rules.sla_stage import policy_for
from redmine_sync.rules.state import Analysis
from redmine_sync.rules.state import IssueState
from redmine_sync.rules.state import World
from redmine_sync.rules.state import initial_values
from redmine_sync.sla.clock import MetricClock
from redmine_sync.sla.timeline import replay as replay_journals
from redmine_sync.sla.view import when
from redmine_sync.sla_facts import with_sla_facts
from redmine_sync.store import StateStore
from redmine_sync.sync import read_snapshot

ESCALATING = ("assigned_to", "priority")   # a threshold changing one of these escalates


@dataclass(frozen=True)
class Reached:
    """One threshold a clock reached, and what its actions would have done."""

    metric: str
    cycle: int
    threshold: str
    changes: tuple[Change, ...]
    notes: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.metric}#{self.cycle}@{self.threshold}"

    @property
    def escalates(self) -> bool:
        return any(c.field in ESCALATING for c in self.changes)


@dataclass(frozen=True)
class Outcome:
    """One issue under one rule set: its policy, clocks and the thresholds they reached."""

    issue_id: int
    subject: str
    tier: str
    priority: str
    policy: str | None
    clocks: tuple[MetricClock, ...]
    reached: tuple[Reached, ...]

    @property
    def breaches(self) -> tuple[MetricClock, ...]:
        return tuple(c for c in self.clocks if c.breached)

    @property
    def summary(self) -> str:
        """What happened, in a few words: 'breached first_response#1', 'met, reached
        first_response#1@50%', 'running', 'no policy'."""
        if self.policy is None:
            return "no policy"
        breached = [f"{c.metric}#{c.cycle}" for c in self.breaches]
        if breached:
            return "breached " + ", ".join(breached)
        timed = [c for c in self.clocks if c.target is not None]
        state = "running" if any(c.open for c in timed) else "met" if timed else "no target"
        reached = [r.key for r in self.reached]
        return f"{state}, reached {', '.join(reached)}" if reached else state

    def signature(self) -> tuple[object, ...]:
        return (self.policy, tuple(f"{c.metric}#{c.cycle}" for c in self.breaches),
                tuple(r.key for r in self.reached))


@dataclass(frozen=True)
class Side:
    """Every issue's outcome under one rule set."""

    outcomes: Mapping[int, Outcome]

    def clocks(self, issues: Iterable[Outcome] | None = None) -> list[MetricClock]:
        chosen = self.outcomes.values() if issues is None else issues
        return [c for o in chosen for c in o.clocks]

    def attainment(self, issues: Iterable[Outcome] | None = None) -> Ratio:
        """Clocks met on time / (met on time + breached), as the KPI page counts them."""
        return attainment(self.clocks(issues))

    def attainment_by(self, key: str) -> dict[str, Ratio]:
        groups: dict[str, list[Outcome]] = {}
        for outcome in sorted(self.outcomes.values(), key=lambda o: o.issue_id):
            groups.setdefault(getattr(outcome, key) or "-", []).append(outcome)
        return {name: self.attainment(group) for name, group in sorted(groups.items())}

    def breaches(self) -> list[tuple[Outcome, MetricClock]]:
        return [(o, c) for o in self._ordered() for c in o.breaches]

    def reached(self) -> list[tuple[Outcome, Reached]]:
        return [(o, r) for o in self._ordered() for r in o.reached]

    def escalations(self) -> list[tuple[Outcome, Reached]]:
        return [(o, r) for o, r in self.reached() if r.escalates]

    def notes(self) -> list[tuple[Outcome, Reached, str]]:
        return [(o, r, n) for o, r in self.reached() for n in r.notes]

    def _ordered(self) -> list[Outcome]:
        return sorted(self.outcomes.values(), key=lambda o: o.issue_id)


@dataclass(frozen=True)
class WhatIf:
    now: datetime
    since: datetime | None
    current: Side
    proposed: Side

    def changed(self) -> list[tuple[Outcome, Outcome]]:
        """Issues whose outcome differs: policy, breaches or thresholds reached."""
        out = []
        for issue_id in sorted(self.current.outcomes):
            old, new = self.current.outcomes[issue_id], self.proposed.outcomes[issue_id]
            if old.signature() != new.signature():
                out.append((old, new))
        return out

    def new_breaches(self) -> list[tuple[Outcome, MetricClock]]:
        """Breaches under the proposed rules that the current ones do not have."""
        return _only(self.proposed, self.current)

    def gone_breaches(self) -> list[tuple[Outcome, MetricClock]]:
        """Breaches under the current rules that the proposed ones avoid."""
        return _only(self.current, self.proposed)


def _only(side: Side, other: Side) -> list[tuple[Outcome, MetricClock]]:
    seen = {(o.issue_id, c.metric, c.cycle) for o, c in other.breaches()}
    return [(o, c) for o, c in side.breaches() if (o.issue_id, c.metric, c.cycle) not in seen]


# -- the replay (pure) ------------------------------------------------------------------------


def replay(sla: SlaConfig | None, issues: Sequence[Issue], world: World) -> Side:
    """Each issue's clocks at ``world.now`` and the thresholds they reached, under ``sla``.

    The policy is the one that covered the issue when it came in (as the reports choose
    it); the thresholds act on the issue as it came in, in the order they were reached."""
    outcomes = {}
    for issue in issues:
        moments = replay_journals(issue, world.fields)
        first = {**initial_values(issue, world.fields), **moments[0].values}
        state = IssueState(issue, first, customer_of(issue, world), Analysis())
        policy = policy_for(sla, state, world) if sla is not None else None
        clocks: tuple[MetricClock, ...] = ()
        reached: tuple[Reached, ...] = ()
        if sla is not None and policy is not None:
            clocks = clocks_for(policy, sla, issue, world)[0]
            reached = _reached(policy, clocks, state, world)
        outcomes[issue.id] = Outcome(issue.id, issue.subject, str(issue.cf(world.fields.tier)
                                                                  or ""),
                                     issue.priority, policy.name if policy else None, clocks,
                                     reached)
    return Side(outcomes)


def _reached(policy: Policy, clocks: tuple[MetricClock, ...], state: IssueState, world: World
             ) -> tuple[Reached, ...]:
    found = []
    crossings = sorted(((c.started, c.metric, c.cycle, t.at, c, t) for c in clocks
                        for t in policy.thresholds), key=lambda row: row[:4])
    for _, _, _, _, clock, threshold in crossings:
        fraction = clock.fraction()
        if fraction is None or fraction < threshold.at or _met_in_time(clock, threshold.at):
            continue
        reason = (f"SLA {policy.name}: {clock.metric.replace('_', ' ')} at {fraction:.0%} of "
                  f"{(clock.target or 0) / 3600:g} h (threshold {threshold.label})")
        fired = Fired(f"sla:{policy.name}", reason)
        before = len(state.changes), len(state.notes)
        for action in threshold.actions:
            state = action(state, world, fired)
        changes = state.changes[before[0]:]
        notes = tuple(n.text for n in state.notes[before[1]:])
        found.append(Reached(clock.metric, clock.cycle, threshold.label, changes, notes))
    return tuple(found)


def _met_in_time(clock: MetricClock, at: float) -> bool:
    """A clock stopped on time, right at or before a threshold, never reached it."""
    return clock.state not in ("running", "paused") and not clock.breached and \
        (clock.fraction() or 0) <= at


def shown(change: Change) -> str:
    """'priority: Normal -> Urgent'."""
    return f"{change.field}: {_shown(change.old)} -> {_shown(change.new)}"


def _shown(value: object) -> str:
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(map(str, value)) + "]"
    return "-" if value in (None, "") else str(value)


def compare(current: RuleSet, proposed: RuleSet, issues: Sequence[Issue], world: World,
            since: datetime | None = None) -> WhatIf:
    """Both rule sets over the same issues and facts (each with its own customers file)."""
    chosen = [i for i in issues if since is None or i.created_on >= since]
    return WhatIf(world.now, since,
                  replay(current.sla, chosen, replace(world, customers=current.customers)),
                  replay(proposed.sla, chosen, replace(world, customers=proposed.customers)))


# -- reading (the cache first; never writes to Redmine) ----------------------------------------


def read_issues(client: RedmineClient, config: Config, store: StateStore, now: datetime,
                current: RuleSet, proposed: RuleSet) -> tuple[tuple[Issue, ...], World]:
    """Every issue in scope with its journals, and the world with the SLA facts."""
    facts = proposed if proposed.sla is not None else current
    if facts.sla is None:
        raise UserError("neither the current nor the proposed rules have an SLA policy",
                        hint="add a kind: sla file to the proposed rules directory "
                        "(see docs/sla.md)")
    projects = config.projects or (None,)
    snapshot = read_snapshot(client, config, current, now, projects, store, full=False)
    everything = store.cached_issues()
    world = with_sla_facts(client, facts, snapshot.world, everything, projects, store)
    issues = tuple(replace(i, journals=world.journals.get(i.id, ()))
                   for i in sorted(everything, key=lambda i: i.id))
    return issues, world


# -- showing it ---------------------------------------------------------------------------------


def _ratio(ratio: Ratio) -> str:
    return f"{percent(ratio.value)} ({ratio.num}/{ratio.den})" if ratio.value is not None \
        else "n/a"


def _clock(clock: MetricClock, zone: str) -> str:
    target = f"{clock.target / 3600:g} h" if clock.target is not None else "no target"
    return (f"{clock.metric}#{clock.cycle} breached {when(clock.breached_at, zone)} "
            f"(target {target})")


def render_text(result: WhatIf, proposed_name: str, zone: str = "UTC") -> list[str]:
    """Side by side: figures, then the lists (breaches gained and avoided, escalations and
    notes only one side has, issues whose outcome changes); instants in ``zone``."""
    cur, new = result.current, result.proposed
    since = f", created since {when(result.since, zone)}" if result.since else ""
    head = (f"what-if at {when(result.now, zone)}: {len(cur.outcomes)} issue(s){since}; "
            f"current rules vs {proposed_name}. Nothing is written.")
    lines = [head, ""]
    rows: list[tuple[str, object, object]] = [
        ("SLA attainment", _ratio(cur.attainment()), _ratio(new.attainment()))]
    for key, title in (("tier", "tier"), ("priority", "priority")):
        groups = {**dict.fromkeys(cur.attainment_by(key)), **dict.fromkeys(new.attainment_by(key))}
        a, b = cur.attainment_by(key), new.attainment_by(key)
        rows += [(f"  {title} {g}", _ratio(a.get(g, Ratio(0, 0))),
                  _ratio(b.get(g, Ratio(0, 0)))) for g in groups]
    rows += [("breaches", len(cur.breaches()), len(new.breaches())),
             ("escalations", len(cur.escalations()), len(new.escalations())),
             ("notes posted", len(cur.notes()), len(new.notes())),
             ("thresholds reached", len(cur.reached()), len(new.reached()))]
    width = max(len(r[0]) for r in rows)
    lines.append(f"{'':<{width}}  {'current':<20}  proposed")
    lines += [f"{name:<{width}}  {a!s:<20}  {b}" for name, a, b in rows]
    gained, avoided = result.new_breaches(), result.gone_breaches()
    lines += ["", f"breaches only under the proposed rules ({len(gained)}):"]
    lines += [f"  #{o.issue_id} {_clock(c, zone)}  {o.subject}" for o, c in gained] or ["  none"]
    lines += ["", f"breaches the proposed rules avoid ({len(avoided)}):"]
    lines += [f"  #{o.issue_id} {_clock(c, zone)}  {o.subject}" for o, c in avoided] or ["  none"]
    for title, mine, theirs in (("escalations", new.escalations(), cur.escalations()),
                                ("notes", new.reached(), cur.reached())):
        known = {(o.issue_id, r.key) for o, r in theirs}
        extra = [(o, r) for o, r in mine if (o.issue_id, r.key) not in known
                 and (r.notes if title == "notes" else True)]
        lines += ["", f"{title} only under the proposed rules ({len(extra)}):"]
        lines += [f"  #{o.issue_id} {r.key}: " + "; ".join(
            map(html.unescape, r.notes) if title == "notes" else [shown(c) for c in r.changes])
            for o, r in extra] or ["  none"]
    changed = result.changed()
    lines += ["", f"issues whose outcome changes ({len(changed)}):"]
    lines += [f"  #{a.issue_id} {a.summary} -> {b.summary}  {a.subject}" for a, b in changed] \
        or ["  none"]
    return lines


def as_json(result: WhatIf) -> dict[str, object]:
    """The same as the text, as data (documented in docs/sla.md)."""
    return {
        "format": 1, "now": result.now.isoformat(),
        "since": result.since.isoformat() if result.since else None,
        "current": _side_json(result.current), "proposed": _side_json(result.proposed),
        "new_breaches": [_breach_json(o, c) for o, c in result.new_breaches()],
        "avoided_breaches": [_breach_json(o, c) for o, c in result.gone_breaches()],
        "changed": [{"issue": a.issue_id, "subject": a.subject, "current": a.summary,
                     "proposed": b.summary} for a, b in result.changed()],
    }


def _ratio_json(ratio: Ratio) -> dict[str, object]:
    return {"met": ratio.num, "total": ratio.den,
            "percent": round(ratio.value * 100, 1) if ratio.value is not None else None}


def _side_json(side: Side) -> dict[str, object]:
    return {
        "issues": len(side.outcomes),
        "attainment": _ratio_json(side.attainment()),
        "by_tier": {k: _ratio_json(v) for k, v in side.attainment_by("tier").items()},
        "by_priority": {k: _ratio_json(v) for k, v in side.attainment_by("priority").items()},
        "breaches": [_breach_json(o, c) for o, c in side.breaches()],
        "escalations": [{"issue": o.issue_id, "threshold": r.key,
                         "changes": [shown(c) for c in r.changes]}
                        for o, r in side.escalations()],
        "notes": [{"issue": o.issue_id, "threshold": r.key, "text": text}
                  for o, r, text in side.notes()],
    }


def _breach_json(outcome: Outcome, clock: MetricClock) -> dict[str, object]:
    return {"issue": outcome.issue_id, "subject": outcome.subject, "metric": clock.metric,
            "cycle": clock.cycle, "breached_at": clock.breached_at.isoformat()
            if clock.breached_at else None, "target_hours": clock.target / 3600
            if clock.target is not None else None}

"""The SLA stage: after routing, each issue's clocks -> threshold actions, due time, state.

Pure: clocks are rebuilt from the issue's journals each time (no counters that drift), so
a changed policy or calendar recomputes issues already in flight. Each threshold fires once
per metric and cycle: the marks of what already fired come from the state store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime

from redmine_sync.changes import Change
from redmine_sync.changes import SlaMark
from redmine_sync.model import Issue
from redmine_sync.model import Ref
from redmine_sync.rules.actions import Fired
from redmine_sync.rules.conversation import along
from redmine_sync.rules.conversation import speaker
from redmine_sync.rules.sla_policy import Policy
from redmine_sync.rules.sla_policy import SlaConfig
from redmine_sync.rules.state import Analysis
from redmine_sync.rules.state import IssueState
from redmine_sync.rules.state import World
from redmine_sync.sla.clock import BusinessCalendar
from redmine_sync.sla.clock import ClockRules
from redmine_sync.sla.clock import MetricClock
from redmine_sync.sla.clock import compute
from redmine_sync.sla.timeline import replay
from redmine_sync.sla.view import when


@dataclass(frozen=True)
class SlaResult:
    policy: Policy
    clocks: tuple[MetricClock, ...]
    marks: tuple[SlaMark, ...]      # thresholds fired now
    next_wake: datetime | None      # the next threshold instant of a running clock


def policy_for(config: SlaConfig, state: IssueState, world: World) -> Policy | None:
    return config.policy_for(state, world)


def clocks_for(policy: Policy, config: SlaConfig, issue: Issue, world: World,
               decided: Mapping[str, object] | None = None
               ) -> tuple[tuple[MetricClock, ...], dict[str, BusinessCalendar]]:
    """Every metric's clock for one issue, from its journals, and the calendars used.

    ``decided``: the values this run's rules decided (tier, priority...); they are the
    values in force now, so the due time written is the one the next run computes too."""
    moments = replay(issue, world.fields)
    if decided and moments:
        last = moments[-1]
        keep = ("tier", "priority", "labels")
        values = {**last.values, **{k: decided[k] for k in keep if k in decided}}
        moments = (*moments[:-1], replace(last, values=values))
    if policy.pauses_on_talk:
        moments = along(issue, moments, world)
    tier = str(moments[-1].values.get("tier") or "") if moments else ""
    calendars: dict[str, BusinessCalendar] = {
        "default": config.calendars[policy.calendar_for(tier)]}
    if policy.emergency and policy.emergency.calendar:
        calendars["emergency"] = config.calendars[policy.emergency.calendar]
    clocks = compute(issue, moments, _rules(policy, config, issue, world, calendars), calendars,
                     world.now)
    return clocks, calendars


def sla_stage(config: SlaConfig, state: IssueState, world: World) -> tuple[IssueState, SlaResult
                                                                           | None]:
    """Apply the thresholds reached and not yet fired; write due time and state fields."""
    policy = policy_for(config, state, world)
    if policy is None or state.issue.journals is None:
        return state, None
    clocks, calendars = clocks_for(policy, config, state.issue, world, state.values)
    marks: list[SlaMark] = []
    for clock in clocks:
        fraction = clock.fraction()
        if fraction is None:
            continue
        for threshold in policy.thresholds:
            mark = SlaMark(policy.name, clock.metric, clock.cycle, threshold.label)
            fired = (state.issue.id, policy.name, mark.key) in world.sla_fired
            if fraction >= threshold.at and not fired and not _met_before(clock, threshold):
                reason = (f"SLA {policy.name}: {clock.metric.replace('_', ' ')} at "
                          f"{fraction:.0%} of {_hours(clock.target)} (threshold "
                          f"{threshold.label})")
                for action in threshold.actions:
                    state = action(state, world, Fired(f"sla:{policy.name}", reason))
                marks.append(mark)
    state = _write_fields(config, state, clocks, policy)
    return state, SlaResult(policy, clocks, tuple(marks),
                            _next_wake(clocks, policy, world, calendars,
                                       config.write_state is not None))


def _met_before(clock: MetricClock, threshold: object) -> bool:
    """A clock stopped (met) before reaching a threshold, or right at it, never fires it
    (like the clock itself: met exactly at the target is not breached)."""
    return clock.state != "running" and clock.state != "paused" and not clock.breached and \
        (clock.fraction() or 0) <= getattr(threshold, "at", 0)


def _write_fields(config: SlaConfig, state: IssueState, clocks: tuple[MetricClock, ...],
                  policy: Policy) -> IssueState:
    running = [c for c in clocks if c.stopped is None and c.target is not None]
    due = min((c.due for c in running if c.due is not None), default=None)
    fired = Fired(f"sla:{policy.name}", "SLA due time and state")
    if config.write_due:
        text = when(due, config.write_timezone) if due else ""
        state = state.apply(Change.of(f"cf.{config.write_due}", text, fired.rule,
                                      fired.reason))
    if config.write_state:
        state = state.apply(Change.of(f"cf.{config.write_state}", state_name(clocks),
                                      fired.rule, fired.reason))
    return state


def state_name(clocks: tuple[MetricClock, ...]) -> str:
    """An issue's SLA state: breached, warning (an open clock at half its target or
    more), paused, running, or met (no open clock)."""
    open_clocks = [c for c in clocks if c.stopped is None and c.target is not None]
    if any(c.breached for c in open_clocks):
        return "breached"
    if any((c.fraction() or 0) >= 0.5 for c in open_clocks):
        return "warning"
    if open_clocks and all(c.state == "paused" for c in open_clocks):
        return "paused"
    return "running" if open_clocks else "met"


def _next_wake(clocks: tuple[MetricClock, ...], policy: Policy, world: World,
               calendars: Mapping[str, BusinessCalendar], state_written: bool = False
               ) -> datetime | None:
    """When the next threshold of a running clock will be reached (for the daemon, and
    the index of what is due): with ``state_written``, also when the state written
    turns "warning" (50 %) or "breached" (100 %)."""
    fractions = sorted({t.at for t in policy.thresholds} | ({0.5, 1.0} if state_written
                                                              else set()))
    times = []
    for clock in clocks:
        if clock.stopped is not None or clock.target is None or clock.breached:
            continue
        if clock.state == "paused":
            continue
        calendar = calendars.get("emergency" if clock.metric == "emergency" else "default",
                                 calendars["default"])
        for at in fractions:
            ahead = clock.target * at - clock.elapsed
            if ahead > 0:
                times.append(calendar.add(world.now, ahead))
    return min(times, default=None)


def _rules(policy: Policy, config: SlaConfig, issue: Issue, world: World,
           calendars: Mapping[str, BusinessCalendar]) -> ClockRules:
    def state(values: Mapping[str, object]) -> IssueState:
        return IssueState(issue, values, None, Analysis())

    def pause(values: Mapping[str, object]) -> str | None:
        for condition in policy.pause:
            if condition.holds(state(values), world):
                result = condition.explain(state(values), world)
                return "; ".join(result.because) or "paused"
        return None

    def staff(ref: Ref) -> bool:
        return speaker(ref, issue.author, world) == "staff"

    emergency = policy.emergency

    def target(metric: str, values: Mapping[str, object]) -> float | None:
        calendar = calendars.get("emergency" if metric == "emergency" else "default",
                                 calendars["default"])
        day = getattr(calendar, "day_seconds", 86400.0)
        if metric == "emergency" and emergency:
            return emergency.target.seconds(day)
        return policy.target(metric, values, world.fields.urgency, day)

    return ClockRules(
        start=lambda values: True,
        pause=pause,
        closed=lambda values: values.get("status") in world.closed_statuses,
        target=target,
        is_staff=staff,
        bot_id=world.bot_id,
        auto_reply=config.auto_replies,
        status_change_counts=policy.status_change_counts,
        emergency=(lambda values: emergency.when.holds(state(values), world))
        if emergency else None,
    )


def _hours(seconds: float | None) -> str:
    if seconds is None:
        return "no target"
    return f"{seconds / 3600:g} h"


__all__ = ["SlaResult", "clocks_for", "sla_stage"]

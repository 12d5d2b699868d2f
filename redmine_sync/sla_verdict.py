"""The verdict of a stopped SLA clock, kept as it was first seen.

A running clock follows today's policy: its target and due time change when the YAML
does. A stopped clock (response given, issue resolved or closed) has a verdict, met on time
or breached, and the reports keep it: the first time the tool computes a clock stopped, the
state store records its target, breach and a fingerprint of the policy that judged it;
later runs show that recorded verdict for as long as the clock stops at the same instant
(journals rewritten or a reopen make it another clock). So raising a target after a breach
leaves past compliance figures as they were published. Pure: the caller loads and saves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime

from redmine_sync.rules.sla_policy import Policy
from redmine_sync.sla.clock import MetricClock


@dataclass(frozen=True)
class Verdict:
    metric: str
    cycle: int
    stopped: datetime
    target: float | None
    breached: bool
    breached_at: datetime | None
    policy: str
    fingerprint: str


def fingerprint(policy: Policy) -> str:
    """A short digest of what judges a clock: the policy's name, calendar and targets."""
    targets = sorted((m, t, k, d) for m, by_tier in policy.targets.items()
                     for t, row in by_tier.items() for k, d in row.items())
    emergency = policy.emergency.target if policy.emergency else None
    text = repr((policy.name, policy.calendar, sorted(policy.calendars_by_tier.items()),
                 targets, emergency))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def settle(clocks: Iterable[MetricClock], recorded: Mapping[tuple[str, int], Verdict],
           policy: Policy) -> tuple[tuple[MetricClock, ...], tuple[Verdict, ...]]:
    """The clocks with each stopped one's recorded verdict, and the verdicts to record
    (stopped clocks seen for the first time, or stopped at another instant than recorded)."""
    out, new = [], []
    for clock in clocks:
        stopped = clock.stopped
        if stopped is not None:
            verdict = recorded.get((clock.metric, clock.cycle))
            if verdict is not None and verdict.stopped == stopped:
                clock = replace(clock, target=verdict.target, breached=verdict.breached,
                                breached_at=verdict.breached_at,
                                due=verdict.breached_at if verdict.breached else None)
            else:
                new.append(Verdict(clock.metric, clock.cycle, stopped, clock.target,
                                   clock.breached, clock.breached_at, policy.name,
                                   fingerprint(policy)))
        out.append(clock)
    return tuple(out), tuple(new)

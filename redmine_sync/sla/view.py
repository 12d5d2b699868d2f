"""Text for ``redmine-sync sla``: one issue's timeline, or the open issues nearest to breach."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from redmine_sync.model import Issue
from redmine_sync.sla.clock import MetricClock
from redmine_sync.table import Column
from redmine_sync.table import Styles
from redmine_sync.table import render


def hours(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else ""
    minutes = round(abs(seconds) / 60)
    return f"{sign}{minutes // 60}h{minutes % 60:02d}m"


def when(instant: datetime | None, zone: str = "UTC") -> str:
    """2026-11-20 17:00 Asia/Shanghai: sortable, in the team's time zone; "-" for none."""
    return f"{instant.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}" if instant else "-"


def render_timeline(issue: Issue, policy: Any, clocks: Sequence[MetricClock],
                    zone: str = "UTC") -> Iterator[str]:
    """One issue's clocks and their intervals, instants in ``zone``."""
    def at(instant: datetime | None) -> str:
        return when(instant, zone)

    yield f"#{issue.id} {issue.subject}"
    yield f"  policy: {policy.name}   status: {issue.status}   priority: {issue.priority}"
    for clock in clocks:
        state = "BREACHED" if clock.breached else clock.state
        yield (f"\n  {clock.metric.replace('_', ' ')} (cycle {clock.cycle}): {state}; "
               f"target {hours(clock.target)}, elapsed {hours(clock.elapsed)}, remaining "
               f"{hours(None if clock.target is None else clock.target - clock.elapsed)}")
        yield (f"    started {at(clock.started)}, due {at(clock.due)}"
               + (f", breached at {at(clock.breached_at)}" if clock.breached_at else "")
               + (f", stopped {at(clock.stopped)}" if clock.stopped else ""))
        for interval in clock.intervals:
            reason = f"  ({interval.reason})" if interval.reason else ""
            yield (f"    {interval.state:<8} {at(interval.start)} -> {at(interval.end)}"
                   f"{reason}")


AT_RISK = (Column("#", right=True), Column("used", right=True), Column("metric"),
           Column("remaining", right=True), Column("due"), Column("subject", give=1, least=20))


def render_at_risk(rows: Sequence[tuple[Issue, Any, Sequence[MetricClock]]], limit: int,
                   width: int | None = None, styles: Styles | None = None,
                   zone: str = "UTC") -> Iterator[str]:
    """Open clocks ordered by how much of their target is used, highest first: a table
    fitted to ``width`` terminal columns (None: no limit), due times in ``zone``, then how
    many are shown."""
    items = at_risk(rows)
    cells = [(str(issue.id), f"{fraction:.0%}", clock.metric, hours(_remaining(clock)),
              when(clock.due, zone), issue.subject) for fraction, issue, clock in items[:limit]]
    yield from render(AT_RISK, cells, width, styles)
    yield f"{min(len(items), limit)} of {len(items)} open clock(s) shown"


def at_risk(rows: Sequence[tuple[Issue, Any, Sequence[MetricClock]]]
            ) -> list[tuple[float, Issue, MetricClock]]:
    """(used fraction, issue, clock) of each open clock, the most used first."""
    items = []
    for issue, _policy, clocks in rows:
        for clock in clocks:
            fraction = clock.fraction()
            if clock.stopped is None and fraction is not None:
                items.append((fraction, issue, clock))
    items.sort(key=lambda row: (-row[0], row[1].id))
    return items


def at_risk_json(rows: Sequence[tuple[Issue, Any, Sequence[MetricClock]]], limit: int
                 ) -> dict[str, Any]:
    """``sla --at-risk --format json``."""
    items = at_risk(rows)
    return {"at_risk": [{"issue": issue.id, "subject": issue.subject, "metric": clock.metric,
                         "used": fraction, "remaining": _remaining(clock),
                         "due": _iso(clock.due)} for fraction, issue, clock in items[:limit]],
            "open_clocks": len(items)}


def timeline_json(issue: Issue, policy: Any, clocks: Sequence[MetricClock]) -> dict[str, Any]:
    """``sla ISSUE --format json``: times in ISO 8601, durations in seconds."""
    return {
        "issue": {"id": issue.id, "subject": issue.subject, "status": issue.status,
                  "priority": issue.priority},
        "policy": policy.name,
        "clocks": [{
            "metric": c.metric, "cycle": c.cycle, "state": c.state, "breached": c.breached,
            "target": c.target, "elapsed": c.elapsed, "remaining": _remaining(c),
            "used": c.fraction(), "started": _iso(c.started), "due": _iso(c.due),
            "breached_at": _iso(c.breached_at), "stopped": _iso(c.stopped),
            "intervals": [{"state": i.state, "start": _iso(i.start), "end": _iso(i.end),
                           "reason": i.reason or ""} for i in c.intervals],
        } for c in clocks],
    }


def _remaining(clock: MetricClock) -> float | None:
    return None if clock.target is None else clock.target - clock.elapsed


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant else None

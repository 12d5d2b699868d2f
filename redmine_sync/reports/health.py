"""Customer health: one score from 0 to 100 per customer, its trend and why it moved.

A pure function of the report's data (issues with their journals, SLA clocks, the
satisfaction field), the weights of the config (``reports.health``) and an instant. Five
components, each a number from 0 (trouble) to 1 (healthy), over a window of ``days``
before the instant:

- volume_trend: requests created in the window against the window before it; a surge
  lowers it: ``min(1, (before + 1) / (now + 1))``;
- kinds: the share of the window's requests that are not of a problem kind
  (``problem_kinds``, the Requirement type values that mean something is wrong);
- breaches: the SLA attainment of the clocks met or breached in the window;
- satisfaction: the answers of the issues closed in the window: a CSAT mean of 1-5 as
  ``(mean - 1) / 4``, an NPS as ``(nps + 100) / 200``;
- urgent_open: the customer's open issues of an urgent priority at the instant:
  ``1 / (1 + count)``.

A component without data (no request, no clock, no answer in the window) counts as 1:
nothing points at trouble. The score is ``100 * sum(weight * component) / sum(weight)``.
The trend compares it with the score one window earlier, computed the same way from the
issues as they were then (rebuilt from their journals); "why it moved" names the
components whose share of the score changed most.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from redmine_sync.config import HEALTH_COMPONENTS
from redmine_sync.model import Issue
from redmine_sync.reports.data import Period
from redmine_sync.reports.data import ReportInput
from redmine_sync.reports.data import attainment
from redmine_sync.reports.data import nps
from redmine_sync.reports.data import scores
from redmine_sync.reports.data import text_of
from redmine_sync.sla.timeline import as_of

MOVED = 0.5   # points: a component's change smaller than this does not explain a move


@dataclass(frozen=True)
class Component:
    """One part of the score: ``value`` from 0 to 1, ``points`` its share of the score
    (``100 * weight * value / sum of weights``); ``measure`` says what was counted."""

    name: str
    value: float
    points: float
    measure: str


@dataclass(frozen=True)
class Health:
    """A customer's score at ``at`` with its components (in ``HEALTH_COMPONENTS`` order)."""

    at: datetime
    components: tuple[Component, ...]

    @property
    def score(self) -> float:
        return sum(c.points for c in self.components)

    def points(self, name: str) -> float:
        return next(c.points for c in self.components if c.name == name)


@dataclass(frozen=True)
class Movement:
    """The score now, the score one window earlier, and the components that moved it
    most (name, change in points), largest change first."""

    now: Health
    before: Health

    @property
    def change(self) -> float:
        return self.now.score - self.before.score

    def why(self, limit: int = 2) -> list[tuple[str, float]]:
        changes = [(c.name, c.points - self.before.points(c.name))
                   for c in self.now.components]
        moved = [(name, delta) for name, delta in changes if abs(delta) >= MOVED]
        return sorted(moved, key=lambda nd: (-abs(nd[1]), HEALTH_COMPONENTS.index(nd[0])))[
            :limit]


def movement(inp: ReportInput, issues: Sequence[Issue]) -> Movement:
    """The customer's health now and one window before now."""
    days = timedelta(days=inp.health.days)
    earlier = inp.now - days
    then = [i for i in (as_of(i, inp.fields, earlier, inp.closed_statuses) for i in issues)
            if i is not None]
    return Movement(health(inp, issues, inp.now), health(inp, then, earlier))


def health(inp: ReportInput, issues: Sequence[Issue], at: datetime) -> Health:
    """The score at ``at`` of these issues (one customer's, as they were at ``at``)."""
    settings = inp.health
    window, previous = _window(inp, at, 0), _window(inp, at, 1)
    recent = [i for i in issues if window.holds(i.created_on)]
    before = [i for i in issues if previous.holds(i.created_on)]
    problems = [i for i in recent
                if text_of(i.cf(inp.fields.requirement_type)) in settings.problem_kinds]
    clocks = attainment((c for i in issues for c in inp.clocks_of(i)), window)
    closed = [i for i in issues if inp.is_closed(i) and window.holds(i.closed_on)]
    answers = scores(inp, closed)
    urgent = [i for i in issues if inp.is_open(i) and i.priority in settings.urgent_priorities]
    values = {
        "volume_trend": (min(1.0, (len(before) + 1) / (len(recent) + 1)),
                         f"{len(recent)}/{len(before)}"),
        "kinds": (1 - len(problems) / len(recent) if recent else 1.0,
                  f"{len(problems)}/{len(recent)}"),
        "breaches": (clocks.value if clocks.value is not None else 1.0,
                     f"{clocks.num}/{clocks.den}"),
        "satisfaction": (_satisfaction(inp, answers), f"n={len(answers)}"),
        "urgent_open": (1 / (1 + len(urgent)), str(len(urgent))),
    }
    weights = settings.weights
    total = sum(weights.values())
    return Health(at, tuple(
        Component(name, values[name][0], 100 * weights[name] * values[name][0] / total,
                  values[name][1]) for name in HEALTH_COMPONENTS))


def _window(inp: ReportInput, at: datetime, back: int) -> Period:
    """The ``days`` before ``at`` (``back`` windows earlier), half-open like every period."""
    days = timedelta(days=inp.health.days)
    end = at - back * days
    return Period(end - days, end, "")


def _satisfaction(inp: ReportInput, answers: Iterable[float]) -> float:
    values = list(answers)
    if not values:
        return 1.0
    if inp.satisfaction_scale == "nps":
        found = nps(values).score
        return 1.0 if found is None else (found + 100) / 200
    mean = sum(values) / len(values)
    return min(1.0, max(0.0, (mean - 1) / 4))

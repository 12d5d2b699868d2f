"""The value x cost matrix plus urgency -> a Redmine priority, with the score in the reason.

    prioritize:
      quadrants: {high/low: do-first, high/high: long-term, low/low: quick-win, low/high: defer}
      scores: {do-first: 3, long-term: 2, quick-win: 2, defer: 0}
      urgency: {urgent: 2, normal: 1, deferrable: 0}
      priorities: [{min: 5, priority: Immediate}, {min: 3, priority: High}, {min: 0, priority: Low}]
      label_quadrant: true

Issues without a value or cost are left alone; an unknown urgency counts 0 and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redmine_sync.changes import made_why
from redmine_sync.rules.source import Where
from redmine_sync.rules.state import IssueState
from redmine_sync.rules.state import World

KEYS = ("quadrants", "scores", "urgency", "priorities", "label_quadrant")


@dataclass(frozen=True)
class Matrix:
    quadrants: dict[str, str]
    scores: dict[str, float]
    urgency: dict[str, float]
    priorities: tuple[tuple[float, str], ...]
    label_quadrant: bool

    def decide(self, value: str, cost: str, urgency: str | None) -> tuple[str, str, str] | None:
        """(quadrant, priority, reason), or None when value or cost is unknown."""
        quadrant = self.quadrants.get(f"{value}/{cost}".casefold())
        if quadrant is None:
            return None
        base = self.scores.get(quadrant, 0)
        extra = self.urgency.get((urgency or "").casefold())
        total = base + (extra or 0)
        priority = next((p for low, p in self.priorities if total >= low), self.priorities[-1][1])
        urgency_text = f"{urgency} +{extra:g}" if extra is not None else "urgency unknown +0"
        reason = (f"{value} value, {cost} cost = {quadrant} ({base:g}), {urgency_text}, "
                  f"score {total:g}")
        return quadrant, priority, reason


def build_prioritize(params: Any, where: Where) -> Any:
    matrix = _matrix(params, where)
    if matrix is None:
        return None

    def run(state: IssueState, world: World, fired: Any) -> IssueState:
        value = state.get(f"cf.{world.fields.value}")
        cost = state.get(f"cf.{world.fields.cost}")
        if not isinstance(value, str) or not isinstance(cost, str):
            return state
        urgency = state.get(f"cf.{world.fields.urgency}")
        decided = matrix.decide(value, cost, urgency if isinstance(urgency, str) else None)
        if decided is None:
            return state
        quadrant, priority, reason = decided
        why = made_why(fired.rule, reason)
        state = state.change("priority", priority, why)
        if matrix.label_quadrant:
            others = set(matrix.quadrants.values()) - {quadrant}
            labels = (state.labels() - others) | {quadrant}
            state = state.change("labels", tuple(sorted(labels)), why)
        return state
    return run


def _matrix(params: Any, where: Where) -> Matrix | None:
    if not isinstance(params, dict):
        where.error("prioritize takes a mapping with quadrants, scores, urgency, priorities")
        return None
    ok = where.unknown_keys(params, KEYS)
    for key in ("quadrants", "scores", "priorities"):
        if key not in params:
            where.error(f"missing '{key}'", value=False)
            ok = False
    if not ok:
        return None
    priorities = _priorities(params["priorities"], where.at("priorities"))
    quadrants = _mapping(params["quadrants"], where.at("quadrants"), str)
    scores = _mapping(params["scores"], where.at("scores"), float)
    urgency = _mapping(params.get("urgency", {}), where.at("urgency"), float)
    if priorities is None or quadrants is None or scores is None or urgency is None:
        return None
    where.at("priorities").names("priority", *(p for _, p in priorities))
    if params.get("label_quadrant"):
        where.at("quadrants").names("label", *quadrants.values())
    for name in quadrants.values():
        if name not in scores:
            where.at("scores").error(f"no score for quadrant '{name}'")
            return None
    return Matrix({k.casefold(): v for k, v in quadrants.items()}, scores,
                  {k.casefold(): v for k, v in urgency.items()}, priorities,
                  bool(params.get("label_quadrant", False)))


def _mapping(data: Any, where: Where, kind: type) -> dict[str, Any] | None:
    if not isinstance(data, dict):
        where.error("expected a mapping")
        return None
    try:
        return {str(k): kind(v) for k, v in data.items()}
    except (TypeError, ValueError):
        where.error("expected numbers as values" if kind is float else "expected names")
        return None


def _priorities(data: Any, where: Where) -> tuple[tuple[float, str], ...] | None:
    if not isinstance(data, list) or not data:
        where.error("expected a list like [{min: 3, priority: High}, {min: 0, priority: Low}]")
        return None
    out = []
    for i, row in enumerate(data):
        if not isinstance(row, dict) or set(row) != {"min", "priority"}:
            where.at(i).error("each entry needs exactly min and priority")
            return None
        if not isinstance(row["min"], int | float) or isinstance(row["min"], bool):
            where.at(i).at("min").error(f"expected a number, got {row['min']!r}")
            return None
        out.append((float(row["min"]), str(row["priority"])))
    return tuple(sorted(out, key=lambda r: -r[0]))

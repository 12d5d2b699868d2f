"""SLA policies from YAML (``kind: sla`` in the rules directory), validated like rules.

    kind: sla
    calendars:
      office: {timezone: Asia/Shanghai, hours: {mon-fri: ["09:00-12:00", "13:00-18:00"]},
               holidays: {country: CN}}
      always: {always: true}
    staff: {roles: [Manager, Developer]}       # whose public notes are responses
    auto_replies: [自动回复, auto-reply, {regex: 'Ticket #[0-9]+ received'}]  # how they start
    write: {due: SLA due, state: SLA state}     # custom fields people sort and filter by
    policies:
      - name: customer-requests
        when: {customer: present}
        calendar: office
        calendars_by_tier: {strategic: always}
        pause_when: [{status: Feedback}, {labels: {contains: needs-info}}]
        targets:                                # metric -> tier (or default) -> urgency/priority
          first_response: {strategic: {urgent: 8h, normal: 24h}, default: {urgent: 24h}}
        emergency: {when: {labels: {contains: delay-risk}}, target: 2h, calendar: always}
        thresholds:
          - {at: 50%, then: [{add_labels: [sla-warning]}]}
          - {at: 100%, then: [{add_labels: [sla-breached]}, {set: {priority: Urgent}}]}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from functools import cached_property
from typing import Any
from typing import NamedTuple

from redmine_sync import schema as s
from redmine_sync.rules.actions import ActionFn
from redmine_sync.rules.actions import action_node
from redmine_sync.rules.actions import compile_action
from redmine_sync.rules.compile import compile_condition
from redmine_sync.rules.conditions import ALWAYS
from redmine_sync.rules.conditions import Condition
from redmine_sync.rules.conditions import fields_of
from redmine_sync.rules.conversation import FIELDS as CONVERSATION
from redmine_sync.rules.source import Where
from redmine_sync.rules.state import IssueState
from redmine_sync.rules.state import World
from redmine_sync.schema import did_you_mean
from redmine_sync.sla.calendar import CALENDAR
from redmine_sync.sla.calendar import Calendar
from redmine_sync.sla.calendar import parse_calendar

METRICS = ("first_response", "next_response", "resolution")
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
UNIT = {"s": 1, "m": 60, "h": 3600}   # d: a working day of the calendar, see Duration
DEFAULT_AUTO_REPLIES = ("自动回复", "自動回覆", "自动答复", "系统自动回复", "auto-reply",
                        "autoreply", "auto reply", "automatic reply", "auto-response",
                        "automatic response", "out of office", "out-of-office",
                        "this is an automatic", "this is an automated")
_LEADING = re.compile(r"^[\s\[\]【】()（）<>《》「」『』\"'“”‘’*_#~=:：-]*")  # noqa: RUF001


@dataclass(frozen=True)
class Threshold:
    at: float                      # fraction of the target: 0.5, 0.75, 1.0
    actions: tuple[ActionFn, ...]

    @property
    def label(self) -> str:
        return f"{self.at:.0%}"


@dataclass(frozen=True)
class Emergency:
    when: Condition
    target: Duration
    calendar: str | None


@dataclass(frozen=True)
class Policy:
    name: str
    when: Condition
    calendar: str
    calendars_by_tier: Mapping[str, str]
    pause: tuple[Condition, ...]
    targets: Mapping[str, Mapping[str, Mapping[str, Duration]]]
    thresholds: tuple[Threshold, ...]
    emergency: Emergency | None = None
    status_change_counts: bool = False

    def calendar_for(self, tier: str) -> str:
        """The calendar an issue of ``tier`` has its clocks run in."""
        return self.calendars_by_tier.get(tier, self.calendar)

    @cached_property
    def pauses_on_talk(self) -> bool:
        """A pause condition reads who spoke last: the clock replays the conversation."""
        return any(fields_of(c) & set(CONVERSATION) for c in self.pause)

    def target(self, metric: str, values: Mapping[str, object], urgency_field: str,
               day: float) -> float | None:
        """Seconds for a metric given the values in force: by tier, then urgency or priority.
        ``day``: business seconds in a working day of the clock's calendar (for ``d``)."""
        by_tier = self.targets.get(metric)
        if not by_tier:
            return None
        row = by_tier.get(str(values.get("tier") or "")) or by_tier.get("default") or {}
        for key in (values.get(f"cf.{urgency_field}"), values.get("priority"), "any"):
            if isinstance(key, str) and key in row:
                return row[key].seconds(day)
        return None


@dataclass(frozen=True)
class AutoReplies:
    """Automatic replies (out of office, acknowledgements) are recognised by how the note
    starts: one of ``prefixes`` (case-insensitive, after leading spaces, brackets, quotes
    and markup), or a ``patterns`` regex matching at its start. A note that only mentions
    such words later ("Fixed: the 'out of office' status...") is a real answer."""

    prefixes: tuple[str, ...] = DEFAULT_AUTO_REPLIES
    patterns: tuple[re.Pattern[str], ...] = ()

    def __call__(self, text: str) -> bool:
        head = _LEADING.sub("", text).casefold()
        return any(head.startswith(p.casefold()) for p in self.prefixes) or any(
            p.match(text.strip()) or p.match(head) for p in self.patterns)


@dataclass(frozen=True)
class SlaConfig:
    calendars: Mapping[str, Calendar] = field(default_factory=dict)
    policies: tuple[Policy, ...] = ()
    staff_roles: tuple[str, ...] = ()
    staff_groups: tuple[str, ...] = ()
    auto_replies: AutoReplies = AutoReplies()
    write_due: str | None = None
    write_state: str | None = None
    write_timezone: str = "UTC"      # the due time is written in this zone, with its name

    def policy_for(self, state: IssueState, world: World) -> Policy | None:
        """The first policy whose ``when`` holds for the issue (none: no clocks)."""
        return next((p for p in self.policies if p.when.holds(state, world)), None)

    def working_time(self, state: IssueState, world: World) -> Calendar | None:
        """The calendar the issue's clocks run in (its policy's, by its current tier), the
        first calendar when no policy covers it: where its working days are counted."""
        policy = self.policy_for(state, world)
        if policy is None:
            return next(iter(self.calendars.values()), None)
        return self.calendars[policy.calendar_for(str(state.get("tier") or ""))]


class Duration(NamedTuple):
    """A target as written: ``amount`` of ``unit`` (s, m, h, or d: a working day)."""

    amount: float
    unit: str

    def seconds(self, day: float) -> float:
        """In seconds of business time; ``day``: the business seconds of a working day of
        the calendar the clock runs in (``Calendar.day_seconds``)."""
        return self.amount * (day if self.unit == "d" else UNIT[self.unit])


def parse_duration(text: object) -> Duration:
    match = DURATION.match(str(text))
    if not match:
        raise ValueError(f"invalid duration {text!r}; use e.g. 30m, 24h, 2d (working days)")
    return Duration(float(match[1]), match[2])


DURATION_TEXT = s.Scalar((str,), "a duration", pattern=DURATION.pattern[1:-1],
                         example="24h (s, m, h, or d: working days)")
CONDITION = s.Anything(words="a condition", doc="a condition, as in rules (docs/rules.md)")


def declaration() -> s.Map:
    """What a ``kind: sla`` file may hold."""
    action = action_node()
    targets = s.MapOf(s.MapOf(DURATION_TEXT, doc="urgency or priority (or any): duration"),
                      doc="tier (or default): {urgency or priority: duration}")
    policy = s.Map({
        "name": s.text("the policy's name (in SLA marks and reports)"),
        "description": s.text("for people"),
        "when": replace(CONDITION, doc="the issues this policy covers (first match wins)"),
        "calendar": s.text("the calendar the clocks run in (a name under calendars)"),
        "calendars_by_tier": s.MapOf(s.text(), doc="tier: calendar, overriding calendar"),
        "pause_when": s.ListOf(CONDITION, doc="the clocks stop while one of these holds"),
        "targets": s.Map({m: replace(targets, doc=f"{m} targets") for m in METRICS},
                         doc="metric -> tier (or default) -> urgency or priority: duration"),
        "emergency": s.Map({"when": CONDITION,
                            "target": replace(DURATION_TEXT, doc="the target while it holds"),
                            "calendar": s.text("default: the policy's calendar")},
                           required=("when", "target"),
                           doc="a shorter target while a condition holds (the 2-hour notice)"),
        "thresholds": s.ListOf(s.Map({
            "at": s.Scalar((str,), "a percentage", pattern=r"\s*\d+(\.\d+)?\s*%\s*",
                           example="75%", doc="fraction of the target"),
            "then": s.ListOf(action, doc="the actions when a clock passes it")},
            required=("at", "then")), doc="what happens at 50 %, 75 %, 100 % of a target"),
        "status_change_counts": s.boolean("a status change by staff counts as a response",
                                          False),
    }, required=("name",), words="a policy (a mapping with name, calendar, targets...)")
    return s.Map({
        "kind": s.one_of(("sla",), "what the file holds"),
        "description": s.text("for people"),
        "calendars": s.MapOf(CALENDAR, doc="name: business calendar"),
        "staff": s.Map({"roles": s.ListOf(s.name(), doc="roles whose public notes respond"),
                        "groups": s.ListOf(s.name(), doc="groups whose public notes respond")},
                       doc="whose public notes are responses"),
        "auto_replies": s.ListOf(s.AnyOf((s.name(), s.Map({"regex": s.text()},
                                                          required=("regex",))),
                                         words="a text or {regex: PATTERN}"),
                                 doc="how automatic replies start (they are no response)"),
        "write": s.Map({"due": s.text("custom field that gets the due time"),
                        "state": s.text("custom field that gets the SLA state"),
                        "timezone": s.time_zone("the due time is written in this zone",
                                                "UTC")},
                       doc="custom fields people sort and filter by"),
        "policies": s.ListOf(policy, doc="SLA policies, first match wins"),
    })


def parse_sla(data: Mapping[str, Any], where: Where) -> SlaConfig:
    """A ``kind: sla`` file already checked against ``declaration()`` (values of a wrong
    shape taken out): the calendars, staff, auto replies, write fields and policies."""
    calendars = _calendars(data.get("calendars") or {}, where.at("calendars"))
    staff = data.get("staff") or {}
    write = data.get("write") or {}
    policies = tuple(p for i, row in enumerate(data.get("policies") or [])
                     if row is not None and
                     (p := _policy(row, where.at("policies", i), calendars)) is not None)
    return SlaConfig(calendars, policies, _names(staff.get("roles")), _names(staff.get("groups")),
                     _auto_replies(data.get("auto_replies"), where.at("auto_replies")),
                     write.get("due"), write.get("state"), write.get("timezone") or "UTC")


def _names(values: list[Any] | None) -> tuple[str, ...]:
    return tuple(str(v) for v in values or () if v is not None)


def _auto_replies(data: list[Any] | None, where: Where) -> AutoReplies:
    """Texts a note starts with, or {regex: ...} matched at its start; absent: the defaults."""
    if data is None:
        return AutoReplies()
    prefixes, patterns = [], []
    for i, item in enumerate(data):
        if isinstance(item, dict):
            try:
                patterns.append(re.compile(str(item["regex"]), re.IGNORECASE))
            except re.error as exc:
                where.at(i, "regex").error(f"invalid regular expression: {exc}")
        elif item is not None and str(item).strip():
            prefixes.append(str(item).strip())
        elif item is not None:
            where.at(i).error("expected a text a note starts with, or {regex: PATTERN}")
    return AutoReplies(tuple(prefixes), tuple(patterns))


def _calendars(data: dict[Any, Any], where: Where) -> dict[str, Calendar]:
    out = {}
    for name, spec in data.items():
        try:
            out[str(name)] = parse_calendar(str(name), spec or {})
        except ValueError as exc:   # what a declaration cannot say: overlaps, unknown countries
            where.at(str(name)).error(str(exc))
    return out


def _policy(data: dict[str, Any], where: Where, calendars: Mapping[str, Calendar]
            ) -> Policy | None:
    if data.get("name") is None:
        return None
    calendar = str(data.get("calendar") or "")
    by_tier = {str(k): str(v) for k, v in (data.get("calendars_by_tier") or {}).items()
               if v is not None}
    for key, name in [("calendar", calendar), *(("calendars_by_tier", n)
                                                 for n in by_tier.values())]:
        if name not in calendars:
            where.at(key).error(f"unknown calendar {name!r}",
                                did_you_mean(name, tuple(calendars)) if calendars else
                                "define it under calendars:")
    when = compile_condition(data["when"], where.at("when")) if "when" in data else ALWAYS
    if "status_working_days" in fields_of(when):   # counted in the policy's own calendar
        where.at("when").error("status_working_days is counted in the calendar of the "
                               "issue's policy, so a policy's when cannot use it",
                               "use status_days here")
    pause = tuple(compile_condition(c, where.at("pause_when", i))
                  for i, c in enumerate(data.get("pause_when") or []))
    return Policy(str(data["name"]), when, calendar, by_tier, pause,
                  _targets(data.get("targets") or {}),
                  _thresholds(data.get("thresholds") or [], where.at("thresholds")),
                  _emergency(data.get("emergency"), where.at("emergency"), calendars),
                  bool(data.get("status_change_counts")))


def _targets(data: dict[str, Any]) -> dict[str, dict[str, dict[str, Duration]]]:
    """metric -> tier (or default) -> urgency or priority (or any) -> duration."""
    return {metric: {str(tier): {str(k): parse_duration(v) for k, v in row.items()
                                 if v is not None}
                     for tier, row in by_tier.items() if row is not None}
            for metric, by_tier in data.items() if by_tier is not None}


def _thresholds(data: list[Any], where: Where) -> tuple[Threshold, ...]:
    out = []
    for i, row in enumerate(data):
        if row is None:
            continue
        actions = tuple(a for j, item in enumerate(row["then"] or [])
                        if (a := compile_action(item, where.at(i, "then", j))) is not None)
        out.append(Threshold(float(str(row["at"]).strip().rstrip("%")) / 100, actions))
    return tuple(sorted(out, key=lambda t: t.at))


def _emergency(data: dict[str, Any] | None, where: Where, calendars: Mapping[str, Calendar]
               ) -> Emergency | None:
    if data is None or data.get("when") is None or data.get("target") is None:
        return None
    calendar = data.get("calendar")
    if calendar is not None and calendar not in calendars:
        where.at("calendar").error(f"unknown calendar {calendar!r}")
    return Emergency(compile_condition(data["when"], where.at("when")),
                     parse_duration(data["target"]), calendar)

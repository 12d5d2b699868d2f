"""Actions: what a matching rule does. One registry, each entry with its doc and an example.

Every action compiles (at load time) into a pure function ``(state, world, ctx) -> state``
that records ``Change``s and ``Note``s on the issue state; nothing is written here.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from redmine_sync import schema as s
from redmine_sync.changes import SETTABLE
from redmine_sync.changes import WATCHED
from redmine_sync.changes import Link
from redmine_sync.changes import Why
from redmine_sync.changes import made_why
from redmine_sync.markup import bullet
from redmine_sync.markup import escape
from redmine_sync.plan import Note
from redmine_sync.rules.assign import build_assign
from redmine_sync.rules.followup import requirement_edits
from redmine_sync.rules.followup import survey_reply
from redmine_sync.rules.language import LANGS
from redmine_sync.rules.language import request_language
from redmine_sync.rules.prioritize import build_prioritize
from redmine_sync.rules.source import Where
from redmine_sync.rules.state import IssueState
from redmine_sync.rules.state import World
from redmine_sync.schema import did_you_mean
from redmine_sync.sla.calendar import Calendar


class Fired:
    """The rule being applied: its id and the reason text, for changes and templates, and
    ``why`` its changes are made (one for all of them, made when the first is). Made for
    every matching rule of every issue: a plain class with slots (a dataclass's __init__
    costs more)."""

    __slots__ = ("_why", "reason", "rule")

    def __init__(self, rule: str, reason: str) -> None:
        self.rule = rule
        self.reason = reason
        self._why: Why | None = None

    @property
    def why(self) -> Why:
        why = self._why
        if why is None:
            why = self._why = made_why(self.rule, self.reason)
        return why

    def __repr__(self) -> str:
        return f"Fired({self.rule!r}, {self.reason!r})"


ActionFn = Callable[[IssueState, World, Fired], IssueState]
RELATION_TYPES = ("duplicates", "relates")


@dataclass(frozen=True)
class ActionSpec:
    build: Callable[[Any, Where], ActionFn | None]
    doc: str
    example: str


def _change(state: IssueState, field: str, new: object, fired: Fired) -> IssueState:
    return state.change(field, new, fired.why)


def _str_list(params: Any, where: Where) -> tuple[str, ...] | None:
    if isinstance(params, str):
        params = [params]
    if not isinstance(params, list) or not all(isinstance(p, str) and p for p in params):
        where.error("expected a list of label names, e.g. [needs-info]")
        return None
    return tuple(params)


def _build_add_labels(params: Any, where: Where) -> ActionFn | None:
    labels = _str_list(params, where)
    if labels is None:
        return None
    where.names("label", *labels)
    added = frozenset(labels)
    return lambda s, w, f: _change(s, "labels", tuple(sorted(s.labels() | added)), f)


def _build_remove_labels(params: Any, where: Where) -> ActionFn | None:
    labels = _str_list(params, where)
    if labels is None:
        return None
    removed = frozenset(labels)
    return lambda s, w, f: _change(s, "labels", tuple(sorted(s.labels() - removed)), f)


CUSTOMER_PEOPLE = ("account_manager", "escalation_contact")


def _build_watch(params: Any, where: Where) -> ActionFn | None:
    """``watch: [account_manager, escalation_contact, Support]``: the customer's account
    manager or escalation contact (customers file), or a user or group by login or name,
    added as watchers so that Redmine's own mail reaches them."""
    if isinstance(params, str):
        params = [params]
    if not isinstance(params, list) or not params or \
            not all(isinstance(p, str) and p for p in params):
        where.error("watch takes a list of people: account_manager, escalation_contact, or "
                    "a user or group, e.g. [account_manager, Support]")
        return None
    where.names("assigned_to", *(p for p in params if p not in CUSTOMER_PEOPLE))

    def run(state: IssueState, world: World, fired: Fired) -> IssueState:
        found = (_customer_person(state, p) if p in CUSTOMER_PEOPLE else p for p in params)
        wanted = tuple(dict.fromkeys(w for w in found if w and  # added once (WatchMark)
                                     (state.issue.id, WATCHED, w) not in world.sla_fired))
        current = tuple(map(str, state.get("watchers") or ()))  # type: ignore[call-overload]
        if not wanted or set(wanted) <= set(current):
            return state
        return _change(state, "watchers", tuple(dict.fromkeys((*current, *wanted))), fired)
    return run


def _customer_person(state: IssueState, role: str) -> str:
    """The login of the customer's account manager or escalation contact ("" if none)."""
    customer = state.customer
    return str(getattr(customer, role, None) or "") if customer else ""


def _build_set(params: Any, where: Where) -> ActionFn | None:
    if not isinstance(params, dict) or not params:
        where.error("set takes a mapping of field: value, e.g. {status: Feedback}")
        return None
    ok = True
    for key, value in params.items():
        if str(key) not in SETTABLE and not str(key).startswith("cf."):
            where.at(str(key)).error(f"cannot set '{key}'", did_you_mean(str(key), SETTABLE)
                                     + " (or cf.<Custom field name>)", value=False)
            ok = False
        elif not isinstance(value, (str, int, float, list)) or isinstance(value, bool):
            where.at(str(key)).error("expected a name, a number or a list")
            ok = False
    if not ok:
        return None
    items = {str(k): tuple(v) if isinstance(v, list) else str(v) for k, v in params.items()}
    for key, value in items.items():
        kind = "custom field value " + key[3:] if key.startswith("cf.") else key
        where.at(key).names(kind, *(value if isinstance(value, tuple) else (value,)))
        if key.startswith("cf."):
            where.at(key).names("custom field", key[3:])

    def run(state: IssueState, world: World, fired: Fired) -> IssueState:
        for key, value in items.items():
            state = _change(state, key, value, fired)
        return state
    return run


def _build_raise(params: Any, where: Where) -> ActionFn | None:
    """``raise: {priority: Urgent}``: at least that priority, never lower (an escalation)."""
    if not isinstance(params, dict) or set(params) != {"priority"} or \
            not isinstance(params["priority"], str):
        where.error("raise takes {priority: NAME}, e.g. {priority: Urgent}")
        return None
    target = params["priority"]
    where.at("priority").names("priority", target)

    def run(state: IssueState, world: World, fired: Fired) -> IssueState:
        order = world.priorities
        current = state.get("priority")
        if target in order and current in order and order.index(current) >= order.index(target):
            return state
        return _change(state, "priority", target, fired)
    return run


def _build_set_tier(params: Any, where: Where) -> ActionFn | None:
    if params not in ("from_customer", {"from": "customer"}):
        where.error("set_tier takes 'from_customer' (the tier of the customers file)")
        return None

    # per customer and tier: the reason (one Why for all their issues), the other tiers'
    # labels; kept with the objects they are for, as CustomerBook.tier_of keeps its own
    known: dict[tuple[int, int], tuple[object, object, Fired, frozenset[str]]] = {}

    def run(state: IssueState, world: World, fired: Fired) -> IssueState:
        customer = state.customer
        tier = world.customers.tier_of(customer)
        if tier is None or customer is None:
            return state
        found = known.get((id(customer), id(tier)))
        if found is None or found[0] is not customer or found[1] is not tier or \
                found[2].rule != fired.rule:
            if len(known) >= _KNOWN_TIERS:
                known.clear()
            found = known[id(customer), id(tier)] = (
                customer, tier, Fired(fired.rule, f"{customer.name}: value {customer.value:g}"
                                      f", fit {customer.fit:g} -> {tier.name}"),
                frozenset(t.label for t in world.customers.tiers if t.label) - {tier.label})
        told, others = found[2], found[3]
        state = _change(state, "tier", tier.name, told)
        if tier.label:
            labels = (state.labels() - others) | {tier.label}
            state = _change(state, "labels", tuple(sorted(labels)), told)
        return state
    return run


_KNOWN_TIERS = 4096


def _build_note(params: Any, where: Where) -> ActionFn | None:
    """``note: text``, or ``{text: ..., public: true}``; ``text`` may be a mapping of
    language -> text ({en: ..., zh: ...}): the note is written in the request's language
    (the customer's ``lang``, else the language of the issue's text), else the first."""
    if isinstance(params, (str, dict)) and not (isinstance(params, dict) and "text" in params):
        params = {"text": params}
    texts = params.get("text") if isinstance(params, dict) else None
    if isinstance(texts, str):
        texts = {"": texts}
    if not isinstance(texts, dict) or not texts or \
            not all(isinstance(t, str) for t in texts.values()):
        where.error("note takes a text, {text: ..., public: true}, or texts by language "
                    "{text: {en: ..., zh: ...}}")
        return None
    where.unknown_keys(params, ("text", "public"))
    for lang in texts:
        if lang and lang not in LANGS:
            where.at("text", str(lang)).error(f"unknown language {lang!r}",
                                              f"expected one of {', '.join(LANGS)}",
                                              value=False)
            return None
    public = bool(params.get("public", False))
    spot = where.at("text")
    if not all(_template_ok(t, spot.at(k) if k else spot) for k, t in texts.items()):
        return None

    def run(state: IssueState, world: World, fired: Fired) -> IssueState:
        lang = request_lang(state)
        text = texts.get(lang) or next(iter(texts.values()))
        return state.add_note(Note(render(text, state, fired, lang, world.markup, world),
                                   public, fired.rule))
    return run


def _build_record_satisfaction(params: Any, where: Where) -> ActionFn | None:
    """``record_satisfaction: true``: the customer's 0-10 reply after the closing
    (``satisfaction_reply``) goes into the satisfaction field (fields.satisfaction)."""
    if params is not True:
        where.error("record_satisfaction takes true")
        return None
    where.problems.journal_fields.add("satisfaction_reply")   # the run reads journals

    def run(state: IssueState, world: World, fired: Fired) -> IssueState:
        answer = survey_reply(state.issue, world)
        if answer is None:
            return state
        return _change(state, f"cf.{world.fields.satisfaction}", str(answer), fired)
    return run


def _build_plan_due(params: Any, where: Where) -> ActionFn | None:
    """``plan_due: {working_days: 15, calendar: china-office}``: the due date that many
    working days of the calendar (of the SLA file; default Monday to Friday) after today,
    or after the issue's start date when that is later (Redmine refuses a due date before
    the start date; the reason then says so)."""
    if not isinstance(params, dict) or not isinstance(params.get("working_days"), int) or \
            isinstance(params.get("working_days"), bool) or params["working_days"] < 1:
        where.error("plan_due takes {working_days: N} (N >= 1), and optionally a calendar of "
                    "the sla file, e.g. {working_days: 15, calendar: china-office}")
        return None
    where.unknown_keys(params, ("working_days", "calendar"))
    days, name = int(params["working_days"]), params.get("calendar")
    if name is not None:
        where.at("calendar").names("calendar", str(name))

    def run(state: IssueState, world: World, fired: Fired) -> IssueState:
        calendar = (world.calendars.get(str(name)) if name is not None else None) or \
            WEEKDAYS_ONLY
        start = state.issue.start_date
        due = working_days_after(calendar, world.now, days, not_before=start)
        if start is not None and due != working_days_after(calendar, world.now, days):
            fired = Fired(fired.rule, f"{fired.reason}; {days} working days from the start "
                          f"date {start.isoformat()}")
        return _change(state, "due_date", due.isoformat(), fired)
    return run


def working_days_after(calendar: Calendar, now: datetime, days: int, *,
                       not_before: date | None = None) -> date:
    """The local date ``days`` working days (days with business hours) after today, or
    after ``not_before`` when that is later (the day work starts)."""
    day = now.astimezone(ZoneInfo(calendar.timezone)).date()
    if not_before is not None and not_before > day:
        day = not_before
    while days > 0:
        day += timedelta(days=1)
        days -= bool(calendar.hours_on(day))
    return day


def request_lang(state: IssueState) -> str:
    """The language of the request: the customer's ``lang``, else its text's language."""
    issue, customer = state.issue, state.customer
    # neither the customer nor the text changes during an evaluation: asked once per issue
    return state.analysis.once("lang", lambda: request_language(
        customer.lang if customer else None, issue.subject, issue.description or ""))


def _build_link_duplicate(params: Any, where: Where) -> ActionFn | None:
    kind = "duplicates" if params in (True, None) else params
    if kind not in RELATION_TYPES:
        where.error("link_duplicate takes a relation type", did_you_mean(str(kind),
                    RELATION_TYPES))
        return None

    def run(state: IssueState, world: World, fired: Fired) -> IssueState:
        target = state.analysis.duplicate_of
        return state if target is None else _change(state, "relation", Link(kind, target), fired)
    return run


def _template_ok(text: str, where: Where) -> bool:
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        where.error(f"broken template: {exc}", "write {{ and }} for literal braces")
        return False
    unknown = [n for n in names if n not in TEMPLATE_KEYS]
    for name in unknown:
        where.error(f"unknown placeholder {{{name}}}", did_you_mean(name, TEMPLATE_KEYS))
    return not unknown


def render(text: str, state: IssueState, fired: Fired, lang: str = "en",
           markup: str | None = None, world: World | None = None) -> str:
    """Fill a note template; every placeholder was checked at load time.

    Only the placeholders the template uses are computed, so a note without {missing} or
    {candidates} does not run the vagueness rubric or the duplicate search. ``{missing}``
    is written in ``lang``. With ``markup`` (a note), people's text (subject, names) is
    escaped for that format and {missing} is a list in it; without (a rule's reason),
    values go in as they are. ``{changes}`` reads the journals of ``world`` (empty
    without one)."""
    names = _names_in(text)
    if not names:
        return _plain(text)
    if names <= OF_THE_ANALYSIS:  # the same for every issue with these candidates
        shown, key = state.analysis.duplicates.shown, (text, lang, markup)
        found = shown.get(key)
        if found is None:
            found = shown[key] = text.format_map(_Placeholders(state, fired, lang, markup,
                                                               world))
        return str(found)
    return text.format_map(_Placeholders(state, fired, lang, markup, world))


@lru_cache(maxsize=1024)
def _names_in(text: str) -> frozenset[str]:
    """The placeholders a template uses (templates were checked at load time)."""
    return frozenset(f for _, f, _, _ in string.Formatter().parse(text) if f is not None)


@lru_cache(maxsize=1024)
def _plain(text: str) -> str:
    """A template without placeholders, as it renders ("{{" is "{")."""
    return text.format_map({})


class _Placeholders(dict[str, object]):
    """The values of a template's placeholders, each computed when the template asks."""

    def __init__(self, state: IssueState, fired: Fired, lang: str,
                 markup: str | None, world: World | None = None) -> None:
        super().__init__()
        self.state, self.fired, self.lang, self.markup = state, fired, lang, markup
        self.world = world

    def __missing__(self, key: str) -> object:
        if key == "missing":
            mark = bullet(self.markup) if self.markup else "-"  # the rubric's own words
            return "\n".join(f"{mark} {m}" for m in self.state.analysis.vague_missing_in(self.lang))
        if key == "changes":
            edits = requirement_edits(self.state.issue, self.world) if self.world else ()
            return ", ".join(escape(e, self.markup) if self.markup else e for e in edits)
        state, markup = self.state, self.markup
        if key in OF_THE_ANALYSIS:  # the same for every issue with these candidates
            shown, name = state.analysis.duplicates.shown, (key, markup)
            found = shown.get(name)
            if found is None:
                found = shown[name] = self._value(key)
            return found
        return self._value(key)

    def _value(self, key: str) -> object:
        value = PLACEHOLDERS[key](self.state, self.fired)
        if self.markup is not None and key in PEOPLES_TEXT:
            return escape(str(value), self.markup)
        return value


def _customer_name(state: IssueState) -> str:
    return state.customer.name if state.customer else ""


def _account_manager(state: IssueState) -> str:
    customer = state.customer
    return customer.account_manager if customer and customer.account_manager else ""


def _mention(login: str) -> str:
    """``@login``: Redmine (5.0 and later) notifies a user mentioned in a note; "" for none."""
    return f"@{login}" if login else ""


def _candidates(state: IssueState) -> str:
    return ", ".join(f"#{i} ({score:.0%})" for i, score in state.analysis.duplicate_candidates)


@lru_cache(maxsize=4096)  # candidates of one class share their terms: formatted once
def matched_terms(matched: tuple[tuple[str, float], ...], limit: int = 8) -> str:
    """The terms two requests share, heaviest first: "face-recognition 4.21, login 3.39"."""
    shown = ", ".join(f"{term} {weight:.2f}" for term, weight in matched[:limit])
    return shown + (f" (+{len(matched) - limit} more)" if len(matched) > limit else "")


def _matched(state: IssueState) -> str:
    terms = dict(state.analysis.duplicate_terms)
    return "; ".join(f"#{i}: {matched_terms(terms.get(i, ()))}"
                     for i, _ in state.analysis.duplicate_candidates)


def _duplicate_of(state: IssueState) -> str:
    found = state.analysis.duplicate_of
    return f"#{found}" if found else ""


PLACEHOLDERS: dict[str, Callable[[IssueState, Fired], object]] = {
    "rule": lambda s, f: f.rule,
    "reason": lambda s, f: f.reason,
    "id": lambda s, f: s.issue.id,
    "subject": lambda s, f: s.issue.subject,
    "author": lambda s, f: s.issue.author.name,
    "customer": lambda s, f: _customer_name(s),
    "tier": lambda s, f: s.get("tier") or "",
    "priority": lambda s, f: s.get("priority"),
    "status": lambda s, f: s.get("status"),
    "missing": lambda s, f: "\n".join(f"- {m}" for m in s.analysis.vague_missing),
    "duplicate_of": lambda s, f: _duplicate_of(s),
    "candidates": lambda s, f: _candidates(s),
    "changes": lambda s, f: "",   # needs the journals: filled in by _Placeholders
    "assignee": lambda s, f: s.get("assigned_to") or "",
    "matched": lambda s, f: _matched(s),
    "account_manager": lambda s, f: _account_manager(s),
    "mention_account_manager": lambda s, f: _mention(_customer_person(s, "account_manager")),
    "mention_escalation_contact": lambda s, f: _mention(_customer_person(s,
                                                                         "escalation_contact")),
}
TEMPLATE_KEYS = tuple(PLACEHOLDERS)
OF_THE_ANALYSIS = frozenset({"duplicate_of", "candidates", "matched"})
"""Placeholders that depend only on the issue's duplicate search (not on the rule)."""
PEOPLES_TEXT = frozenset({"subject", "author", "customer", "tier", "account_manager", "reason",
                          "matched", "assignee"})
WEEKDAYS_ONLY = Calendar("weekdays")   # Monday to Friday, the calendar's default hours


def _registry() -> dict[str, ActionSpec]:
    return {
        "add_labels": ActionSpec(_build_add_labels, "add labels (the whole set is written)",
                                 "add_labels: [needs-info]"),
        "remove_labels": ActionSpec(_build_remove_labels, "remove labels",
                                    "remove_labels: [duplicate-candidate]"),
        "set": ActionSpec(_build_set, "set status, priority, tracker, category, tier, "
                          "assigned_to or cf.<Custom field>", "set: {status: Feedback}"),
        "raise": ActionSpec(_build_raise, "raise the priority to at least the one given, "
                            "never lower it (Redmine's order of priorities)",
                            "raise: {priority: Urgent}"),
        "set_tier": ActionSpec(_build_set_tier, "set the tier (and its label) from the "
                               "customers file's scores and thresholds",
                               "set_tier: from_customer"),
        "prioritize": ActionSpec(build_prioritize, "priority from the value x cost quadrant "
                                 "plus the urgency class, with the score in the reason",
                                 "prioritize: {quadrants: ..., urgency: ..., priorities: ...}"),
        "assign": ActionSpec(build_assign, "assign to a user or group, round-robin or "
                             "least-loaded over a group, or the customer's account manager",
                             "assign: {least_loaded: Support}"),
        "link_duplicate": ActionSpec(_build_link_duplicate, "link to the closest older issue "
                                     "(duplicate_of) as duplicates", "link_duplicate: duplicates"),
        "watch": ActionSpec(_build_watch, "add watchers (Redmine mails them): the customer's "
                            "account_manager, escalation_contact, or a user or group",
                            "watch: [escalation_contact, account_manager]"),
        "plan_due": ActionSpec(_build_plan_due, "set the due date (planned completion) N "
                               "working days of a calendar after today",
                               "plan_due: {working_days: 15, calendar: china-office}"),
        "record_satisfaction": ActionSpec(
            _build_record_satisfaction, "write the customer's 0-10 reply after the closing "
            "(satisfaction_reply) into the satisfaction field", "record_satisfaction: true"),
        "note": ActionSpec(_build_note, "add a note (private unless public: true); placeholders: "
                           + ", ".join("{" + k + "}" for k in TEMPLATE_KEYS),
                           "note: {text: 'Please describe: {missing}', public: true}"),
    }


ACTIONS: dict[str, ActionSpec] = {}


def actions() -> dict[str, ActionSpec]:
    if not ACTIONS:
        ACTIONS.update(_registry())
    return ACTIONS


def action_node() -> s.OneKey:
    """The declaration of one action: a mapping with one key naming it (its parameters are
    checked by the action's builder)."""
    return s.OneKey({name: s.Anything(doc=f"{spec.doc}; e.g. {spec.example}",
                                      words="the action's parameters")
                     for name, spec in actions().items()}, words="an action",
                    doc="one action, e.g. {add_labels: [ui]}")


def compile_action(data: Any, where: Where) -> ActionFn | None:
    if not isinstance(data, dict) or len(data) != 1:
        where.error("an action is a mapping with one key, e.g. {add_labels: [ui]}",
                    "expected one of: " + ", ".join(actions()))
        return None
    name, params = next(iter(data.items()))
    spec = actions().get(str(name))
    if spec is None:
        where.at(str(name)).error(f"unknown action '{name}'",
                                  did_you_mean(str(name), tuple(actions())), value=False)
        return None
    return spec.build(params, where.at(str(name)))

"""Conditions: the field table, the operator table, and ``all``/``any``/``not`` blocks.

A condition is written in YAML in one of three forms::

    - priority: High                          # shorthand: field equals value
    - age_days: {gt: 3}                       # shorthand with an operator
    - {field: text, op: mentions, value: ["源代码", "source code"]}

and compiled at load time (regexes compiled, fields and operators checked), so a broken
rule fails in ``validate``, never during a run. Evaluation is pure: (state, world) -> Result.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from functools import lru_cache
from functools import partial
from typing import Any
from typing import cast

from redmine_sync.rules.conversation import of_state
from redmine_sync.rules.followup import requirement_edits
from redmine_sync.rules.followup import survey_reply
from redmine_sync.rules.state import IssueState
from redmine_sync.rules.state import World

Getter = Callable[[IssueState, World], object]


@dataclass(frozen=True)
class FieldSpec:
    getter: Getter
    doc: str
    example: str


def _age(s: IssueState, w: World, unit: float) -> float:
    return round((w.now - s.issue.created_on).total_seconds() / unit, 2)


def _talk(name: str, s: IssueState, w: World) -> object:
    """A who-spoke-last field (rules/conversation.py); none when no journals were read."""
    found = of_state(s.issue, s.values, w)
    if found is None:
        return None
    if name == "status_working_days":
        return found.status_working_days(w.working_time(s))
    return getattr(found, name)


def _text(s: IssueState) -> str:
    return f"{s.issue.subject}\n{s.issue.description}"


FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec(lambda s, w: s.issue.id, "issue number", "id: {gt: 1000}"),
    "subject": FieldSpec(lambda s, w: s.issue.subject, "subject line", "subject: {regex: '^\\[API\\]'}"),
    "description": FieldSpec(lambda s, w: s.issue.description, "description text",
                             "description: empty"),
    "text": FieldSpec(lambda s, w: _text(s), "subject and description together",
                      "text: {mentions: [首页, home page]}"),
    "project": FieldSpec(lambda s, w: s.issue.project.name, "project name", "project: Demo"),
    "tracker": FieldSpec(lambda s, w: s.values.get("tracker"), "tracker name", "tracker: Bug"),
    "status": FieldSpec(lambda s, w: s.values.get("status"), "status name", "status: New"),
    "is_closed": FieldSpec(lambda s, w: s.values.get("status") in w.closed_statuses,
                           "whether the status is a closed one", "is_closed: false"),
    "priority": FieldSpec(lambda s, w: s.values.get("priority"), "priority name",
                          "priority: {in: [Urgent, Immediate]}"),
    "author": FieldSpec(lambda s, w: s.issue.author.name, "author's display name",
                        "author: {ne: redmine-sync bot}"),
    "assigned_to": FieldSpec(lambda s, w: s.values.get("assigned_to"), "assignee's name, or none",
                             "assigned_to: empty"),
    "category": FieldSpec(lambda s, w: s.values.get("category"), "category name", "category: present"),
    "labels": FieldSpec(lambda s, w: s.values.get("labels"), "labels (a list)",
                        "labels: {contains: needs-info}"),
    "tier": FieldSpec(lambda s, w: s.values.get("tier"), "customer tier (set by the tiering stage)",
                      "tier: strategic"),
    "customer": FieldSpec(lambda s, w: s.customer.name if s.customer else None,
                          "the customer from the customers file, or none", "customer: present"),
    "customer.value": FieldSpec(lambda s, w: s.customer.value if s.customer else None,
                                "customer's value-contribution score", "customer.value: {ge: 60}"),
    "customer.fit": FieldSpec(lambda s, w: s.customer.fit if s.customer else None,
                              "customer's strategic-fit score", "customer.fit: {lt: 60}"),
    "customer.account_manager": FieldSpec(
        lambda s, w: s.customer.account_manager if s.customer else None,
        "customer's dedicated account manager", "customer.account_manager: present"),
    "value": FieldSpec(lambda s, w: s.values.get(f"cf.{w.fields.value}"),
                       "business value (field mapped by fields.value)", "value: high"),
    "cost": FieldSpec(lambda s, w: s.values.get(f"cf.{w.fields.cost}"), "cost (fields.cost)",
                      "cost: low"),
    "urgency": FieldSpec(lambda s, w: s.values.get(f"cf.{w.fields.urgency}"),
                         "urgency class (fields.urgency)", "urgency: urgent"),
    "requirement_type": FieldSpec(lambda s, w: s.values.get(f"cf.{w.fields.requirement_type}"),
                                  "requirement type (fields.requirement_type)",
                                  "requirement_type: functional"),
    "channel": FieldSpec(lambda s, w: s.values.get(f"cf.{w.fields.channel}"), "intake channel",
                         "channel: support-ticket"),
    "age_hours": FieldSpec(lambda s, w: _age(s, w, 3600), "hours since creation",
                           "age_hours: {ge: 24}"),
    "age_days": FieldSpec(lambda s, w: _age(s, w, 86400), "days since creation",
                          "age_days: {gt: 30}"),
    "idle_days": FieldSpec(lambda s, w: round((w.now - (s.issue.activity_on
                                                         or s.issue.updated_on)).total_seconds()
                                              / 86400, 2),
                           "days since the last update by a person (the tool's own writes "
                           "do not count)",
                           "idle_days: {gt: 14}"),
    "description_length": FieldSpec(lambda s, w: len(s.issue.description.strip()),
                                    "characters in the description", "description_length: "
                                    "{lt: 30}"),
    "has_attachments": FieldSpec(lambda s, w: s.issue.attachments > 0,
                                 "whether files are attached", "has_attachments: true"),
    "duplicate_score": FieldSpec(lambda s, w: s.analysis.duplicate_score,
                                 "similarity (0-1) to the closest older open issue",
                                 "duplicate_score: {ge: 0.85}"),
    "duplicate_of": FieldSpec(lambda s, w: s.analysis.duplicate_of,
                              "number of the closest older open issue, or none",
                              "duplicate_of: present"),
    "is_vague": FieldSpec(lambda s, w: s.analysis.is_vague,
                          "the vagueness rubric says more detail is needed", "is_vague: true"),
    "vague_score": FieldSpec(lambda s, w: s.analysis.vague_score, "vagueness rubric score",
                             "vague_score: {ge: 3}"),
    "last_reply_by": FieldSpec(partial(_talk, "last_reply_by"), "who wrote the last public "
                               "note: customer, staff or bot (none before one)",
                               "last_reply_by: customer"),
    "waiting_on": FieldSpec(partial(_talk, "waiting_on"), "customer when staff or the bot "
                            "replied last, else us", "waiting_on: customer"),
    "customer_replied_since_status": FieldSpec(
        partial(_talk, "customer_replied_since_status"), "the customer wrote a public note "
        "after the status last changed", "customer_replied_since_status: true"),
    "hours_since_staff_reply": FieldSpec(partial(_talk, "hours_since_staff_reply"),
                                         "hours since staff last wrote a public note (none "
                                         "before one)", "hours_since_staff_reply: {gt: 48}"),
    "status_days": FieldSpec(partial(_talk, "status_days"), "days since the status last "
                             "changed (since creation when it never did)",
                             "status_days: {ge: 7}"),
    "status_working_days": FieldSpec(partial(_talk, "status_working_days"), "status_days in "
                                     "working days (the calendar of the issue's SLA policy, "
                                     "else Monday to Friday)", "status_working_days: {ge: 5}"),
    "due_date": FieldSpec(lambda s, w: s.values.get("due_date"), "the due date (planned completion), "
                          "as 2026-12-18, or none", "due_date: empty"),
    "acceptance_criteria": FieldSpec(lambda s, w: s.values.get(f"cf.{w.fields.acceptance_criteria}"),
                                     "what the customer accepts the work by "
                                     "(fields.acceptance_criteria)",
                                     "acceptance_criteria: empty"),
    "closed_days": FieldSpec(lambda s, w: _closed_days(s, w),
                             "days since the issue was closed, or none while it is open",
                             "closed_days: {le: 7}"),
    "satisfaction": FieldSpec(lambda s, w: s.values.get(f"cf.{w.fields.satisfaction}"),
                              "the customer's rating (fields.satisfaction)",
                              "satisfaction: empty"),
    "satisfaction_reply": FieldSpec(lambda s, w: survey_reply(s.issue, w),
                                    "the first 0-10 rating the customer wrote in a public note "
                                    "after the issue was last closed (\"8\", \"8/10\", \"8分\"), "
                                    "or none", "satisfaction_reply: present"),
    "requirement_edits": FieldSpec(lambda s, w: requirement_edits(s.issue, w),
                                   "what people changed of the requirement (subject, "
                                   "description, acceptance criteria) after it was confirmed, "
                                   "since the last change request or decision (a list)",
                                   "requirement_edits: present"),
}


def _closed_days(s: IssueState, w: World) -> float | None:
    if s.get("status") not in w.closed_statuses or s.issue.closed_on is None:
        return None
    return round((w.now - s.issue.closed_on).total_seconds() / 86400, 2)


def _custom(key: str, state: IssueState, world: World) -> object:
    return state.get(key)


def fields_of(condition: Condition) -> frozenset[str]:
    """Every field a condition reads."""
    if isinstance(condition, Leaf):
        return frozenset({condition.field})
    if isinstance(condition, Block):
        return frozenset().union(*(fields_of(c) for c in condition.items))
    return frozenset()


def field_spec(name: str) -> FieldSpec | None:
    """Known field, or ``cf.<Custom field name>`` for any custom field."""
    if name in FIELDS:
        return FIELDS[name]
    if name.startswith("cf.") and len(name) > 3:
        return FieldSpec(partial(_custom, name), "a custom field by name", "cf.Channel: survey")
    return None


# -- operators ---------------------------------------------------------------------------

def _fold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def _eq(actual: object, expected: object) -> bool:
    if isinstance(actual, (tuple, list)) and isinstance(expected, (tuple, list)):
        return sorted(map(_fold, actual)) == sorted(map(_fold, expected))  # type: ignore[type-var]
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected or actual == expected
    return _fold(actual) == _fold(expected)


def _in(actual: object, expected: object) -> bool:
    return any(_eq(actual, e) for e in expected)  # type: ignore[attr-defined]


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[object, object], bool]:
    def compare(actual: object, expected: object) -> bool:
        if actual is None:
            return False
        try:
            return bool(op(actual, expected))
        except TypeError:
            return False
    return compare


def _contains(actual: object, expected: object) -> bool:
    if isinstance(actual, (tuple, list, set, frozenset)):
        if isinstance(expected, str):
            folded = expected.casefold()
            return any(isinstance(a, str) and a.casefold() == folded for a in actual)
        return any(_eq(a, expected) for a in actual)
    return isinstance(actual, str) and str(expected).casefold() in actual.casefold()


def _contains_any(actual: object, expected: object) -> bool:
    """Whether _contains holds for any of the expected items (a list's items folded once)."""
    items = tuple(cast(Iterable[object], expected))
    words = [x for x in items if isinstance(x, str)]
    if isinstance(actual, (tuple, list, set, frozenset)) and len(words) == len(items):
        folded = {a.casefold() for a in actual if isinstance(a, str)}
        return any(x.casefold() in folded for x in words)
    return any(_contains(actual, x) for x in items)


OPERATORS: dict[str, tuple[Callable[[object, object], bool], str, str]] = {
    "eq": (_eq, "equals (text compared ignoring case; lists as sets)", "status: {eq: New}"),
    "ne": (lambda a, e: not _eq(a, e), "does not equal", "tracker: {ne: Bug}"),
    "in": (_in, "equals one of a list", "priority: {in: [Urgent, Immediate]}"),
    "not-in": (lambda a, e: not _in(a, e), "equals none of a list",
               "status: {not-in: [Closed, Rejected]}"),
    "lt": (_compare(lambda a, e: a < e), "less than", "age_days: {lt: 7}"),
    "le": (_compare(lambda a, e: a <= e), "less than or equal", "customer.fit: {le: 40}"),
    "gt": (_compare(lambda a, e: a > e), "greater than", "idle_days: {gt: 14}"),
    "ge": (_compare(lambda a, e: a >= e), "greater than or equal", "duplicate_score: {ge: 0.5}"),
    "contains": (_contains, "a list has the item, or a text has the substring (ignoring case)",
                 "labels: {contains: needs-info}"),
    "contains-any": (lambda a, e: _contains_any(a, e),
                     "a list has any of the items, or a text any of the substrings",
                     "labels: {contains-any: [rejected, deferred]}"),
    "regex": (lambda a, e: False, "the text matches a regular expression (ignoring case)",
              "subject: {regex: '(crash|崩溃)'}"),
    "mentions": (lambda a, e: False, ("the text contains any of the keywords (Chinese or "
                                      "English, ignoring case); a list, or @name of a keyword "
                                      "list"),
                 "text: {mentions: '@strategy-conflict'}"),
    "empty": (lambda a, e: a in (None, "", (), []), "has no value", "assigned_to: empty"),
    "present": (lambda a, e: a not in (None, "", (), []), "has a value", "customer: present"),
}
NO_VALUE = frozenset({"empty", "present"})
LIST_VALUE = frozenset({"in", "not-in", "contains-any"})


# -- compiled conditions -------------------------------------------------------------------

@dataclass(frozen=True)
class Result:
    ok: bool
    trace: tuple[str, ...]       # one line per condition, indented by depth (for explain)
    because: tuple[str, ...]     # the true leaves, for the reason text


class Condition:
    def holds(self, state: IssueState, world: World) -> bool:
        """The fast path: just the answer."""
        raise NotImplementedError

    def explain(self, state: IssueState, world: World, depth: int = 0) -> Result:
        """The answer with every sub-condition's value, for reasons and ``explain``."""
        raise NotImplementedError

    def because(self, state: IssueState, world: World) -> tuple[str, ...] | None:
        """explain()'s ``because`` when the condition holds, else None: the reason of a
        matching rule without the trace lines (each sub-condition is evaluated once)."""
        result = self.explain(state, world)
        return result.because if result.ok else None


@dataclass(frozen=True)
class Leaf(Condition):
    field: str
    op: str
    value: object
    getter: Getter
    pattern: re.Pattern[str] | None = None
    keywords: tuple[str, ...] | None = None
    test: Callable[[IssueState, World], bool] = dataclass_field(
        init=False, repr=False, compare=False)
    """holds(), compiled once for this field, operator and value (see _compiled)."""
    described: str = dataclass_field(init=False, repr=False, compare=False)
    """What it tests, for reasons and explain: "status eq 'New'"."""
    reason: tuple[str] = dataclass_field(init=False, repr=False, compare=False)
    """because() of a leaf that holds, when it does not name what it found."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "test", _compiled(self))
        object.__setattr__(self, "described", f"{self.field} is {self.op}"
                           if self.op in NO_VALUE else
                           f"{self.field} {self.op} {_show(self.value)}")
        object.__setattr__(self, "reason", (self.described,))

    def holds(self, state: IssueState, world: World) -> bool:
        return self.test(state, world)

    def explain(self, state: IssueState, world: World, depth: int = 0) -> Result:
        actual = self.getter(state, world)
        ok, shown = self._check(actual, world)
        text = self.describe()
        line = f"{'  ' * depth}{'true ' if ok else 'false'}  {text}   (actual: {_show(actual)})"
        return Result(ok, (line,), (shown or text,) if ok else ())

    def because(self, state: IssueState, world: World) -> tuple[str, ...] | None:
        if not self.test(state, world):
            return None
        if self.op == "mentions":  # the reason names what was found
            return (self._mentioned(state, world) or self.describe(),)
        if self.op == "regex":
            return (self._check(self.getter(state, world), world)[1] or self.describe(),)
        return self.reason

    def _mentioned(self, state: IssueState, world: World) -> str:
        """_check's text for a ``mentions`` leaf. ``text`` is found in its subject, then
        its description (the hits of a description are remembered: descriptions repeat);
        no keyword match crosses the line between them, so these are the whole text's."""
        pattern = keyword_pattern(tuple(self._words(world)))
        issue = state.issue
        if self.field == "text" and isinstance(issue.description, str):
            hits = [*pattern.findall(issue.subject), *_hits(pattern, issue.description)]
        else:
            hits = pattern.findall(str(self.getter(state, world) or ""))
        return _mentions_shown(self.field, hits)

    def _words(self, world: World) -> tuple[str, ...]:
        return self.keywords or tuple(world.keyword_lists.get(str(self.value).lstrip("@"), ()))

    def _check(self, actual: object, world: World) -> tuple[bool, str]:
        if self.op == "regex":
            found = self.pattern.search(str(actual or "")) if self.pattern else None
            return bool(found), f"{self.field} matches {found.group(0)!r}" if found else ""
        if self.op == "mentions":
            hits = keyword_pattern(self._words(world)).findall(str(actual or ""))
            return bool(hits), _mentions_shown(self.field, hits)
        return OPERATORS[self.op][0](actual, self.value), ""

    def describe(self) -> str:
        return self.described


def _mentions_shown(field: str, hits: list[str]) -> str:
    """What a ``mentions`` leaf found, for its reason: the first three keywords."""
    unique = list(dict.fromkeys(h.casefold() for h in hits))
    return f"{field} mentions {', '.join(repr(h) for h in unique[:3])}"


@lru_cache(maxsize=4096)
def _hits(pattern: re.Pattern[str], text: str) -> tuple[str, ...]:
    """pattern.findall(text), for texts that repeat (descriptions)."""
    return tuple(pattern.findall(text))


@dataclass(frozen=True)
class Block(Condition):
    kind: str  # all | any | not
    items: tuple[Condition, ...]

    test: Callable[[IssueState, World], bool] = dataclass_field(
        init=False, repr=False, compare=False)
    """holds(), its items' tests joined once (see _joined)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "test", _joined(self.kind, self.items))

    def holds(self, state: IssueState, world: World) -> bool:
        return self.test(state, world)

    def because(self, state: IssueState, world: World) -> tuple[str, ...] | None:
        if not self.test(state, world):   # most blocks fail: no reason to gather then
            return None
        if self.kind == "not":
            return super().because(state, world)
        found: list[str] = []
        held = False
        for item in self.items:
            shown = item.because(state, world)
            if shown is None:
                if self.kind == "all":
                    return None
                continue
            held = True
            found += shown
        return tuple(found) if held or self.kind == "all" else None

    def explain(self, state: IssueState, world: World, depth: int = 0) -> Result:
        results = [c.explain(state, world, depth + 1) for c in self.items]
        if self.kind == "all":
            ok = all(r.ok for r in results)
        elif self.kind == "any":
            ok = any(r.ok for r in results)
        else:
            ok = not results[0].ok
        head = f"{'  ' * depth}{'true ' if ok else 'false'}  {self.kind}:"
        trace = (head, *[line for r in results for line in r.trace])
        because = tuple(b for r in results if r.ok for b in r.because) if self.kind != "not" \
            else (f"not ({results[0].trace[0].strip()[6:]})",)
        return Result(ok, trace, because if ok else ())


# -- compiled leaves -------------------------------------------------------------------------
# Each leaf's test is one closure over its getter and its operator, with the expected value
# prepared once (folded, in a set): the same answer as OPERATORS[op][0](getter(), value)
# (tests/unit/rules/test_conditions.py checks every operator against it), without the
# table look-ups and generic comparisons of a call per leaf and issue.

_EMPTY: tuple[object, ...] = (None, "", (), [])


def _joined(kind: str, items: tuple[Condition, ...]) -> Callable[[IssueState, World], bool]:
    """all / any / not over the items' tests, as nested pairs (no generator per test)."""
    tests = tuple(getattr(item, "test", None) or item.holds for item in items)
    if kind == "not":
        first = tests[0]
        return lambda s, w: not first(s, w)
    if not tests:
        return lambda s, w: kind == "all"
    return _paired(kind == "all", tests)


def _paired(every: bool, tests: tuple[Callable[[IssueState, World], bool], ...]
            ) -> Callable[[IssueState, World], bool]:
    """The first test, then the rest (and / or), left to right as all() / any() go."""
    if len(tests) == 1:
        return tests[0]
    a, b = tests[0], _paired(every, tests[1:])
    if every:
        return lambda s, w: a(s, w) and b(s, w)
    return lambda s, w: a(s, w) or b(s, w)


def _compiled(leaf: Leaf) -> Callable[[IssueState, World], bool]:
    get, op, value = leaf.getter, leaf.op, leaf.value
    if op == "mentions":
        return _mentions(leaf)
    if op == "regex":
        search = leaf.pattern.search if leaf.pattern else None
        return lambda s, w: search is not None and search(str(get(s, w) or "")) is not None
    if op == "empty":
        return lambda s, w: get(s, w) in _EMPTY
    if op == "present":
        return lambda s, w: get(s, w) not in _EMPTY
    if op in ("eq", "ne"):
        eq = _equals(value)
        if op == "eq":
            return lambda s, w: eq(get(s, w))
        return lambda s, w: not eq(get(s, w))
    if op in ("in", "not-in"):
        member = _member_of(cast(tuple[object, ...], value))
        if op == "in":
            return lambda s, w: member(get(s, w))
        return lambda s, w: not member(get(s, w))
    if op == "contains-any":
        return _contains_any_test(get, cast(tuple[object, ...], value))
    check = OPERATORS[op][0]
    return lambda s, w: check(get(s, w), value)


def _equals(expected: object) -> Callable[[object], bool]:
    """_eq(actual, expected) for one expected value."""
    if isinstance(expected, bool):
        return lambda a: a is expected or a == expected
    if isinstance(expected, str):
        folded = expected.casefold()
        return lambda a: a.casefold() == folded if isinstance(a, str) else \
            (not isinstance(a, bool) and a == folded)
    if isinstance(expected, (int, float)):
        return lambda a: a == expected
    return lambda a: _eq(a, expected)


def _member_of(expected: tuple[object, ...]) -> Callable[[object], bool]:
    """_in(actual, expected): equal to one of the expected values."""
    if all(isinstance(e, str) for e in expected):
        folded = frozenset(cast(str, e).casefold() for e in expected)
        return lambda a: a.casefold() in folded if isinstance(a, str) else \
            (not isinstance(a, bool) and any(a == f for f in folded))
    tests = tuple(map(_equals, expected))
    return lambda a: any(t(a) for t in tests)


def _contains_any_test(get: Getter, expected: tuple[object, ...]
                       ) -> Callable[[IssueState, World], bool]:
    if not all(isinstance(x, str) for x in expected):
        return lambda s, w: _contains_any(get(s, w), expected)
    wanted = frozenset(cast(str, x).casefold() for x in expected)
    needles = tuple(cast(str, x).casefold() for x in expected)

    def test(state: IssueState, world: World) -> bool:
        actual = get(state, world)
        if isinstance(actual, (tuple, list, set, frozenset)):
            try:   # a list of names (labels): folded in one go
                return not wanted.isdisjoint(map(str.casefold, actual))
            except TypeError:   # not only names
                return any(isinstance(a, str) and a.casefold() in wanted for a in actual)
        if isinstance(actual, str):
            text = actual.casefold()
            return any(n in text for n in needles)
        return False
    return test


def _mentions(leaf: Leaf) -> Callable[[IssueState, World], bool]:
    """Any keyword in the text, no list of hits. ``text`` is its subject's test or its
    description's: no keyword match crosses the line between them."""
    get, name = leaf.getter, leaf.field
    static = keyword_finder(leaf.keywords) if leaf.keywords else None
    listed = str(leaf.value).lstrip("@")
    # a keyword list (@name) is the world's: its finder is looked up when the world's
    # list is another object than the one asked last (once per run, not once per issue)
    last: list[Any] = [None, None]

    def test(state: IssueState, world: World) -> bool:
        finder = static
        if finder is None:
            listing = world.keyword_lists.get(listed, ())
            if listing is not last[0]:
                last[:] = [listing, keyword_finder(tuple(listing))]
            finder = last[1]
        issue = state.issue
        if name == "text" and isinstance(issue.description, str):
            subject = state.analysis.once("subject folded", partial(_folded, issue.subject))
            return finder.in_folded(issue.subject, *subject) or \
                finder.remembered(issue.description)
        if name == "description":
            return finder.remembered(str(issue.description or ""))
        return finder(str(get(state, world) or ""))
    return test


class KeywordFinder:
    """Whether a text mentions any of some keywords (keyword_pattern), looking with the
    regex only in texts holding one of the keywords' leads (most texts hold none).
    What a description mentions is remembered: descriptions repeat (forms, templates)."""

    def __init__(self, words: tuple[str, ...]) -> None:
        self._leads = keyword_leads_finder(words)
        self._search = keyword_pattern(words).search
        self._known: dict[str, bool] = {}

    def __call__(self, text: str) -> bool:
        folded = text.casefold()
        return self._leads(folded, frozenset(folded)) and self._search(text) is not None

    def in_folded(self, text: str, folded: str, chars: frozenset[str]) -> bool:
        """self(text), with _folded(text) made by the caller (once for several lists)."""
        return self._leads(folded, chars) and self._search(text) is not None

    def remembered(self, text: str) -> bool:
        found = self._known.get(text)
        if found is None:
            if len(self._known) >= _REMEMBERED:
                self._known.clear()
            found = self._known[text] = self(text)
        return found


_REMEMBERED = 4096


def _folded(text: str) -> tuple[str, frozenset[str]]:
    """A text case folded, and the set of its characters (what KeywordFinder looks at)."""
    folded = text.casefold()
    return folded, frozenset(folded)


@lru_cache(maxsize=256)
def keyword_finder(words: tuple[str, ...]) -> KeywordFinder:
    return KeywordFinder(words)


ALWAYS = Block("all", ())


def iter_leaves(condition: Condition) -> Iterator[Leaf]:
    if isinstance(condition, Leaf):
        yield condition
    elif isinstance(condition, Block):
        for item in condition.items:
            yield from iter_leaves(item)


@lru_cache(maxsize=256)
def keyword_leads(words: tuple[str, ...]) -> tuple[str, ...]:
    """Text every match of a keyword contains (its part before any "…"), case folded:
    a text containing none of them mentions no keyword."""
    return tuple(dict.fromkeys(_GAP.split(w.casefold())[0] or w.casefold() for w in words))


@lru_cache(maxsize=256)
def keyword_leads_finder(words: tuple[str, ...]) -> Callable[[str, frozenset[str]], bool]:
    """Whether case-folded text (given with the set of its characters) contains any of
    keyword_leads(words): only the leads starting with a character of the text are looked
    for, each with a plain substring test."""
    leads = keyword_leads(words)
    if "" in leads:
        return lambda text, chars: True
    by_first: dict[str, list[str]] = {}
    for lead in leads:
        by_first.setdefault(lead[0], []).append(lead)
    firsts = frozenset(by_first)
    starting = {first: tuple(found) for first, found in by_first.items()}

    def found(text: str, chars: frozenset[str]) -> bool:
        for first in firsts.intersection(chars):
            for lead in starting[first]:
                if lead in text:
                    return True
        return False
    return found


@lru_cache(maxsize=256)
def keyword_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a keyword list: Latin words match whole words only (so "UI" does not
    match "build"), Chinese keywords anywhere; case is ignored. "…" (or "...") in a keyword
    stands for any text within one sentence: "卖给…数据", "sell…data"."""
    parts = []
    for word in sorted(words, key=len, reverse=True):
        pieces = [p for p in _GAP.split(word) if p]
        if len(pieces) > 1:
            first = re.escape(pieces[0])
            if re.search(r"[A-Za-z0-9]", pieces[0][:1]):  # as below: the keyword leads
                first += r"(?<![A-Za-z0-9]" + re.escape(pieces[0]) + ")"
            gapped = _IN_SENTENCE.join([first, *map(re.escape, pieces[1:])])
            if re.search(r"[A-Za-z0-9]", pieces[-1][-1:]):
                gapped += r"(?![A-Za-z0-9])"
            parts.append(gapped)
            continue
        escaped = re.escape(word)
        # Every alternative starts with its keyword (the start test is a look-behind
        # over the keyword), so the regex engine skips ahead to a possible first letter
        # instead of trying every alternative at every position; the matches are the same.
        if re.search(r"[A-Za-z0-9]", word[-1:]):
            escaped += r"(?![A-Za-z0-9])"
        if re.search(r"[A-Za-z0-9]", word[:1]):
            escaped += r"(?<![A-Za-z0-9]" + re.escape(word) + ")"
        parts.append(escaped)
    return re.compile("|".join(parts) or r"(?!)", re.IGNORECASE)


_GAP = re.compile(r"…|\.\.\.")
_IN_SENTENCE = "[^.!?;\u3002\uff01\uff1f\uff1b\n]*?"  # not past the end of a sentence


def _show(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return "none" if value is None else str(value)

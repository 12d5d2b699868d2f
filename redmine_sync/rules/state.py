"""What a rule sees: one issue as earlier rules left it, and the world shared by all issues.

``IssueState`` is immutable: applying a change returns a new state, so later stages see
earlier decisions and nothing leaks between issues. ``World`` holds the pure inputs of a
run (time, customers, vocabulary, team members, load); nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any
from typing import Protocol
from typing import TypeVar
from typing import cast

from redmine_sync.changes import ISSUE_FIELDS
from redmine_sync.changes import Change
from redmine_sync.changes import Target
from redmine_sync.changes import Why
from redmine_sync.changes import made_change
from redmine_sync.changes import same as _same
from redmine_sync.changes import target
from redmine_sync.config import ChangeControl
from redmine_sync.config import FieldMap
from redmine_sync.model import Issue
from redmine_sync.model import Journal
from redmine_sync.model import built
from redmine_sync.plan import Note
from redmine_sync.rules.customers import Customer
from redmine_sync.rules.customers import CustomerBook
from redmine_sync.rules.duplicates import Candidate
from redmine_sync.rules.text import Rubric
from redmine_sync.rules.text import Vagueness
from redmine_sync.rules.text import Vocabulary
from redmine_sync.sla.calendar import Calendar

T = TypeVar("T")


class DuplicateSource(Protocol):
    def candidates(self, issue_id: int, group: str, toks: frozenset[str], *, min_score: float,
                   same_group: bool, limit: int = 5,
                   subject: frozenset[str] = frozenset()) -> tuple[Candidate, ...]: ...


@dataclass(frozen=True)
class Duplicates:
    duplicate_of: int | None = None
    duplicate_score: float = 0.0
    duplicate_candidates: tuple[tuple[int, float], ...] = ()
    matched: tuple[tuple[int, tuple[tuple[str, float], ...]], ...] = ()
    """Per candidate, the terms that matched and their weights, heaviest first."""
    shown: dict[tuple[str | None, ...], object] = field(default_factory=dict, compare=False,
                                                        repr=False)
    """What templates show of it ({candidates}, {matched}..., and whole texts made of
    those only), made once (actions.render): issues with the same candidates share one
    Duplicates."""


class Analysis:
    """Text analyses of one issue, each computed on first use (most issues need neither)."""

    def __init__(self, duplicates: Callable[[], Duplicates] = Duplicates,
                 vagueness: Callable[[], Vagueness] = lambda: Vagueness(0, False, ())) -> None:
        self._duplicates = duplicates
        self._vagueness = vagueness
        self._once: dict[str, Any] = {}
        self._found: Duplicates | None = None
        self._vague: Vagueness | None = None

    def once(self, key: str, make: Callable[[], T]) -> T:
        """A value made once per issue (its text folded, its language): what rules cannot
        change and several conditions or notes read."""
        try:
            return cast(T, self._once[key])
        except KeyError:
            value = self._once[key] = make()
            return value

    @property
    def duplicates(self) -> Duplicates:
        found = self._found
        if found is None:
            found = self._found = self._duplicates()
        return found

    @property
    def vague(self) -> Vagueness:
        found = self._vague
        if found is None:
            found = self._vague = self._vagueness()
        return found

    @property
    def duplicate_of(self) -> int | None:
        return self.duplicates.duplicate_of

    @property
    def duplicate_score(self) -> float:
        return self.duplicates.duplicate_score

    @property
    def duplicate_candidates(self) -> tuple[tuple[int, float], ...]:
        return self.duplicates.duplicate_candidates

    @property
    def duplicate_terms(self) -> tuple[tuple[int, tuple[tuple[str, float], ...]], ...]:
        return self.duplicates.matched

    @property
    def vague_score(self) -> int:
        return self.vague.score

    @property
    def is_vague(self) -> bool:
        return self.vague.vague

    @property
    def vague_missing(self) -> tuple[str, ...]:
        return self.vague.missing

    def vague_missing_in(self, lang: str) -> tuple[str, ...]:
        """What to ask the requester for, in ``lang`` (the request's language for a
        language the rubric has no wording for)."""
        texts = self.vague.ask.get(lang)
        if texts is None:
            return self.vague.missing
        return tuple(texts[kind].format(detail=detail) for kind, detail in self.vague.gaps)


class WorkingTime(Protocol):
    """A calendar's working time (sla.calendar.Calendar), for working-day fields."""

    def business_seconds(self, start: datetime, end: datetime) -> float: ...

    @property
    def day_seconds(self) -> float: ...


class SlaCalendars(Protocol):
    """The SLA file's calendars, and the one an issue's clocks run in
    (rules.sla_policy.SlaConfig)."""

    @property
    def calendars(self) -> Mapping[str, Calendar]: ...

    def working_time(self, state: IssueState, world: World) -> WorkingTime | None: ...


@dataclass(frozen=True)
class World:
    """Inputs shared by every issue of one evaluation. Built by the caller; never mutated."""

    now: datetime
    fields: FieldMap = FieldMap()
    customers: CustomerBook = CustomerBook()
    vocabulary: Vocabulary = field(default_factory=lambda: Vocabulary({}))
    rubric: Rubric = Rubric()
    keyword_lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    closed_statuses: frozenset[str] = frozenset({"Closed", "Rejected"})
    priorities: tuple[str, ...] = ("Low", "Normal", "High", "Urgent", "Immediate")  # lowest first
    teams: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    load: Mapping[str, int] = field(default_factory=dict)
    owned: Mapping[tuple[int, str], object] = field(default_factory=dict)
    undone: Mapping[tuple[int, str], tuple[object, int]] = field(default_factory=dict)
    pointers: Mapping[str, int] = field(default_factory=dict)   # round-robin turns taken
    staff_ids: frozenset[int] = frozenset()        # whose public notes are SLA responses
    bot_id: int | None = None                      # the tool's own user: never a response
    sla_fired: frozenset[tuple[int, str, str]] = frozenset()  # (issue, policy, mark) fired once
    journals: Mapping[int, tuple[Journal, ...]] = field(default_factory=dict)
    author_mails: Mapping[int, str] = field(default_factory=dict)
    duplicates: DuplicateSource | None = None
    markup: str = "textile"                        # the instance's text format (notes)
    change_control: ChangeControl = field(default_factory=ChangeControl)
    sla: SlaCalendars | None = None                # the SLA file, for its calendars

    @property
    def calendars(self) -> Mapping[str, Calendar]:
        """The SLA file's calendars by name (none without one)."""
        return self.sla.calendars if self.sla is not None else {}

    def working_time(self, state: IssueState) -> WorkingTime | None:
        """The calendar working days of ``state``'s issue count in: its SLA policy's (by
        its tier), the SLA file's first when no policy covers it, None without a file."""
        return self.sla.working_time(state, self) if self.sla is not None else None

    def with_tallies(self, pointers: Mapping[str, int], load: Mapping[str, int]) -> World:
        """replace(self, pointers=..., load=...), made as model.built() makes it (a run
        does it once per assignment)."""
        return built(World, {**self.__dict__, "pointers": pointers, "load": load})


@dataclass(frozen=True)
class IssueState:
    """An issue plus the changes decided so far in this evaluation."""

    issue: Issue
    values: Mapping[str, object]
    customer: Customer | None
    analysis: Analysis
    changes: tuple[Change, ...] = ()
    notes: tuple[Note, ...] = ()
    turns: tuple[str, ...] = ()   # round-robin groups whose turn this issue took

    def get(self, name: str) -> object:
        """Current value of a changeable field: status, priority, labels, tier, cf.X..."""
        return self.values.get(name)

    def labels(self) -> set[str]:
        value = self.values.get("labels") or ()
        return {str(v) for v in value} if isinstance(value, (tuple, list)) else set()

    def apply(self, change: Change) -> IssueState:
        """A new state with ``change`` recorded; a change to the current value is dropped."""
        if _same(self.values.get(change.field), change.new):
            return self
        old = self.values.get(change.field)
        values = {**self.values, change.field: change.new}
        return made_state(self.issue, values, self.customer, self.analysis,
                          (*self.changes, made_change(change.target, old, change.new,
                                                      change.why)),
                          self.notes, self.turns)

    def change(self, key: str, new: object, why: Why) -> IssueState:
        """apply(Change.of(key, new, ...)): the change is built only when it changes
        something (most do not once an issue is processed)."""
        values = self.values
        old = values.get(key)
        if _same(old, new):
            return self
        field_target = _TARGETS.get(key) or _TARGETS.setdefault(key, target(key))
        return made_state(self.issue, {**values, key: new}, self.customer, self.analysis,
                          (*self.changes, made_change(field_target, old, new, (why,))),
                          self.notes, self.turns)

    def add_note(self, note: Note) -> IssueState:
        return made_state(self.issue, self.values, self.customer, self.analysis, self.changes,
                          (*self.notes, note), self.turns)

    def with_notes(self, notes: tuple[Note, ...]) -> IssueState:
        if notes is self.notes:
            return self
        return made_state(self.issue, self.values, self.customer, self.analysis, self.changes,
                          notes, self.turns)


def made_state(issue: Issue, values: Mapping[str, object], customer: Customer | None,
               analysis: Analysis, changes: tuple[Change, ...], notes: tuple[Note, ...],
               turns: tuple[str, ...]) -> IssueState:
    """IssueState(issue, values, ...), made as model.built() makes it: a run makes one
    state per change of every issue."""
    return built(IssueState, {"issue": issue, "values": values, "customer": customer,
                              "analysis": analysis, "changes": changes, "notes": notes,
                              "turns": turns})


_TARGETS: dict[str, Target] = {}
"""Each key's target, made once (a target is an immutable description of a field)."""


def initial_values(issue: Issue, fields: FieldMap) -> dict[str, object]:
    """The changeable fields of an issue as they are in Redmine, by rule-vocabulary key."""
    values = {t.key: t.read(issue, fields) for t in _ISSUE_TARGETS}
    for name, value in issue.custom_fields.items():
        if name not in (fields.labels, fields.tier):
            values[f"cf.{name}"] = value
    return values


_ISSUE_TARGETS = tuple(map(target, (*ISSUE_FIELDS, "assigned_to", "labels", "tier", "relation",
                                    "due_date")))

"""The plain model: what the rest of the tool knows about Redmine. No I/O, no ids in rules.

Values carry names (``priority == "High"``), so rules, plans and reports read like the
Redmine UI. Ids stay available for the adapter. All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import date
from datetime import datetime
from typing import Any
from typing import TypeVar

CustomValue = str | tuple[str, ...] | None
T = TypeVar("T")


def built(cls: type[T], fields: dict[str, Any]) -> T:
    """``cls(**fields)`` for a frozen dataclass, without its ``__init__`` (which sets each
    field through ``object.__setattr__``): for the few objects the rule engine makes per
    change of every issue, where that ``__init__`` cost more than the change itself. The
    same object otherwise (equality, hash, ``replace()``, repr); ``fields`` must name
    every field, as no default or ``__post_init__`` runs."""
    made = object.__new__(cls)
    made.__dict__.update(fields)
    return made


class Fields(Mapping[str, CustomValue]):
    """Custom field values by name, read-only, in less than half the memory of a dict.

    Issues of one Redmine carry the same fields in the same order, so the names' index
    (``positions``, name -> place) is one dict shared by every issue that has those names,
    and each issue keeps only its values in a tuple. ``shared.fields`` builds them; any
    other mapping serves as well wherever an issue is made by hand.
    """

    __slots__ = ("_positions", "_values")

    def __init__(self, positions: Mapping[str, int], values: tuple[CustomValue, ...]) -> None:
        self._positions = positions
        self._values = values

    def __getitem__(self, name: str) -> CustomValue:
        return self._values[self._positions[name]]

    def get(self, name: str, default: CustomValue = None) -> CustomValue:  # type: ignore[override]
        place = self._positions.get(name)
        return default if place is None else self._values[place]

    def __contains__(self, name: object) -> bool:
        return name in self._positions

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return repr(dict(self))


@dataclass(frozen=True, slots=True)
class Ref:
    """A named Redmine object: user, group, project, version, category..."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class User:
    id: int
    login: str
    name: str
    mail: str = ""
    admin: bool = False
    created_on: datetime | None = None   # never changes: a rebuilt Redmine shows another


@dataclass(frozen=True, slots=True)
class JournalDetail:
    """One change inside a journal. ``field`` is a model name: status, priority, cf.Labels..."""

    property: str
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class Journal:
    id: int
    user: Ref
    created_on: datetime
    notes: str
    private: bool
    details: tuple[JournalDetail, ...] = ()


@dataclass(frozen=True, slots=True)
class Relation:
    id: int
    issue_id: int
    issue_to_id: int
    type: str


@dataclass(frozen=True, slots=True)
class Issue:
    id: int
    project: Ref
    tracker: str
    status: str
    priority: str
    subject: str
    author: Ref
    created_on: datetime
    updated_on: datetime
    description: str = ""
    is_closed: bool = False
    assigned_to: Ref | None = None
    category: str | None = None
    fixed_version: str | None = None
    start_date: date | None = None
    due_date: date | None = None
    closed_on: datetime | None = None
    done_ratio: int = 0
    is_private: bool = False
    custom_fields: Mapping[str, CustomValue] = field(default_factory=dict)
    attachments: int = 0
    relations: tuple[Relation, ...] = ()
    journals: tuple[Journal, ...] | None = None
    allowed_statuses: tuple[str, ...] | None = None
    activity_on: datetime | None = None  # last update that was not the tool's own write

    def cf(self, name: str) -> CustomValue:
        """Value of a custom field by name (a tuple for multi-value fields)."""
        return self.custom_fields.get(name)

    def with_journals(self, journals: tuple[Journal, ...]) -> Issue:
        return replace(self, journals=journals)


@dataclass(frozen=True)
class IssueUpdate:
    """One write: fields by name, at most one note. Empty fields are left alone.

    ``assigned_to`` takes a login, a user's or group's display name, or "" to unassign;
    ``category`` a category name of the issue's project, or "" to clear it.
    ``custom_fields`` maps field names to a string, a tuple (multi-value) or None.
    """

    issue_id: int
    status: str | None = None
    priority: str | None = None
    tracker: str | None = None
    assigned_to: str | None = None
    category: str | None = None
    due_date: date | None = None
    custom_fields: Mapping[str, CustomValue] = field(default_factory=dict)
    notes: str | None = None
    private_notes: bool = True

    def changed_fields(self) -> dict[str, object]:
        """Model field name -> wanted value, for every field this update sets."""
        out: dict[str, object] = {}
        for name in ("status", "priority", "tracker", "assigned_to", "category", "due_date"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        for name, value in self.custom_fields.items():
            out[f"cf.{name}"] = value
        return out


@dataclass(frozen=True)
class DroppedChange:
    """A change Redmine answered 204 to but did not make."""

    field: str
    wanted: object
    actual: object
    reason: str


@dataclass(frozen=True)
class UpdateResult:
    issue: Issue
    dropped: tuple[DroppedChange, ...] = ()
    note_added: bool = False
    retried: bool = False

    @property
    def ok(self) -> bool:
        return not self.dropped


@dataclass(frozen=True)
class WikiPage:
    project: str
    title: str
    text: str
    version: int
    updated_on: datetime | None = None
    comments: str = ""
    attachments: tuple[str, ...] = ()
    parent: str | None = None
    author: Ref | None = None   # who wrote the last version


@dataclass(frozen=True)
class WikiWrite:
    """Outcome of a wiki upsert: created, updated or unchanged, and the version now live."""

    outcome: str
    page: WikiPage


@dataclass(frozen=True)
class CustomFieldDef:
    id: int
    name: str
    format: str = ""
    multiple: bool = False
    possible_values: tuple[str, ...] | None = None
    trackers: tuple[str, ...] | None = None
    is_filter: bool | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (key, label) of a key/value list
    is_required: bool = False
    seen_on_issue: bool = False  # a non-admin's view: ``multiple`` read off an issue


@dataclass(frozen=True)
class Membership:
    project: str
    principal: Ref
    is_group: bool
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Project:
    id: int
    identifier: str
    name: str
    trackers: tuple[str, ...] = ()
    custom_fields: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    status: str = "active"                # active, closed (read-only) or archived
    is_public: bool = True
    subprojects: tuple[str, ...] = ()     # identifiers of every project below this one

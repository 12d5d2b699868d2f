"""The shapes of Redmine's answers, checked at the adapter boundary before anything maps them.

Redmine (or whatever answers at its URL: a proxy's error page, a login portal, a broken
plugin) may send an empty body, ``null``, a list, ``{"errors": ...}`` with 200, an HTML
page, wrong types or dates that are not dates. Every read is checked against the shape the
tool relies on; the first mismatch becomes ``UnusableAnswer`` (exit 4) naming the request,
what was expected where, and what came: "Redmine answered unusably at GET /issues.json:
expected issues[3].updated_on to be a time, got 'yesterday'". Keys the tool does not read
are not checked, so a newer Redmine's extra fields never break a run.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from redmine_sync.errors import UnusableAnswer

MAX_DEPTH = 32


@dataclass(frozen=True)
class Kind:
    """A scalar: its name for messages and the test a value must pass."""

    name: str
    test: Callable[[Any], bool]


@dataclass(frozen=True)
class Rec:
    """An object with required and optional keys (``None`` allowed only where optional)."""

    required: Mapping[str, Any]
    optional: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class ListOf:
    item: Any


@dataclass(frozen=True)
class Nullable:
    inner: Any


def _time(value: Any) -> bool:
    if not isinstance(value, str) or len(value) < 19:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


INT = Kind("an integer", _int)
STR = Kind("a string", lambda v: isinstance(v, str))
BOOL = Kind("true or false", lambda v: isinstance(v, bool))
TIME = Kind("a time like 2026-11-20T08:00:00Z", _time)
DATE = Kind("a date like 2026-11-20", _date)
ANY = Kind("anything", lambda v: True)
SCALAR = Kind("a string or number", lambda v: v is None or isinstance(v, (str, int, float)))
CUSTOM_VALUE = Kind("a string, number or a list of them",
                    lambda v: SCALAR.test(v) or (isinstance(v, list)
                                                 and all(SCALAR.test(i) for i in v)))

REF = Rec({"id": INT}, {"name": STR})
NAMED = Rec({"id": INT, "name": STR})
CUSTOM_FIELD = Rec({"id": INT, "name": STR}, {"value": CUSTOM_VALUE, "multiple": BOOL})
RELATION = Rec({"id": INT, "issue_id": INT, "issue_to_id": INT, "relation_type": STR})
JOURNAL = Rec({"id": INT, "created_on": TIME}, {
    "user": REF, "notes": STR, "private_notes": BOOL,
    "details": ListOf(Rec({}, {"property": STR, "name": STR, "old_value": ANY,
                               "new_value": ANY}))})
ISSUE = Rec(
    {"id": INT, "project": NAMED, "tracker": NAMED, "status": NAMED, "priority": NAMED,
     "author": REF, "created_on": TIME, "updated_on": TIME},
    {"subject": STR, "description": STR, "assigned_to": REF, "category": REF,
     "fixed_version": REF, "start_date": DATE, "due_date": DATE, "done_ratio": INT,
     "is_private": BOOL, "closed_on": TIME, "custom_fields": ListOf(CUSTOM_FIELD),
     "attachments": ListOf(Rec({}, {"filename": STR})), "relations": ListOf(RELATION),
     "journals": ListOf(JOURNAL), "allowed_statuses": ListOf(NAMED),
     "tags": ListOf(Rec({}, {"name": STR}))})
USER = Rec({"id": INT}, {"login": STR, "firstname": STR, "lastname": STR, "mail": STR,
                         "admin": BOOL,
                         "memberships": ListOf(Rec({"project": REF},
                                                   {"roles": ListOf(REF)}))})
WIKI_PAGE = Rec({"title": STR}, {
    "text": STR, "version": INT, "updated_on": TIME, "comments": STR, "author": REF,
    "attachments": ListOf(Rec({"filename": STR})), "parent": Rec({}, {"title": STR})})
PROJECT = Rec({"id": INT, "identifier": STR, "name": STR}, {
    "trackers": ListOf(NAMED), "issue_custom_fields": ListOf(NAMED),
    "enabled_modules": ListOf(Rec({"name": STR})), "status": INT, "is_public": BOOL,
    "parent": REF, "issue_categories": ListOf(NAMED)})
CUSTOM_FIELD_DEF = Rec({"id": INT, "name": STR}, {
    "customized_type": STR, "field_format": STR, "multiple": BOOL, "is_filter": BOOL,
    "possible_values": ListOf(Rec({"value": SCALAR})), "trackers": ListOf(NAMED)})
MEMBERSHIP = Rec({"id": INT}, {"user": NAMED, "group": NAMED, "roles": ListOf(NAMED),
                               "project": REF})

SHAPES: dict[str, Any] = {
    "user": Rec({"user": USER}),
    "issue_statuses": Rec({"issue_statuses": ListOf(Rec({"id": INT, "name": STR},
                                                        {"is_closed": BOOL}))}),
    "issue_priorities": Rec({"issue_priorities": ListOf(Rec(
        {"id": INT, "name": STR}, {"is_default": BOOL, "active": BOOL}))}),
    "trackers": Rec({"trackers": ListOf(NAMED)}),
    "issues": Rec({"issues": ListOf(ISSUE)}, {"total_count": INT}),
    "issue": Rec({"issue": ISSUE}),
    "relations": Rec({"relations": ListOf(RELATION)}),
    "relation": Rec({"relation": RELATION}),
    "wiki_page": Rec({"wiki_page": WIKI_PAGE}),
    "upload": Rec({"upload": Rec({"token": STR})}),
    "group": Rec({"group": Rec({"id": INT}, {"users": ListOf(NAMED)})}),
    "custom_fields": Rec({"custom_fields": ListOf(CUSTOM_FIELD_DEF)}),
    "project": Rec({"project": PROJECT}),
    "projects": Rec({"projects": ListOf(PROJECT)}, {"total_count": INT}),
    "users": Rec({"users": ListOf(USER)}, {"total_count": INT}),
    "memberships": Rec({"memberships": ListOf(MEMBERSHIP)}, {"total_count": INT}),
    "role": Rec({"role": Rec({"permissions": ListOf(STR)})}),
    "roles": Rec({"roles": ListOf(NAMED)}),
    "versions": Rec({"versions": ListOf(NAMED)}),
}


def checked(where: str, data: Any, shape: str) -> Any:
    """``data`` when it has the shape named ``shape``, else raise ``UnusableAnswer``."""
    problem = _problem(data, SHAPES[shape], "", 0)
    if problem is not None:
        path, expected, got = problem
        what = f"{path} to be {expected}" if path else expected
        raise UnusableAnswer(f"Redmine answered unusably at {where}: expected {what}, "
                             f"got {got}")
    return data


def describe(value: Any) -> str:
    """A short description of an unexpected value for a message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        if "errors" in value:
            return f"an error list {_short(value['errors'])}"
        keys = ", ".join(list(map(str, value))[:4])
        return f"an object with keys {keys}" if keys else "an empty object"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return _short(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _problem(value: Any, shape: Any, path: str, depth: int) -> tuple[str, str, str] | None:
    if depth > MAX_DEPTH:
        return path, "an answer nested at most 32 levels deep", "a deeper one"
    if isinstance(shape, Nullable):
        return None if value is None else _problem(value, shape.inner, path, depth)
    if isinstance(shape, Kind):
        return None if shape.test(value) else (path, shape.name, describe(value))
    if isinstance(shape, ListOf):
        if not isinstance(value, list):
            return path, "a list", describe(value)
        for index, item in enumerate(value):
            found = _problem(item, shape.item, f"{path}[{index}]", depth + 1)
            if found:
                return found
        return None
    assert isinstance(shape, Rec)
    if not isinstance(value, dict):
        what = "an object with " + ", ".join(shape.required) if shape.required else "an object"
        return path, what, describe(value)
    for key, inner in shape.required.items():
        where = f"{path}.{key}" if path else key
        if key not in value:
            return where, "present", describe(value)
        found = _problem(value[key], inner, where, depth + 1)
        if found:
            return found
    for key, inner in (shape.optional or {}).items():
        if value.get(key) is None:
            continue  # absent or null: Redmine omits empty associations, nulls scalars
        found = _problem(value[key], inner, f"{path}.{key}" if path else key, depth + 1)
        if found:
            return found
    return None

"""Pure helpers around one issue write: names -> request body, and what Redmine dropped.

Redmine answers 204 to a PUT even when it ignored part of it (a status the workflow does
not allow, a custom field not enabled for the tracker...). ``dropped_changes`` compares
what was asked with what a re-read shows. Shared by the live adapter and the fake.
"""

from __future__ import annotations

from typing import Any

from redmine_sync.errors import WikiConflict
from redmine_sync.model import CustomValue
from redmine_sync.model import DroppedChange
from redmine_sync.model import Issue
from redmine_sync.model import IssueUpdate
from redmine_sync.model import WikiPage
from redmine_sync.redmine.catalog import Catalog

DROPPED_REASON = (
    "Redmine answered 204 but kept the old value (workflow, permissions, or the field is "
    "not enabled for this tracker or project)"
)


def encode_update(update: IssueUpdate, catalog: Catalog) -> dict[str, Any]:
    """The ``issue`` object of the PUT body, with names resolved to ids."""
    body: dict[str, Any] = {}
    if update.status is not None:
        body["status_id"] = catalog.statuses.id(update.status)
    if update.priority is not None:
        body["priority_id"] = catalog.priorities.id(update.priority)
    if update.tracker is not None:
        body["tracker_id"] = catalog.trackers.id(update.tracker)
    if update.assigned_to is not None:
        body["assigned_to_id"] = (
            catalog.principals.id(update.assigned_to) if update.assigned_to else ""
        )
    if update.due_date is not None:
        body["due_date"] = update.due_date.isoformat()
    if update.custom_fields:
        body["custom_fields"] = [
            {"id": catalog.custom_field(name).id, "value": _cf_value(value)}
            for name, value in update.custom_fields.items()
        ]
    if update.notes:
        body["notes"] = update.notes
        body["private_notes"] = update.private_notes
    return body


def dropped_changes(update: IssueUpdate, after: Issue, catalog: Catalog) -> tuple[DroppedChange, ...]:
    """Every field the update set that the re-read issue does not show."""
    dropped = []
    for field, wanted in update.changed_fields().items():
        actual = _actual(after, field)
        if not _same(field, wanted, actual, catalog):
            reason = DROPPED_REASON
            if field == "status" and after.allowed_statuses is not None:
                reason = ("the workflow does not allow it; allowed: "
                          + ", ".join(after.allowed_statuses))
            dropped.append(DroppedChange(field, wanted, actual, reason))
    return tuple(dropped)


def _actual(issue: Issue, field: str) -> object:
    if field.startswith("cf."):
        return issue.cf(field[3:])
    if field == "assigned_to":
        return issue.assigned_to
    return getattr(issue, field)


def _same(field: str, wanted: object, actual: object, catalog: Catalog) -> bool:
    if field == "assigned_to":
        if wanted == "":
            return actual is None
        return actual is not None and catalog.principals.id(str(wanted)) == getattr(actual, "id", 0)
    if field.startswith("cf."):
        return _norm_cf(wanted) == _norm_cf(actual)
    if isinstance(wanted, str) and isinstance(actual, str):
        return wanted.casefold() == actual.casefold()
    return wanted == actual


def _norm_cf(value: object) -> object:
    if isinstance(value, (tuple, list, set, frozenset)):
        return frozenset(str(v) for v in value if v not in (None, ""))
    return None if value in (None, "") else str(value)


def _cf_value(value: CustomValue) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return "" if value is None else value


def check_wiki_base(current: WikiPage | None, title: str, base_version: int | None) -> None:
    """Refuse a wiki write that would overwrite a page the caller has not read."""
    if base_version is None and current is not None:
        raise WikiConflict(f"wiki page {current.title} already exists (version "
                           f"{current.version}); read it and pass its version to update it")
    if base_version is not None and current is None:
        raise WikiConflict(f"wiki page {title} was deleted since version {base_version}")

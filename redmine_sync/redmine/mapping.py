"""Redmine REST JSON -> plain model objects. Pure functions; no I/O.

Absent associations are omitted by Redmine (an unassigned issue has no ``assigned_to``
key), scalars may be null, timestamps are UTC with a ``Z``; all handled here once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

from redmine_sync import shared
from redmine_sync.model import CustomValue
from redmine_sync.model import Issue
from redmine_sync.model import Journal
from redmine_sync.model import JournalDetail
from redmine_sync.model import Ref
from redmine_sync.model import Relation
from redmine_sync.model import User
from redmine_sync.model import WikiPage
from redmine_sync.redmine.catalog import Catalog

Json = dict[str, Any]
CustomDecoder = Callable[[Json], CustomValue]

_ATTR_LOOKUPS = {
    "status_id": ("status", "statuses"),
    "priority_id": ("priority", "priorities"),
    "tracker_id": ("tracker", "trackers"),
    "assigned_to_id": ("assigned_to", "principals"),
}


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def user_from_json(data: Json) -> User:
    """A user as ``/users/N.json`` shows it (``created_on``: None when unusable)."""
    try:
        created = parse_time(data.get("created_on"))
    except (TypeError, ValueError):
        created = None
    return User(int(data["id"]), data.get("login", ""),
                f"{data.get('firstname', '')} {data.get('lastname', '')}".strip(),
                data.get("mail", ""), bool(data.get("admin", False)), created)


def format_time(value: datetime) -> str:
    """The only timestamp form Redmine filters accept: ``YYYY-MM-DDTHH:MM:SSZ``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_date(value: str | None) -> date | None:
    return shared.day(value) if value else None


def ref(data: Json | None) -> Ref | None:
    if not data:
        return None
    return shared.ref(int(data["id"]), str(data.get("name", f"#{data['id']}")))


def custom_value(item: Json) -> CustomValue:
    """The stored value, for a field whose kind is not known (see ``fields.decode``)."""
    value = item.get("value")
    if item.get("multiple") or isinstance(value, list):
        return tuple(str(v) for v in (value or []) if v not in (None, ""))
    return None if value in (None, "") else str(value)


def issue_from_json(data: Json, closed_statuses: frozenset[str], catalog: Catalog | None,
                    decode_cf: CustomDecoder = custom_value) -> Issue:
    """One issue; journals only when the payload has them (single-issue reads).

    ``decode_cf`` turns one ``custom_fields`` item into the value a person sees.
    """
    status = data["status"]["name"]
    journals = None
    if "journals" in data:
        journals = tuple(sorted(
            (journal_from_json(j, catalog) for j in data["journals"]), key=lambda j: j.id
        ))
    allowed = None
    if "allowed_statuses" in data:
        allowed = tuple(s["name"] for s in data["allowed_statuses"])
    return Issue(
        id=int(data["id"]),
        project=shared.ref(int(data["project"]["id"]), data["project"]["name"]),
        tracker=shared.text(data["tracker"]["name"]),
        status=shared.text(status),
        is_closed=bool(data["status"].get("is_closed", status in closed_statuses)),
        priority=shared.text(data["priority"]["name"]),
        subject=data.get("subject") or "",
        description=data.get("description") or "",
        author=ref(data["author"]) or Ref(0, "Anonymous"),
        assigned_to=ref(data.get("assigned_to")),
        category=_name(data.get("category")),
        fixed_version=_name(data.get("fixed_version")),
        start_date=parse_date(data.get("start_date")),
        due_date=parse_date(data.get("due_date")),
        done_ratio=int(data.get("done_ratio") or 0),
        is_private=bool(data.get("is_private", False)),
        created_on=_required_time(data, "created_on"),
        updated_on=_required_time(data, "updated_on"),
        closed_on=parse_time(data.get("closed_on")),
        custom_fields=shared.fields((cf["name"], decode_cf(cf))
                                    for cf in data.get("custom_fields", [])),
        attachments=len(data.get("attachments") or ()),
        relations=tuple(relation_from_json(r) for r in data.get("relations") or ()),
        journals=journals,
        allowed_statuses=allowed,
    )


def _name(data: Json | None) -> str | None:
    """The shared name of an optional association (a category, a version)."""
    name = (data or {}).get("name")
    return None if name is None else shared.text(str(name))


def journal_from_json(data: Json, catalog: Catalog | None) -> Journal:
    return Journal(
        id=int(data["id"]),
        user=ref(data.get("user")) or Ref(0, "Anonymous"),
        created_on=_required_time(data, "created_on"),
        notes=data.get("notes") or "",
        private=bool(data.get("private_notes", False)),
        details=tuple(detail_from_json(d, catalog) for d in data.get("details") or ()),
    )


def detail_from_json(data: Json, catalog: Catalog | None) -> JournalDetail:
    prop, name = str(data.get("property")), str(data.get("name"))
    old, new = data.get("old_value"), data.get("new_value")
    if prop == "cf":
        field = f"cf.{catalog.custom_field_name(name)}" if catalog else f"cf#{name}"
        return JournalDetail(prop, field, old, new)
    if prop == "attr" and name in _ATTR_LOOKUPS:
        field, kind = _ATTR_LOOKUPS[name]
        if catalog is not None:
            lookup = catalog.lookup(kind)
            return JournalDetail(prop, field, lookup.name(old), lookup.name(new))
        return JournalDetail(prop, field, old, new)
    if prop == "attr":
        return JournalDetail(prop, name.removesuffix("_id"), old, new)
    return JournalDetail(prop, name, old, new)


def relation_from_json(data: Json) -> Relation:
    return Relation(
        id=int(data["id"]),
        issue_id=int(data["issue_id"]),
        issue_to_id=int(data["issue_to_id"]),
        type=str(data["relation_type"]),
    )


def wiki_from_json(project: str, data: Json) -> WikiPage:
    return WikiPage(
        project=project,
        title=data["title"],
        text=data.get("text") or "",
        version=int(data.get("version") or 0),
        updated_on=parse_time(data.get("updated_on")),
        comments=data.get("comments") or "",
        attachments=tuple(a["filename"] for a in data.get("attachments") or ()),
        parent=(data.get("parent") or {}).get("title"),
        author=ref(data.get("author")),
    )


def wiki_title(title: str) -> str:
    """Redmine's ``Wiki.titleize``: spaces -> _, drop , . / ? ; | :, capitalise the first letter."""
    cleaned = "_".join(title.strip().split())
    for char in ",./?;|:":
        cleaned = cleaned.replace(char, "")
    return cleaned[:1].upper() + cleaned[1:]


def updated_on(data: Json) -> datetime:
    """When a listed issue last changed."""
    return _required_time(data, "updated_on")


def _required_time(data: Json, key: str) -> datetime:
    value = parse_time(data.get(key))
    if value is None:
        raise ValueError(f"Redmine sent no {key}")
    return value

"""Pure helpers around one issue write: names -> request body, what it needs, what landed.

Redmine answers 204 to a PUT even when it ignored part of it (a status the workflow does
not allow, a custom field not enabled for the tracker, a note without "Add notes", the
privacy of a note without "Set notes as private"...). ``missing_permissions`` says before
sending what the bot's role cannot do; ``dropped_changes`` and ``note_problem`` compare
what was asked with what a re-read shows; ``unshown_fields`` says before sending which
custom fields Redmine would drop because the issue does not have them. Shared by the live
adapter, the fake and apply.
"""

from __future__ import annotations

from typing import Any

from redmine_sync.errors import WikiConflict
from redmine_sync.model import CustomValue
from redmine_sync.model import DroppedChange
from redmine_sync.model import Issue
from redmine_sync.model import IssueUpdate
from redmine_sync.model import Journal
from redmine_sync.model import WikiPage
from redmine_sync.redmine import fields
from redmine_sync.redmine.catalog import Catalog

DROPPED_REASON = (
    "Redmine answered 204 but kept the old value (workflow, permissions, or the field is "
    "not enabled for this tracker or project)"
)


PERMISSION_NAMES = {  # Redmine's permission -> its label in Administration > Roles
    "view_issues": "View Issues",
    "add_issues": "Add issues",
    "edit_issues": "Edit issues",
    "add_issue_notes": "Add notes",
    "set_notes_private": "Set notes as private",
    "view_private_notes": "View private notes",
    "edit_own_issue_notes": "Edit own notes",
    "manage_issue_relations": "Manage issue relations",
    "add_issue_watchers": "Add watchers",
    "delete_issue_watchers": "Delete watchers",
    "view_wiki_pages": "View wiki",
    "edit_wiki_pages": "Edit wiki pages",
}


def permission_label(permission: str) -> str:
    """``"Add notes" (add_issue_notes)``: what the admin ticks, and the API's name."""
    return f'"{PERMISSION_NAMES.get(permission, permission)}" ({permission})'


def needed_permissions(update: IssueUpdate, relations: bool = False, watch: bool = False,
                       unwatch: bool = False) -> tuple[str, ...]:
    """The permissions the bot's role needs for this write to land as intended."""
    needed = []
    if update.changed_fields():
        needed.append("edit_issues")
    if update.tracker is not None:  # Redmine moves an issue only to a tracker the role may
        needed.append("add_issues")  # add issues to, and drops the change silently otherwise
    if update.notes:
        needed.append("add_issue_notes")
        if update.private_notes:
            needed.append("set_notes_private")
    if relations:
        needed.append("manage_issue_relations")
    if watch:
        needed.append("add_issue_watchers")
    if unwatch:
        needed.append("delete_issue_watchers")
    return tuple(needed)


def missing_permissions(needed: tuple[str, ...], granted: frozenset[str] | None
                        ) -> tuple[str, ...]:
    """Those of ``needed`` not ``granted`` (None: an administrator, who has them all)."""
    if granted is None:
        return ()
    return tuple(p for p in needed if p not in granted)


def unshown_fields(update: IssueUpdate, issue: Issue) -> tuple[str, ...]:
    """The custom fields the update sets that ``issue`` (as read before the write) does not
    show: not enabled for its tracker or project, or hidden from the bot's role. Redmine
    would drop them without an error (it takes only the issue's own editable fields). A
    tracker change brings the new tracker's fields: then nothing can be told before."""
    if update.tracker is not None:
        return ()
    shown = {name.casefold() for name in issue.custom_fields}
    return tuple(name for name in update.custom_fields if name.casefold() not in shown)


def sent_notes(update: IssueUpdate, before: Issue, after: Issue, me: int
               ) -> tuple[Journal, ...]:
    """The journals carrying the update's note that appeared between two reads with
    journals (``before`` and ``after``), written by ``me``."""
    return notes_since(update, max((j.id for j in before.journals or ()), default=0), after,
                       me)


def notes_since(update: IssueUpdate, seen: int, after: Issue, me: int) -> tuple[Journal, ...]:
    """The journals carrying the update's note written by ``me`` after journal ``seen``,
    in ``after`` (read with journals)."""
    if not update.notes:
        return ()
    wanted = _plain(update.notes)
    return tuple(j for j in after.journals or ()
                 if j.id > seen and j.user.id == me and _plain(j.notes) == wanted)


def note_problem(update: IssueUpdate, posted: tuple[Journal, ...]) -> str | None:
    """Why the update's note is not there exactly once with the intended privacy (None
    when it is, or when the update has no note). ``posted``: from ``sent_notes``."""
    if not update.notes:
        return None
    if not posted:
        return ("the note is missing after the write (Redmine dropped it; the bot needs "
                f"{permission_label('add_issue_notes')})")
    if len(posted) > 1:
        return f"the note was posted {len(posted)} times"
    if posted[0].private != update.private_notes:
        if update.private_notes:
            return ("the note meant to be private was posted PUBLIC (journal "
                    f"#{posted[0].id}; the bot needs {permission_label('set_notes_private')})")
        return f"the public note was posted private (journal #{posted[0].id})"
    return None


def _plain(text: str) -> str:
    """Redmine stores CRLF and may trim: compare what a reader sees."""
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n"))


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
        body["custom_fields"] = [_cf_item(catalog, name, value)
                                 for name, value in update.custom_fields.items()]
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
    if wanted == "":   # cleared (a category)
        return actual in (None, "")
    if isinstance(wanted, str) and isinstance(actual, str):
        return wanted.casefold() == actual.casefold()
    return wanted == actual


def _norm_cf(value: object) -> object:
    if isinstance(value, (tuple, list, set, frozenset)):
        return frozenset(str(v) for v in value if v not in (None, ""))
    return None if value in (None, "") else str(value)


def _cf_item(catalog: Catalog, name: str, value: CustomValue) -> dict[str, Any]:
    """One ``custom_fields`` item: keys for key/value lists, ids for users and versions."""
    definition = catalog.custom_field(name)
    return {"id": definition.id, "value": fields.encode(
        definition, value, users=lambda n: catalog.principals.id(n),
        versions=lambda n: catalog.versions.id(n))}


def check_wiki_base(current: WikiPage | None, title: str, base_version: int | None) -> None:
    """Refuse a wiki write that would overwrite a page the caller has not read."""
    if base_version is None and current is not None:
        raise WikiConflict(f"wiki page {current.title} already exists (version "
                           f"{current.version}); read it and pass its version to update it")
    if base_version is not None and current is None:
        raise WikiConflict(f"wiki page {title} was deleted since version {base_version}")

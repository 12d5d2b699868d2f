"""FakeRedmine: an in-memory Redmine that keeps the live adapter's promises, for unit tests.

It reproduces the behaviours that break sync tools (see docs/redmine-adapter.md): every
PUT bumps ``updated_on``; a status the workflow forbids and an unknown custom field are
dropped silently; a list value outside the allowed ones is refused; a private note with
changes is split into two journals; wiki writes need the current version (409 otherwise)
and an unchanged text is a no-op; relations are normalised and never duplicated.

Permissions are the bot's per project (``granted``, or ``granted_in[project]``), with
Redmine's effects: without "Edit issues" every field of a PUT is dropped silently, without
"Add notes" the note is, without "Set notes as private" a private note is posted public;
neither of the first two, or a relation without "Manage issue relations", or a wiki
write without "Edit wiki pages" is a 403. Others' private notes are hidden without
"View private notes" (the bot always sees its own). Fields in ``read_only`` (the
workflow's "read-only" for the bot's role) are dropped silently, and so are custom fields
an issue does not have (``add_issue(..., without=...)``: not enabled for its tracker).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from redmine_sync.errors import NotFound
from redmine_sync.errors import PermissionDenied
from redmine_sync.errors import RedmineValidationError
from redmine_sync.errors import UserError
from redmine_sync.errors import WikiConflict
from redmine_sync.model import CustomFieldDef
from redmine_sync.model import CustomValue
from redmine_sync.model import Issue
from redmine_sync.model import IssueUpdate
from redmine_sync.model import Journal
from redmine_sync.model import JournalDetail
from redmine_sync.model import Membership
from redmine_sync.model import Project
from redmine_sync.model import Ref
from redmine_sync.model import Relation
from redmine_sync.model import UpdateResult
from redmine_sync.model import User
from redmine_sync.model import WikiPage
from redmine_sync.model import WikiWrite
from redmine_sync.redmine.catalog import Catalog
from redmine_sync.redmine.catalog import Lookup
from redmine_sync.redmine.catalog import Named
from redmine_sync.redmine.mapping import wiki_title
from redmine_sync.redmine.verify import check_wiki_base
from redmine_sync.redmine.verify import dropped_changes
from redmine_sync.redmine.verify import encode_update

STATUSES = (("New", False), ("In Progress", False), ("Resolved", False), ("Feedback", False),
            ("Closed", True), ("Rejected", True), ("Testing", False),
            ("Awaiting acceptance", False))
PRIORITIES = ("Low", "Normal", "High", "Urgent", "Immediate")
TRACKERS = ("Bug", "Feature", "Support")
ROLES = ("Manager", "Developer", "Reporter", "Bot")
BOT_PERMISSIONS = ("view_issues", "add_issues", "edit_issues", "add_issue_notes", "set_notes_private",
                   "view_private_notes", "edit_own_issue_notes", "manage_issue_relations",
                   "add_issue_watchers", "delete_issue_watchers", "view_wiki_pages",
                   "edit_wiki_pages")
NON_MEMBER_PERMISSIONS = ("view_issues", "add_issues", "add_issue_notes", "view_wiki_pages")
REVERSE = {"duplicated": "duplicates", "blocked": "blocks", "follows": "precedes",
           "copied_from": "copied_to"}


def default_custom_fields() -> tuple[CustomFieldDef, ...]:
    """The fields scripts/redmine-local creates, so unit tests see the same names."""
    labels = ("duplicate", "duplicate-candidate", "needs-info", "deferred", "rejected", "feature",
              "urgent-bug", "custom-request", "ui", "sla-warning", "sla-breached", "escalated",
              "info-received", "nudged")
    return (
        CustomFieldDef(1, "Labels", "list", True, labels, TRACKERS, True),
        CustomFieldDef(2, "Customer", "string", False, None, TRACKERS, True),
        CustomFieldDef(3, "Tier", "string", False, None, TRACKERS, True),
        CustomFieldDef(4, "Urgency", "list", False, ("urgent", "normal", "deferrable"),
                       TRACKERS, True),
    )


class FakeRedmine:
    """In-memory Redmine. ``clock`` stamps writes; tests advance it to order events."""

    def __init__(
        self,
        *,
        me: User | None = None,
        users: Iterable[User] = (),
        groups: Mapping[int, str] | None = None,
        group_members: Mapping[str, tuple[str, ...]] | None = None,
        custom_fields: Iterable[CustomFieldDef] | None = None,
        projects: Iterable[str] = ("demo",),
        forbidden_statuses: Iterable[str] = (),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.url = "fake://redmine"
        self.me = me or User(2, "redmine-sync", "redmine-sync bot",
                             created_on=datetime(2025, 12, 1, 8, 0, tzinfo=UTC))
        self.users = {u.id: u for u in (self.me, *users)}
        self.groups = dict(groups or {})
        self.members = dict(group_members or {})
        self.fields = {cf.name: cf for cf in (custom_fields or default_custom_fields())}
        self.projects = {p: Project(i + 1, p, p.title(), TRACKERS, tuple(self.fields), (
            "issue_tracking", "wiki")) for i, p in enumerate(projects)}
        self.forbidden_statuses = set(forbidden_statuses)
        self.issues: dict[int, Issue] = {}
        self.wiki: dict[tuple[str, str], list[WikiPage]] = {}
        self.relations_: dict[int, Relation] = {}
        self.watchers: dict[int, list[str]] = {}  # issue id -> watchers' names, in order
        self.categories: dict[str, tuple[str, ...]] = {}  # project name -> issue categories
        self.requests_made = 0
        self._me_asked = False
        self.reads: Counter[int] = Counter()  # GETs of one issue (verification reads too)
        self.granted = set(BOT_PERMISSIONS)
        self.granted_in: dict[str, set[str]] = {}  # a project where the bot's role differs
        self.markup: str | None = None  # the instance's text format; None: cannot tell
        self.visibility = "all"  # the bot role's "Issues visibility"
        self.read_only: set[str] = set()  # fields the workflow makes read-only ("cf.Tier")
        self.auto_watch = True  # the bot account's "Auto watch issues I contributed to"
        self._now = clock or (lambda: datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
        self._tick = 0
        self._journal_id = 0
        self._catalog = self._build_catalog()

    # -- test helpers ------------------------------------------------------------------

    def now(self) -> datetime:
        """The fake's clock; each call is one second later so writes are ordered."""
        self._tick += 1
        return (self._now() + timedelta(seconds=self._tick)).replace(microsecond=0)

    def add_issue(self, subject: str, *, project: str = "demo", author: User | None = None,
                  without: Iterable[str] = (), **fields: object) -> Issue:
        """A new issue with every custom field but those ``without`` (not enabled for its
        tracker or project: Redmine shows them not and drops writes to them)."""
        author = author or self.me
        stamp = self.now()
        issue = Issue(
            id=max(self.issues, default=0) + 1, project=Ref(self.projects[project].id, project),
            tracker="Bug", status="New", priority="Normal", subject=subject,
            author=Ref(author.id, author.name), created_on=stamp, updated_on=stamp,
            journals=(),
        )
        custom = {cf.name: () if cf.multiple else None for cf in self.fields.values()}
        custom.update(fields.pop("custom_fields", None) or {})  # type: ignore[call-overload]
        for name in without:
            custom.pop(name, None)
        issue = replace(issue, custom_fields=custom, **fields)  # type: ignore[arg-type]
        self.issues[issue.id] = issue
        return issue

    def human_edit(self, issue_id: int, user: User, notes: str = "", private: bool = False,
                   **fields: object) -> Issue:
        """A person edits the issue in the web UI: fields change, a journal is written."""
        issue = self.issues[issue_id]
        custom = fields.pop("custom_fields", None)
        details = tuple(JournalDetail("attr", k, _str(getattr(issue, k)), _str(v))
                        for k, v in fields.items())
        if isinstance(custom, dict):   # like Redmine: one detail per value added or removed
            details += _custom_details(issue.custom_fields, custom)
            fields["custom_fields"] = {**issue.custom_fields, **custom}
        changed = replace(issue, **fields)  # type: ignore[arg-type]
        return self._store(changed, [self._journal(user, notes, private, details)])

    # -- RedmineClient -----------------------------------------------------------------

    def current_user(self) -> User:
        """Asked of Redmine once, as the live client caches it."""
        if not self._me_asked:
            self.requests_made += 1
            self._me_asked = True
        return self.me

    def text_formatting(self) -> str | None:
        return self.markup

    def server_time(self) -> datetime | None:
        return self._now() + timedelta(seconds=self._tick)

    def catalog(self) -> Catalog:
        return self._catalog

    def project(self, identifier: str) -> Project:
        """By identifier or id, like Redmine's /projects/:id."""
        self.requests_made += 1
        found = self.projects.get(identifier) or next(
            (p for p in self.projects.values() if str(p.id) == identifier), None)
        if found is None:
            raise NotFound(f"project {identifier!r} not found (HTTP 404)")
        return found

    def memberships(self, project: str) -> tuple[Membership, ...]:
        self.project(project)
        people = [Membership(project, Ref(u.id, u.name), False, ("Developer",))
                  for u in self.users.values()]
        teams = [Membership(project, Ref(gid, name), True, ("Developer",))
                 for gid, name in self.groups.items()]
        return tuple(people + teams)

    def group_members(self, group: str) -> tuple[str, ...]:
        self._catalog.principals.get(group)
        return self.members.get(group, ())

    def user(self, user_id: int) -> User:
        if user_id not in self.users:
            raise NotFound(f"user #{user_id} not found (HTTP 404)")
        return self.users[user_id]

    def permissions(self, project: str) -> frozenset[str] | None:
        project = self.project(project).identifier
        return None if self.me.admin else frozenset(self.granted_in.get(project, self.granted))

    def may(self, project: str, permission: str) -> bool:
        """Whether the bot holds ``permission`` in ``project`` (tests and the fake itself)."""
        return self.me.admin or permission in self.granted_in.get(project, self.granted)

    def issues_visibility(self, project: str) -> str | None:
        self.project(project)
        return None if self.me.admin else self.visibility

    def iter_issues(self, project: str | None = None,
                    updated_since: datetime | None = None) -> Iterator[Issue]:
        self.requests_made += 1
        # Redmine's "updated_on>=T" is "updated_on > T - 1s" at second granularity
        floor = updated_since.replace(microsecond=0) - timedelta(seconds=1) if updated_since \
            else None
        rows = sorted(self.issues.values(), key=lambda i: (i.updated_on, i.id))
        related: dict[int, list[Relation]] = {}   # listed with include=relations, as live
        for rel in self.relations_.values():
            for side in {rel.issue_id, rel.issue_to_id}:
                related.setdefault(side, []).append(rel)
        for issue in rows:
            if project and issue.project.name != project:
                continue
            if floor and issue.updated_on <= floor:
                continue
            yield replace(issue, journals=None, allowed_statuses=None,
                          relations=tuple(related.get(issue.id, ())))

    def updated_on(self, issue_ids: Sequence[int], since: datetime | None = None
                   ) -> dict[int, datetime]:
        self.requests_made += 1
        return {i: self.issues[i].updated_on for i in issue_ids if i in self.issues
                and (since is None or self.issues[i].updated_on >= since)}

    def get_issue(self, issue_id: int, *, journals: bool = True) -> Issue:
        self.reads[issue_id] += 1
        return self._shown(issue_id, journals)

    def issue_journals(self, issue_id: int, *, allowed_statuses: bool = False) -> Issue:
        self.reads[issue_id] += 1
        issue = self._shown(issue_id, True)
        return replace(issue, relations=(), attachments=0,
                       allowed_statuses=issue.allowed_statuses if allowed_statuses else None)

    def _shown(self, issue_id: int, journals: bool) -> Issue:
        self.requests_made += 1
        if issue_id not in self.issues:
            raise NotFound(f"issue #{issue_id} not found (HTTP 404)")
        issue = self.issues[issue_id]
        visible = issue.journals
        if visible is not None and not self.may(issue.project.name, "view_private_notes"):
            visible = tuple(j for j in visible if not j.private or j.user.id == self.me.id)
        relations = tuple(r for r in self.relations_.values()
                          if issue_id in (r.issue_id, r.issue_to_id))
        return replace(issue, journals=visible if journals else None, relations=relations,
                       allowed_statuses=self._allowed_statuses(issue))

    def update_issue(self, update: IssueUpdate) -> UpdateResult:
        self._shown(update.issue_id, False)
        encode_update(update, self._catalog)  # the same name checks as live
        before = self.issues[update.issue_id]
        project = before.project.name
        if not (self.may(project, "edit_issues") or self.may(project, "add_issue_notes")):
            raise PermissionDenied(f"Redmine answered 403 Forbidden to PUT /issues/"
                                   f"{update.issue_id}.json", "edit_issues")
        kept = update  # what Redmine keeps of it
        if not self.may(project, "edit_issues"):  # like Redmine: only the note is safe
            kept = IssueUpdate(update.issue_id, notes=update.notes,
                               private_notes=update.private_notes)
        kept = replace(kept, custom_fields={  # like Redmine: only the issue's own fields
            k: v for k, v in kept.custom_fields.items() if k in before.custom_fields})
        if self.read_only:  # like Redmine: read-only fields are dropped without an error
            dropped: dict[str, Any] = {f: None for f in self.read_only if "." not in f}
            kept = replace(kept, **dropped,
                           custom_fields={k: v for k, v in kept.custom_fields.items()
                                          if f"cf.{k}" not in self.read_only})
        if not self.may(project, "add_issue_notes"):
            kept = replace(kept, notes=None)
        if not self.may(project, "add_issues"):  # like Redmine: no tracker it may not add to
            kept = replace(kept, tracker=None)
        if not self.may(project, "set_notes_private"):
            kept = replace(kept, private_notes=False)
        after, details = self._apply_fields(before, kept)
        if after.start_date and after.due_date and after.due_date < after.start_date:
            msg = "Due date must be greater than start date"   # like Redmine: a 422
            raise RedmineValidationError(f"Redmine refused the change: {msg}", [msg])
        journals = self._journals_for(kept, details)
        self._store(after, journals)
        result = self.get_issue(update.issue_id, journals=True)
        return UpdateResult(result, dropped_changes(update, result, self._catalog),
                            note_added=bool(update.notes))

    def edit_note(self, journal_id: int, text: str) -> None:
        self.requests_made += 1
        found = [(i, j) for i in self.issues.values() for j in i.journals or ()
                 if j.id == journal_id]
        if not found:
            raise NotFound(f"journal #{journal_id} not found (HTTP 404)")
        [(issue, journal)] = found
        if not (self.may(issue.project.name, "edit_issue_notes") or (
                journal.user.id == self.me.id and
                self.may(issue.project.name, "edit_own_issue_notes"))):
            raise PermissionDenied(f"Redmine answered 403 Forbidden to PUT /journals/"
                                   f"{journal_id}.json", "edit_own_issue_notes")
        kept = tuple(replace(j, notes=text) if j.id == journal_id else j
                     for j in issue.journals or ()
                     if j.id != journal_id or text.strip() or j.details)
        self.issues[issue.id] = replace(issue, journals=kept)  # updated_on stays, as in 5.0

    def relations(self, issue_id: int) -> tuple[Relation, ...]:
        self._shown(issue_id, False)
        return tuple(r for r in self.relations_.values() if issue_id in (r.issue_id, r.issue_to_id))

    def add_relation(self, issue_id: int, other_id: int, relation_type: str) -> Relation:
        self._shown(other_id, False)
        if not self.may(self.issues[issue_id].project.name, "manage_issue_relations"):
            raise PermissionDenied(f"Redmine answered 403 Forbidden to POST /issues/{issue_id}"
                                   "/relations.json", "manage_issue_relations")
        if relation_type in REVERSE:
            issue_id, other_id, relation_type = other_id, issue_id, REVERSE[relation_type]
        for rel in self.relations(issue_id):
            if (rel.issue_id, rel.issue_to_id, rel.type) == (issue_id, other_id, relation_type):
                return rel
        if issue_id == other_id:
            raise RedmineValidationError("Redmine refused the change: Related issue is invalid",
                                         ["Related issue is invalid"])
        rel = Relation(max(self.relations_, default=0) + 1, issue_id, other_id, relation_type)
        self.relations_[rel.id] = rel
        for side in (issue_id, other_id):
            detail = JournalDetail("relation", relation_type, None, str(other_id))
            self._store(self.issues[side], [self._journal(self.me, "", False, (detail,))])
        return rel

    def remove_relation(self, issue_id: int, other_id: int, relation_type: str) -> bool:
        if not self.may(self.issues[issue_id].project.name, "manage_issue_relations"):
            raise PermissionDenied(f"Redmine answered 403 Forbidden to DELETE /relations/"
                                   f"(#{issue_id})", "manage_issue_relations")
        if relation_type in REVERSE:
            issue_id, other_id, relation_type = other_id, issue_id, REVERSE[relation_type]
        found = [r for r in self.relations_.values()
                 if (r.issue_id, r.issue_to_id, r.type) == (issue_id, other_id, relation_type)]
        for rel in found:
            del self.relations_[rel.id]
            for side in (issue_id, other_id):
                detail = JournalDetail("relation", relation_type, str(other_id), None)
                self._store(self.issues[side], [self._journal(self.me, "", False, (detail,))])
        return bool(found)

    def stop_auto_watch(self) -> None:
        self.requests_made += 1
        self.auto_watch = False

    def watched(self, project: str | None = None) -> int:
        self.requests_made += 1
        return sum(self.me.name in names for issue_id, names in self.watchers.items()
                   if project is None or self.issues[issue_id].project.name == project)

    def add_watcher(self, issue_id: int, principal: str) -> None:
        self.get_issue(issue_id)
        if not self.may(self.issues[issue_id].project.name, "add_issue_watchers"):
            raise PermissionDenied(f"Redmine answered 403 Forbidden to POST /issues/{issue_id}"
                                   "/watchers.json", "add_issue_watchers")
        who = self.catalog().principals.get(principal)   # UnknownName, as the live client
        watching = self.watchers.setdefault(issue_id, [])
        if who.name not in watching:   # Redmine keeps one watcher per person, no journal
            watching.append(who.name)

    def remove_watcher(self, issue_id: int, principal: str) -> None:
        self.get_issue(issue_id)
        if not self.may(self.issues[issue_id].project.name, "delete_issue_watchers"):
            raise PermissionDenied(f"Redmine answered 403 Forbidden to DELETE /issues/"
                                   f"{issue_id}/watchers", "delete_issue_watchers")
        who = self.catalog().principals.get(principal)
        with suppress(ValueError):
            self.watchers.get(issue_id, []).remove(who.name)

    def get_wiki_page(self, project: str, title: str) -> WikiPage | None:
        self.project(project)
        versions = self.wiki.get((project, wiki_title(title).casefold()))
        return versions[-1] if versions else None

    def put_wiki_page(self, project: str, title: str, text: str, *, base_version: int | None,
                      comments: str = "", parent: str | None = None,
                      files: Sequence[tuple[str, bytes]] = ()) -> WikiWrite:
        current = self.get_wiki_page(project, title)
        check_wiki_base(current, title, base_version)
        if not self.may(project, "edit_wiki_pages"):
            raise PermissionDenied(f"Redmine answered 403 Forbidden to PUT wiki page {title}",
                                   "edit_wiki_pages")
        if not text.strip():
            raise RedmineValidationError("Redmine refused the change: Text cannot be blank",
                                         ["Text cannot be blank"])
        if current is not None and current.text == text:
            return WikiWrite("unchanged", current)
        if current is not None and base_version != current.version:
            raise WikiConflict("the page changed since it was read (HTTP 409); nothing was "
                               "overwritten")
        attached = tuple(dict.fromkeys((*(current.attachments if current else ()),
                                        *(name for name, _ in files))))
        page = WikiPage(project, wiki_title(title), text, (current.version if current else 0) + 1,
                        self.now(), comments, attached,
                        wiki_title(parent) if parent else (current.parent if current else None),
                        Ref(self.me.id, self.me.name))
        self.wiki.setdefault((project, page.title.casefold()), []).append(page)
        return WikiWrite("created" if current is None else "updated", page)

    # -- internals ---------------------------------------------------------------------

    def _build_catalog(self) -> Catalog:
        statuses = Lookup("status", (Named(i + 1, n, is_closed=c)
                                     for i, (n, c) in enumerate(STATUSES)))
        priorities = Lookup("priority", (Named(i + 1, n, is_default=n == "Normal")
                                         for i, n in enumerate(PRIORITIES)))
        trackers = Lookup("tracker", (Named(i + 1, n) for i, n in enumerate(TRACKERS)))
        principals = Lookup("user or group", [
            *(Named(u.id, u.name, login=u.login) for u in self.users.values()),
            *(Named(gid, name, is_group=True) for gid, name in self.groups.items()),
        ])
        return Catalog(
            {"statuses": lambda: statuses, "priorities": lambda: priorities,
             "trackers": lambda: trackers, "principals": lambda: principals,
             "versions": lambda: Lookup("version", ()),
             "roles": lambda: Lookup("role", (Named(i + 1, n) for i, n in enumerate(ROLES)))},
            lambda: tuple(self.fields.values()),
        )

    def _apply_fields(self, issue: Issue, update: IssueUpdate) -> tuple[Issue, list[JournalDetail]]:
        details: list[JournalDetail] = []
        changes: dict[str, object] = {}
        if update.status and update.status in self._allowed_statuses(issue):
            closed = self._catalog.statuses.get(update.status).is_closed
            changes.update(status=self._catalog.statuses.get(update.status).name, is_closed=closed)
        if update.priority:
            changes["priority"] = self._catalog.priorities.get(update.priority).name
        if update.tracker:
            changes["tracker"] = self._catalog.trackers.get(update.tracker).name
        if update.assigned_to is not None:
            changes["assigned_to"] = self._principal(update.assigned_to)
        if update.category is not None:
            changes["category"] = self._category(issue, update.category)
        if update.due_date is not None:
            changes["due_date"] = update.due_date
        for name in ("status", "priority", "tracker", "category"):
            if name in changes and changes[name] != getattr(issue, name):
                details.append(JournalDetail("attr", name, getattr(issue, name), str(changes[name])))
        custom = dict(issue.custom_fields)
        for name, value in update.custom_fields.items():
            cf = self._catalog.custom_field(name)
            self._check_values(cf, value)
            before = custom.get(cf.name)
            if cf.multiple:  # like Redmine: one detail per value removed or added
                old_set = set(before or ())
                new_set = set(value or ())
                details += [JournalDetail("cf", f"cf.{cf.name}", v, None)
                            for v in sorted(old_set - new_set)]
                details += [JournalDetail("cf", f"cf.{cf.name}", None, v)
                            for v in sorted(new_set - old_set)]
            elif before != value:
                details.append(JournalDetail("cf", f"cf.{cf.name}", _str(before), _str(value)))
            custom[cf.name] = value
        return replace(issue, custom_fields=custom, **changes), details  # type: ignore[arg-type]

    def _category(self, issue: Issue, name: str) -> str | None:
        """Like Redmine: a category of the issue's project, by name ("" clears it)."""
        if not name:
            return None
        known = self.categories.get(issue.project.name, ())
        found = next((c for c in known if c.casefold() == name.casefold()), None)
        if found is None:
            raise UserError(f"project {issue.project.name} has no issue category {name!r} "
                            f"(it has: {', '.join(known) or 'none'})",
                            hint="add the category in the project's Settings > Issue "
                                 "categories, or change the rule that sets it")
        return found

    def _allowed_statuses(self, issue: Issue) -> tuple[str, ...]:
        """Like Redmine: the workflow's statuses, minus closed ones while an open issue blocks."""
        blocked = any(r.type == "blocks" and r.issue_to_id == issue.id
                      and not self.issues[r.issue_id].is_closed for r in self.relations_.values())
        return tuple(s.name for s in self._catalog.statuses.items
                     if s.name not in self.forbidden_statuses and not (blocked and s.is_closed))

    def _principal(self, name: str) -> Ref | None:
        if not name:
            return None
        found = self._catalog.principals.get(name)
        return Ref(found.id, found.name)

    @staticmethod
    def _check_values(cf: CustomFieldDef, value: CustomValue) -> None:
        values = value if isinstance(value, tuple) else (value,) if value else ()
        for v in values:
            if cf.possible_values is not None and v not in cf.possible_values:
                msg = f"{cf.name} is not included in the list"
                raise RedmineValidationError(f"Redmine refused the change: {msg}", [msg])

    def _journals_for(self, update: IssueUpdate, details: list[JournalDetail]) -> list[Journal]:
        notes = update.notes or ""
        if notes and update.private_notes and details:
            return [self._journal(self.me, "", False, tuple(details)),
                    self._journal(self.me, notes, True, ())]
        if notes or details:
            return [self._journal(self.me, notes, bool(notes) and update.private_notes,
                                  tuple(details))]
        return []

    def _journal(self, user: User, notes: str, private: bool,
                 details: tuple[JournalDetail, ...]) -> Journal:
        self._journal_id += 1
        return Journal(self._journal_id, Ref(user.id, user.name), self.now(), notes, private,
                       details)

    def _store(self, issue: Issue, journals: list[Journal]) -> Issue:
        if any(j.user.id == self.me.id for j in journals) and self.auto_watch and \
                self.may(issue.project.name, "add_issue_watchers"):  # like Redmine 5.0
            watching = self.watchers.setdefault(issue.id, [])
            if self.me.name not in watching:
                watching.append(self.me.name)
        stored = replace(issue, updated_on=self.now(),
                         journals=(*(issue.journals or ()), *journals))
        self.issues[issue.id] = stored
        return stored


def _str(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, Ref):
        return value.name
    if isinstance(value, tuple):
        return ", ".join(value)
    return str(value)


def _custom_details(before: Mapping[str, object], after: Mapping[str, object]
                    ) -> tuple[JournalDetail, ...]:
    out: list[JournalDetail] = []
    for name, value in after.items():
        old = before.get(name)
        if isinstance(value, tuple):
            old_set, new_set = set(old or ()), set(value)   # type: ignore[call-overload]
            out += [JournalDetail("cf", f"cf.{name}", str(v), None)
                    for v in sorted(old_set - new_set)]
            out += [JournalDetail("cf", f"cf.{name}", None, str(v))
                    for v in sorted(new_set - old_set)]
        elif old != value:
            out.append(JournalDetail("cf", f"cf.{name}", _str(old), _str(value)))
    return tuple(out)

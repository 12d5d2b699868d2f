"""The port to Redmine: the interface every backend (live or fake) implements.

``live.LiveRedmine`` is the only code that talks to a real Redmine; ``fake.FakeRedmine``
keeps the same promises in memory for unit tests. ``tests/contract`` runs one suite
against both.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from redmine_sync.model import Issue
from redmine_sync.model import IssueUpdate
from redmine_sync.model import Membership
from redmine_sync.model import Project
from redmine_sync.model import Relation
from redmine_sync.model import UpdateResult
from redmine_sync.model import User
from redmine_sync.model import WikiPage
from redmine_sync.model import WikiWrite
from redmine_sync.redmine.catalog import Catalog


class RedmineClient(Protocol):
    """What the tool may ask of Redmine. Names in, names out; ids stay inside."""

    url: str

    def current_user(self) -> User:
        """The user the API key belongs to (raises RedmineAuthError for a refused key)."""

    def catalog(self) -> Catalog:
        """Name <-> id lookups, loaded lazily and cached for this client's lifetime."""

    def project(self, identifier: str) -> Project:
        """One project with its trackers, enabled custom fields and modules."""

    def memberships(self, project: str) -> tuple[Membership, ...]:
        """Users and groups of a project with their roles."""

    def group_members(self, group: str) -> tuple[str, ...]:
        """Display names of a group's users (for round-robin and least-loaded routing)."""

    def user(self, user_id: int) -> User:
        """One user; ``mail`` is empty when Redmine hides it from this key."""

    def permissions(self, project: str) -> frozenset[str] | None:
        """The current user's permissions in a project (identifier or id); None for an
        administrator."""

    def issues_visibility(self, project: str) -> str | None:
        """Issues the bot's roles let it see: "all", "default" (no others' private ones)
        or "own"; None for an administrator."""

    def iter_issues(
        self, project: str | None = None, updated_since: datetime | None = None
    ) -> Iterator[Issue]:
        """Every issue, open and closed, ordered by (updated_on, id), each exactly once."""

    def updated_on(self, issue_ids: Sequence[int], since: datetime | None = None
                   ) -> dict[int, datetime]:
        """When each issue last changed, as listed now (one listing per 100 issues); an
        issue the bot no longer sees is absent. With ``since``, the issues changed at or
        after it, and none changed more than a second before (Redmine keeps finer stamps
        than it shows, and renders only the issues it lists)."""

    def get_issue(self, issue_id: int, *, journals: bool = True) -> Issue:
        """One issue; with journals sorted by id, relations and allowed statuses."""

    def issue_journals(self, issue_id: int, *, allowed_statuses: bool = False) -> Issue:
        """One issue with its journals sorted by id, and nothing else it need not render
        (no relations, no attachments); with ``allowed_statuses`` also the statuses the
        workflow lets the bot set (the read apply makes before writing)."""

    def update_issue(self, update: IssueUpdate) -> UpdateResult:
        """One PUT with all fields and the note, then a re-read (journals included, for
        the SLA cache) reporting dropped changes."""

    def edit_note(self, journal_id: int, text: str) -> None:
        """Replace the text of a note (``PUT /journals/:id.json``; the bot's own notes need
        "Edit own notes", others' "Edit notes"); a blank text deletes a note that carries
        no change. The issue's ``updated_on`` stays as it was."""

    def relations(self, issue_id: int) -> tuple[Relation, ...]:
        """Relations of one issue."""

    def add_relation(self, issue_id: int, other_id: int, relation_type: str) -> Relation:
        """Create a relation; an existing identical relation is returned, not duplicated."""

    def remove_relation(self, issue_id: int, other_id: int, relation_type: str) -> bool:
        """Delete the relation between the two issues (either direction); False when there
        is none."""

    def add_watcher(self, issue_id: int, principal: str) -> None:
        """Add a user or group (login or name) as a watcher; one already watching stays."""

    def remove_watcher(self, issue_id: int, principal: str) -> None:
        """Remove a watcher (login or name); one not watching is fine."""

    def stop_auto_watch(self) -> None:
        """Switch off the API user's own preference "Auto watch issues I contributed to"
        (on for every new account in Redmine 5.0: the bot would watch every issue it
        writes); needs no administrator."""

    def watched(self, project: str | None = None) -> int:
        """How many issues (open and closed) the API user watches."""

    def get_wiki_page(self, project: str, title: str) -> WikiPage | None:
        """The page, or None when it does not exist."""

    def put_wiki_page(
        self, project: str, title: str, text: str, *, base_version: int | None,
        comments: str = "", parent: str | None = None,
        files: Sequence[tuple[str, bytes]] = (),
    ) -> WikiWrite:
        """Create (base_version None) or update a page, with a parent page and files to
        attach; raise WikiConflict, never overwrite."""

    def text_formatting(self) -> str | None:
        """The instance's markup (textile, markdown, common_mark); None if it cannot tell."""

    def server_time(self) -> datetime | None:
        """Redmine's clock from its answers' Date header; None when it sends none."""


__all__ = ["Catalog", "RedmineClient"]

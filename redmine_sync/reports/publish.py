"""Publish a rendered report page: only when it changed, never over a person's edit.

The state store remembers the version the tool wrote last. If the page's version moved
since (a person edited it), or Redmine answers 409 while writing, the report goes to a
sibling page (``<title>_2``, ``_3``...) and the result says so. Unchanged text writes
nothing, so no new wiki version is created; nor do unchanged figures (``figures``: a digest
of the text without its "as of" time) on a page still as the tool wrote it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from redmine_sync.errors import WikiConflict
from redmine_sync.model import WikiPage
from redmine_sync.redmine import RedmineClient
from redmine_sync.redmine.mapping import wiki_title
from redmine_sync.store import StateStore

MAX_SIBLINGS = 20


@dataclass(frozen=True)
class Published:
    title: str          # the page written (a sibling when diverted)
    outcome: str        # created | updated | unchanged | diverted
    version: int
    note: str = ""


def same_text(a: str, b: str) -> bool:
    """Redmine stores CRLF and may trim: compare what a reader sees."""
    def norm(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n"))
    return norm(a) == norm(b)


def publish(client: RedmineClient, store: StateStore, project: str, title: str, text: str, *,
            report: str, period: str, parent: str | None = None,
            files: Sequence[tuple[str, bytes]] = (), comment: str = "",
            figures: str | None = None) -> Published:
    title = wiki_title(title)
    for attempt in range(MAX_SIBLINGS):
        target = title if attempt == 0 else f"{title}_{attempt + 1}"
        current = client.get_wiki_page(project, target)
        ours = store.published_version(project, target)
        if current is not None and (same_text(current.text, text) or (
                figures and ours == current.version
                and store.published_figures(project, target) == figures)):
            _record(store, project, current, report, period, figures)
            return Published(current.title, "unchanged", current.version, _diverted(attempt))
        if current is not None and ours != current.version and not _last_ours(client, current):
            continue  # a person wrote this page (or it is not ours): never overwrite it
        try:
            written = client.put_wiki_page(
                project, target, text, base_version=current.version if current else None,
                comments=comment, parent=parent, files=_missing(files, current))
        except WikiConflict:
            continue  # edited between our read and our write
        _record(store, project, written.page, report, period, figures)
        outcome = "diverted" if attempt else written.outcome
        return Published(written.page.title, outcome, written.page.version, _diverted(attempt))
    raise WikiConflict(f"{title} and its {MAX_SIBLINGS - 1} sibling pages were all edited by "
                       "people; nothing was overwritten")


def _last_ours(client: RedmineClient, page: WikiPage) -> bool:
    """The last version is the bot's: a write that landed though its answer was lost (so
    its version was never recorded), not a person's edit."""
    return page.author is not None and page.author.id == client.current_user().id


def _diverted(attempt: int) -> str:
    if not attempt:
        return ""
    return "the page was edited by a person since the last publish; written to a sibling page"


def _missing(files: Sequence[tuple[str, bytes]], page: WikiPage | None
             ) -> Sequence[tuple[str, bytes]]:
    have = set(page.attachments) if page else set()
    return [(name, data) for name, data in files if name not in have]


def _record(store: StateStore, project: str, page: WikiPage, report: str, period: str,
            figures: str | None) -> None:
    with store.transaction():
        store.record_published(project, page.title, page.version, report, period, figures)

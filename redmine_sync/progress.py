"""Progress of long work: issue pages, journal reads, writes, report pages.

Code doing long work says how far it got with ``advance(task, done, total)``. That costs
a context-variable look-up and nothing else unless the CLI installed a reporter for the
command (``with reporting(reporter): ...``): a bar on a terminal, a log line every few
seconds elsewhere (``cli/progress.py``), nothing with ``-q``. The work itself never
knows who watches, so the engines and tests stay free of output.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

# The tasks' names, as people read them ("issues read 300/3000").
ISSUES_READ = "issues read"
JOURNALS_READ = "journals read"
ISSUES_WRITTEN = "issues written"
PAGES_PUBLISHED = "report pages published"


class Progress(Protocol):
    """Receives how far each task got; ``total`` None when the end is not known."""

    def advance(self, task: str, done: int, total: int | None) -> None: ...


_current: ContextVar[Progress | None] = ContextVar("redmine_sync_progress", default=None)


def advance(task: str, done: int, total: int | None = None) -> None:
    """Tell the installed reporter (if any) that ``task`` reached ``done`` of ``total``."""
    reporter = _current.get()
    if reporter is not None:
        reporter.advance(task, done, total)


@contextmanager
def reporting(progress: Progress) -> Iterator[Progress]:
    """Send the progress of the work done inside the block to ``progress``."""
    token = _current.set(progress)
    try:
        yield progress
    finally:
        _current.reset(token)

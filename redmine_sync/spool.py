"""The plan of a write run, kept on disk while it is decided, so apply holds one issue's.

An apply run decides every issue before it writes any (the circuit breaker must refuse
an over-broad run before anything is written), and a first run decides thousands of
changes. Held as a list, those plans were most of the run's memory. Instead, each issue
plan goes to an unnamed temporary file beside the state store as it is decided (pickled:
the plan's frozen dataclasses come back equal, and nothing else reads the file), while
the spool keeps in memory only what the breaker and the run's end need: each changed
issue's id and ``updated_on``, and the SLA marks. Then the plan is read back one issue
at a time: to show it, and to write it.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO
from typing import Self

from redmine_sync.changes import Mark
from redmine_sync.errors import UserError
from redmine_sync.plan import IssuePlan


class Spool:
    """Issue plans in the order they were decided; one reading at a time. Use as a
    context manager: the file is gone when it closes (or the process ends)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        try:
            self._file: IO[bytes] = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 - closed by __exit__
        except OSError as exc:
            raise self._failed(exc) from None
        self._count = 0
        self.changed: list[tuple[int, datetime]] = []  # (issue, updated_on) with writes
        self.marks: list[tuple[int, bool, tuple[Mark, ...]]] = []  # (issue, empty, marks)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def __len__(self) -> int:
        return self._count

    def add(self, item: IssuePlan) -> None:
        try:
            pickle.dump(item, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError as exc:
            raise self._failed(exc) from None
        self._count += 1
        if not item.empty:
            self.changed.append((item.issue_id, item.updated_on))
        if item.sla_marks:
            self.marks.append((item.issue_id, item.empty, item.sla_marks))

    def __iter__(self) -> Iterator[IssuePlan]:
        """Every issue plan, read back from the start."""
        self._file.flush()
        self._file.seek(0)
        for _ in range(self._count):
            yield pickle.load(self._file)  # written by this process, just above

    def _failed(self, exc: OSError) -> UserError:
        return UserError(f"cannot keep this run's plan in {self.directory} (beside the state "
                         f"store) while it is decided: {exc}; nothing was written",
                         hint="free space there, or set state.path to a directory with room")

    def writes(self) -> Writes:
        """The issue plans with something to write, as apply takes them."""
        return Writes(self)


class Writes:
    """The changed issue plans of a spool: their number, and each read back in turn."""

    def __init__(self, spool: Spool) -> None:
        self.spool = spool

    def __len__(self) -> int:
        return len(self.spool.changed)

    def __iter__(self) -> Iterator[IssuePlan]:
        return (item for item in self.spool if not item.empty)

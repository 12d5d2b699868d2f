"""What a write run did to one issue (apply.py, due_notes.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    issue_id: int
    status: str            # written | partial | skipped | failed | pending | deferred
    reason: str = ""
    fields: tuple[str, ...] = ()

"""``redmine-sync issues``: render what the tool reads, as a table or JSON lines. Pure."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from collections.abc import Iterator
from datetime import datetime

from redmine_sync.config import FieldMap
from redmine_sync.model import Issue
from redmine_sync.redmine import RedmineClient


def list_issues(client: RedmineClient, projects: Iterable[str | None],
                since: datetime | None, fields: FieldMap, fmt: str) -> Iterator[str]:
    """Lines to print: one per issue, then a total."""
    total = closed = 0
    if fmt == "text":
        yield f"{'#':>6}  {'status':<14} {'priority':<9} {'customer':<18} {'labels':<24} subject"
    for project in projects:
        for issue in client.iter_issues(project=project, updated_since=since):
            total += 1
            closed += issue.is_closed
            yield issue_json(issue, fields) if fmt == "json" else issue_row(issue, fields)
    if fmt == "text":
        yield f"{total} issue(s), {total - closed} open, {closed} closed"


def issue_row(issue: Issue, fields: FieldMap) -> str:
    labels = ",".join(issue.cf(fields.labels) or ())
    customer = str(issue.cf(fields.customer) or "-")
    return (f"{issue.id:>6}  {_cut(issue.status, 14)} {_cut(issue.priority, 9)} "
            f"{_cut(customer, 18)} {_cut(labels or '-', 24)} {issue.subject}")


def issue_json(issue: Issue, fields: FieldMap) -> str:
    return json.dumps({
        "id": issue.id, "project": issue.project.name, "tracker": issue.tracker,
        "status": issue.status, "closed": issue.is_closed, "priority": issue.priority,
        "subject": issue.subject, "customer": issue.cf(fields.customer),
        "labels": list(issue.cf(fields.labels) or ()),
        "assigned_to": issue.assigned_to.name if issue.assigned_to else None,
        "updated_on": issue.updated_on.isoformat(),
    }, ensure_ascii=False)


def _cut(text: str, width: int) -> str:
    """``text`` cut and padded to ``width`` terminal columns (CJK characters take two)."""
    full = _display_width(text)
    if full <= width:
        return text + " " * (width - full)
    out, used = "", 0
    for char in text:
        if used + _columns(char) > width - 1:
            break
        out, used = out + char, used + _columns(char)
    return out + "…" + " " * (width - used - 1)


def _columns(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _display_width(text: str) -> int:
    return sum(_columns(c) for c in text)

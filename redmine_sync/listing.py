"""``redmine-sync issues``: what the tool reads, as a table or JSON lines. Pure."""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Iterator
from datetime import datetime

from redmine_sync.config import FieldMap
from redmine_sync.model import Issue
from redmine_sync.redmine import RedmineClient
from redmine_sync.table import Column
from redmine_sync.table import Styles
from redmine_sync.table import render

COLUMNS = (Column("#", right=True), Column("status"), Column("priority"),
           Column("customer", give=3, least=12), Column("labels", give=2, least=10),
           Column("subject", give=1, least=20))


def list_issues(client: RedmineClient, projects: Iterable[str | None],
                since: datetime | None, fields: FieldMap, fmt: str, width: int | None = None,
                styles: Styles | None = None) -> Iterator[str]:
    """Lines to print: JSON lines as read; or a table (fitted to ``width`` terminal
    columns, None: no limit) once every issue is read, then a total."""
    total = closed = 0
    rows = []
    for project in projects:
        for issue in client.iter_issues(project=project, updated_since=since):
            total += 1
            closed += issue.is_closed
            if fmt == "json":
                yield issue_json(issue, fields)
            else:
                rows.append(issue_cells(issue, fields))
    if fmt == "text":
        yield from render(COLUMNS, rows, width, styles)
        yield f"{total} issue(s), {total - closed} open, {closed} closed"


def issue_cells(issue: Issue, fields: FieldMap) -> tuple[str, ...]:
    labels = ",".join(issue.cf(fields.labels) or ())
    customer = str(issue.cf(fields.customer) or "-")
    return (str(issue.id), issue.status, issue.priority, customer, labels or "-", issue.subject)


def issue_json(issue: Issue, fields: FieldMap) -> str:
    return json.dumps({
        "id": issue.id, "project": issue.project.name, "tracker": issue.tracker,
        "status": issue.status, "closed": issue.is_closed, "priority": issue.priority,
        "subject": issue.subject, "customer": issue.cf(fields.customer),
        "labels": list(issue.cf(fields.labels) or ()),
        "assigned_to": issue.assigned_to.name if issue.assigned_to else None,
        "updated_on": issue.updated_on.isoformat(),
    }, ensure_ascii=False)

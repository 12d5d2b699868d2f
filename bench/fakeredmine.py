"""A fake Redmine over HTTP on 127.0.0.1 for the client-side benchmark: no Redmine needed.

It serves ``GET /issues.json`` (status_id, project_id, sort=updated_on,id, updated_on>=,
offset, limit), ``GET /issues/N.json`` (no journals), ``GET /issues/N/relations.json``
(none) and ``GET /issue_statuses.json`` for ``count`` synthetic issues that look like the
local Redmine's (same keys, twelve custom fields, Chinese and English text). Writes to
those issues (``PUT /issues/N.json``, relations, watchers) are answered as Redmine answers
them and kept nowhere: the next read shows the issue unchanged, so apply reports its
changes as dropped. That is enough to measure what an apply holds and sends. With
``upstream`` (the local Redmine's URL), every other request is forwarded there, so the
real command line runs against 100,000 issues with the local Redmine's statuses, fields,
projects and members, and publishes its reports (uploads, wiki pages) there.
Nothing is stored per issue: each page is generated from the issue numbers it covers, so
the server's memory stays the same for 1,000 or 1,000,000 issues. Issue n is updated n
seconds after a fixed start, so every filter and page is computed, not searched.

    with FakeRedmine(100_000) as fake:
        LiveRedmine(fake.url, "0" * 40).iter_issues(project="bench")
"""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from typing import Self
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import requests  # noqa: TID251 - the fake forwards to the local Redmine
import yaml

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 8, 1, tzinfo=UTC)
STATUSES = (("New", False), ("In Progress", False), ("Resolved", False), ("Feedback", False),
            ("Closed", True), ("Rejected", True), ("Testing", False),
            ("Awaiting acceptance", False))
PRIORITIES = ("Low", "Normal", "High", "Urgent", "Immediate")
TRACKERS = ("Bug", "Feature", "Support")
USERS = ((6, "Li Na"), (7, "Wang Lei"), (8, "Chen Jie"), (9, "Zhao Min"), (10, "Sun Hao"))
MAX_LIMIT = 100


def _stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class Catalogue:
    """The synthetic issues: issue n is a pure function of n."""

    def __init__(self, count: int, project: str = "bench") -> None:
        self.count = count
        self.project = project
        demo = yaml.safe_load((ROOT / "scripts" / "demo-data.yaml").read_text(encoding="utf-8"))
        self.templates = demo["issues"]
        self.customers = [c["name"] for c in demo["customers"]]

    def updated_on(self, n: int) -> datetime:
        return START + timedelta(seconds=n)

    def first_at_or_after(self, when: datetime) -> int:
        """The first issue number whose updated_on is >= ``when`` (issues are 1..count)."""
        seconds = (when - START).total_seconds()
        return max(1, int(seconds) + (seconds > int(seconds)))

    def issue(self, n: int) -> dict[str, Any]:
        t = self.templates[n % len(self.templates)]
        status, closed = STATUSES[n % 7 if n % 3 else 0]
        cf = t.get("custom_fields") or {}
        created = self.updated_on(n) - timedelta(hours=n % 500)
        row: dict[str, Any] = {
            "id": n, "project": {"id": 3, "name": f"Benchmark ({self.project})"},
            "tracker": {"id": 1 + n % 3, "name": TRACKERS[n % 3]},
            "status": {"id": 1 + n % 8, "name": status, "is_closed": closed},
            "priority": {"id": 1 + n % 5, "name": PRIORITIES[n % 5]},
            "author": {"id": USERS[n % 5][0], "name": USERS[n % 5][1]},
            "subject": f"{t['subject']} {n}", "description": t.get("description", ""),
            "start_date": created.date().isoformat(), "due_date": None, "done_ratio": 0,
            "is_private": False, "estimated_hours": None, "total_estimated_hours": None,
            "custom_fields": [
                {"id": 1, "name": "Labels", "multiple": True,
                 "value": ["feature", "strategic"] if n % 2 else []},
                {"id": 2, "name": "Customer", "value": self.customers[n % len(self.customers)]},
                {"id": 3, "name": "Channel", "value": cf.get("Channel")},
                {"id": 4, "name": "Requirement type", "value": cf.get("Requirement type")},
                {"id": 5, "name": "Value", "value": cf.get("Value")},
                {"id": 6, "name": "Cost", "value": cf.get("Cost")},
                {"id": 7, "name": "Urgency", "value": cf.get("Urgency")},
                {"id": 8, "name": "Tier", "value": "strategic" if n % 2 else None},
                {"id": 9, "name": "Business value", "value": None},
                {"id": 10, "name": "Acceptance criteria", "value": None},
                {"id": 11, "name": "SLA due", "value": None},
                {"id": 12, "name": "SLA state", "value": "running" if n % 4 else None},
            ],
            "created_on": _stamp(created), "updated_on": _stamp(self.updated_on(n)),
            "closed_on": _stamp(self.updated_on(n)) if closed else None,
        }
        if n % 3:
            row["assigned_to"] = {"id": USERS[(n + 1) % 5][0], "name": USERS[(n + 1) % 5][1]}
        return row

    def page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        offset = int(query.get("offset", ["0"])[0])
        limit = min(int(query.get("limit", ["25"])[0]), MAX_LIMIT)
        first = 1
        since = query.get("updated_on", [""])[0]
        if since.startswith(">="):
            first = self.first_at_or_after(datetime.fromisoformat(since[2:]))
        total = max(0, self.count - first + 1)
        numbers = range(first + offset, min(first + offset + limit, self.count + 1))
        return {"issues": [self.issue(n) for n in numbers], "total_count": total,
                "offset": offset, "limit": limit}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out as two writes: without this, each answer on a kept-alive
    # connection waited about 40 ms for the client's delayed acknowledgement
    disable_nagle_algorithm = True
    catalogue: Catalogue
    upstream: str | None = None

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        single = re.fullmatch(r"/issues/(\d+)\.json", parts.path)
        if parts.path == "/issues.json":
            body: Any = self.catalogue.page(query)
        elif single and 1 <= int(single[1]) <= self.catalogue.count:
            body = {"issue": dict(self.catalogue.issue(int(single[1])), journals=[],
                                  relations=[], attachments=[])}
        elif self._ours(parts.path, "relations"):
            body = {"relations": []}
        elif self.upstream:
            self._forward()
            return
        elif parts.path == "/issue_statuses.json":
            body = {"issue_statuses": [{"id": i + 1, "name": n, "is_closed": c}
                                       for i, (n, c) in enumerate(STATUSES)]}
        elif parts.path == "/users/current.json":
            body = {"user": {"id": 5, "login": "redmine-sync", "firstname": "redmine-sync",
                             "lastname": "bot", "mail": "", "admin": False}}
        else:
            self._send(404, {"errors": ["not found"]})
            return
        self._send(200, body)

    def do_PUT(self) -> None:
        self._write()

    def do_POST(self) -> None:
        self._write()

    def do_DELETE(self) -> None:
        self._write()

    def _ours(self, path: str, *kinds: str) -> bool:
        """``/issues/N.json`` or ``/issues/N/KIND.json`` of one of the fake's issues."""
        found = re.fullmatch(r"/issues/(\d+)(?:/(\w+))?\.json", path)
        return bool(found and 1 <= int(found[1]) <= self.catalogue.count
                    and (found[2] in kinds if found[2] else not kinds))

    def _write(self) -> None:
        """A write to a fake issue is answered and forgotten; any other goes upstream."""
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = urlsplit(self.path).path
        if self.command == "PUT" and self._ours(path):
            self._send(204, None)
        elif self.command == "POST" and self._ours(path, "relations"):
            asked = json.loads(body or b"{}").get("relation", {})
            self._send(201, {"relation": {"id": 1, "issue_id": int(path.split("/")[2]),
                                          "issue_to_id": asked.get("issue_to_id"),
                                          "relation_type": asked.get("relation_type"),
                                          "delay": None}})
        elif self._ours(path, "watchers") or path.startswith("/relations/") or \
                re.fullmatch(r"/issues/\d+/watchers/\d+\.json", path):
            self._send(204, None)
        elif self.upstream and not path.startswith("/issues"):
            self._forward(body)   # uploads and wiki pages: the reports are published
        else:
            self._send(404, {"errors": ["the fake Redmine forwards no write to an issue"]})

    def _forward(self, body: bytes | None = None) -> None:
        """Everything but issues from and to the real Redmine (statuses, fields, members,
        and the reports' uploads and wiki pages)."""
        headers = {"X-Redmine-API-Key": self.headers.get("X-Redmine-API-Key", "")}
        if self.headers.get("Content-Type"):
            headers["Content-Type"] = self.headers["Content-Type"]
        answer = requests.request(self.command, f"{self.upstream}{self.path}", timeout=120,
                                  headers=headers, data=body)
        self.send_response(answer.status_code)
        self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    def _send(self, status: int, body: Any) -> None:
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeRedmine:
    """The server in a background thread of this process; use as a context manager."""

    def __init__(self, count: int, project: str = "bench", upstream: str | None = None) -> None:
        self.catalogue = Catalogue(count, project)
        handler = type("Handler", (_Handler,), {"catalogue": self.catalogue,
                                                "upstream": upstream})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

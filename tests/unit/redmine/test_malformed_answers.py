"""Generated malformed answers: the real command line (``apply --yes``) against an in-process
Redmine that answers every request correctly except one, which it spoils.

Each case picks (seeded) one GET of the run and one way to spoil it: a body that is not
JSON (empty, HTML, truncated, not UTF-8, nested too deeply), the wrong top-level value
(``null``, a list, ``{"errors": ...}`` with 200), or a key the tool needs removed, given
the wrong type or an impossible date. Whatever came, the run must end with exit 4 naming
the request, never 70 (internal error) and never 0, and nothing may be written after the
spoiled answer. The spoils are chosen from what the tool needs, listed here independently
of the adapter's own shape table.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import random
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter

from redmine_sync.cli import main
from redmine_sync.yamlsrc import load_text

CASES_WANTED = 5000
SEED = 20261130
URL = "http://redmine.fake"
APPLY = ("apply", "--yes", "--project", "demo")  # one project: no reports, only the issues
ISSUES = ("issues", "--project", "demo")  # reads only: three cases in four, they are cheaper
T0 = "2026-01-05T08:00:00Z"
RULES = """\
kind: triage
match: all
rules:
  - name: mark
    when: {subject: {regex: '^todo'}}
    then: [{add_labels: [ui]}, {set: {priority: High}}]
"""


def _issue(n: int, updated: str = "2026-01-05T09:00:00Z") -> dict[str, Any]:
    return {"id": n, "project": {"id": 1, "name": "Demo"}, "tracker": {"id": 1, "name": "Bug"},
            "status": {"id": 1, "name": "New", "is_closed": False},
            "priority": {"id": 2, "name": "Normal"}, "author": {"id": 5, "name": "Li Na"},
            "subject": f"todo {n}", "description": "", "created_on": T0, "updated_on": updated,
            "custom_fields": [{"id": 7, "name": "Labels", "multiple": True, "value": []}]}


def world() -> dict[str, Any]:
    """GET path -> the correct answer, and for each the paths of values the tool needs."""
    issues = [_issue(1), _issue(2)]
    detail = [dict(i, journals=[{"id": 1, "user": {"id": 5, "name": "Li Na"},
                                 "created_on": T0, "notes": "hi", "private_notes": False,
                                 "details": []}],
                   allowed_statuses=[{"id": 1, "name": "New"}, {"id": 2, "name": "Closed"}])
              for i in issues]
    needed_issue = ["id", "project", "project.id", "project.name", "tracker", "tracker.name",
                    "status", "status.name", "priority", "priority.name", "author",
                    "author.id", "created_on", "updated_on"]
    answers = {
        "/users/current.json": ({"user": {
            "id": 9, "login": "redmine-sync", "firstname": "bot", "lastname": "", "admin": False,
            "memberships": [{"id": 1, "project": {"id": 1, "name": "Demo"},
                             "roles": [{"id": 3, "name": "Sync bot"}]}]}},
            ["user", "user.id", "user.memberships.*.project", "user.memberships.*.project.id"]),
        "/roles/3.json": ({"role": {"id": 3, "name": "Sync bot", "permissions": [
            "view_issues", "edit_issues", "add_issue_notes", "set_notes_private",
            "view_private_notes", "manage_issue_relations", "view_wiki_pages",
            "edit_wiki_pages"]}}, ["role", "role.permissions"]),
        "/issue_statuses.json": ({"issue_statuses": [
            {"id": 1, "name": "New", "is_closed": False},
            {"id": 2, "name": "Closed", "is_closed": True}]},
            ["issue_statuses", "issue_statuses.*.id", "issue_statuses.*.name"]),
        "/enumerations/issue_priorities.json": ({"issue_priorities": [
            {"id": 2, "name": "Normal", "is_default": True},
            {"id": 3, "name": "High", "is_default": False}]},
            ["issue_priorities", "issue_priorities.*.id", "issue_priorities.*.name"]),
        "/trackers.json": ({"trackers": [{"id": 1, "name": "Bug"}]},
                           ["trackers", "trackers.*.id", "trackers.*.name"]),
        "/projects/demo.json": ({"project": {
            "id": 1, "identifier": "demo", "name": "Demo", "trackers": [{"id": 1, "name": "Bug"}],
            "issue_custom_fields": [{"id": 7, "name": "Labels"}],
            "enabled_modules": [{"id": 1, "name": "issue_tracking"}]}},
            ["project", "project.id", "project.issue_custom_fields.*.id",
             "project.issue_custom_fields.*.name"]),
        "/projects/demo/memberships.json": ({"memberships": [
            {"id": 1, "project": {"id": 1, "name": "Demo"}, "user": {"id": 9, "name": "bot"},
             "roles": [{"id": 3, "name": "Sync bot"}]}], "total_count": 1},
            ["memberships", "memberships.*.user.id", "memberships.*.user.name",
             "memberships.*.roles.*.name"]),
        "/issues.json": ({"issues": issues, "total_count": 2, "offset": 0, "limit": 100},
                         ["issues"] + [f"issues.*.{k}" for k in needed_issue]),
    }
    answers["/projects/1.json"] = answers["/projects/demo.json"]  # Redmine finds it by id too
    for item in detail:
        answers[f"/issues/{item['id']}.json"] = (
            {"issue": item}, ["issue"] + [f"issue.{k}" for k in needed_issue]
            + ["issue.journals.*.id", "issue.journals.*.created_on",
               "issue.allowed_statuses.*.name"])
    return answers


def _paths(data: Any, pattern: str) -> list[list[Any]]:
    """Concrete key paths matching a dotted pattern (``*`` = every list item)."""
    out: list[list[Any]] = [[]]
    for part in pattern.split("."):
        nxt = []
        for path in out:
            value = _at(data, path)
            if part == "*" and isinstance(value, list):
                nxt += [[*path, i] for i in range(len(value))]
            elif isinstance(value, dict) and part in value:
                nxt.append([*path, part])
        out = nxt
    return out


def _at(data: Any, path: list[Any]) -> Any:
    for key in path:
        data = data[key]
    return data


WRONG = ("null", "list", "object", "string", "number", "bool", "remove")


def spoil(rng: random.Random, answer: Any, needed: list[str]) -> tuple[bytes, str, str]:
    """(body, content type, what was done) for one spoiled answer."""
    kind = rng.choice(("body", "top", "value", "value", "value", "value"))
    if kind == "body":
        text = json.dumps(answer).encode()
        body, what = rng.choice((
            (b"", "empty body"),
            (b"<!DOCTYPE html><html><body><h1>Sign in</h1></body></html>", "HTML page"),
            (text[: rng.randrange(1, max(2, len(text) - 1))], "truncated JSON"),
            (text.replace(b'"', b"\xff\xfe", 1), "not UTF-8"),
            (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
            (b"Service temporarily unavailable", "plain text"),
        ))
        content = "text/html" if what == "HTML page" else "application/json"
        return body, content, what
    if kind == "top":
        value, what = rng.choice(((None, "null"), ([answer], "a list"),
                                  ({"errors": ["Internal error"]}, "errors with 200"),
                                  ({}, "empty object"), ("ok", "a string")))
        return json.dumps(value).encode(), "application/json", what
    spoilt = copy.deepcopy(answer)
    pattern = rng.choice(needed)
    paths = _paths(spoilt, pattern)
    path = rng.choice(paths)
    parent, key = _at(spoilt, path[:-1]), path[-1]
    old = parent[key]
    how = rng.choice((*WRONG, "bad date") if str(key).endswith("_on") else WRONG)
    if how == "remove":
        if isinstance(parent, list):
            parent[key] = None
        else:
            del parent[key]
    else:
        parent[key] = _wrong(how, old, rng)
    return json.dumps(spoilt).encode(), "application/json", f"{pattern}: {how}"


def _wrong(how: str, old: Any, rng: random.Random) -> Any:
    choices: dict[str, Callable[[], Any]] = {
        "null": lambda: None,
        "list": lambda: [old],
        "object": lambda: {"value": old},
        "string": lambda: "forty-two" if not isinstance(old, str) else {"s": old},
        "number": lambda: 42 if not isinstance(old, int) else "42",
        "bool": lambda: True,
        "bad date": lambda: rng.choice(("2026-13-45T25:61:00Z", "yesterday", "", "2026/01/05")),
    }
    return choices[how]()


class FakeRedmine(BaseAdapter):
    """Answers like Redmine; the ``spoil_at``-th GET gets a spoiled answer."""

    def __init__(self, answers: dict[str, Any], rng: random.Random, spoil_at: int) -> None:
        super().__init__()
        self.answers, self.rng, self.spoil_at = answers, rng, spoil_at
        self.gets = 0
        self.spoiled: str | None = None
        self.writes_after = 0
        self.log: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        path, method = parts.path, request.method or "GET"
        self.log.append(f"{method} {path}")
        if method != "GET":
            if self.spoiled is not None:
                self.writes_after += 1
            self._write(path, json.loads(request.body or b"{}"))
            return self._response(request, 204, b"")
        if path == "/custom_fields.json":
            return self._response(request, 403, b"")  # the bot is no administrator
        found = self.answers.get(path)
        if found is None:
            return self._response(request, 404, b"")
        answer, needed = found
        self.gets += 1
        if self.gets == self.spoil_at and self.spoiled is None:
            body, content, what = spoil(self.rng, answer, needed)
            self.spoiled = f"GET {path}: {what}"
            return self._response(request, 200, body, content)
        return self._response(request, 200, json.dumps(answer).encode())

    def _write(self, path: str, body: dict[str, Any]) -> None:
        """A PUT lands: the issue's list row and detail show it, as Redmine would."""
        match = re.fullmatch(r"/issues/(\d+)\.json", path)
        if not match:
            return
        change = body.get("issue", {})
        rows = [self.answers[path][0]["issue"], *(
            i for i in self.answers["/issues.json"][0]["issues"] if i["id"] == int(match[1]))]
        for row in rows:
            if "priority_id" in change:
                row["priority"] = {"id": change["priority_id"], "name": {2: "Normal", 3: "High"}[
                    change["priority_id"]]}
            for cf in change.get("custom_fields", []):
                row["custom_fields"] = [dict(f, value=cf["value"]) if f["id"] == cf["id"] else f
                                        for f in row["custom_fields"]]
            row["updated_on"] = "2026-01-05T10:00:00Z"
        if change.get("notes"):
            rows[0]["journals"].append({"id": 2, "user": {"id": 9, "name": "bot"},
                                        "created_on": "2026-01-05T10:00:00Z",
                                        "notes": change["notes"],
                                        "private_notes": bool(change.get("private_notes")),
                                        "details": []})

    def _response(self, request: requests.PreparedRequest, status: int, body: bytes,
                  content: str = "application/json; charset=utf-8") -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response._content = body
        response.headers["Content-Type"] = content
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):  # thousands of fresh state files: no fsync
        tmp_path = Path(tempfile.mkdtemp(prefix="malformed-", dir=shm))
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yaml").write_text(RULES)
    (tmp_path / "rules" / "customers.yaml").write_text("kind: customers\ncustomers: []\n")
    config = tmp_path / "config.yaml"
    config.write_text(f"redmine:\n  url: {URL}\n  retries: {{attempts: 1}}\n"
                      "projects: [demo]\nrules_dir: rules\nstate: {path: state.db}\n"
                      "limits: {max_issues: 50, max_percent: 100}\n")
    monkeypatch.setenv("REDMINE_API_KEY", "a" * 40)
    monkeypatch.delenv("REDMINE_URL", raising=False)
    # Thousands of runs: parse the same three YAML files once, skip requests' proxy lookup
    # in the environment. Neither is on the path under test (Redmine's answers).
    monkeypatch.setattr("redmine_sync.yamlsrc.load_text", functools.lru_cache(load_text))
    monkeypatch.setattr(requests.Session, "merge_environment_settings",
                        lambda self, url, proxies, stream, verify, cert: {
                            "proxies": proxies, "stream": stream, "verify": verify,
                            "cert": cert})
    yield config
    if str(tmp_path).startswith("/dev/shm/"):
        shutil.rmtree(tmp_path, ignore_errors=True)


def test_generated_malformed_answers_end_with_exit_4_and_no_writes_after(
        setup: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(SEED)
    gets, logs = {}, {}
    for command in (APPLY, ISSUES):
        clean = FakeRedmine(world(), rng, spoil_at=0)
        monkeypatch.setattr(requests.Session, "get_adapter", lambda self, url, f=clean: f)
        assert main(["--config", str(setup), *command]) == 0, capsys.readouterr().err
        gets[command], logs[command] = clean.gets, clean.log
    assert "PUT /issues/1.json" in logs[APPLY] and "PUT /issues/2.json" in logs[APPLY]
    assert gets[APPLY] >= 10 and gets[ISSUES] >= 3  # the clean runs read, and apply writes
    codes: Counter[int] = Counter()
    kinds: Counter[str] = Counter()
    served, bad, case = 0, [], 0
    while served < CASES_WANTED:
        case += 1
        command = APPLY if case % 4 == 0 else ISSUES
        fake = FakeRedmine(world(), rng, spoil_at=rng.randrange(1, gets[command] + 1))
        monkeypatch.setattr(requests.Session, "get_adapter", lambda self, url, f=fake: f)
        for leftover in setup.parent.glob("state.db*"):
            leftover.unlink(missing_ok=True)  # every case starts from nothing: a full read, then writes
        code = main(["--config", str(setup), *command])
        err = capsys.readouterr().err
        if fake.spoiled is None:
            continue
        served += 1
        codes[code] += 1
        kinds[fake.spoiled.rsplit(": ", 1)[-1]] += 1
        if code != 4 or fake.writes_after or "Traceback" in err or \
                not re.search(r"Redmine answered unusably at GET /\S+: expected", err):
            bad.append((fake.spoiled, code, fake.writes_after, err[-300:]))
    print(f"\nmalformed answers served: {served} in {case} runs; exit codes: {dict(codes)}; "
          f"kinds: {dict(kinds.most_common())}")
    assert not bad, f"{len(bad)} bad outcome(s), first: {bad[:3]}"
    assert codes == Counter({4: served})

"""Harnesses that give the contract suite one client under test plus a "human" to set things up.

``fake``: FakeRedmine in memory. ``live``: the real local Redmine of scripts/redmine-local,
with a fresh private project per test session, set up through the admin key like a person
would in the web UI. Live tests are marked ``integration`` and fail (never skip) when
the server is not there: run ``scripts/redmine-local up`` first, or ``make test``.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from redmine_sync.model import User
from redmine_sync.redmine import RedmineClient
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.redmine.live import LiveRedmine

ROOT = Path(__file__).resolve().parents[2]
STAFF = "support.zhao"
GROUP = "Support"


class FakeHarness:
    kind = "fake"

    def __init__(self) -> None:
        self.staff = User(20, STAFF, "Zhao Min")
        self.fake = FakeRedmine(users=[self.staff], groups={50: GROUP})
        self.client: RedmineClient = self.fake
        self.project = "demo"
        self.bot_login = "redmine-sync"

    def create_issue(self, subject: str, **fields: Any) -> int:
        customer = fields.pop("customer", None)
        custom = {"Customer": customer} if customer else {}
        return self.fake.add_issue(subject, author=self.staff, custom_fields=custom).id

    def human_comment(self, issue_id: int, text: str) -> None:
        self.fake.human_edit(issue_id, self.staff, notes=text)

    def close(self, issue_id: int) -> None:
        self.fake.human_edit(issue_id, self.staff, status="Closed", is_closed=True)

    def block(self, blocker: int, blocked: int) -> None:
        self.fake.add_relation(blocker, blocked, "blocks")

    def bot_auto_watches(self) -> None:
        self.fake.auto_watch = True


class LiveHarness:
    kind = "live"

    def __init__(self, url: str, bot_key: str, admin_key: str) -> None:
        self.url = url.rstrip("/")
        self.admin = requests.Session()
        self.admin.headers.update({"X-Redmine-API-Key": admin_key,
                                   "Content-Type": "application/json"})
        self.project = f"contract-{uuid.uuid4().hex[:8]}"
        self.bot_login = "redmine-sync"
        self._fields = {cf["name"]: cf["id"] for cf in self.get("/custom_fields.json")[
            "custom_fields"]}
        self._statuses = {s["name"]: s["id"] for s in self.get("/issue_statuses.json")[
            "issue_statuses"]}
        self._create_project()
        self.client: RedmineClient = LiveRedmine(self.url, bot_key, projects=(self.project,))

    def get(self, path: str, **params: Any) -> Any:
        response = self.admin.get(f"{self.url}{path}", params=params, timeout=30)
        response.raise_for_status()
        return response.json()

    def send(self, method: str, path: str, body: dict[str, Any], as_user: str | None = None
             ) -> Any:
        headers = {"X-Redmine-Switch-User": as_user} if as_user else {}
        response = self.admin.request(method, f"{self.url}{path}", json=body, headers=headers,
                                      timeout=30)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content.strip() else None

    def _create_project(self) -> None:
        self.send("POST", "/projects.json", {"project": {
            "name": f"Contract {self.project}", "identifier": self.project, "is_public": False,
            "enabled_module_names": ["issue_tracking", "wiki"],
            "tracker_ids": [t["id"] for t in self.get("/trackers.json")["trackers"]],
            "issue_custom_field_ids": sorted(self._fields.values())}})
        roles = {r["name"]: r["id"] for r in self.get("/roles.json")["roles"]}
        users = {u["login"]: u["id"] for u in self.get("/users.json", limit=100)["users"]}
        groups = {g["name"]: g["id"] for g in self.get("/groups.json")["groups"]}
        for principal, role in ((users[self.bot_login], "Sync bot"),
                                (users[STAFF], "Developer"), (groups[GROUP], "Developer")):
            self.send("POST", f"/projects/{self.project}/memberships.json",
                      {"membership": {"user_id": principal, "role_ids": [roles[role]]}})

    def create_issue(self, subject: str, **fields: Any) -> int:
        issue: dict[str, Any] = {"project_id": self.project, "subject": subject}
        if fields.get("customer"):
            issue["custom_fields"] = [{"id": self._fields["Customer"],
                                       "value": fields["customer"]}]
        return int(self.send("POST", "/issues.json", {"issue": issue}, as_user=STAFF)
                   ["issue"]["id"])

    def human_comment(self, issue_id: int, text: str) -> None:
        self.send("PUT", f"/issues/{issue_id}.json", {"issue": {"notes": text}}, as_user=STAFF)

    def close(self, issue_id: int) -> None:
        self.send("PUT", f"/issues/{issue_id}.json",
                  {"issue": {"status_id": self._statuses["Closed"]}})

    def block(self, blocker: int, blocked: int) -> None:
        self.send("POST", f"/issues/{blocker}/relations.json",
                  {"relation": {"issue_to_id": blocked, "relation_type": "blocks"}})

    def bot_auto_watches(self) -> None:
        """The bot account's "Auto watch issues I contributed to" on, as for a new account
        (an administrator's edit of the user)."""
        bot = next(u["id"] for u in self.get("/users.json", limit=100)["users"]
                   if u["login"] == self.bot_login)
        self.send("PUT", f"/users/{bot}.json",
                  {"user": {}, "pref": {"auto_watch_on": ["issue_contributed_to"]}})

    def cleanup(self) -> None:
        self.admin.delete(f"{self.url}/projects/{self.project}.json", timeout=60)


def live_env() -> dict[str, str]:
    """REDMINE_URL / REDMINE_API_KEY / REDMINE_LOCAL_ADMIN_KEY, from env or the local script."""
    names = ("REDMINE_URL", "REDMINE_API_KEY", "REDMINE_LOCAL_ADMIN_KEY")
    if all(os.environ.get(n) for n in names):
        return {n: os.environ[n] for n in names}
    out = subprocess.run([str(ROOT / "scripts" / "redmine-local"), "env"], capture_output=True,
                         text=True, check=False)
    found = dict(line.removeprefix("export ").split("=", 1) for line in out.stdout.splitlines()
                 if line.startswith("export ") and "=" in line)
    if not all(found.get(n) for n in names):
        pytest.fail("the local Redmine is not set up: run scripts/redmine-local up "
                    f"(or make test). {out.stderr.strip()}")
    return {n: found[n].strip("'\"") for n in names}


@pytest.fixture(scope="session")
def live_harness() -> Iterator[LiveHarness]:
    env = live_env()
    try:
        harness = LiveHarness(env["REDMINE_URL"], env["REDMINE_API_KEY"],
                              env["REDMINE_LOCAL_ADMIN_KEY"])
    except requests.ConnectionError:
        pytest.fail(f"the local Redmine at {env['REDMINE_URL']} is not running: "
                    "run scripts/redmine-local up")
    yield harness
    harness.cleanup()


@pytest.fixture(params=["fake", pytest.param("live", marks=pytest.mark.integration)])
def harness(request: pytest.FixtureRequest) -> FakeHarness | LiveHarness:
    if request.param == "fake":
        return FakeHarness()
    live: LiveHarness = request.getfixturevalue("live_harness")
    return live

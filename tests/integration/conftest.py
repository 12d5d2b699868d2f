from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.contract.conftest import live_env

ROOT = Path(__file__).resolve().parents[2]
STAFF = ("pm.li", "dev.wang", "dev.chen", "support.zhao", "tech.sun", "sales.zhou", "pmo.wu",
         "am.liu", "am.smith")
GROUPS = ("Product & R&D", "Support", "Sales", "Delivery", "Account managers")


@pytest.fixture(scope="session")
def local_redmine() -> dict[str, str]:
    """URL and keys of the local Redmine (scripts/redmine-local); fails when it is not up."""
    return live_env()


class Admin:
    """What a Redmine administrator does in the web UI, over REST with the admin key."""

    def __init__(self, env: dict[str, str]) -> None:
        self.url = env["REDMINE_URL"]
        self.env = env
        self.session = requests.Session()
        self.session.headers.update({"X-Redmine-API-Key": env["REDMINE_LOCAL_ADMIN_KEY"],
                                     "Content-Type": "application/json"})
        self.created: list[str] = []

    def get(self, path: str, **params: Any) -> Any:
        response = self.session.get(f"{self.url}{path}", params=params, timeout=30)
        response.raise_for_status()
        return response.json()

    def send(self, method: str, path: str, body: dict[str, Any],
             as_user: str | None = None) -> Any:
        headers = {"X-Redmine-Switch-User": as_user} if as_user else {}
        response = self.session.request(method, f"{self.url}{path}", json=body,
                                        headers=headers, timeout=30)
        assert response.status_code < 400, f"{method} {path}: {response.text}"
        return response.json() if response.content.strip() else None

    def new_demo_project(self, prefix: str, seed: bool = True, public: bool = False) -> str:
        """A private project like `demo` (members, groups, fields), seeded with the demo data."""
        identifier = f"{prefix}-{uuid.uuid4().hex[:6]}"
        fields = [f["id"] for f in self.get("/custom_fields.json")["custom_fields"]]
        trackers = [t["id"] for t in self.get("/trackers.json")["trackers"]]
        self.send("POST", "/projects.json", {"project": {
            "name": identifier, "identifier": identifier, "is_public": public,
            "enabled_module_names": ["issue_tracking", "wiki"], "tracker_ids": trackers,
            "issue_custom_field_ids": fields}})
        self.created.append(identifier)
        roles = {r["name"]: r["id"] for r in self.get("/roles.json")["roles"]}
        users = {u["login"]: u["id"] for u in self.get("/users.json", limit=100)["users"]}
        groups = {g["name"]: g["id"] for g in self.get("/groups.json")["groups"]}
        members = [(users["redmine-sync"], "Sync bot")]
        members += [(users[login], "Developer") for login in STAFF]
        members += [(groups[name], "Developer") for name in GROUPS]
        for principal, role in members:
            self.send("POST", f"/projects/{identifier}/memberships.json",
                      {"membership": {"user_id": principal, "role_ids": [roles[role]]}})
        if not seed:
            return identifier
        seeded = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "seed-demo"), "--url", self.url,
             "--admin-key", self.env["REDMINE_LOCAL_ADMIN_KEY"], "--project", identifier],
            capture_output=True, text=True, check=False)
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        return identifier

    def issues(self, project: str) -> list[dict[str, Any]]:
        """Every issue of a project with journals and relations, oldest first."""
        rows = self.get("/issues.json", project_id=project, status_id="*", limit=100,
                        sort="id")["issues"]
        return [self.get(f"/issues/{r['id']}.json", include="journals,relations")["issue"]
                for r in rows]


@pytest.fixture(scope="session")
def admin(local_redmine: dict[str, str]) -> Iterator[Admin]:
    admin = Admin(local_redmine)
    yield admin
    for project in admin.created:  # keep the local Redmine small across test runs
        admin.session.delete(f"{admin.url}/projects/{project}.json", timeout=120)


ADMIN_PASSWORD = "redmine-sync-admin"   # scripts/redmine-local's web login


def web_session(url: str) -> requests.Session:
    """A session logged in as the administrator through Redmine's login form, like a
    person (for the HTML views)."""
    session = requests.Session()
    form = session.get(f"{url}/login", timeout=30).text
    token = re.search(r'name="authenticity_token" value="([^"]+)"', form)
    assert token, "no login form"
    done = session.post(f"{url}/login", data={
        "username": "admin", "password": ADMIN_PASSWORD, "authenticity_token": token[1],
        "login": "Login"}, timeout=30)
    assert done.ok and 'class="logout"' in done.text, "login through the form failed"
    return session


def write_config(folder: Path, project: str, rules_dir: Path = ROOT / "rules") -> Path:
    """config.example.yaml aimed at one project, with its own state database and rules."""
    text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    text = text.replace("  - demo\n", f"  - {project}\n").replace(
        "  project: demo ", f"  project: {project} ").replace(
        "  # path: ~/.local/state/redmine-sync/state.db",
        f"  path: {folder / 'state.db'}").replace(
        "rules_dir: rules", f"rules_dir: {rules_dir}")
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def config_edited(folder: Path, project: str, edits: dict[str, str],
                  rules_dir: Path = ROOT / "rules") -> Path:
    """``write_config`` with text of config.example.yaml changed: each key of ``edits``
    (which must stand there once) replaced by its value."""
    config = write_config(folder, project, rules_dir)
    text = config.read_text(encoding="utf-8")
    for old, new in edits.items():
        assert text.count(old) == 1, f"config.example.yaml has {text.count(old)} {old!r}"
        text = text.replace(old, new)
    config.write_text(text, encoding="utf-8")
    return config


def config_with_rules(folder: Path, project: str, files: dict[str, str]) -> Path:
    """``write_config`` with a rules directory of its own holding ``files`` (name: text)."""
    rules = folder / "rules"
    rules.mkdir()
    for name, text in files.items():
        (rules / name).write_text(text, encoding="utf-8")
    return write_config(folder, project, rules)


def run_cli(env: dict[str, str], config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``redmine-sync --config CONFIG ARGS`` in a child process, aimed at the local Redmine."""
    return subprocess.run([sys.executable, "-m", "redmine_sync", "--config", str(config), *args],
                          capture_output=True, text=True, check=False, env=cli_env(env))


def cli_env(env: dict[str, str]) -> dict[str, str]:
    return {**os.environ, "REDMINE_URL": env["REDMINE_URL"],
            "REDMINE_API_KEY": env["REDMINE_API_KEY"]}


@pytest.fixture
def config_for(tmp_path: Path) -> Callable[[str], Path]:
    """A config file for one project, with its own state database."""
    return lambda project: write_config(tmp_path, project)


def rails_runner(script: str, *args: str) -> str:
    """Run ``tests/integration/ruby/SCRIPT`` in the local Redmine (what only an administrator
    on the server can do: custom fields, settings); its standard output."""
    done = subprocess.run(
        [str(ROOT / "scripts" / "redmine-local"), "runner",
         str(ROOT / "tests" / "integration" / "ruby" / script), *args],
        capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout

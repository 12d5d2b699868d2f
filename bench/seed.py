"""Benchmark data in the local Redmine: the project ``bench`` and N synthetic issues.

The project is created over REST with the admin key when missing (modules issue_tracking
and wiki, all trackers, all issue custom fields, the bot as "Sync bot", the staff users and
the groups as Developer), with three subprojects that inherit its members; the issues are
spread over the four, and Redmine lists them all under ``bench``. The issues are generated here, deterministically, from the demo
requests in scripts/demo-data.yaml (Chinese and English) and loaded by one
``rails runner`` of bench/seed.rb with ``insert_all``: a few seconds for 10,000 issues,
where creating them through the API or ActiveRecord callbacks takes many minutes.
"""

from __future__ import annotations

import json
import random
import subprocess
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests  # noqa: TID251 - the benchmark talks to Redmine directly, on purpose
import yaml

ROOT = Path(__file__).resolve().parents[1]
REDMINE_LOCAL = ROOT / "scripts" / "redmine-local"
STAFF = ("pm.li", "dev.wang", "dev.chen", "support.zhao", "tech.sun", "sales.zhou", "pmo.wu",
         "am.liu", "am.smith")
GROUPS = ("Product & R&D", "Support", "Sales", "Delivery")
AUTHORS = ("support.zhao", "tech.sun", "sales.zhou", "am.liu", "am.smith", "pm.li", "admin")
FIELDS = ("Customer", "Requirement type", "Value", "Cost", "Urgency")
OPEN = (("New", 45), ("In Progress", 25), ("Feedback", 8), ("Resolved", 8), ("Testing", 8),
        ("Awaiting acceptance", 6))
CLOSED = (("Closed", 85), ("Rejected", 15))
PRIORITIES = (("Low", 15), ("Normal", 55), ("High", 20), ("Urgent", 7), ("Immediate", 3))
TRACKERS = ("Bug", "Feature", "Support")
DAYS = 90
# The issues are spread over the project and three subprojects (members inherited), which
# Redmine lists together under the parent, as a product organisation's tree would be.
SUBPROJECTS = (("app", "Mobile app", 45), ("platform", "Platform", 30),
               ("service", "Customer service", 15))
IN_PARENT = 10
MARKER = "redmine-sync benchmark data (the project and 3 subprojects), as seeded:"
MODIFIED = "redmine-sync benchmark data, modified by a benchmark run (re-seeded by the next)"


class SeedError(RuntimeError):
    pass


class Admin:
    """The admin's REST calls that set up the benchmark project."""

    def __init__(self, url: str, key: str) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update({"X-Redmine-API-Key": key,
                                     "Content-Type": "application/json"})

    def get(self, path: str, **params: Any) -> Any:
        response = self.session.get(f"{self.url}{path}", params=params, timeout=60)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def send(self, method: str, path: str, body: dict[str, Any]) -> Any:
        response = self.session.request(method, f"{self.url}{path}", json=body, timeout=60)
        if response.status_code >= 400:
            raise SeedError(f"{method} {path}: HTTP {response.status_code} {response.text[:300]}")
        return response.json() if response.content.strip() else None


def ensure_project(admin: Admin, identifier: str) -> bool:
    """Create the project (members, subprojects) where missing. True when it was created."""
    created = admin.get(f"/projects/{identifier}.json") is None
    fields = [f["id"] for f in admin.get("/custom_fields.json")["custom_fields"]
              if f.get("customized_type") == "issue"]
    trackers = [t["id"] for t in admin.get("/trackers.json")["trackers"]]
    body = {"is_public": False, "enabled_module_names": ["issue_tracking", "wiki"],
            "tracker_ids": trackers, "issue_custom_field_ids": fields}
    if created:
        admin.send("POST", "/projects.json", {"project": {
            "name": f"Benchmark ({identifier})", "identifier": identifier, **body}})
        _add_members(admin, identifier)
    parent = admin.get(f"/projects/{identifier}.json")["project"]["id"]
    for suffix, name, _ in SUBPROJECTS:
        if admin.get(f"/projects/{identifier}-{suffix}.json") is None:
            admin.send("POST", "/projects.json", {"project": {
                "name": f"{name} ({identifier})", "identifier": f"{identifier}-{suffix}",
                "parent_id": parent, "inherit_members": True, **body}})
    return created


def _add_members(admin: Admin, identifier: str) -> None:
    roles = {r["name"]: r["id"] for r in admin.get("/roles.json")["roles"]}
    users = {u["login"]: u["id"] for u in admin.get("/users.json", limit=100)["users"]}
    groups = {g["name"]: g["id"] for g in admin.get("/groups.json")["groups"]}
    missing = [n for n in ("redmine-sync", *STAFF) if n not in users]
    missing += [g for g in GROUPS if g not in groups]
    missing += [r for r in ("Sync bot", "Developer") if r not in roles]
    if missing:
        raise SeedError(f"the local Redmine lacks {', '.join(missing)}: is it the instance "
                        "of scripts/redmine-local?")
    members = [(users["redmine-sync"], "Sync bot")]
    members += [(users[login], "Developer") for login in STAFF]
    members += [(groups[name], "Developer") for name in GROUPS]
    for principal, role in members:
        admin.send("POST", f"/projects/{identifier}/memberships.json",
                   {"membership": {"user_id": principal, "role_ids": [roles[role]]}})


def issue_count(admin: Admin, identifier: str) -> int:
    data = admin.get("/issues.json", project_id=identifier, status_id="*", limit=1)
    return int(data["total_count"]) if data else 0


def marker(count: int, seed: int) -> str:
    """The project description that says the issues are exactly as seeded."""
    return f"{MARKER} {count} issues, seed {seed}"


def pristine(admin: Admin, identifier: str, count: int, seed: int) -> bool:
    """The project holds ``count`` issues that no benchmark run has changed since seeding."""
    data = admin.get(f"/projects/{identifier}.json")
    text = (data or {}).get("project", {}).get("description") or ""
    return text.strip() == marker(count, seed) and issue_count(admin, identifier) == count


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([name for name, _ in table], [w for _, w in table])[0]


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_payload(identifier: str, count: int, now: datetime, seed: int = 7) -> dict[str, Any]:
    """``count`` issues spread over the last 90 days, as bench/seed.rb reads them."""
    demo = yaml.safe_load((ROOT / "scripts" / "demo-data.yaml").read_text(encoding="utf-8"))
    customers = [c["name"] for c in yaml.safe_load(
        (ROOT / "rules" / "customers.yaml").read_text(encoding="utf-8"))["customers"]]
    templates = demo["issues"]
    notes = [n for t in templates for n in t.get("notes") or () if n["by"] in STAFF]
    places = ((identifier, IN_PARENT),
              *((f"{identifier}-{suffix}", share) for suffix, _, share in SUBPROJECTS))
    rng = random.Random(seed)
    now = now.replace(microsecond=0)
    issues = []
    for n in range(1, count + 1):
        t = templates[rng.randrange(len(templates))]
        age = timedelta(seconds=rng.randrange(60, DAYS * 86400))
        created = now - age
        if rng.random() < 0.8:  # mostly office hours in Asia/Shanghai (01:00-10:00 UTC)
            created = created.replace(hour=rng.randrange(1, 10))
            created = min(created, now - timedelta(minutes=1))
        share = (now - created) / timedelta(days=DAYS)
        closed = rng.random() < 0.1 + 0.6 * share
        status = _weighted(rng, CLOSED if closed else OPEN)
        cf = {k: v for k, v in (t.get("custom_fields") or {}).items() if k in FIELDS}
        cf["Customer"] = rng.choice(customers)
        events: list[dict[str, Any]] = []
        closed_on = None
        if status != "New":
            at = created + (now - created) * rng.uniform(0.05, 0.9)
            events.append({"user": rng.choice(STAFF), "created_on": at, "notes": "",
                           "private": False,
                           "details": [{"key": "status_id", "old": "New", "new": status}]})
            closed_on = at if closed else None
        for _ in range(rng.choices((0, 1, 2), (55, 30, 15))[0]):
            note = rng.choice(notes)
            events.append({"user": note["by"] if rng.random() < 0.5 else rng.choice(STAFF),
                           "created_on": created + (now - created) * rng.uniform(0.01, 0.95),
                           "notes": note["text"].strip(), "private": bool(note.get("private")),
                           "details": []})
        events.sort(key=lambda e: e["created_on"])
        updated = max([created, *(e["created_on"] for e in events)])
        assignee = None if status == "New" and rng.random() < 0.6 else rng.choice(STAFF)
        issues.append({
            "project": _weighted(rng, places),
            "tracker": t.get("tracker", "Feature") if rng.random() < 0.85 else
            rng.choice(TRACKERS),
            "status": status,
            "priority": t.get("priority") or _weighted(rng, PRIORITIES),
            "author": rng.choice(AUTHORS), "assignee": assignee,
            "subject": f"{t['subject']} {n}", "description": t.get("description", "").strip(),
            "created_on": _iso(created), "updated_on": _iso(updated),
            "closed_on": _iso(closed_on) if closed_on else None,
            "due_date": None, "custom_fields": cf,
            "journals": [dict(e, created_on=_iso(e["created_on"])) for e in events],
        })
    return {"project": identifier, "logins": sorted({*STAFF, *AUTHORS}), "issues": issues}


def run_ruby(script: Path, payload: dict[str, Any]) -> dict[str, Any]:
    """``scripts/redmine-local runner SCRIPT`` with the payload on stdin; its JSON answer."""
    done = subprocess.run([str(REDMINE_LOCAL), "runner", str(script)],
                          input=json.dumps(payload, ensure_ascii=False).encode(),
                          capture_output=True, check=False)
    if done.returncode != 0:
        raise SeedError(f"{script.name} failed (exit {done.returncode}):\n"
                        + done.stderr.decode(errors="replace")[-3000:])
    lines = [line for line in done.stdout.decode().splitlines() if line.startswith("{")]
    if not lines:
        raise SeedError(f"{script.name} printed no result: {done.stdout.decode()[-500:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def seed(admin: Admin, identifier: str, count: int, now: datetime | None = None,
         force: bool = False, seed: int = 7) -> dict[str, Any]:
    """Make sure the project holds ``count`` issues as seeded; what was done, how long it took.

    Seeding is skipped when the project already holds them unchanged. A benchmark run
    changes the data (apply, touched issues), and marks the project so; such data is
    seeded again, so that every run measures the same data set.
    """
    created = ensure_project(admin, identifier)
    if not created and not force and pristine(admin, identifier, count, seed):
        return {"skipped": True, "issues": count, "project_created": False}
    found = 0 if created else issue_count(admin, identifier)
    started = datetime.now(UTC)
    payload = build_payload(identifier, count, now or started, seed)
    payload["description"] = marker(count, seed)
    built = datetime.now(UTC)
    result = run_ruby(ROOT / "bench" / "seed.rb", payload)
    done = datetime.now(UTC)
    result.update(skipped=False, project_created=created, replaced=found,
                  generate_seconds=(built - started).total_seconds(),
                  runner_seconds=(done - built).total_seconds(),
                  total_seconds=(done - started).total_seconds())
    if issue_count(admin, identifier) != count:
        raise SeedError(f"after seeding, {identifier} does not hold {count} issues")
    return result

"""Every action and every settable field of the rule vocabulary on the real Redmine: the
cases of tests/unit/test_vocabulary_roundtrip.py (generated from the action registry and
``changes.SETTABLE``), one issue each, batched: one ``apply``, ``undo`` shown then written,
one more ``apply``, each state re-read over REST with the admin key."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Admin
from tests.integration.conftest import config_with_rules
from tests.integration.conftest import run_cli
from tests.unit.test_vocabulary_roundtrip import CASES
from tests.unit.test_vocabulary_roundtrip import CLOSED_REPLY
from tests.unit.test_vocabulary_roundtrip import CUSTOMERS
from tests.unit.test_vocabulary_roundtrip import DUE_BEFORE
from tests.unit.test_vocabulary_roundtrip import DUPLICATE_TEXT
from tests.unit.test_vocabulary_roundtrip import Case
from tests.unit.test_vocabulary_roundtrip import rules_text
from tests.unit.test_vocabulary_roundtrip import wanted

pytestmark = pytest.mark.integration


def shows(issue: dict[str, Any], case: Case) -> Any:
    """What the issue shows for the case's target, in the unit test's terms."""
    def cf(name: str) -> Any:
        return next((f.get("value") for f in issue.get("custom_fields", [])
                     if f["name"] == name), None)
    key = case.key
    if key == "labels":
        return tuple(sorted(cf("Labels") or ()))
    if key == "relation":
        return "duplicate" if issue.get("relations") else None
    if key == "watchers":   # the bot, watching what it wrote to, left out
        return tuple(sorted(w["name"] for w in issue.get("watchers", [])
                            if w["name"] != "redmine-sync bot"))
    if key.startswith("cf."):
        return cf(key[3:]) or None
    if key == "tier":
        return cf("Tier") or None
    value = issue.get(key)
    return value["name"] if isinstance(value, dict) else value


def public_notes(issue: dict[str, Any]) -> int:
    return sum(1 for j in issue.get("journals", []) if j.get("notes")
               and not j.get("private_notes"))


@pytest.fixture(scope="module")
def project(admin: Admin) -> tuple[str, dict[int, int]]:
    """A project with the category UI and one issue per case (plus the older duplicate)."""
    identifier = admin.new_demo_project("vocab", seed=False)
    admin.send("POST", f"/projects/{identifier}/issue_categories.json",
               {"issue_category": {"name": "UI"}})
    fields = {f["name"]: f["id"] for f in admin.get("/custom_fields.json")["custom_fields"]}
    closed = next(s["id"] for s in admin.get("/issue_statuses.json")["issue_statuses"]
                  if s["name"] == "Closed")
    ids = {}
    for n, case in enumerate(CASES):
        setup = dict(case.issue)
        text = setup.pop("text", f"case {n}: {case.action}")
        reply = setup.pop(CLOSED_REPLY, None)
        due = setup.pop(DUE_BEFORE, None)
        if case.action == "link_duplicate":
            admin.send("POST", "/issues.json", {"issue": {
                "project_id": identifier, "subject": f"older {DUPLICATE_TEXT}",
                "description": DUPLICATE_TEXT}})
        values = [{"id": fields[name], "value": list(v) if isinstance(v, tuple) else v}
                  for name, v in setup.items()]
        created = admin.send("POST", "/issues.json", {"issue": {
            "project_id": identifier, "subject": f"case-{n} {text}", "description": text,
            "custom_fields": values, **({"due_date": due} if due else {})}})
        ids[n] = created["issue"]["id"]
        if reply:   # closed, then the author (not staff, not the bot) answers
            admin.send("PUT", f"/issues/{ids[n]}.json", {"issue": {"status_id": closed}})
            admin.send("PUT", f"/issues/{ids[n]}.json", {"issue": {"notes": reply}})
    return identifier, ids


@pytest.fixture(scope="module")
def roundtrip(admin: Admin, local_redmine: dict[str, str], project: tuple[str, dict[int, int]],
              tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    identifier, ids = project
    folder = Path(tmp_path_factory.mktemp("vocabulary-live"))
    config = config_with_rules(folder, identifier, {"10-cases.yaml": rules_text(),
                                                    "customers.yaml": CUSTOMERS})

    def read() -> dict[int, dict[str, Any]]:
        return {n: admin.get(f"/issues/{i}.json",
                             include="journals,relations,watchers")["issue"]
                for n, i in ids.items()}

    before = read()
    applied = run_cli(local_redmine, config, "apply", "--yes", "--format", "json")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    run = json.loads(applied.stdout)["run"]
    after = read()
    shown = run_cli(local_redmine, config, "undo", str(run), "--format", "json")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    still = read()
    undone = run_cli(local_redmine, config, "undo", str(run), "--yes", "--format", "json")
    assert undone.returncode == 0, undone.stdout + undone.stderr
    reverted = read()
    again = run_cli(local_redmine, config, "apply", "--yes", "--format", "json")
    assert again.returncode == 0, again.stdout + again.stderr
    return {"ids": ids, "before": before, "applied": json.loads(applied.stdout),
            "after": after, "shown": json.loads(shown.stdout), "still": still,
            "undone": json.loads(undone.stdout), "reverted": reverted,
            "again": json.loads(again.stdout), "final": read()}


def test_undo_without_yes_shows_the_plan_and_writes_nothing(roundtrip: dict[str, Any]) -> None:
    planned = {i["id"] for i in roundtrip["shown"]["issues"]}
    assert planned == set(roundtrip["ids"].values())
    assert "result" not in roundtrip["shown"]
    assert {n: i["updated_on"] for n, i in roundtrip["still"].items()} == \
        {n: i["updated_on"] for n, i in roundtrip["after"].items()}


@pytest.mark.parametrize("n", range(len(CASES)), ids=[
    f"{c.action}-{c.key}" if c.action == "set" else c.action for c in CASES])
def test_plan_apply_reread_undo_live(roundtrip: dict[str, Any], n: int) -> None:
    case, issue_id = CASES[n], roundtrip["ids"][n]
    assert issue_id in roundtrip["applied"]["written"]
    today = datetime.now(UTC).date()   # the tool's today in UTC (plan_due's default days)
    assert shows(roundtrip["after"][n], case) == wanted(case, today)            # applied
    if case.public_note:
        assert public_notes(roundtrip["after"][n]) == 1
    assert issue_id in roundtrip["undone"]["result"]["written"]
    assert shows(roundtrip["reverted"][n], case) == shows(roundtrip["before"][n], case)
    assert issue_id not in roundtrip["again"]["written"]                         # stays undone
    assert public_notes(roundtrip["final"][n]) == public_notes(roundtrip["after"][n])

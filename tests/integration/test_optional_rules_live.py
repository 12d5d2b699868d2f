"""The pack's optional rules on the real Redmine (enabled in a copy of the pack): the
satisfaction survey (a closing gets one public survey note, however many runs follow; the
customer's numeric reply lands in the Satisfaction field), requirement change control
(an edit after confirmation raises one change request) and the terms of an assignment
(a planned completion date in working days of the office calendar, checked with the
history oracle's own calendar; the owner asked once for acceptance criteria)."""

from __future__ import annotations

import html
import shutil
import sys
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import ROOT
from tests.integration.conftest import Admin
from tests.integration.conftest import run_cli
from tests.integration.conftest import write_config

sys.path.insert(0, str(ROOT / "scripts"))
from history.oracle import Policy  # the oracle's calendar: imports no redmine_sync

pytestmark = pytest.mark.integration


def enabled_pack(folder: Path) -> Path:
    rules = folder / "rules"
    shutil.copytree(ROOT / "rules", rules)
    for name, count in (("60-satisfaction.yaml", 2), ("12-change-control.yaml", 1),
                        ("41-assignment-terms.yaml", 2)):
        path = rules / name
        text = path.read_text(encoding="utf-8")
        assert text.count("enabled: false") == count
        path.write_text(text.replace("enabled: false", "enabled: true"), encoding="utf-8")
    return rules


def tool_notes(issue: dict[str, Any]) -> list[str]:
    return [j["notes"] for j in issue["journals"] if j.get("notes")
            and j["user"]["name"] == "redmine-sync bot"]


def bot_public_notes(issue: dict[str, Any]) -> list[str]:
    return [j["notes"] for j in issue["journals"] if j.get("notes")
            and not j.get("private_notes") and j["user"]["name"] == "redmine-sync bot"]


def cf(issue: dict[str, Any], name: str) -> Any:
    return next(f.get("value") for f in issue["custom_fields"] if f["name"] == name)


def test_a_closing_gets_one_survey_and_a_numeric_reply_lands_in_the_field(
        admin: Admin, local_redmine: dict[str, str], tmp_path: Path) -> None:
    project = admin.new_demo_project("survey", seed=False)
    config = write_config(tmp_path, project, enabled_pack(tmp_path))
    fields = {f["name"]: f["id"] for f in admin.get("/custom_fields.json")["custom_fields"]}
    closed = next(s["id"] for s in admin.get("/issue_statuses.json")["issue_statuses"]
                  if s["name"] == "Closed")
    issue_id = admin.send("POST", "/issues.json", {"issue": {
        "project_id": project, "subject": "Export the monthly invoices as PDF",
        "description": "Finance needs the invoices as PDF for the auditors.",
        "custom_fields": [{"id": fields["Customer"], "value": "Northwind Logistics"}]}}
    )["issue"]["id"]
    admin.send("PUT", f"/issues/{issue_id}.json", {"issue": {"status_id": closed}})

    def read() -> dict[str, Any]:
        return admin.get(f"/issues/{issue_id}.json", include="journals")["issue"]

    for _ in range(2):   # the second run finds the survey sent: nothing more
        done = run_cli(local_redmine, config, "apply", "--yes")
        assert done.returncode == 0, done.stdout + done.stderr
    issue = read()
    [survey] = bot_public_notes(issue)
    assert "reply with a number from 0 (not at all) to 10 (completely)" in survey
    assert "survey-sent" in cf(issue, "Labels")
    assert not cf(issue, "Satisfaction")
    admin.send("PUT", f"/issues/{issue_id}.json", {"issue": {"notes": "8/10"}})
    done = run_cli(local_redmine, config, "apply", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    issue = read()
    assert cf(issue, "Satisfaction") == "8"
    assert len(bot_public_notes(issue)) == 1
    assert issue["status"]["name"] == "Closed"


def test_an_edit_after_confirmation_raises_one_change_request(
        admin: Admin, local_redmine: dict[str, str], tmp_path: Path) -> None:
    project = admin.new_demo_project("change", seed=False)
    config = write_config(tmp_path, project, enabled_pack(tmp_path))
    fields = {f["name"]: f["id"] for f in admin.get("/custom_fields.json")["custom_fields"]}
    statuses = {s["name"]: s["id"] for s in admin.get("/issue_statuses.json")["issue_statuses"]}
    issue_id = admin.send("POST", "/issues.json", {"issue": {
        "project_id": project, "subject": "Export the monthly invoices",
        "description": "Finance needs the invoices for the auditors.",
        "custom_fields": [{"id": fields["Customer"], "value": "Northwind Logistics"},
                          {"id": fields["Tier"], "value": "strategic"},   # screened before
                          {"id": fields["Acceptance criteria"], "value": "CSV, monthly"}]}}
    )["issue"]["id"]
    admin.send("PUT", f"/issues/{issue_id}.json",
               {"issue": {"status_id": statuses["In Progress"]}})           # confirmed
    admin.send("PUT", f"/issues/{issue_id}.json", {"issue": {
        "description": "Finance needs the invoices as signed PDF for the auditors.",
        "custom_fields": [{"id": fields["Acceptance criteria"], "value": "PDF/A, signed"}]}})

    def read() -> dict[str, Any]:
        return admin.get(f"/issues/{issue_id}.json", include="journals")["issue"]

    for _ in range(2):   # the second run finds the change request raised: nothing more
        done = run_cli(local_redmine, config, "apply", "--yes")
        assert done.returncode == 0, done.stdout + done.stderr
    issue = read()
    requests = [n for n in tool_notes(issue) if "Change request: " in n]
    assert len(requests) == 1, tool_notes(issue)
    assert "the description, Acceptance criteria changed" in requests[0]
    assert "change-request" in cf(issue, "Labels")


def test_an_assignment_gets_a_planned_date_and_the_owner_is_asked_once(
        admin: Admin, local_redmine: dict[str, str], tmp_path: Path) -> None:
    project = admin.new_demo_project("terms", seed=False)
    config = write_config(tmp_path, project, enabled_pack(tmp_path))
    owner = next(u for u in admin.get("/users.json", limit=100)["users"]
                 if u["login"] == "pm.li")
    issue_id = admin.send("POST", "/issues.json", {"issue": {
        "project_id": project, "subject": "Encrypt the exported reports",
        "description": "Exports must be encrypted at rest.",
        "assigned_to_id": owner["id"]}})["issue"]["id"]
    office = Policy(tmp_path / "rules").calendars["china-office"]
    today = datetime.now(UTC).astimezone(office.zone).date()
    start = today + timedelta(days=40)   # Redmine refuses a due date before it (422)
    later_id = admin.send("POST", "/issues.json", {"issue": {
        "project_id": project, "subject": "Encrypt the archive next quarter",
        "description": "Archives must be encrypted too.", "start_date": start.isoformat(),
        "assigned_to_id": owner["id"]}})["issue"]["id"]
    for _ in range(2):   # the second run finds the date set and the owner asked
        done = run_cli(local_redmine, config, "apply", "--yes")
        assert done.returncode == 0, done.stdout + done.stderr

    def working_days_after(day: date, left: int = 15) -> date:
        while left:
            day += timedelta(days=1)
            left -= bool(office.ranges(day))
        return day

    issue = admin.get(f"/issues/{issue_id}.json", include="journals")["issue"]
    assert date.fromisoformat(issue["due_date"]) == working_days_after(today)
    later = admin.get(f"/issues/{later_id}.json", include="journals")["issue"]
    assert date.fromisoformat(later["due_date"]) == working_days_after(start)
    assert any(f"15 working days from the start date {start.isoformat()}"
               in html.unescape(n) for n in tool_notes(later))
    asked = [n for n in tool_notes(issue) if "has no acceptance criteria" in n]
    assert len(asked) == 1 and f"{owner['firstname']} {owner['lastname']}: request" in asked[0]
    assert "needs-acceptance" in cf(issue, "Labels")

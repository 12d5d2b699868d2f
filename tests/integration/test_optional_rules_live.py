"""After the work, on the real Redmine: the satisfaction survey of the shipped followup rules
(enabled in a copy of the pack). A closing gets one public survey note, however many runs
follow; the customer's numeric reply lands in the Satisfaction field."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import ROOT
from tests.integration.conftest import Admin
from tests.integration.conftest import run_cli
from tests.integration.conftest import write_config

pytestmark = pytest.mark.integration


def enabled_pack(folder: Path) -> Path:
    rules = folder / "rules"
    shutil.copytree(ROOT / "rules", rules)
    followup = rules / "60-satisfaction.yaml"
    text = followup.read_text(encoding="utf-8")
    assert text.count("enabled: false") == 2
    followup.write_text(text.replace("enabled: false", "enabled: true"), encoding="utf-8")
    return rules


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

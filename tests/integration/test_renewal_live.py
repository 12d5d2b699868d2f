"""Contract renewal reminders on the real Redmine: planned, written once, never again."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.integration.conftest import Admin
from tests.integration.conftest import config_edited
from tests.integration.conftest import run_cli
from tests.integration.conftest import web_session
from tests.rule_files import renewal_customers

pytestmark = pytest.mark.integration


def test_a_renewal_is_noted_and_assigned_once(admin: Admin, local_redmine: dict[str, str],
                                              tmp_path: Path) -> None:
    project = admin.new_demo_project("renew", seed=False)
    issue = admin.send("POST", "/issues.json", {"issue": {
        "project_id": project, "subject": "Renew the 2027 service contract"}})["issue"]["id"]
    day = (datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")) + timedelta(days=5)).date()
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "customers.yaml").write_text(renewal_customers(day, issue))
    config = config_edited(tmp_path, project, {"    note: false ": "    note: true  ",
                                               "    assign: false ": "    assign: true  "},
                           rules)

    shown = run_cli(local_redmine, config, "plan", "--format", "json")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    [planned] = json.loads(shown.stdout)["issues"]
    assert planned["id"] == issue
    assert [(c["field"], c["new"]) for c in planned["changes"]] == [("assigned_to", "am.smith")]
    assert [n["public"] for n in planned["notes"]] == [False]

    first = run_cli(local_redmine, config, "apply", "--yes", "--format", "json")
    assert first.returncode == 0, first.stdout + first.stderr
    after = admin.get(f"/issues/{issue}.json", include="journals")["issue"]
    assert after["assigned_to"]["name"] == "Anna Smith"
    [note] = [j for j in after["journals"] if "Contract renewal" in (j["notes"] or "")]
    assert note["private_notes"] is True
    page = web_session(admin.url).get(f"{admin.url}/issues/{issue}", timeout=30).text
    assert f"(2027 *service* contract) on {day}: 5 day(s) from today. Account manager: " \
        "Anna Smith." in page.replace("&#42;", "*").replace("\u2060", "")  # shown as written
    assert "<strong>service</strong>" not in page and "<em>service</em>" not in page

    again = run_cli(local_redmine, config, "apply", "--yes", "--format", "json")
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads(again.stdout[again.stdout.index("{"):])["written"] == []
    final = admin.get(f"/issues/{issue}.json", include="journals")["issue"]
    assert (final["updated_on"], len(final["journals"])) == \
        (after["updated_on"], len(after["journals"]))

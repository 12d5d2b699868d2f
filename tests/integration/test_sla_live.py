"""SLA clocks from real Redmine journals, and escalation applied once."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.integration.conftest import Admin
from tests.integration.conftest import config_with_rules
from tests.integration.conftest import run_cli
from tests.rule_files import sla_yaml

pytestmark = pytest.mark.integration

SLA = sla_yaml("{first_response: {default: {any: 4s}}}", name="fast",
               staff="{roles: [Developer, Manager]}", write="{due: SLA due, state: SLA state}",
               thresholds={"100%": '[{add_labels: [sla-breached]}, '
                                   '{note: "SLA breached ({reason})"}]'})


cli = run_cli


@pytest.fixture(scope="module")
def setup(admin: Admin, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    project = admin.new_demo_project("sla", seed=False)
    folder = tmp_path_factory.mktemp("sla")
    config = config_with_rules(folder, project, {"sla.yaml": SLA})
    statuses = {s["name"]: s["id"] for s in admin.get("/issue_statuses.json")["issue_statuses"]}

    def create(subject: str) -> int:
        return int(admin.send("POST", "/issues.json", {"issue": {
            "project_id": project, "subject": subject}})["issue"]["id"])

    answered = create("answered after a pause")
    late = create("nobody answers")
    time.sleep(1.1)
    admin.send("PUT", f"/issues/{answered}.json",
               {"issue": {"status_id": statuses["Feedback"]}}, as_user="support.zhao")
    time.sleep(1.1)
    admin.send("PUT", f"/issues/{answered}.json",  # the workflow allows Feedback -> In Progress
               {"issue": {"status_id": statuses["In Progress"]}}, as_user="support.zhao")
    admin.send("PUT", f"/issues/{answered}.json",
               {"issue": {"notes": "private first", "private_notes": True}},
               as_user="support.zhao")
    time.sleep(1.1)
    admin.send("PUT", f"/issues/{answered}.json", {"issue": {"notes": "We are on it."}},
               as_user="support.zhao")
    time.sleep(4.5)
    return {"project": project, "config": config, "answered": answered, "late": late}


def test_timeline_from_real_journals(setup: dict[str, Any],
                                     local_redmine: dict[str, str]) -> None:
    shown = cli(local_redmine, setup["config"], "sla", str(setup["answered"]))
    assert shown.returncode == 0, shown.stderr
    assert "first response (cycle 1): met" in shown.stdout
    section = shown.stdout.split("first response (cycle 1)")[1].split("\n\n")[0]
    lines = section.splitlines()
    states = [line.split()[0] for line in lines if line.startswith("    ") and "->" in line]
    assert states == ["running", "paused", "running"]
    assert any("paused" in line and "status eq 'Feedback'" in line for line in lines)
    late = cli(local_redmine, setup["config"], "sla", str(setup["late"]))
    assert "first response (cycle 1): BREACHED" in late.stdout


def test_breach_escalates_once(setup: dict[str, Any], admin: Admin,
                               local_redmine: dict[str, str]) -> None:
    first = cli(local_redmine, setup["config"], "apply", "--yes")
    assert first.returncode == 0, first.stdout + first.stderr
    late = admin.get(f"/issues/{setup['late']}.json", include="journals")["issue"]
    labels = next(f["value"] for f in late["custom_fields"] if f["name"] == "Labels")
    state = next(f["value"] for f in late["custom_fields"] if f["name"] == "SLA state")
    assert "sla-breached" in labels and state == "breached"
    notes = [j["notes"] for j in late["journals"] if "SLA breached" in (j.get("notes") or "")]
    assert len(notes) == 1
    answered = admin.get(f"/issues/{setup['answered']}.json")["issue"]
    assert next(f["value"] for f in answered["custom_fields"] if f["name"] == "Labels") == []
    again = cli(local_redmine, setup["config"], "apply", "--yes")
    assert again.returncode == 0, again.stderr
    after = admin.get(f"/issues/{setup['late']}.json", include="journals")["issue"]
    assert len(after["journals"]) == len(late["journals"])
    assert after["updated_on"] == late["updated_on"]

"""An issue id given to another issue, as a Redmine restored from a backup or rebuilt
does: here the local Redmine's SQLite tables give a deleted newest issue's id to the next
one. What the state file held of the old issue must not stand for the new one. (Lane 1
runs one test at a time on this Redmine, so no other issue takes the id first.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Admin
from tests.integration.conftest import config_with_rules
from tests.integration.conftest import run_cli

pytestmark = pytest.mark.integration

RULES = """\
kind: triage
match: all
when: {is_closed: false}
rules:
  - name: urgent-todo
    when: {subject: {regex: '^todo'}}
    then: [{set: {priority: High}}]
"""


def changes(plan: dict[str, Any], issue_id: int) -> list[tuple[str, Any]]:
    return [(c["field"], c["new"]) for i in plan["issues"] if i["id"] == issue_id
            for c in i["changes"]]


def test_a_reused_id_is_planned_for_as_a_new_issue(
        admin: Admin, local_redmine: dict[str, str], tmp_path: Path) -> None:
    project = admin.new_demo_project("reuse", seed=False)
    config = config_with_rules(tmp_path, project, {"r.yaml": RULES})
    old = admin.send("POST", "/issues.json", {"issue": {
        "project_id": project, "subject": "todo: the old one"}})["issue"]["id"]
    done = run_cli(local_redmine, config, "apply", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert admin.get(f"/issues/{old}.json")["issue"]["priority"]["name"] == "High"
    admin.session.delete(f"{admin.url}/issues/{old}.json", timeout=30).raise_for_status()
    new = admin.send("POST", "/issues.json", {"issue": {   # SQLite: the highest id + 1
        "project_id": project, "subject": "todo: the new one"}})["issue"]["id"]
    assert new == old, "Redmine did not reuse the id (another writer on this instance?)"

    shown = run_cli(local_redmine, config, "plan", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert changes(json.loads(shown.stdout), new) == [("priority", "High")]
    assert f"1 issue(s) at {admin.url} are not the issues the state file" in shown.stderr
    assert f"dropped: #{new}" in shown.stderr
    done = run_cli(local_redmine, config, "apply", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "are not the issues" not in done.stderr       # said once: the new #N is known now
    assert admin.get(f"/issues/{new}.json")["issue"]["priority"]["name"] == "High"

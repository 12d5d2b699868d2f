"""What a project in scope holds that the tool cannot manage, on the real Redmine: closed
and archived projects, unlisted subprojects, private issues the bot's role cannot see,
rules naming a status the instance lacks. Each is named before anything is written."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from redmine_sync.redmine.live import LiveRedmine
from tests.integration.conftest import Admin
from tests.integration.conftest import rails_runner
from tests.integration.conftest import run_cli
from tests.integration.conftest import write_config

pytestmark = pytest.mark.integration


def issue(admin: Admin, project: str, subject: str = "Export fails with error 500") -> int:
    return int(admin.send("POST", "/issues.json", {"issue": {
        "project_id": project, "subject": subject, "tracker_id": 1}},
        as_user="support.zhao")["issue"]["id"])


def doctor(env: dict[str, str], tmp_path: Path, *projects: str) -> str:
    config = write_config(tmp_path, projects[0])
    text = config.read_text(encoding="utf-8").replace(
        f"  - {projects[0]}\n", "".join(f"  - {p}\n" for p in projects))
    config.write_text(text, encoding="utf-8")
    done = run_cli(env, config, "doctor")
    return done.stdout + done.stderr


def test_an_unlisted_subproject_is_left_alone_and_named(admin: Admin, tmp_path: Path,
                                                        local_redmine: dict[str, str]) -> None:
    parent = admin.new_demo_project("scope", seed=False)
    child = f"{parent}-sub"
    parent_id = admin.get(f"/projects/{parent}.json")["project"]["id"]
    admin.send("POST", "/projects.json", {"project": {
        "name": child, "identifier": child, "parent_id": parent_id, "inherit_members": True,
        "enabled_module_names": ["issue_tracking", "wiki"], "tracker_ids": [1, 2, 3]}})
    admin.created.insert(0, child)
    mine, theirs = issue(admin, parent), issue(admin, child)
    listed = admin.get("/issues.json", project_id=parent, status_id="*")["issues"]
    assert {i["id"] for i in listed} == {mine, theirs}  # what Redmine shows under the parent
    bot = LiveRedmine(local_redmine["REDMINE_URL"], local_redmine["REDMINE_API_KEY"],
                      projects=(parent,))
    assert [i.id for i in bot.iter_issues(parent)] == [mine]
    out = doctor(local_redmine, tmp_path, parent)
    assert re.search(rf"warn\s+project scope\s+{parent}: subproject\(s\) {child} not listed",
                     out), out
    listed_too = tmp_path / "both"
    listed_too.mkdir()
    assert "not listed" not in doctor(local_redmine, listed_too, parent, child)


def test_a_closed_project_fails_doctor(admin: Admin, tmp_path: Path,
                                       local_redmine: dict[str, str]) -> None:
    project = admin.new_demo_project("closed", seed=False)
    admin.send("PUT", f"/projects/{project}/close.json", {})
    out = doctor(local_redmine, tmp_path, project)
    assert re.search(rf"FAIL\s+project scope\s+{project}: closed \(read-only\)", out), out
    assert "reopen it" in out
    admin.send("PUT", f"/projects/{project}/reopen.json", {})


def test_an_archived_project_is_named_not_blamed_on_the_api(
        admin: Admin, tmp_path: Path, local_redmine: dict[str, str]) -> None:
    project = admin.new_demo_project("archived", seed=False)
    issue(admin, project)
    admin.send("PUT", f"/projects/{project}/archive.json", {})
    try:
        out = doctor(local_redmine, tmp_path, project)
        assert re.search(rf"FAIL\s+projects\s+{project}: archived", out), out
        assert "REST API" not in out.split("projects", 1)[1].split("\n", 1)[0]
        plan = run_cli(local_redmine, tmp_path / "config.yaml", "plan", "--full")
        assert plan.returncode == 4, plan.stdout + plan.stderr
        assert "archived" in plan.stderr and "REST API is disabled" not in plan.stderr
    finally:
        admin.send("PUT", f"/projects/{project}/unarchive.json", {})


def test_private_issues_the_bots_role_cannot_see_fail_doctor(
        admin: Admin, tmp_path: Path, local_redmine: dict[str, str]) -> None:
    project = admin.new_demo_project("private", seed=False)
    role = int(rails_runner("public_only_role.rb").strip().splitlines()[-1])
    bot = admin.get("/users.json", name="redmine-sync")["users"][0]["id"]
    membership = next(m for m in admin.get(f"/projects/{project}/memberships.json",
                                           limit=100)["memberships"]
                      if m.get("user", {}).get("id") == bot)
    admin.send("PUT", f"/memberships/{membership['id']}.json",
               {"membership": {"role_ids": [role]}})
    hidden = int(admin.send("POST", "/issues.json", {"issue": {
        "project_id": project, "subject": "Private: contract terms", "tracker_id": 1,
        "is_private": True}})["issue"]["id"])
    assert admin.get(f"/issues/{hidden}.json")["issue"]["is_private"] is True
    seen = LiveRedmine(local_redmine["REDMINE_URL"], local_redmine["REDMINE_API_KEY"],
                       projects=(project,))
    assert hidden not in [i.id for i in seen.iter_issues(project)]  # what it would miss
    out = doctor(local_redmine, tmp_path, project)
    assert re.search(rf"FAIL\s+project scope\s+{project}: the bot's role sees only public "
                     "issues", out), out
    assert "Issues visibility: All issues" in out


def test_rules_setting_a_status_redmine_lacks_are_refused(
        admin: Admin, tmp_path: Path, local_redmine: dict[str, str]) -> None:
    project = admin.new_demo_project("status", seed=False)
    issue(admin, project)
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "10-park.yaml").write_text(
        "kind: triage\nrules:\n  - name: park\n    when: {is_closed: false}\n    then:\n"
        f"      - set: {{status: Parked-{uuid.uuid4().hex[:4]}}}\n", encoding="utf-8")
    config = write_config(tmp_path, project, rules_dir=rules)
    plan = run_cli(local_redmine, config, "plan", "--full")
    assert plan.returncode == 1, plan.stdout + plan.stderr
    assert "10-park.yaml:6" in plan.stderr and "unknown status 'Parked-" in plan.stderr
    out = run_cli(local_redmine, config, "doctor").stdout
    assert re.search(r"FAIL\s+rules\s+\S*10-park.yaml:6: unknown status", out), out
    assert not [j for i in admin.issues(project) for j in i["journals"]]



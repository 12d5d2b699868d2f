"""`redmine-sync plan` on the real Redmine with the demo data: right decisions, nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from redmine_sync.cli import main
from tests.integration.conftest import Admin
from tests.integration.conftest import write_config

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def snapshot(admin: Admin, project: str) -> dict[int, tuple[str, int]]:
    """(updated_on, journal count) of every issue, read with the admin key."""
    return {i["id"]: (i["updated_on"], len(i.get("journals", [])))
            for i in admin.issues(project)}


@pytest.fixture(scope="module")
def demo(admin: Admin, local_redmine: dict[str, str],
         tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A fresh project seeded with the demo data (never the shared `demo` project)."""
    project = admin.new_demo_project("plan")
    folder = tmp_path_factory.mktemp("plan")
    config = write_config(folder, project)
    return {**local_redmine, "project": project, "config": str(config)}


def plan_json(env: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
              capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    monkeypatch.setenv("REDMINE_URL", env["REDMINE_URL"])
    monkeypatch.setenv("REDMINE_API_KEY", env["REDMINE_API_KEY"])
    code = main(["--config", env["config"], "plan", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def by_subject(plan: dict[str, Any], start: str) -> dict[str, Any]:
    return next(i for i in plan["issues"] if i["subject"].startswith(start))


def new_value(item: dict[str, Any], field: str) -> Any:
    return next((c["new"] for c in item["changes"] if c["field"] == field), None)


def test_plan_decides_the_playbook_and_writes_nothing(
        demo: dict[str, Any], admin: Admin, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(admin, demo["project"])
    plan = plan_json(demo, monkeypatch, capsys)
    assert snapshot(admin, demo["project"]) == before  # no updated_on moved, no journal added

    assert plan["format"] == 2 and plan["summary"]["issues_evaluated"] >= 40
    conflict = by_subject(plan, "提供全部源代码")
    assert new_value(conflict, "status") == "Rejected"
    assert "rejected" in new_value(conflict, "labels")
    assert conflict["notes"][0]["public"] is True
    assert "deferred" in new_value(by_subject(plan, "Add a payroll and HR module"), "labels")
    vague = by_subject(plan, "Please optimise the system")
    assert new_value(vague, "status") == "Feedback"
    assert "needs-info" in new_value(vague, "labels")
    assert "needs-info" in new_value(by_subject(plan, "系统太慢了"), "labels")
    home = by_subject(plan, "Make the app home page prettier")
    assert "duplicate" in new_value(home, "labels")  # the older Chinese request, linked
    assert "duplicate-candidate" in new_value(by_subject(plan, "希望改版 App 首页"), "labels")

    encryption = by_subject(plan, "增加数据加密")
    assert new_value(encryption, "tier") == "strategic"
    assert new_value(encryption, "priority") == "Urgent"
    reason = next(c["reason"] for c in encryption["changes"] if c["field"] == "priority")
    assert reason == "high value, high cost = long-term (2), urgent +2, score 4"
    button = by_subject(plan, "Restyle the login button")
    assert "quick-win" in new_value(button, "labels")
    assert new_value(button, "tier") == "potential"

    assert new_value(by_subject(plan, "App 首页能不能做得更美观一些"), "assigned_to") == "am.liu"
    routed = new_value(by_subject(plan, "Dedicated support contact"), "assigned_to")
    assert routed in ("Zhao Min", "Sun Hao")


def test_explain_shows_conditions_with_actual_values(
        demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    plan = plan_json(demo, monkeypatch, capsys)
    issue_id = by_subject(plan, "Please optimise the system")["id"]
    code = main(["--config", demo["config"], "explain", str(issue_id)])
    out = capsys.readouterr().out
    assert code == 0
    assert "- needs-info: MATCHED" in out
    assert "true   is_vague eq True   (actual: True)" in out
    assert "- strategy-conflict: no match" in out
    assert "status         New -> Feedback" in out


def test_validate_online_checks_names_against_redmine(
        demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("REDMINE_URL", demo["REDMINE_URL"])
    monkeypatch.setenv("REDMINE_API_KEY", demo["REDMINE_API_KEY"])
    config = demo["config"]
    # the bot's key cannot read the Labels field's allowed values: listed, exit 5, never OK
    assert main(["--config", config, "validate", "--online"]) == 5
    out, err = capsys.readouterr()
    assert "names checked against Redmine, except:\n  NOT CHECKED: " in out and "OK" not in out
    assert "not checked against Redmine with this key" in err
    # an administrator's key reads them: every name checked, exit 0
    monkeypatch.setenv("REDMINE_API_KEY", demo["REDMINE_LOCAL_ADMIN_KEY"])
    assert main(["--config", config, "validate", "--online"]) == 0
    assert "OK (every name checked against Redmine)" in capsys.readouterr().out
    monkeypatch.setenv("REDMINE_API_KEY", demo["REDMINE_API_KEY"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: triage\nrules:\n  - name: x\n    then:\n"
                   "      - set: {status: Reopened, priority: Hihg}\n"
                   "      - assign: {least_loaded: Supportt}\n", encoding="utf-8")
    assert main(["--config", config, "validate", "--online", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml:5:23: rules[0].then[0].set.status: unknown status 'Reopened'" in err
    assert "unknown priority 'Hihg' in this Redmine (did you mean 'High'?)" in err
    assert "unknown group 'Supportt'" in err

"""The commands that never write: config, validate, plan, explain, issues, sla, rules,
test-rules, history."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from redmine_sync.cli.context import AppContext
from tests.unit.cli.conftest import ROOT
from tests.unit.cli.conftest import Cli
from tests.unit.cli.conftest import known_rules
from tests.unit.cli.conftest import requests
from tests.unit.cli.conftest import write_config


def test_config_shows_the_file_the_key_source_and_the_fields(run: Cli) -> None:
    result = run("config")
    assert result.exit_code == 0
    assert f"file:            {run.config}" in result.output
    assert "api key:         set (from environment (REDMINE_API_KEY))" in result.output
    assert "a" * 40 not in result.output
    assert "field satisfaction:" in result.output


def test_validate_offline_says_names_were_not_checked(run: Cli) -> None:
    result = run("validate")
    assert result.exit_code == 0, result.output
    assert "12 file(s), 19 rule(s), 8 customer(s): OK (offline" in result.output
    assert run.fake.requests_made == 0


def test_validate_online_names_what_redmine_does_not_know(run: Cli) -> None:
    result = run("validate", "--online")
    assert result.exit_code == 1
    assert "name(s) unknown to http://redmine.test" in result.output
    assert "unknown user or group 'am.liu'" in result.output


def test_validate_online_never_says_ok_when_this_key_could_not_check(run: Cli,
                                                                      tmp_path: Path) -> None:
    # the fixture's Labels field is seen as a non-admin sees it: no allowed values
    result = run("validate", "--online", str(known_rules(tmp_path)))
    assert result.exit_code == 5, result.output
    assert "1 rule(s), 0 customer(s): names checked against Redmine, except:" in result.output
    assert "  NOT CHECKED: 1 value(s) of the custom field 'Labels' (ui)" in result.output
    assert "OK" not in result.output
    assert "error: 1 item(s) not checked against Redmine with this key" in result.output
    data = json.loads(run("validate", "--online", "--format", "json",
                          str(tmp_path / "known-rules")).stdout)
    assert data["ok"] is False and data["problems"] == [] and len(data["not_checked"]) == 1


def test_validate_online_ok_when_every_name_is_checked(run: Cli, tmp_path: Path) -> None:
    labels = run.fake.fields["Labels"]
    run.fake.fields["Labels"] = replace(labels, possible_values=("ui",))  # an admin's view
    result = run("validate", "--online", str(known_rules(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "1 rule(s), 0 customer(s): OK (every name checked against Redmine)" in result.output


def test_validate_online_locates_a_risk_tracker_redmine_does_not_have(run: Cli,
                                                                     tmp_path: Path) -> None:
    run.config = write_config(tmp_path, known_rules(tmp_path),
                              "reports:\n  risk_tracker: Risks\n")
    result = run("validate", "--online")
    assert result.exit_code == 1, result.output
    assert f"{run.config}:9:17: reports.risk_tracker: unknown tracker 'Risks' in this Redmine: " \
        "no issue filed would show as a risk in the weekly report" in result.output
    run.config = write_config(tmp_path, tmp_path / "known-rules",
                              "reports:\n  risk_tracker: Bug\n")
    result = run("validate", "--online")
    assert result.exit_code == 5, result.output   # only the Labels values left unchecked
    assert "risk_tracker" not in result.output


def test_validate_refuses_a_rules_directory_without_customers(run: Cli, tmp_path: Path) -> None:
    rules = tmp_path / "bare"
    rules.mkdir()
    (rules / "r.yaml").write_text("kind: triage\nrules: []\n")
    result = run("validate", str(rules))
    assert result.exit_code == 1
    assert "no customers file (kind: customers)" in result.output


def test_plan_prints_each_change_and_writes_nothing(run: Cli) -> None:
    requests(run.fake)
    before = dict(run.fake.issues)
    result = run("plan")
    assert result.exit_code == 0, result.output
    assert "#1 登录页面报错 the login page crashes" in result.output
    assert "tier           (none) -> ordinary" in result.output
    assert result.output.rstrip().endswith("Nothing was written.")
    assert run.fake.issues == before


def test_plan_json_is_one_document(run: Cli) -> None:
    requests(run.fake)
    result = run("plan", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"]["issues_changed"] == 3
    assert [i["id"] for i in data["issues"]] == [1, 2, 3]


def test_plan_json_with_nothing_to_change(run: Cli) -> None:
    result = run("plan", "--format", "json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["issues"] == []


def test_explain_shows_every_rule_and_the_result(run: Cli) -> None:
    requests(run.fake)
    result = run("explain", "1")
    assert result.exit_code == 0, result.output
    assert "kind-ui: MATCHED, 1 change(s)" in result.output
    assert "labels         (none) -> [ui]   (kind-ui)" in result.output


def test_explain_an_unknown_issue_is_exit_1(run: Cli) -> None:
    result = run("explain", "99")
    assert result.exit_code == 1
    assert "#99" in result.output


def test_issues_lists_what_the_rules_see(run: Cli) -> None:
    requests(run.fake)
    result = run("issues")
    assert result.exit_code == 0
    assert "3 issue(s), 3 open, 0 closed" in result.output
    lines = run("issues", "--format", "json", "--since", "2026-01-01T00:00:00").stdout
    rows = [json.loads(line) for line in lines.splitlines()]
    assert [row["id"] for row in rows] == [1, 2, 3]
    assert run("issues", "--since", "2099-01-01T00:00:00Z").output.startswith("#  status  ")


def test_issues_since_must_be_a_time(run: Cli) -> None:
    result = run("issues", "--since", "yesterday")
    assert result.exit_code == 1
    assert "'yesterday' is not a time like 2026-11-20T08:00:00Z" in result.output


def test_sla_at_risk_and_one_timeline(run: Cli) -> None:
    requests(run.fake)
    at_risk = run("sla", "--at-risk")
    assert at_risk.exit_code == 0, at_risk.output
    assert "first_response" in at_risk.output and "2 of 2 open clock(s) shown" in at_risk.output
    timeline = run("sla", "3")
    assert timeline.exit_code == 0, timeline.output
    assert "#3 Please optimise the system" in timeline.output
    assert "policy: customer-requests" in timeline.output and "first response" in timeline.output


def test_sla_wants_an_issue_or_at_risk_not_both(run: Cli) -> None:
    assert run("sla").exit_code == 1
    both = run("sla", "3", "--at-risk")
    assert both.exit_code == 1 and "give an issue number, or --at-risk" in both.output


def test_sla_of_an_issue_under_no_policy_is_exit_1(run: Cli) -> None:
    requests(run.fake)
    result = run("sla", "1")
    assert result.exit_code == 1
    assert "under no SLA policy" in result.output


def test_rules_lists_the_vocabulary(run: Cli) -> None:
    result = run("rules")
    assert result.exit_code == 0 and "add_labels" in result.output


def test_test_rules_runs_the_shipped_fixtures(run: Cli) -> None:
    result = run("test-rules")
    assert result.exit_code == 0
    assert result.output.rstrip().endswith("19 passed, 0 failed")


def test_a_failing_fixture_is_exit_1(run: Cli, tmp_path: Path) -> None:
    fixtures = tmp_path / "fixtures.yaml"
    text = (ROOT / "rules" / "tests" / "playbook.yaml").read_text(encoding="utf-8")
    fixtures.write_text(text.replace("tier: strategic", "tier: ordinary", 1), encoding="utf-8")
    result = run("test-rules", str(fixtures))
    assert result.exit_code == 1
    assert "FAIL  fixtures.yaml" in result.output and "1 passed" not in result.output


def test_history_lists_runs_and_refuses_an_unknown_one(run: Cli) -> None:
    assert run("history").output == ""
    result = run("history", "--run", "7")
    assert result.exit_code == 1 and "there is no run 7" in result.output


def test_a_missing_key_is_exit_4_before_any_read(run: Cli,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDMINE_API_KEY")
    result = run("plan")
    assert result.exit_code == 4
    assert "no API key" in result.output and run.fake.requests_made == 0


def test_the_context_builds_each_piece_once(run: Cli) -> None:
    app = run.app()
    app.config_path = str(run.config)
    assert app.client() is app.client() and app.store() is app.store()
    assert app.config() is app.config()
    assert isinstance(app, AppContext) and app.now() == run.now

"""Every command's ``--format json``: one JSON document on stdout, of the documented shape
(``cli/shapes.py``, shown in docs/cli.md), with the same exit code as the text form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from jsonschema import Draft202012Validator
from jsonschema import FormatChecker

from redmine_sync.cli import COMMANDS
from redmine_sync.cli import load
from redmine_sync.cli.shapes import SHAPES
from tests.unit.cli.conftest import ROOT
from tests.unit.cli.conftest import Cli
from tests.unit.cli.conftest import requests


def shaped(command: str, result: Any, exit_code: int = 0) -> Any:
    """The parsed output, checked against the command's schema."""
    assert result.exit_code == exit_code, result.output
    data = json.loads(result.stdout)
    Draft202012Validator(SHAPES[command], format_checker=FormatChecker()).validate(data)
    return data


def test_every_command_with_json_has_a_documented_shape() -> None:
    with_json = {name for name in COMMANDS
                 if any(isinstance(p, click.Option) and p.name == "fmt"
                        and "json" in getattr(p.type, "choices", ()) for p in load(name).params)}
    assert with_json == set(SHAPES) | {"schema"}  # schema prints a JSON Schema itself
    for schema in SHAPES.values():
        Draft202012Validator.check_schema(schema)


def test_the_shapes_refuse_an_undocumented_key() -> None:
    data = {"checks": [], "failed": 0, "warnings": 0, "not_checked": 0, "passed": True,
            "extra": 1}
    assert not Draft202012Validator(SHAPES["doctor"]).is_valid(data)


def test_doctor(run: Cli) -> None:
    data = shaped("doctor", run("doctor", "--format", "json"), exit_code=1)
    assert data["failed"] >= 1 and not data["passed"]
    assert {"status": "ok", "name": "config", "detail": data["checks"][0]["detail"],
            "fix": "", "checked": True} == data["checks"][0]


def test_config(run: Cli) -> None:
    data = shaped("config", run("config", "--format", "json"))
    assert data["url"] == "http://redmine.test" and data["api_key"] == "set"
    assert data["projects"] == ["demo"] and data["fields"]["customer"] == "Customer"
    assert "a" * 40 not in json.dumps(data)


def test_validate_ok_and_not_ok(run: Cli, tmp_path: Path) -> None:
    data = shaped("validate", run("validate", "--format", "json"))
    assert data["ok"] and data["files"] >= 5 and data["rules"] > 10 and not data["online"]
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "r.yaml").write_text("kind: triage\nrules:\n  - name: x\n    when: {subjekt: a}\n"
                                   "    then: [{add_labels: [ui]}]\n", encoding="utf-8")
    data = shaped("validate", run("validate", "--format", "json", str(broken)), exit_code=1)
    assert not data["ok"] and data["problems"] and "subjekt" in data["problems"][0]


def test_test_rules(run: Cli) -> None:
    data = shaped("test-rules", run("test-rules", "--format", "json"))
    assert data["passed"] == len(data["cases"]) > 0 and data["failed"] == 0


def test_rules(run: Cli) -> None:
    data = shaped("rules", run("rules", "--format", "json"))
    assert "triage" in data["kinds"] and "add_labels" in {a["name"] for a in data["actions"]}


def test_plan_explain_apply_history_undo(run: Cli) -> None:
    requests(run.fake)
    plan = shaped("plan", run("plan", "--format", "json"))
    assert plan["summary"]["issues_changed"] == 3
    explain = shaped("explain", run("explain", "3", "--format", "json"))
    assert explain["issue"]["id"] == 3 and any(r["matched"] for r in explain["rules"])
    assert explain["changes"]
    applied = shaped("apply", run("apply", "--format", "json", "--project", "demo"))
    assert applied["written"] == [1, 2, 3]
    runs = shaped("history", run("history", "--format", "json"))
    assert [(r["id"], r["status"], r["written"]) for r in runs["runs"]] == [(1, "ok", 3)]
    one = shaped("history", run("history", "--run", "1", "--format", "json"))
    assert one["run"] == 1 and {c["outcome"] for c in one["changes"]} == {"written"}
    assert shaped("undo", run("undo", "1", "--format", "json"))["undo"] == 1


def test_sla(run: Cli) -> None:
    requests(run.fake)
    at_risk = shaped("sla", run("sla", "--at-risk", "--format", "json"))
    assert at_risk["open_clocks"] == 2 and at_risk["at_risk"][0]["metric"] == "first_response"
    one = shaped("sla", run("sla", "3", "--format", "json"))
    assert one["policy"] == "customer-requests" and one["clocks"][0]["intervals"]


def test_what_if(run: Cli) -> None:
    requests(run.fake)
    data = shaped("what-if", run("what-if", "--rules", str(ROOT / "rules"), "--format", "json"))
    assert data["current"]["issues"] == data["proposed"]["issues"] > 0
    assert data["changed"] == []  # the same rules: nothing changes


def test_report_printed_and_published(run: Cli) -> None:
    requests(run.fake)
    page = shaped("report", run("report", "weekly", "--at", "2026-01-07", "--format", "json",
                                "--markup", "textile"))
    assert page["markup"] == "textile" and page["text"].startswith("h1. ")
    published = shaped("report", run("report", "kpi", "--publish", "--format", "json"))
    assert published["published"][0]["outcome"] == "created"
    assert published["published"][0]["url"].startswith("http://redmine.test/projects/demo/wiki/")


def test_issues_one_object_per_line(run: Cli) -> None:
    requests(run.fake)
    result = run("issues", "--format", "json")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    validator = Draft202012Validator(SHAPES["issues"], format_checker=FormatChecker())
    for line in lines:
        validator.validate(json.loads(line))


@pytest.mark.parametrize("args", [("validate", "--format", "json", "/nonexistent"),
                                  ("test-rules", "--format", "json", "/nonexistent")])
def test_exit_codes_are_those_of_the_text_form(run: Cli, args: tuple[str, ...]) -> None:
    text = run(*[a for a in args if a not in ("--format", "json")])
    assert run(*args).exit_code == text.exit_code != 0

"""The declarations: the holes they close, and the JSON Schema ``redmine-sync schema`` prints
from them (checked with the jsonschema package, as an editor would use it)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from redmine_sync.cli import main
from redmine_sync.config import Config
from redmine_sync.config import load_config
from redmine_sync.declarations import KINDS

ROOT = Path(__file__).resolve().parents[2]
PACK = sorted((ROOT / "rules").glob("*.yaml"))


def printed_schema(kind: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["schema", kind]) == 0
    schema: dict[str, Any] = json.loads(capsys.readouterr().out)
    jsonschema.Draft7Validator.check_schema(schema)
    return schema


def as_editor_sees(data: Any) -> Any:
    """YAML values as JSON: an unquoted 2026-12-10 is a string to the YAML language server."""
    if isinstance(data, dict):
        return {str(k): as_editor_sees(v) for k, v in data.items()}
    if isinstance(data, list):
        return [as_editor_sees(v) for v in data]
    return data.isoformat() if isinstance(data, date) else data


def errors(schema: dict[str, Any], text: str) -> list[str]:
    data = as_editor_sees(yaml.safe_load(text))
    return [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(data)]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_prints_a_valid_json_schema(kind: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    schema = printed_schema(kind, capsys)
    assert schema["title"] == f"redmine-sync {kind}" and schema["description"]


@pytest.mark.parametrize("path", [*PACK, ROOT / "config.example.yaml"], ids=lambda p: p.name)
def test_the_shipped_pack_and_config_validate(path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    kind = "config" if path.name == "config.example.yaml" else "rules"
    assert errors(printed_schema(kind, capsys), path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("config", "fields: {labels: Labels, sla_due: SLA due}\n", "'sla_due' was unexpected"),
    ("config", "limits: {max_issues: lots}\n", "'lots' is not of type 'integer'"),
    ("config", "redmine: {url: redmine.example}\n", "does not match"),
    ("rules", "kind: vocabulary\nduplicates: {min_score: high}\n", "'high' is not of type"),
    ("rules", "kind: customers\ntiers: [{name: big, value: {ge: lots}}]\n",
     "'lots' is not of type"),
    ("rules", "kind: sla\ncalendars: {always: 24x7}\n", "'24x7' is not of type 'object'"),
    ("rules", "kind: triage\nrules: [{name: a, then: [{add_label: [x]}]}]\n",
     "'add_label' was unexpected"),
    ("rules", "kind: triaje\nrules: []\n", "'triaje' is not one of"),
])
def test_a_broken_file_is_rejected(kind: str, text: str, expected: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    found = errors(printed_schema(kind, capsys), text)
    assert any(expected in message for message in found), found


@pytest.mark.parametrize(("name", "text", "message"), [
    ("voc.yaml", "kind: vocabulary\nduplicates: {min_score: high}\n",
     "voc.yaml:2:25: duplicates.min_score: expected a number, got text"),
    ("voc.yaml", "kind: vocabulary\nduplicates: {min_score: 3}\n",
     "voc.yaml:2:25: duplicates.min_score: 3 is out of range (give a number from 0 to 1)"),
    ("cust.yaml", "kind: customers\ntiers:\n  - {name: big, value: {ge: lots}}\n",
     "cust.yaml:3:29: tiers[0].value.ge: expected a number, got text"),
    ("sla.yaml", "kind: sla\ncalendars:\n  always: 24x7\n",
     "sla.yaml:3:11: calendars.always: expected a calendar"),
    ("sla.yaml", "kind: sla\ncalendars:\n  c: {hours: {mon-fry: ['09:00-17:00']}}\n",
     "sla.yaml:3:15: calendars.c.hours.mon-fry: key 'mon-fry': expected a weekday"),
    ("sla.yaml", "kind: sla\nwrite: {timezone: Mars/Base}\n",
     "sla.yaml:2:19: write.timezone: unknown time zone 'Mars/Base'"),
    ("cust.yaml", "kind: customers\ntiers:\n  - {name: [big], value: {ge: 1}}\n",
     "cust.yaml:3:12: tiers[0].name: expected a name, got a list"),
])
def test_holes_are_located_problems_exit_1(tmp_path: Path, name: str, text: str, message: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    assert main(["validate", str(tmp_path / name)]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / name}:{message.split(':', 1)[1]}" in err, err
    assert "Traceback" not in err and "internal error" not in err


@pytest.mark.parametrize(("text", "message"), [
    ("fields:\n  sla_due: SLA due\n", ("c.yaml:2:3: fields.sla_due: no longer a key (the SLA "
                                        "due field is named in the kind: sla rule file")),
    ("reports:\n  schedules: {weekly: '0 25 * * fri'}\n",
     "c.yaml:2:23: reports.schedules.weekly: schedule '0 25 * * fri'"),
    ("reports:\n  timezone: Asia/Shangai\n",
     "c.yaml:2:13: reports.timezone: unknown time zone 'Asia/Shangai'"),
    ("daemon:\n  interval: 0m\n", ("c.yaml:2:13: daemon.interval: the interval '0m' is not "
                                    "positive")),
])
def test_config_values_are_checked_where_they_are_written(
        tmp_path: Path, text: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    assert main(["--config", str(tmp_path / "c.yaml"), "config"]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path}/{message}" in err, err


def test_the_declared_defaults_are_the_values_in_force(tmp_path: Path) -> None:
    """One declaration: an empty file gives the dataclass defaults (which are the declared
    ones), apart from what depends on the file's place and the URL."""
    (tmp_path / "c.yaml").write_text("{}\n", encoding="utf-8")
    loaded = load_config(str(tmp_path / "c.yaml"), env={})
    fixed = ("rules_dir", "state_path", "source")
    for name in Config.__dataclass_fields__:
        if name not in fixed:
            assert getattr(loaded, name) == getattr(Config(), name), name


def patterns(schema: Any) -> list[str]:
    if isinstance(schema, dict):
        own = [schema["pattern"]] if isinstance(schema.get("pattern"), str) else []
        return own + [p for value in schema.values() for p in patterns(value)]
    if isinstance(schema, list):
        return [p for value in schema for p in patterns(value)]
    return []


@pytest.mark.parametrize("kind", ["config", "rules"])
def test_patterns_are_ones_an_editor_can_run(kind: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """The YAML language server runs patterns as JavaScript regular expressions: no inline
    flags, named groups or Python-only escapes."""
    found = patterns(printed_schema(kind, capsys))
    assert found
    for pattern in found:
        assert not re.search(r"\(\?[aiLmsux]|\(\?P<|\\[AZ]", pattern), pattern


def test_weekdays_in_any_case_are_valid_calendar_keys(capsys: pytest.CaptureFixture[str]) -> None:
    schema = printed_schema("calendar", capsys)
    assert errors(schema, "hours: {Mon-FRI: ['09:00-17:00'], sunday: []}\n") == []
    assert errors(schema, "hours: {mon-fry: ['09:00-17:00']}\n")

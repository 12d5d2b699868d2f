"""doctor's field checks on the real Redmine, one instance variant each (restored after).

The variants are fields of one throw-away project, so nothing else of the instance
changes: a one-value Labels field, Labels not enabled for two trackers, a required field
the tool does not fill, and Labels lacking values the shipped rules set.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Admin
from tests.integration.conftest import rails_runner
from tests.integration.conftest import run_cli
from tests.integration.conftest import write_config

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fields(admin: Admin) -> Iterator[tuple[str, str]]:
    """(project, field name prefix), with one issue (a non-admin reads "multiple" off it)."""
    project = admin.new_demo_project("docf", seed=False)
    admin.send("POST", "/issues.json", {"issue": {
        "project_id": project, "subject": "a request", "tracker_id": 1}})
    prefix = f"D{uuid.uuid4().hex[:5]}"
    try:
        rails_runner("doctor_fields.rb", project, prefix)
        yield project, prefix
    finally:
        rails_runner("drop_fields.rb", prefix)


def doctor(env: dict[str, str], tmp_path: Path, project: str, labels: str,
           admin: bool = False) -> subprocess.CompletedProcess[str]:
    """doctor on the project with fields.labels mapped to ``labels``."""
    config = write_config(tmp_path, project)
    text = config.read_text(encoding="utf-8")
    assert "  labels: Labels " in text
    config.write_text(text.replace("  labels: Labels ", f"  labels: {labels} "),
                      encoding="utf-8")
    key = env["REDMINE_LOCAL_ADMIN_KEY"] if admin else env["REDMINE_API_KEY"]
    return run_cli({**env, "REDMINE_API_KEY": key}, config, "doctor")


def test_a_one_value_labels_field_fails_for_the_bots_key(
        local_redmine: dict[str, str], tmp_path: Path, fields: tuple[str, str]) -> None:
    project, prefix = fields
    run = doctor(local_redmine, tmp_path, project, f"{prefix} single")
    assert run.returncode == 1, run.stdout + run.stderr
    assert re.search(rf"FAIL\s+custom field\s+'{prefix} single' holds one value", run.stdout), \
        run.stdout


def test_labels_not_enabled_for_trackers_and_an_unfilled_required_field(
        local_redmine: dict[str, str], tmp_path: Path, fields: tuple[str, str]) -> None:
    project, prefix = fields
    run = doctor(local_redmine, tmp_path, project, f"{prefix} bug-only", admin=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert re.search(rf"FAIL\s+custom field\s+'{prefix} bug-only' \(labels\) not enabled for "
                     rf"tracker\(s\) Feature, Support of {project}", run.stdout), run.stdout
    assert re.search(rf"warn\s+custom field\s+'{prefix} required' is required and the tool "
                     "does not fill it", run.stdout), run.stdout
    bot = doctor(local_redmine, tmp_path, project, f"{prefix} bug-only")
    assert re.search(rf"warn\s+custom field\s+'{prefix} bug-only' \(labels\): trackers not "
                     "checked", bot.stdout), bot.stdout


def test_label_values_the_field_does_not_allow(
        local_redmine: dict[str, str], tmp_path: Path, fields: tuple[str, str]) -> None:
    project, prefix = fields
    run = doctor(local_redmine, tmp_path, project, f"{prefix} few", admin=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert re.search(r"FAIL\s+rules\s+\S+\.yaml:\d+: .*'needs-info'", run.stdout), run.stdout
    bot = doctor(local_redmine, tmp_path, project, f"{prefix} few")
    assert re.search(r"warn\s+rules\s+\d+ label value\(s\) the rules set not checked",
                     bot.stdout), bot.stdout
    assert "FAIL  rules" not in bot.stdout

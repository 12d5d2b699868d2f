"""reports.risk_tracker on the real Redmine: an unknown tracker is a located problem in
validate --online and a FAIL in doctor; a risk filed as an issue of the tracker is listed
in the weekly report. The tracker lives in one throw-away project and is removed after."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Admin
from tests.integration.conftest import config_edited
from tests.integration.conftest import rails_runner
from tests.integration.conftest import run_cli

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def risk_tracker(admin: Admin) -> Iterator[tuple[str, str, int]]:
    """(project, tracker name, its id) with the tracker enabled in the project only."""
    project = admin.new_demo_project("risk", seed=False)
    name = f"Risk {uuid.uuid4().hex[:5]}"
    try:
        tracker = int(rails_runner("risk_tracker.rb", project, name).split()[-1])
        yield project, name, tracker
    finally:
        rails_runner("risk_tracker.rb", "-", name)


def config_naming(tmp_path: Path, project: str, tracker: str) -> Path:
    return config_edited(tmp_path, project,
                         {"  # risk_tracker: Risk ": f"  risk_tracker: {tracker} "})


def test_an_unknown_risk_tracker_is_located_and_fails_doctor(
        local_redmine: dict[str, str], tmp_path: Path,
        risk_tracker: tuple[str, str, int]) -> None:
    project, name, _ = risk_tracker
    config = config_naming(tmp_path, project, name + "x")
    line = next(i for i, row in enumerate(config.read_text().splitlines(), 1)
                if "risk_tracker:" in row)
    said = f"reports.risk_tracker: unknown tracker '{name}x' in this Redmine"
    validated = run_cli(local_redmine, config, "validate", "--online")
    assert validated.returncode == 1, validated.stdout + validated.stderr
    assert f"{config}:{line}:17: {said}" in validated.stderr, validated.stderr
    assert f"did you mean '{name}'?" in validated.stderr
    doctor = run_cli(local_redmine, config, "doctor")
    assert doctor.returncode == 1, doctor.stdout + doctor.stderr
    assert re.search(rf"FAIL\s+config\s+{re.escape(f'{config}:{line}: {said}')}", doctor.stdout)


def test_a_risk_filed_as_an_issue_of_the_tracker_is_in_the_weekly_report(
        admin: Admin, local_redmine: dict[str, str], tmp_path: Path,
        risk_tracker: tuple[str, str, int]) -> None:
    project, name, tracker = risk_tracker
    risk = admin.send("POST", "/issues.json", {"issue": {
        "project_id": project, "tracker_id": tracker,
        "subject": "Supplier may miss the March delivery"}})["issue"]["id"]
    config = config_naming(tmp_path, project, name)
    validated = run_cli(local_redmine, config, "validate", "--online")
    assert "unknown tracker" not in validated.stdout + validated.stderr
    report = run_cli(local_redmine, config, "report", "weekly", "--format", "textile")
    assert report.returncode == 0, report.stdout + report.stderr
    risks = report.stdout[report.stdout.index("h2. Risks"):]
    assert re.search(rf"#{risk}\b.*risk recorded by the team \(tracker {re.escape(name)}\)",
                     risks), risks[:2000]

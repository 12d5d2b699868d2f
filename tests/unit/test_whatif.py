"""what-if: the same history under the current and a tightened SLA policy, on FakeRedmine."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from redmine_sync.cli import cli
from redmine_sync.cli.context import AppContext
from redmine_sync.config import Config
from redmine_sync.config import RetryPolicy
from redmine_sync.model import User
from redmine_sync.redmine.fake import FakeRedmine
from tests.rule_files import sla_yaml

SLA = sla_yaml("{first_response: {default: {any: 4h}}}",
               thresholds={"50%": "[{add_labels: [sla-warning]}]",
                           "100%": ("[{add_labels: [sla-breached]}, {set: {priority: Urgent}}, "
                                    '{note: "breached: {reason}"}]')})
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NOW = START + timedelta(days=2)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[FakeRedmine, Path, Path]:
    monkeypatch.setenv("REDMINE_API_KEY", "a" * 40)
    monkeypatch.delenv("REDMINE_URL", raising=False)
    clock = {"t": START}
    fake = FakeRedmine(users=[User(5, "cust", "Customer"), User(6, "dev", "Dev")],
                       clock=lambda: clock["t"])
    quick = fake.add_issue("answered in 50 min", author=fake.users[5])
    clock["t"] = START + timedelta(minutes=50)
    fake.human_edit(quick.id, fake.users[6], notes="On it.")
    clock["t"] = START + timedelta(hours=1, minutes=5)
    slow = fake.add_issue("answered in 3 h", author=fake.users[5])
    clock["t"] = START + timedelta(hours=4, minutes=5)
    fake.human_edit(slow.id, fake.users[6], notes="Looking.")
    clock["t"] = START + timedelta(hours=5)
    fake.add_issue("never answered", author=fake.users[5])
    clock["t"] = NOW
    current, proposed = tmp_path / "rules", tmp_path / "proposed"
    for folder, target in ((current, "4h"), (proposed, "2h")):
        folder.mkdir()
        (folder / "sla.yaml").write_text(SLA.replace("any: 4h", f"any: {target}"))
    config = tmp_path / "config.yaml"
    config.write_text(f"redmine: {{url: http://redmine.test}}\nprojects: [demo]\n"
                      f"state: {{path: {tmp_path / 'state.db'}}}\nrules_dir: {current}\n")
    return fake, config, proposed


def invoke(fake: FakeRedmine, config: Path, *args: str) -> tuple[int, str]:
    def connect(_: Config, __: RetryPolicy | None) -> FakeRedmine:
        return fake
    app = AppContext(connect=connect, clock=lambda: NOW)
    result = CliRunner().invoke(cli, ["--config", str(config), "what-if", *args], obj=app)
    return result.exit_code, result.output


def test_a_tighter_target_lists_the_breaches_it_adds(world: tuple[FakeRedmine, Path, Path]
                                                       ) -> None:
    fake, config, proposed = world
    stamps = {i.id: (i.updated_on, len(i.journals or ())) for i in fake.issues.values()}
    code, out = invoke(fake, config, "--rules", str(proposed), "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    assert data["current"]["attainment"] == {"met": 2, "total": 3, "percent": 66.7}
    assert data["proposed"]["attainment"] == {"met": 1, "total": 3, "percent": 33.3}
    assert [(b["issue"], b["metric"], b["target_hours"]) for b in data["new_breaches"]] == [
        (2, "first_response", 2.0)]
    assert data["avoided_breaches"] == []
    # 50 min of 2 h is not past the 50 % step; 3 h of 4 h is (a warning), 3 h of 2 h a breach
    assert [(c["issue"], c["current"], c["proposed"]) for c in data["changed"]] == [
        (2, "met, reached first_response#1@50%", "breached first_response#1")]
    # the 100 % step raises the priority (an escalation) and posts a note, once per breach
    assert [e["issue"] for e in data["current"]["escalations"]] == [3]
    assert [e["issue"] for e in data["proposed"]["escalations"]] == [2, 3]
    assert [n["issue"] for n in data["proposed"]["notes"]] == [2, 3]
    assert "first response at" in data["proposed"]["notes"][0]["text"]
    assert {i.id: (i.updated_on, len(i.journals or ())) for i in fake.issues.values()} == stamps


def test_the_text_shows_both_sides_and_the_lists(world: tuple[FakeRedmine, Path, Path]) -> None:
    fake, config, proposed = world
    code, out = invoke(fake, config, "--rules", str(proposed))
    assert code == 0, out
    assert "SLA attainment      66.7% (2/3)           33.3% (1/3)" in out
    assert "breaches only under the proposed rules (1):\n  #2 first_response#1 breached " \
        "2026-01-05 12:05 UTC (target 2 h)  answered in 3 h" in out
    assert "issues whose outcome changes (1):\n  #2 met, reached first_response#1@50% -> " \
        "breached first_response#1  answered in 3 h" in out
    assert "notes only under the proposed rules (1):\n  #2 first_response#1@100%: breached: " \
        "SLA p: first response at 150% of 2 h (threshold 100%)" in out


def test_the_text_shows_instants_in_the_reports_time_zone(
        world: tuple[FakeRedmine, Path, Path]) -> None:
    fake, config, proposed = world
    config.write_text(config.read_text() + "reports: {timezone: Asia/Shanghai}\n")
    code, out = invoke(fake, config, "--rules", str(proposed))
    assert code == 0, out
    # 12:05 UTC is 20:05 in Shanghai (UTC+8): converted, not relabelled
    assert "#2 first_response#1 breached 2026-01-05 20:05 Asia/Shanghai (target 2 h)" in out
    assert out.startswith("what-if at 2026-01-07 17:00 Asia/Shanghai: 3 issue(s);")
    assert " UTC" not in out


def test_since_leaves_older_issues_out(world: tuple[FakeRedmine, Path, Path]) -> None:
    fake, config, proposed = world
    code, out = invoke(fake, config, "--rules", str(proposed), "--format", "json",
                       "--since", "2026-01-05T13:00:00+00:00")
    assert code == 0, out
    assert json.loads(out)["current"]["issues"] == 1


def test_proposed_rules_with_a_mistake_exit_1_at_their_line(
        world: tuple[FakeRedmine, Path, Path]) -> None:
    fake, config, proposed = world
    (proposed / "sla.yaml").write_text(SLA.replace("any: 4h", "any: soon"))
    code, out = invoke(fake, config, "--rules", str(proposed))
    assert code == 1
    assert "sla.yaml:" in out

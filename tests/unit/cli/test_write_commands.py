"""The commands that write: apply, undo, report --publish, daemon; and doctor."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from redmine_sync.cli.doctor import QUICK
from redmine_sync.doctor import OK
from redmine_sync.doctor import WARN
from redmine_sync.doctor import Check
from redmine_sync.errors import RedmineError
from redmine_sync.model import Issue
from redmine_sync.model import IssueUpdate
from redmine_sync.model import UpdateResult
from redmine_sync.redmine.fake import FakeRedmine
from tests.unit.cli.conftest import Cli
from tests.unit.cli.conftest import known_rules
from tests.unit.cli.conftest import requests
from tests.unit.cli.conftest import write_config


def test_apply_writes_prints_and_publishes_the_due_reports(run: Cli) -> None:
    requests(run.fake)
    result = run("apply")
    assert result.exit_code == 0, result.output
    assert "3 of 3 issue(s) to change" in result.output
    assert "would change" not in result.output and "Nothing was written" not in result.output
    assert "run 1: 3 written, 0 partly written, 0 skipped, 0 failed" in result.output
    assert "report weekly 2026-W01: created Weekly_report_2026-W01" in result.output
    assert run.fake.issues[3].custom_fields["Tier"] == "ordinary"
    again = run("apply")
    assert again.exit_code == 0 and "run 2: 0 written" in again.output


def test_apply_json_summarises_the_run(run: Cli) -> None:
    requests(run.fake)
    result = run("apply", "--format", "json", "--project", "demo")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["written"] == [1, 2, 3] and data["reports"] == []  # one project: no reports


def test_apply_a_failed_write_is_exit_2_and_named(run: Cli) -> None:
    requests(run.fake)
    del run.fake.fields["Tier"]
    result = run("apply")
    assert result.exit_code == 2
    assert "#3: failed: unknown custom field 'Tier'" in result.output
    assert "1 issue(s) not fully written" in result.output
    history = run("history", "--run", "1")
    assert "[failed]" in history.output and "[written]" in history.output


def test_apply_whose_issue_list_fails_says_so_once_and_exits_by_its_writes(run: Cli) -> None:
    """The list checking the next writes answers 500: each issue is read again before its
    write, one warning says so; exit 0 when every write landed, 2 when a read then fails."""
    requests(run.fake)
    asked = []

    def failing(ids: object, since: object = None) -> dict[int, object]:
        asked.append(ids)
        raise RedmineError("Redmine had an internal error (HTTP 500); see its production.log")

    run.fake.updated_on = failing  # type: ignore[method-assign]
    result = run("apply")
    assert result.exit_code == 0, result.output
    assert "run 1: 3 written, 0 partly written, 0 skipped, 0 failed" in result.output
    assert result.output.count("the issue list could not be read") == 1 and len(asked) == 1

    run.fake.add_issue("Please optimise the search", custom_fields={"Customer": "Tailspin Travel"})
    real = run.fake.get_issue

    def refused(issue_id: int, *, journals: bool = True) -> Issue:
        if issue_id == 4:
            raise RedmineError("Redmine had an internal error (HTTP 500); see its production.log")
        return real(issue_id, journals=journals)

    run.fake.get_issue = refused  # type: ignore[method-assign]
    again = run("apply")
    assert again.exit_code == 2, again.output
    assert "#4: failed: Redmine had an internal error (HTTP 500)" in again.output


def test_apply_breaker_is_exit_3_and_max_changes_lets_it_through(run: Cli) -> None:
    requests(run.fake)
    run.config.write_text(run.config.read_text().replace("max_issues: 50", "max_issues: 2"))
    refused = run("apply", "--format", "json")
    assert refused.exit_code == 3
    assert json.loads(refused.stdout.split("\nerror")[0])["written"] == []
    assert run("apply", "--max-changes", "3").exit_code == 0


def test_apply_reports_that_could_not_be_published_are_exit_2(run: Cli) -> None:
    requests(run.fake)
    run.fake.granted.discard("edit_wiki_pages")
    result = run("apply", "--format", "json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["written"] == [1, 2, 3] and "403" in data["reports_failed"][0]
    assert "scheduled reports not published" in result.stderr


def test_undo_shows_first_then_writes_with_yes(run: Cli) -> None:
    requests(run.fake)
    assert run("apply").exit_code == 0
    before = dict(run.fake.issues)
    shown = run("undo", "1")
    assert shown.exit_code == 0, shown.output
    assert "nothing was written (add --yes to write it)" in shown.output
    assert "ordinary -> (none)" in shown.output
    assert run.fake.issues == before                       # without --yes: no write
    result = run("undo", "1", "--yes")
    assert result.exit_code == 0, result.output
    assert "#3: written" in result.output and " 0 failed" in result.output
    assert run.fake.issues[3].custom_fields["Tier"] is None
    assert run("undo", "9").exit_code == 1


def test_undo_that_cannot_write_is_exit_2(run: Cli) -> None:
    requests(run.fake)
    assert run("apply").exit_code == 0
    run.fake.forbidden_statuses.add("New")  # the workflow refuses the way back
    result = run("undo", "1", "--yes")
    assert result.exit_code == 2
    assert "#2: failed: the workflow does not allow" in result.output
    assert "issue(s) could not be put back" in result.output


def test_report_prints_then_publishes(run: Cli) -> None:
    requests(run.fake)
    printed = run("report", "weekly", "--at", "2026-01-07", "--format", "textile")
    assert printed.exit_code == 0, printed.output
    assert "h1. " in printed.stdout and not run.fake.wiki
    published = run("report", "kpi", "--publish")
    assert published.exit_code == 0, published.output
    assert "created   http://redmine.test/projects/demo/wiki/KPI_report_2026-W02 (version 1)" \
        in published.output
    again = run("report", "kpi", "--publish")
    assert "unchanged" in again.output


def test_report_at_must_be_a_time_and_the_name_known(run: Cli) -> None:
    bad = run("report", "weekly", "--at", "next friday")
    assert bad.exit_code == 1 and "is not a date or time" in bad.output
    unknown = run("report", "yearly")
    assert unknown.exit_code == 1 and "yearly" in unknown.output


def test_doctor_fails_on_the_shipped_pack_against_a_bare_redmine(run: Cli) -> None:
    result = run("doctor")
    assert result.exit_code == 1
    assert "FAIL  rules" in result.output and "check(s) failed" in result.output
    assert run.retries == [QUICK]  # doctor does not wait out a dead Redmine


def test_doctor_with_a_warning_never_says_all_checks_passed(
        run: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(tmp_path, rules_dir=known_rules(tmp_path))
    checks = [Check(OK, "config", "read"),
              Check(WARN, "API key", "accepted: user bot is an ADMINISTRATOR", "a bot user")]
    monkeypatch.setattr("redmine_sync.cli.doctor.run_checks", lambda *args: iter(checks))
    result = run("doctor")
    assert result.exit_code == 0, result.output
    assert "all checks passed" not in result.output
    assert result.output.rstrip().endswith(
        "no check failed; 1 warning(s) above (not checked, or worth a look)")


def test_doctor_exits_5_when_a_check_could_not_be_made(
        run: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(tmp_path, rules_dir=known_rules(tmp_path))
    checks = [Check(OK, "API key", "accepted"),
              Check(WARN, "custom field", "trackers not checked: a non-admin key", "tick them",
                    checked=False)]
    monkeypatch.setattr("redmine_sync.cli.doctor.run_checks", lambda *args: iter(checks))
    result = run("doctor")
    assert result.exit_code == 5, result.output
    assert "no check failed; 1 warning(s) above (not checked, or worth a look)" in result.output
    assert "error: 1 check(s) could not be made with this key or server" in result.output
    data = json.loads(run("doctor", "--format", "json").stdout)
    assert (data["not_checked"], data["passed"]) == (1, False)
    assert [c["checked"] for c in data["checks"]] == [True, False]


def test_doctor_passes_on_rules_the_redmine_knows(run: Cli, tmp_path: Path) -> None:
    write_config(tmp_path, rules_dir=known_rules(tmp_path))
    run.fake._now = lambda: run.now
    result = run("doctor")
    # the fake lacks optional fields (worth a look) and hides Labels' values from the bot
    # (not checked): nothing failed, but never an exit 0 while something was not checked
    assert result.exit_code == 5, result.output
    assert "FAIL" not in result.output
    assert "no check failed; 8 warning(s) above (not checked, or worth a look)" in result.output
    assert "error: 1 check(s) could not be made" in result.output


class Stopping(FakeRedmine):
    """Asked to stop (SIGTERM, as systemd does) during its first write."""

    def update_issue(self, update: IssueUpdate) -> UpdateResult:
        os.kill(os.getpid(), signal.SIGTERM)
        return super().update_issue(update)


@pytest.fixture
def signals() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_daemon_runs_until_sigterm_then_stops_cleanly(run: Cli, signals: None) -> None:
    fake = Stopping(groups=run.fake.groups, group_members=run.fake.members,
                    custom_fields=run.fake.fields.values())
    fake.url, fake.markup = run.fake.url, run.fake.markup
    requests(fake)
    run.fake = fake
    result = run("daemon", "--interval", "1h")
    assert result.exit_code == 0, result.output
    assert fake.issues[1].custom_fields["Labels"] == ("ui",)  # the write under way ends,
    assert fake.issues[3].custom_fields["Tier"] is None  # the rest waits for the next start
    assert "written 1, skipped 2" in run("history").output


def test_daemon_interval_must_be_a_duration(run: Cli, signals: None) -> None:
    result = run("daemon", "--interval", "soon")
    assert result.exit_code == 1 and "invalid interval 'soon'" in result.output

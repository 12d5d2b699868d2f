"""The Prometheus textfile after apply and daemon runs: parsed back with prometheus_client's
own text-format parser, it carries that run's figures."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from redmine_sync import daemon
from redmine_sync.config import load_config
from tests.unit.cli.conftest import Cli
from tests.unit.cli.conftest import requests


def samples(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the file: (name, sorted labels) -> value."""
    text = path.read_text(encoding="utf-8")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@pytest.fixture
def measured(run: Cli) -> Path:
    path = run.config.parent / "textfile" / "redmine_sync.prom"
    path.parent.mkdir()
    run.config.write_text(run.config.read_text() + "metrics:\n  textfile: textfile/"
                          "redmine_sync.prom\n")
    return path


def test_apply_writes_the_runs_figures(run: Cli, measured: Path) -> None:
    requests(run.fake)  # #3 is a customer's, vague: its clocks pause for needs-info
    run.fake.add_issue("Invoice export to Excel fails with error 500 for 2,000 lines",
                       description="Steps: open Invoices, select 2,000 lines, click Export. "
                       "Expected: an .xlsx file. Actual: error 500. Since version 4.2; "
                       "blocks month-end closing for 12 accountants.",
                       custom_fields={"Customer": "Tailspin Travel"})
    run.now += timedelta(days=40)  # #4 is long past its SLA by then
    result = run("apply")  # ... and fails: this Redmine has no "SLA due" field
    assert result.exit_code == 2, result.output
    got = samples(measured)
    assert got[("redmine_sync_runs_total", (("mode", "apply"), ("status", "failed")))] == 1
    assert got[("redmine_sync_writes_total", ())] == 3
    assert got[("redmine_sync_write_failures_total", ())] == 1
    assert got[("redmine_sync_breaker_trips_total", ())] == 0
    assert got[("redmine_sync_last_run_issues", (("outcome", "written"),))] == 3
    assert got[("redmine_sync_last_run_issues", (("outcome", "failed"),))] == 1
    assert got[("redmine_sync_last_run_issues", (("outcome", "planned"),))] == 4
    assert got[("redmine_sync_last_run_success", ())] == 0
    assert got[("redmine_sync_last_run_timestamp_seconds", ())] == run.now.timestamp()
    assert got[("redmine_sync_last_run_duration_seconds", ())] == 0  # the test's clock stands
    assert ("redmine_sync_last_success_timestamp_seconds", ()) not in got
    assert got[("redmine_sync_reports_failed", ())] == 0
    sla = {(name, labels): value for (name, labels), value in got.items()
           if name.startswith(("redmine_sync_issues_", "redmine_sync_sla_"))}
    assert sla == {("redmine_sync_issues_breached", (("tier", "ordinary"),)): 1,
                   ("redmine_sync_issues_at_risk", (("tier", "ordinary"),)): 0,
                   ("redmine_sync_sla_open_issues", (("tier", "ordinary"),)): 2}
    assert sorted(p.name for p in measured.parent.iterdir()) == ["redmine_sync.prom"]

    run.now += timedelta(minutes=5)
    again = run("apply")  # the totals add up over runs
    assert again.exit_code == 2, again.output
    got = samples(measured)
    assert got[("redmine_sync_runs_total", (("mode", "apply"), ("status", "failed")))] == 2
    assert got[("redmine_sync_writes_total", ())] == 3
    assert got[("redmine_sync_write_failures_total", ())] == 2
    assert got[("redmine_sync_last_run_issues", (("outcome", "written"),))] == 0
    assert got[("redmine_sync_last_run_timestamp_seconds", ())] == run.now.timestamp()
    assert {key: value for key, value in got.items() if key in sla} == sla  # still whole


def test_a_breaker_trip_is_counted_and_the_last_success_stays(run: Cli, measured: Path) -> None:
    requests(run.fake)
    run.config.write_text(run.config.read_text().replace("max_issues: 50", "max_issues: 2"))
    assert run("apply").exit_code == 3
    got = samples(measured)
    assert got[("redmine_sync_breaker_trips_total", ())] == 1
    assert got[("redmine_sync_runs_total", (("mode", "apply"), ("status", "breaker")))] == 1
    assert got[("redmine_sync_last_run_success", ())] == 0
    assert ("redmine_sync_last_success_timestamp_seconds", ()) not in got
    # the run evaluated the issues before the breaker stopped it: their SLA states count
    assert got[("redmine_sync_sla_open_issues", (("tier", "ordinary"),))] == 1


def test_a_metrics_file_that_cannot_be_written_is_exit_2(run: Cli, measured: Path) -> None:
    measured.parent.rmdir()
    result = run("apply")
    assert result.exit_code == 2
    assert f"metrics file {measured} not written: No such file or directory" in result.output


def test_the_daemon_writes_them_after_each_run(run: Cli, measured: Path) -> None:
    requests(run.fake)
    config = load_config(str(run.config))
    problems: list[str] = []
    daemon._one_run(lambda: run.fake, config, run.store(), lambda: run.now, 300, 300,
                    threading.Event(), problems)
    assert problems == []
    got = samples(measured)
    assert got[("redmine_sync_writes_total", ())] == 3
    assert got[("redmine_sync_runs_total", (("mode", "apply"), ("status", "ok")))] == 1
    assert got[("redmine_sync_last_run_success", ())] == 1
    assert got[("redmine_sync_last_success_timestamp_seconds", ())] == run.now.timestamp()
    assert got[("redmine_sync_issues_at_risk", (("tier", "ordinary"),))] == 0


def test_off_by_default(run: Cli) -> None:
    requests(run.fake)
    assert run("apply").exit_code == 0
    assert not list(run.config.parent.glob("*.prom"))

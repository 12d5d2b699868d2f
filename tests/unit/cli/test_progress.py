"""Progress: log lines at a cadence off a terminal, rich's bar on one, nothing with -q."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from rich.console import Console

from redmine_sync import progress
from redmine_sync.cli import cli
from redmine_sync.cli.progress import Bar
from redmine_sync.cli.progress import LogLines
from redmine_sync.cli.progress import watching
from tests.unit.cli.conftest import Cli
from tests.unit.cli.conftest import requests


@dataclass
class Ticks:
    """A monotonic clock that moves ``step`` seconds each time it is read."""

    now: float = 0.0
    step: float = 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "redmine_sync.progress"]


def test_log_lines_come_every_ten_seconds_with_counts_and_time_left(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "redmine_sync.progress")
    clock = Ticks()
    reporter = LogLines(clock)
    times = []  # when a line came
    for done in range(1, 41):  # 40 issues, 3 s each: 120 s
        clock.now += 3
        before = len(lines(caplog))
        reporter.advance(progress.ISSUES_WRITTEN, done, 40)
        times += [clock.now] if len(lines(caplog)) > before else []
    said = lines(caplog)
    # a line at 12 s (the first count at or past 10 s), then every 12 s, and one at the end
    assert said[0] == "progress: issues written 4/40 (10%), about 1m48s left"
    assert said[-1] == "progress: issues written 40/40, done in 1m57s"  # from its first count
    assert times == [12, 24, 36, 48, 60, 72, 84, 96, 108, 120]
    assert [r.__dict__["done"] for r in caplog.records][:2] == [4, 8]  # JSON log fields


def test_a_slow_request_still_gets_a_line_every_ten_seconds(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "redmine_sync.progress")
    clock = Ticks()
    reporter = LogLines(clock)
    reporter.advance(progress.ISSUES_READ, 100, 3000)
    for _ in range(25):  # the next page takes 25 s: the heartbeat beats each second
        clock.now += 1
        reporter.beat()
    assert lines(caplog) == ["progress: issues read 100/3000 (3%)"] * 2  # no rate yet


def test_short_work_says_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "redmine_sync.progress")
    clock = Ticks(step=0.5)
    reporter = LogLines(clock)
    for done in range(1, 6):
        reporter.advance(progress.JOURNALS_READ, done, 5)
    assert lines(caplog) == []


def test_on_a_terminal_a_bar_with_counts() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100, color_system="standard")
    with Bar(console).shown() as bar, progress.reporting(bar):
        progress.advance(progress.ISSUES_READ, 1200, 3000)
        bar.rich.refresh()
        drawn = out.getvalue()
    assert "issues read" in drawn and "1200/3000" in drawn and "40%" in drawn
    assert "\x1b[" in drawn  # drawn with terminal codes


def test_watching_picks_the_bar_only_for_a_terminal(caplog: pytest.LogCaptureFixture) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    with watching(False, screen):
        progress.advance(progress.ISSUES_WRITTEN, 3, 10)
    assert "issues written" in screen.getvalue()
    quiet = Terminal()
    with watching(True, quiet):
        progress.advance(progress.ISSUES_WRITTEN, 3, 10)
    assert quiet.getvalue() == ""
    caplog.set_level(logging.INFO, "redmine_sync.progress")
    with watching(False, io.StringIO(), clock=Ticks(step=20)):
        progress.advance(progress.ISSUES_WRITTEN, 3, 10)
    assert lines(caplog) == ["progress: issues written 3/10 (30%)"]


def test_a_non_terminal_apply_logs_its_writes_and_q_silences_them(
        run: Cli, caplog: pytest.LogCaptureFixture) -> None:
    for n in range(12):
        run.fake.add_issue(f"Please add an export to Excel {n}", description="nice to have")
    requests(run.fake)
    app = run.app()
    app.monotonic = Ticks(step=4)  # each look at the clock: 4 s later
    result = CliRunner().invoke(cli, ["--config", str(run.config), "apply"], obj=app)
    assert result.exit_code == 0, result.output
    said = lines(caplog)
    tasks = "journals read|issues written|report pages published"
    assert said and all(re.fullmatch(rf"progress: ({tasks}) \d+/\d+.*", line) for line in said)
    assert any(line.startswith("progress: issues written") for line in said)
    caplog.clear()
    quiet = run.app()
    quiet.monotonic = Ticks(step=4)
    result = CliRunner().invoke(cli, ["--config", str(run.config), "-q", "apply"], obj=quiet)
    assert result.exit_code == 0 and lines(caplog) == []

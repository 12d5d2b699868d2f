"""For people on a terminal: tables as wide as the terminal, colour unless NO_COLOR; for
files and pipes: plain text, nothing cut."""

from __future__ import annotations

import click
import pytest

from redmine_sync.cli import output
from tests.unit.cli.conftest import Cli
from tests.unit.cli.conftest import requests

SUBJECT = "Please optimise the system so that the monthly invoice run finishes before 9am"


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setattr(output, "on_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("NO_COLOR", raising=False)
    return monkeypatch


def test_on_a_terminal_tables_fit_its_width_and_are_coloured(run: Cli,
                                                             terminal: pytest.MonkeyPatch) -> None:
    requests(run.fake)
    run.fake.add_issue(SUBJECT, custom_fields={"Customer": "Northwind Logistics Co."})
    listed = run("issues")
    assert listed.exit_code == 0, listed.output
    rows = [click.unstyle(line) for line in listed.stdout.splitlines()[:-1]]
    assert all(len(row) <= 80 for row in rows) and rows[-1].endswith("…")
    assert "Northwind Logistics Co." in rows[-1]  # the subject gave way, not the name
    assert "\x1b[1m" in listed.stdout  # a bold header
    at_risk = run("sla", "--at-risk")
    assert at_risk.exit_code == 0, at_risk.output
    assert all(len(click.unstyle(line)) <= 80 for line in at_risk.stdout.splitlines())
    doctor = run("doctor")
    assert click.style("FAIL", fg="red", bold=True) in doctor.stdout
    assert click.style("ok  ", fg="green") in doctor.stdout


def test_no_color_keeps_the_layout_without_colour(run: Cli, terminal: pytest.MonkeyPatch) -> None:
    requests(run.fake)
    coloured = run("issues").stdout
    terminal.setenv("NO_COLOR", "1")
    plain = run("issues").stdout
    assert "\x1b[" not in plain and click.unstyle(coloured) == plain
    assert "\x1b[" not in run("doctor").stdout


def test_to_a_file_or_pipe_nothing_is_cut_or_coloured(run: Cli) -> None:
    requests(run.fake)
    run.fake.add_issue(SUBJECT, custom_fields={"Customer": "Northwind Logistics Co."})
    listed = run("issues").stdout
    assert "\x1b[" not in listed and SUBJECT in listed and "…" not in listed
    assert "\x1b[" not in run("doctor").stdout + run("test-rules").stdout

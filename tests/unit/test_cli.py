from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from redmine_sync.cli import COMMANDS
from redmine_sync.cli import cli
from redmine_sync.cli import listed
from redmine_sync.cli import load
from redmine_sync.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


def test_every_module_with_a_command_is_listed() -> None:
    modules = {p.stem for p in (ROOT / "redmine_sync" / "cli").glob("*.py")
               if "\n@click.command(" in p.read_text(encoding="utf-8")}
    assert set(COMMANDS.values()) == modules
    assert all(load(name).name == name for name in COMMANDS)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_help_lists_each_command_as_its_own_help_would(name: str) -> None:
    for limit in (20, 45, 80):
        assert listed(name).get_short_help_str(limit) == load(name).get_short_help_str(limit)


def test_help_imports_no_command_nor_what_commands_need() -> None:
    """`redmine-sync --help` lists the commands from their sources: it imports neither the
    command modules nor the engine, the Redmine client, the reports or their libraries."""
    show = ("import sys; from redmine_sync.cli import main; main(['--help']); "
            "print('modules:', *sorted(sys.modules))")
    done = subprocess.run([sys.executable, "-c", show], capture_output=True, text=True,
                          check=True)
    assert "Commands:" in done.stdout and "what-if" in done.stdout
    loaded = set(done.stdout.rsplit("modules:", 1)[1].split())
    assert "redmine_sync.cli" in loaded
    heavy = {"redmine_sync.cli.context", "redmine_sync.cli.progress", "redmine_sync.config",
             "redmine_sync.rules", "redmine_sync.redmine", "redmine_sync.reports",
             "redmine_sync.sync", "redmine_sync.store", "rich", "jieba", "matplotlib",
             "requests", "yaml", "prometheus_client"}
    heavy |= {f"redmine_sync.cli.{module}" for module in COMMANDS.values()}
    assert sorted(heavy & loaded) == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_and_is_in_the_readme(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Usage: cli " in result.output or "Usage:" in result.output
    assert f"redmine-sync {name}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_config_errors_exit_1_without_traceback(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "c.yaml"
    bad.write_text("redmine:\n  urll: http://x\n")
    assert main(["--config", str(bad), "config"]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:2:3: redmine.urll: unknown key (did you mean 'url'?)" in err
    assert "Traceback" not in err


def test_unknown_command_and_option_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 1
    assert "No such command" in capsys.readouterr().err
    assert main(["issues", "--since", "yesterday"]) == 1
    assert "--since" in capsys.readouterr().err


def test_config_command_never_prints_the_key(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("REDMINE_API_KEY", "supersecretkey123")
    assert main(["--config", str(ROOT / "config.example.yaml"), "config"]) == 0
    out = capsys.readouterr().out
    assert "supersecretkey123" not in out
    assert "api key:         set (from environment (REDMINE_API_KEY))" in out


def test_unreachable_redmine_is_exit_4_with_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("redmine:\n  url: http://127.0.0.1:9\n  retries: {attempts: 2, backoff: 0.01}\n")
    monkeypatch.setenv("REDMINE_API_KEY", "k")
    monkeypatch.delenv("REDMINE_URL", raising=False)
    code = main(["--config", str(config), "issues"])
    err = capsys.readouterr().err
    assert code == 4
    assert "did not answer GET /users/current.json after 2 attempt(s)" in err
    assert "redmine-sync doctor" in err and "Traceback" not in err


def test_version() -> None:
    assert CliRunner().invoke(cli, ["--version"]).output.startswith("redmine-sync, version ")


def test_at_a_date_is_the_end_of_that_day_in_the_reports_time_zone() -> None:
    from datetime import UTC
    from datetime import datetime

    from redmine_sync.cli.report import parse_at

    end = parse_at("2026-11-22", "Asia/Shanghai")
    assert end.astimezone(UTC) == datetime(2026, 11, 22, 15, 59, 59, 999999, tzinfo=UTC)
    assert parse_at("2026-11-20T17:00", "Asia/Shanghai").astimezone(UTC) == datetime(
        2026, 11, 20, 9, 0, tzinfo=UTC)
    assert parse_at("2026-11-20T17:00:00+00:00", "Asia/Shanghai") == datetime(
        2026, 11, 20, 17, 0, tzinfo=UTC)

"""Shell completion is click's: `redmine-sync --help` says how to turn it on, and the
variable it names really produces a completion script and completions."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from redmine_sync.cli import cli
from redmine_sync.cli import main


def test_help_says_how_to_turn_completion_on() -> None:
    out = CliRunner().invoke(cli, ["--help"]).output
    lines = {shell: re.search(rf"{shell}.*: +(.+)$", out, re.MULTILINE) for shell in
             ("bash", "zsh", "fish")}
    assert all(lines.values()), out
    assert lines["bash"] and lines["bash"][1] == (
        'eval "$(_REDMINE_SYNC_COMPLETE=bash_source redmine-sync)"')
    assert "redmine-sync init DIR" in out


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_named_variable_prints_the_script(shell: str, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("_REDMINE_SYNC_COMPLETE", f"{shell}_source")
    with pytest.raises(SystemExit) as done:
        main([])
    assert done.value.code == 0
    assert "_REDMINE_SYNC_COMPLETE" in capsys.readouterr().out


@pytest.mark.parametrize(("words", "expected"), [
    ("redmine-sync ap", "plain,apply"),
    ("redmine-sync plan --fo", "plain,--format"),
    ("redmine-sync init --from", "plain,--from-redmine"),
])
def test_bash_completes_commands_and_options(words: str, expected: str,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("_REDMINE_SYNC_COMPLETE", "bash_complete")
    monkeypatch.setenv("COMP_WORDS", words)
    monkeypatch.setenv("COMP_CWORD", str(len(words.split()) - 1))
    with pytest.raises(SystemExit):
        main([])
    assert expected in capsys.readouterr().out.splitlines()

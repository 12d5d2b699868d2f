"""docs/cli.md shows every command, option and exit code, and the code uses that table."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from redmine_sync.cli import COMMANDS
from redmine_sync.cli import cli
from redmine_sync.cli import load
from redmine_sync.cli.reference import markdown
from redmine_sync.errors import EXIT_TABLE
from redmine_sync.errors import RedmineSyncError

DOC = Path(__file__).resolve().parents[3] / "docs" / "cli.md"


def test_docs_cli_md_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == markdown(cli), \
        "docs/cli.md differs from the commands: run scripts/cli-doc"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_and_option_is_in_the_reference(name: str) -> None:
    text = markdown(cli)
    command = load(name)
    section = text.split(f"## `redmine-sync {name}`\n", 1)[1].split("\n## ", 1)[0]
    assert f"    redmine-sync {name} " in section
    for param in command.params:
        if isinstance(param, click.Option):
            assert all(f"{opt}" in section for opt in param.opts), (name, param.opts)
            if param.name == "fmt" and "json" in getattr(param.type, "choices", ()):
                assert "Machine-readable output: `--format json`." in section


def test_every_exit_code_is_in_the_reference() -> None:
    text = markdown(cli)
    for exit_code in EXIT_TABLE:
        assert f"| {exit_code.code} | {exit_code.name} | {exit_code.meaning.split(' ')[0]}" \
            in text


def every_error_class(base: type[RedmineSyncError]) -> list[type[RedmineSyncError]]:
    found = []
    for sub in base.__subclasses__():
        found += [sub, *every_error_class(sub)]
    return found


def test_every_error_exits_with_a_code_of_the_table() -> None:
    codes = {e.code for e in EXIT_TABLE}
    classes = every_error_class(RedmineSyncError)
    assert len(classes) > 10  # the CLI imported every module that defines them
    wrong = {cls.__name__: cls.exit_code for cls in classes if cls.exit_code not in codes}
    assert wrong == {}

"""What reaches the top of the CLI becomes a message and a code of errors.EXIT_TABLE."""

from __future__ import annotations

import click
import pytest

from redmine_sync.cli import main
from redmine_sync.cli.context import AppContext
from redmine_sync.config import Config
from redmine_sync.config import RetryPolicy
from redmine_sync.errors import INTERNAL
from redmine_sync.errors import INTERRUPTED
from redmine_sync.redmine import RedmineClient
from tests.unit.cli.conftest import Cli


@pytest.mark.parametrize(("raised", "code", "said"), [
    (KeyboardInterrupt(), INTERRUPTED.code, "aborted"),  # click turns Ctrl-C into Abort
    (click.exceptions.Abort(), INTERRUPTED.code, "aborted"),
    (ZeroDivisionError("division by zero"), INTERNAL.code,
     "internal error: ZeroDivisionError: division by zero (run with -vv for the traceback"),
])
def test_what_escapes_a_command_is_named_with_its_code(
        run: Cli, raised: BaseException, code: int, said: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    def connect(config: Config, retries: RetryPolicy | None) -> RedmineClient:
        raise raised

    assert main(["--config", str(run.config), "issues"], AppContext(connect=connect)) == code
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


def test_the_script_and_the_runner_see_the_same_code(run: Cli) -> None:
    assert run("sla").exit_code == 1
    assert main(["--config", str(run.config), "sla"], run.app()) == 1
    assert main(["--config", str(run.config), "--version"]) == 0

"""The command line: thin click commands (parse -> call -> print), one module per command.

Commands get what they work with from one ``AppContext`` (``cli/context.py``) and raise;
they never exit. ``Group.main`` is the only place that maps exceptions to messages and
exit codes (``errors.EXIT_TABLE``), so ``redmine-sync``, ``main()`` and click's
``CliRunner`` all see the same codes.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import click

from redmine_sync import __version__
from redmine_sync.errors import INTERNAL
from redmine_sync.errors import INTERRUPTED
from redmine_sync.errors import OK
from redmine_sync.errors import USER
from redmine_sync.errors import RedmineSyncError
from redmine_sync.logs import setup_logging

if TYPE_CHECKING:
    from redmine_sync.cli.context import AppContext

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
log = logging.getLogger("redmine_sync")

# Each command's module in this package, in the order of the workflow. A module is imported
# only when its command runs (or shows its own help): `redmine-sync --help` lists the
# commands from their docstrings, without the engine, the Redmine client or the reports.
COMMANDS = {"init": "init", "doctor": "doctor", "config": "config", "validate": "validate",
            "schema": "schema", "plan": "plan", "explain": "explain", "apply": "apply",
            "history": "history", "undo": "undo", "daemon": "daemon", "sla": "sla",
            "what-if": "whatif", "report": "report", "rules": "rules",
            "test-rules": "rule_fixtures", "issues": "issues"}


def load(name: str) -> click.Command:
    """The command called ``name``: ``command`` of its module, imported on first use."""
    command: click.Command = importlib.import_module(f"{__name__}.{COMMANDS[name]}").command
    return command


def listed(name: str) -> click.Command:
    """The command as the group's help lists it: its name and docstring, read from its
    module's source without importing the module (nor what it imports)."""
    spec = importlib.util.find_spec(f"{__name__}.{COMMANDS[name]}")
    if spec is None or spec.origin is None:
        raise LookupError(f"no module for the command {name!r}")
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    doc = next(ast.get_docstring(node) for node in tree.body
               if isinstance(node, ast.FunctionDef) and node.name == "command")
    return click.Command(name, help=doc)


class Group(click.Group):
    """Lists commands in the order they were added (the order of the workflow) and turns
    every error into a message and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMANDS:
            self.add_command(load(name))
        return self.commands.get(name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list in --help, each command's first sentence, no command module imported."""
        limit = formatter.width - 6 - max(map(len, COMMANDS))
        rows = [(name, (self.commands.get(name) or listed(name)).get_short_help_str(limit))
                for name in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        code = _exit_code(lambda: super(Group, self).main(
            args=args, prog_name=prog_name or "redmine-sync", complete_var=complete_var,
            standalone_mode=False, **extra))
        if standalone_mode:
            sys.exit(code)
        return code


def _exit_code(run: Any) -> int:
    try:
        run()
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return INTERRUPTED.code
    except click.ClickException as exc:  # click's usage errors (its 2) are user errors
        exc.show()
        return USER.code if exc.exit_code == 2 else exc.exit_code
    except RedmineSyncError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return INTERRUPTED.code
    except Exception as exc:  # a bug: say so briefly, show the trace only when asked
        log.debug("internal error", exc_info=True)
        click.echo(f"internal error: {type(exc).__name__}: {exc} "
                   "(run with -vv for the traceback; please report it)", err=True)
        return INTERNAL.code
    return OK.code


@click.group(cls=Group, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="redmine-sync")
@click.option("--config", "config_path", metavar="PATH", envvar="REDMINE_SYNC_CONFIG",
              help="Config file (default: $REDMINE_SYNC_CONFIG, ./redmine-sync.yaml, "
                   "~/.config/redmine-sync/config.yaml). REDMINE_URL and REDMINE_API_KEY "
                   "override it.")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="No progress: neither the bar (on a "
              "terminal) nor the progress lines logged every 10 s elsewhere.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Log lines on stderr: text (journald-friendly) or json.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int, quiet: bool,
        log_format: str) -> None:
    """Triage, tier, prioritise, route and watch SLAs of Redmine issues with YAML rules.

    Start with `redmine-sync doctor` to check the connection, then `plan` to see what
    the rules would change. Nothing is written to Redmine without `apply`. New here?
    `redmine-sync init DIR` writes a commented config and the rule pack.

    \b
    Shell completion of commands, options and choices:
      bash, in ~/.bashrc:  eval "$(_REDMINE_SYNC_COMPLETE=bash_source redmine-sync)"
      zsh, in ~/.zshrc:    eval "$(_REDMINE_SYNC_COMPLETE=zsh_source redmine-sync)"
      fish:                _REDMINE_SYNC_COMPLETE=fish_source redmine-sync | source
    """
    # what a command needs, imported only when one runs (never for --help)
    from redmine_sync.cli.context import AppContext
    from redmine_sync.cli.progress import watching

    setup_logging(log_format, verbose)
    app = ctx.obj if isinstance(ctx.obj, AppContext) else AppContext()
    app.config_path, app.log_format, app.verbose = config_path, log_format, verbose
    ctx.obj = app
    ctx.with_resource(watching(quiet, clock=app.monotonic))


def main(argv: list[str] | None = None, context: AppContext | None = None) -> int:
    """Entry point: run the CLI, map every error to a message and an exit code."""
    code: int = cli.main(args=argv, standalone_mode=False, obj=context)
    return code


if __name__ == "__main__":
    sys.exit(main())

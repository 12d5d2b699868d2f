"""The command line: thin click commands (parse -> call -> print) and the one error handler.

``main`` is the only place that maps exceptions to messages and exit codes
(``errors.EXIT_CODES``); commands raise, they never exit.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC
from datetime import datetime
from typing import Any

import click

from redmine_sync import __version__
from redmine_sync.config import RetryPolicy
from redmine_sync.config import load_config
from redmine_sync.errors import ChecksFailed
from redmine_sync.errors import NotYetAvailable
from redmine_sync.errors import RedmineSyncError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
log = logging.getLogger("redmine_sync")


class Group(click.Group):
    """Lists commands in the order they were added (the order of the workflow)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(cls=Group, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="redmine-sync")
@click.option("--config", "config_path", metavar="PATH", envvar="REDMINE_SYNC_CONFIG",
              help="Config file (default: $REDMINE_SYNC_CONFIG, ./redmine-sync.yaml, "
                   "~/.config/redmine-sync/config.yaml). REDMINE_URL and REDMINE_API_KEY "
                   "override it.")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int) -> None:
    """Triage, tier, prioritise, route and watch SLAs of Redmine issues with YAML rules.

    Start with `redmine-sync doctor` to check the connection, then `plan` to see what
    the rules would change. Nothing is written to Redmine without `apply`.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = {"config_path": config_path}


@cli.command()
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Check that Redmine is reachable and set up for the tool.

    Checks the config and key, that the REST API is enabled and the key really accepted
    (an invalid key on a public project would silently read as Anonymous), the projects,
    the custom fields, the bot's permissions and the server's clock. One line per check
    with how to fix it; exit 1 when a check fails.
    """
    from redmine_sync.doctor import FAIL
    from redmine_sync.doctor import run_checks
    from redmine_sync.redmine.live import LiveRedmine

    config = _config(ctx)
    quick = RetryPolicy(attempts=2, backoff=0.5, total_seconds=10)
    client = LiveRedmine.from_config(config, retries=quick)
    failed = 0
    for check in run_checks(config, client, datetime.now(UTC)):
        click.echo(check.render())
        failed += check.status == FAIL
    if failed:
        raise ChecksFailed(f"{failed} check(s) failed")
    click.echo("all checks passed")


@cli.command("config")
@click.pass_context
def show_config(ctx: click.Context) -> None:
    """Show the effective configuration (file + environment); the key is never shown."""
    config = _config(ctx)
    click.echo(f"file:            {config.source or '(none: defaults + environment)'}")
    click.echo(f"redmine url:     {config.url}")
    click.echo(f"api key:         {'set' if config.api_key else 'MISSING'} "
               f"(from {config.key_source})")
    click.echo(f"projects:        {', '.join(config.projects) or '(all visible)'}")
    click.echo(f"state database:  {config.state_path}")
    click.echo(f"rules directory: {config.rules_dir}")
    click.echo(f"text formatting: {config.text_formatting}")
    click.echo(f"labels backend:  {config.labels_backend}")
    for concept, name in config.fields.all().items():
        click.echo(f"field {concept + ':':<21} {name}")


@cli.command()
@click.option("-p", "--project", metavar="ID", help="Only this project (default: those in the "
              "config, else all visible).")
@click.option("--since", metavar="TIME", help="Only issues updated at or after this UTC time, "
              "e.g. 2026-11-20T08:00:00Z.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.pass_context
def issues(ctx: click.Context, project: str | None, since: str | None, fmt: str) -> None:
    """List the issues the tool reads from Redmine (open and closed), oldest change first.

    Read-only: shows what rules will see, with names as in the Redmine UI.
    """
    from redmine_sync.listing import list_issues
    from redmine_sync.redmine.live import LiveRedmine

    config = _config(ctx)
    projects = (project,) if project else config.projects or (None,)
    client = LiveRedmine.from_config(config)
    for line in list_issues(client, projects, _parse_since(since), config.fields, fmt):
        click.echo(line)


def _parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time like 2026-11-20T08:00:00Z",
                                 param_hint="--since") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _placeholder(name: str, summary: str, planned: str) -> click.Command:
    @click.command(name, context_settings={**CONTEXT, "ignore_unknown_options": True},
                   help=f"{summary}\n\nNOT YET AVAILABLE: {planned}. Exits with status 1.",
                   short_help=f"[not yet available] {summary}")
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def command(args: tuple[str, ...]) -> None:
        raise NotYetAvailable(f"'redmine-sync {name}' is not available yet: {planned}.")

    return command


for _name, _summary, _planned in (
    ("validate", "Check rule files for errors without touching Redmine.",
     "it comes with the rule language"),
    ("plan", "Show what the rules would change. Never writes.", "it comes with the rule language"),
    ("explain", "Show every rule and condition evaluated for one issue.",
     "it comes with the rule language"),
    ("apply", "Write the planned changes to Redmine.", "it comes with safe write-back"),
    ("daemon", "Plan and apply in a loop.", "it comes with safe write-back"),
    ("history", "Show past runs and their changes.", "it comes with the state store"),
    ("undo", "Revert the field changes of one run.", "it comes with the state store"),
    ("sla", "Show SLA clocks and issues at risk.", "it comes with the SLA engine"),
    ("report", "Render and publish wiki reports.", "it comes with the reports"),
):
    cli.add_command(_placeholder(_name, _summary, _planned))


def _config(ctx: click.Context) -> Any:
    config = load_config(ctx.obj["config_path"])
    for warning in config.warnings:
        log.warning(warning)
    return config


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, map every error to a message and an exit code."""
    try:
        cli.main(args=argv, prog_name="redmine-sync", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return 1 if exc.exit_code == 2 else exc.exit_code
    except RedmineSyncError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except Exception as exc:  # a bug: say so briefly, show the trace only when asked
        log.debug("internal error", exc_info=True)
        click.echo(f"internal error: {type(exc).__name__}: {exc} "
                   "(run with -vv for the traceback; please report it)", err=True)
        return 70
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``redmine-sync issues``: the issues the tool reads, as the rules will see them."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import click

from redmine_sync.cli.context import AppContext
from redmine_sync.cli.context import pass_app
from redmine_sync.cli.output import echo
from redmine_sync.cli.output import format_option
from redmine_sync.cli.output import table_width
from redmine_sync.listing import list_issues


@click.command("issues")
@click.option("-p", "--project", metavar="ID", help="Only this project (default: those in the "
              "config, else all visible).")
@click.option("--since", metavar="TIME", help="Only issues updated at or after this UTC time, "
              "e.g. 2026-11-20T08:00:00Z.")
@format_option("JSON lines, one object per issue")
@pass_app
def command(app: AppContext, project: str | None, since: str | None, fmt: str) -> None:
    """List the issues the tool reads from Redmine (open and closed), oldest change first.

    Read-only: shows what rules will see, with names as in the Redmine UI.
    """
    config = app.config()
    projects = (project,) if project else config.projects or (None,)
    since_time = parse_since(since)
    client = app.client()
    lines = list_issues(client, projects, since_time, config.fields, fmt, table_width())
    for number, line in enumerate(lines):
        echo(click.style(line, bold=True) if number == 0 and fmt == "text" else line)


def parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time like 2026-11-20T08:00:00Z",
                                 param_hint="--since") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

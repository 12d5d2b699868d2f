"""``redmine-sync sla``: SLA clocks rebuilt from the journals; never writes."""

from __future__ import annotations

import click

from redmine_sync.cli.context import AppContext
from redmine_sync.cli.context import pass_app
from redmine_sync.cli.output import echo
from redmine_sync.cli.output import echo_json
from redmine_sync.cli.output import format_option
from redmine_sync.cli.output import table_width
from redmine_sync.errors import UserError
from redmine_sync.sla.view import at_risk_json
from redmine_sync.sla.view import render_at_risk
from redmine_sync.sla.view import render_timeline
from redmine_sync.sla.view import timeline_json
from redmine_sync.sync import sla_clocks


@click.command("sla")
@click.argument("issue_id", type=int, metavar="ISSUE", required=False)
@click.option("--at-risk", is_flag=True, help="List the open issues nearest to breach.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many issues --at-risk lists.")
@format_option("one issue's clocks and intervals, or the open clocks nearest to breach; "
               "durations in seconds")
@pass_app
def command(app: AppContext, issue_id: int | None, at_risk: bool, limit: int,
            fmt: str) -> None:
    """Show SLA clocks: one issue's timeline, or (--at-risk) the open issues nearest to breach.

    Clocks are rebuilt from the journals in business time: running and paused intervals
    with their reasons, target, elapsed and remaining time, due times. Never writes.
    """
    if (issue_id is None) == (not at_risk):
        raise UserError("give an issue number, or --at-risk", hint="redmine-sync sla --help")
    config = app.config()
    rows = sla_clocks(app.client(), config, app.store(), app.now(), issue_id)
    zone = config.reports.timezone   # the team's zone, as on the issues and report pages
    if fmt == "json":
        echo_json(at_risk_json(rows, limit) if at_risk else timeline_json(*rows[0]))
        return
    if not at_risk:
        for line in render_timeline(*rows[0], zone=zone):
            click.echo(line)
        return
    for number, line in enumerate(render_at_risk(rows, limit, table_width(), _used_colour, zone)):
        echo(click.style(line, bold=True) if number == 0 else line)


def _used_colour(column: int, cell: str, padded: str) -> str:
    """The used share: red at 100% or more (breached), yellow from 50% (at risk)."""
    if column != 1:
        return padded
    used = int(cell.rstrip("%"))
    return click.style(padded, fg="red" if used >= 100 else "yellow") if used >= 50 else padded

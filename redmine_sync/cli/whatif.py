"""``redmine-sync what-if``: the history replayed under proposed SLA rules; never writes."""

from __future__ import annotations

import json
from pathlib import Path

import click

from redmine_sync.cli.context import AppContext
from redmine_sync.cli.context import pass_app
from redmine_sync.cli.report import parse_at
from redmine_sync.rules import load_rules
from redmine_sync.sync import load_ruleset
from redmine_sync.whatif import as_json
from redmine_sync.whatif import compare
from redmine_sync.whatif import read_issues
from redmine_sync.whatif import render_text


@click.command("what-if")
@click.option("--rules", "rules_dir", required=True, metavar="DIR",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The proposed rules directory (a changed copy of the current one).")
@click.option("--since", metavar="DATE", help="Only issues created at or after this date or "
              "time (in reports.timezone unless it has an offset), e.g. 2026-10-01.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people; json (documented in docs/sla.md).")
@pass_app
def command(app: AppContext, rules_dir: Path, since: str | None, fmt: str) -> None:
    """Replay the SLA history of the issues in scope under proposed rules, side by side.

    Every issue's clocks are rebuilt from its journals under the current rules and under
    those of --rules: attainment by tier and priority, breaches, escalations, notes that
    would have been posted, and the issues whose outcome changes. Writes nothing to
    Redmine.
    """
    config = app.config()
    start = parse_at(since, config.reports.timezone) if since else None
    if start is not None and len(since or "") == 10:   # a date: from the start of that day
        start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    current, proposed = load_ruleset(config), load_rules([rules_dir])
    now = app.now()
    issues, world = read_issues(app.client(), config, app.store(), now, current, proposed)
    result = compare(current, proposed, issues, world, start)
    if fmt == "json":
        click.echo(json.dumps(as_json(result), ensure_ascii=False, indent=1))
        return
    for line in render_text(result, str(rules_dir), config.reports.timezone):
        click.echo(line)

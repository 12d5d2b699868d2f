"""``redmine-sync plan``: what the rules would change; never writes."""

from __future__ import annotations

import click

from redmine_sync import plan as out
from redmine_sync.cli.context import AppContext
from redmine_sync.cli.context import pass_app
from redmine_sync.cli.output import format_option
from redmine_sync.sync import plan_run


@click.command("plan")
@click.option("-p", "--project", metavar="ID", help="Only this project.")
@click.option("-i", "--issue", "issue_id", type=int, metavar="N", help="Only this issue.")
@click.option("--full", is_flag=True, help="Read every issue in scope, not only those "
              "changed since the last apply.")
@format_option("every issue's changes, notes and what is kept for people, then totals")
@pass_app
def command(app: AppContext, project: str | None, issue_id: int | None, full: bool,
            fmt: str) -> None:
    """Show what the rules would change. Never writes to Redmine.

    Pulls the issues in scope, evaluates triage -> tiering -> priority -> routing, and
    prints each change old -> new with the rule that causes it and why, then totals.
    """
    config = app.config()
    client = app.client()
    store = app.store()
    now = app.now()
    shown = 0

    def each(item: out.IssuePlan) -> None:  # printed as decided: nothing kept per issue
        nonlocal shown
        if fmt == "json":
            click.echo((out.json_head(now) if not shown else "") + out.json_issue(shown, item),
                       nl=False)
        else:
            click.echo("\n".join(out.text_issue(item)))
        shown += 1

    result = plan_run(client, config, now, project=project, issue_id=issue_id, store=store,
                      full=full or issue_id is not None, each=each)
    if fmt == "json":
        click.echo(("" if shown else out.json_head(now)) + out.json_tail(result, bool(shown)))
    else:
        click.echo(out.text_tail(result))

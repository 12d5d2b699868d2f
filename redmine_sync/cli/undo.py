"""``redmine-sync undo``: show, then with --yes write, what puts back one run's changes."""

from __future__ import annotations

import json

import click

from redmine_sync.cli.context import AppContext
from redmine_sync.cli.context import pass_app
from redmine_sync.cli.output import format_option
from redmine_sync.errors import WritesFailed
from redmine_sync.plan import render_text
from redmine_sync.undo import plan_undo
from redmine_sync.undo import write_undo


@click.command("undo")
@click.argument("run_id", type=int, metavar="RUN_ID")
@click.option("--yes", is_flag=True, help="Write the undo (without it: show what it would "
              "put back and write nothing).")
@format_option("the undo plan, and with --yes what was written")
@pass_app
def command(app: AppContext, run_id: int, yes: bool, fmt: str) -> None:
    """Put back what run RUN_ID changed, unless people changed it since.

    Without --yes, shows what it would put back and writes nothing. With --yes it writes
    the way apply does (stale check, permissions, intents, one PUT per issue with a private
    note, verification, ledger); relations the run added are removed. The next apply keeps
    what undo put back, as it keeps any person's change.
    """
    config = app.config()
    store = app.store()
    client = app.client()
    with store.writer_lock():
        undo_plan = plan_undo(client, store, run_id, config.fields, app.now())
        if fmt == "text":
            if undo_plan.plan.changed:
                click.echo(render_text(undo_plan.plan, applying=yes))
            for line in undo_plan.skipped:
                click.echo(f"left alone: {line}")
        if not yes:
            if fmt == "json":
                click.echo(json.dumps(undo_plan.to_json(), ensure_ascii=False, indent=2))
            else:
                click.echo(f"undo of run {run_id}: {len(undo_plan.plan.changed)} issue(s) to "
                           "put back; nothing was written (add --yes to write it)")
            return
        result = write_undo(undo_plan, client, store, fields=config.fields,
                            limits=config.limits, clock=app.now, yes=True,
                            markup=config.text_formatting)
    if fmt == "json":
        click.echo(json.dumps({**undo_plan.to_json(), "result": result.to_json()},
                              ensure_ascii=False, indent=2))
    else:
        for outcome in result.outcomes:
            detail = f": {outcome.reason}" if outcome.reason else ""
            click.echo(f"#{outcome.issue_id}: {outcome.status}{detail}")
        click.echo(f"undo of run {run_id} (run {result.run_id}): "
                   f"{result.count('written')} issue(s) put back, "
                   f"{len(undo_plan.skipped)} change(s) left alone, {result.failed} failed")
    if result.failed:
        raise WritesFailed(f"{result.failed} issue(s) could not be put back")

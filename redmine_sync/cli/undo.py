"""``redmine-sync undo``: revert one run's field changes."""

from __future__ import annotations

import click

from redmine_sync.cli.context import AppContext
from redmine_sync.cli.context import pass_app
from redmine_sync.errors import WritesFailed
from redmine_sync.undo import undo_run


@click.command("undo")
@click.argument("run_id", type=int, metavar="RUN_ID")
@pass_app
def command(app: AppContext, run_id: int) -> None:
    """Revert the field changes of one run, skipping fields people changed since."""
    config = app.config()
    store = app.store()
    with store.writer_lock():
        result = undo_run(app.client(), store, run_id, config.fields,
                          app.now, config.text_formatting)
    for line in result.reverted:
        click.echo(f"reverted {line}")
    for line in result.skipped:
        click.echo(f"skipped  {line}")
    for line in result.failed:
        click.echo(f"FAILED   {line}")
    click.echo(f"undo run {result.run_id}: {len(result.reverted)} reverted, "
               f"{len(result.skipped)} skipped, {len(result.failed)} failed")
    if result.failed:
        raise WritesFailed(f"{len(result.failed)} field(s) could not be reverted")

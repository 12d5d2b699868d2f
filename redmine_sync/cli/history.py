"""``redmine-sync history``: past runs, or every change of one run."""

from __future__ import annotations

import click

from redmine_sync.changes import decoded
from redmine_sync.cli.context import AppContext
from redmine_sync.cli.context import pass_app
from redmine_sync.errors import UserError
from redmine_sync.plan import show
from redmine_sync.store import RunRow
from redmine_sync.store import StateStore


@click.command("history")
@click.option("--run", "run_id", type=int, metavar="ID", help="Show one run's changes.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many runs to list.")
@pass_app
def command(app: AppContext, run_id: int | None, limit: int) -> None:
    """Show past runs, or with --run every change of one run and its outcome."""
    store = app.store()
    if run_id is None:
        active = store.writer_active()
        for run in store.runs(limit):
            click.echo(_run_line(run, store, active))
        return
    if store.run(run_id) is None:
        raise UserError(f"there is no run {run_id}", hint="redmine-sync history lists them")
    for row in store.audit(run_id):
        detail = f"  ({row.detail})" if row.detail else ""
        old, new = decoded(row.field, row.old), decoded(row.field, row.new)
        click.echo(f"#{row.issue_id:<6} {row.field:<14} {show(old)} -> {show(new)}  "
                   f"[{row.outcome}] {row.rule}{detail}")


def _run_line(run: RunRow, store: StateStore, writer_active: bool) -> str:
    """One run; a run still marked running while no writer holds the lock was killed:
    shown as interrupted, with what its audit ledger says it wrote."""
    status, planned, written, skipped, failed = (run.status, run.planned, run.written,
                                                 run.skipped, run.failed)
    message = run.message
    if status == "running" and not writer_active:
        counts = store.ledger_counts(run.id)
        status, planned = "interrupted", counts["planned"]
        written, skipped = counts.get("written", 0), counts.get("skipped", 0)
        failed = counts.get("failed", 0)
        message = ("killed before it finished; counts from the audit ledger"
                   + (f", {counts['pending']} write(s) not known to have landed (the next "
                      "apply checks them)" if counts["pending"] else ""))
    return (f"{run.id:>5}  {run.started[:19]}  {run.mode:<8} {status:<11} "
            f"planned {planned}, written {written}, skipped {skipped}, failed {failed}  "
            f"{message}")

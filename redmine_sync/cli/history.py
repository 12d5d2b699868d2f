"""``redmine-sync history``: past runs, or every change of one run."""

from __future__ import annotations

from dataclasses import asdict
from dataclasses import replace

import click

from redmine_sync.changes import decoded
from redmine_sync.cli.context import AppContext
from redmine_sync.cli.context import pass_app
from redmine_sync.cli.output import echo_json
from redmine_sync.cli.output import format_option
from redmine_sync.errors import UserError
from redmine_sync.plan import json_value
from redmine_sync.plan import show
from redmine_sync.store import RunRow
from redmine_sync.store import StateStore


@click.command("history")
@click.option("--run", "run_id", type=int, metavar="ID", help="Show one run's changes.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many runs to list.")
@format_option("the runs with their counts, or one run's changes")
@pass_app
def command(app: AppContext, run_id: int | None, limit: int, fmt: str) -> None:
    """Show past runs, or with --run every change of one run and its outcome."""
    store = app.store()
    if run_id is None:
        active = store.writer_active()
        runs = [_as_seen(run, store, active) for run in store.runs(limit)]
        if fmt == "json":
            echo_json({"runs": [asdict(run) for run in runs]})
        else:
            for run in runs:
                click.echo(_run_line(run))
        return
    if store.run(run_id) is None:
        raise UserError(f"there is no run {run_id}", hint="redmine-sync history lists them")
    changes = [(row, decoded(row.field, row.old), decoded(row.field, row.new))
               for row in store.audit(run_id)]
    if fmt == "json":
        echo_json({"run": run_id, "changes": [
            {"issue": row.issue_id, "field": row.field, "old": json_value(old),
             "new": json_value(new), "outcome": row.outcome, "rule": row.rule,
             "detail": row.detail} for row, old, new in changes]})
        return
    for row, old, new in changes:
        detail = f"  ({row.detail})" if row.detail else ""
        click.echo(f"#{row.issue_id:<6} {row.field:<14} {show(old)} -> {show(new)}  "
                   f"[{row.outcome}] {row.rule}{detail}")


def _as_seen(run: RunRow, store: StateStore, writer_active: bool) -> RunRow:
    """A run still marked running while no writer holds the lock was killed: shown as
    interrupted, with what its audit ledger says it wrote."""
    if run.status != "running" or writer_active:
        return run
    counts = store.ledger_counts(run.id)
    return replace(
        run, status="interrupted", planned=counts["planned"],
        written=counts.get("written", 0), skipped=counts.get("skipped", 0),
        failed=counts.get("failed", 0),
        message=("killed before it finished; counts from the audit ledger"
                 + (f", {counts['pending']} write(s) not known to have landed (the next "
                    "apply checks them)" if counts["pending"] else "")))


def _run_line(run: RunRow) -> str:
    return (f"{run.id:>5}  {run.started[:19]}  {run.mode:<8} {run.status:<11} "
            f"planned {run.planned}, written {run.written}, skipped {run.skipped}, "
            f"failed {run.failed}  {run.message}")

"""``redmine-sync apply``: write the plan to Redmine, then the reports whose time came."""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

import click

from redmine_sync import metrics
from redmine_sync.apply import ApplyResult
from redmine_sync.apply import BreakerTripped
from redmine_sync.apply import RunStopped
from redmine_sync.cli.context import AppContext
from redmine_sync.cli.context import pass_app
from redmine_sync.cli.output import format_option
from redmine_sync.errors import WritesFailed
from redmine_sync.metrics import RunFigures
from redmine_sync.plan import IssuePlan
from redmine_sync.plan import Plan
from redmine_sync.plan import text_issue
from redmine_sync.plan import text_tail
from redmine_sync.reports.run import publish_due_or_reason
from redmine_sync.store import StateStore
from redmine_sync.sync import RunResult
from redmine_sync.sync import apply_run


@click.command("apply")
@click.option("-p", "--project", metavar="ID", help="Only this project.")
@click.option("--full", is_flag=True, help="Read every issue in scope and notice deleted ones.")
@click.option("--yes", is_flag=True, help="Override the circuit breaker (after checking the "
              "plan).")
@click.option("--max-changes", type=click.IntRange(min=0), metavar="N",
              help="Allow up to N changed issues in this run (instead of limits.max_issues).")
@format_option("a summary of written, skipped and failed issues")
@pass_app
def command(app: AppContext, project: str | None, full: bool, yes: bool,
            max_changes: int | None, fmt: str) -> None:
    """Write the planned changes to Redmine, safely.

    One PUT per issue with all its changes and its note (a private note beside a public
    one follows in a PUT of its own), each re-read to catch changes Redmine silently
    dropped. Issues changed since they were read are skipped and
    re-planned next run; fields a person changed after the tool set them are left alone.
    A circuit breaker refuses over-broad runs (exit 3); some failed writes give exit 2.
    """
    config = app.config()
    store = app.store()

    def show_plan(plan: Plan, issues: Iterable[IssuePlan]) -> None:
        if fmt == "text" and plan.changed_count:  # read back one at a time: none kept
            for item in issues:
                click.echo("\n".join(text_issue(item)))
            click.echo(text_tail(plan, applying=True))

    try:
        result, published, unpublished = _run(app, project, full, yes, max_changes, fmt,
                                               show_plan)
    except BaseException:  # the metrics say that this run failed, then the error goes on
        metrics.write_or_reason(config.metrics_textfile, store, RunFigures())
        raise
    not_measured = metrics.write_or_reason(config.metrics_textfile, store, RunFigures(
        None if project else bool(unpublished)))
    applied = result.applied
    assert applied is not None
    if fmt == "json":
        click.echo(json.dumps({**applied.to_json(), "reports": published,
                               "reports_failed": [unpublished] if unpublished else []},
                              ensure_ascii=False, indent=2))
    else:
        _print_apply(applied, result)
        for line in published:
            click.echo(line)
    failures = []
    if applied.failed:
        failures.append(f"{applied.failed} issue(s) not fully written; see above and "
                        f"redmine-sync history --run {applied.run_id}")
    if unpublished:
        failures.append(f"scheduled reports not published: {unpublished}")
    if not_measured:
        failures.append(not_measured)
    if failures:
        raise WritesFailed("; ".join(failures))


def _run(app: AppContext, project: str | None, full: bool, yes: bool, max_changes: int | None,
         fmt: str, show_plan: Callable[[Plan, Iterable[IssuePlan]], None]
         ) -> tuple[RunResult, list[str], str]:
    """The run and the scheduled reports, under the writer lock."""
    config, store, client = app.config(), app.store(), app.client()
    with store.writer_lock():
        try:
            result = apply_run(client, config, store, app.now, project=project, full=full,
                               yes=yes, max_changes=max_changes, on_plan=show_plan)
        except RunStopped as exc:  # say what was written and what remains, then exit 4
            if fmt == "json":
                click.echo(json.dumps({**exc.result.to_json(), "stopped": str(exc.cause),
                                       "reports": [], "reports_failed": []},
                                      ensure_ascii=False, indent=2))
            else:
                _print_outcomes(exc.result)
            raise
        except BreakerTripped as exc:
            if fmt == "json":
                click.echo(json.dumps(_breaker_json(exc, store), ensure_ascii=False, indent=2))
            raise
        # one project's run: not the scope's reports; they take the journals the run holds
        published, unpublished = ([], "") if project else publish_due_or_reason(
            client, config, store, app.now(), result.held)
    return result, published, unpublished


def _breaker_json(exc: BreakerTripped, store: StateStore) -> dict[str, Any]:
    """What ``apply --format json`` promises, for a run the breaker refused."""
    run = store.runs(1)[0] if store.runs(1) else None
    return {"run": run.id if run else None, "breaker": str(exc), "written": [],
            "skipped": [], "failed": [], "recovered": [], "reports": [], "reports_failed": [],
            "summary": {"written": 0, "partial": 0, "skipped": 0, "deferred": 0, "failed": 0}}


def _print_apply(applied: ApplyResult, result: RunResult) -> None:
    for note in result.notes:
        click.echo(f"recovered: {note}")
    for issue_id in result.deleted:
        click.echo(f"deleted in Redmine: #{issue_id} (forgotten)")
    _print_outcomes(applied)


def _print_outcomes(applied: ApplyResult) -> None:
    for outcome in applied.outcomes:
        if outcome.status != "written":
            click.echo(f"#{outcome.issue_id}: {outcome.status}: {outcome.reason}")
    click.echo(f"run {applied.run_id}: {applied.count('written')} written, "
               f"{applied.count('partial')} partly written, "
               f"{applied.count('skipped', 'deferred')} skipped, "
               f"{applied.count('failed')} failed, "
               f"{applied.count('pending')} pending on a failure reported before")

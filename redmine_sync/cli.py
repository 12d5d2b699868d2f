"""The command line: thin click commands (parse -> call -> print) and the one error handler.

``main`` is the only place that maps exceptions to messages and exit codes
(``errors.EXIT_CODES``); commands raise, they never exit.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC
from datetime import datetime
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from redmine_sync import __version__
from redmine_sync.clock import utc_now
from redmine_sync.config import RetryPolicy
from redmine_sync.config import load_config
from redmine_sync.declarations import KINDS
from redmine_sync.declarations import json_schema
from redmine_sync.declarations import reference
from redmine_sync.errors import ChecksFailed
from redmine_sync.errors import RedmineSyncError
from redmine_sync.errors import UserError
from redmine_sync.errors import WritesFailed

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
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Log lines on stderr: text (journald-friendly) or json.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int, log_format: str) -> None:
    """Triage, tier, prioritise, route and watch SLAs of Redmine issues with YAML rules.

    Start with `redmine-sync doctor` to check the connection, then `plan` to see what
    the rules would change. Nothing is written to Redmine without `apply`.
    """
    from redmine_sync.logs import setup_logging

    setup_logging(log_format, verbose)
    ctx.obj = {"config_path": config_path, "log_format": log_format, "verbose": verbose}


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
    for check in run_checks(config, client, utc_now()):
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
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--online", is_flag=True, help="Also check every status, priority, tracker, "
              "custom field, allowed value, user and group name against Redmine.")
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...], online: bool) -> None:
    """Check rule files (default: the rules directory of the config).

    Reports every problem at once as file:line:col: path: message, with "did you mean"
    hints; exit 1 when there is any, when a path does not exist, or when a rules directory
    has no customers file (tier and account-manager rules would do nothing). Without
    --online nothing is sent to Redmine; with it, what this key cannot check is listed.
    """
    from redmine_sync.rules import load_rules
    from redmine_sync.rules.ruleset import rule_paths

    config = _config(ctx)
    targets = list(paths) or [config.rules_dir]
    ruleset = load_rules(targets)
    not_checked = _validate_online(config, ruleset) if online else []
    if ruleset.customers_file is None and any(t.is_dir() for t in targets):
        raise UserError(
            "no customers file (kind: customers) among the rule files: tier rules, "
            "account-manager routing and customer reports would silently do nothing",
            hint="add one (see rules/customers.yaml); with no customers to manage, say so "
            "with a file holding `kind: customers` and `customers: []`")
    files = len(rule_paths(targets))
    summary = (f"{files} file(s), {len(ruleset.rules())} rule(s), "
               f"{len(ruleset.customers.customers)} customer(s)")
    if not online:
        click.echo(f"{summary}: OK (offline: Redmine names not checked; --online checks them)")
    elif not_checked:
        click.echo(f"{summary}: names checked against Redmine, except:")
        for line in not_checked:
            click.echo(f"  NOT CHECKED: {line}")
    else:
        click.echo(f"{summary}: OK (every name checked against Redmine)")


@cli.command()
@click.argument("kind", type=click.Choice(KINDS), default="rules")
@click.option("--format", "fmt", type=click.Choice(["json", "markdown"]), default="json",
              show_default=True, help="json: JSON Schema; markdown: the keys as a table.")
def schema(kind: str, fmt: str) -> None:
    """Print the JSON Schema of a file KIND (default: rules, any file of the rules
    directory), generated from the same declarations validate and every command check.

    Editors complete and check files as you type with it; e.g. for the YAML language
    server: redmine-sync schema rules > rules.schema.json, then in the rule files the first
    line "# yaml-language-server: $schema=rules.schema.json" (see docs/config.md).
    """
    if fmt == "markdown":
        click.echo(reference(kind), nl=False)
    else:
        click.echo(json.dumps(json_schema(kind), indent=2, ensure_ascii=False))


def _validate_online(config: Any, ruleset: Any) -> list[str]:
    """Check names against Redmine; return what could not be checked, and why."""
    from redmine_sync.rules.online import check_names
    from redmine_sync.rules.online import unchecked

    catalog = _live(config).catalog()
    problems = check_names(ruleset, catalog, config.fields)
    if problems:
        raise UserError(f"{len(problems)} name(s) unknown to {config.url}", problems)
    return unchecked(ruleset, catalog, config.fields)


@cli.command()
@click.option("-p", "--project", metavar="ID", help="Only this project.")
@click.option("-i", "--issue", "issue_id", type=int, metavar="N", help="Only this issue.")
@click.option("--full", is_flag=True, help="Read every issue in scope, not only those "
              "changed since the last apply.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people; json (documented in docs/rules.md) "
              "for tools.")
@click.pass_context
def plan(ctx: click.Context, project: str | None, issue_id: int | None, full: bool,
         fmt: str) -> None:
    """Show what the rules would change. Never writes to Redmine.

    Pulls the issues in scope, evaluates triage -> tiering -> priority -> routing, and
    prints each change old -> new with the rule that causes it and why, then totals.
    """
    from redmine_sync import plan as out
    from redmine_sync.sync import plan_run

    config = _config(ctx)
    client = _live(config)
    store = _store(config)
    now = utc_now()
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


@cli.command()
@click.argument("issue_id", type=int, metavar="ISSUE")
@click.pass_context
def explain(ctx: click.Context, issue_id: int) -> None:
    """Show every rule considered for one issue, each condition with its actual value,
    and the resulting changes. Never writes."""
    from redmine_sync.explain import render_explain
    from redmine_sync.rules import evaluate_issue
    from redmine_sync.sync import explain_run

    config = _config(ctx)
    client = _live(config)
    ruleset, issue, world = explain_run(client, config, utc_now(), issue_id,
                                        _store(config))
    state, traces = evaluate_issue(ruleset, issue, world, trace=True)
    for line in render_explain(state, traces, ruleset, world):
        click.echo(line)


@cli.command()
@click.option("-p", "--project", metavar="ID", help="Only this project.")
@click.option("--full", is_flag=True, help="Read every issue in scope and notice deleted ones.")
@click.option("--yes", is_flag=True, help="Override the circuit breaker (after checking the "
              "plan).")
@click.option("--max-changes", type=click.IntRange(min=0), metavar="N",
              help="Allow up to N changed issues in this run (instead of limits.max_issues).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: a summary of written, skipped and failed issues.")
@click.pass_context
def apply(ctx: click.Context, project: str | None, full: bool, yes: bool,
          max_changes: int | None, fmt: str) -> None:
    """Write the planned changes to Redmine, safely.

    One PUT per issue with all its changes and at most one note, each re-read to catch
    changes Redmine silently dropped. Issues changed since they were read are skipped and
    re-planned next run; fields a person changed after the tool set them are left alone.
    A circuit breaker refuses over-broad runs (exit 3); some failed writes give exit 2.
    """
    import json

    from redmine_sync.plan import render_text
    from redmine_sync.sync import apply_run

    config = _config(ctx)
    store = _store(config)

    def show_plan(plan: Any) -> None:
        if fmt == "text" and plan.changed:
            click.echo(render_text(plan).replace("would change", "to change")
                       .replace(" Nothing was written.", ""))

    from redmine_sync.apply import BreakerTripped
    from redmine_sync.apply import RunStopped

    client = _live(config)
    with store.writer_lock():
        try:
            result = apply_run(client, config, store, utc_now, project=project, full=full,
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
        published, unpublished = _reports_due(client, config, store, project)
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
    if failures:
        raise WritesFailed("; ".join(failures))


def _reports_due(client: Any, config: Any, store: Any, project: str | None
                 ) -> tuple[list[str], str]:
    """The timer's apply also publishes the reports whose schedule came (once per period).
    Returns what was published and why the rest was not ("" when nothing failed)."""
    from redmine_sync.errors import RedmineError
    from redmine_sync.reports.run import publish_due

    if project:  # a run limited to one project does not publish the scope's reports
        return [], ""
    try:
        return publish_due(client, config, store, utc_now()), ""
    except (RedmineError, UserError) as exc:
        reason = str(exc).splitlines()[0]
        log.error("reports not published: %s", reason)
        return [], reason


def _breaker_json(exc: Any, store: Any) -> dict[str, Any]:
    """What ``apply --format json`` promises, for a run the breaker refused."""
    run = store.runs(1)[0] if store.runs(1) else None
    return {"run": run.id if run else None, "breaker": str(exc), "written": [],
            "skipped": [], "failed": [], "recovered": [], "reports": [], "reports_failed": [],
            "summary": {"written": 0, "partial": 0, "skipped": 0, "deferred": 0, "failed": 0}}


def _print_apply(applied: Any, result: Any) -> None:
    for note in result.notes:
        click.echo(f"recovered: {note}")
    for issue_id in result.deleted:
        click.echo(f"deleted in Redmine: #{issue_id} (forgotten)")
    _print_outcomes(applied)


def _print_outcomes(applied: Any) -> None:
    for outcome in applied.outcomes:
        if outcome.status != "written":
            click.echo(f"#{outcome.issue_id}: {outcome.status}: {outcome.reason}")
    click.echo(f"run {applied.run_id}: {applied.count('written')} written, "
               f"{applied.count('partial')} partly written, "
               f"{applied.count('skipped', 'deferred')} skipped, "
               f"{applied.count('failed')} failed, "
               f"{applied.count('pending')} pending on a failure reported before")


@cli.command()
@click.option("--run", "run_id", type=int, metavar="ID", help="Show one run's changes.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many runs to list.")
@click.pass_context
def history(ctx: click.Context, run_id: int | None, limit: int) -> None:
    """Show past runs, or with --run every change of one run and its outcome."""
    from redmine_sync.plan import show

    store = _store(_config(ctx))
    if run_id is None:
        active = store.writer_active()
        for run in store.runs(limit):
            click.echo(_run_line(run, store, active))
        return
    if store.run(run_id) is None:
        from redmine_sync.errors import UserError

        raise UserError(f"there is no run {run_id}", hint="redmine-sync history lists them")
    for row in store.audit(run_id):
        detail = f"  ({row.detail})" if row.detail else ""
        click.echo(f"#{row.issue_id:<6} {row.field:<14} {show(row.old)} -> {show(row.new)}  "
                   f"[{row.outcome}] {row.rule}{detail}")


def _run_line(run: Any, store: Any, writer_active: bool) -> str:
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


@cli.command()
@click.argument("run_id", type=int, metavar="RUN_ID")
@click.pass_context
def undo(ctx: click.Context, run_id: int) -> None:
    """Revert the field changes of one run, skipping fields people changed since."""
    from redmine_sync.undo import undo_run

    config = _config(ctx)
    store = _store(config)
    with store.writer_lock():
        result = undo_run(_live(config), store, run_id, config.fields,
                          utc_now, config.text_formatting)
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


@cli.command()
@click.option("--interval", metavar="TIME", help="Time between runs: 90s, 5m, 1h "
              "(default: daemon.interval of the config, 5m).")
@click.pass_context
def daemon(ctx: click.Context, interval: str | None) -> None:
    """Plan and apply in a loop (what the timer's `apply` does, every interval).

    SIGTERM or SIGINT stops it between writes. While Redmine is unreachable it backs off
    and says so. Logs go to stderr (--log-format json for JSON lines).
    """
    import signal
    import threading

    from redmine_sync.daemon import parse_interval
    from redmine_sync.daemon import run_daemon

    config = _config(ctx)
    seconds = parse_interval(interval or config.daemon_interval)
    store = _store(config)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    run_daemon(lambda: _live(config), config, store, utc_now, seconds, stop)


@cli.command()
@click.argument("issue_id", type=int, metavar="ISSUE", required=False)
@click.option("--at-risk", is_flag=True, help="List the open issues nearest to breach.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many issues --at-risk lists.")
@click.pass_context
def sla(ctx: click.Context, issue_id: int | None, at_risk: bool, limit: int) -> None:
    """Show SLA clocks: one issue's timeline, or (--at-risk) the open issues nearest to breach.

    Clocks are rebuilt from the journals in business time: running and paused intervals
    with their reasons, target, elapsed and remaining time, due times. Never writes.
    """
    from redmine_sync.errors import UserError
    from redmine_sync.sla.view import render_at_risk
    from redmine_sync.sla.view import render_timeline
    from redmine_sync.sync import sla_clocks

    if (issue_id is None) == (not at_risk):
        raise UserError("give an issue number, or --at-risk", hint="redmine-sync sla --help")
    config = _config(ctx)
    rows = sla_clocks(_live(config), config, _store(config), utc_now(),
                      issue_id)
    lines = render_at_risk(rows, limit) if at_risk else render_timeline(*rows[0])
    for line in lines:
        click.echo(line)


@cli.command()
@click.argument("name", metavar="NAME")
@click.option("--at", "at", metavar="DATE", help="Report as of this time (default: now), e.g. "
              "2026-11-20T17:00 (in reports.timezone unless it has an offset such as "
              "+08:00); a date alone means the end of that day in reports.timezone.")
@click.option("--customer", metavar="NAME", help="weekly only: the report for one customer.")
@click.option("--publish", "do_publish", is_flag=True,
              help="Write the page (and the index) to the wiki. Without it, print the page.")
@click.option("--format", "fmt", type=click.Choice(["textile", "markdown", "common_mark"]),
              help="Text format (default: redmine.text_formatting of the config).")
@click.pass_context
def report(ctx: click.Context, name: str, at: str | None, customer: str | None,
           do_publish: bool, fmt: str | None) -> None:
    """Render a report: weekly, kpi, customers, monthly or quarterly.

    Prints the page by default; --publish writes it as a wiki page named for its period
    (e.g. Weekly_report_2026-W47) under the index page, never over a person's edit.
    """
    from redmine_sync.reports.run import make_page
    from redmine_sync.reports.run import publish_page
    from redmine_sync.sync import report_input

    config = _config(ctx)
    now = _parse_at(at, config.reports.timezone)
    client = _live(config)
    store = _store(config)
    inp = report_input(client, config, store, now)
    page = make_page(name, inp, config, fmt or config.text_formatting, customer)
    for warning in page.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not do_publish:
        click.echo(page.text, nl=False)
        return
    with store.writer_lock():
        results = publish_page(client, store, config, page)
    for result in results:
        note = f" ({result.note})" if result.note else ""
        click.echo(f"{result.outcome:<9} {config.url}/projects/{_wiki_project(config)}/wiki/"
                   f"{result.title} (version {result.version}){note}")


def _wiki_project(config: Any) -> str:
    from redmine_sync.reports.run import wiki_project

    return wiki_project(config)


def _parse_at(value: str | None, timezone: str) -> datetime:
    """--at: a date alone is the end of that day, a time without offset is a local time;
    both in ``timezone`` (reports.timezone), as the report's periods are."""
    if not value:
        return utc_now()
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date or time like 2026-11-20T17:00:00",
                                 param_hint="--at") from None
    if len(value.strip()) == 10:
        parsed = datetime.combine(parsed.date(), time.max)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(timezone))


@cli.command("rules")
def rules_vocabulary() -> None:
    """List the rule language: file kinds, fields, operators and actions, with examples."""
    from redmine_sync.explain import render_vocabulary

    for line in render_vocabulary():
        click.echo(line)


@cli.command("test-rules")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def test_rules(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Run rule fixtures (issues + expected outcome; default: <rules dir>/tests).

    Prints one line per case and exits 1 if any case fails, so it fits in CI.
    """
    from redmine_sync.errors import UserError
    from redmine_sync.rules import load_rules
    from redmine_sync.rules.fixtures import run_fixtures

    config = _config(ctx)
    ruleset = load_rules([config.rules_dir])
    results = run_fixtures(ruleset, list(paths) or [config.rules_dir / "tests"], config.fields)
    for result in results:
        click.echo(f"{'PASS' if result.ok else 'FAIL'}  {Path(result.file).name}: {result.name}")
        for failure in result.failures:
            click.echo(f"      {failure}")
    failed = sum(not r.ok for r in results)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise UserError(f"{failed} rule fixture(s) failed")


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

    config = _config(ctx)
    projects = (project,) if project else config.projects or (None,)
    since_time = _parse_since(since)
    client = _live(config)
    for line in list_issues(client, projects, since_time, config.fields, fmt):
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


def _config(ctx: click.Context) -> Any:
    from redmine_sync.logs import setup_logging

    config = load_config(ctx.obj["config_path"])
    setup_logging(ctx.obj["log_format"], ctx.obj["verbose"],
                  secrets=[config.api_key] if config.api_key else [])
    for warning in config.warnings:
        log.warning(warning)
    return config


def _store(config: Any) -> Any:
    """The state file, refused when it belongs to another Redmine."""
    from redmine_sync.store import StateStore

    store = StateStore(config.state_path)
    store.bind(config.url)
    return store


def _live(config: Any) -> Any:
    """The Redmine adapter, after checking once who the key is: a missing or wrong key
    would otherwise read a public project as Anonymous and pass for "nothing to do"."""
    from redmine_sync.redmine.live import LiveRedmine

    client = LiveRedmine.from_config(config)
    if config.api_key is None:
        from redmine_sync.errors import RedmineAuthError

        raise RedmineAuthError(
            f"no API key: reading {config.url} as Anonymous would see only public data and "
            "pass for 'nothing to do'; export REDMINE_API_KEY=<the bot user's key> or set "
            "redmine.key_file (redmine-sync doctor checks it)")
    client.current_user()  # cached: the run asks once; a refused key stops here (exit 4)
    return client


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

"""``redmine-sync validate``: check rule files, offline or against Redmine's names."""

from __future__ import annotations

from pathlib import Path

import click

from redmine_sync.cli.context import AppContext
from redmine_sync.cli.context import pass_app
from redmine_sync.cli.output import echo_json
from redmine_sync.cli.output import format_option
from redmine_sync.errors import NotChecked
from redmine_sync.errors import UserError
from redmine_sync.rules import RuleSet
from redmine_sync.rules import load_rules
from redmine_sync.rules.online import check_config_names
from redmine_sync.rules.online import check_names
from redmine_sync.rules.online import unchecked
from redmine_sync.rules.ruleset import rule_paths


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--online", is_flag=True, help="Also check every status, priority, tracker, "
              "custom field, allowed value, user and group name against Redmine (and the "
              "config's reports.risk_tracker).")
@format_option("ok, the counts, what was not checked; when not ok, the error and every "
               "problem (the exit codes stay 1 and 5)")
@pass_app
def command(app: AppContext, paths: tuple[Path, ...], online: bool, fmt: str) -> None:
    """Check rule files (default: the rules directory of the config).

    Reports every problem at once as file:line:col: path: message, with "did you mean"
    hints; exit 1 when there is any, when a path does not exist, or when a rules directory
    has no customers file (tier and account-manager rules would do nothing). Without
    --online nothing is sent to Redmine; with it, what this key cannot check is listed as
    NOT CHECKED and the exit code is 5 (never 0 while something was not checked).
    """
    try:
        _validate(app, paths, online, fmt)
    except UserError as exc:  # the same error and exit code; the problems as JSON too
        if fmt == "json":
            echo_json({"ok": False, "online": online, "not_checked": [],
                       "error": str(exc.args[0]), "problems": [str(p) for p in exc.problems]})
        raise


def _validate(app: AppContext, paths: tuple[Path, ...], online: bool, fmt: str) -> None:
    config = app.config()
    targets = list(paths) or [config.rules_dir]
    ruleset = load_rules(targets)
    not_checked = _validate_online(app, ruleset) if online else []
    if ruleset.customers_file is None and any(t.is_dir() for t in targets):
        raise UserError(
            "no customers file (kind: customers) among the rule files: tier rules, "
            "account-manager routing and customer reports would silently do nothing",
            hint="add one (see rules/customers.yaml); with no customers to manage, say so "
            "with a file holding `kind: customers` and `customers: []`")
    files = len(rule_paths(targets))
    summary = (f"{files} file(s), {len(ruleset.rules())} rule(s), "
               f"{len(ruleset.customers.customers)} customer(s)")
    if fmt == "json":
        echo_json({"ok": not not_checked, "files": files, "rules": len(ruleset.rules()),
                   "customers": len(ruleset.customers.customers), "online": online,
                   "not_checked": not_checked, "problems": []})
    elif not online:
        click.echo(f"{summary}: OK (offline: Redmine names not checked; --online checks them)")
    elif not_checked:
        click.echo(f"{summary}: names checked against Redmine, except:")
        for line in not_checked:
            click.echo(f"  NOT CHECKED: {line}")
    else:
        click.echo(f"{summary}: OK (every name checked against Redmine)")
    if not_checked:  # a check this key could not make is never an OK (exit 5)
        raise NotChecked(f"{len(not_checked)} item(s) not checked against Redmine with this "
                         "key (listed above): check them by hand, or validate with an "
                         "administrator's key")


def _validate_online(app: AppContext, ruleset: RuleSet) -> list[str]:
    """Check names against Redmine; return what could not be checked, and why."""
    config = app.config()
    catalog = app.client().catalog()
    problems = check_names(ruleset, catalog, config.fields) + check_config_names(config, catalog)
    if problems:
        raise UserError(f"{len(problems)} name(s) unknown to {config.url}", problems)
    return unchecked(ruleset, catalog, config.fields)

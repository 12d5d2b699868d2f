"""``redmine-sync doctor``: is Redmine reachable and set up for the tool?"""

from __future__ import annotations

from dataclasses import asdict

import click

from redmine_sync.cli.context import AppContext
from redmine_sync.cli.context import pass_app
from redmine_sync.cli.output import echo
from redmine_sync.cli.output import echo_json
from redmine_sync.cli.output import format_option
from redmine_sync.config import RetryPolicy
from redmine_sync.doctor import FAIL
from redmine_sync.doctor import OK
from redmine_sync.doctor import WARN
from redmine_sync.doctor import run_checks
from redmine_sync.errors import ChecksFailed
from redmine_sync.errors import NotChecked

QUICK = RetryPolicy(attempts=2, backoff=0.5, total_seconds=10)
COLOURS = {OK: "green", WARN: "yellow", FAIL: "red"}


@click.command("doctor")
@format_option("every check with its status, detail and fix, and the counts")
@pass_app
def command(app: AppContext, fmt: str) -> None:
    """Check that Redmine is reachable and set up for the tool.

    Checks the config and key, that the REST API is enabled and the key really accepted
    (an invalid key on a public project would silently read as Anonymous), the projects,
    the custom fields, the bot's permissions (a warning when it lacks "Edit own notes") and
    the server's clock. One line per check with how to fix it; exit 1 when a check fails,
    exit 5 when none failed but a warning says something could not be checked (with this
    key or server). The last line says "all checks passed" only when there was no warning
    either.
    """
    config = app.config()
    failed = warned = unchecked = 0
    checks = []
    for check in run_checks(config, app.redmine(retries=QUICK), app.now()):
        if fmt == "json":
            checks.append(asdict(check))
        else:  # the status word in colour on a terminal
            line = check.render()
            echo(click.style(line[:4], fg=COLOURS[check.status], bold=check.status == FAIL or None)
                 + line[4:])
        failed += check.status == FAIL
        warned += check.status == WARN
        unchecked += not check.checked
    if fmt == "json":
        echo_json({"checks": checks, "failed": failed, "warnings": warned,
                   "not_checked": unchecked, "passed": not failed and not warned})
    if failed:
        raise ChecksFailed(f"{failed} check(s) failed")
    if fmt != "json":  # a warning may be something this key could not check: never "all passed"
        click.echo(f"no check failed; {warned} warning(s) above (not checked, or worth a look)"
                   if warned else "all checks passed")
    if unchecked:
        raise NotChecked(f"{unchecked} check(s) could not be made with this key or server "
                         "(the warnings above that say not checked or not measured): make "
                         "them by hand")

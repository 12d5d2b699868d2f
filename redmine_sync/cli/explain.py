"""``redmine-sync explain``: every rule considered for one issue, and why."""

from __future__ import annotations

import click

from redmine_sync.cli.context import AppContext
from redmine_sync.cli.context import pass_app
from redmine_sync.cli.output import echo_json
from redmine_sync.cli.output import format_option
from redmine_sync.explain import explain_json
from redmine_sync.explain import render_explain
from redmine_sync.rules import evaluate_issue
from redmine_sync.sync import explain_run


@click.command("explain")
@click.argument("issue_id", type=int, metavar="ISSUE")
@format_option("each rule with its verdict and condition lines, and the result")
@pass_app
def command(app: AppContext, issue_id: int, fmt: str) -> None:
    """Show every rule considered for one issue, each condition with its actual value,
    and the resulting changes. Never writes."""
    ruleset, issue, world = explain_run(app.client(), app.config(), app.now(), issue_id,
                                        app.store())
    state, traces = evaluate_issue(ruleset, issue, world, trace=True)
    if fmt == "json":
        echo_json(explain_json(state, traces, ruleset, world))
        return
    for line in render_explain(state, traces, ruleset, world):
        click.echo(line)

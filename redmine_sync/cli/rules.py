"""``redmine-sync rules``: the rule language, with examples."""

from __future__ import annotations

import click

from redmine_sync.cli.output import echo_json
from redmine_sync.cli.output import format_option
from redmine_sync.explain import render_vocabulary
from redmine_sync.explain import vocabulary


@click.command("rules")
@format_option("each file kind, field, operator and action with its doc and example")
def command(fmt: str) -> None:
    """List the rule language: file kinds, fields, operators and actions, with examples."""
    if fmt == "json":
        echo_json(vocabulary())
        return
    for line in render_vocabulary():
        click.echo(line)

"""``redmine-sync rules``: the rule language, with examples."""

from __future__ import annotations

import click

from redmine_sync.explain import render_vocabulary


@click.command("rules")
def command() -> None:
    """List the rule language: file kinds, fields, operators and actions, with examples."""
    for line in render_vocabulary():
        click.echo(line)

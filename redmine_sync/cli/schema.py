"""``redmine-sync schema``: the JSON Schema of a file kind, for editors."""

from __future__ import annotations

import json

import click

from redmine_sync.declarations import KINDS
from redmine_sync.declarations import json_schema
from redmine_sync.declarations import reference


@click.command("schema")
@click.argument("kind", type=click.Choice(KINDS), default="rules")
@click.option("--format", "fmt", type=click.Choice(["json", "markdown"]), default="json",
              show_default=True, help="json: JSON Schema; markdown: the keys as a table.")
def command(kind: str, fmt: str) -> None:
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

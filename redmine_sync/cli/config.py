"""``redmine-sync config``: the effective configuration, never the key."""

from __future__ import annotations

import click

from redmine_sync.cli.context import AppContext
from redmine_sync.cli.context import pass_app
from redmine_sync.cli.output import echo_json
from redmine_sync.cli.output import format_option


@click.command("config")
@format_option()
@pass_app
def command(app: AppContext, fmt: str) -> None:
    """Show the effective configuration (file + environment); the key is never shown."""
    config = app.config()
    if fmt == "json":
        echo_json({"file": str(config.source) if config.source else None, "url": config.url,
                   "api_key": "set" if config.api_key else "missing",
                   "key_source": config.key_source, "projects": list(config.projects),
                   "state_path": str(config.state_path), "rules_dir": str(config.rules_dir),
                   "text_formatting": config.text_formatting,
                   "labels_backend": config.labels_backend, "fields": config.fields.all(),
                   "metrics_textfile": str(config.metrics_textfile)
                   if config.metrics_textfile else None})
        return
    click.echo(f"file:            {config.source or '(none: defaults + environment)'}")
    click.echo(f"redmine url:     {config.url}")
    click.echo(f"api key:         {'set' if config.api_key else 'MISSING'} "
               f"(from {config.key_source})")
    click.echo(f"projects:        {', '.join(config.projects) or '(all visible)'}")
    click.echo(f"state database:  {config.state_path}")
    click.echo(f"rules directory: {config.rules_dir}")
    click.echo(f"text formatting: {config.text_formatting}")
    click.echo(f"labels backend:  {config.labels_backend}")
    click.echo(f"metrics file:    {config.metrics_textfile or '(none: metrics.textfile unset)'}")
    for concept, name in config.fields.all().items():
        click.echo(f"field {concept + ':':<21} {name}")

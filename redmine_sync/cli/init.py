"""``redmine-sync init``: a commented config and a copy of the rule pack in a directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from redmine_sync.cli.context import AppContext
from redmine_sync.cli.context import pass_app
from redmine_sync.config import Config
from redmine_sync.config import Secret
from redmine_sync.config import split_key
from redmine_sync.errors import RedmineAuthError
from redmine_sync.errors import UserError
from redmine_sync.redmine import RedmineClient
from redmine_sync.starter import CONFIG_NAME
from redmine_sync.starter import PLACEHOLDER_URL
from redmine_sync.starter import RULES_NAME
from redmine_sync.starter import UNITS_NAME
from redmine_sync.starter import Fitted
from redmine_sync.starter import Instance
from redmine_sync.starter import config_text
from redmine_sync.starter import missing_rule_names
from redmine_sync.starter import pack_files
from redmine_sync.starter import read_instance
from redmine_sync.starter import unit_files
from redmine_sync.starter import write_new


@click.command("init")
@click.argument("directory", default=".", type=click.Path(path_type=Path, file_okay=False))
@click.option("--url", envvar="REDMINE_URL", metavar="URL",
              help="The Redmine's base URL (default: $REDMINE_URL; without either, a "
              "placeholder to edit).")
@click.option("--project", "projects", multiple=True, metavar="ID",
              help="A project identifier to manage (repeatable; default: every visible one).")
@click.option("--from-redmine", is_flag=True,
              help="Read the Redmine's trackers, statuses, roles and custom fields and write "
              "its names into the config, marking what it lacks (key: $REDMINE_API_KEY or "
              "--key-file).")
@click.option("--systemd", is_flag=True,
              help="Also write DIRECTORY/systemd/: the timer and service units to copy to "
              "/etc/systemd/system (docs/operations.md).")
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False), metavar="PATH",
              help="A file holding the API key for --from-redmine (instead of $REDMINE_API_KEY).")
@pass_app
def command(app: AppContext, directory: Path, url: str | None, projects: tuple[str, ...],
            from_redmine: bool, systemd: bool, key_file: Path | None) -> None:
    """Write DIRECTORY/redmine-sync.yaml (commented) and DIRECTORY/rules/ (the rule pack).

    The config is the commented example with the URL and projects given; the rules are a
    copy of the shipped pack (the playbook's triage, tiering, priority, routing and SLA
    rules with English and Chinese notes, a customers example and rule fixtures) to edit
    and keep in git. Nothing is overwritten: when either exists, init writes nothing and
    exits 1. With --from-redmine the field mapping and kanban statuses are this Redmine's
    names, and what it lacks is marked MISSING with the check that will report it. Next:
    `redmine-sync --config DIRECTORY/redmine-sync.yaml doctor`.
    """
    client = _connect(app, url, key_file, projects) if from_redmine else None
    instance = read_instance(client) if client is not None else None
    text, fitted_fields, statuses = config_text(
        instance.url if instance else (url or PLACEHOLDER_URL), projects, instance)
    pack = pack_files()
    units = unit_files((directory / CONFIG_NAME).resolve(), _tool()) if systemd else {}
    write_new(directory, text, {RULES_NAME: pack, **({UNITS_NAME: units} if units else {})})
    config_path, rules_dir = directory / CONFIG_NAME, directory / RULES_NAME
    click.echo(f"wrote {config_path}")
    click.echo(f"wrote {rules_dir}/ ({len(pack)} files: the rule pack, its customers "
               "example and rule fixtures)")
    if units:
        click.echo(f"wrote {directory / UNITS_NAME}/ ({', '.join(map(str, units))}, started "
                   "with this config): copy them to /etc/systemd/system (docs/operations.md)")
    if client is not None and instance is not None:
        _report(client, instance, rules_dir, fitted_fields, statuses)
    elif url is None:
        click.echo(f"edit redmine.url in {config_path} (now {PLACEHOLDER_URL}), or set "
                   "REDMINE_URL")
    click.echo("next: export REDMINE_API_KEY=<the bot user's key>, then")
    for step in ("doctor", "validate --online", "plan"):
        click.echo(f"  redmine-sync --config {config_path} {step}")


def _connect(app: AppContext, url: str | None, key_file: Path | None,
             projects: tuple[str, ...]) -> RedmineClient:
    if not url:
        raise UserError("--from-redmine needs the Redmine's URL",
                        hint="pass --url https://redmine.example.com or set REDMINE_URL")
    url, url_key = split_key(url)
    key = _key(key_file) or url_key
    if not key:
        raise RedmineAuthError("--from-redmine needs an API key: export REDMINE_API_KEY=<the "
                               "bot user's key> or pass --key-file PATH")
    config = Config(url=url.rstrip("/"), api_key=Secret(key), key_source="init",
                    projects=projects)
    client = app.connect(config, None)
    client.current_user()  # a refused key stops here (exit 4), before anything is written
    return client


def _tool() -> Path | None:
    """This installation's redmine-sync command (beside the running Python), if any."""
    tool = Path(sys.executable).parent / "redmine-sync"
    return tool if tool.is_file() else None


def _key(key_file: Path | None) -> str | None:
    if key_file is None:
        return os.environ.get("REDMINE_API_KEY", "").strip() or None
    try:
        return key_file.read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the key file {key_file}: {exc}") from None


def _report(client: RedmineClient, instance: Instance, rules_dir: Path,
            fitted_fields: tuple[Fitted, ...], statuses: tuple[Fitted, ...]) -> None:
    click.echo(f"fitted to {instance.url}: {len(instance.trackers)} tracker(s), "
               f"{len(instance.statuses)} status(es), {len(instance.roles)} role(s), "
               f"{len(instance.custom_fields)} issue custom field(s)")
    for one in (*fitted_fields, *statuses):
        if one.missing:
            click.echo(f"  MISSING {one.key}: {one.wanted!r} (marked in the config)")
        elif one.found != one.wanted:
            click.echo(f"  {one.key}: {one.found!r} written for {one.wanted!r} (check it)")
    unknown, not_checked = missing_rule_names(rules_dir, client, fitted_fields)
    if unknown:
        click.echo(f"  {len(unknown)} name(s) the rules use are unknown to this Redmine "
                   "(`validate --online` and `doctor` report them; rename them in the rules "
                   "or create them in Redmine):")
        for problem in unknown:
            click.echo(f"    {problem}")
    for line in not_checked:
        click.echo(f"  NOT CHECKED: {line}")
    if not unknown:
        named = ("statuses, priorities, trackers and custom fields" if not_checked else
                 "statuses, priorities, trackers, custom fields and labels")
        click.echo(f"  the {named} the rules name exist")

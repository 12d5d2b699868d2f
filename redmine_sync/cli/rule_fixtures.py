"""``redmine-sync test-rules``: run rule fixtures (issues + expected outcome)."""

from __future__ import annotations

from pathlib import Path

import click

from redmine_sync.cli.context import AppContext
from redmine_sync.cli.context import pass_app
from redmine_sync.cli.output import echo
from redmine_sync.cli.output import echo_json
from redmine_sync.cli.output import format_option
from redmine_sync.errors import UserError
from redmine_sync.rules import load_rules
from redmine_sync.rules.fixtures import run_fixtures


@click.command("test-rules")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@format_option("each case with its failures, and the counts")
@pass_app
def command(app: AppContext, paths: tuple[Path, ...], fmt: str) -> None:
    """Run rule fixtures (issues + expected outcome; default: <rules dir>/tests).

    Prints one line per case and exits 1 if any case fails, so it fits in CI.
    """
    config = app.config()
    ruleset = load_rules([config.rules_dir])
    results = run_fixtures(ruleset, list(paths) or [config.rules_dir / "tests"], config.fields)
    failed = sum(not r.ok for r in results)
    if fmt == "json":
        echo_json({"cases": [{"file": r.file, "name": r.name, "ok": r.ok,
                              "failures": list(r.failures)} for r in results],
                   "passed": len(results) - failed, "failed": failed})
    else:
        for result in results:
            word = click.style("PASS", fg="green") if result.ok else \
                click.style("FAIL", fg="red", bold=True)
            echo(f"{word}  {Path(result.file).name}: {result.name}")
            for failure in result.failures:
                click.echo(f"      {failure}")
        click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise UserError(f"{failed} rule fixture(s) failed")

"""``redmine-sync report``: render a report page, or publish it to the wiki."""

from __future__ import annotations

from datetime import datetime
from datetime import time
from zoneinfo import ZoneInfo

import click

from redmine_sync.cli.context import AppContext
from redmine_sync.cli.context import pass_app
from redmine_sync.cli.output import echo_json
from redmine_sync.reports.inputs import report_input
from redmine_sync.reports.run import make_page
from redmine_sync.reports.run import publish_page
from redmine_sync.reports.run import wiki_project

MARKUPS = ("textile", "markdown", "common_mark")


@click.command("report")
@click.argument("name", metavar="NAME")
@click.option("--at", "at", metavar="DATE", help="Report as of this time (default: now), e.g. "
              "2026-11-20T17:00 (in reports.timezone unless it has an offset such as "
              "+08:00); a date alone means the end of that day in reports.timezone.")
@click.option("--customer", metavar="NAME", help="weekly only: the report for one customer.")
@click.option("--publish", "do_publish", is_flag=True,
              help="Write the page (and the index) to the wiki. Without it, print the page.")
@click.option("--markup", type=click.Choice(MARKUPS),
              help="Text format of the page (default: redmine.text_formatting of the config).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", *MARKUPS]),
              default="text", show_default=True,
              help="text: the page, or what was published; json: the same as data (the "
              "page's text in --markup). textile, markdown, common_mark: as --markup "
              "(kept for existing scripts).")
@pass_app
def command(app: AppContext, name: str, at: str | None, customer: str | None,
            do_publish: bool, markup: str | None, fmt: str) -> None:
    """Render a report: weekly, kpi, customers, monthly or quarterly.

    Prints the page by default; --publish writes it as a wiki page named for its period
    (e.g. Weekly_report_2026-W47) under the index page, never over a person's edit.
    """
    config = app.config()
    now = parse_at(at, config.reports.timezone) if at else app.now()
    client = app.client()
    store = app.store()
    inp = report_input(client, config, store, now)
    if fmt in MARKUPS:
        markup, fmt = markup or fmt, "text"
    page = make_page(name, inp, config, markup or config.text_formatting, customer)
    for warning in page.warnings:
        click.echo(f"warning: {warning}", err=True)
    data = {"report": page.report, "title": page.title, "period": page.period,
            "markup": page.markup, "warnings": list(page.warnings)}
    if not do_publish:
        if fmt == "json":
            echo_json({**data, "text": page.text})
        else:
            click.echo(page.text, nl=False)
        return
    with store.writer_lock():
        results = publish_page(client, store, config, page)
    base = f"{config.url}/projects/{wiki_project(config)}/wiki/"
    if fmt == "json":
        echo_json({**data, "published": [
            {"outcome": r.outcome, "title": r.title, "url": base + r.title,
             "version": r.version, "note": r.note} for r in results]})
        return
    for result in results:
        note = f" ({result.note})" if result.note else ""
        click.echo(f"{result.outcome:<9} {base}{result.title} (version {result.version}){note}")


def parse_at(value: str, timezone: str) -> datetime:
    """--at: a date alone is the end of that day, a time without offset is a local time;
    both in ``timezone`` (reports.timezone), as the report's periods are."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date or time like 2026-11-20T17:00:00",
                                 param_hint="--at") from None
    if len(value.strip()) == 10:
        parsed = datetime.combine(parsed.date(), time.max)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(timezone))

"""Reports end to end: build (pure) -> render (text format) -> charts -> publish -> index.

A report page is named for its period (``Weekly_report_2026-W47``) under the index page
(``reports.parent``, default ``Reports``), which lists every page the tool published.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime
from typing import Any

from redmine_sync import markup
from redmine_sync import progress
from redmine_sync.config import Config
from redmine_sync.errors import RedmineError
from redmine_sync.errors import UserError
from redmine_sync.redmine import RedmineClient
from redmine_sync.reports import build
from redmine_sync.reports.charts import Renderer
from redmine_sync.reports.charts import renderer
from redmine_sync.reports.data import ReportInput
from redmine_sync.reports.data import month_of
from redmine_sync.reports.data import quarter_of
from redmine_sync.reports.data import week_of
from redmine_sync.reports.doc import Bullets
from redmine_sync.reports.doc import Chart
from redmine_sync.reports.doc import Doc
from redmine_sync.reports.doc import Heading
from redmine_sync.reports.doc import Paragraph
from redmine_sync.reports.doc import link
from redmine_sync.reports.doc import render
from redmine_sync.reports.inputs import report_input
from redmine_sync.reports.publish import Published
from redmine_sync.reports.publish import publish
from redmine_sync.reports.texts import load_texts
from redmine_sync.schedule import parse_schedule
from redmine_sync.schema import did_you_mean
from redmine_sync.sla_facts import Held
from redmine_sync.store import StateStore

log = logging.getLogger(__name__)
TITLES = {"weekly": "Weekly_report", "kpi": "KPI_report", "customers": "Customer_report",
          "monthly": "Monthly_summary", "quarterly": "Quarterly_summary"}


@dataclass(frozen=True)
class Page:
    report: str
    period: str
    title: str
    text: str
    files: tuple[tuple[str, bytes], ...]
    warnings: tuple[str, ...] = ()      # e.g. why the charts were not drawn
    figures: str = ""                   # a digest of the text without its "as of" time
    markup: str = "textile"


def period_of(report: str, now: datetime, timezone: str) -> str:
    if report == "monthly":
        return month_of(now, timezone)[2]
    if report == "quarterly":  # published early in a quarter: the review of the one before
        return quarter_of(now, timezone, -1)[2]
    return week_of(now, timezone)[2]


def make_page(report: str, inp: ReportInput, config: Config, fmt: str,
              customer: str | None = None) -> Page:
    """Build and render one report; charts become PNG files named by their content."""
    if report not in TITLES:
        raise UserError(f"unknown report {report!r}", hint=did_you_mean(report, tuple(TITLES)))
    known = inp.customer_named(customer) if customer else None
    lang = known.lang if known is not None and known.lang else config.reports.lang
    texts = load_texts(lang, config.reports.templates_dir)   # a customer's page: its lang
    inp = replace(inp, markup=fmt)
    builders: dict[str, Callable[..., Doc]] = {
        "weekly": lambda: build.weekly(inp, texts, _scope(config), customer),
        "kpi": lambda: build.kpi(inp, texts), "customers": lambda: build.customers(inp, texts),
        "monthly": lambda: build.monthly(inp, texts),
        "quarterly": lambda: build.quarterly(inp, texts, quarter_of(inp.now, inp.timezone, -1))}
    doc, files, warnings = _charts(builders[report]())
    period = period_of(report, inp.now, inp.timezone)
    suffix = f"_{_slug(customer)}" if customer else ""
    title = f"{TITLES[report]}{suffix}_{period}"
    names, notes = tuple(n for n, _ in files), texts.get("headings.notes", "Notes")
    # the digest's text goes before the page's is made: one of them held at a time
    figures = hashlib.sha256(render(doc, fmt, names, notes, stamped=False).encode()).hexdigest()
    text = render(doc, fmt, names, notes)
    return Page(report, period, title, text, files, warnings, figures, fmt)


def publish_page(client: RedmineClient, store: StateStore, config: Config, page: Page
                 ) -> list[Published]:
    """The report page, then the index page listing every published report; refused when
    the page's markup is not the instance's."""
    markup.check(page.markup, client.text_formatting())
    markup.check(config.text_formatting, client.text_formatting())
    project = wiki_project(config)
    planned = [*store.published_pages(project), (page.report, page.period, page.title)]
    if client.get_wiki_page(project, config.reports.parent) is None:  # the parent must exist
        publish(client, store, project, config.reports.parent,
                index_text(sorted(set(planned)), config), report="index", period="-",
                comment="redmine-sync: report index")
    done = publish(client, store, project, page.title, page.text, report=page.report,
                   period=page.period, parent=config.reports.parent, files=page.files,
                   comment=f"redmine-sync: {page.report} report {page.period}",
                   figures=page.figures)
    with store.transaction():
        store.mark_period(page.report, page.period, done.title)
    index = publish(client, store, project, config.reports.parent,
                    index_text(store.published_pages(project), config), report="index",
                    period="-", comment="redmine-sync: report index")
    return [done, index]


def index_text(pages: list[tuple[str, str, str]], config: Config) -> str:
    """The index page: a section per report, newest period first, each page linked with a
    readable label (its period, and its customer for a customer's weekly report). Sibling
    pages written when a person had edited a report (``..._2``) are not listed."""
    texts = load_texts(config.reports.lang, config.reports.templates_dir)
    titles = {t for _, _, t in pages}
    blocks: list[object] = [Paragraph(texts("sentences.index"))]
    for report, prefix in TITLES.items():
        mine = sorted({(period, title) for r, period, title in pages
                       if r == report and not _sibling(title, titles)}, reverse=True)
        if mine:
            blocks += [Heading(texts(f"index.{report}"), 2),
                       Bullets(tuple(link(_label(prefix, period, title), title,
                                          config.text_formatting) for period, title in mine))]
    return render(Doc(config.reports.parent, tuple(blocks)), config.text_formatting)


def _sibling(title: str, titles: set[str]) -> bool:
    """``X_2``, ``X_3``... where ``X`` is a page of the list."""
    base, _, number = title.rpartition("_")
    return number.isdigit() and base in titles


def _label(prefix: str, period: str, title: str) -> str:
    """2026-W47, or "2026-W47, Northwind Logistics" for a customer's page."""
    middle = title.removeprefix(prefix).removesuffix(period).strip("_")
    return f"{period}, {middle.replace('_', ' ')}" if middle else period


def due_reports(config: Config, store: StateStore, now: datetime
                ) -> list[tuple[str, datetime]]:
    """(report, scheduled instant) for each report whose time has passed and whose period
    (the period of that instant) was not published yet."""
    due = []
    for report, text in config.reports.schedules.items():
        last = parse_schedule(text).last_due(now, config.reports.timezone)
        if last is None:
            continue
        if not store.period_done(report, period_of(report, last, config.reports.timezone)):
            due.append((report, last))
    return due


def publish_due_or_reason(client: RedmineClient, config: Config, store: StateStore,
                          now: datetime, held: Held | None = None) -> tuple[list[str], str]:
    """``publish_due`` for a run that goes on when reports fail (the timer's ``apply``, the
    daemon): what was published, and why the rest was not ("" when nothing failed)."""
    try:
        return publish_due(client, config, store, now, held), ""
    except (RedmineError, UserError) as exc:
        reason = str(exc).splitlines()[0]
        log.error("reports not published: %s", reason)
        return [], reason


def publish_due(client: RedmineClient, config: Config, store: StateStore, now: datetime,
                held: Held | None = None) -> list[str]:
    """Publish each report whose scheduled time has passed, once per period (the daemon and
    the timer's ``apply`` call this). Hold the writer lock. Returns what was done.
    ``held``: the journals the run before holds (sync.RunResult.held); the reports share
    them, and what else they find, so each issue's journals are found once."""
    due = due_reports(config, store, now)
    done = []
    inputs: dict[datetime, ReportInput] = {}
    last_use = {when: number for number, (_, when) in enumerate(due, 1)}
    held = held if held is not None else Held()
    for number, (name, when) in enumerate(due, 1):  # each as of its time, e.g. Friday 17:00
        if when not in inputs:
            inputs[when] = report_input(client, config, store, when, held)
        page = make_page(name, inputs[when], config, config.text_formatting)
        if last_use[when] == number:  # every issue of the scope: held no longer than needed
            del inputs[when]
        result = publish_page(client, store, config, page)[0]
        done.append(f"report {name} {page.period}: {result.outcome} {result.title}")
        done += [f"report {name} {page.period}: warning: {w}" for w in page.warnings]
        progress.advance(progress.PAGES_PUBLISHED, number, len(due))
    return done


def wiki_project(config: Config) -> str:
    project = config.reports.project or (config.projects[0] if config.projects else None)
    if not project:
        raise UserError("no project for the reports' wiki",
                        hint="set reports.project (or projects:) in the config")
    return project


def _scope(config: Config) -> str:
    return ", ".join(config.projects) or "all projects"


def _charts(doc: Doc) -> tuple[Doc, tuple[tuple[str, bytes], ...], tuple[str, ...]]:
    """Draw each chart as a PNG named by its content; without a renderer the page keeps its
    tables and the reason comes back as a warning."""
    if not doc.charts:
        return doc, (), ()
    drawer = renderer()
    if not isinstance(drawer, Renderer):
        return doc, (), (drawer,)
    files: list[tuple[str, bytes]] = []
    blocks: list[object] = []
    for block in doc.blocks:
        if isinstance(block, Chart):
            data = drawer.draw(block)
            stem = block.name.removesuffix(".png")
            name = f"{stem}-{hashlib.sha256(data).hexdigest()[:8]}.png"
            files.append((name, data))
            block = replace(block, name=name)
        blocks.append(block)
    return replace(doc, blocks=tuple(blocks)), tuple(files), ()


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_")


__all__ = ["Any", "Page", "due_reports", "make_page", "publish_page"]

"""Notes and report pages seen through Redmine's HTML view, in each of its text formats.

For textile (Redmine's default), markdown and common_mark: the instance is switched with
the runner (and switched back), a project gets a few issues with odd subjects (markup
injection, a very long one, emoji and right-to-left text, no description), and the real
CLI runs on it with the shipped pack. The wrong format in the config is refused before
anything is written; the right one gives notes and pages that render as meant.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import requests

from redmine_sync.markup import escape
from tests.integration.conftest import Admin
from tests.integration.conftest import config_edited
from tests.integration.conftest import rails_runner
from tests.integration.conftest import run_cli
from tests.integration.conftest import web_session

pytestmark = pytest.mark.integration

FORMATS = ("textile", "markdown", "common_mark")
INJECTION = ("Export fails {{include(Reports)}} !http://127.0.0.1:9/x.png! [[Reports]] "
             "http://evil.example/x -struck- *bold* re-export")
# Hyphens where Textile reads them (strike-through, list, cell and rule markers, "--") and
# where it does not (e-mail, dates): each on its own, in a list item and in a table cell.
HYPHENS = ("-struck- a -b- c (-x-) x - y a -- b --- *-x-* [-x-] a->b x -y-z- w a-(b)-c",
           "e-mail 2026-11-29 re-export word- A-1", "-. cell", "- term := def", "- - -",
           "-5")
SUBJECTS = (
    INJECTION,
    "Login page 😀 typo עברית العربية 中文",
    "Very long " + "subject " * 28 + "end",
)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible(markup: str) -> str:
    """The text a reader sees (tags dropped, references decoded, invisible joiners gone)."""
    parser = _Text()
    parser.feed(markup)
    return html.unescape("".join(parser.parts)).replace("\u2060", "")


def config_in(folder: Path, project: str, fmt: str) -> Path:
    return config_edited(folder, project, {"text_formatting: common_mark":
                                           f"text_formatting: {fmt}"})


@pytest.fixture(scope="module", params=FORMATS)
def instance(request: pytest.FixtureRequest, admin: Admin, local_redmine: dict[str, str],
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    fmt = request.param
    old = rails_runner("text_formatting.rb", fmt).strip().splitlines()[-1]
    try:
        project = admin.new_demo_project(f"mk-{fmt.replace('_', '')[:6]}", seed=False)
        customer = next(f["id"] for f in admin.get("/custom_fields.json")["custom_fields"]
                        if f["name"] == "Customer")
        ids = []
        for n, subject in enumerate(SUBJECTS):
            body = {"project_id": project, "subject": subject, "tracker_id": 1,
                    "description": "" if n == 2 else "The export page breaks when I click "
                    "Export: error 500 since the upgrade, every time, on Chrome and Firefox.",
                    "custom_fields": [{"id": customer, "value": "Northwind Logistics"}]}
            ids.append(admin.send("POST", "/issues.json", {"issue": body},
                                  as_user="support.zhao")["issue"]["id"])
        folder = tmp_path_factory.mktemp(f"markup-{fmt}")
        yield {"fmt": fmt, "project": project, "ids": ids, "folder": folder,
               "config": config_in(folder, project, fmt), "env": local_redmine}
    finally:
        rails_runner("text_formatting.rb", old)


def wrong(fmt: str) -> str:
    return FORMATS[(FORMATS.index(fmt) + 1) % len(FORMATS)]


def test_a_config_in_another_format_is_refused_before_writing(instance: dict[str, Any],
                                                              admin: Admin) -> None:
    fmt = instance["fmt"]
    folder = instance["folder"] / "wrong"
    folder.mkdir(exist_ok=True)
    config = config_in(folder, instance["project"], wrong(fmt))
    doctor = run_cli(instance["env"], config, "doctor")
    assert doctor.returncode != 0
    assert re.search(rf"FAIL\s+text format\s+Redmine renders {fmt}", doctor.stdout), doctor.stdout
    assert f"redmine.text_formatting: {fmt}" in doctor.stdout
    apply = run_cli(instance["env"], config, "apply", "--yes")
    assert apply.returncode not in (0, 70), apply.stdout + apply.stderr
    assert f"redmine.text_formatting: {fmt}" in apply.stderr + apply.stdout
    report = run_cli(instance["env"], config, "report", "weekly", "--publish")
    assert report.returncode not in (0, 70) and "text_formatting" in report.stderr
    for issue in admin.issues(instance["project"]):
        assert not [j for j in issue["journals"] if j["notes"]], "written despite the refusal"
    assert admin.session.get(f"{admin.url}/projects/{instance['project']}/wiki/index.json",
                             timeout=30).json()["wiki_pages"] == []


def test_bot_notes_render_as_lists_never_struck_through(instance: dict[str, Any],
                                                       admin: Admin) -> None:
    apply = run_cli(instance["env"], instance["config"], "apply", "--yes")
    assert apply.returncode == 0, apply.stdout + apply.stderr
    web = web_session(admin.url)
    bot_notes = changes = 0
    for issue_id in instance["ids"]:
        journals = admin.get(f"/issues/{issue_id}.json", include="journals")["issue"]["journals"]
        page = web.get(f"{admin.url}/issues/{issue_id}", timeout=30).text
        assert "<del>" not in page
        for journal in journals:
            if journal["notes"]:  # only the bot writes notes in this project
                bot_notes += 1
                note = re.search(rf'id="journal-{journal["id"]}-notes"[^>]*>(.*?)</div>',
                                 page, re.DOTALL)
                assert note, f"note of journal {journal['id']} not shown"
                assert "<li>" in note[1] and "<del>" not in note[1], note[1]
                if journal["notes"].startswith("redmine-sync:"):
                    changes += 1
                    assert re.search(r"\b(Set|Added|Assigned|Linked|Cleared|Removed) ",
                                     visible(note[1])), note[1]
    assert changes, "no change list among the notes: " + apply.stdout
    assert bot_notes, "the shipped pack wrote no note: " + apply.stdout + apply.stderr


def test_hyphens_render_as_when_every_one_was_escaped(instance: dict[str, Any],
                                                      admin: Admin) -> None:
    """escape() leaves a "-" as written only where the format does not read it: Redmine's
    own renderer gives the same HTML as with every "-" a character reference (Textile
    passes references through: the same once they are decoded, as a browser does)."""
    fmt = instance["fmt"]

    def page(texts: list[str]) -> str:  # each text alone, in a list item, in a table cell
        item = "*" if fmt == "textile" else "-"
        return "\n\n".join([*texts, *(f"{item} {t}" for t in texts),
                             *(f"|{t}|" for t in texts)])

    escaped = [escape(text, fmt) for text in HYPHENS]
    source = page(escaped)

    def rendered(text: str) -> str:
        answer = requests.get(f"{admin.url}/preview/text", params={"text": text}, timeout=30)
        assert answer.status_code == 200, answer.status_code
        return answer.text

    shown = rendered(source)
    every = page([e.replace("-", "&#45;") for e in escaped])
    assert html.unescape(shown) == html.unescape(rendered(every))
    assert "<del>" not in shown and "<hr" not in shown and "<dl" not in shown
    for text in HYPHENS:
        assert text in visible(shown), text
    if fmt == "textile":  # what people editing the page see: ordinary hyphens as written
        assert "e-mail 2026-11-29 re-export word- A-1" in source


def test_report_page_renders_with_user_text_shown_as_written(instance: dict[str, Any],
                                                             admin: Admin) -> None:
    published = run_cli(instance["env"], instance["config"], "report", "weekly", "--publish")
    assert published.returncode == 0, published.stdout + published.stderr
    title = re.search(r"wiki/(Weekly_report_\S+) ", published.stdout)
    assert title, published.stdout
    web = web_session(admin.url)
    page = web.get(f"{admin.url}/projects/{instance['project']}/wiki/{title[1]}", timeout=30)
    assert page.status_code == 200
    wiki = page.text.split('<div class="wiki wiki-page">', 1)[-1].split('<div id="sidebar"')[0]
    assert re.search(r"<h1[ >]", wiki) and re.search(r"<h2[ >]", wiki)
    assert "<table" in wiki and "<li>" in wiki and "<del>" not in wiki
    text = visible(wiki)
    for subject in SUBJECTS:
        assert subject in text, subject  # the include, the image, the links: all as written
    if instance["fmt"] == "textile":  # the page source people edit: no entity for "re-export"
        source = admin.get(f"/projects/{instance['project']}/wiki/{title[1]}.json")
        assert "bold&#42; re-export" in source["wiki_page"]["text"]
    assert "Weekly report" in text and text.count("Weekly report") == 1  # nothing included
    assert "127.0.0.1:9" not in " ".join(re.findall(r"<img[^>]*>", wiki))
    assert 'href="http://evil.example' not in wiki
    assert not re.search(r'<a [^>]*class="wiki-page[^"]*"[^>]*>Reports</a>', wiki)
    links = re.findall(r'<a [^>]*href="/issues/(\d+)"', wiki)
    assert set(map(str, instance["ids"])) <= set(links)  # the tool's own #id links work
    kpi = run_cli(instance["env"], instance["config"], "report", "kpi", "--publish")
    assert kpi.returncode == 0, kpi.stdout + kpi.stderr
    title = re.search(r"wiki/(KPI_report_\S+) ", kpi.stdout)
    assert title, kpi.stdout
    page = web.get(f"{admin.url}/projects/{instance['project']}/wiki/{title[1]}", timeout=30)
    wiki = page.text.split('<div class="wiki wiki-page">', 1)[-1].split('<div id="sidebar"')[0]
    assert re.search(r"<h1[ >]", wiki) and "<table" in wiki and "<del>" not in wiki
    charts = re.findall(r'<img [^>]*src="([^"]+\.png)"', wiki)
    assert charts, "no chart image on the KPI page"
    for src in charts:
        image = web.get(src if src.startswith("http") else f"{admin.url}{src}", timeout=30)
        assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n", src

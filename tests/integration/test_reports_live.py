"""Reports published to the real Redmine wiki: figures, idempotency, people's edits, HTML."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.integration.conftest import Admin
from tests.integration.conftest import run_cli
from tests.integration.conftest import write_config

pytestmark = pytest.mark.integration


cli = run_cli


@pytest.fixture(scope="module")
def site(admin: Admin, local_redmine: dict[str, str],
         tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    project = admin.new_demo_project("report", public=True)
    blocker, blocked = [i["id"] for i in admin.issues(project)
                        if i["status"]["name"] != "Closed"][:2]
    admin.send("POST", f"/issues/{blocker}/relations.json", {"relation": {
        "issue_to_id": blocked, "relation_type": "blocks"}})
    folder = tmp_path_factory.mktemp("report")
    config = write_config(folder, project)
    first = cli(local_redmine, config, "report", "weekly", "--publish")
    assert first.returncode == 0, first.stdout + first.stderr
    title = re.search(r"wiki/(Weekly_report_\S+) ", first.stdout)
    assert title, first.stdout
    return {"project": project, "config": config, "first": first, "title": title[1],
            "blocked": (blocked, blocker)}


def page(admin: Admin, project: str, title: str) -> dict[str, Any]:
    return dict(admin.get(f"/projects/{project}/wiki/{title}.json",
                          include="attachments")["wiki_page"])


def test_weekly_page_exists_with_the_figures(site: dict[str, Any], admin: Admin) -> None:
    assert site["first"].stdout.startswith("created ")
    wiki = page(admin, site["project"], site["title"])
    assert wiki["version"] == 1 and wiki["parent"]["title"] == "Reports"
    text = wiki["text"]
    issues = admin.issues(site["project"])
    assert str(len(issues)) in text            # every seeded request is new this week
    closed = [i for i in issues if i["status"]["name"] == "Closed"]
    assert f"#{closed[0]['id']}" in text       # finished this week
    index = page(admin, site["project"], "Reports")
    assert site["title"] in index["text"]


def test_a_blocked_request_is_a_risk_from_the_relation_the_issue_list_gives(
        site: dict[str, Any], admin: Admin) -> None:
    blocked, blocker = site["blocked"]
    text = page(admin, site["project"], site["title"])["text"]
    assert re.search(rf"#{blocked}\b.*(blocked by|阻塞).*#{blocker}\b|"
                     rf"#{blocked}\b.*#{blocker}\b.*阻塞", text), text


def test_publishing_again_changes_nothing(site: dict[str, Any], admin: Admin,
                                          local_redmine: dict[str, str]) -> None:
    again = cli(local_redmine, site["config"], "report", "weekly", "--publish")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("unchanged")
    assert page(admin, site["project"], site["title"])["version"] == 1


def test_a_page_a_person_edited_is_not_overwritten(site: dict[str, Any], admin: Admin,
                                                   local_redmine: dict[str, str]) -> None:
    title, project = site["title"], site["project"]
    current = page(admin, project, title)
    admin.send("PUT", f"/projects/{project}/wiki/{title}.json", {"wiki_page": {
        "text": current["text"] + "\n\nComment by the project manager.",
        "version": current["version"]}})
    admin.send("PUT", f"/issues/{admin.issues(project)[0]['id']}.json",
               {"issue": {"notes": "a change so the report differs"}})
    rerun = cli(local_redmine, site["config"], "report", "weekly", "--publish")
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.startswith("diverted") and "edited by a person" in rerun.stdout
    kept = page(admin, project, title)
    assert kept["text"].endswith("Comment by the project manager.")


def test_the_page_renders_in_redmine(site: dict[str, Any], local_redmine: dict[str, str]
                                     ) -> None:
    kpi = cli(local_redmine, site["config"], "report", "kpi", "--publish")
    assert kpi.returncode == 0, kpi.stdout + kpi.stderr
    title = re.search(r"wiki/(KPI_report_\S+) ", kpi.stdout)
    assert title
    html = requests.get(f"{local_redmine['REDMINE_URL']}/projects/{site['project']}/wiki/"
                        f"{title[1]}", timeout=30).text
    assert "<table" in html and "</table>" in html
    assert re.search(r'<img [^>]*src="[^"]*/attachments/download/\d+/[^"]+\.png"', html) \
        or re.search(r'<img [^>]*src="[^"]*\.png"', html)
    weekly = requests.get(f"{local_redmine['REDMINE_URL']}/projects/{site['project']}/wiki/"
                          f"{site['title']}", timeout=30).text
    assert re.search(r'<a [^>]*href="/issues/\d+"', weekly)

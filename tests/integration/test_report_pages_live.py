"""Every report page published to the real Redmine, read as a person reads it: logged in
through the web form, the HTML view of each page has its tables, its links lead to pages
that exist, and every chart image loads as a PNG of real size; in English and Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Admin
from tests.integration.conftest import run_cli
from tests.integration.conftest import web_session
from tests.integration.conftest import write_config

pytestmark = pytest.mark.integration

REPORTS = (("weekly",), ("weekly", "--customer", "Northwind Logistics"), ("kpi",),
           ("customers",), ("monthly",), ("quarterly",))   # zh: the first four
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def published(admin: Admin, local_redmine: dict[str, str],
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    project = admin.new_demo_project("pages")
    folder = tmp_path_factory.mktemp("pages")
    config = write_config(folder, project)
    yield {"project": project, "config": config, "folder": folder}


def publish_all(env: dict[str, str], config: Path, reports: tuple[tuple[str, ...], ...]
                ) -> list[str]:
    titles = []
    for args in reports:
        done = run_cli(env, config, "report", *args, "--publish")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "warning" not in done.stderr, done.stderr    # charts were drawn
        found = re.search(r"wiki/(\S+) \(version", done.stdout.splitlines()[0])
        assert found, done.stdout
        titles.append(found[1])
    return titles


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_renders_with_tables_links_and_charts(
        published: dict[str, Any], local_redmine: dict[str, str], lang: str) -> None:
    url, project = local_redmine["REDMINE_URL"], published["project"]
    config = published["config"]
    if lang == "zh":
        config.write_text(config.read_text(encoding="utf-8").replace("lang: en", "lang: zh"),
                          encoding="utf-8")
    titles = publish_all(local_redmine, config, REPORTS if lang == "en" else REPORTS[:4])
    session = web_session(url)
    charts = 0
    for title in titles:
        html = session.get(f"{url}/projects/{project}/wiki/{title}", timeout=30)
        assert html.status_code == 200, title
        body = html.text.split('<div class="wiki wiki-page">', 1)[-1]
        assert "<h1" in body and ("<table" in body or title.startswith(("Monthly", "Quarterly"))), \
            title
        assert "!" + "[" not in body and "|_." not in body, title   # no raw markup shown
        for src in re.findall(r'<img [^>]*src="([^"]+)"', body):
            if "/thumbnail/" in src:
                continue   # the attachment list under the page
            image = session.get(src if src.startswith("http") else f"{url}{src}", timeout=30)
            assert image.status_code == 200, src
            assert image.content.startswith(PNG) and len(image.content) > 8000, src
            charts += 1
        if title.startswith("Weekly"):
            assert re.search(r'<a [^>]*href="/issues/\d+"', body), title
        if title.startswith("Customer"):   # the health table: a score per customer
            health = body.split("Customer health" if lang == "en" else "客户健康度", 1)
            assert len(health) == 2, title
            scores = re.findall(r"<td>(\d{1,3})</td>", health[1].split("</table>", 1)[0])
            assert scores and all(0 <= int(s) <= 100 for s in scores), title
    assert charts >= 5    # flow x2, backlog by tier, by stage and tier, customers
    index = session.get(f"{url}/projects/{project}/wiki/Reports", timeout=30).text
    content = index.split('<div class="wiki wiki-page">', 1)[1].split('<div id="sidebar"')[0]
    links = [(re.search(r'href="/projects/[^/]+/wiki/([^"]+)"', tag), tag)
             for tag in re.findall(r"<a [^>]*>", content)]
    listed = {found[1] for found, _ in links if found}
    assert set(titles) <= listed, (titles, listed)
    assert not [tag for found, tag in links if found and "new" in tag], "a missing page"
    assert not [t for t in listed if re.search(r"_\d+$", t)], "a diverted copy is listed"
    heading = "Weekly reports" if lang == "en" else "周报"
    assert heading in index

"""SLA figures in the published reports, from back-dated history on the real Redmine."""

from __future__ import annotations

import re
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any

import pytest

from tests.integration.backdate import backdate
from tests.integration.conftest import Admin
from tests.integration.conftest import run_cli
from tests.integration.conftest import write_config

pytestmark = pytest.mark.integration

CST = timezone(timedelta(hours=8))
MONDAY = datetime(2026, 11, 16, tzinfo=CST)       # week 2026-W47, in the reports' zone
FRIDAY_17 = "2026-11-20T17:00:00+08:00"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


@pytest.fixture(scope="module")
def week(admin: Admin, local_redmine: dict[str, str],
         tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two strategic customers' requests (24 h first response, 80 h resolution, around the
    clock): one answered in 2 h and closed, one never answered; and one without customer."""
    project = admin.new_demo_project("slarep", seed=False)
    answered, late, other = backdate(project, [
        {"subject": "转账页面报错", "author": "client.huaxin", "created": at(0, 10),
         "fields": {"Customer": "华信银行", "Tier": "strategic"},
         "journals": [{"at": at(0, 12), "user": "support.zhao", "notes": "已复现 正在修复"},
                      {"at": at(2, 10), "user": "dev.wang", "notes": "Fixed in 5.0.1.",
                       "status": "Closed"}]},
        {"subject": "Tracking numbers missing", "author": "client.northwind",
         "created": at(2, 9), "fields": {"Customer": "Northwind Logistics",
                                         "Tier": "strategic"}},
        {"subject": "Internal clean-up", "author": "pm.li", "created": at(1, 9)},
    ])
    folder = tmp_path_factory.mktemp("slarep")
    return {"project": project, "config": write_config(folder, project),
            "answered": answered, "late": late, "other": other}


def published(admin: Admin, env: dict[str, str], week: dict[str, Any], report: str) -> str:
    done = run_cli(env, week["config"], "report", report, "--at", FRIDAY_17, "--publish")
    assert done.returncode == 0, done.stdout + done.stderr
    title = re.search(r"wiki/(\S+) ", done.stdout)
    assert title, done.stdout
    return str(admin.get(f"/projects/{week['project']}/wiki/{title[1]}.json")["wiki_page"]
               ["text"])


def test_kpi_page_shows_the_sla_figures(week: dict[str, Any], admin: Admin,
                                        local_redmine: dict[str, str]) -> None:
    text = published(admin, local_redmine, week, "kpi")
    row = next(line for line in text.splitlines() if "SLA attainment" in line)
    assert "66.7% (2/3)" in row                 # 2 met on time, 1 first response breached
    first = next(line for line in text.splitlines() if "First response" in line)
    assert "2.0 h" in first                     # the one response given, in business hours


def test_weekly_risks_name_the_breached_request(week: dict[str, Any], admin: Admin,
                                                local_redmine: dict[str, str]) -> None:
    text = published(admin, local_redmine, week, "weekly")
    risks = text.split("Risks")[1].split("Next week")[0]
    assert re.search(rf"#{week['late']}\b.*first response SLA breached", risks)
    assert not re.search(rf"#({week['answered']}|{week['other']})\b", risks)


def test_customer_report_counts_the_breach(week: dict[str, Any], admin: Admin,
                                           local_redmine: dict[str, str]) -> None:
    text = published(admin, local_redmine, week, "customers")
    health = text.split("| Customer | Open | SLA breached |")[1]
    row = next(line for line in health.splitlines() if "Northwind Logistics" in line)
    cells = [c.strip() for c in row.strip().strip("|").split("|")]
    assert cells[1:3] == ["1", "1"]             # open, SLA breached


def test_republishing_unchanged_figures_keeps_the_wiki_version(
        week: dict[str, Any], admin: Admin, local_redmine: dict[str, str]) -> None:
    def kpi(when: str) -> tuple[str, dict[str, Any]]:
        done = run_cli(local_redmine, week["config"], "report", "kpi", "--at", when,
                       "--publish")
        assert done.returncode == 0, done.stdout + done.stderr
        title = re.search(r"wiki/(\S+) ", done.stdout)
        assert title, done.stdout
        page = admin.get(f"/projects/{week['project']}/wiki/{title[1]}.json")["wiki_page"]
        return done.stdout.split()[0], page

    _, first = kpi("2026-11-20T17:05:00+08:00")
    outcome, again = kpi("2026-11-20T17:20:00+08:00")   # a later "as of", the same figures
    assert outcome == "unchanged"
    assert again["version"] == first["version"] and again["text"] == first["text"]
    assert "As of 2026-11-20 17:20" not in again["text"]


def test_at_a_date_is_the_end_of_that_day_in_the_reports_time_zone(
        week: dict[str, Any], admin: Admin, local_redmine: dict[str, str]) -> None:
    """Sunday 2026-11-22 ends at 23:59 in Shanghai, still in week 47 (at 23:59 UTC it is
    Monday morning there, in week 48)."""
    done = run_cli(local_redmine, week["config"], "report", "weekly", "--at", "2026-11-22",
                   "--publish")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "/wiki/Weekly_report_2026-W47 " in done.stdout
    shown = run_cli(local_redmine, week["config"], "report", "weekly", "--at", "2026-11-22")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "2026-W47: 2026-11-16 to 2026-11-22 (Asia/Shanghai), as of 2026-11-22 23:59."         in shown.stdout


def test_a_report_as_of_a_past_day_shows_that_day(week: dict[str, Any], admin: Admin,
                                                  local_redmine: dict[str, str]) -> None:
    """As of Tuesday's end the Northwind request did not exist yet and the 华信银行 one was
    still open (it was closed on Wednesday)."""
    shown = run_cli(local_redmine, week["config"], "report", "weekly", "--at",
                    "2026-11-17T23:00:00+08:00")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    text = shown.stdout
    assert not re.search(rf"#{week['late']}\b", text)
    summary = text.split("Summary")[1].split("Finished")[0]
    assert "0 finished, 2 new" in summary
    kanban = text.split("Kanban")[1]
    assert re.search(rf"Requirement confirmed \| #{week['answered']}\b", kanban)

"""A policy change does not rewrite the verdicts of stopped SLA clocks (real Redmine)."""

from __future__ import annotations

import re
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

from tests.integration.backdate import backdate
from tests.integration.conftest import Admin
from tests.integration.conftest import run_cli
from tests.integration.conftest import write_config

pytestmark = pytest.mark.integration

CST = timezone(timedelta(hours=8))
SLA = """\
kind: sla
calendars: {always: {always: true}}
staff: {roles: [Developer, Manager]}
policies:
  - name: answer
    when: {is_closed: false}
    calendar: always
    targets: {first_response: {default: {any: TARGET}}}
"""


def test_raising_a_target_after_a_breach_leaves_the_published_figure(
        admin: Admin, local_redmine: dict[str, str],
        tmp_path_factory: pytest.TempPathFactory) -> None:
    project = admin.new_demo_project("slapol", seed=False)
    monday = datetime(2026, 11, 16, 9, 0, tzinfo=CST)
    backdate(project, [{"subject": "Invoice totals wrong", "author": "client.e",
                        "created": monday,
                        "journals": [{"at": monday + timedelta(hours=3), "user": "dev.chen",
                                      "notes": "Fixed, please check."}]}])
    folder = tmp_path_factory.mktemp("slapol")
    (folder / "rules").mkdir()
    rules = folder / "rules" / "sla.yaml"
    rules.write_text(SLA.replace("TARGET", "2h"), encoding="utf-8")
    config = write_config(folder, project, folder / "rules")

    def attainment(at: str) -> str:
        done = run_cli(local_redmine, config, "report", "kpi", "--at", at, "--publish")
        assert done.returncode == 0, done.stdout + done.stderr
        title = re.search(r"wiki/(KPI_report_\S+) ", done.stdout)
        assert title, done.stdout
        text = admin.get(f"/projects/{project}/wiki/{title[1]}.json")["wiki_page"]["text"]
        return next(line for line in text.splitlines() if "SLA attainment" in line)

    assert "0% (0/1)" in attainment("2026-11-18T17:00:00+08:00")   # answered 1 h late
    rules.write_text(SLA.replace("TARGET", "8h"), encoding="utf-8")
    assert "0% (0/1)" in attainment("2026-11-20T17:00:00+08:00")   # still, under 8 h

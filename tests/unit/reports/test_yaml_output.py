"""What the config's YAML says changes what the reports show: kanban stages, how far
ahead key dates (and contract renewals) are shown, the label of risks people add."""

# ruff: noqa: RUF001

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from redmine_sync.config import load_config
from redmine_sync.reports import build
from redmine_sync.reports.data import KeyDate
from redmine_sync.reports.data import ReportInput
from redmine_sync.reports.data import nps
from redmine_sync.reports.doc import render
from redmine_sync.reports.texts import load_texts
from tests.unit.reports.test_build import FIELDS
from tests.unit.reports.test_build import ISSUES
from tests.unit.reports.test_build import make_input


def with_config(tmp_path: Path, reports_yaml: str) -> ReportInput:
    path = tmp_path / "config.yaml"
    path.write_text("reports:\n  timezone: Asia/Shanghai\n" + reports_yaml, encoding="utf-8")
    reports = load_config(str(path), env={}).reports
    return replace(make_input("en"), kanban=reports.kanban,
                   key_date_days=reports.key_dates_days, risk_label=reports.risk_label,
                   risk_tracker=reports.risk_tracker, satisfaction_scale=reports.satisfaction_scale)


def test_kanban_stages_come_from_the_config(tmp_path: Path) -> None:
    shipped = render(build.weekly(with_config(tmp_path, ""), load_texts("en"), "Demo"),
                     "markdown")
    assert "| In development | #105 数据加密 |" in shipped
    inp = with_config(tmp_path, "  kanban:\n    backlog: [New, In Progress]\n"
                                "    review: [Testing, Awaiting acceptance]\n")
    text = render(build.weekly(inp, load_texts("en"), "Demo"), "markdown")
    assert "| backlog | #105 数据加密 |" in text and "In development" not in text
    kpi = build.kpi(inp, load_texts("en"))
    [stages] = [c for c in kpi.charts if c.name == "backlog-by-stage.png"]
    assert stages.labels[:2] == ("backlog", "review")


def test_key_dates_and_renewals_are_shown_as_far_ahead_as_configured(tmp_path: Path) -> None:
    renewal = KeyDate("Northwind Logistics", date(2027, 1, 15), "renewal", "contract 2027")
    short = replace(with_config(tmp_path, ""), key_dates=(renewal,))
    long = replace(with_config(tmp_path, "  key_dates_days: 60\n"), key_dates=(renewal,))
    texts = load_texts("en")
    assert "contract renewal" not in render(build.customers(short, texts), "markdown")
    text = render(build.customers(long, texts), "markdown")
    assert "## Key dates in the next 60 days" in text
    assert "| 2027-01-15 | Northwind Logistics | contract renewal | contract 2027 |" in text


def test_risks_people_add_by_a_label_appear_in_the_weekly_report(tmp_path: Path) -> None:
    base = with_config(tmp_path, "  risk_label: watch\n")
    chosen = next(i for i in ISSUES if base.is_open(i))
    flagged = replace(chosen, custom_fields={**chosen.custom_fields,
                                             FIELDS.labels: ("feature", "watch")})
    inp = replace(base, issues=tuple(flagged if i.id == chosen.id else i for i in ISSUES))
    text = render(build.weekly(inp, load_texts("en"), "Demo"), "markdown")
    assert f"#{flagged.id} {flagged.subject}: risk noted by the team (label watch)" in text
    default = render(build.weekly(replace(inp, risk_label="risk"), load_texts("en"), "Demo"),
                     "markdown")
    assert "risk noted by the team" not in default


def test_risks_people_file_in_the_risk_tracker_appear_in_the_weekly_report(tmp_path: Path
                                                                          ) -> None:
    risk = replace(ISSUES[0], id=120, tracker="Risk", status="New", is_closed=False,
                   closed_on=None, subject="Key contact leaves in December", journals=None)
    closed = replace(risk, id=121, status="Closed", is_closed=True, subject="Old risk")
    issues = (*ISSUES, risk, closed)
    shipped = replace(with_config(tmp_path, ""), issues=issues)
    assert "Key contact leaves" not in _risks(shipped)
    inp = replace(with_config(tmp_path, "  risk_tracker: Risk\n"), issues=issues)
    found = _risks(inp)
    assert "- #120 Key contact leaves in December: risk recorded by the team (tracker Risk)" \
        in found
    assert "#121" not in found   # a closed risk is no longer one
    zh = render(build.weekly(replace(inp, lang="zh"), load_texts("zh"), "Demo"), "markdown")
    assert "#120 Key contact leaves in December：团队登记的风险（跟踪标签 Risk）" in zh


def _risks(inp: ReportInput) -> str:
    text = render(build.weekly(inp, load_texts("en"), "Demo"), "markdown")
    return text.split("## Risks\n", 1)[1].split("\n## ", 1)[0]


def test_the_satisfaction_scale_decides_mean_or_nps(tmp_path: Path) -> None:
    texts = load_texts("en")
    csat = render(build.kpi(with_config(tmp_path, ""), texts), "markdown")
    assert "| Satisfaction | 3.7 (n = 3) |" in csat       # answers 5, 4 and 2
    inp = with_config(tmp_path, "  satisfaction_scale: nps\n")
    answers = [9.0, 10.0, 7.0, 3.0, 6.0, 10.0]
    assert (nps(answers).score or 0) == pytest.approx((3 - 2) / 6 * 100)
    text = render(build.kpi(inp, texts), "markdown")
    # 5, 4 and 2 on a 0-10 scale are all detractors
    assert "| Satisfaction | NPS -100 (n = 3: 0 promoters, 3 detractors) |" in text
    assert "### Satisfaction by tier" in text and "| strategic | NPS -100 (n = 1" in text
    assert nps([]).score is None

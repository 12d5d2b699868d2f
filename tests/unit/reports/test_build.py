"""The report builders on a fixed data set: golden files per report, format and language, and
the figures against hand-computed values.

Golden files live in ``tests/unit/reports/golden/<report>.<lang>.<format>.txt``. After an
intended change of a report, rewrite them and read the diff before committing:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/reports

``now`` is Friday 2026-11-20 09:00 UTC, 17:00 in Asia/Shanghai; the week 2026-W47 runs
from Monday 2026-11-16 00:00 to 2026-11-23 00:00 Shanghai time (2026-11-15 16:00 UTC).
"""
# ruff: noqa: RUF001

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path

import pytest

from redmine_sync.config import FieldMap
from redmine_sync.model import Issue
from redmine_sync.model import Journal
from redmine_sync.model import JournalDetail
from redmine_sync.model import Ref
from redmine_sync.model import Relation
from redmine_sync.reports import build
from redmine_sync.reports.data import KeyDate
from redmine_sync.reports.data import Ratio
from redmine_sync.reports.data import ReportInput
from redmine_sync.reports.data import attainment
from redmine_sync.reports.data import attainment_by
from redmine_sync.reports.data import completion
from redmine_sync.reports.data import cycle_days
from redmine_sync.reports.data import deviation
from redmine_sync.reports.data import median
from redmine_sync.reports.data import month_of
from redmine_sync.reports.data import open_at
from redmine_sync.reports.data import percentile
from redmine_sync.reports.data import quarter_of
from redmine_sync.reports.data import reopen_rate
from redmine_sync.reports.data import risks
from redmine_sync.reports.data import satisfaction
from redmine_sync.reports.data import stopped_hours
from redmine_sync.reports.data import week_of
from redmine_sync.reports.doc import FORMATS
from redmine_sync.reports.doc import Chart
from redmine_sync.reports.doc import Doc
from redmine_sync.reports.doc import render
from redmine_sync.reports.texts import load_texts
from redmine_sync.reports.texts import placeholders
from redmine_sync.rules.customers import Customer
from redmine_sync.rules.customers import CustomerBook
from redmine_sync.rules.customers import Tier
from redmine_sync.sla.clock import MET
from redmine_sync.sla.clock import PAUSED
from redmine_sync.sla.clock import RUNNING
from redmine_sync.sla.clock import MetricClock

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
TZ = "Asia/Shanghai"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
H = 3600.0
FIELDS = FieldMap()
SATISFACTION = "Satisfaction"
PROJECT = Ref(1, "Demo")
AUTHOR = Ref(50, "Customer Portal")
LI, SAM, WANG = Ref(7, "李工"), Ref(8, "Sam Patel"), Ref(9, "王芳")
CLOSED = frozenset({"Closed", "Rejected"})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


BOOK = CustomerBook.build(
    [Customer("华信银行", 92, 86, aliases=("Huaxin Bank",), account_manager="am.liu"),
     Customer("Northwind Logistics", 40, 90, account_manager="am.smith"),
     Customer("东方重工", 86, 29),
     Customer("Fabrikam Retail", 18, 24)],
    [Tier("strategic", {"value": {"ge": 60}, "fit": {"ge": 60}}, "strategic"),
     Tier("potential", {"value": {"lt": 60}, "fit": {"ge": 60}}, "potential"),
     Tier("stable", {"value": {"ge": 60}, "fit": {"lt": 60}}, "stable"),
     Tier("ordinary", {"value": {"lt": 60}, "fit": {"lt": 60}}, "ordinary")])


def status(jid: int, when: str, old: str, new: str, *more: JournalDetail) -> Journal:
    return Journal(jid, WANG, at(when), "", False,
                   (JournalDetail("attr", "status", old, new), *more))


def edit(jid: int, when: str, what: str, old: str, new: str) -> Journal:
    return Journal(jid, WANG, at(when), "", False, (JournalDetail("attr", what, old, new),))


def issue(iid: int, subject: str, customer: str | None, state: str, created: str, *,
          closed: str | None = None, priority: str = "Normal", kind: str | None = None,
          value: str | None = None, score: str | None = None, labels: tuple[str, ...] = (),
          owner: Ref | None = None, due: date | None = None, done: int = 0,
          journals: tuple[Journal, ...] | None = None, relations: tuple[Relation, ...] = ()
          ) -> Issue:
    fields = {FIELDS.customer: customer, FIELDS.requirement_type: kind,
              FIELDS.business_value: value, SATISFACTION: score, FIELDS.labels: labels}
    return Issue(
        id=iid, project=PROJECT, tracker="Feature", status=state, priority=priority,
        subject=subject, author=AUTHOR, created_on=at(created),
        updated_on=at(closed or created), is_closed=state in CLOSED, assigned_to=owner,
        due_date=due, closed_on=at(closed) if closed else None, done_ratio=done,
        custom_fields={k: v for k, v in fields.items() if v}, journals=journals,
        relations=relations)


ISSUES = (
    issue(101, "订单模块重构", "华信银行", "Closed", "2026-10-20T02:00",
          closed="2026-11-18T06:00", priority="High", kind="functional",
          value="订单模块上线：下单速度提升约 30%", score="5", labels=("feature", "strategic"),
          owner=LI, done=100,
          journals=(status(1, "2026-10-21T02:00", "New", "In Progress"),
                    status(2, "2026-11-18T06:00", "In Progress", "Closed"))),
    issue(102, "Faster order entry", "Northwind Logistics", "Closed", "2026-11-02T03:00",
          closed="2026-11-19T03:00", priority="High", kind="functional",
          value="Order module finished: ordering about 30 % faster", score="4", owner=SAM,
          done=100),
    issue(103, "Login page typo", "Fabrikam Retail", "Closed", "2026-11-12T02:00",
          closed="2026-11-15T16:30", priority="Low", kind="service", labels=("ui",),
          done=100),
    issue(104, "报表导出超时", "东方重工", "Closed", "2026-10-26T02:00",
          closed="2026-11-05T08:00", kind="service", score="2", owner=LI, done=100,
          journals=(status(3, "2026-10-27T02:00", "New", "In Progress"),
                    status(4, "2026-11-03T02:00", "In Progress", "Closed"),
                    status(5, "2026-11-04T02:00", "Closed", "In Progress"),
                    status(6, "2026-11-05T08:00", "In Progress", "Closed"))),
    issue(105, "数据加密", "华信银行", "In Progress", "2026-11-10T01:00",
          priority="Urgent", kind="functional", labels=("feature", "strategic"), owner=LI,
          due=date(2026, 11, 18), done=60,
          journals=(edit(7, "2026-11-10T03:00", "description", "加密", "数据加密，需通过国密认证"),
                    status(8, "2026-11-10T06:00", "New", "In Progress"))),
    issue(106, "Route planning API", "Northwind Logistics", "Testing", "2026-10-29T02:00",
          priority="High", kind="functional", labels=("feature", "potential"), owner=SAM,
          due=date(2026, 11, 25), done=90,
          journals=(status(9, "2026-11-05T02:00", "New", "In Progress"),
                    edit(10, "2026-11-09T02:00", "subject", "Route planning",
                         "Route planning API"),
                    status(11, "2026-11-16T02:00", "In Progress", "Testing"))),
    issue(107, "设备台账批量导入", "东方重工", "New", "2026-11-17T02:00", kind="custom",
          labels=("stable",)),
    issue(108, "Store locator on mobile", "Fabrikam Retail", "New", "2026-11-19T06:00",
          priority="Low", kind="functional", labels=("ui",)),
    issue(109, "Payment gateway outage", "Huaxin Bank", "Awaiting acceptance",
          "2026-11-12T01:00", priority="Urgent", kind="service",
          labels=("strategic", "urgent-bug"), owner=SAM, due=date(2026, 11, 27), done=100),
    issue(110, "Invoice template in Excel", "Northwind Logistics", "Rejected",
          "2026-10-31T17:00", closed="2026-11-04T02:00", priority="Low", kind="custom",
          labels=("rejected",),
          journals=(status(12, "2026-11-04T02:00", "New", "Rejected"),)),
    issue(111, "对账单中文乱码", "东方重工", "In Progress", "2026-10-28T02:00",
          priority="High", kind="service", labels=("stable",), owner=LI,
          due=date(2026, 12, 4), done=30, relations=(Relation(1, 112, 111, "blocks"),)),
    issue(112, "Upgrade PDF library", None, "New", "2026-10-28T03:00",
          relations=(Relation(1, 112, 111, "blocks"),)),
    issue(113, "Bulk user import", "Fabrikam Retail", "Closed", "2026-09-20T02:00",
          closed="2026-10-15T02:00", kind="functional", done=100),
    issue(114, "移动端适配", "华信银行", "Feedback", "2026-11-15T17:00", kind="functional",
          labels=("needs-info", "strategic")),
    issue(115, "Shipment tracking e-mails", "Northwind Logistics", "Closed",
          "2026-11-05T02:00", closed="2026-11-20T08:00", kind="service",
          value="Tracking e-mails go out by themselves: about 40 fewer support calls a week",
          owner=SAM, done=100),
)


def clock(metric: str, started: str, elapsed: float, target: float | None, *,
          stopped: str | None = None, breached_at: str | None = None, state: str = MET,
          cycle: int = 1, due: str | None = None) -> MetricClock:
    """A clock with the figures the reports read (elapsed and target in hours)."""
    return MetricClock(metric, cycle, at(started), at(stopped) if stopped else None, (),
                       elapsed * H, None if target is None else target * H,
                       at(breached_at or due) if (breached_at or due) else None,
                       breached_at is not None, at(breached_at) if breached_at else None,
                       state)


FR, RES, EM = "first_response", "resolution", "emergency"
CLOCKS = {
    101: (clock(FR, "2026-10-20T02:00", 2, 4, stopped="2026-10-20T04:00"),
          clock(RES, "2026-10-20T02:00", 40, 80, stopped="2026-11-18T06:00")),
    102: (clock(FR, "2026-11-02T03:00", 10, 8, stopped="2026-11-03T05:00",
                breached_at="2026-11-02T11:00"),
          clock(RES, "2026-11-02T03:00", 30, 120, stopped="2026-11-19T03:00")),
    103: (clock(FR, "2026-11-12T02:00", 20, 24, stopped="2026-11-13T02:00"),
          clock(RES, "2026-11-12T02:00", 16, 160, stopped="2026-11-15T16:30")),
    104: (clock(FR, "2026-10-26T02:00", 6, 8, stopped="2026-10-26T08:00"),
          clock(RES, "2026-10-26T02:00", 12, 40, stopped="2026-11-03T02:00"),
          clock(RES, "2026-11-04T02:00", 4, 40, stopped="2026-11-05T08:00", cycle=2)),
    105: (clock(FR, "2026-11-10T01:00", 1, 4, stopped="2026-11-10T02:00"),
          clock(RES, "2026-11-10T01:00", 32, 40, state=RUNNING, due="2026-11-23T09:00"),
          clock(EM, "2026-11-10T01:00", 1.5, 2, stopped="2026-11-10T02:30")),
    106: (clock(FR, "2026-10-29T02:00", 3, 8, stopped="2026-10-29T05:00"),
          clock(RES, "2026-10-29T02:00", 20, 120, state=RUNNING, due="2026-12-14T09:00")),
    107: (clock(FR, "2026-11-17T02:00", 9, 8, state=RUNNING, breached_at="2026-11-18T02:00"),),
    108: (clock(FR, "2026-11-19T06:00", 6, 24, state=RUNNING, due="2026-11-24T10:00"),),
    109: (clock(FR, "2026-11-12T01:00", 0.5, 4, stopped="2026-11-12T01:30"),
          clock(RES, "2026-11-12T01:00", 10, 40, state=RUNNING, due="2026-11-27T09:00"),
          clock(EM, "2026-11-12T01:00", 3, 2, stopped="2026-11-12T04:00",
                breached_at="2026-11-12T03:00")),
    110: (clock(FR, "2026-10-31T17:00", 2, 8, stopped="2026-10-31T19:00"),
          clock(RES, "2026-10-31T17:00", 3, 120, stopped="2026-11-04T02:00")),
    111: (clock(FR, "2026-10-28T02:00", 5, 8, stopped="2026-10-28T07:00"),
          clock(RES, "2026-10-28T02:00", 30, 40, state=RUNNING, due="2026-11-23T03:00")),
    113: (clock(FR, "2026-09-20T02:00", 8, 24, stopped="2026-09-21T02:00"),
          clock(RES, "2026-09-20T02:00", 50, 160, stopped="2026-10-15T02:00")),
    114: (clock(FR, "2026-11-15T17:00", 1, 4, state=PAUSED),),
    115: (clock(FR, "2026-11-05T02:00", 4, 8, stopped="2026-11-05T06:00"),
          clock(RES, "2026-11-05T02:00", 24, 120, stopped="2026-11-20T08:00")),
}

KEY_DATES = (
    KeyDate("华信银行", date(2001, 12, 1), "anniversary", "25 周年"),
    KeyDate("Northwind Logistics", date(2026, 12, 10), "launch", "Route planning API"),
    KeyDate("东方重工", date(1972, 11, 25), "birthday", "王总 (CIO)"),
    KeyDate("Fabrikam Retail", date(2027, 2, 1), "launch", "mobile store locator"),
    KeyDate("Northwind Logistics", date(1975, 11, 2), "birthday", "Ms Jones"),
)


def make_input(lang: str = "en") -> ReportInput:
    return ReportInput(now=NOW, timezone=TZ, issues=ISSUES, clocks=CLOCKS, customers=BOOK,
                       fields=FIELDS, closed_statuses=CLOSED, lang=lang, key_dates=KEY_DATES,
                       satisfaction_field=SATISFACTION)


INP = make_input()


def byid(*ids: int) -> list[Issue]:
    return [i for i in ISSUES if i.id in ids]


# -- golden files ------------------------------------------------------------------------------

BUILDERS = {
    "weekly": lambda inp, t: build.weekly(inp, t, "Demo"),
    "weekly-customer": lambda inp, t: build.weekly(
        inp, t, "Demo", "Northwind Logistics" if t.lang == "en" else "华信银行"),
    "kpi": build.kpi,
    "customers": build.customers,
    "monthly": build.monthly,
    "quarterly": build.quarterly,
}
CASES = [(report, lang, fmt) for report in BUILDERS for lang in ("en", "zh") for fmt in FORMATS]


@pytest.mark.parametrize(("report", "lang", "fmt"), CASES,
                         ids=[".".join(case) for case in CASES])
def test_golden(report: str, lang: str, fmt: str) -> None:
    doc = BUILDERS[report](replace(make_input(lang), markup=fmt), load_texts(lang))
    text = render(doc, fmt, attached=tuple(c.name for c in doc.charts))
    path = GOLDEN / f"{report}.{lang}.{fmt}.txt"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path.name} is missing: run with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), \
        f"{path.name} differs: if intended, rewrite with UPDATE_GOLDEN=1 and read the diff"


def test_builders_are_pure_and_deterministic() -> None:
    texts = load_texts("en")
    shuffled = ReportInput(now=NOW, timezone=TZ, issues=tuple(reversed(ISSUES)), clocks=CLOCKS,
                           customers=BOOK, fields=FIELDS, closed_statuses=CLOSED,
                           key_dates=tuple(reversed(KEY_DATES)),
                           satisfaction_field=SATISFACTION)
    for name, builder in BUILDERS.items():
        assert builder(INP, texts) == builder(shuffled, texts), name


# -- periods -------------------------------------------------------------------------------


def test_week_month_quarter_in_the_configured_time_zone() -> None:
    week = week_of(NOW, TZ)
    assert week.label == "2026-W47"
    assert week.start == datetime(2026, 11, 15, 16, 0, tzinfo=UTC)
    assert week.end == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
    assert (week.first_day, week.last_day) == (date(2026, 11, 16), date(2026, 11, 22))
    assert week_of(NOW, TZ, 1).label == "2026-W48"
    # Sunday 2026-11-22 17:00 UTC is already Monday in Shanghai
    assert week_of(datetime(2026, 11, 22, 17, 0, tzinfo=UTC), TZ).label == "2026-W48"
    assert week_of(datetime(2026, 11, 22, 17, 0, tzinfo=UTC), "UTC").label == "2026-W47"
    month = month_of(NOW, TZ)
    assert (month.label, month.start) == ("2026-11", datetime(2026, 10, 31, 16, tzinfo=UTC))
    assert month_of(NOW, TZ, 2).label == "2027-01"
    assert month_of(NOW, TZ, -11).label == "2025-12"
    quarter = quarter_of(NOW, TZ)
    assert (quarter.label, quarter.last_day) == ("2026-Q4", date(2026, 12, 31))
    assert quarter_of(NOW, TZ, -1).label == "2026-Q3"
    assert quarter_of(NOW, TZ, 1).label == "2027-Q1"
    assert week_of(datetime(2027, 1, 1, 12, tzinfo=UTC), TZ).label == "2026-W53"


def test_week_runs_monday_to_monday_across_daylight_saving() -> None:
    week = week_of(datetime(2026, 3, 10, 12, tzinfo=UTC), "Europe/Berlin")
    assert week.start.isoformat() == "2026-03-09T00:00:00+01:00"
    after = week_of(datetime(2026, 3, 31, 12, tzinfo=UTC), "Europe/Berlin")
    assert after.start.isoformat() == "2026-03-30T00:00:00+02:00"


# -- figures against hand-computed values -----------------------------------------------------


def test_completion_rate_of_the_week() -> None:
    week = week_of(NOW, TZ)
    # closed this week (Shanghai time): 101, 102, 103 (00:30 on Monday), 115; open: 105, 106,
    # 107, 108, 109, 111, 112, 114
    rate = completion(INP, ISSUES, week)
    assert (rate.num, rate.den) == (4, 12)
    assert rate.value == pytest.approx(1 / 3)
    northwind = completion(INP, INP.for_customer("northwind logistics"), week)
    assert (northwind.num, northwind.den) == (2, 3)   # 102, 115 closed; 106 open


def test_risks_of_the_week() -> None:
    found = [(r.issue.id, r.kind, r.clock.metric if r.clock else None,
              r.blocker.id if r.blocker else None) for r in risks(INP, ISSUES)]
    assert found == [
        (105, "at_risk", RES, None),     # 32 h of 40 h = 80 %
        (105, "overdue", None, None),    # due 2026-11-18
        (107, "breached", FR, None),
        (111, "at_risk", RES, None),     # 30 h of 40 h = exactly 75 %
        (111, "blocked", None, 112),
    ]   # 108 is at 25 %, 109's breached emergency clock is stopped (answered late)


def test_sla_attainment_overall_by_tier_and_in_the_month() -> None:
    clocks = [c for cs in CLOCKS.values() for c in cs]
    # 19 clocks met on time; breached: 102 first response, 107 first response, 109 emergency
    assert attainment(clocks) == Ratio(19, 22)
    by_tier = attainment_by(INP, ISSUES, INP.tier_of)
    assert by_tier == {"strategic": Ratio(5, 6), "potential": Ratio(6, 7),
                       "stable": Ratio(4, 5), "ordinary": Ratio(4, 4), None: Ratio(0, 0)}
    emergencies = [c for c in clocks if c.metric == EM]
    assert attainment(emergencies) == Ratio(1, 2)
    # November in Shanghai: on time by a stop in November, or breached in November
    assert attainment(clocks, month_of(NOW, TZ)) == Ratio(13, 16)


def test_response_and_resolution_medians() -> None:
    first = stopped_hours(INP, ISSUES, FR)
    assert sorted(first) == [0.5, 1, 2, 2, 3, 4, 5, 6, 8, 10, 20]
    assert median(first) == 4
    assert percentile(first, 90) == 10          # nearest rank: the 10th of 11
    resolution = stopped_hours(INP, ISSUES, RES)
    assert sorted(resolution) == [3, 4, 12, 16, 24, 30, 40, 50]
    assert median(resolution) == 20             # (16 + 24) / 2
    assert percentile(resolution, 90) == 50
    # created -> closed: 29.17, 17, 3.60, 10.25, 3.375, 25, 15.25 days
    assert median(cycle_days(INP, ISSUES)) == pytest.approx(15.25)


def test_deviation_reopen_and_satisfaction() -> None:
    # confirmed (first change to an open status): 101, 104, 105, 106; 110 went straight to
    # Rejected. Only 106 was edited after confirmation (105's edit came before it).
    assert deviation(INP, ISSUES) == Ratio(1, 4)
    # closed at least once among the issues with journals: 101, 104, 110; 104 reopened
    assert reopen_rate(INP, ISSUES) == Ratio(1, 3)
    assert satisfaction(INP, ISSUES) == pytest.approx((5 + 4 + 2) / 3)
    unknown = [replace(i, journals=None) for i in ISSUES]
    assert deviation(INP, unknown) is None and reopen_rate(INP, unknown) is None
    assert satisfaction(replace(INP, satisfaction_field=None), ISSUES) is None


def test_open_at_the_end_of_a_past_period_uses_the_journals() -> None:
    end = datetime(2026, 11, 3, 12, tzinfo=UTC)   # 104 closed on 11-03, reopened on 11-04
    ids = [i.id for i in open_at(INP, ISSUES, end)]
    assert 104 not in ids and 101 in ids and 110 in ids   # 110 was rejected on 11-04
    assert 103 not in ids   # created later
    # without journals: closed_on decides; 104 was last closed on 11-05, so it counts as open
    ids = [i.id for i in open_at(INP, [replace(i, journals=None) for i in ISSUES], end)]
    assert 104 in ids


def test_kpi_document_has_both_charts_in_percent_and_every_definition() -> None:
    texts = load_texts("en")
    doc = build.kpi(INP, texts)
    charts = {c.name: c for c in doc.charts}
    backlog, sla = charts["backlog-by-tier.png"], charts["sla-by-tier.png"]
    assert backlog.labels == ("strategic (3)", "potential (1)", "stable (2)", "ordinary (1)",
                              "no tier (1)")
    assert backlog.values == (37.5, 12.5, 25.0, 12.5, 12.5)
    assert sla.labels == ("strategic (5/6)", "potential (6/7)", "stable (4/5)",
                          "ordinary (4/4)")
    assert sla.values == (83.3, 85.7, 80.0, 100.0)
    assert {backlog.unit, sla.unit} == {"%"}
    assert len(doc.footnotes) == 11
    assert all(": " in note for note in doc.footnotes)


def test_weekly_shows_business_value_else_the_subject() -> None:
    text = render(build.weekly(replace(INP, markup="markdown"), load_texts("en"), "Demo"), "markdown")
    assert "- Northwind Logistics: Order module finished: ordering about 30 % faster (#102)" \
        in text
    assert "- Fabrikam Retail: Login page typo, finished (#103)" in text
    assert "| In development | #105 数据加密 | 李工 | 2026-11-18 | ▓▓▓▓▓▓░░░░ 60% |" in text


def test_weekly_for_a_customer_by_alias_and_name() -> None:
    texts = load_texts("en")
    by_alias = render(build.weekly(INP, texts, "Demo", "huaxin bank"), "textile")
    assert by_alias.startswith("h1. Weekly report 2026-W47: Demo, 华信银行\n")
    assert "#109 Payment gateway outage" in by_alias and "#102" not in by_alias
    with pytest.raises(ValueError, match="unknown customer 'Nortwind'; the customers file has"):
        build.weekly(INP, texts, "Demo", "Nortwind")


def test_customer_report_counts() -> None:
    text = render(build.customers(replace(INP, markup="markdown"), load_texts("en")), "markdown")
    # open, breached, at risk, requests in 30 days, kinds, satisfaction
    assert "| 华信银行 | 3 | 0 | 1 | 3 | functional 2, service 1 | 5.0 (n = 1) |" in text
    assert "| 东方重工 | 2 | 1 | 1 | 3 | service 2, custom 1 | 2.0 (n = 1) |" in text
    assert "| no customer | 1 | 0 | 0 | 1 | unspecified 1 | n/a |" in text
    # key dates in the next 30 days, anniversaries and birthdays recur every year
    assert "| 2026-11-25 | 东方重工 | birthday | 王总 (CIO) |" in text
    assert "| 2026-12-01 | 华信银行 | company anniversary | 25 周年 |" in text
    assert "| 2026-12-10 | Northwind Logistics | product launch | Route planning API |" in text
    assert "mobile store locator" not in text and "Ms Jones" not in text


def test_monthly_and_quarterly_summaries() -> None:
    texts = load_texts("en")
    month = render(build.monthly(INP, texts), "markdown")
    assert "- Closed: 6" in month           # 101, 102, 103, 104, 110, 115
    assert "- New requests: 9" in month     # 110 was created on 1 November, Shanghai time
    assert "- SLA attainment: 81.2% (13/16)" in month
    assert "- Open at 2026-11-20 17:00: 8" in month
    quarter = render(build.quarterly(INP, texts), "markdown")
    assert "- Closed: 7" in quarter and "- New requests: 14" in quarter
    previous = render(build.quarterly(INP, texts, quarter_of(NOW, TZ, -1)), "markdown")
    assert "# Quarterly review 2026-Q3" in previous
    assert "- Open at 2026-09-30: 1" in previous   # 113, closed on 10-15


def test_empty_input_renders() -> None:
    empty = ReportInput(now=NOW, timezone=TZ, issues=(), clocks={}, customers=BOOK,
                        fields=FIELDS, closed_statuses=CLOSED)
    texts = load_texts("zh")
    for name, builder in BUILDERS.items():
        doc: Doc = builder(empty, texts)
        for fmt in FORMATS:
            assert render(doc, fmt).startswith(("h1. ", "# ")), name
        assert all(isinstance(c, Chart) and c.values for c in doc.charts)


def test_report_input_checks_its_time_zone_and_now() -> None:
    with pytest.raises(ValueError, match="time zone"):
        ReportInput(now=NOW, timezone="Mars/Olympus", issues=(), clocks={},
                    customers=BOOK, fields=FIELDS, closed_statuses=CLOSED)
    with pytest.raises(ValueError, match="aware"):
        ReportInput(now=NOW.replace(tzinfo=None), timezone=TZ, issues=(), clocks={},
                    customers=BOOK, fields=FIELDS, closed_statuses=CLOSED)
    with pytest.raises(ValueError, match="unknown kind"):
        KeyDate("x", date(2026, 1, 1), "wedding")


def test_kpi_without_journals_says_not_available() -> None:
    inp = replace(INP, issues=tuple(replace(i, journals=None) for i in ISSUES))
    text = render(build.kpi(inp, load_texts("en")), "markdown")
    assert "| Requirement deviation | n/a |" in text and "| Reopen rate | n/a |" in text


# -- texts ---------------------------------------------------------------------------------


def test_english_and_chinese_texts_have_the_same_keys_and_placeholders() -> None:
    en, zh = load_texts("en"), load_texts("zh")
    assert en.keys() == zh.keys()
    for key in en.entries:
        assert placeholders(en.entries[key]) == placeholders(zh.entries[key]), key


def test_overrides_change_some_texts(tmp_path: Path) -> None:
    (tmp_path / "en.yaml").write_text(
        "headings:\n  risks: Watch list\n"
        "sentences:\n  completion: 'Done {rate}'\n"
        "kanban:\n  review: Code review\n", encoding="utf-8")
    texts = load_texts("en", tmp_path)
    assert texts("headings.risks") == "Watch list"
    assert texts("headings.summary") == "Summary"
    inp = replace(INP, kanban=(*INP.kanban, ("review", ("Review",))))
    assert texts.get("kanban.review", "review") == "Code review"
    assert "- Done 33.3%\n" in render(build.weekly(inp, texts, "Demo"), "markdown")
    assert load_texts("zh", tmp_path)("headings.risks") == "风险预警"   # no zh.yaml there


@pytest.mark.parametrize(("content", "message"), [
    ("headings:\n  risk: Watch list\n",
     r"en\.yaml: unknown key 'headings\.risk' \(did you mean 'headings\.risks'\?\)"),
    ("sentences:\n  completion: 'Done {ratio}'\n",
     r"en\.yaml: sentences\.completion: unknown placeholder\(s\) ratio"),
    ("sentences:\n  completion: 'Done {rate'\n", r"sentences\.completion: .*braces"),
    ("headings:\n  risks: 5\n", r"headings\.risks: expected a text, got int"),
    ("headings: Risks\n", r"headings: expected a section"),
    ("headings: [\n", r"en\.yaml: cannot read"),
])
def test_bad_overrides_name_the_file_and_key(tmp_path: Path, content: str, message: str
                                              ) -> None:
    (tmp_path / "en.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_texts("en", tmp_path)


def test_languages(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        load_texts("en", tmp_path / "missing")
    with pytest.raises(ValueError, match="shipped: en, zh"):
        load_texts("fr")
    with pytest.raises(ValueError, match="not a language code"):
        load_texts("../en")
    (tmp_path / "fr.yaml").write_text("headings:\n  risks: Risques\n", encoding="utf-8")
    french = load_texts("fr", tmp_path)
    assert (french("headings.risks"), french("headings.summary")) == ("Risques", "Summary")


# -- docs ----------------------------------------------------------------------------------

DOC = Path(__file__).resolve().parents[3] / "docs" / "reports.md"


@pytest.mark.parametrize("key", sorted(k.split(".")[1] for k in load_texts("en").entries
                                       if k.startswith("kpis.") and k.endswith(".name")))
def test_every_definition_is_in_the_docs_word_for_word(key: str) -> None:
    texts = load_texts("en")
    doc = " ".join(DOC.read_text(encoding="utf-8").split())
    note = texts("sentences.footnote", name=texts(f"kpis.{key}.name"),
                 definition=texts(f"kpis.{key}.definition"))
    assert note in doc, f"docs/reports.md lacks the definition of {key}"

"""The reports as documents: pure functions of a ``ReportInput`` and ``Texts`` to a ``Doc``.

``weekly`` (per project, or per customer), ``kpi``, ``customers``, ``monthly`` and
``quarterly``. What is counted lives in ``data``; this module lays it out in the words of
``texts``. Issues are listed by id; times are shown in the configured time zone; each
figure's definition goes into the document's footnotes. No clock, no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from itertools import pairwise

from redmine_sync.markup import escape
from redmine_sync.model import Issue
from redmine_sync.reports.data import ChangeRequests
from redmine_sync.reports.data import Period
from redmine_sync.reports.data import Ratio
from redmine_sync.reports.data import ReportInput
from redmine_sync.reports.data import Risk
from redmine_sync.reports.data import attainment
from redmine_sync.reports.data import attainment_by
from redmine_sync.reports.data import change_requests
from redmine_sync.reports.data import closed_in
from redmine_sync.reports.data import completion
from redmine_sync.reports.data import count
from redmine_sync.reports.data import created_in
from redmine_sync.reports.data import cycle_days
from redmine_sync.reports.data import deviation
from redmine_sync.reports.data import median
from redmine_sync.reports.data import month_of
from redmine_sync.reports.data import nps
from redmine_sync.reports.data import open_at
from redmine_sync.reports.data import open_issues
from redmine_sync.reports.data import percentile
from redmine_sync.reports.data import quarter_of
from redmine_sync.reports.data import rejected_share
from redmine_sync.reports.data import reopen_rate
from redmine_sync.reports.data import risks
from redmine_sync.reports.data import scores
from redmine_sync.reports.data import stopped_hours
from redmine_sync.reports.data import text_of
from redmine_sync.reports.data import week_of
from redmine_sync.reports.doc import STAMP
from redmine_sync.reports.doc import Bullets
from redmine_sync.reports.doc import Chart
from redmine_sync.reports.doc import Doc
from redmine_sync.reports.doc import Heading
from redmine_sync.reports.doc import Paragraph
from redmine_sync.reports.doc import Series
from redmine_sync.reports.doc import Table
from redmine_sync.reports.doc import bar
from redmine_sync.reports.doc import link
from redmine_sync.reports.doc import simple_chart
from redmine_sync.reports.health import movement
from redmine_sync.reports.texts import Texts

BACKLOG_CHART = "backlog-by-tier.png"
SLA_CHART = "sla-by-tier.png"
SLA_TREND_CHART = "sla-trend.png"
FLOW_CHART = "flow.png"
STAGE_CHART = "backlog-by-stage.png"
RESPONSE_CHART = "first-response.png"
CUSTOMER_CHART = "customer-standing.png"
TREND_WEEKS = 8
# first response times (business hours): bucket edges, the last one open-ended
RESPONSE_EDGES = (0.0, 2.0, 4.0, 8.0, 24.0, 72.0)
VOLUME_DAYS = 30


def percent(fraction: float) -> str:
    """0.8333 -> 83.3%, 0.5 -> 50%."""
    return f"{round(fraction * 100, 1):g}%"


@dataclass(frozen=True)
class _Words:
    """Formatting in the report's language and time zone."""

    inp: ReportInput
    t: Texts

    def na(self) -> str:
        return self.t("labels.not_available")

    def ratio(self, ratio: Ratio | None) -> str:
        if ratio is None or ratio.value is None:
            return self.na()
        return self.t("sentences.ratio", percent=percent(ratio.value), num=ratio.num,
                      den=ratio.den)

    def hours(self, value: float | None) -> str:
        return self.na() if value is None else self.t("sentences.hours", value=f"{value:.1f}")

    def days(self, value: float | None) -> str:
        return self.na() if value is None else self.t("sentences.days", value=f"{value:.1f}")

    def median_days(self, days: Sequence[float]) -> str:
        value = median(days)
        return self.na() if value is None else self.t("sentences.median", value=self.days(value))

    def spread(self, hours: Sequence[float]) -> str:
        if not hours:
            return self.na()
        return self.t("sentences.median_p90", median=self.hours(median(hours)),
                      p90=self.hours(percentile(hours, 90)))

    def changes(self, found: ChangeRequests | None) -> str:
        if found is None:
            return self.na()
        return self.t("sentences.change_requests", approved=found.approved,
                      rejected=found.rejected, open=found.open)

    def score(self, answers: Sequence[float]) -> str:
        """Satisfaction: the mean (CSAT), or the net promoter score (NPS scale)."""
        if not answers:
            return self.na()
        if self.inp.satisfaction_scale == "nps":
            found = nps(answers)
            return self.t("sentences.nps", value=f"{found.score:+.0f}",
                          promoters=found.promoters, detractors=found.detractors,
                          answers=found.answers)
        return self.t("sentences.score", value=f"{sum(answers) / len(answers):.1f}",
                      answers=len(answers))

    def when(self, instant: datetime | None) -> str:
        if instant is None:
            return self.t("labels.none")
        return self.inp.local(instant).strftime("%Y-%m-%d %H:%M")

    def day(self, day: date | None) -> str:
        return day.isoformat() if day is not None else self.t("labels.none")

    def esc(self, text: str) -> str:
        """User text (subjects, names, field values) shown as written, never as markup."""
        return escape(text, self.inp.markup)

    def ref(self, issue: Issue) -> str:
        """#12 Subject: Redmine links the number; the subject is shown as written."""
        return link(self.esc(issue.subject), f"#{issue.id}", self.inp.markup)

    def customer(self, issue: Issue) -> str:
        name = self.inp.customer_name(issue)
        return self.esc(name) if name else self.t("labels.no_customer")

    def tier(self, name: str | None) -> str:
        return self.esc(self.tier_name(name))

    def tier_name(self, name: str | None) -> str:
        """Unescaped, for chart labels (``render`` escapes them for the table)."""
        return name if name is not None else self.t("labels.no_tier")

    def person(self, login: str | None) -> str:
        """A user's display name ("Anna Smith") for a login of the customers file, escaped;
        the "none" label when there is no login."""
        if not login:
            return self.t("labels.none")
        return self.esc(self.inp.people.get(login, login))

    def owner(self, issue: Issue) -> str:
        return self.esc(issue.assigned_to.name) if issue.assigned_to else self.t("labels.none")

    def join(self, items: Iterable[str]) -> str:
        return self.t("labels.list_separator").join(items) or self.t("labels.none")

    def metric(self, name: str) -> str:
        return self.t.get(f"metrics.{name}", name)

    def kpi(self, key: str) -> str:
        return self.t(f"kpis.{key}.name")

    def notes(self, *keys: str) -> tuple[str, ...]:
        return tuple(self.t("sentences.footnote", name=self.kpi(k),
                            definition=self.t(f"kpis.{k}.definition")) for k in keys)

    def listing(self, items: Sequence[str]) -> object:
        return Bullets(tuple(items)) if items else Paragraph(self.t("labels.nothing"))

    def period(self, period: Period) -> str:
        return self.t("sentences.period", period=period.label, start=self.day(period.first_day),
                      end=self.day(period.last_day), timezone=self.inp.timezone, now=STAMP)

    def as_of(self) -> str:
        return self.t("sentences.as_of", now=STAMP, timezone=self.inp.timezone)

    def benefit(self, issue: Issue) -> str:
        """What a finished issue does for the customer: its business value, else its subject."""
        value = issue.cf(self.inp.fields.business_value)
        if isinstance(value, str) and value.strip():
            return self.t("sentences.finished_value", customer=self.customer(issue),
                          value=self.esc(value.strip()), issue=f"#{issue.id}")
        return self.t("sentences.finished_plain", customer=self.customer(issue),
                      subject=self.esc(issue.subject), issue=f"#{issue.id}")

    def risk(self, risk: Risk) -> str:
        issue, clock = self.ref(risk.issue), risk.clock
        if risk.kind == "breached" and clock is not None:
            return self.t("sentences.risk_breached", issue=issue, metric=self.metric(clock.metric),
                          at=self.when(clock.breached_at))
        if risk.kind == "at_risk" and clock is not None:
            return self.t("sentences.risk_at_risk", issue=issue, metric=self.metric(clock.metric),
                          used=percent(clock.fraction() or 0.0), due=self.when(clock.due))
        if risk.kind == "blocked" and risk.blocker is not None:
            return self.t("sentences.risk_blocked", issue=issue, blocker=self.ref(risk.blocker))
        if risk.kind == "flagged":
            return self.t("sentences.risk_flagged", issue=issue, label=self.inp.risk_label)
        if risk.kind == "registered":
            return self.t("sentences.risk_registered", issue=issue,
                          tracker=self.esc(risk.issue.tracker))
        return self.t("sentences.risk_overdue", issue=issue, due=self.day(risk.issue.due_date))


def _doc(w: _Words, title: str, blocks: Sequence[object], notes: tuple[str, ...]) -> Doc:
    return Doc(title, footnotes=notes, stamp=w.when(w.inp.now)).with_blocks(*blocks)


# -- weekly ----------------------------------------------------------------------------------


def weekly(inp: ReportInput, texts: Texts, scope: str, customer: str | None = None) -> Doc:
    """This week: completion rate, finished work as customer benefit, new requests, risks,
    next week's plan and the kanban. ``scope`` names what the issues cover (the projects);
    with ``customer`` only that customer's issues (by name or alias) are reported."""
    w = _Words(inp, texts)
    week, following = week_of(inp.now, inp.timezone), week_of(inp.now, inp.timezone, 1)
    issues = inp.for_customer(customer) if customer else inp.issues
    title = texts("titles.weekly", week=week.label, scope=scope)
    if customer:
        known = inp.customer_named(customer)
        title = texts("titles.weekly_customer", week=week.label, scope=scope,
                      customer=escape(known.name if known else customer.strip(), inp.markup))
    finished, new = _delivered(inp, issues, week), created_in(issues, week)
    found = risks(inp, issues)
    rate = completion(inp, issues, week)
    shown = percent(rate.value) if rate.value is not None else w.na()
    summary = (texts("sentences.completion", rate=shown, closed=rate.num,
                     open=rate.den - rate.num),
               texts("sentences.week_counts", finished=len(finished), new=len(new),
                     risks=len(found)))
    blocks = [
        Paragraph(w.period(week)),
        Heading(texts("headings.summary")), Bullets(summary), _flow_chart(w, issues),
        Heading(texts("headings.finished")), w.listing([w.benefit(i) for i in finished]),
        *_value_missing(w, finished),
        Heading(texts("headings.new_requests")),
        w.listing([texts("sentences.new_request", issue=w.ref(i), customer=w.customer(i))
                   for i in new]),
        Heading(texts("headings.risks")), w.listing([w.risk(r) for r in found]),
        Heading(texts("headings.next_week")), w.listing(_planned(w, issues, following)),
        Heading(texts("headings.kanban")), _kanban(w, issues),
    ]
    return _doc(w, title, blocks, w.notes("completion_rate", "business_value", "risks"))


def _value_missing(w: _Words, finished: Sequence[Issue]) -> list[object]:
    """Says plainly which finished issues lack a Business value, so people fill it in."""
    missing = [i for i in finished if not text_of(i.cf(w.inp.fields.business_value))]
    if not missing:
        return []
    return [Paragraph(w.t("sentences.value_missing", count=len(missing), total=len(finished),
                          issues=w.join(f"#{i.id}" for i in missing)))]


def _delivered(inp: ReportInput, issues: Iterable[Issue], period: Period) -> list[Issue]:
    """Closed in the period and not rejected."""
    return [i for i in closed_in(inp, issues, period) if not inp.is_rejected(i)]


def _planned(w: _Words, issues: Iterable[Issue], period: Period) -> list[str]:
    """Open issues due in the period."""
    return [w.t("sentences.planned", issue=w.ref(i), owner=w.owner(i), due=w.day(i.due_date))
            for i in open_issues(w.inp, issues)
            if i.due_date is not None and period.first_day <= i.due_date <= period.last_day]


def _kanban(w: _Words, issues: Iterable[Issue]) -> Table:
    items = sorted(issues, key=lambda i: i.id)
    rows = tuple((w.t.get(f"kanban.{key}", key), w.ref(i), w.owner(i), w.day(i.due_date),
                  bar(i.done_ratio / 100))
                 for key, statuses in w.inp.kanban for i in items if i.status in statuses)
    header = tuple(w.t(f"columns.{c}") for c in
                   ("column", "item", "owner", "deadline", "completion"))
    return Table(header, rows, w.t("labels.nothing"))


# -- KPIs ------------------------------------------------------------------------------------


def kpi(inp: ReportInput, texts: Texts) -> Doc:
    """Service levels (SLA attainment by tier and priority, emergencies, response and
    resolution times), the backlog, requirement deviation, reopens and satisfaction."""
    w = _Words(inp, texts)
    issues = inp.issues
    blocks = [
        Paragraph(w.as_of()),
        Heading(texts("headings.service_levels")), _service_table(w, issues),
        _sla_chart(w, issues), _sla_trend_chart(w, issues), _response_chart(w, issues),
        Heading(texts("headings.sla_by_priority")), _by_priority(w, issues),
        Heading(texts("headings.backlog")), *_backlog(w, open_issues(inp, issues)),
        Heading(texts("headings.quality")), _quality_table(w, issues),
        Heading(texts("headings.satisfaction_by_tier"), 3), _satisfaction_by_tier(w, issues),
    ]
    return _doc(w, texts("titles.kpi", date=w.day(inp.today)), blocks, w.notes(
        "sla_attainment", "emergency_timeliness", "first_response_time", "resolution_time",
        "resolution_cycle", "backlog", "rejected_share", "requirement_deviation",
        "change_requests", "reopen_rate", "satisfaction"))


def _kpi_table(w: _Words, rows: Sequence[tuple[str, str]]) -> Table:
    return Table((w.t("columns.kpi"), w.t("columns.result")),
                 tuple((w.kpi(key), value) for key, value in rows))


def _service_table(w: _Words, issues: Sequence[Issue]) -> Table:
    emergency = [c for i in issues for c in w.inp.clocks_of(i) if c.metric == "emergency"]
    all_clocks = [c for i in issues for c in w.inp.clocks_of(i)]
    return _kpi_table(w, [
        ("sla_attainment", w.ratio(attainment(all_clocks))),
        ("emergency_timeliness", w.ratio(attainment(emergency))),
        ("first_response_time", w.spread(stopped_hours(w.inp, issues, "first_response"))),
        ("resolution_time", w.spread(stopped_hours(w.inp, issues, "resolution"))),
        ("resolution_cycle", w.median_days(cycle_days(w.inp, issues))),
    ])


def _quality_table(w: _Words, issues: Sequence[Issue]) -> Table:
    return _kpi_table(w, [
        ("rejected_share", w.ratio(rejected_share(w.inp, issues))),
        ("requirement_deviation", w.ratio(deviation(w.inp, issues))),
        ("change_requests", w.changes(change_requests(w.inp, issues))),
        ("reopen_rate", w.ratio(reopen_rate(w.inp, issues))),
        ("satisfaction", w.score(scores(w.inp, issues))),
    ])


def _satisfaction_by_tier(w: _Words, issues: Sequence[Issue]) -> Table:
    """Satisfaction of each tier's issues (n/a only for a tier without answers)."""
    tiers = sorted({w.inp.tier_of(i) for i in issues}, key=_tier_key(w.inp))
    rows = tuple((w.tier(t), w.score(scores(w.inp, [i for i in issues if w.inp.tier_of(i) == t])))
                 for t in tiers)
    return Table((w.t("columns.tier"), w.t("columns.satisfaction")), rows, w.na())


def _tier_key(inp: ReportInput) -> Callable[[str | None], tuple[int, str]]:
    """Tiers in the customers file's order, then other names, then no tier."""
    order = [t.name for t in inp.customers.tiers]

    def key(name: str | None) -> tuple[int, str]:
        if name is None:
            return (len(order) + 1, "")
        return (order.index(name), "") if name in order else (len(order), name)
    return key


def _sla_chart(w: _Words, issues: Sequence[Issue]) -> object:
    by_tier = attainment_by(w.inp, issues, w.inp.tier_of)
    rows = [(w.tier_name(name), by_tier[name])
            for name in sorted(by_tier, key=_tier_key(w.inp)) if by_tier[name].den]
    if not rows:
        return Paragraph(f"{w.t('charts.sla_by_tier')}: {w.na()}")
    return simple_chart(SLA_CHART, w.t("charts.sla_by_tier"),
                        tuple(f"{label} ({r.num}/{r.den})" for label, r in rows),
                        tuple(round((r.value or 0.0) * 100, 1) for _, r in rows), "%",
                        w.t("axes.attainment"))


def _by_priority(w: _Words, issues: Sequence[Issue]) -> Table:
    by = attainment_by(w.inp, issues, lambda i: i.priority)
    rows = tuple((name, w.ratio(by[name])) for name in _priority_sorted(w.inp, by)
                 if by[name].den)
    return Table((w.t("columns.priority"), w.t("columns.attainment")), rows, w.na())


def _weeks(inp: ReportInput) -> list[Period]:
    """The last ``TREND_WEEKS`` weeks, the current one last."""
    return [week_of(inp.now, inp.timezone, k) for k in range(1 - TREND_WEEKS, 1)]


def _flow_chart(w: _Words, issues: Sequence[Issue]) -> Chart:
    """Requests created and closed per week, the last weeks: is the backlog growing?"""
    weeks = _weeks(w.inp)
    created = tuple(float(len(created_in(issues, p))) for p in weeks)
    closed = tuple(float(len(closed_in(w.inp, issues, p))) for p in weeks)
    return Chart(FLOW_CHART, w.t("charts.flow"), tuple(p.label for p in weeks),
                 (Series(w.t("series.created"), created),
                  Series(w.t("series.closed"), closed, "good")),
                 x_label=w.t("axes.week"), y_label=w.t("axes.issues"))


def _sla_trend_chart(w: _Words, issues: Sequence[Issue]) -> object:
    """SLA attainment of each tier, week by week (clocks met or breached in that week)."""
    weeks = _weeks(w.inp)
    by_week = [attainment_by(w.inp, issues, w.inp.tier_of, p) for p in weeks]
    tiers = sorted({t for found in by_week for t, r in found.items() if r.den},
                   key=_tier_key(w.inp))
    if not tiers:
        return Paragraph(f"{w.t('charts.sla_trend')}: {w.na()}")
    series = tuple(Series(w.tier_name(t), tuple(
        round(r.value * 100, 1) if (r := found.get(t)) is not None and r.value is not None
        else None for found in by_week)) for t in tiers)
    return Chart(SLA_TREND_CHART, w.t("charts.sla_trend"), tuple(p.label for p in weeks),
                 series, "%", "line", w.t("axes.week"), w.t("axes.attainment"),
                 empty=w.na())


def _response_chart(w: _Words, issues: Sequence[Issue]) -> object:
    """First responses given, by business hours taken, within or over their target."""
    clocks = [c for i in sorted(issues, key=lambda i: i.id) for c in w.inp.clocks_of(i)
              if c.metric == "first_response" and c.state == "met"]
    if not clocks:
        return Paragraph(f"{w.t('charts.first_response')}: {w.na()}")
    edges = RESPONSE_EDGES
    labels = (*(f"{a:g}-{b:g} h" for a, b in pairwise(edges)), f"{edges[-1]:g} h +")

    def bucket(hours: float) -> int:
        return max(k for k, edge in enumerate(edges) if hours >= edge)

    within, over = [0.0] * len(labels), [0.0] * len(labels)
    for clock in clocks:
        (over if clock.breached else within)[bucket(clock.elapsed / 3600.0)] += 1
    return Chart(RESPONSE_CHART, w.t("charts.first_response"), labels,
                 (Series(w.t("series.within_target"), tuple(within), "good"),
                  Series(w.t("series.over_target"), tuple(over), "bad")),
                 kind="stacked", x_label=w.t("axes.response_hours"),
                 y_label=w.t("axes.issues"))


def _stage_chart(w: _Words, backlog: Sequence[Issue]) -> object:
    """Open issues by kanban stage (statuses in no stage: "other"), one colour per tier."""
    if not backlog:
        return Paragraph(w.t("labels.nothing"))
    stages = [(w.t.get(f"kanban.{key}", key), statuses) for key, statuses in w.inp.kanban]
    staged = {s for _, statuses in stages for s in statuses}
    if any(i.status not in staged for i in backlog):
        stages.append((w.t("series.other_stage"), ()))

    def stage_of(issue: Issue) -> int:
        return next((k for k, (_, statuses) in enumerate(stages) if issue.status in statuses),
                    len(stages) - 1)

    tiers = sorted({w.inp.tier_of(i) for i in backlog}, key=_tier_key(w.inp))
    counts = Counter((stage_of(i), w.inp.tier_of(i)) for i in backlog)
    series = tuple(Series(w.tier_name(t), tuple(float(counts[(k, t)]) for k in range(len(stages))))
                   for t in tiers)
    return Chart(STAGE_CHART, w.t("charts.backlog_by_stage"), tuple(n for n, _ in stages),
                 series, kind="stacked", x_label=w.t("axes.stage"),
                 y_label=w.t("axes.issues"))


def _priority_sorted(inp: ReportInput, names: Iterable[str]) -> list[str]:
    order = inp.priority_order
    return sorted(names, key=lambda n: (order.index(n), "") if n in order else (len(order), n))


def _backlog(w: _Words, backlog: Sequence[Issue]) -> list[object]:
    by_tier = Counter(w.inp.tier_of(i) for i in backlog)
    tiers = sorted(by_tier, key=_tier_key(w.inp))
    chart: object = Paragraph(w.t("labels.nothing"))
    if backlog:
        chart = simple_chart(BACKLOG_CHART, w.t("charts.backlog_by_tier"),
                             tuple(f"{w.tier_name(name)} ({by_tier[name]})" for name in tiers),
                             tuple(round(by_tier[name] / len(backlog) * 100, 1)
                                   for name in tiers), "%", w.t("axes.share"))
    statuses = count(i.status for i in backlog)
    priorities = dict(count(i.priority for i in backlog))
    unlabelled = sum(1 for i in backlog if not w.inp.labels_of(i))
    labels = count(label for i in backlog for label in w.inp.labels_of(i))
    labels += [(w.t("labels.no_label"), unlabelled)] if unlabelled else []
    return [chart, _stage_chart(w, backlog),
            Heading(w.t("headings.backlog_by_status"), 3), _counts(w, "status", statuses),
            Heading(w.t("headings.backlog_by_priority"), 3),
            _counts(w, "priority", [(p, priorities[p])
                                    for p in _priority_sorted(w.inp, priorities)]),
            Heading(w.t("headings.backlog_by_label"), 3), _counts(w, "label", labels)]


def _counts(w: _Words, column: str, rows: Sequence[tuple[str, int]]) -> Table:
    return Table((w.t(f"columns.{column}"), w.t("columns.open")),
                 tuple((name, str(n)) for name, n in rows), w.t("labels.nothing"))


# -- customers -------------------------------------------------------------------------------


def customers(inp: ReportInput, texts: Texts) -> Doc:
    """Tiers, each customer's open requests, SLA standing and health, upcoming key dates."""
    w = _Words(inp, texts)
    groups = _groups(inp)
    blocks = [
        Paragraph(w.as_of()),
        Heading(texts("headings.tiers")), _tiers_table(w),
        Heading(texts("headings.health")), _customer_chart(w, groups), _health_table(w, groups),
        Heading(texts("headings.health_score")), _health_score_table(w, groups),
        Heading(texts("headings.open_requests")), *_open_requests(w, groups),
        Heading(texts("headings.key_dates", days=inp.key_date_days)), _key_dates(w),
    ]
    return _doc(w, texts("titles.customers", date=w.day(inp.today)), blocks,
                w.notes("sla_standing", "request_volume", "satisfaction", "health_score"))


def _groups(inp: ReportInput) -> list[tuple[str | None, list[Issue]]]:
    """Customers of the customers file (by tier, then name), then other names found in the
    Customer field, then the issues without a customer."""
    by_name: dict[str | None, list[Issue]] = {}
    for issue in sorted(inp.issues, key=lambda i: i.id):
        by_name.setdefault(inp.customer_name(issue), []).append(issue)
    tier_key = _tier_key(inp)
    known = sorted(inp.customers.customers,
                   key=lambda c: (tier_key(inp.tier_of_customer(c)), c.name))
    names: list[str | None] = [c.name for c in known]
    names += sorted(n for n in by_name if n is not None and n not in names)
    names += [None] if None in by_name else []
    return [(name, by_name.get(name, [])) for name in names]


def _tiers_table(w: _Words) -> Table:
    tier_key = _tier_key(w.inp)
    known = sorted(w.inp.customers.customers,
                   key=lambda c: (tier_key(w.inp.tier_of_customer(c)), c.name))
    rows = tuple((w.esc(c.name), w.tier(w.inp.tier_of_customer(c)), f"{c.value:g}",
                  f"{c.fit:g}", w.person(c.account_manager)) for c in known)
    header = tuple(w.t(f"columns.{k}") for k in
                   ("customer", "tier", "value_score", "fit_score", "account_manager"))
    return Table(header, rows, w.t("labels.nothing"))


def _health_table(w: _Words, groups: Sequence[tuple[str | None, list[Issue]]]) -> Table:
    since = w.inp.now - timedelta(days=VOLUME_DAYS)
    rows = []
    for name, issues in groups:
        standing = [{r.kind for r in risks(w.inp, [i])} for i in open_issues(w.inp, issues)]
        recent = [i for i in issues if since <= i.created_on <= w.inp.now]
        kinds = count(text_of(i.cf(w.inp.fields.requirement_type))
                      or w.t("labels.unspecified") for i in recent)
        rows.append((w.esc(name) if name else w.t("labels.no_customer"), str(len(standing)),
                     str(sum(1 for s in standing if "breached" in s)),
                     str(sum(1 for s in standing if "at_risk" in s and "breached" not in s)),
                     str(len(recent)), w.join(f"{w.esc(k)} {n}" for k, n in kinds),
                     w.score(scores(w.inp, issues))))
    header = tuple(w.t(f"columns.{k}") for k in
                   ("customer", "open", "breached", "at_risk", "volume", "kinds", "satisfaction"))
    return Table(header, tuple(rows), w.t("labels.nothing"))


def _health_score_table(w: _Words, groups: Sequence[tuple[str | None, list[Issue]]]
                        ) -> Table:
    """Each customer's health score, the score one window before, and what moved it."""
    rows = []
    for name, issues in groups:
        if name is None:
            continue
        if not issues:
            rows.append((w.esc(name), w.na(), w.na(), w.na(), w.t("labels.none")))
            continue
        moved = movement(w.inp, issues)
        why = [w.t("sentences.health_moved", component=w.t(f"health.{c}"),
                   change=f"{delta:+.0f}") for c, delta in moved.why()]
        rows.append((w.esc(name), f"{moved.now.score:.0f}", f"{moved.before.score:.0f}",
                     f"{moved.change:+.0f}", w.join(why)))
    header = (w.t("columns.customer"), w.t("columns.health"),
              w.t("columns.health_before", days=w.inp.health.days),
              w.t("columns.health_change"), w.t("columns.health_why"))
    return Table(header, tuple(rows), w.t("labels.nothing"))


def _customer_chart(w: _Words, groups: Sequence[tuple[str | None, list[Issue]]]) -> object:
    """Each customer's open requests: on track, at risk, breached (worst clock first)."""
    counts: list[tuple[str, float, float, float]] = []
    for name, issues in groups:
        standing = [{r.kind for r in risks(w.inp, [i])} for i in open_issues(w.inp, issues)]
        if not standing:
            continue
        breached = sum(1 for s in standing if "breached" in s)
        at_risk = sum(1 for s in standing if "at_risk" in s and "breached" not in s)
        counts.append((name or w.t("labels.no_customer"),
                       float(len(standing) - breached - at_risk), float(at_risk),
                       float(breached)))
    if not counts:
        return Paragraph(w.t("labels.nothing"))
    return Chart(CUSTOMER_CHART, w.t("charts.customer_standing"), tuple(c[0] for c in counts),
                 (Series(w.t("series.on_track"), tuple(c[1] for c in counts), "good"),
                  Series(w.t("series.at_risk"), tuple(c[2] for c in counts), "warn"),
                  Series(w.t("series.breached"), tuple(c[3] for c in counts), "bad")),
                 kind="hbar", x_label=w.t("columns.customer"), y_label=w.t("axes.requests"))


def _open_requests(w: _Words, groups: Sequence[tuple[str | None, list[Issue]]]
                   ) -> list[object]:
    out: list[object] = []
    for name, issues in groups:
        still = open_issues(w.inp, issues)
        if still:
            title = w.esc(name) if name else w.t("labels.no_customer")
            out += [Heading(f"{title} ({len(still)})", 3),
                    Bullets(tuple(w.ref(i) for i in still))]
    return out or [Paragraph(w.t("labels.nothing"))]


def _key_dates(w: _Words) -> object:
    today = w.inp.today
    upcoming = sorted(((day, k) for k in w.inp.key_dates
                       if (day := k.next_on_or_after(today)) is not None
                       and day <= today + timedelta(days=w.inp.key_date_days)),
                      key=lambda dk: (dk[0], dk[1].customer, dk[1].what, dk[1].note))
    rows = tuple((w.day(day), w.esc(k.customer), w.t(f"key_dates.{k.what}"),
                  w.esc(k.note) if k.note else w.t("labels.none")) for day, k in upcoming)
    header = tuple(w.t(f"columns.{c}") for c in ("date", "customer", "what", "note"))
    return Table(header, rows, w.t("labels.nothing"))


# -- monthly and quarterly -------------------------------------------------------------------


def monthly(inp: ReportInput, texts: Texts, period: Period | None = None) -> Doc:
    """The month holding ``now`` (or ``period``): milestones for the monthly review."""
    period = period or month_of(inp.now, inp.timezone)
    return _review(_Words(inp, texts), period, texts("titles.monthly", month=period.label))


def quarterly(inp: ReportInput, texts: Texts, period: Period | None = None) -> Doc:
    """The quarter holding ``now`` (or ``period``, e.g. ``quarter_of(now, tz, -1)`` for the
    quarter just ended): milestones for the quarterly alignment."""
    period = period or quarter_of(inp.now, inp.timezone)
    return _review(_Words(inp, texts), period, texts("titles.quarterly", quarter=period.label))


def _review(w: _Words, period: Period, title: str) -> Doc:
    inp, t = w.inp, w.t
    end = min(period.end, inp.now)
    closed, new = closed_in(inp, inp.issues, period), created_in(inp.issues, period)
    clocks = [c for i in inp.issues for c in inp.clocks_of(i)]
    at_end = w.day(period.last_day) if end == period.end else w.when(end)
    summary = (t("sentences.closed_in_period", count=len(closed)),
               t("sentences.new_in_period", count=len(new)),
               t("sentences.sla_in_period", rate=w.ratio(attainment(clocks, period))),
               t("sentences.open_at_end", date=at_end, count=len(open_at(inp, inp.issues, end))))
    blocks = [
        Paragraph(w.period(period)),
        Heading(t("headings.summary")), Bullets(summary),
        Heading(t("headings.delivered")),
        w.listing([w.benefit(i) for i in _delivered(inp, inp.issues, period)]),
        Heading(t("headings.new_in_period")),
        w.listing([t("sentences.new_request", issue=w.ref(i), customer=w.customer(i))
                   for i in new]),
    ]
    return _doc(w, title, blocks, w.notes("closed_in_period", "business_value", "sla_in_period",
                                       "open_at_end"))


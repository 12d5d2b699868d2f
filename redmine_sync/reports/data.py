"""What the reports are built from, and the figures they show. Pure: no clock, no I/O.

``ReportInput`` carries everything a report needs (issues with journals where known, SLA
clocks, customers, field names, ``now`` and the time zone); the functions below count.
Periods are in the configured time zone: a week runs from Monday 00:00 to the next Monday
00:00, a month from the 1st 00:00, a quarter from January, April, July or October 1st.
Every period is half-open: ``start <= t < end``.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from functools import cached_property
from typing import NamedTuple
from typing import TypeVar
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from redmine_sync.config import DEFAULT_KANBAN
from redmine_sync.config import ChangeControl
from redmine_sync.config import FieldMap
from redmine_sync.config import HealthSettings
from redmine_sync.model import Issue
from redmine_sync.model import Journal
from redmine_sync.rules.customers import Customer
from redmine_sync.rules.customers import CustomerBook
from redmine_sync.sla.clock import MET
from redmine_sync.sla.clock import MetricClock

K = TypeVar("K")
KANBAN = DEFAULT_KANBAN
PRIORITIES = ("Immediate", "Urgent", "High", "Normal", "Low")   # Redmine's default order
KEY_DATE_KINDS = ("launch", "anniversary", "birthday", "renewal")
AT_RISK = 0.75          # an open clock at or above this share of its target is at risk
HOUR = 3600.0
Day = date   # KeyDate has a field named "date"
DAY = 86400.0


@dataclass(frozen=True)
class KeyDate:
    """A customer's key date. ``launch`` and ``renewal`` (of the contract) happen once on
    ``date``; ``anniversary`` and ``birthday`` come back every year (``date`` is the
    original day, e.g. the founding)."""

    customer: str
    date: date
    what: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.what not in KEY_DATE_KINDS:
            raise ValueError(f"key date of {self.customer}: unknown kind {self.what!r}; "
                             f"expected one of {', '.join(KEY_DATE_KINDS)}")

    def next_on_or_after(self, day: Day) -> Day | None:
        """The next occurrence on or after ``day`` (29 February falls on the 28th)."""
        if self.what in ("launch", "renewal"):
            return self.date if self.date >= day else None
        for year in (day.year, day.year + 1):
            try:
                candidate = self.date.replace(year=year)
            except ValueError:
                candidate = Day(year, 2, 28)
            if candidate >= day:
                return candidate
        return None


@dataclass(frozen=True)
class ReportInput:
    """Everything a report is built from. ``now`` must be timezone-aware."""

    now: datetime
    timezone: str
    issues: tuple[Issue, ...]
    clocks: Mapping[int, tuple[MetricClock, ...]]
    customers: CustomerBook
    fields: FieldMap
    closed_statuses: frozenset[str]
    kanban: tuple[tuple[str, tuple[str, ...]], ...] = KANBAN
    lang: str = "en"
    key_dates: tuple[KeyDate, ...] = ()
    satisfaction_field: str | None = None
    author_mails: Mapping[int, str] = field(default_factory=dict)
    rejected_statuses: frozenset[str] = frozenset({"Rejected"})
    rejected_label: str | None = "rejected"
    priority_order: tuple[str, ...] = PRIORITIES
    people: Mapping[str, str] = field(default_factory=dict)   # login -> display name
    satisfaction_scale: str = "csat"        # csat (mean of 1-5) or nps (0-10 answers)
    key_date_days: int = 30                 # key dates shown this many days ahead
    risk_label: str | None = "risk"         # open issues with it: risks people added
    risk_tracker: str | None = None         # open issues of it: risks people added
    health: HealthSettings = field(default_factory=HealthSettings)
    change_control: ChangeControl = field(default_factory=ChangeControl)
    markup: str = "textile"  # the text format user text is escaped for (markup.escape)

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("ReportInput.now must be timezone-aware")
        zone(self.timezone)

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.tz)

    @property
    def today(self) -> date:
        return self.local(self.now).date()

    @cached_property
    def _by_id(self) -> dict[int, Issue]:
        return {issue.id: issue for issue in self.issues}

    def issue(self, issue_id: int) -> Issue | None:
        return self._by_id.get(issue_id)

    def is_closed(self, issue: Issue) -> bool:
        return issue.is_closed or issue.status in self.closed_statuses

    def is_open(self, issue: Issue) -> bool:
        return not self.is_closed(issue)

    def customer_of(self, issue: Issue) -> Customer | None:
        return self.customers.find(
            field_value=issue.cf(self.fields.customer), project=issue.project.name,
            author_mail=self.author_mails.get(issue.author.id))

    def customer_name(self, issue: Issue) -> str | None:
        """The customer's name in the customers file, else the Customer field as written."""
        customer = self.customer_of(issue)
        if customer is not None:
            return customer.name
        return text_of(issue.cf(self.fields.customer))

    def tier_of(self, issue: Issue) -> str | None:
        """The tier of the issue's customer, else the Tier field as written."""
        tier = self.customers.tier_of(self.customer_of(issue))
        return tier.name if tier is not None else text_of(issue.cf(self.fields.tier))

    def tier_of_customer(self, customer: Customer) -> str | None:
        tier = self.customers.tier_of(customer)
        return tier.name if tier is not None else None

    def labels_of(self, issue: Issue) -> tuple[str, ...]:
        value = issue.cf(self.fields.labels)
        if isinstance(value, str):
            return (value,) if value.strip() else ()
        return tuple(sorted(v for v in value or () if v.strip()))

    def clocks_of(self, issue: Issue) -> tuple[MetricClock, ...]:
        return self.clocks.get(issue.id, ())

    def is_rejected(self, issue: Issue) -> bool:
        return issue.status in self.rejected_statuses or (
            self.rejected_label is not None and self.rejected_label in self.labels_of(issue))

    def for_customer(self, name: str) -> tuple[Issue, ...]:
        """The issues of one customer, by name or alias (case-insensitive). ValueError when
        neither the customers file nor any issue knows the name."""
        wanted = name.strip().casefold()
        found = tuple(i for i in self.issues if wanted in self._names(i))
        if not found and self.customer_named(name) is None:
            known = sorted(c.name for c in self.customers.customers)
            raise ValueError(f"unknown customer {name!r}" + (
                f"; the customers file has: {', '.join(known)}" if known else ""))
        return found

    def customer_named(self, name: str) -> Customer | None:
        """The customer of the customers file with this name or alias (case-insensitive)."""
        wanted = name.strip().casefold()
        return next((c for c in self.customers.customers
                     if wanted in {n.casefold() for n in (c.name, *c.aliases)}), None)

    def _names(self, issue: Issue) -> set[str]:
        customer = self.customer_of(issue)
        if customer is not None:
            return {n.casefold() for n in (customer.name, *customer.aliases)}
        raw = text_of(issue.cf(self.fields.customer))
        return {raw.casefold()} if raw else set()


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (expected an IANA name such as "
                         "Asia/Shanghai)") from None


def text_of(value: object) -> str | None:
    """A custom field's value as text, None when empty or multi-valued."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


# -- periods ---------------------------------------------------------------------------------


class Period(NamedTuple):
    """``start <= t < end``, both midnight in the configured time zone."""

    start: datetime
    end: datetime
    label: str

    def holds(self, instant: datetime | None) -> bool:
        return instant is not None and self.start <= instant < self.end

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return self.end.date() - timedelta(days=1)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def week_of(now: datetime, tz: str, offset: int = 0) -> Period:
    """The ISO week holding ``now`` (``offset`` weeks later or earlier): label 2026-W47."""
    zi = zone(tz)
    local = now.astimezone(zi).date()
    monday = local - timedelta(days=local.weekday()) + timedelta(weeks=offset)
    year, week, _ = monday.isocalendar()
    return Period(_midnight(monday, zi), _midnight(monday + timedelta(days=7), zi),
                  f"{year}-W{week:02d}")


def _month_start(year: int, month: int) -> date:
    """The first day of ``month`` (which may be out of 1..12: it rolls into other years)."""
    years, index = divmod(month - 1, 12)
    return date(year + years, index + 1, 1)


def month_of(now: datetime, tz: str, offset: int = 0) -> Period:
    """The calendar month holding ``now`` (``offset`` months later or earlier): label 2026-11."""
    zi = zone(tz)
    local = now.astimezone(zi).date()
    first = _month_start(local.year, local.month + offset)
    following = _month_start(first.year, first.month + 1)
    return Period(_midnight(first, zi), _midnight(following, zi), f"{first:%Y-%m}")


def quarter_of(now: datetime, tz: str, offset: int = 0) -> Period:
    """The quarter holding ``now`` (``offset`` quarters later or earlier): label 2026-Q4."""
    zi = zone(tz)
    local = now.astimezone(zi).date()
    first = _month_start(local.year, (local.month - 1) // 3 * 3 + 1 + 3 * offset)
    following = _month_start(first.year, first.month + 3)
    return Period(_midnight(first, zi), _midnight(following, zi),
                  f"{first.year}-Q{(first.month - 1) // 3 + 1}")


# -- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """A share with its counts; ``value`` is None when there is nothing to divide by."""

    num: int
    den: int

    @property
    def value(self) -> float | None:
        return self.num / self.den if self.den else None


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count)."""
    return float(statistics.median(values)) if values else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest rank: the smallest value with at least ``p`` % of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def closed_in(inp: ReportInput, issues: Iterable[Issue], period: Period) -> list[Issue]:
    """Issues closed now whose (last) closing falls in the period, by id."""
    return sorted((i for i in issues if inp.is_closed(i) and i.closed_on is not None
                   and period.holds(i.closed_on)), key=_id)


def created_in(issues: Iterable[Issue], period: Period) -> list[Issue]:
    return sorted((i for i in issues if period.holds(i.created_on)), key=_id)


def open_issues(inp: ReportInput, issues: Iterable[Issue]) -> list[Issue]:
    return sorted((i for i in issues if inp.is_open(i)), key=_id)


def completion(inp: ReportInput, issues: Iterable[Issue], period: Period) -> Ratio:
    """Closed in the period / (closed in the period + open now)."""
    items = tuple(issues)
    closed = len(closed_in(inp, items, period))
    return Ratio(closed, closed + len(open_issues(inp, items)))


def was_open(inp: ReportInput, issue: Issue, instant: datetime) -> bool:
    """Whether the issue existed and was open at ``instant``: from the status changes in the
    journals when known, else from the current state and ``closed_on``."""
    if issue.created_on >= instant:
        return False
    if issue.journals is None:
        return inp.is_open(issue) or (issue.closed_on is not None
                                      and issue.closed_on >= instant)
    for journal in _ordered(issue.journals):
        change = _status_change(journal)
        if change is not None and journal.created_on >= instant:
            return change[0] not in inp.closed_statuses
    return inp.is_open(issue)


def open_at(inp: ReportInput, issues: Iterable[Issue], instant: datetime) -> list[Issue]:
    return sorted((i for i in issues if was_open(inp, i, instant)), key=_id)


# -- SLA ---------------------------------------------------------------------------------------


def on_time(clock: MetricClock) -> bool:
    return clock.state == MET and not clock.breached and clock.target is not None


def attainment(clocks: Iterable[MetricClock], period: Period | None = None) -> Ratio:
    """Clocks met on time / (met on time + breached). With a period: met on time by a stop
    in the period, breached at an instant in the period."""
    met = breached = 0
    for clock in clocks:
        if on_time(clock) and (period is None or period.holds(clock.stopped)):
            met += 1
        elif clock.breached and (period is None or period.holds(clock.breached_at)):
            breached += 1
    return Ratio(met, met + breached)


def attainment_by(inp: ReportInput, issues: Iterable[Issue], key: Callable[[Issue], K],
                  period: Period | None = None) -> dict[K, Ratio]:
    """Attainment per group of issues (``key``: tier, priority...)."""
    groups: dict[K, list[MetricClock]] = {}
    for issue in sorted(issues, key=_id):
        groups.setdefault(key(issue), []).extend(inp.clocks_of(issue))
    return {name: attainment(clocks, period) for name, clocks in groups.items()}


def stopped_hours(inp: ReportInput, issues: Iterable[Issue], metric: str) -> list[float]:
    """Business hours of every clock of ``metric`` that was met (response given, resolved)."""
    return [c.elapsed / HOUR for i in sorted(issues, key=_id) for c in inp.clocks_of(i)
            if c.metric == metric and c.state == MET]


def cycle_days(inp: ReportInput, issues: Iterable[Issue]) -> list[float]:
    """Calendar days from creation to (last) closing, for issues closed now."""
    return [(i.closed_on - i.created_on).total_seconds() / DAY for i in sorted(issues, key=_id)
            if inp.is_closed(i) and i.closed_on is not None]


@dataclass(frozen=True)
class Risk:
    """``kind``: breached, at_risk (SLA clock), overdue, blocked; flagged (a person's label)
    or registered (an issue of the risk tracker)."""

    issue: Issue
    kind: str
    clock: MetricClock | None = None
    blocker: Issue | None = None


RISK_KINDS = ("breached", "at_risk", "overdue", "blocked", "flagged", "registered")


def clock_risks(inp: ReportInput, issue: Issue) -> list[Risk]:
    """Open clocks past their target (breached) or at 75 % of it or more (at risk)."""
    out = []
    for clock in inp.clocks_of(issue):
        fraction = clock.fraction()
        if not clock.open or fraction is None:
            continue
        if clock.breached:
            out.append(Risk(issue, "breached", clock))
        elif fraction >= AT_RISK:
            out.append(Risk(issue, "at_risk", clock))
    return out


def blockers(inp: ReportInput, issue: Issue) -> list[Issue]:
    """Open issues that block this one (relations to issues not in the data are skipped)."""
    ids = set()
    for rel in issue.relations:
        if rel.type == "blocks" and rel.issue_to_id == issue.id:
            ids.add(rel.issue_id)
        elif rel.type == "blocked" and rel.issue_id == issue.id:
            ids.add(rel.issue_to_id)
    found = (inp.issue(i) for i in sorted(ids))
    return [b for b in found if b is not None and inp.is_open(b)]


def risks(inp: ReportInput, issues: Iterable[Issue]) -> list[Risk]:
    """Every risk of the open issues, by issue id, then breached, at risk, overdue, blocked."""
    out: list[Risk] = []
    for issue in open_issues(inp, issues):
        out += clock_risks(inp, issue)
        if issue.due_date is not None and issue.due_date < inp.today:
            out.append(Risk(issue, "overdue"))
        out += [Risk(issue, "blocked", blocker=b) for b in blockers(inp, issue)]
        if inp.risk_tracker and issue.tracker == inp.risk_tracker:
            out.append(Risk(issue, "registered"))   # a risk a person filed as an issue
        elif inp.risk_label and inp.risk_label in inp.labels_of(issue):
            out.append(Risk(issue, "flagged"))   # a risk a person added by the label
    return out


# -- journals ------------------------------------------------------------------------------


def _ordered(journals: Iterable[Journal]) -> list[Journal]:
    return sorted(journals, key=lambda j: (j.created_on, j.id))


def _status_change(journal: Journal) -> tuple[str | None, str | None] | None:
    for detail in journal.details:
        if detail.property == "attr" and detail.field == "status":
            return detail.old, detail.new
    return None


def reopened(inp: ReportInput, issue: Issue) -> bool:
    """A closed -> open status change in the journals."""
    return any(change[0] in inp.closed_statuses and change[1] not in inp.closed_statuses
               for change in map(_status_change, issue.journals or ()) if change)


def ever_closed(inp: ReportInput, issue: Issue) -> bool:
    return inp.is_closed(issue) or any(
        change[1] in inp.closed_statuses
        for change in map(_status_change, issue.journals or ()) if change)


def changed_after_confirmation(inp: ReportInput, issue: Issue) -> bool | None:
    """Subject or description edited in a journal after the first status change to an open
    status (the confirmation); None when never confirmed or the journals are unknown."""
    journals = _ordered(issue.journals or ())
    confirmed = next((k for k, j in enumerate(journals)
                      if (c := _status_change(j)) and c[1] not in inp.closed_statuses), None)
    if issue.journals is None or confirmed is None:
        return None
    return any(d.property == "attr" and d.field in ("subject", "description")
               for j in journals[confirmed + 1:] for d in j.details)


@dataclass(frozen=True)
class ChangeRequests:
    raised: int
    approved: int
    rejected: int

    @property
    def open(self) -> int:
        return max(0, self.raised - self.approved - self.rejected)


def change_requests(inp: ReportInput, issues: Iterable[Issue]) -> ChangeRequests | None:
    """Change requests raised, approved and rejected, from the journals (the labels and
    statuses of ``change_control``); None when no issue's journals are known."""
    known = with_journals(issues)
    if not known:
        return None
    rules, labels = inp.change_control, f"cf.{inp.fields.labels}"
    raised = approved = rejected = 0
    for detail in (d for i in known for j in i.journals or () for d in j.details):
        if detail.field == labels:
            raised += detail.new == rules.label
            approved += detail.new is not None and detail.new == rules.approved_label
            rejected += detail.new is not None and detail.new == rules.rejected_label
        elif detail.field == "status" and detail.new is not None:
            approved += detail.new == rules.approved_status
            rejected += detail.new == rules.rejected_status
    return ChangeRequests(raised, approved, rejected)


def with_journals(issues: Iterable[Issue]) -> list[Issue]:
    return sorted((i for i in issues if i.journals is not None), key=_id)


def deviation(inp: ReportInput, issues: Iterable[Issue]) -> Ratio | None:
    """Confirmed issues changed after confirmation / confirmed issues (journals known)."""
    known = with_journals(issues)
    if not known:
        return None
    answers = [changed_after_confirmation(inp, i) for i in known]
    return Ratio(sum(1 for a in answers if a), sum(1 for a in answers if a is not None))


def reopen_rate(inp: ReportInput, issues: Iterable[Issue]) -> Ratio | None:
    """Issues reopened / issues closed at least once (journals known)."""
    known = with_journals(issues)
    if not known:
        return None
    closed = [i for i in known if ever_closed(inp, i)]
    return Ratio(sum(1 for i in closed if reopened(inp, i)), len(closed))


def rejected_share(inp: ReportInput, issues: Iterable[Issue]) -> Ratio:
    items = tuple(issues)
    return Ratio(sum(1 for i in items if inp.is_rejected(i)), len(items))


def scores(inp: ReportInput, issues: Iterable[Issue]) -> list[float]:
    """Satisfaction answers: numbers in the satisfaction field (others are skipped)."""
    if inp.satisfaction_field is None:
        return []
    out = []
    for issue in sorted(issues, key=_id):
        text = text_of(issue.cf(inp.satisfaction_field))
        try:
            value = float(text) if text else math.nan
        except ValueError:
            value = math.nan
        if math.isfinite(value):
            out.append(value)
    return out


@dataclass(frozen=True)
class Nps:
    """Net promoter score: promoters (9-10) minus detractors (0-6), in % of the answers."""

    promoters: int
    passives: int
    detractors: int

    @property
    def answers(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float | None:
        if not self.answers:
            return None
        return (self.promoters - self.detractors) / self.answers * 100


def nps(answers: Iterable[float]) -> Nps:
    values = list(answers)
    return Nps(sum(1 for v in values if v >= 9), sum(1 for v in values if 7 <= v < 9),
               sum(1 for v in values if v < 7))


def satisfaction(inp: ReportInput, issues: Iterable[Issue]) -> float | None:
    answers = scores(inp, issues)
    return sum(answers) / len(answers) if answers else None


def count(values: Iterable[str]) -> list[tuple[str, int]]:
    """Value -> count, most frequent first, then by name."""
    return sorted(Counter(values).items(), key=lambda kv: (-kv[1], kv[0]))


def _id(issue: Issue) -> int:
    return issue.id

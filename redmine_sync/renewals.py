# ruff: noqa: RUF001  (Chinese punctuation on purpose)
"""Contract renewal reminders: a plan-level producer that runs after the rules.

A renewal in the customers file that names the issue tracking it (``key_dates[].issue``)
gets, ``reports.key_dates_days`` ahead of its date, a private note naming the renewal, its
date and the account manager, and/or the issue assigned to the account manager
(``reports.renewal_reminder``: both off by default). The reminder is an ordinary plan of
that issue (a note, a typed change) carrying a ``ReminderMark``: apply records the mark
once the write landed, like an SLA threshold's, so each (customer, date) is reminded once
and never again. Deciding is pure: (customers, issues, settings, now, marks fired);
``gathered`` reads what it needs besides (the renewals' issues, the managers' names) and
``Join`` joins them to the rules' plans of their issues.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import datetime
from zoneinfo import ZoneInfo

from redmine_sync.changes import Change
from redmine_sync.changes import ReminderMark
from redmine_sync.config import Config
from redmine_sync.config import RenewalReminder
from redmine_sync.errors import NotFound
from redmine_sync.errors import UserError
from redmine_sync.markup import escape
from redmine_sync.model import Issue
from redmine_sync.plan import IssuePlan
from redmine_sync.plan import Note
from redmine_sync.plan import Plan
from redmine_sync.redmine import RedmineClient
from redmine_sync.redmine.catalog import UnknownName
from redmine_sync.rules import RuleSet
from redmine_sync.rules.customers import Customer
from redmine_sync.rules.customers import CustomerBook
from redmine_sync.rules.customers import KeyDate
from redmine_sync.rules.state import World
from redmine_sync.store import StateStore

RULE = "renewal-reminder"
WORDS = {   # by language: the customer's lang, else reports.lang (both en or zh)
    "en": {
        "note": "Contract renewal of {customer}{about} on {date}: {days} day(s) from today. "
                "Account manager: {manager}.",
        "about": " ({note})",
        "no_manager": "none named in the customers file",
        "reason": "contract renewal of {customer} on {date}, {days} day(s) ahead",
    },
    "zh": {
        "note": "{customer}的合同续约{about}在 {date}，还有 {days} 天。客户经理：{manager}。",
        "about": "（{note}）",
        "no_manager": "客户文件中未指定",
        "reason": "{customer}的合同续约在 {date}，还有 {days} 天",
    },
}


@dataclass(frozen=True)
class Due:
    """A renewal whose reminder is due now and was not given yet."""

    customer: Customer
    date: KeyDate
    days_left: int

    @property
    def issue_id(self) -> int:
        assert self.date.issue is not None
        return self.date.issue

    @property
    def mark(self) -> ReminderMark:
        return ReminderMark(self.customer.name, self.date.day, self.date.what)


def today(now: datetime, zone: str) -> date:
    """The day it is in the reports' time zone (key dates are days there)."""
    return now.astimezone(ZoneInfo(zone)).date()


def due(customers: CustomerBook, settings: RenewalReminder, days: int, day: date,
        fired: Iterable[tuple[int, str, str]]) -> tuple[Due, ...]:
    """The renewals with an issue whose date is ``days`` or fewer ahead of ``day`` (not
    past), not reminded yet under any issue. Nothing when both reminders are off."""
    if not settings.on:
        return ()
    given = {(policy, key) for _issue, policy, key in fired}
    out = []
    for customer in customers.customers:
        for key_date in customer.key_dates:
            if key_date.what != "renewal" or key_date.issue is None:
                continue
            left = (key_date.day - day).days
            found = Due(customer, key_date, left)
            if 0 <= left <= days and (found.mark.policy, found.mark.key) not in given:
                out.append(found)
    return tuple(out)


def reminders(found: Iterable[Due], issues: Mapping[int, Issue], settings: RenewalReminder,
              lang: str, markup: str, names: Mapping[str, str]) -> tuple[IssuePlan, ...]:
    """The plan of each due renewal's issue: the note and/or the assignment, and its mark.

    ``issues``: the renewals' issues as read (a closed one gets nothing); the words are
    in the customer's ``lang``, else ``lang``; ``names``: display names of the
    account managers' logins (an issue already assigned to its manager stays as it is).
    A reminder with nothing to do (assign only, no manager, or already assigned) still
    carries its mark: there is nothing left to remind."""
    out: dict[int, IssuePlan] = {}
    for item in found:
        issue = issues.get(item.issue_id)
        if issue is None or issue.is_closed:
            continue
        manager = item.customer.account_manager
        words = WORDS.get(item.customer.lang or lang, WORDS["en"])
        reason = words["reason"].format(customer=item.customer.name,
                                        date=item.date.day.isoformat(), days=item.days_left)
        changes: tuple[Change, ...] = ()
        current = issue.assigned_to.name if issue.assigned_to else None
        if settings.assign and manager and current not in (manager, names.get(manager)):
            changes = (Change.of("assigned_to", manager, RULE, reason, old=current),)
        notes = (Note(_note(item, words, markup, names), False, RULE),) if settings.note \
            else ()
        plan = IssuePlan(issue.id, issue.subject, issue.updated_on, changes, notes,
                         sla_marks=(item.mark,))
        out[issue.id] = _joined(out[issue.id], plan) if issue.id in out else plan
    return tuple(out.values())


def _note(item: Due, words: Mapping[str, str], markup: str, names: Mapping[str, str]) -> str:
    manager = item.customer.account_manager
    about = words["about"].format(note=item.date.note) if item.date.note else ""
    text = words["note"].format(customer=item.customer.name, about=about,
                                date=item.date.day.isoformat(), days=item.days_left,
                                manager=names.get(manager, manager) if manager
                                else words["no_manager"])
    return escape(text, markup)


def _joined(a: IssuePlan, b: IssuePlan) -> IssuePlan:
    """Two reminders on one issue (two customers' renewals tracked together)."""
    taken = {c.field for c in a.changes}
    return replace(a, changes=a.changes + tuple(c for c in b.changes if c.field not in taken),
                   notes=a.notes + b.notes, sla_marks=a.sla_marks + b.sla_marks)


def merged(item: IssuePlan, reminder: IssuePlan) -> IssuePlan:
    """The rules' plan of an issue with a reminder added (its note goes in the private
    note, beside a public one if a rule has one: notes.compose_notes); what a rule decides
    for the same field, or people kept, comes first."""
    taken = {c.field for c in (*item.changes, *item.held)}
    return replace(item, changes=item.changes + tuple(c for c in reminder.changes
                                                      if c.field not in taken),
                   notes=item.notes + reminder.notes,
                   sla_marks=item.sla_marks + reminder.sla_marks)


def with_reminders(plan: Plan, found: Iterable[IssuePlan]) -> Plan:
    """``plan`` with each reminder merged into its issue's plan, or added after them."""
    extra = {r.issue_id: r for r in found}
    if not extra:
        return plan
    issues = []
    for item in plan.issues:
        reminder = extra.pop(item.issue_id, None)
        issues.append(merged(item, reminder) if reminder else item)
    return replace(plan, issues=(*issues, *extra.values()))


def gathered(client: RedmineClient, config: Config, ruleset: RuleSet,
             issues: Sequence[Issue], world: World, store: StateStore | None,
             issue_id: int | None) -> tuple[IssuePlan, ...]:
    """The reminders due now, with what deciding them needs: their issues (``issues`` as
    read this run, else read one by one) and the account managers' names. Only the
    reminder of ``issue_id`` when given."""
    reports = config.reports
    if not reports.renewal_reminder.on:   # off (the default): not even the marks are read
        return ()
    fired = store.sla_fired() if store is not None else world.sla_fired
    found = tuple(d for d in due(ruleset.customers, reports.renewal_reminder,
                                 reports.key_dates_days, today(world.now, reports.timezone),
                                 fired)
                  if issue_id is None or d.issue_id == issue_id)
    if not found:
        return ()
    known = {i.id: i for i in issues}
    read = {d.issue_id: known.get(d.issue_id) or _issue(client, ruleset, d) for d in found}
    names = {}
    for login in {d.customer.account_manager for d in found if d.customer.account_manager}:
        try:
            names[login] = client.catalog().principals.get(login).name
        except UnknownName:
            continue   # not a user: the note names the login as written
    return reminders(found, read, reports.renewal_reminder, reports.lang,
                     config.text_formatting, names)


def _issue(client: RedmineClient, ruleset: RuleSet, found: Due) -> Issue:
    try:
        return client.get_issue(found.issue_id, journals=False)
    except NotFound:
        raise UserError(
            f"{ruleset.customers_file or 'the customers file'}: the {found.date.day} renewal "
            f"of {found.customer.name!r} names issue #{found.issue_id}, which {client.url} "
            "does not have (or the bot may not see)",
            hint="fix key_dates[].issue in the customers file") from None


class Join:
    """The reminders ``found`` joined to the rules' plans of their issues (rules.evaluate).

    ``each`` goes to ``evaluate`` in place of the consumer's own: it joins a reminder to
    its issue's plan as the plan streams past. ``joined`` then finishes the plan: a
    reminder whose issue had no plan follows the others, and a streamed plan's totals
    count what went out. Without a consumer (``each`` None), the plan holds its issue
    plans and ``joined`` merges the reminders into them."""

    def __init__(self, found: Sequence[IssuePlan],
                 each: Callable[[IssuePlan], None] | None) -> None:
        self.found = found
        self.consumer = each
        self.each = self._emit if each is not None else None
        self._waiting = {r.issue_id: r for r in found}
        self._swapped: list[tuple[IssuePlan, IssuePlan]] = []

    def _emit(self, item: IssuePlan) -> None:
        assert self.consumer is not None
        reminder = self._waiting.pop(item.issue_id, None)
        joined = merged(item, reminder) if reminder else None
        if joined:
            self._swapped.append((item, joined))
        self.consumer(joined or item)

    def joined(self, plan: Plan) -> Plan:
        if self.consumer is None:
            return with_reminders(plan, self.found)
        for reminder in self._waiting.values():
            self.consumer(reminder)
            self._swapped.append((IssuePlan(reminder.issue_id, "", reminder.updated_on),
                                  reminder))
        self._waiting.clear()
        for before, after in self._swapped:
            if plan.streamed is not None:
                plan.streamed.add(before, -1)
                plan.streamed.add(after)
        return plan

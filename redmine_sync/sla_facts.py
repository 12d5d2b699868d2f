"""What SLA clocks need besides the issues: their journals, who counts as staff, the bot,
and the verdicts recorded for stopped clocks (the marks already fired are the world's).

``sync.read_snapshot`` adds these to the world of a run; ``reports.inputs`` uses them
for the reports' clocks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from functools import partial
from typing import Any

from redmine_sync import progress
from redmine_sync.errors import RedmineError
from redmine_sync.errors import RedmineTLSError
from redmine_sync.errors import RedmineUnavailable
from redmine_sync.lookups import remembered
from redmine_sync.model import Issue
from redmine_sync.model import Journal
from redmine_sync.redmine import RedmineClient
from redmine_sync.rules import RuleSet
from redmine_sync.rules.conversation import AFTER_CLOSING
from redmine_sync.rules.engine import start_state
from redmine_sync.rules.sla_policy import Policy
from redmine_sync.rules.sla_policy import SlaConfig
from redmine_sync.rules.sla_stage import policy_for
from redmine_sync.rules.state import World
from redmine_sync.sla.clock import MetricClock
from redmine_sync.sla_verdict import Verdict
from redmine_sync.sla_verdict import settle
from redmine_sync.store import StateStore

log = logging.getLogger(__name__)


def with_sla_facts(client: RedmineClient, ruleset: RuleSet, world: World,
                   issues: Sequence[Issue], projects: Sequence[str | None],
                   store: StateStore | None, reads: Reads | None = None,
                   held: Held | None = None) -> World:
    """Journals (from the cache unless the issue changed), staff, the bot.

    With ``reads`` (an apply run), each journal read also asks the statuses the workflow
    allows and is kept there: apply writes those issues without reading them again."""
    found = journals(client, issues, store, reads, held)
    staff, bot = staff_and_bot(client, ruleset, projects, store, world.now)
    return replace(world, journals=found, staff_ids=staff, bot_id=bot)


def staff_and_bot(client: RedmineClient, ruleset: RuleSet, projects: Sequence[str | None],
                  store: StateStore | None, now: datetime) -> tuple[frozenset[int], int]:
    """Who counts as staff, and the bot's id (remembered across runs for a while).
    Without an SLA file (rules on who spoke last only) there is no staff list: everyone but
    an issue's author counts as staff (rules/conversation.speaker)."""
    sla = ruleset.sla
    staff = remembered(store, "staff", now, partial(staff_ids, client, sla, projects)) \
        if sla is not None else []
    bot = remembered(store, "bot", now, lambda: client.current_user().id)
    return frozenset(staff), int(bot)


def clocked(ruleset: RuleSet, issues: Sequence[Issue], world: World) -> list[Issue]:
    """The issues whose clocks (or journal fields) a run needs, so whose journals it reads:
    the open ones, the closed ones a policy covers as they stand (the shipped policy:
    none), and every closed one when a rule reads a field of what follows a closing
    (conversation.AFTER_CLOSING: the survey's answer).

    A closed issue no policy covers has no clock. (One a rule reopens this run gets its
    clock on the next run, once the reopening landed: the write changes the issue.)"""
    sla = ruleset.sla
    if set(ruleset.journal_fields) & set(AFTER_CLOSING):
        return list(issues)
    if sla is None:   # rules on who spoke last only: the open issues
        return [i for i in issues if not i.is_closed]
    return [i for i in issues if not i.is_closed or
            policy_for(sla, start_state(i, world, ruleset), world) is not None]


def journals(client: RedmineClient, issues: Sequence[Issue], store: StateStore | None,
             reads: Reads | None = None, held: Held | None = None
             ) -> dict[int, tuple[Journal, ...]]:
    """Each issue's journals: those the run holds (``held``), else from the cache, unless
    the issue changed since; found ones are held for the rest of the run. None without a
    read for an issue never changed since it was created (Redmine sets updated_on with
    every journal; in an apply run, whose journal read is also the read before the write,
    such an issue is read all the same)."""
    out = {}
    fetched = []
    for done, issue in enumerate(issues, 1):
        cached = held.get(issue) if held is not None else None
        if cached is None and store is not None:
            cached = store.journals(issue.id, issue.updated_on)
        if cached is None and reads is None and issue.updated_on == issue.created_on:
            cached = ()
        if cached is None:
            read = client.issue_journals(issue.id, allowed_statuses=reads is not None)
            cached = read.journals or ()
            fetched.append((issue, cached))
            if reads is not None:
                reads.add(read, listed=issue.updated_on)
        if held is not None:
            held.keep(issue, cached)
        out[issue.id] = cached
        progress.advance(progress.JOURNALS_READ, done, len(issues))
    if store and fetched:  # one transaction, after the reads: none held across requests
        with store.transaction():
            for issue, cached in fetched:
                store.cache_journals(issue.id, issue.updated_on, cached)
    return out


class Held:
    """The journals one run holds, each with the ``updated_on`` of the issue it was found
    for: the SLA pass's, then the reports' of the same run take theirs from here before
    the cache (an issue written since is found again, in the cache apply filled)."""

    def __init__(self) -> None:
        self._rows: dict[int, tuple[datetime, tuple[Journal, ...]]] = {}

    def get(self, issue: Issue) -> tuple[Journal, ...] | None:
        row = self._rows.get(issue.id)
        return row[1] if row is not None and row[0] == issue.updated_on else None

    def keep(self, issue: Issue, found: tuple[Journal, ...]) -> None:
        self._rows[issue.id] = (issue.updated_on, found)


class Reads:
    """The issues an apply run read with their journals and allowed statuses while
    planning: apply's read before the write, while the issue list still shows it
    unchanged (``updated_on``: a person may have edited it since; then it is read again,
    found changed and left for the next run) and it is at most ``max_age`` seconds old.
    That limit is for what the stamp does not cover (the allowed statuses follow the
    workflow and the bot's roles, which an administrator may change): 30 minutes, so an
    apply that writes slowly (a busy Redmine) does not read each issue a third time; a
    status Redmine then refuses all the same is dropped, and the read after the write
    reports it.

    The list is asked for the next issues to write together, in the order given to
    ``will_write``, and only for those changed since the newest ``updated_on`` the
    planning listing showed before the reads (less a second): an edit made after a read
    is stamped no earlier than that, so an issue the list leaves out is unchanged since
    its read. Its answer is trusted for ``listed_for`` seconds: an edit made in the last
    seconds before a write (or within the second of the planning read: Redmine's stamps
    are whole seconds) can still go unseen; Redmine's API shows no lock version to send
    with the write instead. How many issues one list asks for follows how many writes
    the last answer served while it was trusted (``FIRST`` to begin with, at most
    ``BATCH``): the issues to write are mostly those a person just edited, which the
    filter cannot leave out, and Redmine renders each one it lists (a list of 20 is about
    four times the work of a list of 1), so asking for more than the writes of the next
    seconds only renders issues that must be listed again.

    When the list cannot be read (an error or an answer it cannot use), each issue left is
    read again before its write, for the rest of the run: a failing read then fails that
    issue only. A Redmine that cannot be reached stops the run as any read would.

    Kept small: the time stamp and allowed statuses of each (the same tuples shared);
    the journals are the world's."""

    BATCH = 20   # the most issues one list asks for
    FIRST = 8    # the first list's, before any answer has shown the pace of the writes

    def __init__(self, updated_on: Callable[[Sequence[int], datetime | None],
                                            dict[int, datetime]],
                 max_age: float = 1800.0, listed_for: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.updated_on = updated_on
        self.max_age = max_age
        self.listed_for = listed_for
        self.clock = clock
        self._rows: dict[int, tuple[float, datetime, tuple[str, ...] | None]] = {}
        self._shared: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._order: dict[int, int] = {}   # issue id -> its place in the writing order
        self._writing: list[int] = []
        self._listed: dict[int, tuple[float, datetime | None]] = {}
        self._unlisted = False   # the list failed once: read each issue before its write
        self._newest: datetime | None = None   # the newest updated_on listed before
        self._answer: tuple[float, int] | None = None  # the last list: asked when, how many
        self._served = 0   # the writes its answer served

    def add(self, issue: Issue, listed: datetime) -> None:
        """The issue as read now; ``listed``: its ``updated_on`` as listed before the reads
        (this run's issue list, or the cache of an earlier one)."""
        allowed = issue.allowed_statuses
        if allowed is not None:
            allowed = self._shared.setdefault(allowed, allowed)
        self._rows[issue.id] = (self.clock(), issue.updated_on, allowed)
        if self._newest is None or listed > self._newest:
            self._newest = listed

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, issue_id: object) -> bool:
        return issue_id in self._order

    def will_write(self, issue_ids: Sequence[int]) -> None:
        """The issues apply is about to write, in its order (listed together)."""
        self._writing = [i for i in issue_ids if i in self._rows]
        self._order = {issue_id: at for at, issue_id in enumerate(self._writing)}

    def before_write(self, listed: Issue, journals: tuple[Journal, ...] | None
                     ) -> Issue | None:
        """The issue as read this run (``listed``: as listed, ``journals``: as read), or
        None when it was not read, the read is too old, or the issue changed since."""
        row = self._rows.get(listed.id)
        if row is None or journals is None or self.clock() - row[0] > self.max_age:
            return None
        if self._listed_now(listed.id) != row[1]:
            return None
        return replace(listed, updated_on=row[1], journals=journals, allowed_statuses=row[2])

    def _listed_now(self, issue_id: int) -> datetime | None:
        """The issue's ``updated_on`` as the list showed it at most ``listed_for`` ago;
        None when it does not show it or cannot be read."""
        if self._unlisted:
            return None
        seen = self._listed.get(issue_id)
        if seen is not None and self.clock() - seen[0] <= self.listed_for:
            if self._answer is not None and seen[0] == self._answer[0]:
                self._served += 1
            return seen[1]
        at = self._order.get(issue_id)
        batch = [issue_id] + ([] if at is None else
                              self._writing[at + 1:at + self._next_size()])
        asked = self.clock()   # trusted from when it was asked, not answered
        since = self._newest - timedelta(seconds=1) if self._newest else None
        try:
            shown = self.updated_on(batch, since)
        except (RedmineUnavailable, RedmineTLSError):
            raise
        except RedmineError as exc:
            self._unlisted = True
            log.warning("the issue list could not be read to check the next writes "
                        "(%s); each issue left is read again before its write",
                        str(exc).splitlines()[0])
            return None
        self._answer, self._served = (asked, len(batch)), 1
        for other in batch:   # left out of a list of the changed ones: as read
            read = self._rows.get(other)
            unchanged = read[1] if since is not None and read is not None else None
            self._listed[other] = (asked, shown.get(other, unchanged))
        return self._listed[issue_id][1]

    def _next_size(self) -> int:
        """How many issues the next list asks for: the writes the last answer served
        while trusted, and half as many again; twice as many as it held when it ran out
        first (the writes go faster than the lists expire)."""
        if self._answer is None:
            return self.FIRST
        if self._served >= self._answer[1]:
            return min(self.BATCH, 2 * self._answer[1])
        return min(self.BATCH, self._served + self._served // 2 + 1)


def staff_ids(client: RedmineClient, sla: SlaConfig, projects: Sequence[str | None]
              ) -> list[int]:
    """Users whose public notes are SLA responses: members with a staff role or group."""
    staff = {m.principal.id for p in projects if p for m in client.memberships(p)
             if not m.is_group and set(m.roles) & set(sla.staff_roles)}
    for group in sla.staff_groups:
        names = set(client.group_members(group))
        staff |= {n.id for n in client.catalog().principals.items if n.name in names}
    return sorted(staff)


def settled(store: StateStore, verdicts: dict[str, Any], policy: Policy, issue_id: int,
            clocks: tuple[MetricClock, ...]) -> tuple[MetricClock, ...]:
    """Stopped clocks keep the verdict first recorded for them (sla_verdict.py); the ones
    seen stopped for the first time are recorded now. ``verdicts``: loaded once per policy."""
    if policy.name not in verdicts:
        verdicts[policy.name] = store.sla_verdicts(policy.name)
    rows = verdicts[policy.name].get(issue_id, [])
    recorded = {(r[0], r[1]): Verdict(r[0], r[1], r[2], r[3], r[4], r[5], policy.name, r[6])
                for r in rows}
    kept, new = settle(clocks, recorded, policy)
    if new:
        with store.transaction():
            for v in new:
                store.record_verdict(issue_id, v.policy, v.metric, v.cycle, v.stopped,
                                     v.target, v.breached, v.breached_at, v.fingerprint)
    return kept

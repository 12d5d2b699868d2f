"""A decision's further notes, each due in a write of its own.

Redmine keeps one note per write, with one privacy: the private note beside a
customer-facing one is recorded as due in the store (``notes_due``) before the decision's
first write, and goes out in a PUT of its own after it. ``seen`` is the newest journal
before that first write: a note after it with the same text went out already. So a run
killed between the two writes leaves the note due, and the next run sends it only if the
issue's journals do not show it: exactly once. A note that fails is named in the ledger
and never resent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from redmine_sync.errors import RedmineError
from redmine_sync.errors import RedmineGone
from redmine_sync.errors import UserError
from redmine_sync.model import Issue
from redmine_sync.model import IssueUpdate
from redmine_sync.notes import first_line
from redmine_sync.outcome import Outcome
from redmine_sync.redmine import RedmineClient
from redmine_sync.redmine.verify import note_problem
from redmine_sync.redmine.verify import notes_since
from redmine_sync.redmine.verify import sent_notes
from redmine_sync.store import DueNote
from redmine_sync.store import StateStore


@dataclass(frozen=True)
class Sent:
    """What became of a due note: the issue as it then reads; ``there``: the journals
    showed it already (not sent again); ``wrote``: this call's PUT went through;
    ``problem``: why the note is not there as intended (None: it is)."""

    issue: Issue
    there: bool
    wrote: bool = False
    problem: str | None = None


def send_due_note(client: RedmineClient, store: StateStore, run_id: int,
                  clock: Callable[[], datetime], due: DueNote, issue: Issue, me: int) -> Sent:
    """A further note of a decision, in a write of its own, unless ``issue`` (read with its
    journals after the decision's first write) shows it went out already. Its intent is
    cleared once it is there or has failed (named in the ledger, never resent)."""
    update = IssueUpdate(due.issue_id, notes=due.text, private_notes=due.private)
    posted = notes_since(update, due.seen, issue, me)
    sent = Sent(issue, True, problem=note_problem(update, posted)) if posted \
        else _send(client, update, issue, me)
    with store.transaction():
        if sent.problem:
            store.record(run_id, clock(), due.issue_id, "note", None, first_line(due.text),
                         due.rules, "failed", sent.problem)
        store.clear_due(due.issue_id, seq=due.seq)
        if sent.wrote:
            store.keep_own_write(sent.issue)
    return sent


def _send(client: RedmineClient, update: IssueUpdate, issue: Issue, me: int) -> Sent:
    try:
        result = client.update_issue(update)
    except RedmineGone:
        raise  # still due: the next run sends it
    except (RedmineError, UserError) as exc:
        return Sent(issue, False, problem=str(exc).splitlines()[0])
    posted = sent_notes(update, issue, result.issue, me)
    return Sent(result.issue, False, True, note_problem(update, posted))


def send_due_notes(client: RedmineClient, store: StateStore, run_id: int,
                   clock: Callable[[], datetime]) -> tuple[tuple[str, ...], tuple[Outcome, ...]]:
    """The further notes an earlier run left due (it was killed, or Redmine went away,
    between a decision's first write and the note's own): each is sent exactly once.
    What was done, and the notes that failed."""
    messages: list[str] = []
    failed: list[Outcome] = []
    dues = store.due_notes()
    me = client.current_user().id if dues else 0
    for due in dues:
        message, failure = _recover(client, store, run_id, clock, due, me)
        messages += [message] if message else []
        failed += [failure] if failure else []
    return tuple(messages), tuple(failed)


def _recover(client: RedmineClient, store: StateStore, run_id: int,
             clock: Callable[[], datetime], due: DueNote, me: int
             ) -> tuple[str | None, Outcome | None]:
    """One note a run left due: read the issue, send the note unless it is there."""
    try:
        issue = client.get_issue(due.issue_id, journals=True)
    except RedmineGone:
        raise
    except RedmineError as exc:  # e.g. deleted since: reported once, not kept
        with store.transaction():
            store.clear_due(due.issue_id, seq=due.seq)
        return None, Outcome(due.issue_id, "failed", f"the note left due by run {due.run_id} "
                             f"was not sent: {str(exc).splitlines()[0]}")
    sent = send_due_note(client, store, run_id, clock, due, issue, me)
    if sent.problem:
        return None, Outcome(due.issue_id, "failed", sent.problem)
    if due.issue_id not in store.held_failures():
        with store.transaction():  # that decision has landed whole now
            store.clear_sent(due.issue_id)
    return (f"#{due.issue_id}: the note left due by the interrupted run {due.run_id} "
            f"{'had gone out' if sent.there else 'was sent now'}"), None

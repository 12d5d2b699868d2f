"""Facts of an issue's conversation after the work, read from its journals (pure).

- ``survey_reply``: the 0-10 rating a customer wrote after the issue was last closed.
- ``requirement_edits``: what of the requirement (subject, description, acceptance
  criteria) people changed after it was confirmed, since the last change request or
  decision.

Rules read them as condition fields (``satisfaction_reply``); the run loads the journals of
the issues it evaluates when a rule uses one (rules/conversation.JOURNAL_FIELDS). Who is
the customer is rules/conversation.speaker's answer, as for who spoke last.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from redmine_sync.model import Issue
from redmine_sync.model import Journal
from redmine_sync.model import JournalDetail
from redmine_sync.rules.conversation import speaker
from redmine_sync.rules.state import World

# "8", "8/10", "8 / 10", "8 out of 10", "8分", "8 分。", "9 points" (the first line; a mail
# reply quotes the question below it)
RATING = re.compile(r"^\s*(10|[0-9])\s*(?:/\s*10|out of 10|分|points?|pts)?\s*[.!。！]?\s*$",  # noqa: RUF001
                    re.IGNORECASE)


def rating(text: str) -> int | None:
    """A 0-10 rating written as the whole first line of a note, else None."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    found = RATING.match(first)
    return int(found[1]) if found else None


def journals_of(issue: Issue, world: World) -> Sequence[Journal]:
    """The issue's journals: the run's (``world.journals``), else those it was read with."""
    return world.journals.get(issue.id) or issue.journals or ()


def survey_reply(issue: Issue, world: World) -> int | None:
    """The first 0-10 rating a customer wrote in a public note after the issue was last
    closed; None while it is open, or without such an answer."""
    ordered = sorted(journals_of(issue, world), key=lambda j: j.id)
    closed_at = None
    for index, journal in enumerate(ordered):
        for detail in journal.details:
            if detail.field == "status" and detail.new in world.closed_statuses and \
                    detail.old not in world.closed_statuses:
                closed_at = index
    if closed_at is None:
        return None
    for journal in ordered[closed_at + 1:]:
        if journal.private or speaker(journal.user, issue.author, world) != "customer":
            continue
        found = rating(journal.notes)
        if found is not None:
            return found
    return None


def requirement_edits(issue: Issue, world: World) -> tuple[str, ...]:
    """The parts of the requirement (subject, description, the acceptance criteria field)
    people edited after its confirmation (the first status change to an open status), and
    after the last journal that raised a change request or decided one; () when none."""
    ordered = sorted(journals_of(issue, world), key=lambda j: j.id)
    confirmed = next((k for k, j in enumerate(ordered) if any(
        d.field == "status" and d.new not in world.closed_statuses for d in j.details)), None)
    if confirmed is None:
        return ()
    start = confirmed
    for k, journal in enumerate(ordered):
        if k > confirmed and any(_marks_a_change(d, world) for d in journal.details):
            start = k
    parts = {"subject": "subject", "description": "description",
             f"cf.{world.fields.acceptance_criteria}": world.fields.acceptance_criteria}
    edits = [parts[d.field] for j in ordered[start + 1:]
             if world.bot_id is None or j.user.id != world.bot_id
             for d in j.details if d.field in parts]
    return tuple(dict.fromkeys(edits))


def _marks_a_change(detail: JournalDetail, world: World) -> bool:
    """A change request raised (its label added), approved or rejected (label or status)."""
    rules = world.change_control
    if detail.field == f"cf.{world.fields.labels}":
        return detail.new in (rules.label, rules.approved_label, rules.rejected_label)
    if detail.field == "status":
        return detail.new is not None and detail.new in (rules.approved_status,
                                                         rules.rejected_status)
    return False

"""Facts of an issue's conversation after the work, read from its journals (pure).

- ``survey_reply``: the 0-10 rating a customer wrote after the issue was last closed.

Rules read them as condition fields (``satisfaction_reply``); the run loads the journals of
the issues it evaluates when a rule uses one (rules/conversation.JOURNAL_FIELDS). Who is
the customer is rules/conversation.speaker's answer, as for who spoke last.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from redmine_sync.model import Issue
from redmine_sync.model import Journal
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

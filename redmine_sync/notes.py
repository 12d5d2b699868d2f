"""A decision's note: its text, and what it says item by item.

The tool's private note lists each change of a decision as a sentence ("Set priority to
High: ... (rule)") and then the rules' private notes; a customer-facing text (a rule's
public note) goes out alone. The note is written for the changes a write carries, so a
change left out of the write is left out of the note too, and after Redmine dropped a
change inside the write the note is written again from the changes that landed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from redmine_sync.changes import Change
from redmine_sync.markup import bullet
from redmine_sync.markup import escape
from redmine_sync.plan import IssuePlan
from redmine_sync.plan import show
from redmine_sync.summary import sentence


def compose_note(item: IssuePlan, changes: list[Change], markup: str = "textile",
                 person: Callable[[str], str] = str) -> tuple[str | None, bool]:
    """At most one note: the customer-facing text if a rule has one, else the ``changes``
    and why, with the rules' private notes.

    The change list is written for the instance's ``markup``: a list in every format (in
    Textile a line starting with "-" would be struck through), values and reasons escaped,
    people by their names (``person``: a login's display name). The rules' own note texts
    are the rule author's markup and are kept as written.
    """
    public = [n.text.strip() for n in item.notes if n.public]
    if public:
        return "\n\n".join(public), True
    if not changes and not item.notes:
        return None, False
    lines = ["redmine-sync:", ""]
    lines += [f"{bullet(markup)} {escape(sentence(c, person), markup)}" for c in changes]
    notes = [n.text.strip() for n in item.notes]
    return "\n".join(lines) + ("\n\n" + "\n\n".join(notes) if notes else ""), False


def note_items(item: IssuePlan, changes: list[Change]) -> frozenset[str]:
    """What a decision's note says about ``changes``, item by item: a retry whose items
    were all said already sends its fields without the note."""
    said = {f"{c.field}={show(c.new)}" for c in changes}
    said |= {"note:" + hashlib.sha256(n.text.strip().encode()).hexdigest()[:16]
             for n in item.notes}
    return frozenset(said)

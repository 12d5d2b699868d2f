"""A decision's notes: their texts, and what each says item by item.

A decision has at most two notes: the customer-facing text when a rule has one (public),
and the tool's private note, which lists each change as a sentence ("Set priority to
High: ... (rule)") and then the rules' private notes. Redmine keeps one note per write,
with one privacy, so the public note goes with the fields and the private one in a write
of its own. A note is written for the changes a write carries, so a change left out of
the write is left out of the note too, and after Redmine dropped a change inside the
write the private note is written again from the changes that landed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass

from redmine_sync.changes import Change
from redmine_sync.markup import bullet
from redmine_sync.markup import escape
from redmine_sync.plan import IssuePlan
from redmine_sync.plan import show
from redmine_sync.summary import sentence


@dataclass(frozen=True)
class NoteWrite:
    """One note of a decision: its text, whether customers see it, and what it says item
    by item (``note_items``)."""

    text: str
    public: bool
    items: frozenset[str]


def compose_notes(item: IssuePlan, changes: list[Change], markup: str = "textile",
                  person: Callable[[str], str] = str) -> tuple[NoteWrite, ...]:
    """A decision's notes, the public one first: the customer-facing text when a rule has
    one; and the private note (what changed and why, then the rules' private notes) unless
    a public text says it all (no private note of a rule).

    The change list is written for the instance's ``markup``: a list in every format (in
    Textile a line starting with "-" would be struck through), values and reasons escaped,
    people by their names (``person``: a login's display name). The rules' own note texts
    are the rule author's markup and are kept as written.
    """
    public = [n.text.strip() for n in item.notes if n.public]
    private = [n.text.strip() for n in item.notes if not n.public]
    out = []
    if public:
        out.append(NoteWrite("\n\n".join(public), True, note_items(changes, public)))
    if private or (changes and not public):
        lines = ["redmine-sync:", ""]
        lines += [f"{bullet(markup)} {escape(sentence(c, person), markup)}" for c in changes]
        text = "\n".join(lines) + ("\n\n" + "\n\n".join(private) if private else "")
        out.append(NoteWrite(text, False, note_items(changes, private)))
    return tuple(out)


def retold(note: NoteWrite, item: IssuePlan, landed: list[Change], markup: str = "textile",
           person: Callable[[str], str] = str) -> NoteWrite | None:
    """``note`` as it reads when it tells only of the ``landed`` changes (None: it would
    tell of nothing)."""
    return next((n for n in compose_notes(item, landed, markup, person)
                 if n.public == note.public), None)


def note_items(changes: list[Change], texts: Sequence[str]) -> frozenset[str]:
    """What a note of a decision says, item by item (its changes, the rules' ``texts`` it
    carries): a retry whose items were all said already sends its fields without it."""
    said = {f"{c.field}={show(c.new)}" for c in changes}
    said |= {"note:" + hashlib.sha256(t.encode()).hexdigest()[:16] for t in texts}
    return frozenset(said)


def first_line(text: str | None) -> str:
    """A note's first line, as the ledger shows it."""
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""

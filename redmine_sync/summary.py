"""A change told as a sentence a colleague would write, for the tool's private notes:
"Set priority to Urgent: high value, low cost = do-first (3), urgent +2, score 5
(priority-matrix)". One sentence per change; the rule names close it in brackets."""

from __future__ import annotations

from collections.abc import Callable

from redmine_sync.changes import Change


def sentence(change: Change, person: Callable[[str], str] = str) -> str:
    """What changed (the target says it, people by the names ``person`` gives their
    logins), why (the reasons, "; "-joined), and which rules (in brackets)."""
    reasons = dict.fromkeys(w.reason.strip() for w in change.why if w.reason.strip())
    why = "; ".join(reasons)
    told = change.target.describe(change.target.shown(change.old, person),
                                  change.target.shown(change.new, person))
    return f"{told}{f': {why}' if why else ''} ({change.rule})"

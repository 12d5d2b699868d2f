"""A change told as a sentence a colleague would write, for the tool's private notes:
"Set priority to Urgent: high value, low cost = do-first (3), urgent +2, score 5
(priority-matrix)". One sentence per change; the rule names close it in brackets."""

from __future__ import annotations

from redmine_sync.changes import Change


def sentence(change: Change) -> str:
    """What changed (the target says it), why (the reasons, "; "-joined), and which rules
    (in brackets)."""
    reasons = dict.fromkeys(w.reason.strip() for w in change.why if w.reason.strip())
    why = "; ".join(reasons)
    return (f"{change.target.describe(change.old, change.new)}{f': {why}' if why else ''} "
            f"({change.rule})")

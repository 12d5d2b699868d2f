"""A change told as a sentence a colleague would write, for the tool's private notes:
"Set priority to Urgent: high value, low cost = do-first (3), urgent +2, score 5
(priority-matrix)". One sentence per change; the rule names close it in brackets."""

from __future__ import annotations

from redmine_sync.plan import Change


def sentence(change: Change) -> str:
    """What changed, why (the reasons, "; "-joined), and which rules (in brackets)."""
    why = "; ".join(r.strip() for r in change.reason.split(" | ") if r.strip())
    return f"{_what(change)}{f': {why}' if why else ''} ({change.rule})"


def _what(change: Change) -> str:
    field, old, new = change.field, change.old, change.new
    if field == "labels":
        return _labels(_items(old), _items(new))
    if field == "assigned_to":
        return f"Assigned to {new}" if _present(new) else "Unassigned"
    if field == "relation":
        kind, _, target = str(new).partition(" ")
        return f"Linked to {target} as {kind.replace('_', ' ')}"
    name = field.removeprefix("cf.") if field.startswith("cf.") else field.replace("_", " ")
    return f"Set {name} to {new}" if _present(new) else f"Cleared {name}"


def _labels(old: tuple[str, ...], new: tuple[str, ...]) -> str:
    added = [x for x in new if x not in old]
    removed = [x for x in old if x not in new]
    parts = []
    if added:
        parts.append(f"Added label{'s' if len(added) > 1 else ''} {', '.join(added)}")
    if removed:
        verb = "removed" if parts else "Removed"
        parts.append(f"{verb} label{'s' if len(removed) > 1 else ''} {', '.join(removed)}")
    return " and ".join(parts) or "Labels unchanged"


def _items(value: object) -> tuple[str, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(str(v) for v in value)
    return (str(value),) if _present(value) else ()


def _present(value: object) -> bool:
    return value not in (None, "", ())

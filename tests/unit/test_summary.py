"""The private change summary: one sentence per change, the rules in brackets."""

from __future__ import annotations

import pytest

from redmine_sync.changes import Change
from redmine_sync.changes import Link
from redmine_sync.changes import Why
from redmine_sync.changes import target
from redmine_sync.summary import sentence


def change(key: str, old: object, new: object, rule: str, reason: str) -> Change:
    return Change.of(key, new, rule, reason, old=old)


@pytest.mark.parametrize(("change", "expected"), [
    (change("priority", "Normal", "Urgent", "priority-matrix",
            "high value, low cost = do-first (3), urgent +2, score 5"),
     ("Set priority to Urgent: high value, low cost = do-first (3), urgent +2, score 5 "
     "(priority-matrix)")),
    (Change(target("labels"), (), ("duplicate", "feature"),
            (Why("duplicate-confirmed", "duplicate_score ge 0.8"),
             Why("kind-feature", "text mentions feature"))),
     ("Added labels duplicate, feature: duplicate_score ge 0.8; text mentions feature "
     "(duplicate-confirmed, kind-feature)")),
    (change("labels", ("duplicate-candidate", "ui"), ("ui", "duplicate"), "r", "why"),
     "Added label duplicate and removed label duplicate-candidate: why (r)"),
    (change("assigned_to", None, "Anna Smith", "route", "account manager of Northwind"),
     "Assigned to Anna Smith: account manager of Northwind (route)"),
    (Change.of("relation", Link("duplicates", 12), "dup", ""), "Linked to #12 as duplicates (dup)"),
    (change("cf.SLA due", "x", "", "sla:p", "SLA due time and state"),
     "Cleared SLA due: SLA due time and state (sla:p)"),
    (change("status", "New", "Feedback", "needs-info", "is_vague eq True"),
     "Set status to Feedback: is_vague eq True (needs-info)"),
])
def test_a_change_reads_as_a_sentence(change: Change, expected: str) -> None:
    assert sentence(change) == expected


def test_people_are_told_by_the_names_redmine_shows() -> None:
    names = {"am.liu": "Liu Yang", "pm.li": "Li Na"}.get

    def person(who: str) -> str:
        return names(who) or who
    assert sentence(change("watchers", None, ("am.liu", "pm.li", "Support"), "sla:p", "75 %"),
                    person) == "Added watchers Liu Yang, Li Na, Support: 75 % (sla:p)"
    assert sentence(change("assigned_to", None, "pm.li", "route", ""), person) == \
        "Assigned to Li Na (route)"
    assert sentence(change("priority", "Normal", "High", "r", ""), person) == \
        "Set priority to High (r)"

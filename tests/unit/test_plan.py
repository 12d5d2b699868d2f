from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime

import pytest

from redmine_sync.changes import Change
from redmine_sync.plan import IssuePlan
from redmine_sync.plan import Note
from redmine_sync.plan import Plan
from redmine_sync.plan import json_head
from redmine_sync.plan import json_issue
from redmine_sync.plan import json_tail

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def issue_plan(issue_id: int) -> IssuePlan:
    return IssuePlan(
        issue_id, f"数据加密 {issue_id}\nsecond line", NOW,
        changes=(Change.of("labels", ("a", "quick-win"), "r", "value low x cost low",
                           old=("a",)),
                 Change.of("priority", "Urgent", "r2", "score 4 -> Urgent", old="Normal")),
        notes=(Note("Triage: 优先级 Urgent", False, "r2"),),
        held=(Change.of("status", "Rejected", "r3", "kept: a person changed it", old="New"),))


def test_json_in_pieces_is_the_same_text_as_one_dump() -> None:
    for plan in (Plan(NOW, 0, ()), Plan(NOW, 3, (issue_plan(1),)),
                 Plan(NOW, 9, tuple(issue_plan(i) for i in range(1, 4)), {"Support": 2})):
        whole = json.dumps(plan.to_json(), ensure_ascii=False, indent=2)
        pieces = [json_head(plan.now), *(json_issue(i, p) for i, p in enumerate(plan.issues)),
                  json_tail(plan, bool(plan.issues))]
        assert "".join(pieces) == whole
        assert json.loads(whole)["summary"]["issues_evaluated"] == plan.evaluated


def test_a_status_the_rules_set_that_redmine_lacks_is_refused_before_planning() -> None:
    from redmine_sync.config import Config
    from redmine_sync.errors import UserError
    from redmine_sync.redmine.fake import FakeRedmine
    from redmine_sync.rules.ruleset import load_rules_text
    from redmine_sync.sync import check_rule_names

    ruleset = load_rules_text("kind: triage\nrules:\n  - name: park\n    when: {is_closed: false}"
                              "\n    then:\n      - set: {status: Parked}\n")
    with pytest.raises(UserError) as caught:
        check_rule_names(ruleset, FakeRedmine(), Config())
    assert "unknown status 'Parked'" in str(caught.value)
    check_rule_names(load_rules_text(
        "kind: triage\nrules:\n  - name: ask\n    when: {is_closed: false}\n    then:\n"
        "      - set: {status: Feedback}\n"), FakeRedmine(), Config())

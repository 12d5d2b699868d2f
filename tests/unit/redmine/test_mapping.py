from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime

from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.redmine.mapping import format_time
from redmine_sync.redmine.mapping import issue_from_json
from redmine_sync.redmine.mapping import wiki_title

ISSUE = {
    "id": 7, "project": {"id": 1, "name": "Demo"}, "tracker": {"id": 2, "name": "Feature"},
    "status": {"id": 5, "name": "Closed"}, "priority": {"id": 4, "name": "Urgent"},
    "author": {"id": 3, "name": "陈 静"}, "subject": "数据加密", "description": None,
    "start_date": "2026-01-02", "due_date": None, "done_ratio": 30,
    "created_on": "2026-01-05T08:00:00Z", "updated_on": "2026-01-05T09:30:00Z",
    "closed_on": "2026-01-05T09:30:00Z",
    "custom_fields": [{"id": 1, "name": "Labels", "multiple": True, "value": ["ui", ""]},
                      {"id": 2, "name": "Customer", "value": ""}],
    "journals": [
        {"id": 9, "user": {"id": 3, "name": "陈 静"}, "notes": "later", "private_notes": False,
         "created_on": "2026-01-05T09:30:00Z",
         "details": [{"property": "attr", "name": "status_id", "old_value": "1",
                      "new_value": "5"},
                     {"property": "cf", "name": "1", "old_value": None, "new_value": "ui"},
                     {"property": "attr", "name": "due_date", "old_value": None,
                      "new_value": "2026-02-01"}]},
        {"id": 4, "user": {"id": 1, "name": "Admin"}, "notes": None,
         "created_on": "2026-01-05T08:30:00Z", "details": []},
    ],
}


def test_issue_json_maps_to_names_and_aware_times() -> None:
    catalog = FakeRedmine().catalog()
    issue = issue_from_json(ISSUE, frozenset({"Closed"}), catalog)
    assert issue.is_closed and issue.priority == "Urgent" and issue.tracker == "Feature"
    assert issue.description == "" and issue.assigned_to is None
    assert issue.cf("Labels") == ("ui",) and issue.cf("Customer") is None
    assert issue.updated_on == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    assert [j.id for j in issue.journals or ()] == [4, 9]
    details = {(d.field, d.old, d.new) for d in (issue.journals or ())[1].details}
    assert details == {("status", "New", "Closed"), ("cf.Labels", None, "ui"),
                      ("due_date", None, "2026-02-01")}
    assert (issue.journals or ())[0].notes == ""


def test_filter_time_format_is_z_only() -> None:
    from datetime import timedelta
    from datetime import timezone

    shanghai = datetime(2026, 1, 5, 17, 0, tzinfo=timezone(timedelta(hours=8)))
    assert format_time(shanghai) == "2026-01-05T09:00:00Z"


def test_wiki_titles_follow_redmine() -> None:
    assert wiki_title("weekly report 2026.W02: demo") == "Weekly_report_2026W02_demo"
    assert wiki_title("周报 第2周") == "周报_第2周"


def test_names_and_days_repeated_across_issues_are_one_copy() -> None:
    def listed() -> dict[str, object]:
        return json.loads(json.dumps({**ISSUE, "category": {"id": 4, "name": "Billing"},
                                      "fixed_version": {"id": 2, "name": "2.4"},
                                      "start_date": "2026-11-30"}))
    a, b = (issue_from_json(listed(), frozenset(), None) for _ in range(2))
    assert a.category == "Billing" and a.fixed_version == "2.4"
    assert a.category is b.category and a.fixed_version is b.fixed_version
    assert a.start_date is b.start_date

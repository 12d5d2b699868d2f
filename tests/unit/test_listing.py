from __future__ import annotations

import json

from redmine_sync.config import FieldMap
from redmine_sync.listing import list_issues
from redmine_sync.model import User
from redmine_sync.redmine.fake import FakeRedmine


def test_text_and_json_listing() -> None:
    fake = FakeRedmine(users=[User(3, "c", "Customer")])
    fake.add_issue("首页更美观", custom_fields={"Customer": "华信银行", "Labels": ("ui",)})
    fake.add_issue("closed", is_closed=True, status="Closed")
    fake.add_issue("A long subject", custom_fields={"Customer": "Northwind Logistics Co."})
    lines = list(list_issues(fake, ("demo",), None, FieldMap(), "text"))
    assert lines[-1] == "3 issue(s), 2 open, 1 closed"
    assert "华信银行" in lines[1] and "ui" in lines[1]
    assert "Northwind Logistics Co." in lines[3]  # not cut: no width given (a file, a pipe)
    narrow = list(list_issues(fake, ("demo",), None, FieldMap(), "text", width=72))
    assert "Northwind Logistics Co." in narrow[3] and len(narrow[3]) <= 72
    rows = [json.loads(line) for line in list_issues(fake, ("demo",), None, FieldMap(), "json")]
    assert len(rows) == 3
    assert rows[0]["labels"] == ["ui"] and rows[1]["closed"] is True

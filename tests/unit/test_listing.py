from __future__ import annotations

import json

from redmine_sync.config import FieldMap
from redmine_sync.listing import _cut
from redmine_sync.listing import list_issues
from redmine_sync.model import User
from redmine_sync.redmine.fake import FakeRedmine


def test_columns_are_padded_by_display_width() -> None:
    assert _cut("华信银行", 10) == "华信银行  "
    assert _cut("Northwind Logistics", 10) == "Northwind…"
    assert _cut("华信银行股份有限公司", 10) == "华信银行… "
    assert len(_cut("abc", 6)) == 6


def test_text_and_json_listing() -> None:
    fake = FakeRedmine(users=[User(3, "c", "Customer")])
    fake.add_issue("首页更美观", custom_fields={"Customer": "华信银行", "Labels": ("ui",)})
    fake.add_issue("closed", is_closed=True, status="Closed")
    lines = list(list_issues(fake, ("demo",), None, FieldMap(), "text"))
    assert lines[-1] == "2 issue(s), 1 open, 1 closed"
    assert "华信银行" in lines[1] and "ui" in lines[1]
    rows = [json.loads(line) for line in list_issues(fake, ("demo",), None, FieldMap(), "json")]
    assert rows[0]["labels"] == ["ui"] and rows[1]["closed"] is True

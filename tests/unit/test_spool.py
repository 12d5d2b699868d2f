"""The spool: an apply run's plan on disk while it is decided, read back in order."""

from __future__ import annotations

import pickle
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from redmine_sync.changes import SlaMark
from redmine_sync.changes import Why
from redmine_sync.changes import target
from redmine_sync.errors import UserError
from redmine_sync.plan import Change
from redmine_sync.plan import IssuePlan
from redmine_sync.plan import Note
from redmine_sync.spool import Spool

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def changed(issue_id: int) -> IssuePlan:
    change = Change(target("labels"), ("a",), ("a", "b"), (Why("kind-ui", "mentions 界面"),))
    return IssuePlan(issue_id, f"subject {issue_id} 中文", AT, (change,),
                     (Note("text", False, "kind-ui"),))


def test_issue_plans_come_back_equal_and_in_order(tmp_path: Path) -> None:
    marked = IssuePlan(2, "only a mark", AT, sla_marks=(SlaMark("p", "first_response", 1, "75%"),))
    items = [changed(1), marked, changed(3)]
    with Spool(tmp_path) as spool:
        for item in items:
            spool.add(item)
        assert list(spool) == items
        assert list(spool) == items                      # read again from the start
        assert len(spool) == 3
        assert spool.changed == [(1, AT), (3, AT)]         # what the breaker counts
        assert spool.marks == [(2, True, marked.sla_marks)]
        writes = spool.writes()
        assert len(writes) == 2 and [i.issue_id for i in writes] == [1, 3]


def test_nothing_is_left_beside_the_state_store(tmp_path: Path) -> None:
    with Spool(tmp_path) as spool:
        for n in range(100):
            spool.add(changed(n))
        assert [i.issue_id for i in spool] == list(range(100))
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_is_named_with_its_directory(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    with Spool(tmp_path) as spool:
        monkeypatch.setattr(pickle, "dump", full)
        with pytest.raises(UserError, match=f"in {tmp_path} .*No space left"):
            spool.add(changed(1))

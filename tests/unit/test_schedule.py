from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest

from redmine_sync.schedule import parse_schedule

SH = "Asia/Shanghai"


@pytest.mark.parametrize(("text", "now", "expected"), [
    # Friday 17:00 Shanghai = 09:00 UTC; 2026-11-20 is a Friday
    ("0 17 * * fri", datetime(2026, 11, 20, 9, 0, tzinfo=UTC), datetime(2026, 11, 20, 9, 0, tzinfo=UTC)),
    ("0 17 * * fri", datetime(2026, 11, 20, 8, 59, tzinfo=UTC), datetime(2026, 11, 13, 9, 0, tzinfo=UTC)),
    ("0 17 * * 5", datetime(2026, 11, 23, 0, 0, tzinfo=UTC), datetime(2026, 11, 20, 9, 0, tzinfo=UTC)),
    # last working day of October 2026 is Friday the 30th (31st is a Saturday)
    ("0 17 LW * *", datetime(2026, 11, 2, 0, 0, tzinfo=UTC), datetime(2026, 10, 30, 9, 0, tzinfo=UTC)),
    ("30 9 L * *", datetime(2026, 3, 1, 0, 0, tzinfo=UTC), datetime(2026, 2, 28, 1, 30, tzinfo=UTC)),
    # the 5th of the quarter's first month at 09:00
    ("0 9 5 1,4,7,10 *", datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 10, 5, 1, 0, tzinfo=UTC)),
    ("*/15 * * * *", datetime(2026, 11, 20, 9, 7, tzinfo=UTC), datetime(2026, 11, 20, 9, 0, tzinfo=UTC)),
])
def test_last_due(text: str, now: datetime, expected: datetime) -> None:
    assert parse_schedule(text).last_due(now, SH) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("0 17 * *", "expected 5 fields"),
    ("61 17 * * *", "'61' is not a number from 0 to 59"),
    ("0 17 * * frday", "'frday' is not a number"),
    ("0 17 5-1 * *", "ends before it starts"),
])
def test_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_schedule(text)


def test_due_reports_once_per_period(tmp_path: object) -> None:
    from pathlib import Path

    from redmine_sync.config import Config
    from redmine_sync.config import ReportsConfig
    from redmine_sync.reports.run import due_reports
    from redmine_sync.store import StateStore

    store = StateStore(Path(str(tmp_path)) / "s.db")
    config = Config(reports=ReportsConfig(timezone=SH, schedules={"weekly": "0 17 * * fri"}))
    sunday = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    [(name, when)] = due_reports(config, store, sunday)
    assert (name, when) == ("weekly", datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    store.mark_period("weekly", "2026-W47", "Weekly_report_2026-W47")
    assert due_reports(config, store, sunday) == []
    assert due_reports(config, store, datetime(2026, 11, 27, 9, 0, tzinfo=UTC)) == [
        ("weekly", datetime(2026, 11, 27, 9, 0, tzinfo=UTC))]

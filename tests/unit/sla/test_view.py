"""``redmine-sync sla`` text: instants in the team's time zone, as on the issues."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from redmine_sync.sla.view import when


def test_an_instant_is_shown_in_the_zone_it_is_given_with_the_zones_name() -> None:
    instant = datetime(2026, 11, 29, 6, 3, tzinfo=UTC)
    assert when(instant, "Asia/Shanghai") == "2026-11-29 14:03 Asia/Shanghai"
    assert when(instant) == "2026-11-29 06:03 UTC"
    assert when(None, "Asia/Shanghai") == "-"

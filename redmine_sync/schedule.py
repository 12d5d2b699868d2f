"""Report schedules: five-field cron expressions in a time zone, and the last due instant.

    minute hour day-of-month month day-of-week      e.g. "0 17 * * fri" (Friday 17:00)

Fields take ``*``, numbers, ranges ``a-b``, lists ``a,b`` and steps ``*/n``; days of the
week take ``mon``..``sun`` (or 0-7, 0 and 7 = Sunday). The day of month also takes ``L``
(the last day) and ``LW`` (the last working day, Monday to Friday). As in cron, when both
day fields are restricted, either may match.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
LOOKBACK_DAYS = 400


@dataclass(frozen=True)
class Schedule:
    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None       # None = any
    last_day: str | None              # "L" | "LW" | None
    months: frozenset[int]
    weekdays: frozenset[int] | None   # 0 = Sunday; None = any

    def last_due(self, now: datetime, timezone: str) -> datetime | None:
        """The latest scheduled instant at or before ``now`` (aware, UTC), within a year."""
        zone = ZoneInfo(timezone)
        local = now.astimezone(zone)
        for back in range(LOOKBACK_DAYS):
            day = local.date() - timedelta(days=back)
            if not self._day_matches(day):
                continue
            for hour in sorted(self.hours, reverse=True):
                for minute in sorted(self.minutes, reverse=True):
                    instant = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
                    if instant <= local:
                        return instant.astimezone(ZoneInfo("UTC"))
        return None

    def _day_matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        by_day = self._dom(day)
        by_weekday = self.weekdays is None or (day.isoweekday() % 7) in self.weekdays
        if (self.days is not None or self.last_day) and self.weekdays is not None:
            return by_day or by_weekday
        return by_day and by_weekday

    def _dom(self, day: date) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        if self.last_day == "L":
            return day.day == last
        if self.last_day == "LW":
            target = date(day.year, day.month, last)
            while target.weekday() >= 5:
                target -= timedelta(days=1)
            return day == target
        return self.days is None or day.day in self.days


def parse_schedule(text: str) -> Schedule:
    parts = str(text).split()
    if len(parts) != 5:
        raise ValueError(f"schedule {text!r}: expected 5 fields (minute hour day month "
                         "weekday), e.g. '0 17 * * fri'")
    minute, hour, dom, month, dow = parts
    last = dom.upper() if dom.upper() in ("L", "LW") else None
    return Schedule(
        text=text,
        minutes=_field(minute, 0, 59, text),
        hours=_field(hour, 0, 23, text),
        days=None if dom == "*" or last else _field(dom, 1, 31, text),
        last_day=last,
        months=_field(month, 1, 12, text),
        weekdays=None if dow == "*" else frozenset(d % 7 for d in _field(dow, 0, 7, text)),
    )


def _field(spec: str, low: int, high: int, text: str) -> frozenset[int]:
    values: set[int] = set()
    for part in spec.lower().split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = _number(step_text, 1, high, text)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _number(a, low, high, text), _number(b, low, high, text)
        else:
            start = end = _number(part, low, high, text)
        if start > end:
            raise ValueError(f"schedule {text!r}: range {part!r} ends before it starts")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _number(token: str, low: int, high: int, text: str) -> int:
    if token in DAYS:
        return DAYS[token]
    if not token.isdigit() or not low <= int(token) <= high:
        raise ValueError(f"schedule {text!r}: {token!r} is not a number from {low} to {high}")
    return int(token)

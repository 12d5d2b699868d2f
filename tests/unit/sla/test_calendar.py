"""Business calendars: hours, lunch breaks, weekends, holidays, make-up days, DST, 24x7.

Every expected value is worked out by hand (and written as a literal); the property tests
at the end check the invariants the SLA clocks rely on.
"""

from __future__ import annotations

import itertools
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from redmine_sync.sla.calendar import Calendar
from redmine_sync.sla.calendar import parse_calendar

H = 3600
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")

CALENDARS = {
    # 8 h a day, lunch break excluded; no holidays.
    "office": parse_calendar("office", {
        "timezone": "Asia/Shanghai",
        "hours": {"mon-fri": ["09:00-12:00", "13:00-18:00"]}}),
    # The same office with China's public holidays (and the package's make-up days).
    "china": parse_calendar("china", {
        "timezone": "Asia/Shanghai",
        "hours": {"mon-fri": ["09:00-12:00", "13:00-18:00"]},
        "holidays": {"country": "CN"}}),
    # Explicit extra working days, including one on a holiday (it wins).
    "china-extra": parse_calendar("china-extra", {
        "timezone": "Asia/Shanghai",
        "hours": {"mon-fri": ["09:00-12:00", "13:00-18:00"]},
        "holidays": {"country": "CN"},
        "working_days": {"2026-10-01": ["09:00-12:00"]}}),
    "office-extra": parse_calendar("office-extra", {
        "timezone": "Asia/Shanghai",
        "hours": {"mon-fri": ["09:00-12:00", "13:00-18:00"]},
        "working_days": {"2026-10-10": ["10:00-16:00"]},
        "days_off": ["2026-12-24"]}),
    "us": parse_calendar("us", {
        "timezone": "America/New_York",
        "hours": {"mon-fri": ["09:00-17:00"]},
        "holidays": {"country": "US"}}),
    "ny": parse_calendar("ny", {
        "timezone": "America/New_York",
        "hours": {"mon-fri": ["09:00-17:00"]}}),
    # Every day, including the DST Sundays: a night range across the jump and a day range.
    "ny-night": parse_calendar("ny-night", {
        "timezone": "America/New_York",
        "hours": {"mon-sun": ["00:00-04:00", "09:00-17:00"]}}),
    # Sundays only, with range ends that do not exist (02:30 in March) or happen twice
    # (01:30 in November).
    "ny-gap": parse_calendar("ny-gap", {
        "timezone": "America/New_York", "hours": {"sun": ["00:00-02:30", "03:30-05:00"]}}),
    "ny-fold": parse_calendar("ny-fold", {
        "timezone": "America/New_York", "hours": {"sun": ["00:00-01:30", "02:00-03:00"]}}),
    "late-shift": parse_calendar("late-shift", {
        "hours": {"fri": ["18:00-24:00"], "sat": ["00:00-06:00"]}}),
    "always": parse_calendar("always", {"always": True}),
}


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# -- business_seconds ------------------------------------------------------------------

@pytest.mark.parametrize(("calendar", "start", "end", "expected"), [
    # a plain weekday (Tue 2026-11-10): 09-12 and 13-18
    ("office", sh(2026, 11, 10, 8), sh(2026, 11, 10, 20), 8 * H),
    ("office", sh(2026, 11, 10, 10, 30), sh(2026, 11, 10, 11, 45), 4500),
    # the lunch break does not count
    ("office", sh(2026, 11, 10, 11), sh(2026, 11, 10, 14), 2 * H),
    ("office", sh(2026, 11, 10, 12, 30), sh(2026, 11, 10, 13, 30), 1800),
    ("office", sh(2026, 11, 10, 12), sh(2026, 11, 10, 13), 0),
    # exact boundaries: opening to closing is the whole day; closing to opening is nothing
    ("office", sh(2026, 11, 10, 9), sh(2026, 11, 10, 18), 8 * H),
    ("office", sh(2026, 11, 10, 18), sh(2026, 11, 11, 9), 0),
    ("office", sh(2026, 11, 10, 17, 59, 59), sh(2026, 11, 10, 18), 1),
    # across a weekend: Fri 17:00 -> Mon 10:00 is 1 h + 1 h
    ("office", sh(2026, 11, 13, 17), sh(2026, 11, 16, 10), 2 * H),
    ("office", sh(2026, 11, 14), sh(2026, 11, 16), 0),
    ("office", sh(2026, 11, 9), sh(2026, 11, 16), 40 * H),
    # start and end in other zones: 01:00Z-10:00Z is 09:00-18:00 in Shanghai
    ("office", utc(2026, 11, 10, 1), utc(2026, 11, 10, 10), 8 * H),
    ("office", ny(2026, 11, 9, 20), utc(2026, 11, 10, 10), 8 * H),
    # start after end, or equal
    ("office", sh(2026, 11, 10, 18), sh(2026, 11, 10, 9), 0),
    ("office", sh(2026, 11, 10, 10), sh(2026, 11, 10, 10), 0),
    # CN National Day 2026: Oct 1-7 off (Oct 6-7 are swapped for Sep 20 and Oct 10):
    # Wed Sep 30 + Thu Oct 8 + Fri Oct 9
    ("china", sh(2026, 10, 1), sh(2026, 10, 2), 0),
    ("china", sh(2026, 9, 30, 9), sh(2026, 10, 9, 18), 24 * H),
    ("office", sh(2026, 9, 30, 9), sh(2026, 10, 9, 18), 64 * H),  # 8 weekdays without them
    # make-up working days: Sat Oct 10 from the holidays package (Monday's hours)...
    ("china", sh(2026, 10, 10), sh(2026, 10, 11), 8 * H),
    ("office", sh(2026, 10, 10), sh(2026, 10, 11), 0),
    # ... and from working_days, which also wins over a holiday
    ("office-extra", sh(2026, 10, 10), sh(2026, 10, 11), 6 * H),
    ("china-extra", sh(2026, 10, 1), sh(2026, 10, 2), 3 * H),
    # days_off: Thu Dec 24
    ("office-extra", sh(2026, 12, 24), sh(2026, 12, 25), 0),
    ("office-extra", sh(2026, 12, 23, 9), sh(2026, 12, 25, 18), 16 * H),
    # US: Independence Day is Sat Jul 4 2026, observed Fri Jul 3; Thanksgiving Thu Nov 26
    ("us", ny(2026, 7, 2, 9), ny(2026, 7, 6, 17), 16 * H),
    ("ny", ny(2026, 7, 2, 9), ny(2026, 7, 6, 17), 24 * H),
    ("us", ny(2026, 11, 25), ny(2026, 11, 28), 16 * H),
    # DST: a 09:00-17:00 weekday is 8 h either side of the change
    ("ny", ny(2026, 3, 6, 9), ny(2026, 3, 9, 17), 16 * H),
    ("ny", ny(2026, 10, 30, 9), ny(2026, 11, 2, 17), 16 * H),
    ("ny", utc(2026, 3, 9, 13), utc(2026, 3, 9, 21), 8 * H),  # 09:00-17:00 EDT
    ("ny", utc(2026, 3, 6, 14), utc(2026, 3, 6, 22), 8 * H),  # 09:00-17:00 EST
    # 00:00-04:00 is 3 h on Sun Mar 8 (02:00 -> 03:00) and 5 h on Sun Nov 1 (02:00 -> 01:00)
    ("ny-night", ny(2026, 3, 8), ny(2026, 3, 8, 5), 3 * H),
    ("ny-night", ny(2026, 3, 8), ny(2026, 3, 9), 11 * H),
    ("ny-night", ny(2026, 11, 1), ny(2026, 11, 1, 5), 5 * H),
    ("ny-night", ny(2026, 11, 1), ny(2026, 11, 2), 13 * H),
    ("ny-night", ny(2026, 3, 7), ny(2026, 3, 8), 12 * H),
    # 02:30 does not exist on Mar 8: 00:00-02:30 is 05:00Z-07:00Z, 03:30-05:00 is 1.5 h
    ("ny-gap", utc(2026, 3, 8), utc(2026, 3, 9), 2 * H + 5400),
    ("ny-gap", utc(2026, 3, 1), utc(2026, 3, 2), 4 * H),
    # 01:30 happens twice on Nov 1: its first time ends the range (04:00Z-05:30Z); 02:00-03:00
    # EST is 07:00Z-08:00Z
    ("ny-fold", utc(2026, 11, 1), utc(2026, 11, 2), 2 * H + 1800),
    # 24x7
    ("always", utc(2026, 11, 14, 12), utc(2026, 11, 15, 18), 30 * H),
    ("always", sh(2026, 11, 14, 12), utc(2026, 11, 14, 12), 8 * H),
    ("always", utc(2026, 11, 15), utc(2026, 11, 14), 0),
])
def test_business_seconds(calendar: str, start: datetime, end: datetime,
                          expected: float) -> None:
    assert CALENDARS[calendar].business_seconds(start, end) == expected


# -- add --------------------------------------------------------------------------------

@pytest.mark.parametrize(("calendar", "start", "seconds", "expected"), [
    ("office", sh(2026, 11, 10, 10), H, sh(2026, 11, 10, 11)),
    ("office", sh(2026, 11, 10, 11), 2 * H, sh(2026, 11, 10, 14)),  # over lunch
    ("office", sh(2026, 11, 10, 11), H, sh(2026, 11, 10, 12)),  # lands on the lunch break
    # landing exactly on closing returns the closing instant, not the next opening
    ("office", sh(2026, 11, 10, 17), H, sh(2026, 11, 10, 18)),
    ("office", sh(2026, 11, 10, 9), 8 * H, sh(2026, 11, 10, 18)),
    ("office", sh(2026, 11, 10, 17), H + 1, sh(2026, 11, 11, 9, 0, 1)),
    # zero is the start itself, open or not; anything more starts at the next opening
    ("office", sh(2026, 11, 10, 8), 0, sh(2026, 11, 10, 8)),
    ("office", sh(2026, 11, 14, 8), 0, sh(2026, 11, 14, 8)),
    ("office", sh(2026, 11, 10, 8), 1, sh(2026, 11, 10, 9, 0, 1)),
    ("office", sh(2026, 11, 10, 9), 0.25, datetime(2026, 11, 10, 9, 0, 0, 250000, SHANGHAI)),
    # across a weekend, and across three weeks and a bit (Mon 09:00 + 3 x 40 h + 4 h)
    ("office", sh(2026, 11, 13, 17), 2 * H, sh(2026, 11, 16, 10)),
    ("office", sh(2026, 11, 2, 9), 124 * H, sh(2026, 11, 23, 14)),
    ("office", sh(2026, 11, 14, 10), 8 * H, sh(2026, 11, 16, 18)),
    # holidays: Wed Sep 30 17:00 + 2 h -> Thu Oct 8 10:00; a make-up Saturday counts
    ("china", sh(2026, 9, 30, 17), 2 * H, sh(2026, 10, 8, 10)),
    ("china", sh(2026, 10, 9, 17), 2 * H, sh(2026, 10, 10, 10)),
    ("office-extra", sh(2026, 10, 9, 17), 2 * H, sh(2026, 10, 10, 11)),
    ("office-extra", sh(2026, 12, 23, 17), 2 * H, sh(2026, 12, 25, 10)),
    ("us", ny(2026, 7, 2, 16), 2 * H, utc(2026, 7, 6, 14)),  # Mon 10:00 EDT
    # DST: Fri 16:00 EST + 2 h -> Mon 10:00 EDT; Fri 16:00 EDT + 2 h -> Mon 10:00 EST
    ("ny", ny(2026, 3, 6, 16), 2 * H, utc(2026, 3, 9, 14)),
    ("ny", ny(2026, 10, 30, 16), 2 * H, utc(2026, 11, 2, 15)),
    ("ny-night", ny(2026, 3, 8), 3 * H, utc(2026, 3, 8, 8)),  # 04:00 EDT
    ("ny-night", ny(2026, 11, 1), 5 * H, utc(2026, 11, 1, 9)),  # 04:00 EST
    ("ny-night", ny(2026, 11, 1), 5 * H + 1, utc(2026, 11, 1, 14, 0, 1)),
    ("late-shift", utc(2026, 11, 13, 20), 8 * H, utc(2026, 11, 14, 4)),  # across midnight
    ("always", utc(2026, 11, 14, 12), 30 * H, utc(2026, 11, 15, 18)),
    ("always", sh(2026, 11, 14, 20), H, utc(2026, 11, 14, 13)),
])
def test_add(calendar: str, start: datetime, seconds: float, expected: datetime) -> None:
    result = CALENDARS[calendar].add(start, seconds)
    assert result == expected
    assert result.tzinfo is UTC


# -- intervals, is_open -----------------------------------------------------------------

@pytest.mark.parametrize(("calendar", "start", "end", "expected"), [
    ("office", sh(2026, 11, 10), sh(2026, 11, 11),
     [(utc(2026, 11, 10, 1), utc(2026, 11, 10, 4)), (utc(2026, 11, 10, 5), utc(2026, 11, 10, 10))]),
    ("office", sh(2026, 11, 10, 10), sh(2026, 11, 10, 14),  # clipped to the window
     [(utc(2026, 11, 10, 2), utc(2026, 11, 10, 4)), (utc(2026, 11, 10, 5), utc(2026, 11, 10, 6))]),
    ("office", sh(2026, 11, 14), sh(2026, 11, 16), []),
    ("office", sh(2026, 11, 11), sh(2026, 11, 10), []),
    ("ny", utc(2026, 3, 6), utc(2026, 3, 10),  # EST on Friday, EDT on Monday
     [(utc(2026, 3, 6, 14), utc(2026, 3, 6, 22)), (utc(2026, 3, 9, 13), utc(2026, 3, 9, 21))]),
    ("ny", utc(2026, 10, 30), utc(2026, 11, 3),  # EDT on Friday, EST on Monday
     [(utc(2026, 10, 30, 13), utc(2026, 10, 30, 21)),
      (utc(2026, 11, 2, 14), utc(2026, 11, 2, 22))]),
    ("ny-night", ny(2026, 3, 8), ny(2026, 3, 9),
     [(utc(2026, 3, 8, 5), utc(2026, 3, 8, 8)), (utc(2026, 3, 8, 13), utc(2026, 3, 8, 21))]),
    ("ny-night", ny(2026, 11, 1), ny(2026, 11, 2),
     [(utc(2026, 11, 1, 4), utc(2026, 11, 1, 9)), (utc(2026, 11, 1, 14), utc(2026, 11, 1, 22))]),
    ("ny-gap", utc(2026, 3, 8), utc(2026, 3, 9),
     [(utc(2026, 3, 8, 5), utc(2026, 3, 8, 7)), (utc(2026, 3, 8, 7, 30), utc(2026, 3, 8, 9))]),
    # Friday 18:00-24:00 and Saturday 00:00-06:00 touch: one interval
    ("late-shift", utc(2026, 11, 13), utc(2026, 11, 15),
     [(utc(2026, 11, 13, 18), utc(2026, 11, 14, 6))]),
    ("always", sh(2026, 11, 14), sh(2026, 11, 15),
     [(utc(2026, 11, 13, 16), utc(2026, 11, 14, 16))]),
])
def test_intervals(calendar: str, start: datetime, end: datetime,
                   expected: list[tuple[datetime, datetime]]) -> None:
    got = list(CALENDARS[calendar].intervals(start, end))
    assert got == expected
    assert all(s.tzinfo is UTC and e.tzinfo is UTC for s, e in got)


@pytest.mark.parametrize(("calendar", "instant", "expected"), [
    ("office", sh(2026, 11, 10, 9), True),  # opening is open
    ("office", datetime(2026, 11, 10, 8, 59, 59, 999999, SHANGHAI), False),
    ("office", datetime(2026, 11, 10, 11, 59, 59, 999999, SHANGHAI), True),
    ("office", sh(2026, 11, 10, 12), False),  # closing is closed
    ("office", sh(2026, 11, 10, 13), True),
    ("office", sh(2026, 11, 10, 18), False),
    ("office", sh(2026, 11, 14, 10), False),  # Saturday
    ("office", utc(2026, 11, 10, 2), True),  # 10:00 in Shanghai
    ("china", sh(2026, 10, 1, 10), False),
    ("china", sh(2026, 10, 10, 10), True),
    ("china-extra", sh(2026, 10, 1, 10), True),
    ("china-extra", sh(2026, 10, 1, 14), False),
    ("office-extra", sh(2026, 12, 24, 10), False),
    ("us", ny(2026, 7, 3, 10), False),
    ("ny", ny(2026, 7, 3, 10), True),
    ("ny", utc(2026, 3, 9, 13), True),  # 09:00 EDT
    ("ny", utc(2026, 3, 6, 13, 30), False),  # 08:30 EST
    ("ny-night", utc(2026, 11, 1, 8, 30), True),  # 03:30 EST, the night range's 5th hour
    ("late-shift", utc(2026, 11, 14), True),  # midnight between the two touching ranges
    ("always", utc(2026, 11, 14, 3), True),
])
def test_is_open(calendar: str, instant: datetime, expected: bool) -> None:
    assert CALENDARS[calendar].is_open(instant) is expected


@pytest.mark.parametrize("call", [
    lambda c: c.business_seconds(datetime(2026, 1, 1), utc(2026, 1, 2)),  # noqa: DTZ001
    lambda c: c.business_seconds(utc(2026, 1, 1), datetime(2026, 1, 2)),  # noqa: DTZ001
    lambda c: c.add(datetime(2026, 1, 1), 60),  # noqa: DTZ001
    lambda c: c.intervals(datetime(2026, 1, 1), utc(2026, 1, 2)),  # noqa: DTZ001
    lambda c: c.is_open(datetime(2026, 1, 1)),  # noqa: DTZ001
    lambda c: c.add(utc(2026, 1, 1), -1),
    lambda c: c.add(utc(2026, 1, 1), float("nan")),
])
@pytest.mark.parametrize("calendar", ["office", "always"])
def test_bad_arguments(call, calendar: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=r"naive|seconds must be"):
        call(CALENDARS[calendar])


def test_add_never_reached() -> None:
    closed = Calendar("closed", hours={}, working_days={date(2026, 1, 5): ((time(9), time(10)),)})
    assert closed.add(utc(2026, 1, 1), 1800) == utc(2026, 1, 5, 9, 30)
    with pytest.raises(ValueError, match="no business hours"):
        closed.add(utc(2026, 1, 1), 2 * H)


def test_a_whole_year_of_business_time() -> None:
    fresh = parse_calendar("fresh", {"timezone": "America/New_York", "holidays": {"country": "US"}})
    seconds = fresh.business_seconds(utc(2026, 1, 1, 5), utc(2027, 1, 1, 5))
    due = fresh.add(utc(2026, 1, 1, 5), seconds)
    # 2026: 261 weekdays, 11 federal holidays on weekdays (Jul 4 observed on Fri Jul 3)
    assert seconds == 250 * 8 * H
    assert due == utc(2026, 12, 31, 22)  # Thu Dec 31 17:00 EST, the last closing of 2026


# -- parse_calendar ---------------------------------------------------------------------

def test_parse_the_documented_shape() -> None:
    data = yaml.safe_load("""
        timezone: Asia/Shanghai
        hours:
          mon-fri: ["09:00-12:00", "13:00-18:00"]
          fri: ["09:00-15:00"]                 # later keys override earlier ones
          sat: []
          sun: 10:00-12:00                     # one range may be a plain string
        holidays: {country: cn}
        days_off: [2026-12-24]
        working_days: {2026-10-10: ["09:00-18:00"], "2026-09-20": ["09:00-12:00"]}
    """)
    cal = parse_calendar("office", data)
    lunch = ((time(9), time(12)), (time(13), time(18)))
    assert dict(cal.hours) == {"mon": lunch, "tue": lunch, "wed": lunch, "thu": lunch,
                               "fri": ((time(9), time(15)),), "sat": (),
                               "sun": ((time(10), time(12)),)}
    assert cal.timezone == "Asia/Shanghai"
    assert (cal.holiday_country, cal.holiday_subdivision) == ("CN", None)
    assert cal.days_off == frozenset({date(2026, 12, 24)})
    assert dict(cal.working_days) == {date(2026, 10, 10): ((time(9), time(18)),),
                                      date(2026, 9, 20): ((time(9), time(12)),)}
    assert not cal.always
    assert cal == parse_calendar("office", data)
    assert hash(cal) == hash(parse_calendar("office", data))


@pytest.mark.parametrize(("data", "expected"), [
    ({}, {"mon": ((time(9), time(17)),), "tue": ((time(9), time(17)),),
          "wed": ((time(9), time(17)),), "thu": ((time(9), time(17)),),
          "fri": ((time(9), time(17)),)}),
    ({"hours": {"fri-mon": ["20:00-24:00", "00:00-02:00"]}},  # wraps; sorted; 24:00 is 00:00
     dict.fromkeys(["fri", "sat", "sun", "mon"], ((time(0), time(2)), (time(20), time(0))))),
    ({"hours": {"Monday": "08:30:15-09:00"}}, {"mon": ((time(8, 30, 15), time(9)),)}),
    ({"hours": {}}, {}),
])
def test_parse_hours(data: dict[str, object], expected: dict[str, object]) -> None:
    assert dict(parse_calendar("c", data).hours) == expected


def test_working_days_listed_without_hours() -> None:
    mon = parse_calendar("c", {"hours": {"mon-fri": ["09:00-12:00", "13:00-18:00"]},
                               "working_days": [date(2026, 10, 10)]})
    assert mon.working_days == {date(2026, 10, 10): ((time(9), time(12)), (time(13), time(18)))}
    default = parse_calendar("c", {"working_days": ["2026-10-10"], "hours": {"sat": []},
                                   "default_hours": ["10:00-14:00"]})
    assert default.working_days == {date(2026, 10, 10): ((time(10), time(14)),)}
    assert default.business_seconds(utc(2026, 10, 10), utc(2026, 10, 11)) == 4 * H


@pytest.mark.parametrize(("data", "message"), [
    ({"hours": {"mon": ["09:00-25:00"]}}, r"hours\.mon: bad time '25:00'"),
    ({"hours": {"mon": ["25:00-26:00"]}}, r"hours\.mon: bad time '25:00'"),
    ({"hours": {"mon": ["9-17"]}}, r"hours\.mon: bad time '9' \(expected HH:MM\)"),
    ({"hours": {"mon": ["09:60-10:00"]}}, r"hours\.mon: bad time '09:60'"),
    ({"hours": {"mon": ["24:00-24:00"]}},
     r"hours\.mon: bad time '24:00'.*\(24:00 only ends a range\)"),
    ({"hours": {"mon": ["09:00"]}},
     r"hours\.mon: expected a range such as \"09:00-18:00\", got '09:00'"),
    ({"hours": {"mon": ["18:00-09:00"]}}, r"hours\.mon: range 18:00-09:00 ends before it starts"),
    ({"hours": {"mon": ["09:00-12:00", "11:00-13:00"]}},
     r"hours\.mon: ranges 09:00-12:00 and 11:00-13:00 overlap"),
    ({"hours": {"mnday": ["09:00-17:00"]}},
     r"hours\.mnday: unknown weekday 'mnday' .*did you mean 'mon'\?"),
    ({"hours": {"mon-frday": ["09:00-17:00"]}},
     r"hours\.mon-frday: unknown weekday 'frday' .*did you mean 'fri'\?"),
    ({"hours": {"holiday": ["09:00-17:00"]}},
     r"hours\.holiday: unknown weekday 'holiday' \(use mon \.\. sun"),
    ({"hours": ["09:00-17:00"]}, r"hours: expected a mapping"),
    ({"timezone": "Mars/Olympus_Mons"}, r"timezone: unknown time zone 'Mars/Olympus_Mons'"),
    ({"timezone": "Asia/Shangai"}, r"timezone: unknown time zone 'Asia/Shangai'"),
    ({"timezone": 8}, r"timezone: expected an IANA time zone name"),
    ({"holidays": {"country": "XX"}}, r"holidays\.country: unknown country 'XX'"),
    ({"holidays": {"country": "Chnia"}},
     r"holidays\.country: unknown country 'Chnia' .*did you mean 'CN'\?"),
    ({"holidays": {"country": "US", "subdivision": "NYC"}},
     r"holidays\.subdivision: unknown subdivision 'NYC' of US; did you mean 'NY'\?"),
    ({"holidays": {"contry": "US"}}, r"holidays\.contry: unknown key .*did you mean 'country'"),
    ({"holidays": ["CN"]}, r"holidays: expected \{country: CC\}"),
    ({"days_off": ["2026-13-01"]}, r"days_off: bad date '2026-13-01'"),
    ({"days_off": "2026-12-24"}, r"days_off: expected a list of dates"),
    ({"working_days": {"2026-10-10": ["9am-6pm"]}}, r"working_days\.2026-10-10: bad time '9am'"),
    ({"working_days": ["2026-10-10"], "hours": {"tue": ["09:00-10:00"]}},
     r"working_days\.2026-10-10: no hours: give them, or default_hours"),
    ({"working_days": {"2026-12-24": ["09:00-10:00"]}, "days_off": ["2026-12-24"]},
     r"2026-12-24 is both in days_off and in working_days"),
    ({"timezon": "UTC"}, r"timezon: unknown key .*did you mean 'timezone'\?"),
    ({"always": True, "hours": {"mon": ["09:00-17:00"]}}, r"hours: has no effect with always"),
    ({"always": "yes"}, r"always: expected true or false"),
])
def test_parse_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=r"^calendar 'office': " + message):
        parse_calendar("office", data)


def test_parse_rejects_a_non_mapping() -> None:
    with pytest.raises(ValueError, match="calendar 'office': expected a mapping, got list"):
        parse_calendar("office", ["09:00-17:00"])  # type: ignore[arg-type]


@pytest.mark.parametrize(("spec", "country", "subdivision"), [
    ("CN", "CN", None),
    ({"country": "China"}, "CN", None),
    ({"country": "united states", "subdivision": "ny"}, "US", "NY"),
    ({"country": "DE", "subdivision": "BY"}, "DE", "BY"),
])
def test_parse_holidays(spec: object, country: str, subdivision: str | None) -> None:
    cal = parse_calendar("c", {"holidays": spec})
    assert (cal.holiday_country, cal.holiday_subdivision) == (country, subdivision)


def test_subdivision_holidays() -> None:
    bavaria = parse_calendar("c", {"timezone": "Europe/Berlin",
                                   "holidays": {"country": "DE", "subdivision": "BY"}})
    berlin = parse_calendar("c", {"timezone": "Europe/Berlin",
                                  "holidays": {"country": "DE", "subdivision": "BE"}})
    epiphany = (datetime(2026, 1, 6, tzinfo=ZoneInfo("Europe/Berlin")),
                datetime(2026, 1, 7, tzinfo=ZoneInfo("Europe/Berlin")))  # Tue Jan 6 2026
    assert bavaria.business_seconds(*epiphany) == 0
    assert berlin.business_seconds(*epiphany) == 8 * H


def test_direct_construction_is_checked() -> None:
    with pytest.raises(ValueError, match=r"hours\.mnday: unknown weekday 'mnday'"):
        Calendar("c", hours={"mnday": ((time(9), time(17)),)})
    with pytest.raises(ValueError, match="unknown time zone 'Nowhere/Town'"):
        Calendar("c", timezone="Nowhere/Town")
    with pytest.raises(ValueError, match="unknown country 'ZZ'"):
        Calendar("c", holiday_country="ZZ")
    with pytest.raises(ValueError, match="overlap"):
        Calendar("c", hours={"mon": ((time(9), time(12)), (time(11), time(13)))})
    with pytest.raises(TypeError, match="must be a datetime"):
        Calendar("c").business_seconds(date(2026, 1, 1), utc(2026, 1, 2))  # type: ignore[arg-type]


# -- properties -------------------------------------------------------------------------

PROPERTY_CALENDARS = ["office", "china", "office-extra", "us", "ny-night", "ny-gap", "ny-fold",
                      "late-shift", "always"]
BASE = utc(2025, 12, 25)
instants = st.builds(lambda s, us: BASE + timedelta(seconds=s, microseconds=us),
                     st.integers(0, 400 * 86400), st.sampled_from([0, 0, 1, 500_000, 999_999]))
calendars = st.sampled_from(PROPERTY_CALENDARS)
FAST = settings(max_examples=150, deadline=None)


@FAST
@given(calendars, instants, instants, instants)
def test_additive(name: str, x: datetime, y: datetime, z: datetime) -> None:
    a, b, c = sorted([x, y, z])
    cal = CALENDARS[name]
    assert cal.business_seconds(a, b) + cal.business_seconds(b, c) == pytest.approx(
        cal.business_seconds(a, c), abs=1e-6)


@FAST
@given(calendars, instants, st.one_of(st.integers(0, 300 * H), st.floats(0, 300 * H)))
def test_add_inverts_business_seconds(name: str, start: datetime, seconds: float) -> None:
    cal = CALENDARS[name]
    due = cal.add(start, seconds)
    assert due >= start
    assert cal.business_seconds(start, due) == pytest.approx(seconds, abs=1e-6)
    if round(seconds * 1e6) > 0:  # due is inside an interval or at its closing instant
        assert cal.is_open(due - timedelta(microseconds=1))


@FAST
@given(calendars, instants, instants, instants)
def test_monotonic_and_bounded(name: str, start: datetime, x: datetime, y: datetime) -> None:
    cal = CALENDARS[name]
    early, late = sorted([x, y])
    assert cal.business_seconds(start, early) <= cal.business_seconds(start, late)
    assert cal.business_seconds(early, late) <= (late - early).total_seconds()


@FAST
@given(calendars, instants, instants)
def test_intervals_and_is_open_agree(name: str, x: datetime, y: datetime) -> None:
    cal = CALENDARS[name]
    start, end = sorted([x, y])
    spans = list(cal.intervals(start, end))
    assert sum((e - s).total_seconds() for s, e in spans) == pytest.approx(
        cal.business_seconds(start, end), abs=1e-6)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))  # merged, in order
    tick = timedelta(microseconds=1)
    assert cal.is_open(start) is (cal.business_seconds(start, start + tick) > 0)
    for s, e in spans:
        assert cal.is_open(s) and cal.is_open(e - tick)


@pytest.mark.parametrize(("spec", "hours"), [
    ({"always": True}, 24),
    ({"timezone": "Asia/Shanghai", "hours": {"mon-fri": ["09:00-12:00", "13:00-18:00"]},
      "holidays": {"country": "CN"}}, 8),                     # lunch left out, make-up days too
    ({"hours": {"mon-thu": ["09:00-12:00", "13:00-17:30"], "fri": ["09:00-15:00"]}}, 7.5),
    ({"hours": {"mon": ["09:00-17:00"], "tue": ["08:00-18:00"]}}, 10),   # a tie: the longest
    ({"hours": {"mon-fri": ["18:00-24:00"]}}, 6),
    ({"hours": {}, "working_days": {"2026-10-10": ["09:00-16:00"]}}, 7),
])
def test_a_working_day_is_the_length_of_the_usual_working_weekday(spec: dict[str, object],
                                                                   hours: float) -> None:
    assert parse_calendar("c", spec).day_seconds == hours * 3600

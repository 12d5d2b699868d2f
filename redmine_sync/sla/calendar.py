"""Business calendars: when SLA time counts (working hours, holidays, make-up working days).

Calendars in YAML (the ``calendars:`` of the SLA file; ``parse_calendar`` reads one entry)::

    china-office:
      timezone: Asia/Shanghai                   # IANA name (default UTC)
      hours:                                    # default: mon-fri 09:00-17:00
        mon-fri: ["09:00-12:00", "13:00-18:00"] # a day (mon) or a range of days (mon-fri)
        sat: []                                 # an empty list (or a missing day): closed
      holidays: {country: CN}                   # or {country: US, subdivision: NY}, or just CN
      days_off: [2026-12-24]                    # extra days off
      working_days: {2026-10-10: ["09:00-18:00"]}  # extra working days with their hours
      default_hours: ["09:00-18:00"]            # hours of working days listed without hours
    always:
      always: true                              # 24x7: every second counts; no other key

- ``hours`` keys are weekdays (``mon`` .. ``sun``, or ``monday`` .. ``sunday``) or ranges of
  them (``mon-fri``; ``fri-mon`` wraps around the weekend). Keys apply in order, a later key
  overrides the days it names (``mon-fri`` then ``fri: ["09:00-15:00"]``). A value is a list
  of ``"HH:MM-HH:MM"`` ranges (one string is one range); ``24:00`` may end a range. Ranges
  must not overlap and cannot span midnight (split them at ``24:00``).
- ``working_days`` is a mapping ``date: ranges`` or a plain list of dates; a listed date
  without ranges gets ``default_hours``, else Monday's hours.
- ``holidays`` uses the ``holidays`` package (``country``: ISO 3166-1 code such as CN, US,
  DE; ``subdivision``: its state/province code such as NY, BY). Its public holidays are days
  off; the weekend working days it knows (China's make-up Saturdays and Sundays) are
  working days with ``default_hours`` (else Monday's hours). Years the package does not
  know yet are estimates: pin them with ``days_off`` and ``working_days``.

What counts as business time
----------------------------
Ranges are wall-clock times in ``timezone`` on a local date. A local date's ranges are, by
precedence: its ``working_days`` entry; none if it is in ``days_off``; the make-up-day hours
if the holidays package marks it as a weekend working day; none if it is a public holiday;
else the hours of its weekday. A range ``[start, end)`` covers the instants from the first
moment the local clock reads ``start`` (or later) to the first moment it reads ``end`` (or
later); ``end`` itself is closed. This is what DST needs:

- an ordinary day is its wall-clock length whatever the offset (09:00-17:00 is 8 h on the
  days America/New_York springs forward and falls back);
- a range across the jump has its real length: 00:00-04:00 is 3 h on the spring-forward
  day and 5 h on the fall-back day;
- a wall-clock time that does not exist (02:30 on a spring-forward day) resolves forward to
  the instant the clock jumps (03:00), so 00:00-02:30 is 2 h and 02:30-05:00 is 2 h;
- an ambiguous time (01:30 on a fall-back day) is its first occurrence (``fold=0``).

Every instant the methods return is timezone-aware UTC; arguments may be in any zone, naive
datetimes are rejected with ``ValueError``. Nothing reads the clock, and only
``parse_calendar`` does I/O: the holidays of the years a run may ask for are computed once
by the ``holidays`` package and kept in the cache directory, where the next process reads
them (holiday_table.py; the package is imported only when they are not there). Time zones
come from ``zoneinfo``. Time is counted
day by day and whole weeks at a time, never second by second; each day's intervals are
memoised on the calendar (a year takes a few milliseconds the first time).
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING
from typing import Any
from typing import NamedTuple
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from redmine_sync import schema
from redmine_sync.sla import holiday_table
from redmine_sync.sla.holiday_table import Year

if TYPE_CHECKING:
    from holidays import HolidayBase

Range = tuple[time, time]
Ranges = tuple[Range, ...]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_INDEX = {name: i for names in (WEEKDAYS, _FULL_NAMES) for i, name in enumerate(names)}
MIDNIGHT = time(0, 0)
"""As the end of a range: midnight at the end of the day (``24:00``)."""

DEFAULT_RANGES: Ranges = ((time(9, 0), time(17, 0)),)
DEFAULT_HOURS: Mapping[str, Ranges] = MappingProxyType(
    dict.fromkeys(WEEKDAYS[:5], DEFAULT_RANGES))
"""Monday to Friday, 09:00-17:00."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001  (wall-clock arithmetic)
_US = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)
_ONE_WEEK = timedelta(days=7)
_DAY_US = 86_400_000_000
_MAX_CLOSED_DAYS = 3 * 366  # add() gives up after this many days without business time


def _length(ranges: Ranges) -> int:
    """Wall-clock seconds of a day's ranges (an end of 00:00 is 24:00)."""
    def seconds(t: time, end: bool = False) -> int:
        return 86400 if end and t == MIDNIGHT else t.hour * 3600 + t.minute * 60 + t.second
    return sum(seconds(e, True) - seconds(s) for s, e in ranges)


def _default_hours() -> Mapping[str, Ranges]:
    return DEFAULT_HOURS


def _no_working_days() -> Mapping[date, Ranges]:
    return MappingProxyType({})


class _Day(NamedTuple):
    """One local date, in microseconds since the epoch: its span and its business intervals."""

    begin: int  # the first instant of the date (its 00:00)
    end: int  # the first instant of the next date
    intervals: tuple[tuple[int, int], ...]
    total: int


@dataclass(frozen=True)
class Calendar:
    """Business hours in a time zone, minus holidays and days off, plus extra working days.

    ``hours`` maps ``mon`` .. ``sun`` to ``(start, end)`` local times (a missing or empty day
    is closed); an end of ``00:00`` means ``24:00``. Ranges are sorted and checked for
    overlaps on construction. ``always`` is 24x7 and ignores everything else.
    ``holiday_country``/``holiday_subdivision`` are ``holidays`` package codes. ``days_off``
    and ``working_days`` are local dates; ``working_days`` win over weekends and holidays
    (a date in both ``days_off`` and ``working_days`` is an error). ``default_hours`` are
    the hours of the make-up working days the holidays package reports (``None``: Monday's
    hours). ``holiday_years``: those days by year as the package gives them
    (holiday_table.py), read from the cache when the rules were loaded; a calendar with
    them does not import the package for those years. Invalid values raise
    ``ValueError``. Equal calendars hash alike (the mappings are left out of the hash).
    """

    name: str
    timezone: str = "UTC"
    hours: Mapping[str, Ranges] = field(default_factory=_default_hours, hash=False)
    always: bool = False
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    days_off: frozenset[date] = frozenset()
    working_days: Mapping[date, Ranges] = field(default_factory=_no_working_days, hash=False)
    default_hours: Ranges | None = None
    holiday_years: Mapping[int, Year] = field(default_factory=dict, hash=False, compare=False,
                                              repr=False)

    def __post_init__(self) -> None:
        hours = {}
        for key, ranges in self.hours.items():
            if key not in WEEKDAYS:
                raise _error(self.name, f"hours.{key}", f"unknown weekday {key!r} (use mon .. "
                                   f"sun){_hint(str(key), WEEKDAYS)}")
            hours[key] = _check_ranges(self.name, f"hours.{key}", ranges)
        working = {}
        for day, ranges in self.working_days.items():
            if not isinstance(day, date) or isinstance(day, datetime):
                raise _error(self.name, "working_days", f"{day!r} is not a date")
            working[day] = _check_ranges(self.name, f"working_days.{day}", ranges)
        for day in self.days_off:
            if not isinstance(day, date) or isinstance(day, datetime):
                raise _error(self.name, "days_off", f"{day!r} is not a date")
        both = sorted(set(working) & set(self.days_off))
        if both:
            raise _error(self.name, "", f"{both[0]} is both in days_off and in working_days")
        object.__setattr__(self, "hours", MappingProxyType(hours))
        object.__setattr__(self, "working_days", MappingProxyType(working))
        object.__setattr__(self, "days_off", frozenset(self.days_off))
        if self.default_hours is not None:
            object.__setattr__(self, "default_hours",
                               _check_ranges(self.name, "default_hours", self.default_hours))
        if self.holiday_subdivision is not None and self.holiday_country is None:
            raise _error(self.name, "holidays", "a subdivision needs a country")
        self._zone  # noqa: B018  (loads and checks the time zone now)
        if self.holiday_country is not None and not self.always and not self.holiday_years:
            _holidays(self.name, self.holiday_country, self.holiday_subdivision, None)

    # -- public API ---------------------------------------------------------------------

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Business time in ``[start, end)``, in seconds (0 when ``end <= start``)."""
        a, b = _micros(start, "start"), _micros(end, "end")
        if b <= a:
            return 0.0
        if self.always:
            return (b - a) / 1e6
        total = 0
        day = self._first_day(a)
        while True:
            if day.weekday() == 0:  # a whole week inside [a, b) counts at once
                week = self._week_total(day)
                if a <= week.begin and week.end <= b:
                    total += week.total
                    day += _ONE_WEEK
                    continue
            current = self._day(day)
            if current.begin >= b:
                return total / 1e6
            if a <= current.begin and current.end <= b:
                total += current.total
            else:
                for s, e in current.intervals:
                    total += max(0, min(e, b) - max(s, a))
            day += _ONE_DAY

    def add(self, start: datetime, seconds: float) -> datetime:
        """The UTC instant at which ``seconds`` of business time have elapsed after ``start``.

        ``add(start, 0)`` is ``start`` itself (in UTC), open or not. For ``seconds > 0`` the
        result lies inside a business interval or exactly at its end: landing on a closing
        instant returns that closing instant, not the next opening. ``seconds`` is rounded to
        the microsecond.
        """
        a = _micros(start, "start")
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"seconds must be a finite number >= 0, not {seconds!r}")
        need = round(seconds * 1_000_000)
        if need == 0:
            return _instant(a)
        if self.always:
            return _instant(a + need)
        closed = 0  # days in a row without business time
        day = self._first_day(a)
        while True:
            if day.weekday() == 0:  # a whole week that does not reach the target: skip it
                week = self._week_total(day)
                if a <= week.begin and need > week.total:
                    need -= week.total
                    closed = closed + 7 if not week.total else 0
                    day += _ONE_WEEK
                    self._check_closed(closed, a)
                    continue
            current = self._day(day)
            day += _ONE_DAY
            if not current.total:
                closed += 1
                self._check_closed(closed, a)
                continue
            closed = 0
            for s, e in current.intervals:
                s = max(s, a)
                if e <= s:
                    continue
                if need <= e - s:
                    return _instant(s + need)
                need -= e - s

    def intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The business intervals intersecting ``[start, end)``, clipped to it, in order.

        Touching intervals (``18:00-24:00`` then ``00:00-06:00``) come out as one.
        """
        a, b = _micros(start, "start"), _micros(end, "end")  # checked now, not when iterated
        return self._intervals(a, b)

    @cached_property
    def day_seconds(self) -> float:
        """Business seconds in a working day (what ``d`` means in SLA targets): the length
        of the most common working weekday in ``hours`` (the longest on a tie), lunch breaks
        left out; 24 h for ``always``. Holidays, days off and make-up days do not change
        it. Without weekday hours, the longest ``working_days`` entry; else 24 h."""
        if self.always:
            return 86400.0
        lengths = [_length(r) for r in self._week if _length(r)] or \
            [max((_length(r) for r in self.working_days.values()), default=86400)]
        return float(max(set(lengths), key=lambda n: (lengths.count(n), n)))

    def is_open(self, instant: datetime) -> bool:
        """Whether ``instant`` is business time (an interval's start is open, its end closed)."""
        x = _micros(instant, "instant")
        if self.always:
            return True
        return any(s <= x < e for s, e in self._day(self._first_day(x)).intervals)

    def hours_on(self, day: date) -> Ranges:
        """The local ranges of ``day`` after holidays, days off and working days."""
        if self.always:
            return ((MIDNIGHT, MIDNIGHT),)
        if day in self.working_days:
            return self.working_days[day]
        if day in self.days_off:
            return ()
        if self.holiday_country is not None:
            off, makeup = self._holiday_year(day.year)
            if day in makeup:
                return self._makeup_hours
            if day in off:
                return ()
        return self._week[day.weekday()]

    # -- internals ----------------------------------------------------------------------

    @cached_property
    def _zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise _error(self.name, "timezone", f"unknown time zone {self.timezone!r} (use an "
                         "IANA name such as Asia/Shanghai or America/New_York)") from None

    @cached_property
    def _week(self) -> tuple[Ranges, ...]:
        return tuple(self.hours.get(name, ()) for name in WEEKDAYS)

    @cached_property
    def _makeup_hours(self) -> Ranges:
        return self.default_hours if self.default_hours is not None else self._week[0]

    @cached_property
    def _day_cache(self) -> dict[date, _Day]:
        return {}

    @cached_property
    def _week_cache(self) -> dict[date, _Day]:
        return {}

    @cached_property
    def _holiday_cache(self) -> dict[int, tuple[frozenset[date], frozenset[date]]]:
        return {}

    def _holiday_year(self, year: int) -> tuple[frozenset[date], frozenset[date]]:
        """The public holidays and the make-up (weekend) working days of ``year``."""
        cached = self._holiday_cache.get(year) or self.holiday_years.get(year)
        if cached is None:
            assert self.holiday_country is not None
            cached = _holiday_year(self.name, self.holiday_country, self.holiday_subdivision,
                                   year)
            self._holiday_cache[year] = cached
        return cached

    def _day(self, day: date) -> _Day:
        cached = self._day_cache.get(day)
        if cached is not None:
            return cached
        zone = self._zone
        previous = self._day_cache.get(day - _ONE_DAY)
        begin = previous.end if previous is not None else _resolve(day, MIDNIGHT, zone)
        end = _resolve(day + _ONE_DAY, MIDNIGHT, zone)
        intervals = []
        for start, stop in self.hours_on(day):
            if end - begin == _DAY_US:
                # No offset change inside the day (tz transitions are always days apart):
                # every wall-clock time is midnight plus its time of day.
                s, e = begin + _since_midnight(start), begin + _since_midnight(stop, end=True)
            else:
                s = _resolve(day, start, zone)
                e = end if stop == MIDNIGHT else _resolve(day, stop, zone)
            if e > s:
                intervals.append((s, e))
        result = _Day(begin, end, tuple(intervals), sum(e - s for s, e in intervals))
        if len(self._day_cache) >= 100_000:  # keep a long-running process bounded
            self._day_cache.clear()
        self._day_cache[day] = result
        return result

    def _intervals(self, a: int, b: int) -> Iterator[tuple[datetime, datetime]]:
        """``intervals`` on instants already checked and converted."""
        if b <= a:
            return
        if self.always:
            yield _instant(a), _instant(b)
            return
        current: tuple[int, int] | None = None
        for day in self._days_from(a):
            if day.begin >= b:
                break
            for s, e in day.intervals:
                s, e = max(s, a), min(e, b)
                if e <= s:
                    continue
                if current is not None and current[1] == s:
                    current = (current[0], e)
                    continue
                if current is not None:
                    yield _instant(current[0]), _instant(current[1])
                current = (s, e)
        if current is not None:
            yield _instant(current[0]), _instant(current[1])

    def _week_total(self, monday: date) -> _Day:
        """Seven local dates from ``monday`` at once: their span and business time."""
        cached = self._week_cache.get(monday)
        if cached is None:
            days = [self._day(monday + timedelta(days=i)) for i in range(7)]
            cached = _Day(days[0].begin, days[-1].end, (), sum(d.total for d in days))
            if len(self._week_cache) >= 20_000:
                self._week_cache.clear()
            self._week_cache[monday] = cached
        return cached

    def _first_day(self, x: int) -> date:
        """The local date whose span holds instant ``x``."""
        day = _instant(x).astimezone(self._zone).date()
        while x < self._day(day).begin:  # a clock set back across midnight: the earlier date
            day -= _ONE_DAY
        while x >= self._day(day).end:
            day += _ONE_DAY
        return day

    def _days_from(self, x: int) -> Iterator[_Day]:
        """The local dates from the one containing instant ``x`` on, without end."""
        day = self._first_day(x)
        while True:
            yield self._day(day)
            day += _ONE_DAY

    def _check_closed(self, closed: int, start: int) -> None:
        if closed > _MAX_CLOSED_DAYS:
            raise _error(self.name, "", f"no business hours for {_MAX_CLOSED_DAYS} days "
                         f"after {_instant(start):%Y-%m-%d}")


# -- instants ---------------------------------------------------------------------------


def _micros(instant: datetime, what: str) -> int:
    if not isinstance(instant, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(instant).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, not naive: {instant.isoformat()}")
    return (instant - _EPOCH) // _US


def _instant(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _since_midnight(wall: time, end: bool = False) -> int:
    """Microseconds from 00:00 to ``wall``; as an ``end``, 00:00 is 24:00."""
    if end and wall == MIDNIGHT:
        return _DAY_US
    return ((wall.hour * 60 + wall.minute) * 60 + wall.second) * 1_000_000 + wall.microsecond


def _resolve(day: date, wall: time, zone: ZoneInfo) -> int:
    """The first instant the local clock of ``zone`` reads ``wall`` (or later) on ``day``."""
    local = datetime.combine(day, wall)
    before = zone.utcoffset(local.replace(tzinfo=zone))
    after = zone.utcoffset(local.replace(tzinfo=zone, fold=1))
    assert before is not None and after is not None
    if before >= after:  # an ordinary time, or the first occurrence of a repeated one
        return (local - before - _NAIVE_EPOCH) // _US
    # A gap (the clock jumps from `before` to `after`): `wall` does not exist. The jump lies
    # between the two readings; find its instant, the first one with the later offset.
    lo = (local - after - _NAIVE_EPOCH) // _US  # still on the earlier offset
    hi = (local - before - _NAIVE_EPOCH) // _US  # already on the later one
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _instant(mid).astimezone(zone).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return hi


# -- holidays ---------------------------------------------------------------------------


def _holiday_year(name: str, country: str, subdivision: str | None, year: int) -> Year:
    """The public holidays and the make-up (weekend) working days of ``year``."""
    found = _holidays(name, country, subdivision, year)
    return frozenset(found), frozenset(d for d in found.weekend_workdays if d.year == year)


def _holidays(name: str, country: str, subdivision: str | None, year: int | None
              ) -> HolidayBase:
    import holidays  # imported on first use: it takes a while to load

    try:
        return holidays.country_holidays(country, subdiv=subdivision,
                                         years=() if year is None else year)
    except NotImplementedError:
        pass
    supported = holidays.list_supported_countries()
    if country not in supported:
        names = _country_names()
        match = difflib.get_close_matches(_plain(country), list(names), n=1, cutoff=0.75)
        hint = f"; did you mean {names[match[0]]!r}?" if match else ""
        raise _error(name, "holidays.country", f"unknown country {country!r} (use an ISO "
                     f"3166-1 code such as CN, US, DE){hint}") from None
    known = list(supported[country])
    hint = _hint(str(subdivision), known) or "; known: " + ", ".join(known[:12]) + (
        ", ..." if len(known) > 12 else "")
    raise _error(name, "holidays.subdivision",
                 f"unknown subdivision {subdivision!r} of {country}{hint}") from None


def _plain(text: str) -> str:
    return re.sub(r"[\s_-]+", "", text).lower()


def _country_names() -> dict[str, str]:
    """Country codes, alpha-3 codes and names (lowercase, no spaces) -> alpha-2 code."""
    import holidays

    codes = holidays.list_supported_countries(include_aliases=False)
    out = {_plain(code): code for code in codes}
    try:  # the registry is not documented: names and alpha-3 codes are only a convenience
        from holidays.registry import COUNTRIES
    except ImportError:  # pragma: no cover
        return out
    for module, (class_name, code, *rest) in COUNTRIES.items():
        if code in codes:
            for alias in (module, class_name, *rest[:1]):
                out.setdefault(_plain(alias), code)
    return out


# -- validation and parsing -------------------------------------------------------------


def _error(name: str, where: str, message: str) -> ValueError:
    """``calendar 'office': hours.mnday: unknown weekday ...``: every error names its key."""
    return ValueError(f"calendar {name!r}: {where + ': ' if where else ''}{message}")


def _hint(value: str, choices: Any) -> str:
    matches = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.5)
    return f"; did you mean {matches[0]!r}?" if matches else ""


def _check_ranges(name: str, where: str, ranges: Any) -> Ranges:
    """Sorted, checked ranges: each start before its end (an end of 00:00 is 24:00)."""
    try:
        items = [(start, end) for start, end in ranges]
    except (TypeError, ValueError):
        raise _error(name, where, f"expected (start, end) pairs of times, got {ranges!r}"
                     ) from None
    for start, end in items:
        if not (isinstance(start, time) and isinstance(end, time)) or start.tzinfo is not None \
                or end.tzinfo is not None:
            raise _error(name, where, f"expected naive times, got {(start, end)!r}")
        if end != MIDNIGHT and end <= start:
            raise _error(name, where, f"range {_show(start, end)} ends before it starts "
                               "(ranges cannot span midnight: split them at 24:00)")
    items.sort()
    for (s1, e1), (s2, e2) in itertools.pairwise(items):
        if e1 == MIDNIGHT or s2 < e1:
            raise _error(name, where, f"ranges {_show(s1, e1)} and {_show(s2, e2)} overlap")
    return tuple(items)


def _show(start: time, end: time) -> str:
    return f"{start:%H:%M}-{'24:00' if end == MIDNIGHT else f'{end:%H:%M}'}"


_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


_RANGE = r"\s*\d{1,2}:\d{2}(:\d{2})?\s*-\s*\d{1,2}:\d{2}(:\d{2})?\s*"
_DAY = "|".join("".join(f"[{c}{c.upper()}]" for c in day) for day in (*_FULL_NAMES, *WEEKDAYS))
"""Weekday names in any case, as a pattern editors understand too (no inline flags)."""
RANGES = schema.AnyOf((schema.text(words="a time range", pattern=_RANGE, example='"09:00-18:00"'),
                  schema.ListOf(schema.text(words="a time range", pattern=_RANGE,
                                  example='"09:00-18:00"'))),
                 words='a list of "HH:MM-HH:MM" ranges')
CALENDAR = schema.Map({
    "timezone": schema.time_zone("business hours are wall-clock times in this zone", "UTC"),
    "hours": schema.MapOf(
        RANGES, key=schema.text(words="a weekday or a range of weekdays", example="mon-fri",
                                pattern=rf"\s*({_DAY})(\s*-\s*({_DAY}))?\s*"),
        doc="weekday (mon) or range (mon-fri): ranges; a day left out is closed; default: "
            "mon-fri 09:00-17:00"),
    "holidays": schema.AnyOf(
        (schema.text(words="a country code", example="CN"),
         schema.Map({"country": schema.text("ISO 3166-1 code such as CN, US, DE"),
                     "subdivision": schema.name("state/province code such as NY, BY")},
                    required=("country",))),
        words="a country code or {country: CC, subdivision: SS}",
        doc="public holidays of a country are days off (its make-up working days are "
            "working days)"),
    "days_off": schema.ListOf(schema.a_date(), doc="extra days off"),
    "working_days": schema.AnyOf(
        (schema.ListOf(schema.a_date()), schema.MapOf(RANGES, key=schema.a_date())),
        words="a list of dates or a mapping of date: ranges",
        doc="extra working days, with their hours (else default_hours)"),
    "default_hours": schema.AnyOf(
        RANGES.options, words=RANGES.words,
        doc="hours of working days listed without hours (else Monday's)"),
    "always": schema.boolean(
        "true: 24x7, every second counts (then only timezone may be given)", False),
}, words="a calendar (a mapping such as {timezone: UTC, hours: {mon-fri: [09:00-17:00]}})",
   doc="a business calendar: when SLA time counts")
_KEYS = tuple(CALENDAR.keys)


def parse_calendar(name: str, data: Mapping[str, Any]) -> Calendar:
    """A ``Calendar`` from its YAML mapping (see the module docstring).

    Raises ``ValueError`` naming the calendar, the key and the bad value.
    """
    def fail(where: str, message: str) -> ValueError:
        return _error(name, where, message)

    if not isinstance(data, Mapping):
        raise fail("", f"expected a mapping, got {_kind(data)}")
    for key in data:
        if key not in _KEYS:
            raise fail(str(key), f"unknown key (known: {', '.join(_KEYS)})"
                                 f"{_hint(str(key), _KEYS)}")
    always = data.get("always", False)
    if not isinstance(always, bool):
        raise fail("always", f"expected true or false, got {always!r}")
    timezone = data.get("timezone", "UTC")
    if not isinstance(timezone, str) or not timezone:
        raise fail("timezone", f"expected an IANA time zone name, got {timezone!r}")
    if always:
        extra = [key for key in data if key not in ("always", "timezone")]
        if extra:
            raise fail(extra[0], "has no effect with always: true (every second counts)")
        return Calendar(name, timezone=timezone, always=True)

    hours: dict[str, Ranges] = dict(DEFAULT_HOURS)
    if "hours" in data:
        raw = data["hours"]
        if not isinstance(raw, Mapping):
            raise fail("hours", f"expected a mapping of weekdays to ranges, got {_kind(raw)}")
        hours = {}
        for key, value in raw.items():
            days = _parse_days(name, key)
            ranges = _parse_ranges(name, f"hours.{key}", value)
            for index in days:
                hours[WEEKDAYS[index]] = ranges
    default = None
    if data.get("default_hours") is not None:
        default = _parse_ranges(name, "default_hours", data["default_hours"])

    country = subdivision = None
    years: Mapping[int, Year] = {}
    if data.get("holidays") is not None:
        country, subdivision, years = _parse_holidays(name, data["holidays"])

    days_off: set[date] = set()
    raw_off = data.get("days_off") or []
    if not isinstance(raw_off, list):
        raise fail("days_off", f"expected a list of dates, got {_kind(raw_off)}")
    for item in raw_off:
        days_off.add(_parse_date(name, "days_off", item))

    working: dict[date, Ranges] = {}
    raw_work = data.get("working_days") or {}
    if isinstance(raw_work, list):
        raw_work = dict.fromkeys(raw_work)
    if not isinstance(raw_work, Mapping):
        raise fail("working_days", f"expected a mapping of dates to ranges or a list of dates, "
                                   f"got {_kind(raw_work)}")
    for key, value in raw_work.items():
        day = _parse_date(name, "working_days", key)
        if value is None:
            ranges = default if default is not None else hours.get("mon", ())
            if not ranges:
                raise fail(f"working_days.{day}", "no hours: give them, or default_hours "
                                                  "(Monday is closed)")
        else:
            ranges = _parse_ranges(name, f"working_days.{day}", value)
        working[day] = ranges
    return Calendar(name, timezone=timezone, hours=hours, holiday_country=country,
                    holiday_subdivision=subdivision, days_off=frozenset(days_off),
                    working_days=working, default_hours=default, holiday_years=years)


def _kind(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def _parse_days(name: str, key: Any) -> list[int]:
    """``mon`` -> [0]; ``mon-fri`` -> [0..4]; ``fri-mon`` -> [4, 5, 6, 0]."""
    text = str(key).strip().lower()
    parts = [part.strip() for part in text.split("-")] if text.count("-") == 1 else [text]
    indexes = []
    for part in parts:
        if part not in _DAY_INDEX:
            hint = difflib.get_close_matches(part, list(_DAY_INDEX), n=1, cutoff=0.5)
            did = f"; did you mean {WEEKDAYS[_DAY_INDEX[hint[0]]]!r}?" if hint else ""
            raise _error(name, f"hours.{key}", f"unknown weekday {part!r} (use mon .. sun, or "
                         f"a range such as mon-fri){did}")
        indexes.append(_DAY_INDEX[part])
    if len(indexes) == 1:
        return indexes
    first, last = indexes
    return [(first + i) % 7 for i in range((last - first) % 7 + 1)]


def _parse_ranges(name: str, where: str, value: Any) -> Ranges:
    if isinstance(value, str):
        value = [value]
    if value is None:
        value = []
    if not isinstance(value, list):
        raise _error(name, where, f'expected a list of "HH:MM-HH:MM" ranges, got {_kind(value)}')
    ranges = []
    for item in value:
        if not isinstance(item, str) or item.count("-") != 1:
            raise _error(name, where, f'expected a range such as "09:00-18:00", got {item!r}')
        start, end = (part.strip() for part in item.split("-"))
        ranges.append((_parse_time(name, where, start, end=False),
                       _parse_time(name, where, end, end=True)))
    return _check_ranges(name, where, ranges)


def _parse_time(name: str, where: str, text: str, end: bool) -> time:
    match = _TIME.fullmatch(text)
    if match is None:
        raise _error(name, where, f"bad time {text!r} (expected HH:MM)")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if end and (hour, minute, second) == (24, 0, 0):
        return MIDNIGHT
    if hour > 23 or minute > 59 or second > 59:
        note = " (24:00 only ends a range)" if hour == 24 else ""
        raise _error(name, where, f"bad time {text!r}: hours go from 00 to 23 and minutes "
                                   f"from 00 to 59{note}")
    return time(hour, minute, second)


def _parse_date(name: str, where: str, value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _error(name, where, f"bad date {value!r} (expected YYYY-MM-DD)")


def _parse_holidays(name: str, value: Any) -> tuple[str, str | None, Mapping[int, Year]]:
    """The package's codes for the spec and the table of its years: kept in the cache
    directory, else computed with the package (which checks the codes) and kept there."""
    if isinstance(value, str):
        value = {"country": value}
    if not isinstance(value, Mapping):
        raise _error(name, "holidays", "expected {country: CC} or {country: CC, "
                                       f"subdivision: SS}}, got {_kind(value)}")
    for key in value:
        if key not in ("country", "subdivision"):
            raise _error(name, f"holidays.{key}", "unknown key (known: country, subdivision)"
                         f"{_hint(str(key), ('country', 'subdivision'))}")
    country = value.get("country")
    if not isinstance(country, str) or not country.strip():
        raise _error(name, "holidays.country", "expected a country code such as CN, US, "
                                               f"DE, got {country!r}")
    subdivision = value.get("subdivision")
    if subdivision is not None:
        if not isinstance(subdivision, str | int) or isinstance(subdivision, bool):
            raise _error(name, "holidays.subdivision", "expected a code such as NY or BY, "
                                                       f"got {subdivision!r}")
        subdivision = str(subdivision).strip()
    spec = (country.strip(), subdivision)
    table = holiday_table.kept(*spec)
    if table is None:
        country, subdivision = _holiday_codes(*spec)
        table = holiday_table.computed(country, subdivision, lambda year: _holiday_year(
            name, country, subdivision, year))   # an unknown code raises here
        holiday_table.keep(spec, table)
    return table


def _holiday_codes(country: str, subdivision: str | None) -> tuple[str, str | None]:
    """The package's codes: a country's name or alpha-3 code -> its alpha-2 code, a
    subdivision in the package's case."""
    import holidays

    country = _country_names().get(_plain(country), country)
    if subdivision is not None:
        known = holidays.list_supported_countries().get(country, [])
        exact = [code for code in known if code.lower() == subdivision.lower()]
        if exact:
            subdivision = exact[0]
    return country, subdivision

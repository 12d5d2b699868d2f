"""The holidays kept in the cache directory: the same days as the package, and a process
that finds them does not import the package."""

from __future__ import annotations

import logging
import sys
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path

import holidays
import pytest

from redmine_sync.sla import holiday_table
from redmine_sync.sla.calendar import parse_calendar

CHINA = {"timezone": "Asia/Shanghai", "hours": {"mon-fri": ["09:00-18:00"]},
         "holidays": {"country": "China"}}
# Tue 2026-09-29 .. Tue 2026-10-13 08:00 in Shanghai: the National Day holidays off (1-3,
# 5-7 Oct), Sat 10 Oct a make-up working day
WEEKS = (datetime(2026, 9, 29, tzinfo=UTC), datetime(2026, 10, 13, tzinfo=UTC))


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CACHE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "redmine-sync"


def tables(cache: Path) -> list[Path]:
    return sorted(cache.glob("holidays-*.json"))


def test_the_first_parse_keeps_the_packages_days(cache: Path) -> None:
    calendar = parse_calendar("c", CHINA)
    assert (calendar.holiday_country, calendar.holiday_subdivision) == ("CN", None)
    [kept] = tables(cache)
    package = holidays.country_holidays("CN", years=2026)
    assert calendar.holiday_years[2026] == (
        frozenset(package), frozenset(d for d in package.weekend_workdays if d.year == 2026))
    assert date(2026, 10, 1) in calendar.holiday_years[2026][0]
    assert date(2026, 10, 10) in calendar.holiday_years[2026][1]
    assert kept.stat().st_size < 40_000


def test_a_later_parse_reads_the_table_without_the_package(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = parse_calendar("c", CHINA)
    expected = first.business_seconds(*WEEKS)
    monkeypatch.setitem(sys.modules, "holidays", None)   # importing it now raises
    later = parse_calendar("c", CHINA)
    assert later.holiday_years == first.holiday_years
    assert later.business_seconds(*WEEKS) == expected == 6 * 9 * 3600  # 29, 30 Sep; 8, 9, 10 (Sat), 12 Oct
    assert later == first
    with pytest.raises(ImportError):   # a year outside the table asks the package
        later.business_seconds(datetime(2070, 1, 1, tzinfo=UTC), datetime(2070, 1, 9, tzinfo=UTC))


@pytest.mark.parametrize("spoiled", [b"", b"{not json", b'{"country": 7}',
                                     b'{"country": "CN", "subdivision": null, "years": []}',
                                     (b'{"country": "CN", "subdivision": null, '
                                      b'"years": {"2026": [["2026-13-01"], []]}}')])
def test_a_spoiled_table_is_computed_again(cache: Path, spoiled: bytes) -> None:
    expected = parse_calendar("c", CHINA).holiday_years
    [kept] = tables(cache)
    good = kept.read_bytes()
    kept.write_bytes(spoiled)
    assert parse_calendar("c", CHINA).holiday_years == expected
    assert kept.read_bytes() == good


def test_a_table_that_cannot_be_written_is_said_in_the_log(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    with caplog.at_level(logging.INFO, logger="redmine_sync.sla.holiday_table"):
        calendar = parse_calendar("c", CHINA)
    assert calendar.business_seconds(*WEEKS) == 6 * 9 * 3600
    assert "cannot be kept" in caplog.text and str(blocked) in caplog.text


def test_an_unknown_country_is_refused_and_nothing_kept(cache: Path) -> None:
    with pytest.raises(ValueError, match="unknown country 'ZZ'"):
        parse_calendar("c", {"holidays": "ZZ"})
    assert tables(cache) == []


def test_each_spec_has_its_table(cache: Path) -> None:
    bavaria = parse_calendar("c", {"holidays": {"country": "DE", "subdivision": "by"}})
    berlin = parse_calendar("c", {"holidays": {"country": "DE", "subdivision": "BE"}})
    assert len(tables(cache)) == 2
    assert holiday_table.kept("DE", "by") == ("DE", "BY", bavaria.holiday_years)
    assert date(2026, 1, 6) in bavaria.holiday_years[2026][0]
    assert date(2026, 1, 6) not in berlin.holiday_years[2026][0]

"""A country's public holidays and make-up working days by year, kept in the cache directory.

The ``holidays`` package computes them, but importing it loads every country it knows:
about 17 MB in each process, whatever the one country the calendars name. So the years a
run may ask for (``YEARS``) are computed once per package version and holiday spec, and
kept as a small JSON file in the tool's cache directory (cachefiles.py); a later process
reads that table when the rules are loaded and imports the package only when the table
is missing or unreadable, or for a year outside it. The table holds what the package
gave, unchanged, so the calendars count the same business time either way.

A table that cannot be written is only a heavier start (said once, in the log).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from collections.abc import Mapping
from datetime import date
from importlib import metadata
from pathlib import Path
from types import MappingProxyType
from typing import Any
from typing import NamedTuple

from redmine_sync import cachefiles

log = logging.getLogger(__name__)

YEARS = range(2000, 2061)
Year = tuple[frozenset[date], frozenset[date]]   # (public holidays, make-up working days)


class Table(NamedTuple):
    """The package's codes for a spec (``China`` -> ``CN``) and its years."""

    country: str
    subdivision: str | None
    years: Mapping[int, Year]


def kept(country: str, subdivision: str | None) -> Table | None:
    """The table kept for this spec (as the rules spell it) by the installed package, or
    None when there is none that can be read."""
    path = _path(country, subdivision)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Table(_code(data["country"]), _code(data["subdivision"], none=True),
                     MappingProxyType({int(year): _year(days)
                                       for year, days in data["years"].items()}))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None   # absent, or not a table this code wrote: computed again


def computed(country: str, subdivision: str | None, year_of: Callable[[int], Year]) -> Table:
    """The table of ``YEARS``, each from ``year_of`` (the package's answer for one year)."""
    return Table(country, subdivision, MappingProxyType({year: year_of(year) for year in YEARS}))


def keep(spec: tuple[str, str | None], table: Table) -> None:
    """Write the table for this spec; one that cannot be written is said in the log."""
    path = _path(*spec)
    if path is None:
        return
    data = {"country": table.country, "subdivision": table.subdivision,
            "years": {str(year): [sorted(d.isoformat() for d in days) for days in pair]
                      for year, pair in table.years.items()}}
    try:
        cachefiles.write(path, json.dumps(data, sort_keys=True).encode())
    except OSError as exc:
        log.info("the public holidays cannot be kept in %s (%s): each run loads the "
                 "holidays package again, about 17 MB more", path.parent, exc)


def _path(country: str, subdivision: str | None) -> Path | None:
    try:
        version = metadata.version("holidays")
    except metadata.PackageNotFoundError:
        return None   # the package is missing: the calendar says so when it asks for it
    key = hashlib.sha256("\0".join((version, country, subdivision or "")).encode())
    return cachefiles.cache_dir() / f"holidays-{key.hexdigest()[:16]}.json"


def _code(value: Any, none: bool = False) -> Any:
    if (value is None and none) or isinstance(value, str):
        return value
    raise TypeError(f"not a code: {value!r}")


def _year(days: Any) -> Year:
    off, makeup = days
    return (frozenset(map(date.fromisoformat, off)), frozenset(map(date.fromisoformat, makeup)))

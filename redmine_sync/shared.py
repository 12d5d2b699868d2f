"""One copy of the values that repeat across issues: names, field values, references.

A hundred thousand issues carry a few dozen distinct statuses, users, customers and field
values, but JSON decoding makes a new string for every occurrence. Sharing them keeps an
issue's memory to what is really its own (subject, description, times); bench/RESULTS.md
has the figures. The tables are bounded, so a long-running daemon cannot grow them without
limit: past the bound, values are simply not shared.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from collections.abc import Mapping
from datetime import date
from functools import lru_cache

from redmine_sync.model import CustomValue
from redmine_sync.model import Fields
from redmine_sync.model import Ref

MAX_ENTRIES = 50_000
LONGEST = 100  # longer texts are unlikely to repeat

_refs: dict[tuple[int, str], Ref] = {}
_tuples: dict[tuple[str, ...], tuple[str, ...]] = {}
_positions: dict[tuple[str, ...], dict[str, int]] = {}


def text(value: str) -> str:
    """The shared copy of a short text (a name, a list value)."""
    return sys.intern(value) if len(value) <= LONGEST else value


@lru_cache(maxsize=4096)
def day(iso: str) -> date:
    """The shared ``date`` of an ISO day: start and due dates repeat across issues."""
    return date.fromisoformat(iso)


def ref(ref_id: int, name: str) -> Ref:
    key = (ref_id, name)
    found = _refs.get(key)
    if found is None:
        found = Ref(ref_id, text(name))
        if len(_refs) < MAX_ENTRIES:
            _refs[key] = found
    return found


def value(item: CustomValue) -> CustomValue:
    if item is None:
        return None
    if isinstance(item, str):
        return text(item)
    found = _tuples.get(item)
    if found is None:
        found = tuple(text(v) for v in item)
        if len(_tuples) < MAX_ENTRIES:
            _tuples[found] = found
    return found


def fields(pairs: Iterable[tuple[str, CustomValue]]) -> Mapping[str, CustomValue]:
    """Custom field values by name, names and values shared: the names' index once for
    every issue with the same fields (``model.Fields``), the values in a tuple."""
    listed = [(text(name), value(item)) for name, item in pairs]
    names = tuple(name for name, _ in listed)
    positions = _positions.get(names)
    if positions is None:
        positions = {name: place for place, name in enumerate(names)}
        if len(positions) < len(names):  # a name twice: the last value wins, as in a dict
            return dict(listed)
        if len(_positions) < MAX_ENTRIES:
            _positions[names] = positions
    return Fields(positions, tuple(item for _, item in listed))

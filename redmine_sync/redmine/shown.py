"""Custom field values as shown, learned from the issue list's CSV export (non-admin keys).

Redmine 5.0 lists custom field definitions to administrators only. A bot without admin
rights reads a key/value list's keys ("6") and a user field's ids ("29") in the REST
answers, and cannot tell them from numbers. The issue list's CSV export accepts the same
API key and shows every value as the web UI does ("Northwind Logistics", "Li Wei"). For
the issues of a page whose values are such digits, the adapter asks the export for those
issues and those fields once; ``ShownValues`` pairs both views of the same issue and keeps
what each stored value shows for the rest of the run. A field whose digits show as a
number (an integer or float field) is plain and never asked about again.

Pure: the adapter does the request; ``parse_csv`` checks the answer's shape.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from redmine_sync.errors import UnusableAnswer
from redmine_sync.model import CustomValue
from redmine_sync.redmine.mapping import custom_value

Row = dict[str, Any]
MULTI_SEPARATOR = ", "  # Redmine joins a multiple field's values with it in the export


def parse_csv(where: str, text: str) -> dict[int, dict[str, str]]:
    """Issue id -> column name -> cell, from an issue export (any language's separator).

    The first column is always "#" (the issue id); anything else is not an issue export.
    """
    text = text.removeprefix("\ufeff")
    if not text.startswith("#") or len(text) < 2 or text[1] in "\r\n":
        raise UnusableAnswer(f"Redmine answered unusably at {where}: expected an issue "
                             f"export starting with the column '#', got {text[:40]!r}")
    rows = list(csv.reader(io.StringIO(text), delimiter=text[1]))
    header, table = rows[0], {}
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header) or not row[0].isdigit():
            raise UnusableAnswer(f"Redmine answered unusably at {where}: expected line "
                                 f"{number} to be an issue id and {len(header) - 1} value(s), "
                                 f"got {row[:3]!r}")
        table[int(row[0])] = dict(zip(header[1:], row[1:], strict=True))
    return table


class ShownValues:
    """What stored values show as, per custom field, learned once per run."""

    def __init__(self) -> None:
        self.labels: dict[int, dict[str, str]] = {}  # field id -> stored -> shown
        self.plain: set[int] = set()                 # fields whose digits are numbers
        self._asked: set[tuple[int, str]] = set()

    def wanted(self, rows: Iterable[Row], unknown: Callable[[int], bool]) -> dict[int, set[int]]:
        """Issue id -> ids of its fields holding digits not yet learned (kinds ``unknown``)."""
        wanted: dict[int, set[int]] = {}
        for row in rows:
            for item in row.get("custom_fields") or ():
                field = int(item["id"])
                if field in self.plain or not unknown(field):
                    continue
                learned = self.labels.get(field, {})
                if any(v.isdigit() and v not in learned and (field, v) not in self._asked
                       for v in _stored(item)):
                    wanted.setdefault(int(row["id"]), set()).add(field)
        return wanted

    def learn(self, rows: Iterable[Row], table: Mapping[int, Mapping[str, str]],
              names: Mapping[int, str]) -> None:
        """Pair each wanted field's stored values with the export's cell of the same issue.

        A multiple field's cell lists its values sorted by the stored value (as text),
        joined by ", "; a cell whose pieces do not match the values one to one (a label
        containing ", ") teaches nothing.
        """
        for row in rows:
            cells = table.get(int(row["id"]))
            for item in row.get("custom_fields") or ():
                field = int(item["id"])
                stored = sorted(_stored(item))
                self._asked.update((field, v) for v in stored)
                if cells is None or field in self.plain or names.get(field) not in cells:
                    continue
                cell = cells[names[field]]
                pieces = [cell] if len(stored) == 1 else cell.split(MULTI_SEPARATOR)
                if not stored or len(pieces) != len(stored):
                    continue
                for value, shown in zip(stored, pieces, strict=True):
                    if not value.isdigit() or not shown:
                        continue
                    if _is_number(shown):
                        self.plain.add(field)
                        self.labels.pop(field, None)
                        break
                    self.labels.setdefault(field, {})[value] = shown

    def decode(self, item: Row) -> CustomValue:
        """One ``custom_fields`` item of an issue, with learned values shown."""
        value = custom_value(item)
        learned = self.labels.get(int(item["id"]))
        if not learned or value is None:
            return value
        if isinstance(value, tuple):
            return tuple(learned.get(v, v) for v in value)
        return learned.get(value, value)


def _stored(item: Row) -> list[str]:
    value = item.get("value")
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if v not in (None, "")]


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True

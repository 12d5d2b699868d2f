"""Text tables that fit the terminal without cutting names needlessly. Pure.

Each column is as wide as its widest cell (CJK characters take two terminal columns).
Only when the whole table is wider than the terminal do the columns marked ``give`` give
way, in that order (the subject first, then labels, ...), each down to its ``least``
width, and only their cells are cut, with "…". Without a width (output to a file or a
pipe) nothing is cut. One line per row, so the output stays greppable. Colour is added
by the caller after the layout (``styles``), so it never changes a width.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass

GAP = "  "
Styles = Callable[[int, str, str], str]
"""(column index, cell, padded cell) -> the padded cell, maybe wrapped in colour codes."""


@dataclass(frozen=True)
class Column:
    header: str
    right: bool = False     # numbers: aligned right
    give: int = 0           # 0: never cut; 1, 2, ...: the order in which columns give way
    least: int = 8          # the width a column that gives way keeps at least


def layout(columns: Sequence[Column], rows: Sequence[Sequence[str]],
           width: int | None) -> list[int]:
    """Each column's width: its widest cell, narrowed only as far as ``width`` needs."""
    widths = [max([display_width(c.header), *(display_width(r[i]) for r in rows)])
              for i, c in enumerate(columns)]
    if width is None:
        return widths
    excess = sum(widths) + len(GAP) * (len(widths) - 1) - width
    for i in sorted((i for i, c in enumerate(columns) if c.give), key=lambda i: columns[i].give):
        if excess <= 0:
            break
        spare = max(0, widths[i] - max(columns[i].least, display_width(columns[i].header)))
        taken = min(spare, excess)
        widths[i] -= taken
        excess -= taken
    return widths


def render(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int | None,
           styles: Styles | None = None) -> Iterator[str]:
    """The header and one line per row, laid out for ``width`` (None: as wide as needed).
    ``styles(column, cell, padded)`` may wrap a padded cell in colour codes."""
    widths = layout(columns, rows, width)
    last = len(columns) - 1
    yield _line(columns, [c.header for c in columns], widths, last, None)
    for row in rows:
        yield _line(columns, row, widths, last, styles)


def _line(columns: Sequence[Column], cells: Sequence[str], widths: list[int], last: int,
          styles: Styles | None) -> str:
    out = []
    for i, (column, cell, size) in enumerate(zip(columns, cells, widths, strict=True)):
        padded = cut(cell, size, right=column.right)
        if i == last and not column.right:
            padded = padded.rstrip(" ")
        out.append(styles(i, cell, padded) if styles else padded)
    return GAP.join(out)


def cut(text: str, width: int, *, right: bool = False) -> str:
    """``text`` cut (with "…") and padded to ``width`` terminal columns."""
    full = display_width(text)
    if full > width:
        kept, used = "", 0
        for char in text:
            if used + _columns(char) > width - 1:
                break
            kept, used = kept + char, used + _columns(char)
        text, full = kept + "…", used + 1
    padding = " " * (width - full)
    return padding + text if right else text + padding


def display_width(text: str) -> int:
    return sum(_columns(c) for c in text)


def _columns(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1

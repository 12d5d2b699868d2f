"""A tiny document model for reports, rendered to Redmine's three text formats.

Builders (pure) produce a ``Doc``; ``render(doc, fmt)`` turns it into textile (Redmine's
default), markdown (Redcarpet) or common_mark. Nothing here knows about issues.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

from redmine_sync.markup import escape

FORMATS = ("textile", "markdown", "common_mark")
STAMP = "\x00as-of\x00"
"""Where a builder puts the report's "as of" time (``Doc.stamp``): ``render`` writes it in,
or leaves it out to compare two renderings whose figures are the same."""


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: str = "-"


@dataclass(frozen=True)
class Series:
    """One named row of a chart's values; None where there is nothing to show (a gap)."""

    name: str
    values: tuple[float | None, ...]
    tone: str | None = None      # good, warn or bad (green, orange, red); None: the palette


CHART_KINDS = ("bar", "stacked", "hbar", "line")


@dataclass(frozen=True)
class Chart:
    """A chart: attached as PNG when it can be drawn, always followed by its table.

    ``labels`` are the categories along the x axis (the bars, the weeks); each series has one
    value per label. ``kind``: ``bar`` (side by side), ``stacked``, ``hbar`` (horizontal,
    stacked) or ``line``. ``unit`` follows each value in the table (``%``, `` h``);
    ``target`` draws a reference line at that value (a target, 100 %...). Labels and
    series names are plain text: drawn as they are, escaped for the table."""

    name: str                       # attachment file name, e.g. sla-trend.png
    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    unit: str = ""
    kind: str = "bar"
    x_label: str = ""
    y_label: str = ""
    target: float | None = None
    target_label: str = ""
    empty: str = "-"

    def __post_init__(self) -> None:
        if self.kind not in CHART_KINDS:
            raise ValueError(f"unknown chart kind {self.kind!r}")
        for series in self.series:
            if len(series.values) != len(self.labels):
                raise ValueError(f"chart {self.name}: series {series.name!r} has "
                                 f"{len(series.values)} values for {len(self.labels)} labels")

    @property
    def values(self) -> tuple[float | None, ...]:
        """The first series' values (the only one of a simple bar chart)."""
        return self.series[0].values if self.series else ()

    def table(self) -> Table:
        """The same figures as a table: a row per label, a column per series."""
        def cell(value: float | None) -> str:
            return self.empty if value is None else f"{value:g}{self.unit}"
        if len(self.series) == 1 and not self.x_label:
            header: tuple[str, ...] = (self.title, "")
        else:
            header = (self.x_label or self.title, *(s.name for s in self.series))
        rows = tuple((label, *(cell(s.values[k]) for s in self.series))
                     for k, label in enumerate(self.labels))
        return Table(header, rows)


def simple_chart(name: str, title: str, labels: Sequence[str], values: Sequence[float],
                 unit: str = "", y_label: str = "") -> Chart:
    """A bar chart of one series."""
    return Chart(name, title, tuple(labels), (Series(title, tuple(values)),), unit,
                 y_label=y_label)


@dataclass(frozen=True)
class Doc:
    title: str
    blocks: tuple[object, ...] = ()
    footnotes: tuple[str, ...] = ()
    charts: tuple[Chart, ...] = field(default=())
    stamp: str = ""                 # the "as of" time, written where the text has STAMP

    def with_blocks(self, *blocks: object) -> Doc:
        charts = self.charts + tuple(b for b in blocks if isinstance(b, Chart))
        return Doc(self.title, self.blocks + blocks, self.footnotes, charts, self.stamp)


def link(text: str, target: str, fmt: str) -> str:
    """A link to an issue ("#12") or a wiki page ("Reports/Weekly/2026-W47")."""
    if target.startswith("#"):
        return f"{target} {text}".strip()
    if fmt == "textile":
        return f"[[{target}|{text}]]"
    return f"[[{target}|{text}]]"   # wiki links are the same in every Redmine format


def bar(fraction: float, width: int = 10) -> str:
    """A completion bar in text: ▓▓▓▓░░░░░░ 40 %."""
    filled = max(0, min(width, round(fraction * width)))
    return "▓" * filled + "░" * (width - filled) + f" {fraction:.0%}"


def render(doc: Doc, fmt: str, attached: Sequence[str] = (), notes_title: str | None = None,
           *, stamped: bool = True) -> str:
    """The page text; ``attached`` are the chart files attached to the page. Without
    ``stamped`` the "as of" time is left out: the text then changes only with the figures."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown text format {fmt!r}; expected one of {', '.join(FORMATS)}")
    out = [_heading(Heading(doc.title, 1), fmt)]
    for block in doc.blocks:
        out.append(_block(block, fmt, attached))
    if doc.footnotes:
        title = notes_title or ("Notes" if _latin(doc.title) else "说明")
        out.append(_heading(Heading(title, 3), fmt))
        out.append("\n".join(f"{i}. {n}" if fmt != "textile" else f"# {n}"
                             for i, n in enumerate(doc.footnotes, 1)))
    parts = [part for part in out if part] or [""]
    del out
    parts[-1] += "\n"
    # a report of a large scope is megabytes of text: no more copies of it than needed
    text = "\n\n".join(parts)
    del parts
    return text.replace(STAMP, doc.stamp if stamped else "")


def _latin(text: str) -> bool:
    return all(ord(c) < 0x2E80 for c in text)


def _block(block: object, fmt: str, attached: Sequence[str]) -> str:
    if isinstance(block, Heading):
        return _heading(block, fmt)
    if isinstance(block, Paragraph):
        return block.text
    if isinstance(block, Bullets):
        mark = "*" if fmt == "textile" else "-"
        return "\n".join(f"{mark} {item}" for item in block.items) if block.items else ""
    if isinstance(block, Table):
        return _table(block, fmt)
    if isinstance(block, Chart):
        image = ""
        if block.name in attached:
            image = f"!{block.name}!" if fmt == "textile" else f"![{block.title}]({block.name})"
        table = _table(_escaped(block.table(), fmt), fmt)
        return f"{image}\n\n{table}" if image else table
    raise TypeError(f"unknown block {type(block).__name__}")


def _escaped(table: Table, fmt: str) -> Table:
    """A chart's table: its labels and series names are plain text."""
    return Table(tuple(escape(h, fmt) for h in table.header),
                 tuple((escape(row[0], fmt), *row[1:]) for row in table.rows), table.empty)


def _heading(heading: Heading, fmt: str) -> str:
    if fmt == "textile":
        return f"h{heading.level}. {heading.text}"
    return f"{'#' * heading.level} {heading.text}"


def _cell(text: str) -> str:
    return str(text).replace("|", "/").replace("\n", " ") or " "


def _table(table: Table, fmt: str) -> str:
    if not table.rows:
        return table.empty
    if fmt == "textile":
        head = "|_. " + " |_. ".join(map(_cell, table.header)) + " |"
        body = ["| " + " | ".join(map(_cell, row)) + " |" for row in table.rows]
        return "\n".join([head, *body])
    head = "| " + " | ".join(map(_cell, table.header)) + " |"
    rule = "|" + "|".join("---" for _ in table.header) + "|"
    body = ["| " + " | ".join(map(_cell, row)) + " |" for row in table.rows]
    return "\n".join([head, rule, *body])

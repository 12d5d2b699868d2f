"""PNG bar charts, checked with a small standard-library decoder written here.

The decoder reads every chunk (checking its CRC), requires one IDAT and filter type 0 on
every row, and gives back the pixels, so the tests look at the picture itself: where the
bars are, their colour, what is above them, the text under them.
"""

from __future__ import annotations

import binascii
import struct
import zlib
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from redmine_sync.reports.png import BASELINE
from redmine_sync.reports.png import BOX
from redmine_sync.reports.png import DEFAULT_COLOR
from redmine_sync.reports.png import FONT
from redmine_sync.reports.png import GRID
from redmine_sync.reports.png import SIGNATURE
from redmine_sync.reports.png import TEXT
from redmine_sync.reports.png import WHITE
from redmine_sync.reports.png import bar_chart
from redmine_sync.reports.png import fit_text
from redmine_sync.reports.png import format_value
from redmine_sync.reports.png import glyph
from redmine_sync.reports.png import png_size

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    rows: tuple[bytes, ...]  # width*3 bytes each, filter byte removed

    def pixel(self, x: int, y: int) -> RGB:
        row = self.rows[y]
        return row[3 * x], row[3 * x + 1], row[3 * x + 2]

    def column(self, x: int) -> list[RGB]:
        return [self.pixel(x, y) for y in range(self.height)]

    def colours(self) -> set[RGB]:
        return {self.pixel(x, y) for y in range(self.height) for x in range(self.width)}


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, payload) of every chunk, after checking length fields and CRCs."""
    assert data[:8] == SIGNATURE
    found = []
    position = 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        payload = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert len(payload) == length
        assert crc == binascii.crc32(kind + payload), f"bad CRC on {kind!r}"
        found.append((kind, payload))
        position += 12 + length
    assert position == len(data)
    return found


def decode(data: bytes) -> Image:
    """An 8-bit RGB, non-interlaced PNG with one IDAT and filter 0 rows, as pixels."""
    found = chunks(data)
    kinds = [kind for kind, _ in found]
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, colour_type, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", found[0][1]
    )
    assert (depth, colour_type, compression, filtering, interlace) == (8, 2, 0, 0, 0)
    assert found[2][1] == b""
    raw = zlib.decompress(found[1][1])
    stride = 1 + 3 * width
    assert len(raw) == stride * height
    rows = []
    for y in range(height):
        line = raw[y * stride : (y + 1) * stride]
        assert line[0] == 0, f"row {y} uses filter {line[0]}"
        rows.append(line[1:])
    return Image(width, height, tuple(rows))


def bar_columns(image: Image, colour: RGB) -> list[tuple[int, int, int]]:
    """The bars, left to right, as (first column, last column, height in pixels)."""
    heights = [image.column(x).count(colour) for x in range(image.width)]
    bars: list[tuple[int, int, int]] = []
    start = None
    for x, tall in enumerate([*heights, 0]):
        if tall and start is None:
            start = x
        elif not tall and start is not None:
            bars.append((start, x - 1, max(heights[start:x])))
            start = None
    return bars


def bar_top(image: Image, x: int, colour: RGB) -> int:
    return next(y for y in range(image.height) if image.pixel(x, y) == colour)


# -- the file -------------------------------------------------------------------------------


def test_signature_chunks_and_size() -> None:
    data = bar_chart(["open", "closed"], [3, 5], width=200, height=100)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert [kind for kind, _ in chunks(data)] == [b"IHDR", b"IDAT", b"IEND"]
    image = decode(data)
    assert (image.width, image.height) == (200, 100)
    assert png_size(data) == (200, 100)


def test_default_size() -> None:
    data = bar_chart(["a"], [1])
    assert png_size(data) == (480, 240)
    assert len(decode(data).rows) == 240


def test_every_crc_is_checked() -> None:
    data = bytearray(bar_chart(["a"], [1], width=40, height=40))
    data[-5] ^= 0xFF  # last byte of the IEND CRC
    with pytest.raises(AssertionError, match="bad CRC"):
        chunks(bytes(data))


def test_same_input_same_bytes() -> None:
    labels = ["Bug", "Feature", "Support", "缺陷"]
    values = [12, 30.5, 0.25, 7]
    first = bar_chart(labels, values, width=300, height=120)
    assert bar_chart(tuple(labels), tuple(values), width=300, height=120) == first
    assert bar_chart(labels, [12.0, 30.5, 0.25, 7.0], width=300, height=120) == first
    assert bar_chart(labels, [12, 30.5, 0.25, 8], width=300, height=120) != first


def test_png_size_rejects_other_data() -> None:
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(b"GIF89a" + bytes(30))
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(SIGNATURE)


# -- the picture ----------------------------------------------------------------------------


def test_tallest_bar_is_the_bar_colour_and_white_or_grid_above() -> None:
    image = decode(bar_chart(["low", "high", "mid"], [1, 5, 2], width=240, height=120))
    bars = bar_columns(image, DEFAULT_COLOR)
    assert len(bars) == 3
    tallest = max(bars, key=lambda bar: bar[2])
    assert tallest == bars[1]
    middle = (tallest[0] + tallest[1]) // 2
    top = bar_top(image, middle, DEFAULT_COLOR)
    bottom = top + tallest[2] - 1
    assert image.pixel(middle, (top + bottom) // 2) == DEFAULT_COLOR
    assert image.pixel(middle, bottom) == DEFAULT_COLOR
    assert image.pixel(middle, bottom + 1) == BASELINE  # the bar stands on the baseline
    assert image.pixel(middle, top - 1) in (WHITE, GRID)
    assert image.pixel(middle, 0) == WHITE
    # the short bars have white (or grid) where the tallest is still bar
    for first, last, _ in (bars[0], bars[2]):
        assert image.pixel((first + last) // 2, top + 1) in (WHITE, GRID)


def test_bars_are_proportional_and_in_order() -> None:
    image = decode(bar_chart(["a", "b", "c", "d"], [1, 2, 3, 4], width=400, height=240))
    heights = [tall for _, _, tall in bar_columns(image, DEFAULT_COLOR)]
    assert heights == sorted(heights)
    assert len(heights) == 4
    for value, tall in zip([1, 2, 3, 4], heights, strict=True):
        assert abs(tall - heights[-1] * value / 4) <= 1


def test_max_value_scales_the_bars() -> None:
    own = decode(bar_chart(["a"], [10], width=120, height=200))
    halved = decode(bar_chart(["a"], [10], width=120, height=200, max_value=20))
    capped = decode(bar_chart(["a"], [10], width=120, height=200, max_value=5))
    ((_, _, full),) = bar_columns(own, DEFAULT_COLOR)
    ((_, _, half),) = bar_columns(halved, DEFAULT_COLOR)
    ((_, _, top),) = bar_columns(capped, DEFAULT_COLOR)
    assert abs(half - full / 2) <= 1
    assert top == full  # above max_value: stops at the top of the plot


def test_custom_colour() -> None:
    image = decode(bar_chart(["a", "b"], [1, 2], width=100, height=80, color=(200, 30, 40)))
    assert len(bar_columns(image, (200, 30, 40))) == 2
    assert DEFAULT_COLOR not in image.colours()


def test_grid_and_baseline() -> None:
    image = decode(bar_chart(["a"], [0], width=100, height=100))
    left_column = image.column(10)  # inside the plot, left of the only slot's bar
    assert left_column.count(BASELINE) == 1
    assert left_column.count(GRID) >= 3
    assert image.pixel(0, 50) == WHITE  # margin


def test_negative_values_draw_no_bar() -> None:
    image = decode(bar_chart(["up", "down", "up"], [3, -4, 3], width=240, height=120))
    bars = bar_columns(image, DEFAULT_COLOR)
    assert len(bars) == 2
    assert bars[0][2] == bars[1][2]  # -4 did not become the scale


def test_all_zero_and_all_negative_draw_no_bars() -> None:
    for values in ([0, 0], [-1, -2]):
        image = decode(bar_chart(["a", "b"], values, width=120, height=80))
        assert bar_columns(image, DEFAULT_COLOR) == []


def test_tiny_positive_value_still_shows() -> None:
    image = decode(bar_chart(["a", "b"], [1000, 0.001], width=120, height=80))
    assert [tall > 0 for _, _, tall in bar_columns(image, DEFAULT_COLOR)] == [True, True]


def test_empty_input_is_just_the_axis() -> None:
    data = bar_chart([], [], width=160, height=90)
    image = decode(data)
    assert (image.width, image.height) == (160, 90)
    assert image.colours() == {WHITE, GRID, BASELINE}


def test_text_is_drawn_under_and_above_bars() -> None:
    image = decode(bar_chart(["AB"], [7], width=100, height=100))
    ((first, last, tall),) = bar_columns(image, DEFAULT_COLOR)
    middle = (first + last) // 2
    top = bar_top(image, middle, DEFAULT_COLOR)
    baseline = top + tall
    above = [image.pixel(x, y) for y in range(top) for x in range(first, last + 1)]
    below = [image.pixel(x, y) for y in range(baseline + 1, 100) for x in range(first, last + 1)]
    assert TEXT in above  # the value "7"
    assert TEXT in below  # the label "AB"


def test_label_pixels_match_the_font() -> None:
    one = decode(bar_chart(["R"], [0], width=60, height=60))
    # the label row: find the TEXT pixels and compare them with the glyph's bits
    spots = {(x, y) for y in range(60) for x in range(60) if one.pixel(x, y) == TEXT}
    # the value "0" is drawn too; keep the lower glyph (the label)
    label_top = max(y for _, y in spots) - 6
    label = {(x, y) for x, y in spots if y >= label_top}
    left = min(x for x, _ in label)
    drawn = [sum(0x10 >> (x - left) for x, y in label if y == label_top + row) for row in range(7)]
    assert tuple(drawn) == FONT["R"]  # R: no blank left column, not symmetric


def test_chinese_and_unknown_characters_are_boxes() -> None:
    assert glyph("缺") == BOX
    assert glyph("é") == BOX
    assert glyph("a") == FONT["A"]
    assert glyph("\t") == FONT[" "]
    chinese = decode(bar_chart(["缺陷", "需求", "咨询"], [4, 2, 1], width=240, height=100))
    assert len(bar_columns(chinese, DEFAULT_COLOR)) == 3
    assert TEXT in chinese.colours()
    mixed = bar_chart(["Ünïcødé ✓", "🙂", "", "\n"], [1, 2, 3, 4], width=240, height=100)
    assert png_size(mixed) == (240, 100)
    decode(mixed)


def test_long_labels_are_cut_to_their_slot() -> None:
    assert fit_text("Feature requests", 35) == "Featur"
    assert fit_text("abc", 2) == ""
    assert fit_text("abc", 5) == "a"
    long = decode(bar_chart(["x" * 200, "y" * 200], [1, 2], width=120, height=80))
    short = decode(bar_chart(["x" * 9, "y" * 9], [1, 2], width=120, height=80))
    assert long == short  # both cut to the 9 characters a 54-pixel slot holds


def test_value_formatting() -> None:
    assert format_value(12) == "12"
    assert format_value(12.0) == "12"
    assert format_value(30.5) == "30.5"
    assert format_value(0.25) == "0.25"
    assert format_value(0.001) == "0"
    assert format_value(123.4) == "123"
    assert format_value(22000) == "22K"
    assert format_value(12345) == "12.3K"
    assert format_value(4_100_000) == "4.1M"
    assert format_value(-3) == "-3"
    assert format_value(-0.001) == "0"


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="2 labels for 1 values"):
        bar_chart(["a", "b"], [1])
    with pytest.raises(ValueError, match="finite"):
        bar_chart(["a"], [float("nan")])
    with pytest.raises(ValueError, match="finite"):
        bar_chart(["a"], [float("inf")])
    with pytest.raises(ValueError, match="max_value"):
        bar_chart(["a"], [1], max_value=0)
    with pytest.raises(ValueError, match="chart size"):
        bar_chart(["a"], [1], width=0)
    with pytest.raises(ValueError, match="colour"):
        bar_chart(["a"], [1], color=(0, 0, 256))


# -- properties -----------------------------------------------------------------------------

labels_and_values = st.integers(min_value=0, max_value=14).flatmap(
    lambda count: st.tuples(
        st.lists(st.text(max_size=12), min_size=count, max_size=count),
        st.lists(
            st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
            min_size=count,
            max_size=count,
        ),
    )
)


@settings(max_examples=150, deadline=None)
@given(
    labels_and_values,
    st.integers(min_value=1, max_value=160),
    st.integers(min_value=1, max_value=120),
    st.none() | st.floats(min_value=1e-6, max_value=1e9),
)
def test_any_small_input_gives_a_decodable_png_of_the_right_size(
    data: tuple[list[str], list[float]], width: int, height: int, max_value: float | None
) -> None:
    labels, values = data
    png = bar_chart(labels, values, width=width, height=height, max_value=max_value)
    image = decode(png)
    assert (image.width, image.height) == (width, height)
    assert png_size(png) == (width, height)
    assert bar_chart(labels, values, width=width, height=height, max_value=max_value) == png
    assert len(bar_columns(image, DEFAULT_COLOR)) <= sum(value > 0 for value in values)

"""Small PNG bar charts for report pages, with no dependency outside the standard library.

``bar_chart(labels, values)`` draws one bar per value on a white background, over a light
grey baseline and a few horizontal grid lines, with each value in small digits above its bar
and its label under it. Text uses a built-in 5x7 bitmap font: digits, ``%``, ``.``, ``-``,
space and A-Z (lower case letters are drawn upper case); any other character (Chinese, for
instance) is drawn as a small filled box, so every label renders. A label is cut to the
characters that fit its bar's slot; a value that does not fit its slot is left out rather
than cut (a cut number would be a wrong number).

The output is an 8-bit RGB PNG with one IDAT chunk and filter type 0 on every row. The same
input always gives the same bytes. ``png_size(data)`` reads width and height from the IHDR.
"""

from __future__ import annotations

import binascii
import math
import struct
import zlib
from collections.abc import Sequence

SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_SIDE = 8192  # pixels; a larger chart is a caller's mistake, not a report

WHITE = (255, 255, 255)
BASELINE = (176, 176, 176)
GRID = (228, 228, 228)
TEXT = (64, 64, 64)
DEFAULT_COLOR = (52, 101, 164)

GLYPH_W = 5
GLYPH_H = 7
ADVANCE = GLYPH_W + 1  # one blank column between characters

MARGIN_X = 6  # left and right of the plot
TEXT_GAP = 2  # between a bar's top and its value, between the baseline and a label
PLOT_TOP = TEXT_GAP + GLYPH_H + TEXT_GAP  # the tallest bar starts here; its value sits above
BELOW_BASELINE = 1 + TEXT_GAP + GLYPH_H + TEXT_GAP  # baseline row, gap, label row, margin
GRID_LINES = 4  # at 1/4, 2/4, 3/4 and 4/4 of the plot height

# 5x7 glyphs: seven rows, top first, as hex of 5 bits (0x10 is the leftmost column).
_GLYPH_HEX = {
    "0": "0E 11 13 15 19 11 0E",
    "1": "04 0C 04 04 04 04 0E",
    "2": "0E 11 01 02 04 08 1F",
    "3": "1F 02 04 02 01 11 0E",
    "4": "02 06 0A 12 1F 02 02",
    "5": "1F 10 1E 01 01 11 0E",
    "6": "06 08 10 1E 11 11 0E",
    "7": "1F 01 02 04 08 08 08",
    "8": "0E 11 11 0E 11 11 0E",
    "9": "0E 11 11 0F 01 02 0C",
    "%": "18 19 02 04 08 13 03",
    ".": "00 00 00 00 00 0C 0C",
    "-": "00 00 00 1F 00 00 00",
    " ": "00 00 00 00 00 00 00",
    "A": "0E 11 11 11 1F 11 11",
    "B": "1E 11 11 1E 11 11 1E",
    "C": "0E 11 10 10 10 11 0E",
    "D": "1C 12 11 11 11 12 1C",
    "E": "1F 10 10 1E 10 10 1F",
    "F": "1F 10 10 1E 10 10 10",
    "G": "0E 11 10 17 11 11 0F",
    "H": "11 11 11 1F 11 11 11",
    "I": "0E 04 04 04 04 04 0E",
    "J": "07 02 02 02 02 12 0C",
    "K": "11 12 14 18 14 12 11",
    "L": "10 10 10 10 10 10 1F",
    "M": "11 1B 15 15 11 11 11",
    "N": "11 11 19 15 13 11 11",
    "O": "0E 11 11 11 11 11 0E",
    "P": "1E 11 11 1E 10 10 10",
    "Q": "0E 11 11 11 15 12 0D",
    "R": "1E 11 11 1E 14 12 11",
    "S": "0F 10 10 0E 01 01 1E",
    "T": "1F 04 04 04 04 04 04",
    "U": "11 11 11 11 11 11 0E",
    "V": "11 11 11 11 11 0A 04",
    "W": "11 11 11 15 15 15 0A",
    "X": "11 11 0A 04 0A 11 11",
    "Y": "11 11 11 0A 04 04 04",
    "Z": "1F 01 02 04 08 10 1F",
}
_BOX_HEX = "00 1F 1F 1F 1F 1F 00"  # any character the font does not have


def _rows(hex_rows: str) -> tuple[int, ...]:
    return tuple(int(part, 16) for part in hex_rows.split())


FONT: dict[str, tuple[int, ...]] = {char: _rows(rows) for char, rows in _GLYPH_HEX.items()}
BOX = _rows(_BOX_HEX)


def glyph(char: str) -> tuple[int, ...]:
    """The 7 bit-rows of one character: ASCII lower case as upper case, unknown as a box."""
    if "a" <= char <= "z":
        char = char.upper()
    elif char.isspace():
        char = " "
    return FONT.get(char, BOX)


def text_width(text: str) -> int:
    """Pixels taken by ``text`` in the built-in font (no trailing blank column)."""
    return len(text) * ADVANCE - 1 if text else 0


def fit_text(text: str, width: int) -> str:
    """``text`` cut to the characters that fit in ``width`` pixels."""
    return text[: max(0, (width + 1) // ADVANCE)]


def format_value(value: float) -> str:
    """A short rendering of a bar value with the font's characters: 12, 3.5, 0.25, 12.3K, 4.1M."""
    magnitude = abs(value)
    if magnitude >= 1e6:
        text = _trim(f"{magnitude / 1e6:.1f}") + "M"
    elif magnitude >= 1e4:
        text = _trim(f"{magnitude / 1e3:.1f}") + "K"
    elif magnitude >= 100:
        text = f"{magnitude:.0f}"
    elif magnitude >= 10:
        text = _trim(f"{magnitude:.1f}")
    else:
        text = _trim(f"{magnitude:.2f}")
    return "-" + text if value < 0 and text != "0" else text


def _trim(number: str) -> str:
    return number.rstrip("0").rstrip(".") if "." in number else number


class _Canvas:
    """RGB pixels already laid out as PNG scanlines: a filter byte (0) then width*3 bytes."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.stride = 1 + 3 * width
        self.pixels = bytearray(b"\x00" + bytes(WHITE) * width) * height

    def fill(self, x0: int, y0: int, x1: int, y1: int, rgb: tuple[int, int, int]) -> None:
        """Paint the rectangle [x0, x1) x [y0, y1), clipped to the canvas."""
        x0, x1 = max(0, x0), min(self.width, x1)
        y0, y1 = max(0, y0), min(self.height, y1)
        if x0 >= x1 or y0 >= y1:
            return
        run = bytes(rgb) * (x1 - x0)
        for y in range(y0, y1):
            start = y * self.stride + 1 + 3 * x0
            self.pixels[start : start + len(run)] = run

    def text(self, x: int, y: int, text: str, rgb: tuple[int, int, int]) -> None:
        """Draw ``text`` with its top-left corner at (x, y), clipped to the canvas."""
        colour = bytes(rgb)
        for index, char in enumerate(text):
            left = x + index * ADVANCE
            for row, bits in enumerate(glyph(char)):
                py = y + row
                if not bits or not 0 <= py < self.height:
                    continue
                for column in range(GLYPH_W):
                    px = left + column
                    if bits & (0x10 >> column) and 0 <= px < self.width:
                        start = py * self.stride + 1 + 3 * px
                        self.pixels[start : start + 3] = colour

    def png(self) -> bytes:
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return b"".join(
            (
                SIGNATURE,
                _chunk(b"IHDR", header),
                _chunk(b"IDAT", zlib.compress(bytes(self.pixels), 6)),
                _chunk(b"IEND", b""),
            )
        )


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = binascii.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    width: int = 480,
    height: int = 240,
    max_value: float | None = None,
    color: tuple[int, int, int] = DEFAULT_COLOR,
) -> bytes:
    """A PNG bar chart: one bar per value, scaled so ``max_value`` (default: the largest value)
    reaches the top of the plot.

    Negative values draw no bar (their value is still written); values above ``max_value``
    stop at the top. Empty input gives the axis alone. Raises ``ValueError`` for labels and
    values of different lengths, a non-finite value, a ``max_value`` that is not a positive
    number, a side outside 1..MAX_SIDE or a colour component outside 0..255.
    """
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels for {len(values)} values")
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise ValueError(f"chart size {width}x{height} is outside 1..{MAX_SIDE}")
    if len(color) != 3 or any(not 0 <= part <= 255 for part in color):
        raise ValueError(f"colour {color!r} is not three components in 0..255")
    numbers = [float(value) for value in values]
    if not all(math.isfinite(value) for value in numbers):
        raise ValueError("bar values must be finite numbers")
    if max_value is not None and not (math.isfinite(max_value) and max_value > 0):
        raise ValueError(f"max_value must be a positive number, not {max_value!r}")
    scale = max_value if max_value is not None else max((max(v, 0.0) for v in numbers), default=0)

    canvas = _Canvas(width, height)
    baseline = max(0, height - BELOW_BASELINE)
    plot_height = max(0, baseline - PLOT_TOP)
    left, right = MARGIN_X, width - MARGIN_X
    plot_width = max(0, right - left)

    for step in range(1, GRID_LINES + 1):
        if plot_height:
            y = baseline - round(plot_height * step / GRID_LINES)
            canvas.fill(left, y, right, y + 1, GRID)
    canvas.fill(left, baseline, right, baseline + 1, BASELINE)

    count = len(numbers)
    for index, (label, value) in enumerate(zip(labels, numbers, strict=True)):
        slot_left = left + index * plot_width // count
        slot_right = left + (index + 1) * plot_width // count
        slot = slot_right - slot_left
        pad = slot // 8 + 1 if slot > 2 else 0
        bar_height = 0
        if value > 0 and scale > 0:
            bar_height = min(plot_height, round(plot_height * value / scale))
            bar_height = max(bar_height, 1 if plot_height else 0)  # a positive value shows
        top = baseline - bar_height
        canvas.fill(slot_left + pad, top, slot_right - pad, baseline, color)

        number = format_value(value)
        if text_width(number) <= slot:
            x = slot_left + (slot - text_width(number)) // 2
            canvas.text(x, top - TEXT_GAP - GLYPH_H, number, TEXT)
        name = fit_text(label, slot)
        x = slot_left + (slot - text_width(name)) // 2
        canvas.text(x, baseline + 1 + TEXT_GAP, name, TEXT)

    return canvas.png()


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR; ``ValueError`` when ``data`` is not a PNG."""
    if len(data) < 24 or data[:8] != SIGNATURE or data[12:16] != b"IHDR":
        raise ValueError("not a PNG (no signature and IHDR chunk)")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)

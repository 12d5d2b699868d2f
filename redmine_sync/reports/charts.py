"""Chart images for report pages: matplotlib (Agg, no display) with a font that has Chinese.

``renderer()`` finds what drawing needs once per run: matplotlib (the ``charts`` extra,
installed by ``make install``) and a CJK-capable font on the system (Debian:
``fonts-noto-cjk`` or ``fonts-wqy-microhei``). It answers a ``Renderer`` or the reason
there is none; without one, pages carry the same figures as tables only and the run
prints that reason. ``Renderer.draw(chart)`` gives PNG bytes: about 800 pixels wide (a
Redmine wiki page's text column), with title, axes, unit and legend; the same chart gives
the same bytes, so an unchanged chart is not uploaded again.
"""

from __future__ import annotations

import glob
import io
import math
import textwrap
from dataclasses import dataclass
from typing import Any

from redmine_sync.reports.doc import Chart

# Fonts with Chinese glyphs, best first: Debian's paths, then any family of these names
# that matplotlib already knows.
FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/**/NotoSansCJK*-Regular.*",
    "/usr/share/fonts/**/SourceHanSans*-Regular.*",
)
FONT_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Micro Hei",
                 "WenQuanYi Zen Hei", "Source Han Sans SC", "AR PL UMing CN")
FONT_HINT = ("install a font with Chinese glyphs (Debian: apt-get install fonts-noto-cjk "
             "or fonts-wqy-microhei)")
LIBRARY_HINT = "install matplotlib: pip install 'redmine-sync[charts]'"

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 3.8, 100     # 800 x 380 pixels
COLORS = ("#3465a4", "#f57900", "#73d216", "#75507b", "#c17d11", "#cc0000", "#555753",
          "#06989a", "#edd400", "#ad7fa8")
TONES = {"good": "#4e9a06", "warn": "#f57900", "bad": "#cc0000"}
TEXT_COLOR = "#2e3436"
GRID_COLOR = "#d3d7cf"
TARGET_COLOR = "#a40000"


@dataclass(frozen=True)
class Renderer:
    """Draws charts with one font family (CJK first, DejaVu Sans for other symbols)."""

    font: str
    font_file: str | None

    def draw(self, chart: Chart) -> bytes:
        # a Figure on an Agg canvas of its own: no pyplot, so no figure manager or global
        # state, and nothing to close
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        style: Any = {"font.family": "sans-serif", "font.sans-serif": [self.font, "DejaVu Sans"],
                 "font.size": 10, "axes.titlesize": 13,
                 "axes.edgecolor": GRID_COLOR, "axes.labelcolor": TEXT_COLOR,
                 "text.color": TEXT_COLOR, "xtick.color": TEXT_COLOR,
                 "ytick.color": TEXT_COLOR, "axes.unicode_minus": False}
        with matplotlib.rc_context(style):
            height = HEIGHT_IN
            if chart.kind == "hbar":
                height = max(HEIGHT_IN, 1.2 + 0.38 * len(chart.labels))
            fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
            FigureCanvasAgg(fig)
            ax = fig.add_subplot()
            _plot(ax, chart)
            if len(chart.series) > 1 or chart.target_label:
                fig.legend(loc="outside right upper", frameon=False, fontsize=9)
            out = io.BytesIO()
            fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None},
                        facecolor="white")
        return out.getvalue()


def renderer() -> Renderer | str:
    """A renderer, or why charts cannot be drawn on this machine."""
    try:
        import matplotlib
    except ImportError:
        return f"charts are not drawn: matplotlib is not installed ({LIBRARY_HINT})"
    matplotlib.use("Agg", force=True)
    found = _cjk_font()
    if found is None:
        return f"charts are not drawn: no font with Chinese glyphs was found ({FONT_HINT})"
    return Renderer(*found)


def _cjk_font() -> tuple[str, str | None] | None:
    from matplotlib import font_manager

    for pattern in FONT_FILES:
        for path in sorted(glob.glob(pattern, recursive=True)):
            try:
                font_manager.fontManager.addfont(path)
                return font_manager.FontProperties(fname=path).get_name(), path
            except (OSError, RuntimeError, ValueError):
                continue
    known = {f.name for f in font_manager.fontManager.ttflist}
    return next(((name, None) for name in FONT_FAMILIES if name in known), None)


def _wrap(label: str, width: int) -> str:
    """Wrap a category label; Chinese text (no spaces) is cut every ``width // 2`` chars."""
    if " " in label or all(ord(c) < 0x2E80 for c in label):
        return "\n".join(textwrap.wrap(label, width)) or label
    step = max(1, width // 2)
    return "\n".join(label[k:k + step] for k in range(0, len(label), step))


def _plot(ax: Any, chart: Chart) -> None:
    ax.set_title(chart.title, loc="left", pad=10)
    ax.spines[["top", "right"]].set_visible(False)
    values = [[0.0 if v is None else v for v in s.values] for s in chart.series]
    positions = list(range(len(chart.labels)))
    if chart.kind == "hbar":
        _hbar(ax, chart, values, positions)
    elif chart.kind == "line":
        for k, s in enumerate(chart.series):   # a gap where a week has no figure
            ax.plot(positions, [math.nan if v is None else v for v in s.values], marker="o",
                    linewidth=2, color=_color(chart, k), label=s.name)
    elif chart.kind == "stacked":
        bottom = [0.0] * len(positions)
        for k, row in enumerate(values):
            ax.bar(positions, row, 0.6, bottom=bottom, color=_color(chart, k),
                   label=chart.series[k].name)
            bottom = [b + v for b, v in zip(bottom, row, strict=True)]
        _totals(ax, positions, bottom, chart.unit)
    else:
        n = max(1, len(values))
        width = 0.8 / n
        for k, row in enumerate(values):
            xs = [x - 0.4 + width * (k + 0.5) for x in positions]
            bars = ax.bar(xs, row, width * 0.92, color=_color(chart, k),
                          label=chart.series[k].name)
            if n <= 2 and len(positions) <= 12:
                ax.bar_label(bars, labels=[_short(v, chart.unit) for v in row], padding=2,
                             fontsize=8)
    if chart.kind != "hbar":
        wrap = max(6, int(96 / max(1, len(chart.labels))))
        ax.set_xticks(positions, [_wrap(label, wrap) for label in chart.labels], fontsize=9)
        ax.set_xlim(-0.6, len(positions) - 0.4)
        ax.set_xlabel(chart.x_label)
        ax.set_ylabel(chart.y_label)
        ax.grid(axis="y", color=GRID_COLOR, linewidth=0.8)
        ax.set_axisbelow(True)
        if chart.unit == "%":
            ax.set_ylim(-4, 110)
            ax.set_yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
        else:
            heights = ([sum(col) for col in zip(*values, strict=True)]
                       if chart.kind == "stacked" else [v for row in values for v in row])
            top = max([*heights, chart.target or 0.0, 0.0])
            ax.set_ylim(0, max(top, 1.0) * 1.15)
            from matplotlib.ticker import MaxNLocator

            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if chart.target is not None:
            ax.axhline(chart.target, color=TARGET_COLOR, linestyle="--", linewidth=1.2,
                       label=chart.target_label or None)


def _hbar(ax: Any, chart: Chart, values: list[list[float]], positions: list[int]) -> None:
    left = [0.0] * len(positions)
    for k, row in enumerate(values):
        ax.barh(positions, row, 0.6, left=left, color=_color(chart, k),
                label=chart.series[k].name)
        left = [a + v for a, v in zip(left, row, strict=True)]
    for y, total in zip(positions, left, strict=True):
        ax.annotate(_short(total, chart.unit), (total, y), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(positions, [_wrap(label, 24) for label in chart.labels], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel(chart.y_label)   # the categories (customers) need no axis title
    ax.grid(axis="x", color=GRID_COLOR, linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlim(left=0, right=max([*left, 1.0]) * 1.12)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _color(chart: Chart, k: int) -> str:
    return TONES.get(chart.series[k].tone or "", COLORS[k % len(COLORS)])


def _totals(ax: Any, positions: list[int], totals: list[float], unit: str) -> None:
    for x, total in zip(positions, totals, strict=True):
        if total:
            ax.annotate(_short(total, unit), (x, total), xytext=(0, 2),
                        textcoords="offset points", ha="center", va="bottom", fontsize=8)


def _short(value: float, unit: str) -> str:
    return f"{value:g}{unit.strip() if unit == '%' else ''}"

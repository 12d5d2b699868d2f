"""Chart images: every chart of every report draws in both languages without a missing
glyph, as a PNG about a wiki page wide; without matplotlib or a CJK font the page keeps its
tables and says why."""

from __future__ import annotations

import struct
import sys
import warnings
from dataclasses import replace

import pytest

from redmine_sync.config import Config
from redmine_sync.config import ReportsConfig
from redmine_sync.reports import charts
from redmine_sync.reports.charts import Renderer
from redmine_sync.reports.charts import renderer
from redmine_sync.reports.doc import Chart
from redmine_sync.reports.doc import Series
from redmine_sync.reports.run import make_page
from redmine_sync.reports.texts import load_texts
from tests.unit.reports.test_build import BUILDERS
from tests.unit.reports.test_build import make_input

PNG = b"\x89PNG\r\n\x1a\n"


def size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG) and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def drawer() -> Renderer:
    found = renderer()
    assert isinstance(found, Renderer), f"{found} (make install sets both up)"
    return found


def test_the_renderer_uses_a_font_with_chinese_glyphs(drawer: Renderer) -> None:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = drawer.font_file or font_manager.findfont(drawer.font, fallback_to_default=False)
    font = FT2Font(path)
    assert all(font.get_char_index(ord(c)) for c in "客户分层达成率周")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_chart_of_every_report_draws_without_a_missing_glyph(
        drawer: Renderer, lang: str) -> None:
    texts = load_texts(lang)
    drawn = []
    for name, builder in BUILDERS.items():
        doc = builder(make_input(lang), texts)
        for chart in doc.charts:
            with warnings.catch_warnings():
                warnings.simplefilter("error")   # "Glyph ... missing from font(s)" fails
                data = drawer.draw(chart)
            width, height = size(data)
            assert 700 <= width <= 900 and 300 <= height <= 900, (name, chart.name)
            assert len(data) > 8000, (name, chart.name)   # more than an empty frame
            drawn.append(chart.name)
    assert set(drawn) >= {"sla-by-tier.png", "sla-trend.png", "first-response.png",
                          "backlog-by-tier.png", "backlog-by-stage.png", "flow.png",
                          "customer-standing.png"}


def test_the_same_chart_gives_the_same_bytes_and_another_chart_others(drawer: Renderer) -> None:
    chart = Chart("c.png", "创建与关闭", ("2026-W46", "2026-W47"),
                  (Series("新建", (3.0, 1.0)), Series("关闭", (None, 2.0), "good")),
                  x_label="周", y_label="问题数")
    assert drawer.draw(chart) == drawer.draw(chart)
    assert drawer.draw(chart) != drawer.draw(replace(chart, title="Created and closed"))


def test_a_chart_refuses_series_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        Chart("c.png", "t", ("a", "b", "c"), (Series("s", (1.0, 2.0)),))


def config(lang: str = "zh") -> Config:
    return Config(projects=("demo",), reports=ReportsConfig(lang=lang, timezone="Asia/Shanghai"))


def test_a_page_attaches_its_charts_named_by_content() -> None:
    page = make_page("kpi", make_input("zh"), config(), "textile")
    names = [n for n, _ in page.files]
    assert len(names) == 5 and not page.warnings
    assert all(f"!{n}!" in page.text for n in names)
    assert any(n.startswith("sla-trend-") for n in names)


def test_without_a_cjk_font_the_page_keeps_its_tables_and_says_why(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(charts, "FONT_FILES", ())
    monkeypatch.setattr(charts, "FONT_FAMILIES", ())
    page = make_page("kpi", make_input("zh"), config(), "textile")
    assert page.files == ()
    why = f"charts are not drawn: no font with Chinese glyphs was found ({charts.FONT_HINT})"
    assert page.warnings == (why,)
    assert ".png!" not in page.text and "|_. 目标内 |_. 超出目标 |" in page.text


def test_without_matplotlib_the_page_keeps_its_tables_and_says_why(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)   # import fails
    page = make_page("weekly", make_input("en"), config("en"), "markdown")
    assert page.files == () and "matplotlib is not installed" in page.warnings[0]
    assert "| Week (ISO) | Created | Closed |" in page.text



def test_a_customers_weekly_report_is_in_the_customers_language() -> None:
    from redmine_sync.rules.customers import CustomerBook

    inp = make_input("en")
    book = inp.customers
    customers = tuple(replace(c, lang="zh") if c.name == "Northwind Logistics" else c
                      for c in book.customers)
    inp = replace(inp, customers=CustomerBook.build(customers, book.tiers, book.identify))
    page = make_page("weekly", inp, config("en"), "textile", "Northwind Logistics")
    assert page.text.startswith("h1. 周报 ")
    assert make_page("weekly", inp, config("en"), "textile").text.startswith("h1. Weekly")

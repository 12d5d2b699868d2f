"""The reports index page."""

from __future__ import annotations

from dataclasses import replace

from redmine_sync.reports.run import index_text
from tests.unit.reports.test_charts import config


def test_the_index_has_titles_readable_links_and_no_diverted_siblings() -> None:
    pages = [("weekly", "2026-W46", "Weekly_report_2026-W46"),
             ("weekly", "2026-W47", "Weekly_report_2026-W47"),
             ("weekly", "2026-W47", "Weekly_report_2026-W47_2"),
             ("weekly", "2026-W47", "Weekly_report_Northwind_Logistics_2026-W47"),
             ("kpi", "2026-W47", "KPI_report_2026-W47"),
             ("monthly", "2026-11", "Monthly_summary_2026-11")]
    text = index_text(pages, replace(config("en"), text_formatting="markdown"))
    assert "## KPI reports\n\n- [[KPI_report_2026-W47|2026-W47]]" in text
    assert ("## Weekly reports\n\n- [[Weekly_report_Northwind_Logistics_2026-W47|"
            "2026-W47, Northwind Logistics]]\n- [[Weekly_report_2026-W47|2026-W47]]\n"
            "- [[Weekly_report_2026-W46|2026-W46]]") in text
    assert "_2]]" not in text and "_2|" not in text and "Kpi" not in text
    assert "## Monthly reviews" in text
    assert "h2. 周报" in index_text(pages, config("zh"))

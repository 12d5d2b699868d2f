"""Tables fit the terminal: names are cut only when the subject and labels gave all they
could, never when the output is a file or a pipe."""

from __future__ import annotations

from redmine_sync.table import Column
from redmine_sync.table import cut
from redmine_sync.table import display_width
from redmine_sync.table import layout
from redmine_sync.table import render

COLUMNS = (Column("#", right=True), Column("customer", give=3, least=12),
           Column("labels", give=2, least=10), Column("subject", give=1, least=20))
ROWS = [("12", "Northwind Logistics Co.", "ui,needs-info",
         "登录页面报错 the login page crashes when the password is long"),
        ("1234", "华信银行股份有限公司", "-", "short")]


def test_cells_are_cut_and_padded_by_display_width() -> None:
    assert cut("华信银行", 10) == "华信银行  "
    assert cut("Northwind Logistics", 10) == "Northwind…"
    assert cut("华信银行股份有限公司", 10) == "华信银行… "
    assert cut("12", 4, right=True) == "  12"
    assert display_width("登录 ok") == 7


def test_without_a_width_nothing_is_cut_and_lines_end_without_spaces() -> None:
    lines = list(render(COLUMNS, ROWS, None))
    assert "Northwind Logistics Co." in lines[1] and "华信银行股份有限公司" in lines[2]
    assert lines[1].endswith("when the password is long") and lines[2].endswith("short")
    assert lines[0] == "   #  customer                 labels         subject"


def test_the_subject_gives_way_first_then_labels_then_names() -> None:
    natural = layout(COLUMNS, ROWS, None)
    assert natural == [4, 23, 13, 61]  # the subject's 6 Chinese characters take 2 columns
    assert layout(COLUMNS, ROWS, 200) == natural
    assert layout(COLUMNS, ROWS, 80) == [4, 23, 13, 34]      # only the subject is cut
    assert layout(COLUMNS, ROWS, 64) == [4, 23, 11, 20]      # then labels, names still whole
    assert layout(COLUMNS, ROWS, 54) == [4, 14, 10, 20]      # at last the customer
    assert layout(COLUMNS, ROWS, 10) == [4, 12, 10, 20]      # never below their least
    for width in (80, 64, 54):
        assert all(display_width(line) <= width for line in render(COLUMNS, ROWS, width))
    at_80 = list(render(COLUMNS, ROWS, 80))
    assert "Northwind Logistics Co." in at_80[1] and at_80[1].endswith("…")


def test_styles_wrap_cells_without_moving_columns() -> None:
    plain = list(render(COLUMNS, ROWS, 60))
    styled = list(render(COLUMNS, ROWS, 60, lambda i, cell, padded: f"<{padded}>"
                         if i == 1 else padded))
    assert [line.replace("<", "").replace(">", "") for line in styled] == plain

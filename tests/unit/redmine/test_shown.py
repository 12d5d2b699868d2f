"""Values of fields of unknown kind, learned from the issue export (non-admin keys)."""

from __future__ import annotations

from typing import Any

import pytest

from redmine_sync.errors import UnusableAnswer
from redmine_sync.redmine.shown import ShownValues
from redmine_sync.redmine.shown import parse_csv


def row(issue: int, *fields: tuple[int, Any]) -> dict[str, Any]:
    return {"id": issue, "custom_fields": [{"id": f, "name": f"F{f}", "value": v}
                                           for f, v in fields]}


def test_an_export_is_read_with_its_bom_and_its_languages_separator() -> None:
    text = "\ufeff#;Customer;Owner\r\n7;\"Northwind; Logistics\";Li Wei\r\n8;;\r\n"
    assert parse_csv("GET /issues.csv", text) == {
        7: {"Customer": "Northwind; Logistics", "Owner": "Li Wei"},
        8: {"Customer": "", "Owner": ""}}


@pytest.mark.parametrize("text", ["<!DOCTYPE html><html>", "", "#\n", "#,A\nx,1\n",
                                  "#,A\n7,1,2\n"])
def test_anything_but_an_issue_export_is_an_unusable_answer(text: str) -> None:
    with pytest.raises(UnusableAnswer, match=r"GET /issues\.csv"):
        parse_csv("GET /issues.csv", text)


def test_keys_and_ids_are_learned_and_shown_numbers_stay_plain() -> None:
    shown = ShownValues()
    rows = [row(7, (2, "6"), (3, ["29", "101"]), (4, "42"), (5, "text")),
            row(8, (2, "5"), (3, []), (4, "3"))]
    wanted = shown.wanted(rows, unknown=lambda field: True)
    assert wanted == {7: {2, 3, 4}, 8: {2, 4}}
    table = {7: {"F2": "Northwind Logistics", "F3": "Zhao Min, Li Wei", "F4": "42"},
             8: {"F2": "Fabrikam Retail", "F4": "3.0"}}
    shown.learn(rows, table, {2: "F2", 3: "F3", 4: "F4"})
    # a multiple field's cell is sorted by the stored value as text: "101" < "29"
    assert shown.decode(rows[0]["custom_fields"][1]) == ("Li Wei", "Zhao Min")
    assert shown.decode(rows[0]["custom_fields"][0]) == "Northwind Logistics"
    assert shown.decode(rows[1]["custom_fields"][0]) == "Fabrikam Retail"
    assert shown.decode(rows[0]["custom_fields"][2]) == "42"
    assert shown.plain == {4}
    assert shown.wanted([*rows, row(9, (4, "77"), (2, "6"))], unknown=lambda f: True) == {}


def test_a_label_with_the_separator_teaches_nothing_and_is_not_asked_again() -> None:
    shown = ShownValues()
    rows = [row(7, (3, ["1", "2"]))]
    shown.learn(rows, {7: {"F3": "a, b, c"}}, {3: "F3"})
    assert shown.decode(rows[0]["custom_fields"][0]) == ("1", "2")
    assert shown.wanted(rows, unknown=lambda f: True) == {}


def test_fields_of_known_kind_are_not_asked_about() -> None:
    assert ShownValues().wanted([row(7, (2, "6"))], unknown=lambda f: f != 2) == {}

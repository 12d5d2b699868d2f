"""Custom field values: every Redmine 5 kind read as the web UI shows it, and written back."""

from __future__ import annotations

import pytest

from redmine_sync.model import CustomFieldDef
from redmine_sync.redmine import fields
from redmine_sync.redmine.fields import FieldValueError

USERS = {"29": "Li Na", "30": "Wang Wei"}
VERSIONS = {"4": "2026.1", "5": "2026.2"}
IDS = {v: int(k) for k, v in {**USERS, **VERSIONS}.items()}


def field(kind: str, multiple: bool = False, **extra: object) -> CustomFieldDef:
    return CustomFieldDef(1, f"F-{kind}", kind, multiple, **extra)  # type: ignore[arg-type]


def read(definition: CustomFieldDef | None, raw: object) -> object:
    return fields.decode(definition, raw, users=USERS.get, versions=VERSIONS.get)


def write(definition: CustomFieldDef, value: object) -> object:
    return fields.encode(definition, value, users=IDS.__getitem__,  # type: ignore[arg-type]
                         versions=IDS.__getitem__)


KEYVALUE = field("enumeration", choices=(("6", "Acme Corp"), ("7", "Globex")))


@pytest.mark.parametrize(("definition", "raw", "shown"), [
    (field("string"), "Acme Corp", "Acme Corp"),
    (field("text"), "line 1\nline 2", "line 1\nline 2"),
    (field("link"), "https://example.com/x", "https://example.com/x"),
    (field("int"), "42", "42"),
    (field("float"), "2.5", "2.5"),
    (field("date"), "2026-11-30", "2026-11-30"),
    (field("list"), "urgent", "urgent"),
    (field("list", True), ["ui", "needs-info"], ("ui", "needs-info")),
    (KEYVALUE, "6", "Acme Corp"),
    (field("enumeration", True, choices=KEYVALUE.choices), ["6", "7"], ("Acme Corp", "Globex")),
    (field("bool"), "1", "Yes"),
    (field("bool"), "0", "No"),
    (field("user"), "29", "Li Na"),
    (field("user", True), ["29", "30"], ("Li Na", "Wang Wei")),
    (field("user"), "99", "#99"),
    (field("version"), "4", "2026.1"),
    (field("version", True), ["4", "5"], ("2026.1", "2026.2")),
    (field("string"), "", None),
    (field("user"), None, None),
    (field("list", True), [], ()),
    (None, "6", "6"),  # kind unknown (definitions not visible): the stored value
])
def test_each_kind_reads_as_the_web_ui_shows_it(definition: CustomFieldDef | None, raw: object,
                                                shown: object) -> None:
    assert read(definition, raw) == shown


@pytest.mark.parametrize(("definition", "value", "sent"), [
    (field("string"), "Acme Corp", "Acme Corp"),
    (KEYVALUE, "Acme Corp", "6"),
    (KEYVALUE, "7", "7"),
    (field("enumeration", True, choices=KEYVALUE.choices), ("Acme Corp", "Globex"), ["6", "7"]),
    (field("bool"), "Yes", "1"),
    (field("bool"), "no", "0"),
    (field("user"), "Li Na", "29"),
    (field("user", True), ("Li Na", "Wang Wei"), ["29", "30"]),
    (field("version"), "2026.2", "5"),
    (field("list", True), ("ui",), ["ui"]),
    (field("list", True), (), []),
    (field("string"), None, ""),
])
def test_each_kind_is_written_as_redmine_expects(definition: CustomFieldDef, value: object,
                                                  sent: object) -> None:
    assert write(definition, value) == sent


def test_a_label_the_key_value_field_lacks_is_a_named_error() -> None:
    with pytest.raises(FieldValueError) as caught:
        write(KEYVALUE, "Initech")
    assert "key/value field" in str(caught.value) and "Acme Corp" in caught.value.hint


def test_a_boolean_takes_yes_or_no_only() -> None:
    with pytest.raises(FieldValueError):
        write(field("bool"), "maybe")


def test_what_a_person_can_pick_is_shown_by_label() -> None:
    assert fields.shown_values(KEYVALUE) == ("Acme Corp", "Globex")
    assert fields.shown_values(field("bool")) == ("Yes", "No")
    assert fields.shown_values(field("string")) is None


def test_every_redmine_5_kind_is_known() -> None:
    assert set(fields.KINDS) >= {"string", "text", "list", "enumeration", "user", "version",
                                 "bool", "date", "int", "float", "link"}

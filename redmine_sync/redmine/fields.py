"""Custom field values as a person sees them, and back. Pure; lookups are passed in.

Redmine's REST answers carry what the database stores: a key/value list gives the key
("6"), a user field the user's id ("29"), a version field the version's id, a boolean
"1" or "0". The web UI shows the label, the user's name, the version's name, Yes or No;
rules, plans and reports use those. Writes go the other way: Redmine expects the key,
the id, "1"/"0". Every kind Redmine 5 has is listed in ``KINDS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from redmine_sync.errors import UserError
from redmine_sync.model import CustomFieldDef
from redmine_sync.model import CustomValue

# Redmine 5's field formats (Redmine::FieldFormat), with what the API carries.
KINDS = {
    "string": "the text", "text": "the text", "link": "the URL", "int": "the number",
    "float": "the number", "date": "YYYY-MM-DD", "list": "the value",
    "bool": '"1" or "0"', "enumeration": "the key of the label", "user": "the user's id",
    "version": "the version's id", "attachment": "the attachment's id",
}
BOOL_NAMES = {"1": "Yes", "0": "No"}
_BOOL_IN = {"1": "1", "yes": "1", "true": "1", "0": "0", "no": "0", "false": "0"}

Names = Callable[[str], str | None]  # id -> display name (None: unknown)
Ids = Callable[[str], int]           # display name -> id (raises UnknownName)


class FieldValueError(UserError):
    """A value cannot be written to a field of this kind."""


def decode(definition: CustomFieldDef | None, raw: Any, *, users: Names | None = None,
           versions: Names | None = None) -> CustomValue:
    """The value of one custom field of an issue, as the web UI shows it."""
    multiple = isinstance(raw, list) or bool(definition and definition.multiple)
    values = [str(v) for v in (raw if isinstance(raw, list) else [raw]) if v not in (None, "")]
    shown = tuple(_show(definition, v, users, versions) for v in values)
    if multiple:
        return shown
    return shown[0] if shown else None


def _show(definition: CustomFieldDef | None, value: str, users: Names | None,
          versions: Names | None) -> str:
    kind = definition.format if definition else ""
    if kind == "enumeration" and definition is not None:
        return dict(definition.choices).get(value, value)
    if kind == "bool":
        return BOOL_NAMES.get(value, value)
    if kind == "user" and users is not None:
        return users(value) or f"#{value}"
    if kind == "version" and versions is not None:
        return versions(value) or f"#{value}"
    return value


def encode(definition: CustomFieldDef, value: CustomValue, *, users: Ids | None = None,
           versions: Ids | None = None) -> Any:
    """What Redmine expects in ``custom_fields[].value`` for ``value`` (as a person sees it)."""
    items = list(value) if isinstance(value, tuple) else ([] if value in (None, "") else [value])
    sent = [_raw(definition, str(v), users, versions) for v in items]
    if definition.multiple or isinstance(value, tuple):
        return sent
    return sent[0] if sent else ""


def _raw(definition: CustomFieldDef, value: str, users: Ids | None,
         versions: Ids | None) -> str:
    kind = definition.format
    if kind == "enumeration":
        for key, label in definition.choices:
            if value in (label, key):
                return key
        raise FieldValueError(
            f"{value!r} is not a value of the key/value field {definition.name!r}",
            hint="allowed: " + ", ".join(label for _, label in definition.choices))
    if kind == "bool":
        if value.casefold() not in _BOOL_IN:
            raise FieldValueError(f"{value!r} is not yes/no for the boolean field "
                                  f"{definition.name!r}", hint="use Yes or No (or 1/0)")
        return _BOOL_IN[value.casefold()]
    if kind == "user" and users is not None:
        return str(users(value))
    if kind == "version" and versions is not None:
        return str(versions(value))
    return value


def shown_values(definition: CustomFieldDef) -> tuple[str, ...] | None:
    """The values a person can pick, as shown (labels for key/value lists); None: free."""
    if definition.format == "enumeration":
        return tuple(label for _, label in definition.choices)
    if definition.format == "bool":
        return tuple(BOOL_NAMES.values())
    return definition.possible_values


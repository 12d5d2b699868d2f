"""``validate --online``: every Redmine name the rules use, checked against the instance."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from redmine_sync.config import Config
from redmine_sync.config import FieldMap
from redmine_sync.config import located
from redmine_sync.errors import Problem
from redmine_sync.errors import UserError
from redmine_sync.redmine.catalog import Catalog
from redmine_sync.rules.ruleset import NameUse
from redmine_sync.rules.ruleset import RuleSet
from redmine_sync.schema import did_you_mean

LOOKUPS = {"status": "statuses", "priority": "priorities", "tracker": "trackers"}


def check_names(ruleset: RuleSet, catalog: Catalog, fields: FieldMap,
                kinds: Collection[str] | None = None) -> list[Problem]:
    """Problems for names this Redmine does not know, each at the place it is written
    (only names of ``kinds``, e.g. ``LOOKUPS``, when given)."""
    problems = []
    seen: set[tuple[str, str, str]] = set()
    for use in ruleset.names:
        if kinds is not None and use.kind not in kinds:
            continue
        key = (use.kind, use.name, use.where.file + str(use.where.line))
        if key in seen:
            continue
        seen.add(key)
        message = _check(use, catalog, fields)
        if message:
            problems.append(replace(use.where, message=message[0], hint=message[1]))
    return problems


def check_config_names(config: Config, catalog: Catalog) -> list[Problem]:
    """Problems for names in the config file this Redmine does not know: the tracker of
    the risks people file (``reports.risk_tracker``)."""
    tracker = config.reports.risk_tracker
    unknown = _lookup(catalog, "trackers", "tracker", tracker) if tracker else None
    if unknown is None:
        return []
    return [located(config, ("reports", "risk_tracker"), unknown[0] + ": no issue filed "
                    "would show as a risk in the weekly report",
                    unknown[1] + "; or create the tracker in Administration > Trackers and "
                    "enable it in the projects")]


def _check(use: NameUse, catalog: Catalog, fields: FieldMap) -> tuple[str, str] | None:
    kind, name = use.kind, use.name
    if kind in LOOKUPS:
        return _lookup(catalog, LOOKUPS[kind], kind, name)
    if kind in ("assigned_to", "group"):
        return _principal(catalog, kind, name)
    if kind == "custom field":
        known = tuple(catalog.custom_fields())
        return None if name in known else (f"unknown custom field {name!r}",
                                           did_you_mean(name, known))
    if kind == "label":
        return _value_of(catalog, fields.labels, name, "label")
    if kind.startswith("custom field value "):
        return _value_of(catalog, kind.removeprefix("custom field value "), name, "value")
    return None


def _lookup(catalog: Catalog, lookup: str, kind: str, name: str) -> tuple[str, str] | None:
    names = catalog.lookup(lookup).names()
    if name.casefold() in (n.casefold() for n in names):
        return None
    return f"unknown {kind} {name!r} in this Redmine", did_you_mean(name, names)


def _principal(catalog: Catalog, kind: str, name: str) -> tuple[str, str] | None:
    try:
        found = catalog.principals.get(name)
    except UserError as exc:
        return f"unknown {'group' if kind == 'group' else 'user or group'} {name!r}", exc.hint
    if kind == "group" and not found.is_group:
        return f"{name!r} is a user, not a group", "round_robin and least_loaded need a group"
    return None


def _value_of(catalog: Catalog, field: str, value: str, what: str) -> tuple[str, str] | None:
    definition = catalog.custom_fields().get(field)
    if definition is None or definition.possible_values is None:
        return None  # not a list field, or its values are not visible to this key
    if value in definition.possible_values:
        return None
    return (f"{what} {value!r} is not an allowed value of the custom field {field!r}",
            did_you_mean(value, definition.possible_values) + " (or add it to the field's "
            "possible values in Administration > Custom fields)")


def unchecked(ruleset: RuleSet, catalog: Catalog, fields: FieldMap) -> list[str]:
    """What ``check_names`` could not check with this key, and why (one line per field)."""
    values: dict[str, set[str]] = {}
    for use in ruleset.names:
        if use.kind == "label":
            field = fields.labels
        elif use.kind.startswith("custom field value "):
            field = use.kind.removeprefix("custom field value ")
        else:
            continue
        definition = catalog.custom_fields().get(field)
        if definition is None or definition.possible_values is None:
            values.setdefault(field, set()).add(use.name)
    return [f"{len(names)} value(s) of the custom field {field!r} ({', '.join(sorted(names)[:5])}"
            f"{', ...' if len(names) > 5 else ''}): this key cannot read the field's allowed "
            "values (Redmine lists them only to administrators, at /custom_fields.json); run "
            "validate --online once with an administrator's key (REDMINE_API_KEY=...) to "
            "check them" for field, names in sorted(values.items())]

"""YAML condition data -> compiled ``Condition``, reporting every problem with its place."""

from __future__ import annotations

import re
from typing import Any

from redmine_sync.rules.conditions import ALWAYS
from redmine_sync.rules.conditions import FIELDS
from redmine_sync.rules.conditions import LIST_VALUE
from redmine_sync.rules.conditions import NO_VALUE
from redmine_sync.rules.conditions import OPERATORS
from redmine_sync.rules.conditions import Block
from redmine_sync.rules.conditions import Condition
from redmine_sync.rules.conditions import Leaf
from redmine_sync.rules.conditions import field_spec
from redmine_sync.rules.conversation import JOURNAL_FIELDS
from redmine_sync.rules.source import Where
from redmine_sync.schema import did_you_mean

BLOCKS = ("all", "any", "not")
FULL_FORM = ("field", "op", "value")


def compile_condition(data: Any, where: Where) -> Condition:
    """Compile one condition; on a problem, record it and return a condition that never holds."""
    if isinstance(data, list):
        return Block("all", tuple(compile_condition(d, where.at(i)) for i, d in enumerate(data)))
    if not isinstance(data, dict) or not data:
        where.error("expected a condition: a mapping such as {priority: High}, or all/any/not")
        return Block("any", ())
    if len(data) == 1 and next(iter(data)) in BLOCKS:
        return _block(next(iter(data)), next(iter(data.values())), where)
    if "field" in data:
        return _full_form(data, where)
    if len(data) != 1:
        where.error("a shorthand condition has exactly one field; use all: [...] for several",
                    f"found {', '.join(map(str, data))}")
        return Block("any", ())
    name, spec = next(iter(data.items()))
    return _shorthand(str(name), spec, where.at(str(name)))


def _block(kind: str, items: Any, where: Where) -> Condition:
    inner = where.at(kind)
    if kind == "not":
        if isinstance(items, list):
            inner.error("not: takes one condition (use not: {any: [...]} for several)")
            return Block("any", ())
        return Block("not", (compile_condition(items, inner),))
    if not isinstance(items, list):
        inner.error(f"{kind}: takes a list of conditions")
        return Block("any", ())
    return Block(kind, tuple(compile_condition(d, inner.at(i)) for i, d in enumerate(items)))


def _full_form(data: dict[str, Any], where: Where) -> Condition:
    for key in data:
        if key not in FULL_FORM:
            where.at(str(key)).error("unknown key in a condition", did_you_mean(str(key),
                                     FULL_FORM), value=False)
    op = data.get("op", "eq")
    return _leaf(str(data["field"]), str(op), data.get("value"), where, "value" in data)


def _shorthand(name: str, spec: Any, where: Where) -> Condition:
    if isinstance(spec, str) and spec in NO_VALUE:
        return _leaf(name, spec, None, where, False)
    if isinstance(spec, dict):
        if len(spec) != 1:
            where.error("give one operator, e.g. {ge: 3}", f"found {', '.join(map(str, spec))}")
            return Block("any", ())
        op, value = next(iter(spec.items()))
        return _leaf(name, str(op), value, where.at(str(op)), True)
    return _leaf(name, "eq", spec, where, True)


def _leaf(name: str, op: str, value: Any, where: Where, has_value: bool) -> Condition:
    spec = field_spec(name)
    broken = False
    if spec is None:
        where.error(f"unknown field '{name}'",
                    did_you_mean(name, tuple(FIELDS)) + " (or cf.<Custom field name>)",
                    value=False)
        broken = True
    if op not in OPERATORS:
        where.error(f"unknown operator '{op}'", did_you_mean(op, tuple(OPERATORS)), value=False)
        return Block("any", ())
    if not _value_ok(op, value, has_value, where) or broken or spec is None:
        return Block("any", ())
    pattern = keywords = None
    if op == "regex":
        pattern = _regex(value, where)
        if pattern is None:
            return Block("any", ())
    if op == "mentions" and isinstance(value, list):
        keywords = tuple(str(v) for v in value)
    elif op == "mentions":
        where.problems.keyword_refs.append((str(value).lstrip("@"), where.doc, where.path))
    if name in JOURNAL_FIELDS:
        where.problems.journal_fields.add(name)   # a run reads journals for it
    if name in ("status", "priority", "tracker") and op in ("eq", "ne", "in", "not-in"):
        where.names(name, *(value if isinstance(value, list) else [value]))
    return Leaf(name, op, tuple(value) if isinstance(value, list) else value, spec.getter,
                pattern, keywords)


def _value_ok(op: str, value: Any, has_value: bool, where: Where) -> bool:
    if op in NO_VALUE:
        return True
    if not has_value or value is None:
        where.error(f"operator '{op}' needs a value")
        return False
    if op in LIST_VALUE and not isinstance(value, list):
        where.error(f"operator '{op}' needs a list, e.g. [a, b]")
        return False
    if op in ("lt", "le", "gt", "ge") and not isinstance(value, (int, float, str)):
        where.error(f"operator '{op}' needs a number or a text")
        return False
    if op == "mentions" and not (
            (isinstance(value, str) and value.startswith("@"))
            or (isinstance(value, list) and value and all(isinstance(v, str) for v in value))):
        where.error("mentions needs a list of keywords or '@name' of a keyword list")
        return False
    return True


def _regex(value: Any, where: Where) -> re.Pattern[str] | None:
    try:
        return re.compile(str(value), re.IGNORECASE)
    except re.error as exc:
        where.error(f"invalid regular expression: {exc}")
        return None


__all__ = ["ALWAYS", "compile_condition"]

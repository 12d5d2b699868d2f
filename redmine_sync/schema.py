"""A small declarative shape checker for YAML documents (config now, rules later).

A schema is a tree of ``Map``, ``ListOf``, ``Scalar`` and ``OneOf`` nodes. ``check``
walks the data and returns *all* problems, each located through ``yamlsrc.Located``,
with "did you mean" hints for unknown keys and values.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from redmine_sync.errors import Problem
from redmine_sync.yamlsrc import Located
from redmine_sync.yamlsrc import PathKey


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """A hint naming the closest choice, or listing the choices when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "expected one of: " + ", ".join(choices)


class Node:
    """Base class of schema nodes."""

    def check(self, doc: Located, data: Any, path: PathKey) -> Iterator[Problem]:
        raise NotImplementedError


@dataclass(frozen=True)
class Scalar(Node):
    """A string, number or boolean; ``types`` lists what is accepted."""

    types: tuple[type, ...]
    what: str

    def check(self, doc: Located, data: Any, path: PathKey) -> Iterator[Problem]:
        ok = isinstance(data, self.types) and not (
            isinstance(data, bool) and bool not in self.types
        )
        if not ok:
            yield doc.problem(path, f"expected {self.what}, got {_kind(data)}", value=True)


@dataclass(frozen=True)
class OneOf(Node):
    """One of a fixed set of strings."""

    choices: tuple[str, ...]

    def check(self, doc: Located, data: Any, path: PathKey) -> Iterator[Problem]:
        if data not in self.choices:
            yield doc.problem(path, f"unknown value {data!r}",
                              did_you_mean(str(data), self.choices), value=True)


@dataclass(frozen=True)
class ListOf(Node):
    """A list whose items all match ``item``."""

    item: Node

    def check(self, doc: Located, data: Any, path: PathKey) -> Iterator[Problem]:
        if not isinstance(data, list):
            yield doc.problem(path, f"expected a list, got {_kind(data)}", value=True)
            return
        for index, value in enumerate(data):
            yield from self.item.check(doc, value, (*path, index))


@dataclass(frozen=True)
class Map(Node):
    """A mapping with known keys; unknown keys are problems with a hint."""

    keys: Mapping[str, Node]
    required: tuple[str, ...] = field(default=())

    def check(self, doc: Located, data: Any, path: PathKey) -> Iterator[Problem]:
        if not isinstance(data, dict):
            yield doc.problem(path, f"expected a mapping, got {_kind(data)}", value=True)
            return
        for name in self.required:
            if name not in data:
                yield doc.problem(path, f"missing required key '{name}'")
        for key, value in data.items():
            if key not in self.keys:
                hint = did_you_mean(str(key), tuple(self.keys))
                yield doc.problem((*path, str(key)), "unknown key", hint)
            elif value is not None:
                yield from self.keys[key].check(doc, value, (*path, key))


@dataclass(frozen=True)
class MapOf(Node):
    """A mapping of any text keys (names the user chooses) to values matching ``value``."""

    value: Node

    def check(self, doc: Located, data: Any, path: PathKey) -> Iterator[Problem]:
        if not isinstance(data, dict):
            yield doc.problem(path, f"expected a mapping, got {_kind(data)}", value=True)
            return
        for key, value in data.items():
            yield from self.value.check(doc, value, (*path, str(key)))


def check(doc: Located, schema: Node) -> list[Problem]:
    """Every problem in ``doc`` against ``schema``, in document order."""
    problems = list(schema.check(doc, doc.data, ()))
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        bool: "true/false", int: "a number", float: "a number", str: "text",
        list: "a list", dict: "a mapping",
    }.get(type(value), type(value).__name__)


STRING = Scalar((str,), "text")
NUMBER = Scalar((int, float), "a number")
INTEGER = Scalar((int,), "a whole number")
BOOLEAN = Scalar((bool,), "true or false")

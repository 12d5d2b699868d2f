"""One declaration of what a YAML file may hold: its checks, defaults, docs and JSON Schema.

A schema is a tree of nodes (``Map``, ``MapOf``, ``ListOf``, ``Scalar``, ``OneOf``,
``AnyOf``, ``OneKey``, ``Tagged``, ``Anything``). Each node carries a one-line ``doc`` and,
where absence means something, a ``default``. The same tree

- ``check``s a parsed document and returns *all* problems, each located through
  ``yamlsrc.Located`` (file:line:col), with "did you mean" hints for unknown keys and values;
- gives the value in force for a key (``Map.get``), so defaults are not written twice;
- turns into a JSON Schema (``json_schema``) for editors (the YAML language server) and into
  the reference tables of the docs (``reference``).

Loaders check a document against its declaration first (``check_paths``) and build their
values from what is left once every value of a wrong shape is taken out (``without``), so
no builder ever sees a wrong type and deeper problems are still found in the same run.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from dataclasses import is_dataclass
from dataclasses import replace
from datetime import date
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from redmine_sync.errors import Problem
from redmine_sync.yamlsrc import Located
from redmine_sync.yamlsrc import PathKey

JSON_SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"
_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", date: "string"}


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """A hint naming the closest choice, or listing the choices when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "expected one of: " + ", ".join(choices)


@dataclass(frozen=True, kw_only=True)
class Node:
    """Base class of schema nodes: ``doc`` is one line for people, ``default`` the value in
    force when the key is absent (``None``: nothing)."""

    doc: str = ""
    default: Any = None

    def check(self, doc: Located, data: Any, path: PathKey) -> Iterator[Problem]:
        raise NotImplementedError

    def shape(self) -> dict[str, Any]:
        """The JSON Schema of this node, without doc and default."""
        raise NotImplementedError

    def what(self) -> str:
        """A few words for people: "text", "a list of text", ..."""
        raise NotImplementedError

    def json(self) -> dict[str, Any]:
        out = self.shape()
        if self.doc:
            out["description"] = self.doc
        if self.default is not None and not isinstance(self.default, date):
            out["default"] = _jsonable(self.default)
        return out


@dataclass(frozen=True)
class Anything(Node):
    """Any value: checked by the code that compiles it (conditions, action parameters)."""

    words: str = "a value"

    def check(self, doc: Located, data: Any, path: PathKey) -> Iterator[Problem]:
        return iter(())

    def shape(self) -> dict[str, Any]:
        return {}

    def what(self) -> str:
        return self.words


@dataclass(frozen=True)
class Scalar(Node):
    """A string, number, boolean or date; ``types`` lists what is accepted. Text may have to
    match ``pattern`` (``example`` shows one); numbers may have bounds."""

    types: tuple[type, ...]
    words: str
    pattern: str | None = None
    example: str = ""
    minimum: float | None = None
    maximum: float | None = None
    parse: Callable[[Any], object] | None = None   # raises ValueError with the reason

    def check(self, doc: Located, data: Any, path: PathKey) -> Iterator[Problem]:
        ok = isinstance(data, self.types) and not (
            isinstance(data, bool) and bool not in self.types) and not (
            isinstance(data, datetime) and datetime not in self.types)
        if not ok:
            yield doc.problem(path, f"expected {self.words}, got {_kind(data)}", value=True)
            return
        if isinstance(data, int | float) and not isinstance(data, bool) and (
                (self.minimum is not None and data < self.minimum)
                or (self.maximum is not None and data > self.maximum)):
            yield doc.problem(path, f"{data!r} is out of range", self._range(), value=True)
            return
        if self.pattern and isinstance(data, str) and not re.fullmatch(self.pattern, data):
            hint = f"for example {self.example}" if self.example else ""
            yield doc.problem(path, f"expected {self.words}, got {data!r}", hint, value=True)
            return
        if self.parse is not None:
            try:
                self.parse(data)
            except ValueError as exc:
                hint = f"for example {self.example}" if self.example else ""
                yield doc.problem(path, str(exc), hint, value=True)

    def _range(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            return f"give a number from {self.minimum:g} to {self.maximum:g}"
        if self.minimum is not None:
            return f"give a number >= {self.minimum:g}"
        return f"give a number <= {self.maximum:g}"

    def shape(self) -> dict[str, Any]:
        names = sorted({_JSON_TYPES[t] for t in self.types if t in _JSON_TYPES})
        if "integer" in names and "number" in names:
            names.remove("integer")
        out: dict[str, Any] = {"type": names[0] if len(names) == 1 else names}
        if date in self.types:
            out["format"] = "date"
        if self.pattern:
            out["pattern"] = f"^(?:{self.pattern})$"
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out

    def what(self) -> str:
        return self.words + (f" (e.g. {self.example})" if self.example else "")


@dataclass(frozen=True)
class OneOf(Node):
    """One of a fixed set of strings."""

    choices: tuple[str, ...]

    def check(self, doc: Located, data: Any, path: PathKey) -> Iterator[Problem]:
        if data not in self.choices or isinstance(data, bool):
            yield doc.problem(path, f"unknown value {data!r}",
                              did_you_mean(str(data), self.choices), value=True)

    def shape(self) -> dict[str, Any]:
        return {"enum": list(self.choices)}

    def what(self) -> str:
        return "one of " + ", ".join(self.choices)


@dataclass(frozen=True)
class AnyOf(Node):
    """The first of ``options`` the value fits (e.g. a text or ``{regex: ...}``)."""

    options: tuple[Node, ...]
    words: str

    def check(self, doc: Located, data: Any, path: PathKey) -> Iterator[Problem]:
        tried = [list(option.check(doc, data, path)) for option in self.options]
        if all(tried):
            fits_type = [p for p in tried if not p[0].message.startswith("expected ")]
            yield from fits_type[0] if fits_type else (
                doc.problem(path, f"expected {self.words}, got {_kind(data)}", value=True),)

    def shape(self) -> dict[str, Any]:
        return {"anyOf": [option.json() for option in self.options]}

    def what(self) -> str:
        return self.words


@dataclass(frozen=True)
class ListOf(Node):
    """A list whose items all match ``item``; ``length`` fixes how many."""

    item: Node
    length: int | None = None

    def check(self, doc: Located, data: Any, path: PathKey) -> Iterator[Problem]:
        if not isinstance(data, list):
            yield doc.problem(path, f"expected a list, got {_kind(data)}", value=True)
            return
        if self.length is not None and len(data) != self.length:
            yield doc.problem(path, f"expected {self.what()}, got {len(data)} item(s)",
                              value=True)
        for index, value in enumerate(data):
            yield from self.item.check(doc, value, (*path, index))

    def shape(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": self.item.json()}
        if self.length is not None:
            out["minItems"] = out["maxItems"] = self.length
        return out

    def what(self) -> str:
        count = f"{self.length} items" if self.length is not None else "a list"
        return f"{count} ({self.item.what()} each)"


@dataclass(frozen=True)
class Map(Node):
    """A mapping with known keys; unknown keys are problems with a hint."""

    keys: Mapping[str, Node]
    required: tuple[str, ...] = field(default=())
    words: str = "a mapping"
    retired: Mapping[str, str] = field(default_factory=dict)  # old key -> what to do instead

    def check(self, doc: Located, data: Any, path: PathKey) -> Iterator[Problem]:
        if not isinstance(data, dict):
            yield doc.problem(path, f"expected {self.words}, got {_kind(data)}", value=True)
            return
        for name in self.required:
            if name not in data:
                yield doc.problem(path, f"missing required key '{name}'")
        for key, value in data.items():
            if key in self.retired:
                yield doc.problem((*path, str(key)), "no longer a key", self.retired[key])
            elif key not in self.keys:
                hint = did_you_mean(str(key), tuple(self.keys))
                yield doc.problem((*path, str(key)), "unknown key", hint)
            elif key in self.required:
                for problem in self.keys[key].check(doc, value, (*path, key)):
                    # a required value that is wrong as a whole: the mapping is no use
                    if isinstance(doc, _Tracking) and doc.paths[id(problem)] == (*path, key):
                        doc.paths[id(problem)] = path
                    yield problem
            elif value is not None:
                yield from self.keys[key].check(doc, value, (*path, key))

    def get(self, data: Mapping[str, Any] | None, key: str) -> Any:
        """The value of ``key`` in ``data``, else its declared default."""
        value = (data or {}).get(key)
        return self.keys[key].default if value is None else value

    def defaults(self) -> dict[str, Any]:
        return {k: node.default for k, node in self.keys.items() if node.default is not None}

    def shape(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "object", "additionalProperties": False,
            "properties": {k: _nullable(node.json()) for k, node in self.keys.items()},
        }
        if self.required:
            out["required"] = list(self.required)
        return out

    def what(self) -> str:
        return self.words


@dataclass(frozen=True)
class MapOf(Node):
    """A mapping of names the user chooses (matching ``key`` when given) to ``value``s."""

    value: Node
    key: Scalar | None = None

    def check(self, doc: Located, data: Any, path: PathKey) -> Iterator[Problem]:
        if not isinstance(data, dict):
            yield doc.problem(path, f"expected a mapping, got {_kind(data)}", value=True)
            return
        for key, value in data.items():
            if self.key is not None:
                wrong = list(self.key.check(Located(doc.file, None), key, ()))
                if wrong:
                    yield doc.problem((*path, str(key)), f"key {key!r}: {wrong[0].message}",
                                      wrong[0].hint)
                    continue
            if value is not None:
                    yield from self.value.check(doc, value, (*path, str(key)))

    def shape(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "object",
                               "additionalProperties": _nullable(self.value.json())}
        if self.key is not None and self.key.pattern:
            out["propertyNames"] = {"pattern": f"^(?:{self.key.pattern})$"}
        return out

    def what(self) -> str:
        return f"a mapping of name: {self.value.what()}"


@dataclass(frozen=True)
class OneKey(Node):
    """A mapping with exactly one key, one of ``choices`` (the actions of a rule)."""

    choices: Mapping[str, Node]
    words: str

    def check(self, doc: Located, data: Any, path: PathKey) -> Iterator[Problem]:
        if not isinstance(data, dict) or len(data) != 1:
            yield doc.problem(path, f"expected {self.words}",
                              "expected one of: " + ", ".join(self.choices), value=True)
            return
        name, value = next(iter(data.items()))
        if name not in self.choices:
            made = doc.problem((*path, str(name)), f"unknown {self.words.split()[-1]} '{name}'",
                               did_you_mean(str(name), tuple(self.choices)))
            if isinstance(doc, _Tracking):
                doc.paths[id(made)] = path   # the whole item is wrong, not just its key
            yield made
            return
        yield from self.choices[name].check(doc, value, (*path, name))

    def shape(self) -> dict[str, Any]:
        return {"type": "object", "minProperties": 1, "maxProperties": 1,
                "additionalProperties": False,
                "properties": {k: node.json() for k, node in self.choices.items()}}

    def what(self) -> str:
        return self.words


@dataclass(frozen=True)
class Tagged(Node):
    """A mapping whose ``tag`` key (``kind``) selects the declaration of the rest."""

    tag: str
    variants: Mapping[str, Map]

    def check(self, doc: Located, data: Any, path: PathKey) -> Iterator[Problem]:
        if not isinstance(data, dict):
            yield doc.problem(path, f"expected a mapping with a '{self.tag}' key, got "
                              f"{_kind(data)}", value=True)
            return
        kind = data.get(self.tag)
        if kind is None:
            yield doc.problem(path, f"missing '{self.tag}'",
                              "expected one of: " + ", ".join(self.variants))
        elif not isinstance(kind, str) or kind not in self.variants:
            yield doc.problem((*path, self.tag), f"unknown {self.tag} {kind!r}",
                              did_you_mean(str(kind), tuple(self.variants)), value=True)
        else:
            yield from self.variants[kind].check(doc, data, path)

    def shape(self) -> dict[str, Any]:
        branches = [{"if": {"properties": {self.tag: {"const": name}}, "required": [self.tag]},
                     "then": variant.json()} for name, variant in self.variants.items()]
        return {"type": "object", "required": [self.tag],
                "properties": {self.tag: {"enum": list(self.variants)}}, "allOf": branches}

    def what(self) -> str:
        return f"a mapping with a '{self.tag}' key"


def check(doc: Located, schema: Node) -> list[Problem]:
    """Every problem in ``doc`` against ``schema``, in document order."""
    problems = list(schema.check(doc, doc.data, ()))
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))


@dataclass(frozen=True)
class _Tracking(Located):
    """A document that remembers the path of every problem it makes."""

    paths: dict[int, PathKey] = field(default_factory=dict)

    def problem(self, path: PathKey, message: str, hint: str = "", value: bool = False
                ) -> Problem:
        made = super().problem(path, message, hint, value)
        self.paths[id(made)] = path
        return made


def check_paths(doc: Located, schema: Node) -> list[tuple[PathKey, Problem]]:
    """Like ``check``, with the path of the value each problem is about."""
    tracking = _Tracking(doc.file, doc.data, doc.marks, doc.value_marks)
    found = list(schema.check(tracking, doc.data, ()))
    ordered = sorted(found, key=lambda p: (p.line or 0, p.column or 0))
    return [(tracking.paths[id(p)], p) for p in ordered]


def without(data: Any, paths: list[PathKey]) -> Any:
    """A copy of ``data`` without the values at ``paths``: keys removed (their default then
    applies), list items replaced by ``None`` (later items keep their index, so their
    locations stay right). Builders that collect further problems run on it safely."""
    def prune(value: Any, path: PathKey) -> Any:
        if not path:
            return None
        head, rest = path[0], path[1:]
        if isinstance(value, dict):
            out = dict(value)
            for k in [k for k in value if str(k) == str(head)]:
                if rest:
                    out[k] = prune(value[k], rest)
                else:
                    del out[k]
            return out
        if isinstance(value, list) and isinstance(head, int) and head < len(value):
            items = list(value)
            items[head] = prune(value[head], rest) if rest else None
            return items
        return value

    for path in paths:
        data = prune(data, path)
    return data


def json_schema(schema: Node, title: str, about: str = "") -> dict[str, Any]:
    """A standalone JSON Schema (draft 7, as the YAML language server reads it)."""
    return {"$schema": JSON_SCHEMA_DIALECT, "title": title,
            **({"description": about} if about else {}), **schema.json()}


def reference(schema: Node, prefix: str = "") -> Iterator[tuple[str, Node]]:
    """Every declared key below ``schema`` as (dotted path, node), in declaration order;
    ``*`` stands for a name the user chooses, ``[]`` for a list item."""
    if isinstance(schema, Map):
        for key, node in schema.keys.items():
            path = f"{prefix}.{key}" if prefix else key
            yield path, node
            yield from reference(node, path)
    elif isinstance(schema, MapOf):
        yield from reference(schema.value, f"{prefix}.*")
    elif isinstance(schema, ListOf):
        yield from reference(schema.item, f"{prefix}[]")


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        bool: "true/false", int: "a number", float: "a number", str: "text",
        list: "a list", dict: "a mapping", date: "a date", datetime: "a date and time",
    }.get(type(value), type(value).__name__)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """A key written with no value (``state:`` followed by comments only) means its default."""
    if not schema:               # anything: null included
        return schema
    if "anyOf" in schema:
        return {**schema, "anyOf": [*schema["anyOf"], {"type": "null"}]}
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None]}
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return {**schema, "type": [*kinds, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def text(doc: str = "", default: str | None = None, words: str = "text", **more: Any) -> Scalar:
    """A text key (numbers written without quotes are not text: ``"0 17 * * fri"``)."""
    return Scalar((str,), words, doc=doc, default=default, **more)


def name(doc: str = "", default: str | None = None) -> Scalar:
    """A name people write (a customer, a label): text, or a number read as text."""
    return Scalar((str, int, float), "a name", doc=doc, default=default)


def number(doc: str = "", default: float | None = None, **more: Any) -> Scalar:
    return Scalar((int, float), "a number", doc=doc, default=default, **more)


def integer(doc: str = "", default: int | None = None, **more: Any) -> Scalar:
    return Scalar((int,), "a whole number", doc=doc, default=default, **more)


def boolean(doc: str = "", default: bool | None = None) -> Scalar:
    return Scalar((bool,), "true or false", doc=doc, default=default)


def one_of(choices: tuple[str, ...], doc: str = "", default: str | None = None) -> OneOf:
    return OneOf(choices, doc=doc, default=default)


def zone_name(name: object) -> None:
    """Raise ``ValueError`` unless ``name`` is a time zone this machine knows."""
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def time_zone(doc: str = "", default: str | None = None) -> Scalar:
    return Scalar((str,), "an IANA time zone name", example="Asia/Shanghai", parse=zone_name,
                  doc=doc, default=default)


def a_date(doc: str = "") -> Scalar:
    return Scalar((date, str), "a date", pattern=r"\d{4}-\d{2}-\d{2}", example="2026-12-10",
                  doc=doc)


STRING = text()
NUMBER = number()
INTEGER = integer()
BOOLEAN = boolean()


def key(node: Node, doc: str, default: Any = None, at: tuple[str, ...] | None = None,
        shown: bool = True) -> Any:
    """A dataclass field declared once: its check (``node``), one line of doc, its default
    (also the dataclass default) and, for a value read from elsewhere in the file, the
    YAML path ``at``; ``shown=False``: a default that depends on the machine or on
    other keys (the doc says it). ``section`` turns such a dataclass into a ``Map``."""
    declared = replace(node, doc=doc, default=default if shown else None)
    metadata = {"node": declared, "at": at}
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def section(cls: type, retired: Mapping[str, str] | None = None) -> Map:
    """The ``Map`` of a dataclass whose fields are all declared with ``key`` (no ``at``)."""
    return Map({f.name: f.metadata["node"] for f in fields(cls) if "node" in f.metadata},
               retired=retired or {})


def given(cls: type, data: Mapping[str, Any] | None) -> dict[str, Any]:
    """The keys of a checked ``data`` that set a field of ``cls`` (absent and null: the
    declared default)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in (data or {}).items() if k in names and v is not None}

"""YAML text -> (data, locator): duplicate keys rejected, every node's line and column kept.

Used by the config loader and the rule loader so that errors can say
``file:line:col: path: message``. Parsing never raises anything but ``UserError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import yaml

from redmine_sync.errors import Problem
from redmine_sync.errors import UserError

PathKey = tuple[str | int, ...]

# libyaml when PyYAML was built with it (the wheels are); the pure-Python loader otherwise.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Located:
    """Parsed YAML plus where each key and value came from."""

    file: str
    data: Any
    marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    value_marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: PathKey, value: bool = False) -> tuple[int | None, int | None]:
        """Line and column (1-based) of the key (or ``value``) at ``path``, else of a parent."""
        if value and path in self.value_marks:
            return self.value_marks[path]
        while path:
            if path in self.marks:
                return self.marks[path]
            path = path[:-1]
        return self.marks.get((), (None, None))

    def problem(self, path: PathKey, message: str, hint: str = "", value: bool = False) -> Problem:
        line, col = self.where(path, value)
        return Problem(self.file, line, col, dotted(path), message, hint)


def dotted(path: PathKey) -> str:
    """``("fields", "labels")`` -> ``fields.labels``; list indexes as ``[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_text(text: str, file: str) -> Located:
    """Parse one YAML document; raise ``UserError`` listing every structural problem.

    One pass with libyaml's loader when PyYAML has it (about ten times faster than the
    pure-Python one, with the same marks): the node tree gives the marks and the duplicate
    keys, and the data is constructed from that same tree.
    """
    loader = _LOADER(text)
    try:
        with _invalid_yaml(text, file):
            root = loader.get_single_node()
        if root is None:
            return Located(file, None, {(): (1, 1)})
        _check_aliases(root, file)
        marks: dict[PathKey, tuple[int, int]] = {}
        values: dict[PathKey, tuple[int, int]] = {}
        problems = list(_duplicate_keys(root, (), file, marks, values))
        if problems:
            raise UserError(f"{file}: duplicate keys", problems)
        with _invalid_yaml(text, file):
            data = loader.construct_document(root)
        return Located(file, data, marks, values)
    finally:
        loader.dispose()


@contextmanager
def _invalid_yaml(text: str, file: str) -> Iterator[None]:
    """Turn what the parser or the constructor raises into a located ``UserError``."""
    try:
        yield
    except yaml.MarkedYAMLError as exc:
        raise UserError(f"{file}: not valid YAML", [_yaml_problem(file, exc)]) from None
    except (yaml.YAMLError, ValueError) as exc:
        raise UserError(f"{file}: not valid YAML",
                        [Problem(file, None, None, "", str(exc))]) from None
    except RecursionError:
        raise UserError(f"{file}: not valid YAML", [_too_deep(text, file)]) from None


def parse(text: str) -> Any:
    """Plain data of a YAML text the package ships (no marks needed): libyaml when there."""
    return yaml.load(text, Loader=_LOADER)  # a safe loader, C or Python


MAX_VALUES = 100_000
"""A document whose aliases expand to more values than this is refused (an alias bomb)."""


def _check_aliases(root: yaml.Node, file: str) -> None:
    """Refuse alias loops (``&a [*a]``) and documents whose aliases expand past
    ``MAX_VALUES`` (billion laughs): walking them would never end."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in open_:
            mark = node.start_mark
            raise UserError(f"{file}: an alias loop", [Problem(
                file, mark.line + 1, mark.column + 1, "", "this value contains itself "
                "through an alias", "write the value out instead of the alias")])
        open_.add(id(node))
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        total = 1 + sum(size(child) for child in children)
        open_.discard(id(node))
        sizes[id(node)] = total
        if total > MAX_VALUES:
            raise UserError(f"{file}: too large once aliases are expanded", [Problem(
                file, node.start_mark.line + 1, node.start_mark.column + 1, "",
                f"aliases expand this to more than {MAX_VALUES} values",
                "write the values out, without nested aliases")])
        return total

    try:
        size(root)
    except RecursionError:
        raise UserError(f"{file}: not valid YAML", [Problem(
            file, root.start_mark.line + 1, root.start_mark.column + 1, "",
            "nested too deeply", "flatten the document")]) from None


MAX_DEPTH = 200


def _too_deep(text: str, file: str) -> Problem:
    """Where the nesting passes ``MAX_DEPTH`` levels (YAML's event parser does not recurse,
    so it finds the place the composer could not reach)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                return Problem(file, mark.line + 1 if mark else None,
                               mark.column + 1 if mark else None, "",
                               f"nested more than {MAX_DEPTH} levels deep",
                               "flatten the document")
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1
    return Problem(file, None, None, "", "nested too deeply", "flatten the document")


def load_file(path: Path) -> Located:
    """Read and parse ``path``; unreadable or non-UTF-8 files are a ``UserError`` too."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - raw.rfind(b"\n", 0, exc.start)
        problem = Problem(str(path), line, column, "", f"not UTF-8 text (byte {exc.start})")
        raise UserError(f"{path}: not a text file", [problem]) from None
    return load_text(text, str(path))


def _yaml_problem(file: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    col = mark.column + 1 if mark else None
    return Problem(file, line, col, "", " ".join(filter(None, [exc.context, exc.problem])))


def _duplicate_keys(
    node: yaml.Node, path: PathKey, file: str, marks: dict[PathKey, tuple[int, int]],
    values: dict[PathKey, tuple[int, int]],
) -> Iterator[Problem]:
    values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    marks.setdefault(path, values[path])
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                yield Problem(
                    file, line, key_node.start_mark.column + 1, dotted((*path, key)),
                    f"duplicate key (first defined on line {seen[key]})",
                    "remove one of them",
                )
                continue
            seen[key] = line
            marks[(*path, key)] = (line, key_node.start_mark.column + 1)
            yield from _duplicate_keys(value_node, (*path, key), file, marks, values)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*path, index), file, marks, values)

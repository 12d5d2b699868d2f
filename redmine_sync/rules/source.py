"""Where rule problems are collected: one list per load, each problem located in its file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from redmine_sync.errors import Problem
from redmine_sync.schema import did_you_mean
from redmine_sync.yamlsrc import Located
from redmine_sync.yamlsrc import PathKey


@dataclass
class Problems:
    """Collects every problem of a load, so ``validate`` reports all of them at once."""

    items: list[Problem] = field(default_factory=list)
    keyword_refs: list[tuple[str, Located, PathKey]] = field(default_factory=list)
    teams: set[str] = field(default_factory=set)
    journal_fields: set[str] = field(default_factory=set)   # conditions on who spoke last
    names: list[tuple[str, str, Located, PathKey]] = field(default_factory=list)
    skip: tuple[tuple[str, ...], ...] = ()   # already reported here: problems below are not

    def add(self, doc: Located, path: PathKey, message: str, hint: str = "",
            value: bool = False) -> None:
        where = tuple(map(str, path))
        if not any(where[:len(done)] == done for done in self.skip):
            self.items.append(doc.problem(path, message, hint, value=value))

    def except_below(self, paths: list[PathKey]) -> Problems:
        """The same collection, where problems at or below ``paths`` are left out (their
        file's declaration already reported them)."""
        return Problems(self.items, self.keyword_refs, self.teams, self.journal_fields,
                        self.names, tuple(tuple(map(str, p)) for p in paths))

    def sorted(self) -> list[Problem]:
        return sorted(self.items, key=lambda p: (p.file, p.line or 0, p.column or 0))


@dataclass(frozen=True)
class Where:
    """A place in a rule file, passed down while compiling."""

    doc: Located
    path: PathKey
    problems: Problems

    def at(self, *more: str | int) -> Where:
        return Where(self.doc, (*self.path, *more), self.problems)

    def error(self, message: str, hint: str = "", value: bool = True) -> None:
        self.problems.add(self.doc, self.path, message, hint, value=value)

    def unknown_keys(self, data: Mapping[Any, Any], allowed: tuple[str, ...]) -> bool:
        """Report every key of ``data`` not in ``allowed``; True when all are known."""
        unknown = [str(k) for k in data if k not in allowed]
        for key in unknown:
            self.at(key).error("unknown key", did_you_mean(key, allowed), value=False)
        return not unknown

    def names(self, kind: str, *names: object) -> None:
        """Remember Redmine names used here, for ``validate --online``."""
        for name in names:
            self.problems.names.append((kind, str(name), self.doc, self.path))

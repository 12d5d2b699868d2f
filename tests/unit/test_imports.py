"""The package's import graph: no cycles (between packages or modules), and imports at the
top of modules, so that the layout shows the data flow and any module imports alone."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "redmine_sync"
# Imported where first needed, on purpose: matplotlib is an optional extra (charts), and
# holidays takes long to load and only calendars with holidays need it.
LAZY = {"matplotlib", "holidays"}
# The command line's group imports what a command needs when one runs, so that
# `redmine-sync --help` stays quick (the commands' own modules are loaded by name).
LAZY_IN = {"redmine_sync/cli/__init__.py": {"redmine_sync.cli.context",
                                            "redmine_sync.cli.progress"}}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(tree: ast.Module, known: dict[str, Path]) -> Iterator[tuple[ast.stmt, str]]:
    """(statement, imported module of the package) for every import in the file."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node, node.module
            for alias in node.names:
                if f"{node.module}.{alias.name}" in known:
                    yield node, f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name


def parents(target: str, importer: str, known: dict[str, Path]) -> set[str]:
    """Importing ``a.b.c`` first runs ``a/b/__init__.py``, unless the importer is in ``a.b``
    (then it is already being imported)."""
    parts = target.split(".")
    ancestors = {".".join(parts[:n]) for n in range(2, len(parts))}
    return {a for a in ancestors if a in known and not importer.startswith(a + ".")
            and importer != a}


def graph() -> tuple[dict[str, set[str]], list[str]]:
    """Module -> modules of the package it imports; and imports not at module level."""
    known = modules()
    edges: dict[str, set[str]] = {name: set() for name in known}
    inner = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {id(n) for n in tree.body} | {
            id(n) for block in tree.body if isinstance(block, (ast.If, ast.Try))
            for n in ast.walk(block)}
        for node, target in imports(tree, known):
            lazy = target.split(".")[0] in LAZY or \
                target in LAZY_IN.get(str(path.relative_to(PACKAGE.parent)), ())
            if id(node) not in top and not lazy:
                inner.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {target}")
            if target in known and target != name:
                edges[name].add(target)
            edges[name].update(parents(target, name, known))
    return edges, inner


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def packages(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph between the package's parts: rules, sla, reports, redmine, cli, sync..."""
    def part(name: str) -> str:
        return ".".join(name.split(".")[:2])

    out: dict[str, set[str]] = {}
    for source, targets in edges.items():
        out.setdefault(part(source), set()).update(
            part(t) for t in targets if part(t) != part(source))
    return out


def test_no_cycle_between_packages() -> None:
    edges, _ = graph()
    assert cycles(packages(edges)) == []


def test_no_cycle_between_modules() -> None:
    edges, _ = graph()
    assert cycles(edges) == []


def test_imports_are_at_the_top_of_modules() -> None:
    _, inner = graph()
    assert inner == []


def test_the_check_sees_a_cycle() -> None:
    assert cycles({"a.x": {"b.y"}, "b.y": {"a.x"}, "c": {"a.x"}}) == [["a.x", "b.y"]]
    known = dict.fromkeys(["r.rules", "r.rules.actions", "r.sla.policy"], Path())
    assert parents("r.rules.actions", "r.sla.policy", known) == {"r.rules"}
    assert parents("r.rules.actions", "r.rules.engine", known) == set()
    assert cycles(packages({"r.rules.a": {"r.sla.b"}, "r.sla.b": {"r.rules.c"},
                            "r.rules.c": set()})) == [["r.rules", "r.sla"]]


@pytest.mark.parametrize("module", ["redmine_sync.sla", "redmine_sync.rules.sla_policy",
                                    "redmine_sync.sla_verdict", "redmine_sync.reports.run"])
def test_a_module_imports_on_its_own(module: str) -> None:
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                          text=True, check=False, cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stderr


def called(path: Path, function: str | None = None) -> set[str]:
    """The names called in a module (or in one of its top-level functions)."""
    tree: ast.AST = ast.parse(path.read_text(encoding="utf-8"))
    if function is not None:
        tree = next(n for n in ast.walk(tree)
                    if isinstance(n, ast.FunctionDef) and n.name == function)
    return {n.func.id for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def test_a_run_shows_the_rules_evaluation_the_reminders_joined_after_it() -> None:
    """sync.py is the page that explains a run: its planning calls the rule engine itself
    and joins the renewal reminders to that plan; renewals.py runs no rules."""
    known = modules()
    assert "evaluate" in called(known["redmine_sync.sync"], "_plan")
    assert "evaluate" not in called(known["redmine_sync.renewals"])

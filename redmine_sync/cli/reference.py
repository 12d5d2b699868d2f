"""docs/cli.md, written from the click commands and ``errors.EXIT_TABLE``.

``scripts/cli-doc`` writes it; tests/unit/cli/test_reference.py fails when the file and
the code differ, so a new command, option or exit code cannot go undocumented.
"""

from __future__ import annotations

import inspect

import click

from redmine_sync.cli.shapes import SHAPES
from redmine_sync.cli.shapes import Schema
from redmine_sync.errors import EXIT_TABLE

PROG = "redmine-sync"
HEAD = f"""# Command line reference

Generated from the commands and the exit-code table (`redmine_sync/errors.py`) by
`scripts/cli-doc`; do not edit by hand. `{PROG} COMMAND --help` prints the same text.

Every command that prints data has `--format json`; its shape is listed with the command
(from the JSON Schemas in `redmine_sync/cli/shapes.py`, which the tests check each
command's output against). The keys listed stay: a release may add keys, never remove or
retype one. Times are ISO 8601 with an offset; logs and progress go to stderr, never into
the JSON on stdout.
"""


def markdown(group: click.Group) -> str:
    """The whole reference: exit codes, global options, then every command in order."""
    root = click.Context(group, info_name=PROG)
    parts = [HEAD, _exit_codes(), _command(group, root, PROG, heading="Global options")]
    for name in group.list_commands(root):
        command = group.get_command(root, name)
        assert command is not None
        parts.append(_command(command, click.Context(command, info_name=name, parent=root),
                              f"{PROG} {name}"))
    return "\n".join(parts)


def _exit_codes() -> str:
    rows = [f"| {e.code} | {e.name} | {_cell(e.meaning)} | {_cell(e.todo)} |"
            for e in EXIT_TABLE]
    return "\n".join(["## Exit codes", "", "Every command exits with one of these.", "",
                      "| code | name | when | what to do |", "|---|---|---|---|", *rows, ""])


def _command(command: click.Command, ctx: click.Context, path: str,
             heading: str | None = None) -> str:
    usage = " ".join([path, *command.collect_usage_pieces(ctx)])
    lines = [f"## {heading or f'`{path}`'}", "", f"    {usage}", ""]
    if heading is None:
        lines += [inspect.cleandoc(command.help or ""), ""]
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    if arguments:
        lines += ["Arguments: " + ", ".join(f"`{_metavar(a)}`" for a in arguments) + ".", ""]
    options = [record for p in command.params if isinstance(p, click.Option)
               and (record := p.get_help_record(ctx)) is not None]
    if options:
        lines += ["| option | description |", "|---|---|"]
        lines += [f"| `{_cell(opts)}` | {_cell(text)} |" for opts, text in options]
        lines.append("")
    if any(isinstance(p, click.Option) and p.name == "fmt" and isinstance(p.type, click.Choice)
           and "json" in p.type.choices for p in command.params):
        lines += ["Machine-readable output: `--format json`.", ""]
        if command.name in SHAPES:
            lines += [_SHAPE_HEAD.get(command.name, "Its shape:"), "",
                      *_shape(SHAPES[command.name]), ""]
    return "\n".join(lines)


_SHAPE_HEAD = {"issues": "One JSON object per line (JSON lines), each of this shape:",
               "plan": "Its shape (the fields are explained in docs/rules.md):"}


def _shape(schema: Schema, depth: int = 0) -> list[str]:
    """A JSON Schema of ``shapes.py`` as a nested list: key, type, and what it means."""
    lines = []
    required = set(schema.get("required", ()))
    for key, sub in schema.get("properties", {}).items():
        text = f"{'  ' * depth}- `{key}`: {_type(sub)}"
        if key not in required:
            text += ", optional"
        if "description" in sub:
            text += f": {sub['description']}"
        lines.append(text)
        inner = sub.get("items", sub) if _kind(sub) == "array" else sub
        lines += _shape(inner, depth + 1)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        lines.append(f"{'  ' * depth}- other keys: {_type(extra)}"
                     + (f": {extra['description']}" if "description" in extra else ""))
    return lines


def _kind(schema: Schema) -> str:
    kind = schema.get("type", "any")
    return kind if isinstance(kind, str) else kind[0]


def _type(schema: Schema) -> str:
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    kind = schema.get("type", "any JSON value")
    if isinstance(kind, list):
        return " or ".join(_type({**schema, "type": one}) for one in kind)
    if kind == "array":
        item = _type(schema.get("items", {}))
        return f"list of {item}s" if item in ("object", "string", "integer", "number") \
            else f"list of {item}"
    if kind == "string" and schema.get("format") == "date-time":
        return "time (ISO 8601)"
    return "object" if kind == "object" else str(kind)


def _metavar(argument: click.Argument) -> str:
    text = argument.metavar or (argument.name or "").upper()
    text = text if argument.required else f"[{text}]"
    return f"{text}..." if argument.nargs == -1 else text


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")

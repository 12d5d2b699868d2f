"""docs/cli.md, written from the click commands and ``errors.EXIT_TABLE``.

``scripts/cli-doc`` writes it; tests/unit/cli/test_reference.py fails when the file and
the code differ, so a new command, option or exit code cannot go undocumented.
"""

from __future__ import annotations

import inspect

import click

from redmine_sync.errors import EXIT_TABLE

PROG = "redmine-sync"
HEAD = f"""# Command line reference

Generated from the commands and the exit-code table (`redmine_sync/errors.py`) by
`scripts/cli-doc`; do not edit by hand. `{PROG} COMMAND --help` prints the same text.
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
    return "\n".join(lines)


def _metavar(argument: click.Argument) -> str:
    text = argument.metavar or (argument.name or "").upper()
    text = text if argument.required else f"[{text}]"
    return f"{text}..." if argument.nargs == -1 else text


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")

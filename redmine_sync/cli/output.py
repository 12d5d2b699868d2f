"""What the commands share to print: the ``--format`` option, JSON, and for people tables
as wide as the terminal and colour only on a terminal (never with ``NO_COLOR`` set)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from typing import Any
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def format_option(what: str = "the same data, in the shape docs/cli.md documents") -> \
        Callable[[F], F]:
    """``--format text|json`` (into the parameter ``fmt``)."""
    return click.option("--format", "fmt", type=click.Choice(["text", "json"]),
                        default="text", show_default=True,
                        help=f"text for people; json for tools: {what}.")


def echo_json(data: Any) -> None:
    """One JSON document on stdout (UTF-8 as is, indented)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def on_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def color_on() -> bool:
    """Colour on a terminal, unless NO_COLOR is set (no-color.org)."""
    return on_terminal() and not os.environ.get("NO_COLOR")


def table_width() -> int | None:
    """The terminal's width (COLUMNS overrides it); None when stdout is no terminal, so a
    table written to a file or a pipe is never cut."""
    return shutil.get_terminal_size().columns if on_terminal() else None


def echo(text: str) -> None:
    """A line for people: styles (click.style) kept only when ``color_on``."""
    click.echo(text, color=color_on())

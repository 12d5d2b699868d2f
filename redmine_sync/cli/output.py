"""What the commands share to print: the ``--format`` option and JSON output."""

from __future__ import annotations

import json
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

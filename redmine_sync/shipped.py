"""The files the package ships beside its code: the rule pack (``rules/``, with its
customers example and fixtures), the commented config example and the systemd units.

They live in ``redmine_sync/pack/``: in a checkout that folder links to the top-level
``rules/``, ``config.example.yaml`` and ``contrib/systemd/``; a wheel carries copies. Both
are read through ``importlib.resources``, so an installed tool and a checkout find them the
same way, and no path of the checkout is ever written down.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import PurePosixPath

PACKAGE = "redmine_sync"
CONFIG_EXAMPLE = "config.example.yaml"


def pack_root() -> Traversable:
    return resources.files(PACKAGE).joinpath("pack")


def rule_pack() -> Traversable:
    """The shipped rule pack: the playbook's rules, customers example, vocabulary, fixtures."""
    return pack_root().joinpath("rules")


def config_example() -> str:
    """The commented config example (every key, with what it does)."""
    return pack_root().joinpath(CONFIG_EXAMPLE).read_text(encoding="utf-8")


def systemd_units() -> dict[str, str]:
    """File name -> text of the shipped systemd units (service and timer files)."""
    return {str(path): file.read_text(encoding="utf-8")
            for path, file in tree(pack_root().joinpath("systemd"))}


def tree(root: Traversable, prefix: PurePosixPath | None = None) -> Iterator[
        tuple[PurePosixPath, Traversable]]:
    """Every file under ``root`` (relative path, file), sorted; caches and hidden files
    left out."""
    prefix = prefix or PurePosixPath()
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.startswith((".", "__")):
            continue
        if entry.is_dir():
            yield from tree(entry, prefix / entry.name)
        elif entry.is_file():
            yield prefix / entry.name, entry

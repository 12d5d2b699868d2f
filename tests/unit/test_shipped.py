"""The shipped files: what ``redmine_sync/pack`` shows is the checkout's rules/, config
example and systemd units, and the wheel's package data takes every one of them."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from redmine_sync import shipped

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {"rules": ROOT / "rules", "systemd": ROOT / "contrib" / "systemd"}


def test_the_pack_is_the_checkouts_rules_directory() -> None:
    files = {str(path): file.read_bytes() for path, file in shipped.tree(shipped.rule_pack())}
    expected = {str(p.relative_to(ROOT / "rules")): p.read_bytes()
                for p in (ROOT / "rules").rglob("*") if p.is_file()}
    assert files == expected
    assert "customers.yaml" in files and "tests/playbook.yaml" in files


def test_config_example_and_units_are_the_checkouts() -> None:
    assert shipped.config_example() == (ROOT / "config.example.yaml").read_text("utf-8")
    units = shipped.systemd_units()
    assert units == {p.name: p.read_text("utf-8") for p in SOURCES["systemd"].iterdir()}
    assert "redmine-sync-apply.timer" in units


def test_package_data_takes_every_shipped_file() -> None:
    """A file added to rules/ (or a new unit) that no pattern takes would be missing from
    the wheel: an installed `init` would copy an incomplete pack."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["redmine_sync"]
    wanted = ["pack/config.example.yaml"] + [
        f"pack/{name}/{p.relative_to(source)}"
        for name, source in SOURCES.items() for p in source.rglob("*") if p.is_file()]
    left_out = [w for w in wanted if not any(fnmatch.fnmatchcase(w, p) and
                                             w.count("/") == p.count("/") for p in patterns)]
    assert left_out == []
